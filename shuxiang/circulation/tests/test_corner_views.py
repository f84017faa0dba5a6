"""The class corner pages: who may open them, the overview, a class's corner, its printout."""

from __future__ import annotations

from datetime import date

from shuxiang.circulation import services
from shuxiang.circulation.models import Loan

from .test_corner_base import CornerWorld

LIST = "/staff/corners/"


class CornerAccessTests(CornerWorld):
    def page(self, pk: int | None = None) -> str:
        return f"{LIST}{pk or self.class_5_2.pk}/"

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        for url in (LIST, self.page(), f"{self.page()}print/"):
            r = self.client.get(url)
            self.assertEqual(r.status_code, 302, url)
            self.assertIn("/accounts/login/", r["Location"])

    def test_students_teachers_and_assistants_may_not_open_them(self) -> None:
        for user in (self.ada, self.tom, self.sam):
            self.client.force_login(user)
            for url in (LIST, self.page(), f"{self.page()}print/"):
                self.assertEqual(self.client.get(url).status_code, 403, (user, url))

    def test_only_the_librarian_may_scan(self) -> None:
        for user in (self.hana, self.ada, self.tom, self.sam):
            self.client.force_login(user)
            for action in ("lend", "return", "return-all"):
                r = self.client.post(f"{self.page()}{action}/", {"barcode": "C0001"})
                self.assertEqual(r.status_code, 403, (user, action))
        self.assertEqual(Loan.objects.count(), 0)

    def test_scanning_needs_a_post(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get(f"{self.page()}lend/").status_code, 405)

    def test_a_homeroom_teacher_sees_their_own_class_corner_without_the_scanner(self) -> None:
        services.lend_to_corner(self.class_5_2, "C0001", self.desk())
        self.client.force_login(self.hana)
        r = self.client.get(self.page())
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "草房子")
        self.assertContains(r, "C0001")
        self.assertNotContains(r, "data-scan-form")
        self.assertNotContains(r, "return-all")
        self.assertEqual(self.client.get(f"{self.page()}print/").status_code, 200)

    def test_a_homeroom_teacher_may_not_open_another_class_corner(self) -> None:
        self.client.force_login(self.hana)
        self.assertEqual(self.client.get(self.page(self.class_3_1.pk)).status_code, 403)

    def test_a_homeroom_teacher_overview_lists_only_their_class(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(LIST)
        self.assertEqual(r.status_code, 200)
        self.assertEqual([row.school_class for row in r.context["rows"]], [self.class_5_2])

    def test_an_unknown_class_is_a_404(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get(self.page(99999)).status_code, 404)
        self.assertEqual(self.client.post(f"{self.page(99999)}lend/").status_code, 404)


class CornerOverviewTests(CornerWorld):
    def test_it_lists_every_class_with_its_corner_books_since_when_and_due(self) -> None:
        services.lend_to_corner(self.class_5_2, "C0001", self.desk())
        services.lend_to_corner(self.class_5_2, "C0002", self.desk())
        self.client.force_login(self.lena)
        r = self.client.get(LIST)
        self.assertEqual(r.status_code, 200)
        rows = {row.school_class: row for row in r.context["rows"]}
        self.assertEqual(list(rows), [self.class_3_1, self.class_5_2])  # by grade
        five = rows[self.class_5_2]
        self.assertEqual((five.books, five.since, five.term_books), (2, date(2026, 11, 23), 2))
        # Due at the end of term: 2027-01-31 is a Sunday, so the Friday before.
        self.assertEqual(five.due, date(2027, 1, 29))
        self.assertEqual(rows[self.class_3_1].books, 0)
        self.assertContains(r, "2027-01-29")
        self.assertContains(r, f"{LIST}{self.class_5_2.pk}/")
        self.assertContains(r, "班级图书角")

    def test_a_graduated_class_still_holding_books_is_shown_so_they_come_back(self) -> None:
        services.lend_to_corner(self.class_3_1, "C0001", self.desk())
        self.class_3_1.graduated_on = date(2026, 11, 23)
        self.class_3_1.save()
        self.client.force_login(self.lena)
        r = self.client.get(LIST)
        labels = [row.school_class for row in r.context["rows"]]
        self.assertIn(self.class_3_1, labels)
        self.assertContains(r, "已毕业")

    def test_the_overview_takes_a_fixed_number_of_queries(self) -> None:
        for n in range(1, 5):
            services.lend_to_corner(self.class_5_2, f"C000{n}", self.desk())
        self.client.force_login(self.lena)
        self.client.get(LIST)  # warm the circulation settings cache
        with self.assertNumQueries(3):  # session, user, and the classes with their corners
            self.client.get(LIST)


class CornerPageTests(CornerWorld):
    def setUp(self) -> None:
        services.lend_to_corner(self.class_5_2, "C0001", self.desk())
        services.lend_to_corner(self.class_5_2, "C0002", self.desk())
        services.lend_to_corner(self.class_3_1, "C0003", self.desk())
        self.client.force_login(self.lena)

    def test_it_lists_the_books_the_class_holds_and_offers_the_scanner(self) -> None:
        r = self.client.get(f"{LIST}{self.class_5_2.pk}/")
        self.assertEqual(r.status_code, 200)
        self.assertEqual([loan.item.barcode for loan in r.context["loans"]], ["C0001", "C0002"])
        self.assertNotContains(r, "C0003")
        self.assertContains(r, "data-scan-form")
        self.assertContains(r, f"{LIST}{self.class_5_2.pk}/lend/")
        self.assertContains(r, "五年级(2)班")

    def test_the_take_back_session_posts_to_the_return_scanner(self) -> None:
        r = self.client.get(f"{LIST}{self.class_5_2.pk}/?mode=return")
        self.assertContains(r, f'action="{LIST}{self.class_5_2.pk}/return/"')

    def test_the_printable_list_has_the_books_and_room_to_sign(self) -> None:
        r = self.client.get(f"{LIST}{self.class_5_2.pk}/print/")
        self.assertEqual(r.status_code, 200)
        for text in ("C0001", "C0002", "草房子", "2027-01-29", "签字", "data-print"):
            self.assertContains(r, text)
        self.assertNotContains(r, "C0003")
