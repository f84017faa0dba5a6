from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO
from urllib.parse import quote

import openpyxl  # type: ignore[import-untyped]
import time_machine

from shuxiang.accounts.models import AuditLog
from shuxiang.circulation.models import Loan
from shuxiang.circulation.tests.test_notices import NOW, TODAY, lend
from shuxiang.circulation.tests.test_pdf import unicode_map
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase


@time_machine.travel(NOW, tick=False)
class OverdueExportTests(BaseTestCase):
    class_3_2: SchoolClass
    bo: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        t1, t2 = cls.journey.items.order_by("barcode")
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        # 学号 with a leading zero, as many schools number their pupils.
        cls.bo = Patron.objects.create(
            card_number="P0010", name="李博", student_number="0024", school_class=cls.class_3_2
        )
        lend(t1, cls.ada_patron, TODAY - timedelta(days=9))
        lend(t2, cls.bo, TODAY - timedelta(days=3))

    def sheet(self, url: str) -> list[tuple[object, ...]]:
        r = self.client.get(url)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(
            r["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        book = openpyxl.load_workbook(BytesIO(r.content))
        self.cells = book.active
        return list(book.active.iter_rows(values_only=True))

    def test_it_exports_a_class_to_excel_with_chinese_headers(self) -> None:
        self.client.force_login(self.lena)
        rows = self.sheet(f"/staff/overdue/classes/{self.class_3_2.pk}/overdue.xlsx")
        self.assertEqual(rows[0][0], "三年级(2)班 超期图书催还单 2026-11-23")
        self.assertEqual(rows[1], ("学号", "姓名", "题名", "条码号", "应还日期", "超期天数"))
        # openpyxl reads a date cell back as a naive datetime at midnight.
        due = datetime(2026, 11, 20)  # noqa: DTZ001
        self.assertEqual(rows[2], ("0024", "李博", "西游记", "T0002", due, 3))
        self.assertEqual(len(rows), 3)

    def test_it_keeps_leading_zeros_as_text(self) -> None:
        self.client.force_login(self.lena)
        self.sheet(f"/staff/overdue/classes/{self.class_3_2.pk}/overdue.xlsx")
        number = self.cells["A3"]
        self.assertEqual((number.value, number.data_type, number.number_format), ("0024", "s", "@"))
        self.assertEqual(self.cells["E3"].number_format, "yyyy-mm-dd")

    def test_it_exports_the_whole_school_with_a_class_column(self) -> None:
        self.client.force_login(self.lena)
        rows = self.sheet("/staff/overdue/school.xlsx")
        self.assertEqual(rows[0][0], "全校超期图书清单 2026-11-23")
        self.assertEqual(rows[1][0], "班级")
        self.assertEqual(
            [r[:3] for r in rows[2:]],
            [
                ("三年级(2)班", "0024", "李博"),
                ("五年级(2)班", "2022050201", "王艾达"),
            ],
        )

    def test_it_names_the_download_after_the_class_and_day(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/overdue.xlsx")
        name = quote("超期图书-五年级(2)班-2026-11-23.xlsx")
        self.assertIn(f"filename*=UTF-8''{name}", r["Content-Disposition"])
        fallback = f'attachment; filename="overdue-class-{self.class_5_2.pk}-2026-11-23.xlsx"'
        self.assertTrue(r["Content-Disposition"].startswith(fallback))
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/school.pdf")
        self.assertIn(quote("超期图书-全校-2026-11-23.pdf"), r["Content-Disposition"])
        self.assertIn('filename="overdue-school-2026-11-23.pdf"', r["Content-Disposition"])

    def test_it_prints_a_class_to_pdf_with_the_embedded_chinese_font(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(f"/staff/overdue/classes/{self.class_5_2.pk}/overdue.pdf")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r["Content-Type"], "application/pdf")
        pdf = r.content
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertRegex(pdf, rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei")
        self.assertIn(b"/FontFile2", pdf)  # the TrueType program itself is in the file
        # The subset carries the glyphs of the title, the student's name and the page label.
        glyphs = unicode_map(pdf)
        for text in ("五年级(2)班 超期图书催还单", "王艾达", "西游记", "第页共"):
            self.assertLessEqual(set(text) - {" "}, glyphs, text)
        self.assertNotIn("李", glyphs)  # another class's pupil is not in it

    def test_it_prints_the_whole_school_to_pdf_for_the_librarian(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/staff/overdue/school.pdf")
        self.assertTrue(r.content.startswith(b"%PDF-"))
        self.assertLessEqual(set("全校超期图书清单李博王艾达"), unicode_map(r.content))

    def test_it_keeps_the_whole_school_exports_for_the_librarian(self) -> None:
        self.client.force_login(self.hana)
        self.assertEqual(self.client.get("/staff/overdue/school.xlsx").status_code, 403)
        self.assertEqual(self.client.get("/staff/overdue/school.pdf").status_code, 403)

    def test_it_prints_an_empty_list_without_error(self) -> None:
        Loan.objects.all().update(returned_at=NOW)
        self.client.force_login(self.lena)
        r = self.client.get(f"/staff/overdue/classes/{self.class_3_2.pk}/overdue.pdf")
        self.assertTrue(r.content.startswith(b"%PDF-"))
        self.assertLessEqual(set("没有超期的书"), unicode_map(r.content))

    def test_it_writes_each_export_to_the_audit_log(self) -> None:
        self.client.force_login(self.lena)
        self.client.get(f"/staff/overdue/classes/{self.class_3_2.pk}/overdue.pdf")
        self.client.get("/staff/overdue/school.xlsx")
        logs = AuditLog.objects.filter(action="overdue.exported").order_by("pk")
        self.assertEqual(
            [(log.target_id, log.detail) for log in logs],
            [
                (str(self.class_3_2.pk), {"format": "pdf", "rows": 1}),
                ("", {"format": "xlsx", "rows": 2}),
            ],
        )
        self.assertFalse(any(re.search("李博|王艾达", str(log.detail)) for log in logs))
