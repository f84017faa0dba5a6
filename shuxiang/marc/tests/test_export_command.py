"""`shuxiang export marc`: the file to --output or standard output, errors in one line."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pymarc
from django.core.management import call_command
from django.core.management.base import CommandError

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services
from shuxiang.catalog.models import ImportBatch, Record
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.cli import translate
from shuxiang.test import BaseTestCase


class ExportCommandTest(BaseTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def run_command(self, *args: str) -> tuple[bytes, str]:
        """Standard output as bytes (the file) and standard error as text (the talk)."""
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        stderr = io.StringIO()
        with mock.patch("sys.stdout", stdout):
            call_command("export_marc", *args, stderr=stderr)
        stdout.flush()
        buffer = stdout.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue(), stderr.getvalue()

    def test_the_shuxiang_command_maps_to_it(self) -> None:
        self.assertEqual(translate(["export", "marc", "--flavour", "marc21"]),
                         ["export_marc", "--flavour", "marc21"])  # fmt: skip

    def test_it_writes_cnmarc_to_standard_output_and_talks_on_standard_error(self) -> None:
        data, talk = self.run_command()
        [marc] = pymarc.MARCReader(data, force_utf8=True)
        assert marc is not None
        self.assertEqual(marc["200"]["a"], "西游记")
        self.assertIn("导出 1/1 条书目", talk)
        self.assertIn("完成：导出 1 条书目", talk)
        log = AuditLog.objects.get(action="marc_exported")
        self.assertEqual((log.via, log.detail["records"]), ("cli", 1))

    def test_it_writes_a_gbk_file_to_output(self) -> None:
        target = self.dir / "out.iso"
        data, talk = self.run_command("--encoding", "gbk", "--output", str(target), "--quiet")
        self.assertEqual(data, b"")
        self.assertIn(f"已写入 {target}", talk)
        written = target.read_bytes()
        self.assertIn("西游记".encode("gbk"), written)
        [marc] = pymarc.MARCReader(written, file_encoding="gb18030")
        assert marc is not None
        self.assertEqual(marc["100"]["a"][26:30], "0120")

    def test_it_writes_marc21_marcxml(self) -> None:
        data, _ = self.run_command("--flavour", "marc21", "--format", "marcxml")
        [marc] = pymarc.parse_xml_to_array(io.BytesIO(data))  # type: ignore[no-untyped-call]
        self.assertEqual(marc["245"]["a"], "西游记")

    def test_it_selects_by_class_batch_and_barcode_file(self) -> None:
        other = services.catalogue_record(
            RecordData(title="趣味数学", class_number="O1"), [ItemData(barcode="M1")], by=None
        )
        batch = ImportBatch.objects.create(kind=ImportBatch.Kind.MARC)
        Record.objects.filter(pk=other.pk).update(import_batch=batch)
        codes = self.dir / "codes.txt"
        codes.write_text("T0002\nNOPE\n", encoding="utf-8")
        talks = []
        for args, title in [
            (("--class", "O"), "趣味数学"),
            (("--batch", "last"), "趣味数学"),
            (("--barcodes", str(codes)), "西游记"),
            (("--from", "2000-01-01", "--records", str(self._ids(other.pk))), "趣味数学"),
        ]:
            data, talk = self.run_command(*args, "--quiet")
            talks.append(talk)
            [marc] = pymarc.MARCReader(data, force_utf8=True)
            assert marc is not None
            self.assertEqual(marc["200"]["a"], title, args)
        self.assertIn("1 个条码号找不到：NOPE", talks[2])

    def _ids(self, *ids: int) -> Path:
        path = self.dir / "ids.txt"
        path.write_text("\n".join(map(str, ids)), encoding="utf-8")
        return path

    def test_it_fails_with_one_chinese_line(self) -> None:
        cases = [
            (("--flavour", "marc21", "--encoding", "gbk"), "MARC21 没有 GBK 编码"),
            (("--encoding", "latin1"), "不认识的编码“latin1”"),
            (("--format", "marcxml", "--encoding", "gbk"), "MARCXML 只用 UTF-8"),
            (("--from", "2026-02-30"), "开始日期“2026-02-30”不是日期"),
            (("--from", "2026-09-02", "--to", "2026-09-01"), "开始日期晚于结束日期"),
            (("--batch", "7"), "没有编号为 7 的导入批次"),
            (("--class", "Z9"), "没有符合条件的书目，未导出"),
            (("--barcodes", str(self.dir / "none.txt")), "无法读取文件"),
        ]
        for args, message in cases:
            with self.assertRaisesMessage(CommandError, message):
                self.run_command(*args)
        self.assertFalse(AuditLog.objects.filter(action="marc_exported").exists())
