from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import services
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

TODAY = date(2025, 11, 12)  # autumn term 2025: 2025-08-01 … 2026-01-31
RETURNED = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)


def lend(item: Item, patron: Patron, on: date, *, days: int = 14, returned: bool = False) -> Loan:
    return Loan.objects.create(
        item=item,
        patron=patron,
        school_class=patron.school_class,
        checked_out_on=on,
        due_on=on + timedelta(days=days),
        returned_at=RETURNED if returned else None,
    )


@time_machine.travel(TODAY, tick=False)
class ClassDetailViewTests(BaseTestCase):
    bo: Patron
    t1: Item
    t2: Item
    url: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.bo = Patron.objects.create(
            card_number="P0010",
            name="李博",
            student_number="2022050200",
            school_class=cls.class_5_2,
            status=Patron.Status.CARD_LOST,
        )
        cls.class_5_2.assistants.add(cls.bo)
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")
        cls.url = f"/staff/patrons/classes/{cls.class_5_2.pk}/"

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_shows_the_class_heading_with_its_teacher_and_assistants(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, '<h1 class="mb-1">五年级(2)班</h1>', html=False)
        self.assertContains(r, "班主任: 韩老师")
        self.assertContains(r, "小图书管理员: 李博")
        self.assertContains(r, "data-print")

    def test_it_lists_the_students_by_student_number_with_their_loans(self) -> None:
        lend(self.t1, self.ada_patron, date(2025, 10, 1))  # overdue since 10-15
        lend(self.t2, self.ada_patron, date(2025, 9, 1), returned=True)
        lend(self.t2, self.ada_patron, date(2025, 5, 1), returned=True)  # last term
        r = self.client.get(self.url)
        students = r.context["students"]
        self.assertEqual([s.name for s in students], ["李博", "王艾达"])
        ada = students[1]
        self.assertEqual((ada.loans_out, ada.term_loans, ada.overdue), (1, 2, 1))
        self.assertContains(r, "已挂失")  # 李博's status badge

    def test_it_lists_the_books_out_with_days_overdue(self) -> None:
        lend(self.t1, self.ada_patron, date(2025, 10, 1))
        lend(self.t2, self.bo, date(2025, 11, 5))
        r = self.client.get(self.url)
        loans = r.context["loans"]
        self.assertEqual(
            [(x.item.barcode, x.overdue_days) for x in loans], [("T0001", 28), ("T0002", 0)]
        )
        self.assertContains(r, "table-danger", count=1)
        self.assertContains(r, "西游记", count=2)

    def test_it_can_show_the_overdue_books_only_for_printing(self) -> None:
        lend(self.t1, self.ada_patron, date(2025, 10, 1))
        lend(self.t2, self.bo, date(2025, 11, 5))
        r = self.client.get(self.url, {"overdue": "1"})
        self.assertEqual([x.item.barcode for x in r.context["loans"]], ["T0001"])
        self.assertEqual(r.context["books_out"], 2)

    def test_it_gives_the_term_total_and_the_average_per_student(self) -> None:
        for n in range(3):
            lend(self.t2, self.ada_patron, date(2025, 9, 1 + n), returned=True)
        r = self.client.get(self.url)
        self.assertEqual(r.context["term_loans"], 3)
        self.assertEqual(r.context["enrolled"], 2)  # a lost card is still in the class
        self.assertEqual(r.context["per_student"], Decimal("1.5"))

    def test_corner_loans_count_for_the_class_but_not_per_student(self) -> None:
        for n in range(3):
            lend(self.t2, self.ada_patron, date(2025, 9, 1 + n), returned=True)
        t3 = services.add_item(self.journey, services.ItemData(barcode="T0003"), by=self.lena)
        Loan.objects.create(
            item=t3,
            school_class=self.class_5_2,
            kind=Loan.Kind.CLASS_CORNER,
            checked_out_on=TODAY,
            due_on=date(2026, 1, 20),
        )
        r = self.client.get(self.url)
        self.assertEqual((r.context["term_loans"], r.context["corner_loans"]), (4, 1))
        self.assertEqual(r.context["corner_out"], 1)
        self.assertContains(r, "其中借给班级图书角 1 册")
        self.assertEqual(r.context["per_student"], Decimal("1.5"))  # 3 loans ÷ 2 students
        # The corner's book is on the printed recall list with the students' books.
        self.assertIn(t3.barcode, [loan.item.barcode for loan in r.context["loans"]])
        self.assertContains(r, "期末清还名单")

    def test_it_runs_a_fixed_number_of_queries(self) -> None:
        lend(self.t1, self.ada_patron, date(2025, 10, 1))
        with CaptureQueriesContext(connection) as few:
            self.client.get(self.url)
        more = services.catalogue_record(
            services.RecordData(title="呐喊", class_number="I210.4"),
            [services.ItemData(barcode=f"T01{n:02d}") for n in range(10)],
            by=self.lena,
        )
        for n, item in enumerate(more.items.all()):
            patron = Patron.objects.create(
                card_number=f"P01{n:02d}", name=f"学生{n}", school_class=self.class_5_2
            )
            lend(item, patron, date(2025, 10, 1))
        with CaptureQueriesContext(connection) as many:
            r = self.client.get(self.url)
        self.assertEqual(len(r.context["loans"]), 11)
        self.assertEqual(len(many), len(few))

    def test_it_writes_each_view_to_the_audit_log(self) -> None:
        self.client.get(self.url)
        log = AuditLog.objects.get(action="class.viewed")
        self.assertEqual((log.by, log.target_id), (self.lena, str(self.class_5_2.pk)))

    def test_it_opens_for_the_classes_homeroom_teacher_without_the_edit_button(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertFalse(r.context["can_edit"])
        self.assertNotContains(r, "/edit/")
        self.assertEqual(AuditLog.objects.get(action="class.viewed").by, self.hana)

    def test_it_refuses_everyone_else(self) -> None:
        other = User.objects.create_user("olga", role=User.Role.HOMEROOM)
        SchoolClass.objects.create(
            grade=4,
            number=1,
            homeroom_teacher=Patron.objects.create(
                card_number="P0020", name="欧老师", type=Patron.Type.TEACHER, user=other
            ),
        )
        for user in (other, self.tom, self.ada):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertFalse(AuditLog.objects.filter(action="class.viewed").exists())

    def test_it_says_not_found_for_an_unknown_class(self) -> None:
        self.assertEqual(self.client.get("/staff/patrons/classes/999/").status_code, 404)

    def test_it_sends_a_visitor_to_log_in(self) -> None:
        self.client.logout()
        r = self.client.get(self.url)
        self.assertRedirects(r, f"/accounts/login/?next={self.url}", fetch_redirect_response=False)
