"""Withdrawing copies (注销 / 剔旧) and the withdrawals register (注销登记簿).

The librarian picks a reason once and scans a pile of books one after another; each scan
answers at once with the book and what happened, and a wrong scan is undone on its own line.
The register lists the copies written off in a date range with their prices, for the yearly
write-off form. Every change goes through circulation.services.withdraw / reinstate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import CirculationError
from shuxiang.lib import barcodes, terms
from shuxiang.patrons.permissions import librarian_required

MAX_BARCODE = 64
MAX_NOTE = 200
Reason = Item.WithdrawalReason
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _channel(request: HttpRequest) -> services.Channel:
    return services.Channel(by=_user(request), via="web", station="withdrawals")


def _reason(value: str) -> str:
    return value if value in Reason.values else ""


# ----------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Scan:
    """One scan's answer: done (withdrawn, or undone) or refused with the reason."""

    barcode: str
    outcome: str  # withdrawn, undone, refused
    message: str
    item: Item | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != "refused"


@librarian_required
def scan_page(request: HttpRequest) -> HttpResponse:
    """The scanning session; ?barcode= (from a record page) fills the box for one copy."""
    context = {
        "reasons": Reason.choices,
        "reason": _reason(request.GET.get("reason", "")) or Reason.WEEDED,
        "barcode": barcodes.normalize(request.GET.get("barcode", ""))[:MAX_BARCODE],
    }
    return render(request, "circulation/withdraw_scan.html", context)


@require_POST
@librarian_required
def scan(request: HttpRequest) -> HttpResponse:
    code = barcodes.normalize(request.POST.get("barcode", ""))[:MAX_BARCODE]
    reason = _reason(request.POST.get("reason", ""))
    note = request.POST.get("note", "").strip()[:MAX_NOTE]
    answer = _withdraw(request, code, reason, note)
    return _answer(request, answer, reason)


def _withdraw(request: HttpRequest, code: str, reason: str, note: str) -> Scan:
    if not code:
        return Scan(code, "refused", _("Scan a book's barcode."))
    if not reason:
        return Scan(code, "refused", _("Choose why the copies are withdrawn."))
    item: Item | None = None
    try:
        item = services.find_item(code)
        event = services.withdraw(item, _channel(request), reason=reason, note=note)
    except CirculationError as exc:
        return Scan(code, "refused", exc.message, item)
    AuditLog.record("item.withdrawn", by=_user(request), target=item, reason=reason, event=event.pk)
    return Scan(
        code, "withdrawn", _("Withdrawn: %(reason)s.") % {"reason": Reason(reason).label}, item
    )


@require_POST
@librarian_required
def undo(request: HttpRequest) -> HttpResponse:
    """Put a copy withdrawn by mistake back on the shelf (a line's "undo" button)."""
    code = barcodes.normalize(request.POST.get("barcode", ""))[:MAX_BARCODE]
    item: Item | None = None
    try:
        item = services.find_item(code)
        event = services.reinstate(item, _channel(request))
    except CirculationError as exc:
        answer = Scan(code, "refused", exc.message, item)
    else:
        AuditLog.record("item.reinstated", by=_user(request), target=item, event=event.pk)
        answer = Scan(
            code, "undone", _("Withdrawal undone: the copy is back in the collection."), item
        )
    return _answer(request, answer, _reason(request.POST.get("reason", "")))


def _answer(request: HttpRequest, answer: Scan, reason: str) -> HttpResponse:
    """htmx gets the scan's line; a plain form post gets the page again with a message."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "circulation/withdraw_scan_row.html", {"scan": answer})
    title = f"《{answer.item.record.title}》" if answer.item else ""
    text = f"{answer.barcode} {title} {answer.message}".strip()
    (messages.success if answer.ok else messages.error)(request, text)
    target = reverse("withdrawals:scan")
    return redirect(f"{target}?reason={reason}" if reason else target)


# ----------------------------------------------------------------------------- register


@dataclass(frozen=True)
class ReasonTotal:
    reason: str
    label: str
    copies: int
    amount: Decimal


@dataclass(frozen=True)
class Register:
    start: date
    end: date
    items: list[Item]
    totals: list[ReasonTotal]
    undated: int  # withdrawn before withdrawals were dated: in no range

    @property
    def copies(self) -> int:
        return len(self.items)

    @property
    def amount(self) -> Decimal:
        return sum((t.amount for t in self.totals), Decimal("0.00"))

    @property
    def title(self) -> str:
        return _("Withdrawals register %(start)s to %(end)s") % {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def price_of(item: Item) -> Decimal | None:
    # A copy's own price when it has one, else the record's (as compensation counts it).
    return item.price if item.price is not None else item.record.price


def _withdrawn() -> QuerySet[Item]:
    return Item.objects.filter(status=Item.Status.WITHDRAWN)


def build_register(start: date, end: date) -> Register:
    items = list(
        _withdrawn()
        .filter(withdrawn_on__range=(start, end))
        .select_related("record")
        .order_by("withdrawn_on", "accession_number", "pk")
    )
    totals = []
    for value, label in Reason.choices:
        mine = [item for item in items if item.withdrawal_reason == value]
        if mine:
            amount = sum((price_of(i) or Decimal("0.00") for i in mine), Decimal("0.00"))
            totals.append(ReasonTotal(value, str(label), len(mine), amount))
    undated = _withdrawn().filter(withdrawn_on__isnull=True).count()
    return Register(start, end, items, totals, undated)


def _school_year(today: date) -> tuple[date, date]:
    year = terms.school_year(today)
    return date(year, 8, 1), date(year + 1, 7, 31)


def _range(request: HttpRequest) -> tuple[date, date, list[str]]:
    """The dates asked for, or this school year; with what was wrong with the input."""
    start, end = _school_year(timezone.localdate())
    errors: list[str] = []
    asked: list[date | None] = []
    for name in ("start", "end"):
        text = request.GET.get(name, "").strip()
        try:
            asked.append(date.fromisoformat(text) if text else None)
        except ValueError:
            errors.append(
                _("%(text)s is not a date: write it as 2026-09-01.") % {"text": text[:20]}
            )
            asked.append(None)
    start, end = asked[0] or start, asked[1] or end
    if start > end:
        errors.append(_("The first day comes after the last: the school year is shown."))
        start, end = _school_year(timezone.localdate())
    return start, end, errors


@librarian_required
def register(request: HttpRequest) -> HttpResponse:
    start, end, errors = _range(request)
    context = {"register": build_register(start, end), "errors": errors}
    return render(request, "circulation/withdraw_register.html", context)


@librarian_required
def register_xlsx(request: HttpRequest) -> HttpResponse:
    start, end, _errors = _range(request)
    data = build_register(start, end)
    AuditLog.record(
        "withdrawals.exported",
        by=_user(request),
        start=start.isoformat(),
        end=end.isoformat(),
        rows=data.copies,
    )
    name = f"{_('Withdrawals register')}-{start.isoformat()}-{end.isoformat()}.xlsx"
    fallback = f"withdrawals-{start.isoformat()}-{end.isoformat()}.xlsx"
    response = HttpResponse(_workbook(data), content_type=XLSX)
    # RFC 6266: an ASCII name for old browsers, the Chinese one for those that read filename*.
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def _headers() -> list[str]:
    return [
        _("Date withdrawn"),
        _("Reason"),
        _("Accession number"),
        _("Barcode"),
        _("Title"),
        _("Call number"),
        _("Price"),
    ]


def _row(item: Item) -> list[object]:
    price = price_of(item)
    return [
        item.withdrawn_on,
        item.get_withdrawal_reason_display(),
        item.accession_number,
        item.barcode,
        item.record.title,
        item.call_number or item.record.call_number,
        float(price) if price is not None else None,
    ]


XLSX_WIDTHS = (12, 18, 14, 14, 36, 18, 10)


def _workbook(data: Register) -> bytes:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Withdrawals")
    sheet.append([data.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(_headers())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for item in data.items:
        sheet.append(_row(item))
        cells = sheet[sheet.max_row]
        cells[0].number_format = "yyyy-mm-dd"
        for cell in (cells[2], cells[3]):
            # 登录号 and barcodes keep their leading zeros: text cells, never numbers.
            cell.value = str(cell.value)
            cell.number_format = "@"
        cells[6].number_format = "0.00"
    _totals(sheet, data, Font(bold=True))
    for cell, width in zip(sheet[2], XLSX_WIDTHS, strict=True):
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _totals(sheet: Any, data: Register, bold: Any) -> None:
    sheet.append([])
    sheet.append(["", _("Reason"), _("Number of copies"), "", "", "", _("Amount")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    rows = [(t.label, t.copies, t.amount) for t in data.totals]
    rows.append((_("Total"), data.copies, data.amount))
    for label, copies, amount in rows:
        sheet.append(["", label, copies, "", "", "", float(amount)])
        sheet[sheet.max_row][6].number_format = "0.00"
