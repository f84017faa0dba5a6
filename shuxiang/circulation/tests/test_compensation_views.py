from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, CompensationRate, Fine, Loan
from shuxiang.test import BaseTestCase

NOW = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
LOST = "/staff/overdue/compensation/lost/"


@time_machine.travel(NOW, tick=False)
class MarkLostTests(BaseTestCase):
    t1: Item
    t2: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")  # price 45.00, general

    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.loan = Loan.objects.create(
            item=self.t1,
            patron=self.ada_patron,
            school_class=self.class_5_2,
            checked_out_on=date(2026, 10, 1),
            due_on=date(2026, 10, 15),
        )
        Item.objects.filter(pk=self.t1.pk).update(status=Item.Status.ON_LOAN)

    def preview(self, barcode: str) -> Decimal:
        r = self.client.get(LOST, {"barcode": barcode})
        self.assertEqual(r.status_code, 200)
        return r.context["preview"].amount  # type: ignore[no-any-return]

    def test_it_shows_the_borrower_and_price_times_factor_before_confirming(self) -> None:
        r = self.client.get(LOST, {"barcode": "T0001"})
        self.assertEqual(r.context["preview"].amount, Decimal("45.00"))
        self.assertContains(r, "王艾达")
        self.assertContains(r, "¥45.00")
        self.assertContains(r, "价格 ¥45.00 × 1（")
        self.assertContains(r, "），最低 ¥5.00")
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.ON_LOAN)

    def test_it_applies_the_item_types_factor(self) -> None:
        CompensationRate.objects.filter(item_type=Item.ItemType.GENERAL).update(
            factor=Decimal("1.5")
        )
        self.assertEqual(self.preview("T0001"), Decimal("67.50"))

    def test_it_charges_at_least_the_minimum(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(price=Decimal("3.20"))
        self.assertEqual(self.preview("T0001"), Decimal("5.00"))

    def test_it_charges_the_minimum_for_a_book_without_a_price(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(price=None)
        r = self.client.get(LOST, {"barcode": "T0001"})
        self.assertEqual(r.context["preview"].amount, Decimal("5.00"))
        self.assertContains(r, "没有登记价格：按最低赔偿额 ¥5.00")

    def test_it_charges_nothing_without_a_price_or_a_minimum(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(price=None)
        CompensationRate.objects.filter(item_type=Item.ItemType.GENERAL).update(
            minimum=Decimal("0")
        )
        r = self.client.get(LOST, {"barcode": "T0001"})
        self.assertFalse(r.context["preview"].chargeable)
        self.assertContains(r, "无需赔偿")
        # Ticking "charge" anyway records the loss without a zero fine (which would fail).
        r = self.client.post(LOST, {"barcode": "T0001", "charge": "on"})
        self.assertRedirects(r, LOST)
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.LOST)
        self.assertFalse(Fine.objects.exists())

    def test_it_records_the_loss_and_the_compensation_owed(self) -> None:
        r = self.client.post(LOST, {"barcode": "T0001", "charge": "on", "note": "家长来电"})
        fine = Fine.objects.get()
        self.assertRedirects(r, f"/staff/overdue/compensation/{fine.pk}/")
        self.assertEqual(
            (fine.patron, fine.item, fine.loan, fine.reason, fine.amount, fine.status),
            (self.ada_patron, self.t1, self.loan, Fine.Reason.LOST, Decimal("45.00"), "open"),
        )
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.LOST)
        self.assertIsNotNone(Loan.objects.get(pk=self.loan.pk).returned_at)
        lost = CirculationEvent.objects.get(action=CirculationEvent.Action.LOST)
        self.assertEqual((lost.by, lost.via), (self.lena, "web"))

    def test_it_records_the_loss_without_charge_when_unticked(self) -> None:
        self.client.post(LOST, {"barcode": "T0001", "note": ""})
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.LOST)
        self.assertFalse(Fine.objects.exists())

    def test_it_refuses_a_copy_already_lost(self) -> None:
        self.client.post(LOST, {"barcode": "T0001", "charge": "on"})
        r = self.client.post(LOST, {"barcode": "T0001", "charge": "on"})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "这册书已登记为丢失。", status_code=422)
        self.assertEqual(Fine.objects.count(), 1)

    def test_it_says_when_no_book_has_the_barcode(self) -> None:
        r = self.client.get(LOST, {"barcode": "X9999"})
        self.assertEqual(r.status_code, 422)
        self.assertIsNone(r.context["preview"])
        self.assertContains(r, "X9999", status_code=422)
        r = self.client.post(LOST, {"barcode": "X9999", "charge": "on"})
        self.assertEqual(r.status_code, 422)
        self.assertFalse(Fine.objects.exists())

    def test_it_asks_for_a_barcode(self) -> None:
        r = self.client.get(LOST, {"barcode": ""})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "这个字段是必填项", status_code=422)


@time_machine.travel(NOW, tick=False)
class PayAndWaiveTests(BaseTestCase):
    fine: Fine

    def setUp(self) -> None:
        self.client.force_login(self.lena)
        t1 = self.journey.items.order_by("barcode")[0]
        self.fine = Fine.objects.create(
            patron=self.ada_patron, item=t1, reason=Fine.Reason.LOST, amount=Decimal("45.00")
        )
        self.url = f"/staff/overdue/compensation/{self.fine.pk}/"

    def refresh(self) -> Fine:
        return Fine.objects.get(pk=self.fine.pk)

    def test_it_lists_what_is_owed(self) -> None:
        r = self.client.get("/staff/overdue/compensation/")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(list(r.context["page_obj"].object_list), [self.fine])
        self.assertContains(r, "未付 1 笔，尚欠 ¥45.00。")
        self.assertTrue(AuditLog.objects.filter(action="compensation.viewed").exists())

    def test_it_takes_part_then_the_rest(self) -> None:
        r = self.client.post(
            self.url, {"action": "pay", "amount": "20", "note": "第一次"}, follow=True
        )
        self.assertRedirects(r, self.url)
        self.assertContains(r, "已收款 ¥20.00，尚欠 ¥25.00。")
        fine = self.refresh()
        self.assertEqual(
            (fine.paid, fine.status, fine.balance), (Decimal("20"), "open", Decimal("25"))
        )
        self.client.post(self.url, {"action": "pay", "amount": ""})
        fine = self.refresh()
        self.assertEqual((fine.paid, fine.status, fine.settled_at), (Decimal("45"), "paid", NOW))
        r = self.client.get("/staff/overdue/compensation/?show=settled")
        self.assertEqual(list(r.context["page_obj"].object_list), [fine])
        r = self.client.get(self.url)
        self.assertEqual(len(r.context["events"]), 2)
        self.assertContains(r, "第一次")

    def test_it_refuses_more_than_is_owed(self) -> None:
        r = self.client.post(self.url, {"action": "pay", "amount": "50"})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "45.00", status_code=422)
        self.assertEqual(self.refresh().paid, Decimal("0"))

    def test_it_refuses_an_amount_that_is_not_money(self) -> None:
        for amount in ("abc", "0", "-3", "1.234"):
            r = self.client.post(self.url, {"action": "pay", "amount": amount})
            self.assertEqual(r.status_code, 422, amount)
        self.assertEqual(self.refresh().paid, Decimal("0"))
        self.assertFalse(CirculationEvent.objects.exists())

    def test_it_waives_with_a_note(self) -> None:
        self.client.post(self.url, {"action": "waive", "reason": "家庭困难，校长同意"})
        fine = self.refresh()
        self.assertEqual(fine.status, Fine.Status.WAIVED)
        self.assertIn("家庭困难，校长同意", fine.notes)
        event = CirculationEvent.objects.get(action=CirculationEvent.Action.WAIVED)
        self.assertEqual(event.by, self.lena)

    def test_it_refuses_to_waive_without_a_note(self) -> None:
        for reason in ("", "   "):
            r = self.client.post(self.url, {"action": "waive", "reason": reason})
            self.assertEqual(r.status_code, 422)
            self.assertContains(r, "请写明减免赔偿的原因。", status_code=422)
        self.assertEqual(self.refresh().status, Fine.Status.OPEN)

    def test_it_shows_no_forms_once_settled(self) -> None:
        self.client.post(self.url, {"action": "waive", "reason": "找到了"})
        r = self.client.post(self.url, {"action": "pay", "amount": "5"})
        self.assertEqual(r.status_code, 422)
        self.assertTrue(r.context["pay_form"].non_field_errors())  # the service's reason
        self.assertEqual(self.refresh().paid, Decimal("0"))
        self.assertNotContains(self.client.get(self.url), 'value="pay"')

    def test_it_keeps_everyone_but_the_librarian_out(self) -> None:
        assistant = User.objects.create_user("sam", password="x", role=User.Role.ASSISTANT)
        for user in (self.hana, self.tom, self.ada, assistant):
            self.client.force_login(user)
            for url in (
                "/staff/overdue/compensation/",
                self.url,
                LOST,
                "/staff/overdue/compensation/damaged/",
                "/staff/overdue/repairs/",
            ):
                self.assertEqual(self.client.get(url).status_code, 403, (user, url))
            r = self.client.post(self.url, {"action": "waive", "reason": "x"})
            self.assertEqual(r.status_code, 403)
        self.assertEqual(self.refresh().status, Fine.Status.OPEN)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)
