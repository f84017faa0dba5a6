"""A supplier's CNMARC file (GBK) imported in a real browser, through the real queue.

As with the roster: the page polls the waiting job, the test runs the worker, the page
moves on to the preview by itself; after the import it lands on the import's report, from
which the librarian goes on to print the spine labels of what came in.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.test import override_settings

from shuxiang.catalog import services
from shuxiang.catalog.models import ImportBatch, Item
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api
from shuxiang.tests_browser.test_roster_upload_in_chromium import DATABASE_QUEUE, run_worker

FIXTURE = Path(__file__).parents[1] / "marc" / "tests" / "fixtures" / "cnmarc_school_gbk.iso"


class MarcImportInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        services.ensure_default_locations()
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)
        settings = override_settings(TASKS=DATABASE_QUEUE, UPLOAD_DIR=self.dir / "uploads")
        settings.enable()
        self.addCleanup(settings.disable)

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url("**/staff/**")

    def test_a_librarian_imports_a_suppliers_file_and_prints_its_labels(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        page.goto(self.url("/staff/marc/import/"))
        page.get_by_label("MARC 文件").set_input_files(str(FIXTURE))
        page.get_by_role("button", name="上传并检查").click()

        page.wait_for_url("**/staff/marc/import/*/")
        run_worker()
        expect(page.locator("[data-count=records]")).to_have_text("5")  # moved on by itself
        expect(page.locator("[data-count=error]")).to_have_text("0")
        expect(page.get_by_text("草房子").first).to_be_visible()
        self.assertFalse(Item.objects.filter(barcode="C0001").exists())
        page.screenshot(path="/tmp/shuxiang-marc-preview.png", full_page=True)

        page.locator("[data-import]").click()
        run_worker()
        page.wait_for_url("**/staff/imports/*/")
        expect(page.locator("[data-count=add]")).to_have_text("5")
        expect(page.get_by_role("link", name="草房子")).to_be_visible()
        page.screenshot(path="/tmp/shuxiang-marc-report.png", full_page=True)
        batch = ImportBatch.objects.get()
        self.assertEqual(Item.objects.get(barcode="C0001").import_batch, batch)

        page.get_by_role("link", name="为这次导入打印书标").click()
        page.wait_for_url("**/staff/labels/**")
        expect(page.get_by_label("导入批次")).to_have_value(str(batch.pk))
