"""Library cards (借书证) the size of a bank card (ISO/IEC 7810 ID-1, 85.6 × 54 mm), drawn into a
label box so that they print on a sheet like labels do (shuxiang.lib.labels).

A card: the school's name and logo across the top, the reader's name, class and number, an
optional photo on the right, and the card number as a Code 128 barcode along the bottom, which
the desk's scanner reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from shuxiang.lib import labels
from shuxiang.lib.labels import Box, Drawer, Sheet
from shuxiang.lib.pdf import cjk_font

PHOTO_WIDTH = 20 * mm  # a one-inch ID photo (一寸照) is 25 × 35 mm; this keeps its shape
PHOTO_HEIGHT = 28 * mm


@dataclass(frozen=True)
class Card:
    name: str
    card_number: str
    group: str  # the class (五年级(2)班), or 教师 for a teacher
    number: str = ""  # 学号 / 工号 with its word, e.g. "学号 2022050201"
    photo: Path | None = None


@dataclass(frozen=True)
class CardStyle:
    school: str
    heading: str  # 借书证, in the user's language
    logo: Path | None = None


def _image(path: Path | None) -> ImageReader | None:
    """The picture, or None when there is none or it cannot be read (a card without it)."""
    if path is None or not path.is_file():
        return None
    try:
        image = ImageReader(str(path))
        image.getSize()
    except (OSError, ValueError):
        return None
    return image


def _header(canvas: Canvas, box: Box, style: CardStyle) -> float:
    """School, logo and heading across the top; the header's height."""
    height = float(13 * mm)
    top = box.y + box.height
    logo = _image(style.logo)
    left = box.x + 3 * mm
    if logo is not None:
        canvas.drawImage(
            logo,
            left,
            top - height + 1.5 * mm,
            10 * mm,
            10 * mm,
            preserveAspectRatio=True,
            anchor="c",
            mask="auto",
        )
        left += 11 * mm
    width = box.x + box.width - 3 * mm - left
    font = cjk_font()
    middle = left + width / 2
    if style.school:
        size = labels.fit_size(style.school, font, width, 10.0)
        labels.draw_centred(canvas, style.school, middle, top - 5.2 * mm, font, size)
        labels.draw_centred(canvas, style.heading, middle, top - 10.5 * mm, font, 11.0)
    else:
        labels.draw_centred(canvas, style.heading, middle, top - 8.5 * mm, font, 14.0)
    canvas.setLineWidth(0.6)
    canvas.setStrokeColorRGB(0.13, 0.4, 0.55)
    canvas.line(box.x + 3 * mm, top - height, box.x + box.width - 3 * mm, top - height)
    return height


def draw_card(canvas: Canvas, box: Box, card: Card, style: CardStyle) -> None:
    # The outline is the cutting line: thin and grey.
    canvas.setLineWidth(0.3)
    canvas.setStrokeGray(0.6)
    canvas.roundRect(box.x, box.y, box.width, box.height, 3 * mm)
    header = _header(canvas, box, style)
    photo = _image(card.photo)
    text_right = box.x + box.width - 4 * mm
    if photo is not None:
        photo_x = box.x + box.width - 4 * mm - PHOTO_WIDTH
        photo_y = box.y + box.height - header - 2 * mm - PHOTO_HEIGHT
        canvas.drawImage(
            photo,
            photo_x,
            photo_y,
            PHOTO_WIDTH,
            PHOTO_HEIGHT,
            preserveAspectRatio=True,
            anchor="c",
            mask="auto",
        )
        text_right = photo_x - 2 * mm
    left = box.x + 5 * mm
    width = text_right - left
    font = cjk_font()
    baseline = box.y + box.height - header - 7 * mm
    canvas.setFillGray(0)
    size = labels.fit_size(card.name, font, width, 15.0)
    canvas.setFont(font, size)
    canvas.drawString(left, baseline, card.name)
    for text, size in ((card.group, 10.0), (card.number, 8.0)):
        if text:
            baseline -= size * 1.55
            canvas.setFont(font, labels.fit_size(text, font, width, size))
            canvas.drawString(left, baseline, text)
    _barcode(canvas, box, card.card_number, text_right - box.x - 2 * mm)


def _barcode(canvas: Canvas, box: Box, number: str, width: float) -> None:
    digits = 8.0
    bottom = box.y + 2.5 * mm
    labels.draw_centred(canvas, number, box.x + 2 * mm + width / 2, bottom, labels.LATIN, digits)
    bars = Box(box.page, box.x + 2 * mm, bottom + digits * 1.15, width, 9 * mm)
    labels.draw_barcode(canvas, number, labels.CODE128, bars)


def cards_pdf(
    cards: Sequence[Card], sheet: Sheet, style: CardStyle, skip: int = 0, title: str = ""
) -> bytes:
    for card in cards:
        labels.check_barcode(card.card_number, labels.CODE128)

    def drawer(card: Card) -> Drawer:
        return lambda canvas, box: draw_card(canvas, box, card, style)

    return labels.sheet_pdf(sheet, [drawer(card) for card in cards], skip, title)
