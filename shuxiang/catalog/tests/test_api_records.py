from __future__ import annotations

import json
from unittest import mock

from django.db import connection

from shuxiang.catalog import search, services
from shuxiang.catalog.models import Item, Record
from shuxiang.test import BaseTestCase


class CreateRecordApiTests(BaseTestCase):
    def post(self, body: dict[str, object], user=None):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/api/v1/records",
            data=json.dumps(body),
            content_type="application/json",
            headers=self.auth(user or self.lena),
        )

    def test_it_catalogues_a_record_with_copies_and_assigns_call_numbers(self) -> None:
        r = self.post(
            {
                "title": "城南旧事",
                "authors": ["林海音"],
                "publisher": "中国青年出版社",
                "year": 2010,
                "isbn": "7-5006-0846-2",
                "price": "20.00元",
                "class_number": "I246.5",
                "items": [{"barcode": "B100"}, {"barcode": "B101", "location": "READING"}],
            }
        )
        self.assertEqual(r.status_code, 201, r.content)
        body = r.json()
        self.assertEqual([i["call_number"] for i in body["items"]], ["I246.5/1", "I246.5/1"])
        record = Record.objects.get(pk=body["id"])
        self.assertEqual(record.isbn, "9787500608462")
        self.assertEqual(str(record.price), "20.00")
        self.assertEqual(Item.objects.get(barcode="B101").location, self.reading_room)

    def test_it_answers_409_for_an_isbn_already_catalogued(self) -> None:
        r = self.post({"title": "西游记（新版）", "isbn": "9787020002207"})
        self.assertEqual(r.status_code, 409)
        self.assertEqual(r.json()["error"], "duplicate_record")
        self.assertEqual(r.json()["existing"], self.journey.pk)

    def test_it_answers_422_in_chinese_for_a_bad_isbn(self) -> None:
        r = self.post({"title": "某书", "isbn": "978-7-02-000220-8"})
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["error"], "invalid_record")
        self.assertIn("校验位", r.json()["message"])

    def test_it_answers_422_for_a_bad_class_number(self) -> None:
        r = self.post({"title": "某书", "class_number": "L123"})
        self.assertEqual(r.status_code, 422)
        self.assertIn("分类号", r.json()["message"])

    def test_a_student_may_not_catalogue(self) -> None:
        r = self.post({"title": "某书"}, user=self.ada)
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["error"], "forbidden")

    def test_it_requires_a_token(self) -> None:
        r = self.client.get("/api/v1/records?q=西游记")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["error"], "unauthorized")

    def test_health_needs_no_token(self) -> None:
        self.assertEqual(self.client.get("/api/v1/health").json(), {"status": "ok"})

    def test_openapi_is_served(self) -> None:
        r = self.client.get("/api/v1/openapi.json")
        self.assertEqual(r.status_code, 200)
        self.assertIn("/api/v1/records", r.json()["paths"])

    def test_item_lookup_gives_title_and_call_number(self) -> None:
        r = self.client.get("/api/v1/items/t0001", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["title"], "西游记")
        self.assertEqual(r.json()["call_number"], "I242.4/1")

    def test_unknown_item_is_a_json_404(self) -> None:
        r = self.client.get("/api/v1/items/NOPE", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r.json()["error"], "not_found")


class SearchApiTests(BaseTestCase):
    def test_it_answers_in_the_documented_shape(self) -> None:
        r = self.client.get("/api/v1/records?q=西游记", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(body["count"], 1)
        hit = body["results"][0]
        self.assertEqual(
            {k: hit[k] for k in ("title", "authors", "isbn", "call_number", "items_total")},
            {
                "title": "西游记",
                "authors": ["吴承恩"],
                "isbn": "9787020002207",
                "call_number": "I242.4/1",
                "items_total": 2,
            },
        )
        self.assertEqual(hit["items_available"], 2)

    def test_it_says_whether_the_count_is_exact(self) -> None:
        for n in range(4):
            services.catalogue_record(
                services.RecordData.with_authors(f"海底{n}号", ["某人"]), by=self.lena
            )
        with mock.patch.object(search, "RANK_MAX", 2):
            body = self.client.get("/api/v1/records?q=海底", headers=self.auth(self.tom)).json()
        self.assertEqual(body["count_exact"], connection.vendor == "sqlite")
        self.assertGreaterEqual(body["count"], 3)
        self.assertEqual(len(body["results"]), 4)

    def test_a_page_out_of_range_is_a_clear_422(self) -> None:
        r = self.client.get("/api/v1/records?q=x&page=0", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["error"], "invalid_request")

    def test_a_non_numeric_page_is_a_json_422_not_a_500(self) -> None:
        r = self.client.get("/api/v1/records?q=x&page=abc", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 422)
        self.assertIn("message", r.json())

    def test_a_record_shows_its_copies(self) -> None:
        r = self.client.get(f"/api/v1/records/{self.journey.pk}", headers=self.auth(self.tom))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(sorted(i["barcode"] for i in r.json()["items"]), ["T0001", "T0002"])

    def test_locations_include_the_stacks_and_a_room_only_reading_room(self) -> None:
        r = self.client.get("/api/v1/locations", headers=self.auth(self.tom))
        by_code = {loc["code"]: loc for loc in r.json()}
        self.assertTrue(by_code["STACKS"]["lends"])
        self.assertTrue(by_code["READING"]["room_only"])
        self.assertIn("TEACHERS", by_code)
