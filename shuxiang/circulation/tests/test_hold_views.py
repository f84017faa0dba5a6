"""The librarian's holds page: the queue by title, the hold shelf, cancelling, expiring and
the printed hold-shelf list."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.models import CirculationEvent, Hold

from .test_corner_base import CornerWorld, zh

URL = "/staff/holds/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class HoldAccessTests(CornerWorld):
    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        for url in (URL, f"{URL}shelf/print/"):
            r = self.client.get(url)
            self.assertEqual(r.status_code, 302)
            self.assertIn("/accounts/login/", r["Location"])

    def test_only_the_librarian_may_open_or_change_holds(self) -> None:
        hold = self.waiting_hold()
        for user in (self.ada, self.tom, self.hana, self.sam):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403, user)
            self.assertEqual(self.client.get(f"{URL}shelf/print/").status_code, 403, user)
            self.assertEqual(self.client.post(f"{URL}{hold.pk}/cancel/").status_code, 403)
            self.assertEqual(self.client.post(f"{URL}expire/").status_code, 403)
        hold.refresh_from_db()
        self.assertEqual(hold.status, Hold.Status.WAITING)

    def test_changes_need_a_post(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get(f"{URL}expire/").status_code, 405)
        self.assertEqual(self.client.get(f"{URL}{self.waiting_hold().pk}/cancel/").status_code, 405)

    def waiting_hold(self) -> Hold:
        services.check_out(self.ada_patron, "T0001", self.desk())
        services.check_out(self.tom_patron, "T0002", self.desk())
        return services.place_hold(self.bo, self.journey, self.desk())


class HoldListTests(CornerWorld):
    """Both copies of 西游记 are out; Bo, then Hana, then Ada's classmate wait for it."""

    def setUp(self) -> None:
        services.check_out(self.ada_patron, "T0001", self.desk())
        services.check_out(self.tom_patron, "T0002", self.desk())
        self.t2 = Item.objects.get(barcode="T0002")
        self.bo_hold = services.place_hold(self.bo, self.journey, self.desk())
        self.hana_hold = services.place_hold(self.hana_patron, self.journey, self.desk())
        self.client.force_login(self.lena)

    def test_it_lists_waiting_readers_by_title_in_queue_order(self) -> None:
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        [title] = r.context["waiting"]
        self.assertEqual(title.record, self.journey)
        self.assertEqual(
            [(h.patron, h.position) for h in title.holds], [(self.bo, 1), (self.hana_patron, 2)]
        )
        # The first copy due back: Ada's, 14 days after today.
        self.assertEqual(title.expected, date(2026, 12, 7))
        for text in ("西游记", "李博", "韩老师", "五年级(2)班", "最早 2026-12-07 有书还回"):
            self.assertContains(r, text)
        self.assertContains(r, "预约架上没有书。")

    def test_a_returned_copy_appears_on_the_hold_shelf_with_its_reader(self) -> None:
        checkin = services.check_in("T0002", self.desk())
        self.assertEqual(checkin.hold, self.bo_hold)
        r = self.client.get(URL)
        [ready] = r.context["shelf"]
        self.assertEqual((ready.patron, ready.item.barcode), (self.bo, "T0002"))
        self.assertEqual(ready.expires_on, date(2026, 11, 30))
        for text in ("T0002", "李博", "P0004", "五年级(2)班", "2026-11-30"):
            self.assertContains(r, text)
        # Hana is now first in the queue.
        [title] = r.context["waiting"]
        self.assertEqual([(h.patron, h.position) for h in title.holds], [(self.hana_patron, 1)])

    def test_viewing_the_holds_is_logged(self) -> None:
        self.client.get(URL)
        entry = AuditLog.objects.get(action="holds.viewed")
        self.assertEqual((entry.by, entry.detail), (self.lena, {"ready": 0, "waiting": 2}))

    def test_the_page_takes_a_fixed_number_of_queries(self) -> None:
        services.check_in("T0002", self.desk())
        self.client.get(URL)
        with self.assertNumQueries(6):  # session, user, shelf, queue, due dates, audit log
            self.client.get(URL)

    def test_cancelling_a_waiting_hold_moves_the_queue_up(self) -> None:
        r = self.client.post(f"{URL}{self.bo_hold.pk}/cancel/", follow=True)
        self.assertRedirects(r, URL)
        self.assertContains(r, "《西游记》的预约已取消。")
        self.bo_hold.refresh_from_db()
        self.assertEqual(self.bo_hold.status, Hold.Status.CANCELLED)
        [title] = r.context["waiting"]
        self.assertEqual([(h.patron, h.position) for h in title.holds], [(self.hana_patron, 1)])
        event = CirculationEvent.objects.get(action="hold_cancelled")
        self.assertEqual((event.by, event.hold), (self.lena, self.bo_hold))

    def test_cancelling_a_ready_hold_passes_the_copy_to_the_next_reader(self) -> None:
        services.check_in("T0002", self.desk())
        r = self.client.post(f"{URL}{self.bo_hold.pk}/cancel/", follow=True)
        self.assertContains(r, "T0002 留在预约架上，改为留给韩老师。")
        self.hana_hold.refresh_from_db()
        self.assertEqual((self.hana_hold.status, self.hana_hold.item_id), ("ready", self.t2.pk))

    def test_cancelling_the_last_ready_hold_sends_the_copy_back_to_the_shelf(self) -> None:
        services.cancel_hold(self.hana_hold, self.desk())
        services.check_in("T0002", self.desk())
        r = self.client.post(f"{URL}{self.bo_hold.pk}/cancel/", follow=True)
        self.assertContains(r, "请把 T0002 放回书架。")
        self.assertEqual(self.status("T0002"), Item.Status.ON_SHELF)

    def test_cancelling_a_closed_hold_is_refused_and_changes_nothing(self) -> None:
        services.cancel_hold(self.bo_hold, self.desk())
        r = self.client.post(f"{URL}{self.bo_hold.pk}/cancel/", follow=True)
        self.assertContains(r, zh("This hold is no longer active."))
        self.assertEqual(CirculationEvent.objects.filter(action="hold_cancelled").count(), 1)

    def test_an_unknown_hold_is_a_404(self) -> None:
        self.assertEqual(self.client.post(f"{URL}99999/cancel/").status_code, 404)

    def test_expiry_now_expires_uncollected_holds_and_says_where_the_copy_goes(self) -> None:
        services.check_in("T0002", self.desk())  # kept for Bo until 2026-11-30
        with time_machine.travel(datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)):
            self.client.force_login(self.lena)  # a week on: a new day's session
            r = self.client.post(f"{URL}expire/", follow=True)
            self.assertContains(r, "没有过了保留期的预约。")
        with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)):
            self.client.force_login(self.lena)
            r = self.client.get(URL)
            self.assertContains(r, "（已过期）")
            self.assertContains(r, "立即处理过期预约 (1)")
            r = self.client.post(f"{URL}expire/", follow=True)
        self.assertContains(r, "已过期的预约：1 个。")
        self.assertContains(r, "T0002 留在预约架上，改为留给韩老师。")
        self.bo_hold.refresh_from_db()
        self.assertEqual(self.bo_hold.status, Hold.Status.EXPIRED)
        self.hana_hold.refresh_from_db()
        self.assertEqual(self.hana_hold.status, Hold.Status.READY)

    def test_the_printable_hold_shelf_lists_copy_reader_class_and_last_day(self) -> None:
        services.check_in("T0002", self.desk())
        r = self.client.get(f"{URL}shelf/print/")
        self.assertEqual(r.status_code, 200)
        for text in ("T0002", "西游记", "李博", "P0004", "五年级(2)班", "2026-11-30", "data-print"):
            self.assertContains(r, text)
        self.assertNotContains(r, "韩老师")  # still waiting, not on the shelf
