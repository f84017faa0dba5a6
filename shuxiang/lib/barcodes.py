"""Barcodes as scanners and spreadsheets deliver them: full-width, padded, in lower case."""

from __future__ import annotations

import re

from shuxiang.lib.text import to_halfwidth

_VALID = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")


# Spaces and control characters: a scanner's stray prefix or suffix byte spoils no scan.
_DROP = re.compile(r"[\s\x00-\x1f\x7f]+")


def normalize(text: str) -> str:
    """'ｒ００１２ ' → 'R0012': half-width, no spaces or control characters, upper case."""
    return _DROP.sub("", to_halfwidth(text or "")).upper()


def is_valid(code: str) -> bool:
    """3–32 ASCII letters, digits or hyphens, starting with a letter or digit."""
    return bool(_VALID.match(code))
