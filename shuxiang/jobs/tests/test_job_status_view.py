"""The job status partial that a waiting page polls, and a job's own address."""

from __future__ import annotations

from shuxiang.accounts.models import User
from shuxiang.jobs.models import Job
from shuxiang.test import BaseTestCase


class JobStatusViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.job = Job.objects.create(
            kind=Job.Kind.ROSTER_IMPORT,
            created_by=self.lena,
            state=Job.State.CHECKING,
            done=750,
            total=3000,
        )
        self.url = f"/staff/jobs/{self.job.pk}/status/"

    def test_it_shows_a_progress_bar_that_asks_again_every_second(self) -> None:
        r = self.client.get(self.url, headers={"HX-Request": "true"})
        self.assertContains(r, 'hx-trigger="every 1s"')
        self.assertContains(r, 'role="progressbar"')
        self.assertContains(r, 'aria-valuenow="25"')
        self.assertContains(r, 'data-job-percent="25"')
        self.assertContains(r, "正在检查：750 / 3000 行（25%）")

    def test_a_waiting_job_shows_a_moving_bar_without_a_figure(self) -> None:
        Job.objects.filter(pk=self.job.pk).update(state=Job.State.QUEUED, done=0, total=0)
        r = self.client.get(self.url)
        self.assertContains(r, "progress-bar-animated")
        self.assertContains(r, "等待检查文件……")
        self.assertNotContains(r, "aria-valuenow")

    def test_it_reloads_the_waiting_page_once_the_step_has_ended(self) -> None:
        Job.objects.filter(pk=self.job.pk).update(state=Job.State.READY)
        r = self.client.get(self.url + "?poll=1", headers={"HX-Request": "true"})
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r["HX-Refresh"], "true")

    def test_it_hides_other_peoples_jobs(self) -> None:
        teacher = User.objects.create_user("t9", password="t9-pass-123", role=User.Role.TEACHER)
        self.client.force_login(teacher)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.get(f"/staff/jobs/{self.job.pk}/").status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_a_jobs_address_leads_to_its_page(self) -> None:
        r = self.client.get(f"/staff/jobs/{self.job.pk}/")
        self.assertRedirects(r, f"/staff/roster/{self.job.pk}/", fetch_redirect_response=False)
