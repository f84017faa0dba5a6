"""The reading room's door: scan a card to record a visit; the week's record per teacher."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import User
from shuxiang.circulation import services, visits
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.permissions import desk_required
from shuxiang.patrons.errors import PatronError


def _chosen_week(request: HttpRequest) -> date:
    try:
        day = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    return visits.week_of(day)


@desk_required
def visit_week(request: HttpRequest) -> HttpResponse:
    """Scan box and the week's record (教师进阅览室阅览的记载); POST records a visit."""
    if request.method == "POST":
        return _record(request)
    monday = _chosen_week(request)
    rows = visits.teachers_week(monday)
    days = [monday + timedelta(days=n) for n in range(7)]
    return render(
        request,
        "circulation/visits.html",
        {
            "monday": monday,
            "sunday": days[-1],
            "days": days,
            "rows": rows,
            "totals": [sum(r.days[n] for r in rows) for n in range(7)],
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "pupils": visits.visits_in(monday, days[-1], teachers=False),
        },
    )


def _record(request: HttpRequest) -> HttpResponse:
    card = request.POST.get("card", "").strip()
    assert isinstance(request.user, User)
    if not card:
        messages.error(request, _("Scan a library card."))
        return redirect("corners:visits")
    channel = services.Channel(by=request.user, via="web", station="reading-room")
    try:
        recorded = visits.record_visit(card, channel)
    except (CirculationError, PatronError) as exc:
        messages.error(request, str(exc))
        return redirect("corners:visits")
    if recorded.new:
        messages.success(request, _("%(name)s: visit recorded.") % {"name": recorded.patron.name})
    else:
        messages.info(
            request,
            _("%(name)s was already recorded a moment ago.") % {"name": recorded.patron.name},
        )
    return redirect("corners:visits")
