"""Class book corners (班级图书角) and the reading room's closing list.

The librarian lends a batch of books to a class's corner in one scanning session and takes
them back the same way (or all at once); a homeroom teacher may look at their own class's
corner. Every change goes through circulation.services: these views only read the scans and
say what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import queries, services
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import Loan
from shuxiang.circulation.permissions import can_manage_circulation, circulation_manager_required
from shuxiang.lib import barcodes
from shuxiang.patrons import permissions
from shuxiang.patrons.models import SchoolClass
from shuxiang.patrons.permissions import login_needed

MAX_BARCODE = 64
LEND, RETURN = "lend", "return"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _channel(request: HttpRequest, via: str = "web") -> services.Channel:
    return services.Channel(by=_user(request), via=via, station="corners")


# ----------------------------------------------------------------------------- pages


@login_needed
def corner_list(request: HttpRequest) -> HttpResponse:
    """Every class with what its corner holds; a homeroom teacher sees their own class(es)."""
    if not (can_manage_circulation(request.user) or permissions.is_homeroom(request.user)):
        raise PermissionDenied
    today = timezone.localdate()
    rows = queries.corner_overview(today, permissions.visible_classes(request.user))
    first, last = queries.term_span(today)
    context = {
        "rows": rows,
        "total_books": sum(r.books for r in rows),
        "total_term": sum(r.term_books for r in rows),
        "classes_holding": sum(1 for r in rows if r.books),
        "term_first": first,
        "term_last": last,
        "today": today,
        "can_manage": can_manage_circulation(request.user),
    }
    return render(request, "circulation/corner_list.html", context)


@login_needed
def corner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A class's corner: the books it holds and, for the librarian, the scanning sessions."""
    school_class = permissions.get_class_for_user(request.user, pk)
    can_manage = can_manage_circulation(request.user)
    mode = RETURN if request.GET.get("mode") == RETURN else LEND
    context = _holdings_context(school_class)
    context.update({"can_manage": can_manage, "mode": mode})
    return render(request, "circulation/corner_detail.html", context)


@login_needed
def corner_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of a class's corner books, to print and sign when the box changes hands."""
    school_class = permissions.get_class_for_user(request.user, pk)
    return render(request, "circulation/corner_print.html", _holdings_context(school_class))


def _holdings_context(school_class: SchoolClass) -> dict[str, Any]:
    return {
        "loans": list(queries.corner_loans(school_class)),
        **_summary_context(school_class),
    }


def _summary_context(school_class: SchoolClass) -> dict[str, Any]:
    today = timezone.localdate()
    summary = queries.corner_summary(school_class, today)
    return {"school_class": school_class, "summary": summary, "today": today}


# ----------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Scan:
    """One scan's answer: ok (green), note (yellow: look, a hold waits or the book was
    already there) or refused (red, with the reason)."""

    barcode: str
    outcome: str
    message: str
    title: str = ""
    done: bool = False  # the book moved: lent to the corner, or back from it
    loan: Loan | None = None  # the loan made or closed, when done

    @property
    def ok(self) -> bool:
        return self.outcome != "refused"


def _refused(code: str, message: str, item: Item | None = None) -> Scan:
    return Scan(code, "refused", message, item.record.title if item else "")


@require_POST
@circulation_manager_required
def corner_lend(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = get_object_or_404(SchoolClass, pk=pk)
    scan = _lend(school_class, _barcode(request), _channel(request))
    return _answer(request, school_class, scan, LEND)


@require_POST
@circulation_manager_required
def corner_return(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = get_object_or_404(SchoolClass, pk=pk)
    scan = _take_back(school_class, _barcode(request), _channel(request))
    return _answer(request, school_class, scan, RETURN)


def _barcode(request: HttpRequest) -> str:
    return barcodes.normalize(request.POST.get("barcode", ""))[:MAX_BARCODE]


def _lend(school_class: SchoolClass, code: str, channel: services.Channel) -> Scan:
    if not code:
        return _refused(code, _("Scan a book's barcode."))
    item: Item | None = None
    try:
        item = services.find_item(code)
        loan = queries.open_loan_of(item)
        if loan is not None and loan.kind == Loan.Kind.CLASS_CORNER:
            return _in_a_corner(code, item, loan, school_class)
        loan = services.lend_to_corner(school_class, item, channel)
    except CirculationError as exc:
        return _refused(code, exc.message, item)
    message = _("Lent to the corner, due back %(due)s.") % {"due": loan.due_on.isoformat()}
    return Scan(code, "ok", message, item.record.title, done=True, loan=loan)


def _in_a_corner(code: str, item: Item, loan: Loan, school_class: SchoolClass) -> Scan:
    if loan.school_class_id == school_class.pk:
        # Scanned twice in one session: nothing to do, and nothing wrong either.
        message = _("Already in this class's corner (since %(day)s).") % {
            "day": loan.checked_out_on.isoformat()
        }
        return Scan(code, "note", message, item.record.title)
    other = loan.school_class.label if loan.school_class else "?"
    return _refused(
        code,
        _("This book is in %(class)s's corner: take it back from there first.") % {"class": other},
        item,
    )


def _take_back(school_class: SchoolClass, code: str, channel: services.Channel) -> Scan:
    """Return one book of this class's corner. A book lent elsewhere is refused: in a box of
    corner books it means a mix-up the librarian should see, not a silent return."""
    if not code:
        return _refused(code, _("Scan a book's barcode."))
    item: Item | None = None
    try:
        item = services.find_item(code)
        loan = queries.open_loan_of(item)
        if loan is None:
            return _refused(code, _("This book is not on loan: put it back on the shelf."), item)
        if loan.kind != Loan.Kind.CLASS_CORNER:
            return _refused(
                code,
                _("This book is lent to a reader, not to a corner: return it at the desk."),
                item,
            )
        if loan.school_class_id != school_class.pk:
            other = loan.school_class.label if loan.school_class else "?"
            return _refused(
                code,
                _("This book belongs to %(class)s's corner, not this one.") % {"class": other},
                item,
            )
        checkin = services.return_from_corner(item, channel)
    except CirculationError as exc:
        return _refused(code, exc.message, item)
    if checkin.hold is not None and checkin.hold.patron is not None:
        message = _("Back. A reader is waiting for it: put it on the hold shelf for %(name)s.") % {
            "name": checkin.hold.patron.name
        }
        return Scan(code, "note", message, item.record.title, done=True, loan=checkin.loan)
    back = _("Back from the corner.")
    return Scan(code, "ok", back, item.record.title, done=True, loan=checkin.loan)


def _answer(request: HttpRequest, school_class: SchoolClass, scan: Scan, mode: str) -> HttpResponse:
    """htmx gets the scan's line, the corner's figures and the one book row to add or remove
    (the list is not drawn again: a corner may hold a hundred books); a plain form post gets
    the page again with the answer as a message."""
    if request.htmx:  # type: ignore[attr-defined]
        context = _summary_context(school_class)
        context.update({"scan": scan, "can_manage": True, "mode": mode, "oob": True})
        return render(request, "circulation/corner_scan.html", context)
    text = f"{scan.barcode} {scan.title} {scan.message}".strip()
    (messages.success if scan.ok else messages.error)(request, text)
    return redirect(f"{reverse('corners:detail', args=[school_class.pk])}?mode={mode}")


@require_POST
@circulation_manager_required
def corner_return_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back every book listed on the page (the ids posted), each through the ordinary
    return; books lent to the corner after the page was drawn stay where they are."""
    school_class = get_object_or_404(SchoolClass, pk=pk)
    ids = {int(v) for v in request.POST.getlist("loan") if v.isdigit()}
    loans = list(queries.corner_loans(school_class).filter(pk__in=ids))
    channel = _channel(request, via="batch")
    scans = [_take_back(school_class, loan.item.barcode, channel) for loan in loans]
    context = _summary_context(school_class)
    context.update(
        {
            "scans": scans,
            "returned": sum(1 for s in scans if s.done),
            "refused": sum(1 for s in scans if not s.ok),
            "gone": len(ids) - len(loans),
        }
    )
    return render(request, "circulation/corner_returned.html", context)


# ----------------------------------------------------------------------------- reading room


@circulation_manager_required
def room_list(request: HttpRequest) -> HttpResponse:
    """Closing time: reading-room books not back yet, and how many uses there were today."""
    today = timezone.localdate()
    loans = list(queries.room_loans_not_back())
    # The list names readers, children among them.
    AuditLog.record("reading_room.closing_list_viewed", by=_user(request), rows=len(loans))
    context = {
        "loans": loans,
        "earlier": sum(1 for loan in loans if loan.checked_out_on < today),
        "uses_today": queries.room_uses_on(today),
        "today": today,
    }
    return render(request, "circulation/room_list.html", context)


@require_POST
@circulation_manager_required
def room_check_in(request: HttpRequest, loan_pk: int) -> HttpResponse:
    loan = get_object_or_404(
        Loan.objects.select_related("item__record"), pk=loan_pk, kind=Loan.Kind.IN_ROOM
    )
    title = loan.item.record.title
    if loan.returned_at is not None:
        messages.info(request, _("《%(title)s》 is already back.") % {"title": title})
        return redirect("corners:room")
    try:
        checkin = services.check_in(loan.item, _channel(request))
    except CirculationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("《%(title)s》 is back.") % {"title": title})
        if checkin.hold is not None and checkin.hold.patron is not None:
            messages.warning(
                request,
                _("A reader is waiting for it: put it on the hold shelf for %(name)s.")
                % {"name": checkin.hold.patron.name},
            )
    return redirect("corners:room")
