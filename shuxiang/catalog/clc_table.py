"""The 中图法 table: loading the shipped copy or a librarian's own file, and looking codes up."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, Q

from shuxiang.catalog.models import ClcClass, Record
from shuxiang.lib import clc
from shuxiang.lib.text import to_halfwidth

SHIPPED = Path(__file__).parent / "data" / "clc.csv.gz"
Progress = Callable[[int, int], None]
Row = tuple[str, str, str]  # code, name, parent code ('' for a main class)

BATCH = 2000
MAX_CODE = ClcClass._meta.get_field("code").max_length or 40
MAX_NAME = ClcClass._meta.get_field("name").max_length or 255

# Header names a librarian's spreadsheet may use, besides the shipped file's own.
HEADERS = {
    "code": {"code", "分类号", "类号"},
    "name": {"name", "类名", "类目", "类目名称", "名称"},
    "parent_code": {"parent_code", "parent", "上位类", "上位类号"},
}


class ClcFileError(ValueError):
    pass


@dataclass
class ParsedTable:
    rows: list[Row]
    duplicates: int = 0
    # Rows left out under --skip-bad, one Chinese line each.
    skipped: list[str] = field(default_factory=list)

    @property
    def main_classes(self) -> int:
        return sum(1 for _c, _n, parent in self.rows if not parent)


# Reading -------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """Text of a CSV file that may be gzipped, in UTF-8 (with or without BOM) or GB18030."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise ClcFileError("文件不是完整的 gzip 压缩文件") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ClcFileError("无法识别文件编码（应为 UTF-8 或 GB18030）")


def read_file(path: Path, *, skip_bad: bool = False) -> ParsedTable:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ClcFileError(f"无法读取文件 {path}：{exc.strerror or exc}") from None
    return read_rows(decode(raw), skip_bad=skip_bad)


def read_shipped() -> ParsedTable:
    return read_rows(decode(SHIPPED.read_bytes()))


def _header_key(name: str) -> str:
    key = to_halfwidth(name or "").strip().lower().replace(" ", "")
    return next((k for k, names in HEADERS.items() if key in names), key)


def read_rows(text: str, *, skip_bad: bool = False) -> ParsedTable:
    """Check a CSV with a header code,name[,parent_code]; the first problem raises ClcFileError.

    With skip_bad, bad rows (and the rows below them) are left out and listed instead.
    A row without a parent code hangs under the longest code in the file that prefixes it.
    """
    table = ParsedTable(rows=[])
    lines: dict[str, int] = {}
    rows: dict[str, Row] = {}

    def refuse(line: int, reason: str) -> None:
        if not skip_bad:
            raise ClcFileError(f"第 {line} 行：{reason}")
        table.skipped.append(f"第 {line} 行：{reason}")

    for line, row in _csv_rows(text):
        code = clc.normalize_class_number(row.get("code", ""))
        name = " ".join(row.get("name", "").split())
        parent = clc.normalize_class_number(row.get("parent_code", ""))
        if not code and not name:
            continue
        reason = _row_error(code, name, parent)
        if reason:
            refuse(line, reason)
        elif code in rows:
            # The source table repeats a few codes under two parents; the first one wins.
            table.duplicates += 1
        else:
            rows[code] = (code, name, parent)
            lines[code] = line
    table.rows = _hang(rows, lines, refuse)
    if not table.rows:
        raise ClcFileError("分类表文件没有可用的数据行")
    return table


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {header: value}) for each row; comma- or tab-separated."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_header_key(h) for h in next(reader, [])]
        if "code" not in header or "name" not in header:
            raise ClcFileError("分类表文件第 1 行须是表头 code,name[,parent_code]")
        for values in reader:
            yield reader.line_num, dict(zip(header, (v.strip() for v in values), strict=False))
    except csv.Error as exc:
        raise ClcFileError(f"第 {reader.line_num} 行：CSV 格式错误（{exc}）") from None


def _row_error(code: str, name: str, parent: str) -> str | None:
    if not code or not name:
        return "类号或类名为空"
    if len(code) > MAX_CODE:
        return f"类号“{code}”超过 {MAX_CODE} 个字符"
    if len(name) > MAX_NAME:
        return f"类名超过 {MAX_NAME} 个字符"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "类名含有控制字符"
    error = clc.table_code_error(code)
    if error:
        return error
    if parent == code:
        return f"类目“{code}”的上位类是它自己"
    return None


def _hang(
    rows: dict[str, Row], lines: dict[str, int], refuse: Callable[[int, str], None]
) -> list[Row]:
    """Give every row its parent; a row that cannot reach a main class is refused."""
    resolved: dict[str, Row] = {}
    for code, (_c, name, parent) in rows.items():
        if not parent:
            parent = _prefix_parent(code, rows)
        elif parent not in rows:
            refuse(lines[code], f"上位类“{parent}”不在文件中")
            continue
        resolved[code] = (code, name, parent)
    under: dict[str, list[str]] = {}
    for code, (_c, _n, parent) in resolved.items():
        under.setdefault(parent, []).append(code)
    placed: set[str] = set()
    todo = list(under.get("", []))
    while todo:
        code = todo.pop()
        placed.add(code)
        todo += under.get(code, [])
    # What is left hangs under a refused row (only under skip_bad) or in a loop.
    for code in sorted(resolved.keys() - placed, key=lines.__getitem__):
        parent = resolved[code][2]
        if parent in resolved and _loops(code, resolved):
            refuse(lines[code], f"上位类形成循环（{code} → {parent} → …）")
        else:
            refuse(lines[code], f"上位类“{parent}”有错，本行一并跳过")
    return [row for code, row in resolved.items() if code in placed]


def _loops(code: str, rows: dict[str, Row]) -> bool:
    seen: set[str] = set()
    while code in rows and code not in seen:
        seen.add(code)
        code = rows[code][2]
    return code in seen


def _prefix_parent(code: str, rows: dict[str, Row]) -> str:
    _kind, plain = clc.table_code_kind(code)
    for candidate in reversed(clc.ancestors(plain.partition("/")[0])):
        if candidate != code and candidate != plain and candidate in rows:
            return candidate
    return ""


# Loading -------------------------------------------------------------------------------


def table_shelf_key(code: str) -> str:
    """Shelf key of a table code: bracketed codes sort as their plain code, a range just before
    its first class (B3 < B31/39 < B31)."""
    _kind, plain = clc.table_code_kind(code)
    if "/" in plain:
        return clc.class_key(clc.class_range(plain)[0])[:120]
    return clc.shelf_key(plain)[:120]


def _levels(rows: Sequence[Row]) -> list[list[tuple[Row, int]]]:
    """Rows grouped by depth, parents' level first; a row whose parent is missing is a root."""
    by_code = {row[0]: row for row in rows}
    depth: dict[str, int] = {}
    for code in by_code:
        chain = []
        current = code
        while current in by_code and current not in depth and current not in chain:
            chain.append(current)
            current = by_code[current][2]
        base = depth.get(current, 0)
        for step in reversed(chain):
            base += 1
            depth[step] = base
    levels: list[list[tuple[Row, int]]] = [[] for _ in range(max(depth.values(), default=0))]
    for code, row in by_code.items():
        levels[depth[code] - 1].append((row, depth[code]))
    return levels


@transaction.atomic
def load_rows(rows: Iterable[Row], progress: Progress | None = None) -> int:
    """Replace the table in one transaction: readers see the old table or the new, never half.

    Parents are inserted a level before their children, so every parent id is known when a
    child row is written and no second pass over the table is needed.
    """
    levels = _levels(list(rows))
    total = sum(len(level) for level in levels)
    _clear_table()
    ids: dict[str, int] = {}
    done = 0
    for level in levels:
        for start in range(0, len(level), BATCH):
            batch = [
                ClcClass(
                    code=code,
                    name=name[:MAX_NAME],
                    parent_id=ids.get(parent),
                    depth=depth,
                    shelf_key=table_shelf_key(code),
                )
                for (code, name, parent), depth in level[start : start + BATCH]
            ]
            ClcClass.objects.bulk_create(batch)
            for obj in batch:
                assert obj.pk is not None, "the database must return ids from bulk inserts"
                ids[obj.code] = obj.pk
            done += len(batch)
            if progress:
                progress(done, total)
    _analyze()
    return total


def _analyze() -> None:
    # Fresh statistics, or PostgreSQL plans the first lookups as if the table were empty.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ClcClass._meta.db_table)}")


def _clear_table() -> None:
    # One DELETE: the ORM's delete() would first fetch all 45,000 rows to null the
    # self-referencing parent links. The foreign key is checked at commit, when all are gone.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(ClcClass._meta.db_table)}")


def load_shipped(progress: Progress | None = None) -> int:
    return load_rows(read_shipped().rows, progress)


def load_file(path: Path, progress: Progress | None = None, *, skip_bad: bool = False) -> int:
    return load_rows(read_file(path, skip_bad=skip_bad).rows, progress)


# Looking up ----------------------------------------------------------------------------


def _candidates(code: str) -> list[str]:
    """Codes that may hold code or its nearest ancestor, nearest first."""
    _kind, plain = clc.table_code_kind(code)
    out: list[str] = []
    for prefix in reversed(clc.ancestors(plain)):
        out += [prefix, f"[{prefix}]", f"{{{prefix}}}"]
    return out


def nearest_class(code: str) -> ClcClass | None:
    """The class itself, or its nearest ancestor in the table (K825.6=74 → K825.6)."""
    return _nearest(code)[0]


def _nearest(code: str) -> tuple[ClcClass | None, dict[int, ClcClass]]:
    candidates = _candidates(code)
    found = {c.code: c for c in ClcClass.objects.filter(code__in=candidates)}
    nearest = next((found[c] for c in candidates if c in found), None)
    return nearest, {c.pk: c for c in found.values()}


def breadcrumb(code: str) -> list[ClcClass]:
    """From the main class down to code's nearest class in the table; [] when none."""
    nearest, known = _nearest(code)
    if nearest is None:
        return []
    return breadcrumbs([nearest], known)[nearest.pk]


def breadcrumbs(
    classes: Iterable[ClcClass], known: dict[int, ClcClass] | None = None
) -> dict[int, list[ClcClass]]:
    """Each class's path from its main class down, by id; one query per missing level."""
    known = dict(known or {})
    classes = list(classes)
    known.update((c.pk, c) for c in classes)
    while True:
        missing = {c.parent_id for c in known.values() if c.parent_id and c.parent_id not in known}
        if not missing:
            break
        fetched = list(ClcClass.objects.filter(pk__in=missing))
        known.update((c.pk, c) for c in fetched)
        # A parent id that vanished under a concurrent reload must not loop forever.
        known.update((pk, ClcClass(pk=pk, code="", name="")) for pk in missing - known.keys())
    paths: dict[int, list[ClcClass]] = {}
    for cls in classes:
        path = [cls]
        # The bound stops a loop of parents that a hand edit of the table could make.
        while (parent := known.get(path[-1].parent_id or 0)) is not None and len(path) < 50:
            path.append(parent)
        paths[cls.pk] = [c for c in reversed(path) if c.code]
    return paths


def kind(cls: ClcClass) -> str:
    """clc.ALTERNATIVE, clc.DISCONTINUED, clc.RANGE or clc.ORDINARY."""
    return clc.table_code_kind(cls.code)[0]


def looks_like_code(query: str) -> bool:
    code = query.strip("[]{}")
    return (
        bool(code)
        and code[0] in clc.MAIN_CLASSES + "LMWY"
        and not any(ord(ch) > 127 for ch in code)
    )


def _usable() -> Q:
    return ~Q(code__startswith="[") & ~Q(code__startswith="{") & ~Q(code__contains="/")


def search(query: str, *, limit: int = 50, usable_only: bool = False) -> list[ClcClass]:
    """Classes whose code starts with the query (I287, tp3), else whose name has every word
    of it (童话, 计算机 软件); broader classes first for words, shelf order for codes."""
    words = query.split()
    if not words:
        return []
    qs = ClcClass.objects.all()
    if usable_only:
        qs = qs.filter(_usable())
    code = clc.normalize_class_number(query)
    if looks_like_code(code):
        prefixes = {code.strip("[]{}"), clc.fix_dots(code.strip("[]{}"))}
        match = Q()
        for prefix in prefixes:
            match |= Q(code__startswith=prefix) | Q(code__startswith=f"[{prefix}")
            match |= Q(code__startswith=f"{{{prefix}")
        found = list(qs.filter(match).order_by("shelf_key", "code")[:limit])
        if found:
            return found
    named = Q()
    for word in words:
        named &= Q(name__icontains=word)
    return list(qs.filter(named).order_by("depth", "shelf_key", "code")[:limit])


def children(cls: ClcClass | None) -> list[ClcClass]:
    """Sub-classes in shelf order (the main classes for None), with n_children counted."""
    qs = ClcClass.objects.filter(parent=cls) if cls else ClcClass.objects.filter(parent=None)
    return list(qs.annotate(n_children=Count("children")).order_by("shelf_key", "code"))


# Counting the catalogue ----------------------------------------------------------------


def _after(key: str) -> str:
    """The smallest digit string above every string that starts with key."""
    stem = key.rstrip("9")
    return stem[:-1] + str(int(stem[-1]) + 1) if stem else ""


def key_range(cls: ClcClass) -> tuple[str, str]:
    """[low, high) of Record.shelf_key for records classed under cls."""
    _kind, plain = clc.table_code_kind(cls.code)
    first, last = clc.class_range(plain)
    return clc.class_key(first), _after(clc.class_key(last))


def _under(cls: ClcClass) -> Q:
    low, high = key_range(cls)
    return Q(shelf_key__gte=low, shelf_key__lt=high) if high else Q(shelf_key__gte=low)


def record_counts(classes: Sequence[ClcClass], within: ClcClass | None = None) -> dict[int, int]:
    """Records catalogued under each class, by id, in one query over the shelf-key index."""
    if not classes:
        return {}
    qs = Record.objects.filter(_under(within)) if within else Record.objects.exclude(shelf_key="")
    counts = qs.aggregate(**{f"c{cls.pk}": Count("pk", filter=_under(cls)) for cls in classes})
    return {cls.pk: counts[f"c{cls.pk}"] or 0 for cls in classes}
