"""Every circulation state change, one function each, used alike by the desk, the API, SIP2 and
the bulk tools. Each runs in one transaction and writes one CirculationEvent (or more, when one
scan does two things: a return that readies a hold).

Locks are always taken in the same order, so two desks never deadlock: the patron, then the
copy, then its open loan, then the active holds of its title (oldest first, all at once). The
unique index on open loans is the last word when two desks race for one copy.
Row locks are FOR NO KEY UPDATE on PostgreSQL: they queue the desks just the same, but do not
block the foreign-key checks of another desk's inserts (a return's event names the patron that
a checkout has locked), which FOR UPDATE turns into deadlocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shuxiang.accounts.models import User
from shuxiang.catalog.models import Item, Record
from shuxiang.circulation import config, rules, statements
from shuxiang.circulation.errors import (
    AlreadyOnLoan,
    CannotUndo,
    CirculationError,
    CompensationError,
    HeldForOther,
    HoldRefused,
    ItemNotFound,
    LimitReached,
    NotForLoan,
    NotOnLoan,
    OnHold,
    OutsideSlot,
    PatronBlocked,
    RenewalLimit,
)
from shuxiang.circulation.models import (
    CirculationEvent,
    CirculationPolicy,
    Fine,
    Hold,
    Loan,
    LoanRule,
    Repair,
)
from shuxiang.lib import barcodes
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.errors import PatronNotFound
from shuxiang.patrons.models import Patron, SchoolClass

Action = CirculationEvent.Action
UNAVAILABLE: dict[str, str] = {
    Item.Status.LOST: gettext_noop("This copy is recorded as lost."),
    Item.Status.MISSING: gettext_noop("This copy is recorded as missing."),
    Item.Status.DAMAGED: gettext_noop("This copy is damaged and out of circulation."),
    Item.Status.IN_REPAIR: gettext_noop("This copy is being repaired."),
    Item.Status.WITHDRAWN: gettext_noop("This copy has been withdrawn."),
    Item.Status.PROCESSING: gettext_noop("This copy is still being processed."),
}
# Patrons who will not come back for a held book: their holds are passed over.
GONE = (Patron.Status.GRADUATED, Patron.Status.LEFT)


@dataclass
class Channel:
    """Who acts and through what: written on every event."""

    by: User | None
    via: str = "desk"  # desk, api, sip2, batch, cli, web
    station: str = ""


@dataclass
class Checkout:
    loan: Loan
    rule: LoanRule
    warnings: list[str] = field(default_factory=list)
    hold_filled: Hold | None = None


@dataclass
class Checkin:
    loan: Loan
    overdue_days: int
    hold: Hold | None = None  # the hold this copy is now kept for
    in_room: bool = False


class OpenLoan(NamedTuple):
    """What a checkout needs to know of each book a patron has: for the limits, the overdue
    block and "already has this book"."""

    item_id: int
    kind: str
    due_on: date
    item_type: str
    location_id: int


def _now() -> datetime:
    return timezone.now()


def _serialised() -> bool:
    """True on SQLite, where BEGIN IMMEDIATE lets one writer in at a time: what a transaction
    reads cannot change under it. On PostgreSQL a row lock may wait for another desk, and
    whatever the locking statement joined was read before that desk committed."""
    return not connection.features.has_select_for_update


def _event(action: str, channel: Channel, at: datetime, **fields: Any) -> CirculationEvent:
    event = CirculationEvent(
        action=action, at=at, by=channel.by, via=channel.via, station=channel.station, **fields
    )
    statements.insert(event)
    return event


# The record's long and list fields, which no scan shows: loaded only if something asks.
RECORD_UNSHOWN = [
    f"record__{name}"
    for name in (
        "summary",
        "subjects",
        "parallel_titles",
        "other_titles",
        "other_isbns",
        "title_key",
        "dedup_key",
        "shelf_key",
    )
]


def _items(**where: Any) -> QuerySet[Item]:
    # has_holds spares the checkout and the return a look at the holds when none are active.
    active = Hold.objects.active().filter(record_id=OuterRef("record_id"))
    return (
        Item.objects.filter(**where)
        .select_related("record", "location")
        .defer(*RECORD_UNSHOWN)
        .annotate(has_holds=Exists(active))
        .order_by()
    )


def _patrons(**where: Any) -> QuerySet[Patron]:
    # One row per open loan (or one row with no loan): the patron and all a checkout must
    # know of their books in one statement.
    return (
        Patron.objects.filter(**where)
        .select_related("school_class")
        .select_for_update(of=("self",), no_key=True)
        .annotate(open_loan=FilteredRelation("loans", condition=Q(loans__returned_at__isnull=True)))
        .annotate(
            loan_item=F("open_loan__item_id"),
            loan_kind=F("open_loan__kind"),
            loan_due=F("open_loan__due_on"),
            loan_item_type=F("open_loan__item__item_type"),
            loan_location=F("open_loan__item__location_id"),
        )
        .order_by()
    )


def _open_loans_by_barcode(code: str) -> QuerySet[Loan]:
    active = Hold.objects.active().filter(record_id=OuterRef("item__record_id"))
    return (
        Loan.objects.open()
        .filter(item__barcode=code)
        # Not the loan's own class: only a corner loan has one the desk would show.
        .select_related("item__record", "item__location", "patron__school_class")
        .defer(*(f"item__{name}" for name in RECORD_UNSHOWN))
        # PostgreSQL locks in the order named: the copy, then its loan, as everywhere else.
        .select_for_update(of=("item", "self"), no_key=True)
        .annotate(has_holds=Exists(active))
        .order_by()
    )


_CODE = "\x00code"  # markers: no barcode, card number or id looks like these
_ID = -7_340_021
_ITEM = statements.Compiled(lambda code: _items(barcode=code), _CODE)
_ITEM_LOCKED = statements.Compiled(
    lambda code: _items(barcode=code).select_for_update(of=("self",), no_key=True), _CODE
)
_PATRON_BY_CARD = statements.Compiled(lambda code: _patrons(card_number=code), _CODE)
_PATRON_BY_ID = statements.Compiled(lambda pk: _patrons(pk=pk), _ID)
_OPEN_LOAN = statements.Compiled(_open_loans_by_barcode, _CODE)


# ----------------------------------------------------------------------------- lookups


def find_item(barcode: str, *, lock: bool = False) -> Item:
    code = barcodes.normalize(barcode)
    found = (_ITEM_LOCKED if lock else _ITEM)(code)
    if not found:
        raise ItemNotFound(_("No book has barcode %(barcode)s.") % {"barcode": code})
    return found[0]


def find_patron(card: str, *, lock: bool = False) -> Patron:
    """The patron a card opens (refusing replaced cards), optionally locked for the checkout."""
    if lock:
        return _lock_patron(card)[0]
    return patron_services.find_patron_by_card(card)


def _item(item: Item | str, lock: bool) -> Item:
    if isinstance(item, Item):
        return find_item(item.barcode, lock=True) if lock else item
    return find_item(item, lock=lock)


def _patron(patron: Patron | str, lock: bool) -> Patron:
    if isinstance(patron, Patron):
        return _lock_patron(patron)[0] if lock else patron
    return find_patron(patron, lock=lock)


def _lock_loan(item: Item | str) -> tuple[Item, Loan | None]:
    """A copy and its open loan (if any), locked in the usual order."""
    code = item.barcode if isinstance(item, Item) else barcodes.normalize(item)
    found = _OPEN_LOAN(code)
    if found:
        return found[0].item, found[0]
    copy = find_item(code, lock=True)
    if copy.status == Item.Status.ON_LOAN:
        # Lent between the two statements: its loan can only be read now, with the copy held.
        found = _OPEN_LOAN(code)
        return (found[0].item, found[0]) if found else (copy, None)
    return copy, None


def _lock_holds(record_id: int) -> list[Hold]:
    """All the active holds of a title, locked at once, oldest first: the order every service
    takes them in, so that a return readying one and a checkout collecting another never wait
    for each other."""
    return list(
        Hold.objects.active()
        .filter(record_id=record_id)
        .select_related("patron__school_class")
        .select_for_update(of=("self",), no_key=True)
        .order_by("placed_at", "pk")
    )


def _lock_patron(patron: Patron | str) -> tuple[Patron, list[OpenLoan]]:
    """The patron, read afresh and locked, with their open loans."""
    if isinstance(patron, Patron):
        rows = _PATRON_BY_ID(patron.pk)
    else:
        rows = _PATRON_BY_CARD(barcodes.normalize(patron))
    if not rows:
        card = patron.card_number if isinstance(patron, Patron) else barcodes.normalize(patron)
        # The patrons app says why: no such card, or a card replaced by 补办.
        patron_services.find_patron_by_card(card)
        raise PatronNotFound(_("No patron has card number %(card)s.") % {"card": card})
    found = rows[0]
    if not _serialised():
        # The lock may have waited for another desk's checkout of this patron, but the join
        # read the loans as they were before: read them again now that nobody else can.
        return found, _open_loans_of(found.pk)
    loans = [
        OpenLoan(r.loan_item, r.loan_kind, r.loan_due, r.loan_item_type, r.loan_location)  # type: ignore[attr-defined]
        for r in rows
        if r.loan_item is not None  # type: ignore[attr-defined]
    ]
    return found, loans


def _open_loans_of(patron_id: int) -> list[OpenLoan]:
    rows = Loan.objects.open().filter(patron_id=patron_id).order_by()
    fields = ("item_id", "kind", "due_on", "item__item_type", "item__location_id")
    return [OpenLoan(*row) for row in rows.values_list(*fields)]


# ----------------------------------------------------------------------------- blocks


def patron_blocks(patron: Patron, *, today: date) -> list[tuple[str, str]]:
    """Why this patron may not borrow now: [(code, Chinese reason)], empty when they may."""
    dues: list[date] = []
    if config.snapshot().policy.overdue_block_days is not None:
        dues = list(Loan.objects.open().filter(patron=patron).values_list("due_on", flat=True))
    return _blocks(patron, dues, today=today)


BLOCKING_STATUSES: dict[str, str] = {
    Patron.Status.CARD_LOST: gettext_noop("This card has been reported lost."),
    Patron.Status.SUSPENDED: gettext_noop("This patron's borrowing is suspended."),
    Patron.Status.GRADUATED: gettext_noop("This patron has graduated."),
    Patron.Status.LEFT: gettext_noop("This patron has left the school."),
}


def _blocks(patron: Patron, dues: Iterable[date], *, today: date) -> list[tuple[str, str]]:
    reasons: list[tuple[str, str]] = []
    if patron.status in BLOCKING_STATUSES:
        reasons.append((str(patron.status), _(BLOCKING_STATUSES[patron.status])))
    block_days = config.snapshot().policy.overdue_block_days
    if block_days is not None and any(rules.overdue_days(due, today) > block_days for due in dues):
        reasons.append(
            (
                "overdue",
                _("Books more than %(days)d days overdue must come back first.")
                % {"days": block_days},
            )
        )
    return reasons


# ----------------------------------------------------------------------------- checkout


def rule_for(patron: Patron, item: Item) -> LoanRule | None:
    return rules.rule_for(
        config.snapshot().rules, patron.category, item.item_type, item.location_id
    )


def _check_item_lendable(item: Item) -> None:
    if item.status in UNAVAILABLE:
        raise NotForLoan(_(UNAVAILABLE[item.status]))
    # A room-only location (阅览室, 工具书区) lends for use in the room, nothing else.
    if not item.location.lends and not item.location.room_only:
        raise NotForLoan(
            _("Books in %(location)s are not lent.") % {"location": item.location.name}
        )


@transaction.atomic
def check_out(
    patron: Patron | str,
    item: Item | str,
    channel: Channel,
    *,
    now: datetime | None = None,
) -> Checkout:
    """Lend a copy to a patron (借). Refusals raise with the reason the desk shows; a refused
    checkout changes nothing."""
    now = now or _now()
    today = timezone.localdate(now)
    # Patron first, then item: every checkout locks in this order, so two desks never deadlock.
    patron, loans = _lock_patron(patron)
    item = find_item(item.barcode if isinstance(item, Item) else item, lock=True)
    rule, holds = _may_lend(patron, loans, item, today)
    in_room = rule.room_only or item.location.room_only
    _check_limit(patron, loans, rule, in_room=in_room)
    warnings = [] if in_room else _slot_warnings(patron, now)
    student = patron.type == Patron.Type.STUDENT
    loan = Loan(
        item=item,
        patron=patron,
        school_class_id=patron.school_class_id,
        patron_type=str(patron.type),
        patron_category=patron.category,
        kind=Loan.Kind.IN_ROOM if in_room else Loan.Kind.REGULAR,
        checked_out_at=now,
        checked_out_on=today,
        due_on=today if in_room else rules.due_on(today, rule, _calendar(), student=student),
        checked_out_by=channel.by,
        via=channel.via,
        rule=rule,
    )
    _create_loan(loan)
    _set_status(item, Item.Status.ON_LOAN)
    detail = _rule_detail(rule) | ({"outside_slot": True} if warnings else {})
    event = _event(
        Action.CHECKOUT, channel, now, item=item, patron=patron, loan=loan, detail=detail
    )
    own = next((h for h in holds if h.patron_id == patron.pk), None)
    filled = _fill_hold(own, loan, channel, now, cause=event) if own else None
    return Checkout(loan=loan, rule=rule, warnings=warnings, hold_filled=filled)


def _may_lend(
    patron: Patron, loans: list[OpenLoan], item: Item, today: date
) -> tuple[LoanRule, list[Hold]]:
    """The rule of this loan and the holds it touches; raises the refusal if there is one."""
    blocks = _blocks(patron, (loan.due_on for loan in loans), today=today)
    if blocks:
        raise PatronBlocked(blocks[0][1])
    _check_item_lendable(item)
    if item.status == Item.Status.ON_LOAN:
        has_it = any(loan.item_id == item.pk for loan in loans)
        raise AlreadyOnLoan(
            _("%(patron)s already has this book.") % {"patron": patron.name}
            if has_it
            else _("This book is already on loan: check it in first.")
        )
    rule = rule_for(patron, item)
    if rule is None or rule.max_loans == 0:
        raise NotForLoan(_("This book is not for loan to this patron."))
    holds = _holds_at_checkout(patron, item)
    kept = next((h for h in holds if h.item_id == item.pk and h.status == Hold.Status.READY), None)
    if kept is not None and kept.patron_id != patron.pk:
        raise HeldForOther(_("This book is kept for another reader's hold."))
    return rule, holds


def _calendar() -> config.Calendar:
    return config.snapshot().calendar


def _create_loan(loan: Loan) -> None:
    try:
        statements.insert(loan)
    except IntegrityError:
        # The unique index on open loans is the last word when two desks race for one copy.
        # No savepoint is needed: the error leaves the service, whose atomic() rolls back.
        raise AlreadyOnLoan(_("This book is already on loan: check it in first.")) from None


def _set_status(item: Item, status: str) -> None:
    statements.update(Item, item.pk, status=status)
    item.status = status


def _rule_detail(rule: LoanRule) -> dict[str, object]:
    return {"rule": rule.pk, "rule_text": config.snapshot().describe(rule)}


def _check_limit(patron: Patron, loans: list[OpenLoan], rule: LoanRule, *, in_room: bool) -> None:
    # In-room use and ordinary loans have separate limits: reading a dictionary in the room
    # does not stop a child taking a story book home. A rule for one item type or location
    # counts only the books of that type or location.
    kind = Loan.Kind.IN_ROOM if in_room else Loan.Kind.REGULAR
    counted = sum(
        1
        for loan in loans
        if loan.kind == kind
        and rule.item_type in ("", loan.item_type)
        and rule.location_id in (None, loan.location_id)
    )
    if counted >= rule.max_loans:
        raise LimitReached(
            _("%(patron)s already has %(n)d book(s): the limit is %(max)d.")
            % {"patron": patron.name, "n": counted, "max": rule.max_loans}
        )


def _slot_warnings(patron: Patron, now: datetime) -> list[str]:
    if patron.type != Patron.Type.STUDENT:
        return []
    snap = config.snapshot()
    mode = snap.policy.slot_mode
    if mode == CirculationPolicy.SlotMode.OFF:
        return []
    local = timezone.localtime(now)
    if rules.class_may_borrow_now(snap.slots, patron.school_class_id, local):
        return []
    message = _("It is not %(class)s's lending time.") % {
        "class": patron.school_class.label if patron.school_class else ""
    }
    if mode == CirculationPolicy.SlotMode.REFUSE:
        raise OutsideSlot(message)
    return [message]


# ----------------------------------------------------------------------------- checkin


@transaction.atomic
def check_in(item: Item | str, channel: Channel, *, now: datetime | None = None) -> Checkin:
    """Take a copy back (还): closes its loan, and keeps it for the first waiting hold."""
    now = now or _now()
    code = item.barcode if isinstance(item, Item) else barcodes.normalize(item)
    found = _OPEN_LOAN(code)
    if not found:
        find_item(code)  # an unknown barcode says so
        raise NotOnLoan(_("This book is not on loan."))
    loan = found[0]
    copy = loan.item
    loan.returned_at = now
    loan.checked_in_by = channel.by
    statements.update(Loan, loan.pk, returned_at=now, checked_in_by_id=loan.checked_in_by_id)
    late = rules.overdue_days(loan.due_on, timezone.localdate(now))
    action = Action.CORNER_IN if loan.kind == Loan.Kind.CLASS_CORNER else Action.CHECKIN
    event = _event(
        action,
        channel,
        now,
        item=copy,
        patron=loan.patron,
        loan=loan,
        detail={"overdue_days": late},
    )
    if copy.status == Item.Status.ON_LOAN:
        _set_status(copy, Item.Status.ON_SHELF)
    hold = None
    if getattr(loan, "has_holds", True) or not _serialised():
        hold = _trap_hold(copy, channel, now, cause=event)
    return Checkin(loan=loan, overdue_days=late, hold=hold, in_room=loan.kind == Loan.Kind.IN_ROOM)


# ----------------------------------------------------------------------------- renew


@transaction.atomic
def renew(item: Item | str, channel: Channel, *, now: datetime | None = None) -> Loan:
    """Lend a copy again from today (续借), as many times as the rule allows.

    The rule is the one that applies today, not the one of the checkout: a rule edited since,
    a patron moved up a grade band or a copy moved to the reading room all count.
    """
    now = now or _now()
    today = timezone.localdate(now)
    item, loan = _lock_loan(item)
    if loan is None:
        raise NotOnLoan(_("This book is not on loan."))
    if loan.kind != Loan.Kind.REGULAR:
        raise RenewalLimit(_("Only ordinary loans can be renewed."))
    if loan.patron is not None:
        blocks = patron_blocks(loan.patron, today=today)
        if blocks:
            raise PatronBlocked(blocks[0][1])
    rule = rule_for(loan.patron, item) if loan.patron is not None else loan.rule
    if rule is None or rule.max_loans == 0 or rule.room_only:
        raise RenewalLimit(
            _("This book may no longer be lent to this reader: it cannot be renewed.")
        )
    if loan.renewals >= rule.renewals:
        raise RenewalLimit(
            _("This book cannot be renewed again (renewals allowed: %(n)d).") % {"n": rule.renewals}
        )
    if Hold.objects.filter(record_id=item.record_id, status=Hold.Status.WAITING).exists():
        raise OnHold(_("Another reader is waiting for this book: it cannot be renewed."))
    calendar = config.snapshot().calendar
    student = loan.patron_type == Patron.Type.STUDENT
    due = rules.due_on(today, rule, calendar, student=student)
    if due <= loan.due_on and due < rules.due_on(today, rule, calendar, student=False):
        # Due on the last open day of term already: a renewal would give nothing and use up
        # the renewal (期末清还).
        raise RenewalLimit(
            _("This book is already due on %(due)s, the end of term: it cannot be renewed.")
            % {"due": loan.due_on.isoformat()}
        )
    loan.due_on = max(due, loan.due_on)
    loan.renewals += 1
    loan.rule = rule
    loan.save(update_fields=["due_on", "renewals", "rule"])
    detail = {"due": due.isoformat(), **_rule_detail(rule)}
    _event(Action.RENEW, channel, now, item=item, patron=loan.patron, loan=loan, detail=detail)
    return loan


# ----------------------------------------------------------------------------- holds


def _holds_at_checkout(patron: Patron, item: Item) -> list[Hold]:
    """The hold that keeps this copy, and the patron's own hold on its title (locked with the
    title's other holds, which collecting it may pass a copy to)."""
    if _serialised() and not getattr(item, "has_holds", True):
        return []
    return [
        h
        for h in _lock_holds(item.record_id)
        if (h.item_id == item.pk and h.status == Hold.Status.READY) or h.patron_id == patron.pk
    ]


def _fill_hold(
    hold: Hold, loan: Loan, channel: Channel, now: datetime, *, cause: CirculationEvent
) -> Hold:
    """The patron borrowed the title they were waiting for: their hold is collected.

    The event keeps the hold as it was, for undo. When they took another copy than the one
    kept for them, that copy goes to the next reader.
    """
    item = loan.item
    kept = hold.item_id if hold.status == Hold.Status.READY else None
    before = {
        "after": cause.pk,
        "was": hold.status,
        "item": kept,
        "ready_at": hold.ready_at.isoformat() if hold.ready_at else None,
        "expires_on": hold.expires_on.isoformat() if hold.expires_on else None,
    }
    hold.status = Hold.Status.FILLED
    hold.item = item
    hold.closed_at = now
    hold.save(update_fields=["status", "item", "closed_at"])
    _event(
        Action.HOLD_FILLED,
        channel,
        now,
        item=item,
        patron=loan.patron,
        loan=loan,
        hold=hold,
        detail=before,
    )
    if kept is not None and kept != item.pk:
        # SKIP LOCKED: a desk lending that copy right now holds it and waits for this hold; it
        # will find the copy free. Waiting for it instead would deadlock the two desks.
        other = (
            Item.objects.select_related("location")
            .select_for_update(of=("self",), skip_locked=True, no_key=True)
            .filter(pk=kept)
            .first()
        )
        if other is not None:
            _trap_hold(other, channel, now, cause=cause)
    return hold


def _trap_hold(
    item: Item, channel: Channel, now: datetime, *, cause: CirculationEvent | None
) -> Hold | None:
    """Keep a copy back on the shelf for the first reader waiting for its title who may
    borrow it (a teacher's book is not kept for a pupil; a reader who left is passed over)."""
    if item.status != Item.Status.ON_SHELF or not item.location.lends:
        return None
    waiting = (
        Hold.objects.select_for_update(of=("self",), no_key=True)
        .filter(record_id=item.record_id, status=Hold.Status.WAITING)
        .select_related("patron__school_class")
        .order_by("placed_at", "pk")
    )
    hold = next(
        (
            h
            for h in waiting
            if h.patron is not None and h.patron.status not in GONE and _holdable(h.patron, item)
        ),
        None,
    )
    if hold is None:
        return None
    snap = config.snapshot()
    hold.status = Hold.Status.READY
    hold.item = item
    hold.ready_at = now
    today = timezone.localdate(now)
    hold.expires_on = snap.calendar.next_open_day(
        today + timedelta(days=snap.policy.hold_expiry_days)
    )
    hold.save(update_fields=["status", "item", "ready_at", "expires_on"])
    detail = {"after": cause.pk} if cause is not None else {}
    _event(Action.HOLD_READY, channel, now, item=item, patron=hold.patron, hold=hold, detail=detail)
    return hold


def _requeue_holds(item: Item) -> list[int]:
    """A copy kept for a reader is lost or damaged: the reader goes back to waiting, first in
    line as before (their hold keeps the time it was placed)."""
    held = [h for h in _lock_holds(item.record_id) if h.item_id == item.pk and h.status == "ready"]
    for hold in held:
        hold.status = Hold.Status.WAITING
        hold.item = None
        hold.ready_at = None
        hold.expires_on = None
        hold.save(update_fields=["status", "item", "ready_at", "expires_on"])
    return [hold.pk for hold in held]


def _trap_free_copy(
    record_id: int, channel: Channel, now: datetime, *, cause: CirculationEvent
) -> None:
    """Serve the waiting readers of a title from copies standing free on the shelf."""
    free = (
        Item.objects.filter(record_id=record_id, status=Item.Status.ON_SHELF)
        .exclude(holds__status=Hold.Status.READY)
        .select_related("location")
        .select_for_update(of=("self",), skip_locked=True, no_key=True)
        .order_by("pk")
    )
    for copy in free:
        if _trap_hold(copy, channel, now, cause=cause) is None:
            return


@transaction.atomic
def place_hold(patron: Patron | str, record: Record | int, channel: Channel) -> Hold:
    """A patron asks for a title that is out (预约); they are told when it comes back."""
    now = _now()
    patron = _patron(patron, lock=True)
    if not isinstance(record, Record):
        found = Record.objects.filter(pk=record).first()
        if found is None:
            raise ItemNotFound(_("No such title in the catalogue."))
        record = found
    blocks = patron_blocks(patron, today=timezone.localdate(now))
    if blocks:
        raise PatronBlocked(blocks[0][1])
    items = list(record.items.select_related("location"))
    lendable = [
        i
        for i in items
        if i.status not in UNAVAILABLE and i.location.lends and _holdable(patron, i)
    ]
    if not lendable:
        raise HoldRefused(_("This title cannot be held: no copy of it may be lent to you."))
    kept = set(
        Hold.objects.filter(item__in=lendable, status=Hold.Status.READY).values_list(
            "item_id", flat=True
        )
    )
    if any(i.status == Item.Status.ON_SHELF and i.pk not in kept for i in lendable):
        raise HoldRefused(_("A copy is on the shelf: borrow it at the desk."))
    if Loan.objects.open().filter(patron=patron, item__record=record).exists():
        raise HoldRefused(_("You already have this title on loan."))
    if Hold.objects.active().filter(patron=patron, record=record).exists():
        raise HoldRefused(_("You already have a hold on this title."))
    hold = Hold.objects.create(record=record, patron=patron, placed_at=now)
    _event(Action.HOLD_PLACED, channel, now, patron=patron, hold=hold, detail={"record": record.pk})
    return hold


def _holdable(patron: Patron, item: Item) -> bool:
    rule = rule_for(patron, item)
    return rule is not None and rule.holds_allowed and rule.max_loans > 0 and not rule.room_only


@transaction.atomic
def cancel_hold(hold: Hold, channel: Channel, *, now: datetime | None = None) -> Hold:
    """The reader no longer wants the title; a copy kept for them goes to the next reader."""
    now = now or _now()
    hold, kept = _lock_hold(hold.pk)
    if hold.status not in (Hold.Status.WAITING, Hold.Status.READY):
        raise HoldRefused(_("This hold is no longer active."))
    hold.status = Hold.Status.CANCELLED
    hold.closed_at = now
    hold.save(update_fields=["status", "closed_at"])
    event = _event(Action.HOLD_CANCELLED, channel, now, patron=hold.patron, hold=hold, item=kept)
    if kept is not None:
        _trap_hold(kept, channel, now, cause=event)
    return hold


def expire_holds(channel: Channel, *, today: date) -> int:
    """Ready holds not collected by their last day expire; the copy passes to the next reader."""
    expired = 0
    due = Hold.objects.filter(status=Hold.Status.READY, expires_on__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            hold, kept = _lock_hold(pk)
            if hold.status != Hold.Status.READY:
                continue
            now = _now()
            hold.status = Hold.Status.EXPIRED
            hold.closed_at = now
            hold.save(update_fields=["status", "closed_at"])
            event = _event(
                Action.HOLD_EXPIRED, channel, now, patron=hold.patron, hold=hold, item=kept
            )
            if kept is not None:
                _trap_hold(kept, channel, now, cause=event)
            expired += 1
    return expired


def _lock_hold(pk: int) -> tuple[Hold, Item | None]:
    """A hold and the copy kept for it (if ready), locked in the usual order: the copy, then
    all the active holds of the title."""
    hold = Hold.objects.get(pk=pk)
    copy = None
    if hold.item_id is not None:
        copy = (
            Item.objects.select_related("location")
            .select_for_update(of=("self",), no_key=True)
            .filter(pk=hold.item_id)
            .first()
        )
    _lock_holds(hold.record_id)
    hold.refresh_from_db()
    kept = hold.status == Hold.Status.READY and copy is not None and hold.item_id == copy.pk
    return hold, copy if kept else None


# ----------------------------------------------------------------------------- class corners


@transaction.atomic
def lend_to_corner(
    school_class: SchoolClass, item: Item | str, channel: Channel, *, now: datetime | None = None
) -> Loan:
    """Lend one copy to a class's book corner (班级图书角), due at the end of term."""
    now = now or _now()
    today = timezone.localdate(now)
    item = _item(item, lock=True)
    if school_class.graduated_on is not None:
        raise PatronBlocked(_("This class has graduated."))
    _check_item_lendable(item)
    if item.status == Item.Status.ON_LOAN:
        raise AlreadyOnLoan(_("This book is already on loan: check it in first."))
    if item.item_type == Item.ItemType.REFERENCE or item.location.room_only:
        raise NotForLoan(_("Reference books stay in the library."))
    if Hold.objects.filter(item=item, status=Hold.Status.READY).exists():
        raise HeldForOther(_("This book is kept for another reader's hold."))
    calendar = config.snapshot().calendar
    term = calendar.term_on(today)
    due = (
        calendar.previous_open_day(term[1], not_before=today)
        if term
        else calendar.next_open_day(today + timedelta(days=60))
    )
    loan = Loan(
        item=item,
        patron=None,
        school_class=school_class,
        patron_type="class",
        patron_category="class_corner",
        kind=Loan.Kind.CLASS_CORNER,
        checked_out_at=now,
        checked_out_on=today,
        due_on=due,
        checked_out_by=channel.by,
        via=channel.via,
    )
    _create_loan(loan)
    _set_status(item, Item.Status.ON_LOAN)
    detail = {"class": school_class.pk}
    _event(Action.CORNER_OUT, channel, now, item=item, loan=loan, detail=detail)
    return loan


def return_from_corner(item: Item | str, channel: Channel) -> Checkin:
    """Corner books come back through the ordinary return: the loan knows it was a corner's."""
    return check_in(item, channel)


# ----------------------------------------------------------------------------- lost, damaged


@transaction.atomic
def mark_lost(
    item: Item | str, channel: Channel, *, charge: bool = True, note: str = ""
) -> Fine | None:
    """A copy is lost (丢失): its loan ends, it leaves circulation, and the borrower owes
    price × factor unless the librarian waives the charge. A reader it was kept for goes back
    to waiting, and gets another copy if one stands free on the shelf."""
    item, loan = _lock_loan(item)
    if item.status in (Item.Status.LOST, Item.Status.WITHDRAWN):
        raise CirculationError(_(UNAVAILABLE[item.status]))
    now = _now()
    if loan is not None:
        loan.returned_at = now
        loan.checked_in_by = channel.by
        loan.save(update_fields=["returned_at", "checked_in_by"])
    _set_status(item, Item.Status.LOST)
    requeued = _requeue_holds(item)
    patron = loan.patron if loan else None
    detail = {"note": note, "holds_requeued": requeued}
    event = _event(Action.LOST, channel, now, item=item, patron=patron, loan=loan, detail=detail)
    if requeued:
        _trap_free_copy(item.record_id, channel, now, cause=event)
    if charge and patron is not None:
        return _charge(patron, item, loan, Fine.Reason.LOST, channel, note=note)
    return None


@transaction.atomic
def mark_damaged(
    item: Item | str,
    channel: Channel,
    *,
    damage: str = "",
    charge_patron: Patron | None = None,
) -> Repair:
    """A damaged copy goes to repair (修补登记); the reader may be charged for it."""
    item = _item(item, lock=True)
    if item.status == Item.Status.ON_LOAN:
        raise AlreadyOnLoan(_("Check the book in before sending it to repair."))
    if item.status in (
        Item.Status.LOST,
        Item.Status.WITHDRAWN,
        Item.Status.IN_REPAIR,
        Item.Status.DAMAGED,
    ):
        raise CirculationError(_(UNAVAILABLE[item.status]))
    now = _now()
    _set_status(item, Item.Status.IN_REPAIR)
    repair = Repair.objects.create(
        item=item, reported_by=channel.by, reported_at=now, damage=damage
    )
    requeued = _requeue_holds(item)
    detail = {"damage": damage, "repair": repair.pk, "holds_requeued": requeued}
    event = _event(Action.DAMAGED, channel, now, item=item, patron=charge_patron, detail=detail)
    if requeued:
        _trap_free_copy(item.record_id, channel, now, cause=event)
    if charge_patron is not None:
        _charge(charge_patron, item, None, Fine.Reason.DAMAGED, channel, note=damage)
    return repair


@transaction.atomic
def mark_repaired(item: Item | str, channel: Channel, *, notes: str = "") -> Repair | None:
    """The copy is mended and back on the shelf (or kept for the first waiting reader)."""
    item = _item(item, lock=True)
    if item.status not in (Item.Status.IN_REPAIR, Item.Status.DAMAGED):
        raise NotForLoan(_("This copy is not in repair."))
    now = _now()
    repair = Repair.objects.filter(item=item, repaired_at__isnull=True).first()
    if repair is not None:
        repair.repaired_at = now
        repair.repaired_by = channel.by
        repair.notes = notes
        repair.save(update_fields=["repaired_at", "repaired_by", "notes"])
    _set_status(item, Item.Status.ON_SHELF)
    event = _event(Action.REPAIRED, channel, now, item=item, detail={"notes": notes})
    _trap_hold(item, channel, now, cause=event)
    return repair


# ----------------------------------------------------------------------------- withdrawal


@transaction.atomic
def withdraw(
    item: Item | str, channel: Channel, *, reason: str, note: str = ""
) -> CirculationEvent:
    """Write a copy off the books (注销: 剔旧, 复本过多, 破损, 丢失注销). A copy in a reader's
    hands or in a class corner comes back first; a lost, missing or damaged copy is finally
    written off; a reader it was kept for goes back to waiting (and gets another free copy)."""
    if reason not in Item.WithdrawalReason.values:
        raise CirculationError(_("Choose why the copy is withdrawn."))
    item, loan = _lock_loan(item)
    _check_withdrawable(item, loan)
    now = _now()
    previous = item.status
    repair = _close_repair(item, channel, now)
    today = timezone.localdate(now)
    statements.update(
        Item, item.pk, status=Item.Status.WITHDRAWN, withdrawn_on=today, withdrawal_reason=reason
    )
    item.status, item.withdrawn_on, item.withdrawal_reason = Item.Status.WITHDRAWN, today, reason
    requeued = _requeue_holds(item)
    detail = {
        "reason": reason,
        "note": note,
        "previous_status": previous,
        "holds_requeued": requeued,
        "repair": repair,
    }
    event = _event(Action.WITHDRAWN, channel, now, item=item, detail=detail)
    if requeued:
        _trap_free_copy(item.record_id, channel, now, cause=event)
    return event


def _check_withdrawable(item: Item, loan: Loan | None) -> None:
    if loan is not None and loan.kind == Loan.Kind.CLASS_CORNER:
        raise AlreadyOnLoan(
            _("This copy is in a class book corner: take it back from the corner first.")
        )
    if loan is not None or item.status == Item.Status.ON_LOAN:
        raise AlreadyOnLoan(_("This copy is on loan: check it in before withdrawing it."))
    if item.status == Item.Status.WITHDRAWN:
        raise CirculationError(
            _("This copy was already withdrawn on %(day)s.") % {"day": _day(item)}
        )


def _day(item: Item) -> str:
    # Copies withdrawn before withdrawals were dated have no date.
    return item.withdrawn_on.isoformat() if item.withdrawn_on else _("an unknown date")


def _close_repair(item: Item, channel: Channel, now: datetime) -> int | None:
    """A copy in repair that is written off instead leaves the repair register's open list."""
    repair = Repair.objects.filter(item=item, repaired_at__isnull=True).first()
    if repair is None:
        return None
    repair.repaired_at = now
    repair.repaired_by = channel.by
    repair.notes = _("Withdrawn instead of repaired.")
    repair.save(update_fields=["repaired_at", "repaired_by", "notes"])
    return repair.pk


@transaction.atomic
def reinstate(item: Item | str, channel: Channel) -> CirculationEvent:
    """Undo a withdrawal (a wrong scan, or a book that turns out to be wanted): the copy goes
    back on the shelf, or is kept at once for the first waiting reader."""
    item = _item(item, lock=True)
    if item.status != Item.Status.WITHDRAWN:
        raise CirculationError(_("This copy is not withdrawn."))
    now = _now()
    detail = {"reason": item.withdrawal_reason, "withdrawn_on": _iso(item.withdrawn_on)}
    statements.update(
        Item, item.pk, status=Item.Status.ON_SHELF, withdrawn_on=None, withdrawal_reason=""
    )
    item.status, item.withdrawn_on, item.withdrawal_reason = Item.Status.ON_SHELF, None, ""
    event = _event(Action.REINSTATED, channel, now, item=item, detail=detail)
    _trap_hold(item, channel, now, cause=event)
    return event


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ----------------------------------------------------------------------------- compensation


def _charge(
    patron: Patron, item: Item, loan: Loan | None, reason: str, channel: Channel, *, note: str
) -> Fine | None:
    amount = rules.compensation(_price(item), item.item_type, config.snapshot().rates)
    if amount <= 0:
        # No price and no minimum for this item type: nothing to ask for, and the book is
        # still marked lost or damaged.
        return None
    return record_compensation(
        patron, item, channel, reason=reason, amount=amount, loan=loan, note=note
    )


def _price(item: Item) -> Decimal | None:
    # A copy's own price when it has one (a donated or rebought copy), else the record's.
    return item.price if item.price is not None else item.record.price


@transaction.atomic
def record_compensation(
    patron: Patron,
    item: Item | None,
    channel: Channel,
    *,
    reason: str,
    amount: Decimal | None = None,
    loan: Loan | None = None,
    note: str = "",
) -> Fine:
    """Compensation owed (赔偿): price × factor for the item type unless an amount is given."""
    if amount is None:
        if item is None:
            raise CompensationError(_("Give an amount, or the book it is for."))
        amount = rules.compensation(_price(item), item.item_type, config.snapshot().rates)
    if amount <= 0:
        raise CompensationError(_("The amount must be more than zero."))
    now = _now()
    fine = Fine.objects.create(
        patron=patron,
        item=item,
        loan=loan,
        reason=reason,
        amount=amount,
        notes=note,
        created_at=now,
    )
    _event(
        Action.COMPENSATION,
        channel,
        now,
        item=item,
        patron=patron,
        loan=loan,
        detail={"fine": fine.pk, "amount": str(amount), "reason": reason},
    )
    return fine


@transaction.atomic
def pay_compensation(
    fine: Fine, channel: Channel, *, amount: Decimal | None = None, note: str = ""
) -> Fine:
    """Money received (in part or in full); the fine is settled when nothing is left owing."""
    fine = Fine.objects.select_for_update(no_key=True).get(pk=fine.pk)
    if fine.status != Fine.Status.OPEN:
        raise CompensationError(_("This compensation is already settled."))
    pay = fine.balance if amount is None else amount
    if pay <= 0 or pay > fine.balance:
        raise CompensationError(_("Pay between 0.01 and %(balance)s.") % {"balance": fine.balance})
    now = _now()
    fine.paid += pay
    if fine.paid >= fine.amount:
        fine.status = Fine.Status.PAID
        fine.settled_at = now
    fine.notes = "\n".join(filter(None, [fine.notes, note]))
    fine.save(update_fields=["paid", "status", "settled_at", "notes"])
    _event(
        Action.PAID,
        channel,
        now,
        item=fine.item,
        patron=fine.patron,
        detail={"fine": fine.pk, "amount": str(pay), "note": note},
    )
    return fine


@transaction.atomic
def waive_compensation(fine: Fine, channel: Channel, *, note: str) -> Fine:
    """The librarian lets the reader off (免赔), saying why."""
    fine = Fine.objects.select_for_update(no_key=True).get(pk=fine.pk)
    if fine.status != Fine.Status.OPEN:
        raise CompensationError(_("This compensation is already settled."))
    if not note.strip():
        raise CompensationError(_("Say why the compensation is waived."))
    now = _now()
    fine.status = Fine.Status.WAIVED
    fine.settled_at = now
    fine.notes = "\n".join(filter(None, [fine.notes, note]))
    fine.save(update_fields=["status", "settled_at", "notes"])
    _event(
        Action.WAIVED,
        channel,
        now,
        item=fine.item,
        patron=fine.patron,
        detail={"fine": fine.pk, "note": note},
    )
    return fine


# ----------------------------------------------------------------------------- undo

UNDOABLE = (Action.CHECKOUT, Action.CORNER_OUT, Action.CHECKIN, Action.CORNER_IN)


@transaction.atomic
def undo(event: CirculationEvent, channel: Channel, *, now: datetime | None = None) -> None:
    """Take back a checkout or a return scanned by mistake, within the policy's minutes, as
    long as nothing has happened to the book since (the holds it filled or readied are put
    back as they were)."""
    now = now or _now()
    if event.action not in UNDOABLE:
        raise CannotUndo(_("Only a loan or a return can be undone."))
    moved_on = _("The book has moved on since: this can no longer be undone.")
    # The copy first, then the event: the order every other service locks in.
    item = (
        Item.objects.select_for_update(of=("self",), no_key=True).filter(pk=event.item_id).first()
        if event.item_id
        else None
    )
    event = CirculationEvent.objects.select_for_update(no_key=True).get(pk=event.pk)
    limit = timedelta(minutes=config.snapshot().policy.undo_minutes)
    if item is None or event.detail.get("undone") or now - event.at > limit:
        raise CannotUndo(_("This can no longer be undone."))
    _lock_holds(item.record_id)  # the holds the scan readied or collected go back
    # What the scan itself did (a hold readied or collected) is undone with it; anything
    # later means the book has moved on.
    later = CirculationEvent.objects.filter(item=item, pk__gt=event.pk).only("detail")
    if any(e.detail.get("after") != event.pk for e in later):
        raise CannotUndo(moved_on)
    if event.action in (Action.CHECKOUT, Action.CORNER_OUT):
        _undo_checkout(event, item, moved_on)
    else:
        _undo_checkin(event, item, moved_on)
    event.detail = {**event.detail, "undone": True}
    event.save(update_fields=["detail"])
    _event(
        Action.UNDONE,
        channel,
        now,
        item=item,
        patron=event.patron,
        detail={"event": event.pk, "action": event.action},
    )


def _undo_checkout(event: CirculationEvent, item: Item, moved_on: str) -> None:
    loan = Loan.objects.open().filter(pk=event.loan_id).first() if event.loan_id else None
    if loan is None:
        raise CannotUndo(moved_on)
    for fill in CirculationEvent.objects.filter(loan=loan, action=Action.HOLD_FILLED):
        if fill.hold_id is not None:
            _unfill_hold(fill.hold_id, fill.detail, item)
    # The loan never happened: it must not count in the term's figures.
    CirculationEvent.objects.filter(loan=loan).update(loan=None)
    loan.delete()
    _set_status(item, Item.Status.ON_SHELF)


def _unfill_hold(hold_id: int, before: dict[str, Any], item: Item) -> None:
    """Put a hold back as it was before the checkout that collected it: ready on the copy
    kept for the reader if that copy is still free, else waiting (first in line again)."""
    hold = (
        Hold.objects.select_for_update(no_key=True)
        .filter(pk=hold_id, status=Hold.Status.FILLED)
        .first()
    )
    if hold is None:
        return
    kept = before.get("item")
    free = kept == item.pk or (
        kept is not None
        and Item.objects.filter(pk=kept, status=Item.Status.ON_SHELF).exists()
        and not Hold.objects.filter(item_id=kept, status=Hold.Status.READY).exists()
    )
    if before.get("was") == Hold.Status.READY and free:
        hold.status = Hold.Status.READY
        hold.item_id = kept
        hold.ready_at = (
            datetime.fromisoformat(before["ready_at"]) if before.get("ready_at") else None
        )
        hold.expires_on = (
            date.fromisoformat(before["expires_on"]) if before.get("expires_on") else None
        )
    else:
        hold.status = Hold.Status.WAITING
        hold.item = None
        hold.ready_at = None
        hold.expires_on = None
    hold.closed_at = None
    hold.save(update_fields=["status", "item", "ready_at", "expires_on", "closed_at"])


def _undo_checkin(event: CirculationEvent, item: Item, moved_on: str) -> None:
    loan = Loan.objects.filter(pk=event.loan_id).first() if event.loan_id else None
    if loan is None or loan.returned_at is None or Loan.objects.open().filter(item=item).exists():
        raise CannotUndo(moved_on)
    readied = CirculationEvent.objects.filter(
        item=item, action=Action.HOLD_READY, pk__gt=event.pk
    ).values_list("hold_id", flat=True)
    Hold.objects.filter(pk__in=list(readied), item=item, status=Hold.Status.READY).update(
        status=Hold.Status.WAITING, item=None, ready_at=None, expires_on=None
    )
    loan.returned_at = None
    loan.checked_in_by = None
    loan.save(update_fields=["returned_at", "checked_in_by"])
    if item.status == Item.Status.ON_SHELF:
        _set_status(item, Item.Status.ON_LOAN)
