"""Every form is protected: a POST without the CSRF token is refused, whatever the page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings

from shuxiang.accounts.tests.test_permission_matrix import Matrix, web_patterns


def csrf_failed(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Told apart from a 403 for want of permission, which would hide a missing check.
    return HttpResponse(b"csrf-refused", status=403)


@override_settings(CSRF_FAILURE_VIEW="shuxiang.accounts.tests.test_csrf.csrf_failed")
class CsrfTests(Matrix):
    def test_every_page_that_takes_a_post_refuses_one_without_the_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.lena)
        unprotected, refused = [], 0
        for name, pattern in web_patterns():
            url = self.url_for(name, pattern)
            r = client.post(url, {"title": "x", "barcode": "T0001"})
            if r.status_code == 405:
                continue  # GET-only: nothing to protect
            if r.status_code == 403 and r.content == b"csrf-refused":
                refused += 1
            else:
                unprotected.append(f"{name} {url}: {r.status_code}")
        self.assertEqual(unprotected, [], "\n".join(unprotected))
        self.assertGreater(refused, 60)

    def test_the_same_post_with_the_token_gets_through(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.lena)
        page = client.get("/desk/")
        token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""
        token = token or client.cookies["csrftoken"].value
        r = client.post("/desk/station/", {"station": "一号机"}, headers={"X-CSRFToken": token})
        self.assertNotEqual(r.content, b"csrf-refused")

    def test_the_api_ignores_the_session_cookie(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.lena)
        for method, path in [("get", "/api/v1/patrons/P0001"), ("post", "/api/v1/checkins")]:
            r = getattr(client, method)(
                path,
                {"item": "T0001"} if method == "post" else None,
                content_type="application/json",
            )
            self.assertEqual(r.status_code, 401, path)
