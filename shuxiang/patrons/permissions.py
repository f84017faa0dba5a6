"""Who may see which patrons (and classes). Every patron page and API answer asks here.

Most patrons are children: the default is to see nothing. The librarian sees everyone, a
homeroom teacher the students of their own class(es), a teacher or student only themselves.
Student assistants work the desk, which shows only what a checkout needs; viewers read reports
of aggregates; kiosks speak SIP2. None of those three opens a patron page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from shuxiang.accounts.models import User
from shuxiang.patrons.models import Patron, SchoolClass

AnyUser = User | AnonymousUser
View = Callable[..., HttpResponse]


def active_user(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def can_manage_patrons(user: AnyUser) -> bool:
    """Add, edit, import, roll over, erase: the librarian only."""
    u = active_user(user)
    return u is not None and u.is_librarian


def is_homeroom(user: AnyUser) -> bool:
    u = active_user(user)
    return u is not None and u.role == User.Role.HOMEROOM


def visible_classes(user: AnyUser) -> QuerySet[SchoolClass]:
    u = active_user(user)
    if u is None:
        return SchoolClass.objects.none()
    if u.is_librarian:
        return SchoolClass.objects.all()
    if u.role == User.Role.HOMEROOM:
        return SchoolClass.objects.filter(homeroom_teacher__user=u)
    return SchoolClass.objects.none()


def visible_patrons(user: AnyUser) -> QuerySet[Patron]:
    u = active_user(user)
    if u is None:
        return Patron.objects.none()
    if u.is_librarian:
        return Patron.objects.all()
    if u.role == User.Role.HOMEROOM:
        return Patron.objects.filter(Q(school_class__homeroom_teacher__user=u) | Q(user=u))
    if u.role in {User.Role.TEACHER, User.Role.STUDENT}:
        return Patron.objects.filter(user=u)
    return Patron.objects.none()


def can_view_patron(user: AnyUser, patron: Patron) -> bool:
    return visible_patrons(user).filter(pk=patron.pk).exists()


def can_see_guardian_phone(user: AnyUser, patron: Patron) -> bool:
    """The librarian, and the homeroom teacher of the patron's class (to call home)."""
    u = active_user(user)
    if u is None:
        return False
    if u.is_librarian:
        return True
    return (
        u.role == User.Role.HOMEROOM
        and patron.school_class_id is not None
        and visible_classes(u).filter(pk=patron.school_class_id).exists()
    )


def get_patron_for_user(user: AnyUser, pk: int) -> Patron:
    """The patron with this id if the user may see them: 404 if absent, 403 if not allowed."""
    patron = Patron.objects.select_related("school_class", "user").filter(pk=pk).first()
    if patron is None:
        raise Http404
    if not can_view_patron(user, patron):
        raise PermissionDenied
    return patron


def get_class_for_user(user: AnyUser, pk: int) -> SchoolClass:
    school_class = SchoolClass.objects.select_related("homeroom_teacher").filter(pk=pk).first()
    if school_class is None:
        raise Http404
    if not visible_classes(user).filter(pk=pk).exists():
        raise PermissionDenied
    return school_class


def login_needed(view: View) -> View:
    """Anonymous visitors go to the login page (and come back), never to a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def requires(test: Callable[[AnyUser], bool]) -> Callable[[View], View]:
    """A view decorator: visitors log in first; a signed-in user who fails the test gets 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_needed
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Pages that change patrons or classes: the librarian only; everyone else 403.
librarian_required = requires(can_manage_patrons)
