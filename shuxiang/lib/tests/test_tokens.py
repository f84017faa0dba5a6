from __future__ import annotations

import re
from unittest import TestCase

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from shuxiang.lib import isbn, tokens
from shuxiang.lib.tokens import Query, Token

# What both database tokenizers keep unchanged: a kind letter and [a-z0-9], or CJK only.
SAFE_TOKEN = re.compile(
    r"^(?:[pjnc][a-z0-9]+|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff\U00020000-\U000323af]+)$"
)
FTS5_SYNTAX = ['"', "*", "NEAR", "AND", "OR", "NOT", "-", ":", "^", "(", ")", "{", "}", "+"]
# Characters with a single reading, so that pypinyin's answer is the only right one.
PLAIN_HANZI = "西游记吴承恩红楼梦水浒传三国演义鲁迅狂人日记钢铁怎样炼成小王子海底两万里"


def index_finds(query: Query, index: set[str]) -> bool:
    """Whether a record with these tokens matches the query, as the databases decide it."""

    def hit(token: Token) -> bool:
        if token.prefix:
            return any(t.startswith(token.text) for t in index)
        return token.text in index

    return all(any(all(map(hit, alt)) for alt in term.alternatives) for term in query.terms)


def query_tokens(query: Query) -> list[Token]:
    return [token for term in query.terms for alt in term.alternatives for token in alt]


def every_token(text: str) -> set[str]:
    found = tokens.text_tokens(text)
    return {*found.main, *found.variants}


def finds(title: str, query: str) -> bool:
    return index_finds(tokens.parse_query(query), every_token(title))


class TextTokensTests(TestCase):
    def test_it_cuts_chinese_into_unigrams_and_bigrams(self) -> None:
        found = every_token("西游记")
        for gram in ("西", "游", "记", "西游", "游记"):
            self.assertIn(gram, found)

    def test_it_spells_syllables_syllable_pairs_and_initials(self) -> None:
        found = every_token("西游记")
        for spelled in ("pxi", "pyou", "pji", "pxi1you", "pyou1ji", "jxyj", "jyj", "jj"):
            self.assertIn(spelled, found)

    def test_it_reads_a_heteronym_by_its_phrase_first(self) -> None:
        self.assertIn("pchong1qing", tokens.text_tokens("重庆").main)
        self.assertIn("pzhong1qing", tokens.text_tokens("重庆").variants)
        self.assertIn("pzhong1yao", tokens.text_tokens("重要").main)

    def test_it_keeps_the_other_reading_of_a_heteronym_apart(self) -> None:
        found = tokens.text_tokens("长大")
        self.assertIn("pzhang1da", found.main)
        self.assertIn("pchang1da", found.variants)
        self.assertIn("jzd", found.main)
        self.assertFalse(set(found.main) & set(found.variants))

    def test_it_caps_a_long_title(self) -> None:
        found = every_token("银行长行重乐还给和大了不" * 50)
        self.assertLess(len(found), 600)
        self.assertTrue(all(len(t) <= tokens.WORD_MAX + 1 for t in found))

    def test_it_bridges_title_marks_and_spaces(self) -> None:
        self.assertIn("利波", every_token("哈利·波特"))
        self.assertIn("pli1bo", every_token("哈利·波特"))
        self.assertIn("jhlbt", every_token("哈利·波特"))

    def test_it_keeps_latin_words_and_numbers(self) -> None:
        found = every_token("C语言程序设计（第2版）")
        for token in ("pc", "pyu1yan", "p2", "pban", "jcyycxsjd2b"[: tokens.INITIALS_MAX + 1]):
            self.assertIn(token, found)
        self.assertNotIn("C", found)

    def test_it_folds_full_width_and_accents(self) -> None:
        self.assertEqual(every_token("ＡＢＣ"), every_token("abc"))
        self.assertIn("pcafe", every_token("Café"))

    def test_it_keeps_only_bigrams_without_pinyin(self) -> None:
        found = tokens.text_tokens("人民文学出版社 B2B", pinyin=False)
        self.assertEqual(found.main, ("人民", "民文", "文学", "学出", "出版", "版社", "pb2b"))
        self.assertEqual(tokens.text_tokens("诗", pinyin=False).main, ("诗",))

    def test_it_makes_nothing_of_punctuation_and_emoji(self) -> None:
        self.assertEqual(every_token("——《》🎉\x00"), set())


class CodeTokensTests(TestCase):
    def test_it_indexes_both_isbn_forms(self) -> None:
        self.assertEqual(tokens.isbn_tokens("978-7-02-000220-7"), ["n9787020002207", "n702000220x"])

    @given(st.from_regex(r"\A97[89][0-9]{9}\Z"))
    def test_it_derives_the_isbn_10_as_python_stdnum_does(self, first12: str) -> None:
        check = -sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12)) % 10
        number = first12 + str(check)
        expected = [tokens.ISBN + form.lower() for form in isbn.variants(number)]
        self.assertEqual(tokens.isbn_tokens(number), expected)

    def test_it_indexes_nothing_for_a_bad_isbn(self) -> None:
        self.assertEqual(tokens.isbn_tokens("978-7-02-000220-8"), [])

    def test_it_indexes_every_prefix_of_a_class_number(self) -> None:
        self.assertEqual(tokens.class_tokens("I242.4"), ("ci", "ci2", "ci24", "ci242", "ci2424"))

    def test_it_indexes_each_part_of_a_compound_class_number(self) -> None:
        found = tokens.class_tokens("I287.5-49:G62")
        self.assertIn("ci2875a49cg62", found)
        self.assertIn("cg62", found)


class ParseQueryTests(TestCase):
    def test_it_finds_the_title_however_it_is_typed(self) -> None:
        for query in ("西游记", "西游", "游记", "西", "《西游记》", " 西游 记 ", "xiyouji", "xiyou",
                      "xiyo", "XiYouJi", "ｘｉｙｏｕｊｉ", "xi you ji", "youji", "xyj", "xy", "XYJ",
                      "西游ji", "xiyouj"):  # fmt: skip
            with self.subTest(query=query):
                self.assertTrue(finds("西游记", query))

    def test_it_ands_the_parts_of_a_query(self) -> None:
        self.assertTrue(finds("西游记 吴承恩", "西游 吴承恩"))
        self.assertFalse(finds("西游记 吴承恩", "西游 鲁迅"))
        self.assertFalse(finds("西游记", "红楼梦"))

    def test_it_reads_an_isbn_in_any_form(self) -> None:
        index = set(tokens.isbn_tokens("9787020002207"))
        for query in ("9787020002207", "978-7-02-000220-7", "ISBN 978-7-02-000220-7",
                      "isbn:9787020002207", "702000220X", "7-02-000220-x", "7020002207",
                      "978702000"):  # fmt: skip
            with self.subTest(query=query):
                self.assertTrue(index_finds(tokens.parse_query(query), index))

    def test_it_reads_a_class_number_or_its_prefix(self) -> None:
        index = set(tokens.class_tokens("I242.4"))
        for query in ("I242.4", "i242.4", "I242", "I24", "Ｉ２４２．４"):
            with self.subTest(query=query):
                self.assertTrue(index_finds(tokens.parse_query(query), index))
        self.assertFalse(index_finds(tokens.parse_query("I243"), index))

    def test_it_does_not_let_a_letter_match_codes(self) -> None:
        index = {*tokens.isbn_tokens("9787020002207"), *tokens.class_tokens("K825")}
        self.assertFalse(index_finds(tokens.parse_query("n"), index))
        self.assertFalse(index_finds(tokens.parse_query("c"), index))

    def test_it_keeps_the_folded_query_for_title_ranking(self) -> None:
        self.assertEqual(tokens.parse_query("《西游记》 青少版").title_key, "西游记青少版")

    def test_it_caps_the_number_of_terms(self) -> None:
        query = tokens.parse_query(PLAIN_HANZI)
        self.assertEqual(len(query.terms), tokens.QUERY_TERMS_MAX)

    def test_it_reads_ambiguous_pinyin_every_way(self) -> None:
        self.assertTrue(finds("先生", "xian"))
        self.assertTrue(finds("西安", "xian"))
        self.assertTrue(finds("方案", "fangan"))
        self.assertTrue(finds("反感", "fangan"))
        self.assertFalse(finds("想", "xian"))

    def test_it_makes_nothing_of_fts_syntax(self) -> None:
        query = tokens.parse_query('"* NEAR(a b) -: ^{}')
        self.assertEqual(query.terms, tokens.parse_query("near a b").terms)
        self.assertFalse(tokens.parse_query('"*-:^'))


class TokenPropertyTests(TestCase):
    @given(st.text())
    def test_it_never_fails_on_any_text(self, text: str) -> None:
        query = tokens.parse_query(text)
        self.assertLessEqual(len(query.terms), tokens.QUERY_TERMS_MAX)
        for token in query_tokens(query):
            self.assertRegex(token.text, SAFE_TOKEN)
        for text_token in every_token(text):
            self.assertRegex(text_token, SAFE_TOKEN)

    @given(st.lists(st.sampled_from([*FTS5_SYNTAX, "西游", "xi", " ", "🎉", "\x00", "\u200b"])))
    def test_it_never_passes_fts_syntax_through(self, parts: list[str]) -> None:
        for token in query_tokens(tokens.parse_query("".join(parts))):
            self.assertRegex(token.text, SAFE_TOKEN)

    @given(st.text(alphabet=PLAIN_HANZI, min_size=1, max_size=12), st.data())
    def test_it_finds_a_title_by_any_piece_of_it(self, title: str, data: st.DataObject) -> None:
        start = data.draw(st.integers(0, len(title) - 1))
        end = data.draw(st.integers(start + 1, len(title)))
        piece = title[start:end]
        self.assertTrue(finds(title, piece))
        self.assertTrue(finds(title, "".join(lazy_pinyin(piece))))
        # Initials index the commonest reading only, and that is the reading in the title:
        # 浒传 inside 水浒传 is hz (hu zhuan), though alone pypinyin reads it hc.
        in_title = lazy_pinyin(title, style=Style.FIRST_LETTER)[start:end]
        self.assertTrue(finds(title, "".join(in_title)))

    @settings(max_examples=50)
    @given(st.text(min_size=1, max_size=30))
    def test_it_finds_any_text_by_itself(self, text: str) -> None:
        query = tokens.parse_query(text)
        if query:
            self.assertTrue(finds(text, text))


class LongPinyinQueryTests(TestCase):
    def test_the_pinyin_of_a_long_title_finds_it(self) -> None:
        # Found by hypothesis: 26 letters were cut to the index's 24-letter words before
        # being split into syllables, so the last ones were lost.
        self.assertTrue(finds("万两义小样鲁万国", "wanliangyixiaoyangluwanguo"))

    def test_a_long_latin_word_still_finds_itself(self) -> None:
        word = "supercalifragilisticexpialidocious"
        self.assertTrue(finds(f"Mary Poppins {word}", word))


class InitialsInContextTests(TestCase):
    def test_initials_follow_the_reading_inside_the_title(self) -> None:
        # Found by hypothesis: 传 is zhuan in 水浒传, so its initials are shz and hz.
        self.assertTrue(finds("水浒传", "shz"))
        self.assertTrue(finds("水浒传", "hz"))


class CompatibilityIdeographTests(TestCase):
    def test_a_compatibility_ideograph_finds_its_unified_twin_and_itself(self) -> None:
        # Found by hypothesis: U+F900 豈 is NFC-normalised to U+8C48 in the query.
        self.assertTrue(finds("\uf900", "\uf900"))
        self.assertTrue(finds("\uf900", "\u8c48"))

    def test_decomposed_hangul_and_letters_find_their_composed_forms(self) -> None:
        self.assertTrue(finds("\u1112\u1161\u11ab", "\ud55c"))  # 한, typed composed
        self.assertTrue(finds("Cafe\u0301", "café"))


class ClassLikeTextTests(TestCase):
    def test_text_that_reads_as_a_class_number_still_finds_itself(self) -> None:
        # Found by hypothesis: A000.0 was looked for as one word a0000, the title's words
        # are a000 and 0.
        self.assertTrue(finds("A000.0", "A000.0"))
        self.assertTrue(finds("I000.0 版", "I000.0"))
