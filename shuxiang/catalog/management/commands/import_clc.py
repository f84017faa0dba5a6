from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import clc_table
from shuxiang.catalog.models import ClcClass


class Command(BaseCommand):
    help = (
        "Re-load the 中图法 table from a CSV file (header code,name[,parent_code]; UTF-8 or "
        "GB18030; may be gzipped), or from the copy shipped with Shuxiang when no FILE is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", type=Path, help="CSV file; omit for the shipped table"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; change nothing"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="load the good rows and list the bad ones"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the result")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path | None = opts["file"]
        source = str(path) if path else "随附的中图法分类表"
        if path is not None and not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            table = (
                clc_table.read_file(path, skip_bad=opts["skip_bad"])
                if path
                else clc_table.read_shipped()
            )
        except clc_table.ClcFileError as exc:
            raise CommandError(f"{source}：{exc}；分类表未改动") from None
        self._report(source, table)
        before = ClcClass.objects.count()
        if opts["dry_run"]:
            self.stdout.write(
                f"试运行：将载入 {len(table.rows)} 个类目，替换现有的 {before} 个；未做任何改动"
            )
            return
        started = time.monotonic()
        progress = None if opts["quiet"] else self._progress
        try:
            count = clc_table.load_rows(table.rows, progress)
        except DatabaseError as exc:
            raise CommandError(f"载入失败，分类表未改动：{exc}".splitlines()[0]) from None
        AuditLog.record(
            "clc_table_loaded", by=None, via="cli", source=source, classes=count, replaced=before
        )
        if progress:
            self.stdout.write("")
        self.stdout.write(
            f"完成：中图法分类表 {count} 个类目（原有 {before} 个），用时 "
            f"{time.monotonic() - started:.1f} 秒"
        )

    def _report(self, source: str, table: clc_table.ParsedTable) -> None:
        self.stdout.write(
            f"读取 {source}：{len(table.rows)} 个类目，其中基本大类 {table.main_classes} 个"
        )
        if table.duplicates:
            self.stdout.write(f"重复的类号 {table.duplicates} 行，各保留第一次出现的")
        if table.skipped:
            self.stdout.write(f"跳过有错的 {len(table.skipped)} 行：")
            for line in table.skipped:
                self.stdout.write(f"  {line}")

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r载入中图法 {done}/{total}", ending="")
        self.stdout.flush()
