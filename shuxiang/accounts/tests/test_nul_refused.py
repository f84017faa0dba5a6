"""A NUL byte in any field is refused before a view runs: PostgreSQL cannot store it, and a
scanner may send one. The page says so in Chinese; the API answers in its own error shape."""

from __future__ import annotations

from shuxiang.middleware import NUL_REFUSED
from shuxiang.test import BaseTestCase


class NulRefusedTests(BaseTestCase):
    def test_a_page_refuses_a_nul_in_the_query_in_chinese(self) -> None:
        response = self.client.get("/", {"q": "西游\x00记"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.content.decode(), NUL_REFUSED)

    def test_a_form_post_with_a_nul_changes_nothing(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.post("/desk/scan/", {"code": "T0001\x00"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.journey.items.filter(status="on_loan").exists())

    def test_the_api_answers_in_its_error_shape(self) -> None:
        response = self.client.get("/api/v1/records", {"q": "\x00"}, headers=self.auth(self.lena))
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"error": "invalid_request", "message": NUL_REFUSED})

    def test_an_ordinary_query_passes(self) -> None:
        self.assertEqual(self.client.get("/", {"q": "西游记"}).status_code, 200)
