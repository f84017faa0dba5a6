"""Forms of the circulation settings pages. They read the input; settings_services and
rotation decide and save."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog.forms import StyledForm
from shuxiang.catalog.models import Item, Location
from shuxiang.circulation import rules
from shuxiang.circulation.models import CirculationPolicy, LendingSlot, LoanRule
from shuxiang.circulation.rotation import RotationError, slot_label
from shuxiang.circulation.settings_services import InvalidSetting, RuleData, Spans
from shuxiang.lib.text import to_halfwidth
from shuxiang.patrons.models import SchoolClass

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [(n, WEEKDAYS[n]) for n in range(7)]
# 8:00-11:30, 13:30–16:30 ; the dash may be any of - – — ~ 至 and times may lack the colon.
_SPAN = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(?:-|–|—|~|至|到)\s*(\d{1,2})(?::(\d{2}))?$")
_SPAN_SEPARATORS = re.compile(r"[,;、\n]+")


class SettingsForm(StyledForm):
    def add_setting_error(self, exc: InvalidSetting | RotationError) -> None:
        """Show a service's Chinese message next to the field it names."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def item_type_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(v), str(label)) for v, label in Item.ItemType.choices]


def category_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in rules.CATEGORY_CHOICES]


def _number(label: Any, low: int, high: int, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, widget=forms.NumberInput(), **kwargs
    )


# ----------------------------------------------------------------------------- loan rules


class RuleForm(SettingsForm):
    patron_category = forms.ChoiceField(label=_("Patron category"), required=False)
    item_type = forms.ChoiceField(label=_("Item type"), required=False)
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.all(), required=False
    )
    max_loans = _number(_("Maximum loans"), 0, 100, help_text=_("0: not lent to this category."))
    loan_days = _number(_("Loan days"), 0, 365, initial=14)
    renewals = _number(_("Renewals"), 0, 20, initial=1)
    holds_allowed = forms.BooleanField(label=_("Holds allowed"), required=False, initial=True)
    room_only = forms.BooleanField(label=_("In-room use only (back the same day)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, rule: LoanRule | None = None, **kwargs: Any) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "patron_category": rule.patron_category,
                    "item_type": rule.item_type,
                    "location": rule.location_id,
                    "max_loans": rule.max_loans,
                    "loan_days": rule.loan_days,
                    "renewals": rule.renewals,
                    "holds_allowed": rule.holds_allowed,
                    "room_only": rule.room_only,
                    "note": rule.note,
                },
            )
        super().__init__(*args, **kwargs)
        self._choices()

    def _choices(self) -> None:
        category = self.fields["patron_category"]
        item_type = self.fields["item_type"]
        location = self.fields["location"]
        assert isinstance(category, forms.ChoiceField)
        assert isinstance(item_type, forms.ChoiceField)
        assert isinstance(location, forms.ModelChoiceField)
        category.choices = category_choices()
        item_type.choices = item_type_choices(gettext("Any item type"))
        location.empty_label = gettext("Any location")

    def rule_data(self) -> RuleData:
        data = self.cleaned_data
        return RuleData(
            patron_category=data["patron_category"],
            item_type=data["item_type"],
            location=data["location"],
            max_loans=data["max_loans"],
            loan_days=data["loan_days"],
            renewals=data["renewals"],
            holds_allowed=data["holds_allowed"],
            room_only=data["room_only"],
            note=data["note"].strip(),
        )


class RuleCheckForm(SettingsForm):
    """Which rule applies? Either a category, item type and location, or a card and a book."""

    patron_category = forms.ChoiceField(label=_("Patron category"), required=False)
    item_type = forms.ChoiceField(label=_("Item type"), required=False)
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.all(), required=False
    )
    card = forms.CharField(label=_("Library card"), max_length=32, required=False)
    barcode = forms.CharField(label=_("Book barcode"), max_length=32, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["patron_category"]
        item_type = self.fields["item_type"]
        location = self.fields["location"]
        assert isinstance(category, forms.ChoiceField)
        assert isinstance(item_type, forms.ChoiceField)
        assert isinstance(location, forms.ModelChoiceField)
        category.choices = [("", "—")] + category_choices()[1:]
        item_type.choices = item_type_choices(str(Item.ItemType.GENERAL.label))[1:]
        location.empty_label = None
        for name in ("card", "barcode"):
            self.fields[name].widget.attrs.update(
                {"autocomplete": "off", "data-select-on-focus": ""}
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        by_scan = bool(data.get("card") or data.get("barcode"))
        if by_scan and not (data.get("card") and data.get("barcode")):
            # Named on the empty field: the page puts the cursor there for the next scan.
            missing = "barcode" if data.get("card") else "card"
            self.add_error(missing, gettext("Scan both the library card and the book."))
        if not by_scan and not data.get("patron_category"):
            raise forms.ValidationError(
                gettext("Choose a patron category, or scan a library card and a book.")
            )
        return data


# ----------------------------------------------------------------------------- calendar


class TermForm(SettingsForm):
    name = forms.CharField(label=_("Term name"), max_length=60)
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)


class ClosedDaysForm(SettingsForm):
    first = forms.DateField(label=_("From"), widget=DATE)
    last = forms.DateField(label=_("To (for several days)"), widget=DATE, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "国庆节"}),
    )


def parse_spans(text: str) -> Spans:
    """'8:00-11:30, 13:30-16:30' → [(08:00, 11:30), (13:30, 16:30)]; '' → [] (closed)."""
    spans: Spans = []
    for part in _SPAN_SEPARATORS.split(to_halfwidth(text or "").replace("，", ",")):
        part = part.strip()
        if not part:
            continue
        match = _SPAN.match(part)
        if match is None:
            raise forms.ValidationError(
                gettext("Write the hours as 8:00-11:30, several spans separated by commas.")
            )
        h1, m1, h2, m2 = match.groups()
        spans.append((_time(h1, m1), _time(h2, m2)))
    return spans


def _time(hours: str, minutes: str | None) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(23, 59)
    if h > 23 or m > 59:
        raise forms.ValidationError(
            gettext("%(time)s is not a time of day.") % {"time": f"{h}:{m:02d}"}
        )
    return time(h, m)


def spans_text(spans: Spans) -> str:
    return ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in spans)


class OpeningHoursForm(SettingsForm):
    """One line per weekday: its opening spans, or nothing when the library is closed."""

    def __init__(self, *args: Any, week: dict[int, Spans], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {f"day_{d}": spans_text(s) for d, s in week.items()})
        super().__init__(*args, **kwargs)
        for day in range(7):
            self.fields[f"day_{day}"] = forms.CharField(
                label=WEEKDAYS[day],
                required=False,
                max_length=120,
                widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "—"}),
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for day in range(7):
            name = f"day_{day}"
            if name in self.errors:
                continue
            try:
                data[name] = parse_spans(data.get(name, ""))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        return data

    def week(self) -> dict[int, Spans]:
        return {day: self.cleaned_data[f"day_{day}"] for day in range(7)}


# ----------------------------------------------------------------------------- policy


class PolicyForm(SettingsForm):
    slot_mode = forms.ChoiceField(
        label=_("A student borrows outside their class's slot"),
        choices=CirculationPolicy.SlotMode.choices,
        widget=forms.RadioSelect,
    )
    overdue_block_days = forms.IntegerField(
        label=_("Block borrowing when a book is overdue by more than (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Leave empty: overdue books never block borrowing."),
    )
    hold_expiry_days = _number(_("Days a held book waits for its reader"), 1, 60)
    undo_minutes = _number(_("Minutes the desk can undo a scan"), 0, 120)

    def __init__(
        self, *args: Any, rates: dict[str, tuple[Decimal, Decimal]], **kwargs: Any
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        for item_type, (factor, minimum) in rates.items():
            initial.setdefault(f"factor_{item_type}", factor)
            initial.setdefault(f"minimum_{item_type}", minimum)
        super().__init__(*args, **kwargs)
        self.fields["slot_mode"].widget.attrs["class"] = "form-check-input"
        self.rate_rows = []
        for value, label in Item.ItemType.choices:
            self.fields[f"factor_{value}"] = forms.DecimalField(
                label=gettext("%(type)s: factor") % {"type": label},
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                max_digits=5,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}),
            )
            self.fields[f"minimum_{value}"] = forms.DecimalField(
                label=gettext("%(type)s: minimum (yuan)") % {"type": label},
                min_value=Decimal("0"),
                max_value=Decimal("10000"),
                max_digits=10,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "1"}),
            )
            self.rate_rows.append((label, self[f"factor_{value}"], self[f"minimum_{value}"]))

    def rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        data = self.cleaned_data
        return {
            str(value): (data[f"factor_{value}"], data[f"minimum_{value}"])
            for value in Item.ItemType.values
        }


# ----------------------------------------------------------------------------- rotation


class SlotForm(SettingsForm):
    weekday = forms.TypedChoiceField(label=_("Day"), coerce=int, choices=WEEKDAY_CHOICES)
    starts = forms.TimeField(label=_("Starts"), widget=TIME, initial=time(11, 30))
    ends = forms.TimeField(label=_("Ends"), widget=TIME, initial=time(12, 30))


class _SlotChoice(forms.ModelChoiceField[LendingSlot]):
    def label_from_instance(self, obj: LendingSlot) -> str:
        return slot_label(obj)


class MoveClassForm(SettingsForm):
    school_class = forms.ModelChoiceField(
        queryset=SchoolClass.objects.filter(graduated_on__isnull=True), widget=forms.HiddenInput
    )
    slot = _SlotChoice(
        label=_("Lending slot"),
        queryset=LendingSlot.objects.all(),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slot = self.fields["slot"]
        assert isinstance(slot, forms.ModelChoiceField)
        slot.empty_label = gettext("No turn (any time)")
