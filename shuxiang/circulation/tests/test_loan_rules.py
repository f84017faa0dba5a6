from __future__ import annotations

from shuxiang.catalog.models import Location
from shuxiang.circulation import config, rules, services
from shuxiang.circulation.errors import LimitReached, NotForLoan
from shuxiang.circulation.models import CirculationEvent, Loan, LoanRule
from shuxiang.circulation.tests.service_case import ServiceTestCase


class RulePrecedenceTests(ServiceTestCase):
    """The most specific rule wins: a location beats a patron category, which beats an item
    type; an exact grade band beats "any student", which beats any patron."""

    def rule(self, **fields: object) -> LoanRule:
        values = {"max_loans": 1, "loan_days": 7} | fields
        return LoanRule.objects.create(**values)

    def chosen(
        self, category: str, item_type: str = "general", location: Location | None = None
    ) -> LoanRule | None:
        snapshot = config.snapshot()
        return rules.rule_for(snapshot.rules, category, item_type, (location or self.stacks).pk)

    def test_an_exact_grade_band_beats_any_student_which_beats_any_patron(self) -> None:
        band = self.rule(patron_category="student_upper", max_loans=3)
        any_student = LoanRule.objects.get(patron_category="student", item_type="", location=None)
        anyone = LoanRule.objects.get(patron_category="", item_type="", location=None)
        self.assertEqual(self.chosen("student_upper"), band)
        self.assertEqual(self.chosen("student_lower"), any_student)
        self.assertEqual(self.chosen("student"), any_student)  # a pupil without a class
        self.assertEqual(self.chosen("visitor"), anyone)

    def test_a_category_beats_an_item_type(self) -> None:
        by_type = self.rule(patron_category="", item_type="audio_visual", max_loans=1)
        self.assertEqual(self.chosen("teacher", "audio_visual").patron_category, "teacher")  # type: ignore[union-attr]
        self.assertEqual(self.chosen("staff", "audio_visual").patron_category, "staff")  # type: ignore[union-attr]
        self.assertEqual(self.chosen("visitor", "audio_visual"), by_type)

    def test_with_the_same_category_an_item_type_beats_any_type(self) -> None:
        periodical = LoanRule.objects.get(patron_category="student", item_type="periodical")
        self.assertEqual(self.chosen("student_upper", "periodical"), periodical)

    def test_a_location_beats_everything_else(self) -> None:
        corner = Location.objects.create(code="CORNER-STORE", name="图书角书库")
        at_location = self.rule(location=corner, max_loans=5, loan_days=30)
        self.rule(patron_category="student_upper", item_type="general", max_loans=4)
        self.assertEqual(self.chosen("student_upper", "general", corner), at_location)

    def test_within_a_location_the_category_still_counts(self) -> None:
        teachers_rule = LoanRule.objects.get(patron_category="teacher", location=self.teachers_room)
        nobody = LoanRule.objects.get(patron_category="", location=self.teachers_room)
        self.assertEqual(self.chosen("teacher", "general", self.teachers_room), teachers_rule)
        self.assertEqual(self.chosen("student_upper", "general", self.teachers_room), nobody)

    def test_no_matching_rule_means_not_for_loan(self) -> None:
        LoanRule.objects.all().delete()
        self.assertIsNone(self.chosen("student_upper"))
        message = "这本书不外借给该读者"
        self.refused(NotForLoan, message, services.check_out, "P0001", "T0001", self.desk)


class RuleOnTheLoanTests(ServiceTestCase):
    def test_the_rule_applied_is_kept_on_the_loan_and_said_in_chinese(self) -> None:
        result = services.check_out("P0001", "T0001", self.desk)
        rule = LoanRule.objects.get(patron_category="student", item_type="", location=None)
        self.assertEqual((result.rule, Loan.objects.get().rule), (rule, rule))
        event = CirculationEvent.objects.get(action="checkout")
        self.assertEqual(event.detail["rule"], rule.pk)
        self.assertEqual(
            event.detail["rule_text"],
            "学生 × 任何类型 × 任何地点：最多 2 册，借期 14 天，可续借 1 次",
        )

    def test_room_only_and_closed_rules_are_described_too(self) -> None:
        reference = LoanRule.objects.get(patron_category="student", item_type="reference")
        self.assertEqual(
            rules.describe(reference),
            "学生 × 工具书 × 任何地点：仅限室内阅览，当天归还，同时最多 2 册",
        )
        closed = LoanRule.objects.get(patron_category="", location=self.teachers_room)
        self.assertEqual(rules.describe(closed), "所有读者 × 任何类型 × 教师阅览室：不外借")

    def test_a_grade_band_rule_is_applied_to_its_pupils_only(self) -> None:
        LoanRule.objects.create(patron_category="student_lower", max_loans=1, loan_days=7)
        little = self.student("P0011", grade=1, number=1)
        self.assertEqual(
            services.check_out(little, "T0001", self.desk).loan.patron_category, "student_lower"
        )
        self.refused(LimitReached, "最多可借 1 册", services.check_out, little, "T0002", self.desk)
        services.check_out("P0001", "T0002", self.desk)  # Ada, grade 5, keeps the general rule

    def test_a_rule_for_one_item_type_counts_only_books_of_that_type(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "M0001", self.desk)  # a magazine: one at a time, a week
        self.assertEqual(Loan.objects.get(item__barcode="M0001").due_on.isoformat(), "2026-11-30")
        self.refused(LimitReached, "最多可借 1 册", services.check_out, "P0001", "M0002", self.desk)
        # The general rule counts every ordinary loan: the magazine too.
        self.refused(LimitReached, "最多可借 2 册", services.check_out, "P0001", "T0002", self.desk)
