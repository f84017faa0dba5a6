"""The term figures as JSON (the DESIGN contract), Markdown for the 工作总结, and Excel.

The JSON keys `students`, `student_loans`, `loans_per_student`, `coverage`,
`circulation_rate`, `reading_room_uses` and `classes` ({"class", "students", "loans",
"loans_per_student", "coverage"}) are an outside contract: keep them.
"""

from __future__ import annotations

from dataclasses import asdict
from io import BytesIO
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

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


def _show(key: str, value: float) -> str:
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
        f"本期新增图书 {f.new_items} 册，其中捐赠 {f.donations} 册。"
    )
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
    return [[NAMES[key], _show(key, getattr(f, key))] for key in HEADLINE_KEYS]


def _change_rows(changes: list[Change]) -> list[list[Any]]:
    return [
        [
            NAMES[c.figure],
            _show(c.figure, c.current),
            _show(c.figure, c.previous),
            _difference(c.figure, c.change),
        ]
        for c in changes
    ]


def _difference(figure: str, change: float) -> str:
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
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "主要指标"
    sheet.append([figures.period.label, figures.period.start, figures.period.end])
    sheet.append(["指标", "数值"])
    for key in HEADLINE_KEYS:
        sheet.append([NAMES[key], getattr(figures, key)])
    if changes:
        _sheet(
            book,
            "与上期比较",
            ["指标", "本期", "上期", "变化"],
            [[NAMES[c.figure], c.current, c.previous, c.change] for c in changes],
        )
    _sheet(book, "班级借阅", CLASS_HEADER, _class_numbers(figures.classes))
    _sheet(
        book,
        "最爱读书班级",
        ["名次", *CLASS_HEADER],
        [[i + 1, *row] for i, row in enumerate(_class_numbers(figures.top_classes))],
    )
    for title in ("阅读之星", "热门图书", "按中图法大类借阅"):
        header, rows = _tables(figures)[title]
        _sheet(book, title, header, rows)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _class_numbers(rows: list[ClassFigures]) -> list[list[Any]]:
    return [
        [c.label, c.students, c.loans, c.borrowers, c.loans_per_student, c.coverage, c.overdue]
        for c in rows
    ]


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for i, _name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = 14
