from __future__ import annotations

from typing import Any

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item, Record
from shuxiang.test import BaseTestCase

URL = "/staff/catalog/records/new/"


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "城南旧事",
        "subtitle": "",
        "other_titles": "",
        "authors-TOTAL_FORMS": "2",
        "authors-INITIAL_FORMS": "0",
        "authors-0-name": "林海音",
        "authors-0-role": "author",
        "authors-1-name": "关维兴",
        "authors-1-role": "illustrator",
        "publisher": "中国青年出版社",
        "place": "北京",
        "year": "2010",
        "edition": "",
        "isbn": "7-5006-0846-2",
        "price": "20.00元",
        "pages": "180页",
        "series": "",
        "summary": "英子眼中的老北京。",
        "subjects": "儿童小说、北京",
        "language": "chi",
        "material_type": "book",
        "grade_min": "3",
        "grade_max": "6",
        "class_number": "i287.5",
        "barcodes": "B100\nb101",
        "copies": "1",
        "location": "STACKS",
        "source": "purchase",
        "donor": "",
    }
    data.update(overrides)
    return data


class RecordNewViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_shows_the_empty_form_with_the_picker_hooks(self) -> None:
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "data-clc-input")
        self.assertContains(r, 'data-formset-add="authors"')
        self.assertContains(r, 'id="authors-empty-form"')
        self.assertContains(r, '<option value="STACKS" selected>')

    def test_it_catalogues_a_book_with_copies_and_shows_the_call_number(self) -> None:
        r = self.client.post(URL, form_data())
        record = Record.objects.get(title="城南旧事")
        url = f"/staff/catalog/records/{record.pk}/"
        self.assertRedirects(r, url, fetch_redirect_response=False)
        self.assertEqual(record.call_number, "I287.5/1")
        self.assertEqual(record.isbn, "9787500608462")
        self.assertEqual(str(record.price), "20.00")
        self.assertEqual(record.subjects, ["儿童小说", "北京"])
        self.assertEqual(
            record.contributors,
            [{"name": "林海音", "role": "author"}, {"name": "关维兴", "role": "illustrator"}],
        )
        self.assertEqual((record.grade_min, record.grade_max), (3, 6))
        self.assertEqual(sorted(record.items.values_list("barcode", flat=True)), ["B100", "B101"])
        self.assertEqual(record.created_by, self.lena)
        self.assertTrue(AuditLog.objects.filter(action="record_created", by=self.lena).exists())
        r = self.client.get(r["Location"])
        self.assertContains(r, "索书号 I287.5/1")
        self.assertContains(r, "关维兴")

    def test_without_barcodes_it_numbers_the_copies(self) -> None:
        self.client.post(URL, form_data(barcodes="", copies="3"))
        record = Record.objects.get(title="城南旧事")
        self.assertEqual(record.items.count(), 3)
        for item in record.items.all():
            self.assertEqual(item.barcode, item.accession_number)

    def test_a_record_without_a_class_number_has_no_call_number_yet(self) -> None:
        r = self.client.post(URL, form_data(class_number="", barcodes="", copies="0"), follow=True)
        self.assertContains(r, "没有分类号")
        self.assertEqual(Record.objects.get(title="城南旧事").items.count(), 0)

    def test_the_title_is_required(self) -> None:
        r = self.client.post(URL, form_data(title=""))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "这个字段是必填项")
        self.assertContains(r, "is-invalid")
        self.assertContains(r, "尚未保存：请修改标红的栏目")

    def test_service_errors_are_shown_next_to_their_field(self) -> None:
        r = self.client.post(URL, form_data(class_number="W12"))
        self.assertContains(r, "基本大类“W”不存在")
        self.assertEqual(r.context["form"].errors["class_number"][0][:3], "分类号")
        r = self.client.post(URL, form_data(isbn="978-7-02-000220-8"))
        self.assertIn("校验位", r.context["form"].errors["isbn"][0])
        self.assertFalse(Record.objects.filter(title="城南旧事").exists())

    def test_a_bad_price_is_explained(self) -> None:
        r = self.client.post(URL, form_data(price="二十元"))
        self.assertIn("不是数字", r.context["form"].errors["price"][0])

    def test_a_barcode_in_use_is_refused_before_anything_is_saved(self) -> None:
        r = self.client.post(URL, form_data(barcodes="B100\nT0001"))
        self.assertContains(r, "已被使用：T0001")
        self.assertFalse(Record.objects.filter(title="城南旧事").exists())

    def test_a_barcode_scanned_twice_is_refused(self) -> None:
        r = self.client.post(URL, form_data(barcodes="B100\nB100"))
        self.assertContains(r, "重复扫描：B100")

    def test_the_last_grade_cannot_come_before_the_first(self) -> None:
        r = self.client.post(URL, form_data(grade_min="6", grade_max="3"))
        self.assertIn("grade_max", r.context["form"].errors)


class DuplicateCheckTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_a_duplicate_is_shown_with_a_link_and_two_ways_on(self) -> None:
        r = self.client.post(URL, form_data(title="西游记", isbn="9787020002207", barcodes="B100"))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "已有相同书目")
        self.assertContains(r, f'href="/staff/catalog/records/{self.journey.pk}/"')
        self.assertContains(r, 'name="action" value="add_to_existing"')
        self.assertContains(r, 'name="allow_duplicate"')
        self.assertEqual(Record.objects.filter(title="西游记").count(), 1)

    def test_the_copies_can_go_to_the_existing_record(self) -> None:
        r = self.client.post(
            URL,
            form_data(
                title="西游记",
                isbn="9787020002207",
                barcodes="B100 B101",
                action="add_to_existing",
                existing=str(self.journey.pk),
            ),
        )
        self.assertRedirects(r, f"/staff/catalog/records/{self.journey.pk}/")
        self.assertEqual(self.journey.items.count(), 4)
        self.assertEqual(Item.objects.get(barcode="B101").call_number, "I242.4/1")
        self.assertEqual(Record.objects.filter(title="西游记").count(), 1)

    def test_adding_to_the_existing_record_needs_copies(self) -> None:
        r = self.client.post(
            URL,
            form_data(
                title="西游记",
                barcodes="",
                copies="0",
                action="add_to_existing",
                existing=str(self.journey.pk),
            ),
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "请扫描要添加的册的条码号")
        self.assertEqual(self.journey.items.count(), 2)

    def test_it_can_catalogue_anyway(self) -> None:
        r = self.client.post(
            URL, form_data(title="西游记", isbn="9787020002207", allow_duplicate="on")
        )
        self.assertEqual(r.status_code, 302)
        self.assertEqual(Record.objects.filter(title="西游记").count(), 2)

    def test_same_title_author_and_publisher_is_a_duplicate_too(self) -> None:
        r = self.client.post(
            URL,
            form_data(
                title="《西游记》",
                isbn="",
                publisher="人民文学出版社",
                **{"authors-0-name": "吴承恩", "authors-1-name": ""},
            ),
        )
        self.assertContains(r, "已有相同书目")
