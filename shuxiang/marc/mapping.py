"""A MARC record (CNMARC or MARC21) → the catalogue's RecordData and its copies (ItemData).

The mapping table is in docs/marc.md; both directions follow it. Mapping never refuses a
record for what it can leave out: an invalid ISBN, an unreadable price or a class number that
is not 中图法 becomes a warning (the value stays in the original MARC record, which is kept).
Only a record without a title cannot be catalogued.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

import pymarc

from shuxiang.catalog.errors import InvalidRecord
from shuxiang.catalog.models import Item, Location, Record
from shuxiang.catalog.services import ItemData, RecordData, parse_price
from shuxiang.lib import clc, isbn
from shuxiang.marc.reader import CNMARC

MAX_COPIES_FROM_COUNT = 500  # a "$s 9999" typo must not make thousands of copies
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# C1 controls: UNIMARC's non-sorting marks (0x88/0x89) and MARC21's (U+0098/U+009C).
_NON_SORTING = re.compile(r"[\x80-\x9f]")
_ISBD_END = re.compile(r"[\s/:;=,.]+$")
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2}|2100)(?!\d)")
_PRICE_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"^\s*([A-Za-z]{3})")
_SYMBOLS = {"$": "USD", "US$": "USD", "£": "GBP", "€": "EUR", "HK$": "HKD", "NT$": "TWD"}
_AUTHOR_ROLE_WORDS = re.compile(r"(等?(?:编著|主编|编写|编选|改编|编|著|撰|文|译|绘|图|摄影))+$")
_ROLE_OF_WORD = {"译": "translator", "绘": "illustrator", "图": "illustrator", "编": "editor"}
UNIMARC_ROLES = {
    "070": "author",
    "340": "editor",
    "730": "translator",
    "440": "illustrator",
    "010": "adapter",
    "570": "other",
}
MARC21_ROLES = {
    "aut": "author",
    "author": "author",
    "edt": "editor",
    "editor": "editor",
    "trl": "translator",
    "translator": "translator",
    "ill": "illustrator",
    "illustrator": "illustrator",
    "adp": "adapter",
    "adapter": "adapter",
    "oth": "other",
    "other": "other",
}
SOURCES = {choice.value for choice in Item.Source}
# How long each field may be (the columns' lengths).
LIMITS = {"title": 500, "subtitle": 500, "publisher": 255, "place": 100, "edition": 100}
LIMITS |= {"pages": 100, "series": 255}
FIELD_NAMES = {"title": "题名", "subtitle": "副题名", "publisher": "出版者", "place": "出版地"}
FIELD_NAMES |= {"edition": "版次", "pages": "页数", "series": "丛书名"}
MAX_CODE = 32  # barcode, accession number
MAX_CALL_NUMBER = 64


@dataclass
class Context:
    """What the mapping needs from the library: its locations, by code."""

    locations: dict[str, Location] = field(default_factory=dict)  # by upper-case code
    default_location: Location | None = None

    @classmethod
    def load(cls, default_location: Location | None = None) -> Context:
        locations = {loc.code.upper(): loc for loc in Location.objects.all()}
        default = default_location or next(
            (loc for loc in locations.values() if loc.is_default), None
        )
        return cls(locations, default)


@dataclass
class Mapped:
    record: RecordData | None
    items: list[ItemData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""


class _Fields:
    """The record's fields by tag, looked up many times per record."""

    def __init__(self, record: pymarc.Record) -> None:
        self.by_tag: dict[str, list[pymarc.Field]] = defaultdict(list)
        for fld in record.fields:
            self.by_tag[fld.tag].append(fld)

    def all(self, *tags: str) -> list[pymarc.Field]:
        return [f for tag in tags for f in self.by_tag.get(tag, ())]

    def first(self, tag: str, code: str) -> str:
        for fld in self.by_tag.get(tag, ()):
            for sub_code, raw in fld.subfields:
                if sub_code == code:
                    return text(raw)
        return ""

    def control(self, tag: str) -> str:
        found = self.by_tag.get(tag)
        return (found[0].data or "") if found else ""


def text(value: str) -> str:
    if value.isprintable():
        return value.strip()
    return _CONTROL.sub(" ", _NON_SORTING.sub("", value)).strip()


def values(fld: pymarc.Field, *codes: str) -> list[str]:
    found = []
    for code, raw in fld.subfields:
        if code in codes:
            cleaned = text(raw)
            if cleaned:
                found.append(cleaned)
    return found


def value(fld: pymarc.Field, code: str) -> str:
    found = values(fld, code)
    return found[0] if found else ""


def isbd(value: str) -> str:
    """Without the ISBD punctuation MARC21 ends its subfields with (" /", " :", "."…)."""
    return _ISBD_END.sub("", value).strip()


def map_record(record: pymarc.Record, flavour: str, context: Context) -> Mapped:
    fields = _Fields(record)
    warnings: list[str] = []
    if flavour == CNMARC:
        data = _cnmarc(fields, warnings)
        items = _cnmarc_items(fields, data, context, warnings)
    else:
        data = _marc21(fields, warnings)
        items = _marc21_items(fields, data, context, warnings)
    if not data.title:
        return Mapped(None, [], warnings, error="题名为空")
    data.material_type = material_type(str(record.leader))
    _fit(data, warnings)
    return Mapped(data, items, warnings)


def material_type(leader: str) -> str:
    if leader[7:8] == "s":
        return Record.MaterialType.PERIODICAL
    kind = leader[6:7]
    if kind in ("g", "i", "j"):
        return Record.MaterialType.AUDIO_VISUAL
    if kind in ("e", "f"):
        return Record.MaterialType.MAP
    if kind == "m":
        return Record.MaterialType.ELECTRONIC
    return Record.MaterialType.BOOK


def _fit(data: RecordData, warnings: list[str]) -> None:
    for name, limit in LIMITS.items():
        current = getattr(data, name)
        if len(current) > limit:
            setattr(data, name, current[:limit])
            warnings.append(f"{FIELD_NAMES[name]}超过 {limit} 个字符，已截断")
    if len(data.language) != 3:
        data.language = "chi" if not data.language else data.language[:3].lower()


# --------------------------------------------------------------------------- shared parts


def add_isbn(data: RecordData, raw: str, warnings: list[str]) -> None:
    if not raw:
        return
    number = _plain_isbn13(raw)
    if number is None:
        try:
            number = isbn.normalize(raw)
        except ValueError as exc:
            warnings.append(f"{exc}，未导入（保留在原始 MARC 记录中）")
            return
    if not data.isbn:
        data.isbn = number
    elif number != data.isbn and number not in data.other_isbns:
        data.other_isbns.append(number)


def _plain_isbn13(raw: str) -> str | None:
    """The common case, without python-stdnum's cost: 13 digits (hyphens allowed), right
    check digit. Anything else goes through lib.isbn."""
    digits = raw.replace("-", "").strip()
    if len(digits) != 13 or not digits.isdigit() or digits[:3] not in ("978", "979"):
        return None
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return digits if (10 - total % 10) % 10 == int(digits[12]) else None


@lru_cache(maxsize=4096)
def class_error(code: str) -> str | None:
    """clc.class_error, remembered: a file uses a few hundred class numbers many times."""
    return clc.class_error(code)


def price_of(raw: str, warnings: list[str]) -> tuple[Decimal | None, str]:
    """'CNY28.00', '28.00元', 'RMB28', '$15.00' → (Decimal, currency); unreadable → warning."""
    shown = raw.strip()
    if not shown:
        return None, ""
    currency = ""
    body = shown
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if body.startswith(symbol):
            currency, body = _SYMBOLS[symbol], body[len(symbol) :]
            break
    match = _CURRENCY.match(body)
    if not currency and match and match.group(1).upper() not in ("CNY", "RMB"):
        currency, body = match.group(1).upper(), body[match.end() :]
    try:
        return parse_price(body), currency or "CNY"
    except InvalidRecord:
        pass
    number = _PRICE_NUMBER.search(body.replace(",", ""))
    if number is not None:
        try:
            return parse_price(number.group()), currency or "CNY"
        except InvalidRecord:
            pass
    warnings.append(f"价格“{shown}”无法识别，未导入")
    return None, ""


def set_price(data: RecordData, raw: str, warnings: list[str]) -> None:
    if data.price is not None:
        return
    price, currency = price_of(raw, warnings)
    if price is not None:
        data.price, data.currency = price, currency


def year_of(raw: str) -> int | None:
    match = _YEAR.search(raw)
    return int(match.group(1)) if match else None


def set_class(data: RecordData, raw: str, warnings: list[str]) -> bool:
    """Take raw as the class number if it is 中图法; a warning and False if not."""
    raw = text(raw)
    if not raw:
        return False
    code = clc.normalize_class_number(raw)
    error = class_error(code)
    if error is not None:
        warnings.append(f"{error}；分类号留空")
        return False
    data.class_number = code
    return True


def add_subject(data: RecordData, subject: str) -> None:
    if subject and subject not in data.subjects:
        data.subjects.append(subject)


def person(fld: pymarc.Field) -> str:
    name = value(fld, "a")
    rest = value(fld, "b")
    if rest:
        # Chinese names are whole in $a; Western ones put the forename in $b.
        name = f"{name}, {rest.lstrip(', ')}" if name else rest
    return isbd(name) if name.endswith((",", ".")) else name


def location_of(code: str, context: Context, warnings: list[str]) -> Location | None:
    code = text(code)
    if not code:
        return context.default_location
    found = context.locations.get(code.upper())
    if found is None:
        where = context.default_location.name if context.default_location else "默认馆藏地点"
        warnings.append(f"馆藏地点代码“{code}”不存在，这些复本放在“{where}”")
        return context.default_location
    return found


def copies(
    barcodes: list[str],
    accessions: list[str],
    count: str,
    template: ItemData,
    tag: str,
    warnings: list[str],
) -> list[ItemData]:
    """One copy per barcode; without barcodes, `$s N` copies numbered on import."""
    items: list[ItemData] = []
    if barcodes:
        paired = accessions if len(accessions) == len(barcodes) else [""] * len(barcodes)
        for barcode, accession in zip(barcodes, paired, strict=True):
            items.append(_copy(template, barcode, accession or barcode))
        return items
    if count.isdigit() and int(count) > 0:
        number = min(int(count), MAX_COPIES_FROM_COUNT)
        warnings.append(
            f"字段 {tag} 没有条码号：按复本数 {number} 册导入，条码号和登录号将自动分配"
        )
        items.extend(_copy(template, "", "") for _ in range(number))
    return items


def _copy(template: ItemData, barcode: str, accession: str) -> ItemData:
    return ItemData(
        barcode=barcode,
        accession_number=accession,
        location=template.location,
        price=template.price,
        call_number=template.call_number,
        source=template.source,
        received_on=template.received_on,
    )


def _check_codes(items: list[ItemData], warnings: list[str]) -> list[ItemData]:
    kept = []
    for item in items:
        if len(item.barcode) > MAX_CODE or len(item.accession_number) > MAX_CODE:
            warnings.append(f"条码号或登录号“{item.barcode}”超过 {MAX_CODE} 位，这一册未导入")
            continue
        class_part = item.call_number.partition("/")[0]
        if len(item.call_number) > MAX_CALL_NUMBER or class_error(class_part) is not None:
            item.call_number = ""  # not a 中图法 call number: the copy takes the record's
        kept.append(item)
    return kept


# --------------------------------------------------------------------------- CNMARC


def _cnmarc(fields: _Fields, warnings: list[str]) -> RecordData:
    data = RecordData(title="")
    for fld in fields.all("010"):
        add_isbn(data, value(fld, "a"), warnings)
        set_price(data, value(fld, "d"), warnings)
    title = fields.all("200")
    if title:
        main = title[0]
        titles = values(main, "a")
        data.title = titles[0] if titles else ""
        data.other_titles.extend(titles[1:])
        data.subtitle = " : ".join(values(main, "e"))
        data.parallel_titles = [t.lstrip("= ").strip() for t in values(main, "d")]
    for fld in fields.all("517"):
        data.other_titles.extend(values(fld, "a"))
    data.contributors = _cnmarc_people(fields, title[0] if title else None)
    data.edition = fields.first("205", "a")
    imprint = fields.all("210") or fields.all("214")
    if imprint:
        data.place = value(imprint[0], "a")
        data.publisher = value(imprint[0], "c")
        data.year = year_of(value(imprint[0], "d"))
    data.pages = fields.first("215", "a")
    data.series = fields.first("225", "a") or fields.first("410", "a") or fields.first("410", "t")
    data.summary = fields.first("330", "a")
    for fld in fields.all("606"):
        add_subject(data, "－".join(values(fld, "a", "x", "y", "z")))
    for fld in fields.all("600", "601", "607", "610"):
        add_subject(data, value(fld, "a"))
    data.language = fields.first("101", "a") or "chi"
    given = fields.first("690", "a") or fields.first("905", "d")
    if given:
        set_class(data, given, warnings)
        data.book_number = fields.first("905", "e")[:20] if data.class_number else ""
    else:
        warnings.append("没有中图法分类号")
    return data


def _cnmarc_people(fields: _Fields, title: pymarc.Field | None) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for tag, default in (("700", "author"), ("701", "author"), ("702", "editor")):
        for fld in fields.all(tag):
            name = person(fld)
            role = UNIMARC_ROLES.get(value(fld, "4"), default)
            if name:
                people.append({"name": name, "role": role})
    for fld in fields.all("710", "711", "712"):
        name = value(fld, "a")
        if name:
            people.append({"name": name, "role": "author"})
    if people or title is None:
        return people
    # No access points: the statement of responsibility is all there is.
    for code, default in (("f", "author"), ("g", "other")):
        for statement in values(title, code):
            people.extend(_statement_people(statement, default))
    return people


def _statement_people(statement: str, default: str) -> list[dict[str, str]]:
    found = []
    for part in re.split(r"[,，;；、]", statement):
        part = part.strip()
        words = _AUTHOR_ROLE_WORDS.search(part)
        role = default
        if words:
            word = words.group()
            role = next((r for w, r in _ROLE_OF_WORD.items() if w in word), default)
            part = part[: words.start()].strip()
        if part:
            found.append({"name": part, "role": role})
    return found


def _cnmarc_items(
    fields: _Fields, data: RecordData, context: Context, warnings: list[str]
) -> list[ItemData]:
    items: list[ItemData] = []
    for fld in fields.all("905"):
        class_part, book_part = value(fld, "d"), value(fld, "e")
        call_number = f"{class_part}/{book_part}" if class_part and book_part else ""
        price = None
        if value(fld, "r"):
            price, _currency = price_of(value(fld, "r"), warnings)
        source = value(fld, "w").lower()
        template = ItemData(
            location=location_of(value(fld, "c"), context, warnings),
            price=price,
            call_number=call_number,
            source=source if source in SOURCES else Item.Source.PURCHASE,
            received_on=_date(value(fld, "y")),
        )
        barcodes = values(fld, "b")
        items.extend(copies(barcodes, values(fld, "f"), value(fld, "s"), template, "905", warnings))
    return _check_codes(items, warnings)


# --------------------------------------------------------------------------- MARC21


def _marc21(fields: _Fields, warnings: list[str]) -> RecordData:
    data = RecordData(title="")
    for fld in fields.all("020"):
        add_isbn(data, value(fld, "a"), warnings)
        set_price(data, value(fld, "c"), warnings)
    title = fields.all("245")
    if title:
        data.title = isbd(value(title[0], "a"))
        data.subtitle = isbd(" ".join(values(title[0], "b")))
    for fld in fields.all("246"):
        target = data.parallel_titles if fld.indicator2 == "1" else data.other_titles
        target.extend(isbd(v) for v in values(fld, "a"))
    for fld in fields.all("740"):
        data.other_titles.extend(isbd(v) for v in values(fld, "a"))
    data.contributors = _marc21_people(fields)
    data.edition = isbd(fields.first("250", "a"))
    imprint = fields.all("260") or [f for f in fields.all("264") if f.indicator2 == "1"]
    if imprint:
        data.place = isbd(value(imprint[0], "a"))
        data.publisher = isbd(value(imprint[0], "b"))
        data.year = year_of(value(imprint[0], "c"))
    if data.year is None:
        data.year = year_of(fields.control("008")[7:11])
    data.pages = isbd(fields.first("300", "a"))
    series = fields.first("490", "a") or fields.first("440", "a") or fields.first("830", "a")
    data.series = isbd(series)
    data.summary = fields.first("520", "a")
    for fld in fields.all("650"):
        add_subject(data, isbd("--".join(isbd(v) for v in values(fld, "a", "x", "y", "z"))))
    for fld in fields.all("600", "610", "651", "653"):
        add_subject(data, isbd(value(fld, "a")))
    language = fields.control("008")[35:38].strip()
    data.language = language if re.fullmatch(r"[a-z]{3}", language) else "chi"
    _marc21_class(fields, data, warnings)
    return data


def _marc21_people(fields: _Fields) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for fld in fields.all("100", "700"):
        name = isbd(value(fld, "a"))
        relators = [r.lower().strip(" .,") for r in values(fld, "e", "4")]
        role = next((MARC21_ROLES[r] for r in relators if r in MARC21_ROLES), "author")
        if name:
            people.append({"name": name, "role": role})
    for fld in fields.all("110", "710"):
        name = isbd(value(fld, "a"))
        if name:
            people.append({"name": name, "role": "author"})
    return people


def _marc21_class(fields: _Fields, data: RecordData, warnings: list[str]) -> None:
    for fld in fields.all("084"):
        scheme = value(fld, "2").lower()
        code = value(fld, "a")
        named_clc = scheme in ("clc", "clcn", "中图法")
        if (named_clc or (not scheme and class_error(code) is None)) and set_class(
            data, code, warnings
        ):
            break
    for tag, code in (("852", "h"), ("952", "o")):
        for fld in fields.all(tag):
            class_part, _, book_part = value(fld, code).partition("/")
            if not class_part or class_error(class_part) is not None:
                continue
            class_part = clc.normalize_class_number(class_part)
            if data.class_number and class_part != data.class_number:
                continue  # a copy shelved under another class says nothing of this one
            data.class_number = class_part
            book = book_part or (value(fld, "i") if tag == "852" else "")
            data.book_number = book.strip()[:20]
            return
    if not data.class_number:
        # Dewey (082) and LC (050) numbers stay in the original record only.
        warnings.append("没有中图法分类号")


def _marc21_items(
    fields: _Fields, data: RecordData, context: Context, warnings: list[str]
) -> list[ItemData]:
    items: list[ItemData] = []
    for fld in fields.all("952"):
        price, _currency = price_of(value(fld, "g"), warnings)
        source = value(fld, "e").lower()
        template = ItemData(
            location=location_of(value(fld, "c"), context, warnings),
            price=price,
            call_number=value(fld, "o"),
            source=source if source in SOURCES else Item.Source.PURCHASE,
            received_on=_date(value(fld, "d")),
        )
        items.extend(
            copies(values(fld, "p"), values(fld, "i"), value(fld, "s"), template, "952", warnings)
        )
    for fld in fields.all("852"):
        class_part, book_part = value(fld, "h"), value(fld, "i")
        price, _currency = price_of(value(fld, "9"), warnings)
        template = ItemData(
            location=location_of(value(fld, "b"), context, warnings),
            price=price,
            call_number=f"{class_part}/{book_part}" if class_part and book_part else class_part,
        )
        items.extend(copies(values(fld, "p"), [], value(fld, "s"), template, "852", warnings))
    return _check_codes(items, warnings)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
