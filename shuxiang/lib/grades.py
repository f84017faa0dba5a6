"""Grades and classes the Chinese way: 三年级(2)班, 初一(3)班, 高二(1)班.

Grades are numbered 1–12 across all school types (初一 is grade 7, 高一 grade 10), so that a
nine-year or twelve-year school needs no special case. The school type says which grades exist.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shuxiang.lib.text import to_halfwidth


class SchoolType(StrEnum):
    PRIMARY = "primary"  # 小学 1–6
    JUNIOR = "junior"  # 初级中学 7–9
    SENIOR = "senior"  # 高级中学 10–12
    NINE_YEAR = "nine_year"  # 九年一贯制 1–9
    COMPLETE = "complete"  # 完全中学 7–12
    TWELVE_YEAR = "twelve_year"  # 十二年一贯制 1–12


GRADE_RANGES: dict[SchoolType, tuple[int, int]] = {
    SchoolType.PRIMARY: (1, 6),
    SchoolType.JUNIOR: (7, 9),
    SchoolType.SENIOR: (10, 12),
    SchoolType.NINE_YEAR: (1, 9),
    SchoolType.COMPLETE: (7, 12),
    SchoolType.TWELVE_YEAR: (1, 12),
}

SCHOOL_TYPE_LABELS: dict[SchoolType, str] = {
    SchoolType.PRIMARY: "小学",
    SchoolType.JUNIOR: "初级中学",
    SchoolType.SENIOR: "高级中学",
    SchoolType.NINE_YEAR: "九年一贯制学校",
    SchoolType.COMPLETE: "完全中学",
    SchoolType.TWELVE_YEAR: "十二年一贯制学校",
}

DIGITS = "〇一二三四五六七八九"
_NUMERALS = {"零": 0, "〇": 0, "两": 2, "十": 10} | {c: i for i, c in enumerate(DIGITS) if i}


def grade_range(school_type: SchoolType | str) -> range:
    low, high = GRADE_RANGES[SchoolType(school_type)]
    return range(low, high + 1)


def top_grade(school_type: SchoolType | str) -> int:
    return GRADE_RANGES[SchoolType(school_type)][1]


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (enough for grades and class numbers)."""
    if n < 10:
        return DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[units] if units else "")


def grade_label(grade: int) -> str:
    """三年级, 初一, 高三. Grades 7–9 and 10–12 use the names middle schools use."""
    if 7 <= grade <= 9:
        return "初" + DIGITS[grade - 6]
    if 10 <= grade <= 12:
        return "高" + DIGITS[grade - 9]
    return chinese_number(grade) + "年级"


def class_label(grade: int, number: int) -> str:
    return f"{grade_label(grade)}({number})班"


def _parse_numeral(text: str) -> int | None:
    """'3', '三', '十二' → 3, 3, 12; anything else → None."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _NUMERALS for c in text):
        return None
    if "十" not in text:
        return _NUMERALS[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    value = (_NUMERALS.get(tens, -100) if tens else 1) * 10 + (
        _NUMERALS.get(units, -100) if units else 0
    )
    return value if 0 < value < 100 else None


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", to_halfwidth(text or ""))


_GRADE_PREFIX = {"初": 6, "高": 9}
# Names a roster may use for one grade: 三年级 3年级 三 3 初一 七年级 高二 (and 一年 / 初中一年级).
_GRADE_RE = re.compile(r"^(初中|高中|初|高)?([0-9]+|[一二三四五六七八九十〇零两]+)(年级|年)?$")


def parse_grade(text: str) -> int | None:
    """A grade written any way a roster writes it, as 1–12; None if it is not one."""
    value = _squeeze(text)
    match = _GRADE_RE.match(value)
    if not match:
        return None
    prefix, numeral, _suffix = match.groups()
    number = _parse_numeral(numeral)
    if number is None:
        return None
    if prefix:
        offset = _GRADE_PREFIX[prefix[0]]
        if not 1 <= number <= 3:
            return None
        number += offset
    return number if 1 <= number <= 12 else None


_CLASS_RE = re.compile(r"^\(?([0-9]+|[一二三四五六七八九十]+)\)?班?$")
_FULL_RE = re.compile(r"^(.+?)[(]?([0-9]+|[一二三四五六七八九十]+)[)]?班$")


def parse_class_number(text: str) -> int | None:
    """'2', '(2)班', '（2）班', '2班', '二班' → 2; None if it is not a class number."""
    match = _CLASS_RE.match(_squeeze(text))
    if not match:
        return None
    number = _parse_numeral(match.group(1))
    return number if number and 1 <= number <= 99 else None


def parse_class(text: str) -> tuple[int, int] | None:
    """A whole class name: '三年级(2)班', '初一3班', '3年级2班' → (grade, number)."""
    value = _squeeze(text)
    match = _FULL_RE.match(value)
    if not match:
        return None
    grade = parse_grade(match.group(1))
    number = _parse_numeral(match.group(2))
    if grade is None or not number or number > 99:
        return None
    return grade, number


class GradeBand(StrEnum):
    """The groups loan rules key on: 低年级 1–2, 中年级 3–4, 高年级 5–6, 初中, 高中."""

    LOWER = "lower"
    MIDDLE = "middle"
    UPPER = "upper"
    JUNIOR = "junior"
    SENIOR = "senior"


def grade_band(grade: int) -> GradeBand:
    if grade <= 2:
        return GradeBand.LOWER
    if grade <= 4:
        return GradeBand.MIDDLE
    if grade <= 6:
        return GradeBand.UPPER
    if grade <= 9:
        return GradeBand.JUNIOR
    return GradeBand.SENIOR
