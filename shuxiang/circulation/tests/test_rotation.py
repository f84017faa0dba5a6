from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from shuxiang.accounts.models import AuditLog
from shuxiang.circulation import services
from shuxiang.circulation.errors import OutsideSlot
from shuxiang.circulation.models import CirculationPolicy, LendingSlot
from shuxiang.circulation.rotation import (
    RotationError,
    assign_class,
    generate_rotation,
    plan_rotation,
    unassign_class,
)
from shuxiang.patrons.models import SchoolClass
from shuxiang.test import BaseTestCase

MONDAY_NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
TUESDAY_NOON = datetime(2026, 11, 24, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))


def _school(per_grade: dict[int, int]) -> list[tuple[int, int, int]]:
    classes = []
    for grade, count in per_grade.items():
        for number in range(1, count + 1):
            classes.append((grade, number, grade * 100 + number))
    return classes


def _grade_spread(plan: dict[int, list[int]]) -> dict[int, int]:
    """How many slots each grade is spread over."""
    return Counter(g for pks in plan.values() for g in {pk // 100 for pk in pks})


class PlanRotationTests(SimpleTestCase):
    def test_it_gives_every_class_one_turn_and_balances_the_slots(self) -> None:
        classes = _school({g: 3 for g in range(1, 7)})  # 18 classes, 5 slots
        plan = plan_rotation([10, 11, 12, 13, 14], classes)
        turns = Counter(pk for pks in plan.values() for pk in pks)
        self.assertEqual(set(turns), {c[2] for c in classes})
        self.assertEqual(set(turns.values()), {1})
        self.assertEqual(sorted(len(pks) for pks in plan.values()), [3, 3, 4, 4, 4])

    def test_it_keeps_a_grades_classes_together_where_it_can(self) -> None:
        plan = plan_rotation([1, 2, 3, 4, 5], _school({g: 3 for g in range(1, 7)}))
        spread = _grade_spread(plan)
        # Five grades have a day each; the sixth must be shared out to keep the slots even.
        self.assertEqual(sorted(spread.values()), [1, 1, 1, 1, 1, 3])
        plan = plan_rotation([1, 2, 3], _school({1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2}))
        self.assertEqual(sorted(_grade_spread(plan).values()), [1, 1, 1, 1, 1, 1])

    def test_the_lowest_grades_come_first_in_the_week(self) -> None:
        plan = plan_rotation([7, 8, 9, 10, 11, 12], _school({g: 2 for g in range(1, 7)}))
        self.assertEqual(plan[7], [101, 102])
        self.assertEqual(plan[12], [601, 602])

    def test_it_is_the_same_every_time(self) -> None:
        classes = _school({1: 4, 2: 3, 3: 5, 4: 2, 5: 3, 6: 4})
        self.assertEqual(
            plan_rotation([1, 2, 3, 4, 5], classes),
            plan_rotation([1, 2, 3, 4, 5], list(reversed(classes))),
        )

    def test_fewer_classes_than_slots_leaves_slots_empty(self) -> None:
        plan = plan_rotation([1, 2, 3, 4, 5], _school({3: 2}))
        self.assertEqual(sorted(len(p) for p in plan.values()), [0, 0, 0, 1, 1])

    def test_no_slots_no_plan(self) -> None:
        self.assertEqual(plan_rotation([], _school({1: 2})), {})

    @settings(max_examples=200, deadline=None)
    @given(
        slots=st.integers(min_value=1, max_value=12),
        sizes=st.lists(st.integers(min_value=1, max_value=8), min_size=0, max_size=12),
    )
    def test_every_class_once_and_counts_within_one(self, slots: int, sizes: list[int]) -> None:
        classes = _school({g + 1: n for g, n in enumerate(sizes)})
        plan = plan_rotation(list(range(slots)), classes)
        turns = Counter(pk for pks in plan.values() for pk in pks)
        self.assertEqual(sorted(turns), sorted(c[2] for c in classes))
        self.assertTrue(all(n == 1 for n in turns.values()))
        counts = [len(plan[s]) for s in range(slots)]
        self.assertLessEqual(max(counts) - min(counts), 1)


@time_machine.travel(MONDAY_NOON, tick=False)
class RotationServiceTests(BaseTestCase):
    class_1_1: SchoolClass
    old: SchoolClass

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_1_1 = SchoolClass.objects.create(grade=1, number=1)
        cls.old = SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2026, 7, 1))

    def test_it_replaces_every_slots_classes_with_the_plan(self) -> None:
        friday = LendingSlot.objects.get(weekday=4)
        friday.classes.add(self.old)
        generate_rotation(by=self.lena)
        monday, tuesday = LendingSlot.objects.get(weekday=0), LendingSlot.objects.get(weekday=1)
        self.assertEqual(list(monday.classes.all()), [self.class_1_1])
        self.assertEqual(list(tuesday.classes.all()), [self.class_5_2])
        self.assertFalse(friday.classes.exists())  # the graduated class is gone
        entry = AuditLog.objects.get(action="rotation.generated")
        self.assertEqual((entry.detail["slots"], entry.detail["classes"]), (5, 2))
        self.assertEqual(entry.by, self.lena)

    def test_it_refuses_without_slots_or_classes(self) -> None:
        SchoolClass.objects.update(graduated_on=date(2026, 7, 1))
        with self.assertRaisesMessage(RotationError, "还没有班级"):
            generate_rotation(by=self.lena)
        LendingSlot.objects.all().delete()
        with self.assertRaisesMessage(RotationError, "请先添加借还书时段"):
            generate_rotation(by=self.lena)

    def test_the_desk_follows_a_new_rotation_at_once(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(slot_mode="refuse")
        channel = services.Channel(by=self.lena)
        services.check_out(self.ada_patron, "T0001", channel)  # no rotation yet: any time
        generate_rotation(by=self.lena)  # 五年级(2)班 gets Tuesday
        with self.assertRaises(OutsideSlot):
            services.check_out(self.ada_patron, "T0002", channel)
        with time_machine.travel(TUESDAY_NOON, tick=False):
            services.check_out(self.ada_patron, "T0002", channel)

    def test_assigning_moves_a_class_to_its_new_slot(self) -> None:
        generate_rotation(by=self.lena)
        friday = LendingSlot.objects.get(weekday=4)
        assign_class(self.class_5_2, friday, by=self.lena)
        self.assertEqual(list(self.class_5_2.lending_slots.all()), [friday])
        entry = AuditLog.objects.get(action="rotation.class_moved")
        self.assertEqual(entry.detail["slot"], friday.pk)
        self.assertEqual(entry.detail["previous"], [LendingSlot.objects.get(weekday=1).pk])
        unassign_class(self.class_5_2, by=self.lena)
        self.assertFalse(self.class_5_2.lending_slots.exists())
        with self.assertRaisesMessage(RotationError, "已毕业"):
            assign_class(self.old, friday, by=self.lena)
