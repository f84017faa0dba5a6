from __future__ import annotations

from shuxiang.catalog import services
from shuxiang.test import BaseTestCase


class ShelfListViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def catalogue(self, title: str, class_number: str) -> None:
        services.catalogue_record(
            services.RecordData(title=title, class_number=class_number), by=self.lena
        )

    def test_it_lists_records_in_shelf_order(self) -> None:
        self.catalogue("呐喊", "I210.4")
        self.catalogue("红楼梦", "I242.47")
        self.catalogue("三国演义", "I242.4")
        self.catalogue("没有分类的书", "")
        r = self.client.get("/staff/catalog/shelf/")
        self.assertEqual(r.status_code, 200)
        titles = [record.title for record in r.context["page_obj"]]
        self.assertEqual(titles, ["呐喊", "西游记", "三国演义", "红楼梦"])
        self.assertContains(r, "data-print")

    def test_it_filters_by_class_prefix(self) -> None:
        self.catalogue("呐喊", "I210.4")
        self.catalogue("十万个为什么", "Z228.1")
        r = self.client.get("/staff/catalog/shelf/", {"prefix": " i2 "})
        self.assertEqual(r.context["prefix"], "I2")
        self.assertEqual([x.title for x in r.context["page_obj"]], ["呐喊", "西游记"])

    def test_it_pages_and_can_show_everything_for_printing(self) -> None:
        for n in range(60):
            self.catalogue(f"书{n}", "K20")
        r = self.client.get("/staff/catalog/shelf/", {"prefix": "K"})
        self.assertEqual(len(r.context["page_obj"]), 50)
        self.assertContains(r, "page=2")
        r = self.client.get("/staff/catalog/shelf/", {"prefix": "K", "all": "1"})
        self.assertEqual(len(r.context["page_obj"]), 60)

    def test_it_says_when_nothing_is_under_a_class(self) -> None:
        r = self.client.get("/staff/catalog/shelf/", {"prefix": "X"})
        self.assertContains(r, "X 类下没有书目")
