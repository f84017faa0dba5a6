"""Every circulation state change, one function each, used alike by the desk, the API, SIP2 and
the bulk tools. Each runs in one transaction and writes one CirculationEvent (or more, when one
scan does two things: a return that readies a hold)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shuxiang.accounts.models import User
from shuxiang.catalog.models import Item, Record
from shuxiang.circulation import config, rules
from shuxiang.circulation.errors import (
    AlreadyOnLoan,
    CannotUndo,
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


def _now() -> datetime:
    return timezone.now()


def _today() -> date:
    return timezone.localdate()


def _event(action: str, channel: Channel, **kwargs: object) -> CirculationEvent:
    return CirculationEvent.objects.create(
        action=action, by=channel.by, via=channel.via, station=channel.station, **kwargs
    )


# ----------------------------------------------------------------------------- lookups


def find_item(barcode: str, *, lock: bool = False) -> Item:
    code = barcodes.normalize(barcode)
    items = Item.objects.select_related("record", "location")
    if lock:
        items = items.select_for_update(of=("self",))
    item = items.filter(barcode=code).first()
    if item is None:
        raise ItemNotFound(_("No book has barcode %(barcode)s.") % {"barcode": code})
    return item


def find_patron(card: str, *, lock: bool = False) -> Patron:
    """The patron a card opens (refusing replaced cards), optionally locked for the checkout."""
    patron = patron_services.find_patron_by_card(card)
    if lock:
        patron = (
            Patron.objects.select_for_update(of=("self",))
            .select_related("school_class")
            .get(pk=patron.pk)
        )
    return patron


def _item(item: Item | str, lock: bool) -> Item:
    if isinstance(item, Item):
        return find_item(item.barcode, lock=True) if lock else item
    return find_item(item, lock=lock)


def _patron(patron: Patron | str, lock: bool) -> Patron:
    if isinstance(patron, Patron):
        return find_patron(patron.card_number, lock=True) if lock else patron
    return find_patron(patron, lock=lock)


# ----------------------------------------------------------------------------- blocks


def patron_blocks(patron: Patron, *, today: date) -> list[tuple[str, str]]:
    """Why this patron may not borrow now: [(code, Chinese reason)], empty when they may."""
    reasons: list[tuple[str, str]] = []
    status_reasons: dict[str, str] = {
        Patron.Status.CARD_LOST: _("This card has been reported lost."),
        Patron.Status.SUSPENDED: _("This patron's borrowing is suspended."),
        Patron.Status.GRADUATED: _("This patron has graduated."),
        Patron.Status.LEFT: _("This patron has left the school."),
    }
    if patron.status in status_reasons:
        reasons.append((str(patron.status), status_reasons[patron.status]))
    block_days = config.snapshot().policy.overdue_block_days
    if block_days is not None:
        late = Loan.objects.open().filter(
            patron=patron, due_on__lt=today - timedelta(days=block_days)
        )
        if late.exists():
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
    """Lend a copy to a patron (借). Refusals raise with the reason the desk shows."""
    now = now or _now()
    today = timezone.localdate(now)
    # Patron first, then item: every checkout locks in this order, so two desks never deadlock.
    patron = _patron(patron, lock=True)
    item = _item(item, lock=True)
    blocks = patron_blocks(patron, today=today)
    if blocks:
        raise PatronBlocked(blocks[0][1])
    _check_item_lendable(item)
    open_loan = Loan.objects.open().filter(item=item).select_related("patron").first()
    if open_loan is not None or item.status == Item.Status.ON_LOAN:
        mine = open_loan is not None and open_loan.patron_id == patron.pk
        raise AlreadyOnLoan(
            _("%(patron)s already has this book.") % {"patron": patron.name}
            if mine
            else _("This book is already on loan: check it in first.")
        )
    rule = rule_for(patron, item)
    if rule is None or rule.max_loans == 0:
        raise NotForLoan(_("This book is not for loan to this patron."))
    hold = _ready_hold_for_item(item)
    if hold is not None and hold.patron_id != patron.pk:
        raise HeldForOther(_("This book is kept for another reader's hold."))
    in_room = rule.room_only or item.location.room_only
    _check_limit(patron, item, rule, in_room=in_room)
    warnings = [] if in_room else _slot_warnings(patron, now)
    kind = Loan.Kind.IN_ROOM if in_room else Loan.Kind.REGULAR
    student = patron.type == Patron.Type.STUDENT
    loan = _create_loan(
        item=item,
        patron=patron,
        school_class_id=patron.school_class_id,
        patron_type=str(patron.type),
        patron_category=patron.category,
        kind=kind,
        checked_out_at=now,
        checked_out_on=today,
        due_on=today
        if in_room
        else rules.due_on(today, rule, config.snapshot().calendar, student=student),
        checked_out_by=channel.by,
        via=channel.via,
        rule=rule,
    )
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
    item.status = Item.Status.ON_LOAN
    _event(Action.CHECKOUT, channel, item=item, patron=patron, loan=loan, detail=_rule_detail(rule))
    filled = _fill_hold(patron, item, channel, now) if item.record_id else None
    return Checkout(loan=loan, rule=rule, warnings=warnings, hold_filled=filled)


def _create_loan(**fields: object) -> Loan:
    try:
        # A savepoint: the unique index on open loans is the last word when two desks race.
        with transaction.atomic():
            return Loan.objects.create(**fields)
    except IntegrityError:
        raise AlreadyOnLoan(_("This book is already on loan: check it in first.")) from None


def _rule_detail(rule: LoanRule) -> dict[str, object]:
    return {"rule": rule.pk, "rule_text": rules.describe(rule)}


def _check_limit(patron: Patron, item: Item, rule: LoanRule, *, in_room: bool) -> None:
    # In-room use and ordinary loans have separate limits: reading a dictionary in the room
    # does not stop a child taking a story book home.
    loans = Loan.objects.open().filter(patron=patron)
    loans = loans.filter(kind=Loan.Kind.IN_ROOM if in_room else Loan.Kind.REGULAR)
    if rule.item_type:
        loans = loans.filter(item__item_type=rule.item_type)
    if rule.location_id:
        loans = loans.filter(item__location_id=rule.location_id)
    if loans.count() >= rule.max_loans:
        raise LimitReached(
            _("%(patron)s already has %(n)d book(s): the limit is %(max)d.")
            % {"patron": patron.name, "n": loans.count(), "max": rule.max_loans}
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
    item = _item(item, lock=True)
    loan = Loan.objects.open().filter(item=item).select_related("patron", "school_class").first()
    if loan is None:
        raise NotOnLoan(_("This book is not on loan."))
    loan.returned_at = now
    loan.checked_in_by = channel.by
    loan.save(update_fields=["returned_at", "checked_in_by"])
    late = rules.overdue_days(loan.due_on, timezone.localdate(now))
    action = Action.CORNER_IN if loan.kind == Loan.Kind.CLASS_CORNER else Action.CHECKIN
    _event(action, channel, item=item, patron=loan.patron, loan=loan, detail={"overdue_days": late})
    status = Item.Status.ON_SHELF if item.status == Item.Status.ON_LOAN else item.status
    Item.objects.filter(pk=item.pk).update(status=status)
    item.status = status
    hold = _trap_hold(item, channel, now)
    return Checkin(loan=loan, overdue_days=late, hold=hold, in_room=loan.kind == Loan.Kind.IN_ROOM)


# ----------------------------------------------------------------------------- renew


@transaction.atomic
def renew(item: Item | str, channel: Channel, *, now: datetime | None = None) -> Loan:
    """Lend a copy again from today (续借), as many times as its rule allows."""
    now = now or _now()
    today = timezone.localdate(now)
    item = _item(item, lock=True)
    loan = Loan.objects.open().filter(item=item).select_related("patron", "rule").first()
    if loan is None:
        raise NotOnLoan(_("This book is not on loan."))
    if loan.kind != Loan.Kind.REGULAR:
        raise RenewalLimit(_("Only ordinary loans can be renewed."))
    rule = loan.rule or (rule_for(loan.patron, item) if loan.patron else None)
    if rule is None or loan.renewals >= rule.renewals:
        raise RenewalLimit(
            _("This book cannot be renewed again (renewals allowed: %(n)d).")
            % {"n": rule.renewals if rule else 0}
        )
    if Hold.objects.filter(record_id=item.record_id, status=Hold.Status.WAITING).exists():
        raise OnHold(_("Another reader is waiting for this book: it cannot be renewed."))
    if loan.patron is not None:
        blocks = patron_blocks(loan.patron, today=today)
        if blocks:
            raise PatronBlocked(blocks[0][1])
    student = loan.patron_type == Patron.Type.STUDENT
    due = rules.due_on(today, rule, config.snapshot().calendar, student=student)
    loan.due_on = max(due, loan.due_on)
    loan.renewals += 1
    loan.save(update_fields=["due_on", "renewals"])
    _event(
        Action.RENEW,
        channel,
        item=item,
        patron=loan.patron,
        loan=loan,
        detail={"due": loan.due_on.isoformat()},
    )
    return loan


# ----------------------------------------------------------------------------- holds


def _ready_hold_for_item(item: Item) -> Hold | None:
    return Hold.objects.filter(item=item, status=Hold.Status.READY).first()


def _fill_hold(patron: Patron, item: Item, channel: Channel, now: datetime) -> Hold | None:
    hold = (
        Hold.objects.active()
        .filter(patron=patron, record_id=item.record_id)
        .filter(Q(item=item) | Q(status=Hold.Status.WAITING))
        .first()
    )
    if hold is None:
        return None
    hold.status = Hold.Status.FILLED
    hold.item = item
    hold.closed_at = now
    hold.save(update_fields=["status", "item", "closed_at"])
    _event(Action.HOLD_FILLED, channel, item=item, patron=patron, hold=hold)
    return hold


def _trap_hold(item: Item, channel: Channel, now: datetime) -> Hold | None:
    """On return, keep the copy for the first reader waiting for its title."""
    if item.status != Item.Status.ON_SHELF:
        return None
    hold = (
        Hold.objects.select_for_update()
        .filter(record_id=item.record_id, status=Hold.Status.WAITING)
        .select_related("patron")
        .order_by("placed_at", "pk")
        .first()
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
    _event(Action.HOLD_READY, channel, item=item, patron=hold.patron, hold=hold)
    return hold


@transaction.atomic
def place_hold(patron: Patron | str, record: Record | int, channel: Channel) -> Hold:
    """A patron asks for a title that is out (预约); they are told when it comes back."""
    patron = _patron(patron, lock=True)
    if not isinstance(record, Record):
        found = Record.objects.filter(pk=record).first()
        if found is None:
            raise ItemNotFound(_("No such title in the catalogue."))
        record = found
    blocks = patron_blocks(patron, today=_today())
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
    if any(i.status == Item.Status.ON_SHELF and _ready_hold_for_item(i) is None for i in lendable):
        raise HoldRefused(_("A copy is on the shelf: borrow it at the desk."))
    if Loan.objects.open().filter(patron=patron, item__record=record).exists():
        raise HoldRefused(_("You already have this title on loan."))
    if Hold.objects.active().filter(patron=patron, record=record).exists():
        raise HoldRefused(_("You already have a hold on this title."))
    hold = Hold.objects.create(record=record, patron=patron)
    _event(Action.HOLD_PLACED, channel, patron=patron, hold=hold, detail={"record": record.pk})
    return hold


def _holdable(patron: Patron, item: Item) -> bool:
    rule = rule_for(patron, item)
    return rule is not None and rule.holds_allowed and rule.max_loans > 0 and not rule.room_only


@transaction.atomic
def cancel_hold(hold: Hold, channel: Channel, *, now: datetime | None = None) -> Hold:
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.status not in (Hold.Status.WAITING, Hold.Status.READY):
        raise HoldRefused(_("This hold is no longer active."))
    was_ready_item = hold.item if hold.status == Hold.Status.READY else None
    hold.status = Hold.Status.CANCELLED
    hold.closed_at = now or _now()
    hold.save(update_fields=["status", "closed_at"])
    _event(Action.HOLD_CANCELLED, channel, patron=hold.patron, hold=hold, item=was_ready_item)
    if was_ready_item is not None:
        _trap_hold(was_ready_item, channel, hold.closed_at)
    return hold


def expire_holds(channel: Channel, *, today: date) -> int:
    """Ready holds not collected by their last day expire; the copy passes to the next reader."""
    expired = 0
    for hold in Hold.objects.filter(status=Hold.Status.READY, expires_on__lt=today):
        with transaction.atomic():
            hold = Hold.objects.select_for_update().get(pk=hold.pk)
            if hold.status != Hold.Status.READY:
                continue
            hold.status = Hold.Status.EXPIRED
            hold.closed_at = _now()
            hold.save(update_fields=["status", "closed_at"])
            _event(Action.HOLD_EXPIRED, channel, patron=hold.patron, hold=hold, item=hold.item)
            if hold.item is not None:
                _trap_hold(hold.item, channel, hold.closed_at)
            expired += 1
    return expired


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
    if Loan.objects.open().filter(item=item).exists() or item.status == Item.Status.ON_LOAN:
        raise AlreadyOnLoan(_("This book is already on loan: check it in first."))
    if item.item_type == Item.ItemType.REFERENCE or item.location.room_only:
        raise NotForLoan(_("Reference books stay in the library."))
    if _ready_hold_for_item(item) is not None:
        raise HeldForOther(_("This book is kept for another reader's hold."))
    calendar = config.snapshot().calendar
    term = calendar.term_on(today)
    due = (
        calendar.previous_open_day(term[1], not_before=today)
        if term
        else calendar.next_open_day(today + timedelta(days=60))
    )
    loan = _create_loan(
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
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
    item.status = Item.Status.ON_LOAN
    _event(Action.CORNER_OUT, channel, item=item, loan=loan, detail={"class": school_class.pk})
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
    price × factor unless the librarian waives the charge."""
    item = _item(item, lock=True)
    now = _now()
    loan = Loan.objects.open().filter(item=item).select_related("patron").first()
    if loan is not None:
        loan.returned_at = now
        loan.checked_in_by = channel.by
        loan.save(update_fields=["returned_at", "checked_in_by"])
    Item.objects.filter(pk=item.pk).update(status=Item.Status.LOST)
    item.status = Item.Status.LOST
    patron = loan.patron if loan else None
    _event(Action.LOST, channel, item=item, patron=patron, loan=loan, detail={"note": note})
    _release_ready_hold(item, channel, now)
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
    if Loan.objects.open().filter(item=item).exists():
        raise AlreadyOnLoan(_("Check the book in before sending it to repair."))
    Item.objects.filter(pk=item.pk).update(status=Item.Status.IN_REPAIR)
    item.status = Item.Status.IN_REPAIR
    repair = Repair.objects.create(item=item, reported_by=channel.by, damage=damage)
    _event(Action.DAMAGED, channel, item=item, patron=charge_patron, detail={"damage": damage})
    _release_ready_hold(item, channel, _now())
    if charge_patron is not None:
        _charge(charge_patron, item, None, Fine.Reason.DAMAGED, channel, note=damage)
    return repair


@transaction.atomic
def mark_repaired(item: Item | str, channel: Channel, *, notes: str = "") -> Repair | None:
    item = _item(item, lock=True)
    if item.status not in (Item.Status.IN_REPAIR, Item.Status.DAMAGED):
        raise NotForLoan(_("This copy is not in repair."))
    repair = Repair.objects.filter(item=item, repaired_at__isnull=True).first()
    if repair is not None:
        repair.repaired_at = _now()
        repair.repaired_by = channel.by
        repair.notes = notes
        repair.save(update_fields=["repaired_at", "repaired_by", "notes"])
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_SHELF)
    item.status = Item.Status.ON_SHELF
    _event(Action.REPAIRED, channel, item=item, detail={"notes": notes})
    _trap_hold(item, channel, _now())
    return repair


def _release_ready_hold(item: Item, channel: Channel, now: datetime) -> None:
    """A held copy that is lost or damaged: its reader goes back to waiting for another."""
    for hold in Hold.objects.filter(item=item, status=Hold.Status.READY):
        hold.status = Hold.Status.WAITING
        hold.item = None
        hold.ready_at = None
        hold.expires_on = None
        hold.save(update_fields=["status", "item", "ready_at", "expires_on"])


# ----------------------------------------------------------------------------- compensation


def _charge(
    patron: Patron, item: Item, loan: Loan | None, reason: str, channel: Channel, *, note: str
) -> Fine:
    amount = rules.compensation(item.price, item.item_type, config.snapshot().rates)
    return record_compensation(
        patron, item, channel, reason=reason, amount=amount, loan=loan, note=note
    )


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
        amount = rules.compensation(item.price, item.item_type, config.snapshot().rates)
    if amount <= 0:
        raise CompensationError(_("The amount must be more than zero."))
    fine = Fine.objects.create(
        patron=patron, item=item, loan=loan, reason=reason, amount=amount, notes=note
    )
    _event(
        Action.COMPENSATION,
        channel,
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
    fine = Fine.objects.select_for_update().get(pk=fine.pk)
    if fine.status != Fine.Status.OPEN:
        raise CompensationError(_("This compensation is already settled."))
    pay = fine.balance if amount is None else amount
    if pay <= 0 or pay > fine.balance:
        raise CompensationError(_("Pay between 0.01 and %(balance)s.") % {"balance": fine.balance})
    fine.paid += pay
    if fine.paid >= fine.amount:
        fine.status = Fine.Status.PAID
        fine.settled_at = _now()
    fine.notes = "\n".join(filter(None, [fine.notes, note]))
    fine.save(update_fields=["paid", "status", "settled_at", "notes"])
    _event(
        Action.PAID,
        channel,
        item=fine.item,
        patron=fine.patron,
        detail={"fine": fine.pk, "amount": str(pay), "note": note},
    )
    return fine


@transaction.atomic
def waive_compensation(fine: Fine, channel: Channel, *, note: str) -> Fine:
    fine = Fine.objects.select_for_update().get(pk=fine.pk)
    if fine.status != Fine.Status.OPEN:
        raise CompensationError(_("This compensation is already settled."))
    if not note.strip():
        raise CompensationError(_("Say why the compensation is waived."))
    fine.status = Fine.Status.WAIVED
    fine.settled_at = _now()
    fine.notes = "\n".join(filter(None, [fine.notes, note]))
    fine.save(update_fields=["status", "settled_at", "notes"])
    _event(
        Action.WAIVED,
        channel,
        item=fine.item,
        patron=fine.patron,
        detail={"fine": fine.pk, "note": note},
    )
    return fine


# ----------------------------------------------------------------------------- undo


@transaction.atomic
def undo(event: CirculationEvent, channel: Channel, *, now: datetime | None = None) -> None:
    """Take back a checkout or a return scanned by mistake, within the policy's minutes."""
    now = now or _now()
    event = CirculationEvent.objects.select_for_update().get(pk=event.pk)
    limit = timedelta(minutes=config.snapshot().policy.undo_minutes)
    if event.detail.get("undone") or now - event.at > limit or event.item_id is None:
        raise CannotUndo(_("This can no longer be undone."))
    later = CirculationEvent.objects.filter(item_id=event.item_id, pk__gt=event.pk)
    if later.exclude(action__in=[Action.HOLD_READY, Action.HOLD_FILLED]).exists():
        raise CannotUndo(_("The book has moved on since: this can no longer be undone."))
    item = Item.objects.select_for_update().get(pk=event.item_id)
    if event.action in (Action.CHECKOUT, Action.CORNER_OUT):
        _undo_checkout(event, item)
    elif event.action in (Action.CHECKIN, Action.CORNER_IN):
        _undo_checkin(event, item)
    else:
        raise CannotUndo(_("Only a loan or a return can be undone."))
    event.detail = {**event.detail, "undone": True}
    event.save(update_fields=["detail"])
    _event(
        Action.UNDONE,
        channel,
        item=item,
        patron=event.patron,
        detail={"event": event.pk, "action": event.action},
    )


def _undo_checkout(event: CirculationEvent, item: Item) -> None:
    loan = (
        Loan.objects.filter(pk=event.loan_id, returned_at__isnull=True).first()
        if event.loan_id
        else None
    )
    if loan is None:
        raise CannotUndo(_("The book has moved on since: this can no longer be undone."))
    # A filled hold goes back to ready for the same reader.
    Hold.objects.filter(
        item=item, status=Hold.Status.FILLED, patron=loan.patron, closed_at__gte=event.at
    ).update(status=Hold.Status.READY, closed_at=None)
    # The loan never happened: it must not count in the term's figures.
    CirculationEvent.objects.filter(loan=loan).update(loan=None)
    loan.delete()
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_SHELF)


def _undo_checkin(event: CirculationEvent, item: Item) -> None:
    loan = Loan.objects.filter(pk=event.loan_id).first() if event.loan_id else None
    if loan is None or item.status != Item.Status.ON_SHELF:
        raise CannotUndo(_("The book has moved on since: this can no longer be undone."))
    Hold.objects.filter(item=item, status=Hold.Status.READY, ready_at__gte=event.at).update(
        status=Hold.Status.WAITING, item=None, ready_at=None, expires_on=None
    )
    loan.returned_at = None
    loan.checked_in_by = None
    loan.save(update_fields=["returned_at", "checked_in_by"])
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
