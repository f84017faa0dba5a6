"""shuxiang kiosk NAME: a kiosk login's SIP2 settings, shown and changed."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

from shuxiang.accounts.models import AuditLog, User
from shuxiang.sip2.handlers import Session
from shuxiang.sip2.models import Kiosk
from shuxiang.test import BaseTestCase

LOGIN = b"9300CNkiosk1|COkiosk-pass-1|CP|"


class KioskCommandTest(BaseTestCase):
    kiosk: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.kiosk = User.objects.create_user(
            "kiosk1", password="kiosk-pass-1", role=User.Role.KIOSK
        )

    def run_command(self, *args: str) -> str:
        out = StringIO()
        call_command("kiosk", *args, stdout=out)
        return out.getvalue()

    def test_it_shows_the_defaults_without_saving_anything(self) -> None:
        out = self.run_command("kiosk1")
        self.assertIn("字符集：与服务器相同", out)
        self.assertIn("校验和检查（AY/AZ）：开", out)
        self.assertIn("位置（AN）：（未设置）", out)
        self.assertFalse(Kiosk.objects.exists())

    def test_it_sets_the_encoding_error_detection_and_location(self) -> None:
        out = self.run_command(
            "kiosk1", "--encoding", "gbk", "--error-detection", "off", "--location", "一楼大厅"
        )
        self.assertIn("字符集：GBK", out)
        self.assertIn("校验和检查（AY/AZ）：关", out)
        self.assertIn("位置（AN）：一楼大厅", out)
        kiosk = Kiosk.objects.get(user=self.kiosk)
        self.assertEqual((kiosk.encoding, kiosk.error_detection), ("gbk", False))
        log = AuditLog.objects.get(action="kiosk.settings")
        self.assertEqual(log.detail["fields"], ["encoding", "error_detection", "location"])
        self.run_command("kiosk1", "--encoding", "server")
        self.assertEqual(Kiosk.objects.get(user=self.kiosk).encoding, "")

    def test_the_next_login_uses_the_settings(self) -> None:
        self.run_command("kiosk1", "--encoding", "gbk", "--error-detection", "off")
        session = Session(encoding="utf-8")
        self.assertEqual(session.respond(LOGIN), (b"941\r", False))
        self.assertEqual(session.encoding, "gbk")

    def test_it_refuses_a_user_who_is_not_a_kiosk(self) -> None:
        with self.assertRaisesMessage(CommandError, "不是自助借还机账号"):
            self.run_command("lena", "--encoding", "gbk")
        with self.assertRaisesMessage(CommandError, "没有用户“nobody”"):
            self.run_command("nobody")
        self.assertFalse(Kiosk.objects.exists())

    def test_it_refuses_a_location_that_would_break_the_frame(self) -> None:
        with self.assertRaisesMessage(CommandError, "不能含“|”"):
            self.run_command("kiosk1", "--location", "a|b")
        self.assertFalse(Kiosk.objects.exists())
