"""Chinese Library Classification (中图法) class numbers and call numbers, framework-free.

Shelf order follows the way books stand: letters, then digits read as a decimal fraction
(I247.5 < I247.57 < I247.7 < I28), auxiliary signs before further digits
(I247.5-49 < I247.5(2) < I247.51), then the book number (种次号) numerically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The 22 main classes; T (工业技术) has two-letter sub-classes, and D has DF (法律), which the
# table keeps beside D9 for libraries that shelve law apart.
MAIN_CLASSES = "ABCDEFGHIJKNOPQRSTUVXZ"
T_SUBCLASSES = "BDEFGHJKLMNPQSUV"
D_SUBCLASSES = "F"

# Dots only make long numbers readable: one after every third digit (I287.5, TP311.13).
_NUM = r"\d+(?:\.\d+)*"
# The table prints 专类复分 digits after a "+" (O156.2+1, TN322+.6, TJ011.+1).
_MAIN_NUM = r"\d+(?:\.?\+\.?\d+|\.\d+)*"
# Letters name a language or product inside a class: TP312JA (Java), TP312C++, TP312C#.
_LETTERS = r"[A-Z]{1,8}(?:\+\+|#)?"
_AUX = rf"(?:-{_MAIN_NUM}|={_NUM}|\({_NUM}\)|\"{_NUM}\"|<{_NUM}>)"
_OTHER_MAIN = MAIN_CLASSES.replace("T", "").replace("D", "")
_MAIN = rf"(?:T[{T_SUBCLASSES}]?|D[{D_SUBCLASSES}]?|[{_OTHER_MAIN}])"
_SIMPLE = rf"{_MAIN}(?:{_MAIN_NUM}(?:{_LETTERS})?)?{_AUX}*"
# ":" joins two classes (组配, G623.2:I287); "+" before a letter joins them too (older usage).
CLASS_RE = re.compile(rf"^{_SIMPLE}(?:(?::|\+(?=[A-Z])){_SIMPLE})*$", re.ASCII)

_ALLOWED = set('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-=()"<>:+#')
_NUMBER_RUN = re.compile(r"\d[\d.+]*", re.ASCII)
_OPENERS = '-=("<:+'

# Two digits per character keep the key pure digits, so every database collation
# (PostgreSQL's en_US included) sorts it exactly as bytes.
_END = "00"
_SEP = "01"
_SIGNS = {"-": "02", "(": "03", "=": "04", '"': "05", "<": "06", ":": "07", "+": "08"}
_SKIP = set(".)>")

# Marks the printed table puts around codes that are not for ordinary use.
ALTERNATIVE = "alternative"  # [B019.13] 交替类目
DISCONTINUED = "discontinued"  # {B916} 停用类目
RANGE = "range"  # B31/39 类目范围
ORDINARY = "ordinary"

_TABLE_CODE = re.compile(
    r"^(?:\[(?P<alt>[^\[\]{}]+)\]|\{(?P<old>[^\[\]{}]+)\}|(?P<plain>[^\[\]{}]+))$"
)


# Full-width forms to ASCII; Chinese input methods also type 。 for a dot, — or – for a hyphen.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20,
    ord("。"): ord("."),
    ord("—"): ord("-"),
    ord("–"): ord("-"),
    ord("“"): ord('"'),
    ord("”"): ord('"'),
}
_SPACES = re.compile(r"\s+")


def normalize_class_number(value: str) -> str:
    """Upper-case, half-width, no spaces: ' i287.5 ' → 'I287.5', 'Ｉ２８７。５' → 'I287.5'."""
    return _SPACES.sub("", (value or "").translate(_HALFWIDTH)).upper()


def is_valid_class_number(value: str) -> bool:
    return class_error(value) is None


def class_error(value: str) -> str | None:
    """A Chinese reason why this is not a class number, or None when it is one."""
    code = normalize_class_number(value)
    shown = (value or "").strip()
    if not code:
        return "分类号为空"
    if code.startswith("[") or code.endswith("]"):
        return f"“{shown}”带方括号，是分类表里的交替类目；给书分类请用正式类目"
    if code.startswith("{") or code.endswith("}"):
        return f"“{shown}”带花括号，是分类表里的停用类目；请改用新类号"
    if "/" in code:
        return (
            f"分类号“{shown}”不能含“/”：种次号不写在分类号里，类目范围（如 B31/39）也不能直接使用"
        )
    bad = next((ch for ch in code if ch not in _ALLOWED), None)
    if bad is not None:
        return f"分类号“{shown}”含有不能用的字符“{bad}”"
    if not code[0].isalpha():
        return f"分类号“{shown}”应以中图法大类字母开头，如 I287.5"
    if code[0] not in MAIN_CLASSES:
        return f"分类号“{shown}”的基本大类“{code[0]}”不存在（中图法大类为 {MAIN_CLASSES}）"
    if code[0] == "T" and len(code) > 1 and code[1].isalpha() and code[1] not in T_SUBCLASSES:
        return f"分类号“{shown}”的“{code[:2]}”不存在（工业技术 T 的二级类为 T{T_SUBCLASSES}）"
    if not CLASS_RE.match(code):
        if code[-1] == ".":
            return f"分类号“{shown}”末尾多了一个“.”"
        if code[-1] in _OPENERS:
            return f"分类号“{shown}”末尾的“{code[-1]}”后面缺少数字"
        return f"分类号“{shown}”格式不对，应如 I287.5、TP311.13、K825.6=74"
    fixed = fix_dots(code)
    if fixed != code:
        return f"分类号“{shown}”的小数点位置不对，应写作“{fixed}”（每三位数字后加一个点）"
    return None


def fix_dots(code: str) -> str:
    """Put the dots where the scheme puts them, after every third digit: I2875 → I287.5."""
    return _NUMBER_RUN.sub(lambda m: _redot(m.group()), normalize_class_number(code))


def _redot(run: str) -> str:
    if _dots_in_place(run):
        return run
    out: list[str] = []
    digits = 0
    for ch in run.replace(".", ""):
        if ch.isdigit():
            if digits and digits % 3 == 0 and out[-1] != "+":
                out.append(".")
            digits += 1
        out.append(ch)
    return "".join(out)


def _dots_in_place(run: str) -> bool:
    # The table lets a "+" stand where a dot is due (TG580.692+1) and writes a dot on either
    # side of it (TJ011.+1, Q959.181+.2), so only the separators between digits are checked.
    digits = 0
    between = ""
    for ch in run:
        if not ch.isdigit():
            between += ch
            continue
        if digits and ("." in between) != (digits % 3 == 0) and between != "+":
            return False
        digits += 1
        between = ""
    return True


def suggest_class_number(value: str) -> str | None:
    """A corrected class number when a simple slip explains the error, else None."""
    code = normalize_class_number(value).strip("[]{}")
    code = fix_dots(code.rstrip("."))
    if code and class_error(code) is None and code != normalize_class_number(value):
        return code
    return None


def table_code_kind(code: str) -> tuple[str, str]:
    """(kind, plain code) of a code as the table prints it: [B019.13] → (ALTERNATIVE, B019.13)."""
    m = _TABLE_CODE.match(normalize_class_number(code))
    if not m:
        return ORDINARY, normalize_class_number(code)
    if m["alt"]:
        return ALTERNATIVE, m["alt"]
    if m["old"]:
        return DISCONTINUED, m["old"]
    plain = m["plain"]
    return (RANGE if "/" in plain else ORDINARY), plain


def class_range(code: str) -> tuple[str, str]:
    """First and last class of a range: B31/39 → (B31, B39), C829.3/.7 → (C829.3, C829.7)."""
    first, slash, last = normalize_class_number(code).partition("/")
    if not slash or not last:
        return first, last if slash else first
    if last[0] in ".-" and last[0] in first:
        return first, first.rpartition(last[0])[0] + last
    return first, re.sub(r"[^A-Z].*$", "", first) + last


def table_code_error(code: str) -> str | None:
    """Like class_error, but for codes as printed in the table (brackets, braces, ranges)."""
    _kind, plain = table_code_kind(code)
    if "/" in plain:
        first, last = class_range(plain)
        return class_error(first) or class_error(last)
    return class_error(plain)


def main_class(value: str) -> str:
    """The main class letter(s): 'TP311' → 'TP', 'I287.5' → 'I'."""
    code = normalize_class_number(value)
    if code.startswith("T") and len(code) > 1 and code[1] in T_SUBCLASSES:
        return code[:2]
    if code.startswith("D") and len(code) > 1 and code[1] in D_SUBCLASSES:
        return code[:2]
    return code[:1]


class _KeyTable(dict[int, str | None]):
    def __missing__(self, _char: int) -> str:
        return "09"


# A character's two digits in a key: signs 02–09, digits 10–19, letters 30–55.
_CLASS_KEYS = _KeyTable(
    {ord(sign): pair for sign, pair in _SIGNS.items()}
    | {ord(str(d)): str(10 + d) for d in range(10)}
    | {ord(ch): str(30 + i) for i, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    | {ord(ch): None for ch in _SKIP}
)


def class_key(code: str) -> str:
    """The shelf key of a class number alone, without its end mark: a prefix of its subclasses'."""
    return code.translate(_CLASS_KEYS)


def _book_key(book_number: str) -> str:
    # Numbers compare by value (2 < 10); a number sorts before a letter at the same place.
    parts = []
    for run in re.findall(r"[0-9]+|[^0-9]", book_number.translate(_HALFWIDTH).upper()):
        if run[0] in "0123456789":
            # Eight digits hold any real 种次号; a longer run sorts last rather than wrapping.
            digits = run.lstrip("0")
            parts.append("1" + (digits.zfill(8) if len(digits) <= 8 else "9" * 8))
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
    text = (value or "").translate(_HALFWIDTH).strip().replace("\\", "/")
    if "/" in text:
        cls, _, book = text.partition("/")
    else:
        cls, _, book = text.partition(" ")
    return CallNumber(normalize_class_number(cls), book.strip())


def shelf_key(call_number: str) -> str:
    """A string of digits that sorts call numbers in shelf order."""
    parsed = parse_call_number(call_number)
    key = class_key(parsed.class_number) + _END
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
