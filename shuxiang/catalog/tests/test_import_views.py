"""The import registers: /staff/imports/ and one import's report."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from shuxiang.catalog import batch
from shuxiang.catalog.batch import Entry
from shuxiang.catalog.models import ImportBatch
from shuxiang.catalog.services import ItemData, RecordData
from shuxiang.test import BaseTestCase


class ImportReportTests(BaseTestCase):
    batch: ImportBatch

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        entries = [
            Entry(2, RecordData(title="草房子"), [ItemData(barcode="L1")], label="第 2 行"),
            Entry(3, RecordData(title="西游记", isbn="9787020002207"), [], label="第 3 行"),
            Entry(4, None, error="书名为空", label="第 4 行"),
        ]
        plan = batch.check(entries, ImportBatch.Policy.SKIP)
        with transaction.atomic():
            cls.batch = batch.write(
                plan,
                ImportBatch(kind=ImportBatch.Kind.LEDGER, file_name="登记表.xlsx", skip_bad=True),
                by=cls.lena,
                via="web",
            ).batch

    def test_the_list_names_each_import_with_its_counts(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.get(reverse("imports:list"))
        self.assertContains(response, "登记表.xlsx")
        self.assertContains(response, reverse("imports:detail", args=[self.batch.pk]))

    def test_the_report_lists_what_was_added_skipped_and_refused_and_why(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.get(reverse("imports:detail", args=[self.batch.pk]))
        self.assertContains(response, "草房子")
        self.assertContains(response, "馆藏中已有相同的书目《西游记》")
        self.assertContains(response, "书名为空")
        self.assertContains(response, 'data-action="error"')
        only_errors = self.client.get(
            reverse("imports:detail", args=[self.batch.pk]), {"show": "error"}
        )
        self.assertNotContains(only_errors, 'data-action="skip"')

    def test_only_cataloguers_see_imports(self) -> None:
        self.client.force_login(self.tom)
        self.assertEqual(self.client.get(reverse("imports:list")).status_code, 403)
        self.client.logout()
        response = self.client.get(reverse("imports:detail", args=[self.batch.pk]))
        self.assertEqual(response.status_code, 302)


class WarningsInTheReportTests(BaseTestCase):
    def test_a_record_added_with_warnings_shows_them_in_the_report(self) -> None:
        entry = Entry(2, RecordData(title="城南旧事"), [], label="第 2 条记录")
        entry.warnings = ["价格“二十元”无法识别，未导入"]
        plan = batch.check([entry], ImportBatch.Policy.SKIP)
        with transaction.atomic():
            written = batch.write(plan, ImportBatch(kind=ImportBatch.Kind.MARC), by=None, via="cli")
        self.client.force_login(self.lena)
        response = self.client.get(reverse("imports:detail", args=[written.batch.pk]))
        self.assertContains(response, "价格“二十元”无法识别，未导入")
        self.assertContains(response, 'data-action="add"')
