"""The term figures on a small hand-made school whose answers were counted by hand.

The period is 2026-09-01 – 2027-01-15. Who counts (docs/reports.md):

| pupil | class | status | loans in the period | counted? |
|---|---|---|---|---|
| s1 | 三(1) | active | 3 regular (one still out, overdue) | yes |
| s2 | 三(1) | active | 1 regular, renewed twice | yes |
| s3 | 三(1) | card lost | — | yes (no usable card) |
| s4 | 三(2) | active, joined 2026-11-02 | 2 regular (one back after the end: overdue then) | yes |
| s5 | 三(2) | active | 1 reading-room use only | yes |
| s6 | 四(1) | active, card issued 2027-01-20 | — (one loan after the end) | yes (no card yet) |
| s7 | 六(1), graduated 2026-10-15 | graduated | — | yes (graduated mid-period) |
| s8 | 三(2) | left | 1 regular | yes (borrowed, so was there) |
| s9 | 三(2) | left | one loan in June only | no |
| s10 | 四(1) | active, created 2027-02-01 | — | no (joined after the end) |
| s11 | 五(1), graduated 2026-07-01 | graduated | — | no |

So: students 8; student loans 7 by 4 pupils → 0.875 per pupil, coverage 0.5; usable cards
6 of 8 → 0.75. Teachers: t1 (2 loans, 1 reading-room use), t2 (none), t3 (left, none) →
teachers 2, 1.0 per teacher, coverage 0.5. 三(2)'s corner got 3 copies. Reading-room uses 2.
Renewals 2. Items: 10 copies, one withdrawn (before the date was kept: no date), one received
after the end → 8 held; loans out of the library 7 + 2 + 3 = 12 → circulation rate 1.5.
Received in the period: 4, one donated; none withdrawn in it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import time_machine
from django.test import TestCase
from django.utils import timezone

from shuxiang.catalog.models import ClcClass, Item, Location, Record
from shuxiang.circulation.models import Loan, Term
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports import figures, periods

PERIOD_START = date(2026, 9, 1)
PERIOD_END = date(2027, 1, 15)
LONG_AGO = date(2026, 3, 1)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


class HandMadeSchool(TestCase):
    """The school of the module docstring; no tests of its own (the command tests reuse it)."""

    classes: dict[str, SchoolClass]
    pupils: dict[str, Patron]
    teachers: dict[str, Patron]
    items: dict[str, Item]
    records: dict[str, Record]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.classes = {
            "3-1": SchoolClass.objects.create(grade=3, number=1),
            "3-2": SchoolClass.objects.create(grade=3, number=2),
            "4-1": SchoolClass.objects.create(grade=4, number=1),
            "6-1": SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2026, 10, 15)),
            "5-1": SchoolClass.objects.create(grade=5, number=1, graduated_on=date(2026, 7, 1)),
        }
        cls.pupils = {}
        for name, klass, status, created, card in [
            ("s1", "3-1", "active", LONG_AGO, None),
            ("s2", "3-1", "active", LONG_AGO, None),
            ("s3", "3-1", "card_lost", LONG_AGO, None),
            ("s4", "3-2", "active", date(2026, 11, 2), None),
            ("s5", "3-2", "active", LONG_AGO, None),
            ("s6", "4-1", "active", LONG_AGO, date(2027, 1, 20)),
            ("s7", "6-1", "graduated", LONG_AGO, None),
            ("s8", "3-2", "left", LONG_AGO, None),
            ("s9", "3-2", "left", LONG_AGO, None),
            ("s10", "4-1", "active", date(2027, 2, 1), None),
            ("s11", "5-1", "graduated", LONG_AGO, None),
        ]:
            cls.pupils[name] = Patron.objects.create(
                card_number=f"C-{name}",
                name=f"学生{name}",
                type=Patron.Type.STUDENT,
                school_class=cls.classes[klass],
                status=status,
                created_at=at(created),
                card_issued_on=card,
            )
        cls.teachers = {
            name: Patron.objects.create(
                card_number=f"C-{name}",
                name=f"老师{name}",
                type=Patron.Type.TEACHER,
                status=status,
                created_at=at(LONG_AGO),
            )
            for name, status in [("t1", "active"), ("t2", "active"), ("t3", "left")]
        }
        cls._collection()
        cls._loans()

    @classmethod
    def _collection(cls) -> None:
        stacks = Location.objects.create(code="S", name="书库")
        cls.records = {
            "r1": Record.objects.create(title="西游记", class_number="I242.4"),
            "r2": Record.objects.create(title="十万个为什么", class_number="Z228.1"),
            "r3": Record.objects.create(title="昆虫记", class_number="Q96"),
        }
        cls.items = {}
        copies: list[tuple[str, str, date | None, dict[str, Any]]] = [
            ("A1", "r1", LONG_AGO, {}),
            ("A2", "r1", LONG_AGO, {}),
            ("A3", "r1", LONG_AGO, {}),
            ("A4", "r1", date(2026, 9, 5), {"source": Item.Source.DONATION}),
            ("B1", "r2", date(2026, 9, 5), {}),
            ("B2", "r2", date(2026, 9, 5), {}),
            ("B3", "r2", LONG_AGO, {"status": Item.Status.WITHDRAWN}),
            ("C1", "r3", date(2026, 9, 5), {}),
            ("C2", "r3", date(2027, 1, 20), {}),
            ("C3", "r3", None, {"created_at": at(LONG_AGO)}),
        ]
        for barcode, record, received, extra in copies:
            cls.items[barcode] = Item.objects.create(
                record=cls.records[record],
                barcode=barcode,
                accession_number=barcode,
                location=stacks,
                received_on=received,
                **extra,
            )

    @classmethod
    def _loans(cls) -> None:
        p, t = cls.pupils, cls.teachers
        regular, in_room, corner = Loan.Kind.REGULAR, Loan.Kind.IN_ROOM, Loan.Kind.CLASS_CORNER
        d = date
        rows: list[tuple[Patron | None, str, date, str, date | None, int, date | None]] = [
            # patron, item, checked out, kind, returned, renewals, due (default: +14 days)
            (p["s1"], "A1", d(2026, 9, 3), regular, d(2026, 9, 10), 0, None),
            (p["s1"], "A2", d(2026, 10, 8), regular, d(2026, 10, 20), 0, None),
            (p["s1"], "A3", d(2026, 12, 1), regular, None, 0, d(2026, 12, 31)),
            (p["s2"], "B1", d(2026, 9, 15), regular, d(2026, 10, 5), 2, d(2026, 10, 1)),
            (p["s4"], "A1", d(2026, 11, 10), regular, d(2026, 11, 20), 0, None),
            (p["s4"], "B2", d(2026, 12, 10), regular, d(2027, 1, 20), 0, d(2027, 1, 5)),
            (p["s8"], "C1", d(2026, 9, 20), regular, d(2026, 9, 30), 0, None),
            (t["t1"], "A2", d(2026, 11, 1), regular, d(2026, 11, 15), 0, None),
            (t["t1"], "B1", d(2026, 11, 1), regular, d(2026, 11, 15), 0, None),
            (p["s5"], "A4", d(2026, 10, 10), in_room, d(2026, 10, 10), 0, None),
            (t["t1"], "C3", d(2026, 10, 11), in_room, d(2026, 10, 11), 0, None),
            (None, "A4", d(2026, 11, 5), corner, None, 0, d(2027, 1, 15)),
            (None, "C1", d(2026, 11, 5), corner, d(2027, 1, 10), 0, d(2027, 1, 15)),
            (None, "C3", d(2026, 11, 5), corner, d(2027, 1, 10), 0, d(2027, 1, 15)),
            # outside the period
            (p["s1"], "A2", d(2026, 8, 20), regular, d(2026, 8, 25), 0, None),
            (p["s6"], "A1", d(2027, 1, 20), regular, None, 0, None),
            (p["s9"], "B2", d(2026, 6, 1), regular, d(2026, 6, 10), 0, None),
        ]
        for patron, barcode, out, kind, back, renewals, due in rows:
            cls._loan(patron, barcode, out, kind, back, renewals, due)

    @classmethod
    def _loan(
        cls,
        patron: Patron | None,
        barcode: str,
        out: date,
        kind: str,
        back: date | None,
        renewals: int,
        due: date | None,
    ) -> Loan:
        # The snapshots as circulation.services sets them: a corner loan has no patron,
        # the class, patron_type "class".
        corner = kind == Loan.Kind.CLASS_CORNER
        school_class = patron.school_class if patron is not None else None
        return Loan.objects.create(
            item=cls.items[barcode],
            patron=patron,
            school_class=cls.classes["3-2"] if corner else school_class,
            patron_type="class" if corner or patron is None else patron.type,
            patron_category="class_corner" if corner or patron is None else patron.category,
            kind=kind,
            checked_out_at=at(out),
            checked_out_on=out,
            due_on=due or out + timedelta(days=14),
            returned_at=at(back) if back else None,
            renewals=renewals,
        )

    def figures(self) -> figures.TermFigures:
        return figures.term_figures(periods.between(PERIOD_START, PERIOD_END), top=2)


# The period ended before "today", so "at the end of the period" is its last day.
@time_machine.travel(datetime(2027, 2, 10, 2, tzinfo=UTC), tick=False)
class TermFiguresTest(HandMadeSchool):
    def test_it_counts_pupils_on_the_roll_for_any_part_of_the_period(self) -> None:
        counted = figures.enrolled(periods.between(PERIOD_START, PERIOD_END), "student")
        self.assertEqual(
            sorted(counted.values_list("card_number", flat=True)),
            sorted(f"C-s{i}" for i in range(1, 9)),
        )
        self.assertEqual(self.figures().students, 8)

    def test_it_counts_regular_student_loans_only_and_divides_by_the_pupils(self) -> None:
        result = self.figures()
        self.assertEqual(result.student_loans, 7)
        self.assertEqual(result.student_borrowers, 4)
        self.assertEqual(result.loans_per_student, 0.875)
        self.assertEqual(result.coverage, 0.5)

    def test_it_counts_usable_cards_issued_by_the_end(self) -> None:
        self.assertEqual(self.figures().card_issue_rate, 0.75)

    def test_it_reports_teachers_apart(self) -> None:
        result = self.figures()
        self.assertEqual(
            (result.teachers, result.teacher_loans, result.teacher_borrowers), (2, 2, 1)
        )
        self.assertEqual(result.loans_per_teacher, 1.0)
        self.assertEqual(result.teacher_coverage, 0.5)
        self.assertEqual(result.other_loans, 0)

    def test_it_keeps_renewals_corners_and_reading_room_uses_apart(self) -> None:
        result = self.figures()
        self.assertEqual(result.renewals, 2)
        self.assertEqual(result.class_corner_loans, 3)
        self.assertEqual(result.reading_room_uses, 2)
        self.assertEqual(result.teacher_reading_room_uses, 1)

    def test_it_divides_loans_by_the_items_held_at_the_end(self) -> None:
        result = self.figures()
        self.assertEqual(result.items_held, 8)
        self.assertEqual(result.circulation_rate, 1.5)
        self.assertEqual((result.new_items, result.donations, result.withdrawn), (4, 1, 0))

    def test_it_counts_the_copies_withdrawn_in_the_period_and_holds_those_withdrawn_later(
        self,
    ) -> None:
        for barcode, day in [("W1", date(2026, 6, 1)), ("W2", date(2026, 10, 1))]:
            self._withdrawn_copy(barcode, day)
        self._withdrawn_copy("W3", date(2027, 1, 20))
        result = self.figures()
        # At 15 January: the school's 8, and W3 (withdrawn on 20 January); not W1 (June),
        # W2 (October), nor B3 (no date: gone). Withdrawn in the period: W2. 12 loans ÷ 9.
        self.assertEqual((result.items_held, result.withdrawn), (9, 1))
        self.assertEqual(result.circulation_rate, 1.3333)
        previous = figures.term_figures(periods.between(PERIOD_START, PERIOD_END).previous())
        # At 31 August (2026-04-17 – 08-31): A1–A3, C3, and W2 and W3 still on the books;
        # W1 withdrawn in June.
        self.assertEqual((previous.items_held, previous.withdrawn), (6, 1))
        changes = {c.figure: c for c in figures.compare(result, previous)}
        self.assertEqual((changes["withdrawn"].current, changes["withdrawn"].previous), (1, 1))

    def _withdrawn_copy(self, barcode: str, day: date) -> Item:
        return Item.objects.create(
            record=self.records["r1"],
            barcode=barcode,
            accession_number=barcode,
            location=self.items["A1"].location,
            received_on=LONG_AGO,
            status=Item.Status.WITHDRAWN,
            withdrawn_on=day,
            withdrawal_reason=Item.WithdrawalReason.WORN,
        )

    def test_it_lists_every_class_with_its_pupils_loans_and_overdue_books(self) -> None:
        rows = {
            c.label: (c.students, c.loans, c.borrowers, c.loans_per_student, c.coverage, c.overdue)
            for c in self.figures().classes
        }
        self.assertEqual(
            rows,
            {
                "三年级(1)班": (3, 4, 2, 1.3333, 0.6667, 1),
                "三年级(2)班": (3, 3, 2, 1.0, 0.6667, 1),
                "四年级(1)班": (1, 0, 0, 0.0, 0.0, 0),
                "六年级(1)班（2026届）": (1, 0, 0, 0.0, 0.0, 0),
            },
        )

    def test_it_ranks_classes_and_measures_the_gap(self) -> None:
        result = self.figures()
        self.assertEqual([c.label for c in result.top_classes], ["三年级(1)班", "三年级(2)班"])
        self.assertEqual(result.class_gap, 1.3333)

    def test_it_names_the_reading_stars_of_each_grade(self) -> None:
        stars = [(s.grade, s.name, s.class_label, s.loans) for s in self.figures().reading_stars]
        self.assertEqual(stars, [(3, "学生s1", "三年级(1)班", 3), (3, "学生s4", "三年级(2)班", 2)])

    def test_it_ranks_titles_and_main_classes(self) -> None:
        result = self.figures()
        self.assertEqual(
            [(t.title, t.loans) for t in result.popular_titles],
            [("西游记", 5), ("十万个为什么", 3)],
        )
        self.assertEqual(
            [(m.code, m.name, m.loans) for m in result.loans_by_main_class],
            [("I", "文学", 5), ("Q", "生物科学", 1), ("Z", "综合性图书", 3)],
        )

    def test_it_takes_the_main_class_name_from_the_loaded_table(self) -> None:
        ClcClass.objects.create(code="Z", name="综合性图书（本馆）")
        names = {m.code: m.name for m in self.figures().loans_by_main_class}
        self.assertEqual(names["Z"], "综合性图书（本馆）")

    def test_it_compares_with_the_previous_period(self) -> None:
        current = self.figures()
        previous = figures.term_figures(periods.between(PERIOD_START, PERIOD_END).previous())
        changes = {c.figure: c for c in figures.compare(current, previous)}
        # The 137 days before (2026-04-17 – 08-31): s1's loan of 20 August and s9's of
        # 1 June; on the roll s1, s2, s3, s5, s6, s7 and s11 (their classes graduated after
        # 17 April) and s9 (borrowed); s8 left without borrowing, s4 had not joined.
        self.assertEqual((previous.students, previous.student_loans), (8, 2))
        self.assertEqual(changes["student_loans"].change, 5)
        self.assertEqual(changes["student_loans"].relative, 2.5)
        self.assertIsNone(changes["reading_room_uses"].relative)

    def test_it_counts_a_month_through_the_date_index_as_well(self) -> None:
        # November: s4's loan, t1's two, three copies to the corner; s7's class graduated in
        # October and s8 (left) did not borrow in November, so six pupils.
        result = figures.term_figures(periods.month_of(date(2026, 11, 5)))
        self.assertEqual((result.students, result.student_loans, result.teacher_loans), (6, 1, 2))
        self.assertEqual((result.class_corner_loans, result.coverage), (3, 0.1667))

    def test_it_counts_the_calendar_term_of_a_day(self) -> None:
        Term.objects.create(
            name="2026—2027学年第一学期", starts_on=PERIOD_START, ends_on=PERIOD_END
        )
        result = figures.term_figures(periods.term_of(date(2026, 11, 20)))
        self.assertEqual((result.students, result.student_loans), (8, 7))


@time_machine.travel(datetime(2026, 12, 5, 2, tzinfo=UTC), tick=False)
class RunningPeriodTest(HandMadeSchool):
    def test_it_counts_overdue_books_as_of_today_while_the_period_runs(self) -> None:
        # On 5 December s1's book (due 31 December) is not late yet.
        overdue = {c.label: c.overdue for c in self.figures().classes}
        self.assertEqual(overdue["三年级(1)班"], 0)
