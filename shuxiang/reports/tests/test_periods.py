"""Periods: terms from the calendar (or the usual one), school years, months, weeks, ranges."""

from __future__ import annotations

from datetime import date

from django.test import TestCase

from shuxiang.circulation.models import Term
from shuxiang.reports import periods


class PeriodTest(TestCase):
    def test_it_takes_the_term_from_the_school_calendar(self) -> None:
        Term.objects.create(
            name="2026秋季学期", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 20)
        )
        term = periods.term_of(date(2026, 11, 20))
        self.assertEqual(
            (term.start, term.end, term.label),
            (date(2026, 9, 1), date(2027, 1, 20), "2026秋季学期"),
        )

    def test_it_gives_the_term_just_ended_in_the_holidays(self) -> None:
        Term.objects.create(name="春", starts_on=date(2027, 2, 20), ends_on=date(2027, 7, 10))
        self.assertEqual(periods.term_of(date(2027, 8, 15)).label, "春")

    def test_it_falls_back_to_the_usual_calendar_without_terms(self) -> None:
        term = periods.term_of(date(2026, 11, 20))
        self.assertEqual(
            (term.start, term.end, term.label),
            (date(2026, 8, 1), date(2027, 1, 31), "2026—2027学年第一学期"),
        )
        self.assertEqual(term.previous().label, "2025—2026学年第二学期")

    def test_it_finds_the_previous_calendar_term_across_the_holidays(self) -> None:
        Term.objects.create(name="春", starts_on=date(2027, 2, 20), ends_on=date(2027, 7, 10))
        Term.objects.create(name="秋", starts_on=date(2027, 9, 1), ends_on=date(2028, 1, 20))
        self.assertEqual(periods.term_of(date(2027, 10, 1)).previous().label, "春")

    def test_it_runs_a_school_year_from_august_to_july(self) -> None:
        year = periods.school_year_of(date(2027, 3, 5))
        self.assertEqual(
            (year.start, year.end, year.label),
            (date(2026, 8, 1), date(2027, 7, 31), "2026—2027学年"),
        )
        self.assertEqual(year.previous().label, "2025—2026学年")

    def test_it_gives_whole_months(self) -> None:
        month = periods.month_of(date(2027, 2, 14))
        self.assertEqual(
            (month.start, month.end, month.label),
            (date(2027, 2, 1), date(2027, 2, 28), "2027年2月"),
        )
        self.assertEqual(periods.month_of(date(2027, 1, 3)).previous().label, "2026年12月")

    def test_it_gives_weeks_from_monday_to_sunday(self) -> None:
        week = periods.week_of(date(2026, 11, 19))
        self.assertEqual((week.start, week.end), (date(2026, 11, 16), date(2026, 11, 22)))
        self.assertEqual(week.label, "2026年11月16日—22日")
        self.assertEqual(periods.week_of(date(2026, 12, 2)).label, "2026年11月30日—12月6日")
        self.assertEqual(periods.week_of(date(2026, 12, 30)).label, "2026年12月28日—2027年1月3日")
        self.assertEqual(week.previous().start, date(2026, 11, 9))

    def test_it_takes_the_same_number_of_days_before_a_range(self) -> None:
        span = periods.between(date(2026, 11, 10), date(2026, 11, 19))
        before = span.previous()
        self.assertEqual((before.start, before.end), (date(2026, 10, 31), date(2026, 11, 9)))
        self.assertEqual(span.label, "2026年11月10日—19日")

    def test_it_refuses_a_range_that_ends_before_it_starts(self) -> None:
        with self.assertRaisesMessage(ValueError, "结束日期 2026-11-01 早于开始日期 2026-11-10"):
            periods.between(date(2026, 11, 10), date(2026, 11, 1))
