from __future__ import annotations

from datetime import datetime

import time_machine

from shuxiang.circulation.models import CirculationEvent, Loan
from shuxiang.circulation.tests.test_api_checkouts import NOON, CirculationApiTestCase
from shuxiang.patrons.models import Patron

A_WEEK_LATER = datetime(2026, 11, 30, 11, 45, tzinfo=NOON.tzinfo)


@time_machine.travel(NOON, tick=False)
class RenewalApiTests(CirculationApiTestCase):
    def renew(self, barcode: str, user=None):  # type: ignore[no-untyped-def]
        return self.post("renewals", {"item": barcode}, user)

    def test_it_lends_a_copy_again_from_today(self) -> None:
        loan = self.checkout("P0001", "T0001").json()["loan"]  # due 2026-12-07
        with time_machine.travel(A_WEEK_LATER, tick=False):
            r = self.renew("T0001", self.ami)
        self.assertEqual(r.status_code, 200, r.content)
        self.assertEqual(r.json(), {"loan": loan, "due": "2026-12-14", "renewals": 1})
        event = CirculationEvent.objects.get(action="renew")
        self.assertEqual((event.by, event.via), (self.ami, "api"))

    def test_it_refuses_a_second_renewal_to_a_student(self) -> None:
        self.checkout("P0001", "T0001")
        self.assertEqual(self.renew("T0001").status_code, 200)
        self.refused(self.renew("T0001"), 422, "renewal_limit")
        self.assertEqual(Loan.objects.get().renewals, 1)

    def test_it_refuses_when_another_reader_is_waiting(self) -> None:
        for card, barcode in (("P0001", "T0001"), ("P0001", "T0002"), ("P0002", "T0003")):
            self.checkout(card, barcode)
        self.post("holds", {"patron": "P0003", "record": self.journey.pk})
        self.refused(self.renew("T0001"), 409, "on_hold")
        self.assertEqual(Loan.objects.get(item__barcode="T0001").due_on.isoformat(), "2026-12-07")

    def test_it_refuses_a_blocked_patron(self) -> None:
        self.checkout("P0001", "T0001")
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.SUSPENDED)
        self.refused(self.renew("T0001"), 403, "patron_blocked")

    def test_it_says_not_on_loan_and_item_not_found(self) -> None:
        self.refused(self.renew("T0001"), 409, "not_on_loan")
        self.refused(self.renew("X9999"), 404, "item_not_found")
