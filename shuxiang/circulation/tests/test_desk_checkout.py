from __future__ import annotations

from datetime import date, time, timedelta

from django.utils.html import escape

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import (
    CirculationEvent,
    CirculationPolicy,
    Hold,
    LendingSlot,
    Loan,
)
from shuxiang.circulation.tests.test_desk_base import NOON, DeskTestCase, zh
from shuxiang.patrons.models import SchoolClass


class DeskCheckoutTests(DeskTestCase):
    def test_a_card_opens_the_reader_with_class_initials_and_allowance(self) -> None:
        r = self.scan("p0001 ")  # as a scanner in lower case with a trailing space may send it
        self.assertBanner(r, "ok", "读者：王艾达（五年级(2)班）")
        self.assertContains(r, '<h2 class="sx-desk-name mb-0">王艾达</h2>', html=False)
        self.assertContains(r, ">艾达</div>")  # the avatar: a child is called by the given name
        self.assertContains(r, "还可借 <strong>2</strong> 册")
        self.assertContains(r, "没有在借的书。")
        self.assertContains(r, "正在为 王艾达 借书")
        self.assertEqual(self.client.session["desk"]["patron"], self.ada_patron.pk)

    def test_a_teacher_opens_with_their_type_and_teachers_allowance(self) -> None:
        r = self.scan("P0002")
        self.assertBanner(r, "ok", "读者：唐老师")
        self.assertContains(r, "还可借 <strong>10</strong> 册")
        self.assertContains(r, "教师")

    def test_the_open_reader_survives_a_reload_of_the_page(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        page = self.client.get("/desk/")
        self.assertContains(page, "正在为 王艾达 借书")
        self.assertContains(page, 'data-desk-loan="T0001"')
        self.assertContains(page, "借出：《西游记》")  # in the history; the banner starts afresh
        self.assertContains(page, "准备就绪")

    def test_opening_a_reader_is_written_in_the_audit_log(self) -> None:
        self.scan("P0001")
        log = AuditLog.objects.get(action="patron.viewed")
        self.assertEqual(
            (log.by, log.via, log.target_id), (self.sam, "desk", str(self.ada_patron.pk))
        )
        self.assertNotIn("王艾达", str(log.detail))

    def test_a_card_then_two_books_lends_both_and_shows_them_with_the_rule(self) -> None:
        self.scan("P0001")
        r = self.scan("T0001")
        self.assertBanner(r, "ok", "借出：《西游记》", "应还日期 2026-12-07")
        self.assertIn("规则：", self.banner(r))
        self.assertContains(r, "还可借 <strong>1</strong> 册")
        r = self.scan("T0003")
        self.assertBanner(r, "ok", "借出：《红楼梦》")
        self.assertContains(r, "在借 2 册")
        self.assertContains(r, 'data-desk-loan="T0001"')
        self.assertContains(r, 'data-desk-loan="T0003"')
        self.assertContains(r, "已借满")
        loans = Loan.objects.open().filter(patron=self.ada_patron)
        self.assertEqual(sorted(loan.item.barcode for loan in loans), ["T0001", "T0003"])
        self.assertTrue(
            all(loan.via == "desk" and loan.checked_out_by == self.sam for loan in loans)
        )
        self.assertEqual(self.t1.__class__.objects.get(pk=self.t1.pk).status, Item.Status.ON_LOAN)

    def test_the_reader_panel_lists_due_dates_and_highlights_overdue_days(self) -> None:
        Loan.objects.create(
            item=self.t2,
            patron=self.ada_patron,
            school_class=self.class_5_2,
            checked_out_on=date(2026, 11, 2),
            due_on=date(2026, 11, 16),
        )
        r = self.scan("P0001")
        self.assertContains(r, "2026-11-16")
        self.assertContains(r, 'class="sx-overdue"')
        self.assertContains(r, "超期 7 天")

    def test_ready_holds_are_shown_to_the_reader(self) -> None:
        hold = Hold.objects.create(
            record=self.journey,
            patron=self.ada_patron,
            item=self.t2,
            status=Hold.Status.READY,
            expires_on=date(2026, 11, 30),
        )
        r = self.scan("P0001")
        self.assertContains(r, "有预约到馆的书")
        self.assertContains(r, "保留到 2026-11-30")
        r = self.scan("T0002")
        self.assertBanner(r, "ok", "借出：《西游记》", "读者预约的这本书已取走。")
        hold.refresh_from_db()
        self.assertEqual(hold.status, Hold.Status.FILLED)
        self.assertNotContains(r, "有预约到馆的书")

    def test_a_second_card_switches_to_the_next_reader(self) -> None:
        self.scan("P0001")
        r = self.scan("P0004")
        self.assertBanner(r, "ok", "换读者：李博（五年级(2)班）")
        self.assertContains(r, "正在为 李博 借书")
        self.scan("T0001")
        self.assertEqual(Loan.objects.get().patron, self.bo)

    def test_finish_closes_the_reader_and_the_next_book_is_a_return(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        r = self.press("close")
        self.assertBanner(r, "info", "已完成，请下一位。")
        self.assertContains(r, "还没有打开读者")
        self.assertIsNone(self.client.session["desk"]["patron"])
        r = self.scan("T0001")
        self.assertBanner(r, "ok", "还回：《西游记》", "借书人：王艾达（五年级(2)班）。")
        self.assertFalse(Loan.objects.open().exists())

    def test_a_stray_enter_does_nothing(self) -> None:
        r = self.scan("  ")
        self.assertContains(r, "准备就绪")
        self.assertEqual(self.client.session["desk"].get("history", []), [])

    def test_outside_the_class_slot_in_warn_mode_the_loan_is_made_in_amber(self) -> None:
        other = SchoolClass.objects.create(grade=3, number=1)
        LendingSlot.objects.create(weekday=0, starts=time(11, 30), ends=time(12, 30)).classes.add(
            other
        )
        self.scan("P0001")
        r = self.scan("T0001")
        slot = zh("It is not %(class)s's lending time.", **{"class": "五年级(2)班"})
        self.assertBanner(r, "warn", "借出：《西游记》", escape(slot))
        self.assertTrue(Loan.objects.open().filter(item=self.t1).exists())

    def test_a_reference_book_is_lent_for_the_room_and_due_today(self) -> None:
        dictionary = self.t3
        Item.objects.filter(pk=dictionary.pk).update(item_type=Item.ItemType.REFERENCE)
        self.scan("P0001")
        r = self.scan("T0003")
        self.assertBanner(r, "ok", "借出：《红楼梦》", "阅览室内阅读：今天闭馆前归还。")
        self.assertContains(r, "阅览室在用 1 册")
        self.assertEqual(Loan.objects.get().due_on, NOON.date())

    def test_renew_from_the_panel_moves_the_due_date(self) -> None:
        loan = Loan.objects.create(
            item=self.t1,
            patron=self.ada_patron,
            school_class=self.class_5_2,
            checked_out_on=date(2026, 11, 16),
            due_on=date(2026, 11, 30),
        )
        Item.objects.filter(pk=self.t1.pk).update(status=Item.Status.ON_LOAN)
        self.scan("P0001")
        r = self.press("renew", {"loan": str(loan.pk)})
        self.assertBanner(r, "ok", "已续借：《西游记》", "应还日期 2026-12-07")
        loan.refresh_from_db()
        self.assertEqual((loan.due_on, loan.renewals), (date(2026, 12, 7), 1))
        r = self.press("renew", {"loan": str(loan.pk)})
        self.assertEqual(self.banner(r).count("sx-feedback-refuse"), 1)
        self.assertIn("《西游记》", self.banner(r))

    def test_renew_all_renews_every_book_and_names_the_ones_it_could_not(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.scan("T0003")
        Hold.objects.create(record=self.journey, patron=self.bo)  # Bo waits for 西游记
        r = self.press("renew-all")
        self.assertBanner(r, "warn", "续借了 1 册（共 2 册）。", "《西游记》")
        self.assertEqual(Loan.objects.get(item=self.t3).renewals, 1)
        self.assertEqual(Loan.objects.get(item=self.t1).renewals, 0)

    def test_renew_is_only_for_the_open_readers_books(self) -> None:
        loan = Loan.objects.create(
            item=self.t1,
            patron=self.bo,
            checked_out_on=date(2026, 11, 16),
            due_on=date(2026, 11, 30),
        )
        self.scan("P0001")
        r = self.press("renew", {"loan": str(loan.pk)})
        self.assertBanner(r, "refuse", "这本书已经不在这位读者名下。")
        r = self.press("renew", {"loan": "x"})
        self.assertBanner(r, "refuse")
        self.assertEqual(Loan.objects.get().renewals, 0)

    def test_the_history_keeps_the_last_ten_scans_newest_first(self) -> None:
        self.scan("P0001")
        for _ in range(11):
            self.scan("NOPE1")
        r = self.scan("T0001")
        history = self.client.session["desk"]["history"]
        self.assertEqual(len(history), 10)
        self.assertEqual(history[0]["text"], "借出：《西游记》")
        self.assertContains(r, "本台最近扫描")

    def test_without_javascript_a_scan_posts_and_the_page_shows_the_result_once(self) -> None:
        r = self.client.post("/desk/scan/", {"code": "P0001"})
        self.assertRedirects(r, "/desk/", fetch_redirect_response=False)
        r = self.client.post("/desk/scan/", {"code": "T0001"})
        self.assertRedirects(r, "/desk/", fetch_redirect_response=False)
        page = self.client.get("/desk/")
        self.assertBanner(page, "ok", "借出：《西游记》")
        self.assertContains(page, "王艾达")
        self.assertContains(self.client.get("/desk/"), "准备就绪")

    def test_every_checkout_is_one_event_by_the_desk(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        event = CirculationEvent.objects.get(action="checkout")
        self.assertEqual((event.patron, event.item, event.via), (self.ada_patron, self.t1, "desk"))

    def test_a_blocked_reader_is_opened_in_red_with_the_reason(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(overdue_block_days=3)
        Loan.objects.create(
            item=self.t2,
            patron=self.ada_patron,
            checked_out_on=NOON.date() - timedelta(days=24),
            due_on=NOON.date() - timedelta(days=10),
        )
        r = self.scan("P0001")
        self.assertBanner(r, "refuse", "王艾达（五年级(2)班） 现在不能借书。")
        self.assertContains(r, "sx-desk-blocks")
        self.assertContains(r, "不能借书：")
