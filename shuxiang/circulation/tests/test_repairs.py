from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, Fine, Loan, Repair
from shuxiang.test import BaseTestCase

NOW = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
DAMAGED = "/staff/overdue/compensation/damaged/"
REGISTER = "/staff/overdue/repairs/"


@time_machine.travel(NOW, tick=False)
class RepairRegisterTests(BaseTestCase):
    t1: Item
    t2: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")
        # Ada had T0001 last month and brought it back torn.
        Loan.objects.create(
            item=cls.t1,
            patron=cls.ada_patron,
            school_class=cls.class_5_2,
            checked_out_on=date(2026, 10, 20),
            due_on=date(2026, 11, 3),
            returned_at=datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        )

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def status(self, item: Item) -> str:
        return Item.objects.get(pk=item.pk).status

    def test_it_shows_the_last_borrower_before_sending_to_repair(self) -> None:
        r = self.client.get(DAMAGED, {"barcode": "T0001"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["preview"].patron, self.ada_patron)
        self.assertContains(r, "最近借阅人")
        self.assertContains(r, "由最近借阅人赔偿")

    def test_it_sends_a_damaged_copy_to_repair_and_charges_the_last_borrower(self) -> None:
        r = self.client.post(DAMAGED, {"barcode": "T0001", "damage": "封面撕破", "charge": "on"})
        self.assertRedirects(r, REGISTER)
        self.assertEqual(self.status(self.t1), Item.Status.IN_REPAIR)
        repair = Repair.objects.get()
        self.assertEqual(
            (repair.item, repair.damage, repair.reported_by), (self.t1, "封面撕破", self.lena)
        )
        fine = Fine.objects.get()
        self.assertEqual(
            (fine.patron, fine.reason, fine.amount),
            (self.ada_patron, Fine.Reason.DAMAGED, Decimal("45.00")),
        )

    def test_it_sends_to_repair_without_charging_when_unticked(self) -> None:
        self.client.post(DAMAGED, {"barcode": "T0001", "damage": "书脊开胶"})
        self.assertEqual(self.status(self.t1), Item.Status.IN_REPAIR)
        self.assertFalse(Fine.objects.exists())

    def test_it_asks_what_is_damaged_and_keeps_the_preview(self) -> None:
        r = self.client.post(DAMAGED, {"barcode": "T0001", "damage": ""})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "请写明损坏情况。", status_code=422)
        self.assertEqual(r.context["preview"].item, self.t1)
        self.assertEqual(self.status(self.t1), Item.Status.ON_SHELF)

    def test_it_refuses_a_book_on_loan_until_it_is_checked_in(self) -> None:
        Loan.objects.create(
            item=self.t2,
            patron=self.tom_patron,
            checked_out_on=date(2026, 11, 20),
            due_on=date(2026, 12, 20),
        )
        Item.objects.filter(pk=self.t2.pk).update(status=Item.Status.ON_LOAN)
        for r in (
            self.client.get(DAMAGED, {"barcode": "T0002"}),
            self.client.post(DAMAGED, {"barcode": "T0002", "damage": "水渍"}),
        ):
            self.assertEqual(r.status_code, 422)
            self.assertContains(r, "这本书在借：请先在借还台还回，再登记修补。", status_code=422)
        self.assertEqual(self.status(self.t2), Item.Status.ON_LOAN)
        self.assertFalse(Repair.objects.exists())

    def test_it_refuses_a_copy_already_in_repair(self) -> None:
        self.client.post(DAMAGED, {"barcode": "T0001", "damage": "封面撕破"})
        r = self.client.get(DAMAGED, {"barcode": "T0001"})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "这册书已在修补登记中。", status_code=422)
        self.assertEqual(Repair.objects.count(), 1)

    def test_it_lists_copies_in_repair_on_a_printable_register(self) -> None:
        self.client.post(DAMAGED, {"barcode": "T0001", "damage": "封面撕破"})
        r = self.client.get(REGISTER)
        self.assertEqual([rep.item for rep in r.context["open"]], [self.t1])
        self.assertContains(r, "修补登记")
        self.assertContains(r, "封面撕破")
        self.assertContains(r, "data-print")

    def test_it_puts_a_repaired_copy_back_on_the_shelf(self) -> None:
        self.client.post(DAMAGED, {"barcode": "T0001", "damage": "封面撕破"})
        repair = Repair.objects.get()
        r = self.client.post(f"{REGISTER}{repair.pk}/repaired/", {"notes": "重新装订"}, follow=True)
        self.assertRedirects(r, REGISTER)
        self.assertContains(r, "已修补完毕，重新上架")
        repair.refresh_from_db()
        self.assertEqual(
            (repair.repaired_at, repair.repaired_by, repair.notes), (NOW, self.lena, "重新装订")
        )
        self.assertEqual(self.status(self.t1), Item.Status.ON_SHELF)
        self.assertEqual(r.context["open"], [])
        self.assertEqual(r.context["done"], [repair])
        self.assertTrue(
            CirculationEvent.objects.filter(action=CirculationEvent.Action.REPAIRED).exists()
        )

    def test_it_says_so_when_the_copy_is_no_longer_in_repair(self) -> None:
        self.client.post(DAMAGED, {"barcode": "T0001", "damage": "封面撕破"})
        repair = Repair.objects.get()
        self.client.post(f"{REGISTER}{repair.pk}/repaired/")
        r = self.client.post(f"{REGISTER}{repair.pk}/repaired/", follow=True)
        self.assertEqual([m.level_tag for m in r.context["messages"]][-1], "error")
        self.assertEqual(
            CirculationEvent.objects.filter(action=CirculationEvent.Action.REPAIRED).count(), 1
        )

    def test_it_answers_404_for_an_unknown_repair(self) -> None:
        self.assertEqual(self.client.post(f"{REGISTER}999/repaired/").status_code, 404)
