"""catalog.batch: the shared back half of the MARC and ledger imports."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import batch, search
from shuxiang.catalog.batch import Entry
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.test import BaseTestCase


def entry(position: int, title: str, *barcodes: str, **fields: object) -> Entry:
    record = RecordData.with_authors(title, [str(fields.pop("author", "佚名"))], **fields)
    return Entry(
        position,
        record,
        [ItemData(barcode=b) for b in barcodes],
        label=f"第 {position} 行",
    )


def run(entries: list[Entry], policy: str = ImportBatch.Policy.SKIP) -> batch.Written:
    plan = batch.check(entries, policy)
    with transaction.atomic():
        return batch.write(plan, ImportBatch(kind=ImportBatch.Kind.LEDGER), by=None, via="cli")


class CheckTests(BaseTestCase):
    def test_rows_of_one_book_become_one_record_with_every_copy(self) -> None:
        entries = [
            entry(2, "草房子", "B1", author="曹文轩", isbn="9787534618727"),
            entry(3, "草房子", "B2", author="曹文轩", isbn="978-7-5346-1872-7"),
            entry(4, "草房子", "B3", author="曹文轩", isbn="9787534618727"),
        ]
        plan = batch.check(entries, ImportBatch.Policy.SKIP)
        self.assertEqual([e.action for e in entries], ["add", "joined", "joined"])
        self.assertEqual(plan.counts()["items"], 3)
        written = run(entries)
        record = Record.objects.get(pk=written.new_record_ids[0])
        self.assertEqual(sorted(record.items.values_list("barcode", flat=True)), ["B1", "B2", "B3"])

    def test_without_isbn_same_title_author_and_publisher_is_the_same_book(self) -> None:
        entries = [
            entry(2, "城南旧事", "C1", author="林海音", publisher="中国青年出版社"),
            entry(3, "《城南旧事》", "C2", author="林海音", publisher="中国青年出版社"),
            entry(4, "城南旧事", "C3", author="林海音", publisher="人民文学出版社"),
        ]
        batch.check(entries, ImportBatch.Policy.SKIP)
        self.assertEqual([e.action for e in entries], ["add", "joined", "add"])

    def test_a_book_already_held_is_skipped_merged_or_overwritten_as_chosen(self) -> None:
        for policy, action in [("skip", "skip"), ("merge", "merge"), ("overwrite", "overwrite")]:
            with self.subTest(policy=policy):
                e = entry(2, "西游记", "N1", author="吴承恩", isbn="9787020002207")
                batch.check([e], policy)
                self.assertEqual(e.action, action)
                self.assertEqual(e.record_id, self.journey.pk)
                self.assertIn("西游记", e.reason)

    def test_taken_or_repeated_barcodes_and_accession_numbers_are_refused(self) -> None:
        taken = Item.objects.get(barcode="T0001").accession_number
        entries = [
            entry(2, "甲", "T0001"),  # a copy of 西游记 has it
            entry(3, "乙", "X1"),
            entry(4, "丙", "X1"),
            entry(5, "丁", "P0001"),  # Ada's library card
            Entry(
                6,
                RecordData(title="戊"),
                [ItemData(accession_number=taken)],
            ),
        ]
        batch.check(entries, ImportBatch.Policy.SKIP)
        self.assertEqual([e.action for e in entries], ["error", "add", "error", "error", "error"])
        self.assertEqual(entries[0].reason, "条码号“T0001”已被使用")
        self.assertIn("在文件中重复", entries[2].reason)
        self.assertIn("登录号", entries[4].reason)

    def test_an_invalid_record_or_a_reading_error_is_refused_with_its_reason(self) -> None:
        bad_isbn = entry(2, "甲", isbn="9787020002208")
        unreadable = Entry(3, None, error="记录长度不是数字")
        batch.check([bad_isbn, unreadable], ImportBatch.Policy.SKIP)
        self.assertEqual(bad_isbn.action, "error")
        self.assertIn("校验位", bad_isbn.reason)
        self.assertEqual(unreadable.reason, "记录长度不是数字")


class WriteTests(BaseTestCase):
    def test_new_records_get_book_numbers_accession_numbers_and_are_found_by_search(self) -> None:
        written = run(
            [
                entry(2, "小王子", "", author="圣埃克苏佩里", class_number="I565.88"),
                entry(
                    3, "夏洛的网", "", author="怀特", class_number="I712.88", price=Decimal("28.00")
                ),
            ]
        )
        first, second = Record.objects.filter(pk__in=written.new_record_ids).order_by("pk")
        self.assertEqual(first.call_number, "I565.88/1")
        item = second.items.get()
        self.assertEqual(item.price, Decimal("28.00"))
        self.assertEqual(item.barcode, item.accession_number)
        self.assertEqual(item.call_number, "I712.88/1")
        self.assertEqual(item.import_batch, written.batch)
        self.assertEqual(search.search_records("夏洛").ids, [second.pk])
        self.assertEqual(written.batch.records_added, 2)
        self.assertEqual(written.batch.items_added, 2)
        self.assertTrue(AuditLog.objects.filter(action="books_imported").exists())

    def test_numbers_from_the_file_move_the_counters_on(self) -> None:
        e = entry(2, "稻草人", "D1", class_number="I286.7", book_number="40")
        e.items[0].accession_number = "009000"
        run([e])
        later = run([entry(3, "寄小读者", "", class_number="I286.7")])
        record = Record.objects.get(pk=later.new_record_ids[0])
        self.assertEqual(record.book_number, "41")
        self.assertEqual(record.items.get().accession_number, "009001")

    def test_merge_adds_copies_and_overwrite_replaces_the_description(self) -> None:
        run([entry(2, "西游记", "M1", author="吴承恩", isbn="9787020002207")], "merge")
        self.assertEqual(self.journey.items.count(), 3)
        run(
            [entry(2, "西游记（插图本）", "M2", author="吴承恩", isbn="9787020002207", year=2020)],
            "overwrite",
        )
        self.journey.refresh_from_db()
        self.assertEqual((self.journey.title, self.journey.year), ("西游记(插图本)", 2020))
        self.assertEqual(self.journey.items.count(), 4)

    def test_the_report_names_every_entry_not_simply_added(self) -> None:
        written = run([entry(2, "西游记", "S1", isbn="9787020002207"), entry(3, "新书", "S2")])
        self.assertEqual(
            [(line["position"], line["action"]) for line in written.batch.report], [(2, "skip")]
        )
        self.assertEqual(written.batch.records_skipped, 1)
        self.assertFalse(Item.objects.filter(barcode="S1").exists())


class RowStandsInTests(BaseTestCase):
    def test_a_later_row_of_the_same_book_stands_in_for_a_refused_one(self) -> None:
        entries = [
            entry(2, "草房子", "T0001", isbn="9787534618727"),  # barcode taken
            entry(3, "草房子", "K2", isbn="9787534618727"),
            entry(4, "草房子", "K3", isbn="9787534618727"),
        ]
        batch.check(entries, ImportBatch.Policy.SKIP)
        self.assertEqual([e.action for e in entries], ["error", "add", "joined"])
