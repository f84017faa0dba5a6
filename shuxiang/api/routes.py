"""The JSON API under /api/v1/ (DESIGN §4.2). Errors are {"error", "message"} with a 4xx."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from pydantic import BaseModel

from shuxiang.api.auth import TokenAuth
from shuxiang.catalog.api import router as catalog_router
from shuxiang.catalog.errors import CatalogError, DuplicateRecord
from shuxiang.circulation.api import router as circulation_router
from shuxiang.circulation.errors import CirculationError
from shuxiang.middleware import NUL_REFUSED
from shuxiang.patrons.api import router as patrons_router
from shuxiang.patrons.errors import CardRetired, PatronError, PatronNotFound

api = NinjaAPI(
    title="书香 Shuxiang API",
    version="1",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
)


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for e in exc.errors[:5]:
        where = ".".join(str(part) for part in e.get("loc", ()) if part not in ("body", "query"))
        problems.append(f"{where}: {e.get('msg', '')}" if where else str(e.get("msg", "")))
    return error(request, 422, "invalid_request", _("Invalid request: ") + "; ".join(problems))


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthorized", _("A valid API token is required."))


@api.exception_handler(AuthorizationError)
def on_forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error(request, 403, "forbidden", _("Your role may not do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", str(exc) or _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja's only 400: a body it could not parse ("Cannot parse request body").
        return error(request, 422, "invalid_request", _("The request body is not valid JSON."))
    code = getattr(exc, "code", "") or {
        403: "forbidden",
        404: "not_found",
        422: "invalid_request",
    }.get(exc.status_code, "error")
    return error(request, exc.status_code, code, str(exc.message))


@api.exception_handler(CatalogError)
def on_catalog_error(request: HttpRequest, exc: CatalogError) -> HttpResponse:
    if isinstance(exc, DuplicateRecord):
        return error(request, 409, exc.code, exc.message, existing=exc.existing_id)
    status = 409 if exc.code.startswith("duplicate") else 422
    return error(request, status, exc.code, exc.message)


@api.exception_handler(PatronError)
def on_patron_error(request: HttpRequest, exc: PatronError) -> HttpResponse:
    # A replaced card is "gone", not unknown: 410 lets a client tell the two apart.
    if isinstance(exc, PatronNotFound):
        return error(request, 404, exc.code, exc.message)
    if isinstance(exc, CardRetired):
        return error(request, 410, exc.code, exc.message)
    return error(request, 422, exc.code, exc.message)


@api.exception_handler(CirculationError)
def on_circulation_error(request: HttpRequest, exc: CirculationError) -> HttpResponse:
    # The desk's own refusal, word for word: each error class carries its status and code.
    return error(request, exc.status, exc.code, exc.message)


@api.get("/health", auth=None, tags=["system"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, BaseModel):
        return _has_nul(value.model_dump())
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul(view: Callable[..., Any]) -> Callable[..., Any]:
    """A NUL in a path segment or a JSON string is refused as the middleware refuses one in a
    form: PostgreSQL errors on it in any query. The middleware reads neither of these."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if _has_nul(kwargs):
            raise HttpError(422, NUL_REFUSED)
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_nul)
api.add_router("/", catalog_router)
api.add_router("/", patrons_router)
api.add_router("/", circulation_router)
