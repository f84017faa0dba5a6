"""ISBN helpers on top of python-stdnum: accept any form a person or a MARC record gives."""

from __future__ import annotations

import re

from stdnum import isbn as stdisbn
from stdnum.exceptions import ValidationError

from shuxiang.lib.text import to_halfwidth

_JUNK = re.compile(r"[\s\-‐‑‒–—_]")
_CANDIDATE = re.compile(r"(?<![0-9])(97[89][0-9]{10}|[0-9]{9}[0-9X])(?![0-9X])")


def compact(value: str) -> str:
    """Strip everything but digits and X: 'ISBN 978-7-02-000220-7 (精装)' → '9787020002207'."""
    text = to_halfwidth(value).upper().replace("ISBN", "")
    text = _JUNK.sub("", text)
    if re.fullmatch(r"[0-9X]*", text):
        return text
    match = _CANDIDATE.search(text)
    return match.group(1) if match else re.sub(r"[^0-9X]", "", text)


def is_valid(value: str) -> bool:
    return stdisbn.is_valid(compact(value))


def normalize(value: str) -> str:
    """The ISBN-13 form without hyphens, or ValueError with a Chinese message."""
    number = compact(value)
    if not number:
        raise ValueError("ISBN 为空")
    if _is_isbn13(number):
        return number  # the usual case, at import speed (stdnum takes ~40 µs)
    try:
        number = stdisbn.validate(number)
    except ValidationError as exc:
        raise ValueError(f"ISBN“{value.strip()}”无效：{_reason(number, exc)}") from exc
    return stdisbn.to_isbn13(number)


def _is_isbn13(number: str) -> bool:
    """A valid ISBN-13 without hyphens: 978/979, 13 digits, EAN check digit right."""
    if len(number) != 13 or not number.isdigit() or number[:3] not in ("978", "979"):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(number[:12]))
    return (10 - total % 10) % 10 == int(number[12])


def _reason(number: str, exc: ValidationError) -> str:
    if len(number) not in (10, 13):
        return f"位数应为 10 或 13 位，实为 {len(number)} 位"
    if exc.__class__.__name__ == "InvalidChecksum":
        return "校验位不对"
    return "格式不对"


def to_isbn10(value: str) -> str | None:
    """The ISBN-10 form, or None for a 979 ISBN that has none."""
    number = normalize(value)
    if not number.startswith("978"):
        return None
    return str(stdisbn.to_isbn10(number))


def hyphenate(value: str) -> str:
    """Hyphenated by the registration-group ranges: 978-7-02-000220-7."""
    return str(stdisbn.format(normalize(value)))


def variants(value: str) -> list[str]:
    """Every compact form a reader might type: ISBN-13 and ISBN-10."""
    number = normalize(value)
    forms = [number]
    ten = to_isbn10(number)
    if ten:
        forms.append(ten)
    return forms
