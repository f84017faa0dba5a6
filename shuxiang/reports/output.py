"""The term figures as JSON (the DESIGN contract), Markdown and Word for the 工作总结, and Excel.

The JSON keys `students`, `student_loans`, `loans_per_student`, `coverage`,
`circulation_rate`, `reading_room_uses` and `classes` ({"class", "students", "loans",
"loans_per_student", "coverage"}) are an outside contract: keep them.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from io import BytesIO
from typing import Any

from django.conf import settings
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from PIL import Image

from shuxiang.reports import charts, series
from shuxiang.reports.figures import Change, ClassFigures, TermFigures

HEADLINE_KEYS = [
    "students",
    "student_loans",
    "student_borrowers",
    "loans_per_student",
    "coverage",
    "card_issue_rate",
    "teachers",
    "teacher_loans",
    "teacher_borrowers",
    "loans_per_teacher",
    "teacher_coverage",
    "other_loans",
    "renewals",
    "class_corner_loans",
    "reading_room_uses",
    "teacher_reading_room_uses",
    "items_held",
    "circulation_rate",
    "new_items",
    "donations",
    "withdrawn",
    "class_gap",
]

# The Chinese name of each figure, for the tables and the spreadsheet.
NAMES = {
    "students": "在籍学生数",
    "student_loans": "学生借书册次",
    "student_borrowers": "借过书的学生数",
    "loans_per_student": "生均借书（册）",
    "coverage": "借书覆盖率",
    "card_issue_rate": "发证率",
    "teachers": "教师数",
    "teacher_loans": "教师借书册次",
    "teacher_borrowers": "借过书的教师数",
    "loans_per_teacher": "教师人均借书（册）",
    "teacher_coverage": "教师借书覆盖率",
    "other_loans": "其他读者借书册次",
    "renewals": "续借次数",
    "class_corner_loans": "班级图书角借出册数",
    "reading_room_uses": "阅览室阅览册次",
    "teacher_reading_room_uses": "教师阅览室阅览册次",
    "items_held": "馆藏册数（期末）",
    "circulation_rate": "流通率",
    "new_items": "新增图书（册）",
    "donations": "捐赠图书（册）",
    "withdrawn": "注销图书（册）",
    "class_gap": "班级生均借书差距（册）",
}
PERCENT = {"coverage", "card_issue_rate", "teacher_coverage", "circulation_rate"}


def _class(row: ClassFigures) -> dict[str, Any]:
    return {
        "class": row.label,
        "class_id": row.class_id,
        "grade": row.grade,
        "students": row.students,
        "loans": row.loans,
        "borrowers": row.borrowers,
        "loans_per_student": row.loans_per_student,
        "coverage": row.coverage,
        "overdue": row.overdue,
    }


def to_json(figures: TermFigures, changes: list[Change] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "period": {
            "start": figures.period.start.isoformat(),
            "end": figures.period.end.isoformat(),
            "label": figures.period.label,
            "kind": figures.period.kind,
        }
    }
    data |= {key: getattr(figures, key) for key in HEADLINE_KEYS}
    data["classes"] = [_class(row) for row in figures.classes]
    data["top_classes"] = [_class(row) for row in figures.top_classes]
    data["reading_stars"] = [
        {
            "grade": s.grade,
            "grade_label": s.grade_label,
            "patron_id": s.patron_id,
            "name": s.name,
            "class": s.class_label,
            "loans": s.loans,
        }
        for s in figures.reading_stars
    ]
    data["popular_titles"] = [asdict(t) for t in figures.popular_titles]
    data["loans_by_main_class"] = [asdict(m) for m in figures.loans_by_main_class]
    if changes is not None:
        data["changes"] = [asdict(c) for c in changes]
    return data


# ----------------------------------------------------------------------------- Markdown


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def show(key: str, value: float) -> str:
    return percent(value) if key in PERCENT else number(value)


def summary_sentences(f: TermFigures) -> str:
    """The paragraph a librarian pastes into the 工作总结."""
    lent = f.student_loans + f.teacher_loans + f.other_loans
    text = (
        f"{f.period.label}，全校共借出图书 {lent} 册次，"
        f"其中学生借书 {f.student_loans} 册次，在籍学生 {f.students} 人，"
        f"生均借书 {number(f.loans_per_student)} 册，借书覆盖率 {percent(f.coverage)}；"
        f"教师借书 {f.teacher_loans} 册次，教师人均借书 {number(f.loans_per_teacher)} 册。"
        f"阅览室阅览 {f.reading_room_uses} 册次，班级图书角借出 {f.class_corner_loans} 册，"
        f"续借 {f.renewals} 次（续借不计入借书册次）。"
        f"期末馆藏 {f.items_held} 册，流通率 {percent(f.circulation_rate)}；"
        f"本期新增图书 {f.new_items} 册，其中捐赠 {f.donations} 册"
    )
    # A term without withdrawals is the usual case; "注销旧书 0 册" would read oddly.
    text += f"，注销旧书 {f.withdrawn} 册。" if f.withdrawn else "。"
    if f.top_classes:
        best = f.top_classes[0]
        text += (
            f"生均借书最多的班级是{best.label}（{number(best.loans_per_student)} 册），"
            f"最高与最低班级相差 {number(f.class_gap)} 册。"
        )
    return text


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def to_markdown(figures: TermFigures, changes: list[Change] | None = None) -> str:
    lines = [f"# {figures.period.label}图书馆统计", "", summary_sentences(figures), ""]
    lines += ["## 主要指标", ""]
    lines += _table(["指标", "数值"], _headline_rows(figures))
    if changes:
        lines += ["", "## 与上期比较", ""]
        lines += _table(["指标", "本期", "上期", "变化"], _change_rows(changes))
    for title, (header, rows) in _tables(figures).items():
        lines += ["", f"## {title}", ""]
        lines += _table(header, rows) if rows else ["（无）"]
    return "\n".join(lines) + "\n"


def _headline_rows(f: TermFigures) -> list[list[Any]]:
    return [[NAMES[key], show(key, getattr(f, key))] for key in HEADLINE_KEYS]


def _change_rows(changes: list[Change]) -> list[list[Any]]:
    return [
        [
            NAMES[c.figure],
            show(c.figure, c.current),
            show(c.figure, c.previous),
            difference(c.figure, c.change),
        ]
        for c in changes
    ]


def difference(figure: str, change: float) -> str:
    """+3, -0.5; a change of a rate in percentage points (个百分点), as reports write it."""
    if figure in PERCENT:
        return f"{change * 100:+.1f} 个百分点"
    return ("+" if change > 0 else "") + number(change)


def _class_rows(rows: list[ClassFigures]) -> list[list[Any]]:
    return [
        [
            c.label,
            c.students,
            c.loans,
            c.borrowers,
            number(c.loans_per_student),
            percent(c.coverage),
            c.overdue,
        ]
        for c in rows
    ]


CLASS_HEADER = ["班级", "学生数", "借书册次", "借过书的学生", "生均借书", "覆盖率", "期末超期"]


def _tables(f: TermFigures) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each table of the report: its title, header and rows (shared by Markdown and Excel)."""
    ranked = [[i + 1, *row] for i, row in enumerate(_class_rows(f.top_classes))]
    return {
        "班级借阅": (CLASS_HEADER, _class_rows(f.classes)),
        "最爱读书班级": (["名次", *CLASS_HEADER], ranked),
        "阅读之星": (
            ["年级", "读者编号", "姓名", "班级", "借书册次"],
            [[s.grade_label, s.patron_id, s.name, s.class_label, s.loans] for s in f.reading_stars],
        ),
        "热门图书": (
            ["名次", "书名", "借阅册次"],
            [[i + 1, t.title, t.loans] for i, t in enumerate(f.popular_titles)],
        ),
        "按中图法大类借阅": (
            ["大类", "类名", "借阅册次"],
            [[m.code, m.name, m.loans] for m in f.loans_by_main_class],
        ),
    }


# ----------------------------------------------------------------------------- Excel


def to_xlsx(figures: TermFigures, changes: list[Change] | None = None) -> bytes:
    """One sheet per table; numbers stay numbers so the librarian can chart them."""
    return _workbook(figures, _sheets(figures, changes))


def table_to_xlsx(figures: TermFigures, title: str, changes: list[Change] | None = None) -> bytes:
    """One table of the report (its sheet's title, e.g. 班级借阅) as a workbook of one sheet."""
    sheets = _sheets(figures, changes)
    if title not in sheets:
        raise KeyError(title)
    return _workbook(figures, {title: sheets[title]})


def _sheets(
    figures: TermFigures, changes: list[Change] | None
) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each sheet's header and rows, as numbers (ratios 0–1), in the workbook's order."""
    sheets = {
        "主要指标": (["指标", "数值"], [[NAMES[k], getattr(figures, k)] for k in HEADLINE_KEYS])
    }
    if changes:
        sheets["与上期比较"] = (
            ["指标", "本期", "上期", "变化"],
            [[NAMES[c.figure], c.current, c.previous, c.change] for c in changes],
        )
    sheets["班级借阅"] = (CLASS_HEADER, _class_numbers(figures.classes))
    sheets["最爱读书班级"] = (
        ["名次", *CLASS_HEADER],
        [[i + 1, *row] for i, row in enumerate(_class_numbers(figures.top_classes))],
    )
    tables = _tables(figures)
    for title in ("阅读之星", "热门图书", "按中图法大类借阅"):
        sheets[title] = tables[title]
    return sheets


def _workbook(figures: TermFigures, sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    book = Workbook()
    blank = book.active
    assert blank is not None  # a new workbook always has its first sheet
    book.remove(blank)
    for title, (header, rows) in sheets.items():
        sheet = _sheet(book, title, header, rows)
        if title == "主要指标":  # which period, above the figures
            sheet.insert_rows(1)
            period = figures.period
            for column, value in enumerate([period.label, period.start, period.end], start=1):
                sheet.cell(row=1, column=column, value=value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _class_numbers(rows: list[ClassFigures]) -> list[list[Any]]:
    return [
        [c.label, c.students, c.loans, c.borrowers, c.loans_per_student, c.coverage, c.overdue]
        for c in rows
    ]


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Any:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for i, _name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = 14
    return sheet


# ----------------------------------------------------------------------------- Word

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
CHART_WIDTH = Cm(15)
CHART_MAX_HEIGHT = Cm(22)  # the per-class chart of a big school stays on one page
# Cells written as numbers: 12, 0.88, 50.0%, +5, -0.5 个百分点.
NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?%?( 个百分点)?$")


def docx_title(figures: TermFigures) -> str:
    """实验小学2026—2027学年第一学期图书馆工作总结（数据部分）; no school name when none is set."""
    school = str(getattr(settings, "SHUXIANG_SCHOOL_NAME", "") or "")
    return f"{school}{figures.period.label}图书馆工作总结（数据部分）"


def to_docx(figures: TermFigures, changes: list[Change] | None = None) -> bytes:
    """The 工作总结's data part as a Word document: sentences, tables and the four charts.

    A4, 宋体 body and 黑体 headings (set for East Asian text, so Word and WPS do not fall
    back to a Latin font), bordered tables with the numbers right-aligned.
    """
    document = Document()
    _page_and_fonts(document)
    _title(document, figures)
    numbers = iter("一二三四五六七八九十")

    def section(name: str) -> None:
        document.add_heading(f"{next(numbers)}、{name}", level=1)

    section("总体情况")
    summary = document.add_paragraph(summary_sentences(figures))
    summary.paragraph_format.first_line_indent = Pt(24)  # two characters, as Chinese is set
    section("主要指标")
    _docx_table(document, ["指标", "数值"], _headline_rows(figures))
    if changes:
        section("与上期比较")
        _docx_table(document, ["指标", "本期", "上期", "变化"], _change_rows(changes))
    section("图表")
    for n, (caption, png) in enumerate(_charts(figures), start=1):
        _picture(document, png)
        document.add_paragraph(f"图{n}　{caption}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name, (header, rows) in _tables(figures).items():
        section(name)
        if rows:
            _docx_table(document, header, rows)
        else:
            document.add_paragraph("（无）")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _title(document: DocumentObject, figures: TermFigures) -> None:
    title = docx_title(figures)
    document.core_properties.title = title
    document.core_properties.author = "书香图书馆系统"
    document.add_heading(title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    period = figures.period
    span = document.add_paragraph(f"统计时段：{_day(period.start)}至{_day(period.end)}")
    span.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _charts(figures: TermFigures) -> list[tuple[str, bytes]]:
    """The four pictures with their captions; the series counted here from the period."""
    return [
        ("每周借书与阅览册次", charts.loans_per_week(series.loans_per_week(figures.period))),
        ("各班生均借书", charts.loans_per_class(figures.classes)),
        ("按中图法大类借阅册次", charts.loans_by_main_class(figures.loans_by_main_class)),
        (
            "藏书结构（当前馆藏，按中图法大类）",
            charts.collection_structure(series.collection_by_main_class()),
        ),
    ]


def _picture(document: DocumentObject, png: bytes) -> None:
    """15 cm wide, or shorter than a page when the picture is tall (a school of 60 classes)."""
    with Image.open(BytesIO(png)) as image:
        width, height = image.size
    if CHART_WIDTH * height / width > CHART_MAX_HEIGHT:
        document.add_picture(BytesIO(png), height=CHART_MAX_HEIGHT)
    else:
        document.add_picture(BytesIO(png), width=CHART_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _east_asian(style: Any, font: str) -> None:
    """Word picks the font of Chinese text from rFonts w:eastAsia, not from font.name; the
    template's theme fonts (w:eastAsiaTheme …) would override it, so they go."""
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for name in [n for n in fonts.attrib if n.lower().endswith("theme")]:
        del fonts.attrib[name]
    fonts.set(qn("w:eastAsia"), font)


def _page_and_fonts(document: DocumentObject) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    body = document.styles["Normal"]
    body.font.name = LATIN_FONT
    body.font.size = Pt(12)  # 小四
    _east_asian(body, BODY_FONT)
    for name, size in (("Title", 18), ("Heading 1", 14)):
        style = document.styles[name]
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)  # prints black
        _east_asian(style, HEADING_FONT)
    title_style = document.styles["Title"].element.pPr
    if title_style is not None and title_style.find(qn("w:pBdr")) is not None:
        title_style.remove(title_style.find(qn("w:pBdr")))  # the template's blue rule


def _docx_table(document: DocumentObject, header: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    _repeat_as_header(head)
    for cell, text in zip(head.cells, header, strict=True):
        _write(cell, text, bold=True, right=False)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            text = str(value)
            _write(cell, text, bold=False, right=bool(NUMERIC.match(text)))
    document.add_paragraph()


def _write(cell: Any, text: str, *, bold: bool, right: bool) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(10.5)  # 五号, the size of Chinese report tables
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    if bold:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _repeat_as_header(row: Any) -> None:
    """The header row repeats at the top of each page a long table runs onto."""
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)
