"""The circulation desk in a real browser, driven as a USB scanner drives it: a barcode typed,
then Enter, faster than the server answers. Screenshots go to /tmp/shuxiang-desk-*.png."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog
from shuxiang.circulation import defaults
from shuxiang.circulation.models import Hold, Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api


class DeskInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        defaults.ensure_defaults(timezone.localdate())
        User.objects.create_user(
            "sam", password="sam-pass-1", role=User.Role.ASSISTANT, display_name="小图书管理员"
        )
        class_5_2 = SchoolClass.objects.create(grade=5, number=2)
        self.ada = Patron.objects.create(
            card_number="P0001", name="王艾达", student_number="2022050201", school_class=class_5_2
        )
        self.bo = Patron.objects.create(
            card_number="P0004",
            name="李博",
            school_class=SchoolClass.objects.create(grade=3, number=1),
        )
        catalog.catalogue_record(
            catalog.RecordData.with_authors("红楼梦", ["曹雪芹"], class_number="I242.4"),
            [catalog.ItemData(barcode="T0003")],
            by=self.lena,
        )

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("sam")
        page.get_by_label("密码").fill("sam-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(self.url("/desk/"))

    def scanner(self, page: Any, code: str) -> None:
        """What a USB scanner does: types the barcode, then presses Enter."""
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")

    def test_an_assistant_lends_returns_and_undoes_from_the_scanner_alone(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        box = page.locator("[data-desk-scan]")
        banner = page.locator(".sx-feedback")
        expect(box).to_be_focused()
        expect(page.locator("#sx-nav")).not_to_contain_text("查找图书")
        page.evaluate("window.sxNoReload = true")

        self.scanner(page, "P0001")
        expect(banner).to_contain_text("读者：王艾达（五年级(2)班）")
        expect(banner).to_have_class("sx-feedback sx-feedback-ok")
        expect(page.locator(".sx-desk-patron")).to_contain_text("还可借 2 册")

        # Two books, the second typed before the first is answered: both lent, in order.
        self.scanner(page, "T0001")
        self.scanner(page, "T0003")
        loans = page.locator(".sx-desk-loans")
        expect(loans).to_contain_text("T0001")
        expect(loans).to_contain_text("T0003")
        expect(banner).to_contain_text("借出：《红楼梦》")
        expect(banner).to_have_class("sx-feedback sx-feedback-ok")
        expect(page.locator(".sx-desk-patron")).to_contain_text("已借满")
        expect(box).to_be_focused()
        expect(box).to_have_value("")
        self.assertTrue(page.evaluate("window.sxNoReload === true"), "the page reloaded")
        self.assertEqual(Loan.objects.open().filter(patron=self.ada).count(), 2)
        self.assertEqual(page.locator("[data-desk]").get_attribute("data-desk-last-beep"), "ok")
        page.screenshot(path="/tmp/shuxiang-desk-lent.png")

        self.scanner(page, "NOPE99")
        expect(banner).to_have_class("sx-feedback sx-feedback-refuse")
        expect(banner).to_contain_text("条码 NOPE99 既不是图书，也不是借书证。")
        self.assertEqual(page.locator("[data-desk]").get_attribute("data-desk-last-beep"), "refuse")
        page.screenshot(path="/tmp/shuxiang-desk-refused.png")

        page.keyboard.press("Escape")  # 完成: next child
        expect(page.locator("#desk-mode")).to_contain_text("还没有打开读者")
        Hold.objects.create(record=self.journey, patron=self.bo)  # Bo waits for 西游记
        self.scanner(page, "T0001")
        expect(banner).to_contain_text("还回：《西游记》")
        expect(banner).to_contain_text("借书人：王艾达（五年级(2)班）")
        expect(banner).to_have_class("sx-feedback sx-feedback-warn")
        expect(page.locator(".sx-feedback-hold")).to_have_text(
            "这本书预约给 李博（三年级(1)班）：请放到预约架上！"
        )
        page.screenshot(path="/tmp/shuxiang-desk-returned.png")

        page.keyboard.press("Control+z")
        expect(banner).to_contain_text("已撤销还书：《西游记》")
        expect(page.locator(".sx-desk-history")).to_contain_text("（已撤销）")
        self.assertEqual(Hold.objects.get().status, Hold.Status.WAITING)
        expect(box).to_be_focused()
        self.assertEqual(Loan.objects.open().filter(patron=self.ada).count(), 2)
        self.assertTrue(page.evaluate("window.sxNoReload === true"), "the page reloaded")

    def test_a_book_is_renewed_from_its_row_with_tab_and_r(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        self.scanner(page, "P0001")
        self.scanner(page, "T0001")
        banner = page.locator(".sx-feedback")
        expect(banner).to_contain_text("借出：《西游记》")
        renew = page.locator("[data-desk-renew]")
        for _ in range(12):  # Tab along the page until the row's button has the focus
            page.keyboard.press("Tab")
            if renew.evaluate("el => el === document.activeElement"):
                break
        expect(renew).to_be_focused()
        page.keyboard.press("r")
        expect(banner).to_contain_text("已续借：《西游记》")
        expect(page.locator("[data-desk-scan]")).to_be_focused()
        self.assertEqual(Loan.objects.get().renewals, 1)

    def test_the_sound_switch_is_remembered(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        sound = page.locator("[data-desk-sound]")
        expect(sound).to_have_attribute("aria-pressed", "true")
        page.get_by_role("button", name="声音：开").click()
        expect(sound).to_have_attribute("aria-pressed", "false")
        expect(page.get_by_role("button", name="声音：关")).to_be_visible()
        expect(page.locator("[data-desk-scan]")).to_be_focused()
        page.reload()
        expect(page.get_by_role("button", name="声音：关")).to_be_visible()
        self.scanner(page, "P0001")
        expect(page.locator(".sx-feedback")).to_contain_text("王艾达")
        self.assertIsNone(page.locator("[data-desk]").get_attribute("data-desk-last-beep"))
