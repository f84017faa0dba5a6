"""The librarian's circulation settings: loan rules, the school calendar (terms, closed days,
opening hours), the circulation policy and the compensation rates.

Each change is one transaction with an audit record. The desk reads these through
config.snapshot(), which the model signals drop on every save (apps.py), so a change applies
from the next scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item, Location
from shuxiang.circulation.models import (
    CirculationPolicy,
    ClosedDay,
    CompensationRate,
    LoanRule,
    OpeningHours,
    Term,
)

MAX_CLOSED_RANGE = 120  # days: longer than any holiday, short enough to catch a typo'd year
RULE_FIELDS = [
    "patron_category",
    "item_type",
    "location",
    "max_loans",
    "loan_days",
    "renewals",
    "holds_allowed",
    "room_only",
    "note",
]


class InvalidSetting(Exception):
    """Bad input for a setting; message in the librarian's words, field to show it at."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field


def _changed(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


def _values(obj: object, names: Iterable[str]) -> dict[str, object]:
    return {n: getattr(obj, f"{n}_id" if n == "location" else n) for n in names}


# ----------------------------------------------------------------------------- loan rules


@dataclass
class RuleData:
    patron_category: str
    item_type: str
    location: Location | None
    max_loans: int
    loan_days: int
    renewals: int
    holds_allowed: bool
    room_only: bool
    note: str = ""


def _check_rule(data: RuleData, exclude: int | None) -> None:
    if data.max_loans > 0 and not data.room_only and data.loan_days < 1:
        raise InvalidSetting(_("A loan lasts at least one day."), "loan_days")
    same = LoanRule.objects.filter(
        patron_category=data.patron_category, item_type=data.item_type, location=data.location
    )
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise InvalidSetting(
            _(
                "There is already a rule for this patron category, item type and location: "
                "edit that one instead."
            )
        )


@transaction.atomic
def save_rule(rule: LoanRule | None, data: RuleData, *, by: User | None) -> LoanRule:
    """Add a rule (rule=None) or change one; one rule per cell of the matrix."""
    _check_rule(data, rule.pk if rule else None)
    created = rule is None
    rule = rule or LoanRule()
    before = _values(rule, RULE_FIELDS) if not created else {}
    for name in RULE_FIELDS:
        setattr(rule, name, getattr(data, name))
    if rule.room_only:
        rule.loan_days = 0  # in-room use is due back the same day, whatever was typed
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        # Two librarians adding the same cell at once: the unique index decides.
        raise InvalidSetting(
            _("There is already a rule for this patron category, item type and location.")
        ) from None
    after = _values(rule, RULE_FIELDS)
    AuditLog.record(
        "loan_rule.added" if created else "loan_rule.changed",
        by=by,
        target=rule,
        fields=sorted(after) if created else _changed(before, after),
    )
    return rule


@transaction.atomic
def delete_rule(rule: LoanRule, *, by: User | None) -> None:
    if not rule.patron_category and not rule.item_type and rule.location_id is None:
        # Without the catch-all rule a patron category nobody thought of could not borrow.
        raise InvalidSetting(_("The rule for any patron, any item and any location must stay."))
    AuditLog.record(
        "loan_rule.deleted",
        by=by,
        target=rule,
        patron_category=rule.patron_category,
        item_type=rule.item_type,
        location=rule.location_id,
    )
    rule.delete()


# ----------------------------------------------------------------------------- policy


@transaction.atomic
def save_policy(
    *,
    slot_mode: str,
    overdue_block_days: int | None,
    hold_expiry_days: int,
    undo_minutes: int,
    rates: dict[str, tuple[Decimal, Decimal]],
    by: User | None,
) -> CirculationPolicy:
    """The circulation policy (one row) and the compensation rate of each item type."""
    if slot_mode not in CirculationPolicy.SlotMode.values:
        raise InvalidSetting(_("Choose what the desk does outside a class's slot."), "slot_mode")
    for item_type, (factor, minimum) in rates.items():
        if item_type not in Item.ItemType.values:
            raise InvalidSetting(_("Unknown item type."))
        if factor < 0 or minimum < 0:
            raise InvalidSetting(_("Rates cannot be negative."), f"factor_{item_type}")
    policy = CirculationPolicy.objects.select_for_update().get(pk=CirculationPolicy.current().pk)
    names = ["slot_mode", "overdue_block_days", "hold_expiry_days", "undo_minutes"]
    before = _values(policy, names)
    policy.slot_mode = slot_mode
    policy.overdue_block_days = overdue_block_days
    policy.hold_expiry_days = hold_expiry_days
    policy.undo_minutes = undo_minutes
    policy.save()
    changed = _changed(before, _values(policy, names))
    for item_type, (factor, minimum) in rates.items():
        rate, _created = CompensationRate.objects.get_or_create(item_type=item_type)
        if (rate.factor, rate.minimum) != (factor, minimum) or _created:
            rate.factor, rate.minimum = factor, minimum
            rate.save()
            changed.append(f"rate.{item_type}")
    AuditLog.record("circulation_policy.changed", by=by, target=policy, fields=changed)
    return policy


# ----------------------------------------------------------------------------- terms


def _check_term(name: str, starts_on: date, ends_on: date, exclude: int | None) -> None:
    if not name.strip():
        raise InvalidSetting(_("Give the term a name, such as 2026—2027学年第一学期."), "name")
    if ends_on < starts_on:
        raise InvalidSetting(_("The term must end on or after its first day."), "ends_on")
    if (ends_on - starts_on).days > 366:
        raise InvalidSetting(_("A term lasts less than a year: check the dates."), "ends_on")
    clash = Term.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    other = clash.first()
    if other is not None:
        raise InvalidSetting(
            _("These dates overlap %(term)s (%(start)s – %(end)s).")
            % {"term": other.name, "start": other.starts_on, "end": other.ends_on},
            "starts_on",
        )


@transaction.atomic
def save_term(
    term: Term | None, name: str, starts_on: date, ends_on: date, *, by: User | None
) -> Term:
    _check_term(name, starts_on, ends_on, term.pk if term else None)
    created = term is None
    term = term or Term()
    before = _values(term, ["name", "starts_on", "ends_on"])
    term.name, term.starts_on, term.ends_on = name.strip(), starts_on, ends_on
    term.save()
    after = _values(term, ["name", "starts_on", "ends_on"])
    AuditLog.record(
        "term.added" if created else "term.changed",
        by=by,
        target=term,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        fields=sorted(after) if created else _changed(before, after),
    )
    return term


@transaction.atomic
def delete_term(term: Term, *, by: User | None) -> None:
    AuditLog.record(
        "term.deleted",
        by=by,
        target=term,
        starts_on=term.starts_on.isoformat(),
        ends_on=term.ends_on.isoformat(),
    )
    term.delete()


# ----------------------------------------------------------------------------- closed days


@transaction.atomic
def close_days(first: date, last: date | None, reason: str, *, by: User | None) -> list[date]:
    """Close the library from first to last (both included), e.g. 国庆节 10-01 … 10-07.

    Days already closed keep their reason; the days added are returned."""
    last = last or first
    if last < first:
        raise InvalidSetting(_("The last day comes before the first."), "last")
    if (last - first).days >= MAX_CLOSED_RANGE:
        raise InvalidSetting(
            _("Close at most %(n)d days at a time.") % {"n": MAX_CLOSED_RANGE}, "last"
        )
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    taken = set(ClosedDay.objects.filter(date__range=(first, last)).values_list("date", flat=True))
    new = [d for d in days if d not in taken]
    if not new:
        raise InvalidSetting(_("The library is already closed on these days."), "first")
    for day in new:
        # One by one, not bulk_create: each save tells the desk's cache to reload.
        ClosedDay.objects.create(date=day, reason=reason.strip())
    AuditLog.record(
        "closed_days.added",
        by=by,
        first=first.isoformat(),
        last=last.isoformat(),
        days=len(new),
        reason=reason.strip(),
    )
    return new


@transaction.atomic
def open_days(first: date, last: date, *, by: User | None) -> int:
    """Take days off the closed list (the library opens on them after all)."""
    removed, _detail = ClosedDay.objects.filter(date__range=(first, last)).delete()
    if removed:
        AuditLog.record(
            "closed_days.removed",
            by=by,
            first=first.isoformat(),
            last=last.isoformat(),
            days=removed,
        )
    return removed


@dataclass
class ClosedRun:
    """Consecutive closed days with one reason, shown as one line: 10-01 – 10-07 国庆节."""

    first: date
    last: date
    reason: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def closed_runs(days: Iterable[ClosedDay]) -> list[ClosedRun]:
    runs: list[ClosedRun] = []
    for day in sorted(days, key=lambda d: d.date):
        run = runs[-1] if runs else None
        if run and run.reason == day.reason and day.date == run.last + timedelta(days=1):
            run.last = day.date
        else:
            runs.append(ClosedRun(day.date, day.date, day.reason))
    return runs


# ----------------------------------------------------------------------------- opening hours

Spans = list[tuple[time, time]]


def check_spans(spans: Spans) -> Spans:
    """Spans of one day in order, each ending after it starts, none overlapping the next."""
    spans = sorted(spans)
    for opens, closes in spans:
        if closes <= opens:
            raise InvalidSetting(
                _("%(opens)s–%(closes)s: closing time must come after opening time.")
                % {"opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}
            )
    for (_o1, c1), (o2, _c2) in zip(spans, spans[1:], strict=False):
        if o2 < c1:
            raise InvalidSetting(_("Opening hours of one day must not overlap."))
    return spans


@transaction.atomic
def set_opening_hours(week: dict[int, Spans], *, by: User | None) -> None:
    """Replace the opening hours of the whole week; a weekday without spans is closed."""
    checked = {day: check_spans(spans) for day, spans in week.items()}
    before = {
        (h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in OpeningHours.objects.all()
    }
    OpeningHours.objects.all().delete()
    for weekday, spans in checked.items():
        if not 0 <= weekday <= 6:
            raise InvalidSetting(_("Choose a day of the week."))
        for opens, closes in spans:
            OpeningHours.objects.create(weekday=weekday, opens=opens, closes=closes)
    after = {(d, f"{o:%H:%M}", f"{c:%H:%M}") for d, spans in checked.items() for o, c in spans}
    changed = sorted({d for d, _o, _c in before ^ after})
    AuditLog.record("opening_hours.changed", by=by, weekdays=changed)
