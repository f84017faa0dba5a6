"""The label screen (/staff/labels/): the librarian's, the PDF read back, and bad input."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from django.urls import reverse

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import ImportBatch, Item
from shuxiang.catalog.tests.test_labels_selection import LabelCase
from shuxiang.lib.tests.test_labels_drawing import decode, page_text, pages
from shuxiang.test import BaseTestCase

URL = reverse("labels:index")
SCHOOL = "北京市海淀区实验小学"


def form(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "barcode",
        "symbology": "code128",
        "mode": "range",
        "barcode_from": "T0009",
        "barcode_to": "T0100",
        "order": "listed",
        "show_school": "on",
        "copies": "1",
        "preset": "avery-l7651",
        "start": "1",
    }
    data.update(changes)
    return data


@override_settings(SHUXIANG_SCHOOL_NAME=SCHOOL)
class LabelViewTests(LabelCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_it_shows_the_form_with_the_sheets(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, "Avery L7651 · 5×13 = 65 · 38.1×21.2 mm")
        self.assertContains(response, 'value="custom"')

    def test_it_prints_barcode_labels_that_scan_back(self) -> None:
        response = self.client.post(URL, form(show_title="on"))
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("inline;", response["Content-Disposition"])
        pdf = response.content
        self.assertEqual(
            decode(pdf), [("Code 128", code) for code in ("T0009", "T0010", "T0011", "T0100")]
        )
        text = page_text(pdf)
        self.assertIn(SCHOOL, text)
        self.assertIn("窗边的小豆豆", text)
        self.assertIn("昆虫记", text)

    def test_it_prints_code_39_from_a_pasted_list(self) -> None:
        data = form(symbology="code39", mode="list", barcodes="T0001\nB0005", start="3")
        pdf = self.client.post(URL, data).content
        self.assertEqual(decode(pdf), [("Code 39", "T0001"), ("Code 39", "B0005")])

    def test_it_prints_spine_labels_in_shelf_order(self) -> None:
        data = form(kind="spine", mode="list", barcodes="T0100 T0009", order="shelf")
        text = page_text(self.client.post(URL, data).content)
        self.assertLess(text.index("I313.45"), text.index("Q96"))
        self.assertIn(SCHOOL, text)

    def test_it_remembers_the_sheet_for_next_time(self) -> None:
        self.client.post(URL, form(preset="avery-l7160", kind="combined"))
        response = self.client.get(URL)
        self.assertContains(response, '<option value="avery-l7160" selected>')
        # Its measures are the starting point of a custom sheet.
        self.assertContains(response, 'name="label_width" value="63.5"')
        self.assertContains(response, 'name="top" value="15.15"')

    def test_it_records_the_printing(self) -> None:
        self.client.post(URL, form())
        entry = AuditLog.objects.get(action="labels.printed")
        self.assertEqual(entry.by, self.lena)
        self.assertEqual(entry.detail, {"kind": "barcode", "selection": "range", "copies": 4})

    def test_a_custom_sheet_prints_on_its_measures(self) -> None:
        custom = form(
            preset="custom",
            page_width="210",
            page_height="297",
            rows="2",
            columns="2",
            label_width="100",
            label_height="40",
            top="20",
            left="5",
            start="4",
        )
        pdf = self.client.post(URL, custom).content
        self.assertEqual(pages(pdf), 2)
        self.assertEqual(decode(pdf, 0), [("Code 128", "T0009")])

    def test_the_alignment_page_is_a_pdf_of_the_chosen_sheet(self) -> None:
        response = self.client.post(reverse("labels:test_page"), form(preset="avery-l7163"))
        self.assertEqual(response["Content-Type"], "application/pdf")
        numbers = [t for t in page_text(response.content).split() if t.isdigit()]
        self.assertEqual(numbers[:14], [str(n) for n in range(1, 15)])


@override_settings(SHUXIANG_SCHOOL_NAME=SCHOOL)
class LabelRefusalTests(LabelCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def refused(self, data: dict[str, Any], message: str) -> None:
        response = self.client.post(URL, data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/html; charset=utf-8")
        self.assertContains(response, message)
        self.assertFalse(AuditLog.objects.filter(action="labels.printed").exists())

    def test_an_empty_selection_says_so_in_chinese(self) -> None:
        self.refused(form(barcode_from="T5000", barcode_to="T6000"), "没有符合条件的图书")

    def test_a_range_across_prefixes_is_explained(self) -> None:
        self.refused(form(barcode_to="B0005"), "前缀不同（T 和 B）")

    def test_a_start_past_the_end_of_the_sheet_is_refused(self) -> None:
        self.refused(form(start="66"), "起始位置应在 1 到 65 之间")

    def test_a_custom_sheet_that_does_not_fit_is_refused(self) -> None:
        data = form(
            preset="custom",
            page_width="210",
            page_height="297",
            rows="8",
            columns="3",
            label_width="70",
            label_height="37",
            left="5",
        )
        self.refused(data, "标签横向放不下")

    def test_a_code_39_barcode_with_other_characters_is_refused(self) -> None:
        Item.objects.filter(barcode="T0010").update(barcode="T0010_A")
        data = form(symbology="code39", mode="list", barcodes="T0010_A")
        self.refused(data, "条码号 T0010_A 不能印成 Code 39")


class LabelAccessTests(LabelCase):
    def test_only_the_librarian_prints_labels(self) -> None:
        assistant = User.objects.create_user("sam", password="x", role=User.Role.ASSISTANT)
        for user in (self.hana, self.tom, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403)
            self.assertEqual(self.client.post(URL, form()).status_code, 403)

    def test_visitors_are_sent_to_log_in(self) -> None:
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("accounts:login"), response["Location"])


class LabelsFromAnImportReportTests(BaseTestCase):
    def test_the_report_link_preselects_its_import(self) -> None:
        batch = ImportBatch.objects.create(kind=ImportBatch.Kind.MARC, file_name="书商.iso")
        self.client.force_login(self.lena)
        response = self.client.get(reverse("labels:index"), {"batch": batch.pk})
        self.assertContains(response, f'<option value="{batch.pk}" selected>')
