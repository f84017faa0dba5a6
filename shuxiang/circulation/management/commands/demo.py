"""`shuxiang demo`: here, in the right-most data app, because it loads catalogue and patrons."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from shuxiang.accounts.models import User
from shuxiang.catalog import demo
from shuxiang.catalog.models import Record
from shuxiang.circulation import demo as circulation_demo
from shuxiang.patrons import demo as patrons_demo
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports import goals, periods

URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Load a made-up school: its collection, classes, pupils, teachers, the class rotation, "
        "a term of loans and demo logins (run `shuxiang init` first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the catalogue has records"
        )
        parser.add_argument(
            "--records", type=int, default=demo.DEFAULT_RECORDS, help="number of titles"
        )
        parser.add_argument("--seed", type=int, default=0, help="another seed, other books")
        parser.add_argument(
            "--classes-per-grade",
            type=int,
            default=patrons_demo.CLASSES_PER_GRADE,
            help="classes in each grade",
        )
        parser.add_argument(
            "--class-size", type=int, default=patrons_demo.CLASS_SIZE, help="pupils in a class"
        )
        parser.add_argument(
            "--teachers", type=int, default=patrons_demo.TEACHERS, help="number of teachers"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        for name in ("records", "classes_per_grade", "class_size", "teachers"):
            if opts[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} 不能为负数")
        try:
            has_records = Record.objects.exists()
            has_patrons = Patron.objects.exists()
        except DatabaseError:
            raise CommandError("数据库还没有建立：请先运行 shuxiang init") from None
        if opts["if_empty"] and (has_records or has_patrons):
            what = "书目" if has_records else "读者"
            self.stdout.write(f"数据库中已有{what}，不载入演示数据。")
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
        # The librarian and the assistant first: the loan history is theirs.
        demo.ensure_demo_users()
        if self._load_patrons(opts):
            self._load_history(opts)
        patrons_demo.ensure_demo_users()
        self._logins()

    def _load_patrons(self, opts: dict[str, Any]) -> bool:
        if SchoolClass.objects.filter(graduated_on__isnull=True).exists():
            self.stdout.write("已有班级，不载入演示读者。")
            return False
        if not opts["classes_per_grade"] or not opts["class_size"]:
            return False
        self.stdout.write("载入演示学校的班级、学生和教师 …")
        report = patrons_demo.load_demo_patrons(
            seed=opts["seed"],
            classes_per_grade=opts["classes_per_grade"],
            class_size=opts["class_size"],
            teachers=opts["teachers"],
        )
        self.stdout.write(
            f"完成：{report.classes} 个班级、{report.students} 名学生、{report.teachers} 名教师，"
            f"用时 {report.seconds:.1f} 秒"
        )
        return True

    def _load_history(self, opts: dict[str, Any]) -> None:
        self.stdout.write("生成借还书轮流安排表，载入本学期的借阅 …")
        report = circulation_demo.load_demo_history(seed=opts["seed"])
        since = f"自 {report.first_day:%Y-%m-%d} 起" if report.first_day else ""
        self.stdout.write(
            f"完成：{since}借阅 {report.loans} 次（在借 {report.open_loans}，"
            f"超期 {report.overdue}，阅览室 {report.in_room}，班级图书角 {report.corner}，"
            f"丢失 {report.lost}，预约 {report.holds}，教师进阅览室 {report.teacher_visits}），"
            f"用时 {report.seconds:.1f} 秒"
        )
        term = periods.term_of(timezone.localdate())
        if not goals.goals_of(term):
            for typical in goals.TYPICAL:
                goals.add_goal(
                    term, typical.text, typical.measure, typical.target, by=None, via="cli"
                )
            self.stdout.write(
                f"写入{term.label}的计划目标 {len(goals.TYPICAL)} 条（报表 → 学期计划目标）"
            )
        weeded = circulation_demo.weed_demo_copies()
        self.stdout.write(f"剔旧注销 {weeded} 册（流通 → 注销登记簿）")

    def _progress(self, what: str) -> demo.Progress:
        def show(done: int, total: int) -> None:
            self.stdout.write(f"\r{what} {done}/{total}", ending="\n" if done >= total else "")
            self.stdout.flush()

        return show

    def _logins(self) -> None:
        names = {u for u, _, _ in demo.DEMO_USERS}
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        lines = [(u, purpose) for u, _, purpose in demo.DEMO_USERS if u in existing]
        lines += patrons_demo.login_lines()
        self.stdout.write(f"\n打开 {URL}")
        if not lines:
            return
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}，如未修改）：")
        for username, purpose in lines:
            self.stdout.write(f"  {username:<10} {purpose}")
