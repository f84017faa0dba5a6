from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item
from shuxiang.circulation import overdue
from shuxiang.circulation.models import Loan, OverdueNotice
from shuxiang.circulation.services import Channel
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

NOW = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


def lend(item: Item, patron: Patron, due: date) -> Loan:
    return Loan.objects.create(
        item=item,
        patron=patron,
        school_class=patron.school_class,
        checked_out_on=due - timedelta(days=14),
        due_on=due,
    )


@time_machine.travel(NOW, tick=False)
class MakeNoticesTests(BaseTestCase):
    class_3_2: SchoolClass
    bo: Patron
    channel: Channel

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        t1, t2 = cls.journey.items.order_by("barcode")
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        cls.bo = Patron.objects.create(
            card_number="P0010", name="李博", student_number="0024", school_class=cls.class_3_2
        )
        lend(t1, cls.ada_patron, TODAY - timedelta(days=9))
        lend(t2, cls.bo, TODAY - timedelta(days=3))
        cls.channel = Channel(by=None, via="cli")

    def test_it_makes_one_notice_per_overdue_patron_with_their_books(self) -> None:
        run = overdue.make_overdue_notices(TODAY, self.channel)
        self.assertEqual((run.made, run.existing), (2, 0))
        notice = OverdueNotice.objects.get(patron=self.ada_patron)
        self.assertEqual(notice.created_on, TODAY)
        self.assertEqual(notice.school_class, self.class_5_2)
        loan = Loan.objects.get(patron=self.ada_patron)
        self.assertEqual(
            notice.lines,
            [
                {
                    "loan": loan.pk,
                    "barcode": "T0001",
                    "title": "西游记",
                    "due": "2026-11-14",
                    "days": 9,
                }
            ],
        )

    def test_it_makes_them_once_a_day(self) -> None:
        overdue.make_overdue_notices(TODAY, self.channel)
        again = overdue.make_overdue_notices(TODAY, self.channel)
        self.assertEqual((again.made, again.existing), (0, 2))
        self.assertEqual(OverdueNotice.objects.count(), 2)
        tomorrow = overdue.make_overdue_notices(TODAY + timedelta(days=1), self.channel)
        self.assertEqual(tomorrow.made, 2)
        self.assertEqual(OverdueNotice.objects.count(), 4)

    def test_it_makes_one_class_and_later_the_rest(self) -> None:
        first = overdue.make_overdue_notices(TODAY, self.channel, self.class_3_2)
        self.assertEqual(first.made, 1)
        rest = overdue.make_overdue_notices(TODAY, self.channel)
        self.assertEqual((rest.made, rest.existing), (1, 1))

    def test_it_makes_nothing_when_nothing_is_overdue(self) -> None:
        Loan.objects.update(due_on=TODAY)
        self.assertEqual(overdue.make_overdue_notices(TODAY, self.channel).made, 0)
        self.assertFalse(AuditLog.objects.filter(action="overdue.notices_made").exists())

    def test_it_logs_who_made_them_without_names(self) -> None:
        overdue.make_overdue_notices(TODAY, Channel(by=self.lena, via="web"))
        log = AuditLog.objects.get(action="overdue.notices_made")
        self.assertEqual(
            (log.by, log.via, log.detail), (self.lena, "web", {"day": "2026-11-23", "notices": 2})
        )

    def test_it_drops_books_returned_since_from_the_slips(self) -> None:
        overdue.make_overdue_notices(TODAY, self.channel)
        Loan.objects.filter(patron=self.bo).update(returned_at=NOW)
        slips = overdue.notices_for(TODAY)
        self.assertEqual([s.notice.patron for s in slips], [self.ada_patron])


@time_machine.travel(NOW, tick=False)
class NoticePageTests(BaseTestCase):
    class_3_2: SchoolClass
    bo: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        t1, t2 = cls.journey.items.order_by("barcode")
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        cls.bo = Patron.objects.create(
            card_number="P0010", name="李博", student_number="0024", school_class=cls.class_3_2
        )
        lend(t1, cls.ada_patron, TODAY - timedelta(days=9))
        lend(t2, cls.bo, TODAY - timedelta(days=3))

    def url(self, school_class: SchoolClass, end: str = "") -> str:
        return f"/staff/overdue/classes/{school_class.pk}/notices/{end}"

    def test_it_offers_to_make_the_notices_before_the_daily_run(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(self.url(self.class_5_2))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["slips"], [])
        self.assertEqual(r.context["without_notice"], 1)
        self.assertContains(r, "立即生成今天的催还单")
        self.assertFalse(OverdueNotice.objects.exists())  # a GET makes nothing

    def test_it_makes_the_class_notices_on_demand_and_prints_one_slip_each(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.post(self.url(self.class_5_2, "make/"), follow=True)
        self.assertRedirects(r, self.url(self.class_5_2))
        self.assertContains(r, "新生成催还单 1 张")
        self.assertEqual(OverdueNotice.objects.get().patron, self.ada_patron)  # her class only
        self.assertContains(r, '<article class="sx-slip">', count=1)
        self.assertContains(r, "超期图书催还单")
        self.assertContains(r, "五年级(2)班 王艾达")
        self.assertContains(r, "2026-11-14")
        self.assertNotContains(r, "立即生成今天的催还单")

    def test_it_marks_the_slips_printed(self) -> None:
        overdue.make_overdue_notices(TODAY, Channel(by=None))
        self.client.force_login(self.hana)
        r = self.client.post(self.url(self.class_5_2, "printed/"), follow=True)
        self.assertContains(r, "已将 1 张催还单标记为已打印")
        printed = dict(OverdueNotice.objects.values_list("patron__name", "printed_at"))
        self.assertEqual(printed, {"王艾达": NOW, "李博": None})

    def test_it_shows_the_librarian_every_slip_of_the_school(self) -> None:
        overdue.make_overdue_notices(TODAY, Channel(by=None))
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/notices/")
        self.assertEqual([s.notice.patron.name for s in r.context["slips"]], ["李博", "王艾达"])

    def test_it_keeps_other_classes_and_other_roles_out(self) -> None:
        self.client.force_login(self.hana)
        self.assertEqual(self.client.get(self.url(self.class_3_2)).status_code, 403)
        self.assertEqual(self.client.post(self.url(self.class_3_2, "make/")).status_code, 403)
        self.assertEqual(self.client.get("/staff/overdue/notices/").status_code, 403)
        self.assertEqual(self.client.post("/staff/overdue/notices/make/").status_code, 403)
        self.assertFalse(OverdueNotice.objects.exists())
        self.client.force_login(self.tom)
        self.assertEqual(self.client.get(self.url(self.class_5_2)).status_code, 403)

    def test_it_refuses_a_get_to_the_make_button(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get("/staff/overdue/notices/make/").status_code, 405)
