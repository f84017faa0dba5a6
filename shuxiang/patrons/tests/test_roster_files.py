"""Rosters in each file format the upload takes, imported end to end. The helpers here build
the files for the other roster tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]
from django.test import TestCase

from shuxiang.lib.roster import read_roster
from shuxiang.patrons import roster
from shuxiang.patrons.models import Patron
from shuxiang.test import BaseTestCase

HEADER = ["姓名", "类型", "学号", "性别", "年级", "班级", "借书证号"]
ROWS: list[list[Any]] = [
    ["林小雨", "学生", "2025030101", "女", "三年级", "1", ""],
    ["周大山", "学生", "2025030102", "男", "三年级", "(1)班", "C30102"],
    ["吴老师", "教师", "T031", "女", "", "", ""],
]


class TempFiles:
    """Roster files written to a folder of their own, removed after the test."""

    def __init__(self, test: TestCase) -> None:
        self.dir = Path(tempfile.mkdtemp())
        test.addCleanup(shutil.rmtree, self.dir)

    def xlsx(self, rows: list[list[Any]], name: str = "roster.xlsx") -> Path:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        path = self.dir / name
        book.save(path)
        return path

    def xls(self, rows: list[list[Any]], name: str = "roster.xls") -> Path:
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("花名册")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        path = self.dir / name
        book.save(str(path))
        return path

    def csv(self, rows: list[list[Any]], encoding: str = "utf-8-sig", name: str = "") -> Path:
        text = "\r\n".join(",".join(str(v) for v in row) for row in rows) + "\r\n"
        path = self.dir / (name or f"roster-{encoding}.csv")
        path.write_bytes(text.encode(encoding))
        return path


def import_file(path: Path, **options: Any) -> roster.ImportResult:
    options.setdefault("by", None)
    return roster.import_roster(read_roster(path), **options)


class RosterFileFormatTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)

    def assert_imported(self, result: roster.ImportResult) -> None:
        self.assertEqual((result.added, result.updated, result.errors), (3, 0, 0))
        lin = Patron.objects.get(student_number="2025030101")
        self.assertEqual(
            (lin.name, lin.gender, str(lin.school_class)), ("林小雨", "f", "三年级(1)班")
        )
        self.assertEqual(Patron.objects.get(student_number="2025030102").card_number, "C30102")
        wu = Patron.objects.get(staff_number="T031")
        self.assertEqual((wu.type, wu.school_class), (Patron.Type.TEACHER, None))

    def test_it_imports_an_xlsx_roster(self) -> None:
        self.assert_imported(import_file(self.files.xlsx([HEADER, *ROWS])))

    def test_it_imports_an_xls_roster(self) -> None:
        self.assert_imported(import_file(self.files.xls([HEADER, *ROWS])))

    def test_it_imports_a_utf8_csv_roster_with_a_byte_order_mark(self) -> None:
        path = self.files.csv([HEADER, *ROWS], "utf-8-sig")
        self.assertTrue(path.read_bytes().startswith(b"\xef\xbb\xbf"))
        self.assert_imported(import_file(path))

    def test_it_imports_a_gbk_csv_roster(self) -> None:
        path = self.files.csv([HEADER, *ROWS], "gbk")
        self.assert_imported(import_file(path))
