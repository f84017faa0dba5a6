from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import AuditLog, User
from shuxiang.sip2.models import Kiosk

ENCODINGS = {"server": "", "utf-8": "utf-8", "gbk": "gbk"}
SWITCH = {"on": True, "off": False}


class Command(BaseCommand):
    help = (
        "Show or change a kiosk login's SIP2 settings: shuxiang kiosk NAME "
        "[--encoding utf-8|gbk|server] [--error-detection on|off] [--location TEXT]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a user with the kiosk role")
        parser.add_argument(
            "--encoding",
            choices=list(ENCODINGS),
            help="the kiosk's character set; server = the server's (SHUXIANG_SIP2_ENCODING)",
        )
        parser.add_argument(
            "--error-detection",
            choices=list(SWITCH),
            help="on: check AZ checksums and send AY/AZ on every reply (the default)",
        )
        parser.add_argument("--location", help="the kiosk's place, sent as AN, e.g. 一楼大厅")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"没有用户“{opts['username']}”")
        if user.role != User.Role.KIOSK:
            raise CommandError(
                f"用户“{user.username}”不是自助借还机账号（角色：{user.get_role_display()}）；"
                f"请用 shuxiang user add NAME --role kiosk 添加"
            )
        kiosk = Kiosk.objects.filter(user=user).first() or Kiosk(user=user)
        changed = self._apply(kiosk, opts)
        if changed:
            kiosk.save()
            AuditLog.record("kiosk.settings", by=None, target=kiosk, via="cli", fields=changed)
        self._show(user, kiosk)

    def _apply(self, kiosk: Kiosk, opts: dict[str, Any]) -> list[str]:
        wanted: dict[str, object] = {}
        if opts["encoding"] is not None:
            wanted["encoding"] = ENCODINGS[opts["encoding"]]
        if opts["error_detection"] is not None:
            wanted["error_detection"] = SWITCH[opts["error_detection"]]
        if opts["location"] is not None:
            location = opts["location"].strip()
            if len(location) > 100 or "|" in location:
                raise CommandError("位置名称最长 100 个字，且不能含“|”")
            wanted["location"] = location
        changed = [name for name, value in wanted.items() if getattr(kiosk, name) != value]
        for name in changed:
            setattr(kiosk, name, wanted[name])
        return changed

    def _show(self, user: User, kiosk: Kiosk) -> None:
        encoding = kiosk.encoding.upper() if kiosk.encoding else "与服务器相同"
        self.stdout.write(f"自助借还机 {user.username}")
        self.stdout.write(f"  字符集：{encoding}")
        self.stdout.write(f"  校验和检查（AY/AZ）：{'开' if kiosk.error_detection else '关'}")
        self.stdout.write(f"  位置（AN）：{kiosk.location or '（未设置）'}")
        if not user.is_active:
            self.stdout.write("  注意：该账号已停用，不能登录")
