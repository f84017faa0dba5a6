"""The one background task: run a step of a job. What the step does depends on the job's kind
(jobs.services.STEPS); the Job row records its progress and outcome."""

from __future__ import annotations

from django_tasks import task

from shuxiang.jobs import services


@task()
def run_job_step(job_id: int, step: str) -> None:
    services.run_step(job_id, step)
