"""`shuxiang export labels`: the label screen's selections and sheets from the command line."""

from __future__ import annotations

import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command

from shuxiang.catalog.tests.test_labels_selection import LabelCase
from shuxiang.lib.tests.test_labels_drawing import decode, page_text, pages


class ExportLabelsTests(LabelCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.output = self.folder / "labels.pdf"

    def export(self, *args: str) -> str:
        out = StringIO()
        call_command("export_labels", *args, "--output", str(self.output), stdout=out)
        return out.getvalue()

    def test_it_writes_barcode_labels_for_a_range(self) -> None:
        said = self.export(
            "--kind", "barcode", "--symbology", "code39", "--from", "T9", "--to", "T11"
        )
        self.assertEqual(said.strip(), f"3 册，1 页 → {self.output}")
        self.assertEqual(
            decode(self.output.read_bytes()), [("Code 39", f"T00{n}") for n in ("09", "10", "11")]
        )

    def test_it_prints_the_last_import_from_a_start_position(self) -> None:
        said = self.export("--kind", "combined", "--batch", "last", "--start", "21")
        self.assertIn("2 册，2 页", said)
        pdf = self.output.read_bytes()
        self.assertEqual(pages(pdf), 2)
        self.assertEqual(decode(pdf, 0), [("Code 128", "B0005")])

    def test_it_reads_a_file_of_barcodes(self) -> None:
        listed = self.folder / "list.txt"
        listed.write_text("T0100\nT0001\n", encoding="gb18030")
        self.export("--kind", "spine", "--barcodes", str(listed), "--order", "listed")
        text = page_text(self.output.read_bytes())
        self.assertLess(text.index("Q96"), text.index("I242.4"))

    def test_it_takes_a_class_number_and_received_dates(self) -> None:
        self.assertIn("3 册", self.export("--class", "I313"))
        self.assertIn("2 册", self.export("--received-from", "2026-10-01"))

    def test_it_fails_with_a_reason_in_chinese(self) -> None:
        cases = [
            (["--from", "T0001", "--to", "B0005"], "前缀不同"),
            (["--received-from", "2027-01-01"], "没有符合条件的图书"),
            (["--class", "I", "--start", "66"], "起始位置应在 1 到 65 之间"),
            (["--class", "I", "--sheet", "L9999"], "没有这种标签纸"),
            (["--class", "I", "--batch", "last"], "请用一种方式选书"),
            (["--received-from", "2026-13-01"], "日期应写作 YYYY-MM-DD"),
        ]
        for args, reason in cases:
            with self.subTest(args=args), self.assertRaisesMessage(CommandError, reason):
                self.export(*args)
        self.assertFalse(self.output.exists())
