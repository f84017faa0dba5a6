from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in: staff, teachers, students and self-check kiosks."""

    class Role(models.TextChoices):
        LIBRARIAN = "librarian", _("Librarian")
        ASSISTANT = "assistant", _("Student assistant")
        HOMEROOM = "homeroom", _("Homeroom teacher")
        TEACHER = "teacher", _("Teacher")
        STUDENT = "student", _("Student")
        VIEWER = "viewer", _("Viewer (principal, academic office)")
        KIOSK = "kiosk", _("Self-check kiosk")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    display_name = models.CharField(_("name"), max_length=100, blank=True)

    @property
    def is_librarian(self) -> bool:
        return self.is_superuser or self.role == self.Role.LIBRARIAN

    @property
    def can_catalogue(self) -> bool:
        return self.is_librarian

    def __str__(self) -> str:
        return self.display_name or self.username


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for /api/v1/. Only its hash is stored; the raw token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def mint(cls, user: User) -> tuple[ApiToken, str]:
        raw = "sx_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, token_hash=hash_token(raw), prefix=raw[3:11])
        return token, raw


class AuditLog(models.Model):
    """One row per staff action: the library's answer to "who changed this, and when"."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    via = models.CharField(max_length=10, default="web")  # web, api, cli, sip2, batch
    action = models.CharField(max_length=50)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=50, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by} {self.action}"

    @classmethod
    def record(
        cls,
        action: str,
        *,
        by: User | None,
        target: models.Model | None = None,
        via: str = "web",
        **detail: Any,
    ) -> AuditLog:
        return cls.objects.create(
            action=action,
            by=by,
            via=via,
            target_type=target._meta.model_name or "" if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            detail=detail,
        )


class LoginFailure(models.Model):
    """One failed web login, kept for the lockout's window (see accounts/lockout.py).

    In the database, not in memory, so that every server thread and process counts the same
    failures. No password is kept, only the name as typed and the address it came from.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.ip}"


class LoginLock(models.Model):
    """A user name or an address refused at the login page until a time."""

    class Kind(models.TextChoices):
        USERNAME = "username", _("user name")
        IP = "ip", _("IP address")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=150)
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="login_lock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value} until {self.until:%Y-%m-%d %H:%M}"
