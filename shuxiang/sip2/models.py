from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kiosk(models.Model):
    """The SIP2 settings of one kiosk login (a user with the kiosk role).

    A kiosk login without this row uses the defaults: the server's encoding, error detection
    on, no location name.
    """

    class Encoding(models.TextChoices):
        SERVER = "", _("The server's")
        UTF8 = "utf-8", "UTF-8"
        GBK = "gbk", "GBK"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kiosk"
    )
    encoding = models.CharField(
        _("character set"), max_length=10, choices=Encoding.choices, blank=True, default=""
    )
    # On: an AZ checksum that does not match is refused with 96, and every reply has AY/AZ.
    error_detection = models.BooleanField(_("error detection"), default=True)
    location = models.CharField(_("location of the kiosk"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("self-check kiosk")
        verbose_name_plural = _("self-check kiosks")

    def __str__(self) -> str:
        return str(self.user_id)
