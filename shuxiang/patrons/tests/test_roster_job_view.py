"""The roster job page: progress while it runs, the preview, the import, the result, cancel.

Tasks run at once under tests, so an upload comes back already checked (READY).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from shuxiang.accounts.models import AuditLog, User
from shuxiang.jobs.models import Job
from shuxiang.patrons import roster
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.tests.test_roster_files import TempFiles
from shuxiang.test import BaseTestCase

HEADER = ["姓名", "学号", "年级", "班级", "借书证号"]
ROWS: list[list[Any]] = [
    ["林小雨", "2025030101", "三年级", "1", ""],
    ["王艾达", "2022050201", "五年级", "3", ""],  # Ada moves to 五年级(3)班
    ["", "2025030103", "三年级", "1", ""],  # no name
    ["周大山", "2025030104", "七年级", "1", ""],  # not a grade of a primary school
]


class RosterJobViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)
        uploads = override_settings(UPLOAD_DIR=self.files.dir / "uploads")
        uploads.enable()
        self.addCleanup(uploads.disable)
        self.client.force_login(self.lena)

    def upload(self, rows: list[list[Any]] = ROWS, mode: str = roster.SKIP_BAD) -> Job:
        content = self.files.xlsx([HEADER, *rows]).read_bytes()
        self.client.post(
            "/staff/roster/", {"file": SimpleUploadedFile("三年级.xlsx", content), "mode": mode}
        )
        return Job.objects.latest("created_at")

    def url(self, job: Job, action: str = "") -> str:
        return f"/staff/roster/{job.pk}/{action + '/' if action else ''}"

    def test_it_previews_what_the_import_would_do(self) -> None:
        job = self.upload()
        r = self.client.get(self.url(job))
        self.assertContains(r, 'data-count="add">1<')
        self.assertContains(r, 'data-count="update">1<')
        self.assertContains(r, 'data-count="error">2<')
        self.assertContains(r, "将新建以下班级： 三年级(1)班、五年级(3)班")
        self.assertContains(r, "有错的行：2 行（不导入）")
        self.assertContains(r, '<td class="text-nowrap">4</td>', html=False)
        self.assertContains(r, "姓名为空。")
        self.assertContains(r, "“七年级”不是本校的年级（小学：一年级至六年级）。")
        self.assertContains(r, "班级：五年级(2)班 → <strong>五年级(3)班</strong>", html=True)
        self.assertContains(r, '<li class="list-inline-item">学号 → 学号</li>', html=True)
        self.assertContains(r, "导入 2 行正确的数据")
        self.assertContains(r, "取消——不导入任何数据")
        self.assertEqual(Patron.objects.filter(name="林小雨").count(), 0)  # nothing written yet

    def test_it_imports_the_good_rows_and_shows_the_result(self) -> None:
        job = self.upload()
        r = self.client.post(self.url(job, "import"))
        self.assertRedirects(r, self.url(job), fetch_redirect_response=False)
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.DONE)
        self.assertFalse(Path(job.path).exists())  # the roster does not linger
        self.assertEqual(set(job.preview), {"counts"})  # nor do the names it held
        r = self.client.get(self.url(job))
        self.assertContains(r, "导入完成：新增读者 1 人，更新 1 人，无变化 0 人。")
        self.assertContains(r, "已新建班级： 三年级(1)班、五年级(3)班")
        self.assertContains(r, "未导入的行：2 行")
        self.assertContains(r, "R000001")
        self.assertEqual(Patron.objects.get(name="林小雨").card_number, "R000001")
        self.assertEqual(str(Patron.objects.get(pk=self.ada_patron.pk).school_class), "五年级(3)班")
        log = AuditLog.objects.filter(action="patron.roster_imported").get()
        self.assertEqual((log.by, log.via, log.target_id), (self.lena, "web", str(job.pk)))

    def test_it_does_not_import_twice(self) -> None:
        job = self.upload()
        self.client.post(self.url(job, "import"))
        r = self.client.post(self.url(job, "import"), follow=True)
        self.assertContains(r, "这次导入已经完成或已取消。")
        self.assertEqual(Patron.objects.filter(name="林小雨").count(), 1)

    def test_it_offers_no_import_when_all_or_nothing_meets_an_error(self) -> None:
        job = self.upload(mode=roster.ALL_OR_NOTHING)
        r = self.client.get(self.url(job))
        self.assertContains(r, "您选择了“只要有一行有错就什么都不导入”")
        self.assertNotContains(r, "data-import")

    def test_all_or_nothing_leaves_the_library_untouched_when_a_row_is_bad(self) -> None:
        job = self.upload(mode=roster.ALL_OR_NOTHING)
        patrons, classes = Patron.objects.count(), SchoolClass.objects.count()
        self.client.post(self.url(job, "import"))  # pressed anyway, e.g. from an old page
        job.refresh_from_db()
        self.assertEqual((job.state, job.result["refused"]), (Job.State.DONE, True))
        self.assertEqual((Patron.objects.count(), SchoolClass.objects.count()), (patrons, classes))
        self.assertEqual(Patron.objects.get(pk=self.ada_patron.pk).school_class, self.class_5_2)
        r = self.client.get(self.url(job))
        self.assertContains(r, "没有导入任何数据：有 2 行有错")

    def test_cancel_imports_nothing_and_deletes_the_file(self) -> None:
        job = self.upload()
        r = self.client.post(self.url(job, "cancel"), follow=True)
        self.assertRedirects(r, "/staff/roster/")
        self.assertContains(r, "已取消：没有导入任何数据，上传的文件已删除。")
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.CANCELLED)
        self.assertFalse(Path(job.path).exists())
        self.assertEqual(Patron.objects.filter(name="林小雨").count(), 0)
        self.assertEqual(self.client.post(self.url(job, "import")).status_code, 302)
        self.assertEqual(Patron.objects.filter(name="林小雨").count(), 0)

    def test_it_shows_the_progress_of_a_job_still_running(self) -> None:
        job = Job.objects.create(
            kind=Job.Kind.ROSTER_IMPORT,
            created_by=self.lena,
            file_name="全校.xlsx",
            state=Job.State.CHECKING,
            done=1200,
            total=3000,
        )
        r = self.client.get(self.url(job))
        self.assertContains(r, f'hx-get="/staff/jobs/{job.pk}/status/?poll=1"')
        self.assertContains(r, 'aria-valuenow="40"')
        self.assertContains(r, "正在检查：1200 / 3000 行（40%）")
        self.assertContains(r, "jobs/progress.js")

    def test_it_says_why_a_job_failed(self) -> None:
        job = Job.objects.create(
            kind=Job.Kind.ROSTER_IMPORT,
            created_by=self.lena,
            state=Job.State.FAILED,
            error="文件坏了",
        )
        r = self.client.get(self.url(job))
        self.assertContains(r, "文件坏了")
        self.assertContains(r, "上传改正后的文件")

    def test_only_the_librarian_opens_a_roster_job(self) -> None:
        job = self.upload()
        teacher = User.objects.create_user("t2", password="t2-pass-123", role=User.Role.TEACHER)
        self.client.force_login(teacher)
        self.assertEqual(self.client.get(self.url(job)).status_code, 403)
        self.assertEqual(self.client.post(self.url(job, "cancel")).status_code, 403)
        self.assertEqual(self.client.get(f"/staff/jobs/{job.pk}/status/").status_code, 404)
