from __future__ import annotations

from django.urls import reverse

from shuxiang.accounts.tests.test_permission_matrix import Matrix, web_patterns

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Pages with ECharts (SVG charts write style="" attributes): inline style attributes only.
CSP_CHARTS = CSP.replace(
    "style-src 'self'", "style-src 'self'; style-src-elem 'self'; style-src-attr 'unsafe-inline'"
)


class SecurityHeaderTests(Matrix):
    def assert_headers(self, response: object, url: str, csp: str = CSP) -> None:
        headers = response.headers  # type: ignore[attr-defined]
        self.assertEqual(headers.get("Content-Security-Policy"), csp, url)
        self.assertEqual(headers.get("X-Frame-Options"), "DENY", url)
        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff", url)
        self.assertEqual(headers.get("Referrer-Policy"), "same-origin", url)
        self.assertIn("camera=()", headers.get("Permissions-Policy", ""), url)

    def test_every_html_page_a_librarian_opens_carries_the_policy(self) -> None:
        self.client.force_login(self.lena)
        html, charts = 0, set()
        for name, pattern in web_patterns():
            url = self.url_for(name, pattern)
            r = self.client.get(url)
            if r.status_code != 200 or not r["Content-Type"].startswith("text/html"):
                continue
            html += 1
            if b"/vendor/echarts/" in r.content:
                charts.add(name)
                self.assert_headers(r, url, CSP_CHARTS)
            else:
                self.assert_headers(r, url)
        # Most pages: a test that checked none would prove nothing.
        self.assertGreater(html, 60)
        self.assertEqual(charts, {"reports:index", "reports:term", "reports:class"})

    def test_the_login_page_and_error_pages_carry_it_too(self) -> None:
        self.assert_headers(self.client.get(reverse("accounts:login")), "login")
        self.assert_headers(self.client.get("/records/999999/"), "404")
        self.client.force_login(self.ada)
        self.assert_headers(self.client.get("/staff/catalog/"), "403")

    def test_downloads_are_not_given_a_page_policy_but_keep_nosniff(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get(reverse("roster:template"))
        self.assertEqual(r.status_code, 200)
        self.assertNotIn("Content-Security-Policy", r.headers)
        self.assertEqual(r["X-Content-Type-Options"], "nosniff")

    def test_no_template_carries_an_inline_script_or_style(self) -> None:
        import re
        from pathlib import Path

        import shuxiang

        root = Path(shuxiang.__file__).parent
        offenders = []
        templates = list(root.rglob("templates/**/*.html"))
        self.assertGreater(len(templates), 50)
        for path in templates:
            text = path.read_text()
            if re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", text):
                offenders.append(str(path.relative_to(root)))
        self.assertEqual(offenders, [])
