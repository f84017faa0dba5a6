"""Adding and editing a patron through the pages: errors in Chinese, nothing saved on error."""

from __future__ import annotations

from typing import Any

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons.models import Patron

from .test_patron_roles import PatronWorld


class PatronNewViewTests(PatronWorld):
    URL = "/staff/patrons/new/"

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def form(self, **changes: Any) -> dict[str, Any]:
        data = {
            "name": "李小明",
            "type": "student",
            "number": "2024030102",
            "school_class": str(self.class_3_1.pk),
            "gender": "m",
            "enrolment_year": "2024",
            "card_number": "",
            "guardian_phone": "",
            "notes": "",
        }
        data.update(changes)
        return data

    def test_it_shows_an_empty_form_with_the_cursor_on_the_name(self) -> None:
        r = self.client.get(self.URL)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'name="card_number"')
        self.assertContains(r, "autofocus")
        self.assertContains(r, "三年级(1)班")

    def test_a_class_page_can_preselect_the_class(self) -> None:
        r = self.client.get(self.URL, {"class": self.class_3_1.pk})
        self.assertContains(r, f'<option value="{self.class_3_1.pk}" selected>')

    def test_it_adds_the_patron_with_an_automatic_card_and_opens_the_record(self) -> None:
        r = self.client.post(self.URL, self.form(), follow=True)
        patron = Patron.objects.get(name="李小明")
        self.assertRedirects(r, f"/staff/patrons/{patron.pk}/")
        self.assertContains(r, f"已添加读者，借书证号 {patron.card_number}")
        self.assertEqual(patron.school_class, self.class_3_1)

    def test_a_scanned_card_number_is_used(self) -> None:
        self.client.post(self.URL, self.form(card_number="ｒ９００１"))
        self.assertEqual(Patron.objects.get(name="李小明").card_number, "R9001")

    def assert_refused(self, data: dict[str, Any], message: str) -> None:
        r = self.client.post(self.URL, data)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "尚未保存")
        self.assertContains(r, message)
        self.assertFalse(Patron.objects.filter(name=data["name"] or "李小明").exists())
        self.assertFalse(AuditLog.objects.filter(action="patron.created").exists())

    def test_a_blank_name_is_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(name=""), "请填写读者姓名")

    def test_a_duplicate_student_number_is_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(number="２０２２０５０２０１"), "学号 2022050201 已经属于")

    def test_a_student_without_a_class_is_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(school_class=""), "请选择学生所在班级")

    def test_a_teacher_with_a_class_is_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(type="teacher"), "教师和职工不属于班级")

    def test_a_malformed_or_taken_card_number_is_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(card_number="书"), "格式不对")
        self.assert_refused(self.form(card_number="P0002"), "借书证号 P0002 已被使用")
        self.assert_refused(self.form(card_number="T0001"), "已经是一本书的条码号")

    def test_a_bad_year_and_phone_are_refused_in_chinese(self) -> None:
        self.assert_refused(self.form(enrolment_year="二〇二四"), "入学年份应写成 2024")
        self.assert_refused(self.form(guardian_phone="问老师"), "家长电话应为数字")


class PatronEditViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/patrons/{self.ada_patron.pk}/edit/"

    def test_it_shows_the_patron_without_a_card_number_field(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'value="王艾达"')
        self.assertContains(r, 'value="2022050201"')
        self.assertNotContains(r, 'name="card_number"')
        self.assertContains(r, "补办借书证")
        row = AuditLog.objects.get(action="patron.viewed")
        self.assertEqual((row.target_id, row.detail), (str(self.ada_patron.pk), {"page": "edit"}))

    def test_it_saves_and_logs_the_changed_field_names(self) -> None:
        data = {
            "name": "王艾达",
            "type": "student",
            "number": "2022050201",
            "school_class": str(self.class_5_2.pk),
            "gender": "f",
            "enrolment_year": "2022",
            "guardian_phone": "13800000002",
            "notes": "",
        }
        r = self.client.post(self.url, data)
        self.assertRedirects(r, f"/staff/patrons/{self.ada_patron.pk}/")
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.guardian_phone, "13800000002")
        row = AuditLog.objects.get(action="patron.updated")
        self.assertEqual(row.detail, {"fields": ["guardian_phone"]})

    def test_errors_keep_the_patron_unchanged(self) -> None:
        data = {"name": "王小达", "type": "student", "number": "2024030101", "school_class": ""}
        r = self.client.post(self.url, data)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "学号 2024030101 已经属于 白贝（P0012）")
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.name, "王艾达")
