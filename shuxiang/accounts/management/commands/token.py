from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shuxiang.accounts.models import ApiToken, AuditLog, User


class Command(BaseCommand):
    help = (
        "Print a new API token for USERNAME (shown once; only its hash is kept). "
        "--list shows the user's tokens; --revoke PREFIX (or --revoke all) revokes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--revoke",
            metavar="PREFIX",
            help="revoke the user's token starting with PREFIX (the 8 characters after sx_), "
            "or all of them with --revoke all; write --revoke=PREFIX if it starts with -",
        )
        parser.add_argument("--list", action="store_true", help="list the user's tokens")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"用户“{opts['username']}”不存在")
        if opts["list"]:
            self._list(user)
        elif opts["revoke"]:
            self._revoke(user, opts["revoke"])
        else:
            self._mint(user)

    def _mint(self, user: User) -> None:
        if not user.is_active:
            raise CommandError(f"用户“{user.username}”已停用")
        token, raw = ApiToken.mint(user)
        AuditLog.record("token_minted", by=None, target=user, via="cli", prefix=token.prefix)
        self.stdout.write(raw)

    def _list(self, user: User) -> None:
        for token in user.api_tokens.order_by("created_at"):
            state = f"已吊销 {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "有效"
            self.stdout.write(f"{token.prefix}  创建于 {token.created_at:%Y-%m-%d %H:%M}  {state}")

    def _revoke(self, user: User, prefix: str) -> None:
        live = user.api_tokens.filter(revoked_at__isnull=True)
        if prefix != "all":
            # A pasted whole token (sx_…) is accepted too: its prefix follows "sx_".
            prefix = prefix.removeprefix("sx_")[:8]
            live = live.filter(prefix=prefix)
        prefixes = list(live.values_list("prefix", flat=True))
        if not prefixes:
            raise CommandError(f"用户“{user.username}”没有前缀为 {prefix} 的有效令牌")
        live.update(revoked_at=timezone.now())
        for revoked in prefixes:
            AuditLog.record("token_revoked", by=None, target=user, via="cli", prefix=revoked)
        self.stdout.write(f"已吊销 {len(prefixes)} 个令牌：{', '.join(prefixes)}")
