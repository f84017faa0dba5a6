"""Read-only circulation queries shared by the pages: what each class book corner holds, the
holds queue and the hold shelf, and the reading-room books not yet back.

Nothing here changes a row; every state change goes through services.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet

from shuxiang.catalog.models import Item, Record
from shuxiang.circulation import config
from shuxiang.circulation.models import Hold, Loan
from shuxiang.lib.terms import term_of
from shuxiang.patrons.models import Patron, SchoolClass

CORNER = Loan.Kind.CLASS_CORNER
IN_ROOM = Loan.Kind.IN_ROOM


def term_span(today: date) -> tuple[date, date]:
    """This term's first and last day: the school's own calendar, else the usual dates."""
    term = config.snapshot().calendar.term_on(today)
    if term is not None:
        return term[0], term[1]
    usual = term_of(today)
    return usual.start, usual.end


# ----------------------------------------------------------------------------- class corners


@dataclass(frozen=True)
class CornerSummary:
    school_class: SchoolClass
    books: int  # held now
    since: date | None  # the oldest book's loan day
    due: date | None  # the first due date among them
    overdue: int  # held past their due date
    term_books: int  # lent to the corner this term, returned or not: the class's figure


def _figures(prefix: str, today: date) -> dict[str, Any]:
    """The CornerSummary figures as aggregates over a class's loans: prefix "loans__" to
    annotate classes, "" to aggregate one class's loans."""
    first, last = term_span(today)

    def where(**lookups: object) -> Q:
        return Q(**{prefix + key: value for key, value in lookups.items()})

    rows = prefix.removesuffix("__") or "id"
    held = where(kind=CORNER, returned_at__isnull=True)
    in_term = where(kind=CORNER, checked_out_on__gte=first, checked_out_on__lte=last)
    return {
        "books": Count(rows, filter=held),
        "since": Min(f"{prefix}checked_out_on", filter=held),
        "due": Min(f"{prefix}due_on", filter=held),
        "overdue": Count(rows, filter=held & where(due_on__lt=today)),
        "term_books": Count(rows, filter=in_term),
    }


def corner_overview(today: date, classes: QuerySet[SchoolClass]) -> list[CornerSummary]:
    """Each current class of `classes` with its corner's figures, in one query; a graduated
    class appears only while its corner still holds books (they must come back)."""
    holding = Loan.objects.open().filter(kind=CORNER).values("school_class_id")
    figures = _figures("loans__", today)
    rows = (
        classes.filter(Q(graduated_on__isnull=True) | Q(pk__in=holding))
        .select_related("homeroom_teacher")
        .annotate(**figures)
        .order_by(F("graduated_on").asc(nulls_first=True), "grade", "number", "pk")
    )
    return [CornerSummary(c, **{name: getattr(c, name) for name in figures}) for c in rows]


def corner_summary(school_class: SchoolClass, today: date) -> CornerSummary:
    """One class's corner figures, in one query."""
    figures = Loan.objects.filter(school_class=school_class).aggregate(**_figures("", today))
    return CornerSummary(school_class, **figures)


def corner_loans(school_class: SchoolClass) -> QuerySet[Loan]:
    """The books a class's corner holds now, in the order they were lent."""
    return (
        Loan.objects.open()
        .filter(kind=CORNER, school_class=school_class)
        .select_related("item__record")
        .order_by("checked_out_at", "pk")
    )


def open_loan_of(item: Item) -> Loan | None:
    return Loan.objects.open().filter(item=item).select_related("school_class").first()


# ----------------------------------------------------------------------------- holds


def hold_position(hold: Hold) -> int:
    """1 for the first reader waiting for the title, 2 for the next …"""
    earlier = Q(placed_at__lt=hold.placed_at) | Q(placed_at=hold.placed_at, pk__lt=hold.pk)
    waiting = Hold.objects.filter(record_id=hold.record_id, status=Hold.Status.WAITING)
    return waiting.filter(earlier).count() + 1


@dataclass
class WaitingTitle:
    record: Record
    holds: list[Hold] = field(default_factory=list)  # in queue order, each with .position
    expected: date | None = None  # the first due date among its copies out


def waiting_holds() -> list[WaitingTitle]:
    """Titles readers are waiting for, by title, each with its queue in order."""
    holds = (
        Hold.objects.filter(status=Hold.Status.WAITING)
        .select_related("record", "patron__school_class")
        .order_by("record__title", "record_id", "placed_at", "pk")
    )
    titles: dict[int, WaitingTitle] = {}
    for hold in holds:
        title = titles.setdefault(hold.record_id, WaitingTitle(hold.record))
        title.holds.append(hold)
        hold.position = len(title.holds)  # type: ignore[attr-defined]
    due = (
        Loan.objects.open()
        .filter(item__record_id__in=list(titles))
        .values("item__record_id")
        .annotate(first_due=Min("due_on"))
    )
    for row in due:
        titles[row["item__record_id"]].expected = row["first_due"]
    return list(titles.values())


def hold_shelf() -> QuerySet[Hold]:
    """The hold shelf: copies kept for their readers, the first to expire first."""
    return (
        Hold.objects.filter(status=Hold.Status.READY)
        .select_related("record", "item", "patron__school_class")
        .order_by("expires_on", "ready_at", "pk")
    )


def active_hold(patron: Patron, record: Record) -> Hold | None:
    """The reader's waiting or ready hold on this title, with .position when waiting."""
    hold = Hold.objects.active().filter(patron=patron, record=record).select_related("item").first()
    if hold is not None and hold.status == Hold.Status.WAITING:
        hold.position = hold_position(hold)  # type: ignore[attr-defined]
    return hold


def free_on_shelf(record: Record) -> bool:
    """A copy stands on the shelf that anyone may borrow now (not kept for a hold, not
    room-only): then there is nothing to hold."""
    return (
        record.items.filter(
            status=Item.Status.ON_SHELF, location__lends=True, location__room_only=False
        )
        .exclude(holds__status=Hold.Status.READY)
        .exists()
    )


def on_loan_to(patron: Patron, record: Record) -> bool:
    return Loan.objects.open().filter(patron=patron, item__record=record).exists()


def lent_copies(record: Record) -> bool:
    """Some copy of the title goes home with readers (so a hold on it can be filled)."""
    return record.items.filter(
        status__in=[Item.Status.ON_SHELF, Item.Status.ON_LOAN],
        location__lends=True,
        location__room_only=False,
    ).exists()


# ----------------------------------------------------------------------------- reading room


def room_loans_not_back() -> QuerySet[Loan]:
    """Reading-room uses (工具书 and in-room copies) still open, the oldest first."""
    return (
        Loan.objects.open()
        .filter(kind=IN_ROOM)
        .select_related("item__record", "item__location", "patron__school_class")
        .order_by("checked_out_at", "pk")
    )


def room_uses_on(day: date) -> int:
    """Reading-room uses begun that day (a use undone at the desk has no row left)."""
    return Loan.objects.filter(kind=IN_ROOM, checked_out_on=day).count()
