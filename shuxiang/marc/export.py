"""MARC export: catalogue records as CNMARC or MARC21, in ISO 2709 or MARCXML.

A record is built from the catalogue (`record_to_marc`) unless it arrived as MARC of the
flavour asked for: then what came in is given back (`export_record`), its holdings field
rebuilt from today's copies, and — only if the record was edited after the import — its
mapped fields regenerated while everything else (001, 005, 100, 801, 200$9 pinyin …) stays.
The mapping is the team's table in docs/marc.md.

The writers stream: records are read a chunk at a time with their copies and originals, and
the bytes go out as they are made, so a 100,000-record catalogue never sits in memory.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import BinaryIO, NamedTuple
from xml.sax.saxutils import escape, quoteattr

import pymarc
from django.conf import settings
from django.utils import timezone

from shuxiang.catalog import services
from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import Item, Record
from shuxiang.lib import clc, isbn
from shuxiang.marc.mapping import Context, map_record, material_type
from shuxiang.marc.models import MarcRecord
from shuxiang.marc.selection import Selection

CNMARC = MarcRecord.Flavour.CNMARC.value
MARC21 = MarcRecord.Flavour.MARC21.value
FLAVOURS = (CNMARC, MARC21)
ISO2709 = "iso2709"
MARCXML = "marcxml"
FORMATS = (ISO2709, MARCXML)
UTF8 = "utf-8"
# Asked for as "GBK": GB 18030 is its superset, so a rare character is written, not lost.
GBK = "gb18030"
ENCODINGS = (UTF8, GBK)

HOLDINGS_TAGS = frozenset({"852", "905", "952"})
# Record.updated_at is set by the import's own write a moment after imported_at.
EDIT_GRACE = timedelta(seconds=2)
CHUNK = 500
FLUSH_BYTES = 64 * 1024

FT, RT, SF = "\x1e", "\x1d", "\x1f"
_SEPARATORS = str.maketrans("", "", FT + RT + SF)
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

CN_SUBJECT_JOIN = "－"
MARC21_SUBJECT_JOIN = "--"
# Contributor roles ⇄ relator codes (UNIMARC numeric, MARC21 letters) and MARC21 terms.
CN_ROLES = {
    "author": "070",
    "editor": "340",
    "translator": "730",
    "illustrator": "440",
    "adapter": "010",
    "other": "570",
}
MARC21_ROLES = {
    "author": "aut",
    "editor": "edt",
    "translator": "trl",
    "illustrator": "ill",
    "adapter": "adp",
    "other": "oth",
}
# leader/06 and /07 for each material type.
MATERIAL_CODES = {
    Record.MaterialType.BOOK: "am",
    Record.MaterialType.PERIODICAL: "as",
    Record.MaterialType.AUDIO_VISUAL: "gm",
    Record.MaterialType.ELECTRONIC: "mm",
    Record.MaterialType.MAP: "em",
    Record.MaterialType.OTHER: "am",
}

# The subfields the import reads, per tag: on an edited record these are regenerated, the
# others (200$9 pinyin, 010$b binding, 690$v edition …) carried over.
CN_MAPPED: dict[str, str] = {
    "010": "ad",
    "101": "a",
    "200": "adefg",
    "205": "a",
    "210": "acd",
    "215": "a",
    "225": "a",
    "330": "a",
    "517": "a",
    "600": "a",
    "601": "a",
    "606": "axyz",
    "607": "a",
    "610": "a",
    "690": "a",
    "701": "ab4",
    "702": "ab4",
    "711": "ab4",
    "712": "ab4",
}
MARC21_MAPPED: dict[str, str] = {
    "020": "ac",
    "084": "a",
    "100": "ae4",
    "110": "ae4",
    "245": "abc",
    "246": "a",
    "250": "a",
    "260": "abc",
    "264": "abc",
    "300": "a",
    "490": "a",
    "520": "a",
    "600": "a",
    "610": "a",
    "650": "axyz",
    "651": "a",
    "653": "a",
    "700": "ae4",
    "710": "ae4",
    "740": "a",
}


# Which tags carry which catalogue fields, to regenerate only what an edit changed.
CN_GROUPS: list[tuple[frozenset[str], frozenset[str]]] = [
    (frozenset({"010"}), frozenset({"isbn", "other_isbns", "price", "currency"})),
    (frozenset({"101"}), frozenset({"language"})),
    (
        frozenset({"200"}),
        frozenset({"title", "subtitle", "parallel_titles", "other_titles", "contributors"}),
    ),
    (frozenset({"205"}), frozenset({"edition"})),
    (frozenset({"210"}), frozenset({"place", "publisher", "year"})),
    (frozenset({"215"}), frozenset({"pages"})),
    (frozenset({"225"}), frozenset({"series"})),
    (frozenset({"330"}), frozenset({"summary"})),
    (frozenset({"517"}), frozenset({"other_titles"})),
    (frozenset({"600", "601", "606", "607", "610"}), frozenset({"subjects"})),
    (frozenset({"690"}), frozenset({"class_number"})),
    (frozenset({"701", "702", "711", "712"}), frozenset({"contributors"})),
]
MARC21_GROUPS: list[tuple[frozenset[str], frozenset[str]]] = [
    (frozenset({"020"}), frozenset({"isbn", "other_isbns", "price", "currency"})),
    (frozenset({"084"}), frozenset({"class_number"})),
    (frozenset({"100", "110", "700", "710"}), frozenset({"contributors"})),
    (frozenset({"245"}), frozenset({"title", "subtitle", "contributors"})),
    (frozenset({"246", "740"}), frozenset({"parallel_titles", "other_titles"})),
    (frozenset({"250"}), frozenset({"edition"})),
    (frozenset({"260", "264"}), frozenset({"place", "publisher", "year"})),
    (frozenset({"300"}), frozenset({"pages"})),
    (frozenset({"490"}), frozenset({"series"})),
    (frozenset({"520"}), frozenset({"summary"})),
    (frozenset({"600", "610", "650", "651", "653"}), frozenset({"subjects"})),
    (frozenset({"008"}), frozenset({"language"})),  # 008/35-37, patched in place
]


class ExportError(Exception):
    """An export that cannot be made as asked; the message is for the librarian."""


class Copy(NamedTuple):
    """What a holdings field says about one copy."""

    barcode: str
    accession_number: str
    call_number: str
    location: str  # Location.code
    price: Decimal | None
    received_on: date | None
    source: str

    @classmethod
    def of(cls, item: Item) -> Copy:
        return cls(
            item.barcode,
            item.accession_number,
            item.call_number,
            item.location.code,
            item.price,
            item.received_on,
            item.source,
        )


COPY_COLUMNS = (
    "barcode",
    "accession_number",
    "call_number",
    "location__code",
    "price",
    "received_on",
    "source",
)


def check_options(flavour: str, fmt: str, encoding: str) -> None:
    if flavour not in FLAVOURS:
        raise ExportError(f"不认识的 MARC 格式“{flavour}”：可选 cnmarc 或 marc21")
    if fmt not in FORMATS:
        raise ExportError(f"不认识的文件格式“{fmt}”：可选 iso2709 或 marcxml")
    if encoding not in ENCODINGS:
        raise ExportError(f"不认识的编码“{encoding}”：可选 utf-8 或 gbk")
    if encoding == GBK and flavour == MARC21:
        raise ExportError("MARC21 没有 GBK 编码：请选 UTF-8，或改为导出 CNMARC")
    if encoding == GBK and fmt == MARCXML:
        raise ExportError("MARCXML 只用 UTF-8 编码：GBK 只适用于 ISO 2709 文件")


# --- One record -------------------------------------------------------------------------


def current_copies(record: Record) -> list[Copy]:
    """The copies a holdings field lists: all but the withdrawn, in the order they came."""
    rows = (
        Item.objects.filter(record=record)
        .exclude(status=Item.Status.WITHDRAWN)
        .order_by("record_id", "pk")
        .values_list(*COPY_COLUMNS)
    )
    return [Copy(*row) for row in rows]


def export_record(record: Record, flavour: str) -> pymarc.Record:
    """The record as it is exported: its original if it has one, else built afresh."""
    original = MarcRecord.objects.filter(record=record).first()
    return build(record, current_copies(record), original, flavour)


def build(
    record: Record, copies: Sequence[Copy], original: MarcRecord | None, flavour: str
) -> pymarc.Record:
    """The export rule: the original of this flavour if there is one, else from the record."""
    if original is None or original.flavour != flavour:
        return record_to_marc(record, copies, flavour)
    try:
        marc = parse_original(original.data)
    except ValueError:
        # An original that cannot be read back is worth less than a clean record.
        return record_to_marc(record, copies, flavour)
    fields = [f for f in marc.fields if f.tag not in HOLDINGS_TAGS]
    if record.updated_at > original.imported_at + EDIT_GRACE:
        tags = _tags_to_refresh(record, marc, flavour)
        fresh = [f for f in _mapped_fields(record, flavour) if f.tag in tags]
        fields = _refresh(fields, fresh, tags, flavour)
        if material_type(str(marc.leader)) != record.material_type:
            # Only a changed type is written: leader/06 "c" (music) reads as a book, and
            # must not become "a" because the title was corrected.
            marc.leader = pymarc.Leader(_material_leader(str(marc.leader), record))
        if "008" in tags:
            fields = [_with_language(f, record.language) for f in fields]
    if flavour == CNMARC and not any(f.tag == "100" for f in fields):
        # The character set is told in 100$a/26-29: an original without a 100 gets one.
        fields = sorted([*fields, _field("100", "  ", a=_cn_100(record))], key=lambda f: f.tag)
    marc.fields = [*fields, *holdings_fields(record, copies, flavour)]
    return marc


def record_to_marc(record: Record, copies: Sequence[Copy], flavour: str) -> pymarc.Record:
    """A MARC record built from the catalogue record alone, with one holdings field a copy."""
    marc = pymarc.Record()
    if flavour == CNMARC:
        leader = "00000nam0 2200000   450 "
        control = [_field("100", "  ", a=_cn_100(record))]
    else:
        leader = "00000nam a2200000   4500"
        control = [pymarc.Field("008", data=_marc21_008(record))]
    marc.leader = pymarc.Leader(_material_leader(leader, record))
    stamp = timezone.localtime(record.updated_at).strftime("%Y%m%d%H%M%S.0")
    fields = [
        pymarc.Field("001", data=str(record.pk)),
        pymarc.Field("005", data=stamp),
        *control,
        *_mapped_fields(record, flavour),
    ]
    marc.fields = [*_by_tag(fields), *holdings_fields(record, copies, flavour)]
    return marc


def parse_original(data: str) -> pymarc.Record:
    """Read a kept original back: ISO 2709 already decoded to text.

    The directory's lengths and offsets count bytes of the file's own encoding (GBK, say),
    not characters, so the fields are found by their terminators instead.
    """
    if len(data) < 25 or FT not in data:
        raise ValueError("not an ISO 2709 record")
    leader, rest = data[:24], data[24:]
    directory, _, body = rest.partition(FT)
    tags = [directory[i : i + 3] for i in range(0, len(directory) - 11, 12)]
    chunks = body.rstrip(RT).split(FT)
    marc = pymarc.Record()
    marc.leader = pymarc.Leader(leader)
    marc.fields = [_parse_field(tag, chunk) for tag, chunk in zip(tags, chunks, strict=False)]
    return marc


def _parse_field(tag: str, chunk: str) -> pymarc.Field:
    if tag < "010" and tag.isdigit():
        return pymarc.Field(tag, data=chunk)
    indicators, *parts = chunk.split(SF)
    ind = (indicators + "  ")[:2]
    subfields = [pymarc.Subfield(p[:1], p[1:]) for p in parts if p]
    return pymarc.Field(tag, pymarc.Indicators(ind[0], ind[1]), subfields)


# --- The mapped fields ------------------------------------------------------------------


def _field(tag: str, indicators: str, *pairs: tuple[str, str], **subs: str) -> pymarc.Field:
    """A data field from (code, value) pairs and/or code=value keywords; blanks left out."""
    subfields = [pymarc.Subfield(c, v) for c, v in [*pairs, *subs.items()] if v]
    return pymarc.Field(tag, pymarc.Indicators(indicators[0], indicators[1]), subfields)


def _by_tag(fields: Iterable[pymarc.Field]) -> list[pymarc.Field]:
    # Stable: fields of one tag keep their order. Empty data fields are dropped.
    kept = [f for f in fields if f.control_field or f.subfields]
    return sorted(kept, key=lambda f: f.tag)


def _mapped_fields(record: Record, flavour: str) -> list[pymarc.Field]:
    fields = _cnmarc_fields(record) if flavour == CNMARC else _marc21_fields(record)
    return _by_tag(fields)


def _isbns(record: Record) -> list[str]:
    return [n for n in [record.isbn, *record.other_isbns] if n]


def _price_text(record: Record) -> str:
    if record.price is None:
        return ""
    if record.currency == "USD":
        return f"${record.price}"
    return f"{record.currency or 'CNY'}{record.price}"


# Publisher-prefix lengths in the Chinese group 978-7 by their first digit (the ISBN range
# table: 00-09, 100-499, 5000-7999, 80000-89999, 900000-999999), so that the usual ISBN is
# hyphenated without python-stdnum, which costs half a millisecond each.
_CHINA_PREFIX_LENGTH = (2, 3, 3, 3, 3, 4, 4, 4, 5, 6)


def _hyphenated(number: str) -> str:
    if len(number) == 13 and number.startswith("9787") and number.isdigit():
        cut = 4 + _CHINA_PREFIX_LENGTH[int(number[4])]
        return f"978-7-{number[4:cut]}-{number[cut:12]}-{number[12]}"
    return _hyphenated_elsewhere(number)


@lru_cache(maxsize=4096)
def _hyphenated_elsewhere(number: str) -> str:
    try:
        return isbn.hyphenate(number)
    except ValueError:
        return number


def _people(record: Record) -> list[tuple[str, str]]:
    return [(c["name"], c.get("role") or "author") for c in record.contributors if c.get("name")]


def _cnmarc_fields(r: Record) -> list[pymarc.Field]:
    price = _price_text(r)
    isbns = _isbns(r) or ([""] if price else [])
    fields = [
        _field("010", "  ", a=_hyphenated(n), d=price if i == 0 else "")
        for i, n in enumerate(isbns)
    ]
    people = _people(r)
    authors = "；".join(name for name, role in people if role == "author")
    others = "；".join(name for name, role in people if role != "author")
    fields += [
        _field("101", "0 ", a=r.language),
        _field(
            "200",
            "1 ",
            ("a", r.title),
            *[("d", t) for t in r.parallel_titles],
            ("e", r.subtitle),
            ("f", authors),
            ("g", others),
        ),
        _field("205", "  ", a=r.edition),
        _field("210", "  ", a=r.place, c=r.publisher, d=str(r.year or "")),
        _field("215", "  ", a=r.pages),
        _field("225", "2 ", a=r.series),
        _field("330", "  ", a=r.summary),
        *[_field("517", "1 ", a=t) for t in r.other_titles],
        *[_subject("606", "0 ", s, CN_SUBJECT_JOIN) for s in r.subjects],
        _field("690", "  ", a=r.class_number, v="5" if r.class_number else ""),
    ]
    for name, role in people:
        tag = "701" if role == "author" else "702"
        fields.append(_field(tag, " 0", a=name, **{"4": CN_ROLES.get(role, "")}))
    return fields


def _subject(tag: str, indicators: str, subject: str, joiner: str) -> pymarc.Field:
    head, *rest = [p.strip() for p in subject.split(joiner)]
    return _field(tag, indicators, ("a", head), *[("x", p) for p in rest])


def _cn_100(r: Record) -> str:
    """100$a, 36 characters: date entered, publication date, codes, 26-29 character set."""
    entered = timezone.localtime(r.created_at).strftime("%Y%m%d")
    year = f"{r.year:04d}" if r.year else "    "
    return f"{entered}d{year}    em y0chiy50      ea"


def _marc21_008(r: Record) -> str:
    entered = timezone.localtime(r.created_at).strftime("%y%m%d")
    dates = f"s{r.year:04d}    " if r.year else "nuuuu    "
    language = (r.language or "und")[:3].ljust(3)
    # 15-17 place unknown, 18-34 book codes (29-31 "000": no conference, festschrift, index),
    # 35-37 language, 39 "d": catalogued by another source than a national agency.
    return f"{entered}{dates}xx {' ' * 11}000 0 {language} d"


def _marc21_fields(r: Record) -> list[pymarc.Field]:
    price = _price_text(r)
    isbns = _isbns(r) or ([""] if price else [])
    people = _people(r)
    main = people[0] if people and people[0][1] == "author" else None
    added = people[1:] if main else people
    fields = [
        *[_field("020", "  ", a=n, c=price if i == 0 else "") for i, n in enumerate(isbns)],
        _field("084", "  ", a=r.class_number, **{"2": "clc" if r.class_number else ""}),
    ]
    if main:
        fields.append(_name("100", *main))
    fields += [
        _field(
            "245",
            f"{'1' if main else '0'}0",
            a=r.title,
            b=r.subtitle,
            c="；".join(name for name, _ in people),
        ),
        *[_field("246", "31", a=t) for t in r.parallel_titles],
        *[_field("246", "3 ", a=t) for t in r.other_titles],
        _field("250", "  ", a=r.edition),
        _field("260", "  ", a=r.place, b=r.publisher, c=str(r.year or "")),
        _field("300", "  ", a=r.pages),
        _field("490", "0 ", a=r.series),
        _field("520", "  ", a=r.summary),
        *[_subject("650", " 4", s, MARC21_SUBJECT_JOIN) for s in r.subjects],
        *[_name("700", name, role) for name, role in added],
    ]
    return fields


def _name(tag: str, name: str, role: str) -> pymarc.Field:
    # Indicator 1: "1" surname first ("Smith, John"), "0" a forename or a Chinese name.
    return _field(
        tag,
        ("1" if "," in name else "0") + " ",
        a=name,
        e=role if role in MARC21_ROLES else "",
        **{"4": MARC21_ROLES.get(role, "")},
    )


def _material_leader(leader: str, record: Record) -> str:
    codes = MATERIAL_CODES.get(Record.MaterialType(record.material_type), "am")
    return leader[:6] + codes + leader[8:]


def _with_language(field: pymarc.Field, language: str) -> pymarc.Field:
    if field.tag != "008" or not field.data or len(field.data) < 38:
        return field
    data = field.data
    return pymarc.Field("008", data=data[:35] + (language or "und")[:3].ljust(3) + data[38:])


# --- Edited records: mapped fields regenerated, the rest kept ----------------------------


def _is_mapped(field: pymarc.Field, mapped: dict[str, str], flavour: str) -> bool:
    codes = mapped.get(field.tag)
    if not codes or field.control_field:
        return False
    if flavour == MARC21 and field.tag == "264" and field.indicator2 != "1":
        return False  # 264 _3 manufacture, _4 copyright date: not ours
    if flavour == MARC21 and field.tag == "084" and not _is_clc_084(field):
        return False  # another scheme's class number: not ours
    return any(s.code in codes for s in field.subfields)


def _is_clc_084(field: pymarc.Field) -> bool:
    source = (field.get("2") or "").strip().lower()
    if source in {"clc", "clcn", "中图法"}:
        return True
    value = field.get("a") or ""
    return not source and bool(value) and clc.class_error(value) is None


def _refresh(
    fields: list[pymarc.Field], fresh: list[pymarc.Field], tags: set[str], flavour: str
) -> list[pymarc.Field]:
    """Replace the original's mapped fields of these tags by fresh ones, carrying over the
    unmapped subfields."""
    mapped = CN_MAPPED if flavour == CNMARC else MARC21_MAPPED
    old: dict[str, list[pymarc.Field]] = defaultdict(list)
    kept: list[pymarc.Field] = []
    for f in fields:
        replaced = f.tag in tags and _is_mapped(f, mapped, flavour)
        (old[f.tag] if replaced else kept).append(f)
    merged = []
    for f in fresh:
        pair = old[f.tag].pop(0) if old[f.tag] else None
        merged.append(_carry(f, pair, mapped[f.tag]) if pair is not None else f)
    return sorted([*kept, *merged], key=lambda f: f.tag)


def _tags_to_refresh(record: Record, marc: pymarc.Record, flavour: str) -> set[str]:
    """The tags whose catalogue fields the edit changed, judged against what the import
    read from the original: a corrected title leaves 210 $d "2019.6" as it came."""
    groups = CN_GROUPS if flavour == CNMARC else MARC21_GROUPS
    everything = {tag for tags, _ in groups for tag in tags}
    mapped = map_record(marc, flavour, Context())
    if mapped.record is None:
        return everything
    try:
        before = services.validate(mapped.record)
    except InvalidRecord:
        return everything
    changed = {name for name, value in vars(before).items() if getattr(record, name) != value}
    return {tag for tags, names in groups if changed & names for tag in tags}


def _carry(fresh: pymarc.Field, old: pymarc.Field, mapped: str) -> pymarc.Field:
    """The fresh field plus the old one's unmapped subfields, each after the one it followed."""
    after: dict[str, list[pymarc.Subfield]] = defaultdict(list)
    anchor = ""
    for s in old.subfields:
        if s.code in mapped:
            anchor = s.code
        else:
            after[anchor].append(s)
    last = {s.code: i for i, s in enumerate(fresh.subfields)}
    out = list(after.pop("", []))
    for i, s in enumerate(fresh.subfields):
        out.append(s)
        if last[s.code] == i:
            out += after.pop(s.code, [])
    for rest in after.values():
        out += rest
    return pymarc.Field(fresh.tag, fresh.indicators, out)


# --- Holdings -----------------------------------------------------------------------------


def holdings_fields(record: Record, copies: Sequence[Copy], flavour: str) -> list[pymarc.Field]:
    """One 905 (CNMARC) or 952 (MARC21) per copy.

    A record without copies still gets one holdings field when it has a 种次号, so that the
    book number (which lives only there) is not lost on the way to the next system.
    """
    make = _cn_905 if flavour == CNMARC else _marc21_952
    if not copies:
        if not record.book_number:
            return []
        blank = Copy("", "", record.call_number, "", None, None, "")
        return [_holdings_without_copy(make(record, blank))]
    return [make(record, c) for c in copies]


def _holdings_without_copy(field: pymarc.Field) -> pymarc.Field:
    keep = {"d", "e", "o"}
    field.subfields = [s for s in field.subfields if s.code in keep]
    return field


def _call_parts(record: Record, copy: Copy) -> clc.CallNumber:
    return clc.parse_call_number(copy.call_number or record.call_number)


def _cn_905(record: Record, copy: Copy) -> pymarc.Field:
    parts = _call_parts(record, copy)
    return _field(
        "905",
        "  ",
        a=settings.SHUXIANG_LIBRARY_CODE,
        b=copy.barcode,
        c=copy.location,
        d=parts.class_number,
        e=parts.book_number,
        f=copy.accession_number if copy.accession_number != copy.barcode else "",
        r=str(copy.price) if copy.price is not None else "",
        # Local subfields (no common convention exists): date received and source, so that
        # a CNMARC round trip keeps them as MARC21's 952 $d/$e do.
        w=copy.source,
        y=copy.received_on.isoformat() if copy.received_on else "",
    )


def _marc21_952(record: Record, copy: Copy) -> pymarc.Field:
    code = settings.SHUXIANG_LIBRARY_CODE
    return _field(
        "952",
        "  ",
        a=code,
        b=code,
        c=copy.location,
        d=copy.received_on.isoformat() if copy.received_on else "",
        e=copy.source,
        g=str(copy.price) if copy.price is not None else "",
        i=copy.accession_number,
        o=str(_call_parts(record, copy)) if (copy.call_number or record.call_number) else "",
        p=copy.barcode,
    )


# --- Character set marks --------------------------------------------------------------------


def mark_encoding(marc: pymarc.Record, flavour: str, encoding: str) -> pymarc.Record:
    """Say in the record how its file is encoded, the way each flavour says it.

    MARC21: leader/09 "a" (UTF-8). CNMARC: leader/09 blank (pymarc would write "a") and
    100$a/26-29 "50  " for UTF-8, "0120" for GBK.
    """
    leader = str(marc.leader).ljust(24)[:24]
    if flavour == MARC21:
        marc.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])
        return marc
    marc.leader = pymarc.Leader(leader[:9] + " " + leader[10:])
    charset = "0120" if encoding == GBK else "50  "
    for f in marc.fields:
        if f.tag == "100" and not f.control_field:
            value = (f.get("a") or "").ljust(36)
            rest = [s for s in f.subfields if s.code != "a"]
            f.subfields = [pymarc.Subfield("a", value[:26] + charset + value[30:]), *rest]
            break
    return marc


# --- Writers --------------------------------------------------------------------------------

# Told about a record that was shortened or left out: the record and the reason, in Chinese.
Notice = Callable[[pymarc.Record, str], None]
MAX_FIELD = 9999
MAX_RECORD = 99999


def iso2709_bytes(marc: pymarc.Record, encoding: str, notice: Notice | None = None) -> bytes:
    """One record in ISO 2709. A field longer than the format allows (a long summary) is
    cut to fit; a record still too long (thousands of copies) raises ExportError."""
    directory: list[str] = []
    chunks: list[bytes] = []
    offset = 0
    for f in marc.fields:
        data = _field_bytes(f, encoding)
        if len(data) > MAX_FIELD:
            data = _cut_to_fit(f, encoding)
            if notice is not None:
                notice(marc, f"字段 {f.tag} 超过 {MAX_FIELD} 字节，已截短")
        directory.append(f"{f.tag[:3].rjust(3, '0')}{len(data):04d}{offset:05d}")
        chunks.append(data)
        offset += len(data)
    head = ("".join(directory) + FT).encode("ascii")
    base = 24 + len(head)
    total = base + offset + 1
    if total > MAX_RECORD:
        raise ExportError(f"记录超过 {MAX_RECORD} 字节（复本太多），未导出")
    leader = str(marc.leader).ljust(24)
    leader = f"{total:05d}{leader[5:12]}{base:05d}{leader[17:24]}"
    return leader.encode("ascii", "replace") + head + b"".join(chunks) + RT.encode()


def _field_bytes(f: pymarc.Field, encoding: str) -> bytes:
    if f.control_field:
        text = (f.data or "").translate(_SEPARATORS)
    else:
        ind = "".join(i or " " for i in f.indicators or ("", ""))[:2].ljust(2)
        text = ind + "".join(
            SF + s.code + s.value.translate(_SEPARATORS) for s in f.subfields if s.code
        )
    return (text + FT).encode(encoding, "replace")


def _cut_to_fit(f: pymarc.Field, encoding: str) -> bytes:
    """The field with its longest value shortened, a tenth at a time, until it fits."""
    shorter = pymarc.Field(f.tag, f.indicators, list(f.subfields), f.data)
    while True:
        data = _field_bytes(shorter, encoding)
        if len(data) <= MAX_FIELD:
            return data
        if shorter.control_field:
            shorter.data = (shorter.data or "")[: len(shorter.data or "") * 9 // 10]
            continue
        longest = max(range(len(shorter.subfields)), key=lambda i: len(shorter.subfields[i].value))
        code, value = shorter.subfields[longest]
        shorter.subfields[longest] = pymarc.Subfield(code, value[: len(value) * 9 // 10])


def iso2709_chunks(
    records: Iterable[pymarc.Record],
    *,
    flavour: str,
    encoding: str = UTF8,
    notice: Notice | None = None,
) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for marc in records:
        try:
            data = iso2709_bytes(mark_encoding(marc, flavour, encoding), encoding, notice)
        except ExportError as exc:
            if notice is not None:
                notice(marc, str(exc))
            continue
        buffer.append(data)
        size += len(data)
        if size >= FLUSH_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
)
XML_TAIL = b"</collection>\n"


def marcxml_text(marc: pymarc.Record) -> str:
    out = [f"<record><leader>{_xml(_xml_leader(marc))}</leader>"]
    for f in marc.fields:
        tag = quoteattr(f.tag)
        if f.control_field:
            out.append(f"<controlfield tag={tag}>{_xml(f.data or '')}</controlfield>")
            continue
        ind1, ind2 = (f.indicators or (" ", " "))[:2]
        out.append(f"<datafield tag={tag} ind1={quoteattr(ind1)} ind2={quoteattr(ind2)}>")
        for s in f.subfields:
            out.append(f"<subfield code={quoteattr(s.code)}>{_xml(s.value)}</subfield>")
        out.append("</datafield>")
    out.append("</record>\n")
    return "".join(out)


def _xml_leader(marc: pymarc.Record) -> str:
    """The leader with the lengths the record has in ISO 2709 UTF-8, whatever it came with."""
    try:
        return iso2709_bytes(marc, UTF8)[:24].decode("ascii", "replace")
    except ExportError:
        # Too long for ISO 2709: MARCXML has no such limit, and no length to give.
        leader = str(marc.leader).ljust(24)
        return f"00000{leader[5:12]}00000{leader[17:24]}"


def _xml(text: str) -> str:
    return escape(_XML_BAD.sub("", text))


def marcxml_chunks(records: Iterable[pymarc.Record], *, flavour: str) -> Iterator[bytes]:
    yield XML_HEAD
    buffer: list[str] = []
    size = 0
    for marc in records:
        text = marcxml_text(mark_encoding(marc, flavour, UTF8))
        buffer.append(text)
        size += len(text)
        if size >= FLUSH_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode() + XML_TAIL


def write_iso2709(
    records: Iterable[pymarc.Record],
    out: BinaryIO,
    *,
    flavour: str,
    encoding: str = UTF8,
    notice: Notice | None = None,
) -> None:
    check_options(flavour, ISO2709, encoding)
    for chunk in iso2709_chunks(records, flavour=flavour, encoding=encoding, notice=notice):
        out.write(chunk)


def write_marcxml(records: Iterable[pymarc.Record], out: BinaryIO, *, flavour: str) -> None:
    for chunk in marcxml_chunks(records, flavour=flavour):
        out.write(chunk)


# --- Many records ---------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def export_records(
    record_ids: Sequence[int],
    flavour: str,
    *,
    only_barcodes: frozenset[str] | None = None,
    progress: Progress | None = None,
) -> Iterator[pymarc.Record]:
    """The records with these ids, read CHUNK at a time with their copies and originals."""
    total = len(record_ids)
    for start in range(0, total, CHUNK):
        ids = record_ids[start : start + CHUNK]
        records = Record.objects.in_bulk(ids)
        copies = _copies_of(ids, only_barcodes)
        originals = {m.record_id: m for m in MarcRecord.objects.filter(record_id__in=ids)}
        for pk in ids:
            record = records.get(pk)
            if record is not None:
                yield build(record, copies.get(pk, []), originals.get(pk), flavour)
        if progress is not None:
            progress(min(start + CHUNK, total), total)


def _copies_of(ids: Sequence[int], only: frozenset[str] | None) -> dict[int, list[Copy]]:
    items = Item.objects.filter(record_id__in=ids).exclude(status=Item.Status.WITHDRAWN)
    by_record: dict[int, list[Copy]] = defaultdict(list)
    # In record order, which the record_id index gives; by id alone SQLite would walk the
    # whole table in id order.
    rows = items.order_by("record_id", "pk").values_list("record_id", *COPY_COLUMNS)
    for record_id, *row in rows:
        copy = Copy(*row)
        # Filtered here, not in SQL: a pasted list may hold more barcodes than SQLite takes.
        if only is None or copy.barcode in only:
            by_record[record_id].append(copy)
    return by_record


def export_chunks(
    selection: Selection,
    *,
    flavour: str,
    fmt: str = ISO2709,
    encoding: str = UTF8,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> Iterator[bytes]:
    """The selected records as the bytes of one file, made as they are read."""
    check_options(flavour, fmt, encoding)
    records = export_records(
        selection.record_ids_in_order(),
        flavour,
        only_barcodes=selection.only_barcodes,
        progress=progress,
    )
    if fmt == MARCXML:
        return marcxml_chunks(records, flavour=flavour)
    return iso2709_chunks(records, flavour=flavour, encoding=encoding, notice=notice)


def file_name(flavour: str, fmt: str, encoding: str, today: date) -> str:
    """shuxiang-cnmarc-20261122.iso, shuxiang-cnmarc-gbk-20261122.iso, …-marc21-….xml"""
    kind = f"{flavour}-gbk" if encoding == GBK else flavour
    # Chinese systems call CNMARC files .iso; MARC21 tools expect .mrc.
    ext = "xml" if fmt == MARCXML else "iso" if flavour == CNMARC else "mrc"
    return f"shuxiang-{kind}-{today:%Y%m%d}.{ext}"


def encoding_named(name: str) -> str:
    """'gbk', 'GB18030', 'utf8' … → the codec the writers use; ExportError if unknown."""
    key = name.strip().lower().replace("_", "-")
    if key in {"utf-8", "utf8"}:
        return UTF8
    if key in {"gbk", "gb2312", "gb18030", "gb-18030"}:
        return GBK
    raise ExportError(f"不认识的编码“{name}”：可选 utf-8 或 gbk")
