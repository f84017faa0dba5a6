"""Lending a batch to a class corner and taking it back: one scan at a time through the
services, each answered green, yellow or red with its reason in Chinese."""

from __future__ import annotations

from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.models import CirculationEvent, Hold, Loan

from .test_corner_base import HTMX, CornerWorld, zh

CORNER = Loan.Kind.CLASS_CORNER
# session, user, class; the item and its open loan (for the corner's own words); the service's
# locked item, hold check, loan, item status, event (and its savepoint pair); the figures.
QUERIES_PER_SCAN = 13


class CornerLendingTests(CornerWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/corners/{self.class_5_2.pk}/lend/"

    def scan(self, barcode: str) -> tuple[str, str]:
        """(outcome, the line's text) for one htmx scan."""
        r = self.client.post(self.url, {"barcode": barcode}, headers=HTMX)
        self.assertEqual(r.status_code, 200)
        self.assertTemplateUsed(r, "circulation/corner_scan.html")
        return r.context["scan"].outcome, r.content.decode()

    def test_a_good_scan_lends_the_book_to_the_class_and_refreshes_its_list(self) -> None:
        outcome, text = self.scan("c0001 ")
        self.assertEqual(outcome, "ok")
        self.assertIn("已借给图书角，2027-01-29 前归还。", text)
        self.assertIn("list-group-item-success", text)
        # The figures are swapped in out of band and the new book's row appended to the list.
        self.assertIn('<div id="corner-summary"', text)
        self.assertIn('hx-swap-oob="true"', text)
        self.assertIn("图书角现有图书：1 本", text)
        loan = Loan.objects.get(item__barcode="C0001")
        self.assertIn('<tbody hx-swap-oob="beforeend:#corner-books">', text)
        self.assertIn(f'<tr id="corner-loan-{loan.pk}"', text)
        loan = Loan.objects.get(item__barcode="C0001")
        self.assertEqual(
            (loan.kind, loan.school_class, loan.patron), (CORNER, self.class_5_2, None)
        )
        self.assertEqual(self.status("C0001"), Item.Status.ON_LOAN)
        event = CirculationEvent.objects.get(action="corner_out")
        self.assertEqual((event.by, event.via, event.loan), (self.lena, "web", loan))

    def test_a_batch_with_good_and_bad_barcodes_lends_the_good_and_says_why_not_the_rest(
        self,
    ) -> None:
        services.check_out(self.ada_patron, "T0001", self.desk())
        services.lend_to_corner(self.class_3_1, "C0003", self.desk())
        services.mark_lost("C0002", self.desk(), charge=False)
        expected = {
            "C0001": ("ok", "已借给图书角，2027-01-29 前归还。"),
            "NOPE1": ("refused", zh("No book has barcode %(barcode)s.", barcode="NOPE1")),
            "T0001": ("refused", zh("This book is already on loan: check it in first.")),
            "R0001": ("refused", zh("Reference books stay in the library.")),
            "C0002": ("refused", zh("This copy is recorded as lost.")),
            "C0003": ("refused", "这本书在三年级(1)班的图书角：请先从那里收回。"),
            "": ("refused", "请扫描图书条码。"),
            "C0004": ("ok", "已借给图书角，2027-01-29 前归还。"),
        }
        for barcode, (want, reason) in expected.items():
            outcome, text = self.scan(barcode)
            self.assertEqual(outcome, want, barcode)
            self.assertIn(reason, text, barcode)
            if want == "refused":
                self.assertIn("list-group-item-danger", text, barcode)
        lent = Loan.objects.open().filter(kind=CORNER, school_class=self.class_5_2)
        self.assertEqual(sorted(lent.values_list("item__barcode", flat=True)), ["C0001", "C0004"])
        # Nothing refused changed: Ada still has her book, 三年级(1)班 its own.
        self.assertTrue(Loan.objects.open().filter(item__barcode="T0001", patron=self.ada_patron))
        self.assertEqual(self.status("C0002"), Item.Status.LOST)

    def test_a_book_scanned_twice_is_said_to_be_there_already(self) -> None:
        self.scan("C0001")
        outcome, text = self.scan("C0001")
        self.assertEqual(outcome, "note")
        self.assertIn("这本书已在本班图书角（2026-11-23 借出）。", text)
        self.assertIn("list-group-item-warning", text)
        self.assertEqual(Loan.objects.filter(item__barcode="C0001").count(), 1)

    def test_a_copy_on_the_hold_shelf_is_refused(self) -> None:
        services.check_out(self.ada_patron, "T0001", self.desk())
        services.check_out(self.tom_patron, "T0002", self.desk())
        services.place_hold(self.bo, self.journey, self.desk())
        services.check_in("T0002", self.desk())  # kept for Bo now
        outcome, text = self.scan("T0002")
        self.assertEqual(outcome, "refused")
        self.assertIn(zh("This book is kept for another reader's hold."), text)

    def test_a_scan_without_javascript_comes_back_as_a_message(self) -> None:
        r = self.client.post(self.url, {"barcode": "NOPE1"}, follow=True)
        self.assertRedirects(r, f"/staff/corners/{self.class_5_2.pk}/?mode=lend")
        self.assertContains(r, zh("No book has barcode %(barcode)s.", barcode="NOPE1"))
        r = self.client.post(self.url, {"barcode": "C0001"}, follow=True)
        self.assertContains(r, "已借给图书角")
        self.assertContains(r, "图书角现有图书：1 本")

    def test_an_absurdly_long_barcode_is_refused_plainly(self) -> None:
        outcome, text = self.scan("X" * 5000)
        self.assertEqual(outcome, "refused")
        self.assertEqual(Loan.objects.count(), 0)

    def test_the_reasons_follow_the_language_of_the_page(self) -> None:
        self.client.cookies.load({"django_language": "en"})
        _outcome, text = self.scan("")
        self.assertIn("Scan a book&#x27;s barcode.", text)


class CornerTakeBackTests(CornerWorld):
    def setUp(self) -> None:
        for barcode in ("C0001", "C0002"):
            services.lend_to_corner(self.class_5_2, barcode, self.desk())
        services.lend_to_corner(self.class_3_1, "C0003", self.desk())
        services.check_out(self.ada_patron, "T0001", self.desk())
        self.client.force_login(self.lena)
        self.url = f"/staff/corners/{self.class_5_2.pk}/return/"

    def scan(self, barcode: str) -> tuple[str, str]:
        r = self.client.post(self.url, {"barcode": barcode}, headers=HTMX)
        self.assertEqual(r.status_code, 200)
        return r.context["scan"].outcome, r.content.decode()

    def test_it_takes_back_the_class_books_and_refuses_the_others_with_the_reason(self) -> None:
        expected = {
            "C0001": ("ok", "已从图书角收回。"),
            "C0003": ("refused", "这本书属于三年级(1)班的图书角，不是本班的。"),
            "T0001": ("refused", "这本书借给了读者，不是图书角的书：请到借还台还书。"),
            "C0004": ("refused", "这本书没有借出：请放回书架。"),
            "NOPE1": ("refused", zh("No book has barcode %(barcode)s.", barcode="NOPE1")),
            "C0002": ("ok", "已从图书角收回。"),
        }
        for barcode, (want, reason) in expected.items():
            outcome, text = self.scan(barcode)
            self.assertEqual(outcome, want, barcode)
            self.assertIn(reason, text, barcode)
        self.assertFalse(Loan.objects.open().filter(school_class=self.class_5_2, kind=CORNER))
        self.assertEqual(self.status("C0001"), Item.Status.ON_SHELF)
        # The refused books did not move.
        self.assertTrue(Loan.objects.open().filter(item__barcode="C0003"))
        self.assertTrue(Loan.objects.open().filter(item__barcode="T0001"))
        self.assertEqual(CirculationEvent.objects.filter(action="corner_in").count(), 2)
        self.assertIn("图书角现有图书：0 本", text)
        # The last book's row is taken off the page's list.
        c0002 = Loan.objects.get(item__barcode="C0002")
        self.assertIn(f'<tr id="corner-loan-{c0002.pk}" hx-swap-oob="delete"></tr>', text)

    def test_a_book_a_reader_waits_for_goes_to_the_hold_shelf(self) -> None:
        services.lend_to_corner(self.class_5_2, "C0004", self.desk())
        services.place_hold(self.bo, self.grass, self.desk())
        outcome, text = self.scan("C0002")
        self.assertEqual(outcome, "note")
        self.assertIn("已收回。有读者在等这本书：请放到预约架，留给李博。", text)
        hold = Hold.objects.get(patron=self.bo)
        self.assertEqual(
            (hold.status, hold.item), (Hold.Status.READY, Item.objects.get(barcode="C0002"))
        )


class CornerReturnAllTests(CornerWorld):
    def setUp(self) -> None:
        for barcode in ("C0001", "C0002", "C0003"):
            services.lend_to_corner(self.class_5_2, barcode, self.desk())
        self.client.force_login(self.lena)
        self.page = f"/staff/corners/{self.class_5_2.pk}/"

    def listed(self) -> list[int]:
        return [loan.pk for loan in self.client.get(self.page).context["loans"]]

    def test_it_returns_every_listed_book_and_reports_what_came_back(self) -> None:
        ids = self.listed()
        self.assertContains(self.client.get(self.page), "全部收回…")
        # A book lent after the page was drawn was not listed: it stays in the corner.
        services.lend_to_corner(self.class_5_2, "C0004", self.desk())
        r = self.client.post(f"{self.page}return-all/", {"loan": ids})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "已收回 3 本。")
        for barcode in ("C0001", "C0002", "C0003"):
            self.assertContains(r, barcode)
            self.assertEqual(self.status(barcode), Item.Status.ON_SHELF)
        left = Loan.objects.open().filter(school_class=self.class_5_2)
        self.assertEqual(list(left.values_list("item__barcode", flat=True)), ["C0004"])
        events = CirculationEvent.objects.filter(action="corner_in")
        self.assertEqual(sorted(events.values_list("via", flat=True)), ["batch"] * 3)

    def test_posting_again_returns_nothing_twice(self) -> None:
        ids = self.listed()
        self.client.post(f"{self.page}return-all/", {"loan": ids})
        r = self.client.post(f"{self.page}return-all/", {"loan": ids})
        self.assertContains(r, "已收回 0 本。")
        self.assertContains(r, "3 本之前已经还了。")
        self.assertEqual(CirculationEvent.objects.filter(action="corner_in").count(), 3)

    def test_it_never_returns_another_class_books_or_a_reader_loan(self) -> None:
        other = services.lend_to_corner(self.class_3_1, "C0004", self.desk())
        mine = services.check_out(self.ada_patron, "T0001", self.desk()).loan
        self.client.post(f"{self.page}return-all/", {"loan": [other.pk, mine.pk, "x", ""]})
        self.assertTrue(Loan.objects.open().filter(pk=other.pk))
        self.assertTrue(Loan.objects.open().filter(pk=mine.pk))


class CornerScanCostTests(CornerWorld):
    def test_a_scan_costs_the_same_however_many_books_the_corner_holds(self) -> None:
        catalog.catalogue_record(
            catalog.RecordData.with_authors("安徒生童话", ["安徒生"]),
            [catalog.ItemData(barcode=f"A{n:04d}") for n in range(41)],
            by=self.lena,
        )
        self.client.force_login(self.lena)
        url = f"/staff/corners/{self.class_5_2.pk}/lend/"
        self.client.post(url, {"barcode": "A0000"}, headers=HTMX)  # warm the settings cache
        with self.assertNumQueries(QUERIES_PER_SCAN):
            self.client.post(url, {"barcode": "A0001"}, headers=HTMX)
        for n in range(2, 40):
            services.lend_to_corner(self.class_5_2, f"A{n:04d}", self.desk())
        with self.assertNumQueries(QUERIES_PER_SCAN):
            r = self.client.post(url, {"barcode": "A0040"}, headers=HTMX)
        self.assertContains(r, "图书角现有图书：41 本")
