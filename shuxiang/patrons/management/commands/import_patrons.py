"""`shuxiang import patrons FILE [--dry-run] [--skip-bad]`: a roster from the command line.

The same checks and the same single transaction as the upload page. Without --skip-bad a
file with any wrong row changes nothing; --dry-run only reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import translation

from shuxiang.lib.roster import RosterFileError, read_roster
from shuxiang.patrons import roster
from shuxiang.patrons.roster import ImportResult, RowPlan


class Command(BaseCommand):
    help = (
        "Import patrons from a roster (.xlsx, .xls or .csv with a 姓名 column): students are "
        "matched by 学号, teachers and staff by 工号; classes named are created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the roster: .xlsx, .xls or .csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; change nothing"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows and list the bad ones"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the result")

    def handle(self, *args: Any, **opts: Any) -> None:
        # The command line speaks Chinese, the reasons from the checks included.
        with translation.override("zh-hans"):
            self.run(opts)

    def run(self, opts: dict[str, Any]) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        started = time.monotonic()
        try:
            parsed = read_roster(path)
        except RosterFileError as exc:
            raise CommandError(f"{path}：{roster.file_error_text(exc.code, exc.params)}") from None
        if not parsed.rows:
            raise CommandError(f"{path}：{roster.file_error_text('no_rows', {})}")
        self.quiet = opts["quiet"]
        self._say(f"读取 {path}：{len(parsed.rows)} 行")
        mode = roster.SKIP_BAD if opts["skip_bad"] else roster.ALL_OR_NOTHING
        try:
            result = roster.import_roster(
                parsed,
                by=None,
                via="cli",
                mode=mode,
                dry_run=opts["dry_run"],
                progress=None if self.quiet else self._progress,
            )
        except DatabaseError as exc:
            raise CommandError(f"导入失败，数据未改动：{exc}".splitlines()[0]) from None
        if not self.quiet:
            self.stdout.write("")
        self._report(result)
        self._conclude(result, time.monotonic() - started)

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(text)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r检查 {done}/{total} 行", ending="")
        self.stdout.flush()

    def _report(self, result: ImportResult) -> None:
        counts = result.plan.counts
        self.stdout.write(
            f"新增 {counts['add']} 人，更新 {counts['update']} 人，"
            f"无变化 {counts['unchanged']} 人，有错 {counts['error']} 行"
        )
        if result.plan.new_classes:
            self.stdout.write("新建班级：" + "、".join(result.plan.new_class_labels))
        for text in result.plan.warnings:
            self._say(f"注意：{text}")
        for row in result.plan.rows:
            if row.warnings and row.action != roster.ERROR:
                self._say(f"  {_where(row)}（注意）：{'；'.join(row.warnings)}")
        for row in result.plan.of(roster.ERROR):
            self.stdout.write(f"  {_where(row)}{_who(row)}：{'；'.join(row.errors)}")

    def _conclude(self, result: ImportResult, seconds: float) -> None:
        errors = result.errors
        if result.refused:
            what = "试运行：" if result.dry_run else ""
            raise CommandError(
                f"{what}文件中有 {errors} 行错误，未导入任何数据"
                "（改正后重新导入，或加 --skip-bad 只导入正确的行）"
            )
        if result.dry_run:
            self.stdout.write("试运行：未做任何改动")
            return
        self.stdout.write(
            f"完成：新增 {result.added} 人，更新 {result.updated} 人，"
            f"自动编号借书证 {result.cards_assigned} 张，用时 {seconds:.1f} 秒"
            + (f"；{errors} 行有错未导入" if errors else "")
        )


def _where(row: RowPlan) -> str:
    return f"{row.sheet} 第 {row.line} 行" if row.sheet else f"第 {row.line} 行"


def _who(row: RowPlan) -> str:
    parts = [p for p in (row.name, row.number) if p]
    return f"（{' '.join(parts)}）" if parts else ""
