"""The work summary as a Word document, read back with python-docx, on the hand-made school
of test_figures (its numbers counted by hand there)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import time_machine
from django.test import override_settings
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm
from PIL import Image

from shuxiang.circulation.models import Term
from shuxiang.reports import charts, figures, output, periods, series
from shuxiang.reports.tests.test_figures import PERIOD_END, PERIOD_START, HandMadeSchool


def read(content: bytes) -> DocumentObject:
    return Document(BytesIO(content))


def cells(document: DocumentObject, header: list[str]) -> list[list[str]]:
    """The text of the table whose first row is `header`."""
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows[0] == header:
            return rows
    raise AssertionError(f"no table headed {header}")


def pictures(document: DocumentObject) -> list[bytes]:
    """The embedded pictures, in the document's order."""
    blobs = []
    for shape in document.inline_shapes:
        ref = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        blobs.append(document.part.related_parts[ref].blob)
    return blobs


@time_machine.travel(datetime(2027, 2, 10, 2, tzinfo=UTC), tick=False)
class WorkSummaryDocumentTest(HandMadeSchool):
    def document(self, *, compare: bool = False) -> DocumentObject:
        result = self.figures()
        changes = None
        if compare:
            changes = figures.compare(result, figures.term_figures(result.period.previous(), top=2))
        return read(output.to_docx(result, changes))

    @override_settings(SHUXIANG_SCHOOL_NAME="书香小学")
    def test_it_is_titled_with_the_school_and_the_term(self) -> None:
        Term.objects.create(
            name="2026—2027学年第一学期", starts_on=PERIOD_START, ends_on=PERIOD_END
        )
        term = periods.term_of(date(2026, 10, 1))
        document = read(output.to_docx(figures.term_figures(term)))
        heading = document.paragraphs[0]
        self.assertEqual(heading.text, "书香小学2026—2027学年第一学期图书馆工作总结（数据部分）")
        self.assertEqual(heading.style.name if heading.style else "", "Title")
        self.assertEqual(document.paragraphs[1].text, "统计时段：2026年9月1日至2027年1月15日")
        self.assertEqual(document.core_properties.title, heading.text)

    def test_it_writes_the_summary_sentences_with_the_schools_numbers(self) -> None:
        text = "\n".join(p.text for p in self.document().paragraphs)
        self.assertIn("全校共借出图书 9 册次，其中学生借书 7 册次，在籍学生 8 人", text)
        self.assertIn("生均借书 0.88 册，借书覆盖率 50.0%", text)
        self.assertIn("阅览室阅览 2 册次，班级图书角借出 3 册，续借 2 次", text)
        self.assertIn("期末馆藏 8 册，流通率 150.0%", text)

    def test_it_mentions_the_books_withdrawn_only_when_there_were_some(self) -> None:
        text = "\n".join(p.text for p in self.document().paragraphs)
        self.assertIn("本期新增图书 4 册，其中捐赠 1 册。", text)
        self.assertNotIn("注销", text)
        self.items["B3"].withdrawn_on = date(2026, 12, 1)  # withdrawn during the term
        self.items["B3"].save(update_fields=["withdrawn_on"])
        document = self.document()
        text = "\n".join(p.text for p in document.paragraphs)
        self.assertIn("本期新增图书 4 册，其中捐赠 1 册，注销旧书 1 册。", text)
        self.assertIn(["注销图书（册）", "1"], cells(document, ["指标", "数值"]))

    def test_it_writes_the_headline_and_class_tables_with_numbers_right_aligned(self) -> None:
        document = self.document()
        headline = cells(document, ["指标", "数值"])
        self.assertIn(["在籍学生数", "8"], headline)
        self.assertIn(["借书覆盖率", "50.0%"], headline)
        classes = cells(document, output.CLASS_HEADER)
        self.assertEqual(classes[1], ["三年级(1)班", "3", "4", "2", "1.33", "66.7%", "1"])
        table = next(t for t in document.tables if t.rows[0].cells[0].text == "班级")
        first = table.rows[1].cells
        self.assertEqual(first[0].paragraphs[0].alignment, WD_ALIGN_PARAGRAPH.LEFT)
        self.assertEqual(first[4].paragraphs[0].alignment, WD_ALIGN_PARAGRAPH.RIGHT)
        self.assertEqual(table.style.name if table.style else "", "Table Grid")  # borders

    def test_it_writes_every_table_of_the_report(self) -> None:
        document = self.document()
        stars = cells(document, ["年级", "读者编号", "姓名", "班级", "借书册次"])
        self.assertEqual(stars[1][2:], ["学生s1", "三年级(1)班", "3"])
        popular = cells(document, ["名次", "书名", "借阅册次"])
        self.assertEqual(popular[1], ["1", "西游记", "5"])  # A1 twice, A2 twice, A3
        ranked = cells(document, ["名次", *output.CLASS_HEADER])
        self.assertEqual(ranked[1][:2], ["1", "三年级(1)班"])
        main = cells(document, ["大类", "类名", "借阅册次"])
        self.assertEqual([row[0] for row in main[1:]], ["I", "Q", "Z"])
        headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 1"]
        self.assertEqual(
            headings,
            ["一、总体情况", "二、主要指标", "三、图表", "四、班级借阅", "五、最爱读书班级"]
            + ["六、阅读之星", "七、热门图书", "八、按中图法大类借阅"],
        )

    def test_it_adds_the_comparison_when_given(self) -> None:
        document = self.document(compare=True)
        rows = cells(document, ["指标", "本期", "上期", "变化"])
        self.assertIn(["学生借书册次", "7", "2", "+5"], rows)
        self.assertNotIn("本期", [t.rows[0].cells[1].text for t in self.document().tables])

    def test_it_embeds_the_four_charts_as_png_pictures(self) -> None:
        document = self.document()
        blobs = pictures(document)
        self.assertEqual(len(blobs), 4)
        for blob in blobs:
            with Image.open(BytesIO(blob)) as image:
                self.assertEqual(image.format, "PNG")
        result = self.figures()
        self.assertEqual(
            blobs,
            [
                charts.loans_per_week(series.loans_per_week(result.period)),
                charts.loans_per_class(result.classes),
                charts.loans_by_main_class(result.loans_by_main_class),
                charts.collection_structure(series.collection_by_main_class()),
            ],
        )
        self.assertEqual({round(s.width / Cm(1), 1) for s in document.inline_shapes}, {15.0})

    def test_it_sets_a4_and_chinese_fonts_for_east_asian_text(self) -> None:
        document = self.document()
        section = document.sections[0]
        size = (section.page_width, section.page_height)
        self.assertEqual(tuple(round(side.mm) for side in size if side), (210, 297))
        for style, font in (("Normal", "宋体"), ("Heading 1", "黑体"), ("Title", "黑体")):
            fonts = document.styles[style].element.rPr.rFonts
            self.assertEqual(fonts.get(qn("w:eastAsia")), font)
            self.assertIsNone(fonts.get(qn("w:eastAsiaTheme")))  # would win over the font
