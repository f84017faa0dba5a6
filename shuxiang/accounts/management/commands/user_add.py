from __future__ import annotations

import secrets
from typing import Any

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import AuditLog, User
from shuxiang.lib import barcodes


class Command(BaseCommand):
    help = "Add a user: shuxiang user add USERNAME --role ROLE [--password P] [--name NAME]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--password", help="omit to generate one, printed once")
        parser.add_argument("--name", default="", help="display name, e.g. 李老师")
        parser.add_argument(
            "--card", default="", help="link the login to this patron (their library card number)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        username = opts["username"].strip()
        if not username:
            raise CommandError("用户名不能为空")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户“{username}”已存在")
        patron = self._patron(opts["card"]) if opts["card"] else None
        password = opts["password"] or secrets.token_urlsafe(9)
        name = opts["name"] or (patron.name if patron is not None else "")
        user = User(username=username, role=opts["role"], display_name=name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不合要求：" + " ".join(exc.messages)) from None
        user.set_password(password)
        user.is_staff = opts["role"] == User.Role.LIBRARIAN
        user.save()
        AuditLog.record("user_added", by=None, target=user, via="cli", role=user.role)
        self.stdout.write(f"已添加用户 {username}（{user.get_role_display()}）")
        if patron is not None:
            patron.user = user
            patron.save(update_fields=["user", "updated_at"])
            AuditLog.record("patron.login_linked", by=None, target=patron, via="cli")
            self.stdout.write(f"已关联读者 {patron.card_number}")
        if not opts["password"]:
            self.stdout.write(f"密码：{password}")

    def _patron(self, card: str) -> Any:
        # By app label, not import: accounts sits below patrons in the dependency order.
        patron_model = apps.get_model("patrons", "Patron")
        patron = patron_model.objects.filter(card_number=barcodes.normalize(card)).first()
        if patron is None:
            raise CommandError(f"没有借书证号为 {card} 的读者")
        if patron.user_id is not None:
            raise CommandError(f"读者 {card} 已有登录账号")
        return patron
