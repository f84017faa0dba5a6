from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.test import override_settings

from shuxiang.accounts.models import AuditLog, LoginFailure, LoginLock
from shuxiang.test import BaseTestCase

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LOCKED = "登录失败次数过多"


class LoginLockoutTests(BaseTestCase):
    def login(self, username: str, password: str, ip: str = "10.0.0.7") -> int:
        r = self.client.post(
            "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
        )
        return r.status_code

    def fail_login(self, username: str, times: int, ip: str = "10.0.0.7") -> list[int]:
        return [self.login(username, "wrong-guess", ip) for _ in range(times)]

    def test_it_locks_a_user_name_after_five_failures_even_for_the_right_password(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.assertEqual(self.fail_login("lena", 5), [200, 200, 200, 200, 429])
            r = self.client.post(
                "/accounts/login/", {"username": "lena", "password": "lena-pass-1"}
            )
        self.assertEqual(r.status_code, 429)
        self.assertContains(r, LOCKED, status_code=429)
        self.assertContains(r, "15 分钟", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_lets_the_user_in_again_when_the_lock_has_passed(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("lena", 5)
        with time_machine.travel(T0 + timedelta(minutes=14), tick=False):
            self.assertEqual(self.login("lena", "lena-pass-1"), 429)
        with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
            self.assertEqual(self.login("lena", "lena-pass-1"), 302)

    def test_it_counts_only_failures_within_fifteen_minutes(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("lena", 4)
        with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
            self.assertEqual(self.fail_login("lena", 4), [200] * 4)
            self.assertEqual(self.login("lena", "lena-pass-1"), 302)

    def test_it_says_the_same_for_a_name_that_does_not_exist(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.assertEqual(self.fail_login("nobody", 5)[-1], 429)
            self.assertEqual(self.fail_login("lena", 5)[-1], 429)
            ghost = self.client.post("/accounts/login/", {"username": "nobody", "password": "x"})
            real = self.client.post("/accounts/login/", {"username": "lena", "password": "x"})
        self.assertEqual(ghost.status_code, real.status_code)
        self.assertContains(ghost, LOCKED, status_code=429)
        self.assertContains(real, LOCKED, status_code=429)

    def test_it_counts_a_name_in_any_letter_case(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("Lena", 2)
            self.fail_login("LENA", 2)
            self.assertEqual(self.fail_login("lena", 1), [429])

    def test_a_successful_login_clears_the_names_count(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("lena", 4)
            self.assertEqual(self.login("lena", "lena-pass-1"), 302)
            self.client.logout()
            self.assertEqual(self.fail_login("lena", 4), [200] * 4)
            self.assertEqual(self.login("lena", "lena-pass-1"), 302)

    @override_settings(SHUXIANG_LOGIN_IP_MAX_FAILURES=20)
    def test_it_locks_an_address_that_guesses_many_names(self) -> None:
        with time_machine.travel(T0, tick=False):
            for n in range(19):
                self.assertEqual(self.login(f"user{n}", "guess", ip="10.0.0.99"), 200)
            self.assertEqual(self.login("user19", "guess", ip="10.0.0.99"), 429)
            # Even the librarian's right password is refused from that address …
            self.assertEqual(self.login("lena", "lena-pass-1", ip="10.0.0.99"), 429)
            # … but not from the desk PC next to it.
            self.assertEqual(self.login("lena", "lena-pass-1", ip="10.0.0.5"), 302)

    def test_every_lockout_is_in_the_audit_log_without_the_password(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("lena", 5)
        entry = AuditLog.objects.get(action="login_locked")
        self.assertEqual(entry.target_id, str(self.lena.pk))
        self.assertEqual(entry.detail["kind"], "username")
        self.assertNotIn("wrong-guess", str(entry.detail))
        self.assertFalse(LoginFailure.objects.filter(username="wrong-guess").exists())

    def test_the_librarian_unlocks_a_name_from_the_console(self) -> None:
        with time_machine.travel(T0, tick=False):
            self.fail_login("ada", 5)
            out = StringIO()
            call_command("user_unlock", "ada", stdout=out)
            self.assertIn("已解除", out.getvalue())
            self.assertEqual(self.login("ada", "ada-pass-1"), 302)
            self.assertFalse(LoginLock.objects.filter(value="ada").exists())
            self.assertTrue(
                AuditLog.objects.filter(action="login_unlocked", target_id=str(self.ada.pk))
            )
            out = StringIO()
            call_command("user_unlock", "ada", stdout=out)
            self.assertIn("没有被锁定", out.getvalue())

    def test_any_typed_name_is_counted_without_a_server_error(self) -> None:
        for name in ["李" * 200, " "]:
            self.assertEqual(self.login(name, "x"), 200, repr(name))
        self.assertEqual(self.fail_login("李" * 200, 4)[-1], 429)
        for name in ["a\x00b", "\x00"]:  # refused before any view (RefuseNulMiddleware)
            self.assertEqual(self.login(name, "x"), 400, repr(name))

    def test_a_kiosk_account_cannot_log_in_to_the_web_pages(self) -> None:
        from shuxiang.accounts.models import User

        User.objects.create_user("kiosk1", password="kiosk-pass-1", role=User.Role.KIOSK)
        r = self.client.post("/accounts/login/", {"username": "kiosk1", "password": "kiosk-pass-1"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "自助借还机")
        self.assertNotIn("_auth_user_id", self.client.session)
