"""The SIP2 wire format (3M Standard Interchange Protocol 2.00): frames in, frames out.

Pure: no Django, no database. A frame is one message without its CR (or CR LF) terminator:
a two-digit code, a fixed part of known length, variable fields (a two-character id, the
value, "|"), then optionally AY<sequence digit>AZ<four hex digits>.

The checksum is computed over the ENCODED bytes, so a GBK kiosk and a UTF-8 kiosk sending the
same Chinese title carry different checksums: the frame is checked as bytes first and decoded
after. Splitting into fields happens on the decoded text, because a GBK trail byte may be
0x7C, the byte of "|".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

# The length of each request's fixed part, from the specification's message layouts.
FIXED_LENGTHS: dict[str, int] = {
    "93": 2,  # UID algorithm, PWD algorithm
    "99": 8,  # status code, max print width (3), protocol version (4)
    "23": 21,  # language (3), transaction date (18)
    "63": 31,  # language, transaction date, summary (10)
    "17": 18,  # transaction date
    "11": 38,  # SC renewal policy, no block, transaction date, nb due date
    "09": 37,  # no block, transaction date, return date
    "29": 38,  # third party allowed, no block, transaction date, nb due date
    "65": 18,  # transaction date
    "15": 19,  # hold mode, transaction date
    "37": 25,  # transaction date, fee type (2), payment type (2), currency type (3)
    "35": 18,  # transaction date
    "97": 0,
    "01": 19,  # card retained, transaction date
}
# A kiosk's longest honest message (a checkout with a long location) is a few hundred bytes.
MAX_FRAME_BYTES = 2048
SUPPORTED_ENCODINGS = ("utf-8", "gbk")

_TRAILER = re.compile(rb"(?:AY([0-9])AZ([0-9A-Fa-f]{4})|AZ([0-9A-Fa-f]{4})|AY([0-9]))\Z")
_FIELD_ID = re.compile(r"[A-Z0-9]{2}\Z")


class ProtocolError(Exception):
    """A frame that cannot be read: the reason is for the log, not for the kiosk's screen."""

    def __init__(self, reason: str, *, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Message:
    code: str
    fixed: str
    fields: tuple[tuple[str, str], ...]
    sequence: str | None = None  # AY, echoed in the reply
    checksum: str | None = None  # AZ as sent
    checksum_ok: bool | None = None  # None when the frame had no AZ

    def get(self, field_id: str, default: str = "") -> str:
        """The first value of a field (kiosks rarely repeat one; AU/AS lists are replies)."""
        for fid, value in self.fields:
            if fid == field_id:
                return value
        return default

    def has(self, field_id: str) -> bool:
        return any(fid == field_id for fid, _ in self.fields)

    def all(self, field_id: str) -> list[str]:
        return [value for fid, value in self.fields if fid == field_id]


def checksum(data: bytes) -> str:
    """The four uppercase hex digits that make the byte sum of the frame zero (mod 2^16)."""
    return f"{-sum(data) & 0xFFFF:04X}"


def parse(frame: bytes, encoding: str) -> Message:
    """One frame (without CR/LF) into a Message; anything unreadable raises ProtocolError."""
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {len(frame)} bytes is over {MAX_FRAME_BYTES}")
    code_bytes = frame[:2]
    if len(code_bytes) < 2 or not code_bytes.isdigit():
        raise ProtocolError(f"no message code: {frame[:8]!r}")
    code = code_bytes.decode("ascii")
    if code not in FIXED_LENGTHS:
        raise ProtocolError(f"unknown message code {code}", code=code)
    body, sequence, sent, ok = _split_trailer(frame)
    try:
        text = body[2:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"bytes not valid {encoding} at {exc.start}", code=code) from exc
    length = FIXED_LENGTHS[code]
    if len(text) < length:
        raise ProtocolError(f"fixed part of {code} is {len(text)} long, needs {length}", code=code)
    fields = _fields(text[length:], code)
    return Message(code, text[:length], fields, sequence, sent, ok)


def _split_trailer(frame: bytes) -> tuple[bytes, str | None, str | None, bool | None]:
    """(body, AY, AZ, checksum matches) — the checksum covers everything through "AZ"."""
    found = _TRAILER.search(frame, 2)
    if found is None:
        return frame, None, None, None
    digit: bytes | None = found.group(1) or found.group(4)
    hex_digits: bytes | None = found.group(2) or found.group(3)
    sequence = digit.decode("ascii") if digit else None
    if hex_digits is None:
        return frame[: found.start()], sequence, None, None
    through_az = frame[: found.end() - 4]
    ok = (sum(through_az) + int(hex_digits, 16)) & 0xFFFF == 0
    return frame[: found.start()], sequence, hex_digits.decode("ascii").upper(), ok


def _fields(text: str, code: str) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    parts = text.split("|")
    if parts[-1] == "":
        parts.pop()
    # Some kiosks leave out the "|" after their last field: accepted, as most ACSs do.
    fields = []
    for part in parts:
        if not _FIELD_ID.match(part[:2]):
            raise ProtocolError(f"bad field {part[:12]!r} in {code}", code=code)
        if any(c in part for c in "\r\n"):
            raise ProtocolError(f"line break inside a field of {code}", code=code)
        if "\x00" in part:
            # A line-noise byte, never a character: PostgreSQL errors on it in any query.
            raise ProtocolError(f"NUL inside a field of {code}", code=code)
        fields.append((part[:2], part[2:]))
    return tuple(fields)


# ----------------------------------------------------------------------------- replies


Field = tuple[str, "str | None"]


def clean(value: str) -> str:
    """A value that cannot break the frame: no "|", no line breaks."""
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")


def build(
    code: str,
    fixed: Iterable[str],
    fields: Sequence[Field],
    *,
    encoding: str,
    sequence: str | None = None,
    error_detection: bool = True,
) -> bytes:
    """A reply frame with its CR: fields whose value is None are left out.

    Characters the encoding has not got (a rare character for a GBK kiosk) become "?" rather
    than failing the whole reply.
    """
    text = code + "".join(fixed)
    text += "".join(f"{fid}{clean(value)}|" for fid, value in fields if value is not None)
    data = text.encode(encoding, errors="replace")
    if error_detection:
        data += b"AY" + (sequence or "0").encode("ascii") + b"AZ"
        data += checksum(data).encode("ascii")
    return data + b"\r"


def resend_request(*, error_detection: bool = True) -> bytes:
    """96: the ACS asks the kiosk to send its last message again (it came garbled)."""
    data = b"96"
    if error_detection:
        data += b"AZ" + checksum(b"96AZ").encode("ascii")
    return data + b"\r"


def sip_date(moment: datetime) -> str:
    """YYYYMMDDZZZZHHMMSS: local time, the zone left blank as kiosks expect."""
    return moment.strftime("%Y%m%d    %H%M%S")


def flag(value: bool) -> str:
    return "Y" if value else "N"


def bit(value: bool) -> str:
    return "1" if value else "0"
