"""The series the charts draw (图表数据): loans week by week, and the collection's make-up.

The term figures (figures.py) are totals; a chart needs the same counts spread over time or
over the classification. Both the ECharts on the report pages and the pictures in the Word
summary draw from here, so the page and the document always show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import Substr, Upper
from django.utils import timezone

from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import Patron
from shuxiang.reports import compliance, figures
from shuxiang.reports.periods import Period


@dataclass(frozen=True)
class Week:
    monday: date
    loans: int  # regular loans checked out that week (inside the period)
    reading_room_uses: int

    @property
    def label(self) -> str:
        return f"{self.monday.month}月{self.monday.day}日"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def loans_per_week(period: Period, school_class: int | None = None) -> list[Week]:
    """Each week (Monday to Sunday) that overlaps the period, with its loans in the period.

    Counted per day in the database (a year is at most 366 rows) and folded into weeks here;
    a week with no loans is listed with 0 so that the line shows the holiday; the weeks after
    today are left out while the period is still running. Given a class
    (its id), only its pupils' loans: the class on the loan row, as the class table counts.
    """
    loans = Loan.objects.between(period.start, period.end).filter(
        kind__in=[Loan.Kind.REGULAR, Loan.Kind.IN_ROOM]
    )
    if school_class is not None:
        loans = loans.filter(school_class=school_class, patron_type=Patron.Type.STUDENT)
    rows = loans.values("checked_out_on", "kind").annotate(n=Count("id")).order_by()
    regular: dict[date, int] = defaultdict(int)
    in_room: dict[date, int] = defaultdict(int)
    for row in rows:
        target = regular if row["kind"] == Loan.Kind.REGULAR else in_room
        target[_monday(row["checked_out_on"])] += row["n"]
    weeks: list[Week] = []
    monday = _monday(period.start)
    last = min(period.end, timezone.localdate())  # a term still running: no empty weeks ahead
    while monday <= last or not weeks:
        weeks.append(Week(monday, regular.get(monday, 0), in_room.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Shelf:
    code: str  # the 中图法 main class (T-style two letters for T and DF), or 未分类
    name: str
    items: int


def collection_by_main_class() -> list[Shelf]:
    """Copies held today (not withdrawn, not lost) per 中图法 main class: 藏书结构."""
    rows = (
        compliance.collection()
        .annotate(head=Upper(Substr("record__class_number", 1, 2)))
        .values("head")
        .annotate(n=Count("id"))
        .order_by()
    )
    grouped = figures.by_main_class([(row["head"] or "", row["n"]) for row in rows])
    return [Shelf(g.code, g.name, g.loans) for g in grouped]
