"""Plan goals against a small hand-made school whose progress was counted by hand.

The term runs Monday 2026-09-07 to Friday 2026-11-27 (12 weeks), the library opens Monday to
Friday and is shut the whole week of 5 October (国庆): 55 school days. Today is Wednesday
2026-10-21: 28 school days have gone (20 in September, 5 in the week of 12 October, 3 this
week), a share of 28/55. The school weeks over are those of 7, 14, 21 and 28 September and
12 October: 5 (the closed week is no school week; this week is still running).

| pupil | class | regular loans (the week's Monday) |
|---|---|---|
| a1 | 三年级(1)班 | 9-07, 9-14, 9-21, 9-28, 10-12 (5) |
| a2 | 三年级(1)班 | 10-19 (1, this week) |
| b1 | 三年级(2)班 | 9-07, 9-14, 9-28, 10-12 (4); the class corner borrowed in the week of 9-21 |
| c1 | 四年级(1)班 | 9-07, 9-14, 9-28, 10-12 (4); only a reading-room use in the week of 9-21 |

So 14 pupil loans for 4 pupils: 3.5 per pupil; all 4 borrowed: coverage 100 %. 三(1) and
三(2) borrowed every school week, 四(1) missed one: 2 of 3 classes, 66.7 %. Teachers t1 and
t2; t1 borrowed once: 0.5 per teacher, coverage 50 %. Reading-room visits in the weeks over:
t1 6, t2 2 (and t2 once this week, not counted yet): 8 / 2 teachers / 5 weeks = 0.8 a week;
t2 (0.4) is below 1. Five copies held, two received on 2026-09-10.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import time_machine
from django.test import TestCase
from django.utils import timezone

from shuxiang.catalog.models import Item, Location, Record
from shuxiang.circulation.models import ClosedDay, Loan, OpeningHours, ReadingRoomVisit, Term
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports import figures, goals
from shuxiang.reports.models import PlanGoal
from shuxiang.reports.periods import term_of

M = PlanGoal.Measure
TODAY = date(2026, 10, 21)
LONG_AGO = date(2026, 3, 1)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class GoalSchool(TestCase):
    classes: dict[str, SchoolClass]
    pupils: dict[str, Patron]
    teachers: dict[str, Patron]
    items: list[Item]

    @classmethod
    def setUpTestData(cls) -> None:
        Term.objects.create(
            name="2026秋季学期", starts_on=date(2026, 9, 7), ends_on=date(2026, 11, 27)
        )
        for weekday in range(5):
            OpeningHours.objects.create(weekday=weekday, opens=time(8), closes=time(17))
        for n in range(5):
            ClosedDay.objects.create(date=date(2026, 10, 5) + timedelta(days=n), reason="国庆")
        cls.classes = {
            "3-1": SchoolClass.objects.create(grade=3, number=1),
            "3-2": SchoolClass.objects.create(grade=3, number=2),
            "4-1": SchoolClass.objects.create(grade=4, number=1),
        }
        cls.pupils = {
            name: Patron.objects.create(
                card_number=f"C-{name}",
                name=f"学生{name}",
                type=Patron.Type.STUDENT,
                school_class=cls.classes[klass],
                created_at=at(LONG_AGO),
            )
            for name, klass in [("a1", "3-1"), ("a2", "3-1"), ("b1", "3-2"), ("c1", "4-1")]
        }
        cls.teachers = {
            name: Patron.objects.create(
                card_number=f"C-{name}",
                name=f"老师{name}",
                type=Patron.Type.TEACHER,
                created_at=at(LONG_AGO),
            )
            for name in ["t1", "t2"]
        }
        cls._items()
        cls._loans()
        cls._visits()

    @classmethod
    def _items(cls) -> None:
        stacks = Location.objects.create(code="S", name="书库")
        record = Record.objects.create(title="西游记", class_number="I242.4")
        received = [LONG_AGO, LONG_AGO, LONG_AGO, date(2026, 9, 10), date(2026, 9, 10)]
        cls.items = [
            Item.objects.create(
                record=record,
                barcode=f"G{n}",
                accession_number=f"G{n}",
                location=stacks,
                received_on=day,
            )
            for n, day in enumerate(received)
        ]

    @classmethod
    def _loans(cls) -> None:
        d, p = date, cls.pupils
        weeks = [d(2026, 9, 7), d(2026, 9, 14), d(2026, 9, 21), d(2026, 9, 28), d(2026, 10, 12)]
        for monday in weeks:
            cls.loan(p["a1"], monday)
        cls.loan(p["a2"], d(2026, 10, 19))
        for monday in [weeks[0], weeks[1], weeks[3], weeks[4]]:
            cls.loan(p["b1"], monday + timedelta(days=1))
            cls.loan(p["c1"], monday + timedelta(days=2))
        cls.loan(None, d(2026, 9, 22), kind=Loan.Kind.CLASS_CORNER, school_class=cls.classes["3-2"])
        cls.loan(p["c1"], d(2026, 9, 23), kind=Loan.Kind.IN_ROOM)
        cls.loan(cls.teachers["t1"], d(2026, 9, 10))

    @classmethod
    def loan(
        cls,
        patron: Patron | None,
        day: date,
        *,
        kind: str = Loan.Kind.REGULAR,
        school_class: SchoolClass | None = None,
    ) -> Loan:
        corner = kind == Loan.Kind.CLASS_CORNER
        return Loan.objects.create(
            item=cls.items[Loan.objects.count() % len(cls.items)],
            patron=patron,
            school_class=school_class or (patron.school_class if patron else None),
            patron_type="class" if corner or patron is None else patron.type,
            kind=kind,
            checked_out_at=at(day),
            checked_out_on=day,
            due_on=day + timedelta(days=14),
            returned_at=at(day, 16),
        )

    @classmethod
    def _visits(cls) -> None:
        t1, t2 = cls.teachers["t1"], cls.teachers["t2"]
        days = [(t1, date(2026, 9, 7 + 7 * n)) for n in range(4)]
        days += [(t1, date(2026, 10, 12)), (t1, date(2026, 10, 13))]
        days += [(t2, date(2026, 9, 8)), (t2, date(2026, 9, 29)), (t2, date(2026, 10, 20))]
        for patron, day in days:
            ReadingRoomVisit.objects.create(
                patron=patron, patron_type=patron.type, visited_on=day, visited_at=at(day)
            )

    def goal(self, measure: str, target: str | int | Decimal, text: str = "") -> PlanGoal:
        period = term_of(TODAY)
        return PlanGoal.objects.create(
            term_start=period.start,
            term_end=period.end,
            term_label=period.label,
            text=text or measure,
            measure=measure,
            target=Decimal(target),
            position=PlanGoal.objects.count(),
        )

    def progress(self, today: date = TODAY, *, names: bool = False) -> list[goals.GoalProgress]:
        return goals.progress(term_of(today), today, names=names)


@time_machine.travel(at(TODAY), tick=False)
class GoalProgressTest(GoalSchool):
    def test_it_counts_the_terms_school_days_and_weeks_from_the_calendar(self) -> None:
        period = term_of(TODAY)
        self.assertEqual(len(goals.school_days(period.start, period.end)), 55)
        self.assertAlmostEqual(goals.elapsed_share(period, TODAY), 28 / 55)
        mondays = [monday for monday, _end in goals.school_weeks(period, TODAY)]
        self.assertEqual(
            mondays,
            [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 21), date(2026, 9, 28)]
            + [date(2026, 10, 12)],
        )

    def test_it_measures_each_figure_goal_by_hand(self) -> None:
        for measure, target in [
            (M.LOANS_PER_STUDENT, 2),
            (M.COVERAGE, 100),
            (M.CARD_ISSUE_RATE, 90),
            (M.LOANS_PER_TEACHER, 1),
            (M.TEACHER_COVERAGE, 80),
            (M.READING_ROOM_USES, 10),
            (M.NEW_ITEMS, 2),
            (M.CIRCULATION_RATE, 5),
        ]:
            self.goal(measure, target)
        values = {p.goal.measure: p.value for p in self.progress()}
        self.assertEqual(values[M.LOANS_PER_STUDENT], 3.5)
        self.assertEqual(values[M.COVERAGE], 100.0)
        self.assertEqual(values[M.CARD_ISSUE_RATE], 100.0)
        self.assertEqual(values[M.LOANS_PER_TEACHER], 0.5)
        self.assertEqual(values[M.TEACHER_COVERAGE], 50.0)
        self.assertEqual(values[M.READING_ROOM_USES], 1)
        self.assertEqual(values[M.NEW_ITEMS], 2)
        # 14 pupils' loans + 1 teacher's + 1 corner loan over 5 copies.
        self.assertEqual(values[M.CIRCULATION_RATE], 3.2)

    def test_it_calls_a_goal_met_once_the_target_is_reached(self) -> None:
        self.goal(M.COVERAGE, 100)
        self.goal(M.NEW_ITEMS, 2)
        done = self.progress()
        self.assertEqual([p.status for p in done], [goals.MET, goals.MET])
        self.assertTrue(all(p.met for p in done))
        self.assertEqual(done[0].done, 1.0)
        self.assertIsNone(done[0].pace)

    def test_it_judges_a_cumulative_goal_not_yet_met_against_the_pace(self) -> None:
        self.goal(M.LOANS_PER_STUDENT, 6)  # by today 6 × 28/55 = 3.05: 3.5 is on pace
        self.goal(M.LOANS_PER_STUDENT, 8)  # 8 × 28/55 = 4.07: 3.5 is behind
        on_pace, behind = self.progress()
        self.assertEqual((on_pace.status, on_pace.pace), (goals.ON_TRACK, 3.05))
        self.assertEqual((behind.status, behind.pace), (goals.BEHIND, 4.07))
        self.assertFalse(on_pace.met)
        self.assertAlmostEqual(behind.done, 0.4375)
        self.assertEqual(behind.bar, 44)
        self.assertEqual(behind.pace_bar, 51)

    def test_it_holds_a_level_goal_to_its_target_without_pace(self) -> None:
        self.goal(M.CARD_ISSUE_RATE, 100)
        Patron.objects.filter(name="学生c1").update(status=Patron.Status.CARD_LOST)
        (card,) = self.progress()
        self.assertEqual((card.value, card.status, card.pace), (75.0, goals.BEHIND, None))

    def test_it_asks_for_the_whole_target_once_the_term_is_over(self) -> None:
        self.goal(M.LOANS_PER_STUDENT, 6)
        (after,) = self.progress(date(2026, 12, 10))
        self.assertEqual((after.status, after.pace), (goals.BEHIND, 6.0))

    def test_it_finds_the_class_that_missed_a_school_week(self) -> None:
        self.goal(M.CLASS_WEEKLY, 100)
        (weekly,) = self.progress()
        # 三(2) counts through its corner loan; 四(1)'s reading-room use is no loan; the closed
        # week of 5 October asks nothing; this week's loans are not needed yet.
        self.assertEqual(weekly.value, 66.7)
        self.assertEqual(weekly.status, goals.BEHIND)
        self.assertEqual(weekly.detail, "2 / 3")
        self.assertEqual(weekly.behind, ["四年级(1)班（1）"])

    def test_it_calls_the_weekly_class_goal_met_when_every_class_borrowed(self) -> None:
        self.goal(M.CLASS_WEEKLY, 100)
        self.loan(self.pupils["c1"], date(2026, 9, 25))
        (weekly,) = self.progress()
        self.assertEqual((weekly.value, weekly.status, weekly.behind), (100.0, goals.MET, []))

    def test_it_waits_for_the_first_school_week_to_end(self) -> None:
        self.goal(M.CLASS_WEEKLY, 100)
        self.goal(M.TEACHER_ROOM_WEEKLY, 1)
        early = self.progress(date(2026, 9, 10))
        self.assertEqual([p.status for p in early], [goals.PENDING, goals.PENDING])

    def test_it_averages_teachers_reading_room_visits_per_school_week(self) -> None:
        self.goal(M.TEACHER_ROOM_WEEKLY, 1)
        (visits,) = self.progress(names=True)
        self.assertEqual(visits.value, 0.8)
        self.assertEqual(visits.status, goals.BEHIND)
        self.assertEqual(visits.behind, ["老师t2"])
        self.assertEqual(visits.behind_count, 1)
        self.assertEqual(visits.detail, "5")

    def test_it_leaves_teachers_names_out_unless_asked(self) -> None:
        self.goal(M.TEACHER_ROOM_WEEKLY, Decimal("0.5"))
        (visits,) = self.progress()
        self.assertEqual((visits.status, visits.behind, visits.behind_count), (goals.MET, [], 1))

    def test_it_counts_the_term_figures_once_for_all_goals(self) -> None:
        for measure in [M.LOANS_PER_STUDENT, M.COVERAGE, M.NEW_ITEMS, M.CLASS_WEEKLY]:
            self.goal(measure, 1)
        with mock.patch.object(figures, "term_figures", wraps=figures.term_figures) as f:
            self.progress()
        f.assert_called_once()

    def test_it_shows_only_the_goals_of_the_term_asked_for(self) -> None:
        self.goal(M.COVERAGE, 100)
        PlanGoal.objects.create(
            term_start=date(2027, 2, 1),
            term_end=date(2027, 7, 31),
            text="下学期",
            measure=M.COVERAGE,
            target=Decimal(100),
        )
        self.assertEqual([p.goal.text for p in self.progress()], [M.COVERAGE])

    def test_it_gives_the_dashboard_this_terms_goals(self) -> None:
        self.goal(M.COVERAGE, 100, "学生借阅覆盖率达到100%")
        context = goals.dashboard_context(TODAY)
        self.assertEqual(context["goal_period"].label, "2026秋季学期")
        self.assertEqual(
            [p.goal.text for p in context["goal_progress"]], ["学生借阅覆盖率达到100%"]
        )
        self.assertEqual(context["goals_url"], "/staff/reports/goals/")

    def test_it_writes_figures_as_a_librarian_does(self) -> None:
        self.assertEqual(
            [goals.plain(v) for v in (2.0, 1.5, 66.7, Decimal("100.00"))],
            ["2", "1.5", "66.7", "100"],
        )
