"""Search tokens for Chinese catalogue text: the one place where the index and the query agree.

Neither SQLite's unicode61 tokenizer nor PostgreSQL's 'simple' parser can cut Chinese into
words, so the text is cut here, in Python, into tokens that both pass through unchanged:
runs of CJK characters, or a one-letter kind followed by [a-z0-9].

    西 游 西游 游记    CJK unigrams and bigrams (bigrams run across 《》, · and spaces)
    pxi pxi1you        pinyin syllables and syllable pairs; the digit 1 marks the boundary,
                       so that "xian" can be looked up both as 先 (pxian) and 西安 (pxi1an)
    jxyj jyj jj        pinyin initials from every character on, up to INITIALS_MAX letters
    pharry p2019       Latin words and numbers, whole
    n9787020002207     ISBN-13 and ISBN-10 (n702000220x)
    ci2424 ci242 ci    a class number and every prefix of it (I242.4 → ci2424)

Every lookup is exact except a half-typed last syllable and initials, which are prefix
queries on short tokens: no query scans thousands of distinct terms. The kind letters keep
a one-letter query ("x" → px*) away from ISBNs and class numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

from shuxiang.lib import clc, isbn
from shuxiang.lib.text import clean, fold

SPELLED = "p"
INITIALS = "j"
ISBN = "n"
CLASS = "c"
_PAIR = "1"  # between the two syllables of a pair: pinyin never contains a digit

# Initials are typed for a title's first few characters; longer spans only grow the index.
INITIALS_MAX = 10
# Latin words and numbers longer than this are cut (on both sides, so they still match).
WORD_MAX = 24
# A query's Latin word may be longer: typed pinyin of a whole long title is split into
# syllables before anything is compared with the index's (shorter) words.
QUERY_WORD_MAX = 64
# A field's first characters are what people type; the rest of a 500-character title only
# adds noise, so tokens stop here.
FIELD_MAX_CHARS = 120
# Other readings of heteronyms per field (长 zhang/chang): each adds a few tokens.
HETERONYMS_MAX = 8
# A pasted paragraph must not turn into a query with hundreds of lookups.
QUERY_TERMS_MAX = 16
QUERY_PAIRS_MAX = 12

# CJK ideographs (all extensions), kana and hangul: letters to both database tokenizers
# (checked character by character in the tests), and cut into grams here.
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)
_ISBN_LIKE = re.compile(r"^(?:97[89])?[0-9][0-9-]{7,}[0-9xX]$")
_ISBN_WORD = re.compile(r"isbn[:：]?", re.IGNORECASE)
_PHRASE_MAX = 6
_SEGMENTATIONS_MAX = 4


@dataclass(frozen=True)
class Token:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Term:
    """One condition of a query: a record matches it when it has every token of at least
    one of the alternatives (xian: 先 pxian, or 西安 pxi1an)."""

    alternatives: tuple[tuple[Token, ...], ...]

    @classmethod
    def of(cls, *tokens: Token) -> Term:
        """A term that any one of these tokens satisfies."""
        return cls(tuple((t,) for t in tokens))


@dataclass(frozen=True)
class Query:
    """All terms must match. title_key is the folded query, for exact/prefix title ranking."""

    terms: tuple[Term, ...]
    title_key: str

    def __bool__(self) -> bool:
        return bool(self.terms)


@dataclass(frozen=True)
class TextTokens:
    """A field's tokens. The variants (other heteronym readings) are indexed apart so that
    ranking can all but ignore them: each would otherwise count as one more hit."""

    main: tuple[str, ...]
    variants: tuple[str, ...]


# -- characters and syllables -------------------------------------------------------------

_CJK = "*"


@lru_cache(maxsize=1 << 16)
def _char_class(ch: str) -> str:
    """_CJK for a CJK letter, the ASCII form of a Latin letter or digit, or '' (a separator)."""
    code = ord(ch)
    if code < 0x80:
        return ch.lower() if ch.isalnum() else ""
    if unicodedata.category(ch) == "Lo" and any(a <= code <= b for a, b in _CJK_RANGES):
        return _CJK
    # é → e, ﬁ → fi; anything else (Cyrillic, emoji, 〇, control characters) separates.
    ascii_form = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode().lower()
    return ascii_form if ascii_form.isalnum() else ""


@lru_cache(maxsize=1 << 16)
def _readings(ch: str) -> tuple[str, ...]:
    """Toneless pinyin of a character, commonest first ('ü' typed as 'v').

    Only readings that some phrase in pypinyin's dictionary uses are kept besides the
    first: the character table also lists archaic ones (是 ti, 游 liu) that nobody types.
    """
    marked = PINYIN_DICT.get(ord(ch))
    if not marked:
        return ()
    readings = [r for r in dict.fromkeys(_toneless(m) for m in marked.split(",")) if r.isalpha()]
    used = _phrase_readings().get(ch, frozenset())
    return tuple(readings[:1] + [r for r in readings[1:] if r in used])


@lru_cache(maxsize=1)
def _phrase_readings() -> dict[str, frozenset[str]]:
    seen: dict[str, set[str]] = {}
    for phrase, marked in PHRASES_DICT.items():
        if len(phrase) == len(marked):
            for ch, syllables in zip(phrase, marked, strict=True):
                seen.setdefault(ch, set()).add(_toneless(syllables[0]))
    return {ch: frozenset(found) for ch, found in seen.items()}


@lru_cache(maxsize=4096)
def _toneless(syllable: str) -> str:
    return str(to_normal(syllable, v_to_u=False)).replace("ü", "v").lower()


@lru_cache(maxsize=1)
def _syllables() -> tuple[frozenset[str], frozenset[str]]:
    """Every syllable pypinyin knows, and every proper prefix of one (a half-typed one)."""
    syllables = {_toneless(m) for marked in PINYIN_DICT.values() for m in marked.split(",")}
    # Interjections without a vowel (嗯 n, ng; 呣 m; 哼 hng) would let any n or m typed in
    # a word end a syllable: fangan would also read fa n gan.
    syllables = {s for s in syllables if s.isascii() and s.isalpha() and set(s) & set("aeiouv")}
    prefixes = {s[:i] for s in syllables for i in range(1, len(s))}
    return frozenset(syllables), frozenset(prefixes)


# -- index side ---------------------------------------------------------------------------


def _units(text: str, word_max: int = WORD_MAX) -> list[str]:
    """Text as units: one CJK character, or one ASCII word/number; separators dropped.

    No clean() first: _char_class already reads full-width letters as ASCII and treats
    title marks as separators, and this runs for every field of every record.
    """
    # A query goes through clean(), whose NFC turns compatibility ideographs (豈 U+F900)
    # into their unified twins (U+8C48) and composes decomposed letters and hangul: the
    # index must see the same characters. (The check is quick; most text is NFC already.)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    units: list[str] = []
    word: list[str] = []
    for ch in text:
        kind = _char_class(ch)
        if kind == _CJK:
            if word:
                units.append("".join(word)[:word_max])
                word = []
            units.append(ch)
        elif kind:
            word.append(kind)
        elif word:
            units.append("".join(word)[:word_max])
            word = []
    if word:
        units.append("".join(word)[:word_max])
    return units


def _is_cjk(unit: str) -> bool:
    # Units are ASCII words or single CJK characters, all of them from U+3040 on.
    return unit >= "\u3040"


def _grams(units: list[str], unigrams: bool = True) -> Iterator[str]:
    """Unigrams and bigrams of consecutive CJK units; an ASCII word breaks the chain.
    Without unigrams, still the character of a one-character run (诗)."""
    previous = ""
    for i, unit in enumerate(units):
        if not _is_cjk(unit):
            previous = ""
            continue
        alone = not previous and (i + 1 == len(units) or not _is_cjk(units[i + 1]))
        if unigrams or alone:
            yield unit
        if previous:
            yield previous + unit
        previous = unit


@lru_cache(maxsize=1)
def _phrase_starts() -> dict[str, int]:
    """The first two characters of every phrase, with the longest phrase starting so."""
    starts: dict[str, int] = {}
    for phrase in PHRASES_DICT:
        if 2 <= len(phrase) <= _PHRASE_MAX:
            starts[phrase[:2]] = max(starts.get(phrase[:2], 0), len(phrase))
    return starts


def _default_readings(units: list[str]) -> list[tuple[str, ...]]:
    """Each CJK unit's readings, the first one chosen by the phrase dictionary where it knows.

    Forward longest match against pypinyin's phrases, as pypinyin itself does, so that
    重庆 reads chongqing first while 重要 stays zhongyao.
    """
    out: list[tuple[str, ...]] = [_readings(u) if _is_cjk(u) else () for u in units]
    starts = _phrase_starts()
    i = 0
    while i < len(units) - 1:
        longest = starts.get(units[i] + units[i + 1], 0)
        for length in range(min(longest, len(units) - i), 1, -1):
            phrase = PHRASES_DICT.get("".join(units[i : i + length]))
            if phrase is not None and len(phrase) == length:
                for j, marked in enumerate(phrase):
                    chosen = _toneless(marked[0])
                    out[i + j] = (chosen, *(r for r in out[i + j] if r != chosen))
                i += length
                break
        else:
            i += 1
    return out


def _spelled(units: list[str]) -> tuple[set[str], set[str]]:
    """Pinyin syllables, syllable pairs, initials spans and Latin words: in the commonest
    reading, and with one heteronym at a time read its other way."""
    readings = _default_readings(units)
    main: set[str] = set()
    variants: set[str] = set()
    # A Latin word counts for the initials by its first letter (C语言: jcyy); characters
    # without pinyin (kana, hangul) count for nothing. Initials take the commonest reading
    # only: they are a rough search already, and heteronym spans would double them.
    initials: list[str] = []
    for i, unit in enumerate(units):
        if not _is_cjk(unit):
            main.add(SPELLED + unit)
            initials.append(unit[0])
        elif readings[i]:
            syllable = readings[i][0]
            main.add(SPELLED + syllable)
            if i and readings[i - 1]:
                main.add(SPELLED + readings[i - 1][0] + _PAIR + syllable)
            initials.append(syllable[0])
    _add_initials(main, initials)
    changed = 0
    for i, alternatives in enumerate(readings):
        for other in alternatives[1:]:
            if changed == HETERONYMS_MAX:
                return main, variants - main
            changed += 1
            variants.add(SPELLED + other)
            if i and readings[i - 1]:
                variants.add(SPELLED + readings[i - 1][0] + _PAIR + other)
            if i + 1 < len(units) and readings[i + 1]:
                variants.add(SPELLED + other + _PAIR + readings[i + 1][0])
    return main, variants - main


def _add_initials(tokens: set[str], initials: list[str]) -> None:
    """INITIALS + the initials from each start on, INITIALS_MAX at most."""
    joined = "".join(initials)
    for i in range(len(joined)):
        tokens.add(INITIALS + joined[i : i + INITIALS_MAX])


@lru_cache(maxsize=65536)
def text_tokens(text: str, *, pinyin: bool = True) -> TextTokens:
    """Tokens for one field value (a title, an author's name, a publisher …); without
    pinyin, only CJK bigrams (and one-character runs) and Latin words.

    Cached: authors, publishers, series and subjects repeat across thousands of records,
    and pinyin is the expensive part of indexing.
    """
    units = _units(text)[:FIELD_MAX_CHARS]
    if not units:
        return TextTokens((), ())
    grams = dict.fromkeys(_grams(units, unigrams=pinyin))
    if not pinyin:
        words = [SPELLED + unit for unit in units if not _is_cjk(unit)]
        return TextTokens((*grams, *dict.fromkeys(words)), ())
    main, variants = _spelled(units)
    return TextTokens((*grams, *sorted(main)), tuple(sorted(variants)))


def isbn_tokens(value: str) -> list[str]:
    """ISBN-13 and ISBN-10 forms; nothing for a value that is not a valid ISBN."""
    if len(value) == 13 and value.isdigit() and value.startswith("978") and _ean_ok(value):
        # The stored form (Record.isbn is always this): skip python-stdnum, which costs
        # more than all the other tokens of a record together.
        core = value[3:12]
        check = -sum((10 - i) * int(d) for i, d in enumerate(core)) % 11
        return [ISBN + value, ISBN + core + ("x" if check == 10 else str(check))]
    try:
        forms = isbn.variants(value)
    except ValueError:
        return []
    return [ISBN + form.lower() for form in forms]


def _ean_ok(number: str) -> bool:
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(number)) % 10 == 0


def _class_code(value: str) -> str:
    # The dots of a CLC number stand after every third digit, so dropping them is
    # unambiguous (I242.4 ↔ i2424); auxiliary signs become letters the parsers keep.
    signs = {"-": "a", "=": "e", "(": "p", '"': "q", "<": "l", ":": "c", "+": "s"}
    code = clc.normalize_class_number(value).lower()
    return "".join(signs.get(ch, ch if ch.isalnum() and ch.isascii() else "") for ch in code)


@lru_cache(maxsize=65536)
def class_tokens(value: str) -> tuple[str, ...]:
    """The class number and all its prefixes, so that I242 finds I242.4 by one exact token."""
    code = _class_code(value)
    out = [CLASS + code[:i] for i in range(1, len(code) + 1)]
    # Each part of a compound number (I287.5:G62) is a class in its own right.
    for part in re.split(r"[:+]", clc.normalize_class_number(value))[1:]:
        out.extend(t for t in class_tokens(part) if t not in out)
    return tuple(out)


# -- a whole record -----------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    """What of a bibliographic record is searched, as plain values."""

    titles: tuple[str, ...]
    names: tuple[str, ...]
    other: tuple[str, ...]  # publisher, series, subjects
    isbns: tuple[str, ...]
    class_number: str


@dataclass(frozen=True)
class Document:
    """A record's tokens, one space-separated string per weight class."""

    title: str
    authors: str
    other: str
    codes: str
    variants: str


def document(description: Description) -> Document:
    variants: dict[str, None] = {}
    columns = []
    # Pinyin is for what readers type from memory, titles and authors; publishers, series
    # and subjects are matched by their characters (and it keeps the index a third smaller).
    for texts, pinyin in ((description.titles, True), (description.names, True)):
        columns.append(_column(texts, pinyin, variants))
    other = _column(description.other, False, variants)
    codes: list[str] = []
    for number in description.isbns:
        codes += isbn_tokens(number) if number else []
    if description.class_number:
        codes += class_tokens(description.class_number)
    codes_text = " ".join(dict.fromkeys(codes))
    return Document(columns[0], columns[1], other, codes_text, " ".join(variants))


def documents(descriptions: list[Description]) -> list[Document]:
    """document() for a batch: what a worker process is handed during a rebuild."""
    return [document(d) for d in descriptions]


def _column(texts: Iterable[str], pinyin: bool, variants: dict[str, None]) -> str:
    found: dict[str, None] = {}
    for text in texts:
        if text:
            field = text_tokens(text, pinyin=pinyin)
            found.update(dict.fromkeys(field.main))
            variants.update(dict.fromkeys(field.variants))
    return " ".join(found)


# -- query side ---------------------------------------------------------------------------


def parse_query(text: str) -> Query:
    """Turn what a reader typed into terms; never fails, whatever the text."""
    cleaned = _ISBN_WORD.sub(" ", clean(text or ""))
    terms: list[Term] = []
    for part in cleaned.split():
        for term in _part_terms(part):
            if term not in terms:
                terms.append(term)
    return Query(tuple(terms[:QUERY_TERMS_MAX]), fold(cleaned)[:500])


def _part_terms(part: str) -> list[Term]:
    if _ISBN_LIKE.match(part):
        digits = isbn.compact(part).lower()
        # Readers copy the ISBN-13 without its 978 and take it for the ISBN-10.
        found = isbn_tokens(digits) or (isbn_tokens("978" + digits) if len(digits) == 10 else [])
        if found:
            return [Term.of(Token(found[0]))]
        return [Term.of(Token(ISBN + digits, True), Token(SPELLED + digits[:WORD_MAX], True))]
    units = _units(part, QUERY_WORD_MAX)
    if clc.is_valid_class_number(part) and any(ch.isdigit() for ch in part):
        # B2B is a valid class number too: match it as words as well, cut as a title's
        # words are (A000.0 is the words a000 and 0; found by hypothesis).
        words = tuple(Token(SPELLED + unit[:WORD_MAX], True) for unit in units)
        return [Term(((Token(CLASS + _class_code(part)),), words))]
    terms = [Term.of(Token(g)) for g in _query_grams(units)]
    terms += [_word_term(unit) for unit in units if not _is_cjk(unit)]
    return terms


def _query_grams(units: list[str]) -> Iterable[str]:
    """Bigrams of each CJK run, or the character itself when the run is one long."""
    run: list[str] = []
    for unit in [*units, ""]:
        if unit and _is_cjk(unit):
            run.append(unit)
            continue
        if len(run) == 1:
            yield run[0]
        yield from (a + b for a, b in zip(run, run[1:], strict=False))
        run = []


def _word_term(word: str) -> Term:
    """A typed Latin word: pinyin (whole or half-typed), initials, or a word as it is."""
    alternatives: list[tuple[Token, ...]] = []
    segmentations = _segmentations(word) if word.isalpha() and len(word) > 1 else ()
    for syllables, partial in segmentations:
        alternatives.append(_pinyin_tokens(syllables, partial))
    # The word itself (a Latin word, a number): whole when it reads as pinyin (china),
    # else perhaps half-typed (pyth for python). One letter (a, e, x) is an initial: any
    # syllable starting so, which also finds what jx* would.
    complete = bool(segmentations) and not segmentations[0][1]
    alternatives.append((Token(SPELLED + word[:WORD_MAX], not complete),))
    if word.isalpha() and len(word) > 1:
        alternatives.append((Token(INITIALS + word[:INITIALS_MAX], True),))
    if len(word) <= 3 and clc.is_valid_class_number(word):
        # A bare main class such as I or TP: the class, or a word starting so.
        alternatives.insert(0, (Token(CLASS + word),))
    if word.isdigit() and len(word) >= 4:
        alternatives.append((Token(ISBN + word, True),))
    return Term(tuple(dict.fromkeys(alternatives)))


def _pinyin_tokens(syllables: tuple[str, ...], partial: bool) -> tuple[Token, ...]:
    if len(syllables) == 1:
        return (Token(SPELLED + syllables[0], partial),)
    pairs = [a + _PAIR + b for a, b in zip(syllables, syllables[1:], strict=False)]
    pairs = pairs[:QUERY_PAIRS_MAX]
    # The last syllable may be half-typed (xiyo for 西游): a prefix of one pair is cheap.
    return (*(Token(SPELLED + p) for p in pairs[:-1]), Token(SPELLED + pairs[-1], True))


@lru_cache(maxsize=4096)
def _segmentations(word: str) -> tuple[tuple[tuple[str, ...], bool], ...]:
    """Ways to read word as pinyin, fewest syllables first: complete ones if there are any,
    else ones whose last syllable is half-typed. (xian → xian, xi an; zhon → zhon…)"""
    for partial in (False, True):
        found = _split(word, partial)
        if found:
            fewest = len(found[0])
            return tuple((s, partial) for s in found if len(s) <= fewest + 1)
    return ()


def _split(word: str, partial: bool) -> list[tuple[str, ...]]:
    syllables, prefixes = _syllables()
    # best[i]: the shortest readings of word[i:], at most _SEGMENTATIONS_MAX of them.
    best: list[list[tuple[str, ...]]] = [[] for _ in range(len(word) + 1)]
    best[len(word)] = [()]
    for i in range(len(word) - 1, -1, -1):
        found: list[tuple[str, ...]] = []
        for j in range(i + 1, min(len(word), i + 6) + 1):
            piece = word[i:j]
            if piece in syllables:
                found += [(piece, *rest) for rest in best[j]]
            elif partial and j == len(word) and piece in prefixes:
                found.append((piece,))
        best[i] = sorted(found, key=len)[:_SEGMENTATIONS_MAX]
    return best[0]
