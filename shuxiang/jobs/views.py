"""A job's progress, for the page that waits on it (polled by htmx every second)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from shuxiang.jobs import services
from shuxiang.jobs.models import Job


def _job_for(request: HttpRequest, pk: int) -> Job:
    """The job if this user started it (or is the librarian); 404 for everyone else, so
    that job numbers say nothing about other people's uploads."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not services.can_see_job(request.user, job):
        raise Http404
    return job


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
