from __future__ import annotations

from shuxiang.accounts.models import User
from shuxiang.circulation.models import CirculationEvent
from shuxiang.circulation.tests.test_desk_base import HTMX, DeskTestCase


class DeskAccessTests(DeskTestCase):
    def test_the_assistant_gets_the_desk_with_the_scan_box_focused(self) -> None:
        r = self.client.get("/desk/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "借还台")
        self.assertContains(r, 'name="code"')
        self.assertContains(r, "autofocus")
        self.assertContains(r, "circulation/desk.js")

    def test_the_librarian_gets_the_desk(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get("/desk/").status_code, 200)
        self.assertEqual(self.scan("P0001").status_code, 200)

    def test_readers_teachers_and_viewers_are_refused(self) -> None:
        viewer = User.objects.create_user("vic", role=User.Role.VIEWER)
        kiosk = User.objects.create_user("kiosk", role=User.Role.KIOSK)
        for user in (self.ada, self.tom, self.hana, viewer, kiosk):
            self.client.force_login(user)
            with self.subTest(role=user.role):
                self.assertEqual(self.client.get("/desk/").status_code, 403)
                self.assertEqual(self.scan("T0001").status_code, 403)
                self.assertEqual(self.press("undo").status_code, 403)
        self.assertFalse(CirculationEvent.objects.exists())

    def test_a_visitor_is_sent_to_log_in(self) -> None:
        self.client.logout()
        r = self.client.get("/desk/")
        self.assertRedirects(r, "/accounts/login/?next=/desk/")
        r = self.client.post("/desk/scan/", {"code": "T0001"})
        self.assertRedirects(r, "/accounts/login/?next=/desk/scan/")

    def test_an_htmx_scan_after_the_session_ran_out_takes_the_whole_page_to_login(self) -> None:
        self.client.logout()
        r = self.scan("T0001")
        self.assertEqual(r.headers["HX-Redirect"], "/accounts/login/?next=/desk/")
        self.assertFalse(CirculationEvent.objects.exists())

    def test_the_desk_only_takes_posts_for_its_actions(self) -> None:
        self.assertEqual(self.client.get("/desk/scan/?code=T0001").status_code, 405)
        self.assertEqual(self.client.post("/desk/", headers=HTMX).status_code, 405)

    def test_the_assistant_sees_only_the_desk_in_the_menu(self) -> None:
        r = self.client.get("/desk/")
        nav = r.content.decode().split('id="sx-nav"')[1].split("</nav>")[0]
        self.assertIn('href="/desk/"', nav)
        self.assertIn(">借还<", nav)
        for other in ("查找图书", "编目", "读者", "我的"):
            self.assertNotIn(other, nav)

    def test_the_librarian_has_the_desk_in_the_menu_beside_the_rest(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/staff/catalog/")
        nav = r.content.decode().split('id="sx-nav"')[1].split("</nav>")[0]
        self.assertIn('href="/desk/"', nav)
        self.assertIn("查找图书", nav)

    def test_readers_have_no_desk_in_the_menu(self) -> None:
        self.client.force_login(self.ada)
        r = self.client.get("/")
        self.assertNotContains(r, 'href="/desk/"')


class DeskStationTests(DeskTestCase):
    def test_the_librarian_names_the_desk_and_its_events_carry_the_name(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.post("/desk/station/", {"station": " 一楼  借还台 "})
        self.assertRedirects(r, "/desk/")
        self.assertContains(self.client.get("/desk/"), "本借还台：一楼 借还台")
        self.scan("P0001")
        self.scan("T0001")
        event = CirculationEvent.objects.get(action="checkout")
        self.assertEqual((event.via, event.station, event.by), ("desk", "一楼 借还台", self.lena))

    def test_without_a_name_the_desk_is_called_desk(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        event = CirculationEvent.objects.get(action="checkout")
        self.assertEqual((event.via, event.station, event.by), ("desk", "desk", self.sam))

    def test_the_assistant_cannot_rename_the_desk(self) -> None:
        r = self.client.post("/desk/station/", {"station": "我的台"})
        self.assertEqual(r.status_code, 403)
        self.assertNotContains(self.client.get("/desk/"), "Name this desk")
