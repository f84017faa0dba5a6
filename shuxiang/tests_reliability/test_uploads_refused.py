"""Every upload page refuses a file over the size limit and a file of the wrong kind, with a
Chinese reason and no job started: rosters, Excel ledgers and MARC files alike."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from shuxiang.jobs.models import Job
from shuxiang.test import BaseTestCase

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PAGES = {
    "roster:upload": ("花名册.xlsx", "roster.png"),
    "ledger:upload": ("登记表.xlsx", "ledger.png"),
    "marc_import:upload": ("新书.mrc", "cover.png"),
}


class UploadRefusalTests(BaseTestCase):
    def post(self, page: str, name: str, content: bytes) -> str:
        self.client.force_login(self.lena)
        data = {"file": SimpleUploadedFile(name, content), "policy": "skip", "location": "STACKS"}
        response = self.client.post(reverse(page), data)
        self.assertLess(response.status_code, 500, page)
        return response.content.decode()

    @override_settings(SHUXIANG_MAX_UPLOAD_MB=1)
    def test_a_file_over_the_limit_is_refused_on_every_upload_page(self) -> None:
        big = b"x" * (1024 * 1024 + 1)
        for page, (name, _other) in PAGES.items():
            with self.subTest(page):
                self.assertIn("文件超过 1 MB", self.post(page, name, big))
        self.assertFalse(Job.objects.exists())

    def test_a_file_of_the_wrong_kind_is_refused_on_every_upload_page(self) -> None:
        for page, (_name, other) in PAGES.items():
            with self.subTest(page):
                html = self.post(page, other, PNG)
                self.assertRegex(html, "不是.*文件|无法识别|不是 MARC")
        self.assertFalse(Job.objects.exists())
