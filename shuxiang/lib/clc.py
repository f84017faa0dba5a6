"""Chinese Library Classification (中图法) class numbers and call numbers, framework-free.

Shelf order follows the way books stand: letters, then digits read as a decimal fraction
(I247.5 < I247.57 < I247.7 < I28), auxiliary signs before further digits
(I247.5-49 < I247.5(2) < I247.51), then the book number (种次号) numerically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shuxiang.lib.text import to_halfwidth

# The 22 main classes; only T (工业技术) has two-letter sub-classes.
MAIN_CLASSES = "ABCDEFGHIJKNOPQRSTUVXZ"
T_SUBCLASSES = "BDEFGHJKLMNPQSUV"

_DIGITS = r"\d+(?:\.\d+)*"
_BASE = rf"(?:T[{T_SUBCLASSES}]?|[{MAIN_CLASSES.replace('T', '')}])(?:{_DIGITS}(?:[A-Z]{{1,3}})?)?"
_AUX = rf"(?:-{_DIGITS}|={_DIGITS}|\({_DIGITS}\)|\"{_DIGITS}\"|<{_DIGITS}>|\.{_DIGITS})"
_CLASS = rf"{_BASE}{_AUX}*"
CLASS_RE = re.compile(rf"^{_CLASS}(?:[:+]{_CLASS})*$")

# Two digits per character keep the key pure digits, so every database collation
# (PostgreSQL's en_US included) sorts it exactly as bytes.
_END = "00"
_SEP = "01"
_SIGNS = {"-": "02", "(": "03", "=": "04", '"': "05", "<": "06", ":": "07", "+": "08"}
_SKIP = set(".)>")


def normalize_class_number(value: str) -> str:
    """Upper-case, half-width, no spaces: ' i287.5 ' → 'I287.5'."""
    return re.sub(r"\s+", "", to_halfwidth(value or "")).upper().replace("“", '"').replace("”", '"')


def is_valid_class_number(value: str) -> bool:
    return bool(CLASS_RE.match(normalize_class_number(value)))


def class_error(value: str) -> str | None:
    """A Chinese reason why this is not a class number, or None when it is one."""
    code = normalize_class_number(value)
    if not code:
        return "分类号为空"
    if code[0] not in MAIN_CLASSES:
        return f"分类号“{value}”的基本大类“{code[0]}”不存在（中图法大类为 {MAIN_CLASSES}）"
    if not CLASS_RE.match(code):
        return f"分类号“{value}”格式不对，应如 I287.5、TP311.13、K825.6=74"
    return None


def main_class(value: str) -> str:
    """The main class letter(s): 'TP311' → 'TP', 'I287.5' → 'I'."""
    code = normalize_class_number(value)
    if code.startswith("T") and len(code) > 1 and code[1] in T_SUBCLASSES:
        return code[:2]
    return code[:1]


def _class_key(code: str) -> str:
    parts = []
    for ch in code:
        if ch in _SKIP:
            continue
        if ch.isdigit():
            parts.append(str(10 + int(ch)))
        elif "A" <= ch <= "Z":
            parts.append(str(30 + ord(ch) - ord("A")))
        else:
            parts.append(_SIGNS.get(ch, "09"))
    return "".join(parts)


def _book_key(book_number: str) -> str:
    # Numbers compare by value (2 < 10); a number sorts before a letter at the same place.
    parts = []
    for run in re.findall(r"\d+|\D", to_halfwidth(book_number).upper()):
        if run.isdigit():
            parts.append("1" + run.lstrip("0").zfill(8)[-8:])
        elif "A" <= run <= "Z":
            parts.append("2" + str(30 + ord(run) - ord("A")))
        else:
            parts.append("2" + _SIGNS.get(run, "09"))
    return "".join(parts)


@dataclass(frozen=True)
class CallNumber:
    class_number: str
    book_number: str = ""

    def __str__(self) -> str:
        return f"{self.class_number}/{self.book_number}" if self.book_number else self.class_number


def parse_call_number(value: str) -> CallNumber:
    """'I287.5/12' → CallNumber('I287.5', '12'). Tolerates a space or full-width slash."""
    text = to_halfwidth(value or "").strip().replace("\\", "/")
    if "/" in text:
        cls, _, book = text.partition("/")
    else:
        cls, _, book = text.partition(" ")
    return CallNumber(normalize_class_number(cls), book.strip())


def shelf_key(call_number: str) -> str:
    """A string key that sorts call numbers in shelf order."""
    parsed = parse_call_number(call_number)
    key = _class_key(parsed.class_number) + _END
    if parsed.book_number:
        key += _SEP + _book_key(parsed.book_number)
    return key[:160]


def ancestors(code: str) -> list[str]:
    """Candidate parent codes, nearest last: 'I287.5' → ['I', 'I2', 'I28', 'I287', 'I287.5']."""
    code = normalize_class_number(code)
    out: list[str] = []
    for i in range(1, len(code) + 1):
        prefix = code[:i]
        if prefix[-1] in '.-=("<:+':
            continue
        if prefix not in out:
            out.append(prefix)
    return out
