from __future__ import annotations

from datetime import date

from shuxiang.circulation import config, rules, services
from shuxiang.circulation.models import ClosedDay, LoanRule, OpeningHours, Term
from shuxiang.circulation.tests.service_case import ServiceTestCase, at


class CalendarTests(ServiceTestCase):
    """Open Monday to Friday inside the terms 2026-08-01 – 2027-01-31 and 2027-02-01 – 07-31."""

    def test_weekends_closed_days_and_days_outside_the_terms_are_closed(self) -> None:
        ClosedDay.objects.create(date=date(2027, 1, 1), reason="元旦")
        calendar = config.snapshot().calendar
        self.assertTrue(calendar.is_open(date(2026, 11, 23)))
        self.assertFalse(calendar.is_open(date(2026, 11, 28)))  # Saturday
        self.assertFalse(calendar.is_open(date(2027, 1, 1)))
        self.assertFalse(calendar.is_open(date(2027, 8, 2)))  # a Monday after the last term
        self.assertEqual(calendar.next_open_day(date(2026, 12, 31)), date(2026, 12, 31))
        self.assertEqual(calendar.next_open_day(date(2027, 1, 1)), date(2027, 1, 4))
        self.assertEqual(
            calendar.previous_open_day(date(2027, 1, 31), not_before=date(2027, 1, 1)),
            date(2027, 1, 29),
        )

    def test_it_knows_the_term_of_a_day_and_the_hours_of_a_week(self) -> None:
        calendar = config.snapshot().calendar
        term = calendar.term_on(date(2026, 11, 23))
        self.assertEqual(term[:2] if term else None, (date(2026, 8, 1), date(2027, 1, 31)))
        self.assertIsNone(calendar.term_on(date(2027, 8, 1)))
        self.assertEqual(calendar.weekly_hours(), 42.5)


class DueDateTests(ServiceTestCase):
    def due(self, card: str, barcode: str, day: str) -> date:
        return services.check_out(card, barcode, self.desk, now=at(day)).loan.due_on

    def test_a_due_date_on_a_closed_day_moves_to_the_next_open_day(self) -> None:
        ClosedDay.objects.create(date=date(2026, 12, 7), reason="运动会")
        ClosedDay.objects.create(date=date(2026, 12, 8), reason="运动会")
        self.assertEqual(self.due("P0001", "T0001", "2026-11-23"), date(2026, 12, 9))

    def test_a_due_date_on_a_weekend_moves_to_monday(self) -> None:
        LoanRule.objects.filter(patron_category="student", item_type="").update(loan_days=12)
        self.assertEqual(
            self.due("P0001", "T0001", "2026-11-23"), date(2026, 12, 7)
        )  # not Sat 12-05

    def test_a_students_due_date_never_passes_the_last_open_day_of_term(self) -> None:
        # 2027-01-20 + 14 days is 02-03; the term ends on Sunday 01-31: due Friday 01-29.
        self.assertEqual(self.due("P0001", "T0001", "2027-01-20"), date(2027, 1, 29))

    def test_teachers_are_not_held_to_the_end_of_term(self) -> None:
        # 2027-01-20 + 60 days is Sunday 03-21: due on Monday.
        self.assertEqual(self.due("P0002", "T0001", "2027-01-20"), date(2027, 3, 22))

    def test_in_room_use_is_due_the_same_day(self) -> None:
        self.assertEqual(self.due("P0001", "D0001", "2026-11-27"), date(2026, 11, 27))
        self.assertEqual(self.due("P0002", "D0002", "2026-11-27"), date(2026, 11, 27))

    def test_the_holidays_between_terms_are_closed(self) -> None:
        # The school's real terms: winter holiday from 01-23 to 02-21.
        Term.objects.filter(starts_on=date(2026, 8, 1)).update(ends_on=date(2027, 1, 22))
        Term.objects.filter(starts_on=date(2027, 2, 1)).update(starts_on=date(2027, 2, 22))
        LoanRule.objects.filter(patron_category="teacher", item_type="", location=None).update(
            loan_days=20
        )
        config.invalidate()
        # 2027-01-15 + 20 days is 02-04, in the holiday: due on the first day of the new term.
        self.assertEqual(self.due("P0002", "T0001", "2027-01-15"), date(2027, 2, 22))
        self.assertEqual(self.due("P0001", "T0002", "2027-01-15"), date(2027, 1, 22))

    def test_with_no_opening_days_at_all_the_date_stands(self) -> None:
        OpeningHours.objects.all().delete()
        calendar = config.snapshot().calendar
        rule = LoanRule.objects.get(patron_category="teacher", item_type="", location=None)
        self.assertEqual(
            rules.due_on(date(2026, 11, 23), rule, calendar, student=False), date(2027, 1, 22)
        )
