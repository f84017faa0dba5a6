"""Which records an export takes, and how a big selection is read: a chunk at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import time_machine

from shuxiang.catalog import services
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.marc import export, selection
from shuxiang.marc.export import CNMARC
from shuxiang.marc.selection import Selection, SelectionError
from shuxiang.test import BaseTestCase


def titles(chosen: Selection) -> list[str]:
    return list(chosen.records().values_list("title", flat=True))


class SelectionTest(BaseTestCase):
    poems: Record
    maths: Record
    batch: ImportBatch

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        with time_machine.travel(datetime(2026, 9, 10, 4, tzinfo=UTC), tick=False):
            cls.poems = services.catalogue_record(
                RecordData(title="唐诗三百首", class_number="I222.742"),
                [ItemData(barcode="P0101", received_on=date(2026, 9, 10))],
                by=None,
            )
        with time_machine.travel(datetime(2026, 10, 20, 4, tzinfo=UTC), tick=False):
            cls.maths = services.catalogue_record(
                RecordData(title="趣味数学", class_number="O1-49"),
                [ItemData(barcode="M0101"), ItemData(barcode="M0102")],
                by=None,
            )
        cls.batch = ImportBatch.objects.create(kind=ImportBatch.Kind.MARC, file_name="a.iso")
        Record.objects.filter(pk=cls.poems.pk).update(import_batch=cls.batch)

    def test_everything_is_the_whole_catalogue_in_id_order(self) -> None:
        self.assertEqual(titles(Selection()), ["西游记", "唐诗三百首", "趣味数学"])
        self.assertTrue(Selection().is_everything)

    def test_it_selects_by_class_number_prefix(self) -> None:
        self.assertEqual(titles(Selection(class_prefix="I2")), ["西游记", "唐诗三百首"])
        self.assertEqual(titles(Selection(class_prefix="I22")), ["唐诗三百首"])
        self.assertEqual(selection.class_prefix(" ｉ２ "), "I2")

    def test_it_refuses_a_prefix_that_is_no_class_number(self) -> None:
        with self.assertRaisesMessage(SelectionError, "不是分类号的开头"):
            selection.class_prefix("西游")

    def test_it_selects_an_import_batch_with_the_copies_it_added(self) -> None:
        Item.objects.filter(barcode="M0102").update(import_batch=self.batch)
        self.assertEqual(titles(Selection(batch=self.batch)), ["唐诗三百首", "趣味数学"])

    def test_last_is_the_latest_import(self) -> None:
        later = ImportBatch.objects.create(kind=ImportBatch.Kind.LEDGER)
        self.assertEqual(selection.import_batch("last"), later)
        self.assertEqual(selection.import_batch(str(self.batch.pk)), self.batch)
        self.assertIsNone(selection.import_batch(""))

    def test_it_refuses_an_unknown_batch(self) -> None:
        with self.assertRaisesMessage(SelectionError, "没有编号为 999 的导入批次"):
            selection.import_batch("999")
        with self.assertRaisesMessage(SelectionError, "不是导入批次的编号"):
            selection.import_batch("上次")
        ImportBatch.objects.all().delete()
        with self.assertRaisesMessage(SelectionError, "还没有任何导入批次"):
            selection.import_batch("last")

    def test_it_selects_records_catalogued_or_copies_received_in_a_date_range(self) -> None:
        september = Selection(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30))
        october = Selection(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
        self.assertEqual(titles(september), ["唐诗三百首"])
        self.assertEqual(titles(october), ["趣味数学"])
        self.assertEqual(titles(Selection(date_to=date(2026, 10, 19))), ["唐诗三百首"])
        Item.objects.filter(barcode="T0001").update(received_on=date(2026, 9, 5))
        self.assertEqual(titles(september), ["西游记", "唐诗三百首"])

    def test_it_reads_dates_and_refuses_bad_ones(self) -> None:
        self.assertEqual(selection.parse_date("2026/09/01", "开始日期"), date(2026, 9, 1))
        with self.assertRaisesMessage(SelectionError, "开始日期“9月1日”不是日期"):
            selection.parse_date("9月1日", "开始日期")
        with self.assertRaisesMessage(SelectionError, "开始日期晚于结束日期"):
            selection.check_dates(date(2026, 10, 1), date(2026, 9, 1))

    def test_it_selects_by_barcodes_and_lists_only_those_copies(self) -> None:
        chosen = Selection(barcodes=selection.parse_barcodes("m0102\nT0001，NOPE"))
        self.assertEqual(titles(chosen), ["西游记", "趣味数学"])
        self.assertEqual(chosen.unknown_barcodes(), ["NOPE"])
        marcs = list(export.export_records(chosen.record_ids_in_order(), CNMARC,
                                           only_barcodes=chosen.only_barcodes))  # fmt: skip
        holdings = [[f["b"] for f in m.get_fields("905")] for m in marcs]
        self.assertEqual(holdings, [["T0001"], ["M0102"]])

    def test_it_selects_by_record_ids(self) -> None:
        ids = selection.parse_record_ids(f"{self.maths.pk}, {self.journey.pk} 99999")
        chosen = Selection(record_ids=ids)
        self.assertEqual(titles(chosen), ["西游记", "趣味数学"])
        self.assertEqual(chosen.unknown_record_ids(), [99999])
        with self.assertRaisesMessage(SelectionError, "书目编号“12a”不是数字"):
            selection.parse_record_ids("12a")

    def test_it_refuses_a_list_longer_than_one_query_takes(self) -> None:
        codes = "\n".join(f"B{n}" for n in range(selection.MAX_LIST + 1))
        with self.assertRaisesMessage(
            SelectionError, "一次最多列出 20000 个条码号（这里有 20001 个）"
        ):
            selection.parse_barcodes(codes)
        at_most = "\n".join(f"B{n}" for n in range(selection.MAX_LIST))
        self.assertEqual(len(selection.parse_barcodes(at_most)), selection.MAX_LIST)

    def test_criteria_narrow_each_other(self) -> None:
        chosen = Selection(class_prefix="I", barcodes=["M0101", "P0101"])
        self.assertEqual(titles(chosen), ["唐诗三百首"])
        self.assertEqual(chosen.criteria(), {"class_prefix": "I", "barcodes": 2})

    def test_it_exports_every_copy_but_the_withdrawn(self) -> None:
        Item.objects.filter(barcode="M0101").update(status=Item.Status.WITHDRAWN)
        ids = Selection(record_ids=[self.maths.pk]).record_ids_in_order()
        [marc] = export.export_records(ids, CNMARC)
        self.assertEqual([f["b"] for f in marc.get_fields("905")], ["M0102"])


class ChunkTest(BaseTestCase):
    def test_it_reads_records_a_chunk_at_a_time_with_few_queries(self) -> None:
        for n in range(6):
            services.catalogue_record(
                RecordData(title=f"书 {n}", class_number="I287"),
                [ItemData(barcode=f"K{n:04d}")],
                by=None,
            )
        ids = Selection().record_ids_in_order()
        done: list[tuple[int, int]] = []
        with mock.patch.object(export, "CHUNK", 3), self.assertNumQueries(3 * 3):
            marcs = list(
                export.export_records(ids, CNMARC, progress=lambda d, t: done.append((d, t)))
            )
        self.assertEqual(len(marcs), 7)
        self.assertEqual(done, [(3, 7), (6, 7), (7, 7)])
        self.assertEqual([m["200"]["a"] for m in marcs][:2], ["西游记", "书 0"])

    def test_export_chunks_streams_one_file(self) -> None:
        chunks = export.export_chunks(Selection(), flavour=CNMARC)
        data = b"".join(chunks)
        self.assertEqual(data.count(b"\x1d"), 1)
        self.assertEqual(
            export.file_name(CNMARC, export.ISO2709, export.GBK, date(2026, 11, 22)),
            "shuxiang-cnmarc-gbk-20261122.iso",
        )
        self.assertEqual(
            export.file_name("marc21", export.MARCXML, export.UTF8, date(2026, 11, 22)),
            "shuxiang-marc21-20261122.xml",
        )
