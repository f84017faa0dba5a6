"""The withdrawal scanning session in headless Chromium, driven as a USB scanner drives it:
barcodes typed and Enter pressed faster than the server answers, then one line undone.
Screenshots go to /tmp/shuxiang-withdraw-*.png."""

from __future__ import annotations

import re
from typing import Any

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api


class WithdrawInTheBrowserTests(BrowserTestCase):
    def log_in(self, page: Any, then: str) -> None:
        page.goto(self.url(f"/accounts/login/?next={then}"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(self.url(then))

    def scanner(self, page: Any, code: str) -> None:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")

    def test_a_pile_is_withdrawn_from_the_scanner_and_a_wrong_scan_undone(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page, "/staff/withdrawals/")
        page.get_by_label("原因").select_option("surplus")
        page.get_by_label("备注（可不填）").fill("2026年剔旧")
        box = page.locator("#scan-barcode")
        box.focus()
        page.evaluate("window.sxNoReload = true")

        for code in ("T0001", "NOPE99", "T0002"):
            self.scanner(page, code)
        lines = page.locator("#scan-results > li")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_contain_text("T0002")
        expect(lines.nth(0)).to_contain_text("已注销：复本过多。")
        expect(lines.nth(1)).to_have_attribute("data-scan-outcome", "refused")
        expect(lines.nth(2)).to_contain_text("《西游记》")
        expect(page.locator('[data-scan-count="withdrawn"]')).to_have_text("2")
        expect(page.locator('[data-scan-count="refused"]')).to_have_text("1")
        expect(box).to_be_focused()
        page.screenshot(path="/tmp/shuxiang-withdraw-scanned.png")

        lines.nth(0).get_by_role("button", name="撤销").click()
        expect(lines.nth(0)).to_have_attribute("data-scan-outcome", "undone")
        expect(lines.nth(0)).to_contain_text("已撤销注销")
        expect(page.locator('[data-scan-count="withdrawn"]')).to_have_text("1")
        expect(box).to_be_focused()
        self.assertTrue(page.evaluate("window.sxNoReload === true"), "the page reloaded")
        statuses = dict(Item.objects.values_list("barcode", "status"))
        self.assertEqual(statuses, {"T0001": "withdrawn", "T0002": "on_shelf"})
        event = CirculationEvent.objects.get(action="withdrawn", item__barcode="T0001")
        self.assertEqual((event.detail["reason"], event.detail["note"]), ("surplus", "2026年剔旧"))

        page.goto(self.url("/staff/withdrawals/register/"))
        expect(page.locator("[data-withdrawn]")).to_have_count(1)
        expect(page.locator('[data-total="all"]')).to_contain_text(re.compile(r"合计\s*1"))
        page.screenshot(path="/tmp/shuxiang-withdraw-register.png")
