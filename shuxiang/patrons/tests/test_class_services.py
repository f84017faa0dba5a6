from __future__ import annotations

from datetime import date

from django.test import override_settings

from shuxiang.accounts.models import AuditLog, User
from shuxiang.patrons import classes
from shuxiang.patrons.errors import InvalidClass
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase


class CreateClassTests(BaseTestCase):
    def test_it_adds_a_class_and_audits_it(self) -> None:
        school_class = classes.create_class(3, 2, enrolment_year=2023, by=self.lena)
        self.assertEqual(school_class.label, "三年级(2)班")
        self.assertEqual(school_class.enrolment_year, 2023)
        log = AuditLog.objects.get(action="class.created")
        self.assertEqual((log.by, log.target_id), (self.lena, str(school_class.pk)))

    def test_it_refuses_a_class_that_exists_in_chinese(self) -> None:
        with self.assertRaisesMessage(InvalidClass, "五年级(2)班已存在"):
            classes.create_class(5, 2, by=self.lena)
        self.assertEqual(SchoolClass.objects.count(), 1)
        self.assertFalse(AuditLog.objects.filter(action="class.created").exists())

    def test_it_allows_the_number_again_once_the_old_class_graduated(self) -> None:
        self.class_5_2.graduated_on = date(2025, 7, 1)
        self.class_5_2.save()
        self.assertTrue(classes.create_class(5, 2, by=self.lena).is_current)

    def test_it_refuses_a_grade_the_school_does_not_have(self) -> None:
        with self.assertRaises(InvalidClass) as caught:
            classes.create_class(7, 1, by=self.lena)
        self.assertEqual(caught.exception.message, "本校只有一年级到六年级。")
        self.assertEqual(caught.exception.field, "grade")

    @override_settings(SHUXIANG_SCHOOL_TYPE="junior")
    def test_it_takes_the_grades_from_the_school_type(self) -> None:
        self.assertEqual(classes.create_class(7, 3, by=self.lena).label, "初一(3)班")
        with self.assertRaisesMessage(InvalidClass, "本校只有初一到初三。"):
            classes.create_class(3, 1, by=self.lena)

    def test_it_refuses_a_class_number_out_of_range(self) -> None:
        for number in (0, 100):
            with self.subTest(number=number), self.assertRaises(InvalidClass):
                classes.create_class(3, number, by=self.lena)

    def test_it_refuses_an_unlikely_year_of_enrolment(self) -> None:
        with self.assertRaisesMessage(InvalidClass, "入学年份"):
            classes.create_class(3, 1, enrolment_year=1900, by=self.lena)
        self.assertEqual(SchoolClass.objects.count(), 1)


class UpdateClassTests(BaseTestCase):
    bo: Patron
    cai: Patron
    class_4_1: SchoolClass

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.bo = Patron.objects.create(
            card_number="P0010",
            name="李博",
            student_number="2022050202",
            school_class=cls.class_5_2,
        )
        cls.class_4_1 = SchoolClass.objects.create(grade=4, number=1)
        cls.cai = Patron.objects.create(
            card_number="P0011",
            name="蔡文",
            student_number="2023040101",
            school_class=cls.class_4_1,
        )

    def update(self, **changes: object) -> SchoolClass:
        values: dict[str, object] = {
            "homeroom_teacher": self.hana_patron,
            "assistants": [self.ada_patron, self.bo],
            "enrolment_year": 2022,
        }
        values.update(changes)
        return classes.update_class(self.class_5_2, by=self.lena, **values)  # type: ignore[arg-type]

    def test_it_sets_the_homeroom_teacher_assistants_and_year(self) -> None:
        self.update(homeroom_teacher=self.tom_patron, enrolment_year=2021)
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.homeroom_teacher, self.tom_patron)
        self.assertEqual(set(self.class_5_2.assistants.all()), {self.ada_patron, self.bo})
        self.assertEqual(self.class_5_2.enrolment_year, 2021)

    def test_it_audits_ids_and_field_names_only(self) -> None:
        self.update(assistants=[self.bo])
        log = AuditLog.objects.get(action="class.updated")
        self.assertEqual(log.detail["fields"], ["assistants"])
        self.assertEqual(log.detail["assistants"], [self.bo.pk])
        self.assertNotIn("李博", str(log.detail))

    def test_it_makes_a_plain_teacher_login_a_homeroom_teacher(self) -> None:
        self.update(homeroom_teacher=self.tom_patron)
        self.tom.refresh_from_db()
        self.assertEqual(self.tom.role, User.Role.HOMEROOM)
        self.assertTrue(AuditLog.objects.filter(action="user.role_changed").exists())

    def test_it_refuses_an_assistant_from_another_class(self) -> None:
        with self.assertRaisesMessage(InvalidClass, "蔡文不是五年级(2)班的学生"):
            self.update(assistants=[self.ada_patron, self.cai])
        self.assertFalse(self.class_5_2.assistants.exists())
        self.assertFalse(AuditLog.objects.filter(action="class.updated").exists())

    def test_it_refuses_a_student_as_homeroom_teacher(self) -> None:
        with self.assertRaises(InvalidClass) as caught:
            self.update(homeroom_teacher=self.bo)
        self.assertEqual(caught.exception.field, "homeroom_teacher")
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.homeroom_teacher, self.hana_patron)

    def test_it_refuses_an_assistant_who_left(self) -> None:
        self.bo.status = Patron.Status.LEFT
        self.bo.save()
        with self.assertRaisesMessage(InvalidClass, "李博已不在本校"):
            self.update(assistants=[self.bo])

    def test_it_can_clear_the_homeroom_teacher(self) -> None:
        self.update(homeroom_teacher=None, assistants=[])
        self.class_5_2.refresh_from_db()
        self.assertIsNone(self.class_5_2.homeroom_teacher)
