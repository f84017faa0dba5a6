from __future__ import annotations

from decimal import Decimal

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import AlreadyOnLoan, CirculationError, NotForLoan
from shuxiang.circulation.models import CirculationEvent, CompensationRate, Fine, Hold, Loan, Repair
from shuxiang.circulation.tests.service_case import ServiceTestCase, at


class MarkLostTests(ServiceTestCase):
    def test_a_lost_loan_ends_and_the_reader_owes_the_price(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        fine = services.mark_lost("T0001", self.desk, note="丢在公交车上")
        loan = Loan.objects.get()
        self.assertEqual(loan.returned_at, at("2026-11-23"))
        self.assertEqual(self.item("T0001").status, Item.Status.LOST)
        assert fine is not None
        self.assertEqual((fine.patron, fine.loan, fine.reason), (self.ada_patron, loan, "lost"))
        self.assertEqual(fine.amount, Decimal("45.00"))  # the record's price × 1
        self.assertEqual(fine.status, Fine.Status.OPEN)

    def test_it_can_leave_the_reader_uncharged(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        self.assertIsNone(services.mark_lost("T0001", self.desk, charge=False))
        self.assertFalse(Fine.objects.exists())

    def test_a_copy_lost_on_the_shelf_charges_nobody(self) -> None:
        self.assertIsNone(services.mark_lost("T0001", self.desk))
        self.assertEqual(self.item("T0001").status, Item.Status.LOST)

    def test_a_copy_without_any_price_or_minimum_is_lost_without_a_charge(self) -> None:
        CompensationRate.objects.filter(item_type="general").update(minimum=0)
        self.record("无价之书", ["Z0001"], price=None)
        services.check_out("P0001", "Z0001", self.desk)
        self.assertIsNone(services.mark_lost("Z0001", self.desk))
        self.assertEqual(self.item("Z0001").status, Item.Status.LOST)

    def test_a_copy_already_lost_or_withdrawn_is_refused(self) -> None:
        services.mark_lost("T0001", self.desk)
        message = "这册书已登记为丢失"
        self.refused(CirculationError, message, services.mark_lost, "T0001", self.desk)
        Item.objects.filter(barcode="T0002").update(status=Item.Status.WITHDRAWN)
        self.refused(CirculationError, "已注销", services.mark_lost, "T0002", self.desk)

    def test_a_lost_copy_leaves_circulation(self) -> None:
        services.mark_lost("T0001", self.desk)
        self.refused(NotForLoan, "丢失", services.check_out, "P0001", "T0001", self.desk)

    def test_the_reader_a_lost_copy_was_kept_for_gets_another_copy_or_waits(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        services.mark_lost("T0001", self.desk)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item), (Hold.Status.WAITING, None))
        lost = CirculationEvent.objects.get(action="lost")
        self.assertEqual(lost.detail["holds_requeued"], [hold.pk])
        # When T0002 comes back, Ada is still first in line.
        self.assertEqual(services.check_in("T0002", self.desk).hold, hold)

    def test_a_free_copy_on_the_shelf_is_kept_at_once_for_the_requeued_reader(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        services.check_in("T0002", self.desk)  # nobody else waits: on the shelf
        services.mark_lost("T0001", self.desk)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item.barcode), (Hold.Status.READY, "T0002"))  # type: ignore[union-attr]


class MarkDamagedTests(ServiceTestCase):
    def test_a_damaged_copy_goes_to_the_repair_register(self) -> None:
        repair = services.mark_damaged("T0001", self.desk, damage="书脊开裂")
        self.assertEqual(self.item("T0001").status, Item.Status.IN_REPAIR)
        self.assertEqual((repair.damage, repair.reported_by), ("书脊开裂", self.lena))
        self.assertIsNone(repair.repaired_at)
        self.refused(NotForLoan, "正在修补", services.check_out, "P0001", "T0001", self.desk)

    def test_the_reader_who_damaged_it_may_be_charged(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_in("T0001", self.desk)
        services.mark_damaged("T0001", self.desk, damage="水渍", charge_patron=self.ada_patron)
        fine = Fine.objects.get()
        self.assertEqual(
            (fine.reason, fine.amount, fine.notes), ("damaged", Decimal("45.00"), "水渍")
        )

    def test_a_book_still_on_loan_must_be_checked_in_first(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        message = "请先还书，再送修"
        self.refused(AlreadyOnLoan, message, services.mark_damaged, "T0001", self.desk)

    def test_a_copy_already_in_repair_is_not_registered_twice(self) -> None:
        services.mark_damaged("T0001", self.desk)
        self.refused(CirculationError, "正在修补", services.mark_damaged, "T0001", self.desk)
        self.assertEqual(Repair.objects.count(), 1)

    def test_a_repaired_copy_comes_back_to_the_shelf_or_to_a_waiting_reader(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.mark_damaged("T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        repair = services.mark_repaired("T0002", self.desk, notes="已粘好")
        assert repair is not None
        self.assertEqual((repair.repaired_by, repair.notes), (self.lena, "已粘好"))
        self.assertEqual(self.item("T0002").status, Item.Status.ON_SHELF)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item.barcode), (Hold.Status.READY, "T0002"))  # type: ignore[union-attr]

    def test_a_copy_not_in_repair_cannot_come_back_from_it(self) -> None:
        self.refused(NotForLoan, "不在修补中", services.mark_repaired, "T0001", self.desk)
