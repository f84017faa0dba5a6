"""GET /api/v1/patrons/{card}: the circulation half of the answer (holds and blocks) and the
current loan in GET /api/v1/items/{barcode}. The rest is in patrons/tests/test_api_patrons.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from shuxiang.accounts.models import User
from shuxiang.circulation.models import CirculationPolicy
from shuxiang.circulation.tests.test_api_checkouts import NOON, CirculationApiTestCase

LATER = datetime(2026, 12, 20, 10, 0, tzinfo=NOON.tzinfo)


@time_machine.travel(NOON, tick=False)
class PatronHoldsAndBlocksTests(CirculationApiTestCase):
    def patron(self, card: str, user: User | None = None) -> Any:
        r = self.client.get(f"/api/v1/patrons/{card}", headers=self.auth(user or self.lena))
        self.assertEqual(r.status_code, 200, r.content)
        return r.json()

    def test_it_lists_a_patrons_waiting_and_ready_holds(self) -> None:
        for card, barcode in (("P0001", "T0001"), ("P0001", "T0002"), ("P0002", "T0003")):
            self.checkout(card, barcode)
        hold = self.post("holds", {"patron": "P0003", "record": self.journey.pk}).json()["hold"]
        waiting = {
            "id": hold,
            "record": self.journey.pk,
            "title": "西游记",
            "status": "waiting",
            "status_display": "等待中",
            "placed": "2026-11-23",
            "item": None,
            "expires": None,
        }
        self.assertEqual(self.patron("P0003")["holds"], [waiting])
        self.post("checkins", {"item": "T0002"})
        [ready] = self.patron("P0003", self.hana)["holds"]
        self.assertEqual((ready["status"], ready["item"]), ("ready", "T0002"))
        self.assertIsNotNone(ready["expires"])
        self.checkout("P0003", "T0002")
        self.assertEqual(self.patron("P0003")["holds"], [])

    def test_it_blocks_a_patron_long_overdue_when_the_school_says_so(self) -> None:
        self.checkout("P0001", "T0001")  # due 2026-12-07
        policy = CirculationPolicy.current()
        policy.overdue_block_days = 7
        policy.save()
        with time_machine.travel(LATER, tick=False):
            body = self.patron("P0001")
            self.assertEqual([b["code"] for b in body["blocks"]], ["overdue"])
            refusal = self.checkout("P0001", "T0002").json()
        self.assertEqual(body["blocks"][0]["message"], refusal["message"])

    def test_it_does_not_block_for_overdue_books_by_default(self) -> None:
        self.checkout("P0001", "T0001")
        with time_machine.travel(LATER, tick=False):
            body = self.patron("P0001")
        self.assertEqual((body["overdue_loans"], body["blocks"]), (1, []))


@time_machine.travel(NOON, tick=False)
class ItemCurrentLoanTests(CirculationApiTestCase):
    def item(self, barcode: str, user: User | None = None) -> object:
        r = self.client.get(f"/api/v1/items/{barcode}", headers=self.auth(user or self.lena))
        self.assertEqual(r.status_code, 200, r.content)
        return r.json()["loan"]

    def test_it_shows_the_desk_who_has_a_copy_and_until_when(self) -> None:
        self.checkout("P0001", "T0001")
        want = {
            "patron": "P0001",
            "school_class": "五年级(2)班",
            "checked_out": "2026-11-23",
            "due": "2026-12-07",
            "kind": "regular",
        }
        self.assertEqual(self.item("T0001"), want)
        self.assertEqual(self.item("T0001", self.ami), want)
        self.assertIsNone(self.item("T0002"))

    def test_it_hides_the_borrower_from_everyone_else(self) -> None:
        self.checkout("P0001", "T0001")
        for user in (self.ada, self.tom, self.hana):
            with self.subTest(user=user.username):
                self.assertIsNone(self.item("T0001", user))

    def test_it_forgets_the_loan_once_the_copy_is_back(self) -> None:
        self.checkout("P0001", "T0001")
        self.post("checkins", {"item": "T0001"})
        self.assertIsNone(self.item("T0001"))
