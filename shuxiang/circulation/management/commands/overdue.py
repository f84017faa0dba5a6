"""`shuxiang overdue [--date YYYY-MM-DD]`: the daily circulation run, for a timer.

Expires the holds nobody collected and makes today's overdue notices (催还单). The rows are
the queue: a second run on the same day changes nothing and says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shuxiang.circulation import overdue, services
from shuxiang.circulation.services import Channel


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”无法识别，请写成 YYYY-MM-DD，例如 2026-11-23") from None


class Command(BaseCommand):
    help = "Expire uncollected holds and make today's overdue notices (run once a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="run as on this day (default: today)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        today = _day(opts["date"]) if opts["date"] else timezone.localdate()
        channel = Channel(by=None, via="cli", station="shuxiang overdue")
        expired = services.expire_holds(channel, today=today)
        run = overdue.make_overdue_notices(today, channel)
        self.stdout.write(f"{today.isoformat()} 超期与预约日处理")
        self.stdout.write(f"过期未取的预约：{expired} 条")
        self.stdout.write(
            f"超期读者：{run.made + run.existing} 人；新催还单 {run.made} 张"
            f"（今天已有 {run.existing} 张）"
        )
