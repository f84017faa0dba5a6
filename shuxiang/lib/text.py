"""Text normalisation shared by search, duplicate checking and imports."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Book-title marks and quotes that readers type around titles and that carry no meaning.
_TITLE_MARKS = str.maketrans({c: " " for c in "《》〈〉「」『』“”‘’\"'・·•"})
_PUNCT = re.compile(r"[^\w]+", re.UNICODE)


# Full-width ASCII (U+FF01–FF5E) and the ideographic space to their half-width forms.
_HALFWIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (ＡＢＣ１２３，　) to half-width; leaves CJK alone."""
    return text.translate(_HALFWIDTH)


def clean(text: str) -> str:
    """Half-width, no title marks, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", to_halfwidth(text or ""))
    return _SPACE.sub(" ", text.translate(_TITLE_MARKS)).strip()


def fold(text: str) -> str:
    """A comparison key: cleaned, lower-case, punctuation and spaces removed."""
    return _PUNCT.sub("", clean(text).lower()).replace("_", "")


def dedup_key(title: str, author: str, publisher: str) -> str:
    """Same title + first author + publisher, ignoring spacing and punctuation (查重)."""
    return "|".join(fold(part) for part in (title, author, publisher))[:255]
