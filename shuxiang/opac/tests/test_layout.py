from __future__ import annotations

from shuxiang.test import BaseTestCase


class LayoutTests(BaseTestCase):
    def test_every_asset_is_served_by_the_product(self) -> None:
        r = self.client.get("/")
        html = r.content.decode()
        self.assertNotIn("//cdn", html)
        self.assertNotIn("https://", html)
        for path in (
            "/static/vendor/bootstrap/bootstrap.min.css",
            "/static/vendor/bootstrap/bootstrap.bundle.min.js",
            "/static/shuxiang/app.css",
            "/static/shuxiang/app.js",
            "/static/django_htmx/htmx-2.min.js",
        ):
            self.assertIn(path, html)
            self.assertEqual(self.client.get(path).status_code, 200, path)

    def test_pages_have_no_inline_scripts(self) -> None:
        self.client.force_login(self.lena)
        for url in ("/", "/?q=西游", f"/records/{self.journey.pk}/", "/staff/catalog/records/new/"):
            html = self.client.get(url).content.decode()
            self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)[^>]*>", url)
            self.assertNotRegex(html, r"\son[a-z]+=", url)
            self.assertNotIn("style=", html, url)

    def test_the_language_switcher_posts_to_set_language(self) -> None:
        r = self.client.get("/")
        self.assertContains(r, 'action="/i18n/setlang/" method="post"')
        self.assertContains(r, 'name="language" value="en"')
        r = self.client.post("/i18n/setlang/", {"language": "en", "next": "/?q=西游"})
        self.assertEqual(r.status_code, 302)
        r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "Find books")
        self.assertContains(r, "2 on shelf / 2 copies")

    def test_anonymous_visitors_see_login_and_no_staff_menu(self) -> None:
        r = self.client.get("/")
        self.assertContains(r, 'href="/accounts/login/"')
        self.assertNotContains(r, "/staff/catalog/")

    def test_librarians_see_the_staff_menu_and_a_logout_button(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/")
        self.assertContains(r, 'href="/staff/catalog/"')
        self.assertContains(r, 'href="/staff/catalog/shelf/"')
        self.assertContains(r, 'action="/accounts/logout/" method="post"')
        self.assertContains(r, "李娜")

    def test_students_see_no_staff_menu(self) -> None:
        self.client.force_login(self.ada)
        r = self.client.get("/")
        self.assertNotContains(r, "/staff/catalog/")
        self.assertContains(r, "退出")
