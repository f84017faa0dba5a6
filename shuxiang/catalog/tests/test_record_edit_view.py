from __future__ import annotations

from shuxiang.catalog.models import Item
from shuxiang.test import BaseTestCase

from .test_record_new_view import form_data


class RecordEditViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/catalog/records/{self.journey.pk}/edit/"

    def test_it_shows_the_record_in_the_form(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'value="西游记"')
        self.assertContains(r, 'value="吴承恩"')
        self.assertContains(r, 'value="I242.4"')
        self.assertContains(r, "I242.4/1")
        self.assertNotContains(r, 'name="barcodes"')

    def test_it_saves_changes(self) -> None:
        data = form_data(
            title="西游记",
            isbn="9787020002207",
            **{"authors-0-name": "吴承恩", "authors-1-name": "", "authors-INITIAL_FORMS": "1"},
            class_number="I242.4",
            summary="取经的故事",
        )
        r = self.client.post(self.url, data)
        self.assertRedirects(r, f"/staff/catalog/records/{self.journey.pk}/")
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.summary, "取经的故事")
        self.assertEqual(self.journey.call_number, "I242.4/1")
        self.assertEqual(self.journey.contributors, [{"name": "吴承恩", "role": "author"}])

    def test_a_new_class_number_warns_to_relabel(self) -> None:
        data = form_data(title="西游记", isbn="9787020002207", class_number="I242.43")
        r = self.client.post(self.url, data, follow=True)
        self.assertContains(r, "I242.43/1")
        self.assertContains(r, "重新贴书标")
        self.assertEqual(Item.objects.get(barcode="T0001").call_number, "I242.43/1")

    def test_errors_keep_the_record_unchanged(self) -> None:
        r = self.client.post(self.url, form_data(title="西游记", class_number="W1"))
        self.assertEqual(r.status_code, 200)
        self.journey.refresh_from_db()
        self.assertEqual(self.journey.class_number, "I242.4")
