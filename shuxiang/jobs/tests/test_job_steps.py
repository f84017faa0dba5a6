"""Running a job's steps: through the database queue, with progress, cancel and failure."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import time_machine
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from shuxiang.jobs import services
from shuxiang.jobs.models import Job
from shuxiang.jobs.services import JobCancelled, ProgressRecorder
from shuxiang.test import BaseTestCase

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_queued_tasks() -> int:
    """What `db_worker` does with each task it claims (its polling loop left out: it closes
    connections, which would end the test's transaction)."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (task := DBTaskResult.objects.ready().get_locked()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    return ran


class JobStepTests(BaseTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def roster_file(self, text: str = "姓名,学号,班级\n林小雨,2025030101,三年级(1)班\n") -> Path:
        path = self.dir / "roster.csv"
        path.write_text(text, encoding="utf-8")
        return path

    def start(self, path: Path | None = None, **options: Any) -> Job:
        return services.start_job(
            Job.Kind.ROSTER_IMPORT,
            by=self.lena,
            path=path or self.roster_file(),
            file_name="roster.csv",
            options={"mode": "skip_bad", **options},
        )

    @override_settings(TASKS=DATABASE_QUEUE)
    def test_it_queues_a_step_for_the_worker_and_the_worker_runs_it(self) -> None:
        job = self.start()
        self.assertEqual(job.state, Job.State.QUEUED)
        self.assertEqual(DBTaskResult.objects.ready().count(), 1)
        self.assertEqual(run_queued_tasks(), 1)
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.READY)
        self.assertEqual(job.preview["counts"]["add"], 1)
        services.queue_step(job, "apply")
        self.assertEqual(job.state, Job.State.QUEUED)
        run_queued_tasks()
        job.refresh_from_db()
        self.assertEqual((job.state, job.result["added"]), (Job.State.DONE, 1))

    @override_settings(TASKS=DATABASE_QUEUE)
    def test_a_step_is_queued_only_from_where_it_starts(self) -> None:
        job = self.start()
        self.assertFalse(services.queue_step(job, "apply"))  # not checked yet
        run_queued_tasks()
        job.refresh_from_db()
        self.assertTrue(services.queue_step(job, "apply"))
        self.assertFalse(services.queue_step(job, "apply"))  # a second click
        self.assertEqual(DBTaskResult.objects.ready().count(), 1)

    def test_it_writes_progress_to_the_job_row_a_few_times_a_second(self) -> None:
        job = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, state=Job.State.CHECKING)
        progress = ProgressRecorder(job, min_interval=60)
        progress(200, 1000)
        progress(400, 1000)  # too soon after the last: not written
        job.refresh_from_db()
        self.assertEqual((job.done, job.total, job.percent), (200, 1000, 20))
        progress(1000, 1000)  # the end is always written
        job.refresh_from_db()
        self.assertEqual(job.done, 1000)

    def test_a_cancelled_job_stops_at_its_next_progress_report(self) -> None:
        job = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, state=Job.State.CHECKING)
        Job.objects.filter(pk=job.pk).update(state=Job.State.CANCELLED)
        with self.assertRaises(JobCancelled):
            ProgressRecorder(job)(200, 1000)

    @override_settings(TASKS=DATABASE_QUEUE)
    def test_a_job_cancelled_while_it_waited_never_runs(self) -> None:
        job = self.start()
        self.assertTrue(services.cancel(job, by=self.lena))
        self.assertFalse(Path(job.path).exists())
        run_queued_tasks()
        job.refresh_from_db()
        self.assertEqual((job.state, job.preview), (Job.State.CANCELLED, {}))

    def test_it_says_when_the_file_has_gone(self) -> None:
        path = self.roster_file()
        job = Job.objects.create(
            kind=Job.Kind.ROSTER_IMPORT, created_by=self.lena, path=str(self.dir / "gone.csv")
        )
        services.queue_step(job, "check")
        job.refresh_from_db()
        self.assertEqual(
            (job.state, job.error), (Job.State.FAILED, "上传的文件已不在了：请重新上传。")
        )
        self.assertTrue(path.exists())

    def test_a_step_that_breaks_fails_the_job_with_a_plain_message(self) -> None:
        broken = {Job.Kind.ROSTER_IMPORT: {"check": "shuxiang.jobs.tests.test_job_steps.explode"}}
        with mock.patch.dict(services.STEPS, broken), self.assertLogs("shuxiang.jobs.services"):
            job = self.start()
        self.assertEqual((job.state, job.error), (Job.State.FAILED, "读取文件时出错了。"))
        self.assertFalse(Path(job.path).exists())

    def test_the_server_marks_jobs_it_cut_short_as_failed(self) -> None:
        running = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, state=Job.State.IMPORTING)
        ready = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, state=Job.State.READY)
        self.assertEqual(services.fail_interrupted(), 1)
        running.refresh_from_db()
        ready.refresh_from_db()
        self.assertEqual((running.state, ready.state), (Job.State.FAILED, Job.State.READY))
        self.assertIn("没有导入任何数据", running.error)

    def test_uploads_nobody_came_back_for_are_deleted_after_two_days(self) -> None:
        old = self.start()
        self.assertEqual(old.state, Job.State.READY)
        with time_machine.travel(timezone.now() + timedelta(hours=49)):
            fresh = self.start(self.roster_file_copy())
        old.refresh_from_db()
        self.assertEqual(old.state, Job.State.CANCELLED)
        self.assertFalse(Path(old.path).exists())
        self.assertEqual(set(old.preview), {"counts"})
        self.assertTrue(Path(fresh.path).exists())

    def roster_file_copy(self) -> Path:
        path = self.dir / "second.csv"
        path.write_text("姓名\n周大山\n", encoding="utf-8")
        return path


def explode(job: Job, progress: Any) -> dict[str, Any]:
    raise ValueError("a bug")
