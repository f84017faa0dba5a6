"""Overdue pages (超期): the whole school for the librarian, one class for its homeroom teacher,
as a page, an Excel sheet and a printable PDF; and the per-patron notices (催还单)."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import overdue
from shuxiang.circulation.overdue import OverdueLine
from shuxiang.circulation.services import Channel
from shuxiang.lib.pdf import TableDocument, table_pdf
from shuxiang.patrons import permissions
from shuxiang.patrons.models import SchoolClass
from shuxiang.patrons.permissions import librarian_required, login_needed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _class(request: HttpRequest, pk: int) -> SchoolClass:
    """The class if this user may see it: the librarian any, a homeroom teacher their own."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    return permissions.get_class_for_user(request.user, pk)


def _title(school_class: SchoolClass | None, today: date) -> str:
    if school_class is None:
        return _("Overdue books, whole school, %(date)s") % {"date": today.isoformat()}
    return _("%(class)s overdue books notice %(date)s") % {
        "class": school_class.label,
        "date": today.isoformat(),
    }


def _context(lines: list[OverdueLine], today: date) -> dict[str, object]:
    return {
        "lines": lines,
        "blocked": overdue.blocked_patrons(lines),
        "block_days": overdue.block_days(),
        "patrons": len({line.patron.pk for line in lines}),
        "today": today,
    }


@login_needed
def index(request: HttpRequest) -> HttpResponse:
    """The librarian: every class at a glance and the whole list; a homeroom teacher: their
    class (or the choice of their classes)."""
    user = request.user
    if permissions.is_homeroom(user):
        mine = [c for c in permissions.visible_classes(user) if c.is_current]
        if len(mine) == 1:
            return redirect("overdue:class", pk=mine[0].pk)
        return render(request, "circulation/overdue_mine.html", {"classes": mine})
    if not permissions.can_manage_patrons(user):
        raise PermissionDenied
    today = timezone.localdate()
    lines = overdue.overdue_lines(today)
    AuditLog.record("overdue.viewed", by=_user(request), scope="school")
    context = {
        **_context(lines, today),
        "by_class": overdue.overdue_by_class(today),
        "title": _title(None, today),
    }
    return render(request, "circulation/overdue_school.html", context)


@login_needed
def class_overdue(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = _class(request, pk)
    today = timezone.localdate()
    lines = overdue.overdue_lines(today, school_class)
    AuditLog.record("overdue.viewed", by=_user(request), target=school_class)
    context = {
        **_context(lines, today),
        "school_class": school_class,
        "title": _title(school_class, today),
        "without_notice": overdue.patrons_without_notice(today, school_class),
        "is_librarian": permissions.can_manage_patrons(request.user),
    }
    return render(request, "circulation/overdue_class.html", context)


# ----------------------------------------------------------------------------- Excel and PDF


def _headers(with_class: bool) -> list[str]:
    headers = [
        _("Student number"),
        _("Name"),
        _("Title"),
        _("Barcode"),
        _("Due"),
        _("Days overdue"),
    ]
    return [_("Class"), *headers] if with_class else headers


# Column widths (Excel characters; PDF proportions), the class column first.
XLSX_WIDTHS = (14, 14, 10, 36, 14, 12, 10)
PDF_WIDTHS = (2.2, 2.4, 1.8, 5.6, 1.8, 2.0, 1.8)


def _columns(widths: tuple[float, ...], with_class: bool) -> tuple[float, ...]:
    return widths if with_class else widths[1:]


def _row(line: OverdueLine, with_class: bool) -> list[object]:
    row: list[object] = [
        line.patron.number,
        line.patron.name,
        line.loan.item.record.title,
        line.loan.item.barcode,
        line.loan.due_on,
        line.days,
    ]
    return [line.class_label or _("Teachers and staff"), *row] if with_class else row


def _workbook(title: str, lines: list[OverdueLine], with_class: bool) -> bytes:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Overdue")
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(_headers(with_class))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    text_columns = {0, 1, 3} if not with_class else {0, 1, 2, 4}
    date_column = 5 if with_class else 4
    for line in lines:
        sheet.append(_row(line, with_class))
        for index, cell in enumerate(sheet[sheet.max_row]):
            # 学号 and barcodes keep their leading zeros: text cells, never numbers.
            if index in text_columns:
                cell.value = str(cell.value)
                cell.number_format = "@"
            elif index == date_column:
                cell.number_format = "yyyy-mm-dd"
    for cell, width in zip(sheet[2], _columns(XLSX_WIDTHS, with_class), strict=True):
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(title: str, lines: list[OverdueLine], with_class: bool) -> bytes:
    rows = [
        [str(value) if not isinstance(value, date) else value.isoformat() for value in row]
        for row in (_row(line, with_class) for line in lines)
    ]
    document = TableDocument(
        title=title,
        subtitle=_("%(books)d books, %(patrons)d readers. Please return them to the library.")
        % {"books": len(lines), "patrons": len({line.patron.pk for line in lines})},
        headers=_headers(with_class),
        rows=rows,
        widths=_columns(PDF_WIDTHS, with_class),
        right_aligned=frozenset({6 if with_class else 5}),
        page_label=_("Page %(page)d of %(pages)d"),
        empty_text=_("No overdue books."),
    )
    return table_pdf(document)


def _download(content: bytes, content_type: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266: an ASCII name for old browsers, the Chinese one for those that read filename*.
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _export(request: HttpRequest, school_class: SchoolClass | None, kind: str) -> HttpResponse:
    today = timezone.localdate()
    lines = overdue.overdue_lines(today, school_class)
    title = _title(school_class, today)
    with_class = school_class is None
    AuditLog.record(
        "overdue.exported", by=_user(request), target=school_class, format=kind, rows=len(lines)
    )
    who = school_class.label if school_class else _("whole school")
    name = f"{_('Overdue books')}-{who}-{today.isoformat()}.{kind}"
    scope = f"class-{school_class.pk}" if school_class else "school"
    fallback = f"overdue-{scope}-{today.isoformat()}.{kind}"
    if kind == "xlsx":
        return _download(_workbook(title, lines, with_class), XLSX, name, fallback)
    return _download(_pdf(title, lines, with_class), "application/pdf", name, fallback)


@login_needed
def class_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, _class(request, pk), "xlsx")


@login_needed
def class_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, _class(request, pk), "pdf")


@librarian_required
def school_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, None, "xlsx")


@librarian_required
def school_pdf(request: HttpRequest) -> HttpResponse:
    return _export(request, None, "pdf")


# ----------------------------------------------------------------------------- notices


def _notices_class(request: HttpRequest, pk: int | None) -> SchoolClass | None:
    if pk is not None:
        return _class(request, pk)
    if not permissions.can_manage_patrons(request.user):
        raise PermissionDenied
    return None


@login_needed
def notices(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Today's notices (催还单), one slip per reader, several to an A4 page."""
    school_class = _notices_class(request, pk)
    today = timezone.localdate()
    slips = overdue.notices_for(today, school_class)
    AuditLog.record("overdue.notices_viewed", by=_user(request), target=school_class)
    context = {
        "school_class": school_class,
        "slips": slips,
        "today": today,
        "without_notice": overdue.patrons_without_notice(today, school_class),
        "printed": sum(1 for slip in slips if slip.notice.printed_at),
    }
    return render(request, "circulation/notice_slips.html", context)


def _back_to_notices(school_class: SchoolClass | None) -> HttpResponse:
    if school_class is None:
        return redirect("overdue:notices_school")
    return redirect("overdue:notices", pk=school_class.pk)


@require_POST
@login_needed
def make_notices(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Make today's notices now, for readers the daily run has not reached (or before it)."""
    school_class = _notices_class(request, pk)
    run = overdue.make_overdue_notices(
        timezone.localdate(), Channel(by=_user(request), via="web"), school_class
    )
    messages.success(request, _("%(n)d new notice(s) made.") % {"n": run.made})
    return _back_to_notices(school_class)


@require_POST
@login_needed
def mark_printed(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    school_class = _notices_class(request, pk)
    slips = overdue.notices_for(timezone.localdate(), school_class)
    count = overdue.mark_printed(slips, _user(request))
    messages.success(request, _("%(n)d notice(s) marked as printed.") % {"n": count})
    return _back_to_notices(school_class)
