from __future__ import annotations

from decimal import Decimal

from shuxiang.catalog.models import Item
from shuxiang.circulation import rules, services
from shuxiang.circulation.errors import CompensationError
from shuxiang.circulation.models import CirculationEvent, Fine
from shuxiang.circulation.tests.service_case import ServiceTestCase, at


class CompensationAmountTests(ServiceTestCase):
    """赔偿 = price × factor for the item type, at least the minimum (defaults: general ×1,
    at least 5 元; reference ×1.5, at least 10 元)."""

    def test_it_is_the_price_times_the_factor_of_the_item_type(self) -> None:
        Item.objects.filter(barcode="D0001").update(price=Decimal("32.50"))
        fine = services.record_compensation(
            self.ada_patron, self.item("D0001"), self.desk, reason=Fine.Reason.LOST
        )
        self.assertEqual(fine.amount, Decimal("48.75"))

    def test_it_is_at_least_the_minimum(self) -> None:
        Item.objects.filter(barcode="T0001").update(price=Decimal("3.00"))
        fine = services.record_compensation(
            self.ada_patron, self.item("T0001"), self.desk, reason=Fine.Reason.DAMAGED
        )
        self.assertEqual(fine.amount, Decimal("5.00"))

    def test_a_copys_own_price_comes_before_the_records(self) -> None:
        self.record("骆驼祥子", ["Q0001", "Q0002"], price=Decimal("30.00"))
        Item.objects.filter(barcode="Q0002").update(price=Decimal("60.00"))
        for barcode, amount in (("Q0001", "30.00"), ("Q0002", "60.00")):
            fine = services.record_compensation(
                self.ada_patron, self.item(barcode), self.desk, reason=Fine.Reason.LOST
            )
            self.assertEqual(fine.amount, Decimal(amount))

    def test_without_a_rate_it_is_the_price(self) -> None:
        self.assertEqual(rules.compensation(Decimal("12.34"), "unknown", {}), Decimal("12.34"))
        self.assertEqual(
            rules.compensation(None, "general", {"general": ("2", "0")}), Decimal("0.00")
        )

    def test_an_amount_given_by_the_librarian_stands(self) -> None:
        fine = services.record_compensation(
            self.ada_patron,
            None,
            self.desk,
            reason=Fine.Reason.DAMAGED,
            amount=Decimal("8"),
            note="封面撕破",
        )
        self.assertEqual((fine.amount, fine.notes, fine.item), (Decimal("8"), "封面撕破", None))
        event = CirculationEvent.objects.get(action="compensation")
        self.assertEqual(event.detail, {"fine": fine.pk, "amount": "8", "reason": "damaged"})

    def test_it_refuses_a_zero_amount_or_no_amount_and_no_book(self) -> None:
        def record(amount: Decimal | None) -> None:
            services.record_compensation(
                self.ada_patron, None, self.desk, reason=Fine.Reason.LOST, amount=amount
            )

        self.refused(CompensationError, "金额必须大于零", record, Decimal("0"))
        self.refused(CompensationError, "请填写金额，或指明是哪本书的赔偿", record, None)


class PayAndWaiveTests(ServiceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.fine = services.record_compensation(
            self.ada_patron, None, self.desk, reason="lost", amount=Decimal("20.00")
        )

    def test_it_is_paid_in_parts_and_settled_when_nothing_is_owed(self) -> None:
        fine = services.pay_compensation(self.fine, self.desk, amount=Decimal("12.00"), note="现金")
        self.assertEqual(
            (fine.status, fine.balance, fine.settled_at), ("open", Decimal("8.00"), None)
        )
        fine = services.pay_compensation(fine, self.desk)
        self.assertEqual((fine.status, fine.balance), ("paid", Decimal("0.00")))
        self.assertEqual(fine.settled_at, at("2026-11-23"))
        self.assertEqual(CirculationEvent.objects.filter(action="paid").count(), 2)

    def test_it_refuses_to_take_more_than_is_owed_or_nothing(self) -> None:
        pay = services.pay_compensation
        for amount in (Decimal("20.01"), Decimal("0"), Decimal("-1")):
            with self.subTest(amount):
                message = "付款金额应在 0.01 到 20.00 之间"
                self.refused(
                    CompensationError, message, lambda a=amount: pay(self.fine, self.desk, amount=a)
                )

    def test_it_is_waived_with_a_reason(self) -> None:
        fine = services.waive_compensation(self.fine, self.desk, note="家庭困难，校长批准")
        self.assertEqual((fine.status, fine.settled_at), ("waived", at("2026-11-23")))
        self.assertIn("家庭困难", fine.notes)

    def test_a_waiver_needs_a_reason(self) -> None:
        waive = services.waive_compensation
        self.refused(
            CompensationError, "请写明减免赔偿的原因", lambda: waive(self.fine, self.desk, note=" ")
        )

    def test_a_settled_fine_is_settled(self) -> None:
        services.waive_compensation(self.fine, self.desk, note="已找回")
        message = "这笔赔偿已经结清"
        self.refused(CompensationError, message, services.pay_compensation, self.fine, self.desk)
        self.refused(
            CompensationError,
            message,
            lambda: services.waive_compensation(self.fine, self.desk, note="x"),
        )
