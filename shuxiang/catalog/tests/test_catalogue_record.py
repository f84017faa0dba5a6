from __future__ import annotations

from decimal import Decimal

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services
from shuxiang.catalog.errors import (
    DuplicateAccessionNumber,
    DuplicateBarcode,
    DuplicateRecord,
    InvalidRecord,
)
from shuxiang.catalog.models import Item, Record
from shuxiang.test import BaseTestCase


def book(title: str = "城南旧事", **kwargs: object) -> services.RecordData:
    kwargs.setdefault("publisher", "中国青年出版社")
    return services.RecordData.with_authors(title, ["林海音"], **kwargs)


class CatalogueRecordTests(BaseTestCase):
    def test_it_assigns_the_next_book_number_in_the_class(self) -> None:
        first = services.catalogue_record(book(class_number="I246.5"), by=self.lena)
        second = services.catalogue_record(book("呼兰河传", class_number="I246.5"), by=self.lena)
        self.assertEqual((first.call_number, second.call_number), ("I246.5/1", "I246.5/2"))

    def test_copies_carry_the_call_number_and_get_accession_numbers(self) -> None:
        record = services.catalogue_record(
            book(class_number="I246.5"),
            [services.ItemData(barcode="c1"), services.ItemData()],
            by=self.lena,
        )
        items = list(record.items.order_by("id"))
        self.assertEqual([i.call_number for i in items], ["I246.5/1", "I246.5/1"])
        self.assertEqual(items[0].barcode, "C1")
        # Without a barcode the copy is labelled with its accession number.
        self.assertEqual(items[1].barcode, items[1].accession_number)
        self.assertNotEqual(items[0].accession_number, items[1].accession_number)
        self.assertEqual(items[0].location, self.stacks)

    def test_it_refuses_a_second_record_with_the_same_isbn(self) -> None:
        with self.assertRaises(DuplicateRecord) as caught:
            services.catalogue_record(book("西游记", isbn="7-02-000220-X"), by=self.lena)
        self.assertEqual(caught.exception.existing_id, self.journey.pk)

    def test_it_finds_a_duplicate_by_title_author_and_publisher_ignoring_spacing(self) -> None:
        services.catalogue_record(book(), by=self.lena)
        with self.assertRaises(DuplicateRecord):
            services.catalogue_record(book("《城南 旧事》"), by=self.lena)

    def test_a_different_publisher_is_not_a_duplicate(self) -> None:
        services.catalogue_record(book(), by=self.lena)
        other = services.catalogue_record(book(publisher="人民文学出版社"), by=self.lena)
        self.assertEqual(Record.objects.filter(title="城南旧事").count(), 2)
        self.assertTrue(other.pk)

    def test_the_librarian_may_catalogue_a_duplicate_on_purpose(self) -> None:
        record = services.catalogue_record(
            book("西游记", isbn="9787020002207"), by=self.lena, allow_duplicate=True
        )
        self.assertNotEqual(record.pk, self.journey.pk)

    def test_it_refuses_a_blank_title_and_changes_nothing(self) -> None:
        before = Record.objects.count()
        with self.assertRaisesRegex(InvalidRecord, "题名"):
            services.catalogue_record(book("  "), [services.ItemData(barcode="X1")], by=self.lena)
        self.assertEqual(Record.objects.count(), before)
        self.assertFalse(Item.objects.filter(barcode="X1").exists())

    def test_a_taken_barcode_rolls_the_whole_record_back(self) -> None:
        before = Record.objects.count()
        with self.assertRaises(DuplicateBarcode):
            services.catalogue_record(
                book(),
                [services.ItemData(barcode="N1"), services.ItemData(barcode="T0001")],
                by=self.lena,
            )
        self.assertEqual(Record.objects.count(), before)
        self.assertFalse(Item.objects.filter(barcode="N1").exists())

    def test_a_taken_accession_number_is_refused(self) -> None:
        taken = self.journey.items.first()
        assert taken is not None
        with self.assertRaises(DuplicateAccessionNumber):
            services.add_item(
                self.journey,
                services.ItemData(accession_number=taken.accession_number),
                by=self.lena,
            )

    def test_a_given_accession_number_moves_the_running_number_on(self) -> None:
        services.add_item(self.journey, services.ItemData(accession_number="005000"), by=self.lena)
        self.assertEqual(services.next_accession_number(), "005001")

    def test_it_logs_who_catalogued_what(self) -> None:
        record = services.catalogue_record(book(), by=self.lena, via="api")
        log = AuditLog.objects.get(action="record_created", target_id=str(record.pk))
        self.assertEqual((log.by, log.via), (self.lena, "api"))

    def test_moving_a_record_to_another_class_gives_it_a_new_place_on_the_shelf(self) -> None:
        services.update_record(
            self.journey,
            services.RecordData.with_authors("西游记", ["吴承恩"], class_number="I287.4"),
            by=self.lena,
        )
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.call_number, "I287.4/1")
        self.assertEqual(
            set(self.journey.items.values_list("call_number", flat=True)), {"I287.4/1"}
        )

    def test_editing_without_changing_the_class_keeps_the_book_number(self) -> None:
        data = services.RecordData.with_authors(
            "西游记（校注本）", ["吴承恩"], class_number="I242.4", isbn="9787020002207"
        )
        services.update_record(self.journey, data, by=self.lena)
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.call_number, "I242.4/1")


class ParsePriceTests(BaseTestCase):
    def test_it_reads_the_prices_found_in_real_ledgers(self) -> None:
        for text, value in [
            ("28.00元", "28.00"),
            ("￥28", "28.00"),
            ("CNY28.5", "28.50"),
            (" 1,280.00 ", "1280.00"),
            (12, "12.00"),
            ("２８．００", "28.00"),
        ]:
            with self.subTest(text=text):
                self.assertEqual(services.parse_price(text), Decimal(value))

    def test_blank_is_no_price(self) -> None:
        self.assertIsNone(services.parse_price(""))

    def test_it_refuses_words(self) -> None:
        with self.assertRaisesRegex(InvalidRecord, "价格"):
            services.parse_price("二十元")
