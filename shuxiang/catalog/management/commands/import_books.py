"""`shuxiang import books FILE`: an Excel ledger (图书登记表) from the command line.

The same reading, checks and single transaction as the upload page. Without --skip-bad a
file with any wrong row changes nothing; --dry-run only reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import translation

from shuxiang.catalog import batch, ledger
from shuxiang.catalog.ledger import LedgerFileError, LedgerResult
from shuxiang.catalog.models import ImportBatch, Location

COUNTS = [
    (batch.ADD, "新增书目 {} 种"),
    (batch.JOINED, "同种书合并 {} 行"),
    (batch.MERGE, "并入已有书目 {} 种"),
    (batch.OVERWRITE, "覆盖已有书目 {} 种"),
    (batch.SKIP, "跳过 {} 行"),
    (batch.ERROR, "有错 {} 行"),
]


class Command(BaseCommand):
    help = (
        "Import books from an Excel ledger (.xlsx, .xls or .csv with a 书名 column; a row per "
        "copy): rows of one book become one record with its copies; call numbers are assigned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the ledger: .xlsx, .xls or .csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; change nothing"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows and list the bad ones"
        )
        parser.add_argument(
            "--duplicates",
            choices=ImportBatch.Policy.values,
            default=ImportBatch.Policy.SKIP,
            help="a book already catalogued: skip it (default), merge the copies into it, or "
            "overwrite its description",
        )
        parser.add_argument(
            "--location", default="", help="location code for rows that name none (else default)"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the result")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("zh-hans"):
            self.run(opts)

    def run(self, opts: dict[str, Any]) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        if not Location.objects.exists():
            raise CommandError("还没有馆藏地点：请先运行 shuxiang init")
        self.quiet = opts["quiet"]
        started = time.monotonic()
        try:
            read = ledger.read_ledger(path, default_location=self._location(opts["location"]))
        except LedgerFileError as exc:
            raise CommandError(f"{path}：{exc}") from None
        if not read.entries:
            raise CommandError(f"{path}：文件有表头，但表头下面没有图书")
        self._say(f"读取 {path}：{len(read.entries)} 行")
        for text in read.warnings:
            self._say(f"注意：{text}")
        try:
            result = ledger.import_ledger(
                read,
                by=None,
                via="cli",
                policy=opts["duplicates"],
                skip_bad=opts["skip_bad"],
                dry_run=opts["dry_run"],
                file_name=path.name,
                progress=None if self.quiet else self._progress,
            )
        except DatabaseError as exc:
            raise CommandError(f"导入失败，数据未改动：{exc}".splitlines()[0]) from None
        if not self.quiet:
            self.stdout.write("")
        self._report(result)
        self._conclude(result, time.monotonic() - started)

    def _location(self, code: str) -> Location | None:
        if not code:
            return None
        found = Location.objects.filter(code__iexact=code).first()
        if found is None:
            known = "、".join(f"{loc.code}（{loc.name}）" for loc in Location.objects.all())
            raise CommandError(f"馆藏地点代码“{code}”不存在；已有：{known}")
        return found

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(text)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r检查 {done}/{total} 行", ending="")
        self.stdout.flush()

    def _report(self, result: LedgerResult) -> None:
        counts = result.plan.counts()
        self.stdout.write(
            "，".join(text.format(counts[action]) for action, text in COUNTS if counts[action])
            + f"；共 {counts['items']} 册"
        )
        for entry in result.plan.entries:
            if entry.warnings and entry.action != batch.ERROR:
                self._say(f"  {entry.label}（注意）：{'；'.join(entry.warnings)}")
            if entry.action == batch.SKIP:
                self._say(f"  {entry.label}（跳过）：{entry.reason}")
        for entry in result.plan.errors:
            title = f"《{entry.title}》" if entry.title else ""
            self.stdout.write(f"  {entry.label}{title}：{entry.reason}")

    def _conclude(self, result: LedgerResult, seconds: float) -> None:
        errors = len(result.plan.errors)
        if result.refused:
            what = "试运行：" if result.dry_run else ""
            raise CommandError(
                f"{what}文件中有 {errors} 行错误，未导入任何数据"
                "（改正后重新导入，或加 --skip-bad 只导入正确的行）"
            )
        if result.dry_run:
            self.stdout.write("试运行：未做任何改动")
            return
        assert result.batch is not None
        done = result.batch
        self.stdout.write(
            f"完成：第 {done.pk} 批，新增书目 {done.records_added} 种、复本 {done.items_added} 册，"
            f"用时 {seconds:.1f} 秒" + (f"；{errors} 行有错未导入" if errors else "")
        )
