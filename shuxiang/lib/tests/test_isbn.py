from __future__ import annotations

from unittest import TestCase

from hypothesis import given
from hypothesis import strategies as st

from shuxiang.lib import isbn


class IsbnTests(TestCase):
    def test_it_accepts_every_written_form_of_one_isbn(self) -> None:
        forms = [
            "9787020002207",
            "978-7-02-000220-7",
            "978 7 02 000220 7",
            "ISBN 978-7-02-000220-7",
            "ISBN978-7-02-000220-7(精装)",
            "９７８－７－０２－０００２２０－７",
            "7-02-000220-X",
            "702000220x",
        ]
        for form in forms:
            with self.subTest(form=form):
                self.assertEqual(isbn.normalize(form), "9787020002207")

    def test_it_converts_between_isbn_10_and_13(self) -> None:
        self.assertEqual(isbn.to_isbn10("9787020002207"), "702000220X")
        self.assertEqual(isbn.variants("7-02-000220-X"), ["9787020002207", "702000220X"])

    def test_a_979_isbn_has_no_isbn_10(self) -> None:
        self.assertIsNone(isbn.to_isbn10("979-10-90636-07-1"))

    def test_it_hyphenates_by_registration_group(self) -> None:
        self.assertEqual(isbn.hyphenate("9787020002207"), "978-7-02-000220-7")

    def test_it_explains_a_wrong_check_digit_in_chinese(self) -> None:
        with self.assertRaisesRegex(ValueError, "校验位"):
            isbn.normalize("978-7-02-000220-8")

    def test_it_explains_a_wrong_length_in_chinese(self) -> None:
        with self.assertRaisesRegex(ValueError, "位数"):
            isbn.normalize("978702000220")

    def test_it_refuses_an_empty_isbn(self) -> None:
        with self.assertRaisesRegex(ValueError, "为空"):
            isbn.normalize(" -- ")

    @given(st.text(max_size=40))
    def test_it_never_crashes_on_arbitrary_text(self, text: str) -> None:
        try:
            result = isbn.normalize(text)
        except ValueError:
            return
        self.assertEqual(len(result), 13)
        self.assertTrue(isbn.is_valid(result))
