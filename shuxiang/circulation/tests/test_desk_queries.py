"""One scan, a fixed handful of queries: the noon rush must not slow down with a reader's
number of books (no query per loan or per hold)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item
from shuxiang.circulation import config
from shuxiang.circulation.desk_views import build_panel
from shuxiang.circulation.models import Fine, Hold, Loan
from shuxiang.circulation.tests.test_desk_base import NOON, DeskTestCase

# The budget of a whole scan request: session, user, the lookup, the service's own work
# (locks, loan, item status, event), the reader's panel (3) and the session saved.
SCAN_BUDGET = 20


class DeskQueryTests(DeskTestCase):
    def shelf(self, n: int) -> list[Item]:
        record = catalog.catalogue_record(
            catalog.RecordData.with_authors("安徒生童话", ["安徒生"], class_number="I534.88"),
            [catalog.ItemData(barcode=f"A{i:04d}") for i in range(n)],
            by=self.lena,
        )
        return list(record.items.order_by("barcode"))

    def queries(self, code: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            r = self.scan(code)
        self.assertEqual(r.status_code, 200)
        return len(captured.captured_queries)

    def test_a_checkout_costs_the_same_with_one_book_out_or_eight(self) -> None:
        books = self.shelf(9)
        self.scan("P0002")  # 唐老师 may borrow 10
        self.scan(books[0].barcode)
        few = self.queries(books[1].barcode)
        for book in books[2:8]:
            self.scan(book.barcode)
        many = self.queries(books[8].barcode)
        self.assertEqual(Loan.objects.open().filter(patron=self.tom_patron).count(), 9)
        self.assertEqual(few, many)
        self.assertLessEqual(many, SCAN_BUDGET)

    def test_a_return_and_a_card_stay_within_the_budget(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.press("close")
        self.assertLessEqual(self.queries("T0001"), SCAN_BUDGET)
        self.assertLessEqual(self.queries("P0001"), SCAN_BUDGET)

    def test_the_reader_panel_is_three_queries_whatever_it_shows(self) -> None:
        books = self.shelf(6)
        for book in books[:5]:
            Item.objects.filter(pk=book.pk).update(status=Item.Status.ON_LOAN)
            Loan.objects.create(
                item=book,
                patron=self.tom_patron,
                checked_out_on=date(2026, 10, 1),
                due_on=NOON.date() - timedelta(days=3),
                rule=None,
            )
        Hold.objects.create(record=self.journey, patron=self.tom_patron)
        Hold.objects.create(
            record=books[5].record,
            patron=self.tom_patron,
            item=books[5],
            status=Hold.Status.READY,
        )
        Fine.objects.create(patron=self.tom_patron, reason="lost", amount=Decimal("20.00"))
        self.tom_patron.refresh_from_db()
        config.snapshot()  # the rules and calendar, cached once per process
        with self.assertNumQueries(3):  # loans (with books and rules), compensation, holds
            panel = build_panel(self.tom_patron, NOON.date())
            html = render_to_string("circulation/_desk_patron.html", {"panel": panel})
        self.assertEqual(html.count("data-desk-loan="), 5)
        self.assertIn("¥20.00", html)
