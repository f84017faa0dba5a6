"""Write CNMARC files: the test fixtures' school-library records and the benchmark's 50,000.

`iso2709(record, charset)` encodes each field in the given character set and counts the
directory in bytes, as a Chinese library system exporting GBK does (pymarc's own writer
only knows UTF-8 and MARC-8).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import pymarc
from stdnum import ean

from shuxiang.marc.reader import ENTRY_LEN, LEADER_LEN

UTF8_100 = "20240301d2024    em y0chiy50      ea"  # 100 $a: 26-29 "50  " = Unicode
GBK_100 = "20240301d2024    em y0chiy0120    ea"  # 26-29 "0120" = GB2312


def field(tag: str, *pairs: str, ind: str = "  ") -> pymarc.Field:
    """field("200", "a", "草房子", "f", "曹文轩著", ind="1 ")."""
    subfields = [pymarc.Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind[0], ind[1]), subfields=subfields)


def cnmarc(
    control_number: str, fields: Iterable[pymarc.Field], *, gbk: bool = False
) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam0 2200000   450 ")
    record.fields = [
        pymarc.Field(tag="001", data=control_number),
        pymarc.Field(tag="005", data="20240301120000.0"),
        field("100", "a", GBK_100 if gbk else UTF8_100),
        *fields,
    ]
    return record


def iso2709(record: pymarc.Record, charset: str = "utf-8") -> bytes:
    directory = bytearray()
    body = bytearray()
    for fld in record.fields:
        if fld.control_field:
            data = (fld.data or "").encode(charset)
        else:
            parts = [f"{fld.indicator1}{fld.indicator2}".encode(charset)]
            parts += [f"\x1f{s.code}{s.value}".encode(charset) for s in fld.subfields]
            data = b"".join(parts)
        data += b"\x1e"
        directory += f"{fld.tag}{len(data):04d}{len(body):05d}".encode("ascii")
        body += data
    base = LEADER_LEN + len(directory) + 1
    assert len(directory) % ENTRY_LEN == 0
    length = base + len(body) + 1
    leader = str(record.leader).ljust(LEADER_LEN)
    head = f"{length:05d}{leader[5:12]}{base:05d}{leader[17:24]}".encode("ascii")
    return head + bytes(directory) + b"\x1e" + bytes(body) + b"\x1d"


def write(path: Path, records: Sequence[pymarc.Record], charset: str = "utf-8") -> None:
    path.write_bytes(b"".join(iso2709(r, charset) for r in records))


def isbn13(stem: str) -> str:
    """A valid ISBN-13 from its first 12 digits."""
    return stem + str(ean.calc_check_digit(stem))


# --------------------------------------------------------------------------- benchmark

_TITLES = ["草房子", "青铜葵花", "城南旧事", "昆虫记", "小王子", "稻草人", "寄小读者", "森林报"]
_WORDS = ["春天", "星空", "海洋", "恐龙", "故事", "奇遇", "科学", "童年", "山河", "少年"]
_AUTHORS = ["曹文轩", "林海音", "叶圣陶", "冰心", "杨红樱", "郑渊洁", "沈石溪", "秦文君"]
_PUBLISHERS = [
    ("南京", "江苏少年儿童出版社"),
    ("北京", "人民文学出版社"),
    ("上海", "少年儿童出版社"),
    ("北京", "中国少年儿童出版社"),
    ("长沙", "湖南少年儿童出版社"),
]
_CLASSES = ["I287.45", "I287.5", "I247.5", "Q96-49", "K209", "N49", "G624.2", "J228.7"]


def benchmark_records(count: int, *, seed: int = 5, gbk: bool = False) -> list[pymarc.Record]:
    """count realistic CNMARC records, each with 1–3 copies (barcodes B000001 …)."""
    rng = random.Random(seed)
    records = []
    barcode = 0
    for n in range(1, count + 1):
        author = rng.choice(_AUTHORS)
        place, publisher = rng.choice(_PUBLISHERS)
        class_number = rng.choice(_CLASSES)
        title = f"{rng.choice(_TITLES)}·{rng.choice(_WORDS)}{rng.choice(_WORDS)}（{n}）"
        copies = rng.randint(1, 3)
        barcodes = [f"B{barcode + i + 1:07d}" for i in range(copies)]
        barcode += copies
        holdings = ["a", "SX", *[x for b in barcodes for x in ("b", b)]]
        records.append(
            cnmarc(
                f"BENCH{n:07d}",
                [
                    field("010", "a", isbn13(f"97875{n:07d}"), "d", f"CNY{rng.randint(12, 60)}.00"),
                    field("101", "a", "chi", ind="0 "),
                    field("200", "a", title, "f", f"{author}著", ind="1 "),
                    field("210", "a", place, "c", publisher, "d", str(rng.randint(2005, 2024))),
                    field("215", "a", f"{rng.randint(80, 400)}页", "d", "21cm"),
                    field("330", "a", f"{title}是{author}为少年儿童写的作品。" * 3),
                    field("606", "a", "儿童文学", "x", "作品集", "y", "中国", ind="0 "),
                    field("690", "a", class_number, "v", "5"),
                    field("701", "a", author, "4", "070", ind=" 0"),
                    field("905", *holdings, "d", class_number, "e", str(n)),
                ],
                gbk=gbk,
            )
        )
    return records


# --------------------------------------------------------------------------- the benchmark's worker


def benchmark_worker(path: Path, count: int) -> dict[str, float]:
    """Import `count` generated records into this (empty) database as `shuxiang import marc`
    does, and time it from the file to the committed rows. Run on the database measured:
    python -m shuxiang.marc.generate --bench FILE COUNT (prints the figures as JSON)."""
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from shuxiang.marc.importer import ImportOptions, import_file

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, benchmark_records(count))
    started = time.perf_counter()
    outcome = import_file(path, ImportOptions(file_name=path.name), by=None, via="cli")
    seconds = time.perf_counter() - started
    assert outcome.batch is not None, outcome.message
    return {
        "seconds": seconds,
        "records": outcome.batch.records_added,
        "items": outcome.batch.items_added,
        "records_per_s": outcome.batch.records_added / seconds,
    }


if __name__ == "__main__":
    import json
    import sys

    if len(sys.argv) == 4 and sys.argv[1] == "--bench":
        print(json.dumps(benchmark_worker(Path(sys.argv[2]), int(sys.argv[3]))))
