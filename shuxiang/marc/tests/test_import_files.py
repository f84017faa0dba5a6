"""marc.importer: real files into the catalogue, in one transaction, originals kept."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pymarc

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.marc.generate import cnmarc, field, write
from shuxiang.marc.importer import ImportOptions, MarcImportError, check_file, import_file
from shuxiang.marc.models import MarcRecord
from shuxiang.test import BaseTestCase

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Policy = ImportBatch.Policy

# Every file copied into the fixtures, imported in this order: (records added with skip-bad,
# records refused). Some files hold the same book as an earlier one, which is then skipped.
FILES = {
    "bad-characters-in-various-fields.mrc": (1, 0),
    "bad_indicator.dat": (1, 0),
    "bad_records.mrc": (1, 6),  # its two good records are the same book: one record
    "batch.xml": (2, 0),
    "bibs_graphic_880_extracted.xml": (7, 0),
    "cnmarc_bad_leader.iso": (2, 1),
    "cnmarc_broken_directory.iso": (2, 1),
    "cnmarc_school_gbk.iso": (5, 0),
    "cnmarc_school_utf8.iso": (5, 0),
    "cnmarc_truncated.iso": (2, 1),
    "cnmarc_wrong_charset.iso": (2, 1),
    "diacritic.dat": (1, 0),
    "marc8.dat": (1, 0),
    "one.dat": (1, 0),
    "summerland.mrc": (1, 0),
    "summerland.xml": (0, 0),  # summerland.mrc's record
    "test.dat": (9, 0),  # its first record is one.dat's
    "testunimarc.dat": (1, 0),
    "unordered-directory-entries.mrc": (1, 0),
    "utf8_invalid.mrc": (1, 0),
    "utf8_with_leader_flag.dat": (0, 0),  # marc8.dat's book, in UTF-8
    "utf8_without_leader_flag.dat": (0, 0),
}


class ImportTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def run_import(self, path: Path, **options: object) -> ImportBatch:
        outcome = import_file(path, ImportOptions(**options), by=self.lena, via="cli")  # type: ignore[arg-type]
        assert outcome.batch is not None, outcome.message
        return outcome.batch

    def journey_file(self, barcode: str = "N0001", title: str = "西游记（插图本）") -> Path:
        path = self.dir / "journey.iso"
        record = cnmarc(
            "J1",
            [
                field("010", "a", "978-7-02-000220-7", "d", "CNY47.00"),
                field("200", "a", title, "f", "吴承恩著", ind="1 "),
                field("210", "a", "北京", "c", "人民文学出版社", "d", "1980"),
                field("690", "a", "I242.4"),
                field("701", "a", "吴承恩", "4", "070", ind=" 0"),
                field("905", "b", barcode, "d", "I242.4", "e", "9"),
            ],
        )
        write(path, [record])
        return path


class EveryFixtureTests(ImportTestCase):
    def test_every_fixture_imports_its_good_records_and_reports_the_bad_ones(self) -> None:
        for name, (added, refused) in FILES.items():
            with self.subTest(file=name):
                before = Record.objects.count()
                batch = self.run_import(FIXTURES / name, skip_bad=True)
                self.assertEqual(batch.errors, refused)
                self.assertEqual(Record.objects.count() - before, batch.records_added)
                if name.startswith("cnmarc"):
                    # The CNMARC files share their books: only the first one adds them.
                    self.assertLessEqual(batch.records_added, added)
                else:
                    self.assertEqual(batch.records_added, added)
                for line in batch.report:
                    if line["action"] == "error":
                        self.assertTrue(line["label"].startswith(f"第 {line['position']} 条记录"))
                        self.assertTrue(line["reason"])
        self.assertEqual(MarcRecord.objects.count(), Record.objects.count() - 1)  # 西游记 not

    def test_the_school_file_brings_its_records_copies_and_originals(self) -> None:
        batch = self.run_import(FIXTURES / "cnmarc_school_gbk.iso")
        self.assertEqual((batch.records_added, batch.items_added), (5, 8))
        self.assertEqual(batch.file_format, "cnmarc iso2709 gb18030")
        grass = Record.objects.get(title="草房子")
        self.assertEqual(grass.isbn, "9787534618727")
        self.assertEqual(grass.call_number, "I287.45/12")
        self.assertEqual(grass.author_names, ["曹文轩"])
        self.assertEqual(
            sorted(grass.items.values_list("barcode", "accession_number", "location__code")),
            [("C0001", "C0001", "STACKS"), ("C0002", "C0002", "STACKS")],
        )
        hundred = Record.objects.get(title="十万个为什么")
        numbered = list(hundred.items.values_list("barcode", "accession_number"))
        self.assertEqual(len(numbered), 3)
        self.assertTrue(all(b == a and a.isdigit() for b, a in numbered))
        original = MarcRecord.objects.get(record=grass)
        self.assertEqual(original.flavour, "cnmarc")
        back = pymarc.Record(original.data.encode("utf-8"), force_utf8=True)
        self.assertEqual(back["200"]["a"], "草房子")
        self.assertEqual(str(back.leader)[9], " ")
        self.assertEqual(back["905"].get_subfields("b"), ["C0001", "C0002"])

    def test_the_preview_counts_and_maps_without_writing(self) -> None:
        read = check_file(FIXTURES / "cnmarc_bad_leader.iso", ImportOptions())
        self.assertEqual([e.action for e in read.entries], ["add", "error", "add"])
        self.assertEqual(read.entries[1].label, "第 2 条记录（字节偏移 641）")
        self.assertFalse(Record.objects.filter(title="草房子").exists())

    def test_a_file_that_is_not_marc_is_refused_whole(self) -> None:
        path = self.dir / "books.xlsx"
        path.write_bytes(b"PK\x03\x04 not marc at all")
        with self.assertRaisesMessage(MarcImportError, "这不是 MARC 文件"):
            import_file(path, ImportOptions(), by=self.lena, via="cli")


class AllOrNothingTests(ImportTestCase):
    def test_one_bad_record_imports_nothing_and_says_which(self) -> None:
        outcome = import_file(
            FIXTURES / "cnmarc_truncated.iso", ImportOptions(), by=self.lena, via="cli"
        )
        self.assertTrue(outcome.refused)
        self.assertIsNone(outcome.batch)
        self.assertIn("第 3 条记录（字节偏移 1224）：记录不完整", outcome.message)
        self.assertIn("没有导入任何记录", outcome.message)
        self.assertFalse(Record.objects.filter(title="草房子").exists())
        self.assertFalse(ImportBatch.objects.exists())
        self.assertTrue(AuditLog.objects.filter(action="marc_import_checked").exists())

    def test_with_skip_bad_the_good_ones_come_in(self) -> None:
        batch = self.run_import(FIXTURES / "cnmarc_truncated.iso", skip_bad=True)
        self.assertEqual((batch.records_added, batch.errors), (2, 1))
        self.assertTrue(batch.skip_bad)
        self.assertEqual(batch.report[0]["label"], "第 3 条记录（字节偏移 1224）")
        self.assertTrue(Record.objects.filter(title="昆虫记").exists())

    def test_a_dry_run_changes_nothing(self) -> None:
        outcome = import_file(
            FIXTURES / "cnmarc_school_utf8.iso",
            ImportOptions(),
            by=self.lena,
            via="cli",
            dry_run=True,
        )
        self.assertEqual(outcome.plan.counts()["add"], 5)
        self.assertIsNone(outcome.batch)
        self.assertFalse(Record.objects.filter(title="草房子").exists())


class DuplicatePolicyTests(ImportTestCase):
    def test_skip_leaves_the_record_already_held_alone(self) -> None:
        batch = self.run_import(self.journey_file(), policy=Policy.SKIP)
        self.assertEqual((batch.records_skipped, batch.items_added), (1, 0))
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.title, "西游记")
        self.assertFalse(Item.objects.filter(barcode="N0001").exists())

    def test_merge_adds_the_copies_to_the_record_already_held(self) -> None:
        batch = self.run_import(self.journey_file(), policy=Policy.MERGE)
        self.assertEqual((batch.records_merged, batch.items_added), (1, 1))
        self.assertEqual(Item.objects.get(barcode="N0001").record, self.journey)
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.title, "西游记")
        self.assertFalse(MarcRecord.objects.filter(record=self.journey).exists())

    def test_overwrite_replaces_the_description_and_keeps_the_new_original(self) -> None:
        self.run_import(self.journey_file("N0001", "西游记（旧）"), policy=Policy.OVERWRITE)
        batch = self.run_import(self.journey_file("N0002"), policy=Policy.OVERWRITE)
        self.assertEqual(batch.records_overwritten, 1)
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.title, "西游记(插图本)")
        self.assertEqual(self.journey.items.count(), 4)  # T0001, T0002, N0001, N0002
        original = MarcRecord.objects.get(record=self.journey)
        self.assertIn("西游记（插图本）", original.data)
        self.assertIn("N0002", original.data)
