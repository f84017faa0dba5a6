"""What `shuxiang init` sets up for a primary school: loan rules, opening hours, this school
year's terms, the lending slots, compensation rates. Only what is missing is added, so a
library's own changes survive every `init`."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from shuxiang.catalog.models import Item, Location
from shuxiang.circulation.models import (
    CirculationPolicy,
    CompensationRate,
    LendingSlot,
    LoanRule,
    OpeningHours,
    Term,
)
from shuxiang.lib import terms

# category, item type, location code, max loans, days, renewals, holds, room only
RULES: list[tuple[str, str, str, int, int, int, bool, bool]] = [
    ("student", "", "", 2, 14, 1, True, False),
    ("teacher", "", "", 10, 60, 2, True, False),
    ("staff", "", "", 5, 30, 1, True, False),
    ("", "", "", 2, 14, 1, True, False),
    # 工具书 and reading-room copies: in the room, back the same day.
    ("student", Item.ItemType.REFERENCE, "", 2, 0, 0, False, True),
    ("teacher", Item.ItemType.REFERENCE, "", 3, 0, 0, False, True),
    ("staff", Item.ItemType.REFERENCE, "", 2, 0, 0, False, True),
    ("", "", "READING", 2, 0, 0, False, True),
    ("", "", "REFERENCE", 2, 0, 0, False, True),
    # Periodicals a week; teaching references are for teachers.
    ("student", Item.ItemType.PERIODICAL, "", 1, 7, 0, False, False),
    ("student", Item.ItemType.TEACHING, "", 0, 0, 0, False, False),
    ("", "", "TEACHERS", 0, 0, 0, False, False),
    ("teacher", "", "TEACHERS", 10, 60, 2, True, False),
]
WEEKDAY_HOURS = [(time(8, 0), time(16, 30))]  # Monday to Friday: 42.5 hours a week
SLOT = (time(11, 30), time(12, 30))
RATES = {
    Item.ItemType.GENERAL: (Decimal("1"), Decimal("5")),
    Item.ItemType.REFERENCE: (Decimal("1.5"), Decimal("10")),
    Item.ItemType.PERIODICAL: (Decimal("1"), Decimal("2")),
    Item.ItemType.AUDIO_VISUAL: (Decimal("1"), Decimal("10")),
    Item.ItemType.TEACHING: (Decimal("1"), Decimal("5")),
}


def ensure_defaults(today: date) -> list[str]:
    """Add the defaults that are missing; say what was added."""
    added: list[str] = []
    CirculationPolicy.current()
    if not LoanRule.objects.exists():
        locations = {loc.code: loc for loc in Location.objects.all()}
        for category, item_type, code, max_loans, days, renewals, holds, room in RULES:
            if code and code not in locations:
                continue
            LoanRule.objects.create(
                patron_category=category,
                item_type=item_type,
                location=locations.get(code) if code else None,
                max_loans=max_loans,
                loan_days=days,
                renewals=renewals,
                holds_allowed=holds,
                room_only=room,
            )
        added.append("借阅规则：学生 2 册 14 天，教师 10 册 60 天，工具书室内阅览")
    if not OpeningHours.objects.exists():
        for weekday in range(5):
            for opens, closes in WEEKDAY_HOURS:
                OpeningHours.objects.create(weekday=weekday, opens=opens, closes=closes)
        added.append("开放时间：周一至周五 8:00–16:30")
    if not Term.objects.exists():
        current = terms.term_of(today)
        following = terms.term_of(date.fromordinal(current.end.toordinal() + 1))
        for term in (current, following):
            Term.objects.create(name=term.label, starts_on=term.start, ends_on=term.end)
        added.append(f"学期：{current.label}、{following.label}")
    if not LendingSlot.objects.exists():
        for weekday in range(5):
            LendingSlot.objects.create(weekday=weekday, starts=SLOT[0], ends=SLOT[1])
        added.append("借还书时段：周一至周五 11:30–12:30（班级轮流表待生成）")
    for item_type, (factor, minimum) in RATES.items():
        CompensationRate.objects.get_or_create(
            item_type=item_type, defaults={"factor": factor, "minimum": minimum}
        )
    return added
