"""The Excel ledger screens (librarian only): upload, progress, preview, import; the template;
the export.

The upload is checked at once for what needs no database (type, size, a 书名 column); the
rest runs as a background job whose page shows its progress, then the preview. Nothing is
written before the librarian presses Import; then the import's report (imports:detail)
takes over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import batch, ledger
from shuxiang.catalog.ledger import HEADERS, LedgerFileError
from shuxiang.catalog.models import ImportBatch, Item, Location
from shuxiang.catalog.views import catalogue_required
from shuxiang.jobs import services as jobs
from shuxiang.jobs import views as job_views
from shuxiang.jobs.forms import refuse_oversized
from shuxiang.jobs.models import Job
from shuxiang.lib import roster as sheets

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT = 5
RECENT_BATCHES = 20
# Enough rows to find the header under a title and to see that books follow it.
PEEK_ROWS = sheets.HEADER_SEARCH_ROWS + 5


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file"),
        error_messages={
            "required": gettext_lazy("Choose the ledger file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    policy = forms.ChoiceField(
        label=gettext_lazy("A book already in the catalogue"),
        choices=ImportBatch.Policy.choices,
        initial=ImportBatch.Policy.SKIP,
        widget=forms.RadioSelect,
    )
    location = forms.ModelChoiceField(
        label=gettext_lazy("Location for rows that name none"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=gettext_lazy("The default location"),
        to_field_name="code",
    )
    skip_bad = forms.BooleanField(
        label=gettext_lazy("Import the good rows even if some rows have errors"),
        required=False,
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        try:
            sheets.kind_of(upload.name or "")
        except sheets.RosterFileError:
            raise forms.ValidationError(
                _("“%(name)s” is not a ledger file: upload an .xlsx, .xls or .csv file.")
                % {"name": upload.name}
            ) from None
        refuse_oversized(upload)
        return upload


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ledger_job(request: HttpRequest, pk: int) -> Job:
    return jobs.job_for(request.user, pk, Job.Kind.LEDGER_IMPORT)


@catalogue_required
def upload(request: HttpRequest) -> HttpResponse:
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _start(request, form)
        if job is not None:
            return redirect("ledger:job", job.pk)
    recent = Job.objects.filter(kind=Job.Kind.LEDGER_IMPORT, created_by=_user(request))[:RECENT]
    return render(
        request,
        "catalog/ledger/upload.html",
        {
            "form": form,
            "recent": recent,
            "max_mb": settings.SHUXIANG_MAX_UPLOAD_MB,
            "columns": [(names[0], names[1:]) for names in HEADERS.values()],
        },
    )


def _start(request: HttpRequest, form: LedgerUploadForm) -> Job | None:
    """Keep the file and queue its check, or put the reason it cannot be a ledger on the form."""
    upload: UploadedFile[bytes] = form.cleaned_data["file"]
    path = jobs.save_upload(upload, "ledger")
    problem = _peek(path, upload.name or "")
    if problem:
        path.unlink(missing_ok=True)
        form.add_error("file", problem)
        return None
    location: Location | None = form.cleaned_data["location"]
    return jobs.start_job(
        Job.Kind.LEDGER_IMPORT,
        by=_user(request),
        path=path,
        file_name=upload.name or "",
        options={
            "policy": form.cleaned_data["policy"],
            "location": location.code if location else "",
            "skip_bad": form.cleaned_data["skip_bad"],
        },
    )


def _peek(path: Path, name: str) -> str:
    """Why the file cannot be a ledger, judged from its first rows; "" if it may be one."""
    try:
        found = ledger.read_ledger(path, name, max_rows=PEEK_ROWS)
    except LedgerFileError as exc:
        return str(exc)
    if not found.entries:
        return _("The file has a header but no books under it.")
    return ""


@require_GET
@catalogue_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _ledger_job(request, pk)
    if job.state == Job.State.DONE and job.result.get("batch"):
        return redirect("imports:detail", job.result["batch"])
    context: dict[str, Any] = {**jobs.status_context(job), "file_name": job.file_name}
    if job.state == Job.State.READY:
        context.update(_preview_context(job))
    elif job.state == Job.State.DONE:
        context["result"] = job.result
    return render(request, "catalog/ledger/job.html", context)


def _preview_context(job: Job) -> dict[str, Any]:
    preview = job.preview
    counts = preview.get("counts", {})
    skip_bad = bool(job.options.get("skip_bad"))
    to_write = sum(counts.get(a, 0) for a in (batch.ADD, batch.MERGE, batch.OVERWRITE))
    return {
        "preview": preview,
        "counts": counts,
        "to_write": to_write + counts.get(batch.JOINED, 0),
        "items": counts.get("items", 0),
        "skip_bad": skip_bad,
        "blocked": not skip_bad and counts.get(batch.ERROR, 0) > 0,
        "shown": ledger.SHOW,
        "policy": ImportBatch.Policy(job.options.get("policy", ImportBatch.Policy.SKIP)).label,
    }


@catalogue_required
@require_POST
def start_import(request: HttpRequest, pk: int) -> HttpResponse:
    job = _ledger_job(request, pk)
    return job_views.queue_import(request, job, "ledger:job")


@catalogue_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _ledger_job(request, pk)
    return job_views.cancel_import(request, job, upload="ledger:upload", page="ledger:job")


@require_GET
@catalogue_required
def template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(ledger.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="图书登记表模板.xlsx"
    )
    return response


# ----------------------------------------------------------------------------- export


class ExportForm(forms.Form):
    class_prefix = forms.CharField(
        label=gettext_lazy("Class number starts with"), required=False, max_length=40
    )
    location = forms.ModelChoiceField(
        label=gettext_lazy("Location"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=gettext_lazy("All locations"),
        to_field_name="code",
    )
    received_from = forms.DateField(label=gettext_lazy("Received from"), required=False)
    received_to = forms.DateField(label=gettext_lazy("Received to"), required=False)
    batch = forms.ChoiceField(label=gettext_lazy("Import batch"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Item.Status.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recent = ImportBatch.objects.all()[:RECENT_BATCHES]
        self.fields["batch"].choices = [  # type: ignore[attr-defined]
            ("", _("Any (or none)")),
            ("last", _("The last import")),
            *[(str(b.pk), f"#{b.pk} {b.file_name} {b.created_at:%Y-%m-%d}") for b in recent],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day comes after the last."))
        return data

    def selection(self) -> ledger.Selection:
        data = self.cleaned_data
        location: Location | None = data.get("location")
        return ledger.Selection(
            class_prefix=data.get("class_prefix", ""),
            location=location.code if location else "",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            batch=data.get("batch", ""),
            status=data.get("status", ""),
        )


@require_GET
@catalogue_required
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.GET if "download" in request.GET else None)
    if form.is_bound and form.is_valid():
        items = form.selection().items()
        count = items.count()
        if count:
            return _download(request, items, count)
        form.add_error(None, _("No copies match: nothing to export."))
    return render(
        request, "catalog/ledger/export.html", {"form": form, "total": Item.objects.count()}
    )


def _download(request: HttpRequest, items: QuerySet[Item], count: int) -> HttpResponse:
    response = HttpResponse(ledger.export_workbook(items), content_type=XLSX)
    name = f"图书登记表-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    AuditLog.record("books_exported", by=_user(request), via="web", items=count)
    return response
