"""Every refusal the desk can meet: red, with the reason in Chinese, and nothing changed."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils.html import escape

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import (
    CirculationEvent,
    CirculationPolicy,
    Hold,
    LendingSlot,
    Loan,
)
from shuxiang.circulation.tests.test_desk_base import NOON, DeskTestCase, zh
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.models import Patron, SchoolClass


class DeskRefusalTests(DeskTestCase):
    def lend(self, item: Item, patron: Patron, *, due: date) -> Loan:
        Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
        return Loan.objects.create(
            item=item,
            patron=patron,
            school_class=patron.school_class,
            checked_out_on=due - timedelta(days=14),
            due_on=due,
        )

    def assertNothingLent(self) -> None:
        self.assertFalse(CirculationEvent.objects.filter(action="checkout").exists())

    def test_an_unknown_barcode_with_no_reader_open(self) -> None:
        r = self.scan("X9999")
        self.assertRefused(r, "No book and no library card has the barcode %(code)s.", code="X9999")
        self.assertIn("请核对条码", self.banner(r))

    def test_an_unknown_barcode_with_a_reader_open_keeps_the_reader(self) -> None:
        self.scan("P0001")
        r = self.scan("X9999")
        self.assertRefused(r, "No book and no library card has the barcode %(code)s.", code="X9999")
        self.assertContains(r, "正在为 王艾达 借书")

    def test_something_too_long_to_be_a_barcode(self) -> None:
        self.assertRefused(self.scan("A" * 65), "That is not a barcode.")

    def test_a_replaced_card_is_refused_with_its_reason(self) -> None:
        patron_services.reissue_card(self.ada_patron, by=self.lena, new_number="P0101")
        r = self.scan("P0001")
        self.assertRefused(
            r,
            "Card %(card)s was reported lost and replaced: it can no longer be used.",
            card="P0001",
        )
        self.assertIsNone(self.client.session["desk"].get("patron"))
        self.assertBanner(self.scan("P0101"), "ok", "王艾达")

    def test_a_card_reported_lost_opens_in_red_and_lends_nothing(self) -> None:
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        r = self.scan("P0001")
        self.assertBanner(r, "refuse", zh("This card has been reported lost."))
        r = self.scan("T0001")
        self.assertRefused(r, "This card has been reported lost.")
        self.assertNothingLent()

    def test_the_limit_reached(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.scan("T0003")
        r = self.scan("T0002")
        self.assertRefused(
            r,
            "%(patron)s already has %(n)d book(s): the limit is %(max)d.",
            patron="王艾达",
            n=2,
            max=2,
        )
        self.assertFalse(Loan.objects.filter(item=self.t2).exists())

    def test_a_book_not_for_loan_to_students(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(item_type=Item.ItemType.TEACHING)
        self.scan("P0001")
        self.assertRefused(self.scan("T0001"), "This book is not for loan to this patron.")
        self.assertNothingLent()

    def test_a_copy_recorded_as_lost(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(status=Item.Status.LOST)
        self.scan("P0001")
        self.assertRefused(self.scan("T0001"), "This copy is recorded as lost.")
        self.assertNothingLent()

    def test_a_book_already_on_loan_to_another_reader(self) -> None:
        self.lend(self.t1, self.bo, due=date(2026, 12, 1))
        self.scan("P0001")
        r = self.scan("T0001")
        self.assertRefused(r, "This book is already on loan: check it in first.")
        self.assertIn("请先按 Esc", self.banner(r))
        self.assertEqual(Loan.objects.get().patron, self.bo)

    def test_a_book_the_reader_already_has(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        r = self.scan("T0001")  # the scanner beeped twice
        self.assertRefused(r, "%(patron)s already has this book.", patron="王艾达")
        self.assertEqual(Loan.objects.count(), 1)

    def test_a_book_kept_for_another_readers_hold(self) -> None:
        Hold.objects.create(
            record=self.journey, patron=self.bo, item=self.t1, status=Hold.Status.READY
        )
        self.scan("P0001")
        self.assertRefused(self.scan("T0001"), "This book is kept for another reader's hold.")
        self.assertNothingLent()

    def test_outside_the_class_slot_when_the_school_refuses(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(slot_mode=CirculationPolicy.SlotMode.REFUSE)
        other = SchoolClass.objects.create(grade=3, number=1)
        slot = LendingSlot.objects.create(weekday=0, starts=time(11, 30), ends=time(12, 30))
        slot.classes.add(other)
        self.scan("P0001")
        r = self.scan("T0001")
        self.assertBanner(
            r,
            "refuse",
            escape(zh("It is not %(class)s's lending time.", **{"class": "五年级(2)班"})),
        )
        self.assertNothingLent()

    def test_overdue_beyond_the_block(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(overdue_block_days=3)
        self.lend(self.t2, self.ada_patron, due=NOON.date() - timedelta(days=10))
        self.scan("P0001")
        r = self.scan("T0001")
        self.assertRefused(r, "Books more than %(days)d days overdue must come back first.", days=3)
        self.assertNothingLent()

    def test_a_return_of_a_book_that_is_not_out(self) -> None:
        r = self.scan("T0001")
        self.assertRefused(r, "This book is not on loan.")
        self.assertIn("请先扫描读者的借书证", self.banner(r))

    def test_a_renewal_beyond_the_rule(self) -> None:
        loan = self.lend(self.t1, self.ada_patron, due=date(2026, 11, 30))
        Loan.objects.filter(pk=loan.pk).update(renewals=1)
        self.scan("P0001")
        r = self.press("renew", {"loan": str(loan.pk)})
        self.assertRefused(r, "This book cannot be renewed again (renewals allowed: %(n)d).", n=1)

    def test_a_renewal_of_a_book_someone_waits_for(self) -> None:
        loan = self.lend(self.t1, self.ada_patron, due=date(2026, 11, 30))
        Hold.objects.create(record=self.journey, patron=self.bo)
        self.scan("P0001")
        r = self.press("renew", {"loan": str(loan.pk)})
        self.assertRefused(r, "Another reader is waiting for this book: it cannot be renewed.")

    def test_renew_all_with_no_reader_open(self) -> None:
        self.assertBanner(self.press("renew-all"), "info", "请先扫描借书证。")

    def test_the_refusal_is_the_red_alert_of_the_page(self) -> None:
        r = self.scan("X9999")
        self.assertIn('role="alert"', self.banner(r))
        self.assertIn('data-desk-tone="refuse"', self.banner(r))
