"""Load the demo school's collection fast: bulk inserts in one transaction, then the index.

The catalogue services create one record at a time with every check; that is right for a
librarian and far too slow for 20,000 copies at `make run`, or a million records for the
benchmarks. This loader writes the rows the services would write (call numbers, 种次号 in
order per class, shelf and search keys, accession numbers, the counters) in batches.

Rows go straight to the database (executemany on SQLite, COPY on PostgreSQL) rather than
through bulk_create: the ORM spends ~30 µs preparing each row, which is most of the time
at a million records. Primary keys are handed out here, inside the transaction's lock.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import demo_data, search, services
from shuxiang.catalog.models import Counter, Item, Location, Record
from shuxiang.lib import clc
from shuxiang.lib.text import dedup_key, fold

Progress = Callable[[int, int], None]
# Copies shelved in the 工具书区 are reference books (in-room use only).
ITEM_TYPES = {"REFERENCE": Item.ItemType.REFERENCE}

# About 6,700 titles make about 20,000 copies: a middle-sized school library.
DEFAULT_RECORDS = 6700
BATCH = 5000
DEMO_PASSWORD = "shuxiang-demo"
DEMO_USERS = [
    # username, role, what the login is for
    ("librarian", User.Role.LIBRARIAN, "图书管理员：编目、流通、报表，全部功能"),
    ("assistant", User.Role.ASSISTANT, "小图书管理员：借还书"),
    ("teacher", User.Role.TEACHER, "教师：检索、借阅"),
]
_DISPLAY_NAMES = {"librarian": "林老师", "assistant": "小图书管理员", "teacher": "唐老师"}


@dataclass
class DemoReport:
    records: int
    items: int
    seconds: float
    index_seconds: float  # search.rebuild and the planner statistics

    @property
    def records_per_second(self) -> float:
        load = self.seconds - self.index_seconds
        return self.records / load if load > 0 else 0.0


def load_demo(
    records: int = DEFAULT_RECORDS,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    index_progress: Progress | None = None,
    today: date | None = None,
) -> DemoReport:
    """Catalogue `records` made-up titles with their copies and index them, all or nothing."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        services.ensure_default_locations()
        loader = _Loader(seed, today)
        for batch in _batches(demo_data.generate_records(records, seed), BATCH):
            loader.load(batch, records)
            if progress:
                progress(loader.records, records)
        loader.finish()
        loaded = time.perf_counter()
        search.rebuild(index_progress)
        _analyze()
        AuditLog.record(
            "demo_loaded", by=None, via="cli", records=loader.records, items=loader.items, seed=seed
        )
    finished = time.perf_counter()
    return DemoReport(loader.records, loader.items, finished - started, finished - loaded)


def _analyze() -> None:
    # The query planners know nothing of the rows just written until the tables are analysed;
    # without it the first searches after `make run` pick poor plans. A sample is enough.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def record_keys(data: dict[str, Any]) -> dict[str, str]:
    """The derived fields that services.catalogue_record sets (services._keys), from a dict."""
    names = [c["name"] for c in data["contributors"] if c.get("name")]
    call_number = str(clc.CallNumber(data["class_number"], data["book_number"]))
    return {
        "title_key": fold(data["title"])[:500],
        "dedup_key": dedup_key(data["title"], names[0] if names else "", data["publisher"]),
        "call_number": call_number,
        "shelf_key": clc.shelf_key(call_number) if data["class_number"] else "",
    }


class _Loader:
    """Hands out ids, 种次号 and accession numbers, continuing what is already there."""

    def __init__(self, seed: int, today: date) -> None:
        if connection.vendor == "postgresql":
            # Ids are chosen here, so no one else may add records or copies meanwhile.
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Record, Item))
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        self.today = today
        self.rng = random.Random(seed + 2)
        self.locations = dict(Location.objects.values_list("code", "pk"))
        self.counters = dict(Counter.objects.values_list("key", "value"))
        self.accession = self.counters.get(services.ACCESSION_KEY, 0)
        self.book_numbers: dict[str, int] = {}
        self.record_id = Record.objects.aggregate(n=Max("id"))["n"] or 0
        self.item_id = Item.objects.aggregate(n=Max("id"))["n"] or 0
        self.record_table = Table(Record)
        self.item_table = Table(Item)
        self.records = self.items = 0

    def load(self, batch: list[dict[str, Any]], total: int) -> None:
        record_rows = []
        item_rows = []
        for data in batch:
            received = demo_data.received_on(self.records / total, self.today)
            record = self._record(data, received)
            record_rows.append(record)
            for plan in demo_data.plan_copies(data, self.rng):
                item_rows.append(self._item(record, plan, received))
            self.records += 1
        self.record_table.write(record_rows)
        self.item_table.write(item_rows)
        self.items += len(item_rows)

    def _record(self, data: dict[str, Any], received: date) -> dict[str, Any]:
        self.record_id += 1
        row = {k: v for k, v in data.items() if k != "copies"}
        # A book cannot come in before it was printed.
        row["year"] = min(row["year"], received.year)
        row["book_number"] = self._next_book_number(row["class_number"])
        row.update(record_keys(row))
        row["id"] = self.record_id
        row["created_at"] = row["updated_at"] = _at(received)
        return row

    def _item(self, record: dict[str, Any], plan: dict[str, str], received: date) -> dict[str, Any]:
        self.item_id += 1
        self.accession += 1
        accession = str(self.accession).zfill(services.ACCESSION_WIDTH)
        return {
            "id": self.item_id,
            "record_id": record["id"],
            "barcode": accession,  # as services.add_item does when no label is stuck on
            "accession_number": accession,
            "call_number": record["call_number"],
            "shelf_key": record["shelf_key"],
            "location_id": self.locations[plan["location"]],
            "item_type": ITEM_TYPES.get(plan["location"], Item.ItemType.GENERAL),
            "price": record["price"],
            "source": plan["source"],
            "donor": plan["donor"],
            "received_on": received,
            "created_at": record["created_at"],
        }

    def _next_book_number(self, class_number: str) -> str:
        key = services.book_number_key(class_number)
        number = self.book_numbers.get(key, self.counters.get(key, 0)) + 1
        self.book_numbers[key] = number
        return str(number)

    def finish(self) -> None:
        # Later cataloguing goes on from here: the next 种次号 in I287.45 follows ours.
        services.note_number_used(services.ACCESSION_KEY, self.accession)
        for key, number in self.book_numbers.items():
            services.note_number_used(key, number)
        sequences = connection.ops.sequence_reset_sql(no_style(), [Record, Item])
        with connection.cursor() as cursor:
            for sql in sequences:
                cursor.execute(sql)


class Table:
    """Writes dict rows to one model's table, filling model defaults and adapting values."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        adapters = {f.attname: self._adapter(f) for f in fields}
        self.adapted = [(name, adapt) for name, adapt in adapters.items() if adapt is not None]
        # Evaluated once: every demo row gets the same default, e.g. currency "CNY".
        self.defaults = {f.attname: f.get_default() for f in fields}
        for name, adapt in self.adapted:
            self.defaults[name] = adapt(self.defaults[name])
        self.values = operator.itemgetter(*(f.attname for f in fields))
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in fields)
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        places = ", ".join(["%s"] * len(fields))
        self.insert_sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({places})"

    @staticmethod
    def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        kind = field.get_internal_type()
        if kind == "JSONField":
            return _json
        if kind == "DateTimeField":
            return _cached(connection.ops.adapt_datetimefield_value)
        if kind == "DateField":
            return _cached(connection.ops.adapt_datefield_value)
        return None

    def write(self, rows: list[dict[str, Any]]) -> None:
        values = []
        for row in rows:
            full = {**self.defaults, **row}
            for name, adapt in self.adapted:
                if name in row:
                    full[name] = adapt(row[name])
            values.append(self.values(full))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The raw psycopg cursor: wrap its errors as Django's, like every other query.
                with connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                cursor.executemany(self.insert_sql, values)


def _json(value: Any) -> str | None:
    # Most list fields of most records are empty: no need to call the encoder for those.
    if value is None:
        return None
    return "[]" if value == [] else json.dumps(value, ensure_ascii=False)


def _cached(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # The demo has a few thousand distinct days but millions of rows that carry them.
    cache: dict[Any, Any] = {}

    def adapted(value: Any) -> Any:
        if value not in cache:
            cache[value] = adapt(value)
        return cache[value]

    return adapted


@functools.lru_cache(maxsize=8192)
def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock(9, 0)))


def ensure_demo_users() -> list[str]:
    """Create the demo logins that do not exist yet; returns the usernames created."""
    created = []
    for username, role, _ in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User(username=username, role=role, display_name=_DISPLAY_NAMES[username])
        user.is_staff = role == User.Role.LIBRARIAN
        user.set_password(DEMO_PASSWORD)
        user.save()
        AuditLog.record("user_added", by=None, target=user, via="cli", role=role, demo=True)
        created.append(username)
    return created
