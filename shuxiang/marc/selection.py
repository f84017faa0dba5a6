"""Which records an export takes: the whole catalogue or a selection.

Every criterion given narrows the selection (they are joined by "and"): a class-number
prefix, an import batch ("the last import" included), a date range (records catalogued or
copies received in it), a list of barcodes or of record ids. Selected by barcode, a record's
holdings list only those copies; otherwise all its copies but the withdrawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.lib import clc
from shuxiang.lib.text import to_halfwidth

T = TypeVar("T")
LAST = "last"
# A list is one SQL "IN (…)": well under SQLite's and PostgreSQL's limits on parameters.
MAX_LIST = 20000
_LIST_SPLIT = re.compile(r"[\s,;，；、]+")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9.\-=()\"<>:+#]*$")


class SelectionError(ValueError):
    """A criterion that cannot be used; the message is for the librarian."""


@dataclass
class Selection:
    class_prefix: str = ""
    batch: ImportBatch | None = None
    date_from: date | None = None
    date_to: date | None = None
    barcodes: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    def records(self) -> QuerySet[Record]:
        records = Record.objects.all()
        if self.class_prefix:
            records = records.filter(class_number__startswith=self.class_prefix)
        if self.batch is not None:
            in_batch = Item.objects.filter(import_batch=self.batch).values("record_id")
            records = records.filter(Q(import_batch=self.batch) | Q(pk__in=in_batch))
        if self.date_from or self.date_to:
            records = records.filter(self._dates())
        if self.barcodes:
            records = records.filter(pk__in=self._items_by_barcode().values("record_id"))
        if self.record_ids:
            records = records.filter(pk__in=self.record_ids)
        return records.order_by("pk")

    def _dates(self) -> Q:
        created = Q()
        received = Item.objects.all()
        if self.date_from:
            created &= Q(created_at__gte=_start_of(self.date_from))
            received = received.filter(received_on__gte=self.date_from)
        if self.date_to:
            created &= Q(created_at__lt=_start_of(self.date_to + timedelta(days=1)))
            received = received.filter(received_on__lte=self.date_to)
        return created | Q(pk__in=received.values("record_id"))

    def _items_by_barcode(self) -> QuerySet[Item]:
        return Item.objects.filter(barcode__in=self.barcodes)

    def record_ids_in_order(self) -> list[int]:
        return list(self.records().values_list("pk", flat=True))

    @property
    def only_barcodes(self) -> frozenset[str] | None:
        return frozenset(self.barcodes) if self.barcodes else None

    def unknown_barcodes(self) -> list[str]:
        found = set(self._items_by_barcode().values_list("barcode", flat=True))
        return [b for b in self.barcodes if b not in found]

    def unknown_record_ids(self) -> list[int]:
        found = set(Record.objects.filter(pk__in=self.record_ids).values_list("pk", flat=True))
        return [pk for pk in self.record_ids if pk not in found]

    @property
    def is_everything(self) -> bool:
        return not (self.criteria())

    def criteria(self) -> dict[str, Any]:
        """What was asked for, for the audit log: ids and counts, never names."""
        asked: dict[str, Any] = {
            "class_prefix": self.class_prefix,
            "batch": self.batch.pk if self.batch else None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "barcodes": len(self.barcodes),
            "record_ids": len(self.record_ids),
        }
        return {k: v for k, v in asked.items() if v}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def class_prefix(value: str) -> str:
    """A class-number prefix as typed ('i2', 'Ｉ２４') → 'I24'; SelectionError if not one."""
    text = clc.normalize_class_number(to_halfwidth(value or "").strip())
    if text and not _PREFIX.match(text):
        raise SelectionError(f"“{value}”不是分类号的开头（例如 I 或 I24）")
    return text


def import_batch(value: str | int | None) -> ImportBatch | None:
    """An ImportBatch by id, or the latest for "last"; None when nothing is asked."""
    if value in (None, ""):
        return None
    if str(value).strip().lower() == LAST:
        batch = ImportBatch.objects.order_by("-created_at", "-id").first()
        if batch is None:
            raise SelectionError("还没有任何导入批次")
        return batch
    try:
        pk = int(str(value).strip())
    except ValueError:
        raise SelectionError(f"“{value}”不是导入批次的编号") from None
    batch = ImportBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise SelectionError(f"没有编号为 {pk} 的导入批次")
    return batch


def parse_date(value: str, what: str) -> date | None:
    text = to_halfwidth(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise SelectionError(f"{what}“{value}”不是日期（应为 2026-09-01 这样的格式）") from None


def check_dates(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise SelectionError("开始日期晚于结束日期")


def parse_barcodes(text: str) -> list[str]:
    """Barcodes pasted or read from a file: one a line, or separated by spaces or commas."""
    found = [b.upper() for b in _LIST_SPLIT.split(to_halfwidth(text or "")) if b]
    return _within_limit(list(dict.fromkeys(found)), "条码号")


def parse_record_ids(text: str) -> list[int]:
    ids = []
    for token in _LIST_SPLIT.split(to_halfwidth(text or "")):
        if not token:
            continue
        if not token.isdigit():
            raise SelectionError(f"书目编号“{token}”不是数字")
        ids.append(int(token))
    return _within_limit(list(dict.fromkeys(ids)), "书目编号")


def _within_limit(values: list[T], what: str) -> list[T]:
    if len(values) > MAX_LIST:
        raise SelectionError(
            f"一次最多列出 {MAX_LIST} 个{what}（这里有 {len(values)} 个）：请分批导出，"
            "或按分类号、批次、日期选择"
        )
    return values
