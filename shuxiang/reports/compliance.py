"""The collection against the Ministry's 《中小学图书馆（室）规程》 (2018).

Each requirement is computed once here, with its target for the school type; docs/reports.md
("规程 / Compliance") gives every formula. The targets a school has written down
(ComplianceTargets) replace the regulation's figures one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item, Record
from shuxiang.circulation import config
from shuxiang.lib import grades
from shuxiang.lib.terms import school_year
from shuxiang.patrons.models import Patron
from shuxiang.reports.models import ComplianceTargets

_T = TypeVar("_T")

PRIMARY, JUNIOR, SENIOR = "primary", "junior", "senior"
PARTS = (PRIMARY, JUNIOR, SENIOR)

# The regulation's figures for a school of one part (附件: 藏书量、报刊、工具书).
VOLUMES_PER_STUDENT = {PRIMARY: Decimal(25), JUNIOR: Decimal(35), SENIOR: Decimal(45)}
PERIODICAL_TITLES = {PRIMARY: 60, JUNIOR: 80, SENIOR: 120}
REFERENCE_TITLES = {PRIMARY: 120, JUNIOR: 180, SENIOR: 250}
NEW_VOLUMES_PER_STUDENT = Decimal(1)
WEEKLY_HOURS = Decimal(40)

# 藏书分类比例表 (the five 部类, per cent): one column for primary schools, one for middle
# schools (junior and senior alike). The figures commonly cited from the annex; the docs ask
# the librarian to check them against the district's copy, and the form lets them change.
SHARE_GROUPS: dict[str, str] = {"A": "A", "B": "B", "Z": "Z"}
SHARE_GROUPS |= {letter: "C-K" for letter in "CDEFGHIJK"}
SHARE_GROUPS |= {letter: "N-X" for letter in "NOPQRSTUVX"}
SHARE_KEYS = ("A", "B", "C-K", "N-X", "Z")
SHARE_LABELS: dict[str, StrOrPromise] = {
    "A": _("A Marxism, Leninism, Mao Zedong Thought, Deng Xiaoping Theory"),
    "B": _("B Philosophy and religion"),
    "C-K": _("C–K Social sciences"),
    "N-X": _("N–X Natural sciences"),
    "Z": _("Z General works"),
}
_PRIMARY_SHARES = ("1.5", "1.5", "64", "28", "5")
_MIDDLE_SHARES = ("2", "2", "54", "38", "4")
RECOMMENDED_SHARES: dict[str, dict[str, Decimal]] = {
    PRIMARY: {k: Decimal(v) for k, v in zip(SHARE_KEYS, _PRIMARY_SHARES, strict=True)},
    JUNIOR: {k: Decimal(v) for k, v in zip(SHARE_KEYS, _MIDDLE_SHARES, strict=True)},
    SENIOR: {k: Decimal(v) for k, v in zip(SHARE_KEYS, _MIDDLE_SHARES, strict=True)},
}


def part_of(grade: int) -> str:
    return PRIMARY if grade <= 6 else JUNIOR if grade <= 9 else SENIOR


def parts_of(school_type: str) -> list[str]:
    """The parts (小学/初中/高中) a school of this type has, lowest first."""
    return sorted({part_of(g) for g in grades.grade_range(school_type)}, key=PARTS.index)


# ------------------------------------------------------------------------------ the counts


# On the roll now: a pupil whose card is lost or who may not borrow for a while is still at
# the school. The term figures count "now" the same way (docs/reports.md, Who counts).
ON_ROLL = [Patron.Status.ACTIVE, Patron.Status.CARD_LOST, Patron.Status.SUSPENDED]


def active_students() -> QuerySet[Patron]:
    """The students of the school now: graduated pupils and those who left are not."""
    return Patron.objects.filter(type=Patron.Type.STUDENT, status__in=ON_ROLL)


def students_by_part() -> dict[str, int]:
    """Active students per part by their class's grade; students without a class are left out."""
    counts = dict.fromkeys(PARTS, 0)
    rows = active_students().filter(school_class__isnull=False).values("school_class__grade")
    for row in rows.annotate(n=Count("id")):
        counts[part_of(row["school_class__grade"])] += row["n"]
    return counts


def collection() -> QuerySet[Item]:
    """The copies the library holds: withdrawn (注销) and lost copies are gone from the books."""
    return Item.objects.exclude(status__in=[Item.Status.WITHDRAWN, Item.Status.LOST])


def received_in_school_year(today: date) -> int:
    year = school_year(today)
    return Item.objects.filter(
        received_on__gte=date(year, 8, 1), received_on__lte=date(year + 1, 7, 31)
    ).count()


def periodical_titles() -> int:
    """Records (种) held as periodicals: the record's material type, or a copy's item type."""
    held = collection().filter(
        Q(item_type=Item.ItemType.PERIODICAL)
        | Q(record__material_type=Record.MaterialType.PERIODICAL)
    )
    return held.values("record_id").distinct().count()


def reference_titles() -> int:
    """Records (种) with a copy held as a reference (工具书) or teaching-reference book."""
    held = collection().filter(item_type__in=[Item.ItemType.REFERENCE, Item.ItemType.TEACHING])
    return held.values("record_id").distinct().count()


def volumes_by_group() -> tuple[dict[str, int], int]:
    """Copies held per 部类 of SHARE_KEYS, and the copies with no usable class number."""
    counts = dict.fromkeys(SHARE_KEYS, 0)
    unclassified = 0
    rows = (
        collection()
        .annotate(letter=Upper(Substr("record__class_number", 1, 1)))
        .values("letter")
        .annotate(n=Count("id"))
    )
    for row in rows:
        group = SHARE_GROUPS.get(row["letter"] or "")
        if group is None:
            unclassified += row["n"]
        else:
            counts[group] += row["n"]
    return counts, unclassified


# ----------------------------------------------------------------------------- the targets


@dataclass(frozen=True)
class Targets:
    volumes_per_student: Decimal
    new_volumes_per_student: Decimal
    periodical_titles: int
    reference_titles: int
    weekly_hours: Decimal
    shares: dict[str, Decimal]


def _weights(school_type: str, by_part: dict[str, int]) -> dict[str, Decimal]:
    """Each part's share of the students; equal shares while no student is in a class yet."""
    parts = parts_of(school_type)
    total = sum(by_part.get(p, 0) for p in parts)
    if not total:
        return {p: Decimal(1) / len(parts) for p in parts}
    return {p: Decimal(by_part.get(p, 0)) / total for p in parts}


def default_targets(school_type: str, by_part: dict[str, int]) -> Targets:
    """The regulation's figures. A school of several parts (九年一贯制, 完全中学 …) weights the
    per-student figures and the class shares by its students in each part, and takes the
    highest part's title counts (its older students need that library)."""
    weights = _weights(school_type, by_part)
    top = parts_of(school_type)[-1]
    return Targets(
        volumes_per_student=sum(
            (VOLUMES_PER_STUDENT[p] * w for p, w in weights.items()), Decimal(0)
        ),
        new_volumes_per_student=NEW_VOLUMES_PER_STUDENT,
        periodical_titles=PERIODICAL_TITLES[top],
        reference_titles=REFERENCE_TITLES[top],
        weekly_hours=WEEKLY_HOURS,
        shares={
            k: sum((RECOMMENDED_SHARES[p][k] * w for p, w in weights.items()), Decimal(0))
            for k in SHARE_KEYS
        },
    )


def school_type() -> str:
    return str(grades.SchoolType(settings.SHUXIANG_SCHOOL_TYPE))


def targets_for_school(row: ComplianceTargets, by_part: dict[str, int]) -> Targets:
    """The regulation's figures for this school, with the school's own targets over them."""
    base = default_targets(school_type(), by_part)
    shares = base.shares
    if row.class_shares and set(row.class_shares) == set(SHARE_KEYS):
        shares = {k: Decimal(str(row.class_shares[k])) for k in SHARE_KEYS}
    return Targets(
        volumes_per_student=_pick(row.volumes_per_student, base.volumes_per_student),
        new_volumes_per_student=_pick(row.new_volumes_per_student, base.new_volumes_per_student),
        periodical_titles=_pick(row.periodical_titles, base.periodical_titles),
        reference_titles=_pick(row.reference_titles, base.reference_titles),
        weekly_hours=_pick(row.weekly_hours, base.weekly_hours),
        shares=shares,
    )


def _pick(own: _T | None, regulation: _T) -> _T:
    return regulation if own is None else own


# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Requirement:
    key: str
    label: StrOrPromise
    value: Decimal | None  # None: cannot be computed (no students)
    target: Decimal
    unit: StrOrPromise
    basis: str  # the numbers behind the value, e.g. "100 / 4"

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.target

    @property
    def shown(self) -> str:
        return "—" if self.value is None else figure(self.value)

    @property
    def target_shown(self) -> str:
        return figure(self.target)


def figure(value: Decimal | int, places: int = 2) -> str:
    """A figure as a librarian writes it: 25, 27.5, 0.75, 24.96 (never 42.50 or 25.00)."""
    text = f"{Decimal(value):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class ShareRow:
    key: str
    label: StrOrPromise
    volumes: int
    share: Decimal | None  # per cent of the classified copies
    recommended: Decimal

    @property
    def difference(self) -> Decimal | None:
        return None if self.share is None else self.share - self.recommended


@dataclass(frozen=True)
class ComplianceReport:
    school_type: str
    students: int
    by_part: dict[str, int]
    volumes: int
    requirements: list[Requirement]
    shares: list[ShareRow]
    unclassified: int

    @property
    def school_type_label(self) -> str:
        return grades.SCHOOL_TYPE_LABELS[grades.SchoolType(self.school_type)]

    @property
    def all_met(self) -> bool:
        return all(r.met for r in self.requirements)


def _per_student(count: int, students: int) -> Decimal | None:
    return Decimal(count) / students if students else None


def build_report(*, today: date, row: ComplianceTargets | None = None) -> ComplianceReport:
    by_part = students_by_part()
    targets = targets_for_school(row or ComplianceTargets.current(), by_part)
    students = active_students().count()
    volumes = collection().count()
    new = received_in_school_year(today)
    periodicals, references = periodical_titles(), reference_titles()
    hours = Decimal(str(round(config.snapshot().calendar.weekly_hours(), 2)))
    per_student = _("volumes a student")
    requirements = [
        Requirement(
            "volumes_per_student",
            _("Volumes per student (生均藏书)"),
            _per_student(volumes, students),
            targets.volumes_per_student,
            per_student,
            f"{volumes} / {students}",
        ),
        Requirement(
            "new_volumes_per_student",
            _("New volumes per student this school year (年生均新增藏书)"),
            _per_student(new, students),
            targets.new_volumes_per_student,
            per_student,
            f"{new} / {students}",
        ),
        Requirement(
            "periodical_titles",
            _("Newspaper and periodical titles (报刊种数)"),
            Decimal(periodicals),
            Decimal(targets.periodical_titles),
            _("titles"),
            "",
        ),
        Requirement(
            "reference_titles",
            _("Reference and teaching-reference titles (工具书、教学参考书种数)"),
            Decimal(references),
            Decimal(targets.reference_titles),
            _("titles"),
            "",
        ),
        Requirement(
            "weekly_hours",
            _("Opening hours per week (每周开放时间)"),
            hours,
            targets.weekly_hours,
            _("hours"),
            "",
        ),
    ]
    groups, unclassified = volumes_by_group()
    classified = sum(groups.values())
    shares = [
        ShareRow(
            k,
            SHARE_LABELS[k],
            groups[k],
            Decimal(groups[k]) * 100 / classified if classified else None,
            targets.shares[k],
        )
        for k in SHARE_KEYS
    ]
    return ComplianceReport(
        school_type(), students, by_part, volumes, requirements, shares, unclassified
    )


# ------------------------------------------------------------------------------ the settings

TARGET_FIELDS = (
    "volumes_per_student",
    "new_volumes_per_student",
    "periodical_titles",
    "reference_titles",
    "weekly_hours",
)


@transaction.atomic
def save_targets(
    values: dict[str, Decimal | int | None], shares: dict[str, str], *, by: User
) -> list[str]:
    """Write the school's targets (None: the regulation's) and audit the names of those that
    changed; returns them, empty when nothing did."""
    row = ComplianceTargets.objects.select_for_update().order_by("pk").first()
    row = row or ComplianceTargets()
    changed = [name for name in TARGET_FIELDS if getattr(row, name) != values[name]]
    if shares != (row.class_shares or {}):
        changed.append("class_shares")
    if not changed:
        return []
    for name in TARGET_FIELDS:
        setattr(row, name, values[name])
    row.class_shares = shares
    row.updated_at = timezone.now()
    row.updated_by = by
    row.save()
    AuditLog.record("compliance_targets_changed", by=by, target=row, fields=changed)
    return changed
