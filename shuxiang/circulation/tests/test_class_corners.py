from __future__ import annotations

from datetime import date

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import AlreadyOnLoan, HeldForOther, NotForLoan, PatronBlocked
from shuxiang.circulation.models import CirculationEvent, Loan
from shuxiang.circulation.tests.service_case import ServiceTestCase
from shuxiang.patrons.models import SchoolClass


class LendToCornerTests(ServiceTestCase):
    """班级图书角: a batch of books lent to 五年级(2)班 until the end of term."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.record("童话集", [f"C{n:04d}" for n in range(5)])

    def test_a_batch_of_books_goes_to_the_class_until_the_end_of_term(self) -> None:
        for n in range(5):
            services.lend_to_corner(self.class_5_2, f"C{n:04d}", self.desk)
        loans = Loan.objects.filter(school_class=self.class_5_2)
        self.assertEqual(loans.count(), 5)
        loan = loans.first()
        assert loan is not None
        self.assertEqual((loan.kind, loan.patron, loan.patron_type), ("corner", None, "class"))
        self.assertEqual(loan.due_on, date(2027, 1, 29))  # the last open day of the term
        self.assertEqual(Item.objects.filter(status=Item.Status.ON_LOAN).count(), 5)
        event = CirculationEvent.objects.filter(action="corner_out").first()
        assert event is not None
        self.assertEqual(event.detail, {"class": self.class_5_2.pk})

    def test_corner_books_count_against_no_pupils_limit(self) -> None:
        for n in range(5):
            services.lend_to_corner(self.class_5_2, f"C{n:04d}", self.desk)
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)

    def test_they_come_back_through_the_ordinary_return(self) -> None:
        services.lend_to_corner(self.class_5_2, "C0000", self.desk)
        result = services.return_from_corner("C0000", self.desk)
        self.assertEqual(result.loan.kind, Loan.Kind.CLASS_CORNER)
        self.assertEqual(self.item("C0000").status, Item.Status.ON_SHELF)
        self.assertTrue(CirculationEvent.objects.filter(action="corner_in").exists())
        services.lend_to_corner(self.class_5_2, "C0000", self.desk)
        self.assertEqual(services.check_in("C0000", self.desk).loan.school_class, self.class_5_2)

    def test_it_refuses_a_graduated_class(self) -> None:
        old = SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2026, 7, 1))
        lend = services.lend_to_corner
        self.refused(PatronBlocked, "这个班级已经毕业", lend, old, "C0000", self.desk)

    def test_it_refuses_reference_and_reading_room_books(self) -> None:
        self.record("读者", ["Y0001"], location=self.reading_room)
        lend = services.lend_to_corner
        for barcode in ("D0001", "Y0001"):
            with self.subTest(barcode):
                message = "工具书和阅览室的书不能借到班级图书角"
                self.refused(NotForLoan, message, lend, self.class_5_2, barcode, self.desk)

    def test_it_refuses_a_book_on_loan_or_out_of_circulation(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        lend = services.lend_to_corner
        self.refused(AlreadyOnLoan, "已借出", lend, self.class_5_2, "T0001", self.desk)
        services.mark_lost("T0002", self.desk)
        self.refused(NotForLoan, "丢失", lend, self.class_5_2, "T0002", self.desk)

    def test_it_refuses_a_copy_kept_for_a_reader(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)
        lend = services.lend_to_corner
        self.refused(HeldForOther, "预约保留", lend, self.class_5_2, "T0001", self.desk)
