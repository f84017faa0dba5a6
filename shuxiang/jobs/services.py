"""Background jobs: an uploaded file, its steps, their progress and their end.

A job runs in steps (for an import: "check", then "apply" once the user has seen the
preview). Each step is a django-tasks task: in production the `db_worker` that
`shuxiang serve` starts picks it up; under tests the immediate backend runs it at once.
The Job row is the progress bar: a step reports every few hundred rows, and the same
UPDATE tells it whether the user has cancelled meanwhile.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.jobs.models import Job

logger = logging.getLogger(__name__)

State = Job.State
# Each kind's steps, by dotted path so that this app imports nothing from the apps it serves.
# A step takes (job, progress) and returns the JSON to keep: the preview or the result.
STEPS: dict[str, dict[str, str]] = {
    Job.Kind.ROSTER_IMPORT: {
        "check": "shuxiang.patrons.roster.check_job",
        "apply": "shuxiang.patrons.roster.apply_job",
    },
    Job.Kind.LEDGER_IMPORT: {
        "check": "shuxiang.catalog.ledger.check_job",
        "apply": "shuxiang.catalog.ledger.apply_job",
    },
    Job.Kind.MARC_IMPORT: {
        "check": "shuxiang.marc.importer.check_job",
        "apply": "shuxiang.marc.importer.apply_job",
    },
}
# Where the user follows each kind of job.
PAGES: dict[str, str] = {
    Job.Kind.ROSTER_IMPORT: "roster:job",
    Job.Kind.LEDGER_IMPORT: "ledger:job",
    Job.Kind.MARC_IMPORT: "marc_import:job",
}
STARTS_FROM = {"check": State.QUEUED, "apply": State.READY}
RUNNING = {"check": State.CHECKING, "apply": State.IMPORTING}
FINISHED = {"check": State.READY, "apply": State.DONE}
# Uploads wait this long for the user to decide; then they are deleted (rosters hold
# children's data, which should not linger).
KEEP_UPLOADS_HOURS = 48

StepFunction = Callable[[Job, Callable[[int, int], None]], dict[str, Any]]


class JobCancelled(Exception):
    """The user cancelled while the step ran: stop quietly, change nothing more."""


class JobFailed(Exception):
    """The step cannot go on; the message is for the user."""


def upload_dir(kind: str) -> Path:
    path = Path(settings.UPLOAD_DIR) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(upload: UploadedFile[bytes], kind: str) -> Path:
    """Keep an uploaded file under a name of our own (the user's name is only displayed)."""
    suffix = Path(upload.name or "").suffix.lower()[:10]
    path = upload_dir(kind) / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    path.chmod(0o600)
    return path


def start_job(
    kind: str, *, by: User | None, path: Path, file_name: str, options: dict[str, Any]
) -> Job:
    """A job for a saved upload, its first step queued."""
    purge_stale_uploads()
    job = Job.objects.create(
        kind=kind,
        created_by=by,
        path=str(path),
        file_name=file_name[:255],
        options={"language": translation.get_language() or settings.LANGUAGE_CODE, **options},
    )
    queue_step(job, "check")
    return job


def queue_step(job: Job, step: str) -> bool:
    """Queue the step, if the job is where that step starts (a second click queues nothing)."""
    from shuxiang.jobs.tasks import run_job_step

    queued = Job.objects.filter(pk=job.pk, state=STARTS_FROM[step]).update(
        state=State.QUEUED,
        options={**job.options, "step": step},
        done=0,
        total=0,
        updated_at=timezone.now(),
    )
    if queued:
        run_job_step.enqueue(job.pk, step)
    job.refresh_from_db()
    return bool(queued)


def run_step(job_id: int, step: str) -> None:
    """Run one step of a job (called by the task). Every outcome ends up on the Job row."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or step not in RUNNING:
        return
    if not Job.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=RUNNING[step], done=0, total=0, updated_at=timezone.now()
    ):
        return  # cancelled while it waited, or already run by another worker
    job.state = RUNNING[step]
    function: StepFunction = import_string(STEPS[job.kind][step])
    with translation.override(job.options.get("language") or settings.LANGUAGE_CODE):
        try:
            outcome = function(job, ProgressRecorder(job))
        except JobCancelled:
            return
        except JobFailed as exc:
            _finish(job, State.FAILED, error=str(exc))
            return
        except Exception:
            logger.exception("job %s step %s failed", job_id, step)
            _finish(job, State.FAILED, error=_("Something went wrong while reading the file."))
            return
    field = "preview" if step == "check" else "result"
    _finish(job, FINISHED[step], **{field: outcome})


def _finish(job: Job, state: str, **values: Any) -> None:
    if state == State.DONE:
        values["preview"] = _counts_only(job.preview)  # the names it held are not kept
    # Only a job still running its step ends: a cancel that came first stands.
    updated = Job.objects.filter(pk=job.pk, state=job.state).update(
        state=state, updated_at=timezone.now(), **values
    )
    if updated and state in {State.DONE, State.FAILED}:
        delete_upload(job)


class ProgressRecorder:
    """progress(done, total) for a step: written to the Job row at most a few times a second."""

    def __init__(self, job: Job, min_interval: float = 0.2) -> None:
        self.job = job
        self.min_interval = min_interval
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        if not Job.objects.filter(pk=self.job.pk, state=self.job.state).update(
            done=done, total=total
        ):
            raise JobCancelled


def cancel(job: Job, *, by: User | None, via: str = "web") -> bool:
    """Cancel a job that has not started writing: its upload is deleted at once."""
    cancellable = [State.QUEUED, State.CHECKING, State.READY]
    if not Job.objects.filter(pk=job.pk, state__in=cancellable).update(
        state=State.CANCELLED, updated_at=timezone.now()
    ):
        return False
    job.refresh_from_db()
    delete_upload(job)
    Job.objects.filter(pk=job.pk).update(preview=_counts_only(job.preview))
    AuditLog.record("job.cancelled", by=by, target=job, via=via, kind=job.kind)
    return True


def _counts_only(preview: dict[str, Any]) -> dict[str, Any]:
    return {"counts": preview.get("counts", {})} if preview else {}


def delete_upload(job: Job) -> None:
    if job.path:
        Path(job.path).unlink(missing_ok=True)


def purge_stale_uploads() -> int:
    """Forget uploads nobody came back for: the file goes, the job is cancelled."""
    cutoff = timezone.now() - timedelta(hours=KEEP_UPLOADS_HOURS)
    stale = Job.objects.filter(
        Q(state=State.READY) | Q(state=State.QUEUED), updated_at__lt=cutoff
    ).exclude(path="")
    count = 0
    for job in stale:
        delete_upload(job)
        Job.objects.filter(pk=job.pk).update(
            state=State.CANCELLED, preview=_counts_only(job.preview)
        )
        count += 1
    return count


def job_for(user: Any, pk: int, kind: str = "") -> Job:
    """The job (of that kind, if given) if this user started it (or is the librarian); 404
    for everyone else, so that job numbers say nothing about other people's uploads."""
    jobs = Job.objects.filter(pk=pk)
    job = (jobs.filter(kind=kind) if kind else jobs).first()
    if job is None or not can_see_job(user, job):
        raise Http404
    return job


def can_see_job(user: Any, job: Job) -> bool:
    return (
        isinstance(user, User)
        and user.is_authenticated
        and (job.created_by_id == user.pk or user.is_librarian)
    )


def upload_path(job: Job) -> Path:
    """The job's file, or JobFailed if it is gone (cancelled, or kept too long)."""
    path = Path(job.path)
    if not job.path or not path.is_file():
        raise JobFailed(_("The uploaded file is no longer there: upload it again."))
    return path


# A queued step normally starts within a second or two; after this, the page suggests
# checking that the worker runs.
WAIT_HINT_SECONDS = 15


def status_context(job: Job) -> dict[str, Any]:
    """What jobs/_status.html needs."""
    waited = (timezone.now() - job.updated_at).total_seconds()
    return {"job": job, "waited_long": job.state == State.QUEUED and waited > WAIT_HINT_SECONDS}


def fail_interrupted() -> int:
    """Jobs left running when the server (and its worker) stopped: say so, so the page stops
    waiting. An import writes in one transaction, so a cut-short one wrote nothing."""
    running = Job.objects.filter(state__in=[State.CHECKING, State.IMPORTING])
    for job in running:
        delete_upload(job)
    return running.update(
        state=State.FAILED,
        updated_at=timezone.now(),
        error=_(
            "The server stopped while this job ran, so nothing was imported. Upload the file again."
        ),
    )
