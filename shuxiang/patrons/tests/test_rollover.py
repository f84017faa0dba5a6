from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.catalog.tests.test_book_numbers import in_threads
from shuxiang.circulation.models import Fine, Loan
from shuxiang.patrons import rollover
from shuxiang.patrons.errors import RolloverError
from shuxiang.patrons.models import Patron, Rollover, SchoolClass
from shuxiang.test import BaseTestCase

SEPT_1 = datetime(2026, 9, 1, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = SEPT_1.date()


@time_machine.travel(SEPT_1, tick=False)
class RolloverTestCase(BaseTestCase):
    """Lena's school before September 2026: 五年级(2)班 (Ada), 六年级(1)班 and 一年级(1)班."""

    class_6_1: SchoolClass
    class_1_1: SchoolClass
    ben: Patron
    cai: Patron
    dai: Patron
    eve: Patron
    fan: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_6_1 = SchoolClass.objects.create(grade=6, number=1, enrolment_year=2021)
        cls.class_1_1 = SchoolClass.objects.create(grade=1, number=1, enrolment_year=2025)
        cls.ben = cls.student("白本", "2021010101", cls.class_6_1)
        cls.cai = cls.student("蔡晨", "2021010102", cls.class_6_1)
        cls.dai = cls.student("戴丹", "2021010103", cls.class_6_1, Patron.Status.CARD_LOST)
        cls.eve = cls.student("鄂薇", "2021010104", cls.class_6_1, Patron.Status.LEFT)
        cls.fan = cls.student("范帆", "2025010101", cls.class_1_1)

    @classmethod
    def student(
        cls, name: str, number: str, school_class: SchoolClass, status: str = Patron.Status.ACTIVE
    ) -> Patron:
        return Patron.objects.create(
            card_number=f"C{number}",
            name=name,
            student_number=number,
            school_class=school_class,
            status=status,
        )

    def lend(self, patron: Patron, barcode: str, *, returned: bool = False) -> Loan:
        item = Item.objects.get(barcode=barcode)
        return Loan.objects.create(
            item=item,
            patron=patron,
            school_class=patron.school_class,
            patron_type=patron.type,
            patron_category=patron.category,
            checked_out_on=date(2026, 6, 20),
            due_on=date(2026, 7, 4),
            returned_at=SEPT_1 - timedelta(days=60) if returned else None,
        )

    def grades_now(self) -> dict[str, tuple[int, bool]]:
        return {
            str(c.pk): (c.grade, c.graduated_on is not None)
            for c in SchoolClass.objects.order_by("pk")
        }

    def statuses_now(self) -> dict[int, str]:
        return dict(Patron.objects.values_list("pk", "status"))


class PreviewRolloverTests(RolloverTestCase):
    def test_it_moves_each_class_up_and_graduates_the_top_grade(self) -> None:
        plan = rollover.preview_rollover(TODAY)
        self.assertEqual(plan.school_year, 2026)
        self.assertEqual(plan.top_grade, 6)
        moves = [(m.label, m.new_label, m.students) for m in plan.moves]
        self.assertEqual(
            moves, [("五年级(2)班", "六年级(2)班", 1), ("一年级(1)班", "二年级(1)班", 1)]
        )
        self.assertEqual([(m.label, m.students) for m in plan.graduating], [("六年级(1)班", 3)])
        self.assertEqual((plan.students_moving, plan.students_graduating), (2, 3))
        self.assertIsNone(plan.previous)
        self.assertFalse(plan.is_empty)

    def test_it_lists_graduates_with_books_out_or_money_due(self) -> None:
        self.lend(self.ben, "T0001")
        self.lend(self.cai, "T0002", returned=True)
        Fine.objects.create(patron=self.dai, reason=Fine.Reason.LOST, amount=Decimal("45.00"))
        Fine.objects.create(
            patron=self.dai, reason=Fine.Reason.DAMAGED, amount=Decimal("10"), paid=Decimal("4")
        )
        Fine.objects.create(
            patron=self.cai, reason=Fine.Reason.DAMAGED, amount=Decimal("5"), status="paid"
        )
        self.lend(self.ada_patron, "T0002")  # Ada is not leaving: not on the list
        plan = rollover.preview_rollover(TODAY)
        lines = {c.name: c for c in plan.clearance}
        self.assertEqual(sorted(lines), ["戴丹", "白本"])
        self.assertEqual([(b.barcode, b.title) for b in lines["白本"].books], [("T0001", "西游记")])
        self.assertEqual(lines["白本"].money_due, Decimal("0"))
        self.assertEqual(lines["白本"].class_label, "六年级(1)班")
        self.assertEqual(lines["戴丹"].books, [])
        self.assertEqual(lines["戴丹"].money_due, Decimal("51.00"))
        self.assertEqual((plan.books_out, plan.money_due), (1, Decimal("51.00")))

    def test_it_does_not_list_a_pupil_who_already_left(self) -> None:
        self.lend(self.eve, "T0001")
        self.assertEqual(rollover.preview_rollover(TODAY).clearance, [])

    def test_it_graduates_a_class_above_the_top_grade(self) -> None:
        SchoolClass.objects.create(grade=7, number=1)
        plan = rollover.preview_rollover(TODAY)
        self.assertEqual([m.label for m in plan.graduating], ["初一(1)班", "六年级(1)班"])

    @override_settings(SHUXIANG_SCHOOL_TYPE="nine_year")
    def test_it_keeps_grade_six_in_a_nine_year_school(self) -> None:
        plan = rollover.preview_rollover(TODAY)
        self.assertEqual(plan.top_grade, 9)
        self.assertEqual(plan.graduating, [])
        self.assertIn("初一(1)班", [m.new_label for m in plan.moves])

    def test_a_rollover_in_july_prepares_the_coming_school_year(self) -> None:
        self.assertEqual(rollover.rollover_year(date(2026, 7, 10)), 2026)
        self.assertEqual(rollover.rollover_year(date(2026, 9, 1)), 2026)
        self.assertEqual(rollover.rollover_year(date(2027, 2, 20)), 2026)


class RunRolloverTests(RolloverTestCase):
    def test_it_moves_classes_up_and_graduates_the_top_grade(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        self.class_5_2.refresh_from_db()
        self.class_6_1.refresh_from_db()
        self.class_1_1.refresh_from_db()
        self.assertEqual((self.class_5_2.grade, self.class_5_2.graduated_on), (6, None))
        self.assertEqual((self.class_1_1.grade, self.class_1_1.graduated_on), (2, None))
        self.assertEqual((self.class_6_1.grade, self.class_6_1.graduated_on), (6, TODAY))
        self.assertEqual(self.class_6_1.label, "六年级(1)班（2026届）")
        self.assertEqual(done.school_year, 2026)
        self.assertEqual(done.run_by, self.lena)
        self.assertEqual(done.summary["classes_moved"], 2)
        self.assertEqual(done.summary["patrons_graduated"], 3)
        self.assertEqual(done.summary["classes_graduated"], 1)

    def test_it_graduates_everyone_on_the_roll_and_leaves_the_rest(self) -> None:
        rollover.run_rollover(by=self.lena, today=TODAY)
        statuses = self.statuses_now()
        for patron in (self.ben, self.cai, self.dai):
            self.assertEqual(statuses[patron.pk], Patron.Status.GRADUATED)
        self.assertEqual(statuses[self.eve.pk], Patron.Status.LEFT)
        self.assertEqual(statuses[self.ada_patron.pk], Patron.Status.ACTIVE)
        self.assertEqual(statuses[self.hana_patron.pk], Patron.Status.ACTIVE)
        self.ben.refresh_from_db()
        self.assertFalse(self.ben.is_active)  # kept, with their history, but cannot borrow
        self.assertEqual(self.ben.school_class, self.class_6_1)

    def test_it_keeps_graduates_open_loans(self) -> None:
        loan = self.lend(self.ben, "T0001")
        rollover.run_rollover(by=self.lena, today=TODAY)
        loan.refresh_from_db()
        self.assertTrue(loan.is_open)
        self.assertEqual(loan.patron, self.ben)

    def test_it_writes_an_audit_row_without_names(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY, via="cli")
        entry = AuditLog.objects.get(action="rollover.run")
        self.assertEqual((entry.by, entry.via, entry.target_id), (self.lena, "cli", str(done.pk)))
        self.assertEqual(entry.detail["patrons_graduated"], 3)
        self.assertNotIn("白本", str(entry.detail))

    def test_it_moves_a_whole_school_without_breaking_the_one_class_rule(self) -> None:
        for grade in range(1, 7):
            for number in (1, 2, 3):
                SchoolClass.objects.get_or_create(
                    grade=grade, number=number, graduated_on__isnull=True
                )
        rollover.run_rollover(by=self.lena, today=TODAY)
        current = SchoolClass.objects.filter(graduated_on__isnull=True)
        self.assertEqual(
            sorted(current.values_list("grade", "number")),
            [(g, n) for g in range(2, 7) for n in (1, 2, 3)],
        )
        self.assertEqual(SchoolClass.objects.filter(graduated_on=TODAY).count(), 3)

    def test_it_refuses_to_run_twice_in_a_school_year(self) -> None:
        rollover.run_rollover(by=self.lena, today=TODAY)
        before = self.grades_now()
        later = TODAY + timedelta(days=20)
        with self.assertRaisesMessage(RolloverError, "2026—2027 学年已经升级过"):
            rollover.run_rollover(by=self.lena, today=later)
        self.assertEqual(self.grades_now(), before)
        self.assertEqual(Rollover.objects.count(), 1)

    def test_it_runs_again_the_next_school_year(self) -> None:
        rollover.run_rollover(by=self.lena, today=TODAY)
        with time_machine.travel(SEPT_1 + timedelta(days=365), tick=False):
            rollover.run_rollover(by=self.lena, today=date(2027, 9, 1))
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.graduated_on, date(2027, 9, 1))
        self.assertEqual(Patron.objects.get(pk=self.ada_patron.pk).status, "graduated")

    def test_it_refuses_when_there_are_no_current_classes(self) -> None:
        SchoolClass.objects.update(graduated_on=date(2025, 7, 1))
        with self.assertRaisesMessage(RolloverError, "没有在读的班级"):
            rollover.run_rollover(by=self.lena, today=TODAY)
        self.assertFalse(Rollover.objects.exists())
        self.assertFalse(AuditLog.objects.filter(action="rollover.run").exists())


class UndoRolloverTests(RolloverTestCase):
    def test_it_puts_everything_back_the_same_day(self) -> None:
        grades_before, statuses_before = self.grades_now(), self.statuses_now()
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        self.assertNotEqual(self.grades_now(), grades_before)
        rollover.undo_rollover(done, by=self.lena, today=TODAY)
        self.assertEqual(self.grades_now(), grades_before)
        self.assertEqual(self.statuses_now(), statuses_before)
        self.assertEqual(self.statuses_now()[self.dai.pk], Patron.Status.CARD_LOST)
        done.refresh_from_db()
        self.assertIsNotNone(done.undone_at)
        self.assertEqual(done.undone_by, self.lena)
        entry = AuditLog.objects.get(action="rollover.undone")
        self.assertEqual((entry.target_id, entry.detail["patrons_restored"]), (str(done.pk), 3))

    def test_it_lets_the_rollover_run_again_after_an_undo(self) -> None:
        first = rollover.run_rollover(by=self.lena, today=TODAY)
        rollover.undo_rollover(first, by=self.lena, today=TODAY)
        second = rollover.run_rollover(by=self.lena, today=TODAY)
        self.assertEqual(second.school_year, 2026)
        self.assertEqual(rollover.current_rollover(2026), second)

    def test_it_refuses_the_next_day(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        after = self.grades_now()
        with self.assertRaisesMessage(RolloverError, "只能在升级当天撤销"):
            rollover.undo_rollover(done, by=self.lena, today=TODAY + timedelta(days=1))
        self.assertEqual(self.grades_now(), after)
        self.assertFalse(rollover.can_undo(done, TODAY + timedelta(days=1)))
        self.assertTrue(rollover.can_undo(done, TODAY))

    def test_it_refuses_to_undo_twice(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        rollover.undo_rollover(done, by=self.lena, today=TODAY)
        with self.assertRaisesMessage(RolloverError, "已经撤销"):
            rollover.undo_rollover(done, by=self.lena, today=TODAY)

    def test_it_undoes_only_the_latest_rollover(self) -> None:
        first = rollover.run_rollover(by=self.lena, today=TODAY)
        # Cannot happen through run_rollover on one day; the guard holds all the same.
        Rollover.objects.create(school_year=2027, summary={}, changes={})
        with self.assertRaisesMessage(RolloverError, "最近一次"):
            rollover.undo_rollover(first, by=self.lena, today=TODAY)

    def test_it_refuses_when_a_new_class_took_a_place(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        SchoolClass.objects.create(grade=1, number=1, enrolment_year=2026)
        after = self.grades_now()
        with self.assertRaisesMessage(RolloverError, "一年级(1)班"):
            rollover.undo_rollover(done, by=self.lena, today=TODAY)
        self.assertEqual(self.grades_now(), after)

    def test_it_leaves_a_patron_changed_since_as_they_are(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        Patron.objects.filter(pk=self.cai.pk).update(status=Patron.Status.LEFT)
        rollover.undo_rollover(done, by=self.lena, today=TODAY)
        statuses = self.statuses_now()
        self.assertEqual(statuses[self.cai.pk], Patron.Status.LEFT)
        self.assertEqual(statuses[self.ben.pk], Patron.Status.ACTIVE)


class ConcurrentRolloverTests(TransactionTestCase):
    """Two librarians pressing the button at the same moment move the school up once."""

    def test_it_runs_once_when_started_twice_at_once(self) -> None:
        lena = User.objects.create_user("lena", role=User.Role.LIBRARIAN)
        for grade in (4, 5, 6):
            SchoolClass.objects.create(grade=grade, number=1)

        def press() -> str:
            try:
                rollover.run_rollover(by=lena, today=timezone.localdate())
            except RolloverError:
                return "refused"
            return "done"

        self.assertEqual(sorted(in_threads(3, press)), ["done", "refused", "refused"])
        self.assertEqual(Rollover.objects.count(), 1)
        current = SchoolClass.objects.filter(graduated_on__isnull=True)
        self.assertEqual(sorted(current.values_list("grade", flat=True)), [5, 6])
