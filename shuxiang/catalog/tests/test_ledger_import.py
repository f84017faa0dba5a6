"""Importing an Excel ledger (图书登记表): reading, per-row errors, duplicates, all or nothing."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import ledger
from shuxiang.catalog.ledger import LedgerFileError, read_ledger
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.test import BaseTestCase

HEADER = [
    "登录号",
    "条码号",
    "书名",
    "作者",
    "出版社",
    "出版年",
    "ISBN",
    "价格",
    "分类号",
    "馆藏地点",
]


class LedgerFiles:
    """Writes small ledgers into a temporary folder for one test class."""

    folder: Path
    _tmp: tempfile.TemporaryDirectory[str]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        cls._tmp = tempfile.TemporaryDirectory()
        cls.folder = Path(cls._tmp.name)

    @classmethod
    def tearDownClass(cls) -> None:
        cls._tmp.cleanup()
        super().tearDownClass()  # type: ignore[misc]

    def xlsx(self, *sheets: tuple[str, list[list[Any]]], name: str = "ledger.xlsx") -> Path:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        path = self.folder / name
        book.save(path)
        return path

    def rows(self, *rows: list[Any], header: list[str] = HEADER) -> Path:
        return self.xlsx(("Sheet1", [header, *rows]))


def import_file(path: Path, **options: Any) -> ledger.LedgerResult:
    return ledger.import_ledger(read_ledger(path), by=None, via="cli", **options)


class ReadingTests(LedgerFiles, BaseTestCase):
    def test_it_reads_a_row_per_copy_and_joins_the_copies_of_one_book(self) -> None:
        path = self.rows(
            [
                "000101",
                "B101",
                "草房子",
                "曹文轩 著",
                "人民文学出版社",
                "2019.5",
                "978-7-5346-1872-7",
                "28.00元",
                "I287.45",
                "书库",
            ],
            [
                "000102",
                "B102",
                "草房子",
                "曹文轩",
                "人民文学出版社",
                2019,
                "9787534618727",
                "￥28",
                "I287.45",
                "阅览室",
            ],
        )
        result = import_file(path)
        self.assertFalse(result.refused)
        record = Record.objects.get(isbn="9787534618727")
        self.assertEqual(record.year, 2019)
        self.assertEqual(record.price, Decimal("28.00"))
        self.assertEqual(record.contributors, [{"name": "曹文轩", "role": "author"}])
        self.assertEqual(record.call_number, "I287.45/1")
        copies = {i.barcode: i for i in record.items.select_related("location")}
        self.assertEqual(sorted(copies), ["B101", "B102"])
        self.assertEqual(copies["B101"].accession_number, "000101")
        self.assertEqual(copies["B102"].location.code, "READING")
        self.assertEqual(copies["B102"].item_type, Item.ItemType.REFERENCE)
        assert result.batch is not None
        self.assertEqual(result.batch.kind, ImportBatch.Kind.LEDGER)
        self.assertEqual(result.batch.items_added, 2)
        self.assertTrue(AuditLog.objects.filter(action="books_imported").exists())

    def test_it_finds_the_header_under_a_title_row_written_with_synonyms(self) -> None:
        path = self.xlsx(
            (
                "个别登记",
                [
                    ["某某小学图书馆 图书财产登记表"],
                    [],
                    [
                        "财产号",
                        "条 码",
                        "题名",
                        "责任者",
                        "出版者",
                        "出版日期",
                        "ＩＳＢＮ号",
                        "定价（元）",
                        "中图分类号",
                        "入藏日期",
                        "来源",
                        "捐赠人",
                    ],
                    [
                        "2001",
                        "C2001",
                        "城南旧事",
                        "林海音",
                        "中国青年出版社",
                        datetime(2018, 6, 1),  # noqa: DTZ001 (Excel's dates are naive)
                        "7-5006-1234-6",
                        19.8,
                        "I246.5",
                        date(2024, 9, 1),
                        "赠送",
                        "张家长",
                    ],
                ],
            )
        )
        read = read_ledger(path)
        self.assertEqual(len(read.entries), 1)
        entry = read.entries[0]
        self.assertEqual(entry.error, "")
        assert entry.record is not None
        self.assertEqual(entry.record.title, "城南旧事")
        self.assertEqual(entry.record.year, 2018)
        self.assertEqual(entry.record.isbn, "9787500612346")
        self.assertEqual(entry.record.price, Decimal("19.80"))
        item = entry.items[0]
        self.assertEqual((item.barcode, item.accession_number), ("C2001", "2001"))
        self.assertEqual(item.source, Item.Source.DONATION)
        self.assertEqual(item.donor, "张家长")
        self.assertEqual(item.received_on, date(2024, 9, 1))
        self.assertEqual(entry.label, "第 4 行")
        self.assertIn(("定价(元)", "价格"), read.columns)

    def test_it_reads_every_sheet_and_names_the_sheet_in_each_row(self) -> None:
        path = self.xlsx(
            ("一月", [["书名", "条码号"], ["小王子", "S1"]]),
            ("二月", [["书名", "条码号"], ["", "S2"]]),
            ("说明", [["填表说明：每行一册"]]),
        )
        result = import_file(path, skip_bad=True)
        self.assertEqual([e.label for e in result.plan.entries], ["一月 第 2 行", "二月 第 2 行"])
        self.assertEqual(result.plan.errors[0].reason, "书名为空")
        self.assertTrue(Item.objects.filter(barcode="S1").exists())

    def test_one_row_with_several_copies_and_no_barcode_gives_numbered_copies(self) -> None:
        path = self.rows(["纸船", "3", "I287.5"], header=["书名", "册数", "分类号"])
        import_file(path)
        record = Record.objects.get(title="纸船")
        self.assertEqual(record.items.count(), 3)
        self.assertTrue(all(i.barcode == i.accession_number for i in record.items.all()))

    def test_a_barcode_range_gives_one_barcode_a_copy(self) -> None:
        path = self.rows(["纸船", "B0009-B0011", 3], header=["书名", "条码号", "册数"])
        import_file(path)
        barcodes = Item.objects.filter(record__title="纸船").values_list("barcode", flat=True)
        self.assertEqual(sorted(barcodes), ["B0009", "B0010", "B0011"])

    def test_a_call_number_gives_the_class_and_book_number(self) -> None:
        path = self.rows(["风筝", "I287.45/12"], ["风筝二", ""], header=["书名", "索书号"])
        result = import_file(path)
        record = Record.objects.get(title="风筝")
        self.assertEqual((record.class_number, record.book_number), ("I287.45", "12"))
        self.assertEqual(record.items.get().call_number, "I287.45/12")
        self.assertEqual(result.plan.entries[1].warnings, ["没有分类号，未分配索书号"])
        self.assertEqual(Record.objects.get(title="风筝二").call_number, "")

    def test_it_reads_an_xls_file(self) -> None:
        book = xlwt.Workbook()
        sheet = book.add_sheet("登记表")
        for col, text in enumerate(["书名", "作者", "价格", "条码号"]):
            sheet.write(0, col, text)
        for col, value in enumerate(["雷锋的故事", "陈广生", 12.5, "X100"]):
            sheet.write(1, col, value)
        path = self.folder / "old.xls"
        book.save(str(path))
        import_file(path)
        item = Item.objects.select_related("record").get(barcode="X100")
        self.assertEqual((item.record.title, item.price), ("雷锋的故事", Decimal("12.50")))

    def test_it_reads_a_gbk_csv_file(self) -> None:
        path = self.folder / "ledger.csv"
        with open(path, "w", encoding="gbk", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["书名", "作者", "出版年", "价格", "条码号", "来源"])
            writer.writerow(["稻草人", "叶圣陶", "2017-03", "CNY22.00", "G100", "调拨"])
        import_file(path)
        item = Item.objects.select_related("record").get(barcode="G100")
        self.assertEqual(item.record.year, 2017)
        self.assertEqual(item.source, Item.Source.TRANSFER)

    def test_a_file_without_a_title_column_is_refused_with_what_was_found(self) -> None:
        path = self.rows(["x", "y"], header=["姓名", "班级"])
        with self.assertRaisesMessage(LedgerFileError, "找不到“书名”一栏"):
            read_ledger(path)
        with self.assertRaisesMessage(LedgerFileError, "不是登记表文件"):
            read_ledger(path, "books.pdf")


class RowErrorTests(LedgerFiles, BaseTestCase):
    def reasons(self, *rows: list[Any], header: list[str] = HEADER) -> list[str]:
        result = import_file(self.rows(*rows, header=header), dry_run=True)
        return [e.reason for e in result.plan.entries]

    def test_a_bad_isbn_is_an_error_naming_the_isbn(self) -> None:
        [reason] = self.reasons(["甲", "978-7-5346-1872-8"], header=["书名", "ISBN"])
        self.assertIn("978-7-5346-1872-8", reason)
        self.assertIn("校验位不对", reason)

    def test_an_unknown_class_number_is_an_error(self) -> None:
        [reason] = self.reasons(["甲", "W123"], header=["书名", "分类号"])
        self.assertIn("基本大类“W”不存在", reason)

    def test_a_blank_title_an_unknown_location_and_a_bad_price_or_year_are_errors(self) -> None:
        reasons = self.reasons(
            ["", "书库", "", ""],
            ["乙", "地下室", "", ""],
            ["丙", "", "二十八元", ""],
            ["丁", "", "", "去年"],
            header=["书名", "馆藏地点", "价格", "出版年"],
        )
        self.assertEqual(reasons[0], "书名为空")
        self.assertIn("馆藏地点“地下室”不存在", reasons[1])
        self.assertIn("书库（STACKS）", reasons[1])
        self.assertIn("价格“二十八元”不是数字", reasons[2])
        self.assertIn("出版年“去年”看不懂", reasons[3])

    def test_prices_with_units_and_years_with_months_are_accepted(self) -> None:
        result = import_file(
            self.rows(
                ["甲", "28.00元", "2019.5"],
                ["乙", "￥28", "2019-05"],
                ["丙", "CNY28.00", "2019年5月"],
                ["丁", 28, 2019],
                header=["书名", "价格", "出版年"],
            ),
            dry_run=True,
        )
        for entry in result.plan.entries:
            assert entry.record is not None
            self.assertEqual((entry.record.price, entry.record.year), (Decimal("28.00"), 2019))

    def test_dates_received_are_read_in_the_usual_ways(self) -> None:
        texts = ["2024-09-01", "2024/9/1", "2024.9.1", "20240901", "2024年9月1日", "2024-09"]
        path = self.rows(*[["甲", text] for text in texts], header=["书名", "入藏日期"])
        entries = import_file(path, dry_run=True).plan.entries
        self.assertEqual({e.items[0].received_on for e in entries}, {date(2024, 9, 1)})
        [reason] = self.reasons(["乙", "九月"], header=["书名", "入藏日期"])
        self.assertEqual(reason, "入藏日期“九月”看不懂，应写作 2024-09-01")

    def test_duplicate_barcodes_in_the_file_or_the_catalogue_are_errors(self) -> None:
        reasons = self.reasons(
            ["甲", "D1", ""],
            ["乙", "D1", ""],
            ["丙", "T0001", ""],  # a copy of 西游记
            ["丁", "", "000001"],  # 西游记's first accession number
            ["戊", "D5", "555"],
            ["己", "D6", "555"],
            header=["书名", "条码号", "登录号"],
        )
        self.assertEqual(reasons[0], "")
        self.assertEqual(reasons[1], "条码号“D1”在文件中重复（第 2 行）")
        self.assertEqual(reasons[2], "条码号“T0001”已被使用")
        self.assertEqual(reasons[3], "登录号“000001”已被使用")
        self.assertEqual(reasons[5], "登录号“555”在文件中重复（第 6 行）")

    def test_the_templates_example_row_is_refused(self) -> None:
        [reason] = self.reasons(["草房子", ledger.EXAMPLE_NOTE], header=["书名", "备注"])
        self.assertIn("示例行", reason)


class AllOrNothingTests(LedgerFiles, BaseTestCase):
    def test_a_file_with_an_error_changes_nothing(self) -> None:
        before = (Record.objects.count(), Item.objects.count(), ImportBatch.objects.count())
        result = import_file(self.rows(["好书", "E1"], ["", "E2"], header=["书名", "条码号"]))
        self.assertTrue(result.refused)
        self.assertIsNone(result.batch)
        after = (Record.objects.count(), Item.objects.count(), ImportBatch.objects.count())
        self.assertEqual(before, after)

    def test_skip_bad_imports_the_good_rows_and_reports_the_rest(self) -> None:
        result = import_file(
            self.rows(["好书", "E1"], ["", "E2"], header=["书名", "条码号"]), skip_bad=True
        )
        self.assertTrue(Item.objects.filter(barcode="E1").exists())
        self.assertFalse(Item.objects.filter(barcode="E2").exists())
        assert result.batch is not None
        self.assertEqual(result.batch.errors, 1)
        errors = [line for line in result.batch.report if line["action"] == "error"]
        self.assertEqual([line["reason"] for line in errors], ["书名为空"])

    def test_a_dry_run_changes_nothing(self) -> None:
        result = import_file(self.rows(["好书", "E1"], header=["书名", "条码号"]), dry_run=True)
        self.assertEqual(result.plan.counts()["add"], 1)
        self.assertFalse(Item.objects.filter(barcode="E1").exists())


class ReimportTests(LedgerFiles, BaseTestCase):
    def test_importing_the_same_file_again_changes_nothing(self) -> None:
        path = self.rows(
            ["", "R1", "草房子", "曹文轩", "", "", "9787534618727"],
            ["", "R2", "草房子", "曹文轩", "", "", "9787534618727"],
            ["", "R3", "小橘灯", "冰心", "", "", ""],
        )
        import_file(path)
        counts = (Record.objects.count(), Item.objects.count())
        for policy in ImportBatch.Policy.values:
            with self.subTest(policy=policy):
                again = import_file(path, policy=policy)
                self.assertFalse(again.refused)
                self.assertEqual({e.action for e in again.plan.entries}, {"skip"})
                self.assertIn("已在馆藏中", again.plan.entries[0].reason)
                self.assertEqual((Record.objects.count(), Item.objects.count()), counts)

    def test_new_rows_added_to_an_imported_ledger_are_merged_as_chosen(self) -> None:
        first = ["", "R1", "草房子", "曹文轩", "", "", "9787534618727"]
        import_file(self.rows(first))
        import_file(
            self.rows(first, ["", "R2", "草房子", "曹文轩", "", "", "9787534618727"]),
            policy=ImportBatch.Policy.MERGE,
        )
        record = Record.objects.get(isbn="9787534618727")
        self.assertEqual(sorted(record.items.values_list("barcode", flat=True)), ["R1", "R2"])

    def test_a_barcode_on_another_books_copy_is_still_an_error(self) -> None:
        result = import_file(self.rows(["", "T0001", "草房子"]))
        self.assertEqual(result.plan.errors[0].reason, "条码号“T0001”已被使用")
