"""catalog.labels.select_items: which copies get labels, and in which order."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone, translation

from shuxiang.catalog import labels, services
from shuxiang.catalog.labels import LabelError, Selection
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.test import BaseTestCase

SEPT_1 = date(2026, 9, 1)
OCT_10 = date(2026, 10, 10)


class LabelCase(BaseTestCase):
    """西游记 T0001–T0002 (I242.4, no date), 窗边的小豆豆 T0009–T0012 (I313.45, received
    1 September; T0012 withdrawn), 昆虫记 T0100 and B0005 (Q96, received 10 October, from the
    latest import)."""

    totto: Record
    insects: Record
    batch: ImportBatch
    older_batch: ImportBatch

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.totto = cls.book(
            "窗边的小豆豆", "I313.45", ["T0009", "T0010", "T0011", "T0012"], SEPT_1
        )
        Item.objects.filter(barcode="T0012").update(status=Item.Status.WITHDRAWN)
        cls.insects = cls.book("昆虫记", "Q96", ["T0100", "B0005"], OCT_10)
        now = timezone.now()
        cls.older_batch = ImportBatch.objects.create(
            kind=ImportBatch.Kind.LEDGER, created_at=now - timedelta(days=3)
        )
        cls.batch = ImportBatch.objects.create(kind=ImportBatch.Kind.MARC, file_name="新书.iso")
        cls.insects.items.update(import_batch=cls.batch)
        cls.totto.items.update(import_batch=cls.older_batch)

    @classmethod
    def book(cls, title: str, class_number: str, codes: list[str], received: date) -> Record:
        return services.catalogue_record(
            services.RecordData(title=title, class_number=class_number),
            [services.ItemData(barcode=code, received_on=received) for code in codes],
            by=cls.lena,
        )

    def refusal(self, selection: Selection) -> str:
        with translation.override("en"), self.assertRaises(LabelError) as caught:
            labels.select_items(selection)
        return caught.exception.message


def barcodes(selection: Selection) -> list[str]:
    return [item.barcode for item in labels.select_items(selection)]


class SelectItemsTests(LabelCase):
    def test_a_range_compares_the_numbers_as_numbers(self) -> None:
        selection = Selection(labels.RANGE, "T9", "T100", order=labels.AS_LISTED)
        self.assertEqual(barcodes(selection), ["T0009", "T0010", "T0011", "T0100"])

    def test_a_range_may_be_given_backwards_and_comes_in_shelf_order(self) -> None:
        selection = Selection(labels.RANGE, "t0100", "T0001")
        # I242.4 (西游记) before I313.45 (小豆豆) before Q96 (昆虫记); T0012 is withdrawn.
        self.assertEqual(
            barcodes(selection), ["T0001", "T0002", "T0009", "T0010", "T0011", "T0100"]
        )

    def test_a_range_with_two_prefixes_is_refused(self) -> None:
        message = self.refusal(Selection(labels.RANGE, "T0001", "B0005"))
        self.assertIn("different prefixes (T and B)", message)

    def test_a_barcode_without_a_number_cannot_bound_a_range(self) -> None:
        self.assertIn(
            "does not end in a number", self.refusal(Selection(labels.RANGE, "T0001", "TX"))
        )

    def test_received_dates_include_both_ends(self) -> None:
        selection = Selection(labels.RECEIVED, received_from=SEPT_1, received_to=OCT_10)
        self.assertEqual(barcodes(selection), ["T0009", "T0010", "T0011", "B0005", "T0100"])
        self.assertEqual(
            barcodes(Selection(labels.RECEIVED, received_from=date(2026, 9, 2))),
            ["B0005", "T0100"],
        )

    def test_the_last_import_is_the_default_batch(self) -> None:
        self.assertEqual(barcodes(Selection(labels.BATCH)), ["B0005", "T0100"])
        chosen = Selection(labels.BATCH, batch=self.older_batch.pk)
        self.assertEqual(barcodes(chosen), ["T0009", "T0010", "T0011"])

    def test_an_unknown_batch_is_refused(self) -> None:
        self.assertEqual(
            self.refusal(Selection(labels.BATCH, batch=999)), "Import 999 does not exist."
        )

    def test_a_list_keeps_its_order_when_asked(self) -> None:
        codes = labels.split_barcodes("t0100\nT0001, T0001 ｔ０００９")
        self.assertEqual(codes, ["T0100", "T0001", "T0009"])
        listed = Selection(labels.LIST, barcodes=codes, order=labels.AS_LISTED)
        self.assertEqual(barcodes(listed), ["T0100", "T0001", "T0009"])
        shelved = Selection(labels.LIST, barcodes=codes)
        self.assertEqual(barcodes(shelved), ["T0001", "T0009", "T0100"])

    def test_a_list_names_the_barcodes_not_in_the_catalogue(self) -> None:
        message = self.refusal(Selection(labels.LIST, barcodes=["T0001", "X9", "X8"]))
        self.assertEqual(message, "These barcodes are not in the catalogue: X9、X8.")

    def test_a_withdrawn_copy_in_a_list_is_left_out_quietly(self) -> None:
        self.assertEqual(barcodes(Selection(labels.LIST, barcodes=["T0012", "T0011"])), ["T0011"])

    def test_a_class_number_prefix_picks_its_subclasses(self) -> None:
        self.assertEqual(
            barcodes(Selection(labels.CLASS, class_prefix="i3")), ["T0009", "T0010", "T0011"]
        )
        self.assertEqual(len(barcodes(Selection(labels.CLASS, class_prefix="I"))), 5)

    def test_an_empty_selection_is_refused_not_printed(self) -> None:
        selection = Selection(labels.RECEIVED, received_from=date(2027, 1, 1))
        self.assertEqual(
            self.refusal(selection), "No copies match this selection: nothing to print."
        )
        self.assertEqual(
            self.refusal(Selection(labels.LIST, barcodes=["T0012"])), self.refusal(selection)
        )

    def test_a_selection_over_the_limit_is_refused(self) -> None:
        with translation.override("en"), self.assertRaisesMessage(LabelError, "print at most 3"):
            labels.select_items(Selection(labels.CLASS, class_prefix="I"), limit=3)
