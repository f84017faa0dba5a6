"""The roster upload page: who may use it, the template, and files refused at once."""

from __future__ import annotations

import io
from typing import Any

import openpyxl  # type: ignore[import-untyped]
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from shuxiang.accounts.models import User
from shuxiang.jobs.models import Job
from shuxiang.lib.roster import read_roster
from shuxiang.patrons import roster
from shuxiang.patrons.roster_views import XLSX
from shuxiang.patrons.tests.test_roster_files import TempFiles
from shuxiang.test import BaseTestCase

URL = "/staff/roster/"


class RosterUploadViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)
        uploads = override_settings(UPLOAD_DIR=self.files.dir / "uploads")
        uploads.enable()
        self.addCleanup(uploads.disable)
        self.client.force_login(self.lena)

    def post(self, name: str, content: bytes, mode: str = roster.SKIP_BAD) -> Any:
        upload = SimpleUploadedFile(name, content)
        return self.client.post(URL, {"file": upload, "mode": mode})

    def xlsx_bytes(self, rows: list[list[Any]]) -> bytes:
        return self.files.xlsx(rows).read_bytes()

    def uploads(self) -> list[str]:
        folder = self.files.dir / "uploads" / "roster"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    def test_it_sends_anonymous_visitors_to_the_login_page(self) -> None:
        self.client.logout()
        r = self.client.get(URL)
        self.assertRedirects(r, f"/accounts/login/?next={URL}", fetch_redirect_response=False)

    def test_it_refuses_everyone_but_the_librarian(self) -> None:
        for role in [User.Role.ASSISTANT, User.Role.HOMEROOM, User.Role.TEACHER, User.Role.VIEWER]:
            with self.subTest(role=role):
                user = User.objects.create_user(f"u-{role}", password="x-pass-12345", role=role)
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
                self.assertEqual(self.client.get(f"{URL}template.xlsx").status_code, 403)
                self.assertEqual(self.post("r.csv", "姓名\n王明\n".encode()).status_code, 403)
        self.assertFalse(Job.objects.exists())

    def test_it_shows_the_form_the_choices_and_the_columns_understood(self) -> None:
        r = self.client.get(URL)
        self.assertContains(r, 'accept=".xlsx,.xls,.csv"')
        self.assertContains(r, "导入正确的行，列出有错的行")
        self.assertContains(r, "只要有一行有错，就什么都不导入")
        self.assertContains(r, "学号、学生学号、学籍号")
        self.assertContains(r, "/staff/roster/template.xlsx")

    def test_the_template_is_a_workbook_the_import_reads(self) -> None:
        r = self.client.get(f"{URL}template.xlsx")
        self.assertEqual(r["Content-Type"], XLSX)
        self.assertIn("attachment", r["Content-Disposition"])
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        self.assertEqual(book.sheetnames, ["花名册", "填写说明"])
        headers = [c.value for c in book["花名册"][1]]
        self.assertEqual(
            headers,
            [
                "姓名",
                "类型",
                "学号",
                "性别",
                "年级",
                "班级",
                "借书证号",
                "入学年份",
                "家长电话",
                "备注",
            ],
        )
        self.assertEqual(book["花名册"]["C3"].number_format, "@")  # 学号 typed as text
        path = self.files.dir / "template.xlsx"
        path.write_bytes(r.content)
        plan = roster.check_roster(read_roster(path))
        self.assertEqual(len(plan.rows), 1)
        self.assertEqual(plan.rows[0].errors, ["这是模板中的示例行：导入前请删除。"])

    def test_it_refuses_a_file_of_another_type(self) -> None:
        r = self.post("名单.docx", b"PK\x03\x04")
        self.assertContains(r, "“名单.docx”不是花名册文件：请上传 .xlsx、.xls 或 .csv 文件。")
        self.assertEqual((Job.objects.count(), self.uploads()), (0, []))

    def test_it_refuses_an_empty_file(self) -> None:
        r = self.post("roster.xlsx", b"")
        self.assertContains(r, "文件是空的。")
        self.assertFalse(Job.objects.exists())

    @override_settings(SHUXIANG_MAX_UPLOAD_MB=1)
    def test_it_refuses_a_file_over_the_size_limit(self) -> None:
        r = self.post("roster.csv", "姓名\n".encode() + b"x\n" * 600_000)
        self.assertContains(r, "文件超过 1 MB")
        self.assertFalse(Job.objects.exists())

    def test_it_refuses_a_file_without_a_name_column_and_lists_the_headers_found(self) -> None:
        r = self.post("roster.xlsx", self.xlsx_bytes([["学号", "班级", "性别"], ["1", "2", "男"]]))
        self.assertContains(
            r,
            "在文件开头几行中没有找到“姓名”一列，无法按花名册读取。找到的表头：学号、班级、性别。",
        )
        self.assertEqual((Job.objects.count(), self.uploads()), (0, []))

    def test_it_refuses_a_file_that_is_not_what_its_name_says(self) -> None:
        r = self.post("roster.xlsx", b"PK\x03\x04 this is not a workbook")
        self.assertContains(r, "无法读取这个文件")

    def test_it_refuses_a_header_with_no_patrons_under_it(self) -> None:
        r = self.post("roster.csv", "姓名,学号\n".encode())
        self.assertContains(r, "文件只有表头，下面没有读者。")

    def test_it_keeps_the_file_and_checks_it_as_a_job(self) -> None:
        content = self.xlsx_bytes(
            [["姓名", "学号", "班级"], ["林小雨", "2025030101", "三年级(1)班"]]
        )
        r = self.post("三年级.xlsx", content, roster.ALL_OR_NOTHING)
        job = Job.objects.get()
        self.assertRedirects(r, f"{URL}{job.pk}/", fetch_redirect_response=False)
        self.assertEqual(
            (job.kind, job.created_by, job.file_name), ("roster_import", self.lena, "三年级.xlsx")
        )
        self.assertEqual(job.options["mode"], roster.ALL_OR_NOTHING)
        # The tests run tasks at once: the check has already run.
        self.assertEqual(job.state, Job.State.READY)
        self.assertEqual(job.preview["counts"]["add"], 1)
        self.assertEqual(len(self.uploads()), 1)
        self.assertNotIn("三年级", self.uploads()[0])  # stored under a name of its own
