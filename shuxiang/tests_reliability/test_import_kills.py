"""`shuxiang import books` and `shuxiang import marc` killed with SIGKILL at random moments:
each batch is whole or absent, nothing points at nothing, the search index has a row for
every record and no other, and the database's own checker finds nothing wrong."""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
from django.test import TransactionTestCase

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services as catalog_services
from shuxiang.catalog.models import ImportBatch, Item, Record
from shuxiang.marc import generate
from shuxiang.tests_reliability import crash
from shuxiang.tests_reliability.soak import rounds

KILLS = rounds(ci=3, soak=30)
TITLES = 600  # two copies each: most of a second of checking and writing after the file is read


def ledger_file(folder: Path, round_: int) -> Path:
    path = folder / f"ledger-{round_:02d}.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["书名", "作者", "分类号", "条码号", "价格"])
    for n in range(TITLES):
        for copy in range(2):
            sheet.append(
                [f"第{round_}批书{n}", f"作者{n % 97}", "I287.5", barcode(round_, n, copy), "12.50"]
            )
    book.save(path)
    return path


def marc_file(folder: Path, round_: int) -> Path:
    path = folder / f"marc-{round_:02d}.iso"
    records = [
        generate.cnmarc(
            f"K{round_:02d}{n:06d}",
            [
                generate.field("010", "a", generate.isbn13(f"9787{round_:02d}{n:06d}")),
                generate.field("200", "a", f"第{round_}批书{n}", "f", "曹文轩著", ind="1 "),
                generate.field("690", "a", "I287.5"),
                generate.field(
                    "905", "a", "SX", "b", barcode(round_, n, 0), "b", barcode(round_, n, 1)
                ),
            ],
        )
        for n in range(TITLES)
    ]
    generate.write(path, records)
    return path


def barcode(round_: int, n: int, copy: int) -> str:
    return f"K{round_:02d}{n:05d}{copy}"


class ImportKillTests(TransactionTestCase):
    def setUp(self) -> None:
        catalog_services.ensure_default_locations()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def test_a_ledger_import_killed_at_random_moments_is_whole_or_absent(self) -> None:
        self.kill_imports(ledger_file, ["import", "books"], marker="读取", seed=8)

    def test_a_marc_import_killed_at_random_moments_is_whole_or_absent(self) -> None:
        self.kill_imports(marc_file, ["import", "marc"], marker="读取", seed=9)

    def kill_imports(
        self, make: Callable[[Path, int], Path], command: list[str], *, marker: str, seed: int
    ) -> None:
        rng = random.Random(seed)
        # Round 0 runs to the end: it shows the import works and how long it takes to
        # commit once the file is read, the span the kills are spread over.
        first = crash.run_shuxiang([*command, str(make(self.folder, 0))], marker, "完成", None)
        self.assertEqual(first.returncode, 0, first.output)
        assert first.done_after is not None
        self.assertEqual(self.batch_state(0), "whole")
        outcomes: Counter[str] = Counter()
        for round_ in range(1, KILLS + 1):
            path = make(self.folder, round_)
            delay = rng.uniform(0, first.done_after)
            run = crash.run_shuxiang([*command, str(path)], marker, "完成", delay)
            state = self.batch_state(round_)
            outcomes[f"{'killed' if run.killed else 'finished'} {state}"] += 1
            self.assertEqual(crash.integrity_problems(), [], f"round {round_}, {delay:.2f} s")
            if not run.killed:
                self.assertEqual(state, "whole", run.output)
        # A kill landed while the transaction was open, and the next run after it was fine.
        self.assertGreater(outcomes["killed absent"], 0, outcomes)
        last = crash.run_shuxiang(
            [*command, str(make(self.folder, KILLS + 1))], marker, "完成", None
        )
        self.assertEqual((last.returncode, self.batch_state(KILLS + 1)), (0, "whole"))
        self.assertEqual(crash.integrity_problems(), [])
        print(
            f"\n{command[1]}: {KILLS} kill rounds, {dict(outcomes)},"
            f" committed {first.done_after:.2f} s after reading"
        )

    def batch_state(self, round_: int) -> str:
        """Whole: the round's batch and all its rows are there. Absent: none of them is."""
        prefix = f"K{round_:02d}"
        batch = ImportBatch.objects.filter(file_name__contains=f"-{round_:02d}.").first()
        items = Item.objects.filter(barcode__startswith=prefix)
        records = Record.objects.filter(title__startswith=f"第{round_}批")
        logged = AuditLog.objects.filter(
            action="books_imported", target_id=str(batch.pk) if batch else "-"
        )
        if batch is None:
            self.assertEqual(
                (items.count(), records.count()), (0, 0), f"round {round_}: half a batch"
            )
            return "absent"
        self.assertEqual((batch.records_added, batch.items_added), (TITLES, 2 * TITLES))
        self.assertEqual(records.filter(import_batch=batch).count(), TITLES)
        self.assertEqual(items.filter(import_batch=batch).count(), 2 * TITLES)
        self.assertEqual((records.count(), items.count()), (TITLES, 2 * TITLES))
        self.assertEqual(logged.count(), 1)
        return "whole"
