"""A class corner's scanning session in headless Chromium, driven as a USB scanner drives it:
barcodes typed and Enter pressed faster than the server answers. Screenshots go to
/tmp/shuxiang-corner-*.png."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from shuxiang.catalog import services as catalog
from shuxiang.circulation import defaults
from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import SchoolClass
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api


class CornerInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        defaults.ensure_defaults(timezone.localdate())
        self.school_class = SchoolClass.objects.create(grade=5, number=2)
        catalog.catalogue_record(
            catalog.RecordData.with_authors("草房子", ["曹文轩"], class_number="I287.45"),
            [catalog.ItemData(barcode=f"C000{n}") for n in range(1, 4)],
            by=self.lena,
        )

    def log_in(self, page: Any, then: str) -> None:
        page.goto(self.url(f"/accounts/login/?next={then}"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(self.url(then))

    def scanner(self, page: Any, code: str) -> None:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")

    def test_a_batch_is_lent_and_taken_back_from_the_scanner_alone(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        corner = f"/staff/corners/{self.school_class.pk}/"
        self.log_in(page, corner)
        box = page.locator("#scan-barcode")
        expect(box).to_be_focused()
        page.evaluate("window.sxNoReload = true")

        # Three scans, each typed before the last is answered: none is lost, in order.
        for code in ("C0001", "NOPE99", "C0002"):
            self.scanner(page, code)
        lines = page.locator("#scan-results > li")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_contain_text("C0002")
        expect(lines.nth(0)).to_have_class(re.compile(r"\blist-group-item-success\b"))
        expect(lines.nth(1)).to_contain_text("NOPE99")
        expect(lines.nth(1)).to_have_attribute("data-scan-outcome", "refused")
        expect(lines.nth(2)).to_contain_text("已借给图书角")
        expect(page.locator('[data-scan-count="done"]')).to_have_text("2")
        expect(page.locator('[data-scan-count="refused"]')).to_have_text("1")
        expect(page.locator("#corner-holdings h2")).to_have_text("图书角现有图书：2 本")
        rows = page.locator("#corner-books > tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text("C0002")
        expect(box).to_be_focused()
        expect(box).to_have_value("")
        self.assertTrue(page.evaluate("window.sxNoReload === true"), "the page reloaded")
        self.assertEqual(Loan.objects.open().filter(school_class=self.school_class).count(), 2)
        page.screenshot(path="/tmp/shuxiang-corner-lent.png")

        page.get_by_role("link", name="收回", exact=True).click()
        page.wait_for_url(self.url(f"{corner}?mode=return"))
        expect(box).to_be_focused()
        self.scanner(page, "C0001")
        expect(lines.nth(0)).to_contain_text("已从图书角收回。")
        expect(page.locator("#corner-holdings h2")).to_have_text("图书角现有图书：1 本")
        expect(rows).to_have_count(1)
        expect(rows.nth(0)).to_contain_text("C0002")
        # A book lent in this session is listed, so "return all" takes it back too.
        self.scanner(page, "C0003")
        expect(lines.nth(0)).to_contain_text("这本书没有借出")
        page.get_by_role("link", name="借出", exact=True).click()
        page.wait_for_url(self.url(f"{corner}?mode=lend"))
        expect(box).to_be_focused()
        self.scanner(page, "C0003")
        expect(rows).to_have_count(2)

        page.get_by_text("全部收回…").click()
        page.get_by_role("button", name="确认，全部收回 2 本").click()
        expect(page.locator(".alert")).to_contain_text("已收回 2 本。")
        page.screenshot(path="/tmp/shuxiang-corner-returned.png")
        self.assertFalse(Loan.objects.open().exists())
