"""A reader holds a title from its page in the catalogue (预约), for their own card only, and
sees and cancels their holds there and on 我的借阅."""

from __future__ import annotations

from shuxiang.circulation import services
from shuxiang.circulation.models import CirculationEvent, Hold
from shuxiang.patrons import services as patron_services

from .test_corner_base import CornerWorld, zh

ME = "/staff/patrons/me/"


class OpacHoldTests(CornerWorld):
    def setUp(self) -> None:
        self.page = f"/records/{self.journey.pk}/"
        self.place = f"{self.page}hold/"

    def all_out(self) -> None:
        services.check_out(self.tom_patron, "T0001", self.desk())
        services.check_out(self.hana_patron, "T0002", self.desk())

    def test_a_reader_is_offered_a_hold_only_when_no_copy_is_on_the_shelf(self) -> None:
        self.client.force_login(self.ada)
        services.check_out(self.tom_patron, "T0001", self.desk())
        r = self.client.get(self.page)
        self.assertFalse(r.context["offer_hold"])
        self.assertNotContains(r, f'action="{self.place}"')
        services.check_out(self.hana_patron, "T0002", self.desk())
        r = self.client.get(self.page)
        self.assertContains(r, f'action="{self.place}"')
        self.assertContains(r, ">预约</button>")

    def test_placing_a_hold_holds_the_title_for_the_readers_own_card(self) -> None:
        self.all_out()
        self.client.force_login(self.ada)
        # A card number in the form is ignored: a reader holds for themselves only.
        r = self.client.post(self.place, {"patron": "P0004", "card": "P0004"}, follow=True)
        self.assertRedirects(r, self.page)
        self.assertContains(r, "预约成功：书还回来时图书室会为你留着。")
        hold = Hold.objects.get()
        self.assertEqual(
            (hold.patron, hold.record, hold.status), (self.ada_patron, self.journey, "waiting")
        )
        self.assertFalse(Hold.objects.filter(patron=self.bo).exists())
        self.assertContains(r, "你已预约这本书，排在第 1 位。")
        self.assertNotContains(r, f'action="{self.place}"')
        event = CirculationEvent.objects.get(action="hold_placed")
        self.assertEqual((event.by, event.via, event.patron), (self.ada, "web", self.ada_patron))

    def test_the_queue_position_is_the_readers_own(self) -> None:
        self.all_out()
        services.place_hold(self.bo, self.journey, self.desk())
        self.client.force_login(self.ada)
        self.client.post(self.place)
        self.assertContains(self.client.get(self.page), "排在第 2 位")

    def test_a_hold_is_refused_while_a_copy_is_on_the_shelf(self) -> None:
        services.check_out(self.tom_patron, "T0001", self.desk())
        self.client.force_login(self.ada)
        r = self.client.post(self.place, follow=True)
        self.assertContains(r, zh("A copy is on the shelf: borrow it at the desk."))
        self.assertFalse(Hold.objects.exists())

    def test_a_reader_with_a_lost_card_is_refused(self) -> None:
        self.all_out()
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        self.client.force_login(self.ada)
        r = self.client.post(self.place, follow=True)
        self.assertContains(r, zh("This card has been reported lost."))
        self.assertFalse(Hold.objects.exists())

    def test_a_copy_kept_for_the_reader_says_until_when(self) -> None:
        self.all_out()
        services.place_hold(self.ada_patron, self.journey, self.desk())
        services.check_in("T0002", self.desk())
        self.client.force_login(self.ada)
        r = self.client.get(self.page)
        self.assertContains(r, "书已为你留好：请在 2026-11-30 前到图书室借。")

    def test_a_reader_cancels_their_own_hold(self) -> None:
        self.all_out()
        hold = services.place_hold(self.ada_patron, self.journey, self.desk())
        self.client.force_login(self.ada)
        r = self.client.post(f"/my/holds/{hold.pk}/cancel/", follow=True)
        self.assertRedirects(r, self.page)
        self.assertContains(r, "你对《西游记》的预约已取消。")
        hold.refresh_from_db()
        self.assertEqual(hold.status, Hold.Status.CANCELLED)

    def test_nobody_cancels_anothers_hold(self) -> None:
        self.all_out()
        hold = services.place_hold(self.bo, self.journey, self.desk())
        for user in (self.ada, self.tom, self.lena):
            self.client.force_login(user)
            self.assertEqual(self.client.post(f"/my/holds/{hold.pk}/cancel/").status_code, 404)
        hold.refresh_from_db()
        self.assertEqual(hold.status, Hold.Status.WAITING)

    def test_staff_without_a_card_are_not_offered_a_hold(self) -> None:
        self.all_out()
        self.client.force_login(self.lena)
        r = self.client.get(self.page)
        self.assertNotContains(r, f'action="{self.place}"')
        r = self.client.post(self.place, follow=True)
        self.assertContains(r, "你的账号没有关联借书证：请找图书管理员。")
        self.assertFalse(Hold.objects.exists())

    def test_visitors_are_invited_to_log_in_and_may_not_post(self) -> None:
        self.all_out()
        r = self.client.get(self.page)
        self.assertContains(r, "登录后可以预约")
        r = self.client.post(self.place)
        self.assertEqual(r.status_code, 302)
        self.assertIn("/accounts/login/", r["Location"])
        self.assertFalse(Hold.objects.exists())

    def test_holding_needs_a_post(self) -> None:
        self.client.force_login(self.ada)
        self.assertEqual(self.client.get(self.place).status_code, 405)

    def test_a_reader_who_has_the_book_is_not_offered_a_hold_on_it(self) -> None:
        services.check_out(self.ada_patron, "T0001", self.desk())
        services.check_out(self.tom_patron, "T0002", self.desk())
        self.client.force_login(self.ada)
        self.assertFalse(self.client.get(self.page).context["offer_hold"])
        r = self.client.post(self.place, follow=True)
        self.assertContains(r, zh("You already have this title on loan."))
        self.assertFalse(Hold.objects.exists())

    def test_a_title_read_in_the_room_only_is_never_offered(self) -> None:
        services.check_out(self.ada_patron, "R0001", self.desk())
        self.client.force_login(self.ada)
        r = self.client.get(f"/records/{self.dictionary.pk}/")
        self.assertFalse(r.context["offer_hold"])
        self.assertNotContains(r, "登录后可以预约")


class MyAccountHoldsTests(CornerWorld):
    def setUp(self) -> None:
        services.check_out(self.tom_patron, "T0001", self.desk())
        services.check_out(self.hana_patron, "T0002", self.desk())
        self.hold = services.place_hold(self.ada_patron, self.journey, self.desk())
        self.client.force_login(self.ada)

    def test_my_account_lists_my_active_holds_with_a_way_to_cancel(self) -> None:
        r = self.client.get(ME)
        self.assertContains(r, "我的预约")
        self.assertContains(r, "西游记")
        self.assertContains(r, "等书还回来")
        self.assertContains(r, f'action="/my/holds/{self.hold.pk}/cancel/"')
        r = self.client.post(f"/my/holds/{self.hold.pk}/cancel/", {"next": ME}, follow=True)
        self.assertRedirects(r, ME)
        self.assertContains(r, "你对《西游记》的预约已取消。")
        self.assertContains(r, "没有预约。")

    def test_a_ready_hold_says_until_when_and_nobody_elses_show(self) -> None:
        services.check_in("T0002", self.desk())
        r = self.client.get(ME)
        self.assertContains(r, "已为你留好，请在 2026-11-30 前来借")
        self.client.force_login(self.tom)
        r = self.client.get(ME)
        self.assertNotContains(r, "西游记</a>")

    def test_a_foreign_next_address_is_not_followed(self) -> None:
        r = self.client.post(f"/my/holds/{self.hold.pk}/cancel/", {"next": "https://example.com/"})
        self.assertRedirects(r, f"/records/{self.journey.pk}/", fetch_redirect_response=False)
