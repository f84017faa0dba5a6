"""The circulation settings a checkout reads, cached in the process.

A checkout must answer in about a millisecond, so the loan rules, the policy, the calendar and
the rotation are read once into a frozen snapshot instead of on every scan. Saving any of them
in this process drops the snapshot (see apps.py); other processes (the worker, a second
server) pick up changes within MAX_AGE seconds.
"""

from __future__ import annotations

import threading
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils.translation import get_language

from shuxiang.circulation.models import (
    CirculationPolicy,
    ClosedDay,
    CompensationRate,
    LendingSlot,
    LoanRule,
    OpeningHours,
    Term,
)

MAX_AGE = 30.0


@dataclass(frozen=True)
class Calendar:
    open_weekdays: frozenset[int]
    hours: dict[int, tuple[tuple[time, time], ...]]
    closed: frozenset[date]
    terms: tuple[tuple[date, date, str], ...]  # (first day, last day, name)

    def is_open(self, day: date) -> bool:
        if day.weekday() not in self.open_weekdays or day in self.closed:
            return False
        # With terms set, the holidays between them are closed too.
        return not self.terms or self.term_on(day) is not None

    def term_on(self, day: date) -> tuple[date, date, str] | None:
        for term in self.terms:
            if term[0] <= day <= term[1]:
                return term
        return None

    def next_open_day(self, day: date, *, limit: int = 400) -> date:
        """day itself if open, else the next open day (day unchanged if none within limit)."""
        for offset in range(limit):
            candidate = day + timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        return day

    def previous_open_day(self, day: date, *, not_before: date) -> date:
        candidate = day
        while candidate > not_before:
            if self.is_open(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return not_before

    def weekly_hours(self) -> float:
        return sum(
            (datetime.combine(date.min, c) - datetime.combine(date.min, o)).seconds / 3600
            for spans in self.hours.values()
            for o, c in spans
        )


@dataclass(frozen=True)
class Slot:
    weekday: int
    starts: time
    ends: time
    class_ids: frozenset[int]


@dataclass(frozen=True)
class Snapshot:
    rules: tuple[LoanRule, ...]
    policy: CirculationPolicy
    calendar: Calendar
    slots: tuple[Slot, ...]
    rates: dict[str, tuple[str, str]] = field(default_factory=dict)  # type → (factor, minimum)
    loaded_at: float = 0.0
    # rules.describe() of each rule, per language: every checkout writes it on its event.
    descriptions: dict[tuple[int, str], str] = field(default_factory=dict)

    def describe(self, rule: LoanRule) -> str:
        from shuxiang.circulation.rules import describe

        key = (rule.pk, get_language() or "")
        text = self.descriptions.get(key)
        if text is None:
            text = self.descriptions[key] = describe(rule)
        return text


_lock = threading.Lock()
_current: Snapshot | None = None


def snapshot() -> Snapshot:
    global _current
    current = _current
    if current is not None and clock.monotonic() - current.loaded_at < MAX_AGE:
        return current
    with _lock:
        current = _current  # another thread may have loaded it while this one waited
        if current is None or clock.monotonic() - current.loaded_at >= MAX_AGE:
            current = _current = load()
        return current


def invalidate(**_kwargs: object) -> None:
    """Drop the snapshot now, and again when the change is committed: a request that reloads
    it in between would otherwise keep the old settings for MAX_AGE."""
    global _current
    _current = None
    if connection.in_atomic_block:
        transaction.on_commit(_drop)


def _drop() -> None:
    global _current
    _current = None


def load() -> Snapshot:
    hours: dict[int, list[tuple[time, time]]] = {}
    for row in OpeningHours.objects.all():
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    calendar = Calendar(
        open_weekdays=frozenset(hours),
        hours={day: tuple(spans) for day, spans in hours.items()},
        closed=frozenset(ClosedDay.objects.values_list("date", flat=True)),
        terms=tuple(Term.objects.values_list("starts_on", "ends_on", "name")),
    )
    slots = tuple(
        Slot(s.weekday, s.starts, s.ends, frozenset(c.pk for c in s.classes.all()))
        for s in LendingSlot.objects.prefetch_related("classes")
    )
    rates = {r.item_type: (str(r.factor), str(r.minimum)) for r in CompensationRate.objects.all()}
    return Snapshot(
        rules=tuple(LoanRule.objects.select_related("location")),
        policy=CirculationPolicy.current(),
        calendar=calendar,
        slots=slots,
        rates=rates,
        loaded_at=clock.monotonic(),
    )
