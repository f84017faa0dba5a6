"""Import → export → import loses nothing, and a second export is the first byte for byte.

Each test plays two libraries in turn: it imports a file, exports the catalogue, empties the
catalogue (the other library starts empty), imports the export and compares record by
record, copy by copy; then it exports again and compares the bytes.
"""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import TestCase

from shuxiang.catalog import search, services
from shuxiang.catalog.models import Counter, ImportBatch, Item, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.marc import export, importer
from shuxiang.marc.export import CNMARC, GBK, MARC21, MARCXML, UTF8
from shuxiang.marc.models import MarcRecord
from shuxiang.marc.selection import Selection

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What the catalogue knows about a record, less its row id, times and derived keys.
RECORD_FIELDS = [
    f.name
    for f in Record._meta.fields
    if f.name not in {"id", "created_at", "updated_at", "created_by", "import_batch", "title_key"}
]
# What a holdings field carries about a copy (CNMARC 905 $w/$y are our local subfields for
# the source and the date received).
CNMARC_COPY = [
    "barcode",
    "accession_number",
    "call_number",
    "location__code",
    "price",
    "received_on",
    "source",
]
MARC21_COPY = CNMARC_COPY


def snapshot(copy_fields: list[str]) -> list[tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    state = []
    for record in Record.objects.order_by("pk"):
        copies = Item.objects.filter(record=record).order_by("pk").values_list(*copy_fields)
        state.append(({f: getattr(record, f) for f in RECORD_FIELDS}, list(copies)))
    return state


def empty_catalogue() -> None:
    for pk in Record.objects.values_list("pk", flat=True):
        search.remove_record(pk)
    MarcRecord.objects.all().delete()
    Item.objects.all().delete()
    Record.objects.all().delete()
    ImportBatch.objects.all().delete()
    Counter.objects.all().delete()


def export_all(flavour: str, encoding: str = UTF8, fmt: str = export.ISO2709) -> bytes:
    return b"".join(export.export_chunks(Selection(), flavour=flavour, fmt=fmt, encoding=encoding))


class RoundTripCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        services.ensure_default_locations()

    def import_bytes(self, data: bytes, name: str) -> importer.ImportOutcome:
        folder = Path(tempfile.mkdtemp())
        path = folder / name
        path.write_bytes(data)
        try:
            outcome = importer.import_file(path, importer.ImportOptions(), by=None, via="test")
        finally:
            path.unlink()
            folder.rmdir()
        self.assertEqual([e.reason for e in outcome.plan.errors], [])
        self.assertFalse(outcome.refused)
        return outcome

    def assert_round_trip(
        self,
        flavour: str,
        encoding: str = UTF8,
        fmt: str = export.ISO2709,
    ) -> None:
        """From the catalogue as it is now: export, re-import elsewhere, compare, re-export."""
        copy_fields = CNMARC_COPY if flavour == CNMARC else MARC21_COPY
        before = snapshot(copy_fields)
        self.assertTrue(before)
        first = export_all(flavour, encoding, fmt)
        empty_catalogue()
        self.import_bytes(first, "export.xml" if fmt == MARCXML else "export.iso")
        after = snapshot(copy_fields)
        self.assertEqual(len(after), len(before))
        for (old, old_copies), (new, new_copies) in zip(before, after, strict=True):
            self.assertEqual(new, old)
            self.assertEqual(new_copies, old_copies, old["title"])
        self.assertEqual(export_all(flavour, encoding, fmt), first)


class FixtureRoundTripTest(RoundTripCase):
    """Files as they come from suppliers and other systems (marcin's fixtures)."""

    def import_fixture(self, name: str) -> None:
        self.import_bytes((FIXTURES / name).read_bytes(), name)

    def test_cnmarc_utf8_round_trips(self) -> None:
        self.import_fixture("cnmarc_school_utf8.iso")
        self.assert_round_trip(CNMARC, UTF8)

    def test_cnmarc_gbk_round_trips_in_gbk(self) -> None:
        self.import_fixture("cnmarc_school_gbk.iso")
        self.assertTrue(Item.objects.exists())
        self.assert_round_trip(CNMARC, GBK)

    def test_cnmarc_gbk_round_trips_through_utf8(self) -> None:
        self.import_fixture("cnmarc_school_gbk.iso")
        self.assert_round_trip(CNMARC, UTF8)

    def test_unimarc_from_elsewhere_round_trips(self) -> None:
        self.import_fixture("testunimarc.dat")
        self.assert_round_trip(CNMARC, UTF8)

    def test_marc21_round_trips(self) -> None:
        self.import_fixture("test.dat")
        self.import_fixture("summerland.mrc")
        self.assert_round_trip(MARC21, UTF8)

    def test_marcxml_round_trips(self) -> None:
        self.import_fixture("batch.xml")
        self.assert_round_trip(MARC21, UTF8, MARCXML)

    def test_the_export_gives_back_the_original_fields(self) -> None:
        self.import_fixture("cnmarc_school_utf8.iso")
        first = export_all(CNMARC)
        original = (FIXTURES / "cnmarc_school_utf8.iso").read_bytes()
        # Every field but the holdings is in the export as it was in the file.
        for tag in (b"801", b"200", b"010"):
            self.assertEqual(first.count(b"\x1e" + tag), original.count(b"\x1e" + tag))
        self.assertIn(b"cao fang zi", first)


class CatalogueRoundTripTest(RoundTripCase):
    """Records catalogued here (no original): built from the catalogue, then re-imported."""

    def setUp(self) -> None:
        services.catalogue_record(
            RecordData(
                title="西游记",
                subtitle="绘本版",
                parallel_titles=["Journey to the West"],
                other_titles=["西游释厄传"],
                contributors=[
                    {"name": "吴承恩", "role": "author"},
                    {"name": "李明", "role": "editor"},
                    {"name": "Smith, John", "role": "translator"},
                    {"name": "张画", "role": "illustrator"},
                ],
                edition="第2版",
                place="北京",
                publisher="人民文学出版社",
                year=2019,
                isbn="9787020002207",
                other_isbns=["9787020090006"],
                price=Decimal("45.00"),
                pages="326页",
                series="中国古典文学读本丛书",
                summary="唐僧师徒四人西天取经的故事。",
                subjects=["章回小说－中国－明代", "History--China"],
                class_number="I242.4",
                book_number="12",
            ),
            [
                ItemData(barcode="X0001", received_on=date(2026, 9, 1)),
                ItemData(
                    barcode="X0002",
                    accession_number="A77",
                    price=Decimal("30.00"),
                    received_on=date(2026, 9, 2),
                    source="donation",
                ),
                ItemData(barcode="X0003", call_number="I242.4/99", received_on=date(2026, 9, 3)),
            ],
            by=None,
        )
        services.catalogue_record(
            RecordData(title="没有复本的书", class_number="I287", book_number="5"), by=None
        )
        services.catalogue_record(
            RecordData(
                title="Highlights",
                language="eng",
                material_type=Record.MaterialType.PERIODICAL,
                price=Decimal("3.50"),
                currency="USD",
            ),
            by=None,
        )

    def test_cnmarc_utf8_round_trips(self) -> None:
        self.assert_round_trip(CNMARC, UTF8)

    def test_cnmarc_gbk_round_trips(self) -> None:
        self.assert_round_trip(CNMARC, GBK)

    def test_marc21_round_trips(self) -> None:
        self.assert_round_trip(MARC21, UTF8)

    def test_marcxml_round_trips(self) -> None:
        self.assert_round_trip(CNMARC, UTF8, MARCXML)
