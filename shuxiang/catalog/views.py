"""The cataloguing screens (staff who may catalogue; everyone else gets 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import User
from shuxiang.catalog import queries, services
from shuxiang.catalog.errors import (
    DuplicateAccessionNumber,
    DuplicateBarcode,
    DuplicateRecord,
    InvalidRecord,
)
from shuxiang.catalog.forms import (
    CopiesForm,
    IsbnForm,
    ItemForm,
    RecordForm,
    contributor_formset,
    contributors_from,
)
from shuxiang.catalog.models import Item, Record
from shuxiang.lib import clc

View = Callable[..., HttpResponse]
SHELF_PAGE_SIZE = 50
SHELF_PRINT_LIMIT = 2000
RECENT = 8


def catalogue_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (isinstance(request.user, User) and request.user.can_catalogue):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _items(record: Record) -> list[Item]:
    return list(record.items.select_related("location").order_by("accession_number", "id"))


@catalogue_required
def home(request: HttpRequest) -> HttpResponse:
    """Start from an ISBN: a known book gets a copy added, a new one the record form."""
    form = IsbnForm(request.GET if "isbn" in request.GET else None)
    if form.is_bound and form.is_valid():
        isbn13 = form.cleaned_data["isbn"]
        existing = queries.find_duplicate(isbn13, "", "", "")
        if existing is not None:
            messages.info(request, _("This book is already catalogued: add a copy below."))
            return redirect(f"{reverse('catalog:record', args=[existing.pk])}?add=1")
        return redirect(f"{reverse('catalog:record_new')}?{urlencode({'isbn': isbn13})}")
    recent = queries.with_availability(Record.objects.order_by("-created_at", "-id"))[:RECENT]
    return render(request, "catalog/home.html", {"form": form, "recent": recent})


@catalogue_required
def record_new(request: HttpRequest) -> HttpResponse:
    duplicate: Record | None = None
    if request.method == "POST":
        form = RecordForm(request.POST)
        authors = contributor_formset(request.POST)
        copies = CopiesForm(request.POST)
        if request.POST.get("action") == "add_to_existing":
            return _add_copies_to_existing(request, form, authors, copies)
        if form.is_valid() and authors.is_valid() and copies.is_valid():
            data = form.record_data(contributors_from(authors))
            try:
                record = services.catalogue_record(
                    data,
                    copies.item_data(),
                    by=_staff(request),
                    allow_duplicate=form.cleaned_data["allow_duplicate"],
                )
            except DuplicateRecord as exc:
                duplicate = Record.objects.filter(pk=exc.existing_id).first()
            except InvalidRecord as exc:
                form.add_service_error(exc)
            except (DuplicateBarcode, DuplicateAccessionNumber) as exc:
                copies.add_error("barcodes", exc.message)
            else:
                _say_catalogued(request, record)
                return redirect("catalog:record", record.pk)
    else:
        form = RecordForm(initial={"isbn": request.GET.get("isbn", "")[:40]})
        form.fields["title"].widget.attrs["autofocus"] = True
        authors = contributor_formset()
        copies = CopiesForm()
    return render(
        request,
        "catalog/record_form.html",
        {
            "form": form,
            "authors": authors,
            "copies": copies,
            "duplicate": duplicate,
            "duplicate_items": _items(duplicate) if duplicate else [],
        },
    )


def _say_catalogued(request: HttpRequest, record: Record) -> None:
    count = record.items.count()
    if record.call_number:
        text = ngettext(
            "Catalogued with call number %(call)s and %(n)d copy: write it on the spine label.",
            "Catalogued with call number %(call)s and %(n)d copies: write it on the spine labels.",
            count,
        )
    else:
        text = ngettext(
            "Catalogued with %(n)d copy, without a class number (no call number yet).",
            "Catalogued with %(n)d copies, without a class number (no call number yet).",
            count,
        )
    messages.success(request, text % {"call": record.call_number, "n": count})


def _add_copies_to_existing(
    request: HttpRequest, form: RecordForm, authors: Any, copies: CopiesForm
) -> HttpResponse:
    """The duplicate check found the book: put the scanned copies on that record instead."""
    existing = get_object_or_404(Record, pk=request.POST.get("existing", ""))
    if copies.is_valid() and copies.item_data():
        try:
            with transaction.atomic():
                added = [
                    services.add_item(existing, item, by=_staff(request))
                    for item in copies.item_data()
                ]
        except (DuplicateBarcode, DuplicateAccessionNumber) as exc:
            copies.add_error("barcodes", exc.message)
        else:
            text = ngettext(
                "Added %(n)d copy to the existing record: %(barcodes)s.",
                "Added %(n)d copies to the existing record: %(barcodes)s.",
                len(added),
            )
            barcodes = "、".join(i.barcode for i in added)
            messages.success(request, text % {"n": len(added), "barcodes": barcodes})
            return redirect("catalog:record", existing.pk)
    elif copies.is_valid():
        copies.add_error("barcodes", _("Scan the barcodes of the copies to add."))
    form.is_valid()
    authors.is_valid()
    return render(
        request,
        "catalog/record_form.html",
        {
            "form": form,
            "authors": authors,
            "copies": copies,
            "duplicate": existing,
            "duplicate_items": _items(existing),
        },
    )


@catalogue_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(queries.with_availability(Record.objects.all()), pk=pk)
    item_form = ItemForm()
    return _render_detail(request, record, item_form, focus_copy="add" in request.GET)


def _render_detail(
    request: HttpRequest, record: Record, item_form: ItemForm, *, focus_copy: bool
) -> HttpResponse:
    if focus_copy:
        item_form.fields["barcode"].widget.attrs["autofocus"] = True
    return render(
        request,
        "catalog/record_detail.html",
        {
            "record": record,
            "items": _items(record),
            "item_form": item_form,
            "focus_copy": focus_copy,
        },
    )


@catalogue_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(queries.with_availability(Record.objects.all()), pk=pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.add_item(record, form.item_data(), by=_staff(request))
        except DuplicateBarcode as exc:
            form.add_error("barcode", exc.message)
        except DuplicateAccessionNumber as exc:
            form.add_error("accession_number", exc.message)
        except InvalidRecord as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Copy %(barcode)s added (accession number %(accession)s, call number %(call)s).")
                % {
                    "barcode": item.barcode,
                    "accession": item.accession_number,
                    "call": item.call_number or "—",
                },
            )
            # Back to the same form, focused, so the next copy can be scanned at once.
            return redirect(f"{reverse('catalog:record', args=[record.pk])}?add=1")
    return _render_detail(request, record, form, focus_copy=True)


@catalogue_required
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    if request.method == "POST":
        form = RecordForm(request.POST)
        authors = contributor_formset(request.POST, record)
        if form.is_valid() and authors.is_valid():
            old_call_number = record.call_number
            try:
                services.update_record(
                    record,
                    form.record_data(contributors_from(authors), base=record),
                    by=_staff(request),
                )
            except InvalidRecord as exc:
                form.add_service_error(exc)
            else:
                if record.call_number != old_call_number:
                    messages.warning(
                        request,
                        _("Saved. The call number is now %(call)s: relabel the copies.")
                        % {"call": record.call_number or "—"},
                    )
                else:
                    messages.success(request, _("Saved."))
                return redirect("catalog:record", record.pk)
    else:
        form = RecordForm(initial=RecordForm.initial_from(record))
        authors = contributor_formset(record=record)
    return render(
        request,
        "catalog/record_form.html",
        {"form": form, "authors": authors, "record": record},
    )


@catalogue_required
def shelf_list(request: HttpRequest) -> HttpResponse:
    """Records in shelf order, under a class prefix if given; printable."""
    prefix = clc.normalize_class_number(request.GET.get("prefix", ""))[:40]
    records = queries.shelf_list(prefix)
    print_all = request.GET.get("all") == "1"
    paginator = Paginator(records, SHELF_PRINT_LIMIT if print_all else SHELF_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/shelf_list.html",
        {
            "prefix": prefix,
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
            "print_all": print_all,
            "print_limit": SHELF_PRINT_LIMIT,
        },
    )
