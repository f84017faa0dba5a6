"""Reading a school roster (花名册) from .xlsx, .xls or .csv into plain rows.

Framework-free: no database and no translations. What goes wrong is returned as a Problem
(a code and its parameters) for the caller to phrase; patrons.roster checks the rows against
the library and imports them.

Rosters come from the school's 学籍 system, from a homeroom teacher's Excel file or from last
year's export, so reading is tolerant: the header may sit under a title row, be written with
spaces, full-width letters or a note in brackets (学号（必填）), and use any of the usual names
for a column (学籍号 for 学号, 班别 for 班级 …). A workbook may hold one sheet per class.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from shuxiang.lib.text import to_halfwidth

Cell = str | int | float | bool | date | datetime | time | timedelta | None

EXTENSIONS = (".xlsx", ".xls", ".csv")
# The header must be found among the first rows: a roster may open with a title or a date.
HEADER_SEARCH_ROWS = 20
# Excel keeps 15 significant digits: a longer number typed into a number cell is altered.
EXCEL_DIGITS = 15

# Column names by field, best first: when two columns mean the same field, the better name
# wins (学号 over 学籍号) and the other is reported as not imported.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "学生姓名", "教师姓名", "读者姓名", "name"),
    "type": ("类型", "读者类型", "身份", "人员类型", "读者类别", "类别", "type"),
    "student_number": ("学号", "学生学号", "学籍号", "学生编号", "student number"),
    "staff_number": ("工号", "教工号", "职工号", "教师编号", "职工编号", "staff number"),
    # 编号 on its own names the patron's number whatever the type.
    "number": ("编号", "number"),
    "gender": ("性别", "gender", "sex"),
    "grade": ("年级", "grade"),
    "class": ("班级", "班别", "班", "班级名称", "所在班级", "class"),
    "card_number": (
        "借书证号",
        "证号",
        "读者证号",
        "卡号",
        "借书证",
        "借阅证号",
        "读者证",
        "借书卡号",
        "card number",
    ),
    "enrolment_year": ("入学年份", "入学年", "入学年度", "入学时间", "enrolment year"),
    "guardian_phone": (
        "家长电话",
        "监护人电话",
        "联系电话",
        "家长手机",
        "家长手机号",
        "监护人手机",
        "guardian phone",
    ),
    "notes": ("备注", "notes"),
}
FIELDS = tuple(HEADERS)
NUMBER_FIELDS = frozenset({"student_number", "staff_number", "number", "card_number"})
# Fields whose value is a code: no spaces inside (a phone number typed as 138 0000 0001).
CODE_FIELDS = NUMBER_FIELDS | {"guardian_phone", "enrolment_year"}

Synonyms = dict[str, tuple[str, int]]  # header key → (field, rank among its names)


def synonym_table(headers: dict[str, tuple[str, ...]]) -> Synonyms:
    """The lookup table for a field → names mapping such as HEADERS (the book ledger has its
    own)."""
    return {
        re.sub(r"\s+", "", name.lower()): (key, rank)
        for key, names in headers.items()
        for rank, name in enumerate(names)
    }


_SYNONYMS = synonym_table(HEADERS)
_SPACES = re.compile(r"\s+")
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef·]"
# A space next to a Chinese character is padding (王　明 aligned with 王小明), not a separator.
_CJK_SPACE = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")
# lib.text.to_halfwidth as a str.translate table: a roster has hundreds of thousands of cells.
_HALFWIDTH = {0x3000: " ", 0x00A0: " "} | {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+]?\d+$")
_ZERO_FORMAT = re.compile(r'^"?(0+)"?$')


@dataclass(frozen=True)
class Problem:
    """Something to tell the user, as a code and its parameters (the caller phrases it)."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)
    error: bool = False


class RosterFileError(Exception):
    """The file cannot be used at all: wrong type, unreadable, empty, no 姓名 column."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass
class RosterRow:
    sheet: str
    line: int  # the row number the spreadsheet shows (the line, for a CSV file)
    values: dict[str, str]  # normalised text of each recognised column, "" when blank
    numeric: frozenset[str] = frozenset()  # fields Excel stored as numbers
    default_type: str = "student"  # "teacher" when the sheet has 工号 but no 学号
    problems: list[Problem] = field(default_factory=list)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class SheetColumns:
    sheet: str
    header_line: int
    columns: dict[str, str]  # field → the header as written
    indices: dict[str, int] = field(default_factory=dict)  # field → column, from 0
    ignored: list[str] = field(default_factory=list)  # headers not recognised
    repeated: list[tuple[str, str]] = field(default_factory=list)  # (header, the one kept)


@dataclass
class Roster:
    kind: str  # xlsx, xls or csv
    rows: list[RosterRow]
    sheets: list[SheetColumns]
    problems: list[Problem] = field(default_factory=list)

    @property
    def multiple_sheets(self) -> bool:
        return len(self.sheets) > 1

    @property
    def headers(self) -> list[str]:
        return [h for s in self.sheets for h in s.columns.values()]


# ----------------------------------------------------------------------------- headers


def header_key(text: str) -> str:
    """'学号（必填）', ' 姓 名 *', 'ＮＡＭＥ' → '学号', '姓名', 'name'."""
    value = _SPACES.sub("", to_halfwidth(text)).strip("*:").lower()
    # A note in brackets after the name: 学号(必填), 班级(如 三年级(2)班).
    return value.split("(")[0].split("[")[0].split("【")[0] or value


def match_header(text: str, synonyms: Synonyms = _SYNONYMS) -> str | None:
    found = synonyms.get(header_key(text))
    return found[0] if found else None


def map_columns(
    sheet: str, line: int, cells: Sequence[str], synonyms: Synonyms = _SYNONYMS
) -> tuple[SheetColumns, dict[int, str]]:
    """Which column holds which field (the best-named one when two mean the same), and the
    headers not recognised or repeated; the second value maps column index → field."""
    best: dict[str, tuple[int, int]] = {}  # field → (rank, column)
    ignored: list[str] = []
    for col, header in enumerate(cells):
        if not header:
            continue
        found = synonyms.get(header_key(header))
        if found is None:
            ignored.append(header)
            continue
        key, rank = found
        if key not in best or rank < best[key][0]:
            best[key] = (rank, col)
    used = {col: key for key, (_rank, col) in best.items()}
    repeated = []
    for col, header in enumerate(cells):
        meaning = match_header(header, synonyms) if header else None
        if meaning is not None and used.get(col) != meaning:
            repeated.append((header, cells[best[meaning][1]]))
    columns = {key: cells[col] for col, key in sorted(used.items())}
    indices = {key: col for col, key in used.items()}
    return SheetColumns(sheet, line, columns, indices, ignored, repeated), used


# ----------------------------------------------------------------------------- cells


def clean_text(value: str, *, code: bool = False) -> str:
    """Half-width, NFC, trimmed; no padding spaces around Chinese; none at all in a code."""
    text = value.translate(_HALFWIDTH)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _SPACES.search(text) is None:
        return text  # most cells: nothing to tidy
    if code:
        return _SPACES.sub("", text)
    return _SPACES.sub(" ", _CJK_SPACE.sub("", text)).strip()


def cell_text(value: Cell, key: str) -> tuple[str, bool]:
    """The text of a cell for a field, and whether Excel stored it as a number."""
    if type(value) is str:
        return clean_text(value, code=key in CODE_FIELDS), False
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("1" if value else "0"), False
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "", False
        if float(value).is_integer():
            return str(int(value)), True
        return repr(float(value)), True
    if isinstance(value, datetime | date):
        return (str(value.year) if key == "enrolment_year" else value.isoformat()[:10]), False
    return clean_text(str(value), code=key in CODE_FIELDS), False


# ----------------------------------------------------------------------------- reading


def kind_of(file_name: str) -> str:
    name = file_name.lower()
    for ext in EXTENSIONS:
        if name.endswith(ext):
            return ext[1:]
    raise RosterFileError("wrong_type", name=file_name)


def read_roster(path: Path, file_name: str = "", *, max_rows: int | None = None) -> Roster:
    """Every data row of every sheet that has a 姓名 column. max_rows reads only the start of
    each sheet (enough to check an upload's header at once)."""
    kind = kind_of(file_name or path.name)
    try:
        if path.stat().st_size == 0:
            raise RosterFileError("empty")
    except OSError:
        raise RosterFileError("unreadable") from None
    tables = read_csv(path, max_rows) if kind == "csv" else read_excel(path, max_rows)
    roster = Roster(kind, [], [])
    first_cells: list[str] = []
    for sheet, table in tables:
        first_cells = first_cells or _first_row(table)
        _read_sheet(roster, sheet, table)
    if not roster.sheets:
        raise RosterFileError("no_name_header", found="、".join(first_cells[:12]))
    if kind != "csv" and max_rows is None:
        _restore_zeros(roster, path)
    _warn_numbers(roster)
    return roster


def _first_row(table: list[list[Cell]]) -> list[str]:
    for cells in table[:HEADER_SEARCH_ROWS]:
        texts = [clean_text(str(c)) for c in cells if c not in (None, "")]
        if texts:
            return texts
    return []


def _read_sheet(roster: Roster, sheet: str, table: list[list[Cell]]) -> None:
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        texts = ["" if c is None else clean_text(str(c)) for c in cells]
        if "name" not in {match_header(t) for t in texts if t}:
            continue
        columns, used = map_columns(sheet, index + 1, texts)
        roster.sheets.append(columns)
        has_student = bool({"student_number", "class", "grade"} & columns.columns.keys())
        default_type = "teacher" if "staff_number" in columns.columns and not has_student else ""
        for offset, row in enumerate(table[index + 1 :]):
            parsed = _read_row(sheet, index + 2 + offset, row, used)
            if parsed is not None:
                parsed.default_type = default_type or "student"
                roster.rows.append(parsed)
        return


def _read_row(
    sheet: str, line: int, cells: Sequence[Cell], used: dict[int, str]
) -> RosterRow | None:
    values: dict[str, str] = {}
    numeric: set[str] = set()
    for col, key in used.items():
        text, is_number = cell_text(cells[col] if col < len(cells) else None, key)
        values[key] = text
        if is_number and key in NUMBER_FIELDS:
            numeric.add(key)
    if not any(values.values()):
        return None  # a blank line between classes
    row = RosterRow(sheet, line, values, frozenset(numeric))
    for key in NUMBER_FIELDS & values.keys():
        if key in numeric and len(values[key]) > EXCEL_DIGITS:
            row.problems.append(Problem("number_too_long", {"field": key}, error=True))
        elif _SCIENTIFIC.match(values[key]):
            row.problems.append(
                Problem("scientific", {"field": key, "value": values[key]}, error=True)
            )
    return row


def read_csv(path: Path, max_rows: int | None = None) -> list[tuple[str, list[list[Cell]]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("encoding")
    if "\x00" in text:
        raise RosterFileError("unreadable")
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = max(",;\t", key=sample.count) if any(c in sample for c in ",;\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Cell]] = []
    try:
        for cells in reader:
            rows.append(list(cells))
            if max_rows is not None and len(rows) >= max_rows:
                break
    except csv.Error:
        raise RosterFileError("unreadable") from None
    return [("", rows)]


def read_excel(path: Path, max_rows: int | None = None) -> list[tuple[str, list[list[Cell]]]]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

    tables: list[tuple[str, list[list[Cell]]]] = []
    try:
        # From the open file, not the path: calamine then goes by the content, so an .xlsx
        # saved under the name .xls still reads.
        with open(path, "rb") as handle, CalamineWorkbook.from_filelike(handle) as book:
            for meta in book.sheets_metadata:
                if meta.visible != SheetVisibleEnum.Visible:
                    continue
                sheet = book.get_sheet_by_name(meta.name)
                table: list[list[Cell]] = [
                    list(row) for row in sheet.to_python(skip_empty_area=False, nrows=max_rows)
                ]
                _fill_merged(table, sheet.merged_cell_ranges or [])
                tables.append((meta.name, table))
    except PasswordError:
        raise RosterFileError("encrypted") from None
    except (CalamineError, OSError, ValueError):
        raise RosterFileError("unreadable") from None
    return tables


def _fill_merged(table: list[list[Cell]], ranges: Iterable[tuple[tuple[int, int], ...]]) -> None:
    """A class name merged down the rows of its pupils belongs to every one of them."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(table) or left >= len(table[top]):
            continue
        value = table[top][left]
        for r in range(top, min(bottom, len(table) - 1) + 1):
            for c in range(left, min(right, len(table[r]) - 1) + 1):
                table[r][c] = value


# ----------------------------------------------------------------------------- numbers


def _restore_zeros(roster: Roster, path: Path) -> None:
    """A number cell formatted as 0000000 shows its leading zeros: keep them.

    calamine does not report cell formats; openpyxl does, but slowly, so it is only asked
    when the workbook defines such a format and some number column holds numbers.
    """
    numeric = [r for r in roster.rows if r.numeric]
    if roster.kind != "xlsx" or not numeric or not _has_zero_format(path):
        return
    import openpyxl  # type: ignore[import-untyped]

    by_line = {(r.sheet, r.line): r for r in numeric}
    restored = 0
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl is pickier than calamine; the zeros warning still comes
        return
    try:
        for columns in roster.sheets:
            if not NUMBER_FIELDS & columns.indices.keys() or columns.sheet not in book.sheetnames:
                continue
            for cells in book[columns.sheet].iter_rows(min_row=columns.header_line + 1):
                restored += _restore_row(by_line, columns, cells)
    finally:
        book.close()
    if restored:
        roster.problems.append(Problem("zeros_restored", {"count": restored}))


def _restore_row(
    by_line: dict[tuple[str, int], RosterRow], columns: SheetColumns, cells: Sequence[object]
) -> int:
    line = next((getattr(c, "row", None) for c in cells if getattr(c, "row", None)), None)
    row = by_line.get((columns.sheet, line or 0))
    if row is None:
        return 0
    restored = 0
    for key in row.numeric:
        index = columns.indices[key]
        cell = cells[index] if index < len(cells) else None
        match = _ZERO_FORMAT.match(str(getattr(cell, "number_format", "") or ""))
        if match and row.values[key].isdigit():
            row.values[key] = row.values[key].zfill(len(match.group(1)))
            row.numeric = row.numeric - {key}
            restored += 1
    return restored


def _has_zero_format(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return bool(re.search(r'formatCode="(&quot;)?0{2,}(&quot;)?"', styles))


def _warn_numbers(roster: Roster) -> None:
    """Excel drops the leading zeros of a number typed into a number cell. Say so, and point
    at the rows where it shows: a number shorter than the others, or others that start with 0.
    """
    for key in ("student_number", "staff_number", "number", "card_number"):
        rows = [r for r in roster.rows if r.get(key)]
        stored = [r for r in rows if key in r.numeric]
        if not stored:
            continue
        roster.problems.append(Problem("stored_as_numbers", {"field": key, "count": len(stored)}))
        usual = Counter(len(r.values[key]) for r in rows).most_common(1)[0][0]
        # Numbers kept as text (or padded by their format) show how long a number should be.
        texts = [len(r.values[key]) for r in rows if key not in r.numeric]
        length = max([usual, *texts])
        for row in stored:
            value = row.values[key]
            if len(value) < length and not any(p.error for p in row.problems):
                row.problems.append(
                    Problem("zeros_maybe_lost", {"field": key, "value": value, "length": length})
                )
