from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.models import LoanRule
from shuxiang.test import BaseTestCase

MONDAY_NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/staff/circulation/rules/"


def _rule_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patron_category": "student_upper",
        "item_type": "",
        "location": "",
        "max_loans": 3,
        "loan_days": 21,
        "renewals": 1,
        "holds_allowed": "on",
        "note": "",
    }
    data.update(overrides)
    return data


@time_machine.travel(MONDAY_NOON, tick=False)
class LoanRulePageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_only_the_librarian_sees_the_rules(self) -> None:
        self.client.logout()
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )
        assistant = User.objects.create_user(
            "xiao", password="x-pass-123", role=User.Role.ASSISTANT
        )
        for user in (self.ada, self.tom, self.hana, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403, user.username)
            self.assertEqual(self.client.post(f"{URL}new/", _rule_post()).status_code, 403)
        self.assertFalse(LoanRule.objects.filter(patron_category="student_upper").exists())

    def test_it_shows_the_matrix_with_readable_labels(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, "借阅规则")
        self.assertContains(response, '<th scope="row" class="fw-normal">学生</th>', html=False)
        self.assertContains(response, "教师阅览室")
        self.assertContains(response, "仅限室内")
        self.assertContains(response, "不外借")

    def test_it_adds_a_rule_and_logs_it(self) -> None:
        response = self.client.post(f"{URL}new/", _rule_post())
        self.assertRedirects(response, URL)
        rule = LoanRule.objects.get(patron_category="student_upper")
        self.assertEqual((rule.max_loans, rule.loan_days, rule.renewals), (3, 21, 1))
        entry = AuditLog.objects.get(action="loan_rule.added")
        self.assertEqual(entry.target_id, str(rule.pk))
        self.assertEqual(entry.by, self.lena)

    def test_it_refuses_a_second_rule_for_the_same_cell_in_chinese(self) -> None:
        before = LoanRule.objects.count()
        response = self.client.post(f"{URL}new/", _rule_post(patron_category="student"))
        self.assertEqual(response.status_code, 422)
        self.assertContains(
            response, "这一读者类别、文献类型和馆藏地点的组合已有规则", status_code=422
        )
        self.assertEqual(LoanRule.objects.count(), before)

    def test_it_refuses_a_loan_of_no_days_and_bad_numbers(self) -> None:
        response = self.client.post(f"{URL}new/", _rule_post(loan_days=0))
        self.assertContains(response, "借期至少为 1 天", status_code=422)
        response = self.client.post(f"{URL}new/", _rule_post(max_loans=-1, renewals="x"))
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "is-invalid", status_code=422)
        self.assertFalse(LoanRule.objects.filter(patron_category="student_upper").exists())

    def test_an_in_room_rule_needs_no_days(self) -> None:
        response = self.client.post(
            f"{URL}new/", _rule_post(item_type="periodical", loan_days=0, room_only="on")
        )
        self.assertRedirects(response, URL)
        rule = LoanRule.objects.get(patron_category="student_upper", item_type="periodical")
        self.assertTrue(rule.room_only)
        self.assertEqual(rule.loan_days, 0)

    def test_an_edit_changes_the_next_checkout_at_once(self) -> None:
        rule = LoanRule.objects.get(patron_category="student", item_type="", location=None)
        first = services.check_out(self.ada_patron, "T0001", services.Channel(by=self.lena))
        self.assertEqual(first.loan.due_on, date(2026, 12, 7))  # 14 days
        response = self.client.post(
            f"{URL}{rule.pk}/", _rule_post(patron_category="student", loan_days=21)
        )
        self.assertRedirects(response, URL)
        second = services.check_out(self.ada_patron, "T0002", services.Channel(by=self.lena))
        self.assertEqual(second.loan.due_on, date(2026, 12, 14))  # 21 days
        entry = AuditLog.objects.get(action="loan_rule.changed")
        self.assertEqual(entry.detail["fields"], ["loan_days", "max_loans"])

    def test_an_edit_into_another_rules_cell_is_refused(self) -> None:
        rule = LoanRule.objects.get(patron_category="staff", item_type="", location=None)
        response = self.client.post(f"{URL}{rule.pk}/", _rule_post(patron_category="teacher"))
        self.assertContains(response, "已有规则", status_code=422)
        rule.refresh_from_db()
        self.assertEqual(rule.patron_category, "staff")

    def test_it_deletes_a_rule_but_keeps_the_catch_all(self) -> None:
        rule = LoanRule.objects.get(patron_category="staff", item_type="", location=None)
        response = self.client.post(f"{URL}{rule.pk}/delete/")
        self.assertRedirects(response, URL)
        self.assertFalse(LoanRule.objects.filter(pk=rule.pk).exists())
        self.assertTrue(AuditLog.objects.filter(action="loan_rule.deleted").exists())
        catch_all = LoanRule.objects.get(patron_category="", item_type="", location=None)
        response = self.client.post(f"{URL}{catch_all.pk}/delete/", follow=True)
        self.assertContains(response, "总规则不能删除")
        self.assertTrue(LoanRule.objects.filter(pk=catch_all.pk).exists())

    def test_get_on_a_post_only_address_is_refused(self) -> None:
        self.assertEqual(self.client.get(f"{URL}new/").status_code, 405)


@time_machine.travel(MONDAY_NOON, tick=False)
class WhichRuleAppliesTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_shows_the_winning_rule_and_why(self) -> None:
        response = self.client.get(
            f"{URL}check/",
            {
                "patron_category": "student_upper",
                "item_type": "reference",
                "location": str(self.stacks.pk),
            },
        )
        self.assertEqual(response.status_code, 200)
        winner = response.context["winner"]
        self.assertEqual(winner.rule.item_type, "reference")
        self.assertTrue(winner.rule.room_only)
        self.assertContains(response, "适用")
        self.assertContains(response, "适用于所有学生")
        self.assertContains(response, "限定这一文献类型")
        # The general student rule matched too, but lost.
        losers = [c.rule for c in response.context["candidates"] if not c.wins]
        self.assertIn(
            LoanRule.objects.get(patron_category="student", item_type="", location=None), losers
        )

    def test_a_location_rule_beats_a_category_rule(self) -> None:
        response = self.client.get(
            f"{URL}check/",
            {
                "patron_category": "teacher",
                "item_type": "general",
                "location": str(self.reading_room.pk),
            },
        )
        winner = response.context["winner"]
        self.assertEqual(winner.rule.location, self.reading_room)
        self.assertContains(response, "限定这一馆藏地点")

    def test_it_reads_a_card_and_a_barcode(self) -> None:
        response = self.client.get(f"{URL}check/", {"card": "P0001", "barcode": "T0001"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "王艾达")
        self.assertContains(response, "西游记")
        self.assertEqual(response.context["winner"].rule.patron_category, "student")
        entry = AuditLog.objects.get(action="loan_rule.checked")
        self.assertEqual(entry.target_id, str(self.ada_patron.pk))
        self.assertNotIn("王艾达", str(entry.detail))

    def test_it_says_in_chinese_what_is_wrong_with_the_input(self) -> None:
        response = self.client.get(f"{URL}check/", {"card": "P9999", "barcode": "T0001"})
        self.assertContains(response, "没有借书证号为 P9999 的读者", status_code=422)
        response = self.client.get(f"{URL}check/", {"card": "P0001", "barcode": "NOPE"})
        self.assertEqual(response.status_code, 422)
        response = self.client.get(f"{URL}check/", {"card": "P0001"})
        self.assertContains(response, "请同时扫描借书证和图书", status_code=422)
        self.assertIn("is-invalid", str(response.context["check"]["barcode"]))  # the next scan
        response = self.client.get(f"{URL}check/", {"item_type": "general"})
        self.assertContains(response, "请选择读者类别", status_code=422)

    def test_it_says_when_no_rule_matches(self) -> None:
        LoanRule.objects.filter(patron_category="").delete()
        LoanRule.objects.filter(patron_category="staff").delete()
        response = self.client.get(
            f"{URL}check/",
            {"patron_category": "staff", "item_type": "general", "location": str(self.stacks.pk)},
        )
        self.assertIsNone(response.context["winner"])
        self.assertContains(response, "没有匹配的规则")

    def test_an_unlendable_teaching_book_shows_as_not_for_loan(self) -> None:
        Item.objects.filter(barcode="T0002").update(item_type=Item.ItemType.TEACHING)
        response = self.client.get(f"{URL}check/", {"card": "P0001", "barcode": "T0002"})
        self.assertContains(response, "不外借")
