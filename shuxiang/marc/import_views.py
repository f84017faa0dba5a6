"""The MARC import screens (librarian only): upload, progress, preview, import.

The upload is kept and checked as a background job (its page shows the progress bar, then
the preview: how the file was read, what each record will do, the errors with record number
and byte offset, and the first records as mapped). Nothing is written before the librarian
presses Import; when the import is done the page hands over to the batch's report.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shuxiang.accounts.models import User
from shuxiang.catalog import batch
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import ImportBatch, Location
from shuxiang.catalog.services import default_location
from shuxiang.jobs import services as jobs
from shuxiang.jobs import views as job_views
from shuxiang.jobs.forms import refuse_oversized
from shuxiang.jobs.models import Job
from shuxiang.marc import reader
from shuxiang.marc.importer import SAMPLE
from shuxiang.patrons.permissions import librarian_required

RECENT = 5
EXTENSIONS = ".iso,.mrc,.marc,.dat,.xml,.bin"


class MarcUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("MARC file"),
        error_messages={
            "required": gettext_lazy("Choose the MARC file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    flavour = forms.ChoiceField(
        label=gettext_lazy("MARC format"),
        choices=[
            (reader.AUTO, gettext_lazy("Recognise it")),
            (reader.CNMARC, "CNMARC"),
            (reader.MARC21, "MARC21"),
        ],
        initial=reader.AUTO,
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Character set"),
        choices=[
            (reader.AUTO, gettext_lazy("Recognise it (per record)")),
            (reader.UTF8, "UTF-8"),
            (reader.GB18030, "GB18030 / GBK / GB2312"),
            (reader.MARC8, "MARC-8"),
        ],
        initial=reader.AUTO,
    )
    policy = forms.ChoiceField(
        label=gettext_lazy("A book already in the catalogue"),
        choices=ImportBatch.Policy.choices,
        initial=ImportBatch.Policy.SKIP,
        widget=forms.RadioSelect,
    )
    location = forms.ModelChoiceField(
        label=gettext_lazy("Location of copies that name none (or an unknown one)"),
        queryset=Location.objects.all(),
        to_field_name="code",
        empty_label=None,
    )
    skip_bad = forms.BooleanField(
        label=gettext_lazy("Import the good records and skip the bad ones"),
        required=False,
        help_text=gettext_lazy(
            "Left unticked, a file with any bad record imports nothing, so that it can be "
            "corrected and imported whole."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].initial = _default_location_code()

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        refuse_oversized(upload)
        head = upload.read(4096)
        upload.seek(0)
        try:
            reader.detect_format(head)
        except reader.MarcFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


def _default_location_code() -> str:
    try:
        return default_location().code
    except InvalidRecord:  # no location yet (`shuxiang init` not run): the form is empty
        return ""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _marc_job(request: HttpRequest, pk: int) -> Job:
    return jobs.job_for(request.user, pk, Job.Kind.MARC_IMPORT)


@librarian_required
def upload(request: HttpRequest) -> HttpResponse:
    form = MarcUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file: UploadedFile[bytes] = form.cleaned_data["file"]
        job = jobs.start_job(
            Job.Kind.MARC_IMPORT,
            by=_user(request),
            path=jobs.save_upload(file, "marc"),
            file_name=file.name or "",
            options={
                "flavour": form.cleaned_data["flavour"],
                "encoding": form.cleaned_data["encoding"],
                "policy": form.cleaned_data["policy"],
                "location": form.cleaned_data["location"].code,
                "skip_bad": form.cleaned_data["skip_bad"],
            },
        )
        return redirect("marc_import:job", job.pk)
    recent = Job.objects.filter(kind=Job.Kind.MARC_IMPORT, created_by=_user(request))[:RECENT]
    return render(
        request,
        "marc/import/upload.html",
        {"form": form, "recent": recent, "max_mb": settings.SHUXIANG_MAX_UPLOAD_MB},
    )


@require_GET
@librarian_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _marc_job(request, pk)
    if job.state == Job.State.DONE and job.result.get("batch_id"):
        return redirect("imports:detail", job.result["batch_id"])
    context: dict[str, Any] = {**jobs.status_context(job), "file_name": job.file_name}
    if job.state == Job.State.READY:
        context.update(_preview_context(job))
    return render(request, "marc/import/job.html", context)


def _preview_context(job: Job) -> dict[str, Any]:
    preview = job.preview
    counts = preview.get("counts", {})
    options = job.options
    location = Location.objects.filter(code=options.get("location", "")).first()
    to_write = sum(counts.get(a, 0) for a in (batch.ADD, batch.MERGE, batch.OVERWRITE))
    return {
        "preview": preview,
        "counts": counts,
        "to_write": to_write,
        "policy_label": ImportBatch.Policy(options.get("policy", "skip")).label,
        "location": location,
        "skip_bad": bool(options.get("skip_bad")),
        "flavour_label": preview.get("flavour", "").upper(),
        "format_label": "MARCXML" if preview.get("format") == reader.MARCXML else "ISO 2709",
        "sample_size": SAMPLE,
    }


@librarian_required
@require_POST
def start_import(request: HttpRequest, pk: int) -> HttpResponse:
    job = _marc_job(request, pk)
    if job.state == Job.State.READY:
        # The librarian may decide on the preview to leave the bad records out.
        skip_bad = bool(job.options.get("skip_bad")) or request.POST.get("skip_bad") == "on"
        Job.objects.filter(pk=job.pk).update(options={**job.options, "skip_bad": skip_bad})
        job.refresh_from_db()
    return job_views.queue_import(request, job, "marc_import:job")


@librarian_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _marc_job(request, pk)
    return job_views.cancel_import(
        request, job, upload="marc_import:upload", page="marc_import:job"
    )
