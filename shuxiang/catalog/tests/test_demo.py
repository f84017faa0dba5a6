from __future__ import annotations

import random
from collections import Counter as Tally
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db import IntegrityError
from django.test import SimpleTestCase

from shuxiang.accounts.models import User
from shuxiang.catalog import demo, demo_data, search, services
from shuxiang.catalog.models import Counter, Item, Record
from shuxiang.lib import clc, isbn
from shuxiang.test import BaseTestCase


def _data(record: dict[str, object]) -> services.RecordData:
    fields = {k: v for k, v in record.items() if k != "copies"}
    return services.RecordData(**fields)  # type: ignore[arg-type]


class DemoDataTestCase(SimpleTestCase):
    def test_it_gives_the_same_records_for_the_same_seed(self) -> None:
        first = list(demo_data.generate_records(50, seed=7, this_year=2026))
        again = list(demo_data.generate_records(80, seed=7, this_year=2026))[:50]
        other = list(demo_data.generate_records(50, seed=8, this_year=2026))
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)

    def test_it_makes_records_the_catalogue_accepts(self) -> None:
        records = list(demo_data.generate_records(2000, seed=1))
        for record in records:
            data = services.validate(_data(record))
            self.assertEqual(data.isbn, record["isbn"])
            self.assertIsNone(clc.class_error(record["class_number"]), record["class_number"])
            self.assertIsInstance(record["price"], Decimal)
            self.assertGreaterEqual(record["copies"], 1)
            self.assertLessEqual(record["grade_min"], record["grade_max"])
            self.assertTrue(record["summary"].endswith("。"), record["summary"])
        self.assertEqual(len({r["isbn"] for r in records}), len(records))
        self.assertTrue(all(r["isbn"].startswith("9787") for r in records))

    def test_it_spreads_titles_over_classes_like_a_school_collection(self) -> None:
        shares = Tally(
            clc.main_class(r["class_number"])[0] for r in demo_data.generate_records(5000, seed=2)
        )
        self.assertGreater(shares["I"], 0.4 * 5000)
        for main in "KGHZ":
            self.assertGreater(shares[main], 0.005 * 5000, main)
        science = sum(shares[c] for c in "NOPQRSTUVX")
        self.assertGreater(science, 0.08 * 5000)

    def test_it_keeps_isbns_distinct_when_a_publisher_runs_out(self) -> None:
        # A four-digit publisher prefix has room for 10,000 titles; past a few hundred
        # thousand records the generator must move on rather than repeat.
        allocator = demo_data._IsbnAllocator(random.Random(0))
        numbers = {allocator.next("5324") for _ in range(10_000)}
        self.assertEqual(len(numbers), 10_000)
        self.assertFalse(allocator.has_room("5324"))
        self.assertTrue(all(isbn.is_valid(n) for n in list(numbers)[:500]))

    def test_it_uses_prefix_free_publisher_prefixes(self) -> None:
        prefixes = [prefix for _, prefix in demo_data.PUBLISHERS.values()]
        for a in prefixes:
            for b in prefixes:
                if a != b:
                    self.assertFalse(b.startswith(a), (a, b))

    def test_it_sends_dictionaries_to_the_room_only_shelf(self) -> None:
        self.assertEqual(demo_data.location_for("H163"), "REFERENCE")
        self.assertEqual(demo_data.location_for("G635.1"), "TEACHERS")
        self.assertEqual(demo_data.location_for("I287.45"), "STACKS")
        self.assertEqual(demo_data.location_for("Z228.1"), "STACKS")

    def test_it_writes_summaries_about_what_the_title_names(self) -> None:
        for record in demo_data.generate_records(500, seed=3):
            if record["title"].endswith("传"):
                self.assertIn(record["title"][:-1], record["summary"])


class LoadDemoTestCase(BaseTestCase):
    def test_it_catalogues_records_and_copies_with_numbers_in_order(self) -> None:
        report = demo.load_demo(60, seed=1)
        records = Record.objects.exclude(pk=self.journey.pk).order_by("id")
        self.assertEqual(report.records, 60)
        self.assertEqual(records.count(), 60)
        expected = sum(r["copies"] for r in demo_data.generate_records(60, seed=1))
        self.assertEqual(report.items, expected)
        seen: dict[str, int] = {"I242.4": 1}  # the school already had 西游记 as I242.4/1
        for record in records:
            seen[record.class_number] = seen.get(record.class_number, 0) + 1
            self.assertEqual(record.book_number, str(seen[record.class_number]))
            self.assertEqual(record.call_number, f"{record.class_number}/{record.book_number}")
        accessions = list(
            Item.objects.exclude(record=self.journey)
            .order_by("id")
            .values_list("accession_number", flat=True)
        )
        # The two copies of 西游记 took 000001 and 000002.
        self.assertEqual(accessions, [str(n).zfill(6) for n in range(3, expected + 3)])

    def test_it_writes_the_keys_the_catalogue_services_write(self) -> None:
        demo.load_demo(20, seed=4)
        for record in Record.objects.exclude(pk=self.journey.pk)[:5]:
            data = services.RecordData(
                title=record.title,
                contributors=record.contributors,
                publisher=record.publisher,
                class_number=record.class_number,
                book_number=record.book_number,
            )
            again = services.catalogue_record(data, by=self.lena, allow_duplicate=True)
            for key in ("title_key", "dedup_key", "call_number", "shelf_key"):
                self.assertEqual(getattr(again, key), getattr(record, key), key)

    def test_it_reads_back_every_field_it_wrote(self) -> None:
        demo.load_demo(5, seed=5)
        generated = list(demo_data.generate_records(5, seed=5))
        loaded = Record.objects.exclude(pk=self.journey.pk).order_by("id")
        for data, record in zip(generated, loaded, strict=True):
            self.assertEqual(record.title, data["title"])
            self.assertEqual(record.contributors, data["contributors"])
            self.assertEqual(record.subjects, data["subjects"])
            self.assertEqual(record.price, data["price"])
            self.assertEqual(record.currency, "CNY")
            self.assertEqual(record.other_isbns, [])
            first = record.items.order_by("id").first()
            assert first is not None
            self.assertEqual(first.barcode, first.accession_number)
            self.assertEqual(first.call_number, record.call_number)
            self.assertEqual(first.received_on, record.created_at.date())

    def test_it_lets_cataloguing_continue_the_sequences(self) -> None:
        demo.load_demo(40, seed=6)
        last = Record.objects.exclude(pk=self.journey.pk).order_by("-id").first()
        assert last is not None
        used = Record.objects.filter(class_number=last.class_number).count()
        data = services.RecordData(title="新到的书", class_number=last.class_number)
        record = services.catalogue_record(data, [services.ItemData()], by=self.lena)
        self.assertEqual(record.book_number, str(used + 1))
        item = record.items.get()
        self.assertEqual(int(item.accession_number), Item.objects.count())

    def test_it_puts_reference_books_in_the_room_only_location(self) -> None:
        demo.load_demo(300, seed=0)
        reference = Item.objects.filter(record__class_number__in=demo_data.REFERENCE_CLASSES)
        self.assertTrue(reference.exists())
        self.assertFalse(reference.exclude(location__room_only=True).exists())
        self.assertTrue(Item.objects.filter(source=Item.Source.DONATION).exclude(donor="").exists())
        self.assertTrue(Item.objects.filter(location__code="TEACHERS").exists())

    def test_it_indexes_the_demo_for_search(self) -> None:
        demo.load_demo(30, seed=9)
        record = Record.objects.exclude(pk=self.journey.pk).order_by("id").last()
        assert record is not None
        self.assertIn(record.pk, search.search_records(record.title, limit=100).ids)

    def test_it_changes_nothing_when_a_row_cannot_be_written(self) -> None:
        # A barcode already stuck on another copy, outside the counters' knowledge.
        Item.objects.create(
            record=self.journey, barcode="000005", accession_number="X-5", location=self.stacks
        )
        counters = list(Counter.objects.order_by("key").values_list("key", "value"))
        with self.assertRaises(IntegrityError):
            demo.load_demo(10, seed=1)
        self.assertEqual(Record.objects.count(), 1)
        self.assertEqual(Item.objects.count(), 3)
        self.assertEqual(
            list(Counter.objects.order_by("key").values_list("key", "value")), counters
        )


class DemoCommandTestCase(BaseTestCase):
    def test_it_loads_the_demo_and_prints_the_logins(self) -> None:
        out = StringIO()
        call_command("demo", records=12, seed=3, stdout=out)
        self.assertEqual(Record.objects.count(), 13)
        text = out.getvalue()
        self.assertIn("http://127.0.0.1:8000/", text)
        self.assertIn(demo.DEMO_PASSWORD, text)
        librarian = User.objects.get(username="librarian")
        self.assertEqual(librarian.role, User.Role.LIBRARIAN)
        self.assertTrue(librarian.is_staff)
        self.assertEqual(User.objects.get(username="assistant").role, User.Role.ASSISTANT)
        self.assertEqual(User.objects.get(username="teacher").role, User.Role.TEACHER)
        self.assertTrue(self.client.login(username="librarian", password=demo.DEMO_PASSWORD))

    def test_it_does_nothing_with_if_empty_when_there_are_records(self) -> None:
        out = StringIO()
        call_command("demo", if_empty=True, records=12, stdout=out)
        self.assertEqual(Record.objects.count(), 1)
        self.assertFalse(User.objects.filter(username="librarian").exists())
        self.assertIn("不载入演示数据", out.getvalue())

    def test_it_leaves_an_existing_login_alone(self) -> None:
        User.objects.create_user("librarian", password="our-own-pass", role=User.Role.VIEWER)
        call_command("demo", records=3, stdout=StringIO())
        self.assertTrue(self.client.login(username="librarian", password="our-own-pass"))
