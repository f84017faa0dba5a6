"""The parsers fed anything: ISBNs, call numbers, barcodes, and every page that takes free
text. They answer with a value or their documented refusal, never with another exception,
and nothing typed reaches the database as anything but a value (SQLite and PostgreSQL)."""

from __future__ import annotations

from unittest import TestCase

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import django as hypothesis_django

from shuxiang.catalog import services
from shuxiang.lib import barcodes, clc, isbn
from shuxiang.lib.tests.test_clc import class_numbers
from shuxiang.test import BaseTestCase
from shuxiang.tests_reliability.soak import examples

FULL_WIDTH = str.maketrans("0123456789Xx-", "０１２３４５６７８９Ｘｘ－")
SEPARATORS = st.sampled_from(["", "-", " ", "－", "‐", "—", "\u3000", "\t"])
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
# Text a scanner, a spreadsheet or a mischievous pupil might send: controls, NUL, SQL and
# FTS syntax, full-width forms, surrogate-free unicode of every plane.
NASTY = st.one_of(
    ANY_TEXT,
    st.lists(
        st.sampled_from(
            [
                "\x00",
                "'",
                '"',
                ";",
                "--",
                "/*",
                "%",
                "_",
                "\\",
                "*",
                "NEAR(",
                "OR",
                ":",
                "^",
                "西游",
                "ＡＢ",
                "\u200b",
                "\ufeff",
                "🎉",
                "978-7",
                " ",
                "\r\n",
                "&",
                "<b>",
                "|",
            ]
        ),
        max_size=12,
    ).map("".join),
)


def isbn13s() -> st.SearchStrategy[str]:
    def finish(stem: str) -> str:
        check = -sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(stem)) % 10
        return stem + str(check)

    return st.from_regex(r"\A97[89][0-9]{9}\Z").map(finish)


def isbn10s() -> st.SearchStrategy[str]:
    def finish(stem: str) -> str:
        check = -sum(int(d) * (10 - i) for i, d in enumerate(stem)) % 11
        return stem + ("X" if check == 10 else str(check))

    return st.from_regex(r"\A[0-9]{9}\Z").map(finish)


def written(number: str, data: st.DataObject) -> str:
    """number as a person might write it: separators anywhere, full width, ISBN in front."""
    out = "".join(ch + data.draw(SEPARATORS) for ch in number)
    if data.draw(st.booleans()):
        out = out.translate(FULL_WIDTH)
    return data.draw(st.sampled_from(["", "ISBN ", "ISBN:", "isbn"])) + out


class IsbnPropertyTests(TestCase):
    @settings(max_examples=examples(200))
    @given(isbn13s())
    def test_an_isbn_13_with_978_goes_to_isbn_10_and_back(self, number: str) -> None:
        if number.startswith("979"):
            self.assertIsNone(isbn.to_isbn10(number))
            return
        ten = isbn.to_isbn10(number)
        assert ten is not None
        self.assertEqual(len(ten), 10)
        self.assertEqual(isbn.normalize(ten), number)
        self.assertEqual(isbn.variants(ten), [number, ten])

    @settings(max_examples=examples(200))
    @given(isbn10s())
    def test_an_isbn_10_goes_to_isbn_13_and_back(self, ten: str) -> None:
        number = isbn.normalize(ten)
        self.assertEqual(number[:3], "978")
        self.assertEqual(isbn.to_isbn10(number), ten)

    @settings(max_examples=examples(200))
    @given(isbn13s(), st.data())
    def test_every_written_form_means_the_same_isbn(self, number: str, data: st.DataObject) -> None:
        self.assertEqual(isbn.normalize(written(number, data)), number)
        self.assertEqual(isbn.normalize(isbn.hyphenate(number)), number)

    @settings(max_examples=examples(200))
    @given(isbn13s(), st.integers(0, 12), st.integers(1, 9))
    def test_one_wrong_digit_is_always_caught(self, number: str, place: int, shift: int) -> None:
        wrong = number[:place] + str((int(number[place]) + shift) % 10) + number[place + 1 :]
        with self.assertRaises(ValueError):
            isbn.normalize(wrong)

    @settings(max_examples=examples(300))
    @given(NASTY)
    def test_every_isbn_function_answers_any_text_or_raises_value_error(self, text: str) -> None:
        self.assertIsInstance(isbn.is_valid(text), bool)
        self.assertRegex(isbn.compact(text), r"\A[0-9X]*\Z")
        for function in (isbn.normalize, isbn.to_isbn10, isbn.hyphenate, isbn.variants):
            try:
                function(text)
            except ValueError as refused:
                self.assertTrue(str(refused))  # a reason to show, never an empty message


class CallNumberPropertyTests(TestCase):
    @settings(max_examples=examples(200))
    @given(class_numbers(), st.from_regex(r"\A[1-9][0-9]{0,5}(-[1-9])?\Z"))
    def test_a_call_number_parses_back_to_its_parts(self, code: str, book: str) -> None:
        call = clc.CallNumber(code, book)
        self.assertEqual(clc.parse_call_number(str(call)), call)
        typed = str(call).translate(str.maketrans("0123456789/-.", "０１２３４５６７８９／－．"))
        self.assertEqual(clc.parse_call_number(typed.lower()), call)
        self.assertEqual(clc.shelf_key(typed), clc.shelf_key(str(call)))

    @settings(max_examples=examples(300))
    @given(NASTY)
    def test_any_text_parses_to_a_normalised_call_number(self, text: str) -> None:
        parsed = clc.parse_call_number(text)
        self.assertEqual(clc.normalize_class_number(parsed.class_number), parsed.class_number)
        self.assertEqual(parsed.book_number, parsed.book_number.strip())
        error = clc.class_error(text)
        self.assertTrue(error is None or isinstance(error, str) and error)
        for code in clc.ancestors(text):
            self.assertTrue(code and code[-1] not in '.-=("<:+')
        self.assertEqual(clc.main_class(text), clc.main_class(clc.normalize_class_number(text)))


class BarcodePropertyTests(TestCase):
    @settings(max_examples=examples(300))
    @given(NASTY)
    def test_normalising_is_idempotent_and_leaves_no_space_or_lower_case(self, text: str) -> None:
        code = barcodes.normalize(text)
        self.assertEqual(barcodes.normalize(code), code)
        self.assertFalse(any(ch.isspace() for ch in code))
        self.assertEqual(code, code.upper())
        self.assertIsInstance(barcodes.is_valid(code), bool)

    @settings(max_examples=examples(200))
    @given(st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{2,31}\Z"), st.data())
    def test_a_scanned_code_comes_back_the_same_however_it_arrives(
        self, code: str, data: st.DataObject
    ) -> None:
        typed = (
            code.translate(
                str.maketrans(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
                    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ０１２３４５６７８９－",
                )
            )
            if data.draw(st.booleans())
            else code
        )
        typed = typed.lower() if data.draw(st.booleans()) else typed
        padded = (
            data.draw(st.sampled_from(["", " ", "\t", "\u3000"]))
            + typed
            + data.draw(st.sampled_from(["", "\r\n", "\n", " "]))
        )
        self.assertEqual(barcodes.normalize(padded), code)
        self.assertTrue(barcodes.is_valid(barcodes.normalize(padded)))


class FreeTextPageTests(hypothesis_django.TestCase, BaseTestCase):
    """Every page and API that takes typed text, fed anything: never a server error."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        data = services.RecordData.with_authors("西游记", ["吴承恩"], isbn="9787020002207")
        services.catalogue_record(data, by=None, allow_duplicate=True)

    @settings(
        max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(NASTY)
    @example("a\x00b")  # PostgreSQL refuses NUL in any query parameter
    def test_search_pages_answer_any_text_without_a_server_error(self, text: str) -> None:
        self.client.force_login(self.lena)  # per example: hypothesis sets each one up afresh
        api = self.auth(self.lena)
        for url, name, headers in [
            ("/", "q", {}),
            ("/api/v1/records", "q", api),
            ("/staff/catalog/clc/search", "q", {}),
            ("/staff/catalog/clc/pick", "q", {}),
            ("/staff/catalog/clc/check", "class_number", {}),
            ("/staff/patrons/", "q", {}),
            ("/staff/catalog/shelf/", "prefix", {}),
        ]:
            response = self.client.get(url, {name: text}, headers=headers)
            self.assertLess(response.status_code, 500, (url, text))

    @settings(
        max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(NASTY)
    @example("T0001\x00")
    def test_the_desk_answers_any_scan_without_a_server_error(self, text: str) -> None:
        self.client.force_login(self.lena)
        response = self.client.post("/desk/scan/", {"code": text})
        self.assertLess(response.status_code, 500, text)
