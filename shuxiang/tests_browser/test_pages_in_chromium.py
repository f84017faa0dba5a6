"""The pages in a real browser: headless Chromium driven by Playwright against a live server.

Screenshots at 1366×768 (the school PC) go to /tmp/shuxiang-*.png for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from shuxiang.accounts.models import User
from shuxiang.catalog import services
from shuxiang.catalog.models import Record

# Playwright's sync API runs an event loop in this thread; Django would then refuse the
# ORM calls the tests make. The live server runs in its own thread and is unaffected.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("SHUXIANG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREEN = {"width": 1366, "height": 768}

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'"
)
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set SHUXIANG_CHROMIUM)",
        allow_module_level=True,
    )


class BrowserTestCase(StaticLiveServerTestCase):
    playwright: Any
    browser: Any

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.playwright = sync_api.sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        services.ensure_default_locations()
        self.lena = User.objects.create_user(
            "lena", password="lena-pass-1", role=User.Role.LIBRARIAN, display_name="李娜"
        )
        self.journey = services.catalogue_record(
            services.RecordData.with_authors(
                "西游记", ["吴承恩"], publisher="人民文学出版社", year=2019, class_number="I242.4"
            ),
            [services.ItemData(barcode="T0001"), services.ItemData(barcode="T0002")],
            by=self.lena,
        )

    def new_page(self, locale: str = "zh-CN") -> Any:
        context = self.browser.new_context(viewport=SCREEN, locale=locale)
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        self.addCleanup(lambda: self.assertEqual(errors, [], "JavaScript errors on the page"))
        return page

    def url(self, path: str) -> str:
        return f"{self.live_server_url}{path}"


class OpacInTheBrowserTests(BrowserTestCase):
    def test_a_reader_searches_in_chinese_and_finds_the_call_number(self) -> None:
        page = self.new_page()
        page.goto(self.url("/"))
        expect = sync_api.expect
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        box = page.get_by_role("searchbox")
        expect(box).to_be_focused()
        expect(box).to_have_attribute("placeholder", "书名、作者、拼音、首字母、ISBN、分类号")
        box.fill("西游")
        box.press("Enter")
        page.wait_for_url("**/?q=*")
        result = page.locator(".sx-result").first
        expect(result).to_contain_text("西游记")
        expect(result).to_contain_text("I242.4/1")
        expect(result).to_contain_text("在架 2 / 共 2 册")
        page.screenshot(path="/tmp/shuxiang-opac-results.png")
        result.get_by_role("link", name="西游记").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("西游记")
        expect(page.locator("#copies")).not_to_contain_text("T0001")

    def test_a_reader_switches_to_english(self) -> None:
        page = self.new_page()
        page.goto(self.url("/?q=西游"))
        page.get_by_role("button", name="English").click()
        expect = sync_api.expect
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("link", name="Find books")).to_be_visible()
        expect(page.locator(".sx-result").first).to_contain_text("2 on shelf / 2 copies")
        page.get_by_role("button", name="简体中文").click()
        expect(page.get_by_role("link", name="查找图书")).to_be_visible()

    def test_the_empty_state_suggests_pinyin(self) -> None:
        page = self.new_page()
        page.goto(self.url("/"))
        page.get_by_role("searchbox").fill("没有这本书")
        page.get_by_role("searchbox").press("Enter")
        sync_api.expect(page.locator(".sx-empty")).to_contain_text("拼音或首字母")


class CataloguingInTheBrowserTests(BrowserTestCase):
    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(self.url("/staff/catalog/"))

    def test_a_librarian_catalogues_a_new_book_from_its_isbn(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        isbn_box = page.get_by_label("ISBN")
        expect(isbn_box).to_be_focused()
        isbn_box.fill("7-5006-0846-2")
        isbn_box.press("Enter")  # what a scanner does
        page.wait_for_url("**/records/new/?isbn=9787500608462")
        expect(page.get_by_label("ISBN")).to_have_value("9787500608462")

        title = page.get_by_label("题名", exact=True)
        expect(title).to_be_focused()
        title.fill("城南旧事")
        title.press("Enter")  # moves on, does not save half a record
        self.assertEqual(page.url, self.url("/staff/catalog/records/new/?isbn=9787500608462"))
        page.locator("#id_authors-0-name").fill("林海音")
        page.locator("[data-formset-add=authors]").click()
        page.locator("#id_authors-2-name").fill("关维兴")
        page.locator("#id_authors-2-role").select_option("illustrator")
        page.get_by_label("出版者").fill("中国青年出版社")
        page.get_by_label("出版年").fill("2010")
        page.get_by_label("价格").fill("20.00元")
        self.choose_class(page, "I287.5")
        page.get_by_label("条码号").fill("B100\nB101")
        page.screenshot(path="/tmp/shuxiang-catalogue-form.png", full_page=True)
        page.get_by_label("条码号").press("Control+Enter")

        page.wait_for_url("**/staff/catalog/records/*/")
        expect(page.locator(".alert-success")).to_contain_text("索书号 I287.5/1")
        expect(page.locator("#copies")).to_contain_text("B101")
        page.screenshot(path="/tmp/shuxiang-catalogued.png")
        record = Record.objects.get(title="城南旧事")
        self.assertEqual(record.call_number, "I287.5/1")
        self.assertEqual(
            record.contributors,
            [{"name": "林海音", "role": "author"}, {"name": "关维兴", "role": "illustrator"}],
        )
        self.assertEqual(record.items.count(), 2)

    def choose_class(self, page: Any, code: str) -> None:
        field = page.get_by_label("分类号", exact=True)
        if field.get_attribute("data-clc-check"):
            # The instant check explains a wrong number when one leaves the field.
            field.fill("W12")
            field.press("Tab")
            chosen = page.locator("[data-clc-chosen]")
            sync_api.expect(chosen).to_contain_text("基本大类“W”不存在")
            field.focus()
        field.fill("")
        if field.get_attribute("hx-get"):
            # The CLC picker: typing lists classes; choosing one fills the field.
            field.press_sequentially(code, delay=30)
            option = page.locator(f'[data-clc-list] [data-clc-code="{code}"]')
            sync_api.expect(option).to_be_visible()
            box = page.locator("[data-clc]").bounding_box()
            top = box["y"] + page.evaluate("window.scrollY") - 150
            clip = {"x": 0, "y": max(top, 0), "width": SCREEN["width"], "height": 500}
            page.screenshot(path="/tmp/shuxiang-clc-picker.png", full_page=True, clip=clip)
            option.click()
            sync_api.expect(page.locator("[data-clc-list]")).to_be_hidden()
        else:
            field.fill(code)
        sync_api.expect(field).to_have_value(code)

    def test_a_duplicate_isbn_adds_a_copy_to_the_existing_record(self) -> None:
        expect = sync_api.expect
        self.journey.isbn = "9787020002207"
        self.journey.save()
        page = self.new_page()
        self.log_in(page)
        page.get_by_label("ISBN").fill("9787020002207")
        page.get_by_label("ISBN").press("Enter")
        page.wait_for_url(f"**/staff/catalog/records/{self.journey.pk}/?add=1")
        barcode = page.get_by_label("条码号", exact=True)
        expect(barcode).to_be_focused()
        barcode.fill("T0003")
        barcode.press("Enter")
        expect(page.locator(".alert-success")).to_contain_text("已添加一册 T0003")
        expect(page.get_by_label("条码号", exact=True)).to_be_focused()
        self.assertEqual(self.journey.items.count(), 3)
