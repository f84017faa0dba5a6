"""The patrons part of /api/v1/: the list of classes.

GET /patrons/{card} answers with the patron's loans, holds and blocks, which are circulation's:
it lives in circulation/api.py, since this app does not import circulation (STYLE §1).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from shuxiang.accounts.models import User
from shuxiang.api.errors import errors
from shuxiang.patrons import permissions
from shuxiang.patrons.classes import ENROLLED

router = Router(tags=["patrons"])


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


@router.get("/classes", response={200: list[ClassOut], **errors(401, 403, 422)})
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
