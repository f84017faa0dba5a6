from __future__ import annotations

from io import StringIO

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from shuxiang.accounts.models import User
from shuxiang.test import BaseTestCase


class PasswordRuleTests(BaseTestCase):
    def add(self, role: str, password: str) -> str:
        out = StringIO()
        call_command("user_add", "newbie", "--role", role, "--password", password, stdout=out)
        return out.getvalue()

    def refused(self, role: str, password: str) -> str:
        with self.assertRaises(CommandError) as caught:
            self.add(role, password)
        self.assertFalse(User.objects.filter(username="newbie").exists())
        return str(caught.exception)

    def test_a_short_password_is_refused_in_chinese(self) -> None:
        message = self.refused("librarian", "k7#Qp2")
        self.assertIn("密码不合要求", message)
        self.assertIn("至少要有 8 个字符", message)

    def test_a_common_or_all_digit_password_is_refused(self) -> None:
        self.assertIn("太常见", self.refused("assistant", "password123"))
        self.assertIn("只包含数字", self.refused("teacher", "20261102"))

    def test_a_password_like_the_user_name_is_refused(self) -> None:
        self.assertIn("相似", self.refused("viewer", "newbie2026"))

    def test_kiosk_accounts_follow_the_same_rules(self) -> None:
        self.assertIn("至少要有 8 个字符", self.refused("kiosk", "kiosk1"))
        self.assertIn("已添加用户", self.add("kiosk", "shelf-Robot-17"))

    def test_a_good_password_is_accepted(self) -> None:
        self.assertIn("已添加用户", self.add("librarian", "Lib-2026-moon"))
        self.assertTrue(User.objects.get(username="newbie").check_password("Lib-2026-moon"))

    def test_a_generated_password_passes_the_rules(self) -> None:
        out = StringIO()
        call_command("user_add", "newbie", "--role", "student", stdout=out)
        password = out.getvalue().split("密码：")[1].strip()
        validate_password(password, User.objects.get(username="newbie"))

    def test_the_validators_speak_chinese_on_any_page(self) -> None:
        with translation.override("zh-hans"), self.assertRaises(ValidationError) as caught:
            validate_password("123")
        self.assertIn("密码太短", " ".join(caught.exception.messages))
