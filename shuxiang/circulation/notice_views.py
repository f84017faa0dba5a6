"""Overdue notices to print (催还通知单, PDF): the librarian for any class or the whole school, a
homeroom teacher for their own class, as on the overdue list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.label_views import pdf_response
from shuxiang.catalog.labels import school_name
from shuxiang.circulation import notices, overdue
from shuxiang.patrons import permissions
from shuxiang.patrons.models import SchoolClass
from shuxiang.patrons.permissions import librarian_required, login_needed


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@login_needed
def index(request: HttpRequest) -> HttpResponse:
    """The classes with overdue readers today, each with its notices to print."""
    user = request.user
    is_librarian = permissions.can_manage_patrons(user)
    if not (is_librarian or permissions.is_homeroom(user)):
        raise PermissionDenied
    today = timezone.localdate()
    counts = overdue.overdue_by_class(today)
    if not is_librarian:
        mine = set(permissions.visible_classes(user).values_list("pk", flat=True))
        counts = [c for c in counts if c.school_class is not None and c.school_class.pk in mine]
    context = {"counts": counts, "today": today, "is_librarian": is_librarian}
    return render(request, "circulation/notices/index.html", context)


def _pdf(request: HttpRequest, school_class: SchoolClass | None) -> HttpResponse:
    today = timezone.localdate()
    groups = notices.class_notices(today, school_class)
    if not groups:
        messages.info(request, _("No overdue books today: no notices to print."))
        return redirect("notices:index")
    content = notices.notices_pdf(groups, today, school_name())
    # The slips carry children's names: the log keeps only how many and for which class.
    AuditLog.record(
        "notices.printed",
        by=_user(request),
        target=school_class,
        day=today.isoformat(),
        slips=sum(len(g.slips) for g in groups),
    )
    who = school_class.label if school_class else _("whole school")
    scope = f"class-{school_class.pk}" if school_class else "school"
    name = f"{_('Overdue notices')}-{who}-{today.isoformat()}.pdf"
    return pdf_response(content, name, f"notices-{scope}-{today.isoformat()}.pdf")


@login_needed
def class_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, permissions.get_class_for_user(request.user, pk))


@librarian_required
def school_pdf(request: HttpRequest) -> HttpResponse:
    return _pdf(request, None)
