from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.accounts.models import AuditLog
from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

TODAY = date(2025, 11, 12)  # autumn term 2025: 2025-08-01 … 2026-01-31
URL = "/staff/patrons/classes/"


TODAY_DT = datetime(2025, 11, 12, 9, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
class ClassListViewTests(BaseTestCase):
    class_3_1: SchoolClass
    class_5_1: SchoolClass
    bo: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_3_1 = SchoolClass.objects.create(grade=3, number=1)
        cls.class_5_1 = SchoolClass.objects.create(grade=5, number=1)
        cls.bo = Patron.objects.create(
            card_number="P0010",
            name="李博",
            student_number="2022050202",
            school_class=cls.class_5_2,
        )
        Patron.objects.create(
            card_number="P0011",
            name="离校生",
            student_number="2022050203",
            school_class=cls.class_5_2,
            status=Patron.Status.LEFT,
        )

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_lists_current_classes_by_grade_with_their_figures(self) -> None:
        t1, t2 = self.journey.items.order_by("barcode")
        Loan.objects.create(
            item=t1,
            patron=self.ada_patron,
            school_class=self.class_5_2,
            checked_out_on=date(2025, 11, 1),
            due_on=date(2025, 11, 15),
        )
        # Returned loans count for the term; last term's do not.
        for on in (date(2025, 9, 10), date(2025, 6, 1)):
            Loan.objects.create(
                item=t2,
                patron=self.bo,
                school_class=self.class_5_2,
                checked_out_on=on,
                due_on=on + timedelta(days=14),
                returned_at=TODAY_DT,
            )
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        grades = [(label, [c.label for c in cs]) for label, cs in r.context["by_grade"]]
        fifth = ["五年级(1)班", "五年级(2)班"]
        self.assertEqual(grades, [("三年级", ["三年级(1)班"]), ("五年级", fifth)])
        row = r.context["by_grade"][1][1][1]
        self.assertEqual((row.students_count, row.loans_out, row.term_loans), (2, 1, 2))
        self.assertContains(r, "韩老师")
        self.assertContains(r, f'href="/staff/patrons/classes/{self.class_5_2.pk}/"')
        self.assertEqual(r.context["totals"]["students"], 2)

    def test_it_counts_in_a_fixed_number_of_queries(self) -> None:
        with CaptureQueriesContext(connection) as few:
            self.client.get(URL)
        for n in range(1, 9):
            SchoolClass.objects.create(grade=2, number=n)
        with CaptureQueriesContext(connection) as many:
            self.client.get(URL)
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(few), 8)

    def test_it_lists_graduated_classes_apart_by_year(self) -> None:
        SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2025, 7, 10))
        SchoolClass.objects.create(grade=6, number=2, graduated_on=date(2024, 7, 10))
        r = self.client.get(URL)
        self.assertEqual(list(r.context["graduated"]), [2025, 2024])
        self.assertContains(r, "<details", count=2)
        self.assertContains(r, "六年级(1)班（2025届）")
        current = [c.label for _, cs in r.context["by_grade"] for c in cs]
        self.assertNotIn("六年级(1)班（2025届）", current)

    def test_it_adds_a_class_then_opens_its_edit_page(self) -> None:
        r = self.client.post(URL, {"grade": "4", "number": "3", "enrolment_year": "2024"})
        school_class = SchoolClass.objects.get(grade=4, number=3)
        self.assertRedirects(r, f"/staff/patrons/classes/{school_class.pk}/edit/")
        self.assertEqual(school_class.enrolment_year, 2024)
        self.assertTrue(AuditLog.objects.filter(action="class.created").exists())

    def test_it_refuses_a_duplicate_class_in_chinese(self) -> None:
        r = self.client.post(URL, {"grade": "5", "number": "2"})
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "五年级(2)班已存在", status_code=422)
        self.assertEqual(SchoolClass.objects.filter(grade=5, number=2).count(), 1)

    def test_it_offers_only_the_grades_of_the_school(self) -> None:
        r = self.client.post(URL, {"grade": "7", "number": "1"})
        self.assertEqual(r.status_code, 422)
        self.assertFalse(SchoolClass.objects.filter(grade=7).exists())
        choices = [value for value, _ in r.context["form"].fields["grade"].choices]
        self.assertEqual(choices, [1, 2, 3, 4, 5, 6])

    def test_it_is_for_the_librarian_only(self) -> None:
        self.client.force_login(self.hana)
        self.assertEqual(self.client.get(URL).status_code, 403)
        self.client.logout()
        self.assertRedirects(
            self.client.get(URL), f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )
