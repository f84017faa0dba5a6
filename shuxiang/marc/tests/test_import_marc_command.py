"""`shuxiang import marc FILE`: the command line import."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import CommandError, call_command

from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.marc.models import MarcRecord
from shuxiang.test import BaseTestCase

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_marc", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class ImportMarcCommandTests(BaseTestCase):
    def test_it_imports_and_prints_a_summary(self) -> None:
        out = run(str(FIXTURES / "cnmarc_school_utf8.iso"), "--location", "reading")
        self.assertIn("格式：CNMARC ISO2709；字符集：UTF-8 5 条", out)
        self.assertIn("共 5 条记录：新增 5，并入已有书目 0，覆盖 0，跳过（重复）0", out)
        self.assertIn("第 4 条记录（字节偏移 1620）（注意）：ISBN“9787500794807”无效", out)
        self.assertRegex(out, r"完成：导入批次 #\d+，新增书目 5 种，.*复本 8 册")
        batch = ImportBatch.objects.get()
        self.assertEqual((batch.kind, batch.file_name), ("marc", "cnmarc_school_utf8.iso"))
        # Copies that name an unknown location go to the one given on the command line.
        self.assertEqual(Item.objects.get(barcode="C0004").location, self.reading_room)
        self.assertEqual(MarcRecord.objects.count(), 5)

    def test_a_dry_run_changes_nothing(self) -> None:
        out = run(str(FIXTURES / "test.dat"), "--dry-run", "--quiet")
        self.assertIn("共 10 条记录：新增 10", out)
        self.assertIn("试运行：未做任何改动", out)
        self.assertEqual(Record.objects.count(), 1)
        self.assertFalse(ImportBatch.objects.exists())

    def test_a_bad_record_refuses_the_file_with_the_record_named(self) -> None:
        out = io.StringIO()
        with self.assertRaises(CommandError) as caught:
            call_command("import_marc", str(FIXTURES / "bad_records.mrc"), stdout=out)
        self.assertEqual(
            str(caught.exception),
            "文件中有 6 条记录有错误，未导入任何记录"
            "（改正后重新导入，或加 --skip-bad 只导入正确的记录）",
        )
        self.assertIn(
            "第 6 条记录（字节偏移 637）：记录头损坏：数据起始地址“f0037”不是数字", out.getvalue()
        )
        self.assertEqual(Record.objects.count(), 1)

    def test_skip_bad_imports_the_good_records(self) -> None:
        out = run(str(FIXTURES / "bad_records.mrc"), "--skip-bad", "--quiet")
        self.assertIn("6 条记录有错误未导入", out)
        self.assertTrue(Record.objects.filter(title="The pragmatic programmer").exists())

    def test_duplicates_are_merged_when_asked(self) -> None:
        run(str(FIXTURES / "cnmarc_school_utf8.iso"), "--quiet")
        out = run(str(FIXTURES / "cnmarc_school_gbk.iso"), "--duplicates", "skip", "--quiet")
        self.assertIn("跳过（重复）5", out)
        self.assertEqual(Record.objects.count(), 6)

    def test_bad_input_gets_a_one_line_chinese_reason(self) -> None:
        cases = [
            ((str(FIXTURES / "nothing-here.iso"),), "找不到文件："),
            ((str(FIXTURES / "make_cnmarc.py"),), "这不是 MARC 文件"),
            ((str(FIXTURES / "one.dat"), "--location", "ATTIC"), "馆藏地点代码“ATTIC”不存在"),
        ]
        for args, message in cases:
            with self.subTest(args=args), self.assertRaises(CommandError) as caught:
                run(*args)
            self.assertIn(message, str(caught.exception))
            self.assertNotIn("\n", str(caught.exception))
        self.assertEqual(Record.objects.count(), 1)

    def test_the_flavour_and_encoding_can_be_forced(self) -> None:
        with self.assertRaises(CommandError):
            run(str(FIXTURES / "cnmarc_school_gbk.iso"), "--encoding", "utf-8", "--quiet")
        out = run(
            str(FIXTURES / "cnmarc_school_gbk.iso"), "--encoding", "gb18030", "--flavour", "cnmarc"
        )
        self.assertIn("新增书目 5 种", out)
