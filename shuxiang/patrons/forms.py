"""Forms of the patron pages. They parse input; the services check and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog.forms import StyledForm
from shuxiang.lib import barcodes
from shuxiang.lib.text import to_halfwidth
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.services import PatronData


class ClassChoiceField(forms.ModelChoiceField[SchoolClass]):
    def label_from_instance(self, obj: SchoolClass) -> str:
        return obj.label


def class_field(*, required: bool = False, keep: int | None = None) -> ClassChoiceField:
    """Current classes; ``keep`` adds a graduated class that a patron still belongs to."""
    current = Q(graduated_on__isnull=True)
    if keep is not None:
        current |= Q(pk=keep)
    return ClassChoiceField(
        label=_("Class"),
        queryset=SchoolClass.objects.filter(current),
        required=required,
        empty_label="—",
    )


class PatronForm(StyledForm):
    """Add or edit a patron. The card number is asked only when adding: later it changes by
    补办, which retires the old number."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={"required": _("Enter the patron's name.")},
    )
    type = forms.ChoiceField(label=_("Type"), choices=Patron.Type.choices)
    number = forms.CharField(
        label=_("Student or staff number"),
        max_length=64,
        required=False,
        help_text=_("学号 for a student, 工号 for a teacher. Leading zeros are kept."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    school_class = class_field()
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Patron.Gender.choices], required=False
    )
    enrolment_year = forms.IntegerField(
        label=_("Year of enrolment"),
        required=False,
        min_value=1950,
        max_value=2100,
        error_messages={"invalid": _("The year of enrolment should be like 2024.")},
    )
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for the next automatic number; or scan a pre-printed card."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-select-on-focus": ""}
        ),
    )
    guardian_phone = forms.CharField(
        label=_("Guardian's phone"),
        max_length=40,
        required=False,
        help_text=_("Seen only by the librarian and the class's homeroom teacher."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, patron: Patron | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patron = patron
        if patron is not None:
            del self.fields["card_number"]
            if patron.school_class_id is not None:
                field = class_field(keep=patron.school_class_id)
                field.widget.attrs = self.fields["school_class"].widget.attrs
                self.fields["school_class"] = field

    def clean_number(self) -> str:
        return "".join(to_halfwidth(self.cleaned_data["number"]).split())

    def clean_card_number(self) -> str:
        return barcodes.normalize(self.cleaned_data["card_number"])

    def patron_data(self) -> PatronData:
        d = self.cleaned_data
        return PatronData(
            name=d["name"],
            type=d["type"],
            gender=d["gender"],
            number=d["number"],
            school_class=d["school_class"],
            enrolment_year=d["enrolment_year"],
            guardian_phone=d["guardian_phone"],
            notes=d["notes"],
            card_number=d.get("card_number", ""),
        )

    def add_patron_error(self, exc: PatronError, field: str = "") -> None:
        """A service's Chinese message, next to the field it concerns."""
        name = field or getattr(exc, "field", "")
        self.add_error(name if name in self.fields else None, exc.message)

    @staticmethod
    def initial_from(patron: Patron) -> dict[str, Any]:
        return {
            "name": patron.name,
            "type": patron.type,
            "number": patron.number,
            "school_class": patron.school_class_id,
            "gender": patron.gender,
            "enrolment_year": patron.enrolment_year,
            "guardian_phone": patron.guardian_phone,
            "notes": patron.notes,
        }


class ReissueForm(StyledForm):
    new_number = forms.CharField(
        label=_("New card number"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for the next automatic number; or scan the new card."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-select-on-focus": ""}
        ),
    )

    def clean_new_number(self) -> str:
        return barcodes.normalize(self.cleaned_data["new_number"])
