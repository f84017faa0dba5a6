"""Periods (统计时段) the figures are counted over: a term, a school year, a month, a week, a range.

A period is whole days, both ends included. Terms come from the school calendar
(circulation.Term); before the librarian sets one, from the usual Chinese calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shuxiang.circulation.models import Term
from shuxiang.lib import terms

TERM = "term"
YEAR = "year"
MONTH = "month"
WEEK = "week"
RANGE = "range"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    kind: str = RANGE

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        before = self.start - timedelta(days=1)
        if self.kind == TERM:
            return term_of(before)
        if self.kind == YEAR:
            return school_year_of(before)
        if self.kind == MONTH:
            return month_of(before)
        if self.kind == WEEK:
            return week_of(before)
        return between(before - timedelta(days=self.days - 1), before)


def day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def range_label(start: date, end: date) -> str:
    """2026年11月16日—22日, 2026年11月30日—12月6日, 2026年12月28日—2027年1月3日."""
    if start == end:
        return day_label(start)
    if start.year != end.year:
        return f"{day_label(start)}—{day_label(end)}"
    if start.month != end.month:
        return f"{day_label(start)}—{end.month}月{end.day}日"
    return f"{day_label(start)}—{end.day}日"


def between(start: date, end: date) -> Period:
    if end < start:
        raise ValueError(f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
    return Period(start, end, range_label(start, end), RANGE)


def term_of(day: date) -> Period:
    """The calendar's term containing the day; in the holidays, the term just ended."""
    row = (
        Term.objects.filter(starts_on__lte=day, ends_on__gte=day).first()
        or Term.objects.filter(ends_on__lt=day).order_by("-ends_on").first()
    )
    if row is not None:
        return Period(row.starts_on, row.ends_on, row.name, TERM)
    fallback = terms.term_of(day)
    return Period(fallback.start, fallback.end, fallback.label, TERM)


def school_year_of(day: date) -> Period:
    """学年: 1 August to 31 July, as lib.terms counts it (August belongs to the year ahead)."""
    year = terms.school_year(day)
    return Period(date(year, 8, 1), date(year + 1, 7, 31), f"{year}—{year + 1}学年", YEAR)


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1), f"{day.year}年{day.month}月", MONTH)


def week_of(day: date) -> Period:
    """Monday to Sunday."""
    start = day - timedelta(days=day.weekday())
    end = start + timedelta(days=6)
    return Period(start, end, range_label(start, end), WEEK)
