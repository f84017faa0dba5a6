from datetime import date

from django.test import SimpleTestCase

from shuxiang.lib.terms import school_year, term_of


class TermsTest(SimpleTestCase):
    def test_the_school_year_starts_in_august(self) -> None:
        self.assertEqual(school_year(date(2026, 9, 1)), 2026)
        self.assertEqual(school_year(date(2027, 3, 1)), 2026)
        self.assertEqual(school_year(date(2026, 7, 31)), 2025)

    def test_january_belongs_to_the_autumn_term(self) -> None:
        term = term_of(date(2027, 1, 15))
        self.assertEqual((term.school_year, term.number), (2026, 1))
        self.assertEqual(term.label, "2026—2027学年第一学期")

    def test_spring_term_runs_february_to_july(self) -> None:
        term = term_of(date(2027, 5, 1))
        self.assertEqual((term.start, term.end), (date(2027, 2, 1), date(2027, 7, 31)))
