"""Closing time in the reading room: the books read in the room and not back yet, checked in
from the list, and the day's count of reading-room uses."""

from __future__ import annotations

from datetime import datetime

import time_machine

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item, Location
from shuxiang.circulation import services
from shuxiang.circulation.models import Loan

from .test_corner_base import NOON, CornerWorld

URL = "/staff/corners/reading-room/"


class RoomClosingListTests(CornerWorld):
    def setUp(self) -> None:
        reading = Location.objects.get(code="READING")
        catalog.catalogue_record(
            catalog.RecordData.with_authors("十万个为什么", ["少年儿童出版社"]),
            [catalog.ItemData(barcode="R0002", location=reading)],
            by=self.lena,
        )
        # Friday: Tom read 十万个为什么 in the room and it was never checked in.
        with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=NOON.tzinfo), tick=False):
            self.friday = services.check_out(self.tom_patron, "R0002", self.desk()).loan
        self.today = services.check_out(self.ada_patron, "R0001", self.desk()).loan
        services.check_out(self.bo, "T0001", self.desk())  # an ordinary loan: not listed
        self.client.force_login(self.lena)

    def test_only_the_librarian_opens_it(self) -> None:
        for user in (self.ada, self.tom, self.hana, self.sam):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403, user)
            r = self.client.post(f"{URL}{self.today.pk}/check-in/")
            self.assertEqual(r.status_code, 403, user)
        self.client.logout()
        self.assertIn("/accounts/login/", self.client.get(URL)["Location"])
        self.assertTrue(Loan.objects.open().filter(pk=self.today.pk))

    def test_it_lists_the_reading_room_books_not_back_the_oldest_first(self) -> None:
        self.assertEqual(self.today.kind, Loan.Kind.IN_ROOM)
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["loans"], [self.friday, self.today])
        self.assertEqual(r.context["earlier"], 1)
        for text in ("十万个为什么", "R0002", "唐老师", "2026-11-20 10:00", "新华字典", "王艾达"):
            self.assertContains(r, text)
        self.assertContains(r, "五年级(2)班")
        self.assertContains(r, "11:45")
        self.assertNotContains(r, "T0001")
        self.assertContains(r, "（其中 1 本是前几天的）")

    def test_it_counts_todays_reading_room_uses_returned_or_not(self) -> None:
        services.check_in("R0001", self.desk())
        services.check_out(self.tom_patron, "R0001", self.desk())
        r = self.client.get(URL)
        self.assertEqual(r.context["uses_today"], 2)
        self.assertContains(r, "今天阅览 2 人次")

    def test_a_book_is_checked_in_from_the_list(self) -> None:
        r = self.client.post(f"{URL}{self.today.pk}/check-in/", follow=True)
        self.assertRedirects(r, URL)
        self.assertContains(r, "《新华字典》已还。")
        self.today.refresh_from_db()
        self.assertEqual(self.today.checked_in_by, self.lena)
        self.assertIsNotNone(self.today.returned_at)
        self.assertEqual(Item.objects.get(barcode="R0001").status, Item.Status.ON_SHELF)
        self.assertEqual(r.context["loans"], [self.friday])

    def test_checking_in_twice_says_it_is_already_back(self) -> None:
        self.client.post(f"{URL}{self.today.pk}/check-in/")
        r = self.client.post(f"{URL}{self.today.pk}/check-in/", follow=True)
        self.assertContains(r, "《新华字典》已经还了。")

    def test_an_ordinary_loan_is_not_checked_in_from_here(self) -> None:
        loan = Loan.objects.get(item__barcode="T0001")
        self.assertEqual(self.client.post(f"{URL}{loan.pk}/check-in/").status_code, 404)
        self.assertTrue(Loan.objects.open().filter(pk=loan.pk))

    def test_opening_the_list_is_logged(self) -> None:
        self.client.get(URL)
        entry = AuditLog.objects.get(action="reading_room.closing_list_viewed")
        self.assertEqual((entry.by, entry.detail), (self.lena, {"rows": 2}))

    def test_when_everything_is_back_it_says_so(self) -> None:
        services.check_in("R0001", self.desk())
        services.check_in("R0002", self.desk())
        self.assertContains(self.client.get(URL), "阅览室的书都还了。")
