from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import Loan
from shuxiang.patrons import rollover
from shuxiang.patrons.models import Patron, Rollover, SchoolClass
from shuxiang.test import BaseTestCase

SEPT_1 = datetime(2026, 9, 1, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = SEPT_1.date()
URL = "/staff/rollover/"


@time_machine.travel(SEPT_1, tick=False)
class RolloverViewTests(BaseTestCase):
    class_6_1: SchoolClass
    ben: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_6_1 = SchoolClass.objects.create(grade=6, number=1, enrolment_year=2021)
        cls.ben = Patron.objects.create(
            card_number="C0601",
            name="白本",
            student_number="2021010101",
            school_class=cls.class_6_1,
        )
        Loan.objects.create(
            item=Item.objects.get(barcode="T0001"),
            patron=cls.ben,
            school_class=cls.class_6_1,
            checked_out_on=date(2026, 6, 20),
            due_on=date(2026, 7, 4),
        )

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def confirm(self, year: str = "2026", fingerprint: str | None = None) -> dict[str, str]:
        plan = rollover.preview_rollover(TODAY)
        return {"confirm": year, "fingerprint": fingerprint or plan.fingerprint}

    def grades(self) -> list[tuple[int, int, bool]]:
        return [
            (c.grade, c.number, c.graduated_on is not None)
            for c in SchoolClass.objects.order_by("pk")
        ]


class RolloverAccessTests(RolloverViewTests):
    def test_it_sends_anonymous_visitors_to_the_login_page(self) -> None:
        self.client.logout()
        r = self.client.get(URL)
        self.assertRedirects(r, f"/accounts/login/?next={URL}", fetch_redirect_response=False)
        r = self.client.post(f"{URL}run/", self.confirm())
        self.assertEqual(r.status_code, 302)
        self.assertIsNone(rollover.current_rollover(2026))

    def test_it_refuses_everyone_but_the_librarian(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        others = [self.ada, self.tom, self.hana]
        for role in (User.Role.ASSISTANT, User.Role.VIEWER, User.Role.KIOSK):
            others.append(User.objects.create_user(f"u-{role}", password="pass-word-1", role=role))
        for user in others:
            self.client.force_login(user)
            for method, path in [
                ("get", URL),
                ("post", f"{URL}run/"),
                ("get", f"{URL}{done.pk}/"),
                ("post", f"{URL}{done.pk}/undo/"),
            ]:
                r = getattr(self.client, method)(path, {})
                self.assertEqual(r.status_code, 403, (user.role, path))
        done.refresh_from_db()
        self.assertIsNone(done.undone_at)


class RolloverPreviewViewTests(RolloverViewTests):
    def test_it_shows_who_moves_where_and_who_must_settle_up(self) -> None:
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "五年级(2)班")
        self.assertContains(r, "→ 六年级(2)班")
        self.assertContains(r, "离校清还")
        self.assertContains(r, "白本")
        self.assertContains(r, "T0001 《西游记》")
        self.assertContains(r, "data-print")
        self.assertContains(r, 'name="fingerprint"')
        self.assertEqual(r.context["plan"].students_graduating, 1)
        entry = AuditLog.objects.get(action="rollover.previewed")
        self.assertEqual((entry.by, entry.detail), (self.lena, {"clearance": 1}))

    def test_it_warns_in_the_middle_of_the_school_year_but_not_in_september(self) -> None:
        self.assertNotContains(self.client.get(URL), "学年中间")
        with time_machine.travel(datetime(2026, 11, 22, 10, tzinfo=SEPT_1.tzinfo), tick=False):
            self.client.force_login(self.lena)  # the September session has expired
            r = self.client.get(URL)
        self.assertContains(r, "现在是学年中间")

    def test_it_reads_a_bigger_school_in_the_same_number_of_queries(self) -> None:
        with CaptureQueriesContext(connection) as small:
            self.client.get(URL)
        for number in range(2, 6):
            c = SchoolClass.objects.create(grade=6, number=number)
            for seat in range(3):
                Patron.objects.create(
                    card_number=f"C6{number}{seat:02d}",
                    name="学生",
                    student_number=f"20210101{number}{seat:02d}",
                    school_class=c,
                )
        with CaptureQueriesContext(connection) as big:
            self.client.get(URL)
        self.assertEqual(len(big), len(small))

    def test_it_says_when_there_is_nothing_to_move_up(self) -> None:
        SchoolClass.objects.update(graduated_on=date(2025, 7, 1))
        r = self.client.get(URL)
        self.assertContains(r, "没有在读的班级")
        self.assertNotContains(r, f'action="{URL}run/"')

    def test_it_says_when_this_school_year_already_moved_up(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        r = self.client.get(URL)
        self.assertContains(r, "本学年的升级已于 2026-09-01 完成")
        self.assertContains(r, f"{URL}{done.pk}/")
        self.assertNotContains(r, f'action="{URL}run/"')


class RolloverRunViewTests(RolloverViewTests):
    def test_it_runs_when_the_year_is_typed(self) -> None:
        r = self.client.post(f"{URL}run/", self.confirm("２０２６ "))
        done = Rollover.objects.get()
        self.assertRedirects(r, f"{URL}{done.pk}/")
        self.assertEqual(self.grades(), [(6, 2, False), (6, 1, True)])
        r = self.client.get(f"{URL}{done.pk}/")
        self.assertContains(r, "白本")  # still owes 西游记: on the printed list
        self.assertContains(r, "六年级(1)班（2026届）")
        self.assertContains(r, f'action="{URL}{done.pk}/undo/"')
        self.assertTrue(AuditLog.objects.filter(action="rollover.viewed").exists())

    def test_it_refuses_without_the_typed_year(self) -> None:
        before = self.grades()
        for typed in ("", "2025", "yes"):
            r = self.client.post(f"{URL}run/", self.confirm(typed))
            self.assertEqual(r.status_code, 400)
            self.assertEqual(self.grades(), before)
        self.assertContains(r, "请输入 2026", status_code=400)
        self.assertFalse(Rollover.objects.exists())

    def test_it_refuses_when_the_school_changed_since_the_preview(self) -> None:
        stale = self.confirm()
        Patron.objects.create(card_number="C0602", name="蔡晨", school_class=self.class_6_1)
        r = self.client.post(f"{URL}run/", stale)
        self.assertContains(r, "预览之后", status_code=400)
        self.assertEqual(r.context["plan"].students_graduating, 2)
        self.assertFalse(Rollover.objects.exists())
        r = self.client.post(f"{URL}run/", self.confirm())
        self.assertEqual(r.status_code, 302)

    def test_it_explains_a_second_rollover_in_the_same_year(self) -> None:
        form = self.confirm()
        rollover.run_rollover(by=self.lena, today=TODAY)
        grades = self.grades()
        r = self.client.post(f"{URL}run/", {**form, "fingerprint": self.confirm()["fingerprint"]})
        self.assertRedirects(r, URL, fetch_redirect_response=False)
        r = self.client.get(URL)
        self.assertContains(r, "2026—2027 学年已经升级过")
        self.assertEqual(self.grades(), grades)

    def test_it_only_runs_on_post(self) -> None:
        self.assertEqual(self.client.get(f"{URL}run/").status_code, 405)


class RolloverUndoViewTests(RolloverViewTests):
    def test_it_undoes_on_the_same_day(self) -> None:
        before = self.grades()
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        r = self.client.post(f"{URL}{done.pk}/undo/")
        self.assertRedirects(r, URL, fetch_redirect_response=False)
        self.assertEqual(self.grades(), before)
        self.assertEqual(Patron.objects.get(pk=self.ben.pk).status, Patron.Status.ACTIVE)
        r = self.client.get(URL)
        self.assertContains(r, "已撤销")
        self.assertContains(r, f'action="{URL}run/"')

    def test_it_offers_no_undo_the_next_day_and_refuses_one(self) -> None:
        done = rollover.run_rollover(by=self.lena, today=TODAY)
        after = self.grades()
        with time_machine.travel(SEPT_1 + timedelta(days=1), tick=False):
            self.client.force_login(self.lena)  # yesterday's session has expired
            r = self.client.get(f"{URL}{done.pk}/")
            self.assertNotContains(r, f'action="{URL}{done.pk}/undo/"')
            r = self.client.get(URL)
            self.assertNotContains(r, f'action="{URL}{done.pk}/undo/"')
            r = self.client.post(f"{URL}{done.pk}/undo/", follow=True)
        self.assertContains(r, "只能在升级当天撤销")
        self.assertEqual(self.grades(), after)

    def test_it_answers_404_for_an_unknown_rollover(self) -> None:
        self.assertEqual(self.client.get(f"{URL}999/").status_code, 404)
        self.assertEqual(self.client.post(f"{URL}999/undo/").status_code, 404)
