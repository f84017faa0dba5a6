"""`shuxiang init`: here, in the right-most data app, because it sets up every app's defaults."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from shuxiang.catalog import clc_table, services
from shuxiang.catalog.models import ClcClass
from shuxiang.circulation import defaults


class Command(BaseCommand):
    help = "Create or upgrade the database, the default locations and the 中图法 table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        say = (lambda msg: None) if opts["quiet"] else self.stdout.write
        call_command("migrate", interactive=False, verbosity=0)
        say("数据库已就绪")
        services.ensure_default_locations()
        say("馆藏地点：书库、阅览室、教师阅览室、工具书区")
        if not ClcClass.objects.exists():
            count = clc_table.load_shipped(progress=None if opts["quiet"] else self._progress)
            say(f"\n中图法分类表：{count} 个类目")
        for line in defaults.ensure_defaults(timezone.localdate()):
            say(line)
        say("完成。添加管理员：shuxiang user add 用户名 --role librarian")

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r载入中图法 {done}/{total}", ending="")
        self.stdout.flush()
