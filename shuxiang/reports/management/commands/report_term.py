"""`shuxiang report term [--from D --to D] [--format json|md|xlsx|docx] [--output FILE]`.

Writes the term figures (docs/reports.md). Without --from/--to: the term containing today.
docx is the 工作总结's data part as a Word document (sentences, tables, four charts); it and
xlsx are files, so they need --output.
The reading stars name children, so every run writes an audit-log line (ids only).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shuxiang.accounts.models import AuditLog
from shuxiang.reports import figures, output, periods

FORMATS = ["json", "md", "xlsx", "docx"]
# Formats that are files, not text: what to say when --output is missing.
FILE_ONLY = {
    "xlsx": "Excel 格式要用 --output 指定保存的文件，例如 --output 学期统计.xlsx",
    "docx": "Word 格式要用 --output 指定保存的文件，例如 --output 工作总结.docx",
}


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option} 的日期“{text}”无法识别，请写成 YYYY-MM-DD，例如 2026-09-01"
        ) from None


def _period(opts: dict[str, Any]) -> periods.Period:
    start, end = opts["from"], opts["to"]
    if (start is None) != (end is None):
        raise CommandError("--from 和 --to 要一起给出（或都不给，统计本学期）")
    if start is None:
        return periods.term_of(timezone.localdate())
    try:
        return periods.between(_day(start, "--from"), _day(end, "--to"))
    except ValueError as error:
        raise CommandError(str(error)) from None


class Command(BaseCommand):
    help = (
        "Write the term figures (loans per student, coverage, classes …) as JSON, Markdown, "
        "Excel, or the work summary as a Word document with charts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", metavar="YYYY-MM-DD", help="first day (with --to)")
        parser.add_argument("--to", metavar="YYYY-MM-DD", help="last day (with --from)")
        parser.add_argument(
            "--format", default="json", help="json (default), md, xlsx or docx (Word, with charts)"
        )
        parser.add_argument("--output", metavar="FILE", help="write to this file")
        parser.add_argument(
            "--compare", action="store_true", help="add the change from the previous period"
        )
        parser.add_argument("--top", type=int, default=10, help="length of the rankings")

    def handle(self, *args: Any, **opts: Any) -> None:
        fmt = opts["format"]
        if fmt not in FORMATS:
            raise CommandError(f"不支持的格式“{fmt}”（可用：json、md、xlsx、docx）")
        if fmt in FILE_ONLY and not opts["output"]:
            raise CommandError(FILE_ONLY[fmt])
        if opts["top"] < 1:
            raise CommandError("--top 至少为 1")
        period = _period(opts)
        result = figures.term_figures(period, top=opts["top"])
        changes = None
        if opts["compare"]:
            before = figures.term_figures(period.previous(), top=opts["top"])
            changes = figures.compare(result, before)
        self._write(fmt, opts["output"], result, changes)
        AuditLog.record(
            "term_report_exported",
            by=None,
            via="cli",
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            format=fmt,
        )

    def _write(
        self,
        fmt: str,
        target: str | None,
        result: figures.TermFigures,
        changes: list[figures.Change] | None,
    ) -> None:
        if fmt == "xlsx":
            content: bytes | str = output.to_xlsx(result, changes)
        elif fmt == "docx":
            content = output.to_docx(result, changes)
        elif fmt == "md":
            content = output.to_markdown(result, changes)
        else:
            content = json.dumps(output.to_json(result, changes), ensure_ascii=False, indent=2)
            content += "\n"
        if target is None:
            assert isinstance(content, str)  # xlsx and docx always have a target
            self.stdout.write(content, ending="")
            return
        path = Path(target)
        try:
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"无法写入文件 {path}：{error.strerror}") from None
        self.stderr.write(f"已写入 {path}（{result.period.label}）")
