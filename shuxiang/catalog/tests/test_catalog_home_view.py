from __future__ import annotations

from shuxiang.test import BaseTestCase


class CatalogHomeViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_asks_for_an_isbn_with_the_cursor_in_the_box(self) -> None:
        r = self.client.get("/staff/catalog/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'name="isbn"')
        self.assertContains(r, "autofocus")
        self.assertContains(r, "西游记")  # recently catalogued

    def test_a_known_isbn_goes_to_the_record_to_add_a_copy(self) -> None:
        r = self.client.get("/staff/catalog/", {"isbn": "9787020002207"})
        self.assertRedirects(
            r,
            f"/staff/catalog/records/{self.journey.pk}/?add=1",
            fetch_redirect_response=False,
        )
        r = self.client.get(r["Location"])
        self.assertContains(r, "已经编目")
        self.assertContains(r, 'id="id_barcode"')

    def test_a_known_isbn_is_found_in_any_form(self) -> None:
        r = self.client.get("/staff/catalog/", {"isbn": "ISBN 7-02-000220-X"})
        self.assertRedirects(r, f"/staff/catalog/records/{self.journey.pk}/?add=1")

    def test_a_new_isbn_opens_the_record_form_with_it(self) -> None:
        r = self.client.get("/staff/catalog/", {"isbn": "7-5006-0846-2"})
        self.assertRedirects(r, "/staff/catalog/records/new/?isbn=9787500608462")
        r = self.client.get(r["Location"])
        self.assertContains(r, 'value="9787500608462"')

    def test_a_bad_isbn_is_explained_in_chinese(self) -> None:
        r = self.client.get("/staff/catalog/", {"isbn": "978-7-02-000220-8"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "校验位不对")

    def test_an_empty_isbn_asks_for_one(self) -> None:
        r = self.client.get("/staff/catalog/", {"isbn": ""})
        self.assertContains(r, "请扫描或输入")


class CatalogAccessTests(BaseTestCase):
    URLS = (
        "/staff/catalog/",
        "/staff/catalog/records/new/",
        "/staff/catalog/shelf/",
        "/staff/catalog/records/{pk}/",
        "/staff/catalog/records/{pk}/edit/",
    )

    def test_visitors_are_sent_to_log_in(self) -> None:
        for url in self.URLS:
            url = url.format(pk=self.journey.pk)
            r = self.client.get(url)
            self.assertRedirects(r, f"/accounts/login/?next={url}", fetch_redirect_response=False)

    def test_students_and_teachers_get_403(self) -> None:
        for user in (self.ada, self.tom):
            self.client.force_login(user)
            for url in self.URLS:
                r = self.client.get(url.format(pk=self.journey.pk))
                self.assertEqual(r.status_code, 403, url)
                self.assertContains(r, "图书馆工作人员", status_code=403)

    def test_students_cannot_add_copies(self) -> None:
        self.client.force_login(self.ada)
        r = self.client.post(f"/staff/catalog/records/{self.journey.pk}/items/", {"barcode": "Z1"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(self.journey.items.count(), 2)
