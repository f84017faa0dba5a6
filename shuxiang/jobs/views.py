"""A job's progress, for the page that waits on it (polled by htmx every second)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shuxiang.accounts.models import User
from shuxiang.jobs import services
from shuxiang.jobs.models import Job


def _job_for(request: HttpRequest, pk: int) -> Job:
    return services.job_for(request.user, pk)


def queue_import(request: HttpRequest, job: Job, page: str) -> HttpResponse:
    """The user's "Import" on a preview: the apply step queued, back to the job's page.
    The step checks every row again, inside its transaction: the preview may be old."""
    if not services.queue_step(job, "apply"):
        messages.error(request, _("This import has already run or was cancelled."))
    return redirect(page, job.pk)


def cancel_import(request: HttpRequest, job: Job, *, upload: str, page: str) -> HttpResponse:
    """The user's "Cancel" on a preview: the upload deleted, back to the upload page."""
    user = request.user if isinstance(request.user, User) else None
    if services.cancel(job, by=user):
        messages.info(request, _("Cancelled: nothing was imported, and the file was deleted."))
        return redirect(upload)
    messages.error(request, _("The import has already started and can no longer be cancelled."))
    return redirect(page, job.pk)


@require_GET
def status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if request.GET.get("poll") and not job.is_running:
        # The step has ended: the waiting page shows what came of it (preview, result).
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "jobs/_status.html", services.status_context(job))


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's own page is its kind's page (the roster import's preview, for instance)."""
    job = _job_for(request, pk)
    return redirect(services.PAGES[job.kind], job.pk)
