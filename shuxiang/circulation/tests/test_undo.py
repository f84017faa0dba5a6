from __future__ import annotations

from datetime import date, timedelta

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import CannotUndo
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.circulation.tests.service_case import NOON, ServiceTestCase


class UndoTests(ServiceTestCase):
    """The desk's undo: a checkout or a return scanned by mistake, taken back within minutes."""

    def event(self, action: str) -> CirculationEvent:
        return CirculationEvent.objects.filter(action=action).latest("pk")

    def test_an_undone_checkout_never_happened(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        checkout = self.event("checkout")
        services.undo(checkout, self.desk)
        self.assertFalse(Loan.objects.exists())
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)
        checkout.refresh_from_db()
        self.assertEqual((checkout.detail["undone"], checkout.loan), (True, None))
        undone = self.event("undone")
        self.assertEqual(undone.detail, {"event": checkout.pk, "action": "checkout"})
        self.assertEqual((undone.by, undone.station), (self.lena, "借还台1"))

    def test_an_undone_return_puts_the_loan_back(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_in("T0001", self.desk)
        services.undo(self.event("checkin"), self.desk)
        loan = Loan.objects.get()
        self.assertEqual((loan.returned_at, loan.checked_in_by), (None, None))
        self.assertEqual(self.item("T0001").status, Item.Status.ON_LOAN)

    def test_it_is_too_late_after_the_policys_minutes(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        with time_machine.travel(NOON + timedelta(minutes=11), tick=False):
            message = "已经不能撤销了"
            self.refused(CannotUndo, message, services.undo, self.event("checkout"), self.desk)

    def test_a_book_that_has_moved_on_cannot_be_undone(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_in("T0001", self.desk)
        message = "这本书之后已有新的操作"
        self.refused(CannotUndo, message, services.undo, self.event("checkout"), self.desk)

    def test_nothing_is_undone_twice(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.undo(self.event("checkout"), self.desk)
        message = "已经不能撤销了"
        self.refused(CannotUndo, message, services.undo, self.event("checkout"), self.desk)

    def test_only_loans_and_returns_are_undone(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.renew("T0001", self.desk)
        message = "只能撤销借书或还书"
        self.refused(CannotUndo, message, services.undo, self.event("renew"), self.desk)

    def test_a_corner_loan_is_undone_like_a_checkout(self) -> None:
        services.lend_to_corner(self.class_5_2, "T0001", self.desk)
        services.undo(self.event("corner_out"), self.desk)
        self.assertFalse(Loan.objects.exists())


class UndoWithHoldsTests(ServiceTestCase):
    def setUp(self) -> None:
        super().setUp()
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        self.hold = services.place_hold("P0001", self.journey, self.desk)

    def test_undoing_a_return_puts_the_reader_it_readied_back_in_line(self) -> None:
        services.check_in("T0001", self.desk)
        services.undo(CirculationEvent.objects.get(action="checkin"), self.desk)
        self.hold.refresh_from_db()
        self.assertEqual((self.hold.status, self.hold.item), (Hold.Status.WAITING, None))
        self.assertEqual(self.item("T0001").status, Item.Status.ON_LOAN)

    def test_undoing_the_collection_keeps_the_copy_for_the_reader_again(self) -> None:
        services.check_in("T0001", self.desk)
        services.check_out("P0001", "T0001", self.desk)
        services.undo(
            CirculationEvent.objects.get(action="checkout", patron=self.ada_patron), self.desk
        )
        self.hold.refresh_from_db()
        self.assertEqual((self.hold.status, self.hold.item.barcode), ("ready", "T0001"))  # type: ignore[union-attr]
        self.assertEqual(self.hold.expires_on, date(2026, 11, 30))
        self.assertIsNone(self.hold.closed_at)

    def test_undoing_a_checkout_that_filled_a_waiting_hold_makes_it_wait_again(self) -> None:
        Item.objects.create(
            record=self.journey, barcode="T0003", accession_number="A-T0003", location=self.stacks
        )
        services.check_out("P0001", "T0003", self.desk)
        services.undo(
            CirculationEvent.objects.get(action="checkout", patron=self.ada_patron), self.desk
        )
        self.hold.refresh_from_db()
        self.assertEqual((self.hold.status, self.hold.item), (Hold.Status.WAITING, None))
