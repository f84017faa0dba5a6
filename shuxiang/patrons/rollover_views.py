"""The year rollover screens (升级): preview, confirm, result, history, undo. Librarian only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.forms import StyledForm
from shuxiang.lib.text import to_halfwidth
from shuxiang.patrons import rollover
from shuxiang.patrons.errors import RolloverError
from shuxiang.patrons.models import Rollover
from shuxiang.patrons.permissions import librarian_required

View = Callable[..., HttpResponse]
HISTORY = 20


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class ConfirmForm(StyledForm):
    """Typing the year is the deliberate step; the fingerprint ties it to the preview seen."""

    confirm = forms.CharField(
        label=gettext_lazy("Type the year to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    fingerprint = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, plan: rollover.RolloverPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["confirm"].widget.attrs["placeholder"] = str(plan.school_year)

    def clean_confirm(self) -> str:
        typed = to_halfwidth(str(self.cleaned_data["confirm"])).strip()
        if typed != str(self.plan.school_year):
            raise forms.ValidationError(
                _("Type %(year)s to confirm the rollover.") % {"year": self.plan.school_year}
            )
        return typed

    def clean_fingerprint(self) -> str:
        if self.cleaned_data["fingerprint"] != self.plan.fingerprint:
            raise forms.ValidationError(
                _(
                    "The classes or students have changed since this preview. Check the new "
                    "preview below, then confirm again."
                )
            )
        return str(self.cleaned_data["fingerprint"])


@librarian_required
def preview(request: HttpRequest) -> HttpResponse:
    return _render_preview(request, None)


@librarian_required
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = ConfirmForm(request.POST, plan=rollover.preview_rollover(today))
    if not form.is_valid():
        return _render_preview(request, form, status=400)
    try:
        done = rollover.run_rollover(by=_staff(request), today=today)
    except RolloverError as exc:
        messages.error(request, exc.message)
        return redirect("rollover:preview")
    messages.success(
        request,
        _("The classes have moved up a grade; %(n)s students have graduated.")
        % {"n": done.summary["patrons_graduated"]},
    )
    return redirect("rollover:detail", pk=done.pk)


def _render_preview(
    request: HttpRequest, form: ConfirmForm | None, *, status: int = 200
) -> HttpResponse:
    # A refused form was checked against the plan as it is now: show that plan (the page
    # writes the hidden fingerprint from it, so the next confirmation matches what is shown).
    plan = form.plan if form is not None else rollover.preview_rollover(timezone.localdate())
    form = form or ConfirmForm(plan=plan)
    AuditLog.record("rollover.previewed", by=_staff(request), clearance=len(plan.clearance))
    today = timezone.localdate()
    history = list(Rollover.objects.select_related("run_by", "undone_by")[:HISTORY])
    return render(
        request,
        "patrons/rollover.html",
        {
            "plan": plan,
            "form": form,
            # Only the latest can be undone: one check, not one per row.
            "history": [(r, i == 0 and rollover.can_undo(r, today)) for i, r in enumerate(history)],
        },
        status=status,
    )


@librarian_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    done = get_object_or_404(Rollover.objects.select_related("run_by", "undone_by"), pk=pk)
    clearance = rollover.clearance_after(done)
    AuditLog.record("rollover.viewed", by=_staff(request), target=done, clearance=len(clearance))
    return render(
        request,
        "patrons/rollover_detail.html",
        {
            "rollover": done,
            "clearance": clearance,
            "graduated_classes": rollover.graduated_classes(done),
            "can_undo": rollover.can_undo(done, timezone.localdate()),
        },
    )


@librarian_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    done = get_object_or_404(Rollover, pk=pk)
    try:
        rollover.undo_rollover(done, by=_staff(request), today=timezone.localdate())
    except RolloverError as exc:
        messages.error(request, exc.message)
        return redirect("rollover:detail", pk=done.pk)
    messages.success(
        request, _("The rollover has been undone: classes and students are as before.")
    )
    return redirect("rollover:preview")
