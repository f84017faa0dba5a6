from __future__ import annotations

from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.catalog import search, services
from shuxiang.catalog.models import Item, Record
from shuxiang.test import BaseTestCase


class OpacSearchViewTests(BaseTestCase):
    def add_journeys(self, n: int) -> None:
        for i in range(n):
            services.catalogue_record(
                services.RecordData.with_authors(
                    f"西游记 第{i + 1}卷", ["吴承恩"], class_number="I242.4"
                ),
                [services.ItemData(barcode=f"X{i:04d}", location=self.reading_room)],
                by=self.lena,
            )

    def test_the_home_page_has_one_big_search_box(self) -> None:
        r = self.client.get("/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'name="q"')
        self.assertContains(r, "书名、作者、拼音、首字母、ISBN、分类号")
        self.assertContains(r, "autofocus")

    def test_the_home_page_shows_new_books(self) -> None:
        r = self.client.get("/")
        self.assertContains(r, "新书上架")
        self.assertContains(r, "西游记")

    def test_it_shows_a_result_with_call_number_availability_and_location(self) -> None:
        Item.objects.filter(barcode="T0002").update(status=Item.Status.ON_LOAN)
        r = self.client.get("/", {"q": "西游"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "西游记")
        self.assertContains(r, "吴承恩")
        self.assertContains(r, "人民文学出版社")
        self.assertContains(r, "2019")
        self.assertContains(r, "I242.4/1")
        self.assertContains(r, "在架 1 / 共 2 册")
        self.assertContains(r, "书库")
        self.assertContains(r, f'href="/records/{self.journey.pk}/?q=')

    def test_it_is_public(self) -> None:
        r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "登录")
        self.assertNotContains(r, "编目")

    def test_it_helps_when_nothing_is_found(self) -> None:
        r = self.client.get("/", {"q": "不存在的书名"})
        self.assertContains(r, "没有找到“不存在的书名”")
        self.assertContains(r, "拼音或首字母")

    def test_it_pages_the_results(self) -> None:
        self.add_journeys(25)
        r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "找到 26 条")
        self.assertContains(r, "?q=%E8%A5%BF%E6%B8%B8&amp;page=2")
        r = self.client.get("/", {"q": "西游", "page": "2"})
        self.assertEqual(len(r.context["records"]), 6)
        self.assertContains(r, 'aria-current="page"><span class="page-link">2')

    def test_a_page_past_the_end_goes_to_the_last_page(self) -> None:
        self.add_journeys(25)
        r = self.client.get("/", {"q": "西游", "page": "9"})
        self.assertRedirects(r, "/?q=%E8%A5%BF%E6%B8%B8&page=2")

    def test_a_bad_page_number_is_the_first_page(self) -> None:
        r = self.client.get("/", {"q": "西游", "page": "x"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "西游记")

    def test_the_results_page_adds_two_queries_to_the_search_for_any_number_of_results(
        self,
    ) -> None:
        # The search itself is the index's business (and has its own tests); here it is
        # replaced by a fixed answer so that only the page's own queries are counted.
        self.add_journeys(25)
        ids = list(Record.objects.order_by("id").values_list("id", flat=True))
        for n in (1, 20):
            answer = search.SearchResult(len(ids), ids[:n])
            with (
                mock.patch.object(search, "search_records", return_value=answer),
                self.assertNumQueries(2),
            ):
                r = self.client.get("/", {"q": "西游"})
            self.assertEqual(len(r.context["records"]), n)
            self.assertContains(r, "I242.4/", count=n)

    def test_the_whole_results_page_is_fast_with_the_real_search(self) -> None:
        self.add_journeys(25)
        with CaptureQueriesContext(connection) as queries:
            r = self.client.get("/", {"q": "西游"})
        self.assertEqual(len(r.context["records"]), 20)
        # Planner settings and savepoints around PostgreSQL's search are not data queries.
        reads = [
            q
            for q in queries.captured_queries
            if not q["sql"].startswith(("SET ", "SAVEPOINT", "RELEASE"))
        ]
        self.assertLess(len(reads), 10)


class OpacEstimatedCountTests(BaseTestCase):
    def test_it_says_about_when_the_count_is_an_estimate(self) -> None:
        answer = search.SearchResult(5000, [self.journey.pk], exact=False)
        with mock.patch.object(search, "search_records", return_value=answer):
            r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "找到约 5000 条")

    def test_an_exact_count_is_given_plainly(self) -> None:
        r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "找到 1 条")
