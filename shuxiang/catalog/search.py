"""Record search over our own Chinese tokens (docs/search.md).

shuxiang.lib.tokens cuts every record into CJK grams, pinyin, initials, ISBN and class-number
tokens; this module stores them (an FTS5 table on SQLite, a table of tsvectors on
PostgreSQL, both made by migration 0002) and answers queries in three tiers: the exact
title, titles starting with the query, then the rest by relevance (or newest first, for a
query too broad to rank).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from shuxiang.catalog.models import Record
from shuxiang.lib import tokens
from shuxiang.lib.tokens import Query

BATCH = 2000
# Exact and prefix title matches looked up through Record.title_key; any beyond these are
# still found, ranked by relevance with the rest.
TITLE_TIER_MAX = 50
# Up to this many matches are ranked by relevance. Ranking costs about 8 µs a match
# (SQLite's bm25 reads each row's length; PostgreSQL's ts_rank reads each row), and a
# query broader than this (one common word, one letter) has no telling order anyway: it
# lists its matches newest first, on SQLite the title column's first, which both
# databases do by walking an index in record order, without sorting.
# PostgreSQL also counts exactly only this far: it has to visit every matching row (for
# visibility), 10–20 µs apiece, so beyond it answers its planner's estimate. SQLite
# counts from the index alone (40 ms for 700,000 matches) and is always exact.
RANK_MAX = 1000
# From this many records a rebuild cuts tokens in worker processes.
PARALLEL_MIN = 20000
# An import starts its workers sooner: they cut tokens while it writes rows.
IMPORT_PARALLEL_MIN = 2000

# A record's id and its tokens per column: title, authors, other, codes, variants.
Row = tuple[int, str, str, str, str, str]

_FIELDS = (
    "id",
    "title",
    "subtitle",
    "other_titles",
    "parallel_titles",
    "contributors",
    "publisher",
    "series",
    "subjects",
    "isbn",
    "other_isbns",
    "class_number",
)


@dataclass(frozen=True)
class Matches:
    count: int
    exact: bool = True
    # All the matches in order, when counting them gave that for free.
    ranked: list[int] | None = None


@dataclass
class SearchResult:
    count: int
    ids: list[int]
    # False when count is PostgreSQL's estimate for a very broad query (see RANK_MAX).
    exact: bool = True


def document(values: dict[str, Any]) -> tokens.Document:
    """The tokens of one record, from its field values (as Record.objects.values gives)."""
    return tokens.document(_description(values))


def _description(values: dict[str, Any]) -> tokens.Description:
    def texts(*items: object) -> tuple[str, ...]:
        return tuple(item for item in items if isinstance(item, str) and item)

    people = [c.get("name") for c in values["contributors"] if isinstance(c, dict)]
    return tokens.Description(
        titles=texts(
            values["title"], values["subtitle"], *values["other_titles"], *values["parallel_titles"]
        ),
        names=texts(*people),
        other=texts(values["publisher"], values["series"], *values["subjects"]),
        isbns=texts(values["isbn"], *values["other_isbns"]),
        class_number=values["class_number"] or "",
    )


def index_record(record: Record) -> None:
    """Bring the search index up to date for one record (called by the catalogue services)."""
    index_records([record])


def index_records(records: Iterable[Record]) -> int:
    """(Re)index these records as they are in memory; for loaders that save in bulk."""
    rows = [
        _row(record.pk, document({name: getattr(record, name) for name in _FIELDS}))
        for record in records
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        backend = _backend()
        backend.ensure(cursor)
        for start in range(0, len(rows), BATCH):
            backend.write(cursor, rows[start : start + BATCH], replace=True)
    return len(rows)


class PendingIndex:
    """Records' tokens being cut, in worker processes when there are many, while the caller
    goes on writing its rows (an import); finish() writes them under the ids now known.

    The workers are forked (see _tokenized) and touch no database connection.
    """

    def __init__(self, values: list[dict[str, Any]]) -> None:
        self.count = len(values)
        self.pool: ProcessPoolExecutor | None = None
        self.parts: list[Future[list[tokens.Document]] | list[dict[str, Any]]] = []
        workers = (os.cpu_count() or 1) - 1
        if self.count >= IMPORT_PARALLEL_MIN and workers >= 1 and sys.platform == "linux":
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(workers, mp_context=context)
            for start in range(0, self.count, BATCH):
                work = [_description(v) for v in values[start : start + BATCH]]
                self.parts.append(self.pool.submit(tokens.documents, work))
        else:
            self.parts = [values[start : start + BATCH] for start in range(0, self.count, BATCH)]

    def finish(
        self,
        ids: list[int],
        *,
        new: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        assert len(ids) == self.count
        done = 0
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                backend = _backend()
                backend.ensure(cursor)
                for part in self.parts:
                    docs = (
                        part.result() if isinstance(part, Future) else [document(v) for v in part]
                    )
                    rows = [
                        _row(i, d) for i, d in zip(ids[done : done + len(docs)], docs, strict=True)
                    ]
                    backend.write(cursor, rows, replace=not new)
                    done += len(docs)
                    if progress is not None:
                        progress(done, self.count)
        finally:
            self.close()
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def start_indexing(values: list[dict[str, Any]]) -> PendingIndex:
    """Begin cutting the tokens of these records (dicts with the indexed fields; no ids yet)."""
    return PendingIndex(values)


def remove_record(record_id: int) -> None:
    """Drop a record from the index."""
    with connection.cursor() as cursor:
        _backend().delete(cursor, [record_id])


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index; returns the number of records indexed.

    One transaction: readers keep searching the old index until the new one is complete.
    """
    total = Record.objects.count()
    done = 0
    with transaction.atomic(), connection.cursor() as cursor:
        backend = _backend()
        backend.ensure(cursor)
        backend.clear(cursor)
        for ids, docs in _tokenized(_batches(), parallel=total >= PARALLEL_MIN):
            backend.write(cursor, [_row(i, d) for i, d in zip(ids, docs, strict=True)])
            done += len(ids)
            if progress is not None:
                progress(done, max(total, done))
        backend.optimize(cursor)
    return done


def _batches() -> Iterator[list[dict[str, Any]]]:
    last = 0
    while True:
        values = list(Record.objects.filter(pk__gt=last).order_by("pk").values(*_FIELDS)[:BATCH])
        if not values:
            return
        yield values
        last = values[-1]["id"]


def _tokenized(
    batches: Iterator[list[dict[str, Any]]], *, parallel: bool
) -> Iterator[tuple[list[int], list[tokens.Document]]]:
    """Each batch's record ids and documents, in order.

    In parallel, other processes cut the tokens (pinyin is pure Python and as slow as the
    database's inserts) while this one reads and writes. They are forked, so they start at
    once with the dictionaries loaded and never re-run the caller's script; they touch no
    database connection and leave by os._exit, so the inherited one is never closed.
    Elsewhere than Linux (no safe fork) the tokens are cut here.
    """
    workers = (os.cpu_count() or 1) - 1
    if not parallel or workers < 1 or sys.platform != "linux":
        for values in batches:
            yield [v["id"] for v in values], [document(v) for v in values]
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[tuple[list[int], Future[list[tokens.Document]]]] = deque()
        for values in batches:
            work = [_description(v) for v in values]
            pending.append(([v["id"] for v in values], pool.submit(tokens.documents, work)))
            # A few batches ahead keep the workers busy without holding the catalogue in memory.
            if len(pending) > 2 * workers:
                ids, future = pending.popleft()
                yield ids, future.result()
        while pending:
            ids, future = pending.popleft()
            yield ids, future.result()


def _row(record_id: int, doc: tokens.Document) -> Row:
    return (record_id, doc.title, doc.authors, doc.other, doc.codes, doc.variants)


def search_records(query: str, *, limit: int = 20, offset: int = 0) -> SearchResult:
    parsed = tokens.parse_query(query)
    if not parsed or limit <= 0:
        return SearchResult(0, [])
    backend = _backend()
    with backend.reading() as cursor:
        matches = backend.count(cursor, parsed)
        if not matches.count:
            return SearchResult(0, [])
        first = _title_tier(cursor, backend, parsed)
        wanted = offset + limit
        rest: list[int] = []
        if wanted > len(first):
            ranked = matches.ranked
            if ranked is None:
                ranked = backend.ranked(cursor, parsed, wanted + len(first), matches)
            seen = set(first)
            rest = [i for i in ranked if i not in seen]
        page = (first + rest)[offset:wanted]
    # The FTS5 trigger keeps SQLite's index free of deleted records; this guards against a
    # table rebuilt without it (see docs/search.md).
    existing = set(Record.objects.filter(pk__in=page).values_list("pk", flat=True))
    return SearchResult(matches.count, [i for i in page if i in existing], matches.exact)


def _title_tier(cursor: CursorWrapper, backend: _Backend, parsed: Query) -> list[int]:
    """Records whose whole title is the query, then those whose title starts with it."""
    key = parsed.title_key
    if not key:
        return []
    # The range may include keys that only sort between, under some collations.
    found = [(k != key, len(k), k, i) for i, k in backend.titles(cursor, key) if k.startswith(key)]
    if not found:
        return []
    matching = backend.matching(cursor, parsed, [i for *_, i in found])
    return [i for *_, i in sorted(found) if i in matching]


class _Backend:
    @contextmanager
    def reading(self) -> Iterator[CursorWrapper]:
        with connection.cursor() as cursor:
            yield cursor

    def titles(self, cursor: CursorWrapper, key: str) -> list[tuple[int, str]]:
        """Records whose title_key starts with key (and some that sort between)."""
        # Ordered by title_key alone: PostgreSQL's index on it holds no id, and ordering
        # by both would sort every title in the range (thousands for a common word).
        cursor.execute(
            "SELECT id, title_key FROM catalog_record"
            " WHERE title_key >= %s AND title_key < %s ORDER BY title_key LIMIT %s",
            [key, key + "\U0010ffff", TITLE_TIER_MAX],
        )
        return list(cursor.fetchall())

    def ensure(self, cursor: CursorWrapper) -> None:
        """Repair what a later table rebuild may have dropped."""

    def clear(self, cursor: CursorWrapper) -> None:
        raise NotImplementedError

    def delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        raise NotImplementedError

    def write(
        self,
        cursor: CursorWrapper,
        rows: list[Row],
        *,
        replace: bool = False,
    ) -> None:
        raise NotImplementedError

    def optimize(self, cursor: CursorWrapper) -> None:
        pass

    def count(self, cursor: CursorWrapper, query: Query) -> Matches:
        raise NotImplementedError

    def matching(self, cursor: CursorWrapper, query: Query, ids: list[int]) -> set[int]:
        raise NotImplementedError

    def ranked(
        self, cursor: CursorWrapper, query: Query, limit: int, matches: Matches
    ) -> list[int]:
        """The first limit matches in order, knowing how many there are (or at least)."""
        raise NotImplementedError


class _Sqlite(_Backend):
    TABLE = "catalog_record_search"

    def ensure(self, cursor: CursorWrapper) -> None:
        # Django rebuilds a SQLite table for most schema changes (copy, drop, rename), and
        # dropping catalog_record drops its triggers.
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {self.TABLE}_delete AFTER DELETE ON catalog_record"
            f" BEGIN DELETE FROM {self.TABLE} WHERE rowid = old.id; END"
        )

    def clear(self, cursor: CursorWrapper) -> None:
        # FTS5 deletes row by row, as slowly as it inserts: drop the table and make it
        # again exactly as migration 0002 (or a later one) defined it, options included.
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [self.TABLE])
        create = cursor.fetchone()[0]
        cursor.execute(f"SELECT k, v FROM {self.TABLE}_config WHERE k != 'version'")
        config = cursor.fetchall()
        cursor.execute(f"DROP TABLE {self.TABLE}")
        cursor.execute(create)
        cursor.executemany(f"INSERT INTO {self.TABLE}({self.TABLE}, rank) VALUES (%s, %s)", config)

    def delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        if ids:
            cursor.executemany(f"DELETE FROM {self.TABLE} WHERE rowid = %s", [(i,) for i in ids])

    def write(
        self,
        cursor: CursorWrapper,
        rows: list[Row],
        *,
        replace: bool = False,
    ) -> None:
        if replace:
            self.delete(cursor, [r[0] for r in rows])
        cursor.executemany(
            f"INSERT INTO {self.TABLE}(rowid, title, authors, other, codes, variants)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )

    def optimize(self, cursor: CursorWrapper) -> None:
        # Merge the segments a bulk load leaves behind: fewer b-trees to probe per query.
        cursor.execute(f"INSERT INTO {self.TABLE}({self.TABLE}) VALUES ('optimize')")

    def count(self, cursor: CursorWrapper, query: Query) -> Matches:
        cursor.execute(
            f"SELECT count(*) FROM {self.TABLE} WHERE {self.TABLE} MATCH %s", [_fts5(query)]
        )
        return Matches(int(cursor.fetchone()[0]))

    def matching(self, cursor: CursorWrapper, query: Query, ids: list[int]) -> set[int]:
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s AND rowid IN ({marks})",
            [_fts5(query), *ids],
        )
        return {row[0] for row in cursor.fetchall()}

    def ranked(
        self, cursor: CursorWrapper, query: Query, limit: int, matches: Matches
    ) -> list[int]:
        match = _fts5(query)
        if matches.count <= RANK_MAX:
            return self._select(cursor, match, "rank", limit)
        ids = self._select(cursor, f"title : ({match})", "rowid DESC", limit)
        if len(ids) < limit:
            others = f"({match}) NOT title : ({match})"
            ids += self._select(cursor, others, "rowid DESC", limit - len(ids))
        return ids

    def _select(self, cursor: CursorWrapper, match: str, order: str, limit: int) -> list[int]:
        cursor.execute(
            f"SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s ORDER BY {order} LIMIT %s",
            [match, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _fts5(query: Query) -> str:
    # Every token is [a-z0-9] or CJK, so quoting cannot be escaped by anything the reader
    # typed: FTS5 operators in the input never reach this string.
    def token(t: tokens.Token) -> str:
        return f'"{t.text}"' + ("*" if t.prefix else "")

    return _render(query, token, " AND ", " OR ")


def _render(query: Query, token: Callable[[tokens.Token], str], and_: str, or_: str) -> str:
    def group(parts: list[str], operator: str) -> str:
        return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"

    terms = [
        group([group([token(t) for t in alt], and_) for alt in term.alternatives], or_)
        for term in query.terms
    ]
    return and_.join(terms)


class _Postgres(_Backend):
    TABLE = "catalog_record_search"
    # Codes share C with publisher and series: an ISBN or class match picks records out
    # and does not need to rank them. D holds the heteronym variants, all but unweighted.
    VECTOR = (
        "setweight(to_tsvector('simple', {0}.title), 'A')"
        " || setweight(to_tsvector('simple', {0}.authors), 'B')"
        " || setweight(to_tsvector('simple', {0}.other || ' ' || {0}.codes), 'C')"
        " || setweight(to_tsvector('simple', {0}.variants), 'D')"
    )
    WEIGHTS = "{0.01, 0.15, 0.4, 1.0}"

    def clear(self, cursor: CursorWrapper) -> None:
        # Only what no record stands behind: every other row is rewritten, or left alone
        # when unchanged, so that searches keep their index (no TRUNCATE lock) meanwhile.
        cursor.execute(
            f"DELETE FROM {self.TABLE} s WHERE NOT EXISTS"
            " (SELECT 1 FROM catalog_record r WHERE r.id = s.record_id)"
        )

    def delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        if ids:
            cursor.execute(f"DELETE FROM {self.TABLE} WHERE record_id = ANY(%s)", [ids])

    def write(self, cursor: CursorWrapper, rows: list[Row], *, replace: bool = False) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        # A row whose document has not changed is left alone: reindexing an unchanged
        # catalogue writes nothing.
        cursor.execute(
            f"INSERT INTO {self.TABLE} (record_id, document)"
            f" SELECT v.id, {self.VECTOR.format('v')}"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],"
            " %s::text[]) AS v(id, title, authors, other, codes, variants)"
            " ON CONFLICT (record_id) DO UPDATE SET document = excluded.document"
            f" WHERE {self.TABLE}.document IS DISTINCT FROM excluded.document",
            [list(c) for c in columns],
        )

    @contextmanager
    def reading(self) -> Iterator[CursorWrapper]:
        # Each query below is fit for one plan, which the planner does not always pick from
        # its estimates for tsqueries (a LIMIT tempts it into scanning the whole table for
        # a rare word): the plan is chosen here, from the count, by switching others off.
        # A misestimate also makes a plan look costly enough to compile (JIT takes a
        # quarter of a second) or to split among workers: neither pays for these.
        with transaction.atomic(), connection.cursor() as cursor:
            self._set(cursor, jit="off", max_parallel_workers_per_gather="0")
            yield cursor
            # (After an error the rollback undoes the settings.)
            self._set(cursor, **dict.fromkeys(self.PLANS + self.OTHERS, "DEFAULT"))

    PLANS = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
    OTHERS = ("jit", "max_parallel_workers_per_gather")

    def _only(self, cursor: CursorWrapper, plan: str) -> None:
        """Let the planner use only the GIN index (bitmapscan) or a b-tree (indexscan)."""
        self._set(cursor, **{p: "on" if p.endswith(plan) else "off" for p in self.PLANS})

    def _set(self, cursor: CursorWrapper, **settings: str) -> None:
        # Our own constants only; one round trip for all of them.
        cursor.execute("; ".join(f"SET LOCAL {k} TO {v}" for k, v in settings.items()))

    def count(self, cursor: CursorWrapper, query: Query) -> Matches:
        # Up to RANK_MAX matches, one pass through the GIN index counts and ranks them all
        # (the tsquery's index lookup is the expensive part: a half-typed syllable such as
        # sh* reads thousands of lexemes' postings).
        self._only(cursor, "bitmapscan")
        cursor.execute(
            f"SELECT record_id, ts_rank('{self.WEIGHTS}', document, q, 1)"
            f" FROM {self.TABLE}, to_tsquery('simple', %s) q WHERE document @@ q LIMIT %s",
            [_tsquery(query), RANK_MAX + 1],
        )
        rows = cursor.fetchall()
        if len(rows) <= RANK_MAX:
            ranked = sorted(rows, key=lambda row: (-row[1], -row[0]))
            return Matches(len(rows), ranked=[i for i, _ in ranked])
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.TABLE}"
            " WHERE document @@ to_tsquery('simple', %s)",
            [_tsquery(query)],
        )
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return Matches(max(len(rows), int(plan[0]["Plan"]["Plan Rows"])), exact=False)

    def titles(self, cursor: CursorWrapper, key: str) -> list[tuple[int, str]]:
        self._only(cursor, "indexscan")
        return super().titles(cursor, key)

    def matching(self, cursor: CursorWrapper, query: Query, ids: list[int]) -> set[int]:
        self._only(cursor, "indexscan")
        cursor.execute(
            f"SELECT record_id FROM {self.TABLE} WHERE record_id = ANY(%s)"
            " AND document @@ to_tsquery('simple', %s)",
            [ids, _tsquery(query)],
        )
        return {row[0] for row in cursor.fetchall()}

    def ranked(
        self, cursor: CursorWrapper, query: Query, limit: int, matches: Matches
    ) -> list[int]:
        # More than RANK_MAX matches (fewer were ranked by count()): newest first, walking
        # the primary key down; with that many matches, a page's rows are never far apart.
        # (Title matches first, as on SQLite, would need a condition on weight A, which no
        # index can answer.)
        self._only(cursor, "indexscan")
        cursor.execute(
            f"SELECT record_id FROM {self.TABLE} WHERE document @@ to_tsquery('simple', %s)"
            " ORDER BY record_id DESC LIMIT %s",
            [_tsquery(query), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _tsquery(query: Query) -> str:
    # Quoted lexemes: nothing the reader typed reaches tsquery's syntax (see _fts5).
    def token(t: tokens.Token) -> str:
        return f"'{t.text}'" + (":*" if t.prefix else "")

    return _render(query, token, " & ", " | ")


_BACKENDS: dict[str, _Backend] = {"sqlite": _Sqlite(), "postgresql": _Postgres()}


def _backend() -> _Backend:
    try:
        return _BACKENDS[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"search is not available on {connection.vendor}") from None
