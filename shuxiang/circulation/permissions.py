"""Who may do what at the circulation desk and on the circulation pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from shuxiang.accounts.models import User
from shuxiang.patrons.permissions import AnyUser, can_manage_patrons

View = Callable[..., HttpResponse]


def _user(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def can_use_desk(user: AnyUser) -> bool:
    """Check out and in: the librarian, and the student assistant (who sees nothing else)."""
    u = _user(user)
    return u is not None and (u.is_librarian or u.role == User.Role.ASSISTANT)


def can_manage_circulation(user: AnyUser) -> bool:
    """Rules, calendar, rotation, compensation, lost and damaged copies: the librarian."""
    return can_manage_patrons(user)


def _required(test: Callable[[AnyUser], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


desk_required = _required(can_use_desk)
circulation_manager_required = _required(can_manage_circulation)
