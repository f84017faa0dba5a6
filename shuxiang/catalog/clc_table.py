"""The 中图法 table: loading the shipped copy or a librarian's own file."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction

from shuxiang.catalog.models import ClcClass
from shuxiang.lib import clc

SHIPPED = Path(__file__).parent / "data" / "clc.csv.gz"
Progress = Callable[[int, int], None]


class ClcFileError(ValueError):
    pass


def read_rows(text: str) -> list[tuple[str, str, str]]:
    """(code, name, parent_code) rows from CSV text with a header code,name[,parent_code]."""
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"code", "name"} <= fields:
        raise ClcFileError("分类表文件须有表头 code,name[,parent_code]")
    rows: dict[str, tuple[str, str, str]] = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        code = clc.normalize_class_number(row.get("code", ""))
        if not code or not row.get("name"):
            raise ClcFileError(f"第 {line} 行：类号或类名为空")
        # The source table repeats a few codes under two parents; the first one wins.
        rows.setdefault(
            code, (code, row["name"], clc.normalize_class_number(row.get("parent_code", "")))
        )
    if not rows:
        raise ClcFileError("分类表文件没有数据行")
    return list(rows.values())


def load_shipped(progress: Progress | None = None) -> int:
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as f:
        return load_rows(read_rows(f.read()), progress)


def load_file(path: Path, progress: Progress | None = None) -> int:
    raw = path.read_bytes()
    opener = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = opener.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ClcFileError("无法识别文件编码（应为 UTF-8 或 GB18030）")
    return load_rows(read_rows(text), progress)


@transaction.atomic
def load_rows(rows: Iterable[tuple[str, str, str]], progress: Progress | None = None) -> int:
    """Replace the table in one transaction: readers see the old table or the new, never half."""
    rows = list(rows)
    ClcClass.objects.all().delete()
    total = len(rows)
    batch: list[ClcClass] = []
    for done, (code, name, _parent) in enumerate(rows, start=1):
        depth = len(clc.ancestors(code))
        batch.append(
            ClcClass(code=code, name=name[:255], depth=depth, shelf_key=clc.shelf_key(code))
        )
        if len(batch) >= 2000:
            ClcClass.objects.bulk_create(batch)
            batch.clear()
            if progress:
                progress(done, total)
    ClcClass.objects.bulk_create(batch)
    ids = dict(ClcClass.objects.values_list("code", "id"))
    links = [
        ClcClass(id=ids[code], parent_id=ids.get(parent))
        for code, _n, parent in rows
        if parent in ids
    ]
    ClcClass.objects.bulk_update(links, ["parent"], batch_size=2000)
    if progress:
        progress(total, total)
    return total
