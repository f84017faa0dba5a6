from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from shuxiang.accounts.models import ApiToken, User, hash_token


class TokenAuth(HttpBearer):
    """Authorization: Bearer <token>, as minted by `shuxiang token USERNAME`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        request.user = found.user
        return found.user
