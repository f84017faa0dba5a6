"""Run the benchmarks and write bench/results.json and bench/REPORT.md (`make bench`).

    python -m bench.run               every benchmark, 100k and 1M records
    python -m bench.run --quick       100k records only
    python -m bench.run --only search_pg

Each benchmark is a function registered with @benchmark("name") that takes the Context and
returns Results. The Context builds (and caches under bench/data/) the databases and starts
`shuxiang serve` against them, so a new benchmark only says what it measures.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results.json"
REPORT = BENCH / "REPORT.md"

SIZES = {"100k": 100_000, "1m": 1_000_000}
SEED = 0
DEFAULT_PG = "postgres://shuxiang:shuxiang@127.0.0.1:5432/shuxiang_bench"
# Bump to throw away every cached database (e.g. when the loader's output changes meaning).
CACHE_VERSION = "1"
# Whatever decides the contents of a built database: a change here means a rebuild.
CACHE_INPUTS = [
    "shuxiang/catalog/migrations",
    "shuxiang/accounts/migrations",
    "shuxiang/catalog/models.py",
    "shuxiang/catalog/search.py",
    "shuxiang/catalog/demo.py",
    "shuxiang/catalog/demo_data.py",
    "shuxiang/lib",
]
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-1"
QUERIES_PER_KIND = 30
ROUNDS = 2
SEARCH_GOAL_MS = 50.0
KINDS = ("word", "author", "pinyin", "initials", "isbn", "class")
ROSTER_SIZES = {"3k": 3_000, "30k": 30_000}
ROSTER_GOALS_S = {"3k": 3.0, "30k": 30.0}
# The circulation benchmarks' school: the demo's books (6,700 titles, about 20,000 copies), eight
# classes a grade (about 2,100 pupils) and 200 teachers.
DEMO_ARGS = ("--classes-per-grade", "8", "--teachers", "200")
LATENCY_LOANS = 500
THROUGHPUT_LOANS = 2000
CLIENTS = 4
CHECKOUT_P99_GOAL_MS = 25.0
CHECKOUTS_PER_S_GOAL = 300
CIRCULATION_FIGURES = ("circulation_floor", "checkout", "checkin")
# The floor first, then each figure beside its goal's partner.
CIRCULATION_ORDER = (
    "circulation_floor",
    "checkout_p",
    "checkin_p",
    "checkouts_per",
    "checkins_per",
    "sip2_floor",
    "sip2_checkout_p",
    "sip2_checkin_p",
)
DESCRIPTION = "Run the benchmarks; write bench/results.json and bench/REPORT.md."


# --------------------------------------------------------------------------- registry


@dataclass
class Result:
    name: str
    value: float
    unit: str
    goal: str = ""


@dataclass
class Database:
    """A built database: what `shuxiang` needs in its environment to use it."""

    label: str
    env: dict[str, str]
    stats: dict[str, Any]


Benchmark = Callable[["Context"], list[Result]]
REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    def register(fn: Benchmark) -> Benchmark:
        REGISTRY[name] = fn
        return fn

    return register


class Context:
    """Shared by the benchmarks of one run: databases, servers, the query mix, notes."""

    def __init__(self, sizes: list[str], pg_url: str) -> None:
        self.sizes = sizes
        self.pg_url = pg_url
        self.notes: list[str] = []
        self._databases: dict[tuple[str, str], Database] = {}
        self._servers: dict[str, tuple[subprocess.Popen[bytes], str, str]] = {}
        self._pg: bool | None = None

    def note(self, text: str) -> None:
        print(f"  note: {text}", flush=True)
        self.notes.append(text)

    def sqlite(self, size: str) -> Database:
        if ("sqlite", size) not in self._databases:
            self._databases["sqlite", size] = build_sqlite(size)
        return self._databases["sqlite", size]

    def postgres(self, size: str) -> Database | None:
        if not self.pg_reachable():
            return None
        if ("pg", size) not in self._databases:
            self._databases["pg", size] = build_postgres(self.pg_url, size)
        return self._databases["pg", size]

    def demo(self, kind: str) -> Database | None:
        """A demo school built afresh for this run (the benchmarks lend its books)."""
        if (kind, "demo") not in self._databases:
            if kind == "pg" and not self.pg_reachable():
                return None
            self._databases[kind, "demo"] = build_demo(kind, self.pg_url)
        return self._databases[kind, "demo"]

    def pg_reachable(self) -> bool:
        if self._pg is None:
            self._pg = pg_version(self.pg_url) is not None
            if not self._pg:
                self.note(f"PostgreSQL not reachable at {_safe_url(self.pg_url)}: no _pg figures")
        return self._pg

    def server(self, db: Database) -> tuple[str, str]:
        """The base URL of a server on db, and a bearer token for it; started once."""
        if db.label not in self._servers:
            self._servers[db.label] = start_server(db)
        _, base, token = self._servers[db.label]
        return base, token

    def stop_servers(self) -> None:
        for process, _, _ in self._servers.values():
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
        self._servers.clear()


# --------------------------------------------------------------------------- benchmarks


@benchmark("floor")
def floor(ctx: Context) -> list[Result]:
    """An empty request to the same server: what HTTP and the framework cost by themselves."""
    base, token = ctx.server(ctx.sqlite(ctx.sizes[0]))
    url = f"{base}/api/v1/health"
    for _ in range(50):
        get(url, token)
    timings = [get(url, token)[0] for _ in range(300)]
    return [Result("floor_p50_ms", round(statistics.median(timings), 2), "ms")]


@benchmark("search")
def search_sqlite(ctx: Context) -> list[Result]:
    results = []
    for size in ctx.sizes:
        db = ctx.sqlite(size)
        results += load_results(db, size, "")
        results += measure_search(ctx, db, size, "")
    return results


@benchmark("search_pg")
def search_postgres(ctx: Context) -> list[Result]:
    results = []
    for size in ctx.sizes:
        db = ctx.postgres(size)
        if db is None:
            return []
        results += load_results(db, size, "_pg")
        results += measure_search(ctx, db, size, "_pg")
    return results


@benchmark("roster_import_s_3k")
def roster_import_3k(ctx: Context) -> list[Result]:
    return measure_roster(ctx, "3k")


@benchmark("roster_import_s_30k")
def roster_import_30k(ctx: Context) -> list[Result]:
    return measure_roster(ctx, "30k")


@benchmark("circulation")
def circulation_sqlite(ctx: Context) -> list[Result]:
    db = ctx.demo("sqlite")
    return measure_circulation(ctx, db, "") if db else []


@benchmark("circulation_pg")
def circulation_postgres(ctx: Context) -> list[Result]:
    db = ctx.demo("pg")
    return measure_circulation(ctx, db, "_pg") if db else []


def measure_circulation(ctx: Context, db: Database, suffix: str) -> list[Result]:
    """Check-out and check-in over HTTP, one at a time, each next to an empty request; then
    four clients checking out (and back in) at once."""
    base, token = ctx.server(db)
    plan = circulation_plan(db)
    loans = plan[: LATENCY_LOANS + THROUGHPUT_LOANS]
    if len(loans) < LATENCY_LOANS + THROUGHPUT_LOANS:
        ctx.note(f"{db.label}: only {len(loans)} loans possible in the demo school")
    refusals: list[str] = []
    desk = Desk(base, token, refusals, keep_alive=False)
    for card, barcode in loans[:20]:  # untimed: code paths loaded, caches warm
        desk.health()
        desk.checkout(card, barcode)
        desk.checkin(barcode)
    floor_ms, out_ms, in_ms = desk_latencies(desk, loans[20:LATENCY_LOANS])
    desks = [Desk(base, token, refusals, keep_alive=True) for _ in range(CLIENTS)]
    out_rate, in_rate = noon_rush(desks, loans[LATENCY_LOANS:])
    if refusals:
        ctx.note(f"{db.label}: {len(refusals)} refused requests, e.g. {refusals[0]}")
    floor_p50 = percentile(floor_ms, 50)
    near_floor = f"≤ {2 * floor_p50:g}"
    p99 = f"< {CHECKOUT_P99_GOAL_MS:g}"
    return [
        Result(f"circulation_floor_p50_ms{suffix}", floor_p50, "ms"),
        Result(f"checkout_p50_ms{suffix}", percentile(out_ms, 50), "ms", near_floor),
        Result(f"checkout_p99_ms{suffix}", percentile(out_ms, 99), "ms", p99),
        Result(f"checkin_p50_ms{suffix}", percentile(in_ms, 50), "ms", near_floor),
        Result(f"checkin_p99_ms{suffix}", percentile(in_ms, 99), "ms", p99),
        Result(
            f"checkouts_per_s_{CLIENTS}clients{suffix}",
            round(out_rate),
            "loans/s",
            str(CHECKOUTS_PER_S_GOAL),
        ),
        Result(f"checkins_per_s_{CLIENTS}clients{suffix}", round(in_rate), "returns/s"),
    ]


class Desk:
    """One scripted desk calling the API. With keep_alive it holds one connection open, as a
    browser at the desk does; without, it opens a new one per request, as `get` does."""

    def __init__(self, base: str, token: str, refusals: list[str], *, keep_alive: bool) -> None:
        self.host, self.port = urllib.parse.urlsplit(base).netloc.split(":")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.refusals = refusals
        self.keep_alive = keep_alive
        self.connection: http.client.HTTPConnection | None = None

    def health(self) -> float:
        return self.request("GET", "/api/v1/health")

    def checkout(self, card: str, barcode: str) -> float:
        return self.request("POST", "/api/v1/checkouts", {"patron": card, "item": barcode})

    def checkin(self, barcode: str) -> float:
        return self.request("POST", "/api/v1/checkins", {"item": barcode})

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> float:
        """Milliseconds from sending to the whole answer read; a refusal is noted."""
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=120)
        self.connection.request(method, path, body=data, headers=self.headers)
        response = self.connection.getresponse()
        answer = response.read()
        ms = (time.perf_counter() - started) * 1000
        if not self.keep_alive:
            self.connection.close()
            self.connection = None
        if response.status >= 300:
            self.refusals.append(f"{method} {path} {body}: {response.status} {answer[:200]!r}")
        return ms


def desk_latencies(desk: Desk, loans: list[tuple[str, str]]) -> tuple[list[float], ...]:
    """One request at a time: every checkout (then every checkin) follows an empty request,
    so that the floor is measured in the same moments and by the same client."""
    floor, out, back = [], [], []
    for card, barcode in loans:
        floor.append(desk.health())
        out.append(desk.checkout(card, barcode))
    for _, barcode in loans:
        floor.append(desk.health())
        back.append(desk.checkin(barcode))
    return floor, out, back


def noon_rush(desks: list[Desk], loans: list[tuple[str, str]]) -> tuple[float, float]:
    """All desks at once, each with its own share of the loans: loans per second, then
    returns per second."""
    shares = [loans[i :: len(desks)] for i in range(len(desks))]
    out = _concurrently(
        [[(d.checkout, pair) for pair in share] for d, share in zip(desks, shares, strict=True)]
    )
    back = _concurrently(
        [[(d.checkin, (b,)) for _, b in share] for d, share in zip(desks, shares, strict=True)]
    )
    return len(loans) / out, len(loans) / back


def _concurrently(work: list[list[tuple[Callable[..., float], tuple[str, ...]]]]) -> float:
    """Seconds from the start to the last answer, one thread per list of calls."""
    start = threading.Barrier(len(work) + 1)

    def run(calls: list[tuple[Callable[..., float], tuple[str, ...]]]) -> None:
        start.wait()
        for fn, args in calls:
            fn(*args)

    threads = [threading.Thread(target=run, args=(calls,)) for calls in work]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began


# --------------------------------------------------------------------------- SIP2

SIP2_LOANS = 500
SIP2_KIOSK = "bench-kiosk"
SIP2_P50_GOAL_MS = 5.0
SIP2_P99_GOAL_MS = 25.0


@benchmark("sip2")
def sip2_sqlite(ctx: Context) -> list[Result]:
    db = ctx.demo("sqlite")
    return measure_sip2(ctx, db, "") if db else []


@benchmark("sip2_pg")
def sip2_postgres(ctx: Context) -> list[Result]:
    db = ctx.demo("pg")
    return measure_sip2(ctx, db, "_pg") if db else []


def measure_sip2(ctx: Context, db: Database, suffix: str) -> list[Result]:
    """A kiosk logged in to `shuxiang sip2` on loopback: an SC status (the floor), a checkout,
    then later the same copies checked back in, one message at a time on one connection."""
    loans = circulation_plan(db)[:SIP2_LOANS]
    process, port = start_sip2(db)
    refusals: list[str] = []
    try:
        with Kiosk(port, refusals) as kiosk:
            kiosk.login(SIP2_KIOSK, BENCH_PASSWORD)
            for card, barcode in loans[:20]:  # untimed: code paths loaded, caches warm
                kiosk.status()
                kiosk.checkout(card, barcode)
                kiosk.checkin(barcode)
            floor, out, back = [], [], []
            for card, barcode in loans[20:]:
                floor.append(kiosk.status())
                out.append(kiosk.checkout(card, barcode))
            for _, barcode in loans[20:]:
                floor.append(kiosk.status())
                back.append(kiosk.checkin(barcode))
    finally:
        process.terminate()
        process.wait(timeout=20)
    if refusals:
        ctx.note(f"{db.label} SIP2: {len(refusals)} refused messages, e.g. {refusals[0]}")
    # No goal in the brief for the kiosk: DESIGN §5's "a checkout answers in a few
    # milliseconds" for the p50s, the desk's 25 ms for the p99s.
    p50, p99 = f"< {SIP2_P50_GOAL_MS:g}", f"< {SIP2_P99_GOAL_MS:g}"
    return [
        Result(f"sip2_floor_p50_ms{suffix}", percentile(floor, 50), "ms"),
        Result(f"sip2_checkout_p50_ms{suffix}", percentile(out, 50), "ms", p50),
        Result(f"sip2_checkout_p99_ms{suffix}", percentile(out, 99), "ms", p99),
        Result(f"sip2_checkin_p50_ms{suffix}", percentile(back, 50), "ms", p50),
        Result(f"sip2_checkin_p99_ms{suffix}", percentile(back, 99), "ms", p99),
    ]


def start_sip2(db: Database) -> tuple[subprocess.Popen[bytes], int]:
    """`shuxiang sip2` on a free port; returns once it accepts connections."""
    port = free_port()
    log = open(DATA / f"sip2-{db.label.replace(' ', '-')}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "shuxiang.cli", "sip2", "--port", str(port)],
        env=environment(db),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"shuxiang sip2 did not start, see {log.name}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return process, port
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"shuxiang sip2 did not listen within 60 s, see {log.name}")


class Kiosk:
    """A self-check machine written from the SIP2 specification, not from the server's code:
    each message with a sequence number and checksum, each answer read to its CR."""

    def __init__(self, port: int, refusals: list[str]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.refusals = refusals
        self.sequence = 0
        self.pending = b""

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def login(self, user: str, password: str) -> None:
        _, reply = self.send(f"9300CN{user}|CO{password}|CPbench|")
        if not reply.startswith(b"941"):
            raise SystemExit(f"the kiosk login was refused: {reply!r}")

    def status(self) -> float:
        return self.send("9900302.00")[0]

    def checkout(self, card: str, barcode: str) -> float:
        ms, reply = self.send(f"11NN{_sip2_now()}{' ' * 18}AO|AA{card}|AB{barcode}|AC|")
        self.check(reply, b"121", f"checkout {card} {barcode}")
        return ms

    def checkin(self, barcode: str) -> float:
        ms, reply = self.send(f"09N{_sip2_now()}{_sip2_now()}APbench|AO|AB{barcode}|AC|")
        self.check(reply, b"101", f"checkin {barcode}")
        return ms

    def check(self, reply: bytes, ok: bytes, what: str) -> None:
        if not reply.startswith(ok):
            self.refusals.append(f"{what}: {reply.decode('utf-8', 'replace')}")

    def send(self, body: str) -> tuple[float, bytes]:
        """Milliseconds from sending the message to its whole answer read, and the answer."""
        message = f"{body}AY{self.sequence}AZ".encode()
        checksum = f"{-sum(message) & 0xFFFF:04X}".encode()
        self.sequence = (self.sequence + 1) % 10
        started = time.perf_counter()
        self.sock.sendall(message + checksum + b"\r")
        while b"\r" not in self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(f"the SIP2 server closed the connection after {body[:2]}")
            self.pending += chunk
        reply, self.pending = self.pending.split(b"\r", 1)
        return (time.perf_counter() - started) * 1000, reply


def _sip2_now() -> str:
    return datetime.now().strftime("%Y%m%d    %H%M%S")  # noqa: DTZ005 - SIP2 sends local time


def build_demo(kind: str, pg_url: str) -> Database:
    started = time.perf_counter()
    db = fresh_postgres(pg_url, "demo") if kind == "pg" else fresh_sqlite("demo")
    shuxiang(db, "demo", *DEMO_ARGS)
    shuxiang(db, "user", "add", BENCH_USER, "--role", "librarian", "--password", BENCH_PASSWORD)
    shuxiang(db, "user", "add", SIP2_KIOSK, "--role", "kiosk", "--password", BENCH_PASSWORD)
    print(f"  {db.label}: demo school in {time.perf_counter() - started:.0f} s", flush=True)
    return db


def circulation_plan(db: Database) -> list[tuple[str, str]]:
    """(card, barcode) pairs that the rules allow, every copy once, no patron past a limit."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.run", "--plan"],
        env=environment(db),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout.decode()
    return [(card, barcode) for card, barcode in json.loads(output.strip().splitlines()[-1])]


def plan_worker() -> None:
    """In a child process on the demo database: pupils and teachers with room under their
    limit, each given copies from the stacks that are on the shelf, in a shuffled order."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from django.db.models import Count, Q

    from shuxiang.catalog.models import Item
    from shuxiang.circulation import services
    from shuxiang.patrons.models import Patron

    items = list(
        Item.objects.filter(
            status=Item.Status.ON_SHELF,
            location__code="STACKS",
            item_type=Item.ItemType.GENERAL,
            holds__isnull=True,
        ).order_by("pk")
    )
    patrons = Patron.objects.filter(status=Patron.Status.ACTIVE).annotate(
        out=Count("loans", filter=Q(loans__returned_at__isnull=True))
    )
    rng = random.Random(SEED)
    seats: list[str] = []
    for patron in patrons:
        rule = services.rule_for(patron, items[0])
        seats += [patron.card_number] * max(0, (rule.max_loans if rule else 0) - patron.out)
    rng.shuffle(seats)
    rng.shuffle(items)
    print(json.dumps([[card, item.barcode] for card, item in zip(seats, items, strict=False)]))


def measure_roster(ctx: Context, size: str) -> list[Result]:
    """A school's roster imported into an empty library, then the same file again."""
    path = roster_file(size)
    goal = f"< {ROSTER_GOALS_S[size]:g}"
    results = []
    targets: list[tuple[str, Database | None]] = [("", fresh_sqlite(f"roster-{size}"))]
    if ctx.pg_reachable():
        targets.append(("_pg", fresh_postgres(ctx.pg_url, f"roster_{size}")))
    for suffix, db in targets:
        if db is None:
            continue
        figures = roster_timings(db, path)
        print(f"  {db.label}: {figures}", flush=True)
        if figures["added"] != ROSTER_SIZES[size]:
            ctx.note(f"{db.label}: the roster import added {figures['added']} of {path.name}")
        results += [
            Result(f"roster_import_s_{size}{suffix}", round(figures["first"], 2), "s", goal),
            Result(f"roster_reimport_s_{size}{suffix}", round(figures["again"], 2), "s", goal),
        ]
    return results


def roster_file(size: str, seed: int = SEED) -> Path:
    """A made-up school roster (.xlsx), built once and kept under bench/data/."""
    count = ROSTER_SIZES[size]
    path = DATA / f"roster-{size}-{seed}.xlsx"
    if path.exists():
        return path
    import openpyxl  # type: ignore[import-untyped]

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    given = "子欣宇涵梓轩浩然雨萱诗琪思远佳怡一鸣俊杰若曦明哲可馨天佑晨阳语桐嘉懿博文"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["姓名", "学号", "性别", "年级", "班级", "入学年份", "家长电话"])
    per_class = 45
    classes_per_grade = -(-count // (12 * per_class))  # a twelve-year school
    for i in range(count):
        grade, rest = divmod(i, classes_per_grade * per_class)
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        sheet.append(
            [
                name,
                f"{2025 - grade}{grade + 1:02d}{rest:05d}",
                rng.choice("男女"),
                f"{grade + 1}年级",
                f"({rest // per_class + 1})班",
                str(2025 - grade),
                f"13{rng.randint(0, 999_999_999):09d}",
            ]
        )
    building = path.with_suffix(".building")
    book.save(building)
    building.rename(path)
    return path


def fresh_sqlite(name: str) -> Database:
    path = DATA / f"{name}.sqlite3"
    for old in DATA.glob(f"{name}.sqlite3*"):
        old.unlink()
    db = Database(f"sqlite {name}", {"DATABASE_URL": f"sqlite:///{path}"}, {})
    shuxiang(db, "init", "--quiet")
    return db


def fresh_postgres(base_url: str, suffix: str) -> Database:
    import psycopg

    parts = urllib.parse.urlsplit(base_url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    with psycopg.connect(_libpq(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    db = Database(f"postgres {suffix}", {"DATABASE_URL": url}, {})
    shuxiang(db, "init", "--quiet")
    return db


def roster_timings(db: Database, path: Path) -> dict[str, Any]:
    env = dict(environment(db), SHUXIANG_SCHOOL_TYPE="twelve_year")
    output = subprocess.run(
        [sys.executable, "-m", "bench.run", "--roster", str(path)],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout.decode()
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return figures


def roster_worker(path: Path) -> None:
    """In a child process on the database to measure: the import as `shuxiang import patrons`
    runs it, from the file to the committed rows, timed twice (the second finds no change)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from shuxiang.lib.roster import read_roster
    from shuxiang.patrons.roster import SKIP_BAD, import_roster

    timings = []
    added = 0
    for _ in range(2):
        started = time.perf_counter()
        result = import_roster(read_roster(path), by=None, via="cli", mode=SKIP_BAD)
        timings.append(time.perf_counter() - started)
        added = added or result.added
    print(json.dumps({"first": timings[0], "again": timings[1], "added": added}))


MARC_RECORDS = 50_000
MARC_GOAL_PER_S = 2000
MARC_WORKER = "shuxiang.marc.generate"


@benchmark("marc_import_records_per_s")
def marc_import(ctx: Context) -> list[Result]:
    """50,000 generated CNMARC records (1–3 copies each) imported into an empty library, end
    to end as `shuxiang import marc` runs it: read, map, check, write, index, originals kept."""
    path = DATA / f"marc-{MARC_RECORDS}-{SEED}.iso"  # written by the worker on first use
    targets: list[tuple[str, Database | None]] = [("", fresh_sqlite("marc-50k"))]
    if ctx.pg_reachable():
        targets.append(("_pg", fresh_postgres(ctx.pg_url, "marc_50k")))
    results = []
    for suffix, db in targets:
        if db is None:
            continue
        output = subprocess.run(
            [sys.executable, "-m", MARC_WORKER, "--bench", str(path), str(MARC_RECORDS)],
            env=environment(db),
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
        ).stdout.decode()
        figures = json.loads(output.strip().splitlines()[-1])
        print(f"  {db.label}: {figures}", flush=True)
        if figures["records"] != MARC_RECORDS:
            ctx.note(f"{db.label}: the MARC import added {figures['records']} of {path.name}")
        rate = round(figures["records_per_s"])
        results.append(
            Result(f"marc_import_records_per_s{suffix}", rate, "records/s", f"{MARC_GOAL_PER_S}")
        )
    return results


TERM_GOAL_S = 2.0


@benchmark("term_report_s_1m_loans")
def term_report(ctx: Context) -> list[Result]:
    """The school year's report (every figure, and the comparison with the year before) over
    a generated district: 30,000 patrons, 120,000 copies, 1,000,000 loans (bench/district.py).
    The figure is the best of three runs; the first, which reads the tables from disk, is
    noted."""
    targets: list[tuple[str, Database | None]] = [("", district_sqlite())]
    if ctx.pg_reachable():
        targets.append(("_pg", district_postgres(ctx.pg_url)))
    results = []
    for suffix, db in targets:
        if db is None:
            continue
        figures = json.loads(district_worker(db, "--report").strip().splitlines()[-1])
        print(f"  {db.label}: {figures}", flush=True)
        ctx.note(f"{db.label}: the year's report took {figures['first_s']} s on its first run")
        results.append(
            Result(f"term_report_s_1m_loans{suffix}", figures["best_s"], "s", f"< {TERM_GOAL_S:g}")
        )
    return results


def district_worker(db: Database, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "bench.district", *args],
        env=environment(db),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout.decode()


def district_sqlite() -> Database:
    """Built once and kept under bench/data (the loans take a minute or two to write)."""
    path = DATA / "district-1m.sqlite3"
    marker = DATA / "district-1m.json"
    db = Database("sqlite district-1m", {"DATABASE_URL": f"sqlite:///{path}"}, {})
    if path.exists() and marker.exists():
        shuxiang(db, "init", "--quiet")  # the schema as the code now wants it
        db.stats = json.loads(marker.read_text())
        return db
    db = fresh_sqlite("district-1m")
    db.stats = json.loads(district_worker(db).strip().splitlines()[-1])
    marker.write_text(json.dumps(db.stats))
    return db


def district_postgres(base_url: str) -> Database:
    db = fresh_postgres(base_url, "district_1m")
    db.stats = json.loads(district_worker(db).strip().splitlines()[-1])
    return db


LEDGER_ROWS = 50_000
LEDGER_GOAL_S = 30.0
LEDGER_DAY = datetime(2025, 8, 31, tzinfo=UTC).date()  # the generated ledger's last day
LEDGER_WORKER = "import sys, bench.run as b; b.ledger_worker(sys.argv[1])"


@benchmark("ledger_import_s_50k")
def ledger_import_50k(ctx: Context) -> list[Result]:
    """An Excel ledger of 50,000 copies imported into an empty library, end to end."""
    path = ledger_file()
    targets: list[tuple[str, Database | None]] = [("", fresh_sqlite("ledger-50k"))]
    if ctx.pg_reachable():
        targets.append(("_pg", fresh_postgres(ctx.pg_url, "ledger_50k")))
    results = []
    for suffix, db in targets:
        if db is None:
            continue
        output = subprocess.run(
            [sys.executable, "-c", LEDGER_WORKER, str(path)],
            env=environment(db),
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
        ).stdout.decode()
        figures = json.loads(output.strip().splitlines()[-1])
        print(f"  {db.label}: {figures}", flush=True)
        if figures["items"] != LEDGER_ROWS:
            ctx.note(f"{db.label}: the ledger import added {figures['items']} of {path.name}")
        results.append(
            Result(
                f"ledger_import_s_50k{suffix}",
                round(figures["seconds"], 2),
                "s",
                f"< {LEDGER_GOAL_S:g}",
            )
        )
    return results


def ledger_file(seed: int = SEED) -> Path:
    """A made-up item register (.xlsx, a row per copy, under a title row), built once and kept
    under bench/data/: the demo's generated books, their copies, prices written as 28.00元."""
    path = DATA / f"ledger-50k-{seed}.xlsx"
    if path.exists():
        return path
    import openpyxl

    from shuxiang.catalog import demo_data

    rng = random.Random(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("图书登记表")
    sheet.append(["某某学校图书馆 图书财产登记表（个别登记）"])
    sheet.append(
        ["登录号", "条码号", "书名", "作者", "出版社", "出版地", "出版年", "ISBN", "价格"]
        + ["分类号", "馆藏地点", "来源", "捐赠人", "入藏日期", "页数", "丛书名", "适读年级"]
    )
    places = {"STACKS": "书库", "TEACHERS": "教师阅览室", "REFERENCE": "工具书区"}
    roles = {"author": " 著", "editor": " 主编", "illustrator": " 绘", "translator": " 译"}
    rows = 0
    for record in demo_data.generate_records(LEDGER_ROWS, seed, this_year=2025):
        people = "；".join(c["name"] + roles[c["role"]] for c in record["contributors"])
        for copy in demo_data.plan_copies(record, rng)[: LEDGER_ROWS - rows]:
            rows += 1
            sheet.append(
                [f"{rows:06d}", f"B{rows:07d}", record["title"], people, record["publisher"]]
                + [record["place"], str(record["year"]), record["isbn"], f"{record['price']}元"]
                + [record["class_number"], places[copy["location"]]]
                + ["捐赠" if copy["source"] == "donation" else "购买", copy["donor"]]
                + [demo_data.received_on(rows / LEDGER_ROWS, LEDGER_DAY)]
                + [record["pages"], record["series"]]
                + [f"{record['grade_min']}-{record['grade_max']}"]
            )
        if rows >= LEDGER_ROWS:
            break
    building = path.with_suffix(".building")
    book.save(building)
    building.rename(path)
    return path


def ledger_worker(path: str) -> None:
    """In a child process on the database to measure: `shuxiang import books` as it runs,
    from the file to the committed rows and the filled search index."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from shuxiang.catalog.ledger import import_ledger, read_ledger

    started = time.perf_counter()
    result = import_ledger(read_ledger(Path(path)), by=None, via="cli")
    seconds = time.perf_counter() - started
    items = result.batch.items_added if result.batch else 0
    print(json.dumps({"seconds": seconds, "items": items, "errors": len(result.plan.errors)}))


def load_results(db: Database, size: str, suffix: str) -> list[Result]:
    rate = db.stats["records"] / max(db.stats["seconds"] - db.stats["index_seconds"], 1e-9)
    return [
        Result(f"load_records_per_s_{size}{suffix}", round(rate), "records/s"),
        Result(f"index_build_s_{size}{suffix}", round(db.stats["index_seconds"], 1), "s"),
    ]


def measure_search(ctx: Context, db: Database, size: str, suffix: str) -> list[Result]:
    base, token = ctx.server(db)
    mix = query_mix()
    print(f"  {db.label}: {len(mix)} queries x {ROUNDS} rounds", flush=True)
    for _, q in mix:  # one untimed round: the caches warm, the code paths loaded
        search(base, token, q)
    timings: dict[str, list[float]] = {}
    hits = 0
    for _ in range(ROUNDS):
        for kind, q in mix:
            ms, count = search(base, token, q)
            timings.setdefault(kind, []).append(ms)
            hits += count > 0
    everything = [ms for values in timings.values() for ms in values]
    goal = f"< {SEARCH_GOAL_MS:g}"
    results = [
        Result(f"search_p50_ms_{size}{suffix}", percentile(everything, 50), "ms", goal),
        Result(f"search_p95_ms_{size}{suffix}", percentile(everything, 95), "ms", goal),
        Result(f"search_hits_{size}{suffix}", round(100 * hits / len(everything), 1), "%", "100"),
    ]
    for kind, values in timings.items():
        results.append(
            Result(f"search_p95_ms_{size}_{kind}{suffix}", percentile(values, 95), "ms", goal)
        )
    return results


# --------------------------------------------------------------------------- queries


def query_mix(seed: int = SEED) -> list[tuple[str, str]]:
    """The same queries every run: words, authors, pinyin, initials, ISBNs, class numbers.

    Taken from the first 20,000 generated records, which every benchmark size contains.
    """
    from pypinyin import Style, lazy_pinyin

    from shuxiang.catalog import demo_data
    from shuxiang.lib import clc, isbn

    records = list(demo_data.generate_records(20_000, seed))
    rng = random.Random(42)
    vocabulary = sorted(
        {w for words in demo_data._W.values() for w in words if 2 <= len(w) <= 4}
        | {topic for topic, _ in demo_data.SCIENCE_TOPICS if 2 <= len(topic) <= 4}
    )

    def word_of(title: str) -> str | None:
        found = [w for w in vocabulary if w in title]
        return rng.choice(found) if found else None

    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}
    while any(len(v) < QUERIES_PER_KIND for v in kinds.values()):
        record = rng.choice(records)
        title = record["title"]
        word = word_of(title)
        author = record["contributors"][0]["name"]
        _add(kinds["word"], word)
        _add(kinds["author"], author if "·" not in author else None)
        spoken = word if rng.random() < 0.5 else author
        _add(
            kinds["pinyin"], "".join(lazy_pinyin(spoken)) if spoken and "·" not in spoken else None
        )
        if len(title) <= 6 and title.isalpha():
            _add(kinds["initials"], "".join(lazy_pinyin(title, style=Style.FIRST_LETTER)))
        number = record["isbn"]
        forms = [isbn.hyphenate(number), isbn.to_isbn10(number) or number]
        _add(kinds["isbn"], forms[len(kinds["isbn"]) % 2])
        prefixes = [a for a in clc.ancestors(record["class_number"]) if 2 <= len(a) <= 5]
        _add(kinds["class"], rng.choice(prefixes) if prefixes else None)
    return [(kind, q) for kind, values in kinds.items() for q in values]


def _add(bucket: list[str], value: str | None) -> None:
    if value and len(bucket) < QUERIES_PER_KIND and value not in bucket:
        bucket.append(value)


# --------------------------------------------------------------------------- HTTP


def get(url: str, token: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body: bytes = response.read()
    return (time.perf_counter() - started) * 1000, body


def search(base: str, token: str, q: str) -> tuple[float, int]:
    ms, body = get(f"{base}/api/v1/records?q={urllib.parse.quote(q)}", token)
    return ms, int(json.loads(body)["count"])


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return round(values[0], 2) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def start_server(db: Database) -> tuple[subprocess.Popen[bytes], str, str]:
    token = shuxiang(db, "token", BENCH_USER).strip().splitlines()[-1]
    port = free_port()
    log = open(DATA / f"server-{db.label.replace(' ', '-')}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "shuxiang.cli", "serve", "--port", str(port)],
        env=environment(db),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"shuxiang serve did not start, see {log.name}")
        with contextlib.suppress(OSError):
            get(f"{base}/api/v1/health", token)
            return process, base, token
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"shuxiang serve did not answer within 60 s, see {log.name}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- databases


def cache_key(size: str) -> str:
    digest = hashlib.sha256(f"{CACHE_VERSION}|{SIZES[size]}|{SEED}".encode())
    for name in CACHE_INPUTS:
        path = ROOT / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def build_sqlite(size: str) -> Database:
    key = cache_key(size)
    path = DATA / f"sqlite-{size}-{key}.sqlite3"
    stats_path = path.with_suffix(".json")
    db = Database(f"sqlite {size}", {"DATABASE_URL": f"sqlite:///{path}"}, {})
    if path.exists() and stats_path.exists():
        print(f"  {db.label}: cached {path.name}", flush=True)
        db.stats = json.loads(stats_path.read_text())
        return db
    for old in DATA.glob(f"sqlite-{size}-*"):
        old.unlink()
    building = path.with_name(path.name + ".building")
    db.env["DATABASE_URL"] = f"sqlite:///{building}"
    print(f"  {db.label}: building ({SIZES[size]:,} records) …", flush=True)
    db.stats = populate(db, size)
    # Fold the write-ahead log into the file, so that the file alone is the database.
    with contextlib.closing(sqlite3.connect(building)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    building.rename(path)
    db.env["DATABASE_URL"] = f"sqlite:///{path}"
    stats_path.write_text(json.dumps(db.stats))
    return db


def build_postgres(base_url: str, size: str) -> Database:
    import psycopg

    key = cache_key(size)
    parts = urllib.parse.urlsplit(base_url)
    name = f"{parts.path.lstrip('/')}_{size}"
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    db = Database(f"postgres {size}", {"DATABASE_URL": url}, {})
    with psycopg.connect(_libpq(base_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row and row[0] and row[0].startswith(key + " "):
            print(f"  {db.label}: cached database {name}", flush=True)
            db.stats = json.loads(row[0][len(key) + 1 :])
            return db
        print(f"  {db.label}: building ({SIZES[size]:,} records) …", flush=True)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    db.stats = populate(db, size)
    with psycopg.connect(_libpq(base_url), autocommit=True) as conn:
        comment = f"{key} {json.dumps(db.stats)}".replace("'", "''")
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")
    return db


def populate(db: Database, size: str) -> dict[str, Any]:
    shuxiang(db, "init", "--quiet")
    output = subprocess.run(
        [sys.executable, "-m", "bench.run", "--load", str(SIZES[size]), "--seed", str(SEED)],
        env=environment(db),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout.decode()
    stats: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    shuxiang(db, "user", "add", BENCH_USER, "--role", "librarian", "--password", BENCH_PASSWORD)
    print(
        f"  {db.label}: {stats['records']:,} records, {stats['items']:,} items "
        f"in {stats['seconds']:.0f} s (index {stats['index_seconds']:.0f} s)",
        flush=True,
    )
    return stats


def load_worker(records: int, seed: int) -> None:
    """Runs in a child process whose environment points at the database being built."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from shuxiang.catalog import demo

    def progress(what: str) -> Callable[[int, int], None]:
        shown = [-1]

        def show(done: int, total: int) -> None:
            # About every 5 %: enough to see it move, little enough for a log file.
            step = done * 20 // max(total, 1)
            if step != shown[0]:
                shown[0] = step
                print(f"  {what} {done:,}/{total:,}", file=sys.stderr, flush=True)

        return show

    report = demo.load_demo(
        records, seed=seed, progress=progress("records"), index_progress=progress("index")
    )
    print(json.dumps(asdict(report)))


def environment(db: Database) -> dict[str, str]:
    env = dict(os.environ, **db.env)
    env["SHUXIANG_DATA_DIR"] = str(DATA / "home")
    env.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    return env


def shuxiang(db: Database, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shuxiang.cli", *args],
        env=environment(db),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    )
    return done.stdout.decode()


def pg_version(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:  # any failure means: no PostgreSQL figures this time
        return None


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _safe_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port or 5432}{parts.path}"


# --------------------------------------------------------------------------- output


def machine(pg_url: str) -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = ""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    pg = pg_version(pg_url)
    return (
        f"{cpu}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {pg or 'not reachable'}"
    )


def write_results(new: list[Result], ctx: Context) -> list[Result]:
    """Merge into results.json: a partial run (--only, --quick) keeps the other figures."""
    old: list[Result] = []
    if RESULTS.exists():
        old = [Result(**r) for r in json.loads(RESULTS.read_text()).get("results", [])]
    fresh = {r.name for r in new}
    kept = [r for r in old if r.name not in fresh]
    if kept:
        ctx.notes.append(
            "Not measured in this run, kept from the previous results.json: "
            + ", ".join(f"`{r.name}`" for r in kept)
            + "."
        )
    merged = kept + new
    document = {"machine": machine(ctx.pg_url), "results": [asdict(r) for r in merged]}
    RESULTS.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    write_report(document, merged, ctx)
    return merged


def write_report(document: dict[str, Any], results: list[Result], ctx: Context) -> None:
    floor_ms = next((r.value for r in results if r.name == "floor_p50_ms"), None)
    headline = [r for r in results if r.name.startswith(("floor", "search_p50", "search_p95"))]
    per_kind = [r for r in headline if any(f"_{kind}" in r.name for kind in KINDS)]
    headline = [r for r in headline if r not in per_kind]
    roster = [r for r in results if r.name.startswith(("roster_import", "roster_reimport"))]
    circulation = [r for r in results if r.name.startswith(CIRCULATION_FIGURES)]
    sip2 = [r for r in results if r.name.startswith("sip2_")]
    others = [r for r in results if r not in headline + per_kind + roster + circulation + sip2]
    lines = [
        "# Benchmark report",
        "",
        f"Written by `python -m bench.run` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"at commit `{_commit()}`.",
        "",
        f"**Machine:** {document['machine']}",
        "",
        f"**Floor** (GET /api/v1/health on the same server): "
        f"{floor_ms if floor_ms is not None else '—'} ms at p50. Every HTTP figure below "
        "includes it.",
        "",
        *_table("Search", headline),
        *_table("Search p95 by kind of query", per_kind),
        *_table("Loading and hits", others),
        *_table("Roster import", roster),
        *_table("Circulation over HTTP (demo school)", circulation),
        *_table("Self-check kiosk over SIP2 (demo school)", sip2),
        "## Notes",
        "",
        *([f"- {n}" for n in ctx.notes] or ["- (none)"]),
        "",
    ]
    method = (BENCH / "README.md").read_text().split("<!-- report -->", 1)[-1]
    lines += [method.split("<!-- /report -->", 1)[0].strip(), ""]
    REPORT.write_text("\n".join(lines))


def _table(title: str, results: list[Result]) -> list[str]:
    def order(r: Result) -> tuple[bool, int, int, str]:
        size = 0 if "_100k" in r.name else 1 if "_1m" in r.name else -1
        rank = next((i for i, p in enumerate(CIRCULATION_ORDER) if r.name.startswith(p)), -1)
        return r.name.endswith("_pg"), size, rank, r.name

    lines = [f"## {title}", "", "| figure | value | unit | goal | met |", "|---|---:|---|---|---|"]
    lines += [
        f"| `{r.name}` | {r.value:g} | {r.unit} | {r.goal} | {_met(r)} |"
        for r in sorted(results, key=order)
    ]
    return [*lines, ""] if results else []


def _met(r: Result) -> str:
    if r.goal.startswith("≤ "):
        return "yes" if r.value <= float(r.goal[2:]) else "**no**"
    if r.goal.startswith("< "):
        return "yes" if r.value < float(r.goal[2:]) else "**no**"
    if r.goal:
        return "yes" if r.value >= float(r.goal) else "**no**"
    return ""


def _commit() -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *CACHE_INPUTS], cwd=ROOT, capture_output=True
        ).stdout
        return sha.strip() + (" + uncommitted changes to the measured code" if dirty else "")
    return "unknown"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=DESCRIPTION)
    parser.add_argument("--quick", action="store_true", help="100k records only")
    parser.add_argument(
        "--only", action="append", choices=sorted(REGISTRY), help="run only this benchmark"
    )
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    parser.add_argument("--roster", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load is not None:
        load_worker(args.load, args.seed)
        return
    if args.roster is not None:
        roster_worker(args.roster)
        return
    if args.plan:
        plan_worker()
        return

    sys.path.insert(0, str(ROOT))
    DATA.mkdir(parents=True, exist_ok=True)
    sizes = ["100k"] if args.quick else list(SIZES)
    ctx = Context(sizes, os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG)
    results: list[Result] = []
    load_before = os.getloadavg()[0]
    try:
        for name in args.only or list(REGISTRY):
            print(f"== {name}", flush=True)
            started = time.perf_counter()
            got = REGISTRY[name](ctx)
            for r in got:
                print(f"  {r.name:<36} {r.value:>10g} {r.unit:<10} {r.goal}", flush=True)
            print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
            results += got
    finally:
        ctx.stop_servers()
    # Figures taken while other work shares the CPU are slower than the code is.
    ctx.notes.append(
        f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} "
        f"at the end, on {os.cpu_count()} cores."
    )
    write_results(results, ctx)
    print(f"wrote {RESULTS.relative_to(ROOT)} and {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
