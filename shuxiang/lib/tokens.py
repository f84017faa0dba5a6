"""Search tokens for Chinese catalogue text: the one place where the index and the query agree.

Neither SQLite's unicode61 tokenizer nor PostgreSQL's 'simple' parser can cut Chinese into
words, so the text is cut here, in Python, into tokens that both pass through unchanged:
runs of CJK characters, or [a-z0-9] strings starting with a one-letter kind.

    西 游          CJK unigrams, one per character (a one-character query is one lookup)
    西游 游记      CJK bigrams, over the field's CJK characters (across 《》, ·, spaces)
    pxiyouji       spelled forms, one starting at every character: full pinyin (heteronyms
    pyouji pji     expanded, capped), pinyin initials (pxyj pyj pj) and Latin words/digits,
    pxyj pyj pj    truncated to SPELLED_MAX letters; a typed word is a prefix query on them
    n9787020002207 ISBN-13 and ISBN-10 (n702000220x)
    ci2424 ci242   class number and every prefix of it (I242.4 → ci, ci2, … ci2424)

The kind letters keep a one-letter query ("x" → px*) from matching ISBNs or class numbers.
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
ISBN = "n"
CLASS = "c"

# Long enough for a title typed in full pinyin (钢铁是怎样炼成的 is 27 letters, and anything
# after 24 letters already picks one book); short enough that every character of a long
# title can start a token without the index exploding.
SPELLED_MAX = 24
# A field's first characters are what people type; the rest of a 500-character title only
# adds noise, so grams and spelled forms stop here.
FIELD_MAX_CHARS = 120
# Heteronym variants per field: each lets one more character be read its other way.
HETERONYMS_MAX = 8
# A pasted paragraph must not turn into a query with hundreds of terms.
QUERY_TERMS_MAX = 16

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


@dataclass(frozen=True)
class Alternative:
    token: str
    prefix: bool = False


@dataclass(frozen=True)
class Term:
    """One condition of a query: a record must match at least one of the alternatives."""

    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Query:
    """All terms must match. title_key is the folded query, for exact/prefix title ranking."""

    terms: tuple[Term, ...]
    title_key: str

    def __bool__(self) -> bool:
        return bool(self.terms)


# -- characters ---------------------------------------------------------------------------


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
    first: the character table also lists archaic ones (是 ti, 游 liu) that nobody types
    and that would crowd out the real heteronyms (长 zhang/chang) under the cap.
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


# -- index side ---------------------------------------------------------------------------


def _units(text: str) -> list[str]:
    """Text as units: one CJK character, or one ASCII word/number; separators dropped."""
    units: list[str] = []
    word: list[str] = []
    for ch in clean(text):
        kind = _char_class(ch)
        if kind == _CJK:
            if word:
                units.append("".join(word))
                word = []
            units.append(ch)
        elif kind:
            word.append(kind)
        elif word:
            units.append("".join(word))
            word = []
    if word:
        units.append("".join(word))
    return units


def _is_cjk(unit: str) -> bool:
    return _char_class(unit[0]) == _CJK


def _grams(units: list[str]) -> Iterator[str]:
    """Unigrams and bigrams of consecutive CJK units; an ASCII word breaks the chain."""
    previous = ""
    for unit in units:
        if not _is_cjk(unit):
            previous = ""
            continue
        yield unit
        if previous:
            yield previous + unit
        previous = unit


@lru_cache(maxsize=1)
def _phrase_starts() -> frozenset[str]:
    # The first two characters of every phrase: most positions fail this one lookup.
    return frozenset(p[:2] for p in PHRASES_DICT if 2 <= len(p) <= _PHRASE_MAX)


def _default_readings(units: list[str]) -> list[tuple[str, ...]]:
    """Each unit's readings, the first one chosen by the phrase dictionary where it knows.

    Forward longest match against pypinyin's phrases, as pypinyin itself does, so that
    重庆 reads chongqing first while 重要 stays zhongyao.
    """
    out: list[tuple[str, ...]] = [_readings(u) if _is_cjk(u) else (u,) for u in units]
    starts = _phrase_starts()
    i = 0
    while i < len(units) - 1:
        if units[i] + units[i + 1] not in starts:
            i += 1
            continue
        for length in range(min(_PHRASE_MAX, len(units) - i), 1, -1):
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
    """Full pinyin and initials starting at every unit: in the commonest reading, and with
    one heteronym at a time read its other way (at most HETERONYMS_MAX of them)."""
    readings = _default_readings(units)
    syllables = [r[0] if r else "" for r in readings]
    initials = [s[:1] for s in syllables]
    main: set[str] = set()
    _add_suffixes(main, syllables)
    _add_suffixes(main, initials)
    variants: set[str] = set()
    count = 0
    for i, alternatives in enumerate(readings):
        for other in alternatives[1:]:
            if count >= HETERONYMS_MAX:
                return main, variants - main
            count += 1
            _add_variant(variants, syllables, i, other)
            if other[:1] != initials[i]:
                _add_variant(variants, initials, i, other[:1])
    return main, variants - main


def _add_suffixes(tokens: set[str], parts: list[str]) -> None:
    """SPELLED + the parts joined, from each start, cut at SPELLED_MAX letters."""
    joined = "".join(parts)
    offset = 0
    for part in parts:
        if part:
            tokens.add(SPELLED + joined[offset : offset + SPELLED_MAX])
            offset += len(part)


def _add_variant(tokens: set[str], parts: list[str], i: int, other: str) -> None:
    """The suffix tokens that change when part i reads other: those starting at or
    before i and still reaching it within SPELLED_MAX letters."""
    first, reach = i, 0
    while first > 0 and reach + len(parts[first - 1]) < SPELLED_MAX:
        first -= 1
        reach += len(parts[first])
    text = "".join([*parts[first:i], other, *parts[i + 1 : i + 1 + SPELLED_MAX]])
    offset = 0
    for part in [*parts[first:i], other]:
        if part:
            tokens.add(SPELLED + text[offset : offset + SPELLED_MAX])
            offset += len(part)


@dataclass(frozen=True)
class TextTokens:
    """A field's tokens. The variants (other heteronym readings) are indexed apart so that
    ranking can all but ignore them: each would otherwise count as one more hit."""

    main: tuple[str, ...]
    variants: tuple[str, ...]


@lru_cache(maxsize=65536)
def text_tokens(text: str) -> TextTokens:
    """Tokens for one field value (a title, an author's name, a publisher …).

    Cached: authors, publishers, series and subjects repeat across thousands of records,
    and pinyin is the expensive part of indexing.
    """
    units = _units(text)[:FIELD_MAX_CHARS]
    if not units:
        return TextTokens((), ())
    main, variants = _spelled(units)
    return TextTokens((*dict.fromkeys(_grams(units)), *sorted(main)), tuple(sorted(variants)))


def isbn_tokens(value: str) -> list[str]:
    """ISBN-13 and ISBN-10 forms; nothing for a value that is not a valid ISBN."""
    try:
        forms = isbn.variants(value)
    except ValueError:
        return []
    return [ISBN + form.lower() for form in forms]


def _class_code(value: str) -> str:
    # The dots of a CLC number stand after every third digit, so dropping them is
    # unambiguous (I242.4 ↔ i2424); auxiliary signs become letters the parsers keep.
    signs = {"-": "a", "=": "e", "(": "p", '"': "q", "<": "l", ":": "c", "+": "s"}
    code = clc.normalize_class_number(value).lower()
    return "".join(signs.get(ch, ch if ch.isalnum() and ch.isascii() else "") for ch in code)


def class_tokens(value: str) -> list[str]:
    """The class number and all its prefixes, so that I242 finds I242.4 by one exact token."""
    code = _class_code(value)
    out = [CLASS + code[:i] for i in range(1, len(code) + 1)]
    # Each part of a compound number (I287.5:G62) is a class in its own right.
    for part in re.split(r"[:+]", clc.normalize_class_number(value))[1:]:
        out.extend(t for t in class_tokens(part) if t not in out)
    return out


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
            return [Term((Alternative(found[0]),))]
        return [Term((Alternative(ISBN + digits, True), Alternative(SPELLED + digits, True)))]
    units = _units(part)
    if clc.is_valid_class_number(part) and any(ch.isdigit() for ch in part):
        # B2B is a valid class number too: match it as a word as well.
        word = Alternative(SPELLED + "".join(units)[:SPELLED_MAX], True)
        return [Term((Alternative(CLASS + _class_code(part)), word))]
    terms = [Term((Alternative(g),)) for g in _query_grams(units)]
    for unit in units:
        if not _is_cjk(unit):
            terms.append(_word_term(unit))
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
    spelled = Alternative(SPELLED + word[:SPELLED_MAX], True)
    if len(word) <= 3 and clc.is_valid_class_number(word):
        # A bare main class such as I or TP: the class, or a word starting so.
        return Term((Alternative(CLASS + word), spelled))
    if word.isdigit() and len(word) >= 4:
        return Term((spelled, Alternative(ISBN + word, True)))
    return Term((spelled,))
