from __future__ import annotations

from datetime import date

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import NotOnLoan, OnHold, PatronBlocked, RenewalLimit
from shuxiang.circulation.models import CirculationEvent, LoanRule
from shuxiang.circulation.tests.service_case import ServiceTestCase, at
from shuxiang.patrons.models import Patron


class RenewTests(ServiceTestCase):
    def test_it_lends_the_copy_again_from_today(self) -> None:
        services.check_out("P0001", "T0001", self.desk)  # due 12-07
        with time_machine.travel(at("2026-12-01"), tick=False):
            loan = services.renew("T0001", self.desk)
        self.assertEqual((loan.due_on, loan.renewals), (date(2026, 12, 15), 1))
        event = CirculationEvent.objects.get(action="renew")
        self.assertEqual(event.detail["due"], "2026-12-15")
        self.assertIn("可续借 1 次", event.detail["rule_text"])

    def test_it_refuses_a_renewal_beyond_the_rule(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        with time_machine.travel(at("2026-12-01"), tick=False):
            services.renew("T0001", self.desk)
            message = "这本书不能再续借了（最多续借 1 次）"
            refused = self.refused(RenewalLimit, message, services.renew, "T0001", self.desk)
        self.assertEqual(refused.code, "renewal_limit")

    def test_it_refuses_when_another_reader_is_waiting(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0002", "T0002", self.desk)
        services.place_hold("P0003", self.journey, self.desk)
        message = "有其他读者在预约这本书"
        refused = self.refused(OnHold, message, services.renew, "T0001", self.desk)
        self.assertEqual(refused.code, "on_hold")

    def test_it_refuses_a_blocked_patron(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.SUSPENDED)
        self.refused(PatronBlocked, "暂停借阅", services.renew, "T0001", self.desk)

    def test_it_refuses_in_room_use_and_corner_loans(self) -> None:
        services.check_out("P0001", "D0001", self.desk)
        services.lend_to_corner(self.class_5_2, "T0001", self.desk)
        for barcode in ("D0001", "T0001"):
            with self.subTest(barcode):
                message = "只有普通外借可以续借"
                self.refused(RenewalLimit, message, services.renew, barcode, self.desk)

    def test_it_refuses_a_book_not_on_loan(self) -> None:
        self.refused(NotOnLoan, "这本书没有借出", services.renew, "T0001", self.desk)

    def test_it_follows_the_rule_of_today_not_that_of_the_checkout(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        rule = LoanRule.objects.get(patron_category="student", item_type="", location=None)
        rule.renewals = 0
        rule.save()
        message = "最多续借 0 次"
        self.refused(RenewalLimit, message, services.renew, "T0001", self.desk)
        rule.renewals, rule.loan_days = 2, 21
        rule.save()
        with time_machine.travel(at("2026-12-01"), tick=False):
            self.assertEqual(services.renew("T0001", self.desk).due_on, date(2026, 12, 22))

    def test_it_follows_a_patron_who_moved_up_a_grade_band(self) -> None:
        LoanRule.objects.create(
            patron_category="student_upper", max_loans=3, loan_days=28, renewals=2
        )
        pupil = self.student("P0010", grade=4, number=1)
        services.check_out(pupil, "T0001", self.desk)
        services.renew("T0001", self.desk)
        pupil.school_class = self.class_5_2
        pupil.save()
        loan = services.renew("T0001", self.desk)
        self.assertEqual((loan.renewals, loan.due_on), (2, date(2026, 12, 21)))
        self.assertEqual(loan.rule.patron_category, "student_upper")  # type: ignore[union-attr]

    def test_it_refuses_a_copy_that_may_no_longer_be_lent_out(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        Item.objects.filter(barcode="T0001").update(location=self.reading_room)
        message = "已不能借给该读者"
        self.refused(RenewalLimit, message, services.renew, "T0001", self.desk)

    def test_a_students_renewal_never_passes_the_end_of_term(self) -> None:
        services.check_out("P0001", "T0001", self.desk, now=at("2027-01-11"))  # due 01-25
        with time_machine.travel(at("2027-01-20"), tick=False):
            loan = services.renew("T0001", self.desk)
        self.assertEqual(loan.due_on, date(2027, 1, 29))  # the term's last open day

    def test_a_student_cannot_renew_a_book_due_at_the_end_of_term(self) -> None:
        LoanRule.objects.filter(patron_category="student", item_type="").update(renewals=3)
        services.check_out("P0001", "T0001", self.desk, now=at("2027-01-20"))  # due 01-29
        message = "应还日期已是学期末 2027-01-29，不能续借"
        with time_machine.travel(at("2027-01-25"), tick=False):
            self.refused(RenewalLimit, message, services.renew, "T0001", self.desk)

    def test_a_teachers_renewal_is_not_held_to_the_term(self) -> None:
        services.check_out("P0002", "T0001", self.desk, now=at("2027-01-04"))  # due 03-05
        with time_machine.travel(at("2027-01-25"), tick=False):
            self.assertEqual(services.renew("T0001", self.desk).due_on, date(2027, 3, 26))
