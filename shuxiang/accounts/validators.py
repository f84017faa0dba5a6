"""Password rules that speak Chinese.

Django 5.2's MinimumLengthValidator writes its message with "%d", while the zh_Hans
catalogue that ships with it still translates the older "%(min_length)d" wording, so the
message came out in English. The same rule with our own (translated) words.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("This password is too short: it needs at least %(min_length)s characters.") % {
            "min_length": self.min_length
        }

    def get_help_text(self) -> str:
        return _("Your password needs at least %(min_length)s characters.") % {
            "min_length": self.min_length
        }
