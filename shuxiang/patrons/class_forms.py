"""Forms of the class pages: they read the input; patrons.classes decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shuxiang.catalog.forms import StyledForm
from shuxiang.lib import grades
from shuxiang.patrons.classes import ENROLLED, school_grades
from shuxiang.patrons.errors import InvalidClass
from shuxiang.patrons.models import Patron, SchoolClass


class _ServiceErrors(StyledForm):
    def add_class_error(self, exc: InvalidClass) -> None:
        """Show the service's Chinese message next to the field it names."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def _enrolment_year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Year of enrolment"),
        required=False,
        min_value=1990,
        max_value=timezone.localdate().year + 1,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "placeholder": str(timezone.localdate().year)}
        ),
    )


class ClassAddForm(_ServiceErrors):
    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int, choices=())
    number = forms.IntegerField(
        label=pgettext_lazy("class of a school", "Number"),
        min_value=1,
        max_value=99,
        error_messages={"required": _("Enter the class number, such as 2 for (2)班.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrolment_year"] = _enrolment_year_field()
        grade = self.fields["grade"]
        assert isinstance(grade, forms.TypedChoiceField)
        grade.choices = [(g, grades.grade_label(g)) for g in school_grades()]


class _TeacherChoice(forms.ModelChoiceField[Patron]):
    def label_from_instance(self, obj: Patron) -> str:
        return f"{obj.name}（{obj.staff_number}）" if obj.staff_number else obj.name


class _StudentChoices(forms.ModelMultipleChoiceField[Patron]):
    def label_from_instance(self, obj: Patron) -> str:
        return f"{obj.student_number} {obj.name}".strip()


class ClassEditForm(_ServiceErrors):
    def __init__(self, *args: Any, school_class: SchoolClass, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "homeroom_teacher": school_class.homeroom_teacher_id,
                "assistants": [p.pk for p in school_class.assistants.all()],
                "enrolment_year": school_class.enrolment_year,
            },
        )
        super().__init__(*args, **kwargs)
        teachers = Patron.objects.filter(type=Patron.Type.TEACHER, status__in=ENROLLED)
        self.fields["homeroom_teacher"] = _TeacherChoice(
            queryset=teachers.order_by("name", "pk"),
            label=_("Homeroom teacher"),
            required=False,
            empty_label=_("(none)"),
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        students = school_class.students.filter(type=Patron.Type.STUDENT, status__in=ENROLLED)
        self.fields["assistants"] = _StudentChoices(
            queryset=students.order_by("student_number", "name", "pk"),
            label=_("Student library assistants"),
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            help_text=_("Usually two students of the class."),
        )
        self.fields["enrolment_year"] = _enrolment_year_field()
