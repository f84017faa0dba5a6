"""A patron's right to see and to remove their data: export (JSON, Excel) and erasure.

Erasure keeps the library's figures true: loans and fines stay, with the category and class
they were made under, but no longer point at anyone. Both steps are audited without personal
data: the audit row holds the patron's id and counts, never a name, number or phone.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from shuxiang.accounts.models import ApiToken, AuditLog, User
from shuxiang.patrons.errors import ErasureRefused
from shuxiang.patrons.models import Patron

# ---------------------------------------------------------------------------------- export


def _value(value: Any) -> Any:
    """JSON-friendly: dates as ISO text, money as text (no float rounding)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _personal(patron: Patron) -> dict[str, Any]:
    return {
        "id": patron.pk,
        "card_number": patron.card_number,
        "name": patron.name,
        "type": patron.type,
        "category": patron.category,
        "gender": patron.gender,
        "student_number": patron.student_number,
        "staff_number": patron.staff_number,
        "class": patron.school_class.label if patron.school_class else "",
        "enrolment_year": patron.enrolment_year,
        "status": patron.status,
        "guardian_phone": patron.guardian_phone,
        "notes": patron.notes,
        "card_issued_on": patron.card_issued_on,
        "login": patron.user.username if patron.user else "",
        "created_at": patron.created_at,
        "updated_at": patron.updated_at,
    }


def _loans(patron: Patron) -> list[dict[str, Any]]:
    loans = patron.loans.select_related("item__record").order_by("checked_out_at", "pk")
    return [
        {
            "barcode": loan.item.barcode,
            "title": loan.item.record.title,
            "call_number": loan.item.call_number,
            "kind": loan.kind,
            "checked_out_on": loan.checked_out_on,
            "due_on": loan.due_on,
            "returned_at": loan.returned_at,
            "renewals": loan.renewals,
        }
        for loan in loans
    ]


def _fines(patron: Patron) -> list[dict[str, Any]]:
    fines = patron.fines.select_related("item__record").order_by("created_at", "pk")
    return [
        {
            "reason": fine.reason,
            "amount": fine.amount,
            "paid": fine.paid,
            "status": fine.status,
            "barcode": fine.item.barcode if fine.item else "",
            "title": fine.item.record.title if fine.item else "",
            "created_at": fine.created_at,
            "settled_at": fine.settled_at,
            "notes": fine.notes,
        }
        for fine in fines
    ]


def _events(patron: Patron) -> list[dict[str, Any]]:
    """What was done to this patron's record and card, and who looked at it."""
    rows = AuditLog.objects.filter(target_type="patron", target_id=str(patron.pk))
    return [
        {
            "at": row.at,
            "action": row.action,
            "by": row.by.username if row.by else "",
            "via": row.via,
            "detail": row.detail,
        }
        for row in rows.select_related("by").order_by("at", "pk")
    ]


def export_data(patron: Patron) -> dict[str, Any]:
    """Everything the library holds about one patron, as plain JSON-ready values."""
    data = {
        "exported_at": timezone.now(),
        "patron": _personal(patron),
        "retired_cards": [
            {"number": card.number, "reason": card.reason, "retired_at": card.retired_at}
            for card in patron.retired_cards.order_by("retired_at", "pk")
        ],
        "loans": _loans(patron),
        "fines": _fines(patron),
        "events": _events(patron),
    }
    result: dict[str, Any] = _jsonable(data)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return _value(value)


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def _sheet_columns() -> dict[str, list[tuple[str, str]]]:
    """Sheet → (key, heading) for the Excel export; headings in the reader's language."""
    return {
        "loans": [
            ("barcode", _("Barcode")),
            ("title", _("Title")),
            ("call_number", _("Call number")),
            ("kind", _("Kind")),
            ("checked_out_on", _("Borrowed on")),
            ("due_on", _("Due")),
            ("returned_at", _("Returned at")),
            ("renewals", _("Renewals")),
        ],
        "fines": [
            ("reason", _("Reason")),
            ("amount", _("Amount")),
            ("paid", _("Paid")),
            ("status", _("Status")),
            ("barcode", _("Barcode")),
            ("title", _("Title")),
            ("created_at", _("Created at")),
            ("settled_at", _("Settled at")),
            ("notes", _("Notes")),
        ],
        "retired_cards": [
            ("number", _("Card number")),
            ("reason", _("Reason")),
            ("retired_at", _("Retired at")),
        ],
        "events": [
            ("at", _("Time")),
            ("action", _("Action")),
            ("by", _("By")),
            ("via", _("Via")),
            ("detail", _("Detail")),
        ],
    }


def _sheet_titles() -> dict[str, str]:
    return {
        "loans": _("Loans"),
        "fines": _("Compensation"),
        "retired_cards": _("Retired cards"),
        "events": _("Record of events"),
    }


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return "" if value is None else value


def export_xlsx(data: dict[str, Any]) -> bytes:
    """The same export as a workbook: the patron on the first sheet, one sheet per list.

    Values are written as text, so a 学号 such as 001234 keeps its zeros in Excel.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Patron")
    sheet.append([_("Field"), _("Value")])
    for key, value in data["patron"].items():
        sheet.append([key, _cell(value)])
    sheet.append(["exported_at", data["exported_at"]])
    _widen(sheet, [18, 40])
    titles = _sheet_titles()
    for name, columns in _sheet_columns().items():
        ws = book.create_sheet(titles[name])
        ws.append([heading for _key, heading in columns])
        for row in data[name]:
            ws.append([_cell(row.get(key)) for key, _heading in columns])
        _widen(ws, [max(12, len(heading) * 2 + 4) for _key, heading in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _widen(sheet: Any, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


# ---------------------------------------------------------------------------------- erase


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a patron would do, for the confirmation page and the audit row."""

    loans: int
    fines: int
    retired_cards: int
    has_login: bool
    books_out: int
    money_due: Decimal

    @property
    def allowed(self) -> bool:
        return not self.books_out and not self.money_due


def erasure_plan(patron: Patron) -> ErasurePlan:
    open_fines = patron.fines.outstanding()
    return ErasurePlan(
        loans=patron.loans.count(),
        fines=patron.fines.count(),
        retired_cards=patron.retired_cards.count(),
        has_login=patron.user_id is not None,
        books_out=patron.loans.filter(returned_at__isnull=True).count(),
        money_due=sum((fine.balance for fine in open_fines), start=Decimal("0")),
    )


def refusal(plan: ErasurePlan) -> str:
    if plan.books_out and plan.money_due:
        return _(
            "Cannot erase yet: books still out (%(books)s) and compensation still due "
            "(¥%(money)s). Settle both first."
        ) % {"books": plan.books_out, "money": plan.money_due}
    if plan.books_out:
        return _(
            "Cannot erase yet: books still out (%(books)s). Have them returned or recorded as "
            "lost first."
        ) % {"books": plan.books_out}
    return _("Cannot erase yet: compensation still due (¥%(money)s). Settle or waive it first.") % {
        "money": plan.money_due
    }


def _anonymise_login(user: User) -> None:
    """The login is kept as an empty shell (so that the staff actions it made stay attributed
    to "an erased account") but can never log in again and holds no name."""
    user.username = f"erased-{user.pk}"
    user.first_name = user.last_name = user.email = user.display_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    ApiToken.objects.filter(user=user).delete()


@transaction.atomic
def erase_patron(patron: Patron, *, by: User | None, via: str = "web") -> ErasurePlan:
    """Erase a patron on request. Loans and fines stay for the statistics, anonymised.

    Refused while books are out or money is due: those are the library's property and the
    record of them is what lets the library get them back.
    """
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if by is not None and patron.user_id == by.pk:
        raise ErasureRefused(_("You cannot erase your own record while logged in with it."))
    plan = erasure_plan(patron)
    if not plan.allowed:
        raise ErasureRefused(refusal(plan))
    # Snapshots first: a loan that somehow lacks them would otherwise lose its category.
    patron.loans.filter(patron_type="").update(patron_type=patron.type)
    patron.loans.filter(patron_category="").update(patron_category=patron.category)
    patron.loans.update(patron=None)
    patron.fines.update(patron=None)
    patron.retired_cards.all().delete()
    if patron.user is not None:
        _anonymise_login(patron.user)
    AuditLog.record(
        "patron.erased",
        by=by,
        target=patron,
        via=via,
        loans_anonymised=plan.loans,
        fines_anonymised=plan.fines,
        retired_cards_deleted=plan.retired_cards,
        login_anonymised=plan.has_login,
    )
    patron.delete()
    return plan
