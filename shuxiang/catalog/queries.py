from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet

from shuxiang.catalog.models import Item, Record
from shuxiang.lib.text import dedup_key


def find_duplicate(isbn13: str, title: str, author: str, publisher: str) -> Record | None:
    """The record this one would duplicate: same ISBN, or same title + author + publisher."""
    if isbn13:
        same_isbn = Q(isbn=isbn13)
        # SQLite has no JSON containment lookup; there only the main ISBN is compared.
        if connection.features.supports_json_field_contains:
            same_isbn |= Q(other_isbns__contains=[isbn13])
        found = Record.objects.filter(same_isbn).first()
        if found is not None:
            return found
    key = dedup_key(title, author, publisher)
    if key.strip("|"):
        return Record.objects.filter(dedup_key=key).first()
    return None


def with_availability(records: QuerySet[Record]) -> QuerySet[Record]:
    return records.annotate(
        items_total=Count("items", filter=~Q(items__status=Item.Status.WITHDRAWN)),
        items_available=Count(
            "items",
            filter=Q(items__status=Item.Status.ON_SHELF),
        ),
    )


def locations_by_record(record_ids: list[int]) -> dict[int, list[str]]:
    """The names of the locations holding each record's copies, in location order."""
    rows = (
        Item.objects.filter(record_id__in=record_ids)
        .exclude(status=Item.Status.WITHDRAWN)
        .values_list("record_id", "location__name")
        .order_by("location__position", "location__code")
        .distinct()
    )
    out: dict[int, list[str]] = {}
    for record_id, name in rows:
        names = out.setdefault(record_id, [])
        if name not in names:
            names.append(name)
    return out


def shelf_list(class_prefix: str = "") -> QuerySet[Record]:
    """Classified records in shelf order, optionally under one class (prefix of the number)."""
    records = Record.objects.exclude(class_number="")
    if class_prefix:
        records = records.filter(class_number__startswith=class_prefix)
    return with_availability(records).order_by("shelf_key", "id")
