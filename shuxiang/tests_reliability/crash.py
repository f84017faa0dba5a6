"""Killing a process at a chosen moment, and checking what it left in the database.

The child runs against the very database the test uses: its address is built from the test
connection's settings (SHUXIANG_TEST_DB only names the test runner's file, the child needs
the file or PostgreSQL database itself).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.db import connection, models

from shuxiang.catalog.models import Record


def database_url() -> str:
    """DATABASE_URL for the test database this process is connected to."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    user = quote(config["USER"] or "", safe="")
    password = quote(config["PASSWORD"] or "", safe="")
    host = config["HOST"] or "localhost"
    port = config["PORT"] or "5432"
    return f"postgres://{user}:{password}@{host}:{port}/{config['NAME']}"


def child_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SHUXIANG_DATA_DIR": str(settings.DATA_DIR),
        "PYTHONUNBUFFERED": "1",  # the marker line must reach us when it is written
    }


@dataclass
class Run:
    returncode: int
    output: str
    done_after: float | None  # seconds from the marker to the `done` text, if it came

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def run_shuxiang(args: list[str], marker: str, done: str, kill_after: float | None) -> Run:
    """Run `shuxiang ARGS` in its own process group; kill_after seconds after `marker` shows
    in its output, SIGKILL the whole group (workers included), as a power cut would.
    `done` is the text printed once the work is committed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "shuxiang.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=child_env(),
        start_new_session=True,
    )
    assert child.stdout is not None
    chunks: list[bytes] = []
    seen = threading.Event()
    finished: list[float] = []

    def read() -> None:
        assert child.stdout is not None
        for chunk in iter(lambda: os.read(child.stdout.fileno(), 4096), b""):  # type: ignore[union-attr]
            chunks.append(chunk)
            output = b"".join(chunks)
            if marker.encode() in output:
                seen.set()
            if done.encode() in output and not finished:
                finished.append(time.monotonic())
        seen.set()  # the end of output: the child is done, marker or not

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen.wait(timeout=120)
    started = time.monotonic()
    if kill_after is not None:
        time.sleep(kill_after)
        if child.poll() is None:
            # It may finish between poll() and the kill.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
    returncode = child.wait(timeout=120)
    reader.join(timeout=10)
    child.stdout.close()
    done_after = finished[0] - started if finished else None
    return Run(returncode, b"".join(chunks).decode("utf-8", "replace"), done_after)


# --------------------------------------------------------------------------- the checks


def integrity_problems(*, search_index: bool = True) -> list[str]:
    """What a database checker would complain about; empty when the database is sound.
    search_index: also require an index row for every record and none other."""
    problems = orphans()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            result = [row[0] for row in cursor.fetchall()]
            if result != ["ok"]:
                problems.extend(f"integrity_check: {line}" for line in result)
            cursor.execute("PRAGMA foreign_key_check")
            problems.extend(f"foreign_key_check: {row}" for row in cursor.fetchall())
            # FTS5's own check: its shadow tables agree with one another.
            table = "catalog_record_search"
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
    indexed, records = search_index_ids(), set(Record.objects.values_list("id", flat=True))
    if search_index and indexed != records:
        problems.append(
            f"search index: {len(indexed - records)} rows without a record, "
            f"{len(records - indexed)} records without a row"
        )
    return problems


def orphans() -> list[str]:
    """Rows whose foreign key points at nothing, for every model and key (both databases:
    PostgreSQL enforces keys itself, but this says so rather than assuming it)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey):
                continue
            target = field.related_model
            assert isinstance(target, type)
            keys = target._base_manager.values(field.target_field.attname)
            stray = (
                model._base_manager.exclude(**{f"{field.attname}__isnull": True})
                .exclude(**{f"{field.attname}__in": keys})
                .count()
            )
            if stray:
                found.append(f"{model._meta.label}.{field.name}: {stray} rows point at nothing")
    return found


def search_index_ids() -> set[int]:
    column = "rowid" if connection.vendor == "sqlite" else "record_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM catalog_record_search")
        return {row[0] for row in cursor.fetchall()}
