"""Exporting the catalogue as an Excel ledger, and importing that ledger back."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]

from shuxiang.catalog import ledger, search, services
from shuxiang.catalog.ledger import Selection
from shuxiang.catalog.models import ImportBatch, Item, Location, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.test import BaseTestCase


def sheet_rows(data: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def catalogue_state() -> list[tuple[Any, ...]]:
    """Every copy with what the ledger says about it and its record, database ids aside."""
    rows = Item.objects.select_related("record", "location").order_by("barcode")
    return [
        (
            i.barcode,
            i.accession_number,
            i.call_number,
            i.price,
            i.source,
            i.donor,
            i.received_on,
            i.notes,
            i.location.code,
            i.item_type,
            i.record.title,
            i.record.subtitle,
            # The translators have their own column: they come back after the others.
            sorted(i.record.contributors, key=lambda c: c["role"] == "translator"),
            i.record.publisher,
            i.record.place,
            i.record.year,
            i.record.isbn,
            i.record.price,
            i.record.call_number,
            i.record.pages,
            i.record.edition,
            i.record.series,
            i.record.summary,
            i.record.subjects,
            i.record.grade_min,
            i.record.grade_max,
        )
        for i in rows
    ]


class ExportTests(BaseTestCase):
    prince: Record
    lamp: Record

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        teachers = Location.objects.get(code="TEACHERS")
        cls.prince = services.catalogue_record(
            RecordData(
                title="小王子",
                subtitle="插图本",
                contributors=[
                    {"name": "圣埃克苏佩里", "role": "author"},
                    {"name": "周克希", "role": "translator"},
                    {"name": "王小文", "role": "illustrator"},
                ],
                publisher="上海译文出版社",
                place="上海",
                year=2018,
                edition="第2版",
                isbn="9787532776771",
                price=Decimal("32.00"),
                pages="128页",
                series="译文经典",
                summary="一个来自小行星的王子的故事。",
                subjects=["童话", "法国"],
                grade_min=3,
                grade_max=6,
                class_number="I565.88",
            ),
            [
                ItemData(barcode="L0001", received_on=date(2024, 9, 1)),
                ItemData(
                    barcode="L0002",
                    location=teachers,
                    source=Item.Source.DONATION,
                    donor="张家长",
                    price=Decimal("30.50"),
                    notes="封面有破损",
                    received_on=date(2025, 3, 2),
                ),
            ],
            by=None,
        )
        cls.lamp = services.catalogue_record(
            RecordData.with_authors("小橘灯", ["冰心"], publisher="人民文学出版社"),
            [ItemData(barcode="L0003", source=Item.Source.TRANSFER)],
            by=None,
        )

    def test_it_writes_a_row_per_copy_with_the_import_columns(self) -> None:
        rows = sheet_rows(ledger.export_workbook(Selection().items()))
        self.assertEqual(rows[0], ledger.COLUMNS)
        self.assertEqual(len(rows), 1 + Item.objects.count())
        by_barcode = {r[1]: dict(zip(ledger.COLUMNS, r, strict=True)) for r in rows[1:]}
        donated = by_barcode["L0002"]
        self.assertEqual(donated["作者"], "圣埃克苏佩里；王小文 绘")
        self.assertEqual(donated["译者"], "周克希")
        self.assertEqual(donated["价格"], 30.5)
        self.assertEqual(donated["来源"], "捐赠")
        self.assertEqual(donated["馆藏地点"], "教师阅览室")
        self.assertEqual(donated["索书号"], "I565.88/1")
        self.assertEqual(donated["适读年级"], "3-6")
        self.assertEqual(by_barcode["L0001"]["价格"], 32.0)

    def test_a_selection_narrows_the_copies(self) -> None:
        self.prince.items.filter(barcode="L0002").update(status=Item.Status.WITHDRAWN)
        cases = [
            (Selection(class_prefix="i5"), {"L0001", "L0002"}),
            (Selection(location="TEACHERS"), {"L0002"}),
            (Selection(received_from=date(2025, 1, 1)), {"L0002"}),
            (Selection(received_to=date(2024, 12, 31)), {"L0001"}),
            (Selection(status=Item.Status.WITHDRAWN), {"L0002"}),
        ]
        for selection, expected in cases:
            with self.subTest(selection=selection):
                self.assertEqual(set(selection.items().values_list("barcode", flat=True)), expected)

    def test_the_last_import_is_a_selection(self) -> None:
        batch = ImportBatch.objects.create(kind=ImportBatch.Kind.LEDGER)
        Item.objects.filter(barcode="L0003").update(import_batch=batch)
        for value in ("last", str(batch.pk)):
            items = Selection(batch=value).items()
            self.assertEqual(list(items.values_list("barcode", flat=True)), ["L0003"])

    def test_an_exported_ledger_imports_into_an_empty_library_as_it_was(self) -> None:
        # A copy with no date received is dated the day of its import: give each one a date.
        Item.objects.filter(received_on=None).update(received_on=date(2020, 9, 1))
        before = catalogue_state()
        data = ledger.export_workbook(Selection().items())
        for record_id in Record.objects.values_list("pk", flat=True):
            search.remove_record(record_id)
        Item.objects.all().delete()
        Record.objects.all().delete()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.xlsx"
            path.write_bytes(data)
            result = ledger.import_ledger(ledger.read_ledger(path), by=None, via="cli")
        self.assertFalse(result.refused, [e.reason for e in result.plan.errors])
        self.assertEqual(catalogue_state(), before)
        self.assertEqual(search.search_records("小王子").count, 1)
