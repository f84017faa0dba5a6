from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog.models import Record


class MarcRecord(models.Model):
    """The MARC record a catalogue record came from, kept as it arrived.

    Export gives it back (with the holdings field rebuilt from today's copies), so that what a
    supplier or another system sent is not lost in our narrower model.
    """

    class Flavour(models.TextChoices):
        MARC21 = "marc21", "MARC21"
        CNMARC = "cnmarc", "CNMARC"

    record = models.OneToOneField(
        Record, on_delete=models.CASCADE, primary_key=True, related_name="marc"
    )
    flavour = models.CharField(_("MARC flavour"), max_length=10, choices=Flavour.choices)
    # ISO 2709, decoded to Unicode (leader/09 and 100$a/26-29 as they came).
    data = models.TextField()
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("MARC record")
        verbose_name_plural = _("MARC records")

    def __str__(self) -> str:
        return f"{self.flavour} #{self.record_id}"
