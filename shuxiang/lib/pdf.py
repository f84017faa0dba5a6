"""Printable PDF documents: a title, one table, page numbers, in a Chinese font.

The font (WenQuanYi Micro Hei 文泉驿微米黑, Apache-2.0, see fonts/) ships with the product and
is embedded, subset, in every document, so the PDF prints the same on any school PC, with no
internet and no Chinese font installed. It has TrueType outlines, which reportlab needs (the
Noto CJK fonts most systems carry are CFF and cannot be embedded by it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILE = FONT_DIR / "wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"
MARGIN = 15 * mm
PADDING = 4  # points, left and right of each table cell


@functools.cache
def cjk_font() -> str:
    """Register the bundled Chinese font once per process; its name for styles."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    return FONT_NAME


@dataclass
class TableDocument:
    """One A4 page or more: title, optional subtitle, a table whose header repeats on every
    page, and "page n of m" at the foot (page_label takes %(page)d and %(pages)d)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    subtitle: str = ""
    # Relative widths of the columns; equal widths when empty.
    widths: Sequence[float] = field(default_factory=tuple)
    right_aligned: frozenset[int] = frozenset()
    page_label: str = "%(page)d / %(pages)d"
    empty_text: str = ""


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # wordWrap="CJK" breaks lines between any two Chinese characters, as Chinese is set.
    base = ParagraphStyle("cell", fontName=font, fontSize=9.5, leading=12, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, spaceAfter=3 * mm),
        "head": ParagraphStyle("head", parent=base, fontSize=9.5),
        "cell": base,
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def _numbered_canvas(label: str, font: str) -> type[Canvas]:
    """A canvas that holds its pages back until the end, so each can say "of m"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 9)
                text = label % {"page": self._pageNumber, "pages": total}
                self.drawCentredString(A4[0] / 2, MARGIN / 2, text)
                super().showPage()
            super().save()

    return NumberedCanvas


def table_pdf(doc: TableDocument) -> bytes:
    font = cjk_font()
    styles = _styles(font)
    out = BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=doc.title,
        creator="Shuxiang",
    )
    story: list[Any] = [Paragraph(escape(doc.title), styles["title"])]
    if doc.subtitle:
        story.append(Paragraph(escape(doc.subtitle), styles["subtitle"]))
    if doc.rows:
        story.append(_table(doc, styles, template.width))
    elif doc.empty_text:
        story += [Spacer(1, 4 * mm), Paragraph(escape(doc.empty_text), styles["cell"])]
    template.build(story, canvasmaker=_numbered_canvas(doc.page_label, font))
    return out.getvalue()


def _table(doc: TableDocument, styles: dict[str, ParagraphStyle], width: float) -> Table:
    weights = list(doc.widths) or [1.0] * len(doc.headers)
    col_widths = [width * w / sum(weights) for w in weights]
    cell_style = styles["cell"]

    def cell(text: str, column: int) -> str | Paragraph:
        # Text that fits on one line stays a plain string: a Paragraph per cell costs ten
        # times as much, and a whole school's list has thousands of cells.
        room = col_widths[column] - 2 * PADDING
        if stringWidth(text, cell_style.fontName, cell_style.fontSize) <= room:
            return text
        style = styles["right"] if column in doc.right_aligned else cell_style
        return Paragraph(escape(text), style)

    data: list[list[str | Paragraph]] = [
        [Paragraph(escape(h), styles["head"]) for h in doc.headers]
    ]
    data += [[cell(str(v), i) for i, v in enumerate(row)] for row in doc.rows]
    table = Table(data, colWidths=col_widths, repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), cell_style.fontName, cell_style.fontSize),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    commands += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in doc.right_aligned]
    table.setStyle(TableStyle(commands))
    return table
