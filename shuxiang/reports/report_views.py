"""The report pages: the dashboard, the term report with its downloads, and a class's figures.

Every page counts with `figures.term_figures`, the same function the command line and the
Word summary use, so the page, the spreadsheet and the 工作总结 never disagree. The term
report names children (reading stars) and the class page lists a class's pupils, so every
view and every download is written to the audit log (ids and dates only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.forms import StyledForm
from shuxiang.circulation import overdue
from shuxiang.circulation.models import Loan
from shuxiang.patrons import permissions
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.permissions import AnyUser, active_user, login_needed
from shuxiang.reports import figures, goals, output, periods, series
from shuxiang.reports.figures import ClassFigures, TermFigures
from shuxiang.reports.views import can_read_reports, reports_reader_required

# The longest range a page will count: five school years is more than any plan looks back.
LONGEST_DAYS = 5 * 366

KINDS = [
    (periods.TERM, _("Term")),
    (periods.YEAR, _("School year")),
    (periods.MONTH, _("Month")),
    (periods.WEEK, _("Week")),
    (periods.RANGE, _("Date range")),
]

# The report's tables, by the name in their download address.
TABLES = {
    "headline": "主要指标",
    "changes": "与上期比较",
    "classes": "班级借阅",
    "top_classes": "最爱读书班级",
    "stars": "阅读之星",
    "titles": "热门图书",
    "main_classes": "按中图法大类借阅",
}
DOWNLOADS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


class PeriodForm(StyledForm):
    """Which period to count: a term, school year, month or week around a day, or two dates."""

    kind = forms.ChoiceField(label=_("Period"), choices=KINDS, required=False)
    day = forms.DateField(
        label=_("Containing the day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("kind") or periods.TERM) != periods.RANGE:
            return data
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError(gettext("Give both the first and the last day."))
        if end < start:
            raise forms.ValidationError(gettext("The last day is before the first day."))
        if (end - start).days >= LONGEST_DAYS:
            raise forms.ValidationError(gettext("Choose a range of at most five years."))
        return data

    def period(self, today: date) -> periods.Period:
        data = self.cleaned_data
        kind = data.get("kind") or periods.TERM
        day = data.get("day") or today
        if kind == periods.RANGE:
            return periods.between(data["start"], data["end"])
        choose = {
            periods.TERM: periods.term_of,
            periods.YEAR: periods.school_year_of,
            periods.MONTH: periods.month_of,
            periods.WEEK: periods.week_of,
        }
        return choose[kind](day)


def _user(request: HttpRequest) -> User | None:
    return active_user(request.user)


def _period_form(request: HttpRequest) -> PeriodForm:
    return PeriodForm(request.GET or None)


def _chosen(form: PeriodForm, today: date) -> periods.Period | None:
    """The period the form asks for; this term when nothing was asked; None when invalid."""
    if not form.is_bound:
        return periods.term_of(today)
    if not form.is_valid():
        return None
    return form.period(today)


def _query(period: periods.Period, compare: bool) -> str:
    """The address parameters that choose this period again (for the download links)."""
    params = {"kind": periods.RANGE, "start": period.start, "end": period.end}
    if period.kind != periods.RANGE:
        params = {"kind": period.kind, "day": period.start}
    if compare:
        params["compare"] = "on"
    return urlencode(params)


# ----------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Chart:
    """What charts.js draws: the kind of chart, its categories and its series."""

    key: str
    title: str
    kind: str  # line, bar, hbar (horizontal bars), pie
    categories: list[str]
    series: list[dict[str, Any]]
    percent: bool = False

    def spec(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "categories": self.categories,
            "series": self.series,
            "percent": self.percent,
            "empty": gettext("No data for this period"),
        }


def week_chart(weeks: list[series.Week]) -> Chart:
    return Chart(
        "weeks",
        gettext("Loans per week"),
        "line",
        [w.label for w in weeks],
        [
            {"name": gettext("Number of loans"), "data": [w.loans for w in weeks]},
            {"name": gettext("Reading-room uses"), "data": [w.reading_room_uses for w in weeks]},
        ],
    )


def class_chart(classes: list[ClassFigures]) -> Chart:
    rows = [c for c in classes if c.students]
    return Chart(
        "classes",
        gettext("Loans per student, by class"),
        "hbar" if len(rows) > 12 else "bar",
        [c.label for c in rows],
        [
            {
                "name": gettext("Loans per student"),
                "data": [round(c.loans_per_student, 2) for c in rows],
            }
        ],
    )


def main_class_chart(rows: list[figures.MainClassLoans]) -> Chart:
    return Chart(
        "main_classes",
        gettext("Loans by main class of the 中图法"),
        "hbar" if len(rows) > 8 else "bar",
        [f"{r.code} {r.name}".strip() for r in rows],
        [{"name": gettext("Number of loans"), "data": [r.loans for r in rows]}],
    )


def collection_chart(shelves: list[series.Shelf]) -> Chart:
    return Chart(
        "collection",
        gettext("The collection by main class"),
        "pie",
        [f"{s.code} {s.name}".strip() for s in shelves],
        [{"name": gettext("Copies held"), "data": [s.items for s in shelves]}],
    )


def _charts(result: TermFigures) -> list[Chart]:
    return [
        week_chart(series.loans_per_week(result.period)),
        class_chart(result.classes),
        main_class_chart(result.loans_by_main_class),
        collection_chart(series.collection_by_main_class()),
    ]


# ----------------------------------------------------------------------------- headline

# The figures the dashboard shows as cards, and how each is written.
CARDS = [
    ("students", _("Students")),
    ("student_loans", _("Student loans")),
    ("loans_per_student", _("Loans per student")),
    ("coverage", _("Borrowing coverage")),
    ("card_issue_rate", _("Card issue rate")),
    ("circulation_rate", _("Circulation rate")),
    ("reading_room_uses", _("Reading-room uses")),
    ("new_items", _("New volumes")),
]


def _cards(result: TermFigures) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "value": output.show(key, getattr(result, key))}
        for key, label in CARDS
    ]


def _headline(result: TermFigures) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": output.NAMES[key], "value": output.show(key, getattr(result, key))}
        for key in output.HEADLINE_KEYS
    ]


def _changes(changes: list[figures.Change] | None) -> list[dict[str, Any]]:
    return [
        {
            "label": output.NAMES[c.figure],
            "current": output.show(c.figure, c.current),
            "previous": output.show(c.figure, c.previous),
            "change": output.difference(c.figure, c.change),
            "up": c.change > 0,
            "down": c.change < 0,
        }
        for c in changes or []
    ]


# ----------------------------------------------------------------------------- pages


@reports_reader_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """This term so far: the headline figures, the four charts, and the plan's goals."""
    today = timezone.localdate()
    term = periods.term_of(today)
    so_far = periods.Period(term.start, min(term.end, today), term.label, periods.TERM)
    if so_far.end < so_far.start:  # the calendar's next term has not begun
        so_far = term
    result = figures.term_figures(so_far, top=5)
    context: dict[str, Any] = {
        "period": so_far,
        "result": result,
        "cards": _cards(result),
        "charts": [c.spec() for c in _charts(result)],
        "query": _query(term, compare=False),
    }
    user = active_user(request.user)
    names = bool(user and user.is_librarian)  # teachers behind a goal: named to staff only
    context.update(goals.dashboard_context(today, names=names, counted=result))
    return render(request, "reports/dashboard.html", context)


@reports_reader_required
def term_report(request: HttpRequest) -> HttpResponse:
    form = _period_form(request)
    counted = _counted(form)
    if counted is None:
        return _bad_period(request, form)
    result, changes = counted
    period = result.period
    AuditLog.record(
        "term_report.viewed",
        by=_user(request),
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )
    context = {
        "form": form,
        "period": period,
        "result": result,
        "summary": output.summary_sentences(result),
        "headline": _headline(result),
        "changes": _changes(changes),
        "charts": [c.spec() for c in _charts(result)],
        "query": _query(period, changes is not None),
        "can_open_classes": active_user(request.user) is not None
        and permissions.visible_classes(request.user).exists(),
        "tables": TABLES,
    }
    return render(request, "reports/term.html", context)


def _download(content: bytes | str, fmt: str, name: str) -> HttpResponse:
    content_type, extension = DOWNLOADS[fmt]
    response = HttpResponse(content, content_type=content_type)
    filename = f"{name}.{extension}"
    # RFC 6266: an ASCII name for old browsers, the Chinese one for those that read filename*.
    response["Content-Disposition"] = (
        f"attachment; filename=\"term-report.{extension}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _counted(form: PeriodForm) -> tuple[TermFigures, list[figures.Change] | None] | None:
    """The period's figures, and the change from the period before when asked; None when the
    form asks for no valid period."""
    period = _chosen(form, timezone.localdate())
    if period is None:
        return None
    result = figures.term_figures(period)
    changes = None
    if form.is_bound and form.cleaned_data.get("compare"):
        changes = figures.compare(result, figures.term_figures(period.previous()))
    return result, changes


def _bad_period(request: HttpRequest, form: PeriodForm) -> HttpResponse:
    return render(request, "reports/term.html", {"form": form}, status=400)


@reports_reader_required
def term_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole report as Excel (one sheet per table), Word (the 工作总结) or Markdown."""
    if fmt not in DOWNLOADS:
        raise Http404
    form = _period_form(request)
    counted = _counted(form)
    if counted is None:
        return _bad_period(request, form)
    result, changes = counted
    content: bytes | str
    if fmt == "xlsx":
        content = output.to_xlsx(result, changes)
    elif fmt == "docx":
        content = output.to_docx(result, changes)
    else:
        content = output.to_markdown(result, changes)
    AuditLog.record(
        "term_report.exported",
        by=_user(request),
        start=result.period.start.isoformat(),
        end=result.period.end.isoformat(),
        format=fmt,
    )
    return _download(content, fmt, f"{result.period.label}图书馆统计")


@reports_reader_required
def table_download(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the report as an Excel workbook of one sheet."""
    if table not in TABLES:
        raise Http404
    form = _period_form(request)
    counted = _counted(form)
    if counted is None:
        return _bad_period(request, form)
    result, changes = counted
    if table == "changes" and changes is None:
        changes = figures.compare(result, figures.term_figures(result.period.previous()))
    content = output.table_to_xlsx(result, TABLES[table], changes)
    AuditLog.record(
        "term_report.exported",
        by=_user(request),
        start=result.period.start.isoformat(),
        end=result.period.end.isoformat(),
        format="xlsx",
        table=table,
    )
    return _download(content, "xlsx", f"{result.period.label}{TABLES[table]}")


# ----------------------------------------------------------------------------- one class


def can_see_a_class(user: AnyUser) -> bool:
    """The librarian (every class) and a homeroom teacher (their own)."""
    u = active_user(user)
    return u is not None and (u.is_librarian or permissions.is_homeroom(u))


@login_needed
def my_class_report(request: HttpRequest) -> HttpResponse:
    """A homeroom teacher's way in: straight to their class when they have one."""
    if not can_see_a_class(request.user):
        raise PermissionDenied
    mine = [c for c in permissions.visible_classes(request.user) if c.is_current]
    if len(mine) == 1:
        return redirect("reports:class", pk=mine[0].pk)
    mine.sort(key=lambda c: (c.grade, c.number, c.pk))
    return render(request, "reports/class_choose.html", {"classes": mine})


@dataclass(frozen=True)
class Standing:
    """Where a class stands: its place among all classes and within its grade."""

    place: int
    of: int
    grade_place: int
    grade_of: int


def standing(classes: list[ClassFigures], class_id: int) -> Standing | None:
    """The class's place in the 最爱读书班级 order (loans per student, then coverage)."""
    ranked = figures.ranking(classes)
    mine = next((c for c in ranked if c.class_id == class_id), None)
    if mine is None:
        return None
    same_grade = [c for c in ranked if c.grade == mine.grade]
    return Standing(
        ranked.index(mine) + 1, len(ranked), same_grade.index(mine) + 1, len(same_grade)
    )


@dataclass(frozen=True)
class Reader:
    patron_id: int
    name: str
    student_number: str
    loans: int


def class_readers(school_class: SchoolClass, period: periods.Period) -> list[Reader]:
    """The class's pupils now, and any pupil who borrowed on the class in the period, with
    their regular loans in the period (most first; those yet to borrow at the end)."""
    counted = dict(
        Loan.objects.between(period.start, period.end)
        .filter(school_class=school_class, kind=Loan.Kind.REGULAR, patron_type=figures.STUDENT)
        .values("patron")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("patron", "n")
    )
    pupils = Patron.objects.filter(type=Patron.Type.STUDENT).filter(
        pk__in=list(counted)
    ) | Patron.objects.filter(
        type=Patron.Type.STUDENT, school_class=school_class, status__in=figures.ON_ROLL
    )
    readers = [
        Reader(p.pk, p.name, p.student_number, counted.get(p.pk, 0))
        for p in pupils.order_by("student_number", "name", "pk")
    ]
    return sorted(readers, key=lambda r: -r.loans)


@login_needed
def class_report(request: HttpRequest, pk: int) -> HttpResponse:
    """班级阅读统计: the class's figures for the period, its place, its pupils and overdue."""
    if not can_see_a_class(request.user):
        raise PermissionDenied
    school_class = permissions.get_class_for_user(request.user, pk)
    today = timezone.localdate()
    form = _period_form(request)
    period = _chosen(form, today)
    if period is None:
        context = {"form": form, "school_class": school_class}
        return render(request, "reports/class.html", context, status=400)
    result = figures.term_figures(period, top=1)
    mine = next((c for c in result.classes if c.class_id == school_class.pk), None)
    readers = class_readers(school_class, period)
    AuditLog.record(
        "class_report.viewed",
        by=_user(request),
        target=school_class,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )
    weeks = series.loans_per_week(period, school_class=school_class.pk)
    context = {
        "form": form,
        "period": period,
        "school_class": school_class,
        "figures": mine,
        "result": result,
        "standing": standing(result.classes, school_class.pk),
        "readers": readers,
        "not_yet": [r for r in readers if not r.loans],
        "overdue": overdue.overdue_lines(today, school_class),
        "charts": [week_chart(weeks).spec()],
        "can_read_reports": can_read_reports(request.user),
    }
    return render(request, "reports/class.html", context)
