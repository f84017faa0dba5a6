"""The OpenAPI document (/api/v1/openapi.json) describes the circulation endpoints with typed
request and answer schemas, so that a client can be generated from it."""

from __future__ import annotations

from typing import Any

from shuxiang.test import BaseTestCase

ENDPOINTS = {
    "/api/v1/checkouts": ("CheckoutIn", "201", "CheckoutOut"),
    "/api/v1/checkins": ("ItemIn", "200", "CheckinOut"),
    "/api/v1/renewals": ("ItemIn", "200", "RenewalOut"),
    "/api/v1/holds": ("HoldIn", "201", "HoldPlacedOut"),
}


class OpenApiTests(BaseTestCase):
    schema: dict[str, Any]

    def setUp(self) -> None:
        r = self.client.get("/api/v1/openapi.json")
        self.assertEqual(r.status_code, 200)
        self.schema = r.json()

    def ref(self, content: dict[str, Any]) -> str:
        return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    def props(self, name: str) -> dict[str, Any]:
        props: dict[str, Any] = self.schema["components"]["schemas"][name]["properties"]
        return props

    def test_it_lists_every_circulation_endpoint_with_its_schemas(self) -> None:
        for path, (body, status, answer) in ENDPOINTS.items():
            with self.subTest(path=path):
                post = self.schema["paths"][path]["post"]
                self.assertEqual(self.ref(post["requestBody"]["content"]), body)
                self.assertEqual(self.ref(post["responses"][status]["content"]), answer)
                self.assertTrue(post["security"])

    def test_it_types_the_fields_of_a_checkout(self) -> None:
        sent = self.props("CheckoutIn")
        self.assertEqual((sent["patron"]["type"], sent["item"]["type"]), ("string", "string"))
        self.assertEqual(
            set(self.schema["components"]["schemas"]["CheckoutIn"]["required"]), {"patron", "item"}
        )
        got = self.props("CheckoutOut")
        self.assertEqual(got["loan"]["type"], "integer")
        self.assertEqual((got["due"]["type"], got["due"]["format"]), ("string", "date"))
        self.assertEqual(got["warnings"]["type"], "array")

    def test_it_types_the_answers_of_a_return_and_a_hold(self) -> None:
        checkin = self.props("CheckinOut")
        self.assertEqual(checkin["overdue_days"]["type"], "integer")
        self.assertEqual({t["type"] for t in checkin["hold_for"]["anyOf"]}, {"string", "null"})
        self.assertEqual(self.props("HoldIn")["record"]["type"], "integer")
        self.assertEqual(self.props("RenewalOut")["due"]["format"], "date")

    def test_it_describes_the_patrons_holds_and_blocks(self) -> None:
        patron = self.props("PatronOut")
        self.assertIn("class", patron)
        self.assertEqual(patron["holds"]["items"]["$ref"].rsplit("/", 1)[-1], "HoldOut")
        self.assertEqual(patron["blocks"]["items"]["$ref"].rsplit("/", 1)[-1], "BlockOut")
