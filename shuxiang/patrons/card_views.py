"""The card printing screen (librarian only): cards for a class, a list of card numbers, or the
cards issued since a day, ten to an A4 sheet from any free place."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.forms import StyledForm
from shuxiang.catalog.label_views import SheetForm, pdf_response, sheet_initial
from shuxiang.catalog.labels import school_name
from shuxiang.patrons import card_print
from shuxiang.patrons.models import SchoolClass
from shuxiang.patrons.permissions import librarian_required

SESSION_KEY = "cards.sheet"
USES = ("cards",)


class CardForm(StyledForm):
    school_class = forms.ModelChoiceField(
        label=gettext_lazy("Class"),
        queryset=SchoolClass.objects.filter(graduated_on__isnull=True),
        required=False,
        empty_label=gettext_lazy("All classes"),
    )
    card_numbers = forms.CharField(
        label=gettext_lazy("Card numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=gettext_lazy("Only these cards: one a line, or scanned one after another."),
    )
    since = forms.DateField(
        label=gettext_lazy("Cards issued since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def selection(self) -> card_print.CardSelection:
        data = self.cleaned_data
        return card_print.CardSelection(
            school_class=data.get("school_class"),
            card_numbers=card_print.split_cards(data.get("card_numbers") or ""),
            since=data.get("since"),
        )


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@librarian_required
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if request.GET.get("class", "").isdigit():
            initial["school_class"] = int(request.GET["class"])
        sheet_form = SheetForm(initial=sheet_initial(request, SESSION_KEY, "cards"), uses=USES)
        return _page(request, CardForm(initial=initial), sheet_form)
    form = CardForm(request.POST)
    sheet_form = SheetForm(request.POST, uses=USES)
    if not (form.is_valid() and sheet_form.is_valid()):
        return _page(request, form, sheet_form)
    selection = form.selection()
    try:
        patrons = card_print.select_patrons(selection)
        content = card_print.patrons_pdf(
            patrons, sheet_form.sheet(), sheet_form.cleaned_data["start"]
        )
    except card_print.CardPrintError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, sheet_form)
    request.session[SESSION_KEY] = sheet_form.remembered()
    # Printing cards hands out patron data: the log names the patrons by id only.
    AuditLog.record(
        "cards.printed",
        by=_user(request),
        target=selection.school_class,
        patrons=[p.pk for p in patrons],
    )
    today = timezone.localdate().isoformat()
    return pdf_response(content, f"{_('Library cards')}-{today}.pdf", f"cards-{today}.pdf")


def _page(request: HttpRequest, form: CardForm, sheet_form: SheetForm) -> HttpResponse:
    return render(
        request,
        "patrons/cards/form.html",
        {
            "form": form,
            "sheet_form": sheet_form,
            "school": school_name(),
            "logo": bool(card_print.setting_path("SHUXIANG_SCHOOL_LOGO")),
            "photos": bool(card_print.setting_path("SHUXIANG_PHOTO_DIR")),
        },
    )
