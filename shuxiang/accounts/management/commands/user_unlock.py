from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuxiang.accounts import lockout


class Command(BaseCommand):
    help = "Lift a login lockout at once: shuxiang user unlock USERNAME"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        username = opts["username"]
        if lockout.unlock(username, by=None, via="cli"):
            self.stdout.write(f"已解除“{username}”的登录锁定")
        else:
            # Its failures are forgotten all the same, so the next mistake starts from one.
            self.stdout.write(f"“{username}”没有被锁定")
