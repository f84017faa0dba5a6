from __future__ import annotations

from datetime import date

import time_machine
from django.db import connection

from shuxiang.catalog.models import Item
from shuxiang.circulation import config, services
from shuxiang.circulation.errors import ItemNotFound, NotOnLoan
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.circulation.tests.service_case import ServiceTestCase, at


class CheckInTests(ServiceTestCase):
    def test_it_closes_the_loan_and_puts_the_copy_back_on_the_shelf(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        result = services.check_in("T0001", self.desk)
        loan = Loan.objects.get()
        self.assertEqual(result.loan, loan)
        self.assertEqual(loan.returned_at, at("2026-11-23"))
        self.assertEqual(loan.checked_in_by, self.lena)
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)
        self.assertEqual((result.overdue_days, result.hold, result.in_room), (0, None, False))

    def test_it_says_how_many_days_late_the_book_is(self) -> None:
        services.check_out("P0001", "T0001", self.desk)  # due 12-07
        with time_machine.travel(at("2026-12-10"), tick=False):
            result = services.check_in("t0001", self.desk)
        self.assertEqual(result.overdue_days, 3)
        self.assertEqual(CirculationEvent.objects.get(action="checkin").detail, {"overdue_days": 3})

    def test_a_book_back_on_its_due_date_is_not_late(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        with time_machine.travel(at("2026-12-07", "16:20"), tick=False):
            self.assertEqual(services.check_in("T0001", self.desk).overdue_days, 0)

    def test_it_says_a_book_was_used_in_the_room(self) -> None:
        services.check_out("P0001", "D0001", self.desk)
        self.assertTrue(services.check_in("D0001", self.desk).in_room)

    def test_it_refuses_a_book_that_is_not_on_loan(self) -> None:
        refused = self.refused(NotOnLoan, "这本书没有借出", services.check_in, "T0001", self.desk)
        self.assertEqual((refused.code, refused.status), ("not_on_loan", 409))

    def test_a_second_scan_of_the_same_return_is_refused(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_in("T0001", self.desk)
        self.refused(NotOnLoan, "这本书没有借出", services.check_in, "T0001", self.desk)
        self.assertEqual(CirculationEvent.objects.filter(action="checkin").count(), 1)

    def test_it_refuses_an_unknown_barcode(self) -> None:
        refused = self.refused(
            ItemNotFound, "没有条码号为 X1 的书", services.check_in, "x1", self.desk
        )
        self.assertEqual(refused.code, "item_not_found")

    def test_it_keeps_a_copy_out_of_circulation_where_it_is(self) -> None:
        # A copy found missing at stocktake while on loan comes back: it stays flagged until
        # someone looks at it, rather than going quietly back on the shelf.
        services.check_out("P0001", "T0001", self.desk)
        Item.objects.filter(barcode="T0001").update(status=Item.Status.MISSING)
        services.check_in("T0001", self.desk)
        self.assertEqual(self.item("T0001").status, Item.Status.MISSING)

    def test_it_keeps_the_copy_for_the_first_reader_waiting(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        first = services.place_hold("P0001", self.journey, self.desk)
        services.place_hold(self.student("P0009"), self.journey, self.desk)
        result = services.check_in("T0001", self.desk)
        self.assertEqual(result.hold, first)
        first.refresh_from_db()
        self.assertEqual((first.status, first.item), (Hold.Status.READY, self.item("T0001")))
        self.assertEqual(first.expires_on, date(2026, 11, 30))  # seven days on, an open day
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)


class CheckInQueryTests(ServiceTestCase):
    def test_a_return_takes_four_statements(self) -> None:
        config.snapshot()
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        services.check_in("T0002", self.desk)  # compiles the lookup once
        # The loan with its copy, patron and class in one locked read; the loan, the event,
        # the copy's status. PostgreSQL looks at the holds as well, after its lock.
        expected = 4 if connection.vendor == "sqlite" else 5
        with self.assertNumQueries(expected + 2):
            services.check_in("T0001", self.desk)
