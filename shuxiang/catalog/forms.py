"""Forms of the cataloguing screens. They parse and check input; the services decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.forms.utils import ErrorList
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog import services
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import Item, Location, Record
from shuxiang.lib import isbn
from shuxiang.lib.text import clean

CONTRIBUTOR_ROLES = [
    ("author", pgettext_lazy("contributor role", "Author")),
    ("editor", pgettext_lazy("contributor role", "Editor")),
    ("translator", pgettext_lazy("contributor role", "Translator")),
    ("illustrator", pgettext_lazy("contributor role", "Illustrator")),
    ("adapter", pgettext_lazy("contributor role", "Adapter")),
    ("other", pgettext_lazy("contributor role", "Other")),
]

LANGUAGES = [
    ("chi", _("Chinese")),
    ("eng", _("English")),
    ("jpn", _("Japanese")),
    ("kor", _("Korean")),
    ("fre", _("French")),
    ("ger", _("German")),
    ("rus", _("Russian")),
    ("mul", _("Several languages")),
]

# Readers and librarians separate lists with any of these; titles only by line or "；".
_LIST_SEPARATORS = re.compile(r"[\n;；,，、]+")
_TITLE_SEPARATORS = re.compile(r"[\n;；]+")
_BARCODE_SEPARATORS = re.compile(r"[\s,，;；、]+")
MAX_COPIES = 200


def role_label(role: str) -> str:
    return str(dict(CONTRIBUTOR_ROLES).get(role, role))


def split_list(text: str, separators: re.Pattern[str] = _LIST_SEPARATORS) -> list[str]:
    return [part for part in (clean(p) for p in separators.split(text or "")) if part]


def grade_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(str(n), gettext("Grade %(n)d") % {"n": n}) for n in range(1, 13)]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and is-invalid on fields with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("error_class", ErrorList)
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field and field in self.fields:
            widget = self.fields[field].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_error(self, exc: InvalidRecord) -> None:
        """Show a service's Chinese message next to the field it names."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def _price(value: str) -> Decimal | None:
    try:
        return services.parse_price(value)
    except InvalidRecord as exc:
        raise forms.ValidationError(exc.message) from None


class IsbnForm(StyledForm):
    isbn = forms.CharField(
        label=_("ISBN"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "class": "form-control-lg sx-isbn-input",
                "placeholder": "978…",
                "data-select-on-focus": "",
            }
        ),
        error_messages={"required": _("Scan or type the ISBN on the back cover.")},
    )

    def clean_isbn(self) -> str:
        try:
            return isbn.normalize(self.cleaned_data["isbn"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ContributorForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=CONTRIBUTOR_ROLES, initial="author")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A record imported with a role this list lacks keeps it.
        role = self.initial.get("role")
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        if role and role not in dict(CONTRIBUTOR_ROLES):
            field.choices = [*CONTRIBUTOR_ROLES, (role, role)]


def contributor_formset(
    data: Any = None, record: Record | None = None, extra: int = 1
) -> forms.BaseFormSet[ContributorForm]:
    initial = (
        [{"name": c.get("name", ""), "role": c.get("role", "author")} for c in record.contributors]
        if record
        else []
    )
    formset_class = forms.formset_factory(ContributorForm, extra=extra if initial else extra + 1)
    return formset_class(data, initial=initial, prefix="authors")


def contributors_from(formset: forms.BaseFormSet[ContributorForm]) -> list[dict[str, str]]:
    return [
        {"name": clean(f.cleaned_data["name"]), "role": f.cleaned_data.get("role") or "author"}
        for f in formset.forms
        if f.cleaned_data.get("name", "").strip()
    ]


class RecordForm(StyledForm):
    """The bibliographic description. Authors come in a formset beside it."""

    title = forms.CharField(label=_("Title"), max_length=500)
    subtitle = forms.CharField(label=_("Other title information"), max_length=500, required=False)
    other_titles = forms.CharField(
        label=_("Other titles"),
        max_length=1000,
        required=False,
        help_text=_("Separate with ；"),
    )
    publisher = forms.CharField(label=_("Publisher"), max_length=255, required=False)
    place = forms.CharField(label=_("Place of publication"), max_length=100, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1000, max_value=2100, required=False)
    edition = forms.CharField(label=_("Edition"), max_length=100, required=False)
    isbn = forms.CharField(label=_("ISBN"), max_length=40, required=False)
    price = forms.CharField(
        label=_("Price"),
        max_length=30,
        required=False,
        help_text=_("e.g. 28.00 or 28.00元"),
    )
    pages = forms.CharField(label=_("Pages"), max_length=100, required=False)
    series = forms.CharField(label=_("Series"), max_length=255, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A real introduction: it is shown in the catalogue and new-book lists."),
    )
    subjects = forms.CharField(
        label=_("Subjects"),
        max_length=1000,
        required=False,
        help_text=_("Separate with 、 or ；"),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="chi")
    material_type = forms.ChoiceField(
        label=_("Material type"), choices=Record.MaterialType.choices, initial="book"
    )
    grade_min = forms.TypedChoiceField(
        label=_("Suitable from grade"), coerce=int, empty_value=None, required=False
    )
    grade_max = forms.TypedChoiceField(
        label=_("Suitable to grade"), coerce=int, empty_value=None, required=False
    )
    class_number = forms.CharField(
        label=_("Class number"),
        max_length=40,
        required=False,
        help_text=_("中图法, e.g. I287.5. The book number is assigned on saving."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    allow_duplicate = forms.BooleanField(
        label=_("Catalogue it anyway as a separate record"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("grade_min", "grade_max"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = grade_choices()
        self._clc_picker()
        language = self.initial.get("language")
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        if language and language not in dict(LANGUAGES):
            field.choices = [*LANGUAGES, (language, language)]

    def _clc_picker(self) -> None:
        """Wire the class number to the CLC picker (htmx), once its view exists."""
        attrs = self.fields["class_number"].widget.attrs
        attrs["data-clc-input"] = ""
        try:
            url = reverse("catalog:clc_pick")
            attrs["data-clc-check"] = reverse("catalog:clc_check")
        except NoReverseMatch:
            return
        attrs.update(
            {
                "hx-get": url,
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "next [data-clc-list]",
                "hx-sync": "this:replace",
                "aria-autocomplete": "list",
            }
        )

    def clean_price(self) -> Decimal | None:
        return _price(self.cleaned_data["price"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("grade_min"), data.get("grade_max")
        if low and high and low > high:
            self.add_error("grade_max", gettext("The last grade comes before the first."))
        return data

    def record_data(
        self, contributors: list[dict[str, str]], base: Record | None = None
    ) -> services.RecordData:
        """The form's values as RecordData; fields the form lacks keep the record's values."""
        d = self.cleaned_data
        kept: dict[str, Any] = {}
        if base is not None:
            kept = {
                "parallel_titles": base.parallel_titles,
                "other_isbns": base.other_isbns,
                "currency": base.currency,
                "book_number": base.book_number,
            }
        return services.RecordData(
            title=d["title"],
            contributors=contributors,
            subtitle=clean(d["subtitle"]),
            other_titles=split_list(d["other_titles"], _TITLE_SEPARATORS),
            publisher=clean(d["publisher"]),
            place=clean(d["place"]),
            year=d["year"],
            edition=clean(d["edition"]),
            isbn=d["isbn"],
            price=d["price"],
            pages=clean(d["pages"]),
            series=clean(d["series"]),
            summary=d["summary"].strip(),
            subjects=split_list(d["subjects"]),
            language=d["language"],
            material_type=d["material_type"],
            grade_min=d["grade_min"],
            grade_max=d["grade_max"],
            class_number=d["class_number"],
            **kept,
        )

    @staticmethod
    def initial_from(record: Record) -> dict[str, Any]:
        return {
            "title": record.title,
            "subtitle": record.subtitle,
            "other_titles": "；".join(record.other_titles),
            "publisher": record.publisher,
            "place": record.place,
            "year": record.year,
            "edition": record.edition,
            "isbn": record.isbn,
            "price": record.price,
            "pages": record.pages,
            "series": record.series,
            "summary": record.summary,
            "subjects": "、".join(record.subjects),
            "language": record.language,
            "material_type": record.material_type,
            "grade_min": record.grade_min,
            "grade_max": record.grade_max,
            "class_number": record.class_number,
        }


def location_field() -> forms.ModelChoiceField[Location]:
    return forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.all(),
        empty_label=None,
        to_field_name="code",
    )


class CopiesForm(StyledForm):
    """The first copies of a new record: scanned barcodes, or a number of copies."""

    barcodes = forms.CharField(
        label=_("Barcodes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Scan one per line. Leave empty to number the copies automatically."),
    )
    copies = forms.IntegerField(
        label=_("Number of copies"),
        min_value=0,
        max_value=MAX_COPIES,
        initial=1,
        required=False,
        help_text=_("Used when no barcodes are given."),
    )
    location = location_field()
    source = forms.ChoiceField(label=_("Source"), choices=Item.Source.choices, initial="purchase")
    donor = forms.CharField(label=_("Donor"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "location" not in self.initial:
            default = Location.objects.filter(is_default=True).first()
            self.initial["location"] = default.code if default else None

    def clean_barcodes(self) -> list[str]:
        barcodes = [
            b.upper() for b in split_list(self.cleaned_data["barcodes"], _BARCODE_SEPARATORS)
        ]
        if len(barcodes) > MAX_COPIES:
            raise forms.ValidationError(
                gettext("At most %(n)d copies at a time.") % {"n": MAX_COPIES}
            )
        repeated = sorted({b for b in barcodes if barcodes.count(b) > 1})
        if repeated:
            raise forms.ValidationError(
                gettext("Scanned twice: %(barcodes)s") % {"barcodes": "、".join(repeated)}
            )
        taken = list(Item.objects.filter(barcode__in=barcodes).values_list("barcode", flat=True))
        if taken:
            raise forms.ValidationError(
                gettext("Already in use: %(barcodes)s") % {"barcodes": "、".join(sorted(taken))}
            )
        return barcodes

    def item_data(self) -> list[services.ItemData]:
        d = self.cleaned_data
        common = {"location": d["location"], "source": d["source"], "donor": clean(d["donor"])}
        if d["barcodes"]:
            return [services.ItemData(barcode=b, **common) for b in d["barcodes"]]
        return [services.ItemData(**common) for _ in range(d["copies"] or 0)]


class ItemForm(StyledForm):
    """Add one copy to a record."""

    barcode = forms.CharField(
        label=_("Barcode"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to use the accession number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-select-on-focus": ""}),
    )
    accession_number = forms.CharField(
        label=_("Accession number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty for the next number."),
    )
    location = location_field()
    price = forms.CharField(
        label=_("Price"), max_length=30, required=False, help_text=_("Empty: the record's price.")
    )
    source = forms.ChoiceField(label=_("Source"), choices=Item.Source.choices, initial="purchase")
    donor = forms.CharField(label=_("Donor"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "location" not in self.initial:
            default = Location.objects.filter(is_default=True).first()
            self.initial["location"] = default.code if default else None

    def clean_price(self) -> Decimal | None:
        return _price(self.cleaned_data["price"])

    def item_data(self) -> services.ItemData:
        d = self.cleaned_data
        return services.ItemData(
            barcode=d["barcode"],
            accession_number=d["accession_number"],
            location=d["location"],
            price=d["price"],
            source=d["source"],
            donor=clean(d["donor"]),
        )
