"""Record search. PROVISIONAL: a plain LIKE search, to be replaced by the token index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from shuxiang.catalog.models import Record
from shuxiang.lib.text import clean


@dataclass
class SearchResult:
    count: int
    ids: list[int]


def index_record(record: Record) -> None:
    """Bring the search index up to date for one record (called by the catalogue services)."""


def remove_record(record_id: int) -> None:
    """Drop a record from the index."""


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index; returns the number of records indexed."""
    return Record.objects.count()


def search_records(query: str, *, limit: int = 20, offset: int = 0) -> SearchResult:
    q = clean(query)
    if not q:
        return SearchResult(0, [])
    qs = Record.objects.filter(Q(title__icontains=q) | Q(isbn=q) | Q(class_number__startswith=q))
    return SearchResult(qs.count(), list(qs.values_list("id", flat=True)[offset : offset + limit]))
