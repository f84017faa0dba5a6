"""The public catalogue (OPAC): search and record pages, open to everyone; and a reader's
own holds (预约), placed and cancelled from the record page and 我的借阅."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import User
from shuxiang.catalog import queries, search
from shuxiang.catalog.models import Item, Record
from shuxiang.circulation import queries as circulation_queries
from shuxiang.circulation import services as circulation
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import Hold
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron
from shuxiang.patrons.permissions import login_needed

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
    context = {"record": record, "items": items, "is_staff": is_staff}
    context.update(_hold_context(request, record))
    context["back"] = request.GET.get("q", "")
    return render(request, "opac/record.html", context)


# ---------------------------------------------------------------------------------- holds


def _reader(request: HttpRequest) -> Patron | None:
    """The patron record of the signed-in user: a reader holds books for their own card only."""
    if not isinstance(request.user, User):
        return None
    return Patron.objects.filter(user=request.user).first()


def _hold_context(request: HttpRequest, record: Record) -> dict[str, Any]:
    """What the record page says about holds: the reader's own hold, or whether to offer one
    (only when no copy that may go home is free on the shelf)."""
    reader = _reader(request)
    hold = circulation_queries.active_hold(reader, record) if reader else None
    # Staff without a card are never offered a hold: no query spent on it.
    may_ask = reader is not None or not request.user.is_authenticated
    offer = (
        may_ask
        and hold is None
        and circulation_queries.lent_copies(record)
        and not circulation_queries.free_on_shelf(record)
        and not (reader and circulation_queries.on_loan_to(reader, record))
    )
    return {
        "reader": reader,
        "hold": hold,
        "offer_hold": offer and reader is not None,
        "login_to_hold": offer and not request.user.is_authenticated,
    }


@require_POST
@login_needed
def place_hold(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    reader = _reader(request)
    if reader is None:
        messages.error(request, _("Your login has no library card: ask the librarian."))
        return redirect("opac:record", record.pk)
    channel = circulation.Channel(by=_user(request), via="web", station="opac")
    try:
        circulation.place_hold(reader, record, channel)
    except (CirculationError, PatronError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Hold placed: the library will keep the book for you when it comes back.")
        )
    return redirect("opac:record", record.pk)


@require_POST
@login_needed
def cancel_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """A reader cancels one of their own holds; anybody else's is not found."""
    reader = _reader(request)
    hold = get_object_or_404(
        Hold.objects.select_related("record"), pk=pk, patron__isnull=False, patron=reader
    )
    channel = circulation.Channel(by=_user(request), via="web", station="opac")
    try:
        circulation.cancel_hold(hold, channel)
    except CirculationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your hold on 《%(title)s》 is cancelled.") % {"title": hold.record.title}
        )
    return redirect(_next(request, reverse("opac:record", args=[hold.record_id])))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else default
