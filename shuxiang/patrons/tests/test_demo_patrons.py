from __future__ import annotations

import random
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.test import SimpleTestCase, TestCase

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import demo as catalog_demo
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import Fine, Loan
from shuxiang.lib import barcodes, terms
from shuxiang.patrons import demo, rollover
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.services import next_card_number

NOV_20 = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOV_20.date()


class ChineseNameTests(SimpleTestCase):
    def test_it_makes_two_or_three_character_names(self) -> None:
        rng = random.Random(1)
        names = [demo.chinese_name(rng, g) for g in "mf" * 200]
        self.assertTrue(all(2 <= len(n) <= 3 for n in names))
        self.assertTrue(all(n[0] in demo.SURNAMES for n in names))
        self.assertGreater(len(set(names)), 300)


@time_machine.travel(NOV_20, tick=False)
class LoadDemoPatronsTests(TestCase):
    """A small demo school (2 classes a grade, 6 pupils a class) on a small collection."""

    report: demo.PatronDemoReport

    @classmethod
    def setUpTestData(cls) -> None:
        catalog_demo.load_demo(120, seed=1, today=date(2026, 6, 1))
        cls.report = demo.load_demo_patrons(
            seed=3, today=TODAY, classes_per_grade=2, class_size=6, teachers=15
        )

    def test_it_makes_classes_in_every_grade_with_a_homeroom_teacher(self) -> None:
        classes = SchoolClass.objects.order_by("grade", "number")
        self.assertEqual(
            [(c.grade, c.number) for c in classes], [(g, n) for g in range(1, 7) for n in (1, 2)]
        )
        self.assertEqual(classes.get(grade=6, number=2).enrolment_year, 2021)
        self.assertEqual(classes.get(grade=1, number=1).enrolment_year, 2026)
        teachers = [c.homeroom_teacher for c in classes]
        self.assertTrue(all(t is not None and t.type == Patron.Type.TEACHER for t in teachers))
        self.assertEqual(len({t.pk for t in teachers if t}), 12)

    def test_it_counts_what_it_made(self) -> None:
        self.assertEqual((self.report.classes, self.report.teachers), (12, 15))
        self.assertEqual(self.report.students, 72)
        self.assertEqual(Patron.objects.filter(type=Patron.Type.STUDENT).count(), 72)
        self.assertEqual(Patron.objects.filter(type=Patron.Type.TEACHER).count(), 15)
        self.assertEqual(Loan.objects.count(), self.report.loans)
        self.assertEqual(Loan.objects.open().count(), self.report.open_loans)
        self.assertEqual(Loan.objects.overdue(on=TODAY).count(), self.report.overdue)
        entry = AuditLog.objects.get(action="demo_patrons_loaded")
        self.assertEqual(entry.detail["students"], 72)

    def test_it_gives_pupils_plausible_numbers_cards_and_details(self) -> None:
        pupil = Patron.objects.get(student_number="2021010203")
        self.assertEqual(pupil.school_class.label if pupil.school_class else "", "六年级(2)班")
        self.assertEqual(pupil.enrolment_year, 2021)
        students = Patron.objects.filter(type=Patron.Type.STUDENT)
        cards = list(Patron.objects.values_list("card_number", flat=True))
        self.assertEqual(len(set(cards)), 87)
        self.assertTrue(all(c.startswith("R") and barcodes.is_valid(c) for c in cards))
        self.assertEqual(next_card_number(), "R000088")  # the counter went on
        phones = [p for p in students.values_list("guardian_phone", flat=True) if p]
        self.assertTrue(phones)
        self.assertTrue(all(p.startswith("1380000") and len(p) == 11 for p in phones))
        self.assertEqual(set(students.values_list("gender", flat=True)), {"m", "f"})
        self.assertEqual(students.exclude(status=Patron.Status.ACTIVE).count(), 0)

    def test_it_names_two_student_assistants_per_class(self) -> None:
        for c in SchoolClass.objects.prefetch_related("assistants"):
            helpers = list(c.assistants.all())
            self.assertEqual(len(helpers), 2, c.label)
            self.assertTrue(all(p.school_class_id == c.pk for p in helpers))

    def test_it_lends_each_copy_to_one_patron_at_a_time(self) -> None:
        twice = Loan.objects.open().values("item").annotate(n=Count("id")).filter(n__gt=1)
        self.assertFalse(twice.exists())
        self.assertTrue(Loan.objects.exists())
        for item_id, group in _loans_by_item().items():
            spans = sorted((loan.checked_out_at, loan.returned_at) for loan in group)
            for (_, back), (out, _) in zip(spans, spans[1:], strict=False):
                self.assertIsNotNone(back, item_id)
                assert back is not None
                self.assertLessEqual(back, out, item_id)

    def test_it_marks_copies_on_loan_exactly_when_a_loan_is_open(self) -> None:
        open_items = set(Loan.objects.open().values_list("item_id", flat=True))
        on_loan = set(Item.objects.filter(status=Item.Status.ON_LOAN).values_list("pk", flat=True))
        self.assertEqual(open_items, on_loan)
        self.assertFalse(Loan.objects.filter(item__location__room_only=True).exists())

    def test_it_writes_a_term_of_loans_with_their_snapshots(self) -> None:
        term = terms.term_of(TODAY)
        loans = Loan.objects.select_related("patron__school_class")
        self.assertFalse(loans.exclude(checked_out_on__range=(term.start, TODAY)).exists())
        self.assertGreater(loans.filter(returned_at__isnull=False).count(), loans.count() / 2)
        self.assertTrue(loans.filter(returned_at__isnull=True).exists())
        for loan in loans.filter(patron__type=Patron.Type.STUDENT)[:50]:
            assert loan.patron is not None
            self.assertEqual(loan.school_class, loan.patron.school_class)
            self.assertEqual(loan.patron_category, loan.patron.category)
            self.assertEqual(loan.patron_type, "student")
            self.assertLessEqual(loan.checked_out_on, loan.due_on)
        self.assertFalse(loans.filter(returned_at__lt=_at_noon(term.start)).exists())

    def test_it_keeps_each_pupil_within_two_books(self) -> None:
        most = (
            Loan.objects.open()
            .filter(patron__type=Patron.Type.STUDENT)
            .values("patron")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        self.assertLessEqual(most["n"] if most else 0, 2)

    def test_it_gives_the_rollover_something_to_clear(self) -> None:
        fines = Fine.objects.outstanding().select_related("patron__school_class")
        self.assertEqual(fines.count(), 3)
        self.assertTrue(all(f.patron and f.patron.grade == 6 for f in fines))
        plan = rollover.preview_rollover(TODAY)
        self.assertEqual(plan.students_graduating, 12)
        self.assertGreaterEqual(len(plan.clearance), 1)

    def test_it_refuses_a_school_that_already_has_classes(self) -> None:
        with self.assertRaises(ValueError):
            demo.load_demo_patrons(today=TODAY, classes_per_grade=1, class_size=2)
        self.assertEqual(SchoolClass.objects.count(), 12)


@time_machine.travel(NOV_20, tick=False)
class DemoLoginsTests(TestCase):
    def test_the_demo_command_loads_the_school_and_prints_every_login(self) -> None:
        out = StringIO()
        call_command(
            "demo", records=40, classes_per_grade=1, class_size=5, teachers=8, seed=2, stdout=out
        )
        text = out.getvalue()
        self.assertIn("6 个班级、30 名学生、8 名教师", text)
        for username in ("librarian", "assistant", "teacher", "homeroom", "student", "viewer"):
            self.assertIn(f"  {username} ", text)
            self.assertTrue(
                self.client.login(username=username, password=catalog_demo.DEMO_PASSWORD)
            )
        homeroom = User.objects.get(username="homeroom")
        self.assertEqual(homeroom.role, User.Role.HOMEROOM)
        mine = SchoolClass.objects.get(homeroom_teacher__user=homeroom)
        self.assertEqual((mine.grade, mine.number), (3, 1))
        self.assertIn(f"（{mine.label}，", text)
        student = User.objects.get(username="student")
        self.assertEqual(student.role, User.Role.STUDENT)
        self.assertEqual(Patron.objects.get(user=student).school_class, mine)
        self.assertEqual(User.objects.get(username="viewer").role, User.Role.VIEWER)

    def test_it_leaves_the_people_alone_when_classes_exist(self) -> None:
        SchoolClass.objects.create(grade=4, number=1)
        out = StringIO()
        call_command("demo", records=5, stdout=out)
        self.assertIn("已有班级，不载入演示读者", out.getvalue())
        self.assertFalse(Patron.objects.exists())
        self.assertFalse(User.objects.filter(username="homeroom").exists())
        self.assertTrue(User.objects.filter(username="viewer").exists())

    def test_if_empty_skips_a_school_with_patrons(self) -> None:
        Patron.objects.create(card_number="P1", name="已有读者")
        out = StringIO()
        call_command("demo", if_empty=True, records=5, stdout=out)
        self.assertIn("不载入演示数据", out.getvalue())
        self.assertEqual(Patron.objects.count(), 1)


def _loans_by_item() -> dict[int, list[Loan]]:
    groups: dict[int, list[Loan]] = {}
    for loan in Loan.objects.order_by("checked_out_at"):
        groups.setdefault(loan.item_id, []).append(loan)
    return groups


def _at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
