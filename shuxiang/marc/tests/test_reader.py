"""marc.reader: real files split into records; each bad one reported, never a crash."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import pymarc
from django.test import SimpleTestCase
from pymarc.exceptions import BadSubfieldCodeWarning

from shuxiang.marc import reader
from shuxiang.marc.reader import MarcFile, MarcFileError, Raw, ReadOptions

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read(name: str, **options: str) -> tuple[MarcFile, list[Raw]]:
    marc_file = MarcFile(FIXTURES / name, ReadOptions(**options))
    return marc_file, list(marc_file)


def errors(raws: list[Raw]) -> list[tuple[str, str]]:
    return [(r.label, r.error) for r in raws if r.error]


class TempDir:
    def __init__(self, test: SimpleTestCase) -> None:
        self.dir = Path(tempfile.mkdtemp())
        test.addCleanup(shutil.rmtree, self.dir)

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path


class FormatAndFlavourTests(SimpleTestCase):
    def test_it_tells_iso2709_from_marcxml_and_cnmarc_from_marc21(self) -> None:
        cases = {
            "test.dat": ("iso2709", "marc21"),
            "testunimarc.dat": ("iso2709", "cnmarc"),
            "cnmarc_school_gbk.iso": ("iso2709", "cnmarc"),
            "batch.xml": ("marcxml", "marc21"),
            "summerland.xml": ("marcxml", "marc21"),
        }
        for name, (fmt, flavour) in cases.items():
            with self.subTest(name=name):
                marc_file = MarcFile(FIXTURES / name)
                self.assertEqual((marc_file.format, marc_file.flavour), (fmt, flavour))

    def test_the_user_can_say_which_flavour_it_is(self) -> None:
        marc_file = MarcFile(FIXTURES / "testunimarc.dat", ReadOptions(flavour="marc21"))
        self.assertEqual(marc_file.flavour, "marc21")

    def test_it_refuses_a_file_that_is_not_marc_in_chinese(self) -> None:
        files = TempDir(self)
        for name, data in [("a.txt", "书名,作者\n草房子,曹文轩\n".encode()), ("e.iso", b"  \n")]:
            with self.subTest(name=name), self.assertRaises(MarcFileError) as caught:
                MarcFile(files.write(name, data))
            self.assertRegex(str(caught.exception), "不是 MARC 文件|文件是空的")

    def test_an_xml_file_without_records_is_refused(self) -> None:
        path = TempDir(self).write("x.xml", b"<?xml version='1.0'?><collection/>")
        with self.assertRaisesMessage(MarcFileError, "XML 文件中没有 MARC 记录"):
            list(MarcFile(path))


class SplittingTests(SimpleTestCase):
    def test_every_bad_record_of_pymarcs_bad_records_is_reported_and_reading_goes_on(self) -> None:
        _file, raws = read("bad_records.mrc")
        self.assertEqual(len(raws), 8)
        self.assertEqual([r.position for r in raws if r.record is not None], [1, 8])
        self.assertEqual(
            errors(raws),
            [
                ("第 2 条记录（字节偏移 127）", "记录头损坏：数据起始地址（99937）超出记录范围"),
                ("第 3 条记录（字节偏移 254）", "记录头损坏：数据起始地址（0）超出记录范围"),
                ("第 4 条记录（字节偏移 381）", "目次区损坏：长度不是 12 的整数倍"),
                ("第 5 条记录（字节偏移 509）", "目次区损坏：长度不是 12 的整数倍"),
                ("第 6 条记录（字节偏移 637）", "记录头损坏：数据起始地址“f0037”不是数字"),
                ("第 7 条记录（字节偏移 764）", "记录中没有字段"),
            ],
        )

    def test_a_bad_leader_a_broken_directory_and_a_cut_file_cost_one_record(self) -> None:
        cases = {
            "cnmarc_bad_leader.iso": (
                [1, 3],
                ("第 2 条记录（字节偏移 641）", "记录头损坏：前 5 位应是记录长度数字，实为“X0583”"),
            ),
            "cnmarc_broken_directory.iso": (
                [1, 3],
                ("第 2 条记录（字节偏移 641）", "目次区损坏：字段 101 的位置超出记录范围"),
            ),
            "cnmarc_truncated.iso": (
                [1, 2],
                (
                    "第 3 条记录（字节偏移 1224）",
                    "记录不完整：文件在这条记录中途结束（可能是文件没有传完）",
                ),
            ),
        }
        for name, (good, error) in cases.items():
            with self.subTest(name=name):
                _file, raws = read(name)
                self.assertEqual([r.position for r in raws if r.record is not None], good)
                self.assertEqual(errors(raws), [error])

    def test_a_length_that_disagrees_with_the_terminator_is_reported(self) -> None:
        data = (FIXTURES / "one.dat").read_bytes()
        path = TempDir(self).write("long.mrc", b"00999" + data[5:] + data)
        raws = list(MarcFile(path))
        self.assertEqual(
            errors(raws),
            [
                (
                    "第 1 条记录（字节偏移 0）",
                    "记录头的记录长度（999）与实际长度（755）不符，记录可能被截断或改动过",
                )
            ],
        )
        self.assertIsNotNone(raws[1].record)

    def test_padding_after_the_last_record_is_not_a_record(self) -> None:
        # bad_indicator.dat ends in spaces; its one record has a directory tag "0 2".
        _file, raws = read("bad_indicator.dat")
        self.assertEqual(len(raws), 1)
        record = raws[0].record
        assert record is not None
        self.assertEqual(record["245"]["a"], "Aristocrats of color :")
        self.assertIn("字段标识符“0 2”无效", raws[0].warnings)

    def test_unordered_directory_entries_are_read_by_their_offsets(self) -> None:
        data = (FIXTURES / "unordered-directory-entries.mrc").read_bytes()
        _leader, _base, layout = reader.parse_structure(data)
        starts = [start for _tag, start, _end in layout]
        self.assertNotEqual(starts, sorted(starts))
        _file, raws = read("unordered-directory-entries.mrc")
        record = raws[0].record
        assert record is not None
        self.assertEqual(record["245"]["a"], "About parrots :")

    def test_control_characters_in_indicators_and_codes_are_warned_about(self) -> None:
        _file, raws = read("bad-characters-in-various-fields.mrc")
        self.assertEqual(raws[0].error, "")
        self.assertIn("字段 010 的指示符有误，已按空白处理", raws[0].warnings)
        self.assertEqual(raws[0].record["245"]["a"], "The scroll")  # type: ignore[index]


class CharsetTests(SimpleTestCase):
    def test_marc21_leader_09_chooses_utf8_or_marc8(self) -> None:
        cases = {
            "marc8.dat": "marc-8",
            "utf8_with_leader_flag.dat": "utf-8",
            "diacritic.dat": "utf-8",
        }
        for name, charset in cases.items():
            with self.subTest(name=name):
                _file, raws = read(name)
                self.assertEqual(raws[0].charset, charset)
                self.assertEqual(raws[0].warnings, [])
        _file, raws = read("marc8.dat")
        record = raws[0].record
        assert record is not None
        self.assertEqual(record["240"]["a"], "De la solitude à la communauté.")

    def test_utf8_without_the_leader_flag_is_read_as_utf8_with_a_warning(self) -> None:
        _file, raws = read("utf8_without_leader_flag.dat")
        self.assertEqual(raws[0].charset, "utf-8")
        self.assertEqual(raws[0].warnings, ["字符集标记与内容不符，按 UTF-8 读取"])
        with_flag = read("utf8_with_leader_flag.dat")[1][0].record
        assert raws[0].record is not None and with_flag is not None
        self.assertEqual(raws[0].record["245"].value(), with_flag["245"].value())

    def test_cnmarc_100a_chooses_the_charset_and_gbk_reads_as_utf8_does(self) -> None:
        gbk_file, gbk = read("cnmarc_school_gbk.iso")
        utf_file, utf = read("cnmarc_school_utf8.iso")
        self.assertEqual(gbk_file.description, "cnmarc iso2709 gb18030")
        self.assertEqual(utf_file.description, "cnmarc iso2709 utf-8")
        for a, b in zip(gbk, utf, strict=True):
            assert a.record is not None and b.record is not None
            self.assertEqual(
                [str(f) for f in a.record.fields[3:]], [str(f) for f in b.record.fields[3:]]
            )
        self.assertEqual(gbk[0].record["200"]["a"], "草房子")  # type: ignore[index]

    def test_a_lying_charset_flag_is_warned_and_undecodable_bytes_are_an_error(self) -> None:
        _file, raws = read("cnmarc_wrong_charset.iso")
        self.assertEqual(raws[0].warnings, ["字符集标记与内容不符，按 GB18030（GBK） 读取"])
        self.assertEqual(raws[0].record["200"]["a"], "草房子")  # type: ignore[index]
        self.assertEqual(
            errors(raws),
            [
                (
                    "第 2 条记录（字节偏移 574）",
                    "这条记录含有无法识别的字符：既不是 UTF-8 也不是 GB18030（GBK）编码",
                )
            ],
        )
        self.assertIsNotNone(raws[2].record)

    def test_a_chosen_charset_that_does_not_fit_is_an_error_per_record(self) -> None:
        _file, raws = read("cnmarc_school_gbk.iso", encoding="utf-8")
        self.assertTrue(all(r.error.startswith("按所选字符集 UTF-8 无法读取") for r in raws))
        _file, raws = read("cnmarc_school_gbk.iso", encoding="gb18030")
        self.assertEqual(errors(raws), [])

    def test_an_invalid_subfield_code_byte_is_dropped(self) -> None:
        _file, raws = read("utf8_invalid.mrc")
        record = raws[0].record
        assert record is not None
        self.assertEqual(record["260"]["b"], "Association of Teacher Educators]")
        self.assertIn("字段 260 有无效的子字段代码“\ufffd”", raws[0].warnings)


class MarcxmlTests(SimpleTestCase):
    def test_it_streams_records_and_cjk_character_references(self) -> None:
        _file, raws = read("bibs_graphic_880_extracted.xml")
        self.assertEqual(len(raws), 7)
        record = raws[0].record
        assert record is not None
        titles = [f["a"] for f in record.get_fields("880") if f["6"].startswith("245")]
        self.assertEqual(titles, ["图说中国节 ="])

    def test_malformed_xml_keeps_the_records_before_and_says_where(self) -> None:
        data = (FIXTURES / "batch.xml").read_bytes()
        cut = data.index(b"</marc:record>") + len(b"</marc:record>") + 200
        raws = list(MarcFile(TempDir(self).write("cut.xml", data[:cut] + b"<oops")))
        self.assertIsNotNone(raws[0].record)
        self.assertEqual(raws[-1].label, "第 2 条记录")
        self.assertRegex(
            raws[-1].error, r"^XML 格式错误（第 \d+ 行第 \d+ 列），文件从这里起无法读取$"
        )


class RoundTripTests(SimpleTestCase):
    def test_every_good_record_is_kept_as_text_that_pymarc_reads_back(self) -> None:
        for path in sorted(FIXTURES.iterdir()):
            if path.suffix not in {".dat", ".mrc", ".iso", ".xml"}:
                continue
            for raw in MarcFile(path):
                if raw.record is None:
                    continue
                with self.subTest(file=path.name, record=raw.position), warnings.catch_warnings():
                    # A record kept with its oddities (a subfield code that is not ASCII) is
                    # read back with pymarc's warning: expected here, not news.
                    warnings.simplefilter("ignore", BadSubfieldCodeWarning)
                    back = pymarc.Record(raw.text.encode("utf-8"), force_utf8=True)
                    self.assertEqual(back.leader[5:9], str(raw.record.leader)[5:9])
                    self.assertEqual(len(back.fields), len(raw.record.fields))
                    if not raw.warnings:  # else kept as it came, oddities and all
                        self.assertEqual(
                            [str(f) for f in back.fields], [str(f) for f in raw.record.fields]
                        )

    def test_gbk_records_are_kept_in_unicode_with_leader_09_still_blank(self) -> None:
        _file, raws = read("cnmarc_school_gbk.iso")
        text = raws[0].text
        self.assertEqual(text[9], " ")
        self.assertIn("0120", text)  # 100 $a as it came
        back = pymarc.Record(text.encode("utf-8"), force_utf8=True)
        self.assertEqual(back["200"]["a"], "草房子")
        self.assertEqual(reader.to_text(back), text)
