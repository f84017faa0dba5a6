"""marc.mapping: CNMARC and MARC21 records become the catalogue's records and copies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pymarc

from shuxiang.catalog.models import Location, Record
from shuxiang.marc.generate import cnmarc, field
from shuxiang.marc.mapping import Context, Mapped, map_record, price_of
from shuxiang.marc.reader import MarcFile
from shuxiang.test import BaseTestCase

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def marc21(*fields: pymarc.Field, leader: str = "00000nam a2200000 a 4500") -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader(leader)
    record.fields = list(fields)
    return record


class MappingTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.context = Context.load(self.stacks)

    def school(self, name: str = "cnmarc_school_utf8.iso") -> list[Mapped]:
        return [
            map_record(raw.record, "cnmarc", self.context)
            for raw in MarcFile(FIXTURES / name)
            if raw.record is not None
        ]


class CnmarcTests(MappingTestCase):
    def test_a_school_record_maps_field_by_field(self) -> None:
        mapped = self.school()[0]
        data = mapped.record
        assert data is not None
        self.assertEqual(data.title, "草房子")
        self.assertEqual(data.subtitle, "曹文轩纯美小说")
        self.assertEqual(data.contributors, [{"name": "曹文轩", "role": "author"}])
        self.assertEqual(data.isbn, "9787534618727")
        self.assertEqual((data.price, data.currency), (Decimal("25.00"), "CNY"))
        self.assertEqual(
            (data.place, data.publisher, data.year), ("南京", "江苏少年儿童出版社", 2019)
        )
        self.assertEqual(data.pages, "302页")
        self.assertEqual(data.series, "曹文轩文集")
        self.assertEqual(data.summary, "桑桑在油麻地小学度过了六年的童年生活。")
        self.assertEqual(data.subjects, ["儿童小说－长篇小说－中国－当代"])
        self.assertEqual((data.class_number, data.book_number), ("I287.45", "12"))
        self.assertEqual(data.language, "chi")
        self.assertEqual(data.material_type, Record.MaterialType.BOOK)
        self.assertEqual([i.barcode for i in mapped.items], ["C0001", "C0002"])
        self.assertEqual([i.accession_number for i in mapped.items], ["C0001", "C0002"])
        self.assertEqual({i.location for i in mapped.items}, {self.stacks})
        self.assertEqual({i.call_number for i in mapped.items}, {"I287.45/12"})
        self.assertEqual(mapped.warnings, [])

    def test_roles_come_from_4_and_prices_of_a_copy_from_905_r(self) -> None:
        mapped = self.school()[1]
        data = mapped.record
        assert data is not None
        self.assertEqual(
            data.contributors,
            [{"name": "法布尔", "role": "author"}, {"name": "陈筱卿", "role": "translator"}],
        )
        self.assertEqual(data.price, Decimal("28.00"))
        self.assertEqual(mapped.items[0].location, self.reading_room)
        self.assertEqual(mapped.items[0].price, Decimal("30.00"))

    def test_a_copy_count_without_barcodes_makes_numbered_copies(self) -> None:
        mapped = self.school()[2]
        self.assertEqual([i.barcode for i in mapped.items], ["", "", ""])
        self.assertEqual(mapped.record.edition, "第六版")  # type: ignore[union-attr]
        self.assertIn(
            "字段 905 没有条码号：按复本数 3 册导入，条码号和登录号将自动分配", mapped.warnings
        )

    def test_what_cannot_be_kept_is_left_out_with_a_warning_not_a_refusal(self) -> None:
        mapped = self.school()[3]
        data = mapped.record
        assert data is not None
        self.assertEqual(mapped.error, "")
        self.assertEqual((data.isbn, data.price, data.class_number), ("", None, ""))
        self.assertEqual(
            mapped.warnings,
            [
                "ISBN“9787500794807”无效：校验位不对，未导入（保留在原始 MARC 记录中）",
                "价格“二十元”无法识别，未导入",
                "分类号“895.1”应以中图法大类字母开头，如 I287.5；分类号留空",
                "馆藏地点代码“ATTIC”不存在，这些复本放在“书库”",
            ],
        )
        self.assertEqual(mapped.items[0].location, self.stacks)

    def test_without_7xx_the_statement_of_responsibility_names_the_people(self) -> None:
        mapped = self.school()[4]
        data = mapped.record
        assert data is not None
        self.assertEqual(
            data.contributors,
            [
                {"name": "(法)圣埃克苏佩里", "role": "author"},
                {"name": "马振骋", "role": "translator"},
            ],
        )
        self.assertEqual(data.other_titles, ["Le petit prince"])
        self.assertEqual(mapped.items[0].accession_number, "000901")

    def test_gbk_and_utf8_files_map_to_the_same_records(self) -> None:
        utf, gbk = self.school(), self.school("cnmarc_school_gbk.iso")
        self.assertEqual([m.record for m in utf], [m.record for m in gbk])

    def test_an_empty_title_is_an_error(self) -> None:
        record = cnmarc("X1", [field("200", "a", "  ", "f", "佚名", ind="1 ")])
        self.assertEqual(map_record(record, "cnmarc", self.context).error, "题名为空")

    def test_unimarc_from_italy_keeps_its_names_and_language(self) -> None:
        raw = next(iter(MarcFile(FIXTURES / "testunimarc.dat")))
        assert raw.record is not None
        data = map_record(raw.record, "cnmarc", self.context).record
        assert data is not None
        self.assertEqual(data.title, "L'altra faccia della spirale")
        self.assertEqual(data.isbn, "9788804406822")
        self.assertEqual(data.contributors[0], {"name": "Asimov, Isaac", "role": "author"})
        self.assertEqual((data.publisher, data.year, data.language), ("A. Mondadori", 1996, "ita"))
        self.assertEqual(data.series, "Bestsellers")


class Marc21Tests(MappingTestCase):
    def test_a_library_of_congress_record_maps_without_isbd_punctuation(self) -> None:
        raw = next(iter(MarcFile(FIXTURES / "one.dat")))
        assert raw.record is not None
        mapped = map_record(raw.record, "marc21", self.context)
        data = mapped.record
        assert data is not None
        self.assertEqual(data.title, "ActivePerl with ASP and ADO")
        self.assertEqual(data.contributors, [{"name": "Martinsson, Tobias", "role": "author"}])
        self.assertEqual(data.isbn, "9780471383147")
        self.assertEqual(
            (data.place, data.publisher, data.year),
            ("New York", "John Wiley & Sons", 2000),
        )
        self.assertEqual(data.subjects[0], "Perl (Computer program language)")
        self.assertEqual(data.class_number, "")  # LC and Dewey are not our class numbers
        self.assertEqual(mapped.warnings, ["没有中图法分类号"])

    def test_a_clc_084_koha_952_holdings_and_dollar_prices(self) -> None:
        record = marc21(
            pymarc.Field(tag="008", data="240301s2024    cc            000 1 chi d"),
            field("020", "a", "9787534618727 (pbk.)", "c", "$15.00"),
            field("084", "a", "I287.45", "2", "clc"),
            field("100", "a", "Cao, Wenxuan.", "e", "author."),
            field("245", "a", "Cao fang zi /", "b", "a novel :", "c", "Cao Wenxuan."),
            field("264", "a", "Nanjing :", "b", "Jiangsu Children's Pub.,", "c", "2019.", ind=" 1"),
            field("700", "a", "Wang, Helen,", "4", "trl"),
            field(
                "952",
                "p",
                "K0001",
                "i",
                "A0001",
                "c",
                "TEACHERS",
                "o",
                "I287.45/3",
                "g",
                "20.00",
                "d",
                "2024-03-01",
                "e",
                "donation",
            ),
            field("852", "b", "NOWHERE", "h", "I287.45", "i", "3", "p", "K0002"),
        )
        mapped = map_record(record, "marc21", self.context)
        data = mapped.record
        assert data is not None
        self.assertEqual((data.title, data.subtitle), ("Cao fang zi", "a novel"))
        self.assertEqual((data.price, data.currency), (Decimal("15.00"), "USD"))
        self.assertEqual((data.class_number, data.book_number), ("I287.45", "3"))
        self.assertEqual(data.publisher, "Jiangsu Children's Pub")
        self.assertEqual(
            data.contributors,
            [
                {"name": "Cao, Wenxuan", "role": "author"},
                {"name": "Wang, Helen", "role": "translator"},
            ],
        )
        koha, other = mapped.items
        self.assertEqual(
            (koha.barcode, koha.accession_number, koha.call_number, koha.price, koha.source),
            ("K0001", "A0001", "I287.45/3", Decimal("20.00"), "donation"),
        )
        self.assertEqual(koha.location, Location.objects.get(code="TEACHERS"))
        self.assertEqual(koha.received_on, date(2024, 3, 1))
        self.assertEqual(
            (other.barcode, other.location, other.call_number), ("K0002", self.stacks, "I287.45/3")
        )
        self.assertIn("馆藏地点代码“NOWHERE”不存在，这些复本放在“书库”", mapped.warnings)

    def test_material_types_come_from_the_leader(self) -> None:
        cases = {
            "am": "book",
            "as": "periodical",
            "gm": "audio_visual",
            "em": "map",
            "mm": "electronic",
        }
        for code, kind in cases.items():
            with self.subTest(code=code):
                record = marc21(field("245", "a", "X"), leader=f"00000n{code} a2200000 a 4500")
                data = map_record(record, "marc21", self.context).record
                assert data is not None
                self.assertEqual(data.material_type, kind)

    def test_prices_are_read_tolerantly(self) -> None:
        warnings: list[str] = []
        cases = {
            "CNY28.00": (Decimal("28.00"), "CNY"),
            "28.00元": (Decimal("28.00"), "CNY"),
            "RMB28": (Decimal("28.00"), "CNY"),
            "￥28.5": (Decimal("28.50"), "CNY"),
            "$15.00": (Decimal("15.00"), "USD"),
            "USD 9.99": (Decimal("9.99"), "USD"),
            "CNY38.00(全2册)": (Decimal("38.00"), "CNY"),
        }
        for raw, expected in cases.items():
            with self.subTest(raw=raw):
                self.assertEqual(price_of(raw, warnings), expected)
        self.assertEqual(warnings, [])
        self.assertEqual(price_of("赠送", warnings), (None, ""))
        self.assertEqual(warnings, ["价格“赠送”无法识别，未导入"])
