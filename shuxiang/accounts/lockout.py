"""Login rate limiting: too many failures lock a user name, or an address, for a while.

Counted in the database (LoginFailure, LoginLock) so that every server thread and process
sees the same numbers. A lock is on the name as typed, whether or not such a user exists, so
the message tells an attacker nothing about which names are real. Web logins only: API
tokens are long random strings that cannot be guessed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, LoginFailure, LoginLock, User

Kind = LoginLock.Kind


def normalize(username: str) -> str:
    # Usernames are matched case-sensitively by Django, but "Lena" and "lena" are the same
    # person guessing; count them together.
    # PostgreSQL refuses NUL in text; whatever else was typed is kept as typed.
    return username.replace("\x00", "").strip().lower()[:150]


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client writes unless a proxy we
    # trust sets it, and Shuxiang is usually reached directly on the school network.
    return request.META.get("REMOTE_ADDR") or None


def _window() -> timedelta:
    return timedelta(minutes=settings.SHUXIANG_LOGIN_WINDOW_MINUTES)


def locked_until(username: str, ip: str | None) -> LoginLock | None:
    """The lock that refuses this name or address now, if any."""
    now = timezone.now()
    locks = LoginLock.objects.filter(until__gt=now, kind=Kind.USERNAME, value=normalize(username))
    if ip:
        locks = locks | LoginLock.objects.filter(until__gt=now, kind=Kind.IP, value=ip)
    return locks.order_by("-until").first()


def record_failure(username: str, ip: str | None) -> LoginLock | None:
    """Count one failed login; lock the name (or the address) when it reaches its limit."""
    name = normalize(username)
    now = timezone.now()
    since = now - _window()
    with transaction.atomic():
        LoginFailure.objects.create(username=name, ip=ip, at=now)
        lock = None
        if name and _count(since, username=name) >= settings.SHUXIANG_LOGIN_MAX_FAILURES:
            lock = _lock(Kind.USERNAME, name)
        if ip and _count(since, ip=ip) >= settings.SHUXIANG_LOGIN_IP_MAX_FAILURES:
            lock = _lock(Kind.IP, ip) or lock
        # Old rows are of no use to the count: drop them as we go, no cron needed.
        LoginFailure.objects.filter(at__lt=now - 2 * _window()).delete()
    return lock


def _count(since: datetime, **where: str) -> int:
    return LoginFailure.objects.filter(at__gte=since, **where).count()


def _lock(kind: str, value: str) -> LoginLock:
    until = timezone.now() + timedelta(minutes=settings.SHUXIANG_LOCKOUT_MINUTES)
    lock, _created = LoginLock.objects.update_or_create(
        kind=kind, value=value, defaults={"until": until}
    )
    # The name is what was typed at the login page, not a patron's name; the user's id is
    # given when such a user exists so that the log links to them.
    user = User.objects.filter(username__iexact=value).first() if kind == Kind.USERNAME else None
    AuditLog.record(
        "login_locked",
        by=None,
        target=user,
        kind=kind,
        value=value if kind == Kind.IP else "",
        until=until.isoformat(),
        minutes=settings.SHUXIANG_LOCKOUT_MINUTES,
    )
    return lock


def clear(username: str) -> None:
    """A successful login: the name's failures are forgotten (the address's are not)."""
    LoginFailure.objects.filter(username=normalize(username)).delete()


def unlock(username: str, *, by: User | None, via: str) -> bool:
    """Lift the lock on a user name at once; False if it was not locked."""
    name = normalize(username)
    with transaction.atomic():
        LoginFailure.objects.filter(username=name).delete()
        deleted, _rows = LoginLock.objects.filter(
            kind=Kind.USERNAME, value=name, until__gt=timezone.now()
        ).delete()
        LoginLock.objects.filter(kind=Kind.USERNAME, value=name).delete()
        if deleted:
            user = User.objects.filter(username__iexact=name).first()
            AuditLog.record("login_unlocked", by=by, target=user, via=via)
    return bool(deleted)
