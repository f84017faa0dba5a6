from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import overdue, services
from shuxiang.circulation.models import CirculationPolicy, Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

NOW = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday in term
TODAY = NOW.date()


def lend(item: Item, patron: Patron, due: date) -> Loan:
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
    return Loan.objects.create(
        item=item,
        patron=patron,
        school_class=patron.school_class,
        patron_type=patron.type,
        checked_out_on=due - timedelta(days=14),
        due_on=due,
    )


@time_machine.travel(NOW, tick=False)
class OverdueListTests(BaseTestCase):
    class_3_2: SchoolClass
    bo: Patron
    cai: Patron
    t1: Item
    t2: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        cls.bo = Patron.objects.create(
            card_number="P0010", name="李博", student_number="0024", school_class=cls.class_3_2
        )
        cls.cai = Patron.objects.create(
            card_number="P0011", name="蔡小花", student_number="0031", school_class=cls.class_5_2
        )

    def setUp(self) -> None:
        lend(self.t1, self.ada_patron, TODAY - timedelta(days=9))
        lend(self.t2, self.bo, TODAY - timedelta(days=3))

    def test_it_lists_a_class_for_its_homeroom_teacher(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "五年级(2)班 超期图书催还单 2026-11-23")
        lines = r.context["lines"]
        self.assertEqual([(ln.patron.name, ln.days) for ln in lines], [("王艾达", 9)])
        self.assertContains(r, "2022050201")
        self.assertContains(r, "T0001")
        self.assertContains(r, "2026-11-14")
        self.assertNotContains(r, "李博")

    def test_it_refuses_a_homeroom_teacher_another_class(self) -> None:
        self.client.force_login(self.hana)
        for path in ("", "overdue.xlsx", "overdue.pdf", "notices/"):
            r = self.client.get(f"/staff/overdue/classes/{self.class_3_2.pk}/{path}")
            self.assertEqual(r.status_code, 403, path)

    def test_it_sends_a_homeroom_teacher_straight_to_their_class(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get("/staff/overdue/")
        self.assertRedirects(r, f"/staff/overdue/classes/{self.class_5_2.pk}/")

    def test_it_lists_the_whole_school_for_the_librarian(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/")
        self.assertEqual(r.status_code, 200)
        names = [ln.patron.name for ln in r.context["lines"]]
        self.assertEqual(names, ["李博", "王艾达"])  # 三年级 before 五年级
        counts = [(c.school_class.label, c.books) for c in r.context["by_class"] if c.school_class]
        self.assertEqual(counts, [("三年级(2)班", 1), ("五年级(2)班", 1)])

    def test_it_puts_teachers_after_the_classes(self) -> None:
        t3 = services.find_item("T0002")
        Loan.objects.filter(item=t3).delete()
        lend(t3, self.tom_patron, TODAY - timedelta(days=1))
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/")
        self.assertEqual(r.context["by_class"][-1].school_class, None)
        self.assertContains(r, "教师和职工")

    def test_it_leaves_out_books_due_today_and_returned_books(self) -> None:
        Loan.objects.filter(patron=self.bo).update(due_on=TODAY)
        Loan.objects.filter(patron=self.ada_patron).update(returned_at=NOW)
        self.assertEqual(overdue.overdue_lines(TODAY), [])

    def test_it_leaves_out_class_corner_loans(self) -> None:
        Loan.objects.filter(patron=self.bo).update(
            patron=None, kind=Loan.Kind.CLASS_CORNER, school_class=self.class_3_2
        )
        self.assertEqual([ln.patron for ln in overdue.overdue_lines(TODAY)], [self.ada_patron])

    def test_it_shows_who_the_overdue_block_stops(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(overdue_block_days=7)
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/")
        self.assertEqual(r.context["blocked"], [self.ada_patron])  # 9 days > 7; 李博 3 days
        self.assertContains(r, "已停借")
        # The page and the desk agree on who is blocked.
        self.assertTrue(services.patron_blocks(self.ada_patron, today=TODAY))
        self.assertFalse(services.patron_blocks(self.bo, today=TODAY))

    def test_it_shows_no_block_panel_when_the_school_has_no_block(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/")
        self.assertIsNone(r.context["block_days"])
        self.assertNotContains(r, "已停借")

    def test_it_keeps_students_and_assistants_out(self) -> None:
        assistant = User.objects.create_user("sam", password="x", role=User.Role.ASSISTANT)
        for user in (self.ada, self.tom, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get("/staff/overdue/").status_code, 403)
            r = self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/")
            self.assertEqual(r.status_code, 403)
            self.assertEqual(self.client.get("/staff/overdue/school.xlsx").status_code, 403)

    def test_it_sends_visitors_to_the_login_page(self) -> None:
        r = self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/")
        self.assertRedirects(
            r,
            f"/accounts/login/?next=/staff/overdue/classes/{self.class_5_2.pk}/",
            fetch_redirect_response=False,
        )

    def test_it_writes_each_view_to_the_audit_log(self) -> None:
        self.client.force_login(self.hana)
        self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/")
        log = AuditLog.objects.get(action="overdue.viewed")
        self.assertEqual((log.by, log.target_id), (self.hana, str(self.class_5_2.pk)))

    def test_it_reads_the_whole_school_in_a_fixed_number_of_queries(self) -> None:
        self.client.force_login(self.lena)
        self.client.get("/staff/overdue/")  # warm the settings snapshot
        for n in range(3, 13):
            item = Item.objects.create(
                record=self.journey,
                barcode=f"T{n:04d}",
                accession_number=f"A{n}",
                location=self.stacks,
            )
            lend(item, self.cai if n % 2 else self.bo, TODAY - timedelta(days=n))
        with self.assertNumQueries(6):
            r = self.client.get("/staff/overdue/")
        self.assertEqual(len(r.context["lines"]), 12)
