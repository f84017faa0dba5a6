"""Who may do what at the circulation desk and on the circulation pages."""

from __future__ import annotations

from shuxiang.accounts.models import User
from shuxiang.patrons.permissions import AnyUser, active_user, can_manage_patrons, requires


def can_use_desk(user: AnyUser) -> bool:
    """Check out and in: the librarian, and the student assistant (who sees nothing else)."""
    u = active_user(user)
    return u is not None and (u.is_librarian or u.role == User.Role.ASSISTANT)


def can_manage_circulation(user: AnyUser) -> bool:
    """Rules, calendar, rotation, compensation, lost and damaged copies: the librarian."""
    return can_manage_patrons(user)


desk_required = requires(can_use_desk)
circulation_manager_required = requires(can_manage_circulation)
