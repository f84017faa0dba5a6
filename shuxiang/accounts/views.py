from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from shuxiang.accounts import lockout
from shuxiang.accounts.models import User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A locked name or address is refused before the password is even looked at, so
        # that guessing on stops telling right from wrong.
        username = str(request.POST.get("username", ""))
        if lockout.locked_until(username, lockout.client_ip(request)) is not None:
            return self._locked(self.get_form())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if isinstance(user, User) and user.role == User.Role.KIOSK:
            # A kiosk's login is for SIP2 only; its password must not open the web pages.
            form.add_error(None, _("A self-check kiosk's account cannot log in here."))
            return self.render_to_response(self.get_context_data(form=form, kiosk=True))
        lockout.clear(user.get_username())
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))
        if username.strip():
            lock = lockout.record_failure(username, lockout.client_ip(self.request))
            if lock is not None:
                return self._locked(form)
        return super().form_invalid(form)

    def _locked(self, form: AuthenticationForm) -> HttpResponse:
        response = self.render_to_response(
            self.get_context_data(
                form=form, locked=True, lockout_minutes=settings.SHUXIANG_LOCKOUT_MINUTES
            )
        )
        response.status_code = 429
        return response

    def get_default_redirect_url(self) -> str:
        """Without ?next=, staff go to their work and readers to the catalogue."""
        if self.next_page:
            return str(self.next_page)
        user = self.request.user
        if not isinstance(user, User):
            return reverse("opac:search")
        if user.can_catalogue:
            return reverse("catalog:home")
        if user.role == User.Role.ASSISTANT:
            # A student assistant has one job: the desk.
            return reverse("desk:desk")
        if user.role == User.Role.HOMEROOM:
            return reverse("patrons:my_class")
        if user.role in {User.Role.STUDENT, User.Role.TEACHER}:
            return reverse("patrons:me")
        return reverse("opac:search")
