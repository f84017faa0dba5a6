"""The class borrowing rotation (借还书轮流安排表): which classes come to the desk in which
lending slot. `plan_rotation` is pure; the functions below it change the database, each in
one transaction with an audit record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import groupby

from django.db import transaction
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import config
from shuxiang.circulation.models import ClosedDay, LendingSlot
from shuxiang.patrons.models import SchoolClass


class RotationError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field


def weekday_label(weekday: int) -> str:
    """星期一 … 星期日 (Django's own translations; 0 is Monday, as date.weekday())."""
    return str(WEEKDAYS[weekday]) if 0 <= weekday < 7 else str(weekday)


def slot_label(slot: LendingSlot) -> str:
    return f"{weekday_label(slot.weekday)} {slot.starts:%H:%M}–{slot.ends:%H:%M}"


# ----------------------------------------------------------------------------- the plan


@dataclass
class _Bin:
    classes: list[tuple[int, int, int]] = field(default_factory=list)  # (grade, number, pk)

    @property
    def size(self) -> int:
        return len(self.classes)


def plan_rotation(
    slots: Sequence[int], classes: Sequence[tuple[int, int, int]]
) -> dict[int, list[int]]:
    """Share the classes (grade, number, pk) out over the slots (ids, in weekly order).

    Every class gets exactly one turn a week; the slots' class counts differ by one at
    most; a grade's classes share a slot where the counts allow, so that 三年级 comes on
    one day and its homeroom teachers can send the children together. The same input
    always gives the same plan: the lowest grades take the first slots of the week.
    """
    if not slots:
        return {}
    base, extra = divmod(len(classes), len(slots))
    bins = [_Bin() for _ in slots]
    grades = [list(g) for _, g in groupby(sorted(classes), key=lambda c: c[0])]
    # Biggest grades first, like packing a car: the awkward pieces go in while room is left.
    for grade in sorted(grades, key=lambda g: (-len(g), g[0])):
        extra = _place_grade(grade, bins, base, extra)
    # Slots are alike, so order the groups by their lowest class and give them out in turn.
    filled = sorted((b.classes for b in bins if b.classes), key=min)
    filled += [[] for _ in range(len(slots) - len(filled))]
    return {slot: [c[2] for c in sorted(group)] for slot, group in zip(slots, filled, strict=True)}


def _room(b: _Bin, base: int, extra: int) -> tuple[int, int]:
    """(room without taking one of the extra places, room with one)."""
    plain = max(0, base - b.size)
    return plain, (base + 1 - b.size) if extra and b.size <= base else plain


def _place_grade(grade: list[tuple[int, int, int]], bins: list[_Bin], base: int, extra: int) -> int:
    need = len(grade)
    rooms = [_room(b, base, extra) for b in bins]
    # Best fit: the fullest slot that takes the whole grade, without an extra place if possible.
    plain = [i for i, (r, _) in enumerate(rooms) if r >= need]
    stretched = [i for i, (_, r) in enumerate(rooms) if r >= need]
    if plain:
        target = min(plain, key=lambda i: (rooms[i][0], i))
        bins[target].classes.extend(grade)
        return extra
    if stretched:
        target = min(stretched, key=lambda i: (rooms[i][1], i))
        bins[target].classes.extend(grade)
        return extra - 1
    # No slot takes it whole: split it, filling the emptiest slots first.
    for cls in grade:
        rooms = [_room(b, base, extra) for b in bins]
        target = max(range(len(bins)), key=lambda i: (rooms[i][1], -i))
        if bins[target].size == base:
            extra -= 1
        bins[target].classes.append(cls)
    return extra


# ----------------------------------------------------------------------------- changes


def current_classes() -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(graduated_on__isnull=True).order_by("grade", "number"))


def proposed_rotation() -> list[tuple[LendingSlot, str, list[SchoolClass]]]:
    """What generate_rotation would set, for the confirmation page: (slot, label, classes)."""
    slots = list(LendingSlot.objects.all())
    classes = {c.pk: c for c in current_classes()}
    plan = plan_rotation(
        [s.pk for s in slots], [(c.grade, c.number, c.pk) for c in classes.values()]
    )
    return [(s, slot_label(s), [classes[pk] for pk in plan.get(s.pk, [])]) for s in slots]


@transaction.atomic
def generate_rotation(*, by: User | None, via: str = "web") -> dict[int, list[int]]:
    """Replace every slot's classes with a fresh plan over all current classes."""
    slots = list(LendingSlot.objects.select_for_update())
    if not slots:
        raise RotationError(_("Add the lending slots first, then generate the rotation."))
    classes = current_classes()
    if not classes:
        raise RotationError(_("There are no classes yet: add classes or import a roster first."))
    plan = plan_rotation([s.pk for s in slots], [(c.grade, c.number, c.pk) for c in classes])
    through = LendingSlot.classes.through._default_manager
    through.all().delete()
    through.bulk_create(
        through.model(lendingslot_id=slot, schoolclass_id=pk)
        for slot, pks in plan.items()
        for pk in pks
    )
    # bulk_create sends no m2m signal: the desk's cached rotation must be dropped here.
    config.invalidate()
    AuditLog.record(
        "rotation.generated",
        by=by,
        via=via,
        slots=len(slots),
        classes=len(classes),
        plan={str(k): v for k, v in plan.items()},
    )
    return plan


@transaction.atomic
def assign_class(school_class: SchoolClass, slot: LendingSlot, *, by: User | None) -> None:
    """Move a class to this slot: it leaves any other, since a class has one turn a week."""
    if not school_class.is_current:
        raise RotationError(_("A graduated class has no turn at the desk."), "school_class")
    before = sorted(school_class.lending_slots.values_list("pk", flat=True))
    for other in school_class.lending_slots.exclude(pk=slot.pk):
        other.classes.remove(school_class)
    slot.classes.add(school_class)
    AuditLog.record(
        "rotation.class_moved", by=by, target=school_class, slot=slot.pk, previous=before
    )


@transaction.atomic
def unassign_class(school_class: SchoolClass, *, by: User | None) -> None:
    """Take a class out of the rotation (it may then borrow at any time)."""
    before = sorted(school_class.lending_slots.values_list("pk", flat=True))
    for slot in school_class.lending_slots.all():
        slot.classes.remove(school_class)
    AuditLog.record("rotation.class_removed", by=by, target=school_class, previous=before)


def check_slot(weekday: int, starts: time, ends: time, *, exclude: int | None = None) -> None:
    """A slot is a span of one weekday that no other slot of that day overlaps."""
    if not 0 <= weekday <= 6:
        raise RotationError(_("Choose a day of the week."), "weekday")
    if starts >= ends:
        raise RotationError(_("The slot must end after it starts."), "ends")
    others = LendingSlot.objects.filter(weekday=weekday, starts__lt=ends, ends__gt=starts)
    clash = others.exclude(pk=exclude).first() if exclude else others.first()
    if clash is not None:
        raise RotationError(
            _("This overlaps the slot %(slot)s.") % {"slot": slot_label(clash)}, "starts"
        )


@transaction.atomic
def save_slot(
    slot: LendingSlot | None, weekday: int, starts: time, ends: time, *, by: User | None
) -> LendingSlot:
    check_slot(weekday, starts, ends, exclude=slot.pk if slot else None)
    created = slot is None
    slot = slot or LendingSlot()
    slot.weekday, slot.starts, slot.ends = weekday, starts, ends
    slot.save()
    AuditLog.record(
        "rotation.slot_added" if created else "rotation.slot_changed",
        by=by,
        target=slot,
        weekday=weekday,
        starts=f"{starts:%H:%M}",
        ends=f"{ends:%H:%M}",
    )
    return slot


@transaction.atomic
def delete_slot(slot: LendingSlot, *, by: User | None) -> None:
    classes = sorted(slot.classes.values_list("pk", flat=True))
    AuditLog.record("rotation.slot_deleted", by=by, target=slot, classes=classes)
    slot.delete()


# ----------------------------------------------------------------------------- the week


@dataclass
class WeekSlot:
    slot: LendingSlot
    day: date
    classes: list[SchoolClass]
    closed_reason: str | None  # None when the library is open that day

    @property
    def weekday_label(self) -> str:
        return weekday_label(self.slot.weekday)


@dataclass
class Week:
    monday: date
    slots: list[WeekSlot]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def week_of(day: date) -> Week:
    """The rotation as it runs in the week of `day`: each slot on its date, closed days said."""
    monday = day - timedelta(days=day.weekday())
    calendar = config.snapshot().calendar
    reasons = _closed_reasons(monday)
    slots = list(LendingSlot.objects.prefetch_related("classes"))
    rows = []
    for slot in slots:
        when = monday + timedelta(days=slot.weekday)
        closed = None
        if not calendar.is_open(when):
            closed = reasons.get(when) or (
                _("school holidays")
                if calendar.terms and not calendar.term_on(when)
                else _("closed")
            )
        classes = sorted(slot.classes.all(), key=lambda c: (c.grade, c.number))
        rows.append(WeekSlot(slot, when, [c for c in classes if c.is_current], closed))
    return Week(monday, rows)


def _closed_reasons(monday: date) -> dict[date, str]:
    days = ClosedDay.objects.filter(date__range=(monday, monday + timedelta(days=6)))
    return {d.date: d.reason or _("closed") for d in days}
