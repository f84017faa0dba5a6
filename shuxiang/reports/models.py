from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ComplianceTargets(models.Model):
    """The school's own targets for the 2018 规程 compliance page: one row at most.

    An empty field means "the regulation's figure for this school type" (see
    reports.compliance.default_targets), so a school only writes down what its district asks
    for differently, and a change of school type still moves every target left empty.
    """

    volumes_per_student = models.DecimalField(
        _("volumes per student"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    new_volumes_per_student = models.DecimalField(
        _("new volumes per student this school year"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    periodical_titles = models.PositiveIntegerField(_("periodical titles"), null=True, blank=True)
    reference_titles = models.PositiveIntegerField(
        _("reference and teaching-reference titles"), null=True, blank=True
    )
    weekly_hours = models.DecimalField(
        _("opening hours per week"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    # {"A": "1.5", "B": "1.5", "C-K": "64", "N-X": "28", "Z": "5"} in per cent; {} = defaults.
    class_shares = models.JSONField(_("shares by main class"), default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("compliance targets")
        verbose_name_plural = _("compliance targets")

    def __str__(self) -> str:
        return "ComplianceTargets"

    @classmethod
    def current(cls) -> ComplianceTargets:
        """The saved row, or an unsaved empty one (every target from the regulation)."""
        return cls.objects.order_by("pk").first() or cls()
