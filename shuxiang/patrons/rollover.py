"""Year rollover (升级): every class moves up a grade and the top grade graduates.

The preview and the run share one plan, so what the librarian confirmed is what happens. The
run is one transaction that remembers what it changed (Rollover.changes), so the same day it
can be put back exactly.

Loans and compensation are read through the patron's reverse relations (`loans`, `fines`):
patrons sits left of circulation and must not import it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.lib import grades
from shuxiang.patrons.errors import RolloverError
from shuxiang.patrons.models import Patron, Rollover, SchoolClass

# Who graduates with the class: anyone still on the roll. A lost card or a suspension does not
# keep a pupil in primary school; a pupil who already left stays "left".
GRADUATING_STATUSES = (Patron.Status.ACTIVE, Patron.Status.CARD_LOST, Patron.Status.SUSPENDED)
# Schools hold graduation in June or July; from June a rollover counts for the school year
# that starts in September, so a July rollover and a September one are the same rollover.
ROLLOVER_SEASON_STARTS = 6
# Schools move classes up between the end of one school year and the start of the next.
ROLLOVER_SEASON = range(6, 10)


@dataclass(frozen=True)
class ClassMove:
    class_id: int
    grade: int
    number: int
    students: int  # students on the roll (GRADUATING_STATUSES)

    @property
    def label(self) -> str:
        return grades.class_label(self.grade, self.number)

    @property
    def new_label(self) -> str:
        return grades.class_label(self.grade + 1, self.number)


@dataclass(frozen=True)
class BookOut:
    barcode: str
    title: str
    due_on: date


@dataclass
class Clearance:
    """A graduating patron who must settle up before leaving (离校清还)."""

    patron_id: int
    name: str
    card_number: str
    student_number: str
    class_label: str
    books: list[BookOut] = field(default_factory=list)
    money_due: Decimal = Decimal("0")


@dataclass
class RolloverPlan:
    school_year: int
    top_grade: int
    moves: list[ClassMove]  # classes going up a grade, highest first
    graduating: list[ClassMove]  # classes leaving the school
    clearance: list[Clearance]
    previous: Rollover | None = None  # this school year's rollover, if one already ran
    # Outside June–September the classes are most likely already right for the year (a school
    # that starts with Shuxiang in November imports this year's roster): say so loudly.
    mid_year: bool = False

    @property
    def students_moving(self) -> int:
        return sum(m.students for m in self.moves)

    @property
    def students_graduating(self) -> int:
        return sum(m.students for m in self.graduating)

    @property
    def is_empty(self) -> bool:
        return not self.moves and not self.graduating

    @property
    def books_out(self) -> int:
        return sum(len(c.books) for c in self.clearance)

    @property
    def money_due(self) -> Decimal:
        return sum((c.money_due for c in self.clearance), Decimal("0"))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the plan would: the confirm form carries it from the preview."""
        parts = [f"{m.class_id}:{m.grade}:{m.students}" for m in self.moves + self.graduating]
        return f"{self.school_year}|" + ",".join(sorted(parts))


def rollover_year(today: date) -> int:
    """The school year a rollover run today prepares."""
    return today.year if today.month >= ROLLOVER_SEASON_STARTS else today.year - 1


def current_rollover(school_year: int) -> Rollover | None:
    return Rollover.objects.filter(school_year=school_year, undone_at__isnull=True).first()


def preview_rollover(today: date) -> RolloverPlan:
    top = grades.top_grade(settings.SHUXIANG_SCHOOL_TYPE)
    on_roll = Count("students", filter=Q(students__status__in=GRADUATING_STATUSES))
    classes = SchoolClass.objects.filter(graduated_on__isnull=True).annotate(n=on_roll)
    moves: list[ClassMove] = []
    graduating: list[ClassMove] = []
    for c in classes.order_by("-grade", "number"):
        move = ClassMove(c.pk, c.grade, c.number, c.n)
        # A class above the top grade (the school type was changed) leaves as well.
        (graduating if c.grade >= top else moves).append(move)
    year = rollover_year(today)
    return RolloverPlan(
        school_year=year,
        top_grade=top,
        moves=moves,
        graduating=graduating,
        clearance=clearance_for(graduating_patrons([m.class_id for m in graduating])),
        previous=current_rollover(year),
        mid_year=today.month not in ROLLOVER_SEASON,
    )


def graduating_patrons(class_ids: list[int]) -> QuerySet[Patron]:
    return Patron.objects.filter(
        school_class_id__in=class_ids, type=Patron.Type.STUDENT, status__in=GRADUATING_STATUSES
    )


def clearance_for(patrons: QuerySet[Patron]) -> list[Clearance]:
    """Who among these patrons still has books out or compensation due, with what they owe."""
    owing: dict[int, Clearance] = {}

    def line(row: dict[str, Any]) -> Clearance:
        if row["pk"] not in owing:
            owing[row["pk"]] = Clearance(
                row["pk"], row["name"], row["card_number"], row["student_number"], _label(row)
            )
        return owing[row["pk"]]

    who = ["pk", "name", "card_number", "student_number"]
    who += ["school_class__grade", "school_class__number", "school_class__graduated_on"]
    # loans__isnull=False: without it "returned_at IS NULL" also matches a patron with no loans.
    open_loans = patrons.filter(loans__isnull=False, loans__returned_at__isnull=True)
    books = open_loans.values(
        *who, "loans__item__barcode", "loans__item__record__title", "loans__due_on"
    )
    for row in books.order_by("loans__due_on", "loans__item__barcode"):
        line(row).books.append(
            BookOut(
                row["loans__item__barcode"], row["loans__item__record__title"], row["loans__due_on"]
            )
        )
    balance = Sum(F("fines__amount") - F("fines__paid"))
    for row in patrons.filter(fines__status="open").values(*who).annotate(due=balance):
        line(row).money_due = row["due"] or Decimal("0")
    return sorted(
        owing.values(), key=lambda c: (c.class_label, c.student_number, c.name, c.patron_id)
    )


def graduates_of(rollover: Rollover) -> QuerySet[Patron]:
    ids = [pk for ids in rollover.changes.get("patrons", {}).values() for pk in ids]
    return Patron.objects.filter(pk__in=ids)


def clearance_after(rollover: Rollover) -> list[Clearance]:
    """The 离校清还 list of a rollover that ran: shrinks as the graduates settle up."""
    return clearance_for(graduates_of(rollover))


def graduated_classes(rollover: Rollover) -> QuerySet[SchoolClass]:
    on_roll = Count("students", filter=Q(students__in=graduates_of(rollover)))
    ids = rollover.changes.get("graduated_classes", [])
    return SchoolClass.objects.filter(pk__in=ids).annotate(graduates=on_roll)


def _label(row: dict[str, Any]) -> str:
    """As SchoolClass.label: 六年级(1)班, or 六年级(1)班（2026届） once it has graduated."""
    grade, number = row["school_class__grade"], row["school_class__number"]
    if not grade:
        return ""
    graduated = row["school_class__graduated_on"]
    label = grades.class_label(grade, number)
    return f"{label}（{graduated.year}届）" if graduated else label


@transaction.atomic
def run_rollover(*, by: User | None, today: date, via: str = "web") -> Rollover:
    # Lock the current classes first: a second librarian pressing the button at the same
    # moment waits here, then finds this rollover below and is refused.
    list(SchoolClass.objects.select_for_update().filter(graduated_on__isnull=True).order_by("pk"))
    plan = preview_rollover(today)
    if plan.previous is not None:
        raise RolloverError(
            _(
                "The classes have already moved up for the school year %(year)s "
                "(on %(day)s). Undo that rollover first if it was a mistake."
            )
            % {"year": _year_label(plan.school_year), "day": _day(plan.previous)}
        )
    if plan.is_empty:
        raise RolloverError(_("There are no current classes: nothing to move up."))
    graduated_ids = [m.class_id for m in plan.graduating]
    statuses = _graduate_patrons(graduated_ids)
    SchoolClass.objects.filter(pk__in=graduated_ids).update(graduated_on=today)
    # One grade at a time, highest first, so that 五年级(1)班 becomes 六年级(1)班 only after
    # the old 六年级(1)班 has left: the one-current-class-per-grade rule never breaks.
    for grade in sorted({m.grade for m in plan.moves}, reverse=True):
        ids = [m.class_id for m in plan.moves if m.grade == grade]
        SchoolClass.objects.filter(pk__in=ids).update(grade=grade + 1)
    rollover = Rollover.objects.create(
        school_year=plan.school_year,
        run_by=by,
        summary=_summary(plan),
        changes={
            "moved": {str(m.class_id): m.grade for m in plan.moves},
            "graduated_classes": graduated_ids,
            "patrons": statuses,
        },
    )
    AuditLog.record("rollover.run", by=by, target=rollover, via=via, **rollover.summary)
    return rollover


def _graduate_patrons(class_ids: list[int]) -> dict[str, list[int]]:
    """Mark the leaving students graduated; returns their ids grouped by former status."""
    leaving = graduating_patrons(class_ids)
    statuses: dict[str, list[int]] = defaultdict(list)
    for pk, status in leaving.values_list("pk", "status").order_by("pk"):
        statuses[status].append(pk)
    leaving.update(status=Patron.Status.GRADUATED, updated_at=timezone.now())
    return dict(statuses)


def _summary(plan: RolloverPlan) -> dict[str, Any]:
    return {
        "classes_moved": len(plan.moves),
        "students_moved": plan.students_moving,
        "classes_graduated": len(plan.graduating),
        "patrons_graduated": plan.students_graduating,
        "clearance": len(plan.clearance),
        "books_out": plan.books_out,
        "money_due": str(plan.money_due),
        "top_grade": plan.top_grade,
    }


@transaction.atomic
def undo_rollover(
    rollover: Rollover, *, by: User | None, today: date, via: str = "web"
) -> Rollover:
    """Put everything back as it was before the rollover: grades, graduations, statuses."""
    rollover = Rollover.objects.select_for_update().get(pk=rollover.pk)
    _check_undoable(rollover, today)
    changes = rollover.changes
    moved = {int(pk): grade for pk, grade in changes["moved"].items()}
    graduated_ids = [int(pk) for pk in changes["graduated_classes"]]
    _check_no_class_in_the_way(moved, graduated_ids)
    # Lowest grade first: 二年级(1)班 goes back to 一年级 before 三年级(1)班 goes back to 二年级.
    for grade in sorted(set(moved.values())):
        ids = [pk for pk, old in moved.items() if old == grade]
        SchoolClass.objects.filter(pk__in=ids).update(grade=grade)
    SchoolClass.objects.filter(pk__in=graduated_ids).update(graduated_on=None)
    restored = 0
    for status, ids in changes["patrons"].items():
        # Only patrons the rollover graduated and no one has changed since.
        restored += Patron.objects.filter(pk__in=ids, status=Patron.Status.GRADUATED).update(
            status=status, updated_at=timezone.now()
        )
    rollover.undone_at = timezone.now()
    rollover.undone_by = by
    rollover.save(update_fields=["undone_at", "undone_by"])
    AuditLog.record(
        "rollover.undone",
        by=by,
        target=rollover,
        via=via,
        classes=len(moved) + len(graduated_ids),
        patrons_restored=restored,
    )
    return rollover


def can_undo(rollover: Rollover, today: date) -> bool:
    try:
        _check_undoable(rollover, today)
    except RolloverError:
        return False
    return True


def _check_undoable(rollover: Rollover, today: date) -> None:
    if rollover.undone_at is not None:
        raise RolloverError(_("This rollover has already been undone."))
    if timezone.localdate(rollover.run_at) != today:
        raise RolloverError(
            _("A rollover can only be undone on the day it ran (this one ran on %(day)s).")
            % {"day": _day(rollover)}
        )
    latest = Rollover.objects.order_by("-run_at", "-pk").first()
    if latest is not None and latest.pk != rollover.pk:
        raise RolloverError(_("Only the latest rollover can be undone."))


def _check_no_class_in_the_way(moved: dict[int, int], graduated_ids: list[int]) -> None:
    """Refuse when a class created since the rollover holds a place a class must go back to."""
    returning = set(moved) | set(graduated_ids)
    rows = SchoolClass.objects.filter(pk__in=returning).values_list("pk", "grade", "number")
    wanted = {(moved.get(pk, grade), number) for pk, grade, number in rows}
    others = SchoolClass.objects.filter(graduated_on__isnull=True).exclude(pk__in=returning)
    for grade, number in others.values_list("grade", "number"):
        if (grade, number) in wanted:
            raise RolloverError(
                _(
                    "%(class)s was created after the rollover and stands where a class must "
                    "go back to. Move its students and delete it first."
                )
                % {"class": grades.class_label(grade, number)}
            )


def _day(rollover: Rollover) -> str:
    return timezone.localtime(rollover.run_at).strftime("%Y-%m-%d")


def _year_label(school_year: int) -> str:
    return f"{school_year}—{school_year + 1}"
