"""Excel ledgers of books (图书财产登记表, 个别登记): reading, checking, importing, exporting.

A school's book ledger is a spreadsheet with a row per copy (or a row per title with a 册数
column). read_ledger() finds the header — under a title row, on every sheet, written with
synonyms, spaces or full-width letters — and turns each row into a catalog.batch Entry:
the record's description and its copies, or the row's errors in the librarian's words.
catalog.batch decides the rest (rows of one book joined, 查重 against the catalogue,
barcodes and 登录号 checked, call numbers assigned) and writes it in bulk.

export_workbook() writes the same columns back, a row per copy, so that a ledger exported
from one library imports into another.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import batch
from shuxiang.catalog.batch import Entry, Plan
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import ImportBatch, Item, Location
from shuxiang.catalog.services import ItemData, RecordData, parse_price, validate
from shuxiang.jobs.models import Job
from shuxiang.jobs.services import JobFailed, upload_path
from shuxiang.lib import clc, grades
from shuxiang.lib import roster as sheets
from shuxiang.lib.roster import Cell, RosterFileError
from shuxiang.lib.text import clean, dedup_key

Progress = Callable[[int, int], None]

# Column names by field, best first (the first is the one the template and the export use).
HEADERS: dict[str, tuple[str, ...]] = {
    "accession_number": ("登录号", "财产号", "总登记号", "个别登记号", "登记号", "财产登录号"),
    "barcode": ("条码号", "条码", "条形码", "图书条码", "条码编号", "barcode"),
    "title": ("书名", "题名", "正题名", "图书名称", "书刊名称", "图书名", "title"),
    "subtitle": ("副书名", "副题名", "其他题名信息", "subtitle"),
    "author": ("作者", "责任者", "著者", "第一责任者", "编著者", "著作者", "author"),
    "translator": ("译者", "translator"),
    "publisher": ("出版社", "出版者", "出版单位", "出版发行", "publisher"),
    "place": ("出版地", "place"),
    "year": ("出版年", "出版日期", "出版时间", "出版年月", "出版年份", "year"),
    "isbn": ("ISBN", "ISBN号", "书号", "标准书号", "国际标准书号", "ISBN/ISSN"),
    "price": ("价格", "定价", "单价", "price"),
    "class_number": ("分类号", "中图分类号", "中图法分类号", "分类", "class number"),
    "call_number": ("索书号", "索取号", "call number"),
    "location": ("馆藏地点", "馆藏地", "馆藏位置", "存放地点", "馆藏", "地点", "location"),
    "source": ("来源", "图书来源", "入藏方式", "获得方式", "source"),
    "donor": ("捐赠人", "捐赠者", "捐书人", "赠书人", "捐赠单位", "donor"),
    "received_on": ("入藏日期", "登记日期", "入库日期", "验收日期", "到馆日期", "入藏时间"),
    "pages": ("页数", "页码", "pages"),
    "edition": ("版次", "edition"),
    "series": ("丛书名", "丛书", "丛编", "series"),
    "copies": ("册数", "复本数", "复本", "数量", "copies"),
    "summary": ("内容简介", "简介", "提要", "摘要", "summary"),
    "subjects": ("主题词", "主题", "关键词", "subjects"),
    "notes": ("备注", "附注", "notes"),
    "grades": ("适读年级", "适用年级", "阅读年级", "适读对象", "grades"),
}
SYNONYMS = sheets.synonym_table(HEADERS)
COLUMNS = [names[0] for names in HEADERS.values()]
# The columns that describe the book rather than the copy.
RECORD_FIELDS = frozenset(HEADERS) - {
    "accession_number",
    "barcode",
    "location",
    "source",
    "donor",
    "received_on",
    "copies",
    "notes",
}
CODE_FIELDS = frozenset({"accession_number", "barcode", "isbn", "class_number", "call_number"})
MAX_COPIES = 200  # more copies on one row is a typing slip (册数 2000 for 20)
EXAMPLE_NOTE = "示例行：导入前请删除"
_EXAMPLE_NOTE_READ = sheets.clean_text(EXAMPLE_NOTE)  # as a cell reads: half-width colon

SOURCES = {
    Item.Source.PURCHASE: ("购买", "采购", "购入", "订购", "购置", "购", "purchase"),
    Item.Source.DONATION: ("捐赠", "赠送", "捐书", "赠书", "捐献", "受赠", "捐", "赠", "donation"),
    Item.Source.TRANSFER: ("调拨", "调入", "划拨", "调配", "transfer"),
    Item.Source.OTHER: ("其他", "其它", "other"),
}
_SOURCE_OF = {name: source for source, names in SOURCES.items() for name in names}
SOURCE_LABELS = {source: names[0] for source, names in SOURCES.items()}

# A contributor written with their role: 吴承恩 著, 张三 主编, 李四绘, 王五 译.
ROLE_WORDS = {
    "author": ("原著", "编著", "著"),
    "editor": ("主编", "选编", "改编", "编写", "编"),
    "illustrator": ("插图", "绘图", "绘"),
    "translator": ("翻译", "译"),
}
_ROLE_OF = {word: role for role, words in ROLE_WORDS.items() for word in words}
_ROLE_RE = re.compile(
    r"^(?P<name>.+?)\s*(?P<role>" + "|".join(sorted(_ROLE_OF, key=len, reverse=True)) + r")$"
)
# 文 and 图 end many names (王小文, 李宏图): only a role when set apart by a space.
_SPACED_ROLE_RE = re.compile(r"^(?P<name>.+?)\s+(?P<role>文|图)$")
_ROLE_SUFFIX = {"author": "", "editor": " 编", "illustrator": " 绘"}
_PEOPLE_SPLIT = re.compile(r"\s*[;；,，、]\s*")
_ISBN_SPLIT = re.compile(r"\s*[;；,，]\s*")
_YEAR = re.compile(r"^\D{0,2}((?:1[0-9]|20|21)\d\d)(?P<rest>.*)$")
_DATE_REST = re.compile(r"^[\s年月日号.\-/．\d\]]*$")
_DATE = re.compile(r"^(\d{4})\s*[年.\-/．]?\s*(\d{1,2})\s*(?:[月.\-/．]\s*(\d{1,2})\s*[日号]?)?$")
_RANGE = re.compile(r"^(?P<prefix>[A-Z]*)(?P<start>\d+)\s*[-~～—–至到]\s*(?P=prefix)?(?P<end>\d+)$")
_GRADE_SPLIT = re.compile(r"\s*[-~～—–至到]\s*")
_COUNT = re.compile(r"^(\d+)\s*[册本套]?$")


class LedgerFileError(Exception):
    """The file cannot be read as a ledger at all; the message is for the librarian."""


@dataclass
class Ledger:
    kind: str  # xlsx, xls or csv
    entries: list[Entry]
    columns: list[tuple[str, str]]  # (header as written, the column it was read as)
    warnings: list[str]  # about the whole file
    multiple_sheets: bool = False


# ----------------------------------------------------------------------------- reading


def read_ledger(
    path: Path,
    file_name: str = "",
    *,
    default_location: Location | None = None,
    max_rows: int | None = None,
) -> Ledger:
    """Every data row of every sheet with a 书名 column, as Entries (nothing is written)."""
    try:
        kind = sheets.kind_of(file_name or path.name)
        if path.stat().st_size == 0:
            raise LedgerFileError("文件是空的。")
        if kind == "csv":
            tables = sheets.read_csv(path, max_rows)
        else:
            tables = sheets.read_excel(path, max_rows)
    except RosterFileError as exc:
        raise LedgerFileError(_FILE_ERRORS.get(exc.code, exc.code) % exc.params) from None
    except OSError:
        raise LedgerFileError(_FILE_ERRORS["unreadable"]) from None
    found = [(sheet, table, at) for sheet, table in tables if (at := _header(table)) is not None]
    if not found:
        first = next((r for _, t in tables for r in t if any(c not in (None, "") for c in r)), [])
        shown = "、".join(sheets.clean_text(str(c)) for c in first if c not in (None, ""))[:200]
        raise LedgerFileError(
            "前几行里找不到“书名”一栏，无法当作图书登记表读取。" + f"找到的表头：{shown or '无'}。"
        )
    reader = _Reader(len(found) > 1, default_location)
    ledger = Ledger(kind, [], [], [], multiple_sheets=len(found) > 1)
    for sheet, table, index in found:
        reader.read_sheet(ledger, sheet, table, index)
    reader.finish(ledger)
    return ledger


_FILE_ERRORS = {
    "wrong_type": "“%(name)s”不是登记表文件：请上传 .xlsx、.xls 或 .csv 文件。",
    "unreadable": (
        "文件无法读取：可能已损坏，或并非 Excel/CSV 文件。请用 Excel 或 WPS 打开后另存为 .xlsx。"
    ),
    "encrypted": "文件设有密码：请另存一份不带密码的。",
    "encoding": "CSV 文件既不是 UTF-8 也不是 GBK 编码：请另存为 UTF-8。",
    "empty": "文件是空的。",
}


def _header(table: list[list[Cell]]) -> int | None:
    for index, cells in enumerate(table[: sheets.HEADER_SEARCH_ROWS]):
        texts = {sheets.match_header(str(c), SYNONYMS) for c in cells if c not in (None, "")}
        if "title" in texts:
            return index
    return None


@dataclass
class _Row:
    sheet: str
    line: int
    cells: dict[str, Cell]
    label: str

    def text(self, key: str) -> str:
        return _text(self.cells.get(key), code=key in CODE_FIELDS)


class _Reader:
    """Turns rows into Entries; knows the locations (by code and by name)."""

    def __init__(self, multiple_sheets: bool, default_location: Location | None) -> None:
        self.multiple_sheets = multiple_sheets
        self.default_location = default_location
        self.locations: dict[str, Location] = {}
        for location in Location.objects.all():
            self.locations[location.code.upper()] = location
            self.locations[clean(location.name)] = location
        self.known = "、".join(
            f"{loc.name}（{loc.code}）" for loc in Location.objects.order_by("position", "code")
        )
        self.numeric_codes: list[tuple[Entry, str, str]] = []  # (entry, field, value)
        self.records: dict[tuple[Any, ...], tuple[RecordData, list[str], list[str]]] = {}

    def read_sheet(self, ledger: Ledger, sheet: str, table: list[list[Cell]], index: int) -> None:
        texts = ["" if c is None else sheets.clean_text(str(c)) for c in table[index]]
        columns, used = sheets.map_columns(sheet, index + 1, texts, SYNONYMS)
        labels = {key: HEADERS[key][0] for key in HEADERS}
        for key, header in columns.columns.items():
            pair = (header, labels[key])
            if pair not in ledger.columns:
                ledger.columns.append(pair)
        if columns.ignored:
            ledger.warnings.append(
                f"{sheet + '：' if self.multiple_sheets else ''}这些列不认识，未导入："
                + "、".join(columns.ignored)
            )
        for header, kept in columns.repeated:
            ledger.warnings.append(f"“{header}”与“{kept}”是同一栏，只导入了“{kept}”")
        for offset, cells in enumerate(table[index + 1 :]):
            line = index + 2 + offset
            values = {key: cells[col] if col < len(cells) else None for col, key in used.items()}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
                continue  # a blank line between batches
            where = f"{sheet} 第 {line} 行" if self.multiple_sheets else f"第 {line} 行"
            ledger.entries.append(self.entry(_Row(sheet, line, values, where)))

    def entry(self, row: _Row) -> Entry:
        record, found_errors, found_warnings = self._record(row)
        errors, warnings = list(found_errors), list(found_warnings)
        items = self._items(row, record, errors, warnings)
        if row.text("notes") == _EXAMPLE_NOTE_READ:
            errors.insert(0, "这是模板的示例行，请删除后再导入")
        entry = Entry(row.line, record, items, "；".join(errors), warnings, row.label)
        for key in ("barcode", "accession_number"):
            value = row.cells.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.numeric_codes.append((entry, key, row.text(key)))
        return entry

    def _record(self, row: _Row) -> tuple[RecordData, list[str], list[str]]:
        """A row per copy repeats its book's description: each one is read once. The copies
        share the RecordData, as catalog.batch joins them into one record anyway."""
        key = tuple((k, type(v), v) for k, v in row.cells.items() if k in RECORD_FIELDS)
        if key not in self.records:
            errors: list[str] = []
            warnings: list[str] = []
            self.records[key] = (_record(row, errors, warnings), errors, warnings)
        return self.records[key]

    def _items(
        self, row: _Row, record: RecordData, errors: list[str], warnings: list[str]
    ) -> list[ItemData]:
        count = _copies(row, errors)
        barcodes = _codes(row, "barcode", count, errors)
        accessions = _codes(row, "accession_number", count, errors)
        price = record.price
        location = self._location(row, errors)
        source, donor = _source(row, warnings)
        received = _received_on(row, errors)
        call_number = _item_call_number(row)
        return [
            ItemData(
                barcode=barcodes[n] if barcodes else "",
                accession_number=accessions[n] if accessions else "",
                location=location,
                price=price,
                source=source,
                donor=donor,
                received_on=received,
                notes=row.text("notes"),
                call_number=call_number,
            )
            for n in range(count)
        ]

    def _location(self, row: _Row, errors: list[str]) -> Location | None:
        text = row.text("location")
        if not text:
            return self.default_location
        found = self.locations.get(text.upper()) or self.locations.get(clean(text))
        if found is None:
            errors.append(f"馆藏地点“{text}”不存在；已有的馆藏地点：{self.known}")
        return found

    def finish(self, ledger: Ledger) -> None:
        """Excel drops the leading zeros of a number typed into a number cell: point at the
        barcodes and 登录号 that may have lost theirs (shorter than the others)."""
        for key, name in (("barcode", "条码号"), ("accession_number", "登录号")):
            stored = [(e, v) for e, k, v in self.numeric_codes if k == key]
            if not stored:
                continue
            lengths = [
                len(i.barcode if key == "barcode" else i.accession_number)
                for e in ledger.entries
                for i in e.items
            ]
            longest = max(lengths, default=0)
            short = [(e, v) for e, v in stored if len(v) < longest]
            for entry, value in short:
                entry.warnings.append(
                    f"{name} {value} 在 Excel 中存成了数字，开头的 0 可能已丢失"
                    f"（文件中其他{name}有 {longest} 位）"
                )


def _text(value: Cell, *, code: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return sheets.clean_text(value, code=code)
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return sheets.clean_text(str(value), code=code)


def _record(row: _Row, errors: list[str], warnings: list[str]) -> RecordData:
    title = clean(row.text("title"))
    if not title:
        errors.append("书名为空")
    data = RecordData(
        title=title,
        contributors=people(row.text("author"))
        + [{"name": n, "role": "translator"} for n in _names(row.text("translator"))],
        subtitle=row.text("subtitle"),
        publisher=row.text("publisher"),
        place=row.text("place"),
        edition=_edition(row.cells.get("edition")),
        pages=_pages(row.cells.get("pages")),
        series=row.text("series"),
        summary=row.text("summary"),
        subjects=_names(row.text("subjects")),
    )
    numbers = [n for n in _ISBN_SPLIT.split(row.text("isbn")) if n]
    if numbers:
        data.isbn, data.other_isbns = numbers[0], numbers[1:]
    try:
        data.year = parse_year(row.cells.get("year"))
    except ValueError as exc:
        errors.append(str(exc))
    try:
        data.price = _price(row.cells.get("price"))
    except InvalidRecord as exc:
        errors.append(str(exc))
    _classify(row, data, errors, warnings)
    _grades(row, data, warnings)
    if title:
        try:
            validate(data)  # bad ISBN, unknown class number: reported with the row's other errors
        except InvalidRecord as exc:
            errors.append(str(exc))
    return data


def people(text: str) -> list[dict[str, str]]:
    """'吴承恩 著；李四 绘' → [{'name': '吴承恩', 'role': 'author'}, {… 'illustrator'}]."""
    out = []
    for part in _names(text):
        match = _ROLE_RE.match(part) or _SPACED_ROLE_RE.match(part)
        name, role = part, "author"
        if match and len(match["name"].strip()) >= 2:
            name = match["name"].strip()
            role = _ROLE_OF.get(match["role"], "author")
        out.append({"name": name, "role": role})
    return out


def _names(text: str) -> list[str]:
    return [clean(p) for p in _PEOPLE_SPLIT.split(text) if clean(p)]


def parse_year(value: Cell) -> int | None:
    """'2019', '2019.5', '2019-05', '2019年5月', 2019, an Excel date → 2019; '' → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1000 <= value < 2200:
            return int(value)
    else:
        match = _YEAR.match(sheets.clean_text(str(value)))
        if match and _DATE_REST.match(match["rest"]):
            return int(match.group(1))
    raise ValueError(f"出版年“{_text(value)}”看不懂，应写作 2019、2019.5 或 2019-05")


def _price(value: Cell) -> Decimal | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return parse_price(Decimal(str(value)))
        except InvalidOperation:
            raise InvalidRecord(f"价格“{value}”不是数字", "price") from None
    return parse_price(_text(value))


def _edition(value: Cell) -> str:
    text = _text(value)
    return f"第{text}版" if text.isdigit() else text


def _pages(value: Cell) -> str:
    text = _text(value)
    return f"{text}页" if text.isdigit() else text


def _classify(row: _Row, data: RecordData, errors: list[str], warnings: list[str]) -> None:
    """分类号 and 索书号: the class from either, the 种次号 from the 索书号."""
    class_number = row.text("class_number")
    call = clc.parse_call_number(row.text("call_number")) if row.text("call_number") else None
    if call is not None and call.class_number:
        problem = clc.class_error(call.class_number)
        if problem:
            errors.append(f"索书号“{row.text('call_number')}”：{problem}")
            return
    data.class_number = class_number or (call.class_number if call else "")
    same_class = call is not None and call.class_number == clc.normalize_class_number(
        data.class_number
    )
    if call is not None and call.book_number and same_class:
        data.book_number = call.book_number[:20]
    if not data.class_number:
        warnings.append("没有分类号，未分配索书号")


def _item_call_number(row: _Row) -> str:
    text = row.text("call_number")
    if not text:
        return ""
    return str(clc.parse_call_number(text))


def _grades(row: _Row, data: RecordData, warnings: list[str]) -> None:
    """'3-6', '三至六年级', '5', '初一至初三' → grade_min, grade_max."""
    text = row.text("grades")
    if not text:
        return
    parts = [p for p in _GRADE_SPLIT.split(text.replace("年级", "")) if p]
    found = [grades.parse_grade(p) for p in parts]
    if not 1 <= len(found) <= 2 or any(g is None for g in found):
        warnings.append(f"适读年级“{text}”看不懂，未导入（应写作 3-6 或 三至六年级）")
        return
    low, high = min(g for g in found if g), max(g for g in found if g)
    data.grade_min, data.grade_max = low, high


def _copies(row: _Row, errors: list[str]) -> int:
    value = row.cells.get("copies")
    if value is None or value == "":
        return 1
    match = _COUNT.match(_text(value, code=True))
    count = int(match.group(1)) if match else 0
    if not 1 <= count <= MAX_COPIES:
        errors.append(f"册数“{_text(value)}”应为 1 到 {MAX_COPIES} 之间的整数")
        return 1
    return count


def _codes(row: _Row, key: str, count: int, errors: list[str]) -> list[str]:
    """The row's barcodes (or 登录号): one, or a range (B0001-B0003) when 册数 is more than 1."""
    text = row.text(key).upper() if key == "barcode" else row.text(key)
    name = "条码号" if key == "barcode" else "登录号"
    if not text:
        return []
    if count == 1:
        return [text]
    match = _RANGE.match(text)
    if match is None:
        errors.append(
            f"一行登记了 {count} 册，却只有一个{name}“{text}”：请每册一行，"
            f"或把{name}写成范围，如 000101-000103"
        )
        return []
    start, end, width = int(match["start"]), int(match["end"]), len(match["start"])
    if end - start + 1 != count:
        errors.append(f"{name}范围“{text}”有 {max(end - start + 1, 0)} 个号，与册数 {count} 不符")
        return []
    return [f"{match['prefix']}{str(n).zfill(width)}" for n in range(start, end + 1)]


def _source(row: _Row, warnings: list[str]) -> tuple[str, str]:
    text = row.text("source")
    donor = row.text("donor")
    if not text:
        return (Item.Source.DONATION if donor else Item.Source.PURCHASE), donor
    source = _SOURCE_OF.get(text.lower())
    if source is None:
        warnings.append(f"来源“{text}”看不懂，按“其他”登记（可写：购买、捐赠、调拨、其他）")
        source = Item.Source.OTHER
    return source, donor


def _received_on(row: _Row, errors: list[str]) -> date | None:
    value = row.cells.get("received_on")
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value, code=True)
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"  # 20240901
    match = _DATE.match(text)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3] or 1))
        except ValueError:
            pass
    errors.append(f"入藏日期“{_text(value)}”看不懂，应写作 2024-09-01")
    return None


# ----------------------------------------------------------------------------- checking


def check_ledger(ledger: Ledger, policy: str, progress: Progress | None = None) -> Plan:
    """What importing the ledger would do, row by row (writes nothing).

    A row whose copy is already in the catalogue — its barcode (or 登录号) on a copy of the
    same book — is skipped, whatever the policy: importing a ledger again, or a ledger with
    new rows added at the end, adds only the new copies. A barcode on another book's copy is
    an error (batch.check says so).
    """
    held = _already_held(ledger.entries)
    batch.check([e for e in ledger.entries if id(e) not in held], policy, progress)
    for entry in ledger.entries:
        if id(entry) in held:
            entry.action, entry.record_id = batch.SKIP, held[id(entry)][0]
            entry.reason = held[id(entry)][1]
    return Plan(ledger.entries, policy)


def _already_held(entries: list[Entry]) -> dict[int, tuple[int, str]]:
    # Only single-copy rows can be recognised (see _held_copy); an empty catalogue needs
    # no look-up at all.
    rows = [e for e in entries if not e.error and e.record is not None and len(e.items) == 1]
    if not rows or not Item.objects.exists():
        return {}
    wanted = {
        "barcode": {e.items[0].barcode.upper() for e in rows} - {""},
        "accession_number": {e.items[0].accession_number for e in rows} - {""},
    }
    copies: dict[str, dict[str, Any]] = {}
    fields = ("barcode", "accession_number", "record_id", "record__isbn", "record__dedup_key")
    for key, codes in wanted.items():
        for chunk in _chunks(codes):
            for row in Item.objects.filter(**{f"{key}__in": chunk}).values(*fields):
                copies[f"{key}:{row[key]}"] = row
    if not copies:
        return {}
    held: dict[int, tuple[int, str]] = {}
    for entry in entries:
        found = _held_copy(entry, copies)
        if found is not None:
            held[id(entry)] = (found["record_id"], f"这一册已在馆藏中（条码号 {found['barcode']}）")
    return held


def _chunks(values: set[str], size: int = 500) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _held_copy(entry: Entry, copies: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if entry.error or entry.record is None or len(entry.items) != 1:
        return None
    item = entry.items[0]
    by_barcode = copies.get(f"barcode:{item.barcode.upper()}") if item.barcode else None
    by_number = (
        copies.get(f"accession_number:{item.accession_number}") if item.accession_number else None
    )
    found = by_barcode or by_number
    if found is None or (by_barcode and by_number and by_barcode is not by_number):
        return None
    if (by_barcode is None) != (not item.barcode) or (by_number is None) != (
        not item.accession_number
    ):
        return None  # one number matches a copy and the other does not: batch.check says why
    data = entry.record
    author = data.contributors[0]["name"] if data.contributors else ""
    same_isbn = bool(data.isbn) and data.isbn == found["record__isbn"]
    same_key = dedup_key(data.title, author, data.publisher) == found["record__dedup_key"]
    return found if same_isbn or same_key else None


# ----------------------------------------------------------------------------- importing


@dataclass
class LedgerResult:
    plan: Plan
    batch: ImportBatch | None = None
    refused: bool = False  # errors, and the user did not choose to import the good rows
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        counts = self.plan.counts()
        return {
            "rows": len(self.plan.entries),
            **counts,
            "refused": self.refused,
            "dry_run": self.dry_run,
            "batch": self.batch.pk if self.batch else None,
        }


def import_ledger(
    ledger: Ledger,
    *,
    by: User | None,
    via: str = "web",
    policy: str = ImportBatch.Policy.SKIP,
    skip_bad: bool = False,
    dry_run: bool = False,
    file_name: str = "",
    progress: Progress | None = None,
) -> LedgerResult:
    """Check the ledger again and write it in one transaction: every good row, or nothing at
    all when a row is wrong and the user did not choose to import the good ones."""
    with transaction.atomic():
        plan = check_ledger(ledger, policy, progress)
        result = LedgerResult(plan, dry_run=dry_run)
        result.refused = bool(plan.errors) and not skip_bad
        if dry_run or result.refused:
            AuditLog.record("books_checked", by=by, via=via, **_audit(result))
            return result
        target = ImportBatch(
            kind=ImportBatch.Kind.LEDGER,
            file_name=file_name[:255],
            file_format=ledger.kind,
            policy=policy,
            skip_bad=skip_bad,
        )
        result.batch = batch.write(plan, target, by=by, via=via).batch
    return result


def _audit(result: LedgerResult) -> dict[str, Any]:
    counts = result.plan.counts()
    return {
        "kind": ImportBatch.Kind.LEDGER,
        "rows": len(result.plan.entries),
        "errors": counts[batch.ERROR],
        "refused": result.refused,
        "dry_run": result.dry_run,
    }


# ----------------------------------------------------------------------------- pages and jobs

# How many rows of each kind the preview keeps to show (all are counted and imported).
SHOW = {"add": 200, "joined": 200, "merge": 500, "overwrite": 500, "skip": 500, "error": 1000}
SHOW_WARNINGS = 500


def row_data(entry: Entry) -> dict[str, Any]:
    data = entry.record
    return {
        "row": entry.label,
        "title": entry.title,
        "authors": "；".join(c["name"] for c in data.contributors) if data else "",
        "isbn": data.isbn if data else "",
        "class_number": data.class_number if data else "",
        "copies": len(entry.items),
        "barcodes": [i.barcode for i in entry.items[:3] if i.barcode],
        "reason": entry.reason,
        "warnings": entry.warnings,
    }


def preview_data(ledger: Ledger, plan: Plan) -> dict[str, Any]:
    """The preview as the job keeps it (JSON) and the page shows it."""
    counts = {**plan.counts(), "rows": len(plan.entries)}
    counts["warnings"] = sum(1 for e in plan.entries if e.warnings and e.action != batch.ERROR)
    preview: dict[str, Any] = {
        "counts": counts,
        "columns": ledger.columns,
        "warnings": ledger.warnings,
        "row_warnings": [
            row_data(e) for e in plan.entries if e.warnings and e.action != batch.ERROR
        ][:SHOW_WARNINGS],
    }
    for action, limit in SHOW.items():
        preview[action] = [row_data(e) for e in plan.of(action)[:limit]]
    return preview


def read_job_file(job: Job) -> Ledger:
    location = None
    if code := job.options.get("location"):
        location = Location.objects.filter(code=code).first()
    try:
        ledger = read_ledger(upload_path(job), job.file_name, default_location=location)
    except LedgerFileError as exc:
        raise JobFailed(str(exc)) from None
    if not ledger.entries:
        raise JobFailed("文件有表头，但表头下面没有图书。")
    return ledger


def check_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The job's first step: read the upload and plan, writing nothing but the preview."""
    ledger = read_job_file(job)
    plan = check_ledger(ledger, job.options.get("policy", ImportBatch.Policy.SKIP), progress)
    AuditLog.record(
        "books_checked", by=job.created_by, via="web", target=job, rows=len(plan.entries)
    )
    return preview_data(ledger, plan)


def apply_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The second step, once the librarian said import: check again and write, in one go."""
    result = import_ledger(
        read_job_file(job),
        by=job.created_by,
        via="web",
        policy=job.options.get("policy", ImportBatch.Policy.SKIP),
        skip_bad=bool(job.options.get("skip_bad")),
        file_name=job.file_name,
    )
    return {
        **result.summary(),
        "errors_shown": [row_data(e) for e in result.plan.errors[: SHOW["error"]]],
    }


# ----------------------------------------------------------------------------- template

EXAMPLE = {
    "登录号": "000101",
    "条码号": "T000101",
    "书名": "草房子",
    "作者": "曹文轩 著",
    "出版社": "人民文学出版社",
    "出版地": "北京",
    "出版年": "2019",
    "ISBN": "978-7-5346-1872-7",
    "价格": "28.00",
    "分类号": "I287.45",
    "索书号": "",
    "馆藏地点": "书库",
    "来源": "购买",
    "入藏日期": "2024-09-01",
    "页数": "300页",
    "册数": "1",
    "适读年级": "3-6",
    "备注": EXAMPLE_NOTE,
}

TEMPLATE_NOTES = [
    "书香 图书登记表（个别登记）导入说明",
    "",
    "1. 第一行是表头，从第二行起每行登记一册书。第二行是示例，导入前请删除。",
    "2. 必填：书名。其他各栏可以空着；表头的写法可以不同（如 题名、责任者、定价、中图分类号）。",
    "3. 同一种书的几册，各占一行，书目信息相同（ISBN 相同，或书名、作者、出版社相同），"
    "导入后合为一条书目、几个复本。",
    "4. 条码号、登录号：不填则自动编号（条码号同登录号）。一行登记多册时，"
    "册数填几册，条码号、登录号写成范围，如 000101-000103。",
    "5. 价格：28、28.00、28.00元、￥28 均可。出版年：2019、2019.5、2019-05 均可。",
    "6. 分类号按中图法填写，如 I287.45；索书号写作 分类号/种次号，如 I287.45/12。"
    "只填分类号时，种次号自动分配；都不填则不分配索书号。",
    "7. 馆藏地点：填馆藏地点的名称或代码（如 书库、阅览室）；不填则放在默认馆藏地点。",
    "8. 来源：购买、捐赠、调拨 或 其他；捐赠的可填捐赠人。",
    "9. 作者一栏可写多位作者，用“；”隔开，并可注明 著、编、绘，如 曹文轩 著；王五 绘。",
    "10. 条码号、登录号、ISBN 这几列已设为“文本”格式：以 0 开头的号码不会丢失。",
    "11. 再次导入同一份登记表不会重复登记：条码号已在馆藏中的册会被跳过。",
    "12. 也可上传 .xls 或 .csv（UTF-8 或 GBK 编码）。",
]


def template_workbook() -> bytes:
    """The ledger template: the columns, one example row to delete, and how to fill it in."""
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "图书登记表"
    sheet.append(COLUMNS)
    sheet.append([EXAMPLE.get(name, "") for name in COLUMNS])
    text_columns = {HEADERS[k][0] for k in ("accession_number", "barcode", "isbn")}
    for col, header in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 24 if header == "书名" else 12
        if header in text_columns:
            for row in range(2, 3001):
                sheet.cell(row=row, column=col).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- export


@dataclass
class Selection:
    """Which copies to export; every part is optional (nothing chosen: the whole catalogue)."""

    class_prefix: str = ""
    location: str = ""  # a Location code
    received_from: date | None = None
    received_to: date | None = None
    batch: str = ""  # an ImportBatch id, or "last"
    status: str = ""  # an Item.Status
    errors: list[str] = field(default_factory=list)

    def items(self) -> QuerySet[Item]:
        items = Item.objects.all()
        if self.class_prefix:
            prefix = clc.normalize_class_number(self.class_prefix)
            items = items.filter(record__class_number__startswith=prefix)
        if self.location:
            items = items.filter(location__code=self.location)
        if self.received_from:
            items = items.filter(received_on__gte=self.received_from)
        if self.received_to:
            items = items.filter(received_on__lte=self.received_to)
        if self.batch:
            items = items.filter(import_batch_id=self._batch_id())
        if self.status:
            items = items.filter(status=self.status)
        return items.order_by("accession_number", "id")

    def _batch_id(self) -> int | None:
        if self.batch == "last":
            last = ImportBatch.objects.order_by("-created_at", "-id").first()
            return last.pk if last else None
        return int(self.batch) if self.batch.isdigit() else None


_EXPORT_FIELDS = (
    "accession_number",
    "barcode",
    "call_number",
    "price",
    "source",
    "donor",
    "received_on",
    "notes",
    "location__name",
    "record__title",
    "record__subtitle",
    "record__contributors",
    "record__publisher",
    "record__place",
    "record__year",
    "record__isbn",
    "record__other_isbns",
    "record__price",
    "record__class_number",
    "record__call_number",
    "record__pages",
    "record__edition",
    "record__series",
    "record__summary",
    "record__subjects",
    "record__grade_min",
    "record__grade_max",
)


def export_rows(items: QuerySet[Item]) -> Iterator[list[Any]]:
    """The ledger's rows, a copy each, in the column order of COLUMNS."""
    for row in items.values(*_EXPORT_FIELDS).iterator(chunk_size=2000):
        people = row["record__contributors"] or []
        price = row["price"] if row["price"] is not None else row["record__price"]
        values = {
            "accession_number": row["accession_number"],
            "barcode": row["barcode"],
            "author": "；".join(
                c["name"] + _ROLE_SUFFIX.get(c.get("role", ""), "")
                for c in people
                if c.get("role") != "translator"
            ),
            "translator": "；".join(c["name"] for c in people if c.get("role") == "translator"),
            "location": row["location__name"],
            "isbn": "；".join(n for n in [row["record__isbn"], *row["record__other_isbns"]] if n),
            "price": float(price) if price is not None else None,
            "call_number": row["call_number"] or row["record__call_number"],
            "source": SOURCE_LABELS.get(row["source"], row["source"]),
            "subjects": "；".join(row["record__subjects"] or []),
            "grades": _grade_text(row["record__grade_min"], row["record__grade_max"]),
            "copies": None,
            "donor": row["donor"],
            "received_on": row["received_on"],
            "notes": row["notes"],
        }
        yield [values[key] if key in values else row[f"record__{key}"] for key in HEADERS]


def _grade_text(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    low, high = low or high, high or low
    return str(low) if low == high else f"{low}-{high}"


def export_workbook(items: QuerySet[Item]) -> bytes:
    """The copies as an item register (.xlsx), written as it streams from the database."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("图书登记表")
    sheet.freeze_panes = "A2"
    for col, width in _widths():
        sheet.column_dimensions[col].width = width
    sheet.append(COLUMNS)
    price_at = list(HEADERS).index("price")
    for values in export_rows(items):
        if values[price_at] is not None:
            cell = WriteOnlyCell(sheet, value=values[price_at])
            cell.number_format = "0.00"
            values[price_at] = cell
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _widths() -> Iterable[tuple[str, int]]:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    wide = {"title": 28, "author": 18, "publisher": 18, "summary": 40, "isbn": 16}
    for n, key in enumerate(HEADERS, start=1):
        yield get_column_letter(n), wide.get(key, 11)
