from __future__ import annotations

from datetime import datetime

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.circulation.tests.test_api_checkouts import NOON, CirculationApiTestCase


@time_machine.travel(NOON, tick=False)
class CheckinApiTests(CirculationApiTestCase):
    def checkin(self, barcode: str, user=None):  # type: ignore[no-untyped-def]
        return self.post("checkins", {"item": barcode}, user)

    def test_it_takes_a_copy_back_on_time(self) -> None:
        loan = self.checkout("P0001", "T0001").json()["loan"]
        r = self.checkin("T0001", self.ami)
        self.assertEqual(r.status_code, 200, r.content)
        body = r.json()
        self.assertEqual(
            (body["loan"], body["overdue_days"], body["hold_for"], body["hold"]),
            (loan, 0, None, None),
        )
        self.assertEqual((body["item"], body["patron"], body["in_room"]), ("T0001", "P0001", False))
        self.assertIsNotNone(Loan.objects.get().returned_at)
        self.assertEqual(Item.objects.get(barcode="T0001").status, Item.Status.ON_SHELF)
        event = CirculationEvent.objects.get(action="checkin")
        self.assertEqual((event.by, event.via), (self.ami, "api"))

    def test_it_says_how_many_days_late_a_copy_comes_back(self) -> None:
        self.checkout("P0001", "T0001")  # due 2026-12-07
        with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=NOON.tzinfo), tick=False):
            self.assertEqual(self.checkin("T0001").json()["overdue_days"], 3)

    def test_it_says_whom_a_returned_copy_is_kept_for(self) -> None:
        for card, barcode in (("P0001", "T0001"), ("P0001", "T0002"), ("P0002", "T0003")):
            self.checkout(card, barcode)
        hold = self.post("holds", {"patron": "P0003", "record": self.journey.pk}).json()["hold"]
        body = self.checkin("T0002").json()
        self.assertEqual((body["hold_for"], body["hold"]), ("P0003", hold))
        self.assertEqual(Hold.objects.get().status, Hold.Status.READY)

    def test_it_ends_a_reading_room_use(self) -> None:
        Item.objects.filter(barcode="T0001").update(location=self.reading_room)
        self.checkout("P0001", "T0001")
        self.assertTrue(self.checkin("T0001").json()["in_room"])

    def test_it_says_not_on_loan_for_a_copy_on_the_shelf(self) -> None:
        self.refused(self.checkin("T0001"), 409, "not_on_loan")
        self.assertFalse(CirculationEvent.objects.exists())

    def test_it_says_item_not_found_for_an_unknown_barcode(self) -> None:
        self.refused(self.checkin("X9999"), 404, "item_not_found")

    def test_it_answers_422_for_a_missing_item(self) -> None:
        self.refused(self.post("checkins", {"barcode": "T0001"}), 422, "invalid_request")
