"""Visits to the reading room (教师进阅览室阅览的记载): a card scanned at the door.

One function changes state (`record_visit`); the weekly record is a query. A card scanned
again within REPEAT_MINUTES is the same visit (a teacher who steps out and back, a double
scan), so the counts are visits, not scans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog
from shuxiang.circulation.errors import PatronBlocked
from shuxiang.circulation.models import ReadingRoomVisit
from shuxiang.circulation.services import Channel, find_patron
from shuxiang.patrons.models import Patron

REPEAT_MINUTES = 120
GONE = {Patron.Status.GRADUATED, Patron.Status.LEFT}


@dataclass
class Recorded:
    visit: ReadingRoomVisit
    patron: Patron
    new: bool  # False: scanned again within REPEAT_MINUTES, the same visit


@transaction.atomic
def record_visit(card: str, channel: Channel, *, at: datetime | None = None) -> Recorded:
    """Record that the card's holder came into the reading room; refuses unknown, replaced
    and lost cards and readers who have left, each with its reason in Chinese."""
    at = at or timezone.now()
    patron = find_patron(card)
    if patron.status in GONE:
        raise PatronBlocked(_("%(name)s has left the school.") % {"name": patron.name})
    if patron.status == Patron.Status.CARD_LOST:
        raise PatronBlocked(_("This card was reported lost."))
    recent = (
        ReadingRoomVisit.objects.filter(
            patron=patron, visited_at__gt=at - timedelta(minutes=REPEAT_MINUTES)
        )
        .order_by("-visited_at")
        .first()
    )
    if recent is not None:
        return Recorded(recent, patron, new=False)
    visit = ReadingRoomVisit.objects.create(
        patron=patron,
        patron_type=patron.type,
        visited_on=timezone.localdate(at),
        visited_at=at,
        recorded_by=channel.by,
        via=channel.via,
    )
    AuditLog.record("reading_room.visit_recorded", by=channel.by, target=visit, via=channel.via)
    return Recorded(visit, patron, new=True)


@dataclass
class VisitorWeek:
    patron_id: int
    name: str
    days: list[int] = field(default_factory=lambda: [0] * 7)  # Monday … Sunday

    @property
    def total(self) -> int:
        return sum(self.days)


def week_of(day: date) -> date:
    """The Monday of day's week."""
    return day - timedelta(days=day.weekday())


def teachers_week(monday: date) -> list[VisitorWeek]:
    """Every teacher and member of staff who came in that week, with visits per day."""
    rows = (
        ReadingRoomVisit.objects.filter(
            visited_on__range=(monday, monday + timedelta(days=6)),
            patron__isnull=False,
        )
        .exclude(patron_type=Patron.Type.STUDENT)
        .values("patron_id", "patron__name", "visited_on")
        .annotate(n=Count("id"))
    )
    found: dict[int, VisitorWeek] = {}
    for row in rows:
        entry = found.setdefault(
            row["patron_id"], VisitorWeek(row["patron_id"], row["patron__name"])
        )
        entry.days[(row["visited_on"] - monday).days] += row["n"]
    return sorted(found.values(), key=lambda v: (-v.total, v.name))


def visits_in(start: date, end: date, *, teachers: bool) -> int:
    """Visits from start to end (inclusive) by teachers and staff, or by pupils."""
    visits = ReadingRoomVisit.objects.filter(visited_on__range=(start, end))
    if teachers:
        return visits.exclude(patron_type=Patron.Type.STUDENT).count()
    return visits.filter(patron_type=Patron.Type.STUDENT).count()
