from __future__ import annotations

import time_machine

from shuxiang.accounts.models import User
from shuxiang.circulation.models import CirculationEvent, Hold
from shuxiang.circulation.tests.test_api_checkouts import NOON, CirculationApiTestCase
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.models import Patron


@time_machine.travel(NOON, tick=False)
class HoldApiTests(CirculationApiTestCase):
    def setUp(self) -> None:
        # Every copy of 西游记 is out: two with Ada, one with Tom.
        for card, barcode in (("P0001", "T0001"), ("P0001", "T0002"), ("P0002", "T0003")):
            self.assertEqual(self.checkout(card, barcode).status_code, 201)

    def hold(self, card: str, user: User | None = None, record: int | None = None):  # type: ignore[no-untyped-def]
        return self.post("holds", {"patron": card, "record": record or self.journey.pk}, user)

    def test_it_places_a_hold_for_any_patron_when_the_librarian_asks(self) -> None:
        r = self.hold("P0003")
        self.assertEqual(r.status_code, 201, r.content)
        hold = Hold.objects.get()
        self.assertEqual(
            r.json(),
            {
                "hold": hold.pk,
                "status": "waiting",
                "record": self.journey.pk,
                "title": "西游记",
                "patron": "P0003",
                "position": 1,
            },
        )
        event = CirculationEvent.objects.get(action="hold_placed")
        self.assertEqual((event.by, event.via), (self.lena, "api"))

    def test_it_says_where_a_reader_stands_in_the_queue(self) -> None:
        self.hold("P0003")
        kim = Patron.objects.create(card_number="P0004", name="金老师", type=Patron.Type.TEACHER)
        self.assertEqual(self.hold(kim.card_number).json()["position"], 2)

    def test_it_lets_a_student_or_teacher_hold_for_themselves_only(self) -> None:
        hana_hold = self.hold("P0003", self.hana)
        self.assertEqual(hana_hold.status_code, 201, hana_hold.content)
        kim = User.objects.create_user("kim", role=User.Role.TEACHER)
        Patron.objects.create(card_number="P0004", name="金老师", type="teacher", user=kim)
        self.assertEqual(self.hold("ｐ０００４", kim).status_code, 201)
        for user, card in ((self.ada, "P0003"), (self.tom, "P0004"), (kim, "P9999")):
            with self.subTest(user=user.username, card=card):
                self.refused(self.hold(card, user), 403, "forbidden")
        self.assertEqual(Hold.objects.count(), 2)

    def test_it_refuses_the_assistant_viewer_and_kiosk(self) -> None:
        for role in (User.Role.ASSISTANT, User.Role.VIEWER, User.Role.KIOSK):
            user = User.objects.create_user(f"u-{role}", role=role)
            with self.subTest(role=role):
                self.refused(self.hold("P0003", user), 403, "forbidden")
        self.assertFalse(Hold.objects.exists())

    def test_it_refuses_a_user_without_a_library_card(self) -> None:
        lone = User.objects.create_user("lone", role=User.Role.STUDENT)
        self.refused(self.hold("P0001", lone), 403, "forbidden")

    def test_it_refuses_a_second_hold_on_the_same_title(self) -> None:
        self.hold("P0003")
        self.refused(self.hold("P0003"), 422, "hold_refused")
        self.assertEqual(Hold.objects.count(), 1)

    def test_it_refuses_a_hold_when_a_copy_is_on_the_shelf(self) -> None:
        self.post("checkins", {"item": "T0003"})
        message = self.refused(self.hold("P0003"), 422, "hold_refused")
        self.assertFalse(Hold.objects.exists(), message)

    def test_it_refuses_a_hold_on_a_book_the_patron_has(self) -> None:
        self.refused(self.hold("P0001"), 422, "hold_refused")

    def test_it_refuses_a_blocked_patron(self) -> None:
        Patron.objects.filter(pk=self.hana_patron.pk).update(status=Patron.Status.SUSPENDED)
        self.refused(self.hold("P0003"), 403, "patron_blocked")

    def test_it_says_patron_not_found_and_card_retired(self) -> None:
        self.refused(self.hold("P9999"), 404, "patron_not_found")
        patron_services.report_card_lost(self.hana_patron, by=self.lena)
        patron_services.reissue_card(self.hana_patron, by=self.lena, new_number="P0100")
        self.refused(self.hold("P0003"), 410, "card_retired")

    def test_it_says_not_found_for_an_unknown_title(self) -> None:
        for record in (999999, -1, 10**30):
            with self.subTest(record=record):
                self.refused(self.hold("P0003", record=record), 404, "item_not_found")

    def test_it_answers_422_for_a_record_that_is_not_a_number(self) -> None:
        r = self.post("holds", {"patron": "P0003", "record": "西游记"})
        self.refused(r, 422, "invalid_request")
