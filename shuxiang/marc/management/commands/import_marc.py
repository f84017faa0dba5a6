"""`shuxiang import marc FILE`: a MARC file (ISO 2709 or MARCXML) from the command line.

The same reading, checks and single transaction as the upload page. Without --skip-bad a
file with any bad record changes nothing; --dry-run only reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import translation

from shuxiang.catalog import batch
from shuxiang.catalog.models import ImportBatch, Location
from shuxiang.marc import reader
from shuxiang.marc.importer import ImportOptions, ImportOutcome, MarcImportError, import_file

SHOW_WARNINGS = 50


class Command(BaseCommand):
    help = (
        "Import a MARC file (ISO 2709 .iso/.mrc or MARCXML; CNMARC or MARC21; UTF-8, "
        "GB18030/GBK or MARC-8) into the catalogue, with the copies in its holdings fields."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the MARC file")
        parser.add_argument(
            "--flavour", choices=reader.FLAVOURS, default=reader.AUTO, help="default: auto"
        )
        parser.add_argument(
            "--encoding", choices=reader.ENCODINGS, default=reader.AUTO, help="default: auto"
        )
        parser.add_argument(
            "--duplicates",
            choices=ImportBatch.Policy.values,
            default=ImportBatch.Policy.SKIP,
            help="a record already in the catalogue: skip it, merge its copies, overwrite it",
        )
        parser.add_argument(
            "--location", help="location code for copies whose location is not given or unknown"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; change nothing"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good records, list the bad ones"
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
        options = ImportOptions(
            flavour=opts["flavour"],
            encoding=opts["encoding"],
            policy=opts["duplicates"],
            location=self._location(opts["location"]),
            skip_bad=opts["skip_bad"],
            file_name=path.name,
        )
        started = time.monotonic()
        self._say(f"读取 {path} …")
        try:
            outcome = import_file(
                path,
                options,
                by=None,
                via="cli",
                dry_run=opts["dry_run"],
                progress=None if self.quiet else self._progress,
            )
        except MarcImportError as exc:
            raise CommandError(f"{path}：{exc}") from None
        except DatabaseError as exc:
            raise CommandError(f"导入失败，数据未改动：{exc}".splitlines()[0]) from None
        if not self.quiet:
            self.stdout.write("")
        self._report(outcome)
        self._conclude(outcome, time.monotonic() - started)

    def _location(self, code: str | None) -> Location | None:
        if not code:
            return None
        location = Location.objects.filter(code__iexact=code).first()
        if location is None:
            known = "、".join(Location.objects.values_list("code", flat=True))
            raise CommandError(f"馆藏地点代码“{code}”不存在（现有：{known}）")
        return location

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(text)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r读取 {done}/{total} 条记录", ending="")
        self.stdout.flush()

    def _report(self, outcome: ImportOutcome) -> None:
        read, plan = outcome.read, outcome.plan
        counts = plan.counts()
        charsets = "、".join(
            f"{reader.CHARSET_NAMES.get(c, c)} {n} 条" for c, n in read.charsets.items()
        )
        self._say(f"格式：{read.flavour.upper()} {read.format.upper()}；字符集：{charsets or '—'}")
        self.stdout.write(
            f"共 {len(plan.entries)} 条记录：新增 {counts[batch.ADD]}，"
            f"并入已有书目 {counts[batch.MERGE]}，覆盖 {counts[batch.OVERWRITE]}，"
            f"跳过（重复）{counts[batch.SKIP]}，与前面的记录合并 {counts[batch.JOINED]}，"
            f"有错误 {counts[batch.ERROR]}；复本 {counts['items']} 册"
        )
        warned = [e for e in plan.entries if e.warnings and e.action != batch.ERROR]
        for entry in warned[:SHOW_WARNINGS]:
            self._say(f"  {entry.label}（注意）：{'；'.join(entry.warnings)}")
        if len(warned) > SHOW_WARNINGS:
            self._say(f"  …… 另有 {len(warned) - SHOW_WARNINGS} 条记录有提示")
        for entry in plan.errors:
            title = f"《{entry.title}》" if entry.title else ""
            self.stdout.write(f"  {entry.label}{title}：{entry.reason}")

    def _conclude(self, outcome: ImportOutcome, seconds: float) -> None:
        errors = len(outcome.plan.errors)
        if outcome.refused:
            what = "试运行：" if outcome.dry_run else ""
            raise CommandError(
                f"{what}文件中有 {errors} 条记录有错误，未导入任何记录"
                "（改正后重新导入，或加 --skip-bad 只导入正确的记录）"
            )
        if outcome.dry_run:
            self.stdout.write("试运行：未做任何改动")
            return
        imported = outcome.batch
        assert imported is not None
        self.stdout.write(
            f"完成：导入批次 #{imported.pk}，新增书目 {imported.records_added} 种，"
            f"并入 {imported.records_merged} 种，覆盖 {imported.records_overwritten} 种，"
            f"跳过 {imported.records_skipped} 种，复本 {imported.items_added} 册，"
            f"用时 {seconds:.1f} 秒" + (f"；{errors} 条记录有错误未导入" if errors else "")
        )
