"""The label screen (librarian only): what to print, for which copies, on which sheet.

The PDF opens in the browser, whose print dialog prints it at actual size. The sheet last used
(preset or custom measures, and where the next free label is) is kept in the session, so the
next batch of labels starts where the last one stopped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import labels
from shuxiang.catalog.forms import StyledForm
from shuxiang.catalog.models import ImportBatch
from shuxiang.catalog.views import catalogue_required
from shuxiang.lib import labels as drawing

CUSTOM = "custom"
SESSION_KEY = "labels.sheet"
MAX_LIST_BYTES = 1024 * 1024
RECENT_BATCHES = 20
MEASURES = ("page_width", "page_height", "rows", "columns", "label_width", "label_height")
MARGINS = ("top", "left", "h_gap", "v_gap")
USES = ("spine", "barcode", "combined")


def pdf_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    """Shown in the browser (its print dialog prints at actual size), saved under a good name."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _size(label: StrOrPromise, maximum: float) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_value=maximum, decimal_places=2
    )


class SheetForm(StyledForm):
    """A preset sheet or a custom one, and the first free label on it."""

    preset = forms.ChoiceField(label=gettext_lazy("Label sheet"))
    start = forms.IntegerField(
        label=gettext_lazy("Start at label"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy(
            "On a partly used sheet: the number of the first free label, counting across "
            "from the top left."
        ),
    )
    page_width = _size(gettext_lazy("Page width (mm)"), 1000)
    page_height = _size(gettext_lazy("Page height (mm)"), 1000)
    rows = forms.IntegerField(label=gettext_lazy("Rows"), required=False, min_value=1, max_value=99)
    columns = forms.IntegerField(
        label=gettext_lazy("Columns"), required=False, min_value=1, max_value=99
    )
    label_width = _size(gettext_lazy("Label width (mm)"), 1000)
    label_height = _size(gettext_lazy("Label height (mm)"), 1000)
    top = _size(gettext_lazy("Top margin (mm)"), 1000)
    left = _size(gettext_lazy("Left margin (mm)"), 1000)
    h_gap = _size(gettext_lazy("Gap between columns (mm)"), 1000)
    v_gap = _size(gettext_lazy("Gap between rows (mm)"), 1000)

    def __init__(self, *args: Any, uses: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        presets = [p for p in drawing.PRESETS.values() if p.use in uses]
        choices = [(p.key, p.name) for p in presets] + [(CUSTOM, _("Custom sheet"))]
        preset_field = self.fields["preset"]
        assert isinstance(preset_field, forms.ChoiceField)
        preset_field.choices = choices

    def sheet(self) -> drawing.Sheet:
        preset = self.cleaned_data["preset"]
        if preset != CUSTOM:
            return drawing.PRESETS[preset].sheet
        values = {name: self.cleaned_data.get(name) for name in MEASURES + MARGINS}
        return drawing.Sheet(
            rows=int(values["rows"] or 0),
            columns=int(values["columns"] or 0),
            **{name: float(values[name] or 0) for name in MEASURES[:2] + MEASURES[4:] + MARGINS},
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("preset") == CUSTOM:
            missing = [name for name in MEASURES if not data.get(name)]
            for name in missing:
                self.add_error(name, _("Needed for a custom sheet."))
            if missing:
                return data
        sheet = self.sheet()
        try:
            sheet.check()
        except drawing.LabelError as exc:
            self.add_error(None, labels.error_text(exc))
            return data
        if data["start"] > sheet.per_page:
            self.add_error(
                "start",
                _("The start position must be between 1 and %(last)s (the labels on one sheet).")
                % {"last": sheet.per_page},
            )
        return data

    def remembered(self) -> dict[str, Any]:
        """The sheet to keep in the session (JSON-safe): the preset and its measures, which
        are the starting point when the librarian turns to a custom sheet to correct them."""
        keep: dict[str, Any] = {"preset": self.cleaned_data["preset"]}
        return keep | self.sheet().as_dict()


def sheet_initial(request: HttpRequest, key: str, kind: str) -> dict[str, Any]:
    sheet = drawing.PRESETS[drawing.DEFAULT_PRESET[kind]].sheet
    initial: dict[str, Any] = {"preset": drawing.DEFAULT_PRESET[kind], "start": 1}
    initial |= {name: getattr(sheet, name) for name in MEASURES + MARGINS}
    initial |= request.session.get(key, {})
    return initial


class LabelForm(StyledForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Labels"),
        choices=[
            ("spine", gettext_lazy("Spine labels (call number)")),
            ("barcode", gettext_lazy("Barcode labels")),
            ("combined", gettext_lazy("Spine and barcode on one label")),
        ],
        widget=forms.RadioSelect,
        initial="spine",
    )
    symbology = forms.ChoiceField(
        label=gettext_lazy("Barcode type"),
        choices=[(drawing.CODE128, "Code 128"), (drawing.CODE39, "Code 39")],
        initial=drawing.CODE128,
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Which copies"),
        choices=[
            (labels.BATCH, gettext_lazy("From an import")),
            (labels.RANGE, gettext_lazy("A barcode range")),
            (labels.RECEIVED, gettext_lazy("Received between two days")),
            (labels.LIST, gettext_lazy("A list of barcodes")),
            (labels.CLASS, gettext_lazy("A class number")),
        ],
        widget=forms.RadioSelect,
        initial=labels.BATCH,
    )
    batch = forms.ChoiceField(label=gettext_lazy("Import batch"), required=False)
    barcode_from = forms.CharField(label=gettext_lazy("First barcode"), required=False)
    barcode_to = forms.CharField(label=gettext_lazy("Last barcode"), required=False)
    received_from = forms.DateField(
        label=gettext_lazy("First day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=gettext_lazy("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    barcodes = forms.CharField(
        label=gettext_lazy("Barcodes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=gettext_lazy("One a line, or scanned one after another."),
    )
    barcode_file = forms.FileField(
        label=gettext_lazy("Or a text file of barcodes"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv"}),
    )
    class_prefix = forms.CharField(
        label=gettext_lazy("Class number begins with"), required=False, max_length=40
    )
    order = forms.ChoiceField(
        label=gettext_lazy("Label order"),
        choices=[
            (labels.SHELF_ORDER, gettext_lazy("Shelf order (call number)")),
            (labels.AS_LISTED, gettext_lazy("As listed (barcode order for a range)")),
        ],
        initial=labels.SHELF_ORDER,
    )
    show_school = forms.BooleanField(
        label=gettext_lazy("School name on the labels"), required=False, initial=True
    )
    show_title = forms.BooleanField(label=gettext_lazy("Title on barcode labels"), required=False)
    copies = forms.IntegerField(
        label=gettext_lazy("Labels per copy"), min_value=1, max_value=5, initial=1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        batch_field = self.fields["batch"]
        assert isinstance(batch_field, forms.ChoiceField)
        batch_field.choices = [("", _("The last import"))] + [
            (str(b.pk), _batch_label(b)) for b in ImportBatch.objects.all()[:RECENT_BATCHES]
        ]

    def clean_barcode_file(self) -> str:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("barcode_file")
        if upload is None:
            return ""
        if (upload.size or 0) > MAX_LIST_BYTES:
            raise forms.ValidationError(_("A list of barcodes is at most 1 MB."))
        raw: bytes = upload.read()
        # Lists saved by Excel on a Chinese Windows are GBK; everything else UTF-8.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("The file is not a text file."))

    def selection(self) -> labels.Selection:
        data = self.cleaned_data
        text = f"{data.get('barcodes') or ''}\n{data.get('barcode_file') or ''}"
        return labels.Selection(
            mode=data["mode"],
            barcode_from=data.get("barcode_from") or "",
            barcode_to=data.get("barcode_to") or "",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            batch=int(data["batch"]) if data.get("batch") else None,
            barcodes=labels.split_barcodes(text),
            class_prefix=data.get("class_prefix") or "",
            order=data["order"],
        )


def _batch_label(batch: ImportBatch) -> str:
    return _("#%(id)s %(file)s, %(day)s, %(items)s copies") % {
        "id": batch.pk,
        "file": batch.file_name or batch.get_kind_display(),
        "day": timezone.localtime(batch.created_at).date().isoformat(),
        "items": batch.items_added,
    }


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@catalogue_required
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # "Print labels for this import" on an import's report comes with ?batch=<id>.
        chosen = request.GET.get("batch", "")
        form = LabelForm(initial={"batch": chosen} if chosen.isdigit() else None)
        sheet_form = SheetForm(initial=sheet_initial(request, SESSION_KEY, "spine"), uses=USES)
        return _page(request, form, sheet_form)
    form = LabelForm(request.POST, request.FILES)
    sheet_form = SheetForm(request.POST, uses=USES)
    if not (form.is_valid() and sheet_form.is_valid()):
        return _page(request, form, sheet_form)
    try:
        items = labels.select_items(form.selection(), limit=labels.WEB_LIMIT)
        job = _job(form, sheet_form)
        content = labels.items_pdf(job, items)
    except labels.LabelError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, sheet_form)
    request.session[SESSION_KEY] = sheet_form.remembered()
    AuditLog.record(
        "labels.printed",
        by=_user(request),
        kind=job.kind,
        selection=form.cleaned_data["mode"],
        copies=len(items),
    )
    today = timezone.localdate().isoformat()
    name = f"{_('Labels')}-{today}.pdf"
    return pdf_response(content, name, f"labels-{job.kind}-{today}.pdf")


def _job(form: LabelForm, sheet_form: SheetForm) -> labels.LabelJob:
    data = form.cleaned_data
    return labels.LabelJob(
        kind=data["kind"],
        sheet=sheet_form.sheet(),
        start=sheet_form.cleaned_data["start"],
        symbology=data["symbology"],
        show_school=data["show_school"],
        show_title=data["show_title"],
        copies=data["copies"],
    )


def _page(request: HttpRequest, form: LabelForm, sheet_form: SheetForm) -> HttpResponse:
    return render(
        request,
        "catalog/labels/form.html",
        {
            "form": form,
            "sheet_form": sheet_form,
            "presets": [p for p in drawing.PRESETS.values() if p.use in USES],
            "school": labels.school_name(),
        },
    )


@catalogue_required
def test_page(request: HttpRequest) -> HttpResponse:
    """The alignment test page of the sheet on the form (or of the last one used)."""
    data: QueryDict = request.POST if request.method == "POST" else request.GET
    if "preset" not in data:
        data = QueryDict(mutable=True)
        data.update(sheet_initial(request, SESSION_KEY, "spine"))
    sheet_form = SheetForm(data, uses=(*USES, "cards"))
    if not sheet_form.is_valid():
        return _page(request, LabelForm(), sheet_form)
    preset = sheet_form.cleaned_data["preset"]
    name = drawing.PRESETS[preset].name if preset != CUSTOM else _("Custom sheet")
    content = labels.alignment_pdf(sheet_form.sheet(), name)
    return pdf_response(content, f"{_('Alignment test page')}.pdf", "alignment-test.pdf")
