"""Bring a batch of books into the catalogue: the shared back half of MARC and ledger imports.

A reader (shuxiang.marc.reader, catalog.ledger) turns its file into Entries: one record's
description and its copies, or the reason the source could not be read. `check` decides
what happens to each entry without writing anything — add, merge into a record already in
the catalogue, overwrite one, skip, or refuse with a reason in Chinese — and `write` carries
that plan out in the caller's transaction, in bulk:

- Entries of one file that describe the same book (a ledger has a row per copy) become one
  record with all their copies; the duplicate policy (查重) applies only against the records
  already in the catalogue.
- Nothing is written when any entry has an error, unless the user chose to import the good
  ones (`skip_bad`); then each bad entry is left out whole, with its copies.
- Rows are written as demo.Table writes them (executemany / COPY), ids, 种次号 and 登录号
  handed out here, and the search index is filled in bulk: thousands of records a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import search, services
from shuxiang.catalog.demo import Table, record_keys
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import Counter, ImportBatch, Item, Location, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.lib import clc
from shuxiang.lib.text import clean, dedup_key

Progress = Callable[[int, int], None]
Policy = ImportBatch.Policy
CHUNK = 500  # values per IN (…) lookup

ADD = "add"
MERGE = "merge"  # copies added to a record already in the catalogue
OVERWRITE = "overwrite"
SKIP = "skip"
ERROR = "error"
JOINED = "joined"  # same book as an earlier entry of this file: its copies go there

ACTION_LABELS = {
    ADD: _("Added"),
    MERGE: _("Copies added to a record already held"),
    OVERWRITE: _("Record already held, overwritten"),
    SKIP: _("Already held, skipped"),
    ERROR: _("Not imported: error"),
    JOINED: _("Same book as an earlier entry"),
}


@dataclass
class Entry:
    """One record of the file (or one ledger row) on its way into the catalogue."""

    position: int  # 1-based record number, or row number in the sheet
    record: RecordData | None
    items: list[ItemData] = field(default_factory=list)
    error: str = ""  # found while reading: the entry cannot be imported
    warnings: list[str] = field(default_factory=list)
    label: str = ""  # how the report names it: "第 3 条记录（偏移 1234）", "第 5 行"
    payload: Any = None  # the reader's own (e.g. the MARC record kept with the new record)
    # Set by check():
    action: str = ""
    reason: str = ""
    record_id: int | None = None  # the existing record (merge, overwrite, skip) or the new one
    joined_to: Entry | None = None

    @property
    def title(self) -> str:
        return self.record.title if self.record is not None else ""

    def refuse(self, reason: str) -> None:
        self.action, self.reason = ERROR, reason


@dataclass
class Plan:
    entries: list[Entry]
    policy: str

    def of(self, action: str) -> list[Entry]:
        return [e for e in self.entries if e.action == action]

    @property
    def errors(self) -> list[Entry]:
        return self.of(ERROR)

    def counts(self) -> dict[str, int]:
        counts = {a: 0 for a in ACTION_LABELS}
        for entry in self.entries:
            counts[entry.action] += 1
        counts["items"] = sum(len(e.items) for e in self.entries if e.action in _WITH_ITEMS)
        return counts


_WITH_ITEMS = {ADD, MERGE, OVERWRITE, JOINED}


@dataclass
class Existing:
    """What the catalogue already holds that an entry could collide with."""

    by_isbn: dict[str, tuple[int, str]] = field(default_factory=dict)
    by_key: dict[str, tuple[int, str]] = field(default_factory=dict)
    barcodes: set[str] = field(default_factory=set)
    accessions: set[str] = field(default_factory=set)


def check(entries: Sequence[Entry], policy: str, progress: Progress | None = None) -> Plan:
    """Decide what happens to each entry; writes nothing."""
    entries = list(entries)
    # A reader may share one description among the rows of a book (a ledger's copy rows):
    # each description is checked once, by object.
    validated: dict[int, str] = {}
    for entry in entries:
        entry.action, entry.reason, entry.record_id, entry.joined_to = "", "", None, None
        if entry.error:
            entry.refuse(entry.error)
        elif entry.record is None:
            entry.refuse("无法读取这条记录")
        else:
            if id(entry.record) not in validated:
                try:
                    services.validate(entry.record)
                    validated[id(entry.record)] = ""
                except InvalidRecord as exc:
                    validated[id(entry.record)] = str(exc)
            if validated[id(entry.record)]:
                entry.refuse(validated[id(entry.record)])
            for item in entry.items:
                item.barcode = clean(item.barcode).upper()
                item.accession_number = clean(item.accession_number)
    keys = {id(e): _dedup_key(e.record) for e in entries if not e.action and e.record}
    existing = _existing([e for e in entries if not e.action], keys)
    seen_isbn: dict[str, Entry] = {}
    seen_key: dict[str, Entry] = {}
    seen_barcodes: dict[str, Entry] = {}
    seen_accessions: dict[str, Entry] = {}
    for done, entry in enumerate(entries, 1):
        if not entry.action:
            _decide(entry, keys[id(entry)], policy, existing, seen_isbn, seen_key)
        if entry.action in _WITH_ITEMS:
            _check_items(entry, existing, seen_barcodes, seen_accessions)
            if entry.action == ERROR:
                # A later row of the same book may stand in for this one.
                for seen in (seen_isbn, seen_key):
                    for claim in [k for k, v in seen.items() if v is entry]:
                        del seen[claim]
        if progress is not None and done % 1000 == 0:
            progress(done, len(entries))
    return Plan(entries, policy)


def _existing(entries: list[Entry], entry_keys: dict[int, str]) -> Existing:
    isbns: set[str] = set()
    keys: set[str] = set()
    barcodes: set[str] = set()
    accessions: set[str] = set()
    for entry in entries:
        assert entry.record is not None
        isbns.update(n for n in (entry.record.isbn, *entry.record.other_isbns) if n)
        keys.add(entry_keys[id(entry)])
        barcodes.update(i.barcode for i in entry.items if i.barcode)
        accessions.update(i.accession_number for i in entry.items if i.accession_number)
    found = Existing()
    for number, pk, title in _matching(Record, "isbn", isbns, "pk", "title"):
        found.by_isbn.setdefault(number, (pk, title))
    keys.discard("||")
    for key, pk, title in _matching(Record, "dedup_key", keys, "pk", "title"):
        found.by_key.setdefault(key, (pk, title))
    found.barcodes.update(row[0] for row in _matching(Item, "barcode", barcodes))
    found.barcodes.update(_card_numbers(barcodes))
    found.accessions.update(row[0] for row in _matching(Item, "accession_number", accessions))
    return found


def _card_numbers(codes: set[str]) -> set[str]:
    """Codes that are library card numbers: a copy's barcode may never be one (the desk tells
    cards from books by lookup). The patrons app stands to the right of the catalogue, so its
    models are looked up by name."""
    if not codes or not apps.is_installed("shuxiang.patrons"):
        return set()
    taken: set[str] = set()
    for model_name, column in (("Patron", "card_number"), ("RetiredCard", "number")):
        model = apps.get_model("patrons", model_name)
        taken.update(row[0] for row in _matching(model, column, codes))
    return taken


def _matching(
    model: type[models.Model], column: str, wanted: set[str], *extra: str
) -> list[tuple[Any, ...]]:
    """(column, *extra) of the rows whose column is one of `wanted`.

    A big file against a small table reads the whole column in one query rather than
    asking in hundreds of IN (…) lists (an import into a new library).
    """
    if not wanted:
        return []
    names = (column, *extra)
    rows = model._default_manager.values_list(*names)
    if len(wanted) > 4 * CHUNK and model._default_manager.count() <= 4 * len(wanted):
        return [row for row in rows.iterator(chunk_size=5000) if row[0] in wanted]
    found: list[tuple[Any, ...]] = []
    for chunk in _chunks(wanted):
        found.extend(rows.filter(**{f"{column}__in": chunk}))
    return found


def _dedup_key(data: RecordData) -> str:
    author = data.contributors[0]["name"] if data.contributors else ""
    return dedup_key(data.title, author, data.publisher)


def _decide(
    entry: Entry,
    key: str,
    policy: str,
    existing: Existing,
    seen_isbn: dict[str, Entry],
    seen_key: dict[str, Entry],
) -> None:
    data = entry.record
    assert data is not None
    isbns = [n for n in (data.isbn, *data.other_isbns) if n]
    has_key = key.strip("|") != ""
    earlier = next((seen_isbn[n] for n in isbns if n in seen_isbn), None)
    if earlier is None and has_key and not isbns:
        earlier = seen_key.get(key)
    if earlier is not None:
        target = earlier.joined_to or earlier
        entry.action, entry.joined_to = JOINED, target
        entry.reason = f"与{target.label or '前面的记录'}是同一种书"
        return
    found = next((existing.by_isbn[n] for n in isbns if n in existing.by_isbn), None)
    if found is None and has_key:
        found = existing.by_key.get(key)
    if found is not None:
        entry.record_id = found[0]
        same = f"馆藏中已有相同的书目《{found[1]}》"
        if policy == Policy.SKIP:
            entry.action, entry.reason = SKIP, same
        elif policy == Policy.MERGE:
            entry.action, entry.reason = MERGE, same + "，复本并入"
        else:
            entry.action, entry.reason = OVERWRITE, same + "，以导入的为准"
    else:
        entry.action = ADD
    for number in isbns:
        seen_isbn.setdefault(number, entry)
    if has_key:
        seen_key.setdefault(key, entry)


def _check_items(
    entry: Entry,
    existing: Existing,
    seen_barcodes: dict[str, Entry],
    seen_accessions: dict[str, Entry],
) -> None:
    for item in entry.items:
        if item.barcode:
            if item.barcode in existing.barcodes:
                entry.refuse(f"条码号“{item.barcode}”已被使用")
                return
            first = seen_barcodes.setdefault(item.barcode, entry)
            if first is not entry or _repeated(entry.items, "barcode", item.barcode):
                entry.refuse(f"条码号“{item.barcode}”在文件中重复（{first.label}）")
                return
        if item.accession_number:
            if item.accession_number in existing.accessions:
                entry.refuse(f"登录号“{item.accession_number}”已被使用")
                return
            first = seen_accessions.setdefault(item.accession_number, entry)
            if first is not entry or _repeated(
                entry.items, "accession_number", item.accession_number
            ):
                entry.refuse(f"登录号“{item.accession_number}”在文件中重复（{first.label}）")
                return


def _repeated(items: list[ItemData], name: str, value: str) -> bool:
    return sum(1 for i in items if getattr(i, name) == value) > 1


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --------------------------------------------------------------------------- writing


@dataclass
class Written:
    batch: ImportBatch
    new_record_ids: list[int]  # in entry order, for the reader's own rows (MARC kept)
    entries: list[Entry]


def write(
    plan: Plan,
    batch: ImportBatch,
    *,
    by: User | None,
    via: str,
    today: date | None = None,
    progress: Progress | None = None,
) -> Written:
    """Carry out the plan; the caller holds the transaction and has refused errors if asked.

    `batch` is saved here with its counts; entries in error are reported, never written.
    """
    assert transaction.get_connection().in_atomic_block, "write() runs inside a transaction"
    started = time.perf_counter()
    today = today or timezone.localdate()
    batch.created_by = by
    batch.save()
    loader = _Loader(batch, today)
    added: list[dict[str, Any]] = []
    targets: dict[int, int] = {}  # id(entry) → record id, for entries joined to it
    overwrite: list[Entry] = []
    for entry in plan.entries:
        if entry.action == ADD:
            row = loader.record(entry)
            entry.record_id = row["id"]
            targets[id(entry)] = row["id"]
            added.append(row)
        elif entry.action in (MERGE, OVERWRITE):
            assert entry.record_id is not None
            targets[id(entry)] = entry.record_id
            if entry.action == OVERWRITE:
                overwrite.append(entry)
    # The new records' tokens are cut in worker processes while their rows are written here.
    pending = search.start_indexing(added)
    try:
        loader.flush_records()
        _overwrite(overwrite, loader, by=by, via=via)
        _add_items(plan, targets, loader, progress)
        loader.finish()
        pending.finish([row["id"] for row in added], new=True)
    finally:
        pending.close()
    counts = plan.counts()
    batch.records_added = counts[ADD]
    batch.records_merged = counts[MERGE]
    batch.records_overwritten = counts[OVERWRITE]
    batch.records_skipped = counts[SKIP]
    batch.errors = counts[ERROR]
    batch.items_added = loader.items
    # Added records are listed from the database; those added with warnings are also here.
    batch.report = [report_line(e) for e in plan.entries if e.action != ADD or e.warnings]
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.save()
    AuditLog.record(
        "books_imported",
        by=by,
        target=batch,
        via=via,
        kind=batch.kind,
        records=counts[ADD],
        merged=counts[MERGE],
        overwritten=counts[OVERWRITE],
        items=loader.items,
    )
    return Written(batch, loader.new_ids, plan.entries)


def _overwrite(entries: list[Entry], loader: _Loader, *, by: User | None, via: str) -> None:
    """Records already held, described anew from the file (few: one at a time)."""
    for entry in entries:
        assert entry.record is not None and entry.record_id is not None
        record = Record.objects.get(pk=entry.record_id)
        services.update_record(record, entry.record, by=by, via=via)
        loader.known[record.pk] = (
            record.call_number,
            record.shelf_key,
            record.price,
            record.material_type,
        )


def _add_items(
    plan: Plan, targets: dict[int, int], loader: _Loader, progress: Progress | None
) -> None:
    for done, entry in enumerate(plan.entries, 1):
        if entry.action in _WITH_ITEMS:
            target = entry.joined_to if entry.action == JOINED else entry
            assert target is not None
            record_id = targets.get(id(target))
            if record_id is None:  # joined to an entry that was skipped
                continue
            entry.record_id = record_id
            for item in entry.items:
                loader.item(record_id, item)
        if progress is not None and done % 1000 == 0:
            progress(done, len(plan.entries))


def report_line(entry: Entry) -> dict[str, Any]:
    return {
        "position": entry.position,
        "label": entry.label,
        "action": entry.action,
        "title": entry.title,
        "reason": entry.reason,
        "record_id": entry.record_id,
        "warnings": entry.warnings,
    }


class _Loader:
    """Hands out ids, 种次号 and 登录号 in the transaction's lock, and writes rows in bulk."""

    def __init__(self, batch: ImportBatch, today: date) -> None:
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Record, Item))
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        self.batch = batch
        self.now: datetime = timezone.now()
        self.today = today
        self.default_location = services.default_location()
        self.record_id = Record.objects.aggregate(n=Max("id"))["n"] or 0
        self.item_id = Item.objects.aggregate(n=Max("id"))["n"] or 0
        self.record_table = Table(Record)
        self.item_table = Table(Item)
        self.counters: dict[str, int] = {}
        self.used: dict[str, int] = {}  # numbers that came from the file: counters go past them
        self.records: list[dict[str, Any]] = []
        self.item_rows: list[dict[str, Any]] = []
        self.new_ids: list[int] = []
        # Per record: call number, shelf key, price and material type, which copies take on.
        self.known: dict[int, tuple[str, str, Any, str]] = {}
        self.item_types: dict[tuple[str, int], str] = {}
        self.items = 0
        self.locations: dict[int, Location] = {}

    def _next(self, key: str) -> int:
        if key not in self.counters:
            self.counters[key] = (
                Counter.objects.filter(key=key).values_list("value", flat=True).first() or 0
            )
        self.counters[key] += 1
        return self.counters[key]

    def _used(self, key: str, number: str) -> None:
        if number.isdigit() and len(number) < 12:
            self.used[key] = max(self.used.get(key, 0), int(number))

    def record(self, entry: Entry) -> dict[str, Any]:
        data = entry.record
        assert data is not None
        self.record_id += 1
        row = dict(vars(data))
        if row["class_number"]:
            key = services.book_number_key(row["class_number"])
            if row["book_number"]:
                self._used(key, row["book_number"])
            else:
                row["book_number"] = str(self._next(key))
        row.update(record_keys(row))
        row.update(
            id=self.record_id,
            created_at=self.now,
            updated_at=self.now,
            created_by_id=self.batch.created_by_id,
            import_batch_id=self.batch.pk,
        )
        self.records.append(row)
        self.new_ids.append(self.record_id)
        self.known[self.record_id] = (
            row["call_number"],
            row["shelf_key"],
            row["price"],
            row["material_type"],
        )
        return row

    def flush_records(self) -> None:
        for start in range(0, len(self.records), 5000):
            self.record_table.write(self.records[start : start + 5000])

    def item(self, record_id: int, data: ItemData) -> None:
        if record_id not in self.known:
            self.known[record_id] = Record.objects.values_list(
                "call_number", "shelf_key", "price", "material_type"
            ).get(pk=record_id)
        record_call_number, record_shelf_key, record_price, material = self.known[record_id]
        self.item_id += 1
        if data.accession_number:
            accession = data.accession_number
            self._used(services.ACCESSION_KEY, accession)
        else:
            accession = None  # handed out in finish(), after every number from the file
        call_number = clean(data.call_number) or record_call_number
        if call_number == record_call_number:
            shelf_key = record_shelf_key
        else:
            shelf_key = clc.shelf_key(call_number) if call_number else ""
        location = data.location or self.default_location
        self.item_rows.append(
            {
                "id": self.item_id,
                "record_id": record_id,
                "barcode": data.barcode,
                "accession_number": accession,
                "call_number": call_number,
                "shelf_key": shelf_key,
                "location_id": location.pk,
                "item_type": data.item_type or self._item_type(material, location),
                "price": data.price if data.price is not None else record_price,
                "source": data.source,
                "donor": clean(data.donor),
                "received_on": data.received_on or self.today,
                "notes": data.notes,
                "created_at": self.now,
                "import_batch_id": self.batch.pk,
            }
        )
        self.items += 1

    def _item_type(self, material: str, location: Location) -> str:
        key = (material, location.pk)
        if key not in self.item_types:
            probe = Record(material_type=material)
            self.item_types[key] = services.item_type_for(probe, location)
        return self.item_types[key]

    def finish(self) -> None:
        key = services.ACCESSION_KEY
        self.counters[key] = max(self._next(key) - 1, self.used.get(key, 0))
        missing = [row for row in self.item_rows if row["accession_number"] is None]
        taken = {row["accession_number"] for row in self.item_rows if row["accession_number"]}
        taken.update(row["barcode"] for row in self.item_rows if row["barcode"])
        for row, number in zip(missing, self._fresh_accessions(len(missing), taken), strict=True):
            row["accession_number"] = number
            if not row["barcode"]:
                row["barcode"] = number  # as services.add_item does when no label is stuck on
        for start in range(0, len(self.item_rows), 5000):
            self.item_table.write(self.item_rows[start : start + 5000])
        for name, value in {**self.counters, **self.used}.items():
            services.note_number_used(name, max(value, self.counters.get(name, 0)))
        sequences = connection.ops.sequence_reset_sql(no_style(), [Record, Item])
        with connection.cursor() as cursor:
            for sql in sequences:
                cursor.execute(sql)

    def _fresh_accessions(self, count: int, taken: set[str]) -> list[str]:
        """The next `count` accession numbers that no copy uses, here or in the file, as
        number or barcode (a copy without a barcode label is scanned by its number).

        The counter is normally past every number in use, so one range query per column
        usually finds nothing and the numbers are simply the next ones."""
        out: list[str] = []
        while len(out) < count:
            want = count - len(out)
            numbers = [
                str(self._next(services.ACCESSION_KEY)).zfill(services.ACCESSION_WIDTH)
                for _ in range(want)
            ]
            used = taken | _used_between(numbers[0], numbers[-1])
            out.extend(n for n in numbers if n not in used)
        return out


def _used_between(low: str, high: str) -> set[str]:
    """Accession numbers, barcodes and card numbers from low to high (compared as text)."""
    found: set[str] = set()
    for name in ("accession_number", "barcode"):
        found.update(
            Item.objects.filter(**{f"{name}__range": (low, high)}).values_list(name, flat=True)
        )
    if apps.is_installed("shuxiang.patrons"):
        for model_name, column in (("Patron", "card_number"), ("RetiredCard", "number")):
            model = apps.get_model("patrons", model_name)
            found.update(
                model.objects.filter(**{f"{column}__range": (low, high)}).values_list(
                    column, flat=True
                )
            )
    return found
