"""Damaged MARC files: the real fixtures with bytes flipped, cut short, lengths and directory
entries altered, terminators lost. Every one gives a report (an error per bad record, or the
file refused whole with a reason), never an exception, and importing the good records
leaves exactly what the report counted."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import django as hypothesis_django

from shuxiang.catalog import batch
from shuxiang.catalog import services as catalog_services
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.marc import generate
from shuxiang.marc.importer import ImportOptions, MarcImportError, check_file, import_file
from shuxiang.marc.models import MarcRecord
from shuxiang.tests_reliability.soak import examples

FIXTURES = Path(__file__).resolve().parents[1] / "marc" / "tests" / "fixtures"
ISO = [
    "cnmarc_school_utf8.iso",
    "cnmarc_school_gbk.iso",
    "summerland.mrc",
    "one.dat",
    "marc8.dat",
    "testunimarc.dat",
    "utf8_with_leader_flag.dat",
]
XML = ["summerland.xml", "batch.xml"]
STRUCTURE = [b"\x1d", b"\x1e", b"\x1f", b"0", b"9", b" ", b"\xff", b"\x00", b"<", b">"]


@st.composite
def damaged(draw: st.DrawFn, names: list[str]) -> bytes:
    """A fixture with a few kinds of damage, each where a reader is most easily fooled."""
    data = bytearray((FIXTURES / draw(st.sampled_from(names))).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "structure", "length", "cut", "drop", "insert"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if not data:
            break
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "structure":  # a terminator, delimiter or digit where it should not be
            data[at : at + 1] = draw(st.sampled_from(STRUCTURE))
        elif kind == "length":  # the leader's record length or base address, or a directory entry's
            start = draw(st.sampled_from([0, 12, 24 + 3, 24 + 7, at]))
            digits = draw(st.from_regex(rb"\A[0-9]{1,5}\Z"))
            data[start : start + len(digits)] = digits
        elif kind == "cut":
            del data[at:]
        elif kind == "drop":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
    return bytes(data)


class DamagedMarcTests(hypothesis_django.TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        catalog_services.ensure_default_locations()

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    @settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
    @given(damaged(ISO), st.sampled_from(["auto", "cnmarc", "marc21"]))
    def test_a_damaged_iso2709_file_is_reported_never_raised(
        self, data: bytes, flavour: str
    ) -> None:
        event(self.assert_reported(data, ".iso", ImportOptions(flavour=flavour, skip_bad=True)))

    @settings(max_examples=examples(30), deadline=None, suppress_health_check=list(HealthCheck))
    @given(damaged(XML))
    def test_a_damaged_marcxml_file_is_reported_never_raised(self, data: bytes) -> None:
        event(self.assert_reported(data, ".xml", ImportOptions(skip_bad=True)))

    def test_a_marcxml_file_declaring_an_unreadable_encoding_is_reported_never_raised(
        self,
    ) -> None:
        # Python's XML parser knows no multi-byte charset but UTF-8 and UTF-16 (a GB18030
        # export is plausible), nor a misspelt name.
        text = (FIXTURES / "summerland.xml").read_bytes()
        for name in (b"GB18030", b"U0F-8"):
            with self.subTest(name):
                damaged = text.replace(b'encoding="UTF-8"', b'encoding="' + name + b'"')
                self.assert_reported(damaged, ".xml", ImportOptions())

    def test_a_nul_byte_inside_a_field_is_reported_never_raised(self) -> None:
        # PostgreSQL stores no NUL in text; SQLite would keep it silently.
        records = [
            generate.cnmarc(
                f"NUL{n}",
                [
                    generate.field("200", "a", title, "f", "曹文轩著", ind="1 "),
                    generate.field("905", "a", "SX", "b", f"NUL{n}"),
                ],
            )
            for n, title in enumerate(["草房子\x00", "青铜葵花"])
        ]
        data = b"".join(generate.iso2709(record) for record in records)
        self.assert_reported(data, ".iso", ImportOptions(skip_bad=True))
        # Refused with a reason, or taken without the NUL: either way none is stored, in the
        # description or in the original record kept beside it.
        texts = [*Record.objects.values_list("title", flat=True)]
        texts += MarcRecord.objects.values_list("data", flat=True)
        self.assertFalse([text for text in texts if "\x00" in text])
        self.assertTrue(Item.objects.filter(barcode="NUL1").exists())

    def test_a_directory_entry_pointing_into_a_character_is_reported_never_raised(self) -> None:
        record = generate.cnmarc(
            "MID1",
            [
                generate.field("200", "a", "草房子", "f", "曹文轩著", ind="1 "),
                generate.field("905", "a", "SX", "b", "MID1"),
            ],
        )
        data = bytearray(generate.iso2709(record))
        entry = data.index(b"200", 24)  # the 200's directory entry: tag, length, start
        length, start = int(data[entry + 3 : entry + 7]), int(data[entry + 7 : entry + 12])
        # Five bytes on ("1 ", "$a" and one byte of 草): the second byte of a UTF-8 character.
        data[entry + 3 : entry + 12] = f"{length - 5:04d}{start + 5:05d}".encode()
        self.assertEqual(
            self.assert_reported(bytes(data), ".iso", ImportOptions(skip_bad=True)),
            "records in error",
        )

    @settings(max_examples=examples(30), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=3000))
    def test_any_bytes_at_all_are_reported_never_raised(self, data: bytes) -> None:
        event(self.assert_reported(data, ".mrc", ImportOptions(skip_bad=True)))

    def assert_reported(self, data: bytes, suffix: str, options: ImportOptions) -> str:
        """Check and import a file; what became of it, for hypothesis' statistics."""
        path = self.folder / f"damaged{suffix}"
        path.write_bytes(data)
        try:
            read = check_file(path, options)
        except MarcImportError as refused:
            self.assertTrue(str(refused), "a refusal says why")
            self.assertFalse(ImportBatch.objects.exists())
            return "file refused whole"
        for entry in read.entries:
            if entry.action == batch.ERROR:
                self.assertTrue(entry.reason, f"{entry.label}: an error without a reason")
                self.assertTrue(entry.label)
        errors = sum(entry.action == batch.ERROR for entry in read.entries)
        # Importing the good records brings exactly what the check promised.
        outcome = import_file(path, options, by=None, via="cli")
        if outcome.refused:  # without "import the good ones", a bad record stops the file
            self.assertFalse(options.skip_bad)
            self.assertTrue(outcome.message)
            self.assertFalse(ImportBatch.objects.exists())
            return "file refused for its bad records"
        assert outcome.batch is not None
        counts = outcome.plan.counts()
        self.assertEqual(outcome.batch.records_added, counts[batch.ADD])
        self.assertEqual(outcome.batch.errors, counts[batch.ERROR])
        self.assertEqual(Item.objects.filter(import_batch=outcome.batch).count(), counts["items"])
        return "records in error" if errors else "every record read"
