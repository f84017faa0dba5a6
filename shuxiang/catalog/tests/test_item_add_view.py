from __future__ import annotations

from shuxiang.catalog.models import Item
from shuxiang.test import BaseTestCase


class ItemAddViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/catalog/records/{self.journey.pk}/items/"

    def test_the_record_page_lists_copies_and_offers_to_add_one(self) -> None:
        r = self.client.get(f"/staff/catalog/records/{self.journey.pk}/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "T0001")
        self.assertContains(r, "000001")
        self.assertContains(r, f'action="{self.url}"')

    def test_it_adds_a_copy_and_comes_back_ready_for_the_next(self) -> None:
        r = self.client.post(
            self.url,
            {
                "barcode": "t0003",
                "accession_number": "",
                "location": "READING",
                "price": "￥30",
                "source": "donation",
                "donor": "三(2)班 王小明",
            },
        )
        self.assertRedirects(
            r,
            f"/staff/catalog/records/{self.journey.pk}/?add=1",
            fetch_redirect_response=False,
        )
        item = Item.objects.get(barcode="T0003")
        self.assertEqual(item.location, self.reading_room)
        self.assertEqual(str(item.price), "30.00")
        self.assertEqual(item.donor, "三(2)班 王小明")
        self.assertEqual(item.call_number, "I242.4/1")
        r = self.client.get(r["Location"])
        self.assertContains(r, "已添加一册 T0003")
        self.assertContains(r, "autofocus")

    def test_without_a_barcode_the_accession_number_is_used(self) -> None:
        self.client.post(self.url, {"location": "STACKS", "source": "purchase"})
        self.assertTrue(Item.objects.filter(record=self.journey, barcode="000003").exists())

    def test_a_barcode_in_use_is_refused_in_chinese(self) -> None:
        r = self.client.post(
            self.url, {"barcode": "T0001", "location": "STACKS", "source": "purchase"}
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "条码号“T0001”已被使用")
        self.assertEqual(self.journey.items.count(), 2)

    def test_an_accession_number_in_use_is_refused(self) -> None:
        r = self.client.post(
            self.url,
            {
                "barcode": "T0009",
                "accession_number": "000001",
                "location": "STACKS",
                "source": "purchase",
            },
        )
        self.assertContains(r, "登录号“000001”已被使用")

    def test_it_only_accepts_post(self) -> None:
        self.assertEqual(self.client.get(self.url).status_code, 405)
