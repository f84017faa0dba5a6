from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings

from shuxiang.accounts.models import User
from shuxiang.test import BaseTestCase

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class IdleTimeoutTests(BaseTestCase):
    def setUp(self) -> None:
        self.sam = User.objects.create_user("sam", password="sam-pass-12", role=User.Role.ASSISTANT)

    def at(self, minutes: float, path: str = "/desk/") -> int:
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            return self.client.get(path).status_code

    def test_a_desk_left_alone_for_thirty_minutes_is_logged_out(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.client.post("/accounts/login/", {"username": "sam", "password": "sam-pass-12"})
        self.assertEqual(self.at(29), 200)
        with time_machine.travel(T0 + timedelta(minutes=29 + 31), tick=False):
            r = self.client.get("/desk/", follow=True)
        self.assertEqual(r.redirect_chain, [("/accounts/login/?next=/desk/", 302)])
        self.assertContains(r, "30 分钟未操作，已自动退出登录")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_desk_in_use_stays_logged_in_all_day(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.client.post("/accounts/login/", {"username": "sam", "password": "sam-pass-12"})
        for minute in range(0, 8 * 60, 20):
            self.assertEqual(self.at(minute), 200, minute)

    @override_settings(SHUXIANG_IDLE_MINUTES=5)
    def test_the_idle_time_is_configurable(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.client.force_login(self.lena)
        self.assertEqual(self.at(1, "/staff/catalog/"), 200)
        self.assertEqual(self.at(7, "/staff/catalog/"), 302)

    @override_settings(SHUXIANG_IDLE_MINUTES=0)
    def test_zero_turns_it_off(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.client.force_login(self.lena)
        self.assertEqual(self.at(1, "/staff/catalog/"), 200)
        self.assertEqual(self.at(6 * 60, "/staff/catalog/"), 200)

    def test_sessions_end_with_the_browser_and_after_eight_hours_at_most(self) -> None:
        from django.conf import settings

        self.assertTrue(settings.SESSION_EXPIRE_AT_BROWSER_CLOSE)
        self.assertEqual(settings.SESSION_COOKIE_AGE, 8 * 3600)
        self.assertTrue(settings.SESSION_COOKIE_HTTPONLY)
