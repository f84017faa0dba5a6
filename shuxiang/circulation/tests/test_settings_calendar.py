from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation import config, services
from shuxiang.circulation.models import ClosedDay, OpeningHours, Term
from shuxiang.test import BaseTestCase

MONDAY_NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/staff/circulation/calendar/"


def _hours(**days: str) -> dict[str, str]:
    week = {f"day_{d}": "8:00-16:30" for d in range(5)}
    week.update({"day_5": "", "day_6": ""})
    week.update(days)
    return week


@time_machine.travel(MONDAY_NOON, tick=False)
class CalendarPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_only_the_librarian_may_change_the_calendar(self) -> None:
        self.client.logout()
        self.assertEqual(self.client.get(URL).status_code, 302)
        assistant = User.objects.create_user(
            "xiao", password="x-pass-123", role=User.Role.ASSISTANT
        )
        for user in (self.ada, self.tom, self.hana, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403)
            post = self.client.post(f"{URL}closed/new/", {"first": "2026-12-01"})
            self.assertEqual(post.status_code, 403)
        self.assertFalse(ClosedDay.objects.exists())

    def test_it_shows_terms_hours_and_the_month_view(self) -> None:
        ClosedDay.objects.create(date=date(2026, 11, 25), reason="运动会")
        response = self.client.get(URL)
        self.assertContains(response, "2026—2027学年第一学期")
        self.assertContains(response, "每周开放 42.5 小时")
        self.assertContains(response, "已达到")
        self.assertEqual(response.context["shown_term"].starts_on, date(2026, 8, 1))
        cells = {
            cell.day: cell
            for _first, weeks in response.context["months"]
            for week in weeks
            for cell in week
            if cell
        }
        self.assertTrue(cells[date(2026, 11, 24)].is_open)
        self.assertFalse(cells[date(2026, 11, 25)].is_open)
        self.assertEqual(cells[date(2026, 11, 25)].reason, "运动会")
        self.assertFalse(cells[date(2026, 11, 28)].is_open)  # a Saturday
        self.assertTrue(cells[date(2026, 11, 23)].today)
        self.assertEqual(len(response.context["months"]), 6)  # August to January

    def test_it_adds_a_term_and_refuses_overlaps_and_backward_dates(self) -> None:
        Term.objects.filter(starts_on__year=2027).delete()
        response = self.client.post(
            f"{URL}terms/new/",
            {"name": "2026—2027学年第二学期", "starts_on": "2027-02-20", "ends_on": "2027-07-05"},
        )
        self.assertRedirects(response, URL)
        self.assertTrue(Term.objects.filter(starts_on=date(2027, 2, 20)).exists())
        self.assertTrue(AuditLog.objects.filter(action="term.added").exists())
        overlap = self.client.post(
            f"{URL}terms/new/",
            {"name": "暑期", "starts_on": "2027-07-01", "ends_on": "2027-08-20"},
        )
        self.assertContains(overlap, "日期与2026—2027学年第二学期", status_code=422)
        backward = self.client.post(
            f"{URL}terms/new/",
            {"name": "暑期", "starts_on": "2027-08-20", "ends_on": "2027-08-01"},
        )
        self.assertContains(backward, "学期最后一天不能早于第一天", status_code=422)
        self.assertFalse(Term.objects.filter(name="暑期").exists())

    def test_it_edits_and_deletes_a_term(self) -> None:
        term = Term.objects.get(starts_on=date(2026, 8, 1))
        response = self.client.post(
            f"{URL}terms/{term.pk}/",
            {"name": term.name, "starts_on": "2026-09-01", "ends_on": "2027-01-22"},
        )
        self.assertRedirects(response, URL)
        term.refresh_from_db()
        self.assertEqual(term.starts_on, date(2026, 9, 1))
        entry = AuditLog.objects.get(action="term.changed")
        self.assertEqual(entry.detail["fields"], ["ends_on", "starts_on"])
        # Students' due dates now stop at the new last day (期末清还), from the next loan.
        term.ends_on = date(2026, 11, 30)
        term.save()
        loan = services.check_out(self.ada_patron, "T0001", services.Channel(by=self.lena)).loan
        self.assertEqual(loan.due_on, date(2026, 11, 30))
        response = self.client.post(f"{URL}terms/{term.pk}/delete/")
        self.assertRedirects(response, URL)
        self.assertFalse(Term.objects.filter(pk=term.pk).exists())

    def test_it_closes_a_range_of_days_with_a_reason(self) -> None:
        response = self.client.post(
            f"{URL}closed/new/",
            {"first": "2026-12-28", "last": "2027-01-03", "reason": "元旦"},
        )
        self.assertRedirects(response, URL)
        days = ClosedDay.objects.filter(reason="元旦")
        self.assertEqual(days.count(), 7)
        entry = AuditLog.objects.get(action="closed_days.added")
        self.assertEqual(entry.detail["days"], 7)
        page = self.client.get(URL)
        runs = page.context["closed_runs"]
        self.assertEqual(
            [(r.first, r.last, r.days) for r in runs], [(date(2026, 12, 28), date(2027, 1, 3), 7)]
        )

    def test_a_closed_day_moves_the_next_due_date_at_once(self) -> None:
        # 14 days from Monday 23 November is Monday 7 December.
        self.client.post(f"{URL}closed/new/", {"first": "2026-12-07", "reason": "教研活动"})
        loan = services.check_out(self.ada_patron, "T0001", services.Channel(by=self.lena)).loan
        self.assertEqual(loan.due_on, date(2026, 12, 8))

    def test_it_refuses_bad_ranges_in_chinese(self) -> None:
        ClosedDay.objects.create(date=date(2026, 12, 1), reason="运动会")
        response = self.client.post(f"{URL}closed/new/", {"first": "2026-12-01"})
        self.assertContains(response, "这些日子已经设为闭馆", status_code=422)
        response = self.client.post(
            f"{URL}closed/new/", {"first": "2026-12-10", "last": "2026-12-05"}
        )
        self.assertContains(response, "结束日期早于开始日期", status_code=422)
        response = self.client.post(
            f"{URL}closed/new/", {"first": "2026-12-10", "last": "2027-12-05"}
        )
        self.assertContains(response, "一次最多设置 120 天闭馆", status_code=422)
        response = self.client.post(f"{URL}closed/new/", {"first": "12月1日"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(ClosedDay.objects.count(), 1)

    def test_it_opens_closed_days_again(self) -> None:
        for day in (1, 2, 3):
            ClosedDay.objects.create(date=date(2026, 10, day), reason="国庆节")
        response = self.client.post(
            f"{URL}closed/delete/", {"first": "2026-10-01", "last": "2026-10-03"}
        )
        self.assertRedirects(response, URL)
        self.assertFalse(ClosedDay.objects.exists())
        self.assertEqual(AuditLog.objects.get(action="closed_days.removed").detail["days"], 3)
        response = self.client.post(f"{URL}closed/delete/", {"first": "nonsense"}, follow=True)
        self.assertContains(response, "请选择要恢复开放的闭馆日")

    def test_it_saves_opening_hours_with_several_spans(self) -> None:
        response = self.client.post(
            f"{URL}hours/", _hours(day_2="8:00-11:30，13:30－16:30", day_5="9:00-11:00")
        )
        self.assertRedirects(response, URL)
        wednesday = list(OpeningHours.objects.filter(weekday=2).values_list("opens", "closes"))
        self.assertEqual(wednesday, [(time(8, 0), time(11, 30)), (time(13, 30), time(16, 30))])
        self.assertTrue(OpeningHours.objects.filter(weekday=5).exists())
        self.assertFalse(OpeningHours.objects.filter(weekday=6).exists())
        # 4 × 8.5 + 6.5 + 2 = 42.5
        self.assertEqual(config.snapshot().calendar.weekly_hours(), 42.5)
        self.assertTrue(AuditLog.objects.filter(action="opening_hours.changed").exists())
        self.assertTrue(config.snapshot().calendar.is_open(date(2026, 11, 28)))  # Saturday

    def test_it_warns_below_the_regulations_forty_hours(self) -> None:
        self.client.post(f"{URL}hours/", _hours(day_0="", day_1="", day_2=""))
        response = self.client.get(URL)
        self.assertFalse(response.context["enough_hours"])
        self.assertContains(response, "《规程》要求每周开放不少于 40 小时")

    def test_it_refuses_bad_opening_hours_and_changes_nothing(self) -> None:
        response = self.client.post(f"{URL}hours/", _hours(day_0="8点到12点"))
        self.assertContains(response, "请按 8:00-11:30 的格式填写", status_code=422)
        response = self.client.post(f"{URL}hours/", _hours(day_1="12:00-8:00"))
        self.assertContains(response, "闭馆时间必须晚于开馆时间", status_code=422)
        response = self.client.post(f"{URL}hours/", _hours(day_1="8:00-12:00, 11:00-16:00"))
        self.assertContains(response, "同一天的开放时间段不能重叠", status_code=422)
        response = self.client.post(f"{URL}hours/", _hours(day_1="25:00-26:00"))
        self.assertContains(response, "不是有效的时间", status_code=422)
        self.assertEqual(OpeningHours.objects.count(), 5)
        self.assertFalse(AuditLog.objects.filter(action="opening_hours.changed").exists())
