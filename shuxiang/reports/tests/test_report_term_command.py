"""`shuxiang report term`: the DESIGN contract's JSON, Markdown, Excel, Word and the refusals."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime
from io import BytesIO, StringIO
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import time_machine
from django.core.management import CommandError, call_command
from docx import Document

from shuxiang.accounts.models import AuditLog
from shuxiang.circulation.models import Term
from shuxiang.reports.tests.test_figures import PERIOD_END, PERIOD_START, HandMadeSchool

RANGE = ["--from", PERIOD_START.isoformat(), "--to", PERIOD_END.isoformat()]


def run(*args: str) -> str:
    out = StringIO()
    call_command("report_term", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@time_machine.travel(datetime(2027, 2, 10, 2, tzinfo=UTC), tick=False)
class ReportTermCommandTest(HandMadeSchool):
    def test_it_writes_the_contract_json_to_standard_output(self) -> None:
        data = json.loads(run(*RANGE))
        self.assertEqual(data["students"], 8)
        self.assertEqual(data["student_loans"], 7)
        self.assertEqual(data["loans_per_student"], 0.875)
        self.assertEqual(data["coverage"], 0.5)
        self.assertEqual(data["circulation_rate"], 1.5)
        self.assertEqual(data["reading_room_uses"], 2)
        self.assertEqual(data["withdrawn"], 0)  # B3 was withdrawn before dates were kept
        self.assertEqual(data["period"]["label"], "2026年9月1日—2027年1月15日")
        first = data["classes"][0]
        self.assertLessEqual(
            {"class", "students", "loans", "loans_per_student", "coverage"}, set(first)
        )
        self.assertEqual(
            (
                first["class"],
                first["students"],
                first["loans"],
                first["loans_per_student"],
                first["coverage"],
            ),
            ("三年级(1)班", 3, 4, 1.3333, 0.6667),
        )
        self.assertEqual(data["reading_stars"][0]["name"], "学生s1")

    def test_it_counts_the_current_term_without_dates(self) -> None:
        Term.objects.create(
            name="2026—2027学年第一学期", starts_on=PERIOD_START, ends_on=PERIOD_END
        )
        Term.objects.create(
            name="2026—2027学年第二学期",
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 7, 10),
        )
        data = json.loads(run())
        self.assertEqual(data["period"]["label"], "2026—2027学年第二学期")
        self.assertEqual(data["student_loans"], 0)

    def test_it_adds_the_change_from_the_previous_period_when_asked(self) -> None:
        data = json.loads(run(*RANGE, "--compare"))
        text = run(*RANGE, "--compare", "--format", "md")
        self.assertIn("| 学生借书册次 | 7 | 2 | +5 |", text)
        change = next(c for c in data["changes"] if c["figure"] == "student_loans")
        self.assertEqual((change["current"], change["previous"], change["change"]), (7, 2, 5))

    def test_it_writes_the_work_summary_sentences_in_markdown(self) -> None:
        text = run(*RANGE, "--format", "md")
        self.assertIn("生均借书 0.88 册，借书覆盖率 50.0%", text)
        self.assertIn("其中学生借书 7 册次，在籍学生 8 人", text)
        self.assertIn("| 三年级(1)班 | 3 | 4 | 2 | 1.33 | 66.7% | 1 |", text)

    def test_it_writes_one_sheet_per_table_to_an_excel_file(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "term.xlsx"
            run(*RANGE, "--format", "xlsx", "--output", str(path))
            book = openpyxl.load_workbook(BytesIO(path.read_bytes()))
        self.assertEqual(
            book.sheetnames,
            ["主要指标", "班级借阅", "最爱读书班级", "阅读之星", "热门图书", "按中图法大类借阅"],
        )
        classes = list(book["班级借阅"].iter_rows(values_only=True))
        self.assertEqual(classes[1], ("三年级(1)班", 3, 4, 2, 1.3333, 0.6667, 1))

    def test_it_writes_the_work_summary_to_a_word_file(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "工作总结.docx"
            run(*RANGE, "--format", "docx", "--output", str(path), "--compare")
            document = Document(BytesIO(path.read_bytes()))
        self.assertEqual(
            document.paragraphs[0].text, "2026年9月1日—2027年1月15日图书馆工作总结（数据部分）"
        )
        self.assertEqual(len(document.inline_shapes), 4)
        headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
        self.assertIn(["指标", "本期", "上期", "变化"], headers)  # --compare
        entry = AuditLog.objects.get(action="term_report_exported")
        self.assertEqual(entry.detail["format"], "docx")

    def test_it_logs_every_export_without_names(self) -> None:
        run(*RANGE)
        entry = AuditLog.objects.get(action="term_report_exported")
        self.assertEqual(
            entry.detail, {"start": "2026-09-01", "end": "2027-01-15", "format": "json"}
        )

    def test_it_refuses_bad_requests_in_chinese(self) -> None:
        cases = [
            (["--format", "docx"], "Word 格式要用 --output 指定保存的文件"),
            (["--format", "pdf"], "不支持的格式“pdf”（可用：json、md、xlsx、docx）"),
            (["--format", "xlsx"], "Excel 格式要用 --output 指定保存的文件"),
            (["--from", "2026-09-01"], "--from 和 --to 要一起给出"),
            (["--from", "2026-9-x", "--to", "2027-01-15"], "--from 的日期“2026-9-x”无法识别"),
            (
                ["--from", "2027-01-15", "--to", "2026-09-01"],
                "结束日期 2026-09-01 早于开始日期 2027-01-15",
            ),
        ]
        for args, message in cases:
            with self.subTest(args=args), self.assertRaisesMessage(CommandError, message):
                run(*args)
        self.assertFalse(AuditLog.objects.filter(action="term_report_exported").exists())
