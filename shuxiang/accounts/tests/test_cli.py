from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

from shuxiang import cli
from shuxiang.accounts.models import ApiToken, AuditLog, User
from shuxiang.test import BaseTestCase


def run(*args: str) -> str:
    out = StringIO()
    call_command(*cli.translate(list(args)), stdout=out)
    return out.getvalue()


class UserAddTests(BaseTestCase):
    def test_it_adds_a_user_with_a_role_and_password(self) -> None:
        output = run("user", "add", "zhang", "--role", "assistant", "--password", "desk-pass-9")
        self.assertIn("zhang", output)
        user = User.objects.get(username="zhang")
        self.assertEqual(user.role, User.Role.ASSISTANT)
        self.assertTrue(user.check_password("desk-pass-9"))
        self.assertFalse(user.is_staff)

    def test_it_generates_and_prints_a_password_when_none_is_given(self) -> None:
        output = run("user", "add", "kiosk1", "--role", "kiosk")
        password = output.strip().splitlines()[-1].split("：", 1)[1]
        self.assertTrue(User.objects.get(username="kiosk1").check_password(password))

    def test_it_refuses_an_existing_username(self) -> None:
        with self.assertRaisesRegex(CommandError, "已存在"):
            run("user", "add", "lena", "--role", "librarian", "--password", "another-pass-1")

    def test_it_refuses_a_weak_password(self) -> None:
        with self.assertRaisesRegex(CommandError, "密码"):
            run("user", "add", "weak", "--role", "teacher", "--password", "123")
        self.assertFalse(User.objects.filter(username="weak").exists())

    def test_it_links_the_login_to_a_patron_by_card(self) -> None:
        self.ada_patron.user = None
        self.ada_patron.save()
        run(
            "user",
            "add",
            "ada2",
            "--role",
            "student",
            "--password",
            "own-pass-77",
            "--card",
            "p0001",
        )
        self.ada_patron.refresh_from_db()
        user = User.objects.get(username="ada2")
        self.assertEqual(self.ada_patron.user, user)
        self.assertEqual(user.display_name, "王艾达")

    def test_it_refuses_an_unknown_card_or_one_already_linked(self) -> None:
        with self.assertRaisesRegex(CommandError, "没有借书证号"):
            run(
                "user",
                "add",
                "x1",
                "--role",
                "student",
                "--password",
                "own-pass-77",
                "--card",
                "Z9",
            )
        with self.assertRaisesRegex(CommandError, "已有登录账号"):
            run(
                "user",
                "add",
                "x2",
                "--role",
                "student",
                "--password",
                "own-pass-77",
                "--card",
                "P0001",
            )
        self.assertFalse(User.objects.filter(username__in=["x1", "x2"]).exists())

    def test_it_logs_the_new_account(self) -> None:
        run("user", "add", "wang", "--role", "homeroom", "--password", "class-pass-3")
        self.assertTrue(AuditLog.objects.filter(action="user_added", via="cli").exists())


class TokenTests(BaseTestCase):
    def test_a_printed_token_opens_the_api(self) -> None:
        token = run("token", "tom").strip()
        r = self.client.get("/api/v1/records?q=西游记", HTTP_AUTHORIZATION=f"Bearer {token}")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(ApiToken.objects.get(user=self.tom).prefix, token[3:11])

    def test_only_the_hash_is_stored(self) -> None:
        token = run("token", "tom").strip()
        self.assertFalse(ApiToken.objects.filter(token_hash=token).exists())

    def test_a_revoked_token_is_refused(self) -> None:
        token = run("token", "tom").strip()
        ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
        r = self.client.get("/api/v1/records?q=x", HTTP_AUTHORIZATION=f"Bearer {token}")
        self.assertEqual(r.status_code, 401)

    def test_it_refuses_an_unknown_user(self) -> None:
        with self.assertRaisesRegex(CommandError, "不存在"):
            run("token", "nobody")


class CliTranslationTests(BaseTestCase):
    def test_two_word_commands_map_to_management_commands(self) -> None:
        self.assertEqual(cli.translate(["import", "clc", "f.csv"]), ["import_clc", "f.csv"])
        self.assertEqual(cli.translate(["user", "add", "x"]), ["user_add", "x"])
        self.assertEqual(cli.translate(["--help"]), ["help_shuxiang"])

    def test_an_unknown_sub_command_exits_non_zero(self) -> None:
        with self.assertRaises(SystemExit) as caught:
            cli.translate(["import", "nonsense"])
        self.assertEqual(caught.exception.code, 2)
