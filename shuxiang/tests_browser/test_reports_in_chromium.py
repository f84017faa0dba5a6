"""The report pages' charts in a real browser: the vendored ECharts draws each chart in Chinese.

Screenshot at 1366×768 to /tmp/shuxiang-reports.png for a human to look at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.reports import periods
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api


class ReportChartsInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Inside this term so far, whatever the day the suite runs (holidays included).
        term = periods.term_of(timezone.localdate())
        last = min(term.end, timezone.localdate())
        klass = SchoolClass.objects.create(grade=3, number=1)
        pupil = Patron.objects.create(
            card_number="P1", name="小明", type=Patron.Type.STUDENT, school_class=klass
        )
        item = self.journey.items.first()
        assert item is not None
        for days in (0, 7, 14):
            out = max(term.start, last - timedelta(days=days))
            Loan.objects.create(
                item=item,
                patron=pupil,
                school_class=klass,
                patron_type=Patron.Type.STUDENT,
                kind=Loan.Kind.REGULAR,
                checked_out_on=out,
                due_on=out + timedelta(days=14),
                returned_at=timezone.now(),
            )

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_load_state()

    def test_the_dashboard_draws_its_four_charts_with_echarts(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        page.goto(self.url("/staff/reports/"))
        drawn = page.locator('[data-chart-state="drawn"]')
        expect(drawn).to_have_count(4)
        # ECharts renders SVG (it prints sharply); the class chart names the class in Chinese.
        expect(page.locator("#chart-classes svg")).to_have_count(1)
        expect(page.locator("#chart-classes svg")).to_contain_text("三年级(1)班")
        expect(page.locator("#chart-weeks svg")).to_contain_text("借阅册次")
        page.screenshot(path="/tmp/shuxiang-reports.png", full_page=True)

    def test_a_period_without_loans_says_so_instead_of_an_empty_frame(self) -> None:
        expect = sync_api.expect
        page = self.new_page()
        self.log_in(page)
        page.goto(self.url("/staff/reports/term/?kind=range&start=2001-01-01&end=2001-01-31"))
        empty = page.locator('#chart-weeks [data-chart-state="empty"]')
        expect(empty).to_have_text("本期无数据")
        page.get_by_role("button", name="复制这段文字").click()
        expect(page.get_by_role("button", name="已复制")).to_be_visible()
