"""`shuxiang export marc [options]`: the catalogue, or a selection, as a MARC file.

Written to --output, or to standard output; progress goes to standard error so that
`shuxiang export marc > books.iso` gives a clean file.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any, BinaryIO

import pymarc
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import translation

from shuxiang.accounts.models import AuditLog
from shuxiang.marc import export, selection
from shuxiang.marc.export import ExportError
from shuxiang.marc.selection import Selection, SelectionError


class Command(BaseCommand):
    help = (
        "Export catalogue records as MARC (CNMARC or MARC21; ISO 2709 or MARCXML), with one "
        "holdings field per copy. Options narrow the selection; without them, everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--flavour", default=export.CNMARC, choices=export.FLAVOURS)
        parser.add_argument("--format", default=export.ISO2709, choices=export.FORMATS)
        parser.add_argument(
            "--encoding", default="utf-8", help="utf-8 (default) or gbk (CNMARC ISO 2709 only)"
        )
        parser.add_argument("--class", dest="class_prefix", default="", help="class prefix: I24")
        parser.add_argument("--batch", default="", help="an import batch id, or 'last'")
        parser.add_argument("--from", dest="date_from", default="", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", help="YYYY-MM-DD")
        parser.add_argument("--barcodes", type=Path, help="a file of barcodes, one a line")
        parser.add_argument("--records", type=Path, help="a file of record ids, one a line")
        parser.add_argument("--output", "-o", type=Path, help="the file to write (else stdout)")
        parser.add_argument("--quiet", action="store_true", help="no progress")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("zh-hans"):
            try:
                self.run(opts)
            except (ExportError, SelectionError) as exc:
                raise CommandError(str(exc)) from None
            except DatabaseError as exc:
                raise CommandError(f"导出失败：{exc}".splitlines()[0]) from None

    def run(self, opts: dict[str, Any]) -> None:
        encoding = export.encoding_named(opts["encoding"])
        export.check_options(opts["flavour"], opts["format"], encoding)
        chosen = self._selection(opts)
        self._warn_unknown(chosen)
        ids = chosen.record_ids_in_order()
        if not ids:
            raise CommandError("没有符合条件的书目，未导出")
        self.quiet = opts["quiet"]
        self.notices: list[str] = []
        self.left_out = 0
        output: Path | None = opts["output"]
        out: BinaryIO = output.open("wb") if output else sys.stdout.buffer
        # The cyclic collector would walk every record object made so far again and again
        # (a third of the time); an export makes no cycles worth collecting.
        gc.disable()
        try:
            for chunk in export.export_chunks(
                chosen,
                flavour=opts["flavour"],
                fmt=opts["format"],
                encoding=encoding,
                progress=self._progress,
                notice=self._notice,
            ):
                out.write(chunk)
        finally:
            gc.enable()
            if output:
                out.close()
            else:
                out.flush()
        AuditLog.record(
            "marc_exported",
            by=None,
            via="cli",
            flavour=opts["flavour"],
            format=opts["format"],
            encoding=encoding,
            records=len(ids) - self.left_out,
            **chosen.criteria(),
        )
        self._done(len(ids), output)

    def _selection(self, opts: dict[str, Any]) -> Selection:
        chosen = Selection(
            class_prefix=selection.class_prefix(opts["class_prefix"]),
            batch=selection.import_batch(opts["batch"]),
            date_from=selection.parse_date(opts["date_from"], "开始日期"),
            date_to=selection.parse_date(opts["date_to"], "结束日期"),
            barcodes=selection.parse_barcodes(_read(opts["barcodes"])),
            record_ids=selection.parse_record_ids(_read(opts["records"])),
        )
        selection.check_dates(chosen.date_from, chosen.date_to)
        return chosen

    def _warn_unknown(self, chosen: Selection) -> None:
        missing = chosen.unknown_barcodes()
        if missing:
            self.stderr.write(f"注意：{len(missing)} 个条码号找不到：{'、'.join(missing[:20])}")
        ids = chosen.unknown_record_ids()
        if ids:
            self.stderr.write(f"注意：{len(ids)} 个书目编号找不到：{'、'.join(map(str, ids[:20]))}")

    def _progress(self, done: int, total: int) -> None:
        if not self.quiet:
            self.stderr.write(f"\r导出 {done}/{total} 条书目", ending="")
            self.stderr.flush()

    def _notice(self, marc: pymarc.Record, reason: str) -> None:
        control = marc.get("001")
        number = control.data if control is not None else "?"
        self.notices.append(f"注意：书目 {number}：{reason}")
        if reason.endswith("未导出"):
            self.left_out += 1

    def _done(self, total: int, output: Path | None) -> None:
        if not self.quiet:
            self.stderr.write("")
        for line in self.notices:
            self.stderr.write(line)
        where = f"，已写入 {output}" if output else ""
        self.stderr.write(f"完成：导出 {total - self.left_out} 条书目{where}")


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        data = path.read_bytes()
    except OSError:
        raise CommandError(f"无法读取文件：{path}") from None
    # A list typed in Notepad on a Chinese Windows is GBK; anything else should be UTF-8.
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise CommandError(f"{path}：无法识别文件编码（请存为 UTF-8）")
