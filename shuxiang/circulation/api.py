"""The circulation part of /api/v1/ (DESIGN §4.2): check out, check in, renew, place a hold,
and the patron by card with their loans, holds and blocks.

Every change goes through circulation.services with via="api", exactly as the desk does, so a
refusal is the same refusal with the same Chinese message. The patron lookup lives here rather
than in the patrons app because its holds and blocks are circulation's (patrons sits to the
left of circulation and does not import it).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shuxiang.accounts.models import AuditLog, User
from shuxiang.api.errors import errors
from shuxiang.circulation import rules, services
from shuxiang.circulation.models import Hold
from shuxiang.circulation.permissions import can_use_desk
from shuxiang.lib import barcodes
from shuxiang.patrons import permissions, queries
from shuxiang.patrons.models import Patron

router = Router()

LOOKUP_ROLES = {User.Role.LIBRARIAN, User.Role.HOMEROOM, User.Role.TEACHER, User.Role.STUDENT}
STAFF_ROLES = {User.Role.LIBRARIAN, User.Role.HOMEROOM}
# Who may place a hold for their own card: the patrons with a login of their own.
SELF_HOLD_ROLES = {User.Role.STUDENT, User.Role.TEACHER, User.Role.HOMEROOM}


# ----------------------------------------------------------------------------- schemas


class CheckoutIn(Schema):
    patron: str = Field(..., min_length=1, max_length=64, description="Library card number")
    item: str = Field(..., min_length=1, max_length=64, description="The copy's barcode")


class CheckoutOut(Schema):
    loan: int
    due: date
    item: str = Field(..., description="The copy's barcode")
    title: str
    patron: str = Field(..., description="Library card number")
    kind: str = Field(..., description="regular, or in_room for reading-room use (due today)")
    rule: str = Field(..., description="The loan rule that applied, in words")
    warnings: list[str] = Field(..., description="e.g. borrowing outside the class's slot")
    hold_filled: int | None = Field(None, description="The patron's hold this loan collected")


class ItemIn(Schema):
    item: str = Field(..., min_length=1, max_length=64, description="The copy's barcode")


class CheckinOut(Schema):
    loan: int
    overdue_days: int
    hold_for: str | None = Field(..., description="Card of the reader the copy is now kept for")
    hold: int | None = Field(None, description="That hold's id")
    item: str
    title: str
    patron: str | None = Field(None, description="Who had it (null for a class corner)")
    in_room: bool = Field(..., description="A reading-room use ended")


class RenewalOut(Schema):
    loan: int
    due: date
    renewals: int = Field(..., description="Renewals of this loan so far")


class HoldIn(Schema):
    patron: str = Field(..., min_length=1, max_length=64, description="Library card number")
    record: int = Field(..., description="The title's record id")


class HoldPlacedOut(Schema):
    hold: int
    status: str = Field(..., description="waiting: the reader is told when a copy comes back")
    record: int
    title: str
    patron: str
    position: int = Field(..., description="Place in the queue for this title, from 1")


class ClassRefOut(Schema):
    id: int
    label: str


class LoanOut(Schema):
    item: str = Field(..., description="The copy's barcode")
    title: str
    call_number: str
    checked_out: date
    due: date
    overdue_days: int


class HoldOut(Schema):
    id: int
    record: int
    title: str
    status: str = Field(..., description="waiting or ready")
    status_display: str
    placed: date
    item: str | None = Field(None, description="The copy kept for the reader, once ready")
    expires: date | None = Field(None, description="Last day to collect a ready hold")


class BlockOut(Schema):
    code: str = Field(..., description="card_lost, suspended, graduated, left or overdue")
    message: str


class PatronOut(Schema):
    id: int
    card: str = Field(..., description="Library card number (借书证号)")
    name: str
    type: str = Field(..., description="student, teacher or staff")
    type_display: str
    category: str = Field(..., description="What loan rules key on, e.g. student_upper")
    category_display: str
    grade: int | None
    grade_label: str
    school_class: ClassRefOut | None = Field(None, alias="class")
    status: str = Field(..., description="active, card_lost, suspended, graduated or left")
    status_display: str
    student_number: str = Field(..., description="学号 (students)")
    staff_number: str = Field(..., description="工号 (teachers and staff)")
    loans: list[LoanOut]
    overdue_loans: int = Field(..., description="Open loans past their due date (information)")
    holds: list[HoldOut] = Field(..., description="Active holds: waiting or ready to collect")
    blocks: list[BlockOut] = Field(..., description="Why the patron cannot borrow now")
    guardian_phone: str | None = Field(
        None, description="Only for the librarian and the class's homeroom teacher, else null"
    )


# ----------------------------------------------------------------------------- access


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # TokenAuth has already refused anonymous calls
        raise HttpError(401, _("A valid API token is required."))
    return user


def _desk_user(request: HttpRequest) -> User:
    user = _user(request)
    if not can_use_desk(user):
        raise HttpError(403, _("Only the librarian and library assistants work the desk."))
    return user


def _channel(user: User) -> services.Channel:
    return services.Channel(by=user, via="api")


def _hold_patron(user: User, card: str) -> Patron | str:
    """The librarian holds for any card; a reader only for their own."""
    if user.is_librarian:
        return card
    own = Patron.objects.filter(user=user).first() if user.role in SELF_HOLD_ROLES else None
    if own is None or barcodes.normalize(card) != own.card_number:
        raise HttpError(403, _("You may place holds only for yourself."))
    return own


# ----------------------------------------------------------------------------- circulation


@router.post(
    "/checkouts",
    response={201: CheckoutOut, **errors(401, 403, 404, 409, 410, 422)},
    tags=["circulation"],
)
def check_out(request: HttpRequest, body: CheckoutIn) -> Status[dict[str, object]]:
    """Lend a copy to a patron (借). 4xx codes: patron_not_found, card_retired, item_not_found,
    not_for_loan, already_on_loan, limit_reached, patron_blocked, held_for_other,
    outside_slot."""
    user = _desk_user(request)
    done = services.check_out(body.patron, body.item, _channel(user))
    loan = done.loan
    return Status(
        201,
        {
            "loan": loan.pk,
            "due": loan.due_on,
            "item": loan.item.barcode,
            "title": loan.item.record.title,
            "patron": loan.patron.card_number if loan.patron else "",
            "kind": loan.kind,
            "rule": rules.describe(done.rule),
            "warnings": done.warnings,
            "hold_filled": done.hold_filled.pk if done.hold_filled else None,
        },
    )


@router.post(
    "/checkins", response={200: CheckinOut, **errors(401, 403, 404, 409, 422)}, tags=["circulation"]
)
def check_in(request: HttpRequest, body: ItemIn) -> dict[str, object]:
    """Take a copy back (还). Says who it is now kept for and how late it came back.
    4xx codes: item_not_found, not_on_loan."""
    user = _desk_user(request)
    done = services.check_in(body.item, _channel(user))
    loan, hold = done.loan, done.hold
    patron = hold.patron if hold else None
    return {
        "loan": loan.pk,
        "overdue_days": done.overdue_days,
        "hold_for": patron.card_number if patron else None,
        "hold": hold.pk if hold else None,
        "item": loan.item.barcode,
        "title": loan.item.record.title,
        "patron": loan.patron.card_number if loan.patron else None,
        "in_room": done.in_room,
    }


@router.post(
    "/renewals", response={200: RenewalOut, **errors(401, 403, 404, 409, 422)}, tags=["circulation"]
)
def renew(request: HttpRequest, body: ItemIn) -> dict[str, object]:
    """Lend a copy again from today (续借). 4xx codes: item_not_found, not_on_loan,
    renewal_limit, on_hold, patron_blocked."""
    user = _desk_user(request)
    loan = services.renew(body.item, _channel(user))
    return {"loan": loan.pk, "due": loan.due_on, "renewals": loan.renewals}


@router.post(
    "/holds",
    response={201: HoldPlacedOut, **errors(401, 403, 404, 409, 410, 422)},
    tags=["circulation"],
)
def place_hold(request: HttpRequest, body: HoldIn) -> Status[dict[str, object]]:
    """Hold a title that is out (预约): the librarian for any card, a reader for their own.
    4xx codes: patron_not_found, card_retired, item_not_found (no such record),
    patron_blocked, hold_refused."""
    user = _user(request)
    hold = services.place_hold(_hold_patron(user, body.patron), body.record, _channel(user))
    ahead = Hold.objects.filter(
        record_id=hold.record_id, status=Hold.Status.WAITING, pk__lt=hold.pk
    ).count()
    return Status(
        201,
        {
            "hold": hold.pk,
            "status": hold.status,
            "record": hold.record_id,
            "title": hold.record.title,
            "patron": hold.patron.card_number if hold.patron else "",
            "position": ahead + 1,
        },
    )


# ----------------------------------------------------------------------------- patrons


@router.get(
    "/patrons/{card}",
    response={200: PatronOut, **errors(401, 403, 404, 410)},
    by_alias=True,
    tags=["patrons"],
)
def get_patron(request: HttpRequest, card: str) -> dict[str, object]:
    """A patron by library card: 404 patron_not_found, 410 card_retired for a replaced card.

    The librarian sees anyone, a homeroom teacher their own students and themselves, a teacher
    or a student only themselves; the assistant, viewer and kiosk get 403.
    """
    user = _user(request)
    if not (user.is_librarian or user.role in LOOKUP_ROLES):
        raise HttpError(403, _("Your role may not look up patrons."))
    patron = services.find_patron(card)
    if not permissions.can_view_patron(user, patron):
        raise HttpError(403, _("You may not see this patron."))
    if user.is_librarian or user.role in STAFF_ROLES:
        AuditLog.record("patron.viewed", by=user, target=patron, via="api")
    return _patron_out(patron, user, timezone.localdate())


def _patron_out(patron: Patron, user: User, today: date) -> dict[str, object]:
    loans = queries.current_loans(patron, today=today)
    school_class = patron.school_class
    return {
        "id": patron.pk,
        "card": patron.card_number,
        "name": patron.name,
        "type": patron.type,
        "type_display": patron.get_type_display(),
        "category": patron.category,
        "category_display": queries.category_label(patron.category),
        "grade": patron.grade,
        "grade_label": school_class.grade_label if school_class else "",
        "class": {"id": school_class.pk, "label": school_class.label} if school_class else None,
        "status": patron.status,
        "status_display": patron.get_status_display(),
        "student_number": patron.student_number,
        "staff_number": patron.staff_number,
        "loans": [
            {
                "item": row.loan.item.barcode,
                "title": row.loan.item.record.title,
                "call_number": row.loan.item.call_number,
                "checked_out": row.loan.checked_out_on,
                "due": row.loan.due_on,
                "overdue_days": row.overdue_days,
            }
            for row in loans
        ],
        "overdue_loans": sum(1 for row in loans if row.overdue_days),
        "holds": [_hold_out(h) for h in _active_holds(patron)],
        "blocks": [
            {"code": code, "message": message}
            for code, message in services.patron_blocks(patron, today=today)
        ],
        "guardian_phone": (
            patron.guardian_phone if permissions.can_see_guardian_phone(user, patron) else None
        ),
    }


def _active_holds(patron: Patron) -> list[Hold]:
    return list(
        Hold.objects.active()
        .filter(patron=patron)
        .select_related("record", "item")
        .order_by("placed_at", "pk")
    )


def _hold_out(hold: Hold) -> dict[str, object]:
    return {
        "id": hold.pk,
        "record": hold.record_id,
        "title": hold.record.title,
        "status": hold.status,
        "status_display": hold.get_status_display(),
        "placed": timezone.localdate(hold.placed_at),
        "item": hold.item.barcode if hold.item else None,
        "expires": hold.expires_on,
    }
