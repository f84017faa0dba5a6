from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import ApiToken, AuditLog, User


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (shown once; only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"用户“{opts['username']}”不存在")
        if not user.is_active:
            raise CommandError(f"用户“{user.username}”已停用")
        token, raw = ApiToken.mint(user)
        AuditLog.record("token_minted", by=None, target=user, via="cli", prefix=token.prefix)
        self.stdout.write(raw)
