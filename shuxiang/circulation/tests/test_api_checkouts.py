from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test.client import Client

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import (
    CirculationEvent,
    CirculationPolicy,
    Hold,
    LendingSlot,
    Loan,
)
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.models import Patron
from shuxiang.test import BaseTestCase

# A Monday in the autumn term, inside the default noon lending slot.
NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))


class CirculationApiTestCase(BaseTestCase):
    """The small school plus a desk assistant and a third copy; calls as the librarian."""

    client: Client
    ami: User
    t3: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.ami = User.objects.create_user("ami", role=User.Role.ASSISTANT)
        cls.t3 = catalog.add_item(cls.journey, catalog.ItemData(barcode="T0003"), by=cls.lena)

    def post(self, path: str, body: Any, user: User | None = None) -> Any:
        return self.client.post(
            f"/api/v1/{path}",
            body,
            content_type="application/json",
            headers=self.auth(user or self.lena),
        )

    def checkout(self, card: str, barcode: str, user: User | None = None) -> Any:
        return self.post("checkouts", {"patron": card, "item": barcode}, user)

    def refused(self, response: Any, status: int, code: str) -> str:
        """Asserts a refusal's status and code; returns its message."""
        self.assertEqual(response.status_code, status, response.content)
        body = response.json()
        self.assertEqual(body["error"], code)
        self.assertTrue(body["message"])
        return str(body["message"])

    def open_loans(self) -> int:
        return Loan.objects.filter(returned_at__isnull=True).count()


@time_machine.travel(NOON, tick=False)
class CheckoutApiTests(CirculationApiTestCase):
    def test_it_lends_a_copy_and_says_when_it_is_due(self) -> None:
        r = self.checkout("P0001", "T0001")
        self.assertEqual(r.status_code, 201, r.content)
        body = r.json()
        loan = Loan.objects.get()
        self.assertEqual(body["loan"], loan.pk)
        self.assertEqual(body["due"], "2026-12-07")  # 14 days on, a Monday
        self.assertEqual(
            (body["item"], body["title"], body["patron"]), ("T0001", "西游记", "P0001")
        )
        self.assertEqual(
            (body["kind"], body["warnings"], body["hold_filled"]), ("regular", [], None)
        )
        self.assertIn("14", body["rule"])
        self.assertEqual(Item.objects.get(barcode="T0001").status, Item.Status.ON_LOAN)

    def test_it_records_who_lent_it_through_the_api(self) -> None:
        self.checkout("P0001", "T0001", self.ami)
        event = CirculationEvent.objects.get(action="checkout")
        self.assertEqual((event.by, event.via), (self.ami, "api"))
        self.assertEqual(Loan.objects.get().via, "api")

    def test_it_normalises_a_card_and_barcode_typed_in_full_width(self) -> None:
        r = self.checkout("ｐ０００１", " ｔ０００１ ")
        self.assertEqual(r.status_code, 201, r.content)

    def test_it_gives_a_teacher_sixty_days(self) -> None:
        self.assertEqual(self.checkout("P0002", "T0001").json()["due"], "2027-01-22")

    def test_it_says_patron_not_found_for_an_unknown_card(self) -> None:
        message = self.refused(self.checkout("P9999", "T0001"), 404, "patron_not_found")
        self.assertIn("P9999", message)
        self.assertEqual(self.open_loans(), 0)

    def test_it_says_card_retired_for_a_replaced_card(self) -> None:
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        patron_services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")
        self.refused(self.checkout("P0001", "T0001"), 410, "card_retired")
        self.assertEqual(self.checkout("P0100", "T0001").status_code, 201)

    def test_it_says_item_not_found_for_an_unknown_barcode(self) -> None:
        message = self.refused(self.checkout("P0001", "X9999"), 404, "item_not_found")
        self.assertIn("X9999", message)

    def test_it_refuses_a_lost_copy_as_not_for_loan(self) -> None:
        Item.objects.filter(barcode="T0001").update(status=Item.Status.LOST)
        self.refused(self.checkout("P0001", "T0001"), 422, "not_for_loan")
        self.assertEqual(self.open_loans(), 0)

    def test_it_refuses_a_teachers_book_to_a_student_as_not_for_loan(self) -> None:
        Item.objects.filter(barcode="T0001").update(item_type=Item.ItemType.TEACHING)
        self.refused(self.checkout("P0001", "T0001"), 422, "not_for_loan")
        self.assertEqual(self.checkout("P0002", "T0001").status_code, 201)

    def test_it_lends_a_reference_book_for_the_room_due_today(self) -> None:
        Item.objects.filter(barcode="T0001").update(location=self.reading_room)
        body = self.checkout("P0001", "T0001").json()
        self.assertEqual((body["kind"], body["due"]), ("in_room", "2026-11-23"))

    def test_it_refuses_a_copy_already_on_loan(self) -> None:
        self.checkout("P0002", "T0001")
        self.refused(self.checkout("P0001", "T0001"), 409, "already_on_loan")
        self.assertEqual(Loan.objects.get().patron, self.tom_patron)

    def test_it_refuses_a_third_book_to_a_student(self) -> None:
        self.checkout("P0001", "T0001")
        self.checkout("P0001", "T0002")
        message = self.refused(self.checkout("P0001", "T0003"), 422, "limit_reached")
        self.assertIn("2", message)
        self.assertEqual(self.open_loans(), 2)

    def test_it_refuses_a_suspended_patron(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.SUSPENDED)
        self.refused(self.checkout("P0001", "T0001"), 403, "patron_blocked")

    def test_it_refuses_a_patron_whose_card_is_reported_lost(self) -> None:
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        self.refused(self.checkout("P0001", "T0001"), 403, "patron_blocked")

    def test_it_refuses_a_patron_long_overdue_when_the_school_blocks_them(self) -> None:
        policy = CirculationPolicy.current()
        policy.overdue_block_days = 7
        policy.save()
        with time_machine.travel(datetime(2026, 10, 19, 11, 45, tzinfo=NOON.tzinfo), tick=False):
            self.assertEqual(self.checkout("P0001", "T0001").status_code, 201)  # due 11-02
        self.refused(self.checkout("P0001", "T0002"), 403, "patron_blocked")

    def test_it_refuses_a_copy_kept_for_another_readers_hold(self) -> None:
        self.checkout("P0001", "T0001")
        self.checkout("P0001", "T0002")
        self.checkout("P0002", "T0003")
        self.assertEqual(
            self.post("holds", {"patron": "P0003", "record": self.journey.pk}).status_code, 201
        )
        self.assertEqual(self.post("checkins", {"item": "T0001"}).json()["hold_for"], "P0003")
        self.refused(self.checkout("P0002", "T0001"), 409, "held_for_other")
        body = self.checkout("P0003", "T0001").json()
        self.assertEqual(body["hold_filled"], Hold.objects.get().pk)

    def test_it_refuses_a_student_outside_the_class_slot_when_the_school_says_so(self) -> None:
        policy = CirculationPolicy.current()
        policy.slot_mode = CirculationPolicy.SlotMode.REFUSE
        policy.save()
        tuesday = LendingSlot.objects.get(weekday=1)
        tuesday.classes.add(self.class_5_2)
        self.refused(self.checkout("P0001", "T0001"), 403, "outside_slot")
        self.assertEqual(self.checkout("P0002", "T0001").status_code, 201)  # teachers any time

    def test_it_warns_outside_the_slot_by_default(self) -> None:
        LendingSlot.objects.get(weekday=1).classes.add(self.class_5_2)
        body = self.checkout("P0001", "T0001").json()
        self.assertEqual(len(body["warnings"]), 1)

    def test_it_answers_422_in_chinese_for_a_missing_field(self) -> None:
        r = self.post("checkouts", {"patron": "P0001"})
        message = self.refused(r, 422, "invalid_request")
        self.assertIn("item", message)
        self.assertIn("请求", message)

    def test_it_answers_422_for_bad_json_and_wrong_types(self) -> None:
        for body in (
            "{not json",
            "[]",
            '{"patron": 1, "item": ["T0001"]}',
            '{"patron": "", "item": ""}',
        ):
            with self.subTest(body=body):
                self.refused(self.post("checkouts", body), 422, "invalid_request")
        self.assertEqual(self.open_loans(), 0)

    def test_it_answers_422_for_an_absurdly_long_barcode(self) -> None:
        self.refused(self.checkout("P0001", "T" * 5000), 422, "invalid_request")
