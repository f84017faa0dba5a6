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


class PlanGoal(models.Model):
    """A goal of the term's work plan (学期计划目标), as the librarian wrote it in the plan.

    The term is stored as its first and last day rather than as a Term row, so a past term
    keeps its goals after the calendar is edited (and before the school sets one). The
    target is stored as the librarian types it: per cent (0–100) for the measures in
    PERCENT_MEASURES, the plain figure (books, visits) for the rest. See docs/goals.md.
    """

    class Measure(models.TextChoices):
        LOANS_PER_STUDENT = "loans_per_student", _("Loans per student")
        COVERAGE = "coverage", _("Share of students who borrowed")
        CARD_ISSUE_RATE = "card_issue_rate", _("Share of students with a library card")
        CIRCULATION_RATE = "circulation_rate", _("Loans per volume held")
        LOANS_PER_TEACHER = "loans_per_teacher", _("Loans per teacher")
        TEACHER_COVERAGE = "teacher_coverage", _("Share of teachers who borrowed")
        CLASS_WEEKLY = "class_weekly", _("Classes borrowing every school week")
        TEACHER_ROOM_WEEKLY = "teacher_room_weekly", _("Reading-room visits per teacher a week")
        READING_ROOM_USES = "reading_room_uses", _("Reading-room uses")
        NEW_ITEMS = "new_items", _("New volumes received")

    term_start = models.DateField(_("first day of the term"))
    term_end = models.DateField(_("last day of the term"))
    term_label = models.CharField(_("term"), max_length=60, blank=True)
    text = models.CharField(_("goal as written in the plan"), max_length=200)
    measure = models.CharField(_("measured by"), max_length=30, choices=Measure.choices)
    target = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["term_start", "position", "pk"]
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        indexes = [models.Index(fields=["term_start", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target__gte=0), name="plan_goal_target_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__gte=models.F("term_start")),
                name="plan_goal_term_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.text


PERCENT_MEASURES = frozenset(
    {
        PlanGoal.Measure.COVERAGE,
        PlanGoal.Measure.CARD_ISSUE_RATE,
        PlanGoal.Measure.TEACHER_COVERAGE,
        PlanGoal.Measure.CLASS_WEEKLY,
    }
)
