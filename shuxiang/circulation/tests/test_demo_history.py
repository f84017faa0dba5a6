from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.test import TestCase

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import demo as catalog_demo
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, demo, rules
from shuxiang.circulation.models import (
    CirculationEvent,
    ClosedDay,
    Fine,
    Hold,
    LendingSlot,
    Loan,
    ReadingRoomVisit,
    Term,
)
from shuxiang.patrons import demo as patrons_demo
from shuxiang.patrons import rollover
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports.models import PlanGoal

NOV_20 = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOV_20.date()
TERM_START = date(2026, 9, 1)
Action = CirculationEvent.Action


@time_machine.travel(NOV_20, tick=False)
class DemoHistoryTests(TestCase):
    """A small demo school (2 classes a grade, 6 pupils a class) with its autumn term."""

    report: demo.HistoryReport

    @classmethod
    def setUpTestData(cls) -> None:
        catalog_demo.load_demo(150, seed=1, today=date(2026, 6, 1))
        catalog_demo.ensure_demo_users()
        patrons_demo.load_demo_patrons(
            seed=3, today=TODAY, classes_per_grade=2, class_size=6, teachers=15
        )
        cls.report = demo.load_demo_history(seed=3, today=TODAY)

    def test_it_gives_the_school_real_term_dates_and_holidays(self) -> None:
        autumn = Term.objects.get(starts_on__lte=TODAY, ends_on__gte=TODAY)
        self.assertEqual((autumn.starts_on, autumn.ends_on), (TERM_START, date(2027, 1, 22)))
        national_day = ClosedDay.objects.filter(reason="国庆节")
        self.assertEqual(national_day.count(), 7)
        self.assertEqual(self.report.first_day, TERM_START)
        self.assertFalse(Loan.objects.filter(checked_out_on__lt=TERM_START).exists())
        self.assertFalse(Loan.objects.filter(checked_out_on__gte=TODAY).exists())
        self.assertFalse(
            Loan.objects.filter(checked_out_on__range=(date(2026, 10, 1), date(2026, 10, 7)))
        )
        weekdays = {d.weekday() for d in Loan.objects.values_list("checked_out_on", flat=True)}
        self.assertLessEqual(weekdays, {0, 1, 2, 3, 4})

    def test_it_generates_a_rotation_with_one_turn_for_every_class(self) -> None:
        turns: Counter[int] = Counter(
            LendingSlot.classes.through._default_manager.values_list("schoolclass_id", flat=True)
        )
        classes = SchoolClass.objects.filter(graduated_on__isnull=True)
        self.assertEqual(set(turns), set(classes.values_list("pk", flat=True)))
        self.assertEqual(set(turns.values()), {1})
        sizes = [s.classes.count() for s in LendingSlot.objects.all()]
        self.assertEqual(sorted(sizes), [2, 2, 2, 3, 3])

    def test_pupils_borrow_on_their_class_turn_at_noon(self) -> None:
        slot_of = {c: s for s in config.load().slots for c in s.class_ids}  # class → its slot
        loans = Loan.objects.filter(kind=Loan.Kind.REGULAR, patron_type="student")
        self.assertTrue(loans.exists())
        for loan in loans:
            slot = slot_of[loan.school_class_id or 0]
            local = loan.checked_out_at.astimezone(ZoneInfo("Asia/Shanghai"))
            self.assertEqual(local.weekday(), slot.weekday, loan.pk)
            self.assertTrue(slot.starts <= local.time() <= slot.ends, loan.pk)

    def test_teachers_borrow_on_any_weekday(self) -> None:
        days = Loan.objects.filter(patron_type="teacher", kind=Loan.Kind.REGULAR).values_list(
            "checked_out_on", flat=True
        )
        self.assertGreaterEqual(len({d.weekday() for d in days}), 4)

    def test_it_lends_each_copy_to_one_reader_at_a_time(self) -> None:
        twice = Loan.objects.open().values("item").annotate(n=Count("id")).filter(n__gt=1)
        self.assertFalse(twice.exists())
        spans: dict[int, list[tuple[datetime, datetime | None]]] = {}
        for loan in Loan.objects.order_by("checked_out_at"):
            spans.setdefault(loan.item_id, []).append((loan.checked_out_at, loan.returned_at))
        for item_id, group in spans.items():
            for (out, back), (next_out, _) in zip(group, group[1:], strict=False):
                self.assertIsNotNone(back, item_id)
                assert back is not None
                self.assertLess(out, back, item_id)
                self.assertLessEqual(back, next_out, item_id)

    def test_item_statuses_follow_the_loans(self) -> None:
        open_items = set(Loan.objects.open().values_list("item_id", flat=True))
        on_loan = set(Item.objects.filter(status=Item.Status.ON_LOAN).values_list("pk", flat=True))
        self.assertEqual(open_items, on_loan)
        lost = set(Item.objects.filter(status=Item.Status.LOST).values_list("pk", flat=True))
        self.assertEqual(lost, set(Fine.objects.values_list("item_id", flat=True)))
        self.assertFalse(lost & open_items)

    def test_due_dates_follow_the_rules_and_the_calendar(self) -> None:
        snap = config.load()
        term_end = snap.calendar.previous_open_day(date(2027, 1, 22), not_before=TERM_START)
        for loan in Loan.objects.select_related("rule"):
            if loan.kind == Loan.Kind.CLASS_CORNER:
                self.assertEqual(loan.due_on, term_end)
                continue
            assert loan.rule is not None
            student = loan.patron_type == "student"
            expected = rules.due_on(loan.checked_out_on, loan.rule, snap.calendar, student=student)
            self.assertEqual(loan.due_on, expected, loan.pk)
            self.assertTrue(snap.calendar.is_open(loan.due_on), loan.pk)
            if loan.kind == Loan.Kind.IN_ROOM:
                self.assertEqual(loan.due_on, loan.checked_out_on)
                assert loan.returned_at is not None
                self.assertEqual(loan.returned_at.date(), loan.checked_out_on)

    def test_it_keeps_each_pupil_within_two_books(self) -> None:
        most = (
            Loan.objects.open()
            .filter(patron__type=Patron.Type.STUDENT, kind=Loan.Kind.REGULAR)
            .values("patron")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        self.assertLessEqual(most["n"] if most else 0, 2)

    def test_it_is_busy_after_the_start_of_term_and_quiet_in_exam_week(self) -> None:
        first_weeks = Loan.objects.filter(
            kind=Loan.Kind.REGULAR, checked_out_on__lt=TERM_START + timedelta(days=14)
        ).count()
        # Week 10 of the term (from 3 November): the mid-term exams.
        exam_start = TERM_START + timedelta(days=63)
        exam_weeks = Loan.objects.filter(
            kind=Loan.Kind.REGULAR,
            checked_out_on__range=(exam_start - timedelta(days=7), exam_start + timedelta(days=6)),
        )
        exam_week = exam_weeks.filter(checked_out_on__gte=exam_start).count()
        week_before = exam_weeks.filter(checked_out_on__lt=exam_start).count()
        self.assertGreater(first_weeks / 2, 2 * exam_week)
        self.assertGreater(week_before, exam_week)

    def test_some_classes_read_much_more_than_others(self) -> None:
        counts = list(
            Loan.objects.filter(kind=Loan.Kind.REGULAR, patron_type="student")
            .values("school_class")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
        self.assertEqual(len(counts), 12)
        self.assertGreaterEqual(max(counts), 2 * min(counts))

    def test_it_has_overdue_reading_room_and_class_corner_loans(self) -> None:
        self.assertGreater(Loan.objects.overdue(on=TODAY).count(), 0)
        self.assertEqual(self.report.overdue, Loan.objects.overdue(on=TODAY).count())
        in_room = Loan.objects.filter(kind=Loan.Kind.IN_ROOM)
        self.assertGreater(in_room.count(), 0)
        self.assertFalse(in_room.exclude(item__item_type=Item.ItemType.REFERENCE).exists())
        corners = Loan.objects.filter(kind=Loan.Kind.CLASS_CORNER)
        self.assertEqual(len(set(corners.values_list("school_class", flat=True))), 4)
        self.assertFalse(corners.filter(patron__isnull=False).exists())
        self.assertEqual(set(corners.values_list("patron_category", flat=True)), {"class_corner"})
        self.assertEqual(self.report.corner, corners.count())

    def test_it_writes_loans_with_their_snapshots(self) -> None:
        loans = Loan.objects.filter(patron__isnull=False).select_related("patron__school_class")
        for loan in loans.filter(patron__type=Patron.Type.STUDENT)[:50]:
            assert loan.patron is not None
            self.assertEqual(loan.school_class, loan.patron.school_class)
            self.assertEqual(loan.patron_category, loan.patron.category)
            self.assertEqual(loan.patron_type, "student")
        self.assertFalse(Loan.objects.filter(rule__isnull=True).exclude(kind="corner").exists())
        self.assertEqual(Loan.objects.count(), self.report.loans)

    def test_a_few_books_are_lost_and_charged(self) -> None:
        fines = Fine.objects.select_related("patron__school_class", "loan", "item")
        unpaid = [f for f in fines if f.status == Fine.Status.OPEN]
        self.assertEqual(len(unpaid), 3)
        self.assertTrue(all(f.patron and f.patron.grade == 6 for f in unpaid))
        self.assertEqual(fines.filter(status=Fine.Status.PAID).count(), 2)
        for fine in fines:
            assert fine.item is not None and fine.loan is not None
            self.assertEqual(fine.reason, Fine.Reason.LOST)
            self.assertEqual(fine.item.status, Item.Status.LOST)
            self.assertIsNotNone(fine.loan.returned_at)
            rates = config.load().rates
            self.assertEqual(
                fine.amount, rules.compensation(fine.item.price, fine.item.item_type, rates)
            )
        plan = rollover.preview_rollover(TODAY)
        self.assertGreaterEqual(len(plan.clearance), 1)

    def test_holds_wait_for_books_that_are_out_or_are_kept_on_the_shelf(self) -> None:
        waiting = Hold.objects.filter(status=Hold.Status.WAITING)
        ready = Hold.objects.filter(status=Hold.Status.READY).select_related("item")
        self.assertGreater(waiting.count(), 0)
        self.assertGreater(ready.count(), 0)
        for hold in waiting:
            copies = Item.objects.filter(record_id=hold.record_id)
            self.assertFalse(copies.filter(status=Item.Status.ON_SHELF).exists(), hold.pk)
        for hold in ready:
            assert hold.item is not None and hold.expires_on is not None
            self.assertEqual(hold.item.status, Item.Status.ON_SHELF)
            self.assertFalse(Loan.objects.open().filter(item=hold.item).exists())
            self.assertGreaterEqual(hold.expires_on, TODAY)
        for hold in Hold.objects.all():
            mine = Loan.objects.open().filter(patron=hold.patron, item__record=hold.record_id)
            self.assertFalse(mine.exists(), hold.pk)

    def test_every_change_has_its_event(self) -> None:
        events = Counter(CirculationEvent.objects.values_list("action", flat=True))
        loans = Loan.objects.all()
        corner = loans.filter(kind=Loan.Kind.CLASS_CORNER)
        self.assertEqual(events[Action.CHECKOUT], loans.count() - corner.count())
        self.assertEqual(events[Action.CORNER_OUT], corner.count())
        lost = Fine.objects.values_list("loan_id", flat=True)
        returned = loans.filter(returned_at__isnull=False).exclude(pk__in=lost)
        self.assertEqual(events[Action.CHECKIN] + events[Action.CORNER_IN], returned.count())
        self.assertEqual(events[Action.LOST], 5)
        self.assertEqual(events[Action.COMPENSATION], 5)
        self.assertEqual(events[Action.PAID], 2)
        self.assertEqual(events[Action.HOLD_PLACED], Hold.objects.count())
        self.assertEqual(set(CirculationEvent.objects.values_list("via", flat=True)), {"desk"})
        assistant = User.objects.get(username="assistant")
        noon = CirculationEvent.objects.filter(
            action=Action.CHECKOUT, loan__patron_type="student", loan__kind=Loan.Kind.REGULAR
        )
        self.assertEqual(set(noon.values_list("by", flat=True)), {assistant.pk})
        event = CirculationEvent.objects.filter(action=Action.CHECKOUT).select_related("loan")[0]
        assert event.loan is not None
        self.assertEqual(event.at, event.loan.checked_out_at)
        self.assertIn("rule_text", event.detail)
        self.assertEqual(self.report.events, CirculationEvent.objects.count())

    def test_the_next_loan_and_event_get_fresh_ids(self) -> None:
        from shuxiang.circulation import services

        item = Item.objects.filter(status=Item.Status.ON_SHELF, location__code="STACKS").first()
        assert item is not None
        teacher = Patron.objects.filter(type=Patron.Type.TEACHER).first()
        assert teacher is not None
        result = services.check_out(teacher, item, services.Channel(by=None))
        self.assertGreater(
            result.loan.pk,
            max(Loan.objects.exclude(pk=result.loan.pk).values_list("pk", flat=True)),
        )

    def test_it_records_the_load_and_refuses_a_second_one(self) -> None:
        entry = AuditLog.objects.get(action="demo_history_loaded")
        self.assertEqual(entry.detail["loans"], self.report.loans)
        with self.assertRaises(ValueError):
            demo.load_demo_history(today=TODAY)
        self.assertEqual(Loan.objects.count(), self.report.loans)


@time_machine.travel(NOV_20, tick=False)
class DemoCommandHistoryTests(TestCase):
    def test_the_demo_command_generates_the_rotation_and_a_term_of_loans(self) -> None:
        out = StringIO()
        call_command(
            "demo", records=60, classes_per_grade=1, class_size=6, teachers=8, seed=2, stdout=out
        )
        text = out.getvalue()
        self.assertIn("生成借还书轮流安排表", text)
        self.assertIn(f"借阅 {Loan.objects.count()} 次", text)
        self.assertEqual(LendingSlot.classes.through._default_manager.count(), 6)
        self.assertTrue(Loan.objects.filter(checked_out_by__username="assistant").exists())
        # The term's plan goals, so that the reports dashboard shows their progress.
        goals = PlanGoal.objects.order_by("position")
        self.assertEqual([g.text for g in goals][0], "学生人均借书2册以上")
        self.assertEqual(goals.count(), 4)
        self.assertIn("计划目标 4 条", text)
        # Teachers' reading-room visits (教师进阅览室), for the plan goal and its weekly record.
        visits = ReadingRoomVisit.objects.all()
        self.assertTrue(visits.exists())
        self.assertEqual(set(visits.values_list("patron_type", flat=True)), {"teacher"})
        self.assertIn(f"教师进阅览室 {visits.count()}", text)
        # A first weeding (剔旧), so that the withdrawals register and the figure have lines.
        withdrawn = Item.objects.filter(status=Item.Status.WITHDRAWN, withdrawn_on=NOV_20.date())
        self.assertEqual(withdrawn.count(), 12)
        self.assertIn("剔旧注销 12 册", text)

    def test_an_august_demo_shows_last_spring_term(self) -> None:
        with time_machine.travel(datetime(2026, 8, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
            catalog_demo.load_demo(60, seed=1, today=date(2025, 6, 1))
            patrons_demo.load_demo_patrons(seed=1, classes_per_grade=1, class_size=5, teachers=8)
            report = demo.load_demo_history(seed=1)
        spring = Term.objects.get(starts_on__year=2026, starts_on__month=2)
        self.assertEqual(report.first_day, spring.starts_on)
        self.assertEqual(spring.ends_on, date(2026, 7, 3))
        self.assertTrue(Loan.objects.exists())
        self.assertFalse(Loan.objects.filter(checked_out_on__gt=spring.ends_on).exists())
