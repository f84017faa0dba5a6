from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation.models import ClosedDay, LendingSlot
from shuxiang.patrons.models import SchoolClass
from shuxiang.test import BaseTestCase

MONDAY_NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/staff/circulation/rotation/"


@time_machine.travel(MONDAY_NOON, tick=False)
class RotationPageTests(BaseTestCase):
    class_1_1: SchoolClass
    class_1_2: SchoolClass

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_1_1 = SchoolClass.objects.create(grade=1, number=1)
        cls.class_1_2 = SchoolClass.objects.create(grade=1, number=2)

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_only_the_librarian_edits_the_rotation(self) -> None:
        self.client.logout()
        for url in (URL, f"{URL}week/", f"{URL}generate/"):
            self.assertEqual(self.client.get(url).status_code, 302)
        assistant = User.objects.create_user(
            "xiao", password="x-pass-123", role=User.Role.ASSISTANT
        )
        for user in (self.ada, self.tom, self.hana, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403)
            self.assertEqual(self.client.post(f"{URL}generate/").status_code, 403)
        self.assertFalse(LendingSlot.classes.through._default_manager.exists())

    def test_it_lists_the_slots_and_the_classes_without_a_turn(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, "星期一 11:30–12:30")
        self.assertContains(response, "未安排时段的班级：3 个")
        self.assertContains(response, "一年级(1)班")

    def test_generating_shows_the_plan_first_and_changes_nothing(self) -> None:
        response = self.client.get(f"{URL}generate/")
        self.assertEqual(response.status_code, 200)
        proposed = {
            label: [c.label for c in classes] for _s, label, classes in response.context["proposed"]
        }
        # Three classes over five slots: one a day, so 一年级 is split to keep the days even.
        self.assertEqual(proposed["星期一 11:30–12:30"], ["一年级(1)班"])
        self.assertEqual(proposed["星期二 11:30–12:30"], ["一年级(2)班"])
        self.assertEqual(proposed["星期三 11:30–12:30"], ["五年级(2)班"])
        self.assertEqual(proposed["星期五 11:30–12:30"], [])
        self.assertFalse(LendingSlot.classes.through._default_manager.exists())

    def test_confirming_replaces_the_rotation(self) -> None:
        LendingSlot.objects.get(weekday=4).classes.add(self.class_5_2)
        response = self.client.post(f"{URL}generate/")
        self.assertRedirects(response, URL)
        self.assertEqual(list(self.class_5_2.lending_slots.values_list("weekday", flat=True)), [2])
        self.assertTrue(AuditLog.objects.filter(action="rotation.generated").exists())
        page = self.client.get(URL)
        self.assertNotContains(page, "未安排时段的班级")

    def test_it_adds_edits_and_deletes_a_slot(self) -> None:
        response = self.client.post(
            f"{URL}slots/new/", {"weekday": 2, "starts": "15:30", "ends": "16:10"}
        )
        self.assertRedirects(response, URL)
        slot = LendingSlot.objects.get(weekday=2, starts=time(15, 30))
        self.assertTrue(AuditLog.objects.filter(action="rotation.slot_added").exists())
        response = self.client.post(
            f"{URL}slots/{slot.pk}/", {"weekday": 5, "starts": "09:00", "ends": "10:00"}
        )
        self.assertRedirects(response, URL)
        slot.refresh_from_db()
        self.assertEqual((slot.weekday, slot.starts), (5, time(9, 0)))
        response = self.client.post(f"{URL}slots/{slot.pk}/delete/")
        self.assertRedirects(response, URL)
        self.assertFalse(LendingSlot.objects.filter(pk=slot.pk).exists())
        self.assertTrue(AuditLog.objects.filter(action="rotation.slot_deleted").exists())

    def test_it_refuses_overlapping_and_backward_slots_in_chinese(self) -> None:
        response = self.client.post(
            f"{URL}slots/new/", {"weekday": 0, "starts": "12:00", "ends": "13:00"}
        )
        self.assertContains(response, "与时段 星期一 11:30–12:30 重叠", status_code=422)
        response = self.client.post(
            f"{URL}slots/new/", {"weekday": 0, "starts": "14:00", "ends": "13:00"}
        )
        self.assertContains(response, "结束时间必须晚于开始时间", status_code=422)
        response = self.client.post(f"{URL}slots/new/", {"weekday": 9, "starts": "x"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(LendingSlot.objects.count(), 5)

    def test_moving_a_class_by_hand(self) -> None:
        self.client.post(f"{URL}generate/")
        friday = LendingSlot.objects.get(weekday=4)
        response = self.client.post(
            f"{URL}move/", {"school_class": self.class_5_2.pk, "slot": friday.pk}
        )
        self.assertRedirects(response, f"{URL}#class-{self.class_5_2.pk}")
        self.assertEqual(list(self.class_5_2.lending_slots.all()), [friday])
        self.client.post(f"{URL}move/", {"school_class": self.class_5_2.pk, "slot": ""})
        self.assertFalse(self.class_5_2.lending_slots.exists())
        response = self.client.post(f"{URL}move/", {"school_class": 9999}, follow=True)
        self.assertContains(response, "请选择一个在读班级和一个借还书时段")


@time_machine.travel(MONDAY_NOON, tick=False)
class RotationWeekTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        LendingSlot.objects.get(weekday=1).classes.add(self.class_5_2)

    def test_it_prints_the_dates_of_the_week_asked_for(self) -> None:
        response = self.client.get(f"{URL}week/", {"week": "2026-12-02"})
        week = response.context["week"]
        self.assertEqual(week.monday, date(2026, 11, 30))
        self.assertEqual(
            [row.day for row in week.slots][:2], [date(2026, 11, 30), date(2026, 12, 1)]
        )
        self.assertContains(response, "2026年11月30日 – 12月6日")
        self.assertContains(response, "五年级(2)班")
        self.assertContains(response, "circulation/rotation.css")
        self.assertContains(response, "?week=2026-12-07")

    def test_it_marks_closed_days(self) -> None:
        ClosedDay.objects.create(date=date(2026, 12, 1), reason="运动会")
        response = self.client.get(f"{URL}week/", {"week": "2026-12-01"})
        tuesday = response.context["week"].slots[1]
        self.assertEqual(tuesday.closed_reason, "运动会")
        self.assertContains(response, "闭馆：运动会")
        holidays = self.client.get(f"{URL}week/", {"week": "2027-08-10"})
        self.assertEqual(holidays.context["week"].slots[0].closed_reason, "假期")

    def test_it_shows_this_week_without_a_date_and_says_when_the_date_is_wrong(self) -> None:
        response = self.client.get(f"{URL}week/")
        self.assertEqual(response.context["week"].monday, date(2026, 11, 23))
        response = self.client.get(f"{URL}week/", {"week": "2026-02-31"})
        self.assertEqual(response.context["week"].monday, date(2026, 11, 23))
        self.assertContains(response, "2026-02-31 不是有效日期，已显示本周")
