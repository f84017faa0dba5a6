from __future__ import annotations

import random
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import demo as catalog_demo
from shuxiang.circulation.models import Loan
from shuxiang.lib import barcodes
from shuxiang.patrons import demo
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
        # The term of loans is circulation's to write (circulation/tests/test_demo_history.py).
        self.assertFalse(Loan.objects.exists())
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
