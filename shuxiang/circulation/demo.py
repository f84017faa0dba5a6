"""The demo school's loan history: one term of lending, so every page and report has
something true to show.

The term is simulated day by day on the school's calendar. Each class comes to the desk on
its rotation slot (the rotation is generated first); teachers come any day; reference books
are read in the room; a few classes fill their book corners. Borrowing is seasonal (busy
after the start of term and before a holiday, quiet in exam weeks, nothing while the library
is closed) and uneven (some classes and some children read far more than others). At the end
a few books are lost and paid for, some are overdue, and some titles are held.

The rows are those the circulation services would write — loans with their snapshots, due
dates by the loan rules and the calendar, one open loan per copy, item statuses, fines,
holds, one event per change — but written in bulk: through the services, a term of a
school's lending would take minutes at `make run`.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.demo import Table
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, defaults, rotation, rules, services
from shuxiang.circulation.models import (
    CirculationEvent,
    ClosedDay,
    Fine,
    Hold,
    LendingSlot,
    Loan,
    LoanRule,
    ReadingRoomVisit,
    Term,
)
from shuxiang.lib import terms
from shuxiang.patrons.models import Patron, SchoolClass

Action = CirculationEvent.Action
BATCH = 2000
CORNER_CLASSES = 4  # classes that keep a batch of library books in their book corner
LOST_UNPAID, LOST_PAID = 3, 2
HOLDS_WAITING, HOLDS_READY = 4, 3
NOON = (clock(11, 30), clock(12, 30))


@dataclass
class HistoryReport:
    loans: int = 0
    open_loans: int = 0
    overdue: int = 0
    in_room: int = 0
    corner: int = 0
    lost: int = 0
    holds: int = 0
    events: int = 0
    teacher_visits: int = 0  # teachers' visits to the reading room (教师进阅览室)
    first_day: date | None = None
    seconds: float = 0.0


def load_demo_history(*, seed: int = 0, today: date | None = None) -> HistoryReport:
    """A term of loans for a demo school that has classes and books but no loans yet."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        if Loan.objects.exists():
            raise ValueError("the library already has loans")
        defaults.ensure_defaults(today)
        term = demo_calendar(today)
        if SchoolClass.objects.filter(graduated_on__isnull=True).exists() and not (
            LendingSlot.classes.through._default_manager.exists()
        ):
            rotation.generate_rotation(by=None, via="cli")
        config.invalidate()
        history = _History(random.Random(seed + 202), config.load(), term, today)
        history.run()
        report = history.write()
        _analyze()
        AuditLog.record(
            "demo_history_loaded",
            by=None,
            via="cli",
            loans=report.loans,
            events=report.events,
            seed=seed,
        )
    config.invalidate()
    report.seconds = time.perf_counter() - started
    return report


def weed_demo_copies(count: int = 12) -> int:
    """The librarian's first weeding of the term (剔旧): the oldest copies on the shelf are
    written off through the desk's own function, so the withdrawals register has lines."""
    librarian = User.objects.filter(role=User.Role.LIBRARIAN).order_by("pk").first()
    channel = services.Channel(by=librarian, via="cli", station="demo")
    reasons = [
        Item.WithdrawalReason.WORN,
        Item.WithdrawalReason.WEEDED,
        Item.WithdrawalReason.SURPLUS,
    ]
    oldest = Item.objects.filter(status=Item.Status.ON_SHELF).order_by("received_on", "pk")
    done = 0
    for n, item in enumerate(oldest[:count]):
        services.withdraw(item, channel, reason=reasons[n % len(reasons)])
        done += 1
    return done


# ----------------------------------------------------------------------------- the calendar


def _school_dates(year: int, number: int) -> tuple[date, date]:
    """When a term really runs, not the 1 August – 31 January that `init` assumes: autumn
    from 1 September to late January, spring from late February to early July."""
    if number == 1:
        return _weekday_on_or_after(date(year, 9, 1)), date(year + 1, 1, 22)
    return _weekday_on_or_after(date(year + 1, 2, 24)), date(year + 1, 7, 3)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


HOLIDAYS = [
    # month, day, days, reason; autumn term, then spring term
    (10, 1, 7, "国庆节"),
    (1, 1, 1, "元旦"),
    (4, 4, 3, "清明节"),
    (5, 1, 5, "劳动节"),
]


def demo_calendar(today: date) -> tuple[date, date, str]:
    """Give the demo school real term dates and holidays, where `init`'s defaults stand;
    return the term to write history for (the current one, else the last one)."""
    for row in Term.objects.all():
        default = terms.term_of(row.starts_on)
        if (row.starts_on, row.ends_on) == (default.start, default.end):
            row.starts_on, row.ends_on = _school_dates(default.school_year, default.number)
            row.save(update_fields=["starts_on", "ends_on"])
    rows = list(Term.objects.all())
    current = next((t for t in rows if t.starts_on <= today <= t.ends_on), None)
    past = [t for t in rows if t.ends_on < today]
    if current is None and not past:
        # August, before the autumn term: show last spring's lending instead.
        spring = terms.term_of(date(today.year, 5, 1))
        first, last = _school_dates(spring.school_year, spring.number)
        rows.append(Term.objects.create(name=spring.label, starts_on=first, ends_on=last))
        past = [rows[-1]]
    term = current or max(past, key=lambda t: t.ends_on)
    if not ClosedDay.objects.exists():
        _add_holidays(rows)
    return term.starts_on, term.ends_on, term.name


def _add_holidays(rows: list[Term]) -> None:
    days = []
    for term in rows:
        for month, day, length, reason in HOLIDAYS:
            for year in {term.starts_on.year, term.ends_on.year}:
                first = date(year, month, day)
                if term.starts_on <= first <= term.ends_on:
                    days += [
                        ClosedDay(date=first + timedelta(days=n), reason=reason)
                        for n in range(length)
                    ]
    ClosedDay.objects.bulk_create(days, ignore_conflicts=True)


# ----------------------------------------------------------------------------- the simulation


@dataclass
class _Reader:
    patron: Patron
    pool: list[int]  # the copies this reader would choose from
    appetite: float  # how keen a reader: 0 never borrows, 2 borrows all the time
    slot: tuple[int, clock, clock] | None = None  # the class's weekday, start, end
    open: int = 0


@dataclass
class _Loan:
    item_id: int
    reader: _Reader | None
    school_class: SchoolClass | None
    kind: str
    out: datetime
    due: date
    rule: LoanRule | None
    back: datetime | None = None
    lost: bool = False
    pk: int = 0

    @property
    def is_open(self) -> bool:
        return self.back is None


@dataclass(order=True)
class _Return:
    at: datetime
    loan: _Loan = field(compare=False)


class _History:
    def __init__(
        self, rng: random.Random, snap: config.Snapshot, term: tuple[date, date, str], today: date
    ) -> None:
        self.rng = rng
        self.zone = timezone.get_current_timezone()
        self.snap = snap
        self.calendar = snap.calendar
        self.first, self.last, _name = term
        self.today = today
        self.loans: list[_Loan] = []
        self.returns: list[_Return] = []
        self.out: set[int] = set()
        self.free_at: dict[int, datetime] = {}
        self.rule_cache: dict[tuple[str, str, int], LoanRule | None] = {}
        self.holds: list[Hold] = []
        self.paid: set[int] = set()  # id() of the lost loans already paid for
        self.item_info: dict[int, tuple[str, int]] = {}  # item → (item type, location)
        self.assistant = User.objects.filter(role=User.Role.ASSISTANT).order_by("pk").first()
        self.librarian = User.objects.filter(role=User.Role.LIBRARIAN).order_by("pk").first()
        self.visits: list[ReadingRoomVisit] = []
        # Its own generator, so that the visits leave the loans exactly as they were.
        self.visit_rng = random.Random(417)

    # --------------------------------------------------------------- who and what

    def _items(self) -> dict[str, list[tuple[int, int | None, int | None, str, int]]]:
        """Copies on the shelf since before the term, by where they stand."""
        shelved = Item.objects.filter(status=Item.Status.ON_SHELF).exclude(
            received_on__gte=self.first
        )
        rows = shelved.values_list(
            "pk", "record__grade_min", "record__grade_max", "item_type", "location_id"
        )
        found: dict[str, list[tuple[int, int | None, int | None, str, int]]] = defaultdict(list)
        for pk, low, high, item_type, location in rows.iterator(chunk_size=5000):
            found[item_type].append((pk, low, high, item_type, location))
        return found

    def _readers(self, items: dict[str, list[Any]]) -> tuple[list[_Reader], list[_Reader]]:
        self.item_info = {i[0]: (i[3], i[4]) for rows in items.values() for i in rows}
        general = [i for i in items.get(Item.ItemType.GENERAL, []) if self._lends(i, "student")]
        by_grade = {
            g: [i[0] for i in general if (i[1] or 1) <= g <= (i[2] or 12)] for g in range(1, 13)
        }
        everything = [i[0] for rows in items.values() for i in rows if self._lends(i, "teacher")]
        slots = self._class_slots()
        pupils = Patron.objects.filter(
            type=Patron.Type.STUDENT,
            status=Patron.Status.ACTIVE,
            school_class__graduated_on__isnull=True,
        ).select_related("school_class")
        keen = {c: self._class_appetite() for c in slots}
        students = []
        for p in pupils.order_by("pk"):
            assert p.school_class is not None
            appetite = 0.0 if self.rng.random() < 0.12 else self.rng.lognormvariate(0, 0.5)
            students.append(
                _Reader(
                    p,
                    by_grade[p.school_class.grade] or [i[0] for i in general],
                    appetite * keen.get(p.school_class_id or 0, 1.0),
                    slots.get(p.school_class_id or 0),
                )
            )
        teachers = Patron.objects.filter(type=Patron.Type.TEACHER, status=Patron.Status.ACTIVE)
        staff = [_Reader(t, everything, self.rng.lognormvariate(0, 0.7)) for t in teachers]
        return students, staff

    def _lends(self, item: tuple[int, int | None, int | None, str, int], who: str) -> bool:
        rule = self._rule("student_middle" if who == "student" else "teacher", item[3], item[4])
        return rule is not None and rule.max_loans > 0 and not rule.room_only

    def _rule(self, category: str, item_type: str, location: int) -> LoanRule | None:
        key = (category, item_type, location)
        if key not in self.rule_cache:
            self.rule_cache[key] = rules.rule_for(self.snap.rules, category, item_type, location)
        return self.rule_cache[key]

    def _class_slots(self) -> dict[int, tuple[int, clock, clock]]:
        classes = SchoolClass.objects.filter(graduated_on__isnull=True).order_by("grade", "number")
        found = {c: (s.weekday, s.starts, s.ends) for s in self.snap.slots for c in s.class_ids}
        # A class the rotation left out still comes once a week, on a weekday of its own.
        return {c.pk: found.get(c.pk, (n % 5, *NOON)) for n, c in enumerate(classes)}

    def _class_appetite(self) -> float:
        # Some classes read far more than others: a keen homeroom teacher makes the difference.
        return min(2.2, max(0.3, self.rng.lognormvariate(0, 0.45)))

    # --------------------------------------------------------------- the term, day by day

    def run(self) -> None:
        items = self._items()
        students, staff = self._readers(items)
        reference = [i[0] for i in items.get(Item.ItemType.REFERENCE, [])]
        by_weekday: dict[int, list[_Reader]] = defaultdict(list)
        for reader in students:
            if reader.slot is not None:
                by_weekday[reader.slot[0]].append(reader)
        corner_day = self.calendar.next_open_day(self.first + timedelta(days=7))
        for day in self._open_days():
            season = self._season(day)
            self._returns_until(self._at(day, clock(16, 30)), day)
            if day == corner_day:
                self._corners(day, students)
            for reader in by_weekday[day.weekday()]:
                self._student_turn(reader, day, season)
            for reader in staff:
                if self.rng.random() < 0.035 * season * reader.appetite:
                    self._teacher_visit(reader, day)
            self._in_room(day, by_weekday[day.weekday()] + staff, reference, season)
            self._room_visits(day, staff)

    def _room_visits(self, day: date, staff: list[_Reader]) -> None:
        """Teachers come into the reading room about once a week (the 规程's 记载)."""
        for reader in staff:
            if reader.patron.type == Patron.Type.TEACHER and self.visit_rng.random() < 0.22:
                at = self._at(day, clock(8, 10), self.visit_rng.randint(0, 460))
                self.visits.append(
                    ReadingRoomVisit(
                        patron=reader.patron,
                        patron_type=Patron.Type.TEACHER,
                        visited_on=day,
                        visited_at=at,
                        recorded_by=self.librarian,
                        via="desk",
                    )
                )

    def _open_days(self) -> Iterator[date]:
        day = self.first
        # Today's lending has not happened yet when the demo is loaded.
        while day < self.today and day <= self.last:
            if self.calendar.is_open(day):
                yield day
            day += timedelta(days=1)

    def _season(self, day: date) -> float:
        """Busy after the start of term and before a holiday; quiet in exam weeks."""
        week = (day - self.first).days // 7
        if day > self.last - timedelta(days=14) or week == 9:  # 期末考试, 期中考试
            return 0.3
        if week < 3:
            return 1.5 - 0.15 * week
        ahead = [day + timedelta(days=n) for n in range(1, 8)]
        if sum(1 for d in ahead if d in self.calendar.closed) >= 3:
            return 1.4
        return 1.0

    def _at(self, day: date, when: clock, minutes: int = 0) -> datetime:
        # In the school's zone, so that at.date() is the local day, as the desk records it.
        return datetime.combine(day, when, tzinfo=self.zone) + timedelta(minutes=minutes)

    def _returns_until(self, moment: datetime, day: date) -> None:
        while self.returns and self.returns[0].at <= moment:
            back = heapq.heappop(self.returns)
            loan = back.loan
            loan.back = back.at
            self.out.discard(loan.item_id)
            self.free_at[loan.item_id] = back.at
            if loan.reader is not None and loan.kind == Loan.Kind.REGULAR:
                loan.reader.open -= 1

    def _pick(self, pool: list[int], at: datetime) -> int | None:
        for _ in range(10):  # a few tries at a copy that is on the shelf
            item = self.rng.choice(pool)
            if item not in self.out and self.free_at.get(item, at) <= at:
                return item
        return None

    def _student_turn(self, reader: _Reader, day: date, season: float) -> None:
        assert reader.slot is not None
        _weekday, starts, ends = reader.slot
        length = max(
            1, int((datetime.combine(day, ends) - datetime.combine(day, starts)).seconds / 60)
        )
        wanted = 0
        if self.rng.random() < min(0.95, 0.5 * season * reader.appetite):
            wanted = 2 if self.rng.random() < 0.3 else 1
        for _ in range(min(wanted, 2 - reader.open)):
            at = self._at(day, starts, self.rng.randint(3, max(3, length - 2)))
            self._lend(reader, at, student=True)

    def _teacher_visit(self, reader: _Reader, day: date) -> None:
        at = self._at(day, clock(8, 10), self.rng.choice([0, 60, 120, 320, 400, 440]))
        for _ in range(self.rng.choice([1, 1, 2, 3])):
            if reader.open < 10:
                self._lend(reader, at, student=False)

    def _lend(self, reader: _Reader, at: datetime, *, student: bool) -> None:
        item = self._pick(reader.pool, at)
        if item is None:
            return
        item_type, location = self.item_info[item]
        rule = self._rule(reader.patron.category, item_type, location)
        if rule is None or rule.max_loans == 0 or rule.room_only:
            return
        day = at.date()
        due = rules.due_on(day, rule, self.calendar, student=student)
        loan = _Loan(item, reader, reader.patron.school_class, Loan.Kind.REGULAR, at, due, rule)
        self.loans.append(loan)
        self.out.add(item)
        reader.open += 1
        back = self._return_time(loan, reader, student=student)
        if back is not None:
            heapq.heappush(self.returns, _Return(back, loan))

    def _return_time(self, loan: _Loan, reader: _Reader, *, student: bool) -> datetime | None:
        """Pupils bring books back at a later turn of their class: most at the next or the
        one after, some late, a few much later; teachers when they are done. None: still out."""
        day = loan.out.date()
        if student:
            roll = self.rng.random()
            weeks = 1 if roll < 0.5 else 2 if roll < 0.85 else self.rng.randint(3, 7)
            back = day + timedelta(days=7 * weeks)
            while not self.calendar.is_open(back) and back <= self.last:
                back += timedelta(days=7)  # the class's turn fell on a holiday: the next one
            assert reader.slot is not None
            moment = self._at(back, reader.slot[1], self.rng.randint(0, 2))
        else:
            back = self.calendar.next_open_day(day + timedelta(days=self.rng.randint(10, 75)))
            moment = self._at(back, clock(8, 5), self.rng.randint(0, 470))
        return moment if back < self.today else None

    def _in_room(
        self, day: date, readers: list[_Reader], reference: list[int], season: float
    ) -> None:
        """工具书 read in the reading room at noon and back the same day."""
        if not reference or not readers:
            return
        for _ in range(self.rng.randint(0, round(4 * season))):
            reader = self.rng.choice(readers)
            at = self._at(day, clock(11, 35), self.rng.randint(0, 40))
            item = self._pick(reference, at)
            if item is None:
                continue
            rule = self._rule(reader.patron.category, *self.item_info[item])
            if rule is None or rule.max_loans == 0:
                continue
            school_class = reader.patron.school_class
            loan = _Loan(item, reader, school_class, Loan.Kind.IN_ROOM, at, day, rule)
            loan.back = at + timedelta(minutes=self.rng.randint(15, 45))
            self.loans.append(loan)
            self.free_at[item] = loan.back + timedelta(days=1)  # one reader a day per copy

    def _corners(self, day: date, students: list[_Reader]) -> None:
        """A batch of books for the book corners (班级图书角) of a few classes, for the term."""
        classes: dict[int, _Reader] = {}
        for reader in students:
            classes.setdefault(reader.patron.school_class_id or 0, reader)
        chosen = self.rng.sample(sorted(classes), min(CORNER_CLASSES, len(classes)))
        due = self.calendar.previous_open_day(self.last, not_before=day)
        for n, class_id in enumerate(chosen):
            reader = classes[class_id]
            at = self._at(day, clock(15, 0), 10 * n)
            for _ in range(self.rng.randint(12, 20)):
                item = self._pick(reader.pool, at)
                if item is not None:
                    corner = _Loan(
                        item,
                        None,
                        reader.patron.school_class,
                        Loan.Kind.CLASS_CORNER,
                        at,
                        due,
                        None,
                    )
                    self.loans.append(corner)
                    self.out.add(item)

    # --------------------------------------------------------------- the end of the story

    def _lose(self) -> None:
        """A few books are lost: top-grade pupils still owe for theirs (the rollover's 离校清还
        list has money on it), two others have paid."""
        pupils = [
            lo
            for lo in self.loans
            if lo.is_open and lo.kind == Loan.Kind.REGULAR and lo.reader and lo.reader.slot
        ]
        grade = {id(lo): lo.reader.patron.grade or 0 for lo in pupils if lo.reader}
        top = max(grade.values(), default=0)
        seniors = [lo for lo in pupils if grade[id(lo)] == top]
        others = [lo for lo in pupils if grade[id(lo)] != top]
        unpaid = self.rng.sample(seniors, min(LOST_UNPAID, len(seniors)))
        paid = self.rng.sample(others, min(LOST_PAID, len(others)))
        for loan in unpaid + paid:
            # Reported lost on a recent open day (never before the book went out).
            day = self.calendar.previous_open_day(
                self.today - timedelta(days=1), not_before=loan.out.date()
            )
            loan.lost = True
            loan.back = max(self._at(day, clock(16, 0)), loan.out + timedelta(minutes=5))
        self.paid = {id(loan) for loan in paid}

    def write(self) -> HistoryReport:
        self._lose()
        writer = _Writer()
        for loan in self.loans:
            loan.pk = writer.next_loan_id()
        writer.loans([self._row(loan) for loan in self.loans])
        self._loan_events(writer)
        self._write_fines(writer)
        self._write_holds(writer)
        writer.finish()
        self._item_statuses()
        ReadingRoomVisit.objects.bulk_create(self.visits, batch_size=1000)
        return HistoryReport(
            loans=len(self.loans),
            open_loans=sum(1 for loan in self.loans if loan.is_open),
            overdue=sum(1 for loan in self.loans if loan.is_open and loan.due < self.today),
            in_room=sum(1 for loan in self.loans if loan.kind == Loan.Kind.IN_ROOM),
            corner=sum(1 for loan in self.loans if loan.kind == Loan.Kind.CLASS_CORNER),
            lost=sum(1 for loan in self.loans if loan.lost),
            holds=len(self.holds),
            events=writer.event_count,
            teacher_visits=len(self.visits),
            first_day=self.first,
        )

    def _by(self, loan: _Loan) -> int | None:
        # Pupils are served at noon by the student assistants; the rest by the librarian.
        noon = loan.kind == Loan.Kind.REGULAR and loan.reader is not None and loan.reader.slot
        user = (self.assistant or self.librarian) if noon else self.librarian
        return user.pk if user else None

    def _row(self, loan: _Loan) -> dict[str, Any]:
        patron = loan.reader.patron if loan.reader else None
        corner = loan.kind == Loan.Kind.CLASS_CORNER
        by = self._by(loan)
        return {
            "id": loan.pk,
            "item_id": loan.item_id,
            "patron_id": patron.pk if patron else None,
            "school_class_id": loan.school_class.pk if loan.school_class else None,
            "patron_type": "class" if corner else str(patron.type if patron else ""),
            "patron_category": "class_corner" if corner else (patron.category if patron else ""),
            "kind": str(loan.kind),
            "checked_out_at": loan.out,
            "checked_out_on": loan.out.date(),
            "due_on": loan.due,
            "returned_at": loan.back,
            "renewals": 0,
            "checked_out_by_id": by,
            "checked_in_by_id": by if loan.back and not loan.lost else None,
            "via": "desk",
            "rule_id": loan.rule.pk if loan.rule else None,
        }

    def _loan_events(self, writer: _Writer) -> None:
        texts: dict[int, str] = {}
        for loan in self.loans:
            corner = loan.kind == Loan.Kind.CLASS_CORNER
            patron = loan.reader.patron.pk if loan.reader else None
            detail: dict[str, Any] = {}
            if corner and loan.school_class:
                detail = {"class": loan.school_class.pk}
            if loan.rule is not None:
                if loan.rule.pk not in texts:
                    texts[loan.rule.pk] = rules.describe(loan.rule)
                detail = {"rule": loan.rule.pk, "rule_text": texts[loan.rule.pk]}
            by = self._by(loan)
            action = Action.CORNER_OUT if corner else Action.CHECKOUT
            writer.event(action, loan.out, by, loan.item_id, patron, loan.pk, detail)
            if loan.back is not None and not loan.lost:
                late = {"overdue_days": rules.overdue_days(loan.due, loan.back.date())}
                action = Action.CORNER_IN if corner else Action.CHECKIN
                writer.event(action, loan.back, by, loan.item_id, patron, loan.pk, late)

    def _write_fines(self, writer: _Writer) -> None:
        lost = [lo for lo in self.loans if lo.lost and lo.back is not None and lo.reader]
        prices = dict(
            Item.objects.filter(pk__in=[lo.item_id for lo in lost]).values_list("pk", "price")
        )
        by = self.librarian.pk if self.librarian else None
        for loan in lost:
            assert loan.back is not None and loan.reader is not None
            item_type = self.item_info[loan.item_id][0]
            amount = rules.compensation(prices.get(loan.item_id), item_type, self.snap.rates)
            paid = id(loan) in self.paid
            fine = Fine.objects.create(
                patron=loan.reader.patron,
                loan_id=loan.pk,
                item_id=loan.item_id,
                reason=Fine.Reason.LOST,
                amount=amount,
                paid=amount if paid else 0,
                status=Fine.Status.PAID if paid else Fine.Status.OPEN,
                created_at=loan.back,
                settled_at=loan.back + timedelta(days=1) if paid else None,
                notes="演示：书丢失，照价赔偿",
            )
            who = (loan.item_id, loan.reader.patron.pk, loan.pk)
            writer.event(Action.LOST, loan.back, by, *who, {"note": ""})
            charge = {"fine": fine.pk, "amount": str(amount), "reason": fine.reason}
            writer.event(Action.COMPENSATION, loan.back, by, *who, charge)
            if fine.settled_at is not None:
                settled = {"fine": fine.pk, "amount": str(amount), "note": ""}
                writer.event(Action.PAID, fine.settled_at, by, *who, settled)

    def _write_holds(self, writer: _Writer) -> None:
        """Titles waited for: some whose every copy is out, some kept on the hold shelf."""
        item_ids = {lo.item_id for lo in self.loans}
        records = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "record_id"))
        copies = dict(
            Item.objects.filter(record_id__in=set(records.values()))
            .values("record_id")
            .annotate(n=Count("id"))
            .values_list("record_id", "n")
        )
        out_by_record: dict[int, list[_Loan]] = defaultdict(list)
        for loan in self.loans:
            if loan.is_open and loan.kind == Loan.Kind.REGULAR:
                out_by_record[records[loan.item_id]].append(loan)
        readers = sorted(
            {
                id(lo.reader): lo.reader for lo in self.loans if lo.reader and lo.reader.slot
            }.values(),
            key=lambda r: r.patron.pk,
        )
        if readers:
            self._waiting_holds(out_by_record, copies, readers, writer)
            self._ready_holds(records, readers, writer)

    def _hold_event(self, writer: _Writer, action: str, at: datetime, hold: Hold) -> None:
        by = self.assistant or self.librarian
        detail = {"record": hold.record_id} if action == Action.HOLD_PLACED else {}
        item = hold.item_id if action == Action.HOLD_READY else None
        writer.event(
            action, at, by.pk if by else None, item, hold.patron_id, None, detail, hold=hold.pk
        )

    def _waiting_holds(
        self,
        out_by_record: dict[int, list[_Loan]],
        copies: dict[int, int],
        readers: list[_Reader],
        writer: _Writer,
    ) -> None:
        every_copy_out = sorted(r for r, out in out_by_record.items() if len(out) == copies[r])
        for record in self.rng.sample(every_copy_out, len(every_copy_out)):
            if len(self.holds) >= HOLDS_WAITING:
                break
            reader = self.rng.choice(readers)
            if any(lo.reader is reader for lo in out_by_record[record]):
                continue
            at = self._at(self._recent_day(3), clock(12, 10))
            hold = Hold.objects.create(record_id=record, patron=reader.patron, placed_at=at)
            self._hold_event(writer, Action.HOLD_PLACED, at, hold)
            self.holds.append(hold)

    def _ready_holds(
        self, records: dict[int, int], readers: list[_Reader], writer: _Writer
    ) -> None:
        """Copies returned in the last days and kept for the reader who asked for them."""
        last: dict[int, _Loan] = {}
        for loan in self.loans:
            if loan.kind == Loan.Kind.REGULAR:
                last[loan.item_id] = loan  # loans are in time order
        since = self._at(self._recent_day(4), clock(0, 0))
        recent = sorted(
            (lo for lo in last.values() if lo.back and not lo.lost and lo.back >= since),
            key=lambda lo: lo.pk,
        )
        taken = {h.record_id for h in self.holds}
        readied = 0
        for loan in self.rng.sample(recent, len(recent)):
            record = records[loan.item_id]
            reader = self.rng.choice(readers)
            if readied >= HOLDS_READY or loan.back is None:
                break
            if record in taken or reader is loan.reader or self._has_title(reader, record, records):
                continue
            hold = Hold.objects.create(
                record_id=record,
                patron=reader.patron,
                item_id=loan.item_id,
                status=Hold.Status.READY,
                placed_at=loan.back - timedelta(days=5),
                ready_at=loan.back,
                expires_on=self.calendar.next_open_day(
                    loan.back.date() + timedelta(days=self.snap.policy.hold_expiry_days)
                ),
            )
            self._hold_event(writer, Action.HOLD_PLACED, hold.placed_at, hold)
            self._hold_event(writer, Action.HOLD_READY, loan.back, hold)
            self.holds.append(hold)
            taken.add(record)
            readied += 1

    def _has_title(self, reader: _Reader, record: int, records: dict[int, int]) -> bool:
        return any(
            lo.is_open and lo.reader is reader and records.get(lo.item_id) == record
            for lo in self.loans
        )

    def _recent_day(self, back: int) -> date:
        return self.calendar.previous_open_day(
            self.today - timedelta(days=back), not_before=self.first
        )

    def _item_statuses(self) -> None:
        on_loan = sorted({lo.item_id for lo in self.loans if lo.is_open})
        lost = sorted({lo.item_id for lo in self.loans if lo.lost})
        for status, ids in ((Item.Status.ON_LOAN, on_loan), (Item.Status.LOST, lost)):
            for start in range(0, len(ids), 500):
                Item.objects.filter(pk__in=ids[start : start + 500]).update(status=status)


class _Writer:
    """Loans and events straight into their tables, ids handed out here (as catalog.demo
    does for records): the ORM's bulk_create spends most of the demo's time preparing rows."""

    def __init__(self) -> None:
        if connection.vendor == "postgresql":
            tables = ", ".join(
                connection.ops.quote_name(m._meta.db_table) for m in (Loan, CirculationEvent)
            )
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        self.loan_id = Loan.objects.aggregate(n=Max("id"))["n"] or 0
        self.event_id = CirculationEvent.objects.aggregate(n=Max("id"))["n"] or 0
        self.events: list[dict[str, Any]] = []
        self.event_count = 0

    def next_loan_id(self) -> int:
        self.loan_id += 1
        return self.loan_id

    def loans(self, rows: list[dict[str, Any]]) -> None:
        table = Table(Loan)
        for start in range(0, len(rows), BATCH):
            table.write(rows[start : start + BATCH])

    def event(
        self,
        action: str,
        at: datetime,
        by: int | None,
        item: int | None,
        patron: int | None,
        loan: int | None,
        detail: dict[str, Any],
        *,
        hold: int | None = None,
    ) -> None:
        self.event_id += 1
        self.events.append(
            {
                "id": self.event_id,
                "at": at,
                "action": str(action),
                "by_id": by,
                "via": "desk",
                "station": "",
                "item_id": item,
                "patron_id": patron,
                "loan_id": loan,
                "hold_id": hold,
                "detail": detail,
            }
        )

    def finish(self) -> None:
        table = Table(CirculationEvent)
        for start in range(0, len(self.events), BATCH):
            table.write(self.events[start : start + BATCH])
        self.event_count = len(self.events)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Loan, CirculationEvent]):
                cursor.execute(sql)


def _analyze() -> None:
    # Thousands of new loans and events: let the planner know before the first report.
    with connection.cursor() as cursor:
        for model in (Loan, CirculationEvent, Fine, Hold):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
