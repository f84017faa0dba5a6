from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class LanguageMiddleware:
    """Chinese unless the user chose otherwise (the language cookie set by the switcher).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a school PC with an
    English Windows must still open in Chinese, so the browser's wish is ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# Everything the pages load comes from this server (Bootstrap, htmx and ECharts are
# vendored), so the policy names no other origin and allows no inline script or style.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# ECharts' SVG renderer (the report charts, SVG so that they print sharply) writes style=""
# attributes on the elements it draws, which style-src 'self' refuses. Pages that load it
# allow inline style *attributes* only: no <style> element, no script, and an attribute can
# neither run code nor load anything from elsewhere (img-src and font-src still hold).
ECHARTS_MARK = b"/vendor/echarts/"
CONTENT_SECURITY_POLICY_CHARTS = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self'; style-src-elem 'self'; style-src-attr 'unsafe-inline'"
)
# Nothing in Shuxiang uses these; a page that is tricked into asking gets no.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "midi",
        "display-capture",
    )
)


NUL_REFUSED = "输入中含有无效字符（NUL），请重新输入或重新扫描"


class RefuseNulMiddleware:
    """A NUL byte in a query or form field (a scanner's stray byte, a probe) is refused here:
    PostgreSQL rejects it in any query with an error, so it must never reach a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            fields.append(request.POST)
        for data in fields:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):  # the API's own error shape (DESIGN §4.2)
            body = {"error": "invalid_request", "message": NUL_REFUSED}
            return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
        return HttpResponseBadRequest(
            NUL_REFUSED.encode(), content_type="text/plain; charset=utf-8"
        )


class SecurityHeadersMiddleware:
    """Content-Security-Policy on HTML answers and Permissions-Policy on every answer.

    Django's SecurityMiddleware already sends nosniff, Referrer-Policy and COOP, and the
    clickjacking middleware X-Frame-Options; Django 5.2 has no CSP of its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", self.policy(response))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    @staticmethod
    def policy(response: HttpResponse) -> str:
        streaming = getattr(response, "streaming", False)
        if not streaming and ECHARTS_MARK in response.content:
            return CONTENT_SECURITY_POLICY_CHARTS
        return CONTENT_SECURITY_POLICY


IDLE_KEY = "sx_last_seen"


class SessionGuardMiddleware:
    """Sessions on shared PCs: logged out after SHUXIANG_IDLE_MINUTES without a request.
    A kiosk's login (meant for SIP2 only) is refused every web page but logging out.

    The time of the last request is kept in the session, written at login and then at most
    once a minute, so that a busy desk does not write its session row on every scan.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if self._idle_too_long(request):
                logout(request)
                # Said on the login page the next view sends them to.
                messages.info(
                    request,
                    _("You were logged out after %(minutes)s minutes without use.")
                    % {"minutes": settings.SHUXIANG_IDLE_MINUTES},
                )
            elif getattr(user, "role", "") == "kiosk" and not request.path.startswith(
                KIOSK_MAY_OPEN
            ):
                raise PermissionDenied
        return self.get_response(request)

    def _idle_too_long(self, request: HttpRequest) -> bool:
        minutes = settings.SHUXIANG_IDLE_MINUTES
        if minutes <= 0:
            return False
        now = int(time.time())
        last = request.session.get(IDLE_KEY)
        if isinstance(last, int) and now - last > minutes * 60:
            return True
        if not isinstance(last, int) or now - last >= 60:
            request.session[IDLE_KEY] = now
        return False


# Log in, log out, switch language; the API answers to tokens, never to the session.
KIOSK_MAY_OPEN = ("/accounts/", "/i18n/", "/api/")


def note_login(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Start the idle clock at login (connected in AccountsConfig.ready)."""
    request.session[IDLE_KEY] = int(time.time())
