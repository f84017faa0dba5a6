from __future__ import annotations

import re
from unittest import TestCase

from hypothesis import example, given
from hypothesis import strategies as st

from shuxiang.lib import clc

ACCEPTED = [
    "I",
    "I287.5",
    "TP311.13",
    "TP3",
    "T-0",
    "B82-054.9",
    "K825.6=74",
    "D9(2)",
    "TP312JA",
    "TP312C++",
    "TP312C#",
    "O1-49",
    "I207.22",
    "Z228.1",
    "G623.2:I287",
    "G623.2:I287.5:J2",
    "I561.45",
    "DF0-05",
    "K837.125.6",
    "H319.4",
    "I287.5(2)",
    # As the shipped table prints 专类复分: after a "+", with the dot on either side.
    "O156.2+1",
    "TN322+.6",
    "TJ011.+1",
    "TG580.692+1",
    "Q94-34+1",
]


class ClassErrorTests(TestCase):
    def test_it_accepts_the_forms_catalogues_use(self) -> None:
        for code in ACCEPTED:
            with self.subTest(code):
                self.assertIsNone(clc.class_error(code))
                self.assertTrue(clc.is_valid_class_number(code))

    def test_it_normalises_case_width_and_spaces(self) -> None:
        for typed in ["i287.5", " I287.5 ", "Ｉ２８７．５", "ｉ２８７。５", "I 287.5", "tp311.13"]:
            with self.subTest(typed):
                self.assertIsNone(clc.class_error(typed))
        self.assertEqual(clc.normalize_class_number("ｋ８２５．６＝７４"), "K825.6=74")
        self.assertEqual(clc.normalize_class_number("o1—49"), "O1-49")
        self.assertEqual(clc.normalize_class_number("Ｄ９（２）"), "D9(2)")

    def test_it_refuses_main_classes_the_scheme_does_not_have(self) -> None:
        for code in ["L123", "M1", "W", "Y2.1", "l12"]:
            with self.subTest(code):
                error = clc.class_error(code)
                assert error is not None
                self.assertIn("基本大类", error)

    def test_it_refuses_an_empty_class_number(self) -> None:
        self.assertEqual(clc.class_error(""), "分类号为空")
        self.assertEqual(clc.class_error("   "), "分类号为空")

    def test_it_refuses_a_trailing_dot(self) -> None:
        self.assertIn("末尾多了一个“.”", clc.class_error("I287.") or "")
        self.assertIn("末尾多了一个“.”", clc.class_error("TP311.13.") or "")

    def test_it_refuses_a_trailing_sign(self) -> None:
        for code, sign in [("I287-", "-"), ("K825.6=", "="), ("D9(", "("), ("G623.2:", ":")]:
            with self.subTest(code):
                self.assertIn(f"末尾的“{sign}”后面缺少数字", clc.class_error(code) or "")
        self.assertIsNotNone(clc.class_error("I287+"))

    def test_it_refuses_dots_in_the_wrong_place_and_says_where_they_go(self) -> None:
        self.assertIn("应写作“I287.5”", clc.class_error("I2875") or "")
        self.assertIn("应写作“I287.5”", clc.class_error("I28.75") or "")
        self.assertIn("应写作“TP311.13”", clc.class_error("TP311.1.3") or "")
        self.assertIn("应写作“B82-054.9”", clc.class_error("B82-0549") or "")

    def test_it_refuses_the_tables_own_marks(self) -> None:
        self.assertIn("交替类目", clc.class_error("[B019.13]") or "")
        self.assertIn("停用类目", clc.class_error("{B916}") or "")
        self.assertIn("类目范围", clc.class_error("B31/39") or "")
        self.assertIn("种次号", clc.class_error("I287.5/12") or "")

    def test_it_refuses_malformed_class_numbers(self) -> None:
        for code in [
            "287.5",
            "I287.5童话",
            "TA1",
            "I287..5",
            "D9(2",
            "D9(2))",
            "I.287",
            "I287::G6",
            "I287-.5",
            "I287=A",
            "IJ287",
            "TP312JA1",
        ]:
            with self.subTest(code):
                error = clc.class_error(code)
                assert error is not None
                self.assertIn(code, error)

    def test_it_names_the_character_it_cannot_use(self) -> None:
        self.assertIn("“童”", clc.class_error("I287.5童话") or "")
        self.assertIn("“*”", clc.class_error("I28*") or "")

    def test_it_suggests_the_class_number_a_slip_stands_for(self) -> None:
        self.assertEqual(clc.suggest_class_number("I2875"), "I287.5")
        self.assertEqual(clc.suggest_class_number("I287."), "I287")
        self.assertEqual(clc.suggest_class_number("[B019.13]"), "B019.13")
        self.assertIsNone(clc.suggest_class_number("I287.5"))
        self.assertIsNone(clc.suggest_class_number("L12"))

    def test_it_puts_dots_after_every_third_digit(self) -> None:
        self.assertEqual(clc.fix_dots("i2875"), "I287.5")
        self.assertEqual(clc.fix_dots("K8256=74"), "K825.6=74")
        self.assertEqual(clc.fix_dots("TP31113"), "TP311.13")
        self.assertEqual(clc.fix_dots("TJ011.+1"), "TJ011.+1")


class TableCodeTests(TestCase):
    def test_it_tells_the_kinds_of_table_code_apart(self) -> None:
        self.assertEqual(clc.table_code_kind("[B019.13]"), (clc.ALTERNATIVE, "B019.13"))
        self.assertEqual(clc.table_code_kind("{B916}"), (clc.DISCONTINUED, "B916"))
        self.assertEqual(clc.table_code_kind("B31/39"), (clc.RANGE, "B31/39"))
        self.assertEqual(clc.table_code_kind("i287.5"), (clc.ORDINARY, "I287.5"))

    def test_it_expands_the_ends_of_a_range(self) -> None:
        self.assertEqual(clc.class_range("B31/39"), ("B31", "B39"))
        self.assertEqual(clc.class_range("C829.3/.7"), ("C829.3", "C829.7"))
        self.assertEqual(clc.class_range("E292/294.9"), ("E292", "E294.9"))
        self.assertEqual(clc.class_range("DF083/087"), ("DF083", "DF087"))
        self.assertEqual(clc.class_range("P9-093/-097"), ("P9-093", "P9-097"))
        self.assertEqual(clc.class_range("I287.5"), ("I287.5", "I287.5"))

    def test_it_accepts_marked_table_codes_and_refuses_broken_ones(self) -> None:
        for code in ["[B019.13]", "{B916}", "B31/39", "[D664.1/.7]", "C829.3/.7", "I287.5"]:
            with self.subTest(code):
                self.assertIsNone(clc.table_code_error(code))
        for code in ["[L1]", "B31/", "{B9", "X/Y1"]:
            with self.subTest(code):
                self.assertIsNotNone(clc.table_code_error(code))


class PartsTests(TestCase):
    def test_it_finds_the_main_class(self) -> None:
        self.assertEqual(clc.main_class("TP311.13"), "TP")
        self.assertEqual(clc.main_class("T-0"), "T")
        self.assertEqual(clc.main_class("i287.5"), "I")
        self.assertEqual(clc.main_class("DF0-05"), "DF")
        self.assertEqual(clc.main_class("D9(2)"), "D")

    def test_it_lists_the_ancestors_main_class_first(self) -> None:
        self.assertEqual(clc.ancestors("I287.5"), ["I", "I2", "I28", "I287", "I287.5"])
        self.assertEqual(
            clc.ancestors("K825.6=74"),
            ["K", "K8", "K82", "K825", "K825.6", "K825.6=7", "K825.6=74"],
        )
        self.assertEqual(clc.ancestors("TP3"), ["T", "TP", "TP3"])

    def test_it_splits_a_call_number(self) -> None:
        self.assertEqual(clc.parse_call_number("I287.5/12"), clc.CallNumber("I287.5", "12"))
        self.assertEqual(clc.parse_call_number("i287.5／12"), clc.CallNumber("I287.5", "12"))
        self.assertEqual(clc.parse_call_number("I287.5 12"), clc.CallNumber("I287.5", "12"))
        self.assertEqual(str(clc.CallNumber("I287.5", "12")), "I287.5/12")
        self.assertEqual(str(clc.CallNumber("I287.5")), "I287.5")


class ShelfOrderTests(TestCase):
    def assertShelfOrder(self, call_numbers: list[str]) -> None:
        keys = [clc.shelf_key(c) for c in call_numbers]
        for i in range(1, len(keys)):
            before, after = call_numbers[i - 1], call_numbers[i]
            self.assertLess(keys[i - 1], keys[i], f"{before} should stand before {after}")

    def test_it_reads_digits_as_a_decimal_fraction(self) -> None:
        self.assertShelfOrder(["I247.5", "I247.57", "I247.7", "I28"])
        self.assertShelfOrder(["I2", "I207.22", "I21", "I28", "I287", "I287.5", "I3"])

    def test_it_puts_auxiliary_numbers_before_further_digits(self) -> None:
        self.assertShelfOrder(["I247.5", "I247.5-49", "I247.5(2)", "I247.5=74", "I247.51"])
        self.assertShelfOrder(["B82", "B82-054.9", "B82-06", "B82(2)", "B820"])

    def test_it_orders_book_numbers_by_value(self) -> None:
        self.assertShelfOrder(["I247.5/2", "I247.5/10", "I247.5/100"])
        self.assertShelfOrder(["I247.5/2", "I247.5/2-1", "I247.5/2:2", "I247.5/2A", "I247.5/3"])

    def test_it_keeps_a_class_and_its_books_together_before_its_subdivisions(self) -> None:
        self.assertShelfOrder(["I247.5", "I247.5/1", "I247.5/999", "I247.5-49", "I247.57/1"])

    def test_it_orders_main_classes_and_t_subclasses(self) -> None:
        self.assertShelfOrder([*clc.MAIN_CLASSES])
        self.assertShelfOrder(["T", "T-0", "TB", "TP", "TP3", "TP312", "TP312C", "TP312JA", "TU"])
        self.assertShelfOrder(["D9", "D9(2)", "DF", "E"])

    def test_it_orders_combined_numbers_after_the_first_class(self) -> None:
        self.assertShelfOrder(["G623.2", "G623.2:I287", "G623.2:I287/3", "G623.21"])

    def test_it_ignores_case_and_width(self) -> None:
        self.assertEqual(clc.shelf_key("i287.5/12"), clc.shelf_key("Ｉ２８７．５／１２"))

    def test_it_sorts_an_absurdly_long_book_number_last_instead_of_wrapping(self) -> None:
        self.assertShelfOrder(["I287.5/99999998", "I287.5/123456789012", "I287.5/123456789012A"])
        self.assertRegex(clc.shelf_key("I287.5/" + "9" * 5000), r"^[0-9]+$")


# Hypothesis: generated class numbers in canonical form, and the properties they must keep.

MAINS = [*"ABCEFGHIJKNOPQRSUVXZ", "D", "DF", "T", *(f"T{s}" for s in clc.T_SUBCLASSES)]
digit_strings = st.text("0123456789", min_size=1, max_size=9)


def dotted(digits: str) -> str:
    return ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))


@st.composite
def class_numbers(draw: st.DrawFn) -> str:
    code: str = draw(st.sampled_from(MAINS))
    if draw(st.booleans()):
        code += dotted(draw(digit_strings))
        if draw(st.integers(0, 4)) == 0:
            code += draw(st.sampled_from(["JA", "C", "C++", "BA", "C#"]))
    for _ in range(draw(st.integers(0, 2))):
        sign = draw(st.sampled_from(["-", "=", "(", '"', "<"]))
        number = dotted(draw(digit_strings))
        code += {"(": f"({number})", '"': f'"{number}"', "<": f"<{number}>"}.get(
            sign, sign + number
        )
    return code


@st.composite
def call_numbers(draw: st.DrawFn) -> str:
    code = draw(class_numbers())
    book = draw(
        st.one_of(st.just(""), st.integers(1, 99999).map(str), st.text("0123456789A-:", max_size=6))
    )
    return f"{code}/{book}" if book else code


SIGN_ORDER = '-(="<:+'


def reference_key(call_number: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """An independent statement of shelf order, as Python tuples instead of a digit string."""
    cls, _, book = call_number.partition("/")
    class_part = []
    for ch in cls:
        if ch in ".)>":
            continue
        if ch.isdigit():
            class_part.append((1, int(ch)))
        elif ch.isalpha():
            class_part.append((2, ord(ch)))
        else:
            class_part.append((0, SIGN_ORDER.index(ch) if ch in SIGN_ORDER else 7))
    book_part = []
    for run in re.findall(r"[0-9]+|[^0-9]", book):
        if run.isdigit():
            book_part.append((0, int(run)))
        elif run.isalpha():
            book_part.append((2, ord(run)))
        else:
            book_part.append((1, SIGN_ORDER.index(run) if run in SIGN_ORDER else 7))
    return class_part, book_part


class ShelfKeyPropertyTests(TestCase):
    @given(st.text())
    @example("a²①٣/٣x")
    @example("I287.5/" + "9" * 200)
    def test_it_never_crashes_and_gives_only_digits(self, text: str) -> None:
        key = clc.shelf_key(text)
        self.assertRegex(key, r"^[0-9]*$")
        self.assertLessEqual(len(key), 160)

    @given(st.lists(call_numbers(), min_size=2, max_size=8))
    def test_it_agrees_with_an_independent_statement_of_shelf_order(
        self, numbers: list[str]
    ) -> None:
        by_key = sorted(numbers, key=lambda n: (clc.shelf_key(n), n))
        by_reference = sorted(numbers, key=lambda n: (reference_key(n), n))
        self.assertEqual(by_key, by_reference)

    @given(class_numbers(), class_numbers())
    def test_it_gives_different_class_numbers_different_keys(self, a: str, b: str) -> None:
        if a != b:
            self.assertNotEqual(clc.shelf_key(a), clc.shelf_key(b))

    @given(st.sampled_from(MAINS), digit_strings, digit_strings)
    def test_it_compares_class_digits_as_decimal_fractions(self, main: str, a: str, b: str) -> None:
        ka, kb = clc.shelf_key(main + dotted(a)), clc.shelf_key(main + dotted(b))
        self.assertEqual(ka < kb, a < b)

    @given(class_numbers(), st.integers(1, 10**6), st.integers(1, 10**6))
    def test_it_orders_book_numbers_numerically_within_the_class(
        self, code: str, a: int, b: int
    ) -> None:
        self.assertEqual(clc.shelf_key(f"{code}/{a}") < clc.shelf_key(f"{code}/{b}"), a < b)
        self.assertLess(clc.shelf_key(code), clc.shelf_key(f"{code}/{a}"))
        self.assertLess(clc.shelf_key(f"{code}/{a}"), clc.shelf_key(f"{code}-1"))


class ClassErrorPropertyTests(TestCase):
    @given(st.text())
    @example("[")
    @example("I287.5" + "+" * 50)
    @example("T")
    def test_it_never_crashes_on_any_text(self, text: str) -> None:
        error = clc.class_error(text)
        self.assertTrue(error is None or (isinstance(error, str) and error))
        if error is None:
            code = clc.normalize_class_number(text)
            self.assertRegex(code, clc.CLASS_RE)
            self.assertEqual(clc.fix_dots(code), code)

    @given(st.text(alphabet=st.characters(codec="utf-8")))
    def test_it_judges_the_normalised_form(self, text: str) -> None:
        normal = clc.normalize_class_number(text)
        self.assertEqual(clc.class_error(text) is None, clc.class_error(normal) is None)

    @given(class_numbers())
    def test_it_accepts_every_well_formed_class_number(self, code: str) -> None:
        self.assertIsNone(clc.class_error(code))
        self.assertIsNone(clc.class_error(code.lower()))

    @given(class_numbers(), st.sampled_from([".", "-", "=", "(", ":", "+"]))
    def test_it_refuses_a_class_number_ending_in_a_sign(self, code: str, sign: str) -> None:
        if not code.endswith(("++", "#")):
            self.assertIsNotNone(clc.class_error(code + sign))

    @given(st.text())
    def test_its_suggestions_are_valid(self, text: str) -> None:
        suggestion = clc.suggest_class_number(text)
        if suggestion is not None:
            self.assertIsNone(clc.class_error(suggestion))
