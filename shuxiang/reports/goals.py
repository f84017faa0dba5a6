"""Plan goals (学期计划目标): each goal of the term's plan against what the library has done so far.

docs/goals.md gives each measure and the pace in words. The term's figures are counted once
(figures.term_figures over the term so far); the two weekly goals count loans and visits per
week in the database. The school weeks come from the circulation calendar.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import config
from shuxiang.circulation.models import ClosedDay, Loan, OpeningHours, ReadingRoomVisit, Term
from shuxiang.patrons.models import Patron
from shuxiang.reports import figures
from shuxiang.reports.models import PERCENT_MEASURES, PlanGoal
from shuxiang.reports.periods import Period, term_of

M = PlanGoal.Measure

MET = "met"
ON_TRACK = "on_track"
BEHIND = "behind"
PENDING = "pending"  # a weekly goal before the term's first school week is over

# Goals that only grow as the term goes on: judged against the pace, not only the target.
CUMULATIVE = frozenset(
    {
        M.LOANS_PER_STUDENT,
        M.COVERAGE,
        M.CIRCULATION_RATE,
        M.LOANS_PER_TEACHER,
        M.TEACHER_COVERAGE,
        M.READING_ROOM_USES,
        M.NEW_ITEMS,
    }
)

UNITS: dict[str, Promise] = {
    M.LOANS_PER_STUDENT: _("books per student"),
    M.COVERAGE: _("per cent of students"),
    M.CARD_ISSUE_RATE: _("per cent of students"),
    M.CIRCULATION_RATE: _("loans per volume"),
    M.LOANS_PER_TEACHER: _("books per teacher"),
    M.TEACHER_COVERAGE: _("per cent of teachers"),
    M.CLASS_WEEKLY: _("per cent of classes"),
    M.TEACHER_ROOM_WEEKLY: _("visits per teacher a week"),
    M.READING_ROOM_USES: _("uses in the reading room"),
    M.NEW_ITEMS: _("volumes received"),
}


@dataclass(frozen=True)
class Typical:
    """A goal most school libraries write in their plan, for the quick-add buttons."""

    key: str
    text: str
    measure: str
    target: Decimal


# As plans write them (《中小学图书馆（室）规程》 and the usual district wording).
TYPICAL = [
    Typical("loans", "学生人均借书2册以上", M.LOANS_PER_STUDENT, Decimal(2)),
    Typical("coverage", "学生借阅覆盖率达到100%", M.COVERAGE, Decimal(100)),
    Typical("class_weekly", "每班每周借阅一次", M.CLASS_WEEKLY, Decimal(100)),
    Typical("teacher_room", "教师每周进阅览室1次以上", M.TEACHER_ROOM_WEEKLY, Decimal(1)),
]
TYPICAL_BY_KEY = {t.key: t for t in TYPICAL}


@dataclass(frozen=True)
class GoalProgress:
    goal: PlanGoal
    value: float  # in the target's unit: per cent for the PERCENT_MEASURES
    target: float
    status: str  # MET, ON_TRACK, BEHIND or PENDING
    pace: float | None = None  # what the target asks for by today (cumulative goals)
    detail: str = ""  # "12 / 15 个班", "8 周"
    behind: list[str] = field(default_factory=list)  # classes or teachers behind
    behind_count: int = 0

    @property
    def done(self) -> float:
        """Share of the target done: 0–1, above 1 when beaten."""
        return round(self.value / self.target, 4) if self.target else 1.0

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def bar(self) -> int:
        return min(100, round(self.done * 100))

    @property
    def pace_bar(self) -> int | None:
        if self.pace is None or not self.target:
            return None
        return min(100, round(self.pace / self.target * 100))

    @property
    def unit(self) -> Promise:
        return UNITS[self.goal.measure]

    @property
    def percent(self) -> bool:
        return self.goal.measure in PERCENT_MEASURES

    @property
    def shown(self) -> str:
        return plain(self.value)

    @property
    def target_shown(self) -> str:
        return plain(self.target)

    @property
    def pace_shown(self) -> str:
        return plain(self.pace) if self.pace is not None else ""


def plain(value: float | Decimal | None) -> str:
    """2, 1.5, 87.5 — never 2.00."""
    if value is None:
        return ""
    text = f"{Decimal(str(value)):.2f}"
    return text.rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- the calendar


def school_days(start: date, end: date) -> list[date]:
    """The days the library opens from start to end, by the circulation calendar."""
    calendar = _calendar(start, end)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if calendar.is_open(day)]


def _calendar(start: date, end: date) -> config.Calendar:
    """The calendar as the desk reads it, from the tables: config.snapshot() would also load
    (and on a new install create) the loan rules and the policy, which goals never need."""
    weekdays = frozenset(OpeningHours.objects.values_list("weekday", flat=True))
    closed = ClosedDay.objects.filter(date__range=(start, end)).values_list("date", flat=True)
    return config.Calendar(
        open_weekdays=weekdays,
        hours={},
        closed=frozenset(closed),
        terms=tuple(Term.objects.values_list("starts_on", "ends_on", "name")),
    )


def elapsed_share(period: Period, today: date) -> float:
    """Share of the term's school days up to and including today (1 after the term)."""
    return _share(school_days(period.start, period.end), period, today)


def _share(days: list[date], period: Period, today: date) -> float:
    if not days:
        return 1.0 if today > period.end else 0.0
    return sum(1 for d in days if d <= today) / len(days)


def school_weeks(period: Period, today: date) -> list[tuple[date, date]]:
    """(Monday, last day) of each week of the term that is over by today and had at least one
    open day. A week still running is left out: a class whose turn is on Friday is not behind
    on Tuesday."""
    return _weeks(school_days(period.start, period.end), period, today)


def _weeks(days: list[date], period: Period, today: date) -> list[tuple[date, date]]:
    last_open: dict[date, date] = {}
    for day in days:
        last_open[day - timedelta(days=day.weekday())] = day
    return [
        (monday, min(monday + timedelta(days=6), period.end))
        for monday, last in sorted(last_open.items())
        if last < today
    ]


# ----------------------------------------------------------------------------- the goals


def _next_position(period: Period) -> int:
    last = PlanGoal.objects.filter(term_start=period.start).aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


@transaction.atomic
def add_goal(
    period: Period,
    text: str,
    measure: str,
    target: Decimal,
    *,
    by: User | None,
    via: str = "web",
) -> PlanGoal:
    """A goal of the term's plan, after the others (the pages, and the demo school)."""
    goal = PlanGoal.objects.create(
        term_start=period.start,
        term_end=period.end,
        term_label=period.label,
        text=text,
        measure=measure,
        target=target,
        position=_next_position(period),
        created_by=by,
    )
    AuditLog.record(
        "plan_goal.added",
        by=by,
        via=via,
        target=goal,
        term=period.start.isoformat(),
        measure=measure,
        target_value=str(target),
    )
    return goal


def goals_of(period: Period) -> list[PlanGoal]:
    return list(PlanGoal.objects.filter(term_start=period.start).order_by("position", "pk"))


def progress(
    period: Period,
    today: date,
    *,
    names: bool = False,
    counted: figures.TermFigures | None = None,
) -> list[GoalProgress]:
    """Every goal of the term against the term so far. names: list the teachers behind by
    name (staff only; otherwise only their number). counted: the term so far's figures when
    the caller already has them (the dashboard), so that they are not counted twice."""
    goals = goals_of(period)
    if not goals:
        return []
    so_far = Period(period.start, max(period.start, min(period.end, today)), period.label)
    same = counted is not None and (counted.period.start, counted.period.end) == (
        so_far.start,
        so_far.end,
    )
    term = counted if same and counted is not None else figures.term_figures(so_far, top=0)
    days = school_days(period.start, period.end)
    share, weeks = _share(days, period, today), _weeks(days, period, today)
    return [_progress(goal, term, share, weeks, names) for goal in goals]


def _progress(
    goal: PlanGoal,
    term: figures.TermFigures,
    share: float,
    weeks: list[tuple[date, date]],
    names: bool,
) -> GoalProgress:
    target = float(goal.target)
    if goal.measure == M.CLASS_WEEKLY:
        return _class_weekly(goal, target, term, weeks)
    if goal.measure == M.TEACHER_ROOM_WEEKLY:
        return _teacher_room_weekly(goal, target, term, weeks, names)
    value = figure_value(goal.measure, term)
    if value >= target:
        return GoalProgress(goal, value, target, MET)
    if goal.measure not in CUMULATIVE:
        return GoalProgress(goal, value, target, BEHIND)
    pace = round(target * share, 2)
    return GoalProgress(goal, value, target, ON_TRACK if value >= pace else BEHIND, pace)


def figure_value(measure: str, term: figures.TermFigures) -> float:
    raw: float = getattr(term, measure)
    return round(raw * 100, 1) if measure in PERCENT_MEASURES else raw


def _class_weekly(
    goal: PlanGoal, target: float, term: figures.TermFigures, weeks: list[tuple[date, date]]
) -> GoalProgress:
    """Share of the classes (with pupils this term) that borrowed in every school week."""
    classes = {c.class_id: c.label for c in term.classes if c.class_id is not None and c.students}
    if not weeks or not classes:
        return GoalProgress(goal, 0.0, target, PENDING)
    mondays = {monday for monday, _end in weeks}
    start = max(weeks[0][0], term.period.start)
    borrowed = _class_weeks(set(classes), start, weeks[-1][1])
    missed = {pk: len(mondays - borrowed.get(pk, set())) for pk in classes}
    behind = sorted((pk for pk, n in missed.items() if n), key=lambda pk: (-missed[pk], pk))
    value = round((len(classes) - len(behind)) / len(classes) * 100, 1)
    return GoalProgress(
        goal,
        value,
        target,
        MET if value >= target else BEHIND,
        detail=f"{len(classes) - len(behind)} / {len(classes)}",
        behind=[f"{classes[pk]}（{missed[pk]}）" for pk in behind],
        behind_count=len(behind),
    )


def _class_weeks(class_ids: set[int], start: date, end: date) -> dict[int, set[date]]:
    """The weeks (their Mondays) in which each class had a pupil's loan or a corner loan."""
    pupil_or_corner = Q(kind=Loan.Kind.REGULAR, patron_type=Patron.Type.STUDENT) | Q(
        kind=Loan.Kind.CLASS_CORNER
    )
    # Distinct (class, day) pairs rather than weeks: truncating to the week in SQL is a Python
    # function per row on SQLite (2 s on a district's term); the days are a few thousand rows.
    rows = (
        Loan.objects.filter(pupil_or_corner, checked_out_on__range=(start, end))
        .filter(school_class__in=class_ids)
        .values_list("school_class", "checked_out_on")
        .distinct()
        .order_by()
    )
    found: dict[int, set[date]] = defaultdict(set)
    for school_class, day in rows:
        found[school_class].add(day - timedelta(days=day.weekday()))
    return found


def _teacher_room_weekly(
    goal: PlanGoal,
    target: float,
    term: figures.TermFigures,
    weeks: list[tuple[date, date]],
    names: bool,
) -> GoalProgress:
    """Teachers' reading-room visits per teacher per school week; the teachers below it."""
    if not weeks or not term.teachers:
        return GoalProgress(goal, 0.0, target, PENDING)
    start, end = max(weeks[0][0], term.period.start), weeks[-1][1]
    visits = dict(
        ReadingRoomVisit.objects.filter(
            visited_on__range=(start, end), patron_type=Patron.Type.TEACHER
        )
        .values_list("patron")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(visits.values())
    value = round(total / term.teachers / len(weeks), 2)
    teachers = figures.enrolled(term.period, figures.TEACHER).values_list("pk", "name")
    below = sorted((name, pk) for pk, name in teachers if visits.get(pk, 0) / len(weeks) < target)
    return GoalProgress(
        goal,
        value,
        target,
        MET if value >= target else BEHIND,
        detail=f"{len(weeks)}",
        behind=[name for name, _pk in below] if names else [],
        behind_count=len(below),
    )


def dashboard_context(
    today: date, *, names: bool = False, counted: figures.TermFigures | None = None
) -> dict[str, Any]:
    """What the reports dashboard needs to show this term's goals with
    {% include "reports/_goals_progress.html" %}."""
    period = term_of(today)
    return {
        "goal_period": period,
        "goal_progress": progress(period, today, names=names, counted=counted),
        "goals_url": reverse("goals:list"),
    }
