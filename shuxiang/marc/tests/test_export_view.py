"""The MARC export screen: the librarian chooses, sees the count, downloads the file."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pymarc
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.urls import reverse

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services
from shuxiang.catalog.models import ImportBatch
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.test import BaseTestCase

URL = reverse("marc_export:form")
COUNT_URL = reverse("marc_export:count")
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def choices(**overrides: str) -> dict[str, str]:
    return {"flavour": "cnmarc", "format": "iso2709", "encoding": "utf-8", **overrides}


class ExportViewTest(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def download(self, response: object) -> bytes:
        assert isinstance(response, StreamingHttpResponse)
        return b"".join(response.streaming_content)  # type: ignore[arg-type]

    def test_it_is_for_the_librarian_only(self) -> None:
        self.client.force_login(self.ada)
        self.assertEqual(self.client.get(URL).status_code, 403)
        self.assertEqual(self.client.post(URL, choices()).status_code, 403)
        self.client.logout()
        self.assertRedirects(self.client.get(URL), f"/accounts/login/?next={URL}",
                             fetch_redirect_response=False)  # fmt: skip

    def test_it_shows_the_form_with_the_whole_catalogue_counted(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, 'data-export-count="1"')
        self.assertContains(response, "导出 MARC")

    def test_it_comes_from_an_import_report_with_that_import_chosen_and_counted(self) -> None:
        batch = ImportBatch.objects.create(kind=ImportBatch.Kind.LEDGER, file_name="登记表.xlsx")
        response = self.client.get(URL, {"batch": batch.pk})
        self.assertContains(response, 'data-export-count="0"')
        self.assertContains(response, f'<option value="{batch.pk}" selected>')

    @time_machine.travel(NOW, tick=False)
    def test_it_downloads_the_selection_as_an_attachment(self) -> None:
        response = self.client.post(URL, choices())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="shuxiang-cnmarc-20261122.iso"'
        )
        [marc] = pymarc.MARCReader(self.download(response), force_utf8=True)
        assert marc is not None
        self.assertEqual(marc["200"]["a"], "西游记")
        self.assertEqual([f["b"] for f in marc.get_fields("905")], ["T0001", "T0002"])

    @time_machine.travel(NOW, tick=False)
    def test_it_downloads_gbk_and_marcxml(self) -> None:
        response = self.client.post(URL, choices(encoding="gbk"))
        self.assertIn("shuxiang-cnmarc-gbk-20261122.iso", response["Content-Disposition"])
        self.assertIn("西游记".encode("gbk"), self.download(response))
        response = self.client.post(URL, choices(flavour="marc21", format="marcxml"))
        self.assertIn("shuxiang-marc21-20261122.xml", response["Content-Disposition"])
        data = self.download(response)
        [marc] = pymarc.parse_xml_to_array(io.BytesIO(data))  # type: ignore[no-untyped-call]
        self.assertEqual(marc["245"]["a"], "西游记")

    def test_it_logs_the_export_without_names(self) -> None:
        self.download(self.client.post(URL, choices(class_prefix="I")))
        log = AuditLog.objects.get(action="marc_exported")
        self.assertEqual(log.by, self.lena)
        self.assertEqual(
            log.detail,
            {
                "flavour": "cnmarc",
                "format": "iso2709",
                "encoding": "utf-8",
                "records": 1,
                "class_prefix": "I",
            },
        )

    def test_it_refuses_marc21_in_gbk_with_a_chinese_reason(self) -> None:
        response = self.client.post(URL, choices(flavour="marc21", encoding="gbk"))
        self.assertContains(response, "MARC21 没有 GBK 编码")
        self.assertFalse(AuditLog.objects.filter(action="marc_exported").exists())

    def test_it_refuses_a_selection_without_records(self) -> None:
        response = self.client.post(URL, choices(class_prefix="Z"))
        self.assertContains(response, "没有符合条件的书目，无可导出")
        self.assertContains(response, 'data-export-count="0"')

    def test_it_puts_a_bad_selection_on_the_form(self) -> None:
        response = self.client.post(URL, choices(date_from="2026-13-01"))
        self.assertContains(response, "不是日期")
        response = self.client.post(URL, choices(batch="999"))
        self.assertContains(response, "选择一个有效的选项")

    def test_it_takes_barcodes_from_a_file(self) -> None:
        services.catalogue_record(RecordData(title="草房子"), [ItemData(barcode="C0001")], by=None)
        upload = SimpleUploadedFile("codes.txt", "C0001\r\nT0002\r\n".encode("gbk"))
        data = self.download(self.client.post(URL, {**choices(), "barcode_file": upload}))
        marcs = list(pymarc.MARCReader(data, force_utf8=True))
        self.assertEqual(
            [[f["b"] for f in m.get_fields("905")] for m in marcs if m], [["T0002"], ["C0001"]]
        )

    def test_the_count_follows_the_choices(self) -> None:
        services.catalogue_record(RecordData(title="数学", class_number="O1"), by=None)
        response = self.client.post(COUNT_URL, choices(class_prefix="O"))
        self.assertContains(response, 'data-export-count="1"')
        self.assertContains(response, "已选 1 条书目")
        response = self.client.post(COUNT_URL, choices(barcodes="T0001 NOPE"))
        self.assertContains(response, "NOPE")
        response = self.client.post(COUNT_URL, choices(class_prefix="书"))
        self.assertNotContains(response, "data-export-count")
