"""Importing a roster: one transaction, all the good rows or nothing, and nothing twice."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Counter
from shuxiang.lib.roster import read_roster
from shuxiang.patrons import roster, services
from shuxiang.patrons.models import Patron, RetiredCard, SchoolClass
from shuxiang.patrons.tests.test_roster_files import TempFiles
from shuxiang.test import BaseTestCase

HEADER = ["姓名", "类型", "学号", "性别", "年级", "班级", "借书证号"]
GOOD = [
    ["林小雨", "学生", "2025030101", "女", "三年级", "1", ""],
    ["周大山", "学生", "2025030102", "男", "三年级", "2", ""],
    ["吴老师", "教师", "T031", "女", "", "", "C9001"],
]
BAD = ["", "学生", "2025030103", "女", "三年级", "1", ""]


@time_machine.travel(date(2025, 10, 8), tick=False)
class RosterImportTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)

    def run_import(self, *rows: list[Any], **options: Any) -> roster.ImportResult:
        options.setdefault("by", self.lena)
        parsed = read_roster(self.files.xlsx([HEADER, *rows]))
        return roster.import_roster(parsed, **options)

    def snapshot(self) -> list[tuple[Any, ...]]:
        return [
            *Patron.objects.order_by("pk").values_list(
                "pk", "name", "card_number", "school_class_id", "gender", "updated_at"
            ),
            *SchoolClass.objects.order_by("pk").values_list("pk", "grade", "number"),
            *Counter.objects.order_by("key").values_list("key", "value"),
            *RetiredCard.objects.values_list("number"),
        ]

    def test_it_adds_patrons_and_creates_the_classes_named(self) -> None:
        result = self.run_import(*GOOD)
        self.assertEqual((result.added, result.updated, result.errors), (3, 0, 0))
        self.assertEqual(result.classes_created, ["三年级(1)班", "三年级(2)班"])
        lin = Patron.objects.select_related("school_class").get(student_number="2025030101")
        assert lin.school_class is not None
        self.assertEqual(lin.school_class.label, "三年级(1)班")
        self.assertEqual(lin.card_issued_on, date(2025, 10, 8))
        # 三年级 in the school year 2025–2026 entered 一年级 in 2023.
        self.assertEqual((lin.school_class.enrolment_year, lin.enrolment_year), (2023, 2023))
        self.assertTrue(
            SchoolClass.objects.filter(grade=3, number=2, graduated_on__isnull=True).exists()
        )

    def test_it_numbers_cards_in_order_after_those_already_taken(self) -> None:
        Patron.objects.create(card_number="R000002", name="已有", type=Patron.Type.STAFF)
        result = self.run_import(*GOOD)
        self.assertEqual(result.cards_assigned, 2)
        cards = [
            Patron.objects.get(student_number=n).card_number for n in ("2025030101", "2025030102")
        ]
        self.assertEqual(cards, ["R000001", "R000003"])
        self.assertEqual(Patron.objects.get(staff_number="T031").card_number, "C9001")
        # The desk's own counter carries on after the roster's numbers.
        self.assertEqual(services.next_card_number(), "R000004")

    def test_it_changes_nothing_when_the_same_file_is_imported_again(self) -> None:
        self.run_import(*GOOD, BAD)
        before = self.snapshot()
        again = self.run_import(*GOOD, BAD)
        self.assertEqual((again.added, again.updated, again.unchanged), (0, 0, 3))
        self.assertEqual(again.classes_created, [])
        self.assertEqual(self.snapshot(), before)

    def test_it_imports_nothing_in_all_or_nothing_mode_when_a_row_is_bad(self) -> None:
        before = self.snapshot()
        result = self.run_import(*GOOD, BAD, mode=roster.ALL_OR_NOTHING)
        self.assertTrue(result.refused)
        self.assertEqual((result.added, result.errors), (0, 1))
        self.assertEqual(self.snapshot(), before)

    def test_it_imports_everything_in_all_or_nothing_mode_when_every_row_is_good(self) -> None:
        result = self.run_import(*GOOD, mode=roster.ALL_OR_NOTHING)
        self.assertEqual((result.refused, result.added), (False, 3))

    def test_it_imports_the_good_rows_and_leaves_out_the_bad_ones(self) -> None:
        result = self.run_import(*GOOD, BAD)
        self.assertEqual((result.added, result.errors), (3, 1))
        self.assertFalse(Patron.objects.filter(student_number="2025030103").exists())

    def test_it_counts_a_student_who_moved_class_as_an_update(self) -> None:
        result = self.run_import(["王艾达", "学生", "2022050201", "", "五年级", "(3)班", ""])
        self.assertEqual((result.added, result.updated), (0, 1))
        self.ada_patron.refresh_from_db()
        self.assertEqual(str(self.ada_patron.school_class), "五年级(3)班")
        self.assertEqual(self.ada_patron.card_number, "P0001")
        self.assertEqual(self.ada_patron.guardian_phone, "13800000001")  # blank cell: kept

    def test_it_retires_the_old_card_when_the_roster_gives_a_new_one(self) -> None:
        result = self.run_import(["王艾达", "", "2022050201", "", "", "", "C5201"])
        self.assertEqual(result.updated, 1)
        self.assertIn("借书证号将由 P0001 改为 C5201", result.plan.rows[0].warnings[0])
        self.assertEqual(Patron.objects.get(pk=self.ada_patron.pk).card_number, "C5201")
        self.assertTrue(RetiredCard.objects.filter(number="P0001", patron=self.ada_patron).exists())

    def test_it_fills_in_a_student_number_for_a_patron_known_by_card(self) -> None:
        pupil = Patron.objects.create(
            card_number="C777", name="马小跳", school_class=self.class_5_2
        )
        result = self.run_import(["马小跳", "", "2022050299", "", "", "", "C777"])
        self.assertEqual(result.updated, 1)
        pupil.refresh_from_db()
        self.assertEqual(pupil.student_number, "2022050299")

    def test_it_records_one_audit_row_with_figures_and_no_names(self) -> None:
        before = AuditLog.objects.count()
        self.run_import(*GOOD, BAD, via="web")
        self.assertEqual(AuditLog.objects.count(), before + 1)
        log = AuditLog.objects.latest("at", "pk")  # time is frozen: ties
        self.assertEqual(
            (log.action, log.by, log.via), ("patron.roster_imported", self.lena, "web")
        )
        self.assertEqual(
            {k: log.detail[k] for k in ("rows", "added", "updated", "errors", "classes_created")},
            {"rows": 4, "added": 3, "updated": 0, "errors": 1, "classes_created": 2},
        )
        self.assertNotIn("林小雨", str(log.detail))

    def test_a_dry_run_changes_nothing(self) -> None:
        before = self.snapshot()
        result = self.run_import(*GOOD, dry_run=True)
        self.assertEqual(result.plan.counts[roster.ADD], 3)
        self.assertEqual((result.added, result.dry_run), (0, True))
        self.assertEqual(self.snapshot(), before)

    def test_it_writes_a_large_roster_in_batches(self) -> None:
        rows = [
            [f"学生{i}", "", f"2025{i:06d}", "", f"{i % 6 + 1}年级", str(i % 5 + 1), ""]
            for i in range(1200)
        ]
        parsed = read_roster(self.files.xlsx([HEADER, *rows]))
        with CaptureQueriesContext(connection) as queries:
            result = roster.import_roster(parsed, by=self.lena)
        self.assertEqual(result.added, 1200)
        # Reading, checking and writing 1,200 rows: a few dozen queries, not thousands.
        self.assertLess(len(queries), 40)
