from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuxiang.lib import grades


class SchoolClass(models.Model):
    """A class (班级): grade + number, its homeroom teacher and its student assistants.

    A class keeps its row for life: the rollover moves it up a grade each September, and when it
    leaves the top grade it is marked graduated, so past loans still count for the class.
    """

    grade = models.PositiveSmallIntegerField(_("grade"))
    number = models.PositiveSmallIntegerField(_("number of the class"))
    enrolment_year = models.PositiveSmallIntegerField(_("year of enrolment"), null=True, blank=True)
    homeroom_teacher = models.ForeignKey(
        "Patron",
        verbose_name=_("homeroom teacher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homeroom_classes",
    )
    assistants: models.ManyToManyField[Patron, models.Model] = models.ManyToManyField(
        "Patron", verbose_name=_("student assistants"), blank=True, related_name="assisted_classes"
    )
    graduated_on = models.DateField(_("graduated on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["grade", "number"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            # Only one 三年级(2)班 at a time; graduated classes keep their old grade.
            models.UniqueConstraint(
                fields=["grade", "number"],
                condition=Q(graduated_on__isnull=True),
                name="one_current_class_per_grade_and_number",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        label = grades.class_label(self.grade, self.number)
        if self.graduated_on:
            return f"{label}（{self.graduated_on.year}届）"
        return label

    @property
    def grade_label(self) -> str:
        return grades.grade_label(self.grade)

    @property
    def is_current(self) -> bool:
        return self.graduated_on is None


class Patron(models.Model):
    """A reader (读者) with a library card: a student, a teacher or another member of staff."""

    class Type(models.TextChoices):
        STUDENT = "student", _("Student")
        TEACHER = "teacher", _("Teacher")
        STAFF = "staff", _("Staff")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CARD_LOST = "card_lost", _("Card reported lost")
        SUSPENDED = "suspended", _("Suspended")
        GRADUATED = "graduated", _("Graduated")
        LEFT = "left", _("Left the school")

    class Gender(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")

    card_number = models.CharField(_("card number"), max_length=32, unique=True)
    name = models.CharField(_("full name"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.STUDENT)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    # 学号 for students, 工号 for teachers and staff; leading zeros matter, so text.
    student_number = models.CharField(_("student number"), max_length=32, blank=True)
    staff_number = models.CharField(_("staff number"), max_length=32, blank=True)
    school_class = models.ForeignKey(
        SchoolClass,
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="students",
    )
    enrolment_year = models.PositiveSmallIntegerField(_("year of enrolment"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    guardian_phone = models.CharField(_("guardian's phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    card_issued_on = models.DateField(_("card issued on"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patron",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_class__grade", "school_class__number", "student_number", "name"]
        verbose_name = _("patron")
        verbose_name_plural = _("patrons")
        constraints = [
            models.UniqueConstraint(
                fields=["student_number"],
                condition=~Q(student_number=""),
                name="unique_student_number",
            ),
            models.UniqueConstraint(
                fields=["staff_number"], condition=~Q(staff_number=""), name="unique_staff_number"
            ),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.card_number}）"

    @property
    def grade(self) -> int | None:
        return self.school_class.grade if self.school_class_id and self.school_class else None

    @property
    def number(self) -> str:
        """学号 or 工号, whichever this patron has."""
        return self.student_number or self.staff_number

    @property
    def category(self) -> str:
        """What loan rules key on: student_lower … student_senior, teacher, staff."""
        if self.type == self.Type.STUDENT:
            grade = self.grade
            return f"student_{grades.grade_band(grade)}" if grade else "student"
        return str(self.type)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class RetiredCard(models.Model):
    """A card number that no longer opens its patron: reported lost and reissued, or erased.

    Kept so that the desk and the kiosks can say why the card is refused instead of "unknown".
    """

    class Reason(models.TextChoices):
        REISSUED = "reissued", _("Replaced by a new card")

    number = models.CharField(_("card number"), max_length=32, unique=True)
    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="retired_cards")
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.REISSUED)
    retired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.number


class Rollover(models.Model):
    """One year rollover (升级): what moved, so that it can be undone on the same day."""

    school_year = models.PositiveSmallIntegerField(_("school year starting"))
    run_at = models.DateTimeField(default=timezone.now)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"classes_moved": n, "classes_graduated": n, "patrons_graduated": n, ...}
    summary = models.JSONField(default=dict)
    # Everything undo needs: class ids moved up, class ids graduated, patron ids with their
    # status before the rollover.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return f"{self.school_year} {self.run_at:%Y-%m-%d}"
