"""The 规程 figures on a small hand-made library whose answers are known by hand."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from itertools import count
from typing import Any

import time_machine
from django.test import override_settings

from shuxiang.catalog.models import Item, Record
from shuxiang.circulation.models import OpeningHours
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports import compliance
from shuxiang.reports.compliance import ComplianceReport, Requirement
from shuxiang.reports.models import ComplianceTargets
from shuxiang.test import BaseTestCase

TODAY = date(2026, 11, 2)  # school year 2026–2027: 2026-08-01 to 2027-07-31
_numbers = count(1)


def add_students(n: int, school_class: SchoolClass, **fields: Any) -> None:
    for _ in range(n):
        k = next(_numbers)
        Patron.objects.create(
            card_number=f"S{k:05d}",
            name=f"学生{k}",
            type=Patron.Type.STUDENT,
            student_number=f"X{k:05d}",
            school_class=school_class,
            **fields,
        )


def add_copies(record: Record, n: int, **fields: Any) -> None:
    rows = []
    for _ in range(n):
        k = next(_numbers)
        rows.append(
            Item(record=record, barcode=f"C{k:06d}", accession_number=f"A{k:06d}", **fields)
        )
    Item.objects.bulk_create(rows)


def title(name: str, class_number: str = "I287", **fields: Any) -> Record:
    return Record.objects.create(title=name, class_number=class_number, **fields)


def requirement(report: ComplianceReport, key: str) -> Requirement:
    return next(r for r in report.requirements if r.key == key)


def report() -> ComplianceReport:
    return compliance.build_report(today=TODAY)


@time_machine.travel(TODAY, tick=False)
class VolumesPerStudentTests(BaseTestCase):
    """Ada and three classmates; 《西游记》's two copies and 98 more: 100 volumes, 25 each."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        add_students(3, cls.class_5_2)
        add_copies(title("小王子"), 98, location=cls.stacks)

    def test_it_passes_25_volumes_per_student_at_a_primary_school(self) -> None:
        req = requirement(report(), "volumes_per_student")
        self.assertEqual(req.value, Decimal(25))
        self.assertEqual(req.target, Decimal(25))
        self.assertEqual(req.basis, "100 / 4")
        self.assertTrue(req.met)

    @override_settings(SHUXIANG_SCHOOL_TYPE="junior")
    def test_it_fails_the_same_library_at_a_junior_middle_school(self) -> None:
        req = requirement(report(), "volumes_per_student")
        self.assertEqual(req.target, Decimal(35))
        self.assertFalse(req.met)

    @override_settings(SHUXIANG_SCHOOL_TYPE="senior")
    def test_it_asks_45_at_a_senior_middle_school(self) -> None:
        self.assertEqual(requirement(report(), "volumes_per_student").target, Decimal(45))

    def test_it_leaves_out_withdrawn_and_lost_copies(self) -> None:
        Item.objects.filter(barcode="T0001").update(status=Item.Status.WITHDRAWN)
        Item.objects.filter(barcode="T0002").update(status=Item.Status.LOST)
        req = requirement(report(), "volumes_per_student")
        self.assertEqual(req.basis, "98 / 4")
        self.assertFalse(req.met)

    def test_it_counts_the_students_on_the_roll_now(self) -> None:
        add_students(1, self.class_5_2, status=Patron.Status.GRADUATED)
        add_students(1, self.class_5_2, status=Patron.Status.LEFT)
        Patron.objects.create(card_number="Z1", name="职工", type=Patron.Type.STAFF)
        self.assertEqual(requirement(report(), "volumes_per_student").basis, "100 / 4")
        add_students(1, self.class_5_2, status=Patron.Status.SUSPENDED)
        add_students(1, self.class_5_2, status=Patron.Status.CARD_LOST)
        self.assertEqual(requirement(report(), "volumes_per_student").basis, "100 / 6")

    def test_it_takes_the_schools_own_target_over_the_regulation(self) -> None:
        ComplianceTargets.objects.create(volumes_per_student=Decimal("30"))
        req = requirement(report(), "volumes_per_student")
        self.assertEqual(req.target, Decimal(30))
        self.assertFalse(req.met)

    def test_it_fails_without_any_active_student(self) -> None:
        Patron.objects.filter(type=Patron.Type.STUDENT).update(status=Patron.Status.GRADUATED)
        req = requirement(report(), "volumes_per_student")
        self.assertIsNone(req.value)
        self.assertFalse(req.met)


@time_machine.travel(TODAY, tick=False)
class MixedSchoolTests(BaseTestCase):
    """Three pupils in 五年级 and one in 初一: a nine-year school asks (3×25 + 35) / 4 = 27.5."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        add_students(2, cls.class_5_2)
        add_students(1, SchoolClass.objects.create(grade=7, number=1))
        add_copies(title("小王子"), 108, location=cls.stacks)  # 110 in all: 27.5 each

    @override_settings(SHUXIANG_SCHOOL_TYPE="nine_year")
    def test_it_weights_a_nine_year_school_by_its_students_in_each_part(self) -> None:
        req = requirement(report(), "volumes_per_student")
        self.assertEqual(req.target, Decimal("27.5"))
        self.assertEqual(req.value, Decimal("27.5"))
        self.assertTrue(req.met)
        Item.objects.filter(barcode="T0001").update(status=Item.Status.WITHDRAWN)
        self.assertFalse(requirement(report(), "volumes_per_student").met)

    @override_settings(SHUXIANG_SCHOOL_TYPE="nine_year")
    def test_it_takes_the_junior_title_counts_at_a_nine_year_school(self) -> None:
        self.assertEqual(requirement(report(), "periodical_titles").target, Decimal(80))
        self.assertEqual(requirement(report(), "reference_titles").target, Decimal(180))

    @override_settings(SHUXIANG_SCHOOL_TYPE="complete")
    def test_it_weights_a_complete_middle_school_by_junior_and_senior_students(self) -> None:
        add_students(1, SchoolClass.objects.create(grade=10, number=1))
        # This school has no primary part: 1 junior + 1 senior student → (35 + 45) / 2.
        self.assertEqual(requirement(report(), "volumes_per_student").target, Decimal(40))
        self.assertEqual(requirement(report(), "periodical_titles").target, Decimal(120))

    def test_its_defaults_follow_the_school_type(self) -> None:
        expected = {
            "primary": (25, 60, 120),
            "junior": (35, 80, 180),
            "senior": (45, 120, 250),
            "nine_year": (Decimal("27.5"), 80, 180),
        }
        by_part = {"primary": 3, "junior": 1, "senior": 0}
        for kind, (volumes, periodicals, references) in expected.items():
            targets = compliance.default_targets(kind, by_part)
            self.assertEqual(targets.volumes_per_student, volumes, kind)
            self.assertEqual(targets.periodical_titles, periodicals, kind)
            self.assertEqual(targets.reference_titles, references, kind)
            self.assertEqual(targets.new_volumes_per_student, 1)
            self.assertEqual(targets.weekly_hours, 40)


@time_machine.travel(TODAY, tick=False)
class NewVolumesTests(BaseTestCase):
    last: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        add_students(3, cls.class_5_2)
        book = title("小王子")
        # Four received this school year (the first day counts), one the day before it began.
        add_copies(book, 1, location=cls.stacks, received_on=date(2026, 8, 1))
        add_copies(book, 2, location=cls.stacks, received_on=date(2026, 10, 9))
        add_copies(book, 1, location=cls.stacks, received_on=date(2026, 7, 31))
        cls.last = Item.objects.create(
            record=book, barcode="N1", accession_number="N1", location=cls.stacks,
            received_on=date(2026, 11, 2),
        )  # fmt: skip

    def test_it_passes_one_new_volume_per_student(self) -> None:
        req = requirement(report(), "new_volumes_per_student")
        self.assertEqual((req.value, req.basis), (Decimal(1), "4 / 4"))
        self.assertTrue(req.met)

    def test_it_fails_below_one_new_volume_per_student(self) -> None:
        self.last.delete()
        req = requirement(report(), "new_volumes_per_student")
        self.assertEqual(req.value, Decimal("0.75"))
        self.assertFalse(req.met)


@time_machine.travel(TODAY, tick=False)
class TitleCountTests(BaseTestCase):
    """Titles (种) are records: a periodical with many issues on the shelf counts once."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        periodical = Record.MaterialType.PERIODICAL
        add_copies(title("少年文艺", material_type=periodical), 12, location=cls.stacks)
        add_copies(title("中国少年报"), 3, location=cls.stacks, item_type=Item.ItemType.PERIODICAL)
        add_copies(
            title("故事会", material_type=periodical), 2, location=cls.stacks,
            status=Item.Status.WITHDRAWN,
        )  # fmt: skip
        add_copies(title("新华字典", "H163"), 5, location=cls.stacks, item_type="reference")
        add_copies(
            title("小学语文教学参考", "G623.2"), 1, location=cls.stacks, item_type="teaching"
        )
        add_copies(title("成语词典", "H136.3"), 1, location=cls.stacks, item_type="reference")
        ComplianceTargets.objects.create(periodical_titles=2, reference_titles=3)

    def test_it_counts_periodical_titles_by_material_or_item_type(self) -> None:
        req = requirement(report(), "periodical_titles")
        self.assertEqual((req.value, req.target), (Decimal(2), Decimal(2)))
        self.assertTrue(req.met)

    def test_it_fails_periodical_titles_below_the_target(self) -> None:
        ComplianceTargets.objects.update(periodical_titles=3)
        self.assertFalse(requirement(report(), "periodical_titles").met)

    def test_it_counts_reference_and_teaching_titles(self) -> None:
        req = requirement(report(), "reference_titles")
        self.assertEqual(req.value, Decimal(3))
        self.assertTrue(req.met)
        Item.objects.filter(item_type="teaching").update(status=Item.Status.WITHDRAWN)
        self.assertFalse(requirement(report(), "reference_titles").met)

    def test_it_asks_the_regulations_title_counts_without_a_target_of_the_schools_own(
        self,
    ) -> None:
        ComplianceTargets.objects.all().delete()
        self.assertEqual(requirement(report(), "periodical_titles").target, Decimal(60))
        self.assertEqual(requirement(report(), "reference_titles").target, Decimal(120))


@time_machine.travel(TODAY, tick=False)
class OpeningHoursTests(BaseTestCase):
    def open_weekdays(self, opens: time, closes: time) -> None:
        OpeningHours.objects.all().delete()
        for weekday in range(5):
            OpeningHours.objects.create(weekday=weekday, opens=opens, closes=closes)

    def test_it_passes_forty_hours_a_week(self) -> None:
        self.open_weekdays(time(8), time(16))
        req = requirement(report(), "weekly_hours")
        self.assertEqual(req.value, Decimal(40))
        self.assertTrue(req.met)

    def test_it_fails_thirty_five_hours_a_week(self) -> None:
        self.open_weekdays(time(8), time(15))
        req = requirement(report(), "weekly_hours")
        self.assertEqual(req.value, Decimal(35))
        self.assertFalse(req.met)

    def test_it_counts_two_spans_on_one_day(self) -> None:
        self.open_weekdays(time(8), time(11, 30))  # 5 × 3.5 = 17.5
        OpeningHours.objects.create(weekday=5, opens=time(13), closes=time(15, 30))  # + 2.5
        self.assertEqual(requirement(report(), "weekly_hours").value, Decimal(20))


@time_machine.travel(TODAY, tick=False)
class ClassShareTests(BaseTestCase):
    """40 copies classified: A 1, B 1, C–K 26 (《西游记》 2, I 20, G 4), N–X 10 (TP 6, Q 4), Z 2."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        where = {"location": cls.stacks}
        add_copies(title("毛泽东选集", "A41"), 1, **where)
        add_copies(title("写给孩子的哲学", "B-49"), 1, **where)
        add_copies(title("童话", "i287.7"), 20, **where)
        add_copies(title("学习方法", "G791"), 4, **where)
        add_copies(title("编程", "TP311"), 6, **where)
        add_copies(title("昆虫记", "Q96"), 4, **where)
        add_copies(title("百科全书", "Z228.1"), 2, **where)
        add_copies(title("未分类"), 3, **where)
        Record.objects.filter(title="未分类").update(class_number="")

    def shares(self) -> dict[str, tuple[int, Decimal | None, Decimal]]:
        return {r.key: (r.volumes, r.share, r.recommended) for r in report().shares}

    def test_it_shares_the_classified_copies_among_the_five_parts(self) -> None:
        shares = self.shares()
        self.assertEqual(shares["A"], (1, Decimal("2.5"), Decimal("1.5")))
        self.assertEqual(shares["B"], (1, Decimal("2.5"), Decimal("1.5")))
        self.assertEqual(shares["C-K"], (26, Decimal(65), Decimal(64)))
        self.assertEqual(shares["N-X"], (10, Decimal(25), Decimal(28)))
        self.assertEqual(shares["Z"], (2, Decimal(5), Decimal(5)))
        self.assertEqual(report().unclassified, 3)

    @override_settings(SHUXIANG_SCHOOL_TYPE="junior")
    def test_it_recommends_the_middle_school_column_at_a_junior_school(self) -> None:
        recommended = {k: v[2] for k, v in self.shares().items()}
        self.assertEqual(recommended, {"A": 2, "B": 2, "C-K": 54, "N-X": 38, "Z": 4})

    def test_it_takes_the_schools_own_shares(self) -> None:
        own = {"A": "1", "B": "1", "C-K": "60", "N-X": "33", "Z": "5"}
        ComplianceTargets.objects.create(class_shares=own)
        self.assertEqual(self.shares()["N-X"][2], Decimal(33))
