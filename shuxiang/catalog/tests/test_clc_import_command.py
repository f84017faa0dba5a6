from __future__ import annotations

import gzip
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.test import TestCase

from shuxiang import cli
from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import clc_table
from shuxiang.catalog.models import ClcClass
from shuxiang.catalog.tests.test_clc_table import SMALL_TABLE, load_small


def run(*args: str) -> str:
    out = StringIO()
    call_command(*cli.translate(["import", "clc", *args]), stdout=out)
    return out.getvalue()


class ImportClcTests(TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())

    def write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)

    def test_it_replaces_the_table_from_a_file(self) -> None:
        ClcClass.objects.create(code="A", name="旧表", depth=1)
        output = run(self.write("clc.csv", SMALL_TABLE.encode()))
        self.assertIn("31 个类目", output)
        self.assertIn("载入中图法 31/31", output)
        self.assertEqual(ClcClass.objects.count(), 31)
        self.assertFalse(ClcClass.objects.filter(code="A").exists())
        log = AuditLog.objects.get(action="clc_table_loaded")
        self.assertEqual((log.via, log.detail["classes"], log.detail["replaced"]), ("cli", 31, 1))

    def test_it_reads_a_gzipped_gb18030_file(self) -> None:
        run(self.write("clc.csv.gz", gzip.compress(SMALL_TABLE.encode("gb18030"))), "--quiet")
        self.assertEqual(ClcClass.objects.get(code="I287.5").name, "故事")

    def test_it_only_reports_on_a_dry_run(self) -> None:
        load_small()
        output = run(self.write("clc.csv", b"code,name\nI,wen xue\n"), "--dry-run")
        self.assertIn("试运行：将载入 1 个类目，替换现有的 31 个", output)
        self.assertEqual(ClcClass.objects.count(), 31)
        self.assertFalse(AuditLog.objects.filter(action="clc_table_loaded").exists())

    def test_it_refuses_a_malformed_file_by_line_and_changes_nothing(self) -> None:
        load_small()
        path = self.write("bad.csv", "code,name\nI,文学\nI2,中国文学\nL12,不存在\n".encode())
        with self.assertRaises(CommandError) as caught:
            run(path)
        message = str(caught.exception)
        self.assertIn("第 4 行", message)
        self.assertIn("分类表未改动", message)
        self.assertNotIn("\n", message)
        self.assertEqual(ClcClass.objects.count(), 31)

    def test_it_refuses_a_missing_file(self) -> None:
        with self.assertRaisesMessage(CommandError, "找不到文件"):
            run(str(self.dir / "nowhere.csv"))

    def test_it_can_skip_bad_rows_and_list_them(self) -> None:
        path = self.write("some-bad.csv", "code,name\nI,文学\nL12,不存在\nI2,中国文学\n".encode())
        output = run(path, "--skip-bad")
        self.assertIn("跳过有错的 1 行", output)
        self.assertIn("第 3 行", output)
        self.assertEqual(sorted(ClcClass.objects.values_list("code", flat=True)), ["I", "I2"])

    def test_it_leaves_the_table_whole_when_the_database_fails_midway(self) -> None:
        load_small()
        insert = ClcClass.objects.bulk_create
        calls = []

        def fail_on_second_batch(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise DatabaseError("disk I/O error")
            return insert(*args, **kwargs)

        path = self.write("clc.csv", SMALL_TABLE.replace("故事", "新故事").encode())
        failing = mock.patch.object(ClcClass.objects, "bulk_create", fail_on_second_batch)
        with (
            failing,
            self.assertRaisesMessage(CommandError, "载入失败，分类表未改动：disk I/O error"),
        ):
            run(path, "--quiet")
        self.assertEqual(ClcClass.objects.count(), 31)
        self.assertEqual(ClcClass.objects.get(code="I287.5").name, "故事")


class ShippedTableTests(TestCase):
    """The copy that ships with Shuxiang, loaded once for the class (about two seconds)."""

    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = run("--quiet")

    def test_it_loads_every_class_of_the_shipped_table(self) -> None:
        self.assertIn("45785 个类目", self.output)
        self.assertEqual(ClcClass.objects.count(), 45785)
        self.assertEqual(ClcClass.objects.filter(parent=None).count(), 22)

    def test_it_hangs_each_class_one_level_below_its_parent(self) -> None:
        # Compared in Python: a self-join over 45k fresh, unanalysed rows makes PostgreSQL
        # pick a nested loop that takes minutes.
        depth = dict(ClcClass.objects.values_list("id", "depth"))
        rows = ClcClass.objects.exclude(parent=None).values_list("depth", "parent_id")
        wrong = [d for d, parent in rows if d != depth[parent] + 1]
        self.assertEqual(wrong, [])
        self.assertFalse(ClcClass.objects.filter(parent=None).exclude(depth=1).exists())

    def test_it_knows_the_classes_a_school_library_uses_most(self) -> None:
        path = clc_table.breadcrumb("I287.5")
        self.assertEqual([c.code for c in path], ["I", "I2", "I28", "I287", "I287.5"])
        self.assertEqual([c.name for c in path][2:], ["儿童文学", "当代作品（1949年~）", "故事"])
        for code in ["Z228.1", "G623.2", "K825.6", "H319.4", "I247.5", "TP312"]:
            with self.subTest(code):
                self.assertEqual(ClcClass.objects.filter(code=code).count(), 1)
        # Numbers built with the auxiliary tables stand under a class of the table.
        for code, nearest in [("TP311.13", "TP311.1"), ("O1-49", "O1"), ("K825.6=74", "K825.6")]:
            with self.subTest(code):
                found = clc_table.nearest_class(code)
                self.assertEqual(found.code if found else None, nearest)

    def test_it_lists_the_main_classes_in_order(self) -> None:
        main = [c.code for c in clc_table.children(None)]
        self.assertEqual(main, list("ABCDEFGHIJKNOPQRSTUVXZ"))
