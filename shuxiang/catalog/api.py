from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shuxiang.accounts.models import User
from shuxiang.api.errors import errors
from shuxiang.catalog import queries, search, services
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import Item, Location, Record

router = Router(tags=["catalog"])
PAGE_SIZE = 20


class RecordOut(Schema):
    id: int
    title: str
    authors: list[str]
    publisher: str
    year: int | None
    isbn: str
    class_number: str
    call_number: str
    items_total: int
    items_available: int


class SearchOut(Schema):
    count: int
    # False when PostgreSQL estimated the count of a very broad query (docs/search.md).
    count_exact: bool
    page: int
    results: list[RecordOut]


class ItemOut(Schema):
    barcode: str
    accession_number: str
    call_number: str
    location: str
    location_name: str
    status: str
    status_display: str
    available: bool


class RecordDetailOut(RecordOut):
    subtitle: str
    other_titles: list[str]
    parallel_titles: list[str]
    contributors: list[dict[str, str]]
    place: str
    edition: str
    other_isbns: list[str]
    price: Decimal | None
    currency: str
    pages: str
    series: str
    summary: str
    subjects: list[str]
    language: str
    material_type: str
    grade_min: int | None
    grade_max: int | None
    book_number: str
    items: list[ItemOut]


class CurrentLoanOut(Schema):
    patron: str | None = Field(..., description="Borrower's card number (null: a class corner)")
    school_class: str | None = Field(None, description="The class, for a class corner's copy")
    checked_out: date
    due: date
    kind: str = Field(..., description="regular, in_room or corner")


class ItemDetailOut(ItemOut):
    record: int
    title: str
    authors: list[str]
    price: Decimal | None
    source: str
    donor: str
    received_on: date | None
    loan: CurrentLoanOut | None = Field(
        None, description="The open loan, for the librarian and the desk (else always null)"
    )


class ItemIn(Schema):
    barcode: str = ""
    accession_number: str = ""
    location: str = ""
    price: str | float | None = None
    source: Item.Source = Item.Source.PURCHASE
    donor: str = ""


class RecordIn(Schema):
    title: str = Field(..., max_length=500)
    authors: list[str] = []
    publisher: str = Field("", max_length=255)
    place: str = Field("", max_length=100)
    year: int | None = None
    edition: str = Field("", max_length=100)
    isbn: str = Field("", max_length=40)
    price: str | float | None = None
    class_number: str = Field("", max_length=40)
    pages: str = Field("", max_length=100)
    series: str = Field("", max_length=255)
    summary: str = ""
    subjects: list[str] = []
    grade_min: int | None = None
    grade_max: int | None = None
    items: list[ItemIn] = Field([], max_length=500)


class CreatedItemOut(Schema):
    barcode: str
    accession_number: str
    call_number: str


class CreatedOut(Schema):
    id: int
    call_number: str
    items: list[CreatedItemOut]


class LocationOut(Schema):
    code: str
    name: str
    kind: str
    lends: bool
    room_only: bool


def _record_out(record: Record) -> dict[str, object]:
    return {
        "id": record.pk,
        "title": record.title,
        "authors": record.author_names,
        "publisher": record.publisher,
        "year": record.year,
        "isbn": record.isbn,
        "class_number": record.class_number,
        "call_number": record.call_number,
        "items_total": getattr(record, "items_total", 0),
        "items_available": getattr(record, "items_available", 0),
    }


def _item_out(item: Item) -> dict[str, object]:
    return {
        "barcode": item.barcode,
        "accession_number": item.accession_number,
        "call_number": item.call_number,
        "location": item.location.code,
        "location_name": item.location.name,
        "status": item.status,
        "status_display": item.get_status_display(),
        "available": item.status == Item.Status.ON_SHELF,
    }


@router.get("/records", response={200: SearchOut, **errors(401, 422)})
def list_records(request: HttpRequest, q: str = "", page: int = 1) -> dict[str, object]:
    if not 1 <= page <= 10000:
        raise HttpError(422, "页码应在 1–10000 之间")
    q = q[:200]
    found = search.search_records(q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    records = {r.pk: r for r in queries.with_availability(Record.objects.filter(pk__in=found.ids))}
    results = [_record_out(records[i]) for i in found.ids if i in records]
    return {"count": found.count, "count_exact": found.exact, "page": page, "results": results}


@router.get("/records/{record_id}", response={200: RecordDetailOut, **errors(401, 404, 422)})
def get_record(request: HttpRequest, record_id: int) -> dict[str, object]:
    record = get_object_or_404(queries.with_availability(Record.objects.all()), pk=record_id)
    items = record.items.select_related("location").exclude(status=Item.Status.WITHDRAWN)
    return {
        **_record_out(record),
        **{
            name: getattr(record, name)
            for name in RecordDetailOut.model_fields
            if name not in RecordOut.model_fields and name != "items"
        },
        "items": [_item_out(i) for i in items],
    }


@router.post("/records", response={201: CreatedOut, **errors(401, 403, 409, 422)})
def create_record(request: HttpRequest, body: RecordIn) -> Status[dict[str, object]]:
    user = request.user
    if not isinstance(user, User) or not user.can_catalogue:
        raise HttpError(403, "只有图书管理员可以编目")
    locations = {loc.code: loc for loc in Location.objects.all()}
    items = []
    for entry in body.items:
        location = None
        if entry.location:
            location = locations.get(entry.location.strip().upper()) or _location_by_name(
                locations, entry.location
            )
            if location is None:
                raise InvalidRecord(f"馆藏地点“{entry.location}”不存在", "location")
        items.append(
            services.ItemData(
                barcode=entry.barcode,
                accession_number=entry.accession_number,
                location=location,
                price=services.parse_price(entry.price),
                source=entry.source,
                donor=entry.donor,
            )
        )
    data = services.RecordData.with_authors(
        body.title,
        body.authors,
        publisher=body.publisher,
        place=body.place,
        year=body.year,
        edition=body.edition,
        isbn=body.isbn,
        price=services.parse_price(body.price),
        class_number=body.class_number,
        pages=body.pages,
        series=body.series,
        summary=body.summary,
        subjects=body.subjects,
        grade_min=body.grade_min,
        grade_max=body.grade_max,
    )
    record = services.catalogue_record(data, items, by=user, via="api")
    created = record.items.order_by("id")
    return Status(
        201,
        {
            "id": record.pk,
            "call_number": record.call_number,
            "items": [
                {
                    "barcode": i.barcode,
                    "accession_number": i.accession_number,
                    "call_number": i.call_number,
                }
                for i in created
            ],
        },
    )


def _location_by_name(locations: dict[str, Location], name: str) -> Location | None:
    return next((loc for loc in locations.values() if loc.name == name.strip()), None)


@router.get("/locations", response={200: list[LocationOut], **errors(401)})
def list_locations(request: HttpRequest) -> list[Location]:
    return list(Location.objects.all())


@router.get("/items/{barcode}", response={200: ItemDetailOut, **errors(401, 404)})
def get_item(request: HttpRequest, barcode: str) -> dict[str, object]:
    item = (
        Item.objects.select_related("record", "location")
        .filter(barcode=barcode.strip().upper())
        .first()
    )
    if item is None:
        raise Http404(f"条码号“{barcode}”不存在")
    return {
        **_item_out(item),
        "record": item.record_id,
        "title": item.record.title,
        "authors": item.record.author_names,
        "price": item.price,
        "source": item.source,
        "donor": item.donor,
        "received_on": item.received_on,
        "loan": _current_loan(item) if _sees_loans(request.user) else None,
    }


def _sees_loans(user: object) -> bool:
    # Who has which book is the desk's business: the librarian and the assistants.
    return isinstance(user, User) and (user.is_librarian or user.role == User.Role.ASSISTANT)


def _current_loan(item: Item) -> dict[str, object] | None:
    # Through the reverse relation: catalog sits left of circulation and does not import it.
    loan = item.loans.filter(returned_at__isnull=True).select_related("patron", "school_class")
    found = loan.first()
    if found is None:
        return None
    return {
        "patron": found.patron.card_number if found.patron else None,
        "school_class": found.school_class.label if found.school_class else None,
        "checked_out": found.checked_out_on,
        "due": found.due_on,
        "kind": found.kind,
    }
