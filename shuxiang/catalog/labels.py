"""Labels for copies: which copies (a barcode range, a receiving date, an import, a list, a class
number) and the PDF of their spine, barcode or combined labels (shuxiang.lib.labels draws them).

The label screen and `shuxiang export labels` both call `select_items` then `items_pdf`; every
refusal is a LabelError whose message is the librarian's words, in the user's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shuxiang.catalog.models import ImportBatch, Item
from shuxiang.lib import barcodes
from shuxiang.lib import labels as drawing
from shuxiang.lib.clc import normalize_class_number

RANGE = "range"
RECEIVED = "received"
BATCH = "batch"
LIST = "list"
CLASS = "class"
MODES = (RANGE, RECEIVED, BATCH, LIST, CLASS)
SHELF_ORDER = "shelf"
AS_LISTED = "listed"
KINDS = ("spine", "barcode", "combined")
# A request draws its PDF while the librarian waits: a few thousand labels take seconds. The
# command line has no limit.
WEB_LIMIT = 5000
_TAIL_NUMBER = re.compile(r"^(.*?)(\d+)$")


class LabelError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_text(exc: drawing.LabelError) -> str:
    """The words for a problem found while laying out or drawing labels."""
    p = exc.params
    texts = {
        "sheet_empty": lambda: _("Rows, columns and the label and page sizes must be above 0."),
        "sheet_negative": lambda: _("Margins and gaps cannot be negative."),
        "sheet_too_wide": lambda: (
            _(
                "The labels do not fit across the page: they need %(needed)s mm, "
                "the page is %(page)s mm wide."
            )
            % p
        ),
        "sheet_too_tall": lambda: (
            _(
                "The labels do not fit down the page: they need %(needed)s mm, "
                "the page is %(page)s mm high."
            )
            % p
        ),
        "start_out_of_range": lambda: (
            _(
                "The start position must be between 1 and %(last)s (the labels on one sheet); "
                "%(start)s is not."
            )
            % p
        ),
        "code39_chars": lambda: (
            _(
                "Barcode %(barcode)s cannot be printed as Code 39 (digits, capital letters and "
                "- . $ / + %% only): choose Code 128."
            )
            % p
        ),
        "code128_chars": lambda: _("Barcode %(barcode)s cannot be printed as Code 128.") % p,
        "barcode_too_long": lambda: (
            _(
                "Barcode %(barcode)s is too long for a label %(width)s mm wide: choose Code 128, "
                "or larger labels."
            )
            % p
        ),
    }
    return texts[exc.code]() if exc.code in texts else exc.code


# ----------------------------------------------------------------------------- selection


@dataclass
class Selection:
    """What to print labels for; `mode` says which of the other fields count."""

    mode: str
    barcode_from: str = ""
    barcode_to: str = ""
    received_from: date | None = None
    received_to: date | None = None
    batch: int | None = None  # None: the latest import
    barcodes: list[str] = field(default_factory=list)
    class_prefix: str = ""
    order: str = SHELF_ORDER


def split_barcodes(text: str) -> list[str]:
    """A pasted list or a file: one barcode a line, or separated by spaces or commas."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,，;；、]+", text or ""):
        code = barcodes.normalize(part)
        if code:
            seen.setdefault(code, None)
    return list(seen)


def _range_parts(code: str) -> tuple[str, int]:
    match = _TAIL_NUMBER.match(barcodes.normalize(code))
    if not match:
        raise LabelError(
            _("Barcode %(barcode)s does not end in a number, so it cannot start or end a range.")
            % {"barcode": code}
        )
    return match.group(1), int(match.group(2))


def _in_range(selection: Selection) -> list[Item]:
    if not selection.barcode_from or not selection.barcode_to:
        raise LabelError(_("Give the first and the last barcode of the range."))
    prefix, low = _range_parts(selection.barcode_from)
    other, high = _range_parts(selection.barcode_to)
    if prefix != other:
        raise LabelError(
            _(
                "The two barcodes have different prefixes (%(first)s and %(last)s): "
                "a range runs within one prefix."
            )
            % {"first": prefix or "—", "last": other or "—"}
        )
    low, high = min(low, high), max(low, high)
    # Numbers compare as numbers (T99 < T100), so the range is picked out here, not in SQL.
    wanted: list[tuple[int, int]] = []
    pairs = _printable().filter(barcode__startswith=prefix).values_list("pk", "barcode")
    for pk, code in pairs:
        tail = code[len(prefix) :]
        if tail.isdigit() and low <= int(tail) <= high:
            wanted.append((int(tail), pk))
    by_pk = _printable().in_bulk([pk for _n, pk in wanted])
    return [by_pk[pk] for _n, pk in sorted(wanted)]


def _received(selection: Selection) -> QuerySet[Item]:
    start, end = selection.received_from, selection.received_to
    if start is None and end is None:
        raise LabelError(_("Give the first or the last day received, or both."))
    if start and end and start > end:
        raise LabelError(_("The first day comes after the last day."))
    items = _printable()
    if start:
        items = items.filter(received_on__gte=start)
    if end:
        items = items.filter(received_on__lte=end)
    return items


def _batch(selection: Selection) -> QuerySet[Item]:
    batches = ImportBatch.objects.all()
    batch = (
        batches.filter(pk=selection.batch).first()
        if selection.batch is not None
        else batches.first()  # newest first: the model's ordering
    )
    if batch is None:
        raise LabelError(
            _("Import %(id)s does not exist.") % {"id": selection.batch}
            if selection.batch is not None
            else _("No books have been imported yet.")
        )
    return _printable().filter(import_batch=batch)


def _listed(selection: Selection) -> list[Item]:
    codes = selection.barcodes
    if not codes:
        raise LabelError(_("Paste or upload the barcodes to print, one a line."))
    found = {item.barcode: item for item in _printable().filter(barcode__in=codes)}
    unknown = [code for code in codes if code not in found]
    withdrawn = set(
        Item.objects.filter(barcode__in=unknown, status=Item.Status.WITHDRAWN).values_list(
            "barcode", flat=True
        )
    )
    missing = [code for code in unknown if code not in withdrawn]
    if missing:
        raise LabelError(
            _("These barcodes are not in the catalogue: %(codes)s.")
            % {"codes": "、".join(missing[:20]) + ("…" if len(missing) > 20 else "")}
        )
    return [found[code] for code in codes if code in found]


def _class(selection: Selection) -> QuerySet[Item]:
    prefix = normalize_class_number(selection.class_prefix)
    if not prefix:
        raise LabelError(_("Give the class number (or its beginning), e.g. I287."))
    return _printable().filter(call_number__startswith=prefix)


def _printable() -> QuerySet[Item]:
    # Withdrawn copies (注销) have left the library: no label for them.
    return Item.objects.exclude(status=Item.Status.WITHDRAWN).select_related("record")


def select_items(selection: Selection, limit: int | None = None) -> list[Item]:
    """The copies to label, in shelf order or as listed; LabelError when there are none."""
    if selection.mode == RANGE:
        items = _in_range(selection)
    elif selection.mode == LIST:
        items = _listed(selection)
    else:
        queries = {RECEIVED: _received, BATCH: _batch, CLASS: _class}
        if selection.mode not in queries:
            raise LabelError(_("Choose how to select the copies."))
        items = list(queries[selection.mode](selection).order_by("shelf_key", "barcode"))
    if selection.order == SHELF_ORDER:
        items.sort(key=lambda item: (item.shelf_key, item.barcode))
    if not items:
        raise LabelError(_("No copies match this selection: nothing to print."))
    if limit is not None and len(items) > limit:
        raise LabelError(
            _("%(n)s copies match: print at most %(limit)s at a time, or use the command line.")
            % {"n": len(items), "limit": limit}
        )
    return items


# ----------------------------------------------------------------------------- the PDF


def school_name() -> str:
    return str(getattr(settings, "SHUXIANG_SCHOOL_NAME", "") or "")


def item_label(item: Item) -> drawing.ItemLabel:
    return drawing.ItemLabel(
        barcode=item.barcode,
        call_number=item.call_number or item.record.call_number,
        title=item.record.title,
    )


@dataclass(frozen=True)
class LabelJob:
    kind: str  # spine, barcode, combined
    sheet: drawing.Sheet
    start: int = 1  # the first free place on the sheet, counted from 1
    symbology: str = drawing.CODE128
    show_school: bool = True
    show_title: bool = False
    copies: int = 1  # labels per copy (a barcode inside the cover and one outside)


def items_pdf(job: LabelJob, items: Sequence[Item]) -> bytes:
    """The labels of these copies as a PDF; LabelError when the sheet or a barcode is wrong."""
    style = drawing.LabelStyle(
        school=school_name() if job.show_school else "",
        symbology=job.symbology,
        show_title=job.show_title,
    )
    labels = [item_label(item) for item in items for _n in range(job.copies)]
    try:
        job.sheet.check()
        drawing.check_start(job.sheet, job.start - 1)
        return drawing.labels_pdf(
            job.kind, labels, job.sheet, style, job.start - 1, title=_("Labels")
        )
    except drawing.LabelError as exc:
        raise LabelError(error_text(exc)) from None


def alignment_pdf(sheet: drawing.Sheet, name: str) -> bytes:
    try:
        return drawing.alignment_pdf(
            sheet,
            _("Alignment test page: %(sheet)s") % {"sheet": name},
            _(
                "Print on plain paper at actual size (no fit to page), lay it on a label sheet "
                "and hold both against the light."
            ),
        )
    except drawing.LabelError as exc:
        raise LabelError(error_text(exc)) from None
