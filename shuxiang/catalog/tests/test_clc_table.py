from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from django.test import TestCase

from shuxiang.catalog import clc_table, services
from shuxiang.catalog.models import ClcClass
from shuxiang.test import BaseTestCase

# A slice of the shipped table (MIT, github.com/coooold/php_clc_parser) with one of each
# kind of code: plain, alternative [..], discontinued {..} and a range heading.
SMALL_TABLE = """code,name,parent_code
I,文学,
I2,中国文学,I
I24,小说,I2
I242,古代至近代作品（~1919年）,I24
I242.4,明代（1368~1644年）,I242
I28,儿童文学,I2
I286,古代至现代作品（~1949年）,I28
I286.7,童话、寓言,I286
I287,当代作品（1949年~）,I28
I287.5,故事,I287
I287.7,童话、寓言,I287
I287.8,图画故事,I287
[I287.9],其他,I287
{I289},旧类,I28
B,哲学、宗教,
B3,亚洲哲学,B
B31/39,亚洲各国哲学,B3
B313,日本哲学,B31/39
B351,印度哲学,B31/39
K,历史、地理,
K8,传记,K
K82,中国人物传记,K8
K825,人物传记：按学科分,K82
K825.6,文学,K825
T,工业技术,
T-0,工业技术理论,T
TP,自动化技术、计算机技术,T
TP3,计算技术、计算机技术,TP
TP31,计算机软件,TP3
TP312,程序语言、算法语言,TP31
TB,一般工业技术,T
"""


def load_small() -> int:
    return clc_table.load_rows(clc_table.read_rows(SMALL_TABLE).rows)


def codes(classes: list[ClcClass]) -> list[str]:
    return [c.code for c in classes]


class ReadRowsTests(TestCase):
    def test_it_reads_code_name_and_parent(self) -> None:
        table = clc_table.read_rows(SMALL_TABLE)
        self.assertEqual(len(table.rows), 31)
        self.assertEqual(table.main_classes, 4)
        self.assertIn(("B313", "日本哲学", "B31/39"), table.rows)

    def test_it_hangs_rows_without_a_parent_under_their_longest_prefix(self) -> None:
        table = clc_table.read_rows("code,name\nI,文学\nI2,中国文学\nI287.5,故事\n[I287.9],其他\n")
        self.assertEqual(
            table.rows,
            [
                ("I", "文学", ""),
                ("I2", "中国文学", "I"),
                ("I287.5", "故事", "I2"),
                ("[I287.9]", "其他", "I2"),
            ],
        )

    def test_it_accepts_chinese_full_width_and_spaced_headers(self) -> None:
        table = clc_table.read_rows(" 分类号 ,类名,上位类\nＩ,文学,\ni2, 中国文学 ,i\n")
        self.assertEqual(table.rows, [("I", "文学", ""), ("I2", "中国文学", "I")])

    def test_it_reads_tab_separated_text(self) -> None:
        table = clc_table.read_rows("code\tname\nI\t文学\nI2\t中国文学\n")
        self.assertEqual(len(table.rows), 2)

    def test_it_keeps_the_first_of_two_rows_with_one_code(self) -> None:
        table = clc_table.read_rows("code,name\nI,文学\nI2,中国文学\nI2,又一个\n")
        self.assertEqual(table.rows[1], ("I2", "中国文学", "I"))
        self.assertEqual(table.duplicates, 1)

    def test_it_skips_blank_lines(self) -> None:
        self.assertEqual(len(clc_table.read_rows("code,name\n\nI,文学\n,\n").rows), 1)

    def assertRefused(self, text: str, reason: str) -> None:
        with self.assertRaises(clc_table.ClcFileError) as caught:
            clc_table.read_rows(text)
        self.assertIn(reason, str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))

    def test_it_refuses_a_file_without_the_header(self) -> None:
        self.assertRefused("I,文学\nI2,中国文学\n", "表头 code,name")
        self.assertRefused("", "表头")

    def test_it_refuses_an_empty_name_by_line_number(self) -> None:
        self.assertRefused("code,name\nI,文学\nI2,\n", "第 3 行：类号或类名为空")

    def test_it_refuses_a_code_that_is_no_class_number(self) -> None:
        self.assertRefused("code,name\nI,文学\nL12,不存在\n", "第 3 行：分类号“L12”的基本大类")
        self.assertRefused("code,name\nI,文学\nI2875,中国文学\n", "第 3 行：分类号“I2875”的小数点")

    def test_it_refuses_a_parent_that_is_not_in_the_file(self) -> None:
        self.assertRefused(
            "code,name,parent_code\nI,文学,\nI2,中国文学,I9\n", "第 3 行：上位类“I9”不在文件中"
        )

    def test_it_refuses_a_loop_of_parents(self) -> None:
        self.assertRefused("code,name,parent_code\nI2,甲,I3\nI3,乙,I2\n", "第 2 行：上位类形成循环")
        self.assertRefused("code,name,parent_code\nI2,甲,I2\n", "上位类是它自己")

    def test_it_refuses_overlong_names_and_codes(self) -> None:
        self.assertRefused(f"code,name\nI,{'文' * 300}\n", "第 2 行：类名超过 255 个字符")
        self.assertRefused(f"code,name\nI{'1' * 60},文学\n", "超过 40 个字符")

    def test_it_refuses_text_that_is_no_csv(self) -> None:
        self.assertRefused(f'code,name\nI,"{"文" * 200_000}"\n', "第 2 行：CSV 格式错误")

    def test_it_refuses_control_characters_in_a_name(self) -> None:
        self.assertRefused("code,name\nI,文\0学\n", "第 2 行：类名含有控制字符")

    def test_it_refuses_a_file_with_only_a_header(self) -> None:
        self.assertRefused("code,name\n", "没有可用的数据行")

    def test_it_can_leave_out_bad_rows_and_the_rows_below_them(self) -> None:
        text = (
            "code,name,parent_code\nI,文学,\nL1,坏,\nI2,中国文学,I9\nI28,儿童文学,I2\nI24,小说,I\n"
        )
        table = clc_table.read_rows(text, skip_bad=True)
        self.assertEqual(codes_of(table), ["I", "I24"])
        self.assertEqual(len(table.skipped), 3)
        self.assertIn("第 3 行", table.skipped[0])
        self.assertIn("第 4 行：上位类“I9”不在文件中", table.skipped[1])
        self.assertIn("第 5 行：上位类“I2”有错", table.skipped[2])


def codes_of(table: clc_table.ParsedTable) -> list[str]:
    return [code for code, _name, _parent in table.rows]


class ReadFileTests(TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path

    def test_it_reads_gb18030(self) -> None:
        path = self.write("clc.csv", "code,name\nI,文学\nI2,中国文学\n".encode("gb18030"))
        self.assertEqual(clc_table.read_file(path).rows[1], ("I2", "中国文学", "I"))

    def test_it_reads_utf8_with_a_byte_order_mark(self) -> None:
        path = self.write("clc.csv", "code,name\nI,文学\n".encode("utf-8-sig"))
        self.assertEqual(clc_table.read_file(path).rows, [("I", "文学", "")])

    def test_it_reads_a_gzipped_file(self) -> None:
        path = self.write("clc.csv.gz", gzip.compress(SMALL_TABLE.encode("gb18030")))
        self.assertEqual(len(clc_table.read_file(path).rows), 31)

    def test_it_refuses_a_truncated_gzip_file(self) -> None:
        path = self.write("clc.csv.gz", gzip.compress(SMALL_TABLE.encode())[:40])
        with self.assertRaisesMessage(clc_table.ClcFileError, "gzip"):
            clc_table.read_file(path)

    def test_it_refuses_bytes_in_no_known_encoding(self) -> None:
        path = self.write("clc.csv", b"code,name\nI,\xff\xfe\xff\n")
        with self.assertRaisesMessage(clc_table.ClcFileError, "编码"):
            clc_table.read_file(path)


class LoadRowsTests(TestCase):
    def test_it_loads_the_tree_with_parents_and_depths(self) -> None:
        self.assertEqual(load_small(), 31)
        story = ClcClass.objects.select_related("parent").get(code="I287.5")
        self.assertEqual(story.name, "故事")
        assert story.parent is not None
        self.assertEqual(story.parent.code, "I287")
        self.assertEqual(story.depth, 5)
        self.assertIsNone(ClcClass.objects.get(code="I").parent)
        self.assertEqual(ClcClass.objects.get(code="B313").depth, 4)

    def test_it_loads_children_listed_before_their_parents(self) -> None:
        clc_table.load_rows([("I2", "中国文学", "I"), ("I", "文学", "")])
        self.assertEqual(ClcClass.objects.get(code="I2").parent, ClcClass.objects.get(code="I"))

    def test_it_replaces_the_whole_table(self) -> None:
        load_small()
        clc_table.load_rows([("A", "马克思主义、列宁主义、毛泽东思想、邓小平理论", "")])
        self.assertEqual(codes(list(ClcClass.objects.all())), ["A"])

    def test_it_reports_progress_up_to_the_total(self) -> None:
        calls: list[tuple[int, int]] = []
        load_small()
        clc_table.load_rows(
            clc_table.read_rows(SMALL_TABLE).rows, lambda d, t: calls.append((d, t))
        )
        self.assertEqual(calls[-1], (31, 31))

    def test_it_orders_siblings_as_the_books_stand(self) -> None:
        load_small()
        self.assertEqual(codes(clc_table.children(None)), ["B", "I", "K", "T"])
        self.assertEqual(
            codes(clc_table.children(ClcClass.objects.get(code="I287"))),
            ["I287.5", "I287.7", "I287.8", "[I287.9]"],
        )
        self.assertEqual(
            codes(clc_table.children(ClcClass.objects.get(code="T"))), ["T-0", "TB", "TP"]
        )

    def test_it_sorts_a_range_heading_before_the_classes_it_spans(self) -> None:
        load_small()
        in_order = codes(list(ClcClass.objects.filter(code__startswith="B")))
        self.assertEqual(in_order, ["B", "B3", "B31/39", "B313", "B351"])


class LookupTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        load_small()

    def test_it_finds_the_class_itself(self) -> None:
        self.assertEqual(self.nearest("I287.5"), "I287.5")
        self.assertEqual(self.nearest(" i287.5 "), "I287.5")

    def nearest(self, code: str) -> str | None:
        found = clc_table.nearest_class(code)
        return found.code if found else None

    def test_it_finds_the_nearest_ancestor_of_a_number_beyond_the_table(self) -> None:
        self.assertEqual(self.nearest("K825.6=74"), "K825.6")
        self.assertEqual(self.nearest("I287.59"), "I287.5")
        self.assertEqual(self.nearest("TP312JA"), "TP312")
        self.assertEqual(self.nearest("I287.5:G6"), "I287.5")
        self.assertEqual(self.nearest("I3"), "I")

    def test_it_finds_alternative_and_discontinued_classes_by_their_plain_code(self) -> None:
        self.assertEqual(self.nearest("I287.9"), "[I287.9]")
        self.assertEqual(self.nearest("I289"), "{I289}")
        self.assertEqual(self.nearest("B31/39"), "B31/39")

    def test_it_finds_nothing_outside_the_table(self) -> None:
        self.assertIsNone(self.nearest("A1"))
        self.assertIsNone(self.nearest(""))
        self.assertEqual(clc_table.breadcrumb("A1"), [])

    def test_it_gives_the_breadcrumb_from_the_main_class_down(self) -> None:
        self.assertEqual(
            codes(clc_table.breadcrumb("I287.5")), ["I", "I2", "I28", "I287", "I287.5"]
        )
        self.assertEqual(codes(clc_table.breadcrumb("K825.6=74"))[-1], "K825.6")

    def test_it_follows_parent_links_through_range_headings(self) -> None:
        self.assertEqual(codes(clc_table.breadcrumb("B313")), ["B", "B3", "B31/39", "B313"])

    def test_it_builds_a_breadcrumb_in_few_queries(self) -> None:
        with self.assertNumQueries(1):
            clc_table.breadcrumb("I287.5")
        with self.assertNumQueries(2):
            clc_table.breadcrumb("B313")

    def test_it_builds_many_breadcrumbs_one_level_at_a_time(self) -> None:
        classes = list(ClcClass.objects.filter(code__in=["I287.5", "B313", "TP312"]))
        with self.assertNumQueries(4):
            paths = clc_table.breadcrumbs(classes)
        self.assertEqual(
            {codes(p)[-1]: codes(p)[0] for p in paths.values()},
            {"I287.5": "I", "B313": "B", "TP312": "T"},
        )

    def test_it_searches_by_code_prefix_in_shelf_order(self) -> None:
        self.assertEqual(
            codes(clc_table.search("I287")), ["I287", "I287.5", "I287.7", "I287.8", "[I287.9]"]
        )
        self.assertEqual(codes(clc_table.search("i28", limit=3)), ["I28", "I286", "I286.7"])
        self.assertEqual(codes(clc_table.search("TP3 ")), ["TP3", "TP31", "TP312"])

    def test_it_forgives_misplaced_dots_in_a_code_search(self) -> None:
        self.assertEqual(codes(clc_table.search("I2875")), ["I287.5"])

    def test_it_searches_by_words_in_the_name_broadest_first(self) -> None:
        self.assertEqual(codes(clc_table.search("童话")), ["I286.7", "I287.7"])
        self.assertEqual(codes(clc_table.search("计算机")), ["TP", "TP3", "TP31"])
        self.assertEqual(codes(clc_table.search("计算机 软件")), ["TP31"])
        self.assertEqual(clc_table.search("火星"), [])
        self.assertEqual(clc_table.search("  "), [])

    def test_it_falls_back_to_names_when_a_latin_word_is_no_code(self) -> None:
        ClcClass.objects.create(code="TP312JA", name="Java语言", depth=6)
        self.assertEqual(codes(clc_table.search("java")), ["TP312JA"])

    def test_it_can_leave_out_classes_not_for_use(self) -> None:
        self.assertEqual(
            codes(clc_table.search("I28", usable_only=True)),
            ["I28", "I286", "I286.7", "I287", "I287.5", "I287.7", "I287.8"],
        )
        self.assertEqual(codes(clc_table.search("B3", usable_only=True)), ["B3", "B313", "B351"])


BOOKS = [
    ("宝葫芦的秘密", "I287.5"),
    ("小猪唏哩呼噜", "I287.7"),
    ("大林和小林", "I287.7"),
    ("日本哲学史", "B313"),
    ("故事与阅读", "I287.5:G6"),
]


class RecordCountTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()  # 西游记, I242.4
        load_small()
        for title, number in BOOKS:
            services.catalogue_record(
                services.RecordData.with_authors(title, ["某"], class_number=number), by=cls.lena
            )

    def counts(self, *codes: str) -> dict[str, int]:
        classes = list(ClcClass.objects.filter(code__in=codes))
        found = clc_table.record_counts(classes)
        return {c.code: found[c.pk] for c in classes}

    def test_it_counts_records_under_each_class(self) -> None:
        self.assertEqual(
            self.counts("I", "I2", "I24", "I28", "I287.5", "I287.7", "I286", "K", "B31/39", "B313"),
            {"I": 5, "I2": 5, "I24": 1, "I28": 4, "I287.5": 2, "I287.7": 2, "I286": 0, "K": 0,
             "B31/39": 1, "B313": 1},
        )  # fmt: skip

    def test_it_counts_all_classes_in_one_query(self) -> None:
        current = ClcClass.objects.get(code="I287")
        classes = clc_table.children(current)
        with self.assertNumQueries(1):
            counts = clc_table.record_counts([*classes, current], within=current)
        self.assertEqual(counts[current.pk], 4)
