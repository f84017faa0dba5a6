from __future__ import annotations

from shuxiang.catalog import services
from shuxiang.catalog.models import Item
from shuxiang.test import BaseTestCase


class OpacRecordViewTests(BaseTestCase):
    def test_it_describes_the_record_and_its_copies(self) -> None:
        Item.objects.filter(barcode="T0002").update(status=Item.Status.ON_LOAN)
        r = self.client.get(f"/records/{self.journey.pk}/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, '<h1 class="mb-1">西游记</h1>', html=False)
        self.assertContains(r, "978-7-02-000220-7")
        self.assertContains(r, "I242.4/1")
        self.assertContains(r, "在架 1 / 共 2 册")
        self.assertContains(r, "借出")
        self.assertContains(r, "书库")

    def test_it_hides_barcodes_from_the_public(self) -> None:
        r = self.client.get(f"/records/{self.journey.pk}/")
        self.assertNotContains(r, "T0001")
        self.assertNotContains(r, "条码号")

    def test_staff_see_barcodes_and_a_way_to_edit(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get(f"/records/{self.journey.pk}/")
        self.assertContains(r, "T0001")
        self.assertContains(r, f"/staff/catalog/records/{self.journey.pk}/")

    def test_students_do_not_see_barcodes(self) -> None:
        self.client.force_login(self.ada)
        r = self.client.get(f"/records/{self.journey.pk}/")
        self.assertNotContains(r, "T0001")

    def test_withdrawn_copies_are_not_shown(self) -> None:
        Item.objects.filter(barcode="T0002").update(status=Item.Status.WITHDRAWN)
        r = self.client.get(f"/records/{self.journey.pk}/")
        self.assertContains(r, "在架 1 / 共 1 册")

    def test_a_reading_room_copy_says_it_is_read_in_the_room(self) -> None:
        record = services.catalogue_record(
            services.RecordData.with_authors("新华字典", ["中国社会科学院语言研究所"]),
            [services.ItemData(barcode="R0001", location=self.reading_room)],
            by=self.lena,
        )
        r = self.client.get(f"/records/{record.pk}/")
        self.assertContains(r, "仅限馆内阅览")

    def test_an_unknown_record_is_a_friendly_404(self) -> None:
        r = self.client.get("/records/999999/")
        self.assertEqual(r.status_code, 404)
        self.assertContains(r, "没有这个页面", status_code=404)
        self.assertContains(r, 'name="q"', status_code=404)
