"""The term figures (学期统计): every number of the work summary, each defined once here.

docs/reports.md gives each formula in words. Every count is a GROUP BY in the database: the
loans are never walked in Python, so a district's year (a million loans) takes about a second.
"""

from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from shuxiang.catalog.models import ClcClass, Item, Record
from shuxiang.circulation.models import Loan
from shuxiang.lib import clc, grades
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports.periods import Period

STUDENT = Patron.Type.STUDENT.value
TEACHER = Patron.Type.TEACHER.value
REGULAR = Loan.Kind.REGULAR.value
IN_ROOM = Loan.Kind.IN_ROOM.value
CORNER = Loan.Kind.CLASS_CORNER.value

# Still on the roll: these statuses mean the pupil is at the school today.
ON_ROLL = [Patron.Status.ACTIVE, Patron.Status.CARD_LOST, Patron.Status.SUSPENDED]
NO_CLASS = "未分班"
UNCLASSIFIED = "未分类"

# The 22 main classes' names, for a library that has not loaded the 中图法 table.
MAIN_CLASS_NAMES = {
    "A": "马克思主义、列宁主义、毛泽东思想、邓小平理论",
    "B": "哲学、宗教",
    "C": "社会科学总论",
    "D": "政治、法律",
    "DF": "法律",
    "E": "军事",
    "F": "经济",
    "G": "文化、科学、教育、体育",
    "H": "语言、文字",
    "I": "文学",
    "J": "艺术",
    "K": "历史、地理",
    "N": "自然科学总论",
    "O": "数理科学和化学",
    "P": "天文学、地球科学",
    "Q": "生物科学",
    "R": "医药、卫生",
    "S": "农业科学",
    "T": "工业技术",
    "U": "交通运输",
    "V": "航空、航天",
    "X": "环境科学、安全科学",
    "Z": "综合性图书",
}


@dataclass(frozen=True)
class ClassFigures:
    class_id: int | None
    label: str
    grade: int | None
    students: int
    loans: int
    borrowers: int
    loans_per_student: float
    coverage: float
    overdue: int


@dataclass(frozen=True)
class Star:
    patron_id: int
    name: str
    class_label: str
    grade: int | None
    grade_label: str
    loans: int


@dataclass(frozen=True)
class Title:
    record_id: int
    title: str
    loans: int


@dataclass(frozen=True)
class MainClassLoans:
    code: str
    name: str
    loans: int


@dataclass(frozen=True)
class TermFigures:
    period: Period
    students: int
    student_loans: int
    student_borrowers: int
    loans_per_student: float
    coverage: float
    card_issue_rate: float
    teachers: int
    teacher_loans: int
    teacher_borrowers: int
    loans_per_teacher: float
    teacher_coverage: float
    other_loans: int  # regular loans by staff (neither student nor teacher)
    renewals: int
    class_corner_loans: int
    reading_room_uses: int
    teacher_reading_room_uses: int
    items_held: int
    circulation_rate: float
    new_items: int
    donations: int
    withdrawn: int
    classes: list[ClassFigures] = field(default_factory=list)
    class_gap: float = 0.0
    top_classes: list[ClassFigures] = field(default_factory=list)
    reading_stars: list[Star] = field(default_factory=list)
    popular_titles: list[Title] = field(default_factory=list)
    loans_by_main_class: list[MainClassLoans] = field(default_factory=list)


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _day_after(day: date) -> datetime:
    """The first instant after a whole day, in the school's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# Longer than this, a period covers much of the loans table: SQLite's planner still walks the
# date index row by row, three times slower than reading the table straight through.
SCAN_AFTER_DAYS = 31
# … and holds more than a fifth of the loans.
SCAN_SHARE = 5


def _scan(period: Period) -> bool:
    """Whether SQLite should read all the loans (a table or an index straight through)
    rather than look up the period's loans one by one through the day index."""
    return connection.vendor == "sqlite" and period.days > SCAN_AFTER_DAYS and _many(period)


def _loans(period: Period) -> QuerySet[Loan]:
    if _scan(period):
        # COALESCE(d, d) is d, but no index can serve it: SQLite scans the table.
        day = Coalesce("checked_out_on", "checked_out_on")
        return Loan.objects.alias(day=day).filter(day__gte=period.start, day__lte=period.end)
    return Loan.objects.between(period.start, period.end)


@functools.lru_cache(maxsize=16)
def _many_cached(start: date, end: date, total: int) -> bool:
    inside = Loan.objects.between(start, end).count()  # counted in the day index alone
    return inside * SCAN_SHARE > total


def _many(period: Period) -> bool:
    """Whether the period holds a good part of all the loans (else the day index is right:
    the year before the first one, a quiet summer)."""
    return _many_between(period.start, period.end)


def _many_between(start: date, end: date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {Loan._meta.db_table}")  # noqa: S608
        total = cursor.fetchone()[0] or 0
    return _many_cached(start, end, total)


# ----------------------------------------------------------------------------- who counts


def _on_roll(period: Period, patron_type: str) -> Q:
    """On the roll for part of the period by the patron's own fields (docs/reports.md)."""
    still_here = Q(status__in=ON_ROLL)
    if patron_type == TEACHER:
        still_here = ~Q(status=Patron.Status.LEFT)
    graduated_with_class = Q(
        status=Patron.Status.GRADUATED, school_class__graduated_on__gte=period.start
    )
    joined = Q(created_at__lt=_day_after(period.end))
    return joined & (still_here | graduated_with_class)


def _borrowed(period: Period) -> Q:
    """Borrowed anything in the period: a loan proves the patron was there, whatever the other
    fields say (a roster imported after the loans has later creation dates)."""
    return Q(pk__in=_loans(period).filter(patron__isnull=False).values("patron"))


def enrolled(period: Period, patron_type: str) -> QuerySet[Patron]:
    """Patrons of the type on the roll for at least part of the period (docs/reports.md)."""
    return Patron.objects.filter(
        Q(type=patron_type), _on_roll(period, patron_type) | _borrowed(period)
    )


def _enrolled_per_class(
    period: Period, patron_type: str, borrowers: set[int]
) -> dict[int | None, tuple[int, int]]:
    """enrolled() per class as (patrons, usable cards), given the period's borrowers.

    One row per patron of the type, with whether the fields put them on the roll: the
    borrowers are already known from the loans, so the loans are not read again.
    """
    rows = (
        Patron.objects.filter(type=patron_type)
        .annotate(
            on_roll=ExpressionWrapper(_on_roll(period, patron_type), output_field=BooleanField()),
            has_card=ExpressionWrapper(_has_card(period), output_field=BooleanField()),
        )
        .values_list("pk", "school_class", "on_roll", "has_card")
    )
    counted: dict[int | None, tuple[int, int]] = {}
    for pk, school_class, on_roll, has_card in rows.iterator(chunk_size=5000):
        if on_roll or pk in borrowers:
            n, carded = counted.get(school_class, (0, 0))
            counted[school_class] = (n + 1, carded + bool(has_card))
    return counted


def _has_card(period: Period) -> Q:
    """发证率's card: one that works — not reported lost, issued by the period's end."""
    return ~Q(status=Patron.Status.CARD_LOST) & (
        Q(card_issued_on__isnull=True) | Q(card_issued_on__lte=period.end)
    )


# ----------------------------------------------------------------------------- the loans


@dataclass
class _LoanCounts:
    """The period's loans, counted once in the database per (patron, class, kind, type).

    Every loan figure is a sum over these rows: one pass over the loans table serves the
    totals, the borrowers, the classes and the reading stars. The rows are per patron
    (tens of thousands for a district), never per loan.
    """

    loans: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    borrowers: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    renewals: int = 0
    # Pupils' regular loans per class (the class on the loan row), and who borrowed them.
    class_loans: dict[int | None, int] = field(default_factory=lambda: defaultdict(int))
    class_borrowers: dict[int | None, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Pupils' regular loans per (patron, class), for the reading stars.
    readers: dict[tuple[int, int | None], int] = field(default_factory=lambda: defaultdict(int))

    def n(self, kind: str, patron_type: str | None = None) -> int:
        return sum(v for (k, t), v in self.loans.items() if k == kind and patron_type in (None, t))

    def add(self, row: Mapping[str, Any]) -> None:
        key = (row["kind"], row["patron_type"])
        patron, klass, n = row["patron"], row["school_class"], row["n"]
        self.loans[key] += n
        self.renewals += row["renewed"] or 0
        if patron is not None:
            self.borrowers[key].add(patron)
        if key != (REGULAR, STUDENT):
            return
        self.class_loans[klass] += n
        if patron is not None:
            self.class_borrowers[klass].add(patron)
            self.readers[(patron, klass)] += n


# The covering index of the loan counts (circulation migration 0008), in GROUP BY order.
COUNTS_INDEX = "loan_counts"


def _loan_counts(period: Period) -> _LoanCounts:
    counts = _LoanCounts()
    for row in _loan_count_rows(period):
        counts.add(row)
    return counts


def _loan_count_rows(period: Period) -> list[Mapping[str, Any]]:
    if _scan(period):
        return _loan_count_rows_sqlite(period)
    loans = _loans(period)
    if connection.vendor != "sqlite":
        # The condition of the index loan_counts (always true) lets PostgreSQL's planner
        # read the counts from that index alone, in its order, when the period is long.
        loans = loans.filter(renewals__gte=0)
    rows = (
        # SQLite, grouping by patron first, would walk the patron index row by row.
        loans.values("kind", "patron_type", "school_class", "patron")
        .annotate(n=Count("*"), renewed=Sum("renewals"))
        .order_by()
    )
    return list(rows)


def _loan_count_rows_sqlite(period: Period) -> list[Mapping[str, Any]]:
    """The counts of a long period, read from the index loan_counts alone.

    It holds every column the query needs, in GROUP BY order: SQLite walks it once without
    sorting (a third of a second for a district's year, against more than a second to sort
    the table's rows). The planner prefers the day index, walked row by row, so it is named,
    with the index's condition (always true) that lets the query use it.
    """
    sql = (
        "SELECT kind, patron_type, school_class_id, patron_id, COUNT(*), SUM(renewals) "
        f"FROM {Loan._meta.db_table} INDEXED BY {COUNTS_INDEX} "
        "WHERE renewals >= 0 AND checked_out_on >= %s AND checked_out_on <= %s "
        "GROUP BY kind, patron_type, school_class_id, patron_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (period.start.isoformat(), period.end.isoformat()))
        return [
            {"kind": k, "patron_type": t, "school_class": c, "patron": p, "n": n, "renewed": r}
            for k, t, c, p, n, r in cursor.fetchall()
        ]


def _items(period: Period) -> dict[str, int]:
    """Copies held at the end of the period, received in it, donated in it, withdrawn in it."""
    received = Q(received_on__gte=period.start, received_on__lte=period.end)
    withdrawn = Q(status=Item.Status.WITHDRAWN)
    # Gone by the end: withdrawn by then, or withdrawn before the date was kept (no date).
    gone = withdrawn & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__lte=period.end))
    held = ~gone & (
        Q(received_on__lte=period.end)
        | Q(received_on__isnull=True, created_at__lt=_day_after(period.end))
    )
    return Item.objects.aggregate(
        held=Count("id", filter=held),
        new=Count("id", filter=received),
        donations=Count("id", filter=received & Q(source=Item.Source.DONATION)),
        withdrawn=Count(
            "id", filter=withdrawn & Q(withdrawn_on__gte=period.start, withdrawn_on__lte=period.end)
        ),
    )


def term_figures(period: Period, *, top: int = 10) -> TermFigures:
    counts = _loan_counts(period)
    borrowers = set().union(*counts.borrowers.values())
    per_class = _enrolled_per_class(period, STUDENT, borrowers)
    pupils = {pk: n for pk, (n, _carded) in per_class.items()}
    students, carded = sum(pupils.values()), sum(c for _n, c in per_class.values())
    teachers = sum(n for n, _c in _enrolled_per_class(period, TEACHER, borrowers).values())
    items = _items(period)
    student_loans = counts.n(REGULAR, STUDENT)
    teacher_loans = counts.n(REGULAR, TEACHER)
    student_borrowers = len(counts.borrowers[(REGULAR, STUDENT)])
    teacher_borrowers = len(counts.borrowers[(REGULAR, TEACHER)])
    lent = counts.n(REGULAR) + counts.n(CORNER)
    class_rows = _class_rows(counts, pupils)
    classes = _classes(period, counts, pupils, class_rows)
    ranked = ranking(classes)
    titles = _loans_by_record(period)
    return TermFigures(
        period=period,
        students=students,
        student_loans=student_loans,
        student_borrowers=student_borrowers,
        loans_per_student=ratio(student_loans, students),
        coverage=ratio(student_borrowers, students),
        card_issue_rate=ratio(carded, students),
        teachers=teachers,
        teacher_loans=teacher_loans,
        teacher_borrowers=teacher_borrowers,
        loans_per_teacher=ratio(teacher_loans, teachers),
        teacher_coverage=ratio(teacher_borrowers, teachers),
        other_loans=counts.n(REGULAR) - student_loans - teacher_loans,
        renewals=counts.renewals,
        class_corner_loans=counts.n(CORNER),
        reading_room_uses=counts.n(IN_ROOM),
        teacher_reading_room_uses=counts.n(IN_ROOM, TEACHER),
        items_held=items["held"],
        circulation_rate=ratio(lent, items["held"]),
        new_items=items["new"],
        donations=items["donations"],
        withdrawn=items["withdrawn"],
        classes=classes,
        class_gap=round(ranked[0].loans_per_student - ranked[-1].loans_per_student, 4)
        if ranked
        else 0.0,
        top_classes=ranked[:top],
        reading_stars=_reading_stars(counts, class_rows, top),
        popular_titles=_popular_titles(titles, top),
        loans_by_main_class=_loans_by_main_class(titles),
    )


# ----------------------------------------------------------------------------- per class


def _class_rows(
    counts: _LoanCounts, pupils: dict[int | None, int]
) -> dict[int | None, SchoolClass]:
    ids = {pk for pk in (*counts.class_loans, *pupils) if pk is not None}
    found: dict[int | None, SchoolClass] = {c.pk: c for c in SchoolClass.objects.filter(pk__in=ids)}
    return found


def _classes(
    period: Period,
    counts: _LoanCounts,
    pupils: dict[int | None, int],
    rows: dict[int | None, SchoolClass],
) -> list[ClassFigures]:
    overdue = _overdue_by_class(period)
    order: list[int | None] = sorted(rows, key=lambda pk: (rows[pk].grade, rows[pk].number, pk))
    if None in pupils or None in counts.class_loans:
        order.append(None)
    result = []
    for pk in order:
        n = pupils.get(pk, 0)
        loans, borrowers = counts.class_loans.get(pk, 0), len(counts.class_borrowers.get(pk, ()))
        school_class = rows.get(pk)
        result.append(
            ClassFigures(
                class_id=pk,
                label=school_class.label if school_class else NO_CLASS,
                grade=school_class.grade if school_class else None,
                students=n,
                loans=loans,
                borrowers=borrowers,
                loans_per_student=ratio(loans, n),
                coverage=ratio(borrowers, n),
                overdue=overdue.get(pk, 0),
            )
        )
    return result


def as_of(period: Period) -> date:
    """ "At the end of the period": its last day, or today while it is still running."""
    return min(period.end, timezone.localdate())


def _overdue_by_class(period: Period) -> dict[int | None, int]:
    """Pupils' regular loans still out and past due at the end of the period, per class."""
    day = as_of(period)
    out = Q(returned_at__isnull=True) | Q(returned_at__gte=_day_after(day))
    rows = (
        Loan.objects.filter(out, kind=REGULAR, patron_type=STUDENT, due_on__lt=day)
        .filter(checked_out_on__lte=day)
        .values("school_class")
        .annotate(n=Count("id"))
        .order_by()
    )
    if connection.vendor == "sqlite" and _many_between(date.min, day):
        return dict(_read_straight(rows))
    return {row["school_class"]: row["n"] for row in rows}


def _read_straight(rows: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The query's rows, SQLite told to read the loans table straight through.

    Most loans were made by the end of the period, and all but a few came back: no index
    narrows them much. Left to itself the planner walks an index row by row, ten times
    slower than the scan (two seconds against a fifth on a district's year).
    """
    sql, params = rows.query.sql_with_params()
    table = f'FROM "{Loan._meta.db_table}"'  # as Django writes it; the same rows if not found
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(table, f"{table} NOT INDEXED", 1), params)
        found: list[tuple[Any, ...]] = cursor.fetchall()
    return found


# ----------------------------------------------------------------------------- rankings


def _reading_stars(
    counts: _LoanCounts, classes: dict[int | None, SchoolClass], top: int
) -> list[Star]:
    """阅读之星: per grade (the class's grade on the loan row), the pupils with most loans."""
    by_grade: dict[int | None, list[tuple[int, int, int | None]]] = defaultdict(list)
    for (patron, klass), n in counts.readers.items():
        grade = classes[klass].grade if klass in classes else None
        by_grade[grade].append((n, patron, klass))
    chosen: list[tuple[int | None, int, int, int | None]] = []
    for grade in sorted(by_grade, key=lambda g: (g is None, g or 0)):
        best = heapq.nsmallest(top, by_grade[grade], key=lambda r: (-r[0], r[1]))
        chosen.extend((grade, *r) for r in best)
    names = dict(Patron.objects.filter(pk__in=[r[2] for r in chosen]).values_list("pk", "name"))
    return [
        Star(
            patron_id=patron,
            name=names.get(patron, ""),
            class_label=classes[klass].label if klass in classes else NO_CLASS,
            grade=grade,
            grade_label=grades.grade_label(grade) if grade else NO_CLASS,
            loans=n,
        )
        for grade, n, patron, klass in chosen
    ]


def _loans_by_record(period: Period) -> list[tuple[int, str, int]]:
    """(record id, class number, regular loans) for every record lent in the period.

    Counted per copy first and joined to the copies afterwards: grouping the loans before
    the join keeps the join to one row per copy instead of one per loan. Both databases
    read the counts per copy from the index (item, kind, day) alone, in copy order.
    """
    item, record = Item._meta.db_table, Record._meta.db_table
    if connection.vendor == "sqlite":
        # The index (item, kind, day) holds all the query needs, in copy order: read alone
        # it groups a year of a district's loans in a quarter of a second. SQLite's planner
        # prefers the day index, so it is named.
        inner = (
            f"SELECT item_id AS lent_item, COUNT(*) AS n FROM {Loan._meta.db_table} "
            "INDEXED BY loan_item_kind_day "
            "WHERE kind = %s AND checked_out_on >= %s AND checked_out_on <= %s GROUP BY item_id"
        )
        params: tuple[Any, ...] = (REGULAR, period.start.isoformat(), period.end.isoformat())
    else:
        per_item = (
            _loans(period).filter(kind=REGULAR).values(lent_item=F("item")).annotate(n=Count("*"))
        )
        inner, params = per_item.order_by().query.sql_with_params()
    sql = (
        f"SELECT r.id, r.class_number, SUM(g.n) FROM ({inner}) g "
        f"JOIN {item} i ON i.id = g.lent_item JOIN {record} r ON r.id = i.record_id "
        "GROUP BY r.id, r.class_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, code or "", int(n)) for pk, code, n in cursor.fetchall()]


def _popular_titles(records: list[tuple[int, str, int]], top: int) -> list[Title]:
    best = heapq.nsmallest(top, records, key=lambda r: (-r[2], r[0]))
    titles = dict(Record.objects.filter(pk__in=[r[0] for r in best]).values_list("pk", "title"))
    return [Title(pk, titles.get(pk, ""), n) for pk, _code, n in best]


def ranking(classes: list[ClassFigures]) -> list[ClassFigures]:
    """The 最爱读书班级 order: classes with pupils, by loans per student, coverage, label."""
    return sorted(
        (c for c in classes if c.students),
        key=lambda c: (-c.loans_per_student, -c.coverage, c.label),
    )


def by_main_class(counts: list[tuple[str, int]]) -> list[MainClassLoans]:
    """(class number, count) pairs summed per 中图法 main class (two letters for T and DF),
    named from the loaded 中图法 table, in class order with 未分类 last."""
    totals: dict[str, int] = defaultdict(int)
    for code, n in counts:
        totals[clc.main_class(code[:2]) or UNCLASSIFIED] += n
    names = dict(ClcClass.objects.filter(code__in=list(totals)).values_list("code", "name"))
    return [
        MainClassLoans(code, names.get(code) or MAIN_CLASS_NAMES.get(code, ""), totals[code])
        for code in sorted(totals, key=lambda c: (c == UNCLASSIFIED, c))
    ]


def _loans_by_main_class(records: list[tuple[int, str, int]]) -> list[MainClassLoans]:
    """Regular loans by the 中图法 main class of the record."""
    return by_main_class([(code, n) for _pk, code, n in records])


# ----------------------------------------------------------------------------- comparison

HEADLINES = [
    "students",
    "student_loans",
    "loans_per_student",
    "coverage",
    "card_issue_rate",
    "teacher_loans",
    "loans_per_teacher",
    "teacher_coverage",
    "renewals",
    "class_corner_loans",
    "reading_room_uses",
    "circulation_rate",
    "new_items",
    "donations",
    "withdrawn",
    "class_gap",
]


@dataclass(frozen=True)
class Change:
    figure: str
    current: float
    previous: float
    change: float
    relative: float | None  # change ÷ previous; None when there was nothing before


def compare(current: TermFigures, previous: TermFigures) -> list[Change]:
    """环比: each headline figure now, in the previous period, and the change."""
    changes = []
    for name in HEADLINES:
        now, before = getattr(current, name), getattr(previous, name)
        diff = round(now - before, 4)
        relative = round(diff / before, 4) if before else None
        changes.append(Change(name, now, before, diff, relative))
    return changes
