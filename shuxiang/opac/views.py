"""The public catalogue (OPAC): search and record pages, open to everyone."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from shuxiang.accounts.models import User
from shuxiang.catalog import queries, search
from shuxiang.catalog.models import Item, Record

PAGE_SIZE = 20
MAX_QUERY = 200
NEW_BOOKS = 8


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    if not query:
        new_books = queries.with_availability(Record.objects.order_by("-created_at", "-id"))
        return render(request, "opac/search.html", {"new_books": new_books[:NEW_BOOKS]})

    number = _page_number(request)
    found = search.search_records(query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    if not found.ids and found.count and number > 1:
        # A page past the end (an old link after records were withdrawn): the last one.
        last = (found.count - 1) // PAGE_SIZE + 1
        return redirect(f"{reverse('opac:search')}?{_query(request, page=last)}")

    # The search answers ids in rank order; one query fetches the page's records.
    by_id = {r.pk: r for r in queries.with_availability(Record.objects.filter(pk__in=found.ids))}
    records = [by_id[i] for i in found.ids if i in by_id]
    locations = queries.locations_by_record([r.pk for r in records])
    for record in records:
        record.location_names = locations.get(record.pk, [])  # type: ignore[attr-defined]

    # Paginator over a range: only the count matters, the page's rows came from the search.
    paginator = Paginator(range(found.count), PAGE_SIZE)
    page = paginator.get_page(number)
    return render(
        request,
        "opac/search.html",
        {
            "searched": True,
            "query": query,
            "count": found.count,
            "count_exact": found.exact,
            "records": records,
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
        },
    )


def _query(request: HttpRequest, **changes: object) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params[key] = str(value)
    return params.urlencode()


def record_page(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(queries.with_availability(Record.objects.all()), pk=pk)
    items = list(
        record.items.exclude(status=Item.Status.WITHDRAWN)
        .select_related("location")
        .order_by("location__position", "shelf_key", "barcode")
    )
    is_staff = isinstance(request.user, User) and request.user.can_catalogue
    return render(
        request,
        "opac/record.html",
        {"record": record, "items": items, "is_staff": is_staff, "back": request.GET.get("q", "")},
    )
