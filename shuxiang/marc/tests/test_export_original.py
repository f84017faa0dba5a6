"""Export gives back what came in: the kept original, holdings rebuilt, edits shown."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pymarc
import time_machine

from shuxiang.catalog import services
from shuxiang.catalog.models import Item, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.marc import export
from shuxiang.marc.export import CNMARC, GBK, MARC21
from shuxiang.marc.models import MarcRecord
from shuxiang.test import BaseTestCase

IMPORTED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def field(tag: str, ind: str, *pairs: str) -> pymarc.Field:
    subfields = [pymarc.Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return pymarc.Field(tag, pymarc.Indicators(ind[0], ind[1]), subfields)


def cnmarc_original() -> pymarc.Record:
    marc = pymarc.Record()
    marc.leader = pymarc.Leader("00000nam0 2200000   450 ")
    marc.fields = [
        pymarc.Field("001", data="CN0001"),
        pymarc.Field("005", data="20190601000000.0"),
        field("010", "  ", "a", "978-7-5346-1872-7", "b", "平装", "d", "CNY25.00"),
        field("100", "  ", "a", "20190601d2019    em y0chiy50      ea"),
        field("101", "0 ", "a", "chi"),
        field("200", "1 ", "a", "草房子", "9", "cao fang zi", "f", "曹文轩著"),
        field("210", "  ", "a", "南京", "c", "江苏少年儿童出版社", "d", "2019.6"),
        field("690", "  ", "a", "I287.45", "v", "5"),
        field("701", " 0", "a", "曹文轩", "9", "cao wen xuan", "4", "070"),
        field("801", " 0", "a", "CN", "b", "南京图书馆", "c", "20190601"),
        field("905", "  ", "a", "OLDLIB", "b", "OLD0001", "d", "I287.45", "e", "9"),
    ]
    return marc


def as_text(marc: pymarc.Record) -> str:
    return export.iso2709_bytes(marc, export.UTF8).decode()


class OriginalKeptTest(BaseTestCase):
    def setUp(self) -> None:
        with time_machine.travel(IMPORTED, tick=False):
            self.record = services.catalogue_record(
                RecordData.with_authors(
                    "草房子",
                    ["曹文轩"],
                    place="南京",
                    publisher="江苏少年儿童出版社",
                    year=2019,
                    isbn="9787534618727",
                    price=Decimal("25.00"),
                    class_number="I287.45",
                    book_number="9",
                ),
                [ItemData(barcode="C0001"), ItemData(barcode="C0002")],
                by=None,
            )
            MarcRecord.objects.create(
                record=self.record, flavour=CNMARC, data=as_text(cnmarc_original())
            )

    def exported(self, flavour: str = CNMARC) -> pymarc.Record:
        self.record.refresh_from_db()
        return export.export_record(self.record, flavour)

    def test_it_gives_back_the_fields_the_catalogue_does_not_hold(self) -> None:
        marc = self.exported()
        self.assertEqual(marc["001"].data, "CN0001")
        self.assertEqual(marc["005"].data, "20190601000000.0")
        self.assertEqual(marc["801"]["b"], "南京图书馆")
        self.assertEqual(marc["200"]["9"], "cao fang zi")
        self.assertEqual(marc["010"]["b"], "平装")
        self.assertEqual(marc["701"]["9"], "cao wen xuan")

    def test_it_gives_back_the_unedited_original_field_for_field(self) -> None:
        original = [f for f in cnmarc_original().fields if f.tag != "905"]
        marc = self.exported()
        self.assertEqual(
            [str(f) for f in marc.fields if f.tag != "905"], [str(f) for f in original]
        )

    def test_it_replaces_the_original_holdings_by_todays_copies(self) -> None:
        Item.objects.filter(barcode="C0002").update(status=Item.Status.WITHDRAWN)
        services.add_item(self.record, ItemData(barcode="C0003"), by=None)
        holdings = self.exported().get_fields("905")
        self.assertEqual([f["b"] for f in holdings], ["C0001", "C0003"])
        self.assertNotIn("OLDLIB", str(holdings))

    def test_a_new_copy_is_not_an_edit_of_the_record(self) -> None:
        with time_machine.travel(IMPORTED + timedelta(days=3), tick=False):
            services.add_item(self.record, ItemData(barcode="C0009"), by=None)
        self.assertEqual(self.exported()["200"]["f"], "曹文轩著")

    def test_it_shows_an_edit_made_after_the_import(self) -> None:
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            data = RecordData.with_authors(
                "草房子 典藏版",
                ["曹文轩", "王小明"],
                publisher="江苏少年儿童出版社",
                year=2020,
                isbn="9787534618727",
                class_number="I287.45",
                subjects=["儿童小说－长篇小说"],
            )
            services.update_record(self.record, data, by=self.lena)
        marc = self.exported()
        self.assertEqual(marc["200"]["a"], "草房子 典藏版")
        self.assertEqual(marc["210"]["d"], "2020")
        self.assertEqual([f["a"] for f in marc.get_fields("701")], ["曹文轩", "王小明"])
        self.assertEqual([s.value for s in marc["606"].subfields], ["儿童小说", "长篇小说"])
        self.assertIsNone(marc["210"].get("a"))  # the place was cleared in the edit

    def test_an_edit_keeps_the_unmapped_fields_and_subfields(self) -> None:
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            data = RecordData.with_authors(
                "草房子", ["曹文轩"], isbn="9787534618727", class_number="I287.45", year=2021
            )
            services.update_record(self.record, data, by=self.lena)
        marc = self.exported()
        self.assertEqual(marc["001"].data, "CN0001")
        self.assertEqual(marc["801"]["b"], "南京图书馆")
        title = marc["200"]
        self.assertEqual([s.code for s in title.subfields], ["a", "9", "f"])
        self.assertEqual(title["9"], "cao fang zi")
        self.assertEqual(marc["010"]["b"], "平装")
        self.assertEqual(marc["690"]["v"], "5")
        self.assertEqual(marc["701"]["9"], "cao wen xuan")
        self.assertEqual(marc["100"]["a"][:8], "20190601")

    def test_an_edit_regenerates_only_the_fields_it_changed(self) -> None:
        data = RecordData.with_authors(
            "草房子 新版",
            ["曹文轩"],
            place="南京",
            publisher="江苏少年儿童出版社",
            year=2019,
            isbn="9787534618727",
            price=Decimal("25.00"),
            class_number="I287.45",
        )
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            services.update_record(self.record, data, by=self.lena)
        marc = self.exported()
        self.assertEqual(marc["200"]["a"], "草房子 新版")
        self.assertEqual(marc["200"]["9"], "cao fang zi")
        self.assertEqual(marc["210"]["d"], "2019.6")  # as it came: the year did not change
        self.assertEqual(marc["010"]["d"], "CNY25.00")

    def test_an_edit_of_what_marc_does_not_carry_changes_nothing(self) -> None:
        before = self.exported()
        self.record.grade_min = 3
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            self.record.save()
        after = self.exported()
        self.assertGreater(self.record.updated_at, IMPORTED + timedelta(minutes=59))
        self.assertEqual(after.as_marc(), before.as_marc())

    def test_an_edit_changes_the_leader_only_for_a_new_material_type(self) -> None:
        MarcRecord.objects.filter(record=self.record).update(
            data=as_text(cnmarc_original()).replace("nam0", "ncm0", 1)
        )
        data = RecordData.with_authors("草房子", ["曹文轩"], class_number="I287.45")
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            services.update_record(self.record, data, by=None)
        self.assertEqual(str(self.exported().leader)[5:9], "ncm0")  # music: read as a book
        data.material_type = Record.MaterialType.PERIODICAL
        with time_machine.travel(IMPORTED + timedelta(hours=2), tick=False):
            services.update_record(self.record, data, by=None)
        self.assertEqual(str(self.exported().leader)[5:9], "nas0")

    def test_it_builds_afresh_when_the_original_is_of_the_other_flavour(self) -> None:
        marc = self.exported(MARC21)
        self.assertEqual(marc["001"].data, str(self.record.pk))
        self.assertEqual(marc["245"]["a"], "草房子")
        self.assertEqual(marc.get_fields("801"), [])
        self.assertEqual([f["p"] for f in marc.get_fields("952")], ["C0001", "C0002"])

    def test_it_marks_a_kept_original_gbk_when_written_in_gbk(self) -> None:
        out = io.BytesIO()
        export.write_iso2709([self.exported()], out, flavour=CNMARC, encoding=GBK)
        data = out.getvalue()
        self.assertEqual(data[9:10], b" ")
        self.assertIn("南京图书馆".encode("gbk"), data)
        [marc] = pymarc.MARCReader(data, file_encoding="gb18030")
        assert marc is not None
        self.assertEqual(marc["100"]["a"][26:30], "0120")
        self.assertEqual(marc["801"]["b"], "南京图书馆")

    def test_it_adds_a_100_to_an_original_without_one(self) -> None:
        original = cnmarc_original()
        original.fields = [f for f in original.fields if f.tag != "100"]
        MarcRecord.objects.filter(record=self.record).update(data=as_text(original))
        marc = self.exported()
        self.assertEqual([f.tag for f in marc.fields][:4], ["001", "005", "010", "100"])
        self.assertEqual(export.mark_encoding(marc, CNMARC, GBK)["100"]["a"][26:30], "0120")

    def test_it_builds_afresh_when_the_original_cannot_be_read(self) -> None:
        MarcRecord.objects.filter(record=self.record).update(data="garbage")
        marc = self.exported()
        self.assertEqual(marc["001"].data, str(self.record.pk))
        self.assertEqual(marc["200"]["a"], "草房子")


class Marc21OriginalTest(BaseTestCase):
    def setUp(self) -> None:
        with time_machine.travel(IMPORTED, tick=False):
            self.record = services.catalogue_record(
                RecordData.with_authors(
                    "Summerland", ["Chabon, Michael"], year=2002, class_number="I712.84"
                ),
                [ItemData(barcode="S0001")],
                by=None,
            )
            marc = pymarc.Record()
            marc.leader = pymarc.Leader("00000cam a2200000 a 4500")
            marc.fields = [
                pymarc.Field("001", data="ocm49383335"),
                pymarc.Field("008", data="020604s2002    nyu    j      000 1 eng d"),
                field("082", "04", "a", "[Fic]", "2", "21"),
                field("084", "  ", "a", "I712.84", "2", "clc"),
                field("100", "1 ", "a", "Chabon, Michael."),
                field("245", "10", "a", "Summerland /", "c", "Michael Chabon."),
                field("264", " 4", "c", "©2002"),
                field("952", "  ", "p", "OLD"),
            ]
            MarcRecord.objects.create(record=self.record, flavour=MARC21, data=as_text(marc))

    def test_an_edit_regenerates_only_the_mapped_marc21_fields(self) -> None:
        with time_machine.travel(IMPORTED + timedelta(hours=1), tick=False):
            data = RecordData.with_authors(
                "Summerland", ["Chabon, Michael"], year=2002, class_number="I712.45",
                language="chi",
            )  # fmt: skip
            services.update_record(self.record, data, by=None)
        self.record.refresh_from_db()
        marc = export.export_record(self.record, MARC21)
        self.assertEqual(marc["082"]["a"], "[Fic]")  # Dewey is not ours: kept
        self.assertEqual([f["a"] for f in marc.get_fields("084")], ["I712.45"])
        self.assertEqual(marc["264"]["c"], "©2002")  # a copyright date, not the imprint
        self.assertEqual(marc["245"]["a"], "Summerland /")  # the title was not changed
        self.assertEqual(marc["100"]["a"], "Chabon, Michael.")
        self.assertEqual((marc["008"].data or "")[35:38], "chi")
        self.assertEqual(str(marc.leader)[5], "c")
        self.assertEqual([f["p"] for f in marc.get_fields("952")], ["S0001"])

    def test_it_gives_back_an_unedited_marc21_original(self) -> None:
        marc = export.export_record(Record.objects.get(pk=self.record.pk), MARC21)
        self.assertEqual(marc["245"]["a"], "Summerland /")
        self.assertEqual(marc["100"]["a"], "Chabon, Michael.")
        self.assertEqual([f["p"] for f in marc.get_fields("952")], ["S0001"])
