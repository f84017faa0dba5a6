"""`shuxiang export books [--output FILE.xlsx] [selection]`: the item register as Excel.

A row per copy with the columns `shuxiang import books` reads, so that the file imports
into another library as it is. Without --output the workbook goes to standard output.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import ledger
from shuxiang.catalog.models import ImportBatch, Item, Location


class Command(BaseCommand):
    help = (
        "Export copies as an Excel ledger (a row per copy, the columns of `import books`). "
        "Options narrow the selection; without them, the whole catalogue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="the .xlsx to write (else stdout)")
        parser.add_argument("--class", dest="class_prefix", default="", help="class prefix: I24")
        parser.add_argument("--location", default="", help="a location code: STACKS")
        parser.add_argument("--from", dest="date_from", default="", help="received from YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", help="received to YYYY-MM-DD")
        parser.add_argument("--batch", default="", help="an import batch id, or 'last'")
        parser.add_argument("--status", default="", choices=["", *Item.Status.values])

    def handle(self, *args: Any, **opts: Any) -> None:
        selection = self._selection(opts)
        output: Path | None = opts["output"]
        if output is None and sys.stdout.isatty():
            raise CommandError("请用 --output 指定要写入的 .xlsx 文件")
        items = selection.items()
        count = items.count()
        if not count:
            raise CommandError("没有符合条件的复本，未导出")
        try:
            data = ledger.export_workbook(items)
        except DatabaseError as exc:
            raise CommandError(f"导出失败：{exc}".splitlines()[0]) from None
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            output.write_bytes(data)
            self.stderr.write(f"已导出 {count} 册到 {output}")
        AuditLog.record("books_exported", by=None, via="cli", items=count)

    def _selection(self, opts: dict[str, Any]) -> ledger.Selection:
        if opts["location"] and not Location.objects.filter(code=opts["location"]).exists():
            known = "、".join(Location.objects.values_list("code", flat=True))
            raise CommandError(f"馆藏地点代码“{opts['location']}”不存在；已有：{known}")
        batch = opts["batch"]
        if (
            batch
            and batch != "last"
            and not (batch.isdigit() and ImportBatch.objects.filter(pk=int(batch)).exists())
        ):
            raise CommandError(f"没有第 {batch} 批导入")
        return ledger.Selection(
            class_prefix=opts["class_prefix"],
            location=opts["location"],
            received_from=_day(opts["date_from"], "--from"),
            received_to=_day(opts["date_to"], "--to"),
            batch=batch,
            status=opts["status"],
        )


def _day(text: str, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} 的日期“{text}”应写作 YYYY-MM-DD") from None
