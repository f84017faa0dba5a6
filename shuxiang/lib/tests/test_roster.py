"""Reading rosters: formats, tolerant headers, clean values, and the numbers Excel mangles."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]
from django.test import SimpleTestCase

from shuxiang.lib.roster import Problem, RosterFileError, header_key, match_header, read_roster


class RosterReadingTests(SimpleTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def xlsx(self, rows: list[list[Any]], name: str = "r.xlsx", **formats: str) -> Path:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        for cell, number_format in formats.items():
            sheet[cell].number_format = number_format
        path = self.dir / name
        book.save(path)
        return path

    def file(self, name: str, content: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(content)
        return path

    def codes(self, problems: list[Problem]) -> list[str]:
        return [p.code for p in problems]

    def test_it_matches_headers_written_with_spaces_full_width_letters_and_notes(self) -> None:
        for text, field in [
            ("姓名", "name"),
            (" 姓 名 ", "name"),
            ("姓名*", "name"),
            ("名字", "name"),
            ("学号（必填）", "student_number"),
            ("学籍号", "student_number"),
            ("工号", "staff_number"),
            ("编号", "number"),
            ("班别", "class"),
            ("班", "class"),
            ("读者证号", "card_number"),
            ("卡号", "card_number"),
            ("身份", "type"),
            ("入学年", "enrolment_year"),
            ("监护人电话", "guardian_phone"),
            ("ＮＡＭＥ", "name"),
        ]:
            with self.subTest(text=text):
                self.assertEqual(match_header(text), field)
        self.assertEqual(header_key("班级（如 三年级(2)班）"), "班级")
        self.assertIsNone(match_header("身份证号"))

    def test_it_finds_the_header_under_a_title_row(self) -> None:
        path = self.xlsx(
            [["2025学年 三年级花名册"], [], ["序号", "姓名", "学号"], [1, "王明", "01"]]
        )
        roster = read_roster(path)
        self.assertEqual(roster.sheets[0].header_line, 3)
        self.assertEqual(
            [(r.line, r.values) for r in roster.rows],
            [(4, {"name": "王明", "student_number": "01"})],
        )
        self.assertEqual(roster.sheets[0].ignored, ["序号"])

    def test_it_keeps_the_better_of_two_columns_for_one_field(self) -> None:
        path = self.xlsx([["姓名", "学籍号", "学号"], ["王明", "G123", "2025030201"]])
        roster = read_roster(path)
        self.assertEqual(roster.rows[0].get("student_number"), "2025030201")
        self.assertEqual(roster.sheets[0].repeated, [("学籍号", "学号")])

    def test_it_normalises_full_width_digits_and_stray_spaces(self) -> None:
        path = self.xlsx(
            [
                ["姓名", "学号", "班级", "借书证号", "家长电话"],
                [
                    "王　明 ",
                    "２０２５ ０３０２０１",
                    " 三年级（２）班",
                    "ｒ００１２",
                    "138 0000 0001",
                ],
                ["Anna  Lee", "2025030202", "三年级(2)班", "", ""],
            ]
        )
        first, second = read_roster(path).rows
        self.assertEqual(
            first.values,
            {
                "name": "王明",
                "student_number": "2025030201",
                "class": "三年级(2)班",
                "card_number": "r0012",
                "guardian_phone": "13800000001",
            },
        )
        self.assertEqual(second.get("name"), "Anna Lee")

    def test_it_reads_numbers_stored_by_excel_without_a_decimal_point(self) -> None:
        path = self.xlsx([["姓名", "学号", "入学年份"], ["王明", 2025030201, 2022]])
        row = read_roster(path).rows[0]
        self.assertEqual(
            row.values, {"name": "王明", "student_number": "2025030201", "enrolment_year": "2022"}
        )
        self.assertEqual(row.numeric, {"student_number"})

    def test_it_keeps_the_zeros_a_cell_format_shows(self) -> None:
        path = self.xlsx(
            [["姓名", "学号"], ["王明", 123], ["李红", 4567]], B2="0000000", B3="0000000"
        )
        roster = read_roster(path)
        self.assertEqual([r.get("student_number") for r in roster.rows], ["0000123", "0004567"])
        self.assertEqual(self.codes(roster.problems), ["zeros_restored"])

    def test_it_warns_where_excel_has_dropped_leading_zeros(self) -> None:
        path = self.xlsx(
            [["姓名", "学号"], ["王明", "0012345"], ["李红", 12346], ["张三", "0012347"]]
        )
        roster = read_roster(path)
        li = roster.rows[1]
        self.assertEqual(li.get("student_number"), "12346")
        self.assertEqual(
            li.problems,
            [
                Problem(
                    "zeros_maybe_lost", {"field": "student_number", "value": "12346", "length": 7}
                )
            ],
        )
        self.assertEqual(roster.rows[0].problems, [])
        self.assertEqual(self.codes(roster.problems), ["stored_as_numbers"])

    def test_it_refuses_numbers_excel_has_altered(self) -> None:
        path = self.xlsx([["姓名", "学号"], ["王明", 110101201503070012]])
        self.assertEqual(self.codes(read_roster(path).rows[0].problems), ["number_too_long"])
        csv_path = self.file("r.csv", "姓名,学号\n王明,1.10101E+17\n".encode())
        problem = read_roster(csv_path).rows[0].problems[0]
        self.assertEqual((problem.code, problem.error), ("scientific", True))

    def test_it_gives_a_merged_class_cell_to_every_pupil_under_it(self) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in [
            ["姓名", "班级"],
            ["王明", "三年级(2)班"],
            ["李红", None],
            ["张三", "三年级(3)班"],
        ]:
            sheet.append(row)
        sheet.merge_cells("B2:B3")
        book.save(self.dir / "m.xlsx")
        roster = read_roster(self.dir / "m.xlsx")
        self.assertEqual(
            [r.get("class") for r in roster.rows], ["三年级(2)班", "三年级(2)班", "三年级(3)班"]
        )

    def test_it_reads_every_visible_sheet_with_a_name_column(self) -> None:
        book = openpyxl.Workbook()
        first = book.active
        first.title = "三(1)班"
        first.append(["姓名", "学号"])
        first.append(["王明", "01"])
        second = book.create_sheet("三(2)班")
        second.append(["学生姓名", "学号"])
        second.append([None])
        second.append(["李红", "02"])
        book.create_sheet("说明").append(["填写说明：姓名必填"])
        hidden = book.create_sheet("旧")
        hidden.append(["姓名"])
        hidden.append(["不该读"])
        hidden.sheet_state = "hidden"
        book.save(self.dir / "s.xlsx")
        roster = read_roster(self.dir / "s.xlsx")
        self.assertTrue(roster.multiple_sheets)
        self.assertEqual(
            [(r.sheet, r.line, r.get("name")) for r in roster.rows],
            [("三(1)班", 2, "王明"), ("三(2)班", 3, "李红")],
        )

    def test_it_reads_xls_files(self) -> None:
        book = xlwt.Workbook()
        sheet = book.add_sheet("花名册")
        rows: list[list[Any]] = [["姓名", "学号", "班级"], ["王明", 2025030201, "三年级(2)班"]]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        book.save(str(self.dir / "r.xls"))
        first = read_roster(self.dir / "r.xls").rows[0]
        self.assertEqual(
            first.values, {"name": "王明", "student_number": "2025030201", "class": "三年级(2)班"}
        )

    def test_it_reads_an_xlsx_file_saved_under_the_name_xls(self) -> None:
        path = self.xlsx([["姓名"], ["王明"]], name="r.xlsx")
        wrong = self.file("r.xls", path.read_bytes())
        self.assertEqual(read_roster(wrong).rows[0].get("name"), "王明")

    def test_it_reads_csv_in_utf8_with_bom_and_in_gbk_with_any_common_separator(self) -> None:
        for name, content in [
            ("bom.csv", "\ufeff姓名,学号\n王明,0123\n".encode()),
            ("gbk.csv", "姓名;学号\r\n王明;0123\r\n".encode("gbk")),
            ("tab.csv", "姓名\t学号\n王明\t0123\n".encode("gb18030")),
        ]:
            with self.subTest(name=name):
                rows = read_roster(self.file(name, content)).rows
                self.assertEqual(
                    [r.values for r in rows], [{"name": "王明", "student_number": "0123"}]
                )

    def test_it_skips_blank_rows_and_counts_lines_as_the_spreadsheet_does(self) -> None:
        content = "姓名,学号\n王明,1\n,\n\n李红,2\n".encode()
        rows = read_roster(self.file("r.csv", content)).rows
        self.assertEqual([(r.line, r.get("name")) for r in rows], [(2, "王明"), (5, "李红")])

    def test_it_takes_a_sheet_with_only_staff_numbers_for_teachers(self) -> None:
        rows = read_roster(self.file("t.csv", "姓名,工号\n唐老师,T9\n".encode())).rows
        self.assertEqual(rows[0].default_type, "teacher")
        rows = read_roster(self.file("s.csv", "姓名,学号\n王明,1\n".encode())).rows
        self.assertEqual(rows[0].default_type, "student")

    def test_it_refuses_a_file_without_a_name_column_and_says_what_it_found(self) -> None:
        path = self.xlsx([["学生名单"], ["学号", "班级", "电话"], ["1", "2", "3"]])
        with self.assertRaises(RosterFileError) as caught:
            read_roster(path)
        self.assertEqual(caught.exception.code, "no_name_header")
        self.assertEqual(caught.exception.params, {"found": "学生名单"})

    def test_it_refuses_empty_unreadable_and_foreign_files(self) -> None:
        for name, content, code in [
            ("empty.xlsx", b"", "empty"),
            ("junk.xlsx", b"PK\x03\x04 not really a zip", "unreadable"),
            ("junk.xls", b"hello", "unreadable"),
            ("notes.docx", b"hello", "wrong_type"),
        ]:
            with self.subTest(name=name), self.assertRaises(RosterFileError) as caught:
                read_roster(self.file(name, content))
            self.assertEqual(caught.exception.code, code)

    def test_it_reads_only_the_first_rows_when_asked(self) -> None:
        path = self.xlsx([["姓名"], *[[f"学生{i}"] for i in range(100)]])
        self.assertEqual(len(read_roster(path, max_rows=10).rows), 9)
