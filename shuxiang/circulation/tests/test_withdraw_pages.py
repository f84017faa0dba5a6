from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING, Any

import openpyxl  # type: ignore[import-untyped]
import time_machine
from django.urls import reverse

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.models import CirculationEvent
from shuxiang.circulation.tests.service_case import ServiceTestCase, at

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

HTMX = {"HX-Request": "true"}
SCAN = reverse("withdrawals:scan")
WITHDRAW = reverse("withdrawals:withdraw")
UNDO = reverse("withdrawals:undo")
REGISTER = reverse("withdrawals:register")
XLSX = reverse("withdrawals:register_xlsx")


class WithdrawPageCase(ServiceTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def scan(self, code: str, reason: str = "weeded", note: str = "") -> Response:
        data = {"barcode": code, "reason": reason, "note": note}
        return self.client.post(WITHDRAW, data, headers=HTMX)

    def withdraw_on(self, day: str, code: str, reason: str = "weeded") -> None:
        with time_machine.travel(at(day), tick=False):
            services.withdraw(code, self.desk, reason=reason)


class ScanTests(WithdrawPageCase):
    def test_the_scan_page_offers_the_reasons_and_fills_a_barcode_from_a_record_page(self) -> None:
        response = self.client.get(SCAN, {"barcode": " t0001 "})
        self.assertContains(response, "注销图书")
        self.assertContains(response, 'value="T0001"')
        for label in Item.WithdrawalReason.labels:
            self.assertContains(response, str(label))

    def test_each_scan_answers_with_the_book_and_withdraws_it(self) -> None:
        Item.objects.filter(barcode="T0001").update(call_number="I242.4/W8")
        response = self.scan("t0001", "surplus", "多余复本")
        self.assertContains(response, 'data-scan-outcome="withdrawn"')
        self.assertContains(response, "《西游记》")
        self.assertContains(response, self.item("T0001").accession_number)
        self.assertContains(response, "I242.4/W8")
        self.assertContains(response, "已注销")
        self.assertContains(response, UNDO)
        item = self.item("T0001")
        self.assertEqual((item.status, item.withdrawal_reason), ("withdrawn", "surplus"))
        event = CirculationEvent.objects.get(action="withdrawn")
        self.assertEqual(
            (event.via, event.station, event.detail["note"]), ("web", "withdrawals", "多余复本")
        )

    def test_a_copy_on_loan_is_refused_in_chinese_and_stays_on_loan(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        response = self.scan("T0001")
        self.assertContains(response, 'data-scan-outcome="refused"')
        self.assertContains(response, "请先还回再注销")
        self.assertNotContains(response, UNDO)
        self.assertEqual(self.item("T0001").status, Item.Status.ON_LOAN)
        self.assertFalse(AuditLog.objects.filter(action="item.withdrawn").exists())

    def test_an_unknown_barcode_an_empty_scan_and_a_bad_reason_are_refused(self) -> None:
        self.assertContains(self.scan("Z9999"), "Z9999")
        self.assertContains(self.scan(""), "请扫描图书条码")
        self.assertContains(self.scan("T0001", "old"), "请选择注销原因")
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)

    def test_undo_puts_the_copy_back_and_says_so_on_its_line(self) -> None:
        self.scan("T0001")
        response = self.client.post(UNDO, {"barcode": "T0001"}, headers=HTMX)
        self.assertContains(response, 'data-scan-outcome="undone"')
        self.assertContains(response, "已撤销注销")
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)
        again = self.client.post(UNDO, {"barcode": "T0001"}, headers=HTMX)
        self.assertContains(again, "没有注销")

    def test_without_htmx_the_form_posts_and_comes_back_with_a_message(self) -> None:
        response = self.client.post(WITHDRAW, {"barcode": "T0001", "reason": "worn"}, follow=True)
        self.assertRedirects(response, f"{SCAN}?reason=worn")
        self.assertContains(response, "T0001 《西游记》 已注销")
        self.assertContains(response, '<option value="worn" selected>')

    def test_every_withdrawal_and_undo_is_audited_without_names(self) -> None:
        self.scan("T0001")
        self.client.post(UNDO, {"barcode": "T0001"}, headers=HTMX)
        item = self.item("T0001")
        logs = list(AuditLog.objects.filter(target_type="item").order_by("pk"))
        self.assertEqual([log.action for log in logs], ["item.withdrawn", "item.reinstated"])
        self.assertEqual({log.target_id for log in logs}, {str(item.pk)})
        self.assertEqual({log.by for log in logs}, {self.lena})
        self.assertEqual(logs[0].detail["reason"], "weeded")


class RecordPageTests(WithdrawPageCase):
    def test_the_record_page_links_each_copy_to_the_scan_page(self) -> None:
        response = self.client.get(reverse("catalog:record", args=[self.journey.pk]))
        self.assertContains(response, f"{SCAN}?barcode=T0001")

    def test_a_withdrawn_copy_shows_its_date_and_reason_there(self) -> None:
        self.scan("T0001", "surplus")
        response = self.client.get(reverse("catalog:record", args=[self.journey.pk]))
        self.assertContains(response, "2026-11-23")
        self.assertContains(response, str(Item.WithdrawalReason.SURPLUS.label))
        self.assertNotContains(response, f"{SCAN}?barcode=T0001")


class RegisterTests(WithdrawPageCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.record("安徒生童话", ["H0001", "H0002"], price=Decimal("12.50"))
        Item.objects.filter(barcode="H0002").update(
            price=Decimal("30.00"), accession_number="000123"
        )

    def setUp(self) -> None:
        super().setUp()
        self.withdraw_on("2025-12-01", "D0001")  # last school year
        self.withdraw_on("2026-09-10", "T0001")  # 45.00 from the record
        self.withdraw_on("2026-10-01", "H0001", "surplus")  # 12.50
        self.withdraw_on("2026-11-20", "H0002", "surplus")  # 30.00, its own price
        Item.objects.filter(barcode="M0001").update(status=Item.Status.WITHDRAWN)  # no date

    def rows(self, response: Response) -> list[str]:
        return [
            code
            for code in ("D0001", "T0001", "H0001", "H0002", "M0001")
            if f'data-withdrawn="{code}"' in response.content.decode()
        ]

    def test_it_shows_this_school_year_by_default_with_totals_per_reason(self) -> None:
        response = self.client.get(REGISTER)
        self.assertEqual(self.rows(response), ["T0001", "H0001", "H0002"])
        totals: Any = response.context["register"]
        self.assertEqual(
            [(t.reason, t.copies, t.amount) for t in totals.totals],
            [("weeded", 1, Decimal("45.00")), ("surplus", 2, Decimal("42.50"))],
        )
        self.assertEqual((totals.copies, totals.amount), (3, Decimal("87.50")))
        self.assertContains(response, "共 3 册，金额 87.50 元")
        self.assertContains(response, "另有 1 册")
        self.assertEqual(totals.start, date(2026, 8, 1))

    def test_it_shows_the_dates_asked_for(self) -> None:
        response = self.client.get(REGISTER, {"start": "2025-09-01", "end": "2026-09-30"})
        self.assertEqual(self.rows(response), ["D0001", "T0001"])

    def test_bad_dates_are_explained_in_chinese_and_the_school_year_shown(self) -> None:
        response = self.client.get(REGISTER, {"start": "昨天", "end": "2026-09-30"})
        self.assertContains(response, "不是日期")
        self.assertEqual(self.rows(response), ["T0001"])
        response = self.client.get(REGISTER, {"start": "2026-10-01", "end": "2026-09-01"})
        self.assertContains(response, "开始日期晚于结束日期")
        self.assertEqual(self.rows(response), ["T0001", "H0001", "H0002"])

    def test_the_excel_export_lists_the_copies_and_the_totals(self) -> None:
        response = self.client.get(XLSX, {"start": "2026-08-01", "end": "2027-07-31"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("withdrawals-2026-08-01-2027-07-31.xlsx", response["Content-Disposition"])
        sheet = openpyxl.load_workbook(BytesIO(response.content)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertIn("注销登记簿 2026-08-01 至 2027-07-31", rows[0][0])
        self.assertEqual(
            rows[1], ["注销日期", "原因", "登录号", "条码号", "题名", "索书号", "价格"]
        )
        self.assertEqual(rows[2][0].date(), date(2026, 9, 10))
        self.assertEqual(rows[2][3:5], ["T0001", "西游记"])
        self.assertEqual(rows[4][2:4], ["000123", "H0002"])  # leading zeros kept
        self.assertEqual(rows[4][6], 30.0)
        self.assertEqual(rows[-1][1:3], ["合计", 3])
        self.assertEqual(rows[-1][6], 87.5)
        log = AuditLog.objects.get(action="withdrawals.exported")
        self.assertEqual((log.by, log.detail["rows"]), (self.lena, 3))


class PermissionTests(WithdrawPageCase):
    def test_only_the_librarian_may_withdraw_or_see_the_register(self) -> None:
        staff = [
            User.objects.create_user(str(role), password="x-pass-123", role=role)
            for role in (User.Role.ASSISTANT, User.Role.VIEWER)
        ]
        for user in [*staff, self.hana, self.tom]:
            self.client.force_login(user)
            for url in (SCAN, REGISTER, XLSX):
                self.assertEqual(self.client.get(url).status_code, 403, (user, url))
            for url in (WITHDRAW, UNDO):
                self.assertEqual(
                    self.client.post(url, {"barcode": "T0001", "reason": "weeded"}).status_code, 403
                )
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)
        self.assertFalse(AuditLog.objects.filter(action__startswith="withdrawals").exists())

    def test_visitors_are_sent_to_log_in(self) -> None:
        self.client.logout()
        self.assertEqual(self.client.get(SCAN).status_code, 302)
