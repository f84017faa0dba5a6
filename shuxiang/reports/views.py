from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import User
from shuxiang.catalog.forms import StyledForm
from shuxiang.patrons.permissions import AnyUser, active_user, librarian_required, requires
from shuxiang.reports import compliance
from shuxiang.reports.models import ComplianceTargets


def can_read_reports(user: AnyUser) -> bool:
    """Reports are aggregates: the librarian, and the principal's office (viewer role)."""
    u = active_user(user)
    return u is not None and (u.is_librarian or u.role == User.Role.VIEWER)


reports_reader_required = requires(can_read_reports)

TARGET_FIELDS = compliance.TARGET_FIELDS


def _share_field(key: str) -> str:
    return "share_" + key.replace("-", "_")


class ComplianceTargetsForm(StyledForm):
    """The school's targets; an empty box keeps the regulation's figure (shown greyed)."""

    volumes_per_student = forms.DecimalField(
        label=_("Volumes per student"),
        required=False,
        min_value=0,
        max_value=9999,
        decimal_places=1,
    )
    new_volumes_per_student = forms.DecimalField(
        label=_("New volumes per student a year"),
        required=False,
        min_value=0,
        max_value=999,
        decimal_places=1,
    )
    periodical_titles = forms.IntegerField(
        label=_("Periodical titles"), required=False, min_value=0, max_value=100000
    )
    reference_titles = forms.IntegerField(
        label=_("Reference and teaching-reference titles"),
        required=False,
        min_value=0,
        max_value=100000,
    )
    weekly_hours = forms.DecimalField(
        label=_("Opening hours per week"),
        required=False,
        min_value=0,
        max_value=168,
        decimal_places=1,
    )

    def __init__(self, *args: Any, defaults: compliance.Targets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in compliance.SHARE_KEYS:
            self.fields[_share_field(key)] = forms.DecimalField(
                label=compliance.SHARE_LABELS[key],
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=1,
            )
        self._set_placeholders(defaults)

    def _set_placeholders(self, defaults: compliance.Targets) -> None:
        for name in TARGET_FIELDS:
            self.fields[name].widget.attrs["placeholder"] = _plain(getattr(defaults, name))
        for key in compliance.SHARE_KEYS:
            field = self.fields[_share_field(key)]
            field.widget.attrs["placeholder"] = _plain(defaults.shares[key])
            field.widget.attrs["class"] = "form-control"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shares = [data.get(_share_field(k)) for k in compliance.SHARE_KEYS]
        given = [s for s in shares if s is not None]
        if given and len(given) < len(shares):
            raise forms.ValidationError(
                gettext("Fill in the shares of all five parts, or leave all five empty.")
            )
        if given and abs(sum(given) - 100) > Decimal("0.1"):
            raise forms.ValidationError(
                gettext("The five shares must add up to 100%%; they add up to %(total)s%%.")
                % {"total": _plain(sum(given))}
            )
        return data

    def shares(self) -> dict[str, str]:
        values = {k: self.cleaned_data.get(_share_field(k)) for k in compliance.SHARE_KEYS}
        return {k: _plain(v) for k, v in values.items() if v is not None}


def _plain(value: Decimal | int) -> str:
    return compliance.figure(value, places=1)


def _initial(row: ComplianceTargets) -> dict[str, object]:
    initial: dict[str, object] = {name: getattr(row, name) for name in TARGET_FIELDS}
    for key, value in (row.class_shares or {}).items():
        initial[_share_field(key)] = value
    return initial


def _defaults() -> compliance.Targets:
    return compliance.default_targets(compliance.school_type(), compliance.students_by_part())


def _compliance_page(
    request: HttpRequest, form: ComplianceTargetsForm | None = None, status: int = 200
) -> HttpResponse:
    row = ComplianceTargets.current()
    user = active_user(request.user)
    if form is None and user is not None and user.is_librarian:
        form = ComplianceTargetsForm(initial=_initial(row), defaults=_defaults())
    context = {
        "report": compliance.build_report(today=timezone.localdate(), row=row),
        "form": form,
        "share_fields": [_share_field(k) for k in compliance.SHARE_KEYS],
        "targets_row": row if row.pk else None,
    }
    return render(request, "reports/compliance.html", context, status=status)


@reports_reader_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html")


@reports_reader_required
def compliance_view(request: HttpRequest) -> HttpResponse:
    return _compliance_page(request)


@require_POST
@librarian_required
def compliance_targets(request: HttpRequest) -> HttpResponse:
    form = ComplianceTargetsForm(request.POST, defaults=_defaults())
    if not form.is_valid():
        return _compliance_page(request, form, status=400)
    user = request.user
    assert isinstance(user, User)  # librarian_required let only a signed-in librarian in
    values = {name: form.cleaned_data[name] for name in TARGET_FIELDS}
    changed = compliance.save_targets(values, form.shares(), by=user)
    if changed:
        messages.success(request, gettext("Targets saved."))
    else:
        messages.info(request, gettext("Nothing changed."))
    return redirect("reports:compliance")
