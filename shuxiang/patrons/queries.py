"""Read-only patron queries: the patron list's search and filters, a patron's loans and dues.

Loans and fines are reached through the patron's reverse relations (``patron.loans``,
``patron.fines``), so that this app does not import circulation, which sits to its right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from shuxiang.lib import barcodes
from shuxiang.lib.text import clean
from shuxiang.patrons.models import Patron, RetiredCard

if TYPE_CHECKING:
    from shuxiang.circulation.models import Fine, Loan

MAX_QUERY = 100


def normalise_query(text: str) -> str:
    """What was typed in the search box: half-width, single spaces, trimmed, bounded."""
    return clean(text or "")[:MAX_QUERY]


def search_patrons(patrons: QuerySet[Patron], q: str) -> QuerySet[Patron]:
    """Match a name (any part), a card number, a 学号 or 工号 (from the start).

    A replaced card's old number finds its patron too: a librarian holding an old card wants
    to know whose it was.
    """
    q = normalise_query(q)
    if not q:
        return patrons
    code = barcodes.normalize(q)
    match = Q(name__icontains=q)
    if code:
        match |= (
            Q(card_number__istartswith=code)
            | Q(student_number__istartswith=code)
            | Q(staff_number__istartswith=code)
            | Q(pk__in=RetiredCard.objects.filter(number=code).values("patron_id"))
        )
    return patrons.filter(match)


def filter_patrons(
    patrons: QuerySet[Patron],
    *,
    type: str = "",
    status: str = "",
    class_id: int | None = None,
) -> QuerySet[Patron]:
    if type in Patron.Type.values:
        patrons = patrons.filter(type=type)
    if status in Patron.Status.values:
        patrons = patrons.filter(status=status)
    if class_id is not None:
        patrons = patrons.filter(school_class_id=class_id)
    return patrons


def patron_rows(patrons: QuerySet[Patron]) -> QuerySet[Patron]:
    """The list's rows in one query: class and the number of books out, students by class
    first, then teachers and staff."""
    return (
        patrons.select_related("school_class")
        .annotate(books_out=Count("loans", filter=Q(loans__returned_at__isnull=True)))
        .order_by(
            F("school_class__grade").asc(nulls_last=True),
            F("school_class__number").asc(nulls_last=True),
            "type",
            "student_number",
            "staff_number",
            "name",
            "pk",
        )
    )


@dataclass(frozen=True)
class LoanRow:
    loan: Loan
    overdue_days: int


def current_loans(patron: Patron, *, today: date) -> list[LoanRow]:
    """Books out now, soonest due first, with how many days each is overdue (0 if not)."""
    loans = patron.loans.filter(returned_at__isnull=True).select_related("item__record")
    return [
        LoanRow(loan, max(0, (today - loan.due_on).days)) for loan in loans.order_by("due_on", "pk")
    ]


def loan_history(patron: Patron) -> QuerySet[Loan]:
    """Returned loans, the latest first."""
    return (
        patron.loans.filter(returned_at__isnull=False)
        .select_related("item__record")
        .order_by("-returned_at", "-pk")
    )


def outstanding_fines(patron: Patron) -> QuerySet[Fine]:
    return patron.fines.outstanding().select_related("item__record").order_by("created_at", "pk")


def money_due(fines: Iterable[Fine]) -> Decimal:
    """What is still owed over these fines (amount − paid)."""
    return sum((fine.balance for fine in fines), start=Decimal("0"))


def category_label(category: str) -> str:
    """The loan-rule category in the librarian's words."""
    labels = {
        "student_lower": _("Student, grades 1–2"),
        "student_middle": _("Student, grades 3–4"),
        "student_upper": _("Student, grades 5–6"),
        "student_junior": _("Student, junior middle school"),
        "student_senior": _("Student, senior middle school"),
        "student": _("Student without a class"),
        "teacher": _("Teacher"),
        "staff": _("Staff"),
    }
    return labels.get(category, category)
