"""shuxiang.lib.labels: sheets, positions and the labels drawn on them, read back as a scanner
and a PDF viewer would: the page rendered at 300 dpi and its barcodes decoded (zxing-cpp), its
text extracted (pdfium), which proves the Chinese font is embedded and maps to the right
characters."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import zxingcpp
from django.test import SimpleTestCase
from reportlab.lib.units import mm  # type: ignore[import-untyped]

from shuxiang.lib import labels
from shuxiang.lib.labels import ItemLabel, LabelError, LabelStyle, Sheet

DPI = 300
SCHOOL = "海淀区实验小学"


def pages(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def render(pdf: bytes, page: int = 0) -> Any:
    return pdfium.PdfDocument(pdf)[page].render(scale=DPI / 72).to_pil()


def decode(pdf: bytes, page: int = 0) -> list[tuple[str, str]]:
    """(symbology, text) of every barcode found on the page, top to bottom, left to right."""
    found = zxingcpp.read_barcodes(render(pdf, page))
    found = sorted(found, key=lambda r: (r.position.top_left.y // 50, r.position.top_left.x))
    return [(str(r.format), r.text) for r in found]


def page_text(pdf: bytes, page: int = 0) -> str:
    return str(pdfium.PdfDocument(pdf)[page].get_textpage().get_text_range())


def text_lines(pdf: bytes, page: int = 0) -> list[str]:
    """The page's text a line at a time, top down: characters grouped by their baseline."""
    textpage = pdfium.PdfDocument(pdf)[page].get_textpage()
    rows: dict[int, list[tuple[float, str]]] = {}
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if char.strip():
            left, bottom, _right, _top = textpage.get_charbox(index)
            rows.setdefault(round(bottom), []).append((left, char))
    return ["".join(c for _x, c in sorted(rows[y])) for y in sorted(rows, reverse=True)]


def char_height(pdf: bytes) -> float:
    """The height of the first character's box on the first page, in points."""
    _left, bottom, _right, top = pdfium.PdfDocument(pdf)[0].get_textpage().get_charbox(0)
    return float(top - bottom)


def make_labels(n: int, first: int = 1) -> list[ItemLabel]:
    return [
        ItemLabel(f"T{k:04d}", f"I287.45/{k}", f"西游记第{k}册") for k in range(first, first + n)
    ]


class SheetTests(SimpleTestCase):
    def test_each_preset_fits_on_its_page(self) -> None:
        for preset in labels.PRESETS.values():
            with self.subTest(preset.key):
                preset.sheet.check()

    def test_the_avery_l7651_preset_holds_65_labels(self) -> None:
        self.assertEqual(labels.PRESETS["avery-l7651"].sheet.per_page, 65)
        self.assertEqual(labels.PRESETS["avery-l7160"].sheet.per_page, 21)
        self.assertEqual(labels.PRESETS["cards-2x5"].sheet.per_page, 10)

    def test_it_refuses_labels_wider_than_the_page(self) -> None:
        with self.assertRaises(LabelError) as caught:
            Sheet(rows=2, columns=3, label_width=70, label_height=30, left=5).check()
        self.assertEqual(caught.exception.code, "sheet_too_wide")
        self.assertEqual(caught.exception.params, {"needed": 215.0, "page": 210.0})

    def test_it_refuses_labels_taller_than_the_page(self) -> None:
        with self.assertRaises(LabelError) as caught:
            Sheet(rows=14, columns=1, label_width=70, label_height=21.2, top=10).check()
        self.assertEqual(caught.exception.code, "sheet_too_tall")


class PositionTests(SimpleTestCase):
    sheet = Sheet(rows=2, columns=3, label_width=60, label_height=30, top=10, left=5, h_gap=5)

    def test_it_runs_across_then_down_from_the_top_left(self) -> None:
        boxes = list(labels.positions(self.sheet, 4))
        self.assertEqual([round(b.x / mm, 3) for b in boxes], [5, 70, 135, 5])
        # y from the bottom of the page: 297 - 10 - 30 for the first row, 30 lower for the next.
        self.assertEqual([round(b.y / mm, 3) for b in boxes], [257, 257, 257, 227])
        self.assertEqual({b.page for b in boxes}, {0})

    def test_a_start_position_skips_the_used_labels(self) -> None:
        boxes = list(labels.positions(self.sheet, 3, skip=4))
        self.assertEqual([(b.page, round(b.x / mm)) for b in boxes], [(0, 70), (0, 135), (1, 5)])

    def test_labels_run_on_to_further_pages(self) -> None:
        boxes = list(labels.positions(self.sheet, 13))
        self.assertEqual([b.page for b in boxes].count(2), 1)

    def test_a_start_beyond_the_sheet_is_refused(self) -> None:
        with self.assertRaises(LabelError) as caught:
            list(labels.positions(self.sheet, 1, skip=6))
        self.assertEqual(caught.exception.params, {"start": 7, "last": 6})


class SpineLineTests(SimpleTestCase):
    def test_it_puts_class_number_and_book_number_on_two_lines(self) -> None:
        self.assertEqual(labels.spine_lines("I287.45/12"), ["I287.45", "12"])

    def test_a_volume_goes_on_a_third_line(self) -> None:
        self.assertEqual(labels.spine_lines("I287.45/12:2"), ["I287.45", "12", "2"])
        self.assertEqual(labels.spine_lines("I287.45/12 v.2"), ["I287.45", "12", "v.2"])
        self.assertEqual(labels.spine_lines("K825.6/3v.1"), ["K825.6", "3", "v.1"])

    def test_a_class_number_alone_is_one_line(self) -> None:
        self.assertEqual(labels.spine_lines("I242.4"), ["I242.4"])
        self.assertEqual(labels.spine_lines(""), [])


class DrawnLabelTests(SimpleTestCase):
    sheet = labels.PRESETS["avery-l7651"].sheet

    def test_barcode_labels_scan_back_as_code_128(self) -> None:
        style = LabelStyle(school=SCHOOL, symbology=labels.CODE128, show_title=True)
        pdf = labels.labels_pdf("barcode", make_labels(7), self.sheet, style)
        self.assertEqual(decode(pdf), [("Code 128", f"T{k:04d}") for k in range(1, 8)])
        text = page_text(pdf)
        self.assertIn(SCHOOL, text)
        self.assertIn("西游记第7册", text)
        self.assertIn("T0007", text)  # the human-readable number under the bars

    def test_barcode_labels_scan_back_as_code_39(self) -> None:
        style = LabelStyle(school=SCHOOL, symbology=labels.CODE39)
        pdf = labels.labels_pdf("barcode", make_labels(5, first=95), self.sheet, style)
        self.assertEqual(decode(pdf), [("Code 39", f"T{k:04d}") for k in range(95, 100)])

    def test_spine_labels_carry_the_call_number_and_the_school(self) -> None:
        items = [ItemLabel("T0001", "I287.45/12:2")]
        pdf = labels.labels_pdf("spine", items, self.sheet, LabelStyle(school=SCHOOL))
        self.assertEqual(text_lines(pdf), [SCHOOL, "I287.45", "12", "2"])
        self.assertEqual(decode(pdf), [])

    def test_spine_text_is_as_large_as_the_label_allows(self) -> None:
        two = labels.labels_pdf("spine", [ItemLabel("T1", "K825.6/3")], self.sheet, LabelStyle())
        three = labels.labels_pdf(
            "spine", [ItemLabel("T1", "K825.6/3:1")], self.sheet, LabelStyle()
        )
        self.assertGreater(char_height(two), char_height(three))
        # Two lines of bold digits fill more than a third of a 21.2 mm label's height.
        self.assertGreater(char_height(two), 21.2 * mm / 3 * 0.6)

    def test_combined_labels_have_both(self) -> None:
        sheet = labels.PRESETS["avery-l7160"].sheet
        style = LabelStyle(school=SCHOOL, symbology=labels.CODE39)
        pdf = labels.labels_pdf("combined", make_labels(2), sheet, style)
        self.assertEqual(decode(pdf), [("Code 39", "T0001"), ("Code 39", "T0002")])
        # Two labels side by side: each line holds the text of both.
        lines = text_lines(pdf)
        self.assertIn(SCHOOL * 2, lines)
        self.assertIn("I287.45I287.45", lines)
        self.assertIn("T0001T0002", lines)

    def test_a_start_position_leaves_the_used_places_blank(self) -> None:
        sheet = Sheet(rows=2, columns=2, label_width=100, label_height=40, top=20, left=5)
        pdf = labels.labels_pdf("barcode", make_labels(4), sheet, LabelStyle(), skip=3)
        self.assertEqual(pages(pdf), 2)
        self.assertEqual(decode(pdf, 0), [("Code 128", "T0001")])
        self.assertEqual(decode(pdf, 1), [("Code 128", f"T{k:04d}") for k in (2, 3, 4)])
        # The one label on the first page is in the last place: bottom right.
        image = render(pdf, 0)
        found = zxingcpp.read_barcodes(image)[0].position.top_left
        self.assertGreater(found.x, image.width / 2)
        self.assertGreater(found.y, 60 / 25.4 * DPI)  # below the first row, 20 + 40 mm down

    def test_code_39_refuses_a_barcode_it_cannot_carry(self) -> None:
        with self.assertRaises(LabelError) as caught:
            labels.labels_pdf(
                "barcode", [ItemLabel("t0001", "")], self.sheet, LabelStyle(symbology="code39")
            )
        self.assertEqual(caught.exception.code, "code39_chars")

    def test_a_barcode_too_long_for_the_label_is_refused(self) -> None:
        sheet = Sheet(rows=1, columns=1, label_width=20, label_height=15)
        with self.assertRaises(LabelError) as caught:
            labels.labels_pdf("barcode", make_labels(1), sheet, LabelStyle(symbology="code39"))
        self.assertEqual(caught.exception.code, "barcode_too_long")

    def test_the_alignment_page_numbers_every_place(self) -> None:
        pdf = labels.alignment_pdf(self.sheet, "对齐测试页", "实际大小打印")
        text = page_text(pdf).split()
        self.assertEqual([t for t in text if t.isdigit()], [str(n) for n in range(1, 66)])
        self.assertIn("对齐测试页", text)
