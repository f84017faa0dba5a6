"""The librarian's circulation settings: loan rules, the school calendar, the policy and the
class rotation (借还书轮流安排表) with its printable week."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item, Location
from shuxiang.circulation import config, rotation, rules, services, settings_services
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import (
    CirculationPolicy,
    ClosedDay,
    CompensationRate,
    LendingSlot,
    LoanRule,
    OpeningHours,
    Term,
)
from shuxiang.circulation.permissions import circulation_manager_required
from shuxiang.circulation.rotation import RotationError
from shuxiang.circulation.settings_forms import (
    ClosedDaysForm,
    MoveClassForm,
    OpeningHoursForm,
    PolicyForm,
    RuleCheckForm,
    RuleForm,
    SlotForm,
    TermForm,
)
from shuxiang.circulation.settings_services import InvalidSetting, Spans
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron, SchoolClass

WEEKDAY_INITIALS = [
    pgettext_lazy("weekday", "Mo"),
    pgettext_lazy("weekday", "Tu"),
    pgettext_lazy("weekday", "We"),
    pgettext_lazy("weekday", "Th"),
    pgettext_lazy("weekday", "Fr"),
    pgettext_lazy("weekday", "Sa"),
    pgettext_lazy("weekday", "Su"),
]
REGULATION_WEEKLY_HOURS = 40  # 《中小学图书馆(室)规程》: open at least 40 hours a week


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@circulation_manager_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("circ_settings:rules")


# ----------------------------------------------------------------------------- loan rules


def _rule_order(rule: LoanRule) -> tuple[int, str, int]:
    categories = list(rules.CATEGORY_LABELS)
    position = (
        categories.index(rule.patron_category)
        if rule.patron_category in categories
        else len(categories)
    )
    return (position, rule.item_type, rule.location.position if rule.location else -1)


def _rules_page(request: HttpRequest, form: RuleForm, status: int = 200) -> HttpResponse:
    matrix = sorted(LoanRule.objects.select_related("location"), key=_rule_order)
    for rule in matrix:
        rule.category_label = rules.CATEGORY_LABELS.get(rule.patron_category, rule.patron_category)  # type: ignore[attr-defined]
    context = {"rules": matrix, "form": form, "check": RuleCheckForm()}
    return render(request, "circulation/settings_rules.html", context, status=status)


@circulation_manager_required
def rule_list(request: HttpRequest) -> HttpResponse:
    return _rules_page(request, RuleForm())


@circulation_manager_required
@require_POST
def rule_new(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            rule = settings_services.save_rule(None, form.rule_data(), by=_user(request))
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(request, _("Rule added: %(rule)s") % {"rule": rules.describe(rule)})
            return redirect("circ_settings:rules")
    return _rules_page(request, form, status=422)


@circulation_manager_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(LoanRule.objects.select_related("location"), pk=pk)
    form = RuleForm(request.POST if request.method == "POST" else None, rule=rule)
    if form.is_valid():
        try:
            rule = settings_services.save_rule(rule, form.rule_data(), by=_user(request))
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(request, _("Rule saved: %(rule)s") % {"rule": rules.describe(rule)})
            return redirect("circ_settings:rules")
    context = {"rule": rule, "description": rules.describe(rule), "form": form}
    status = 422 if form.is_bound else 200
    return render(request, "circulation/settings_rule_form.html", context, status=status)


@circulation_manager_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(LoanRule.objects.select_related("location"), pk=pk)
    text = rules.describe(rule)
    try:
        settings_services.delete_rule(rule, by=_user(request))
    except InvalidSetting as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rule deleted: %(rule)s") % {"rule": text})
    return redirect("circ_settings:rules")


@dataclass
class Candidate:
    rule: LoanRule
    description: str
    reasons: list[str]
    wins: bool


def _why(rule: LoanRule, category: str) -> list[str]:
    """What makes a matching rule specific, in the order that decides (Koha's)."""
    reasons = [
        _("for this location") if rule.location_id else _("for any location"),
        (
            _("for exactly this patron category")
            if rule.patron_category == category
            else _("for any student")
            if rule.patron_category
            else _("for any patron")
        ),
        _("for this item type") if rule.item_type else _("for any item type"),
    ]
    return reasons


def _candidates(category: str, item_type: str, location_id: int) -> list[Candidate]:
    snapshot = config.snapshot().rules
    winner = rules.rule_for(snapshot, category, item_type, location_id)
    matching = [r for r in snapshot if r.matches(category, item_type, location_id)]
    matching.sort(key=lambda r: r.specificity(category), reverse=True)
    return [
        Candidate(r, rules.describe(r), _why(r, category), winner is not None and r.pk == winner.pk)
        for r in matching
    ]


@circulation_manager_required
def rule_check(request: HttpRequest) -> HttpResponse:
    """Which rule applies? Category × item type × location, or a card and a book scanned."""
    form = RuleCheckForm(request.GET or None)
    context: dict[str, Any] = {"check": form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            context.update(_check_input(request, data))
        except (CirculationError, PatronError, InvalidSetting) as exc:
            form.add_error(None, exc.message)
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "circulation/settings_rule_check.html", context, status=status)


def _check_input(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    patron: Patron | None = None
    item: Item | None = None
    location: Location | None
    if data["card"]:
        patron = services.find_patron(data["card"])
        item = services.find_item(data["barcode"])
        category, item_type, location = patron.category, item.item_type, item.location
        # A patron was looked up by card: who looked, not who it was (ids only).
        AuditLog.record("loan_rule.checked", by=_user(request), target=patron, item=item.pk)
    else:
        category, item_type = data["patron_category"], data["item_type"]
        location = data["location"] or Location.objects.order_by("position", "code").first()
    if location is None:
        raise InvalidSetting(_("There are no locations yet."))
    candidates = _candidates(category, item_type, location.pk)
    return {
        "patron": patron,
        "item": item,
        "category_label": rules.CATEGORY_LABELS.get(category, category),
        "item_type_label": Item.ItemType(item_type).label if item_type else "",
        "location": location,
        "candidates": candidates,
        "winner": next((c for c in candidates if c.wins), None),
        "checked": True,
    }


# ----------------------------------------------------------------------------- calendar


@dataclass
class DayCell:
    day: date
    is_open: bool
    in_term: bool
    reason: str
    today: bool


def _term_to_show(today: date, term_id: str | None) -> Term | None:
    terms = list(Term.objects.all())
    if term_id and term_id.isdigit():
        chosen = next((t for t in terms if t.pk == int(term_id)), None)
        if chosen is not None:
            return chosen
    current = next((t for t in terms if t.starts_on <= today <= t.ends_on), None)
    upcoming = next((t for t in terms if t.starts_on > today), None)
    return current or upcoming or (terms[-1] if terms else None)


def _months(term: Term, today: date) -> list[tuple[date, list[list[DayCell | None]]]]:
    """The term month by month, weeks from Monday: open and closed days, with reasons."""
    cal = config.snapshot().calendar
    reasons = dict(
        ClosedDay.objects.filter(date__range=(term.starts_on, term.ends_on)).values_list(
            "date", "reason"
        )
    )
    shown: list[tuple[date, list[list[DayCell | None]]]] = []
    first = term.starts_on.replace(day=1)
    while first <= term.ends_on:
        weeks = []
        for week in months.Calendar().monthdatescalendar(first.year, first.month):
            weeks.append([_cell(d, first.month, term, cal, reasons, today) for d in week])
        shown.append((first, weeks))
        first = (first + timedelta(days=32)).replace(day=1)
    return shown


def _cell(
    day: date,
    month: int,
    term: Term,
    cal: config.Calendar,
    reasons: dict[date, str],
    today: date,
) -> DayCell | None:
    if day.month != month:
        return None
    in_term = term.starts_on <= day <= term.ends_on
    reason = reasons.get(day, "")
    if day in reasons and not reason:
        reason = _("closed")
    return DayCell(day, cal.is_open(day), in_term, reason, day == today)


def _week_hours() -> dict[int, Spans]:
    week: dict[int, Spans] = {d: [] for d in range(7)}
    for row in OpeningHours.objects.all():
        week[row.weekday].append((row.opens, row.closes))
    return week


def _calendar_page(
    request: HttpRequest,
    *,
    term_form: TermForm | None = None,
    closed_form: ClosedDaysForm | None = None,
    hours_form: OpeningHoursForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    shown = _term_to_show(today, request.GET.get("term"))
    weekly = config.snapshot().calendar.weekly_hours()
    context = {
        "terms": Term.objects.all(),
        "shown_term": shown,
        "months": _months(shown, today) if shown else [],
        "closed_runs": settings_services.closed_runs(
            ClosedDay.objects.filter(date__gte=today - timedelta(days=366))
        ),
        "weekly_hours": weekly,
        "regulation_hours": REGULATION_WEEKLY_HOURS,
        "enough_hours": weekly >= REGULATION_WEEKLY_HOURS,
        "term_form": term_form or TermForm(),
        "closed_form": closed_form or ClosedDaysForm(),
        "hours_form": hours_form or OpeningHoursForm(week=_week_hours()),
        "weekday_initials": WEEKDAY_INITIALS,
    }
    return render(request, "circulation/settings_calendar.html", context, status=status)


@circulation_manager_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    return _calendar_page(request)


@circulation_manager_required
@require_POST
def term_new(request: HttpRequest) -> HttpResponse:
    form = TermForm(request.POST)
    if form.is_valid():
        try:
            term = settings_services.save_term(None, **form.cleaned_data, by=_user(request))
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(request, _("Term added: %(term)s") % {"term": term.name})
            return redirect("circ_settings:calendar")
    return _calendar_page(request, term_form=form, status=422)


@circulation_manager_required
def term_edit(request: HttpRequest, pk: int) -> HttpResponse:
    term = get_object_or_404(Term, pk=pk)
    initial = {"name": term.name, "starts_on": term.starts_on, "ends_on": term.ends_on}
    form = TermForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            settings_services.save_term(term, **form.cleaned_data, by=_user(request))
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(request, _("Term saved: %(term)s") % {"term": term.name})
            return redirect("circ_settings:calendar")
    status = 422 if form.is_bound else 200
    context = {"term": term, "form": form}
    return render(request, "circulation/settings_term_form.html", context, status=status)


@circulation_manager_required
@require_POST
def term_delete(request: HttpRequest, pk: int) -> HttpResponse:
    term = get_object_or_404(Term, pk=pk)
    settings_services.delete_term(term, by=_user(request))
    messages.success(request, _("Term deleted: %(term)s") % {"term": term.name})
    return redirect("circ_settings:calendar")


@circulation_manager_required
@require_POST
def closed_new(request: HttpRequest) -> HttpResponse:
    form = ClosedDaysForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            added = settings_services.close_days(
                data["first"], data["last"], data["reason"], by=_user(request)
            )
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(
                request, _("The library is closed on %(n)d more day(s).") % {"n": len(added)}
            )
            return redirect("circ_settings:calendar")
    return _calendar_page(request, closed_form=form, status=422)


@circulation_manager_required
@require_POST
def closed_delete(request: HttpRequest) -> HttpResponse:
    first = parse_date(request.POST.get("first", "") or "")
    last = parse_date(request.POST.get("last", "") or "") or first
    if first is None or last is None or last < first:
        messages.error(request, _("Choose the closed days to open again."))
        return redirect("circ_settings:calendar")
    removed = settings_services.open_days(first, last, by=_user(request))
    messages.success(request, _("%(n)d day(s) are open again.") % {"n": removed})
    return redirect("circ_settings:calendar")


@circulation_manager_required
@require_POST
def hours_save(request: HttpRequest) -> HttpResponse:
    form = OpeningHoursForm(request.POST, week=_week_hours())
    if form.is_valid():
        try:
            settings_services.set_opening_hours(form.week(), by=_user(request))
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            weekly = config.snapshot().calendar.weekly_hours()
            messages.success(
                request,
                _("Opening hours saved: %(hours)s hours a week.") % {"hours": f"{weekly:g}"},
            )
            return redirect("circ_settings:calendar")
    return _calendar_page(request, hours_form=form, status=422)


# ----------------------------------------------------------------------------- policy


def _rates() -> dict[str, tuple[Decimal, Decimal]]:
    return {r.item_type: (r.factor, r.minimum) for r in CompensationRate.objects.all()}


@circulation_manager_required
def policy(request: HttpRequest) -> HttpResponse:
    current = CirculationPolicy.current()
    initial = {
        "slot_mode": current.slot_mode,
        "overdue_block_days": current.overdue_block_days,
        "hold_expiry_days": current.hold_expiry_days,
        "undo_minutes": current.undo_minutes,
    }
    bound = request.POST if request.method == "POST" else None
    form = PolicyForm(bound, initial=initial, rates=_rates())
    if form.is_valid():
        data = form.cleaned_data
        try:
            settings_services.save_policy(
                slot_mode=data["slot_mode"],
                overdue_block_days=data["overdue_block_days"],
                hold_expiry_days=data["hold_expiry_days"],
                undo_minutes=data["undo_minutes"],
                rates=form.rates(),
                by=_user(request),
            )
        except InvalidSetting as exc:
            form.add_setting_error(exc)
        else:
            messages.success(request, _("Circulation policy saved."))
            return redirect("circ_settings:policy")
    status = 422 if form.is_bound else 200
    return render(request, "circulation/settings_policy.html", {"form": form}, status=status)


# ----------------------------------------------------------------------------- rotation


def _rotation_page(
    request: HttpRequest, slot_form: SlotForm | None = None, status: int = 200
) -> HttpResponse:
    slots = list(LendingSlot.objects.prefetch_related("classes"))
    classes = rotation.current_classes()
    slot_of: dict[int, list[LendingSlot]] = {}
    for slot in slots:
        for c in slot.classes.all():
            slot_of.setdefault(c.pk, []).append(slot)
    rows = [
        {
            "school_class": c,
            "slots": slot_of.get(c.pk, []),
            "form": MoveClassForm(
                initial={
                    "school_class": c.pk,
                    "slot": slot_of[c.pk][0].pk if c.pk in slot_of else None,
                },
                auto_id=f"id_move_{c.pk}_%s",
            ),
        }
        for c in classes
    ]
    context = {
        "slots": [(s, rotation.slot_label(s), _current(s)) for s in slots],
        "rows": rows,
        "unassigned": sum(1 for r in rows if not r["slots"]),
        "slot_form": slot_form or SlotForm(),
        "policy": config.snapshot().policy,
    }
    return render(request, "circulation/rotation.html", context, status=status)


def _current(slot: LendingSlot) -> list[SchoolClass]:
    return sorted(
        (c for c in slot.classes.all() if c.is_current), key=lambda c: (c.grade, c.number)
    )


@circulation_manager_required
def rotation_view(request: HttpRequest) -> HttpResponse:
    return _rotation_page(request)


@circulation_manager_required
@require_POST
def slot_new(request: HttpRequest) -> HttpResponse:
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            slot = rotation.save_slot(None, **form.cleaned_data, by=_user(request))
        except RotationError as exc:
            form.add_setting_error(exc)
        else:
            messages.success(
                request, _("Lending slot added: %(slot)s") % {"slot": rotation.slot_label(slot)}
            )
            return redirect("circ_settings:rotation")
    return _rotation_page(request, form, status=422)


@circulation_manager_required
def slot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(LendingSlot, pk=pk)
    initial = {"weekday": slot.weekday, "starts": slot.starts, "ends": slot.ends}
    form = SlotForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            rotation.save_slot(slot, **form.cleaned_data, by=_user(request))
        except RotationError as exc:
            form.add_setting_error(exc)
        else:
            messages.success(
                request, _("Lending slot saved: %(slot)s") % {"slot": rotation.slot_label(slot)}
            )
            return redirect("circ_settings:rotation")
    status = 422 if form.is_bound else 200
    context = {"slot": slot, "form": form, "label": rotation.slot_label(slot)}
    return render(request, "circulation/rotation_slot_form.html", context, status=status)


@circulation_manager_required
@require_POST
def slot_delete(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(LendingSlot, pk=pk)
    label = rotation.slot_label(slot)
    rotation.delete_slot(slot, by=_user(request))
    messages.success(request, _("Lending slot deleted: %(slot)s") % {"slot": label})
    return redirect("circ_settings:rotation")


@circulation_manager_required
def rotation_generate(request: HttpRequest) -> HttpResponse:
    """GET shows the plan; POST (the confirmation) replaces every slot's classes with it."""
    if request.method == "POST":
        try:
            rotation.generate_rotation(by=_user(request))
        except RotationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The rotation was generated: every class has its turn."))
        return redirect("circ_settings:rotation")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    proposed = rotation.proposed_rotation()
    context = {
        "proposed": proposed,
        "classes": sum(len(c) for _s, _label, c in proposed),
        "has_assignments": LendingSlot.classes.through._default_manager.exists(),
    }
    return render(request, "circulation/rotation_generate.html", context)


@circulation_manager_required
@require_POST
def rotation_move(request: HttpRequest) -> HttpResponse:
    form = MoveClassForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a current class and one of the lending slots."))
        return redirect("circ_settings:rotation")
    school_class, slot = form.cleaned_data["school_class"], form.cleaned_data["slot"]
    try:
        if slot is None:
            rotation.unassign_class(school_class, by=_user(request))
        else:
            rotation.assign_class(school_class, slot, by=_user(request))
    except RotationError as exc:
        messages.error(request, exc.message)
    else:
        where = rotation.slot_label(slot) if slot else _("no turn")
        messages.success(
            request,
            _("%(class)s: %(slot)s") % {"class": school_class.label, "slot": where},
        )
    return redirect(f"{reverse('circ_settings:rotation')}#class-{school_class.pk}")


@circulation_manager_required
def rotation_week(request: HttpRequest) -> HttpResponse:
    """The week's rotation to print and pin on the library door."""
    asked = request.GET.get("week", "")
    try:
        day = parse_date(asked) if asked else None
    except ValueError:
        day = None
    if asked and day is None:
        messages.error(request, _("%(date)s is not a date: showing this week.") % {"date": asked})
    week = rotation.week_of(day or timezone.localdate())
    return render(request, "circulation/rotation_week.html", {"week": week})
