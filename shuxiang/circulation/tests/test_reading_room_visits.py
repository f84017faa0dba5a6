"""Teachers' visits to the reading room (教师进阅览室阅览的记载): scan at the door, the week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.urls import reverse

from shuxiang.circulation import services, visits
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import ReadingRoomVisit
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron
from shuxiang.test import BaseTestCase

# Monday 2026-11-23, 03:00 UTC = 11:00 in Shanghai.
MONDAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
URL = reverse("corners:visits")


class RecordVisitTests(BaseTestCase):
    def channel(self) -> services.Channel:
        return services.Channel(by=self.lena, via="web")

    def test_a_scanned_card_is_one_visit_and_a_second_scan_soon_after_is_the_same(self) -> None:
        first = visits.record_visit("P0002", self.channel(), at=MONDAY)
        again = visits.record_visit("p0002", self.channel(), at=MONDAY + timedelta(minutes=30))
        later = visits.record_visit("P0002", self.channel(), at=MONDAY + timedelta(hours=5))
        self.assertTrue(first.new)
        self.assertFalse(again.new)
        self.assertEqual(again.visit, first.visit)
        self.assertTrue(later.new)
        self.assertEqual(ReadingRoomVisit.objects.count(), 2)
        self.assertEqual(first.visit.patron_type, "teacher")
        self.assertEqual(first.visit.visited_on, date(2026, 11, 23))

    def test_unknown_cards_and_readers_who_left_are_refused_with_a_reason(self) -> None:
        with self.assertRaises(PatronError):
            visits.record_visit("NOBODY", self.channel(), at=MONDAY)
        Patron.objects.filter(pk=self.tom_patron.pk).update(status=Patron.Status.LEFT)
        with self.assertRaisesMessage(CirculationError, "唐老师"):
            visits.record_visit("P0002", self.channel(), at=MONDAY)
        self.assertFalse(ReadingRoomVisit.objects.exists())

    def test_the_week_counts_each_teachers_visits_per_day_and_leaves_pupils_apart(self) -> None:
        for days, card in [(0, "P0002"), (2, "P0002"), (2, "P0003"), (3, "P0001"), (7, "P0002")]:
            visits.record_visit(card, self.channel(), at=MONDAY + timedelta(days=days))
        week = visits.teachers_week(date(2026, 11, 23))
        self.assertEqual(
            [(w.name, w.days, w.total) for w in week],
            [("唐老师", [1, 0, 1, 0, 0, 0, 0], 2), ("韩老师", [0, 0, 1, 0, 0, 0, 0], 1)],
        )
        self.assertEqual(
            visits.visits_in(date(2026, 11, 23), date(2026, 11, 29), teachers=False), 1
        )


class VisitPageTests(BaseTestCase):
    @time_machine.travel(MONDAY, tick=False)
    def test_the_desk_records_a_visit_by_scanning_and_sees_the_week(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.post(URL, {"card": "P0002"}, follow=True)
        self.assertContains(response, "唐老师：已记录进馆。")
        self.assertContains(response, f'data-teacher="{self.tom_patron.pk}"')
        refused = self.client.post(URL, {"card": "X9"}, follow=True)
        self.assertContains(refused, "X9")
        self.assertEqual(ReadingRoomVisit.objects.count(), 1)

    def test_teachers_and_pupils_cannot_open_it(self) -> None:
        for user in (self.tom, self.ada, self.hana):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403)
