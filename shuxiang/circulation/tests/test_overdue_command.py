from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import CommandError, call_command

from shuxiang import cli
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, Hold, Loan, OverdueNotice
from shuxiang.test import BaseTestCase

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # before school
TODAY = NOW.date()


def run(*args: str) -> str:
    out = StringIO()
    call_command("overdue", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
class OverdueCommandTests(BaseTestCase):
    t1: Item
    t2: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")
        Loan.objects.create(
            item=cls.t1,
            patron=cls.ada_patron,
            school_class=cls.class_5_2,
            checked_out_on=date(2026, 10, 30),
            due_on=date(2026, 11, 13),
        )
        # A copy kept on the hold shelf for Tom since last week, never collected.
        Item.objects.filter(pk=cls.t2.pk).update(status=Item.Status.ON_SHELF)
        Hold.objects.create(
            record=cls.journey,
            patron=cls.tom_patron,
            item=cls.t2,
            status=Hold.Status.READY,
            expires_on=date(2026, 11, 20),
        )

    def test_it_expires_holds_and_makes_the_notices_and_says_so(self) -> None:
        out = run()
        self.assertEqual(
            out.splitlines(),
            [
                "2026-11-23 超期与预约日处理",
                "过期未取的预约：1 条",
                "超期读者：1 人；新催还单 1 张（今天已有 0 张）",
            ],
        )
        self.assertEqual(Hold.objects.get().status, Hold.Status.EXPIRED)
        notice = OverdueNotice.objects.get()
        self.assertEqual((notice.patron, notice.created_on), (self.ada_patron, TODAY))
        event = CirculationEvent.objects.get(action=CirculationEvent.Action.HOLD_EXPIRED)
        self.assertEqual((event.via, event.by), ("cli", None))

    def test_it_changes_nothing_when_run_twice_a_day(self) -> None:
        run()
        out = run()
        self.assertIn("过期未取的预约：0 条", out)
        self.assertIn("超期读者：1 人；新催还单 0 张（今天已有 1 张）", out)
        self.assertEqual(OverdueNotice.objects.count(), 1)
        self.assertEqual(CirculationEvent.objects.count(), 1)

    def test_it_runs_as_on_another_day(self) -> None:
        out = run("--date", "2026-11-13")
        self.assertIn("2026-11-13", out)
        self.assertIn("过期未取的预约：0 条", out)  # the hold was still within its days
        self.assertIn("超期读者：0 人", out)  # due that day, not yet late
        self.assertFalse(OverdueNotice.objects.exists())

    def test_it_refuses_a_date_it_cannot_read_with_one_line(self) -> None:
        with self.assertRaisesMessage(CommandError, "日期“23/11/2026”无法识别"):
            run("--date", "23/11/2026")
        self.assertFalse(OverdueNotice.objects.exists())
        self.assertEqual(Hold.objects.get().status, Hold.Status.READY)

    def test_it_is_a_single_word_shuxiang_command(self) -> None:
        self.assertEqual(
            cli.translate(["overdue", "--date", "2026-11-23"]),
            [
                "overdue",
                "--date",
                "2026-11-23",
            ],
        )

    def test_it_counts_the_days_from_the_day_it_runs_as(self) -> None:
        run("--date", (TODAY + timedelta(days=7)).isoformat())
        self.assertEqual(OverdueNotice.objects.get().lines[0]["days"], 17)
