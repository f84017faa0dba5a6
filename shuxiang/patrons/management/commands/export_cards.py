"""`shuxiang export cards [--class 5-2] [--cards FILE] [--since D] --output FILE.pdf`: library
cards from the command line, as the card screen prints them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from shuxiang.accounts.models import AuditLog
from shuxiang.lib import labels as drawing
from shuxiang.patrons import card_print


class Command(BaseCommand):
    help = (
        "Print library cards to a PDF, ten to an A4 sheet: for a class (5-2, 五年级(2)班 or "
        "its id), a file of card numbers, or the cards issued since a day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--class", dest="school_class", help="5-2, 五年级(2)班 or the id")
        parser.add_argument("--cards", type=Path, help="a text file of card numbers, one a line")
        parser.add_argument("--since", help="cards issued on or after this day (YYYY-MM-DD)")
        parser.add_argument("--sheet", default=drawing.DEFAULT_PRESET["cards"])
        parser.add_argument("--start", type=int, default=1, help="first free card on the sheet")
        parser.add_argument("--output", type=Path, required=True, help="the PDF to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("zh-hans"):
            self.run(opts)

    def run(self, opts: dict[str, Any]) -> None:
        if opts["sheet"] not in drawing.PRESETS:
            raise CommandError(f"没有这种纸：{opts['sheet']}（可选：{'、'.join(drawing.PRESETS)}）")
        try:
            selection = card_print.CardSelection(
                school_class=card_print.find_class(opts["school_class"])
                if opts["school_class"]
                else None,
                card_numbers=self.listed(opts["cards"]) if opts["cards"] else [],
                since=self.day(opts["since"]) if opts["since"] else None,
            )
            patrons = card_print.select_patrons(selection)
            sheet = drawing.PRESETS[opts["sheet"]].sheet
            content = card_print.patrons_pdf(patrons, sheet, opts["start"])
        except card_print.CardPrintError as exc:
            raise CommandError(exc.message) from None
        opts["output"].write_bytes(content)
        AuditLog.record(
            "cards.printed",
            by=None,
            via="cli",
            target=selection.school_class,
            patrons=[p.pk for p in patrons],
        )
        self.stdout.write(f"{len(patrons)} 张借书证 → {opts['output']}")

    def day(self, text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"日期应写作 YYYY-MM-DD：{text}") from None

    def listed(self, path: Path) -> list[str]:
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        return card_print.split_cards(text)
