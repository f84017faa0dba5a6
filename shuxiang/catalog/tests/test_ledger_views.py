"""The ledger screens: upload, preview, import (then the import's report), template, export.

Tasks run at once under tests, so an upload comes back already checked (READY).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl  # type: ignore[import-untyped]
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import ledger
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.jobs import services as jobs
from shuxiang.jobs.models import Job
from shuxiang.test import BaseTestCase

HEADER = ["条码号", "书名", "作者", "ISBN", "分类号", "价格"]
ROWS: list[list[Any]] = [
    ["V1", "草房子", "曹文轩", "9787534618727", "I287.45", "28.00元"],
    ["V2", "草房子", "曹文轩", "9787534618727", "I287.45", "28.00元"],
    ["V3", "西游记", "吴承恩", "978-7-02-000220-7", "I242.4", "45"],  # already catalogued
    ["V4", "", "无名", "", "", ""],  # no title
    ["V5", "小橘灯", "冰心", "9787020000000", "", ""],  # bad ISBN
]
# Until jobs.services lists the ledger import's steps, the tests name them.
STEPS = {"check": "shuxiang.catalog.ledger.check_job", "apply": "shuxiang.catalog.ledger.apply_job"}


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class LedgerViewTests(BaseTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        uploads = override_settings(UPLOAD_DIR=Path(folder.name))
        uploads.enable()
        self.addCleanup(uploads.disable)
        for patch in (
            mock.patch.dict(jobs.STEPS, {Job.Kind.LEDGER_IMPORT: STEPS}),
            mock.patch.dict(jobs.PAGES, {Job.Kind.LEDGER_IMPORT: "ledger:job"}),
        ):
            patch.start()
            self.addCleanup(patch.stop)
        self.client.force_login(self.lena)

    def upload(self, rows: list[list[Any]] = ROWS, **options: Any) -> Job:
        data = {"file": SimpleUploadedFile("登记表.xlsx", workbook([HEADER, *rows]))}
        self.client.post("/staff/ledger/", {"policy": "skip", **data, **options})
        return Job.objects.latest("created_at")

    def test_the_upload_page_offers_the_choices_and_lists_the_columns(self) -> None:
        r = self.client.get("/staff/ledger/")
        self.assertContains(r, "导入图书登记表（Excel）")
        self.assertContains(r, "跳过，不导入")
        self.assertContains(r, "把这些册加到已有书目")
        self.assertContains(r, '<option value="READING">阅览室</option>', html=True)
        self.assertContains(r, "<dt>价格</dt>", html=True)
        self.assertContains(r, "定价、单价、price")

    def test_it_previews_what_the_import_would_do(self) -> None:
        job = self.upload(skip_bad="on")
        self.assertEqual(job.state, Job.State.READY)
        r = self.client.get(f"/staff/ledger/{job.pk}/")
        self.assertContains(r, 'data-count="add">1<')
        self.assertContains(r, 'data-count="joined">1<')
        self.assertContains(r, 'data-count="held">1<')
        self.assertContains(r, 'data-count="error">2<')
        self.assertContains(r, "书名为空")
        self.assertContains(r, "ISBN“9787020000000”无效：校验位不对")
        self.assertContains(r, "馆藏中已有相同的书目《西游记》")
        self.assertContains(r, "data-import")
        self.assertFalse(Item.objects.filter(barcode="V1").exists())  # nothing written yet

    def test_importing_leads_to_the_imports_report(self) -> None:
        job = self.upload(skip_bad="on")
        r = self.client.post(f"/staff/ledger/{job.pk}/import/")
        self.assertRedirects(r, f"/staff/ledger/{job.pk}/", fetch_redirect_response=False)
        batch = ImportBatch.objects.get()
        r = self.client.get(f"/staff/ledger/{job.pk}/")
        self.assertRedirects(r, f"/staff/imports/{batch.pk}/", fetch_redirect_response=False)
        self.assertEqual(Record.objects.get(isbn="9787534618727").items.count(), 2)
        self.assertEqual((batch.records_added, batch.items_added, batch.errors), (1, 2, 2))

    def test_without_skip_bad_a_file_with_errors_cannot_be_imported(self) -> None:
        job = self.upload()
        r = self.client.get(f"/staff/ledger/{job.pk}/")
        self.assertContains(r, "data-blocked")
        self.assertNotContains(r, "data-import")
        self.client.post(f"/staff/ledger/{job.pk}/import/")
        self.assertFalse(Item.objects.filter(barcode="V1").exists())
        self.assertContains(self.client.get(f"/staff/ledger/{job.pk}/"), "data-refused")

    def test_a_file_that_is_not_a_ledger_is_refused_on_the_form(self) -> None:
        data = {"file": SimpleUploadedFile("名单.xlsx", workbook([["姓名"], ["王小明"]]))}
        r = self.client.post("/staff/ledger/", {"policy": "skip", **data})
        self.assertContains(r, "找不到“书名”一栏")
        data = {"file": SimpleUploadedFile("books.pdf", b"%PDF")}
        self.assertContains(
            self.client.post("/staff/ledger/", {"policy": "skip", **data}), "data-upload-error"
        )
        self.assertFalse(Job.objects.exists())

    def test_the_template_downloads_and_reads_back_as_its_example_row(self) -> None:
        r = self.client.get("/staff/ledger/template.xlsx")
        self.assertEqual(
            r["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        self.assertEqual(book.sheetnames, ["图书登记表", "填写说明"])
        self.assertEqual([c.value for c in book.worksheets[0][1]], ledger.COLUMNS)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "template.xlsx"
            path.write_bytes(r.content)
            [entry] = ledger.read_ledger(path).entries
        self.assertIn("示例行", entry.error)

    def test_the_export_downloads_the_selected_copies(self) -> None:
        r = self.client.get("/staff/ledger/export/")
        self.assertContains(r, "data-export")
        r = self.client.get("/staff/ledger/export/", {"download": "1", "class_prefix": "I2"})
        rows = list(
            openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
        )
        self.assertEqual(sorted(row[1] for row in rows[1:]), ["T0001", "T0002"])
        self.assertTrue(AuditLog.objects.filter(action="books_exported").exists())
        r = self.client.get("/staff/ledger/export/", {"download": "1", "class_prefix": "Z"})
        self.assertContains(r, "没有符合条件的复本")

    def test_only_the_librarian_may_import_or_export(self) -> None:
        self.client.force_login(self.tom)
        for url in ("/staff/ledger/", "/staff/ledger/export/", "/staff/ledger/template.xlsx"):
            self.assertEqual(self.client.get(url).status_code, 403)
