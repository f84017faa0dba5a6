from __future__ import annotations

from datetime import date

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import AlreadyOnLoan, CirculationError
from shuxiang.circulation.models import CirculationEvent, Hold, Repair
from shuxiang.circulation.tests.service_case import ServiceTestCase, at

WEEDED = Item.WithdrawalReason.WEEDED


class WithdrawTests(ServiceTestCase):
    def withdraw(self, code: str, reason: str = WEEDED, note: str = "") -> CirculationEvent:
        return services.withdraw(code, self.desk, reason=reason, note=note)

    def test_it_withdraws_a_copy_on_the_shelf_with_the_date_and_reason(self) -> None:
        event = self.withdraw("T0001", Item.WithdrawalReason.SURPLUS, "复本太多")
        item = self.item("T0001")
        self.assertEqual(item.status, Item.Status.WITHDRAWN)
        self.assertEqual(item.withdrawn_on, date(2026, 11, 23))
        self.assertEqual(item.withdrawal_reason, "surplus")
        self.assertEqual((event.action, event.item, event.by), ("withdrawn", item, self.lena))
        self.assertEqual(event.detail["reason"], "surplus")
        self.assertEqual(event.detail["note"], "复本太多")
        self.assertEqual(event.detail["previous_status"], "on_shelf")

    @time_machine.travel(at("2027-01-01", "00:30"), tick=False)
    def test_the_date_is_the_school_s_day_not_utc(self) -> None:
        # 00:30 in Shanghai is still 31 December in UTC.
        self.withdraw("T0001")
        self.assertEqual(self.item("T0001").withdrawn_on, date(2027, 1, 1))

    def test_it_finally_writes_off_a_lost_copy(self) -> None:
        services.mark_lost("T0001", self.desk)
        event = self.withdraw("T0001", Item.WithdrawalReason.LOST)
        self.assertEqual(event.detail["previous_status"], "lost")
        self.assertEqual(self.item("T0001").status, Item.Status.WITHDRAWN)

    def test_it_withdraws_a_copy_in_repair_and_closes_its_repair(self) -> None:
        repair = services.mark_damaged("T0001", self.desk, damage="书页脱落")
        event = self.withdraw("T0001", Item.WithdrawalReason.WORN)
        repair.refresh_from_db()
        self.assertEqual(event.detail["previous_status"], "in_repair")
        self.assertEqual(event.detail["repair"], repair.pk)
        self.assertIsNotNone(repair.repaired_at)
        self.assertIn("注销", repair.notes)
        self.assertFalse(Repair.objects.filter(repaired_at__isnull=True).exists())

    def test_it_withdraws_a_damaged_copy(self) -> None:
        Item.objects.filter(barcode="T0001").update(status=Item.Status.DAMAGED)
        self.assertEqual(self.withdraw("T0001").detail["previous_status"], "damaged")

    def test_it_refuses_a_copy_on_loan(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        self.refused(AlreadyOnLoan, "请先还回再注销", self.withdraw, "T0001")

    def test_it_refuses_a_copy_in_a_class_corner(self) -> None:
        services.lend_to_corner(self.class_5_2, "T0001", self.desk)
        self.refused(AlreadyOnLoan, "请先从图书角收回", self.withdraw, "T0001")

    def test_it_refuses_a_copy_already_withdrawn_naming_the_day(self) -> None:
        self.withdraw("T0001")
        self.refused(CirculationError, "已于2026-11-23注销", self.withdraw, "T0001")

    def test_a_copy_withdrawn_before_dates_were_kept_is_refused_without_a_date(self) -> None:
        Item.objects.filter(barcode="T0001").update(status=Item.Status.WITHDRAWN)
        self.refused(CirculationError, "日期不详", self.withdraw, "T0001")

    def test_it_refuses_an_unknown_reason_or_barcode(self) -> None:
        self.refused(CirculationError, "请选择注销原因", self.withdraw, "T0001", "old")
        self.refused(CirculationError, "Z9999", self.withdraw, "Z9999")

    def test_the_reader_a_copy_was_kept_for_waits_again_or_gets_a_free_copy(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        event = self.withdraw("T0001")
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item), (Hold.Status.WAITING, None))
        self.assertEqual(event.detail["holds_requeued"], [hold.pk])
        self.assertEqual(event.detail["previous_status"], "on_shelf")
        # When T0002 comes back, Ada is still first in line.
        self.assertEqual(services.check_in("T0002", self.desk).hold, hold)

    def test_a_requeued_reader_is_served_at_once_from_a_copy_on_the_shelf(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        services.check_in("T0002", self.desk)  # nobody else waits: on the shelf
        self.withdraw("T0001")
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item), (Hold.Status.READY, self.item("T0002")))

    def test_a_withdrawn_copy_cannot_be_lent(self) -> None:
        self.withdraw("T0001")
        self.refused(CirculationError, "已注销", services.check_out, "P0001", "T0001", self.desk)


class ReinstateTests(ServiceTestCase):
    def test_it_puts_a_withdrawn_copy_back_on_the_shelf(self) -> None:
        services.withdraw("T0001", self.desk, reason=WEEDED)
        event = services.reinstate("T0001", self.desk)
        item = self.item("T0001")
        self.assertEqual(item.status, Item.Status.ON_SHELF)
        self.assertEqual((item.withdrawn_on, item.withdrawal_reason), (None, ""))
        self.assertEqual(event.action, CirculationEvent.Action.REINSTATED)
        self.assertEqual(event.detail, {"reason": "weeded", "withdrawn_on": "2026-11-23"})
        self.assertEqual([action for action, *_ in self.events()][-2:], ["withdrawn", "reinstated"])

    def test_a_waiting_reader_gets_the_reinstated_copy(self) -> None:
        services.withdraw("T0001", self.desk, reason=WEEDED)
        services.check_out("P0002", "T0002", self.desk)
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.reinstate("T0001", self.desk)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item), (Hold.Status.READY, self.item("T0001")))

    def test_it_refuses_a_copy_that_is_not_withdrawn(self) -> None:
        self.refused(CirculationError, "没有注销", services.reinstate, "T0001", self.desk)
