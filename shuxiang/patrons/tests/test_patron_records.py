"""The patron record services: create_patron, update_patron, set_status."""

from __future__ import annotations

from datetime import date

from django.test import override_settings

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons import services
from shuxiang.patrons.errors import DuplicateCardNumber, InvalidPatron, PatronError
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.services import PatronData

from .test_patron_roles import PatronWorld


def pupil(**changes: object) -> PatronData:
    data = PatronData(name="李小明", number="2024030102", gender="m")
    for name, value in changes.items():
        setattr(data, name, value)
    return data


@override_settings(SHUXIANG_CARD_PREFIX="R", SHUXIANG_CARD_DIGITS=6)
class CreatePatronTests(PatronWorld):
    def test_it_adds_a_student_with_the_next_automatic_card(self) -> None:
        patron = services.create_patron(pupil(school_class=self.class_3_1), by=self.lena)
        self.assertRegex(patron.card_number, r"^R\d{6}$")
        self.assertEqual(patron.student_number, "2024030102")
        self.assertEqual(patron.staff_number, "")
        self.assertIsNotNone(patron.card_issued_on)
        row = AuditLog.objects.get(action="patron.created")
        self.assertEqual((row.by, row.target_id), (self.lena, str(patron.pk)))
        self.assertEqual(row.detail, {"automatic_card": True})

    def test_it_takes_a_chosen_card_number_normalised(self) -> None:
        data = pupil(school_class=self.class_3_1, card_number=" ｒ０１２３ ")
        self.assertEqual(services.create_patron(data, by=self.lena).card_number, "R0123")

    def test_it_refuses_a_card_number_in_use(self) -> None:
        with self.assertRaisesMessage(DuplicateCardNumber, "借书证号 P0001 已被使用"):
            services.create_patron(
                pupil(school_class=self.class_3_1, card_number="P0001"), by=self.lena
            )
        self.assertFalse(Patron.objects.filter(name="李小明").exists())

    def test_a_students_number_keeps_its_leading_zeros_and_loses_full_width(self) -> None:
        data = pupil(school_class=self.class_3_1, number=" ００１２３ ")
        self.assertEqual(services.create_patron(data, by=self.lena).student_number, "00123")

    def test_it_refuses_a_student_number_already_taken_naming_its_holder(self) -> None:
        with self.assertRaises(InvalidPatron) as caught:
            services.create_patron(
                pupil(school_class=self.class_3_1, number="2022050201"), by=self.lena
            )
        self.assertEqual(caught.exception.field, "number")
        self.assertIn("学号 2022050201 已经属于 王艾达（P0001）", caught.exception.message)

    def test_a_student_needs_a_class(self) -> None:
        with self.assertRaisesMessage(InvalidPatron, "请选择学生所在班级"):
            services.create_patron(pupil(), by=self.lena)

    def test_a_student_cannot_join_a_graduated_class(self) -> None:
        old = SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2024, 7, 1))
        with self.assertRaisesMessage(InvalidPatron, "已毕业"):
            services.create_patron(pupil(school_class=old), by=self.lena)

    def test_a_teacher_has_no_class_and_a_staff_number(self) -> None:
        with self.assertRaisesMessage(InvalidPatron, "教师和职工不属于班级"):
            services.create_patron(
                PatronData(name="周老师", type="teacher", school_class=self.class_3_1),
                by=self.lena,
            )
        patron = services.create_patron(
            PatronData(name="周老师", type="teacher", number="T009"), by=self.lena
        )
        self.assertEqual((patron.staff_number, patron.student_number), ("T009", ""))
        self.assertEqual(patron.category, "teacher")

    def test_it_refuses_a_blank_name_a_bad_phone_and_an_odd_year(self) -> None:
        cases = {
            "name": pupil(name="  ", school_class=self.class_3_1),
            "guardian_phone": pupil(guardian_phone="打电话", school_class=self.class_3_1),
            "enrolment_year": pupil(enrolment_year=24, school_class=self.class_3_1),
            "type": pupil(type="robot"),
        }
        for field, data in cases.items():
            with self.subTest(field=field), self.assertRaises(InvalidPatron) as caught:
                services.create_patron(data, by=self.lena)
            self.assertEqual(caught.exception.field, field)
        self.assertFalse(AuditLog.objects.filter(action="patron.created").exists())

    def test_it_accepts_a_full_width_phone(self) -> None:
        data = pupil(school_class=self.class_3_1, guardian_phone="１３９ ０００ ０００００")
        patron = services.create_patron(data, by=self.lena)
        self.assertEqual(patron.guardian_phone, "139 000 00000")


class UpdatePatronTests(PatronWorld):
    def data(self, **changes: object) -> PatronData:
        ada = self.ada_patron
        data = PatronData(
            name=ada.name,
            type=ada.type,
            gender=ada.gender,
            number=ada.number,
            school_class=ada.school_class,
            enrolment_year=ada.enrolment_year,
            guardian_phone=ada.guardian_phone,
            notes=ada.notes,
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data

    def test_it_records_the_names_of_the_changed_fields_and_never_their_values(self) -> None:
        services.update_patron(
            self.ada_patron,
            self.data(guardian_phone="13800000009", school_class=self.class_3_1),
            by=self.lena,
        )
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.school_class, self.class_3_1)
        row = AuditLog.objects.get(action="patron.updated")
        self.assertEqual(row.detail, {"fields": ["school_class", "guardian_phone"]})
        self.assertNotIn("13800000009", str(row.detail))

    def test_an_edit_that_changes_nothing_writes_nothing(self) -> None:
        services.update_patron(self.ada_patron, self.data(), by=self.lena)
        self.assertFalse(AuditLog.objects.filter(action="patron.updated").exists())

    def test_the_patrons_own_student_number_is_not_a_duplicate(self) -> None:
        services.update_patron(self.ada_patron, self.data(notes="爱看科幻"), by=self.lena)
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.notes, "爱看科幻")

    def test_it_refuses_another_patrons_student_number_and_changes_nothing(self) -> None:
        with self.assertRaises(InvalidPatron):
            services.update_patron(
                self.ada_patron, self.data(name="王小达", number="2024030101"), by=self.lena
            )
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.name, "王艾达")

    def test_a_student_in_a_class_that_graduated_keeps_it_on_edit(self) -> None:
        graduated = SchoolClass.objects.get(pk=self.class_5_2.pk)
        graduated.graduated_on = date(2025, 7, 1)
        graduated.save()
        services.update_patron(
            self.ada_patron, self.data(notes="已毕业", school_class=graduated), by=self.lena
        )
        with self.assertRaisesMessage(InvalidPatron, "已毕业"):
            services.update_patron(
                self.bea_patron,
                PatronData(name="白贝", number="2024030101", school_class=graduated),
                by=self.lena,
            )

    def test_a_student_who_becomes_staff_moves_the_number_and_leaves_the_class(self) -> None:
        services.update_patron(
            self.ada_patron,
            self.data(type="staff", school_class=None, number="S01"),
            by=self.lena,
        )
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.student_number, "")
        self.assertEqual(self.ada_patron.staff_number, "S01")
        self.assertIsNone(self.ada_patron.school_class)


class SetStatusTests(PatronWorld):
    def test_it_suspends_and_reactivates_with_an_audit_row_each(self) -> None:
        services.set_status(self.ada_patron, Patron.Status.SUSPENDED, by=self.lena)
        services.set_status(self.ada_patron, Patron.Status.ACTIVE, by=self.lena)
        rows = AuditLog.objects.filter(action="patron.status_changed").order_by("at", "pk")
        self.assertEqual(
            [row.detail for row in rows],
            [{"old": "active", "new": "suspended"}, {"old": "suspended", "new": "active"}],
        )

    def test_a_found_card_can_be_reactivated(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        patron = services.set_status(self.ada_patron, Patron.Status.ACTIVE, by=self.lena)
        self.assertEqual(patron.status, Patron.Status.ACTIVE)
        self.assertEqual(patron.card_number, "P0001")

    def test_a_patron_who_left_can_come_back(self) -> None:
        services.set_status(self.ada_patron, Patron.Status.LEFT, by=self.lena)
        patron = services.set_status(self.ada_patron, Patron.Status.ACTIVE, by=self.lena)
        self.assertTrue(patron.is_active)

    def test_a_graduate_is_not_reactivated_by_hand(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.GRADUATED)
        with self.assertRaisesMessage(PatronError, "撤销升级"):
            services.set_status(self.ada_patron, Patron.Status.ACTIVE, by=self.lena)
        services.set_status(self.ada_patron, Patron.Status.LEFT, by=self.lena)

    def test_it_refuses_the_same_status_and_the_statuses_other_steps_set(self) -> None:
        with self.assertRaisesMessage(PatronError, "该读者已经是：正常"):
            services.set_status(self.ada_patron, Patron.Status.ACTIVE, by=self.lena)
        for status in (Patron.Status.CARD_LOST, Patron.Status.GRADUATED):
            with self.subTest(status=status), self.assertRaises(PatronError):
                services.set_status(self.ada_patron, status, by=self.lena)
        self.assertFalse(AuditLog.objects.filter(action="patron.status_changed").exists())
