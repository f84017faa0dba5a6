"""Catalogue workflows: every change of a record or item goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import queries, search
from shuxiang.catalog.errors import (
    DuplicateAccessionNumber,
    DuplicateBarcode,
    DuplicateRecord,
    InvalidRecord,
)
from shuxiang.catalog.models import Counter, Item, Location, Record
from shuxiang.lib import clc, isbn
from shuxiang.lib.text import clean, dedup_key, fold

ACCESSION_KEY = "accession"
ACCESSION_WIDTH = 6


@dataclass
class ItemData:
    barcode: str = ""
    accession_number: str = ""
    location: Location | None = None
    price: Decimal | None = None
    source: str = Item.Source.PURCHASE
    donor: str = ""
    received_on: date | None = None
    notes: str = ""
    call_number: str = ""
    item_type: str = ""  # blank: from the location and the record (see item_type_for)


@dataclass
class RecordData:
    title: str
    contributors: list[dict[str, str]] = field(default_factory=list)
    subtitle: str = ""
    parallel_titles: list[str] = field(default_factory=list)
    other_titles: list[str] = field(default_factory=list)
    publisher: str = ""
    place: str = ""
    year: int | None = None
    edition: str = ""
    isbn: str = ""
    other_isbns: list[str] = field(default_factory=list)
    price: Decimal | None = None
    currency: str = "CNY"
    pages: str = ""
    series: str = ""
    summary: str = ""
    subjects: list[str] = field(default_factory=list)
    language: str = "chi"
    material_type: str = Record.MaterialType.BOOK
    grade_min: int | None = None
    grade_max: int | None = None
    class_number: str = ""
    book_number: str = ""

    @classmethod
    def with_authors(cls, title: str, authors: Sequence[str], **kwargs: object) -> RecordData:
        people = [{"name": clean(a), "role": "author"} for a in authors if clean(a)]
        return cls(title=title, contributors=people, **kwargs)  # type: ignore[arg-type]


def parse_price(value: object) -> Decimal | None:
    """'28.00元', '￥28', 'CNY28.00', 28 → Decimal('28.00'); '' → None."""
    if value is None or value == "":
        return None
    text = clean(str(value)).upper()
    for junk in ("CNY", "RMB", "元", "¥", "￥", ",", " "):
        text = text.replace(junk, "")
    try:
        price = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidRecord(f"价格“{value}”不是数字", "price") from None
    if price < 0 or price >= Decimal("100000000"):
        raise InvalidRecord(f"价格“{value}”超出范围", "price")
    return price


def next_number(key: str) -> int:
    """Hand out the next number for key; called inside a transaction.

    The UPDATE takes the row lock (PostgreSQL) or runs under the IMMEDIATE write lock
    (SQLite), so two librarians cataloguing at once never get the same number.
    """
    if not Counter.objects.filter(key=key).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                Counter.objects.create(key=key, value=1)
                return 1
        except IntegrityError:
            Counter.objects.filter(key=key).update(value=F("value") + 1)
    return Counter.objects.values_list("value", flat=True).get(key=key)


def note_number_used(key: str, number: int) -> None:
    """Keep a counter ahead of a number that arrived from outside (an imported ledger)."""
    if not Counter.objects.filter(key=key, value__lt=number).update(value=number):
        Counter.objects.get_or_create(key=key, defaults={"value": number})


def book_number_key(class_number: str) -> str:
    return f"book_number:{clc.normalize_class_number(class_number)}"


@transaction.atomic
def assign_book_number(class_number: str) -> str:
    """The next 种次号 within a class number: 1, 2, 3 …"""
    return str(next_number(book_number_key(class_number)))


@transaction.atomic
def next_accession_number() -> str:
    return str(next_number(ACCESSION_KEY)).zfill(ACCESSION_WIDTH)


def validate(data: RecordData) -> RecordData:
    """Clean and check a record's fields; InvalidRecord names the first problem."""
    data.title = clean(data.title)
    if not data.title:
        raise InvalidRecord("题名不能为空", "title")
    if data.isbn:
        try:
            data.isbn = isbn.normalize(data.isbn)
        except ValueError as exc:
            raise InvalidRecord(str(exc), "isbn") from None
    others = []
    for value in data.other_isbns:
        try:
            others.append(isbn.normalize(value))
        except ValueError as exc:
            raise InvalidRecord(str(exc), "isbn") from None
    data.other_isbns = [n for n in dict.fromkeys(others) if n != data.isbn]
    if data.class_number:
        data.class_number = clc.normalize_class_number(data.class_number)
        error = clc.class_error(data.class_number)
        if error:
            raise InvalidRecord(error, "class_number")
    if data.year is not None and not 1000 <= data.year <= 2100:
        raise InvalidRecord(f"出版年“{data.year}”不合理", "year")
    for grade in (data.grade_min, data.grade_max):
        if grade is not None and not 1 <= grade <= 12:
            raise InvalidRecord("适读年级应在 1–12 之间", "grade_min")
    data.contributors = [c for c in data.contributors if clean(c.get("name", ""))]
    return data


def _keys(record: Record) -> None:
    first_author = record.author_names[0] if record.author_names else ""
    record.title_key = fold(record.title)[:500]
    record.dedup_key = dedup_key(record.title, first_author, record.publisher)
    record.call_number = str(clc.CallNumber(record.class_number, record.book_number))
    record.shelf_key = clc.shelf_key(record.call_number) if record.class_number else ""


@transaction.atomic
def catalogue_record(
    data: RecordData,
    items: Sequence[ItemData] = (),
    *,
    by: User | None,
    via: str = "web",
    allow_duplicate: bool = False,
) -> Record:
    """Create a record with its copies; call numbers and accession numbers are assigned."""
    data = validate(data)
    if not allow_duplicate:
        existing = queries.find_duplicate(
            data.isbn, data.title, _first_author(data), data.publisher
        )
        if existing is not None:
            raise DuplicateRecord(f"已有相同的书目：《{existing.title}》", existing.pk)
    record = Record(**vars(data), created_by=by)
    if record.class_number and not record.book_number:
        record.book_number = assign_book_number(record.class_number)
    _keys(record)
    record.save()
    search.index_record(record)
    for item in items:
        add_item(record, item, by=by, via=via, log=False)
    AuditLog.record("record_created", by=by, target=record, via=via, items=len(items))
    return record


@transaction.atomic
def update_record(record: Record, data: RecordData, *, by: User | None, via: str = "web") -> Record:
    data = validate(data)
    old_class, old_call_number = record.class_number, record.call_number
    for name, value in vars(data).items():
        # A blank book number in the form means "keep it", not "erase it".
        if name != "book_number" or value:
            setattr(record, name, value)
    if record.class_number != old_class and not data.book_number:
        # A new class means a new place on the shelf: a fresh 种次号 in the new class.
        record.book_number = assign_book_number(record.class_number) if record.class_number else ""
    _keys(record)
    record.save()
    if record.call_number != old_call_number:
        # Copies that carried the record's call number follow it; a copy labelled apart keeps
        # its own.
        record.items.filter(call_number=old_call_number).update(
            call_number=record.call_number, shelf_key=record.shelf_key
        )
    search.index_record(record)
    AuditLog.record("record_updated", by=by, target=record, via=via)
    return record


def _first_author(data: RecordData) -> str:
    return data.contributors[0]["name"] if data.contributors else ""


@transaction.atomic
def add_item(
    record: Record, data: ItemData, *, by: User | None, via: str = "web", log: bool = True
) -> Item:
    """Add one copy to a record: barcode and accession number checked or assigned."""
    accession = clean(data.accession_number) or next_accession_number()
    if data.accession_number and accession.isdigit():
        note_number_used(ACCESSION_KEY, int(accession))
    barcode = clean(data.barcode).upper() or accession
    if Item.objects.filter(barcode=barcode).exists():
        raise DuplicateBarcode(f"条码号“{barcode}”已被使用")
    if Item.objects.filter(accession_number=accession).exists():
        raise DuplicateAccessionNumber(f"登录号“{accession}”已被使用")
    call_number = clean(data.call_number) or record.call_number
    location = data.location or default_location()
    item = Item.objects.create(
        record=record,
        barcode=barcode,
        accession_number=accession,
        call_number=call_number,
        shelf_key=clc.shelf_key(call_number) if call_number else "",
        location=location,
        item_type=data.item_type or item_type_for(record, location),
        price=data.price if data.price is not None else record.price,
        source=data.source,
        donor=clean(data.donor),
        received_on=data.received_on,
        notes=data.notes,
    )
    if log:
        AuditLog.record("item_added", by=by, target=item, via=via, record=record.pk)
    return item


def item_type_for(record: Record, location: Location) -> str:
    """A new copy's type when the cataloguer does not say: 工具书 in a room-only location."""
    if location.room_only:
        return Item.ItemType.REFERENCE
    by_material = {
        Record.MaterialType.PERIODICAL: Item.ItemType.PERIODICAL,
        Record.MaterialType.AUDIO_VISUAL: Item.ItemType.AUDIO_VISUAL,
    }
    return by_material.get(Record.MaterialType(record.material_type), Item.ItemType.GENERAL)


def default_location() -> Location:
    location = Location.objects.filter(is_default=True).first() or Location.objects.first()
    if location is None:
        raise InvalidRecord("还没有馆藏地点：请先运行 shuxiang init", "location")
    return location


DEFAULT_LOCATIONS = [
    # code, name, kind, lends, room_only
    ("STACKS", "书库", Location.Kind.STACKS, True, False),
    ("READING", "阅览室", Location.Kind.READING_ROOM, False, True),
    ("TEACHERS", "教师阅览室", Location.Kind.TEACHERS_ROOM, True, False),
    ("REFERENCE", "工具书区", Location.Kind.READING_ROOM, False, True),
]


def ensure_default_locations() -> None:
    for position, (code, name, kind, lends, room_only) in enumerate(DEFAULT_LOCATIONS):
        Location.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "lends": lends,
                "room_only": room_only,
                "position": position * 10,
                "is_default": code == "STACKS",
            },
        )
