"""`shuxiang import patrons FILE [--dry-run] [--skip-bad]`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command

from shuxiang.accounts.models import AuditLog
from shuxiang.cli import translate
from shuxiang.patrons.models import Patron
from shuxiang.patrons.tests.test_roster_files import TempFiles
from shuxiang.test import BaseTestCase

HEADER = ["姓名", "学号", "年级", "班级"]
GOOD = [["林小雨", "2025030101", "三年级", "1"], ["周大山", "2025030102", "三年级", "2"]]
BAD = ["", "2025030103", "三年级", "1"]


class ImportPatronsCommandTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)

    def run_command(self, path: Path, *args: str) -> str:
        out = io.StringIO()
        call_command("import_patrons", str(path), *args, stdout=out)
        return out.getvalue()

    def roster(self, *rows: list[Any]) -> Path:
        return self.files.xlsx([HEADER, *rows])

    def test_it_is_the_shuxiang_import_patrons_command(self) -> None:
        self.assertEqual(
            translate(["import", "patrons", "a.xlsx", "--skip-bad"]),
            ["import_patrons", "a.xlsx", "--skip-bad"],
        )

    def test_it_imports_a_good_roster_and_says_what_it_did(self) -> None:
        out = self.run_command(self.roster(*GOOD))
        self.assertIn("新增 2 人，更新 0 人，无变化 0 人，有错 0 行", out)
        self.assertIn("新建班级：三年级(1)班、三年级(2)班", out)
        self.assertIn("完成：新增 2 人，更新 0 人，自动编号借书证 2 张", out)
        self.assertIn("检查 2/2 行", out)
        self.assertEqual(Patron.objects.filter(student_number__startswith="20250301").count(), 2)
        log = AuditLog.objects.get(action="patron.roster_imported")
        self.assertEqual((log.via, log.by, log.detail["added"]), ("cli", None, 2))

    def test_it_changes_nothing_when_a_row_is_bad_without_skip_bad(self) -> None:
        with self.assertRaises(CommandError) as caught:
            self.run_command(self.roster(*GOOD, BAD))
        self.assertEqual(
            str(caught.exception),
            "文件中有 1 行错误，未导入任何数据（改正后重新导入，或加 --skip-bad 只导入正确的行）",
        )
        self.assertFalse(Patron.objects.filter(student_number__startswith="20250301").exists())

    def test_it_lists_each_bad_row_with_its_reason(self) -> None:
        out = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_patrons", str(self.roster(*GOOD, BAD)), stdout=out)
        self.assertIn("第 4 行（2025030103）：姓名为空。", out.getvalue())

    def test_skip_bad_imports_the_good_rows(self) -> None:
        out = self.run_command(self.roster(*GOOD, BAD), "--skip-bad")
        self.assertIn("；1 行有错未导入", out)
        self.assertEqual(Patron.objects.filter(student_number__startswith="20250301").count(), 2)

    def test_a_dry_run_changes_nothing(self) -> None:
        out = self.run_command(self.roster(*GOOD), "--dry-run")
        self.assertIn("试运行：未做任何改动", out)
        self.assertFalse(Patron.objects.filter(student_number__startswith="20250301").exists())
        with self.assertRaises(CommandError) as caught:
            self.run_command(self.roster(*GOOD, BAD), "--dry-run")
        self.assertTrue(str(caught.exception).startswith("试运行：文件中有 1 行错误"))

    def test_a_second_run_changes_nothing(self) -> None:
        path = self.roster(*GOOD)
        self.run_command(path)
        out = self.run_command(path)
        self.assertIn("新增 0 人，更新 0 人，无变化 2 人，有错 0 行", out)

    def test_it_fails_with_one_line_for_a_missing_or_unreadable_file(self) -> None:
        with self.assertRaisesMessage(CommandError, "找不到文件："):
            self.run_command(self.files.dir / "nowhere.xlsx")
        no_names = self.files.csv([["学号", "班级"], ["1", "2"]])
        with self.assertRaisesMessage(CommandError, "没有找到“姓名”一列"):
            self.run_command(no_names)
