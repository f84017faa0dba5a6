"""Read a MARC file into pymarc records, one by one, without ever giving up on the file.

ISO 2709 files are split on the record terminator (0x1D) and the leader's length; each
record is taken apart by its own directory and decoded in its own character set, so that a
bad leader, a broken directory, a cut-short file or bytes that fit no character set cost
that record only: it comes out as a `Raw` with the reason (in the librarian's words, with
its number and byte offset) and reading goes on with the next one. MARCXML is read as a
stream; malformed XML ends the file there, with the records before it kept (whether they are
imported is the skip-bad choice, as for any other error).

The character set is chosen per record: MARC21 says it in leader/09 ("a" = UTF-8, blank =
MARC-8), CNMARC/UNIMARC in 100 $a/26-29 ("50" = Unicode; "01", "0120", "02" … = GB2312,
read as GB18030, its superset). When the bytes do not fit what the record claims, UTF-8 and
then GB18030 are tried, strictly, and the record carries a warning.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pymarc
from pymarc.marc8 import MARC8ToUnicode

ISO2709, MARCXML = "iso2709", "marcxml"
AUTO, MARC21, CNMARC = "auto", "marc21", "cnmarc"
UTF8, GB18030, MARC8 = "utf-8", "gb18030", "marc-8"
FLAVOURS = (AUTO, MARC21, CNMARC)
ENCODINGS = (AUTO, UTF8, GB18030, MARC8)
CHARSET_NAMES = {UTF8: "UTF-8", GB18030: "GB18030（GBK）", MARC8: "MARC-8", "ascii": "ASCII"}

RT, FT, SF = 0x1D, 0x1E, 0x1F  # record, field and subfield separators
LEADER_LEN, ENTRY_LEN = 24, 12
SNIFF_RECORDS = 20  # records looked at to tell CNMARC from MARC21
# Bytes some systems put between records (line breaks, padding, DOS end-of-file).
_BETWEEN = b"\r\n\x00\x1a"
_DIRECTORY_ENTRY = re.compile(rb"[\x20-\x7e]{3}[0-9]{9}")
_TAG = re.compile(r"[0-9A-Za-z]{3}")
_CN_TAGS = {"010", "101", "102", "200", "205", "210", "215", "225", "330", "606", "690"}
_CN_TAGS |= {"701", "702", "711", "712", "801", "905"}
_M21_TAGS = {"008", "020", "040", "050", "082", "084", "245", "246", "250", "260", "264"}
_M21_TAGS |= {"300", "490", "520", "650", "852", "952"}
MARCXML_NS = "{http://www.loc.gov/MARC21/slim}"


class MarcFileError(Exception):
    """The file as a whole is not something we can read as MARC; the message says why."""


@dataclass
class ReadOptions:
    flavour: str = AUTO
    encoding: str = AUTO


@dataclass
class Raw:
    """One record of the file as read: the pymarc record, or why it could not be read."""

    position: int  # 1-based record number in the file
    offset: int  # byte offset where it starts (ISO 2709; 0 in MARCXML)
    record: pymarc.Record | None = None
    charset: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    in_xml: bool = False
    text: str = ""  # the record as ISO 2709 text, to keep (MarcRecord.data)

    @property
    def label(self) -> str:
        if self.in_xml:
            return f"第 {self.position} 条记录"
        return f"第 {self.position} 条记录（字节偏移 {self.offset}）"


class MarcFile:
    """A MARC file: its format and flavour, found on opening; its records, read when asked."""

    def __init__(self, path: Path, options: ReadOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or ReadOptions()
        self.charsets: Counter[str] = Counter()
        try:
            self.data = self.path.read_bytes()
        except OSError:
            raise MarcFileError("文件无法打开") from None
        self.format = detect_format(self.data)
        if self.options.flavour in (MARC21, CNMARC):
            self.flavour = self.options.flavour
        else:
            self.flavour = guess_flavour(self._sample_tags())

    @property
    def description(self) -> str:
        """How the file was read, e.g. "cnmarc iso2709 gb18030" (ImportBatch.file_format)."""
        charsets = "+".join(c for c, _ in self.charsets.most_common()) or "-"
        return f"{self.flavour} {self.format} {charsets}"

    def __iter__(self) -> Iterator[Raw]:
        if self.format == ISO2709:
            yield from self._iso_records()
        else:
            yield from self._xml_records()

    def _sample_tags(self) -> list[list[str]]:
        samples: list[list[str]] = []
        if self.format == ISO2709:
            for _position, _offset, chunk, problem in split_iso2709(self.data):
                if not problem:
                    with contextlib.suppress(RecordError):
                        samples.append([tag for tag, _s, _e in parse_structure(chunk)[2]])
                if len(samples) >= SNIFF_RECORDS:
                    break
        else:
            for raw in read_marcxml(self.path, limit=SNIFF_RECORDS):
                if raw.record is not None:
                    samples.append([f.tag for f in raw.record.fields])
        return samples

    def _iso_records(self) -> Iterator[Raw]:
        decoder = Decoder(self.flavour, self.options.encoding)
        for position, offset, chunk, problem in split_iso2709(self.data):
            raw = Raw(position, offset)
            if problem:
                raw.error = problem
            else:
                try:
                    raw.record, raw.charset, raw.warnings = decoder.decode(chunk)
                except RecordError as exc:
                    raw.error = str(exc)
                else:
                    self.charsets[raw.charset] += 1
                    # A UTF-8 record is kept byte for byte as it came; others are re-encoded.
                    if raw.charset in (UTF8, "ascii"):
                        raw.text = chunk.decode(UTF8)
                    else:
                        raw.text = to_text(raw.record)
            yield raw

    def _xml_records(self) -> Iterator[Raw]:
        for raw in read_marcxml(self.path):
            if raw.record is not None:
                raw.charset = UTF8
                raw.text = to_text(raw.record)
                self.charsets[UTF8] += 1
            yield raw


class RecordError(Exception):
    """This record cannot be read; the message is the reason, in Chinese."""


# --------------------------------------------------------------------------- detection


def detect_format(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if not head:
        raise MarcFileError("文件是空的")
    if head.startswith(b"<"):
        return MARCXML
    if head[:5].isdigit() or (RT in data and FT in data):
        return ISO2709
    raise MarcFileError(
        "这不是 MARC 文件：ISO 2709 格式（.iso、.mrc）的记录应以 5 位数字的记录长度开头，"
        "MARCXML 应是以“<”开头的 XML 文件"
    )


def guess_flavour(samples: list[list[str]]) -> str:
    """CNMARC or MARC21, by the tags each uses and the other does not."""
    cn = m21 = 0
    for tags in samples:
        present = set(tags)
        cn += len(present & _CN_TAGS)
        m21 += len(present & _M21_TAGS)
    return CNMARC if cn > m21 else MARC21


# --------------------------------------------------------------------------- ISO 2709


def split_iso2709(data: bytes) -> Iterator[tuple[int, int, bytes, str]]:
    """(record number, byte offset, the record's bytes, "" or why it cannot be used)."""
    pos, position, size = 0, 0, len(data)
    while pos < size:
        while pos < size and data[pos] in _BETWEEN:
            pos += 1
        if pos >= size or (data[pos] in b" \t" and not data[pos:].strip()):
            return  # padding after the last record
        position += 1
        head = data[pos : pos + 5]
        terminator = data.find(b"\x1d", pos)
        if head.isdigit() and len(head) == 5:
            length = int(head)
            end = pos + length
            if length >= LEADER_LEN and end <= size and data[end - 1] == RT:
                yield position, pos, data[pos:end], ""
                pos = end
                continue
            if terminator == -1:
                yield (
                    position,
                    pos,
                    data[pos:],
                    "记录不完整：文件在这条记录中途结束（可能是文件没有传完）",
                )
                return
            problem = (
                f"记录头的记录长度（{length}）与实际长度（{terminator + 1 - pos}）不符，"
                "记录可能被截断或改动过"
            )
        else:
            shown = head.decode("latin-1").strip() or "空白"
            problem = f"记录头损坏：前 5 位应是记录长度数字，实为“{_printable(shown)}”"
            if terminator == -1:
                yield position, pos, data[pos:], problem + "；文件在此之后没有完整的记录"
                return
        yield position, pos, data[pos : terminator + 1], problem
        pos = terminator + 1


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def parse_structure(
    chunk: bytes, warnings: list[str] | None = None
) -> tuple[str, int, list[tuple[str, int, int]]]:
    """The leader, the base address and each field's (tag, start, end) within the record."""
    warnings = [] if warnings is None else warnings
    if len(chunk) < LEADER_LEN + 2:
        raise RecordError("记录太短，不足一个记录头")
    leader_bytes = chunk[:LEADER_LEN]
    if not leader_bytes.isascii():
        raise RecordError("记录头含有非 ASCII 字符，记录头损坏")
    leader = leader_bytes.decode("ascii")
    if not leader[12:17].isdigit():
        raise RecordError(f"记录头损坏：数据起始地址“{_printable(leader[12:17])}”不是数字")
    base = int(leader[12:17])
    if base <= LEADER_LEN or base > len(chunk) - 1:
        raise RecordError(f"记录头损坏：数据起始地址（{base}）超出记录范围")
    if chunk[base - 1] != FT:
        raise RecordError("目次区损坏：数据起始地址处没有字段结束符")
    directory = chunk[LEADER_LEN : base - 1]
    if len(directory) % ENTRY_LEN:
        raise RecordError("目次区损坏：长度不是 12 的整数倍")
    fields: list[tuple[str, int, int]] = []
    limit = len(chunk) - 1
    for at in range(0, len(directory), ENTRY_LEN):
        entry = directory[at : at + ENTRY_LEN]
        number = at // ENTRY_LEN + 1
        if not _DIRECTORY_ENTRY.fullmatch(entry):
            raise RecordError(f"目次区损坏：第 {number} 项“{_printable(entry.decode('latin-1'))}”")
        tag = entry[:3].decode("ascii")
        if not _TAG.fullmatch(tag):
            warnings.append(f"字段标识符“{tag}”无效")
        length, start = int(entry[3:7]), base + int(entry[7:12])
        end = start + length
        if length == 0 or end > limit:
            raise RecordError(f"目次区损坏：字段 {tag} 的位置超出记录范围")
        fields.append((tag, start, end - 1 if chunk[end - 1] == FT else end))
    if not fields:
        raise RecordError("记录中没有字段")
    return leader, base, fields


class Decoder:
    """Turns one record's bytes into a pymarc record in the right character set."""

    def __init__(self, flavour: str, encoding: str = AUTO) -> None:
        self.flavour = flavour
        self.encoding = encoding

    def decode(self, chunk: bytes) -> tuple[pymarc.Record, str, list[str]]:
        warnings: list[str] = []
        leader, base, layout = parse_structure(chunk, warnings)
        body = chunk[base:]
        if b"\x00" in body:
            # A NUL is damage, never text; PostgreSQL refuses it (SQLite would keep it).
            raise RecordError("记录中有空字符（NUL），文件可能已损坏，这条记录无法读取")
        if body.isascii():
            charset = "ascii"
        elif self.encoding != AUTO:
            charset = self.encoding
            if charset != MARC8 and not _fits(body, charset):
                raise RecordError(
                    f"按所选字符集 {CHARSET_NAMES[charset]} 无法读取这条记录：请改选“自动识别”"
                )
        else:
            claimed = self._claimed(leader, chunk, layout)
            sniffed = _sniff(body, claimed)
            if sniffed is None:
                raise RecordError(
                    "这条记录含有无法识别的字符：既不是 UTF-8 也不是 GB18030（GBK）编码"
                )
            charset = sniffed
            if charset != claimed:
                warnings.append(f"字符集标记与内容不符，按 {CHARSET_NAMES[charset]} 读取")
        record = pymarc.Record(force_utf8=True)
        record.leader = pymarc.Leader(leader)  # as it came: leader/09 blank stays blank
        marc8 = MARC8ToUnicode(quiet=True) if charset == MARC8 else None
        try:
            record.fields = [
                self._field(chunk, tag, s, e, charset, marc8, warnings) for tag, s, e in layout
            ]
        except UnicodeDecodeError:
            # The body decodes as a whole, so a directory entry starts or ends mid-character.
            raise RecordError(
                "目录中的字段位置有误（落在一个字符中间），这条记录无法读取"
            ) from None
        return record, charset, warnings

    def _claimed(self, leader: str, chunk: bytes, layout: list[tuple[str, int, int]]) -> str:
        if self.flavour == MARC21:
            return UTF8 if leader[9] == "a" else MARC8
        if leader[9] == "a":
            return UTF8
        for tag, start, end in layout:
            if tag == "100":
                # 100 $a/26-27: "50" is ISO 10646 (Unicode); the rest, in Chinese records,
                # is GB2312 ("01", "0120", "02" …).
                data = chunk[start:end]
                at = data.find(b"\x1fa")
                code = data[at + 2 + 26 : at + 2 + 28] if at >= 0 else b""
                return UTF8 if code == b"50" else GB18030
        return UTF8

    def _field(
        self,
        chunk: bytes,
        tag: str,
        start: int,
        end: int,
        charset: str,
        marc8: MARC8ToUnicode | None,
        warnings: list[str],
    ) -> pymarc.Field:
        data = chunk[start:end]
        if tag < "010" and tag.isdigit():
            return pymarc.Field(tag=tag, data=_text(data, charset, marc8))
        if marc8 is None:
            # Separators are ASCII and never inside a UTF-8 or GB18030 character: decode once.
            head, *parts = data.decode(charset).split("\x1f")
        else:
            head_bytes, *raw_parts = data.split(b"\x1f")
            head = head_bytes.decode("latin-1")
            parts = [_text(part, charset, marc8) for part in raw_parts]
        indicators = _INDICATORS.get(head) or _indicators(head, tag, warnings)
        subfields: list[pymarc.Subfield] = []
        for part in parts:
            if not part:
                continue
            code = part[0]
            if not (code.isascii() and code.isalnum()):
                code, part = _bad_code(part, tag, warnings)
            subfields.append(_tuple_new(pymarc.Subfield, (code, part[1:])))
        return _data_field(tag, indicators, subfields)


# Tens of thousands of fields a second: build pymarc's objects without their constructors'
# checks (everything here is already checked). Field has __slots__; these are all of them.
_tuple_new = tuple.__new__
_INDICATORS = {a + b: pymarc.Indicators(a, b) for a in " 0123456789#|" for b in " 0123456789#|"}


def _data_field(
    tag: str, indicators: pymarc.Indicators, subfields: list[pymarc.Subfield]
) -> pymarc.Field:
    fld = object.__new__(pymarc.Field)
    fld.tag = tag
    fld.data = None
    fld._indicators = indicators
    fld.subfields = subfields
    fld.control_field = False
    return fld


def _bad_code(part: str, tag: str, warnings: list[str]) -> tuple[str, str]:
    """As pymarc does: a stray character before the code letter is dropped."""
    warnings.append(f"字段 {tag} 有无效的子字段代码“{_printable(part[0])}”")
    if part[1:2].isascii() and part[1:2].isalnum():
        return part[1], part[1:]
    return "?", part


def _text(data: bytes, charset: str, marc8: MARC8ToUnicode | None) -> str:
    if marc8 is not None:
        try:
            return str(marc8.translate(data))  # type: ignore[no-untyped-call]
        except (IndexError, TypeError, UnicodeDecodeError):
            raise RecordError("MARC-8 字符编码有误，这条记录无法读取") from None
    if charset == "ascii":
        return data.decode("ascii")
    return data.decode(charset)


def _indicators(text: str, tag: str, warnings: list[str]) -> pymarc.Indicators:
    pair = [ch if ch.isascii() and ch.isprintable() else " " for ch in text[:2].ljust(2)]
    if len(text) != 2 or "".join(pair) != text:
        warnings.append(f"字段 {tag} 的指示符有误，已按空白处理")
    return pymarc.Indicators(pair[0], pair[1])


def _fits(body: bytes, charset: str) -> bool:
    try:
        body.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(body: bytes, claimed: str) -> str | None:
    """The character set the bytes are really in: the claimed one if they fit it.

    Real GBK or MARC-8 text is almost never valid UTF-8, so valid UTF-8 is taken as UTF-8
    whatever the record says; MARC-8 escapes (0x1B) keep MARC-8.
    """
    if claimed == MARC8:
        return UTF8 if b"\x1b" not in body and _fits(body, UTF8) else MARC8
    if _fits(body, UTF8):
        return UTF8
    if _fits(body, GB18030):
        return GB18030
    return None


# --------------------------------------------------------------------------- MARCXML


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_marcxml(path: Path, limit: int | None = None) -> Iterator[Raw]:
    """Stream the records of a MARCXML file; malformed XML ends it with an error Raw."""
    position = 0
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            if _local(element.tag) != "record":
                continue
            position += 1
            yield _xml_record(position, element)
            element.clear()
            if limit is not None and position >= limit:
                return
    except ET.ParseError as exc:
        where, column = exc.position
        yield Raw(
            position + 1,
            0,
            error=f"XML 格式错误（第 {where} 行第 {column} 列），文件从这里起无法读取",
            in_xml=True,
        )
        return
    except (LookupError, ValueError) as exc:
        # encoding="GB18030" (expat reads no multi-byte charset but UTF-8 and UTF-16: "multi-
        # byte encodings are not supported") or a name Python does not know (LookupError).
        if isinstance(exc, ValueError) and "encoding" not in str(exc):
            raise
        yield Raw(
            position + 1,
            0,
            error="XML 文件声明的字符编码无法读取：请在原系统中导出为 UTF-8 后重新导入",
            in_xml=True,
        )
        return
    if position == 0 and limit is None:
        raise MarcFileError("XML 文件中没有 MARC 记录：MARCXML 的每条记录应是 <record> 元素")


def _xml_record(position: int, element: ET.Element) -> Raw:
    raw = Raw(position, 0, in_xml=True)
    record = pymarc.Record(force_utf8=True)
    leader = ""
    fields: list[pymarc.Field] = []
    for child in element:
        name = _local(child.tag)
        if name == "leader":
            leader = (child.text or "").ljust(LEADER_LEN)[:LEADER_LEN]
        elif name == "controlfield":
            tag = child.get("tag", "")
            fields.append(pymarc.Field(tag=tag, data=child.text or ""))
        elif name == "datafield":
            tag = child.get("tag", "")
            pair = (child.get("ind1") or " ")[:1] + (child.get("ind2") or " ")[:1]
            indicators = _indicators(pair, tag, raw.warnings)
            subfields = [
                pymarc.Subfield(code=(s.get("code") or "?")[:1], value=s.text or "")
                for s in child
                if _local(s.tag) == "subfield"
            ]
            fields.append(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))
    bad = next((f.tag for f in fields if not _TAG.fullmatch(f.tag)), None)
    if bad is not None:
        raw.error = f"字段标识符“{_printable(bad)}”无效：应是 3 位数字或字母"
        return raw
    if not fields:
        raw.error = "记录中没有字段"
        return raw
    record.leader = pymarc.Leader(leader or " " * LEADER_LEN)
    record.fields = list(fields)
    raw.record = record
    return raw


# --------------------------------------------------------------------------- writing back


def to_text(record: pymarc.Record) -> str:
    """The record as ISO 2709 text (Unicode; lengths counted in UTF-8 bytes, as pymarc reads
    it with force_utf8). Leader/09 is kept as it came, so CNMARC stays CNMARC."""
    directory: list[str] = []
    bodies: list[str] = []
    offset = 0
    for fld in record.fields:
        if fld.control_field:
            body = f"{fld.data or ''}\x1e"
        else:
            subfields = "".join(f"\x1f{s.code}{s.value}" for s in fld.subfields)
            body = f"{fld.indicator1 or ' '}{fld.indicator2 or ' '}{subfields}\x1e"
        size = len(body.encode("utf-8"))
        directory.append(f"{fld.tag[:3]:0>3}{size:04d}{offset:05d}")
        bodies.append(body)
        offset += size
    base = LEADER_LEN + len(directory) * ENTRY_LEN + 1
    length = base + offset + 1
    leader = str(record.leader).ljust(LEADER_LEN)[:LEADER_LEN]
    leader = f"{length:05d}{leader[5:12]}{base:05d}{leader[17:]}"
    return leader + "".join(directory) + "\x1e" + "".join(bodies) + "\x1d"
