"""The librarian's holds page (预约): titles readers wait for, in queue order; the hold shelf
of copies kept for their readers; cancelling a hold; expiring uncollected holds now; and the
printable hold-shelf list. Readers place and cancel their own holds in the OPAC."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import queries, services
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import Hold
from shuxiang.circulation.permissions import circulation_manager_required


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _channel(request: HttpRequest) -> services.Channel:
    return services.Channel(by=_user(request), via="web", station="holds")


@circulation_manager_required
def hold_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    shelf = list(queries.hold_shelf())
    waiting = queries.waiting_holds()
    # The page names readers, children among them.
    AuditLog.record(
        "holds.viewed",
        by=_user(request),
        ready=len(shelf),
        waiting=sum(len(t.holds) for t in waiting),
    )
    context = {
        "shelf": shelf,
        "waiting": waiting,
        "waiting_count": sum(len(t.holds) for t in waiting),
        "expired_on_shelf": sum(1 for h in shelf if h.expires_on and h.expires_on < today),
        "today": today,
    }
    return render(request, "circulation/hold_list.html", context)


@circulation_manager_required
def hold_shelf_print(request: HttpRequest) -> HttpResponse:
    shelf = list(queries.hold_shelf())
    AuditLog.record("holds.shelf_printed", by=_user(request), ready=len(shelf))
    context = {"shelf": shelf, "today": timezone.localdate()}
    return render(request, "circulation/hold_shelf_print.html", context)


@require_POST
@circulation_manager_required
def hold_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(Hold.objects.select_related("record", "item"), pk=pk)
    item = hold.item if hold.status == Hold.Status.READY else None
    try:
        services.cancel_hold(hold, _channel(request))
    except CirculationError as exc:
        messages.error(request, exc.message)
        return redirect("holds:list")
    messages.success(
        request, _("The hold on 《%(title)s》 is cancelled.") % {"title": hold.record.title}
    )
    if item is not None:
        _say_where_the_copy_goes(request, item.pk, item.barcode)
    return redirect("holds:list")


def _say_where_the_copy_goes(request: HttpRequest, item_id: int, barcode: str) -> None:
    """A copy leaving the hold shelf goes to the next reader waiting, or back to the stacks."""
    following = Hold.objects.filter(item_id=item_id, status=Hold.Status.READY)
    nxt = following.select_related("patron").first()
    if nxt is not None and nxt.patron is not None:
        messages.info(
            request,
            _("Copy %(barcode)s stays on the hold shelf, now for %(name)s.")
            % {"barcode": barcode, "name": nxt.patron.name},
        )
    else:
        messages.info(request, _("Put copy %(barcode)s back on the shelf.") % {"barcode": barcode})


@require_POST
@circulation_manager_required
def hold_expire(request: HttpRequest) -> HttpResponse:
    """Run the expiry now instead of waiting for the daily `shuxiang overdue` run."""
    today = timezone.localdate()
    due = list(
        Hold.objects.filter(status=Hold.Status.READY, expires_on__lt=today).select_related("item")
    )
    count = services.expire_holds(_channel(request), today=today)
    if not count:
        messages.info(request, _("No hold has passed its last day."))
        return redirect("holds:list")
    messages.success(request, _("Holds expired: %(n)d.") % {"n": count})
    for hold in due:
        if hold.item is not None:
            _say_where_the_copy_goes(request, hold.item.pk, hold.item.barcode)
    return redirect("holds:list")
