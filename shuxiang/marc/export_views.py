"""The MARC export screen (librarian only): choose flavour, format, encoding and selection,
see how many records that is, download the file.

The file is streamed as it is made, so a large catalogue starts downloading at once.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import ImportBatch
from shuxiang.marc import export, selection
from shuxiang.marc.export import ExportError
from shuxiang.marc.selection import Selection, SelectionError
from shuxiang.patrons.permissions import librarian_required

RECENT_BATCHES = 20
UNKNOWN_SHOWN = 20
CONTENT_TYPES = {export.ISO2709: "application/marc", export.MARCXML: "application/marcxml+xml"}
GBK_CHOICE = "gbk"


class ExportForm(forms.Form):
    flavour = forms.ChoiceField(
        label=gettext_lazy("MARC flavour"),
        choices=[
            (export.CNMARC, gettext_lazy("CNMARC (Chinese libraries)")),
            (export.MARC21, gettext_lazy("MARC21")),
        ],
        initial=export.CNMARC,
        widget=forms.RadioSelect,
    )
    format = forms.ChoiceField(
        label=gettext_lazy("File format"),
        choices=[
            (export.ISO2709, gettext_lazy("ISO 2709 (.iso / .mrc)")),
            (export.MARCXML, gettext_lazy("MARCXML (.xml)")),
        ],
        initial=export.ISO2709,
        widget=forms.RadioSelect,
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"),
        choices=[
            (export.UTF8, gettext_lazy("UTF-8")),
            (GBK_CHOICE, gettext_lazy("GBK (for older systems; CNMARC ISO 2709 only)")),
        ],
        initial=export.UTF8,
        widget=forms.RadioSelect,
    )
    class_prefix = forms.CharField(
        label=gettext_lazy("Class number starts with"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("For example I or I24; empty for every class."),
    )
    batch = forms.ChoiceField(label=gettext_lazy("Import batch"), required=False)
    date_from = forms.CharField(
        label=gettext_lazy("Catalogued or received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.CharField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    barcodes = forms.CharField(
        label=gettext_lazy("Barcodes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Paste or scan them, one a line; only these copies are listed."),
    )
    barcode_file = forms.FileField(
        label=gettext_lazy("…or a file of barcodes (.txt)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv"}),
    )
    record_ids = forms.CharField(
        label=gettext_lazy("Record numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        batches = ImportBatch.objects.order_by("-created_at", "-id")[:RECENT_BATCHES]
        batch_field = self.fields["batch"]
        assert isinstance(batch_field, forms.ChoiceField)
        batch_field.choices = [
            ("", _("Any (no batch chosen)")),
            (selection.LAST, _("The last import")),
            *[(str(b.pk), _batch_label(b)) for b in batches],
        ]
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.RadioSelect):
                continue
            css = "form-select" if name == "batch" else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["codec"] = export.encoding_named(data["encoding"])
            export.check_options(data["flavour"], data["format"], data["codec"])
            data["selection"] = self._selection(data)
        except (ExportError, SelectionError) as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def _selection(self, data: dict[str, Any]) -> Selection:
        pasted = data.get("barcodes", "")
        upload: UploadedFile[bytes] | None = data.get("barcode_file")
        if upload is not None:
            pasted += "\n" + _decode(upload.read(settings.SHUXIANG_MAX_UPLOAD_MB * 1024 * 1024))
        chosen = Selection(
            class_prefix=selection.class_prefix(data.get("class_prefix", "")),
            batch=selection.import_batch(data.get("batch")),
            date_from=selection.parse_date(data.get("date_from", ""), _("Start date")),
            date_to=selection.parse_date(data.get("date_to", ""), _("End date")),
            barcodes=selection.parse_barcodes(pasted),
            record_ids=selection.parse_record_ids(data.get("record_ids", "")),
        )
        selection.check_dates(chosen.date_from, chosen.date_to)
        return chosen


def _batch_label(batch: ImportBatch) -> str:
    when = timezone.localtime(batch.created_at).strftime("%Y-%m-%d %H:%M")
    return f"#{batch.pk} {when} {batch.get_kind_display()} {batch.file_name}".strip()


def _decode(data: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise SelectionError(_("The barcode file is neither UTF-8 nor GBK text."))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_http_methods(["GET", "POST"])
@librarian_required
def export_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST" and request.GET.get("batch", "").isdigit():
        # "Export these records as MARC" on an import's report: that import, chosen.
        return _for_batch(request, request.GET["batch"])
    form = ExportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["selection"].records().exists():
            form.add_error(None, _("No record matches these choices: there is nothing to export."))
            return render(request, "marc/export/form.html", {"form": form, **_counts(form)})
        # Streamed, not an HttpResponse subclass; the permission decorator is typed for those.
        return cast(HttpResponse, _download(request, form.cleaned_data))
    return render(request, "marc/export/form.html", {"form": form, **_counts(form)})


@require_POST
@librarian_required
def count(request: HttpRequest) -> HttpResponse:
    """How many records the form's choices select (htmx, as the librarian changes them)."""
    form = ExportForm(request.POST, request.FILES or None)
    form.is_valid()
    return render(request, "marc/export/_count.html", {"form": form, **_counts(form)})


def _for_batch(request: HttpRequest, pk: str) -> HttpResponse:
    form = ExportForm(initial={"batch": pk})
    try:
        chosen = Selection(batch=selection.import_batch(pk))
    except SelectionError:
        chosen = Selection()
    counts = {**_counts(form), "records": chosen.records().count(), "everything": False}
    return render(request, "marc/export/form.html", {"form": form, **counts})


def _counts(form: ExportForm) -> dict[str, Any]:
    chosen: Selection | None = getattr(form, "cleaned_data", {}).get("selection")
    if not form.is_bound:
        chosen = Selection()
    if chosen is None:
        return {"records": None}
    return {
        "records": chosen.records().count(),
        "unknown_barcodes": chosen.unknown_barcodes()[:UNKNOWN_SHOWN],
        "unknown_ids": chosen.unknown_record_ids()[:UNKNOWN_SHOWN],
        "everything": chosen.is_everything,
    }


def _download(request: HttpRequest, data: dict[str, Any]) -> StreamingHttpResponse:
    chosen: Selection = data["selection"]
    flavour, fmt, codec = data["flavour"], data["format"], data["codec"]
    chunks = export.export_chunks(chosen, flavour=flavour, fmt=fmt, encoding=codec)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    name = export.file_name(flavour, fmt, codec, timezone.localdate())
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    AuditLog.record(
        "marc_exported",
        by=_user(request),
        flavour=flavour,
        format=fmt,
        encoding=codec,
        records=chosen.records().count(),
        **chosen.criteria(),
    )
    return response
