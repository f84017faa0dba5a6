"""`shuxiang export labels --kind spine|barcode|combined … --output FILE.pdf`: the label screen
from the command line, with the same selections, sheets and checks, and no limit on the count."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from shuxiang.catalog import labels
from shuxiang.lib import labels as drawing


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期应写作 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = (
        "Print spine, barcode or combined labels to a PDF. Select the copies by barcode range, "
        "date received, import, a file of barcodes or a class number. Sheets: "
        + ", ".join(drawing.PRESETS)
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=labels.KINDS, default="spine")
        parser.add_argument("--symbology", choices=drawing.SYMBOLOGIES, default=drawing.CODE128)
        parser.add_argument("--sheet", default="", help="a preset (default: one that suits)")
        parser.add_argument(
            "--start", type=int, default=1, help="first free label on the sheet, from 1"
        )
        parser.add_argument("--from", dest="barcode_from", help="first barcode of a range")
        parser.add_argument("--to", dest="barcode_to", help="last barcode of a range")
        parser.add_argument("--received-from", type=_day, help="received on or after (YYYY-MM-DD)")
        parser.add_argument("--received-to", type=_day, help="received on or before (YYYY-MM-DD)")
        parser.add_argument("--batch", help="an import's number, or 'last'")
        parser.add_argument("--barcodes", type=Path, help="a text file of barcodes, one a line")
        parser.add_argument("--class", dest="class_prefix", help="class number prefix, e.g. I287")
        parser.add_argument(
            "--order", choices=(labels.SHELF_ORDER, labels.AS_LISTED), default=labels.SHELF_ORDER
        )
        parser.add_argument("--no-school", action="store_true", help="leave the school name out")
        parser.add_argument("--title", action="store_true", help="the title on barcode labels")
        parser.add_argument("--copies", type=int, default=1, help="labels per copy (1–5)")
        parser.add_argument("--output", type=Path, required=True, help="the PDF to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("zh-hans"):
            self.run(opts)

    def run(self, opts: dict[str, Any]) -> None:
        key = opts["sheet"] or drawing.DEFAULT_PRESET[opts["kind"]]
        if key not in drawing.PRESETS:
            raise CommandError(f"没有这种标签纸：{key}（可选：{'、'.join(drawing.PRESETS)}）")
        if not 1 <= opts["copies"] <= 5:
            raise CommandError("每册标签数应在 1 到 5 之间")
        job = labels.LabelJob(
            kind=opts["kind"],
            sheet=drawing.PRESETS[key].sheet,
            start=opts["start"],
            symbology=opts["symbology"],
            show_school=not opts["no_school"],
            show_title=opts["title"],
            copies=opts["copies"],
        )
        try:
            items = labels.select_items(self.selection(opts))
            content = labels.items_pdf(job, items)
        except labels.LabelError as exc:
            raise CommandError(exc.message) from None
        opts["output"].write_bytes(content)
        pages = -(-(job.start - 1 + len(items) * job.copies) // job.sheet.per_page)
        self.stdout.write(f"{len(items)} 册，{pages} 页 → {opts['output']}")

    def selection(self, opts: dict[str, Any]) -> labels.Selection:
        order = opts["order"]
        given = {
            labels.RANGE: opts["barcode_from"] or opts["barcode_to"],
            labels.RECEIVED: opts["received_from"] or opts["received_to"],
            labels.BATCH: opts["batch"],
            labels.LIST: opts["barcodes"],
            labels.CLASS: opts["class_prefix"],
        }
        chosen = [mode for mode, value in given.items() if value]
        if len(chosen) != 1:
            raise CommandError(
                "请用一种方式选书：--from/--to、--received-from/--received-to、--batch、"
                "--barcodes 或 --class"
            )
        mode = chosen[0]
        if mode == labels.BATCH:
            return labels.Selection(mode, batch=self.batch(opts["batch"]), order=order)
        if mode == labels.LIST:
            return labels.Selection(mode, barcodes=self.listed(opts["barcodes"]), order=order)
        return labels.Selection(
            mode,
            barcode_from=opts["barcode_from"] or "",
            barcode_to=opts["barcode_to"] or "",
            received_from=opts["received_from"],
            received_to=opts["received_to"],
            class_prefix=opts["class_prefix"] or "",
            order=order,
        )

    def batch(self, text: str) -> int | None:
        if text == "last":
            return None
        if not text.isdigit():
            raise CommandError(f"--batch 应为导入批次号或 last：{text}")
        return int(text)

    def listed(self, path: Path) -> list[str]:
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        return labels.split_barcodes(text)
