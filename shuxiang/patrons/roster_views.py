"""The roster import screens (librarian only): upload, progress, preview, import, result.

The upload is checked at once for what needs no database (type, size, a 姓名 column); the
rest runs as a background job whose page shows its progress, then the preview, then the
result. Nothing is written before the librarian presses Import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shuxiang.accounts.models import User
from shuxiang.jobs import services as jobs
from shuxiang.jobs import views as job_views
from shuxiang.jobs.forms import refuse_oversized
from shuxiang.jobs.models import Job
from shuxiang.lib import roster as reader
from shuxiang.patrons import roster
from shuxiang.patrons.models import Patron
from shuxiang.patrons.permissions import librarian_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT = 5
# Enough rows to find the header under a title and to see that patrons follow it.
PEEK_ROWS = reader.HEADER_SEARCH_ROWS + 5


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        error_messages={
            "required": gettext_lazy("Choose the roster file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.xls,.csv", "class": "form-control form-control-lg"}
        ),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"),
        choices=[
            (roster.SKIP_BAD, gettext_lazy("Import the good rows and list the rest")),
            (roster.ALL_OR_NOTHING, gettext_lazy("Import nothing if any row has an error")),
        ],
        initial=roster.SKIP_BAD,
        widget=forms.RadioSelect,
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        try:
            reader.kind_of(upload.name or "")
        except reader.RosterFileError as exc:
            raise forms.ValidationError(roster.file_error_text(exc.code, exc.params)) from None
        refuse_oversized(upload)
        return upload


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _roster_job(request: HttpRequest, pk: int) -> Job:
    return jobs.job_for(request.user, pk, Job.Kind.ROSTER_IMPORT)


@librarian_required
def upload(request: HttpRequest) -> HttpResponse:
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _start(request, form)
        if job is not None:
            return redirect("roster:job", job.pk)
    recent = Job.objects.filter(kind=Job.Kind.ROSTER_IMPORT, created_by=_user(request))[:RECENT]
    return render(
        request,
        "patrons/roster_upload.html",
        {
            "form": form,
            "recent": recent,
            "max_mb": settings.SHUXIANG_MAX_UPLOAD_MB,
            "columns": [(roster.FIELD_LABELS[k], names) for k, names in reader.HEADERS.items()],
        },
    )


def _start(request: HttpRequest, form: RosterUploadForm) -> Job | None:
    """Keep the file and queue its check, or put the reason it cannot be a roster on the form."""
    upload: UploadedFile[bytes] = form.cleaned_data["file"]
    path = jobs.save_upload(upload, "roster")
    problem = _peek(path, upload.name or "")
    if problem:
        path.unlink(missing_ok=True)
        form.add_error("file", problem)
        return None
    return jobs.start_job(
        Job.Kind.ROSTER_IMPORT,
        by=_user(request),
        path=path,
        file_name=upload.name or "",
        options={"mode": form.cleaned_data["mode"]},
    )


def _peek(path: Path, name: str) -> str:
    """Why the file cannot be a roster, judged from its first rows; "" if it may be one."""
    try:
        found = reader.read_roster(path, name, max_rows=PEEK_ROWS)
        if not found.rows:
            raise reader.RosterFileError("no_rows")
    except reader.RosterFileError as exc:
        return roster.file_error_text(exc.code, exc.params)
    return ""


@require_GET
@librarian_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _roster_job(request, pk)
    context: dict[str, Any] = {**jobs.status_context(job), "file_name": job.file_name}
    if job.state == Job.State.READY:
        context.update(_preview_context(job))
    elif job.state == Job.State.DONE:
        ids = job.result.get("added_ids", [])
        context["added"] = Patron.objects.filter(pk__in=ids).select_related("school_class")
        context["result"] = job.result
    return render(request, "patrons/roster_job.html", context)


def _preview_context(job: Job) -> dict[str, Any]:
    preview = job.preview
    counts = preview.get("counts", {})
    all_or_nothing = job.options.get("mode") == roster.ALL_OR_NOTHING
    to_write = counts.get(roster.ADD, 0) + counts.get(roster.UPDATE, 0)
    return {
        "preview": preview,
        "counts": counts,
        "to_write": to_write,
        "all_or_nothing": all_or_nothing,
        "blocked": all_or_nothing and counts.get(roster.ERROR, 0) > 0,
        "shown": roster.SHOW,
    }


@librarian_required
@require_POST
def start_import(request: HttpRequest, pk: int) -> HttpResponse:
    job = _roster_job(request, pk)
    return job_views.queue_import(request, job, "roster:job")


@librarian_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _roster_job(request, pk)
    return job_views.cancel_import(request, job, upload="roster:upload", page="roster:job")


@require_GET
@librarian_required
def template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(roster.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="花名册模板.xlsx"
    )
    return response
