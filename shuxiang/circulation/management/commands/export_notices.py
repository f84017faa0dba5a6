"""`shuxiang export notices [--class 5-2] [--date YYYY-MM-DD] --output FILE.pdf`: the overdue
notices (催还通知单) of a class or of the whole school, slips to cut, as the notices page prints."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.labels import school_name
from shuxiang.circulation import notices
from shuxiang.patrons.card_print import CardPrintError, find_class


class Command(BaseCommand):
    help = "Print the overdue notices of one class (5-2, 五年级(2)班 or its id) or all classes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--class", dest="school_class", help="5-2, 五年级(2)班 or the id")
        parser.add_argument("--date", help="overdue as of this day (default: today)")
        parser.add_argument("--output", type=Path, required=True, help="the PDF to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("zh-hans"):
            self.run(opts)

    def run(self, opts: dict[str, Any]) -> None:
        today = self.day(opts["date"]) if opts["date"] else timezone.localdate()
        try:
            school_class = find_class(opts["school_class"]) if opts["school_class"] else None
        except CardPrintError as exc:
            raise CommandError(exc.message) from None
        groups = notices.class_notices(today, school_class)
        if not groups:
            raise CommandError(f"{today.isoformat()} 没有超期图书，没有催还单可打印")
        opts["output"].write_bytes(notices.notices_pdf(groups, today, school_name()))
        slips = sum(len(g.slips) for g in groups)
        AuditLog.record(
            "notices.printed",
            by=None,
            via="cli",
            target=school_class,
            day=today.isoformat(),
            slips=slips,
        )
        self.stdout.write(f"{len(groups)} 个班级，{slips} 张催还单 → {opts['output']}")

    def day(self, text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"日期应写作 YYYY-MM-DD：{text}") from None
