from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from shuxiang.accounts.models import User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

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
