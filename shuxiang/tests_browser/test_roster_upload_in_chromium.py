"""The roster upload in a real browser, with the real background queue.

Elsewhere the tests run tasks at once, inside the request. Here the jobs go through the
database queue, as under `shuxiang serve`: the page first shows the waiting job's progress
bar, polling; the test then runs the worker (db_worker's own loop, in batch mode), and the
page, still polling, moves on to the preview by itself. The same again for the import.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker

from shuxiang.jobs.models import Job
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """`shuxiang manage db_worker --batch`: run every queued task, then stop."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    ).run()


class RosterUploadInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)
        settings = override_settings(TASKS=DATABASE_QUEUE, UPLOAD_DIR=self.dir / "uploads")
        settings.enable()
        self.addCleanup(settings.disable)
        class_5_2 = SchoolClass.objects.create(grade=5, number=2)
        self.ada = Patron.objects.create(
            card_number="P0001", name="王艾达", student_number="2022050201", school_class=class_5_2
        )

    def roster(self) -> Path:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in [
            ["姓名", "学号", "性别", "年级", "班级"],
            ["林小雨", "2025030101", "女", "三年级", "1"],
            ["王艾达", "2022050201", "女", "五年级", "3"],
            ["", "2025030103", "男", "三年级", "1"],
        ]:
            sheet.append(row)
        path = self.dir / "三年级花名册.xlsx"
        book.save(path)
        return path

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url("**/staff/**")

    def test_a_librarian_uploads_a_roster_checks_the_preview_and_imports_it(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        page.goto(self.url("/staff/roster/"))
        page.get_by_label("花名册文件").set_input_files(str(self.roster()))
        expect(page.get_by_label("导入正确的行，列出有错的行")).to_be_checked()
        page.get_by_role("button", name="上传并检查").click()

        # Waiting for the worker: a moving bar, sized by jobs/progress.js, and polling.
        page.wait_for_url("**/staff/roster/*/")
        status = page.locator(".sx-job")
        expect(status).to_contain_text("等待检查文件……")
        bar = page.get_by_role("progressbar").locator(".progress-bar")
        expect(bar).to_have_attribute("style", "width: 100%;")
        page.screenshot(path="/tmp/shuxiang-roster-waiting.png")
        job = Job.objects.get()
        self.assertEqual(job.state, Job.State.QUEUED)

        run_worker()
        expect(page.locator("[data-count=add]")).to_have_text("1")  # the page moved on by itself
        expect(page.locator("[data-count=update]")).to_have_text("1")
        expect(page.locator("[data-count=error]")).to_have_text("1")
        errors = page.locator("[data-rows=errors]")
        expect(errors).to_contain_text("4")
        expect(errors).to_contain_text("姓名为空。")
        expect(page.locator("[data-rows=update]")).to_contain_text("五年级(2)班 → 五年级(3)班")
        expect(page.locator("[data-new-classes]")).to_contain_text("三年级(1)班、五年级(3)班")
        page.screenshot(path="/tmp/shuxiang-roster-preview.png", full_page=True)
        self.assertFalse(Patron.objects.filter(name="林小雨").exists())

        page.get_by_role("button", name="导入 2 行正确的数据").click()
        expect(status).to_contain_text("等待导入……")
        run_worker()
        result = page.locator("[data-result=done]")
        expect(result).to_contain_text("导入完成：新增读者 1 人，更新 1 人，无变化 0 人。")
        expect(page.get_by_role("link", name="林小雨")).to_be_visible()
        page.screenshot(path="/tmp/shuxiang-roster-result.png", full_page=True)
        self.ada.refresh_from_db()
        self.assertEqual(str(self.ada.school_class), "五年级(3)班")
        self.assertEqual(str(Patron.objects.get(name="林小雨").school_class), "三年级(1)班")

    def test_a_file_without_a_name_column_is_refused_on_the_spot(self) -> None:
        path = self.dir / "名单.csv"
        path.write_text("学号,班级\n1,2\n", encoding="utf-8")
        page = self.new_page()
        self.log_in(page)
        page.goto(self.url("/staff/roster/"))
        page.get_by_label("花名册文件").set_input_files(str(path))
        page.get_by_role("button", name="上传并检查").click()
        sync_api.expect(page.locator("[data-upload-error]")).to_contain_text(
            "没有找到“姓名”一列，无法按花名册读取。找到的表头：学号、班级。"
        )
        page.screenshot(path="/tmp/shuxiang-roster-upload.png", full_page=True)
        self.assertFalse(Job.objects.exists())
