from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shuxiang.catalog.models import Item, Record
from shuxiang.lib.text import dedup_key


def find_duplicate(isbn13: str, title: str, author: str, publisher: str) -> Record | None:
    """The record this one would duplicate: same ISBN, or same title + author + publisher."""
    if isbn13:
        found = (
            Record.objects.filter(Q(isbn=isbn13) | Q(other_isbns__contains=[isbn13])).first()
            if _json_contains_supported()
            else Record.objects.filter(isbn=isbn13).first()
        )
        if found is not None:
            return found
    key = dedup_key(title, author, publisher)
    if key.strip("|"):
        return Record.objects.filter(dedup_key=key).first()
    return None


def _json_contains_supported() -> bool:
    from django.db import connection

    return bool(connection.features.supports_json_field_contains)


def with_availability(records: QuerySet[Record]) -> QuerySet[Record]:
    return records.annotate(
        items_total=Count("items", filter=~Q(items__status=Item.Status.WITHDRAWN)),
        items_available=Count(
            "items",
            filter=Q(items__status=Item.Status.ON_SHELF),
        ),
    )
