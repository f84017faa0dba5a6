"""`shuxiang backup` and `shuxiang restore`, on SQLite and on PostgreSQL alike.

A backup taken while desks lend restores to a library that holds together (every copy on
loan has its open loan, every loan its events); backup → restore → backup gives the same
rows; restore refuses what it must, in Chinese, and then changes nothing.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.models import Loan
from shuxiang.circulation.tests.test_concurrent_checkouts import (
    BARCODES,
    CARDS,
    NOW,
    Library,
    in_threads,
    scan_at_random,
)
from shuxiang.lib import backup
from shuxiang.patrons.models import Patron


def rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model's table, in primary-key order: the library as data."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        table, pk = model._meta.db_table, model._meta.pk
        if table not in connection.introspection.table_names() or pk is None:
            continue
        quote = connection.ops.quote_name
        names = ", ".join(quote(str(f.column)) for f in model._meta.concrete_fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {names} FROM {quote(table)} ORDER BY {quote(str(pk.column))}"  # noqa: S608
            )
            found[table] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    return found


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


class BackupAndRestoreTests(Library):
    """The concurrent checkouts' library: eight readers, six copies of 西游记."""

    def setUp(self) -> None:
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def lend_some(self) -> None:
        desk = services.Channel(by=None, station="desk")
        services.check_out(CARDS[0], BARCODES[0], desk, now=NOW)
        services.check_out(CARDS[1], BARCODES[1], desk, now=NOW)
        services.check_in(BARCODES[1], desk, now=NOW)

    def test_backup_restore_backup_gives_the_same_library(self) -> None:
        self.lend_some()
        before = rows()
        first = self.folder / "one.backup"
        self.assertIn("已备份到", run("backup", str(first)))
        Patron.objects.filter(card_number=CARDS[5]).update(name="改错的名字")  # a mistake
        run("restore", str(first), "--force")
        self.assertEqual(rows() | {"accounts_auditlog": []}, before | {"accounts_auditlog": []})
        second = self.folder / "two.backup"
        run("backup", str(second))
        run("restore", str(second), "--force")
        self.assertEqual(rows() | {"accounts_auditlog": []}, before | {"accounts_auditlog": []})
        self.assertEqual(Loan.objects.open().get().item.barcode, BARCODES[0])

    def test_a_backup_taken_while_desks_lend_restores_to_a_consistent_library(self) -> None:
        done = threading.Event()
        taken: list[Path] = []

        def desks(n: int) -> None:
            if n == 0:  # the backup, in the middle of the burst
                while Loan.objects.count() < 3:
                    time.sleep(0.005)
                taken.append(backup.backup(self.folder / "busy.backup").path)
                done.set()
                return
            while not done.is_set():
                scan_at_random(n + len(taken) * 100)

        self.assertEqual(in_threads(5, desks), [])
        self.assertGreater(Loan.objects.count(), 0)
        run("restore", str(taken[0]), "--force")
        self.assertConsistent()

    def test_restore_refuses_a_library_that_has_data_and_changes_nothing(self) -> None:
        self.lend_some()
        path = self.folder / "one.backup"
        run("backup", str(path))
        services.check_out(CARDS[2], BARCODES[2], services.Channel(by=None), now=NOW)
        with self.assertRaisesMessage(CommandError, "当前数据库已有图书、读者或借阅记录"):
            run("restore", str(path))
        self.assertEqual(Loan.objects.open().count(), 2)

    def test_restore_fills_an_empty_library(self) -> None:
        self.lend_some()
        path = self.folder / "one.backup"
        run("backup", str(path))
        expected = rows()
        run("flush", "--no-input")
        self.assertFalse(backup.holds_data())
        self.assertIn("已从", run("restore", str(path)))  # no --force needed
        self.assertEqual(rows()["circulation_loan"], expected["circulation_loan"])
        self.assertTrue(AuditLog.objects.filter(action="backup_restored").exists())

    def test_restore_refuses_what_is_not_a_shuxiang_backup(self) -> None:
        text = self.folder / "notes.txt"
        text.write_text("这不是备份", encoding="utf-8")
        with self.assertRaisesMessage(CommandError, "不是书香的备份文件"):
            run("restore", str(text), "--force")
        with self.assertRaisesMessage(CommandError, "找不到文件"):
            run("restore", str(self.folder / "missing.backup"), "--force")
        broken = self.folder / "broken.backup"
        broken.write_bytes(backup.SQLITE_HEADER + b"\x00" * 200)
        with self.assertRaises(CommandError) as refused:
            run("restore", str(broken), "--force")
        if connection.vendor == "sqlite":
            self.assertRegex(str(refused.exception), "已损坏|无法读取|无法打开")
        else:
            self.assertIn("当前数据库是 PostgreSQL", str(refused.exception))
        self.assertEqual(Item.objects.count(), len(BARCODES))

    def test_restore_refuses_a_backup_from_a_newer_shuxiang(self) -> None:
        path = self.folder / "new.backup"
        run("backup", str(path))
        if connection.vendor != "sqlite":
            # pg_dump's custom format cannot be edited here: the check is SQLite's (the
            # PostgreSQL restore is one transaction, so a failure leaves the library as it was).
            self.assertEqual(backup.kind_of(path), "postgresql")
            return
        import sqlite3  # noqa: PLC0415 - only this branch edits a backup file

        db = sqlite3.connect(path)
        db.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('circulation', '9999_from_the_future', '2030-01-01')"
        )
        db.commit()
        db.close()
        with self.assertRaisesMessage(CommandError, "来自更新版本的书香"):
            run("restore", str(path), "--force")

    def test_a_backup_never_leaves_half_a_file_under_its_name(self) -> None:
        with self.assertRaisesMessage(CommandError, "不存在"):
            run("backup", str(self.folder / "no-such-folder" / "x.backup"))
        with self.assertRaisesMessage(CommandError, "是一个文件夹"):
            run("backup", str(self.folder))
        with self.assertRaisesMessage(CommandError, "请给出备份文件"):
            run("backup")
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_the_nightly_backup_keeps_the_newest_ones(self) -> None:
        zone = ZoneInfo("Asia/Shanghai")
        for day in (1, 2, 3):
            backup.nightly(self.folder, keep=2, now=datetime(2026, 11, day, 2, tzinfo=zone))
        names = sorted(p.name for p in self.folder.iterdir())
        suffix = "sqlite3" if connection.vendor == "sqlite" else "pgdump"
        self.assertEqual(
            names,
            [f"shuxiang-20261102-020000.{suffix}", f"shuxiang-20261103-020000.{suffix}"],
        )
        out = run("backup", "--dir", str(self.folder), "--keep", "1")
        self.assertIn("已删除旧备份 shuxiang-20261102-020000", out)
        self.assertEqual(len(list(self.folder.iterdir())), 1)
