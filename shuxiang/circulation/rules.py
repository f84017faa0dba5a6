"""Pure circulation decisions: which loan rule applies, when a book is due, whether a class
may borrow now, what a lost book costs. No database access: the callers pass the snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuxiang.circulation.config import Calendar, Slot
from shuxiang.circulation.models import LoanRule
from shuxiang.lib import grades

CATEGORY_LABELS: dict[str, StrPromise] = {
    "": gettext_lazy("Any patron"),
    "student": gettext_lazy("Any student"),
    "student_lower": gettext_lazy("Students, grades 1–2"),
    "student_middle": gettext_lazy("Students, grades 3–4"),
    "student_upper": gettext_lazy("Students, grades 5–6"),
    "student_junior": gettext_lazy("Students, junior middle school"),
    "student_senior": gettext_lazy("Students, senior middle school"),
    "teacher": gettext_lazy("Teachers"),
    "staff": gettext_lazy("Staff"),
}
CATEGORY_CHOICES = list(CATEGORY_LABELS.items())
assert set(CATEGORY_LABELS) >= {f"student_{band}" for band in grades.GradeBand}


def rule_for(
    rules: Iterable[LoanRule], category: str, item_type: str, location_id: int
) -> LoanRule | None:
    """The most specific rule matching this patron category, item type and location."""
    matching = [r for r in rules if r.matches(category, item_type, location_id)]
    if not matching:
        return None
    return max(matching, key=lambda r: r.specificity(category))


def describe(rule: LoanRule) -> str:
    """规则：学生（三、四年级）× 普通图书 × 任何地点 — 最多 2 册，14 天，可续借 1 次."""
    from shuxiang.catalog.models import Item

    who = str(CATEGORY_LABELS.get(rule.patron_category, rule.patron_category))
    what = Item.ItemType(rule.item_type).label if rule.item_type else _("any item type")
    where = rule.location.name if rule.location_id and rule.location else _("any location")
    if rule.max_loans == 0:
        terms = _("not for loan")
    elif rule.room_only:
        terms = _("in-room use only, back the same day, at most %(n)d at a time") % {
            "n": rule.max_loans
        }
    else:
        terms = _("at most %(n)d, %(days)d days, %(renewals)d renewal(s)") % {
            "n": rule.max_loans,
            "days": rule.loan_days,
            "renewals": rule.renewals,
        }
    return f"{who} × {what} × {where}：{terms}"


def due_on(today: date, rule: LoanRule, calendar: Calendar, *, student: bool) -> date:
    """The due date: loan days on, moved to the next open day; for a student never past the
    last open day of the term (期末清还). In-room use is due the same day."""
    if rule.room_only:
        return today
    due = calendar.next_open_day(today + timedelta(days=rule.loan_days))
    term = calendar.term_on(today)
    if student and term is not None and due > term[1]:
        due = calendar.previous_open_day(term[1], not_before=today)
    return due


def class_may_borrow_now(slots: Iterable[Slot], class_id: int | None, now: datetime) -> bool:
    """True when the class has a lending slot now, or when no rotation is set up yet."""
    slots = list(slots)
    # No rotation yet (slots without classes): nobody is outside their turn.
    if class_id is None or not any(s.class_ids for s in slots):
        return True
    clock = now.time()
    return any(
        s.weekday == now.weekday() and s.starts <= clock <= s.ends and class_id in s.class_ids
        for s in slots
    )


def class_slots(slots: Iterable[Slot], class_id: int) -> list[Slot]:
    return [s for s in slots if class_id in s.class_ids]


def compensation(
    price: Decimal | None, item_type: str, rates: dict[str, tuple[str, str]]
) -> Decimal:
    """price × factor for the item type, at least the minimum (照价赔偿 when no rate is set)."""
    factor, minimum = rates.get(item_type, ("1", "0"))
    amount = (price or Decimal("0")) * Decimal(factor)
    amount = max(amount, Decimal(minimum))
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def overdue_days(due: date, today: date) -> int:
    return max(0, (today - due).days)
