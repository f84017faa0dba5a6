"""Lost and damaged books (赔偿) and the repair register (修补登记): the librarian's pages.

Each change goes through one circulation service (mark_lost, mark_damaged, mark_repaired,
pay_compensation, waive_compensation), which writes the circulation event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, rules, services
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import CirculationEvent, Fine, Loan, Repair
from shuxiang.circulation.permissions import circulation_manager_required
from shuxiang.circulation.services import Channel
from shuxiang.patrons.models import Patron

PAGE_SIZE = 50
CENTS = Decimal("0.01")
REPAIRED_SHOWN = 100
# Copies that cannot be sent to repair: they are not on the shelves to be mended.
NOT_REPAIRABLE: dict[str, StrPromise] = {
    Item.Status.IN_REPAIR: gettext_lazy("This copy is already in the repair register."),
    Item.Status.DAMAGED: gettext_lazy("This copy is already in the repair register."),
    Item.Status.LOST: gettext_lazy("This copy is recorded as lost."),
    Item.Status.WITHDRAWN: gettext_lazy("This copy has been withdrawn."),
}
LOST_REFUSED: dict[str, StrPromise] = {
    Item.Status.LOST: gettext_lazy("This copy is already recorded as lost."),
    Item.Status.WITHDRAWN: gettext_lazy("This copy has been withdrawn."),
}


def _channel(request: HttpRequest) -> Channel:
    return Channel(by=request.user if isinstance(request.user, User) else None, via="web")


# ----------------------------------------------------------------------------- forms


class BarcodeForm(forms.Form):
    barcode = forms.CharField(
        label=gettext_lazy("Barcode"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"class": "form-control", "autofocus": True, "data-select-on-focus": True}
        ),
    )


class LostForm(BarcodeForm):
    charge = forms.BooleanField(
        label=gettext_lazy("The borrower pays compensation"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class DamagedForm(BarcodeForm):
    damage = forms.CharField(
        label=gettext_lazy("What is damaged"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": gettext_lazy("Say what is damaged.")},
    )
    charge = forms.BooleanField(
        label=gettext_lazy("The last borrower pays compensation"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class PayForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount paid (yuan)"),
        help_text=gettext_lazy("Leave empty when everything owed is paid."),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is waived"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": gettext_lazy("Say why the compensation is waived.")},
    )


class RepairedForm(forms.Form):
    notes = forms.CharField(max_length=200, required=False)


# ----------------------------------------------------------------------------- preview


@dataclass
class Preview:
    """What marking this copy lost or damaged will do, shown before the librarian confirms."""

    item: Item
    loan: Loan | None  # the open loan (lost) or the last loan (damaged)
    patron: Patron | None
    amount: Decimal
    factor: str
    minimum: str

    @property
    def chargeable(self) -> bool:
        return self.patron is not None and self.amount > 0


def _preview(item: Item, *, last_loan: bool) -> Preview:
    loans = Loan.objects.filter(item=item).select_related("patron__school_class")
    loan = (
        loans.filter(patron__isnull=False).order_by("-checked_out_at").first()
        if last_loan
        else loans.open().first()
    )
    rates = config.snapshot().rates
    factor, minimum = rates.get(item.item_type, ("1", "0"))
    return Preview(
        item=item,
        loan=loan,
        patron=loan.patron if loan else None,
        amount=rules.compensation(item.price, item.item_type, rates),
        # "× 1.5, at least ¥5.00", not "× 1.50, at least ¥5".
        factor=format(Decimal(factor).normalize(), "f"),
        minimum=str(Decimal(minimum).quantize(CENTS)),
    )


def _checked(form: BarcodeForm, *, last_loan: bool) -> Preview | None:
    """The preview for the form's barcode, or None with the reason on the form. Only the
    barcode counts here: the other fields may still be wrong, and the preview shows anyway."""
    if not form.is_bound:
        return None
    form.is_valid()
    if "barcode" not in form.cleaned_data:
        return None
    try:
        item = services.find_item(form.cleaned_data["barcode"])
    except CirculationError as exc:
        form.add_error("barcode", exc.message)
        return None
    refused = LOST_REFUSED if not last_loan else NOT_REPAIRABLE
    if item.status in refused:
        form.add_error("barcode", str(refused[item.status]))
        return None
    # Say it before the librarian types the damage: the service would refuse it anyway.
    if last_loan and Loan.objects.open().filter(item=item).exists():
        form.add_error(
            "barcode", _("This book is on loan: check it in at the desk, then send it to repair.")
        )
        return None
    return _preview(item, last_loan=last_loan)


def _page(
    request: HttpRequest, template: str, form: forms.Form, preview: Preview | None
) -> HttpResponse:
    status = 422 if form.errors or request.method == "POST" else 200
    return render(request, template, {"form": form, "preview": preview}, status=status)


# ----------------------------------------------------------------------------- lost


@circulation_manager_required
def mark_lost(request: HttpRequest) -> HttpResponse:
    """Scan or type a barcode, see the borrower and the compensation, confirm."""
    template = "circulation/compensation_lost.html"
    if request.method != "POST":
        lookup = BarcodeForm(request.GET if "barcode" in request.GET else None)
        preview = _checked(lookup, last_loan=False)
        if preview is None:
            return _page(request, template, lookup, None)
        initial = {"barcode": preview.item.barcode, "charge": preview.chargeable}
        return _page(request, template, LostForm(initial=initial), preview)
    form = LostForm(request.POST)
    preview = _checked(form, last_loan=False)
    if preview is not None and form.is_valid():
        try:
            fine = services.mark_lost(
                preview.item,
                _channel(request),
                charge=form.cleaned_data["charge"] and preview.chargeable,
                note=form.cleaned_data["note"],
            )
        except CirculationError as exc:
            form.add_error(None, exc.message)
        else:
            item = preview.item
            messages.success(
                request,
                _("%(title)s (%(barcode)s) is recorded as lost and has left circulation.")
                % {"title": item.record.title, "barcode": item.barcode},
            )
            if fine is not None:
                return redirect("overdue:fine", pk=fine.pk)
            return redirect("overdue:lost")
    return _page(request, template, form, preview)


# ----------------------------------------------------------------------------- damaged


@circulation_manager_required
def mark_damaged(request: HttpRequest) -> HttpResponse:
    """A damaged copy goes to the repair register; its last borrower may be charged."""
    template = "circulation/compensation_damaged.html"
    if request.method != "POST":
        lookup = BarcodeForm(request.GET if "barcode" in request.GET else None)
        preview = _checked(lookup, last_loan=True)
        if preview is None:
            return _page(request, template, lookup, None)
        return _page(
            request, template, DamagedForm(initial={"barcode": preview.item.barcode}), preview
        )
    form = DamagedForm(request.POST)
    preview = _checked(form, last_loan=True)
    if preview is not None and form.is_valid():
        charge = preview.patron if form.cleaned_data["charge"] and preview.chargeable else None
        try:
            repair = services.mark_damaged(
                preview.item,
                _channel(request),
                damage=form.cleaned_data["damage"],
                charge_patron=charge,
            )
        except CirculationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(title)s (%(barcode)s) is in the repair register.")
                % {"title": repair.item.record.title, "barcode": repair.item.barcode},
            )
            return redirect("overdue:repairs")
    return _page(request, template, form, preview)


# ----------------------------------------------------------------------------- compensation


@circulation_manager_required
def fine_list(request: HttpRequest) -> HttpResponse:
    """Compensation owed (unpaid), or with ?show=settled the paid and waived ones."""
    settled = request.GET.get("show") == "settled"
    fines = Fine.objects.select_related("patron__school_class", "item__record")
    if settled:
        fines = fines.exclude(status=Fine.Status.OPEN).order_by("-settled_at", "-pk")
    else:
        fines = fines.outstanding().order_by("created_at", "pk")
    page = Paginator(fines, PAGE_SIZE).get_page(request.GET.get("page"))
    open_fines = Fine.objects.outstanding()
    totals = open_fines.aggregate(amount=Sum("amount"), paid=Sum("paid"))
    AuditLog.record("compensation.viewed", by=_channel(request).by, settled=settled)
    context = {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
        "settled": settled,
        "open_count": open_fines.count(),
        "owed": (Decimal(totals["amount"] or 0) - Decimal(totals["paid"] or 0)).quantize(CENTS),
    }
    return render(request, "circulation/compensation_list.html", context)


@circulation_manager_required
def fine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One compensation: the book, the reader, what was paid; pay (all or part) or waive."""
    fine = get_object_or_404(
        Fine.objects.select_related("patron__school_class", "item__record", "loan"), pk=pk
    )
    action = request.POST.get("action") if request.method == "POST" else None
    pay_form = PayForm(request.POST if action == "pay" else None)
    waive_form = WaiveForm(request.POST if action == "waive" else None)
    form: PayForm | WaiveForm = pay_form if action == "pay" else waive_form
    if action in ("pay", "waive") and form.is_valid():
        try:
            if isinstance(form, PayForm):
                before = fine.balance
                fine = services.pay_compensation(
                    fine,
                    _channel(request),
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                )
                done = _("Payment of ¥%(paid)s recorded; ¥%(owed)s still owed.") % {
                    "paid": before - fine.balance,
                    "owed": fine.balance,
                }
            else:
                services.waive_compensation(
                    fine, _channel(request), note=form.cleaned_data["reason"]
                )
                done = _("The compensation is waived.")
        except CirculationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("overdue:fine", pk=fine.pk)
    AuditLog.record("compensation.viewed", by=_channel(request).by, target=fine)
    events = CirculationEvent.objects.filter(detail__fine=fine.pk).select_related("by")
    context = {
        "fine": fine,
        "pay_form": pay_form,
        "waive_form": waive_form,
        "events": events.order_by("at", "pk"),
    }
    return render(
        request,
        "circulation/compensation_detail.html",
        context,
        status=422 if action else 200,
    )


# ----------------------------------------------------------------------------- repairs


@circulation_manager_required
def repair_register(request: HttpRequest) -> HttpResponse:
    """修补登记: copies in repair now, then the latest ones mended. Prints as a register."""
    repairs = Repair.objects.select_related("item__record", "reported_by", "repaired_by")
    context = {
        "open": list(repairs.filter(repaired_at__isnull=True).order_by("reported_at", "pk")),
        "done": list(
            repairs.filter(repaired_at__isnull=False).order_by("-repaired_at", "-pk")[
                :REPAIRED_SHOWN
            ]
        ),
    }
    return render(request, "circulation/repair_register.html", context)


@require_POST
@circulation_manager_required
def mark_repaired(request: HttpRequest, pk: int) -> HttpResponse:
    repair = get_object_or_404(Repair.objects.select_related("item__record"), pk=pk)
    form = RepairedForm(request.POST)
    notes = form.cleaned_data["notes"] if form.is_valid() else ""
    try:
        services.mark_repaired(repair.item, _channel(request), notes=notes)
    except CirculationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(title)s (%(barcode)s) is repaired and back on the shelf.")
            % {"title": repair.item.record.title, "barcode": repair.item.barcode},
        )
    return redirect("overdue:repairs")
