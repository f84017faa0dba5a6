from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from shuxiang.accounts.models import User
from shuxiang.catalog import demo
from shuxiang.catalog.models import Record

URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = "Load a made-up school collection and demo logins (run `shuxiang init` first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the catalogue has records"
        )
        parser.add_argument(
            "--records", type=int, default=demo.DEFAULT_RECORDS, help="number of titles"
        )
        parser.add_argument("--seed", type=int, default=0, help="another seed, other books")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["records"] < 0:
            raise CommandError("--records 不能为负数")
        try:
            has_records = Record.objects.exists()
        except DatabaseError:
            raise CommandError("数据库还没有建立：请先运行 shuxiang init") from None
        if opts["if_empty"] and has_records:
            self.stdout.write("书目库中已有书目，不载入演示数据。")
            self._logins()
            return
        self.stdout.write(f"载入演示学校的藏书：{opts['records']} 种书目 …")
        report = demo.load_demo(
            opts["records"],
            seed=opts["seed"],
            progress=self._progress("书目"),
            index_progress=self._progress("检索索引"),
        )
        self.stdout.write(
            f"\n完成：{report.records} 种书目、{report.items} 册，用时 {report.seconds:.1f} 秒"
            f"（载入每秒 {report.records_per_second:,.0f} 种，"
            f"建立索引 {report.index_seconds:.1f} 秒）"
        )
        demo.ensure_demo_users()
        self._logins()

    def _progress(self, what: str) -> demo.Progress:
        def show(done: int, total: int) -> None:
            self.stdout.write(f"\r{what} {done}/{total}", ending="\n" if done >= total else "")
            self.stdout.flush()

        return show

    def _logins(self) -> None:
        names = {u for u, _, _ in demo.DEMO_USERS}
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        self.stdout.write(f"\n打开 {URL}")
        if not existing:
            return
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}，如未修改）：")
        for username, _, purpose in demo.DEMO_USERS:
            if username in existing:
                self.stdout.write(f"  {username:<10} {purpose}")
