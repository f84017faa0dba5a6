"""The plan goals pages (/staff/reports/goals/): the librarian writes the term's goals, the
principal's office reads the progress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.forms import StyledForm
from shuxiang.circulation.models import Term
from shuxiang.patrons.permissions import active_user, librarian_required
from shuxiang.reports import goals
from shuxiang.reports.models import PERCENT_MEASURES, PlanGoal
from shuxiang.reports.periods import Period, term_of
from shuxiang.reports.views import reports_reader_required

MAX_TARGET = Decimal(100000)


class GoalForm(StyledForm):
    text = forms.CharField(
        label=_("Goal as written in the plan"),
        max_length=200,
        error_messages={"required": _("Write the goal as it stands in the plan.")},
    )
    measure = forms.ChoiceField(label=_("Measured by"), choices=PlanGoal.Measure.choices)
    target = forms.DecimalField(
        label=_("Target figure"), min_value=0, max_value=MAX_TARGET, max_digits=8, decimal_places=2
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["placeholder"] = "学生人均借书2册以上"
        self.fields["target"].help_text = _("Shares in per cent: type 100 for all of them.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target, measure = data.get("target"), data.get("measure")
        if target is not None and measure in PERCENT_MEASURES and target > 100:
            self.add_error(
                "target", gettext("This goal is a share: its target is at most 100 (per cent).")
            )
        if target is not None and measure == PlanGoal.Measure.CLASS_WEEKLY and target == 0:
            self.add_error("target", gettext("A target of 0 asks nothing of the classes."))
        return data


def _user(request: HttpRequest) -> User:
    user = active_user(request.user)
    assert user is not None  # the decorators let only signed-in users through
    return user


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _period(request: HttpRequest) -> Period:
    """The term of ?term=<a day in it>; today's term when absent or unreadable."""
    return term_of(_day(request.GET.get("term")) or timezone.localdate())


def _term_choices(current: Period) -> list[tuple[date, str]]:
    """The calendar's terms and every term that has goals, newest first."""
    found = dict(Term.objects.values_list("starts_on", "name"))
    for start, label in PlanGoal.objects.values_list("term_start", "term_label").distinct():
        found.setdefault(start, label or str(start))
    found.setdefault(current.start, current.label)
    return sorted(found.items(), reverse=True)


def _page(
    request: HttpRequest, period: Period, form: GoalForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    editing = user.is_librarian
    present = {(g.measure, g.text) for g in goals.goals_of(period)}
    context = {
        "period": period,
        "is_current": period.start <= today <= period.end,
        "goal_progress": goals.progress(period, today, names=editing),
        "goal_period": period,
        "terms": _term_choices(period),
        "editing": editing,
        "form": form or (GoalForm() if editing else None),
        "typical": [t for t in goals.TYPICAL if (t.measure, t.text) not in present],
        "elapsed": round(goals.elapsed_share(period, today) * 100),
    }
    return render(request, "reports/goals.html", context, status=status)


def _back(period: Period) -> HttpResponse:
    return redirect(f"{reverse('goals:list')}?term={period.start.isoformat()}")


def _posted_period(request: HttpRequest) -> Period:
    return term_of(_day(request.POST.get("term")) or timezone.localdate())


@reports_reader_required
def goal_list(request: HttpRequest) -> HttpResponse:
    return _page(request, _period(request))


@require_POST
@librarian_required
def goal_add(request: HttpRequest) -> HttpResponse:
    period = _posted_period(request)
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _page(request, period, form, status=400)
    data = form.cleaned_data
    goals.add_goal(period, data["text"], data["measure"], data["target"], by=_user(request))
    messages.success(request, gettext("Goal added."))
    return _back(period)


@require_POST
@librarian_required
def goal_quick_add(request: HttpRequest) -> HttpResponse:
    period = _posted_period(request)
    typical = goals.TYPICAL_BY_KEY.get(request.POST.get("key", ""))
    if typical is None:
        messages.error(request, gettext("There is no such typical goal."))
        return _back(period)
    goals.add_goal(period, typical.text, typical.measure, typical.target, by=_user(request))
    messages.success(request, gettext("Goal added."))
    return _back(period)


def _goal_period(goal: PlanGoal) -> Period:
    return Period(goal.term_start, goal.term_end, goal.term_label, "term")


@librarian_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(PlanGoal, pk=pk)
    if request.method != "POST":
        initial = {"text": goal.text, "measure": goal.measure, "target": goal.target}
        return _edit_page(request, goal, GoalForm(initial=initial))
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, goal, form, status=400)
    changed = [f for f in ("text", "measure", "target") if getattr(goal, f) != form.cleaned_data[f]]
    if changed:
        with transaction.atomic():
            for name in changed:
                setattr(goal, name, form.cleaned_data[name])
            goal.save(update_fields=changed)
            AuditLog.record("plan_goal.changed", by=_user(request), target=goal, fields=changed)
        messages.success(request, gettext("Goal saved."))
    else:
        messages.info(request, gettext("Nothing changed."))
    return _back(_goal_period(goal))


def _edit_page(
    request: HttpRequest, goal: PlanGoal, form: GoalForm, status: int = 200
) -> HttpResponse:
    context = {"goal": goal, "form": form, "period": _goal_period(goal)}
    return render(request, "reports/goal_form.html", context, status=status)


@require_POST
@librarian_required
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(PlanGoal, pk=pk)
    period = _goal_period(goal)
    with transaction.atomic():
        AuditLog.record(
            "plan_goal.deleted",
            by=_user(request),
            target=goal,
            term=goal.term_start.isoformat(),
            measure=goal.measure,
        )
        goal.delete()
    messages.success(request, gettext("Goal deleted."))
    return _back(period)


@require_POST
@librarian_required
def goal_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    """Move a goal one place up or down in its term's list (the order of the plan)."""
    goal = get_object_or_404(PlanGoal, pk=pk)
    with transaction.atomic():
        siblings = list(
            PlanGoal.objects.select_for_update()
            .filter(term_start=goal.term_start)
            .order_by("position", "pk")
        )
        index = next(i for i, g in enumerate(siblings) if g.pk == goal.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
            for position, row in enumerate(siblings):
                row.position = position
            PlanGoal.objects.bulk_update(siblings, ["position"])
            AuditLog.record(
                "plan_goal.moved", by=_user(request), target=goal, position=siblings.index(goal)
            )
    return _back(_goal_period(goal))
