"""Backup and restore (备份与恢复): one file holds the whole library, taken while the desk works.

SQLite: the database's own online backup (the sqlite3 backup API) copies a consistent
snapshot page by page while the desk goes on lending (WAL: the copy reads, the desk writes);
the copy is checked (PRAGMA integrity_check) before it takes its final name, so a file named
like a backup always is one. PostgreSQL: `pg_dump --format=custom`, which reads one snapshot.

Restore puts a backup back: it refuses a file that is not a Shuxiang backup, one from a
newer version of Shuxiang, one from the other kind of database, and — unless told to — a
database that already holds books, readers or loans. An older backup is brought up to date
by the migrations afterwards. Everything a user reads here is in Chinese.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"
NIGHTLY_PREFIX = "shuxiang-"
# The tables whose rows make a library worth keeping: restore will not write over them.
KEPT_TABLES = ("catalog_record", "catalog_item", "patrons_patron", "circulation_loan")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the librarian."""


@dataclass(frozen=True)
class Done:
    path: Path
    size: int
    seconds: float


def vendor() -> str:
    return connection.vendor


def _sqlite_path() -> Path:
    return Path(str(connection.settings_dict["NAME"]))


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
    ):
        if value:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）"
        )
    return found


# ----------------------------------------------------------------------------- backup


def backup(target: Path) -> Done:
    """Write the whole database to `target`, replacing it only once the copy is complete."""
    started = time.perf_counter()
    target = target.expanduser()
    if target.is_dir():
        raise BackupError(f"{target} 是一个文件夹：请给出备份文件的名字，或用 --dir 每日备份")
    if not target.parent.exists():
        raise BackupError(f"文件夹 {target.parent} 不存在")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if vendor() == "sqlite":
            _sqlite_backup(partial)
        else:
            _pg_backup(partial)
        os.replace(partial, target)
    except OSError as error:
        raise BackupError(f"无法写入 {target}：{error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Done(target, target.stat().st_size, time.perf_counter() - started)


def _sqlite_backup(partial: Path) -> None:
    source = sqlite3.connect(_sqlite_path(), timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # All pages in one step: one read snapshot, so the copy is one moment of the library
        # even while the desk writes (WAL lets it).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份副本未通过完整性检查，已放弃；请再试一次")
    finally:
        copy.close()
        source.close()


def _pg_backup(partial: Path) -> None:
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)]
    done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:300]}")


def nightly(directory: Path, keep: int, *, now: datetime | None = None) -> tuple[Done, list[Path]]:
    """A dated backup in `directory`, and the oldest ones beyond `keep` removed (轮换)."""
    if keep < 1:
        raise BackupError("--keep 至少为 1")
    directory = directory.expanduser()
    if not directory.is_dir():
        raise BackupError(f"文件夹 {directory} 不存在")
    moment = timezone.localtime(now or timezone.now())
    suffix = "sqlite3" if vendor() == "sqlite" else "pgdump"
    done = backup(directory / f"{NIGHTLY_PREFIX}{moment:%Y%m%d-%H%M%S}.{suffix}")
    ours = sorted(
        p for p in directory.iterdir() if p.name.startswith(NIGHTLY_PREFIX) and p.is_file()
    )
    removed = ours[: max(0, len(ours) - keep)]
    for old in removed:
        old.unlink()
    return done, removed


# ----------------------------------------------------------------------------- restore


def kind_of(path: Path) -> str:
    """'sqlite' or 'postgresql' by the file's first bytes; BackupError for anything else."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise BackupError(f"找不到文件 {path}") from None
    except OSError as error:
        raise BackupError(f"无法读取 {path}：{error.strerror or error}") from None
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_HEADER):
        return "postgresql"
    raise BackupError(f"{path} 不是书香的备份文件（既不是 SQLite 数据库，也不是 pg_dump 文件）")


def holds_data() -> bool:
    """Whether the database already has books, readers or loans (a fresh `init` has none)."""
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in KEPT_TABLES:
            if table in present:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone() is not None:
                    return True
    return False


def _known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _check_sqlite_backup(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"无法打开备份 {path}：{error}") from None
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"备份 {path} 已损坏（未通过完整性检查），没有恢复")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "django_migrations" not in tables or "catalog_record" not in tables:
            raise BackupError(f"{path} 是 SQLite 数据库，但不是书香的备份")
        applied = set(db.execute("SELECT app, name FROM django_migrations").fetchall())
    except sqlite3.DatabaseError as error:
        raise BackupError(f"备份 {path} 无法读取：{error}") from None
    finally:
        db.close()
    newer = sorted(f"{app}.{name}" for app, name in applied - _known_migrations())
    if newer:
        raise BackupError(
            f"这份备份来自更新版本的书香（含本版本没有的迁移 {newer[0]} 等），请先升级书香再恢复"
        )


def restore(path: Path, *, force: bool, migrate: Callable[[], None]) -> Done:
    """Put the backup in place of the database's contents, then bring it up to date."""
    started = time.perf_counter()
    path = path.expanduser()
    kind = kind_of(path)
    if kind != vendor():
        here = "SQLite" if vendor() == "sqlite" else "PostgreSQL"
        there = "SQLite" if kind == "sqlite" else "PostgreSQL"
        raise BackupError(f"这是 {there} 的备份，当前数据库是 {here}：不能直接恢复")
    if kind == "sqlite":
        _check_sqlite_backup(path)
    if holds_data() and not force:
        raise BackupError(
            "当前数据库已有图书、读者或借阅记录，没有恢复。确认要用备份覆盖它们，请加 --force"
        )
    connections.close_all()
    if kind == "sqlite":
        _sqlite_restore(path)
    else:
        _pg_restore(path)
    connections.close_all()
    migrate()
    return Done(path, path.stat().st_size, time.perf_counter() - started)


def _sqlite_restore(path: Path) -> None:
    # Through the backup API into the live file: one write transaction, so a reader sees the
    # old library or the restored one, never half of each; a copy taken first keeps the old.
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    live = sqlite3.connect(_sqlite_path(), timeout=30)
    try:
        source.backup(live, pages=-1)
    except sqlite3.Error as error:
        raise BackupError(f"恢复失败，数据库未改变：{error}") from None
    finally:
        live.close()
        source.close()
    # The backup file is in rollback-journal mode; every new connection of Shuxiang's own
    # sets WAL again (settings' init_command), so the mode comes back by itself.


def _pg_restore(path: Path) -> None:
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--dbname",
        str(connection.settings_dict["NAME"]),
        str(path),
    ]
    done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未改变：{done.stderr.strip()[:300]}")
