"""Corner loans count for the class they were lent to: the loan carries the class, and the
corner pages show the term's figure."""

from __future__ import annotations

from shuxiang.circulation import queries, services
from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import SchoolClass

from .test_corner_base import NOON, CornerWorld

NOON_DAY = NOON.date()


class CornerStatisticsTests(CornerWorld):
    def setUp(self) -> None:
        for barcode in ("C0001", "C0002", "C0003"):
            services.lend_to_corner(self.class_5_2, barcode, self.desk())
        services.return_from_corner("C0003", self.desk())
        services.lend_to_corner(self.class_3_1, "C0004", self.desk())

    def test_a_corner_loan_carries_its_class_and_no_reader(self) -> None:
        loan = Loan.objects.get(item__barcode="C0001")
        self.assertEqual(loan.school_class, self.class_5_2)
        self.assertIsNone(loan.patron)
        self.assertEqual((loan.kind, loan.patron_type), (Loan.Kind.CLASS_CORNER, "class"))

    def test_the_term_figure_counts_every_book_lent_to_the_class_corner(self) -> None:
        self.assertEqual(queries.corner_summary(self.class_5_2, NOON_DAY).term_books, 3)
        self.assertEqual(queries.corner_summary(self.class_3_1, NOON_DAY).term_books, 1)
        self.client.force_login(self.hana)
        r = self.client.get(f"/staff/corners/{self.class_5_2.pk}/")
        self.assertEqual((len(r.context["loans"]), r.context["summary"].term_books), (2, 3))
        self.assertContains(r, "本学期共借给图书角 3 本")

    def test_a_corner_loan_stays_with_its_class_after_the_rollover(self) -> None:
        self.class_5_2.grade = 6
        self.class_5_2.save()
        rows = queries.corner_overview(NOON_DAY, SchoolClass.objects.all())
        six = next(row for row in rows if row.school_class == self.class_5_2)
        self.assertEqual((six.books, six.term_books), (2, 3))
