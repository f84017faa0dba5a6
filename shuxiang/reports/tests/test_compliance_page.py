"""The compliance page /staff/reports/compliance/, its targets form and the reports landing page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import time_machine
from django.conf import settings
from django.urls import reverse

from shuxiang.accounts.models import AuditLog, User
from shuxiang.reports.models import ComplianceTargets
from shuxiang.test import BaseTestCase

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PAGE = reverse("reports:compliance")
TARGETS = reverse("reports:compliance_targets")
SHARES = {
    "share_A": "1",
    "share_B": "1",
    "share_C_K": "60",
    "share_N_X": "33",
    "share_Z": "5",
}


@time_machine.travel(date(2026, 11, 2), tick=False)
class CompliancePageTests(BaseTestCase):
    vera: User
    sam: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.vera = User.objects.create_user("vera", password="x", role=User.Role.VIEWER)
        cls.sam = User.objects.create_user("sam", password="x", role=User.Role.ASSISTANT)

    def test_it_shows_each_requirement_with_value_target_and_result(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.get(PAGE)
        self.assertEqual(response.status_code, 200)
        # Ada alone with 《西游记》's two copies: 2 volumes per student, far below 25.
        self.assertContains(response, 'id="req-volumes_per_student"')
        self.assertContains(response, "2 / 1")
        self.assertContains(response, "未达标")
        # The default calendar opens 42.5 hours a week: met.
        self.assertContains(response, "42.5")
        self.assertNotContains(response, "42.50")
        self.assertContains(response, 'data-result="met"', count=1)
        self.assertContains(response, 'data-result="not-met"', count=4)
        self.assertContains(response, "C–K 社会科学")
        self.assertContains(response, 'name="volumes_per_student"')

    def test_it_lets_a_viewer_read_the_page_without_the_targets_form(self) -> None:
        self.client.force_login(self.vera)
        response = self.client.get(PAGE)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="volumes_per_student"')

    def test_it_refuses_everyone_else(self) -> None:
        for user in (self.sam, self.hana, self.tom, self.ada):
            self.client.force_login(user)
            self.assertEqual(self.client.get(PAGE).status_code, 403, user.role)
            self.assertEqual(self.client.get(reverse("reports:index")).status_code, 403)

    def test_it_sends_a_visitor_to_the_login_page(self) -> None:
        response = self.client.get(PAGE)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse(settings.LOGIN_URL), response["Location"])

    def test_it_lists_the_compliance_page_on_the_reports_landing_page(self) -> None:
        self.client.force_login(self.vera)
        response = self.client.get(reverse("reports:index"))
        self.assertContains(response, f'href="{PAGE}"')


@time_machine.travel(date(2026, 11, 2), tick=False)
class ComplianceTargetsFormTests(BaseTestCase):
    def post(self, **data: str) -> Response:
        self.client.force_login(self.lena)
        return self.client.post(TARGETS, data)

    def test_it_saves_the_schools_targets_and_audits_the_change(self) -> None:
        self.client.post(TARGETS)  # not signed in: nothing happens
        self.assertEqual(ComplianceTargets.objects.count(), 0)
        response = self.post(volumes_per_student="2", periodical_titles="10", **SHARES)
        self.assertRedirects(response, PAGE)
        row = ComplianceTargets.objects.get()
        self.assertEqual(row.volumes_per_student, Decimal(2))
        self.assertIsNone(row.reference_titles)
        self.assertEqual(row.class_shares["N-X"], "33")
        log = AuditLog.objects.get(action="compliance_targets_changed")
        self.assertEqual(
            log.detail["fields"], ["volumes_per_student", "periodical_titles", "class_shares"]
        )
        page = self.client.get(PAGE)
        self.assertContains(page, 'data-result="met"', count=2)  # 2 per student, and the hours

    def test_it_puts_back_the_regulations_figure_when_a_box_is_emptied(self) -> None:
        ComplianceTargets.objects.create(volumes_per_student=Decimal(2))
        self.post()
        self.assertIsNone(ComplianceTargets.objects.get().volumes_per_student)

    def test_it_writes_nothing_when_nothing_changed(self) -> None:
        self.post()
        self.assertFalse(AuditLog.objects.filter(action="compliance_targets_changed").exists())

    def test_it_refuses_bad_input_in_chinese_and_saves_nothing(self) -> None:
        cases = [
            ({"volumes_per_student": "很多"}, "输入一个数字"),
            ({"weekly_hours": "-3"}, "大于或等于"),
            ({"share_A": "2"}, "五大部类的比例请全部填写，或者全部留空"),
            ({**SHARES, "share_Z": "1"}, "五大部类的比例加起来应为 100%，现在是 96%"),
        ]
        for data, message in cases:
            response = self.post(**data)
            self.assertContains(response, message, status_code=400)
        self.assertEqual(ComplianceTargets.objects.count(), 0)
        self.assertFalse(AuditLog.objects.filter(action="compliance_targets_changed").exists())

    def test_it_refuses_the_form_to_a_viewer(self) -> None:
        self.client.force_login(User.objects.create_user("vera", role=User.Role.VIEWER))
        response = self.client.post(TARGETS, {"volumes_per_student": "1"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(ComplianceTargets.objects.count(), 0)
