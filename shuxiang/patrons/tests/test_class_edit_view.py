from __future__ import annotations

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase


class ClassEditViewTests(BaseTestCase):
    bo: Patron
    cai: Patron
    class_4_1: SchoolClass
    url: str

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
        cls.url = f"/staff/patrons/classes/{cls.class_5_2.pk}/edit/"

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_offers_teachers_and_the_classes_own_students(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        form = r.context["form"]
        self.assertEqual(
            set(form.fields["homeroom_teacher"].queryset), {self.tom_patron, self.hana_patron}
        )
        self.assertEqual(list(form.fields["assistants"].queryset), [self.ada_patron, self.bo])
        self.assertContains(r, "2022050202 李博")
        self.assertEqual(form.initial["homeroom_teacher"], self.hana_patron.pk)

    def test_it_saves_and_returns_to_the_class_page(self) -> None:
        r = self.client.post(
            self.url,
            {
                "homeroom_teacher": self.tom_patron.pk,
                "assistants": [self.ada_patron.pk, self.bo.pk],
                "enrolment_year": "2022",
            },
        )
        self.assertRedirects(r, f"/staff/patrons/classes/{self.class_5_2.pk}/")
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.homeroom_teacher, self.tom_patron)
        self.assertEqual(set(self.class_5_2.assistants.all()), {self.ada_patron, self.bo})
        self.assertTrue(AuditLog.objects.filter(action="class.updated").exists())

    def test_it_refuses_a_student_of_another_class_and_changes_nothing(self) -> None:
        r = self.client.post(
            self.url, {"homeroom_teacher": self.hana_patron.pk, "assistants": [self.cai.pk]}
        )
        self.assertEqual(r.status_code, 422)
        self.assertTrue(r.context["form"].errors["assistants"])
        self.assertFalse(self.class_5_2.assistants.exists())

    def test_it_refuses_an_unlikely_year_in_chinese(self) -> None:
        r = self.client.post(self.url, {"enrolment_year": "1900"})
        self.assertContains(r, "1990", status_code=422)
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.enrolment_year, 2022)

    def test_it_is_for_the_librarian_only(self) -> None:
        for user in (self.hana, self.tom, self.ada):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url).status_code, 403)
                self.assertEqual(self.client.post(self.url, {}).status_code, 403)
        self.class_5_2.refresh_from_db()
        self.assertEqual(self.class_5_2.homeroom_teacher, self.hana_patron)
