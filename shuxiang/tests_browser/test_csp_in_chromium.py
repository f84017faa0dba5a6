"""The Content-Security-Policy enforced in a real browser: the busiest pages load without a
single violation (vendored Bootstrap, htmx and ECharts included).

Chromium reports each refused script or style on the console and as a
securitypolicyviolation event; both are collected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from shuxiang.circulation.models import Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.tests_browser.test_pages_in_chromium import BrowserTestCase, sync_api

# Installed before any page script: it cannot itself break the policy (Playwright evaluates
# it through the debugger), and it records what the page was refused.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


class CspInTheBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        klass = SchoolClass.objects.create(grade=3, number=1)
        pupil = Patron.objects.create(
            card_number="P1", name="小明", type=Patron.Type.STUDENT, school_class=klass
        )
        item = self.journey.items.first()
        assert item is not None
        today = timezone.localdate()
        for days in (0, 7, 14):
            Loan.objects.create(
                item=item,
                patron=pupil,
                school_class=klass,
                patron_type=Patron.Type.STUDENT,
                kind=Loan.Kind.REGULAR,
                checked_out_on=today - timedelta(days=days),
                due_on=today + timedelta(days=14 - days),
                returned_at=timezone.now(),
            )

    def csp_page(self) -> Any:
        page = self.new_page()
        page.add_init_script(LISTEN)
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(msg.text))
        return page

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("用户名").fill("lena")
        page.get_by_label("密码").fill("lena-pass-1")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(self.url("/staff/catalog/"))

    def assert_no_violation(self, page: Any, path: str) -> None:
        response = page.goto(self.url(path))
        self.assertIn("script-src 'self'", response.headers["content-security-policy"])
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__cspViolations")
        refused = [text for text in self.console if "Content Security Policy" in text]
        self.assertEqual((violations, refused), ([], []), path)

    def test_the_opac_loads_under_the_policy(self) -> None:
        page = self.csp_page()
        self.assert_no_violation(page, "/")
        self.assert_no_violation(page, "/?q=西游")
        self.assert_no_violation(page, f"/records/{self.journey.pk}/")

    def test_the_desk_loads_and_scans_under_the_policy(self) -> None:
        page = self.csp_page()
        self.log_in(page)
        self.assert_no_violation(page, "/desk/")
        # A scan swaps in htmx content (and htmx must not add its indicator <style>).
        box = page.locator("input[name='code']").first
        box.fill("P1")
        box.press("Enter")
        page.wait_for_load_state("networkidle")
        self.assertEqual(page.evaluate("window.__cspViolations"), [])
        self.assertEqual(page.locator("style").count(), 0)

    def test_the_reports_dashboard_draws_its_echarts_under_the_policy(self) -> None:
        page = self.csp_page()
        self.log_in(page)
        self.assert_no_violation(page, "/staff/reports/")
        sync_api.expect(page.locator('[data-chart-state="drawn"]')).to_have_count(4)
        page.locator("#chart-classes svg").first.hover()
        self.assertEqual(page.evaluate("window.__cspViolations"), [])

    def test_the_label_and_print_pages_load_under_the_policy(self) -> None:
        page = self.csp_page()
        self.log_in(page)
        self.assert_no_violation(page, "/staff/labels/")
        self.assert_no_violation(page, "/staff/notices/")
        self.assert_no_violation(page, "/staff/overdue/notices/")
