"""MARC export of one record: every mapped field, the character-set marks, the holdings."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pymarc
from django.test import override_settings
from stdnum import ean
from stdnum import isbn as stdisbn

from shuxiang.catalog import services
from shuxiang.catalog.models import Item, Location, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.marc import export
from shuxiang.marc.export import CNMARC, GBK, MARC21, ExportError
from shuxiang.test import BaseTestCase


def catalogue_full(by: object = None) -> Record:
    """A record with every mapped field filled, catalogued as the librarian would."""
    return services.catalogue_record(
        RecordData(
            title="西游记",
            subtitle="绘本版",
            parallel_titles=["Journey to the West"],
            other_titles=["西游释厄传"],
            contributors=[
                {"name": "吴承恩", "role": "author"},
                {"name": "李明", "role": "editor"},
                {"name": "王芳", "role": "translator"},
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
            subjects=["章回小说－中国－明代", "神话"],
            language="chi",
            class_number="I242.4",
        ),
        [
            ItemData(barcode="X0001", accession_number="A0001"),
            ItemData(barcode="X0002", price=Decimal("30.00"), received_on=date(2026, 9, 1)),
        ],
        by=None,
        allow_duplicate=True,
    )


def iso(records: list[pymarc.Record], flavour: str, encoding: str = export.UTF8) -> bytes:
    out = io.BytesIO()
    export.write_iso2709(records, out, flavour=flavour, encoding=encoding)
    return out.getvalue()


def read_back(data: bytes, encoding: str = export.UTF8) -> list[pymarc.Record]:
    if encoding == GBK:
        reader = pymarc.MARCReader(data, file_encoding="gb18030")
    else:
        reader = pymarc.MARCReader(data, force_utf8=True)
    records = [r for r in reader if r is not None]
    assert reader.current_exception is None, reader.current_exception
    return records


def parse_xml(data: bytes) -> list[pymarc.Record]:
    return pymarc.parse_xml_to_array(io.BytesIO(data))  # type: ignore[no-untyped-call,no-any-return]


def sub(marc: pymarc.Record, tag: str, code: str) -> list[str]:
    return [s.value for f in marc.get_fields(tag) for s in f.subfields if s.code == code]


class CnmarcFieldsTest(BaseTestCase):
    def setUp(self) -> None:
        self.record = catalogue_full()
        [self.marc] = read_back(iso([export.export_record(self.record, CNMARC)], CNMARC))

    def test_it_writes_the_isbns_and_the_price_in_010(self) -> None:
        self.assertEqual(sub(self.marc, "010", "a"), ["978-7-02-000220-7", "978-7-02-009000-6"])
        self.assertEqual(sub(self.marc, "010", "d"), ["CNY45.00"])

    def test_it_writes_the_titles_in_200_and_517(self) -> None:
        self.assertEqual(sub(self.marc, "200", "a"), ["西游记"])
        self.assertEqual(sub(self.marc, "200", "e"), ["绘本版"])
        self.assertEqual(sub(self.marc, "200", "d"), ["Journey to the West"])
        self.assertEqual(sub(self.marc, "200", "f"), ["吴承恩"])
        self.assertEqual(sub(self.marc, "200", "g"), ["李明；王芳；张画"])
        self.assertEqual(sub(self.marc, "517", "a"), ["西游释厄传"])

    def test_it_writes_edition_imprint_pages_series_summary(self) -> None:
        self.assertEqual(sub(self.marc, "205", "a"), ["第2版"])
        self.assertEqual(sub(self.marc, "210", "a"), ["北京"])
        self.assertEqual(sub(self.marc, "210", "c"), ["人民文学出版社"])
        self.assertEqual(sub(self.marc, "210", "d"), ["2019"])
        self.assertEqual(sub(self.marc, "215", "a"), ["326页"])
        self.assertEqual(sub(self.marc, "225", "a"), ["中国古典文学读本丛书"])
        self.assertEqual(sub(self.marc, "330", "a"), ["唐僧师徒四人西天取经的故事。"])

    def test_it_writes_subjects_class_and_language(self) -> None:
        first, second = self.marc.get_fields("606")
        self.assertEqual([(s.code, s.value) for s in first.subfields], [
            ("a", "章回小说"), ("x", "中国"), ("x", "明代")
        ])  # fmt: skip
        self.assertEqual(sub(self.marc, "606", "a")[1], "神话")
        self.assertEqual(second.indicators, pymarc.Indicators("0", " "))
        self.assertEqual(sub(self.marc, "690", "a"), ["I242.4"])
        self.assertEqual(sub(self.marc, "101", "a"), ["chi"])

    def test_it_writes_authors_in_701_and_others_in_702_with_relator_codes(self) -> None:
        self.assertEqual(sub(self.marc, "701", "a"), ["吴承恩"])
        self.assertEqual(sub(self.marc, "701", "4"), ["070"])
        self.assertEqual(sub(self.marc, "702", "a"), ["李明", "王芳", "张画"])
        self.assertEqual(sub(self.marc, "702", "4"), ["340", "730", "440"])

    def test_it_writes_100_with_the_dates_and_unicode_character_set(self) -> None:
        [value] = sub(self.marc, "100", "a")
        self.assertEqual(len(value), 36)
        self.assertEqual(value[8:13], "d2019")
        self.assertEqual(value[26:30], "50  ")

    def test_it_writes_the_record_number_and_a_book_leader(self) -> None:
        self.assertEqual(self.marc["001"].data, str(self.record.pk))
        self.assertEqual(str(self.marc.leader)[5:10], "nam0 ")
        self.assertEqual(str(self.marc.leader)[20:24], "450 ")


class Marc21FieldsTest(BaseTestCase):
    def setUp(self) -> None:
        self.record = catalogue_full()
        [self.marc] = read_back(iso([export.export_record(self.record, MARC21)], MARC21))

    def test_it_writes_isbns_and_price_in_020(self) -> None:
        self.assertEqual(sub(self.marc, "020", "a"), ["9787020002207", "9787020090006"])
        self.assertEqual(sub(self.marc, "020", "c"), ["CNY45.00"])

    def test_it_writes_the_titles_in_245_and_246(self) -> None:
        self.assertEqual(sub(self.marc, "245", "a"), ["西游记"])
        self.assertEqual(sub(self.marc, "245", "b"), ["绘本版"])
        parallel, other = self.marc.get_fields("246")
        self.assertEqual((parallel.indicator2, parallel["a"]), ("1", "Journey to the West"))
        self.assertEqual((other.indicator2, other["a"]), (" ", "西游释厄传"))

    def test_it_writes_the_main_author_in_100_and_the_others_in_700(self) -> None:
        self.assertEqual(sub(self.marc, "100", "a"), ["吴承恩"])
        self.assertEqual(sub(self.marc, "100", "4"), ["aut"])
        self.assertEqual(sub(self.marc, "700", "a"), ["李明", "王芳", "张画"])
        self.assertEqual(sub(self.marc, "700", "4"), ["edt", "trl", "ill"])
        self.assertEqual(sub(self.marc, "700", "e"), ["editor", "translator", "illustrator"])

    def test_it_writes_edition_imprint_pages_series_summary_subjects(self) -> None:
        self.assertEqual(sub(self.marc, "250", "a"), ["第2版"])
        self.assertEqual(sub(self.marc, "260", "a"), ["北京"])
        self.assertEqual(sub(self.marc, "260", "b"), ["人民文学出版社"])
        self.assertEqual(sub(self.marc, "260", "c"), ["2019"])
        self.assertEqual(sub(self.marc, "300", "a"), ["326页"])
        self.assertEqual(sub(self.marc, "490", "a"), ["中国古典文学读本丛书"])
        self.assertEqual(sub(self.marc, "520", "a"), ["唐僧师徒四人西天取经的故事。"])
        self.assertEqual(sub(self.marc, "650", "a"), ["章回小说－中国－明代", "神话"])

    def test_it_writes_the_clc_class_in_084_and_the_language_in_008(self) -> None:
        self.assertEqual(sub(self.marc, "084", "a"), ["I242.4"])
        self.assertEqual(sub(self.marc, "084", "2"), ["clc"])
        fixed = self.marc["008"].data or ""
        self.assertEqual(len(fixed), 40)
        self.assertEqual(fixed[7:11], "2019")
        self.assertEqual(fixed[35:38], "chi")

    def test_it_marks_the_leader_utf8(self) -> None:
        self.assertEqual(str(self.marc.leader)[9], "a")
        self.assertEqual(str(self.marc.leader)[20:24], "4500")

    def test_it_splits_a_heading_at_double_dashes(self) -> None:
        record = services.catalogue_record(
            RecordData(title="History", subjects=["China--History"]), by=None
        )
        [field] = export.export_record(record, MARC21).get_fields("650")
        self.assertEqual([(s.code, s.value) for s in field.subfields], [
            ("a", "China"), ("x", "History")
        ])  # fmt: skip


class CharacterSetTest(BaseTestCase):
    def test_it_leaves_leader_09_blank_in_cnmarc(self) -> None:
        data = iso([export.export_record(self.journey, CNMARC)], CNMARC)
        self.assertEqual(data[9:10], b" ")
        self.assertEqual(data[5:9], b"nam0")

    def test_it_says_utf8_in_100_for_a_utf8_file(self) -> None:
        data = iso([export.export_record(self.journey, CNMARC)], CNMARC)
        [marc] = read_back(data)
        self.assertEqual(marc["100"]["a"][26:30], "50  ")
        self.assertIn("西游记".encode(), data)

    def test_it_writes_gbk_bytes_and_says_so_in_100(self) -> None:
        data = iso([export.export_record(self.journey, CNMARC)], CNMARC, GBK)
        self.assertIn("西游记".encode("gbk"), data)
        self.assertNotIn("西游记".encode(), data)
        self.assertEqual(data[9:10], b" ")
        [marc] = read_back(data, GBK)
        self.assertEqual(marc["100"]["a"][26:30], "0120")
        self.assertEqual(marc["200"]["a"], "西游记")
        self.assertEqual(marc["701"]["a"], "吴承恩")

    def test_it_counts_lengths_in_bytes_of_the_chosen_encoding(self) -> None:
        for encoding in (export.UTF8, GBK):
            data = iso([export.export_record(self.journey, CNMARC)], CNMARC, encoding)
            self.assertEqual(int(data[:5]), len(data))
            self.assertEqual(data[-1:], b"\x1d")

    def test_it_refuses_marc21_in_gbk_in_chinese(self) -> None:
        with self.assertRaisesMessage(ExportError, "MARC21 没有 GBK 编码"):
            iso([export.export_record(self.journey, MARC21)], MARC21, GBK)

    def test_it_keeps_leader_09_blank_in_cnmarc_marcxml(self) -> None:
        out = io.BytesIO()
        export.write_marcxml([export.export_record(self.journey, CNMARC)], out, flavour=CNMARC)
        [marc] = parse_xml(out.getvalue())
        self.assertEqual(str(marc.leader)[9], " ")
        self.assertEqual(marc["100"]["a"][26:30], "50  ")


class MarcxmlTest(BaseTestCase):
    def test_it_writes_well_formed_marcxml_that_pymarc_reads_back(self) -> None:
        record = catalogue_full()
        for flavour in (CNMARC, MARC21):
            out = io.BytesIO()
            marcs = [export.export_record(r, flavour) for r in (self.journey, record)]
            export.write_marcxml(marcs, out, flavour=flavour)
            root = ET.fromstring(out.getvalue())
            self.assertEqual(root.tag, "{http://www.loc.gov/MARC21/slim}collection")
            back = parse_xml(out.getvalue())
            self.assertEqual([len(m.fields) for m in back], [len(m.fields) for m in marcs])
            title = "245" if flavour == MARC21 else "200"
            self.assertEqual([m[title]["a"] for m in back], ["西游记", "西游记"])

    def test_it_escapes_markup_and_drops_characters_xml_cannot_hold(self) -> None:
        record = services.catalogue_record(RecordData(title="A book"), by=None)
        # Straight into the row: the catalogue's own cleaning would take the quotes out.
        Record.objects.filter(pk=record.pk).update(title='A <b> & "c"\x01 book')
        record.refresh_from_db()
        out = io.BytesIO()
        export.write_marcxml([export.export_record(record, MARC21)], out, flavour=MARC21)
        [marc] = parse_xml(out.getvalue())
        self.assertEqual(marc["245"]["a"], 'A <b> & "c" book')


class HoldingsTest(BaseTestCase):
    def test_it_writes_one_905_per_copy(self) -> None:
        record = catalogue_full()
        marc = export.export_record(record, CNMARC)
        first, second = marc.get_fields("905")
        self.assertEqual(first["b"], "X0001")
        self.assertEqual(first["f"], "A0001")
        self.assertEqual(
            (first["c"], first["d"], first["e"]), ("STACKS", "I242.4", record.book_number)
        )
        self.assertEqual(first["r"], "45.00")
        self.assertEqual(second["b"], "X0002")
        self.assertIsNone(second.get("a"))
        self.assertEqual(second["r"], "30.00")

    def test_it_leaves_out_an_accession_number_equal_to_the_barcode(self) -> None:
        record = services.catalogue_record(
            RecordData(title="同号"),
            [ItemData(barcode="000777", accession_number="000777")],
            by=None,
        )
        [field] = export.export_record(record, CNMARC).get_fields("905")
        self.assertIsNone(field.get("f"))

    def test_it_writes_one_952_per_copy_in_marc21(self) -> None:
        record = catalogue_full()
        first, second = export.export_record(record, MARC21).get_fields("952")
        self.assertEqual(
            (first["p"], first["i"], first["o"]), ("X0001", "A0001", record.call_number)
        )
        self.assertEqual((first["c"], first["g"], first["e"]), ("STACKS", "45.00", "purchase"))
        self.assertEqual((second["p"], second["d"], second["g"]), ("X0002", "2026-09-01", "30.00"))

    def test_it_leaves_out_withdrawn_copies(self) -> None:
        Item.objects.filter(barcode="T0002").update(status=Item.Status.WITHDRAWN)
        marc = export.export_record(self.journey, CNMARC)
        self.assertEqual(sub(marc, "905", "b"), ["T0001"])

    def test_it_gives_a_copy_its_own_call_number_and_location(self) -> None:
        reading = Location.objects.get(code="READING")
        Item.objects.filter(barcode="T0002").update(call_number="I242.4/7", location=reading)
        marc = export.export_record(self.journey, CNMARC)
        self.assertEqual(sub(marc, "905", "e"), ["1", "7"])
        self.assertEqual(sub(marc, "905", "c"), ["STACKS", "READING"])

    @override_settings(SHUXIANG_LIBRARY_CODE="SX001")
    def test_it_names_the_library_when_it_has_a_code(self) -> None:
        self.assertEqual(sub(export.export_record(self.journey, CNMARC), "905", "a"), ["SX001"] * 2)
        marc21 = export.export_record(self.journey, MARC21)
        self.assertEqual(sub(marc21, "952", "a"), ["SX001"] * 2)
        self.assertEqual(sub(marc21, "952", "b"), ["SX001"] * 2)

    def test_it_keeps_the_book_number_of_a_record_without_copies(self) -> None:
        record = services.catalogue_record(
            RecordData(title="无复本", class_number="I287.5"), by=None
        )
        [field] = export.export_record(record, CNMARC).get_fields("905")
        self.assertEqual([(s.code, s.value) for s in field.subfields], [
            ("d", "I287.5"), ("e", record.book_number)
        ])  # fmt: skip
        [field] = export.export_record(record, MARC21).get_fields("952")
        self.assertEqual([(s.code, s.value) for s in field.subfields], [
            ("o", record.call_number)
        ])  # fmt: skip

    def test_a_record_without_class_or_copies_has_no_holdings(self) -> None:
        record = services.catalogue_record(RecordData(title="无分类"), by=None)
        self.assertEqual(export.export_record(record, CNMARC).get_fields("905"), [])


class MaterialTypeTest(BaseTestCase):
    def test_it_codes_the_material_type_in_the_leader(self) -> None:
        cases = {
            Record.MaterialType.PERIODICAL: "as",
            Record.MaterialType.AUDIO_VISUAL: "gm",
            Record.MaterialType.MAP: "em",
            Record.MaterialType.ELECTRONIC: "mm",
        }
        for material, codes in cases.items():
            record = services.catalogue_record(
                RecordData(title=f"资料 {material}", material_type=material), by=None
            )
            for flavour in (CNMARC, MARC21):
                self.assertEqual(str(export.export_record(record, flavour).leader)[6:8], codes)


class LimitsTest(BaseTestCase):
    def test_it_cuts_a_field_too_long_for_iso2709_and_says_so(self) -> None:
        record = services.catalogue_record(
            RecordData(title="长摘要", summary="很长" * 2000), by=None
        )
        notes: list[str] = []
        out = io.BytesIO()
        export.write_iso2709(
            [export.export_record(r, CNMARC) for r in (record, self.journey)],
            out,
            flavour=CNMARC,
            notice=lambda marc, reason: notes.append(f"{marc['001'].data} {reason}"),
        )
        self.assertEqual(notes, [f"{record.pk} 字段 330 超过 9999 字节，已截短"])
        long, journey = read_back(out.getvalue())
        summary = long["330"]["a"]
        self.assertTrue(summary.startswith("很长很长"))
        self.assertLessEqual(len(summary.encode()), 9999)
        self.assertEqual(journey["200"]["a"], "西游记")

    def test_it_leaves_out_a_record_too_long_for_iso2709_and_says_which(self) -> None:
        marc = export.export_record(self.journey, CNMARC)
        marc.fields += [export._field("905", "  ", b=f"B{n:05d}", c="STACKS") for n in range(4000)]
        notes: list[str] = []
        out = io.BytesIO()
        export.write_iso2709(
            [marc], out, flavour=CNMARC, notice=lambda m, reason: notes.append(reason)
        )
        self.assertEqual(out.getvalue(), b"")
        self.assertEqual(notes, ["记录超过 99999 字节（复本太多），未导出"])

    def test_it_drops_separator_characters_from_values(self) -> None:
        record = services.catalogue_record(RecordData(title="坏字符"), by=None)
        Record.objects.filter(pk=record.pk).update(title="坏\x1e字\x1d符\x1f")
        record.refresh_from_db()
        [marc] = read_back(iso([export.export_record(record, CNMARC)], CNMARC))
        self.assertEqual(marc["200"]["a"], "坏字符")


class IsbnTest(BaseTestCase):
    def test_it_hyphenates_chinese_isbns_as_the_range_table_does(self) -> None:
        for prefix in ("97870", "978709", "97871", "978749", "97875", "978779", "97878", "97879"):
            body = (prefix + "1234567890")[:12]
            number = body + ean.calc_check_digit(body)
            self.assertEqual(export._hyphenated(number), stdisbn.format(number))
        self.assertEqual(export._hyphenated("9780306406157"), "978-0-306-40615-7")
