"""shuxiang.lib.pdf: the printable table documents (tested here, beside their main user)."""

from __future__ import annotations

import base64
import re
import zlib

from django.test import SimpleTestCase

from shuxiang.lib.pdf import FONT_FILE, TableDocument, table_pdf


def _streams(pdf: bytes) -> list[bytes]:
    """Every stream of a reportlab PDF, decompressed (reportlab writes Flate, some ASCII85)."""
    out = []
    for m in re.finditer(rb"/Filter \[ ([^\]]*)\] /Length (\d+)\s*>>\s*stream\r?\n", pdf):
        data = pdf[m.end() : m.end() + int(m.group(2))]
        if b"ASCII85" in m.group(1):
            data = base64.a85decode(data.strip(), adobe=True)
        out.append(zlib.decompress(data))
    return out


def pdf_text(pdf: bytes) -> bytes:
    return b"\n".join(_streams(pdf))


def unicode_map(pdf: bytes) -> set[str]:
    """The characters that the embedded font subsets map to (their ToUnicode tables): what a
    reader's PDF viewer can show, copy and search."""
    chars: set[str] = set()
    for stream in _streams(pdf):
        if b"beginbfchar" in stream:
            for code in re.findall(rb"<[0-9A-F]{2}> <([0-9A-F]{4})>", stream):
                chars.add(chr(int(code, 16)))
    return chars


class TablePdfTests(SimpleTestCase):
    def document(self, rows: int) -> bytes:
        return table_pdf(
            TableDocument(
                title="三年级(2)班 超期图书催还单 2026-11-23",
                subtitle=f"共 {rows} 册",
                headers=["学号", "姓名", "题名", "超期天数"],
                rows=[["0024", "李博", "《窗边的小豆豆》", str(n)] for n in range(rows)],
                widths=(2, 2, 6, 1.5),
                right_aligned=frozenset({3}),
                page_label="第 %(page)d 页，共 %(pages)d 页",
            )
        )

    def test_it_ships_the_font_with_its_licence(self) -> None:
        self.assertTrue(FONT_FILE.is_file())
        self.assertTrue((FONT_FILE.parent / "LICENSE-Apache-2.0.txt").is_file())
        self.assertIn("Apache-2.0", (FONT_FILE.parent / "COPYRIGHT-wqy-microhei.txt").read_text())

    def test_it_makes_an_a4_pdf_with_the_chinese_font_embedded(self) -> None:
        pdf = self.document(3)
        self.assertTrue(pdf.startswith(b"%PDF-1."))
        self.assertIn(b"/MediaBox [ 0 0 595.2756 841.8898 ]", pdf)  # A4 in points
        self.assertRegex(pdf, rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei")
        self.assertIn(b"/FontFile2", pdf)
        self.assertLessEqual(
            set("三年级班超期图书催还单李博窗边的小豆豆《》学号"), unicode_map(pdf)
        )

    def test_it_numbers_the_pages_out_of_the_total(self) -> None:
        pdf = self.document(120)
        pages = len(re.findall(rb"/Type /Page\b", pdf))
        self.assertGreater(pages, 2)
        self.assertLessEqual(set("第页共"), unicode_map(pdf))
        # The footer line at the foot of each page: its Chinese glyphs are subset codes
        # (octal escapes), its digits plain ASCII: "第 1 页，共 5 页" reads "\001 1 \002… 5 \002".
        footers = re.findall(rb"21\.25984 Tm /F\S+ 9 Tf [\d.]+ TL \((.*?)\) Tj", pdf_text(pdf))
        numbers = [re.findall(rb"\d+", re.sub(rb"\\\d{3}", b"|", f)) for f in footers]
        expected = [[str(n).encode(), str(pages).encode()] for n in range(1, pages + 1)]
        self.assertEqual(numbers, expected)

    def test_it_keeps_markup_characters_as_text(self) -> None:
        pdf = table_pdf(TableDocument(title="A < B & C", headers=["<b>"], rows=[["x & y"]]))
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertLessEqual(set("<>&"), unicode_map(pdf))

    def test_it_says_so_when_the_table_is_empty(self) -> None:
        pdf = table_pdf(
            TableDocument(title="标题", headers=["a"], rows=[], empty_text="没有超期的书。")
        )
        self.assertLessEqual(set("没有超期的书"), unicode_map(pdf))
