"""The patrons part of /api/v1/: a patron by card (DESIGN §4.2) and the list of classes.

Who may ask follows patrons.permissions: the librarian anyone, a homeroom teacher the students
of their own classes and themselves, a teacher or a student only themselves. The student
assistant, the viewer and the kiosk get 403: the desk and SIP2 have their own ways in.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from shuxiang.accounts.models import AuditLog, User
from shuxiang.patrons import permissions, queries, services
from shuxiang.patrons.classes import ENROLLED
from shuxiang.patrons.models import Patron

router = Router(tags=["patrons"])

LOOKUP_ROLES = {User.Role.LIBRARIAN, User.Role.HOMEROOM, User.Role.TEACHER, User.Role.STUDENT}
STAFF_ROLES = {User.Role.LIBRARIAN, User.Role.HOMEROOM}


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
    """Holds come with circulation; until then the list is always empty."""

    record: int
    title: str


class BlockOut(Schema):
    code: str = Field(..., description="card_lost, suspended, graduated or left")
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
    holds: list[HoldOut]
    blocks: list[BlockOut] = Field(..., description="Why the patron cannot borrow now")
    guardian_phone: str | None = Field(
        None, description="Only for the librarian and the class's homeroom teacher, else null"
    )


class ClassOut(Schema):
    id: int
    label: str
    grade: int
    grade_label: str
    number: int
    students: int = Field(..., description="Students in the class (active, or card lost/suspended)")
    homeroom_teacher: str | None
    graduated_on: date | None


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # TokenAuth has already refused anonymous calls
        raise HttpError(401, _("A valid API token is required."))
    return user


def _may_look_up(user: User) -> bool:
    return user.is_librarian or user.role in LOOKUP_ROLES


def patron_blocks(patron: Patron) -> list[dict[str, str]]:
    """Reasons of the patron's own status. Overdue and fines rules come with circulation."""
    reasons: dict[str, str] = {
        Patron.Status.CARD_LOST: _(
            "Card %(card)s was reported lost: it cannot be used until a new card is issued."
        ),
        Patron.Status.SUSPENDED: _("Borrowing is suspended for this patron."),
        Patron.Status.GRADUATED: _("The patron has graduated and can no longer borrow."),
        Patron.Status.LEFT: _("The patron has left the school and can no longer borrow."),
    }
    if patron.status not in reasons:
        return []
    return [
        {"code": patron.status, "message": reasons[patron.status] % {"card": patron.card_number}}
    ]


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
        "holds": [],
        "blocks": patron_blocks(patron),
        "guardian_phone": (
            patron.guardian_phone if permissions.can_see_guardian_phone(user, patron) else None
        ),
    }


@router.get("/patrons/{card}", response=PatronOut, by_alias=True)
def get_patron(request: HttpRequest, card: str) -> dict[str, object]:
    """A patron by library card: 404 patron_not_found, 410 card_retired for a replaced card."""
    user = _user(request)
    if not _may_look_up(user):
        raise HttpError(403, _("Your role may not look up patrons."))
    patron = services.find_patron_by_card(card)
    if not permissions.can_view_patron(user, patron):
        raise HttpError(403, _("You may not see this patron."))
    if user.is_librarian or user.role in STAFF_ROLES:
        AuditLog.record("patron.viewed", by=user, target=patron, via="api")
    return _patron_out(patron, user, timezone.localdate())


@router.get("/classes", response=list[ClassOut])
def list_classes(request: HttpRequest, graduated: bool = False) -> list[dict[str, object]]:
    """Current classes (graduated ones too with ?graduated=true): all for the librarian, a
    homeroom teacher's own."""
    user = _user(request)
    if not (user.is_librarian or user.role == User.Role.HOMEROOM):
        raise HttpError(403, _("Your role may not list classes."))
    found = permissions.visible_classes(user)
    if not graduated:
        found = found.filter(graduated_on__isnull=True)
    found = (
        found.select_related("homeroom_teacher")
        .annotate(n=Count("students", filter=Q(students__status__in=ENROLLED)))
        .order_by(F("graduated_on").asc(nulls_first=True), "grade", "number", "pk")
    )
    return [
        {
            "id": c.pk,
            "label": c.label,
            "grade": c.grade,
            "grade_label": c.grade_label,
            "number": c.number,
            "students": c.n,
            "homeroom_teacher": c.homeroom_teacher.name if c.homeroom_teacher else None,
            "graduated_on": c.graduated_on,
        }
        for c in found
    ]
