"""Overdue books (超期): the lists a homeroom teacher chases, who is blocked from borrowing, and
the per-patron notices (催还单) that the daily `shuxiang overdue` run makes.

A notice row is made once per patron and day (the database refuses a second), so the daily run,
a second run and a librarian's "make them now" can overlap and still leave one notice each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import config, rules
from shuxiang.circulation.models import Loan, OverdueNotice
from shuxiang.circulation.services import Channel
from shuxiang.patrons.models import Patron, SchoolClass


@dataclass(frozen=True)
class OverdueLine:
    """One overdue book of one patron, as the list, the Excel sheet and the PDF show it."""

    loan: Loan
    patron: Patron
    days: int
    blocked: bool

    @property
    def class_label(self) -> str:
        return self.patron.school_class.label if self.patron.school_class else ""


def overdue_loans(today: date, school_class: SchoolClass | None = None) -> QuerySet[Loan]:
    """Open loans to patrons that were due before today, in class and student-number order.

    Corner loans (班级图书角) have no patron: the class answers for them on the corners page.
    The class is the patron's class now, the one whose teacher chases them.
    """
    loans = Loan.objects.overdue(on=today).filter(patron__isnull=False)
    if school_class is not None:
        loans = loans.filter(patron__school_class=school_class)
    return loans.select_related("patron__school_class", "item__record").order_by(
        "patron__school_class__grade",
        "patron__school_class__number",
        "patron__student_number",
        "patron__name",
        "patron_id",
        "due_on",
        "item__barcode",
    )


def block_days() -> int | None:
    """The policy's overdue block: more than this many days late and a patron may not borrow."""
    return config.snapshot().policy.overdue_block_days


def block_before(today: date) -> date | None:
    """Loans due before this day block their patron (services.patron_blocks' rule)."""
    days = block_days()
    return None if days is None else today - timedelta(days=days)


def overdue_lines(today: date, school_class: SchoolClass | None = None) -> list[OverdueLine]:
    limit = block_before(today)
    loans = list(overdue_loans(today, school_class))
    blocked = {loan.patron_id for loan in loans if limit is not None and loan.due_on < limit}
    return [
        OverdueLine(
            loan=loan,
            patron=loan.patron,
            days=rules.overdue_days(loan.due_on, today),
            blocked=loan.patron_id in blocked,
        )
        for loan in loans
        if loan.patron is not None
    ]


def blocked_patrons(lines: list[OverdueLine]) -> list[Patron]:
    """The patrons of these lines whom the overdue block keeps from borrowing, once each."""
    seen: dict[int, Patron] = {}
    for line in lines:
        if line.blocked:
            seen.setdefault(line.patron.pk, line.patron)
    return list(seen.values())


@dataclass(frozen=True)
class ClassCount:
    school_class: SchoolClass | None  # None: teachers and staff, who have no class
    books: int
    patrons: int


def overdue_by_class(today: date) -> list[ClassCount]:
    """The whole school at a glance: overdue books and readers per class."""
    counts = (
        Loan.objects.overdue(on=today)
        .filter(patron__isnull=False)
        .values_list("patron__school_class")
        .annotate(books=Count("id"), patrons=Count("patron", distinct=True))
    )
    by_pk: dict[int | None, tuple[int, int]] = {
        pk: (books, patrons) for pk, books, patrons in counts
    }
    classes = SchoolClass.objects.in_bulk([pk for pk in by_pk if pk is not None])
    # Classes in grade order; teachers and staff (no class) last.
    result = [
        ClassCount(classes[pk], *by_pk[pk])
        for pk in sorted(classes, key=lambda pk: (classes[pk].grade, classes[pk].number))
    ]
    if None in by_pk:
        result.append(ClassCount(None, *by_pk[None]))
    return result


# ----------------------------------------------------------------------------- notices


@dataclass(frozen=True)
class NoticeRun:
    made: int  # new notices
    existing: int  # patrons who already had today's notice


def _notice_lines(lines: list[OverdueLine]) -> list[dict[str, object]]:
    return [
        {
            "loan": line.loan.pk,
            "barcode": line.loan.item.barcode,
            "title": line.loan.item.record.title,
            "due": line.loan.due_on.isoformat(),
            "days": line.days,
        }
        for line in lines
    ]


def make_overdue_notices(
    today: date, channel: Channel, school_class: SchoolClass | None = None
) -> NoticeRun:
    """Today's notice for every patron with an overdue book (of one class, or all)."""
    by_patron: dict[int, list[OverdueLine]] = {}
    for line in overdue_lines(today, school_class):
        by_patron.setdefault(line.patron.pk, []).append(line)
    with transaction.atomic():
        have = set(
            OverdueNotice.objects.filter(created_on=today, patron_id__in=by_patron).values_list(
                "patron_id", flat=True
            )
        )
        new = [
            OverdueNotice(
                patron=lines[0].patron,
                school_class=lines[0].patron.school_class,
                created_on=today,
                lines=_notice_lines(lines),
            )
            for pk, lines in by_patron.items()
            if pk not in have
        ]
        # ignore_conflicts: a run that started at the same moment may have made some already;
        # the unique constraint keeps one each. (Two overlapping runs may then both count a
        # notice in `made`: the count is a report, the rows are what matter.)
        before = OverdueNotice.objects.filter(created_on=today).count()
        OverdueNotice.objects.bulk_create(new, ignore_conflicts=True)
        made = OverdueNotice.objects.filter(created_on=today).count() - before
        if made:
            AuditLog.record(
                "overdue.notices_made",
                by=channel.by,
                target=school_class,
                via=channel.via,
                day=today.isoformat(),
                notices=made,
            )
    return NoticeRun(made=made, existing=len(by_patron) - made)


@dataclass
class Slip:
    """A notice ready to print: its patron and the books still out (returned since: dropped)."""

    notice: OverdueNotice
    lines: list[dict[str, object]]


def notices_for(today: date, school_class: SchoolClass | None = None) -> list[Slip]:
    """Today's notices (of one class, or all) with the books still not back."""
    notices = OverdueNotice.objects.filter(created_on=today).select_related("patron__school_class")
    if school_class is not None:
        notices = notices.filter(patron__school_class=school_class)
    notices = notices.order_by(
        "patron__school_class__grade",
        "patron__school_class__number",
        "patron__student_number",
        "patron__name",
    )
    rows = list(notices)
    loan_ids = {int(str(line["loan"])) for n in rows for line in n.lines}
    still_out = set(Loan.objects.open().filter(pk__in=loan_ids).values_list("pk", flat=True))
    slips = [Slip(n, [line for line in n.lines if line["loan"] in still_out]) for n in rows]
    return [slip for slip in slips if slip.lines]


def patrons_without_notice(today: date, school_class: SchoolClass | None = None) -> int:
    """Patrons overdue today who have no notice yet (the run has not been, or missed them)."""
    overdue = overdue_loans(today, school_class).order_by().values("patron_id").distinct()
    noticed = OverdueNotice.objects.filter(created_on=today).values("patron_id")
    return overdue.exclude(patron_id__in=noticed).count()


def mark_printed(slips: list[Slip], by: User | None) -> int:
    now = timezone.now()
    ids = [slip.notice.pk for slip in slips]
    count = OverdueNotice.objects.filter(pk__in=ids).update(printed_at=now)
    AuditLog.record("overdue.notices_printed", by=by, notices=ids)
    return count
