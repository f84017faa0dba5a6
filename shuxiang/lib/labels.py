"""Label sheets and the labels printed on them: spine labels (书标), barcode labels, both on one.

Framework-free: a Sheet says where the labels sit on the page (in millimetres, as the box of
labels says), `positions` walks them from any start on a partly used sheet, and the `draw_*`
functions draw one label into its box on a reportlab canvas. Chinese text is set in the bundled
font (shuxiang.lib.pdf.cjk_font), so labels print the same on a PC with no Chinese font.

Barcodes are drawn by reportlab's Code 128 and Code 39 with a quiet zone of ten modules on each
side inside the label: a scanner needs that white margin, and the label's edge is often the
edge of the paper it is stuck on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from io import BytesIO
from typing import Any

from reportlab.graphics.barcode.code39 import Standard39  # type: ignore[import-untyped]
from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from shuxiang.lib.clc import parse_call_number
from shuxiang.lib.pdf import cjk_font

CODE128 = "code128"
CODE39 = "code39"
SYMBOLOGIES = (CODE128, CODE39)
QUIET_MODULES = 10
# Widest bar module worth printing (0.4 mm): wider only makes the label harder to fit.
MAX_MODULE = 0.4 * mm
# Below this (0.17 mm, about 7 mil) an office laser printer smears the bars together.
MIN_MODULE = 0.17 * mm
CODE39_CHARS = re.compile(r"^[0-9A-Z \-.$/+%]+$")
LATIN_BOLD = "Helvetica-Bold"
LATIN = "Helvetica"


class LabelError(ValueError):
    """Bad sheet measures, a start outside the sheet, a barcode a symbology cannot carry.

    `code` names the problem and `params` fill its message: the Django side words it in the
    user's language (catalog.labels.error_text).
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


# ----------------------------------------------------------------------------- sheets


@dataclass(frozen=True)
class Sheet:
    """A sheet of labels, all sizes in millimetres. Labels run left to right, top to bottom."""

    rows: int
    columns: int
    label_width: float
    label_height: float
    top: float = 0.0
    left: float = 0.0
    h_gap: float = 0.0  # between two columns
    v_gap: float = 0.0  # between two rows
    page_width: float = 210.0
    page_height: float = 297.0

    @property
    def per_page(self) -> int:
        return self.rows * self.columns

    def check(self) -> None:
        """Raise LabelError when the labels do not fit on the page as measured."""
        counts = (self.rows, self.columns)
        sizes = (self.label_width, self.label_height, self.page_width, self.page_height)
        if min(counts) < 1 or min(sizes) <= 0:
            raise LabelError("sheet_empty")
        if min(self.top, self.left, self.h_gap, self.v_gap) < 0:
            raise LabelError("sheet_negative")
        right = self.left + self.columns * self.label_width + (self.columns - 1) * self.h_gap
        bottom = self.top + self.rows * self.label_height + (self.rows - 1) * self.v_gap
        # A tenth of a millimetre of slack: makers round their measures.
        if right > self.page_width + 0.1:
            raise LabelError("sheet_too_wide", needed=round(right, 1), page=self.page_width)
        if bottom > self.page_height + 0.1:
            raise LabelError("sheet_too_tall", needed=round(bottom, 1), page=self.page_height)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Preset:
    key: str
    name: str  # the maker's number and the measures, as printed on the box
    sheet: Sheet
    use: str  # "spine", "barcode", "combined", "cards": what it suits best


# Common A4 sheets. Measures from the makers' templates; a school's own sheet may differ by a
# millimetre: the alignment test page shows it, and the custom sheet takes the difference.
PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "avery-l7651",
            "Avery L7651 · 5×13 = 65 · 38.1×21.2 mm",
            Sheet(13, 5, 38.1, 21.2, top=10.7, left=4.75, h_gap=2.5),
            "spine",
        ),
        Preset(
            "a4-56-4x14",
            "A4 56格 (国产) · 4×14 = 56 · 52.5×21.2 mm",
            Sheet(14, 4, 52.5, 21.2, top=0.1),
            "spine",
        ),
        Preset(
            "avery-l7654",
            "Avery L7654 · 4×10 = 40 · 45.7×25.4 mm",
            Sheet(10, 4, 45.7, 25.4, top=21.5, left=9.7, h_gap=2.6),
            "barcode",
        ),
        Preset(
            "a4-40-4x10",
            "A4 40格 (国产) · 4×10 = 40 · 52.5×29.7 mm",
            Sheet(10, 4, 52.5, 29.7),
            "barcode",
        ),
        Preset(
            "avery-l7159",
            "Avery L7159 · 3×8 = 24 · 63.5×33.9 mm",
            Sheet(8, 3, 63.5, 33.9, top=12.9, left=7.25, h_gap=2.5),
            "combined",
        ),
        Preset(
            "zweckform-3474",
            "Zweckform 3474 / A4 24格 · 3×8 = 24 · 70×37 mm",
            Sheet(8, 3, 70.0, 37.0, top=0.5),
            "combined",
        ),
        Preset(
            "avery-l7160",
            "Avery L7160 · 3×7 = 21 · 63.5×38.1 mm",
            Sheet(7, 3, 63.5, 38.1, top=15.15, left=7.25, h_gap=2.5),
            "combined",
        ),
        Preset(
            "avery-l7163",
            "Avery L7163 · 2×7 = 14 · 99.1×38.1 mm",
            Sheet(7, 2, 99.1, 38.1, top=15.15, left=4.65, h_gap=2.5),
            "combined",
        ),
        # ISO/IEC 7810 ID-1, the bank card size, two across and five down with cut gaps.
        Preset(
            "cards-2x5",
            "A4 · 2×5 = 10 · 85.6×54 mm",
            Sheet(5, 2, 85.6, 54.0, top=7.5, left=17.4, h_gap=4.0, v_gap=3.0),
            "cards",
        ),
    )
}
DEFAULT_PRESET = {
    "spine": "avery-l7651",
    "barcode": "avery-l7651",
    "combined": "avery-l7160",
    "cards": "cards-2x5",
}


@dataclass(frozen=True)
class Box:
    """Where one label sits on its page, in points from the bottom left (reportlab's way)."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def inset(self, pad: float) -> Box:
        return Box(
            self.page, self.x + pad, self.y + pad, self.width - 2 * pad, self.height - 2 * pad
        )


def check_start(sheet: Sheet, skip: int) -> None:
    """`skip` labels of the first sheet are used already: from 0 to all but one."""
    if not 0 <= skip < sheet.per_page:
        raise LabelError("start_out_of_range", start=skip + 1, last=sheet.per_page)


def positions(sheet: Sheet, count: int, skip: int = 0) -> Iterator[Box]:
    """The boxes of `count` labels, the first `skip` places of the first page left empty."""
    check_start(sheet, skip)
    for slot in range(skip, skip + count):
        page, place = divmod(slot, sheet.per_page)
        row, column = divmod(place, sheet.columns)
        left = sheet.left + column * (sheet.label_width + sheet.h_gap)
        top = sheet.top + row * (sheet.label_height + sheet.v_gap)
        yield Box(
            page=page,
            x=left * mm,
            y=(sheet.page_height - top - sheet.label_height) * mm,
            width=sheet.label_width * mm,
            height=sheet.label_height * mm,
        )


Drawer = Callable[[Canvas, Box], None]


def sheet_pdf(sheet: Sheet, drawers: Sequence[Drawer], skip: int = 0, title: str = "") -> bytes:
    """A PDF of labels: each drawer draws one label into its box, pages follow as needed."""
    sheet.check()
    out = BytesIO()
    canvas = Canvas(out, pagesize=(sheet.page_width * mm, sheet.page_height * mm))
    canvas.setTitle(title)
    canvas.setCreator("Shuxiang")
    page = 0
    for drawer, box in zip(drawers, positions(sheet, len(drawers), skip), strict=True):
        if box.page != page:
            canvas.showPage()
            page = box.page
        canvas.saveState()
        drawer(canvas, box)
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# ----------------------------------------------------------------------------- text


def font_for(text: str, bold: bool = False) -> str:
    """Helvetica for plain ASCII (call numbers, barcodes: crisper), else the Chinese font."""
    if text.isascii():
        return LATIN_BOLD if bold else LATIN
    return cjk_font()


def fit_size(text: str, font: str, width: float, largest: float) -> float:
    """The largest font size up to `largest` at which the text fits in `width` points."""
    natural = stringWidth(text, font, 1.0)
    return largest if natural <= 0 else min(largest, width / natural)


def shorten(text: str, font: str, size: float, width: float) -> str:
    """The text cut with "…" so that it fits on one line."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def draw_centred(canvas: Canvas, text: str, x: float, y: float, font: str, size: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(x, y, text)


# ----------------------------------------------------------------------------- barcodes


def check_barcode(value: str, symbology: str) -> None:
    if symbology == CODE39 and not CODE39_CHARS.match(value):
        raise LabelError("code39_chars", barcode=value)
    if symbology == CODE128 and not (value.isascii() and value.isprintable() and value):
        raise LabelError("code128_chars", barcode=value)


def _barcode(value: str, symbology: str, module: float, height: float) -> Any:
    options = {"barWidth": module, "barHeight": height, "quiet": False}
    if symbology == CODE39:
        # No mod-43 check character: library scanners are set up without one.
        return Standard39(value, checksum=0, ratio=2.5, **options)
    return Code128(value, **options)


def draw_barcode(canvas: Canvas, value: str, symbology: str, box: Box) -> None:
    """Bars filling the box's height, centred, as wide as the box allows with quiet zones."""
    check_barcode(value, symbology)
    modules = _barcode(value, symbology, 1.0, 1.0).width
    module = min(MAX_MODULE, box.width / (modules + 2 * QUIET_MODULES))
    if module < MIN_MODULE:
        raise LabelError("barcode_too_long", barcode=value, width=round(box.width / mm, 1))
    bars = _barcode(value, symbology, module, box.height)
    bars.drawOn(canvas, box.x + (box.width - bars.width) / 2, box.y)


# ----------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class ItemLabel:
    """What one copy's labels say."""

    barcode: str
    call_number: str
    title: str = ""


@dataclass(frozen=True)
class LabelStyle:
    school: str = ""
    symbology: str = CODE128
    show_title: bool = False


_VOLUME_SPLIT = re.compile(r"\s*[:：]\s*|\s+|(?=[vV]\.)|(?=第)")


def spine_lines(call_number: str) -> list[str]:
    """'I287.45/12:2' → ['I287.45', '12', '2']; 'I287.45/12 v.2' → [..., '12', 'v.2']."""
    if not call_number.strip():
        return []
    parsed = parse_call_number(call_number)
    lines = [parsed.class_number]
    if parsed.book_number:
        lines += [part for part in _VOLUME_SPLIT.split(parsed.book_number, maxsplit=1) if part]
    return [line for line in lines if line]


def _pad(box: Box) -> float:
    return float(min(1.5 * mm, 0.07 * min(box.width, box.height)))


def _school_line(canvas: Canvas, box: Box, school: str, largest: float) -> float:
    """The school's name small at the top of the box; the height it took."""
    if not school:
        return 0.0
    font = cjk_font()
    size = min(largest, fit_size(school, font, box.width, largest), 0.14 * box.height)
    draw_centred(canvas, school, box.x + box.width / 2, box.y + box.height - size, font, size)
    return size * 1.25


def draw_spine(canvas: Canvas, box: Box, label: ItemLabel, style: LabelStyle) -> None:
    """The call number, one part a line, as large as the label allows, centred."""
    inner = box.inset(_pad(box))
    taken = _school_line(canvas, inner, style.school, 7.0)
    lines = spine_lines(label.call_number) or [label.barcode]
    height = inner.height - taken
    leading = 1.18
    fonts = [font_for(line, bold=True) for line in lines]
    size = min(
        30.0,
        height / (len(lines) * leading),
        *(fit_size(line, font, inner.width, 30.0) for line, font in zip(lines, fonts, strict=True)),
    )
    # The block of lines sits in the middle of the room below the school's name.
    block = size * leading * len(lines)
    top = inner.y + height - (height - block) / 2
    for n, (line, font) in enumerate(zip(lines, fonts, strict=True)):
        baseline = top - size * leading * n - size * 0.95
        draw_centred(canvas, line, inner.x + inner.width / 2, baseline, font, size)


def draw_barcode_label(canvas: Canvas, box: Box, label: ItemLabel, style: LabelStyle) -> None:
    """School name, optional title, the bars, the number under them."""
    inner = box.inset(_pad(box))
    taken = _school_line(canvas, inner, style.school, 7.0)
    font = cjk_font()
    if style.show_title and label.title:
        size = min(7.5, 0.13 * inner.height)
        text = shorten(label.title, font, size, inner.width)
        baseline = inner.y + inner.height - taken - size
        draw_centred(canvas, text, inner.x + inner.width / 2, baseline, font, size)
        taken += size * 1.25
    digits = min(10.0, 0.17 * inner.height, fit_size(label.barcode, LATIN, inner.width, 10.0))
    draw_centred(
        canvas, label.barcode, inner.x + inner.width / 2, inner.y + 0.15 * digits, LATIN, digits
    )
    bars_bottom = digits * 1.2
    bars = Box(
        inner.page, inner.x, inner.y + bars_bottom, inner.width, inner.height - taken - bars_bottom
    )
    draw_barcode(canvas, label.barcode, style.symbology, bars)


def draw_combined(canvas: Canvas, box: Box, label: ItemLabel, style: LabelStyle) -> None:
    """The spine label and the barcode label side by side (stacked on a narrow label), parted
    by a dotted line to cut along."""
    canvas.setLineWidth(0.3)
    canvas.setDash(1, 2)
    canvas.setStrokeGray(0.5)
    if box.width >= 1.5 * box.height:
        spine_width = min(0.85 * box.height, 0.38 * box.width)
        spine = Box(box.page, box.x, box.y, spine_width, box.height)
        rest = Box(box.page, box.x + spine_width, box.y, box.width - spine_width, box.height)
        canvas.line(rest.x, box.y + 1 * mm, rest.x, box.y + box.height - 1 * mm)
    else:
        spine_height = 0.42 * box.height
        rest = Box(box.page, box.x, box.y, box.width, box.height - spine_height)
        spine = Box(box.page, box.x, rest.y + rest.height, box.width, spine_height)
        canvas.line(box.x + 1 * mm, spine.y, box.x + box.width - 1 * mm, spine.y)
    canvas.setDash()
    draw_spine(canvas, spine, label, LabelStyle(symbology=style.symbology))
    draw_barcode_label(canvas, rest, label, style)


KINDS: dict[str, Callable[[Canvas, Box, ItemLabel, LabelStyle], None]] = {
    "spine": draw_spine,
    "barcode": draw_barcode_label,
    "combined": draw_combined,
}


def labels_pdf(
    kind: str,
    labels: Sequence[ItemLabel],
    sheet: Sheet,
    style: LabelStyle,
    skip: int = 0,
    title: str = "",
) -> bytes:
    """Labels of one kind for these copies, in this order, from place `skip + 1` of the sheet."""
    draw = KINDS[kind]
    if kind != "spine":
        for label in labels:
            check_barcode(label.barcode, style.symbology)

    def drawer(label: ItemLabel) -> Drawer:
        return lambda canvas, box: draw(canvas, box, label, style)

    return sheet_pdf(sheet, [drawer(label) for label in labels], skip, title)


# ----------------------------------------------------------------------------- test page


def alignment_pdf(sheet: Sheet, heading: str, hint: str) -> bytes:
    """The alignment test page: every label's outline, number and middle cross. Printed on
    plain paper and held against a label sheet in front of a window, it shows how far the
    printer is off; the difference goes into the sheet's margins."""
    sheet.check()
    out = BytesIO()
    canvas = Canvas(out, pagesize=(sheet.page_width * mm, sheet.page_height * mm))
    canvas.setTitle(heading)
    canvas.setCreator("Shuxiang")
    canvas.setLineWidth(0.4)
    for n, box in enumerate(positions(sheet, sheet.per_page)):
        canvas.rect(box.x, box.y, box.width, box.height)
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        canvas.line(cx - 2 * mm, cy, cx + 2 * mm, cy)
        canvas.line(cx, cy - 2 * mm, cx, cy + 2 * mm)
        size = min(9.0, box.height / 4)
        canvas.setFont(LATIN, size)
        canvas.drawString(box.x + 0.6 * size, box.y + box.height - 1.2 * size, str(n + 1))
    font = cjk_font()
    middle = sheet.page_width * mm / 2
    canvas.setFillGray(0.2)
    draw_centred(canvas, heading, middle, sheet.page_height * mm / 2 + 8, font, 12)
    size = fit_size(hint, font, sheet.page_width * mm - 20 * mm, 8.0)
    draw_centred(canvas, hint, middle, sheet.page_height * mm / 2 - 8, font, size)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
