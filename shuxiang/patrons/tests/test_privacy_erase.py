"""Erasing a patron on request: loans and fines stay, anonymised, for the statistics."""

from __future__ import annotations

from datetime import date

from shuxiang.accounts.models import ApiToken, AuditLog, User
from shuxiang.circulation.models import Fine, Loan
from shuxiang.patrons import privacy, services
from shuxiang.patrons.errors import ErasureRefused
from shuxiang.patrons.models import Patron, RetiredCard, SchoolClass

from .test_patron_roles import PatronWorld


class ErasePatronTests(PatronWorld):
    def returned_loan(self) -> Loan:
        return self.loan(
            self.ada_patron,
            "T0001",
            out=date(2025, 3, 1),
            due=date(2025, 3, 15),
            returned=date(2025, 3, 10),
        )

    def test_it_keeps_the_loans_anonymised_with_their_category_and_class(self) -> None:
        loan = self.returned_loan()
        fine = self.fine(self.ada_patron, "20.00", paid="20.00")
        Fine.objects.filter(pk=fine.pk).update(status=Fine.Status.PAID)
        services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")
        pk = self.ada_patron.pk

        plan = privacy.erase_patron(self.ada_patron, by=self.lena)

        self.assertEqual((plan.loans, plan.fines, plan.retired_cards), (1, 1, 1))
        self.assertFalse(Patron.objects.filter(pk=pk).exists())
        loan.refresh_from_db()
        self.assertIsNone(loan.patron)
        self.assertEqual(loan.school_class, self.class_5_2)
        self.assertEqual((loan.patron_type, loan.patron_category), ("student", "student_upper"))
        fine.refresh_from_db()
        self.assertIsNone(fine.patron)
        self.assertFalse(RetiredCard.objects.filter(number="P0001").exists())
        self.assertTrue(SchoolClass.objects.filter(pk=self.class_5_2.pk).exists())

    def test_it_fills_missing_snapshots_before_letting_go(self) -> None:
        loan = self.returned_loan()
        Loan.objects.filter(pk=loan.pk).update(patron_type="", patron_category="")
        privacy.erase_patron(self.ada_patron, by=self.lena)
        loan.refresh_from_db()
        self.assertEqual((loan.patron_type, loan.patron_category), ("student", "student_upper"))

    def test_the_login_can_no_longer_log_in_and_holds_no_name(self) -> None:
        ApiToken.mint(self.ada)
        privacy.erase_patron(self.ada_patron, by=self.lena)
        user = User.objects.get(pk=self.ada.pk)
        self.assertEqual(user.username, f"erased-{user.pk}")
        self.assertEqual(user.display_name, "")
        self.assertFalse(user.is_active)
        self.assertFalse(user.has_usable_password())
        self.assertFalse(ApiToken.objects.filter(user=user).exists())
        self.assertFalse(self.client.login(username="ada", password="ada-pass-1"))

    def test_it_is_logged_with_counts_and_no_personal_data(self) -> None:
        self.returned_loan()
        pk = self.ada_patron.pk
        privacy.erase_patron(self.ada_patron, by=self.lena)
        row = AuditLog.objects.get(action="patron.erased")
        self.assertEqual((row.by, row.target_type, row.target_id), (self.lena, "patron", str(pk)))
        self.assertEqual(
            row.detail,
            {
                "loans_anonymised": 1,
                "fines_anonymised": 0,
                "retired_cards_deleted": 0,
                "login_anonymised": True,
            },
        )
        for text in ("王艾达", "P0001", "2022050201", "13800000001", "ada"):
            self.assertNotIn(text, str(row.detail))

    def test_it_refuses_while_books_are_out_and_changes_nothing(self) -> None:
        self.loan(self.ada_patron, "T0002", out=date(2025, 3, 11), due=date(2025, 3, 25))
        with self.assertRaisesMessage(ErasureRefused, "尚有 1 本书未还"):
            privacy.erase_patron(self.ada_patron, by=self.lena)
        self.assertTrue(Patron.objects.filter(pk=self.ada_patron.pk).exists())
        self.assertTrue(User.objects.get(pk=self.ada.pk).is_active)
        self.assertFalse(AuditLog.objects.filter(action="patron.erased").exists())

    def test_it_refuses_while_money_is_due(self) -> None:
        self.fine(self.ada_patron, "45.00", paid="5.00")
        with self.assertRaisesMessage(ErasureRefused, "还有 ¥40.00 赔偿未付"):
            privacy.erase_patron(self.ada_patron, by=self.lena)

    def test_it_says_both_when_books_and_money_are_owed(self) -> None:
        self.loan(self.ada_patron, "T0002", out=date(2025, 3, 11), due=date(2025, 3, 25))
        self.fine(self.ada_patron, "45.00")
        with self.assertRaisesMessage(ErasureRefused, "请先处理完这两项"):
            privacy.erase_patron(self.ada_patron, by=self.lena)

    def test_nobody_erases_the_record_they_are_logged_in_with(self) -> None:
        lena_patron = Patron.objects.create(card_number="P0009", name="李娜", user=self.lena)
        with self.assertRaises(ErasureRefused):
            privacy.erase_patron(lena_patron, by=self.lena)

    def test_a_homeroom_teachers_erasure_leaves_the_class_without_one(self) -> None:
        privacy.erase_patron(self.hana_patron, by=self.lena)
        self.class_5_2.refresh_from_db()
        self.assertIsNone(self.class_5_2.homeroom_teacher)


class EraseViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/patrons/{self.ada_patron.pk}/erase/"

    def test_the_confirmation_says_what_is_kept_anonymised(self) -> None:
        self.loan(
            self.ada_patron,
            "T0001",
            out=date(2025, 3, 1),
            due=date(2025, 3, 15),
            returned=date(2025, 3, 10),
        )
        r = self.client.get(self.url)
        self.assertContains(r, "为统计而匿名保留")
        self.assertContains(r, "借阅记录：1 条")
        self.assertContains(r, "永久删除")
        self.assertTrue(Patron.objects.filter(pk=self.ada_patron.pk).exists())

    def test_erasing_returns_to_the_list_and_says_what_was_kept(self) -> None:
        r = self.client.post(self.url, follow=True)
        self.assertRedirects(r, "/staff/patrons/")
        self.assertContains(r, "该读者的个人信息已删除")
        self.assertFalse(Patron.objects.filter(pk=self.ada_patron.pk).exists())

    def test_with_books_out_there_is_no_erase_button_and_a_post_is_refused(self) -> None:
        self.loan(self.ada_patron, "T0002", out=date(2025, 3, 11), due=date(2025, 3, 25))
        r = self.client.get(self.url)
        self.assertContains(r, "data-refusal")
        self.assertNotContains(r, "永久删除")
        r = self.client.post(self.url, follow=True)
        self.assertContains(r, "尚有 1 本书未还")
        self.assertTrue(Patron.objects.filter(pk=self.ada_patron.pk).exists())
