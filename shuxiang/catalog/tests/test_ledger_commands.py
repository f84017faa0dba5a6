"""`shuxiang import books` and `shuxiang export books`."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
from django.core.management import CommandError, call_command
from django.test import TestCase

from shuxiang.catalog.models import ImportBatch, Item, Location
from shuxiang.test import BaseTestCase


class CommandTests(BaseTestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.path = Path(self.folder.name) / "books.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["书名", "作者", "条码号", "价格"])
        sheet.append(["草房子", "曹文轩", "K1", "28.00元"])
        sheet.append(["", "无名", "K2", ""])
        book.save(self.path)

    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    def test_a_file_with_a_bad_row_is_refused_whole_and_says_why(self) -> None:
        with self.assertRaisesMessage(CommandError, "文件中有 1 行错误，未导入任何数据"):
            self.run_command("import_books", str(self.path), "--quiet")
        self.assertFalse(Item.objects.filter(barcode="K1").exists())

    def test_skip_bad_imports_the_good_rows_and_lists_the_bad(self) -> None:
        out = self.run_command(
            "import_books", str(self.path), "--skip-bad", "--location", "reading"
        )
        self.assertIn("第 3 行：书名为空", out)
        self.assertIn("新增书目 1 种、复本 1 册", out)
        item = Item.objects.get(barcode="K1")
        self.assertEqual(item.location.code, "READING")
        self.assertEqual(ImportBatch.objects.get().items_added, 1)

    def test_dry_run_changes_nothing_and_an_unknown_location_is_refused(self) -> None:
        out = self.run_command("import_books", str(self.path), "--skip-bad", "--dry-run")
        self.assertIn("试运行：未做任何改动", out)
        self.assertFalse(ImportBatch.objects.exists())
        with self.assertRaisesMessage(CommandError, "馆藏地点代码“ATTIC”不存在"):
            self.run_command("import_books", str(self.path), "--location", "ATTIC")

    def test_export_writes_the_selected_copies(self) -> None:
        output = Path(self.folder.name) / "out.xlsx"
        call_command(
            "export_books", "--output", str(output), "--class", "I24", stderr=io.StringIO()
        )
        rows = list(openpyxl.load_workbook(output).active.iter_rows(values_only=True))
        self.assertEqual(sorted(r[1] for r in rows[1:]), ["T0001", "T0002"])
        with self.assertRaisesMessage(CommandError, "没有符合条件的复本"):
            call_command("export_books", "--output", str(output), "--class", "Z")
        with self.assertRaisesMessage(CommandError, "应写作 YYYY-MM-DD"):
            call_command("export_books", "--output", str(output), "--from", "昨天")


class BeforeInitTests(TestCase):
    def test_importing_before_init_says_to_run_init_first(self) -> None:
        self.assertFalse(Location.objects.exists())
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "books.xlsx"
            book = openpyxl.Workbook()
            book.active.append(["书名", "条码号"])
            book.active.append(["草房子", "K1"])
            book.save(path)
            for command in ("import_books", "import_marc"):
                with self.assertRaisesMessage(CommandError, "请先运行 shuxiang init"):
                    call_command(command, str(path), stdout=io.StringIO())
