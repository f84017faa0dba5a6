"""The MARC import screens: upload → progress → preview → import → the batch's report.

Tasks run at once under tests, so an upload comes back already checked (READY).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from shuxiang.accounts.models import User
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.jobs.models import Job
from shuxiang.marc.models import MarcRecord
from shuxiang.test import BaseTestCase

FIXTURES = Path(__file__).resolve().parent / "fixtures"
URL = "/staff/marc/import/"


class MarcImportViewTests(BaseTestCase):
    def setUp(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder)
        uploads = override_settings(UPLOAD_DIR=folder / "uploads")
        uploads.enable()
        self.addCleanup(uploads.disable)
        self.client.force_login(self.lena)

    def upload(self, name: str, content: bytes | None = None, **fields: Any) -> Any:
        data = content if content is not None else (FIXTURES / name).read_bytes()
        form = {"flavour": "auto", "encoding": "auto", "policy": "skip", "location": "STACKS"}
        form.update(fields)
        return self.client.post(URL, {"file": SimpleUploadedFile(name, data), **form})

    def job(self) -> Job:
        return Job.objects.filter(kind=Job.Kind.MARC_IMPORT).latest("created_at")

    def test_it_shows_the_form_with_its_choices(self) -> None:
        r = self.client.get(URL)
        self.assertContains(r, "导入 MARC 记录")
        self.assertContains(r, "自动识别")
        self.assertContains(r, 'value="merge"')
        self.assertContains(r, '<option value="STACKS" selected>')
        self.assertContains(r, "导入正确的记录，跳过有错误的")

    def test_upload_preview_import_and_the_batch_report(self) -> None:
        r = self.upload("cnmarc_school_gbk.iso")
        job = self.job()
        self.assertRedirects(r, f"{URL}{job.pk}/", fetch_redirect_response=False)
        self.assertEqual(job.state, Job.State.READY)
        r = self.client.get(f"{URL}{job.pk}/")
        self.assertContains(r, "按 CNMARC、ISO 2709 读取。")
        self.assertContains(r, "GB18030（GBK） (5)")
        self.assertContains(r, 'data-count="add">5<')
        self.assertContains(r, "<td>草房子</td>", html=True)
        self.assertContains(r, "I287.45/12")
        self.assertContains(r, "C0001、C0002")
        self.assertContains(r, "ISBN“9787500794807”无效")
        self.assertContains(r, "导入 5 条记录")
        self.assertFalse(Record.objects.filter(title="草房子").exists())  # nothing written yet
        r = self.client.post(f"{URL}{job.pk}/import/")
        self.assertRedirects(r, f"{URL}{job.pk}/", fetch_redirect_response=False)
        batch = ImportBatch.objects.get()
        r = self.client.get(f"{URL}{job.pk}/")
        self.assertRedirects(r, f"/staff/imports/{batch.pk}/", fetch_redirect_response=False)
        self.assertEqual((batch.records_added, batch.items_added), (5, 8))
        self.assertEqual(batch.created_by, self.lena)
        self.assertEqual(MarcRecord.objects.count(), 5)
        self.assertFalse(Path(self.job().path).exists())

    def test_errors_are_listed_and_block_the_import_unless_skipped(self) -> None:
        self.upload("cnmarc_truncated.iso")
        job = self.job()
        r = self.client.get(f"{URL}{job.pk}/")
        self.assertContains(r, "有错误的记录：1 条")
        self.assertContains(r, "第 3 条记录（字节偏移 1224）")
        self.assertContains(r, "记录不完整：文件在这条记录中途结束")
        self.assertContains(r, "data-blocked")
        self.client.post(f"{URL}{job.pk}/import/")
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.FAILED)
        self.assertIn("第 3 条记录（字节偏移 1224）：记录不完整", job.error)
        self.assertFalse(Record.objects.filter(title="草房子").exists())

    def test_ticking_skip_bad_on_the_preview_imports_the_good_ones(self) -> None:
        self.upload("cnmarc_truncated.iso")
        job = self.job()
        self.client.post(f"{URL}{job.pk}/import/", {"skip_bad": "on"})
        batch = ImportBatch.objects.get()
        self.assertEqual((batch.records_added, batch.errors, batch.skip_bad), (2, 1, True))

    def test_merge_chosen_at_upload_adds_copies_to_a_record_already_held(self) -> None:
        self.upload("cnmarc_school_utf8.iso")
        self.client.post(f"{URL}{self.job().pk}/import/")
        Item.objects.filter(barcode="C0001").delete()
        self.upload("cnmarc_school_utf8.iso", policy="merge", skip_bad="on")
        job = self.job()
        r = self.client.get(f"{URL}{job.pk}/")
        self.assertContains(r, "并入已有书目")
        self.client.post(f"{URL}{job.pk}/import/")
        self.assertEqual(ImportBatch.objects.latest("id").records_merged, 1)

    def test_a_garbage_file_gets_a_chinese_error_and_no_job(self) -> None:
        r = self.upload("书目.xlsx", b"PK\x03\x04garbage")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "这不是 MARC 文件")
        r = self.upload("empty.iso", b"")
        self.assertContains(r, "文件是空的")
        self.assertFalse(Job.objects.exists())

    def test_cancel_deletes_the_upload_and_imports_nothing(self) -> None:
        self.upload("one.dat")
        job = self.job()
        r = self.client.post(f"{URL}{job.pk}/cancel/")
        self.assertRedirects(r, URL, fetch_redirect_response=False)
        self.assertFalse(Path(job.path).exists())
        self.assertEqual(Record.objects.count(), 1)

    def test_only_the_librarian_may_import(self) -> None:
        self.upload("one.dat")
        job = self.job()
        for role in [User.Role.ASSISTANT, User.Role.TEACHER, User.Role.STUDENT]:
            with self.subTest(role=role):
                user = User.objects.create_user(f"u-{role}", password="x-pass-12345", role=role)
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
                self.assertEqual(self.upload("one.dat").status_code, 403)
                self.assertEqual(self.client.get(f"{URL}{job.pk}/").status_code, 403)
                self.assertEqual(self.client.post(f"{URL}{job.pk}/import/").status_code, 403)
        self.client.logout()
        r = self.client.get(URL)
        self.assertRedirects(r, f"/accounts/login/?next={URL}", fetch_redirect_response=False)
        self.assertEqual(Job.objects.count(), 1)
        self.assertEqual(Record.objects.count(), 1)
