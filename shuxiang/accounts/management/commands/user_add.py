from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import AuditLog, User


class Command(BaseCommand):
    help = "Add a user: shuxiang user add USERNAME --role ROLE [--password P] [--name NAME]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--password", help="omit to generate one, printed once")
        parser.add_argument("--name", default="", help="display name, e.g. 李老师")

    def handle(self, *args: Any, **opts: Any) -> None:
        username = opts["username"].strip()
        if not username:
            raise CommandError("用户名不能为空")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户“{username}”已存在")
        password = opts["password"] or secrets.token_urlsafe(9)
        user = User(username=username, role=opts["role"], display_name=opts["name"])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不合要求：" + " ".join(exc.messages)) from None
        user.set_password(password)
        user.is_staff = opts["role"] == User.Role.LIBRARIAN
        user.save()
        AuditLog.record("user_added", by=None, target=user, via="cli", role=user.role)
        self.stdout.write(f"已添加用户 {username}（{user.get_role_display()}）")
        if not opts["password"]:
            self.stdout.write(f"密码：{password}")
