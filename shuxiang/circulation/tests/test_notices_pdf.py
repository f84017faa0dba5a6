"""Overdue notices to print (催还通知单 PDF): slips per reader, grouped by class with the homeroom
teacher, read back from the PDF; who may print them; the command."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog import services
from shuxiang.circulation import notices
from shuxiang.circulation.models import Loan
from shuxiang.circulation.tests.test_notices import NOW, TODAY, lend
from shuxiang.circulation.tests.test_pdf import pdf_text
from shuxiang.lib.tests.test_labels_drawing import page_text, pages
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

SCHOOL = "海淀区实验小学"


@time_machine.travel(NOW, tick=False)
@override_settings(SHUXIANG_SCHOOL_NAME=SCHOOL)
class NoticeCase(BaseTestCase):
    """Ada (五年级(2)班, 韩老师's class) has 西游记 T0001 9 days late and T0002 3 days late;
    Bo (三年级(2)班, no homeroom teacher) 昆虫记 Q0001 1 day late; Tom (a teacher) Q0002."""

    class_3_2: SchoolClass
    bo: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        cls.bo = Patron.objects.create(
            card_number="P0010", name="李博", student_number="0024", school_class=cls.class_3_2
        )
        insects = services.catalogue_record(
            services.RecordData(title="昆虫记", class_number="Q96"),
            [services.ItemData(barcode="Q0001"), services.ItemData(barcode="Q0002")],
            by=cls.lena,
        )
        t1, t2 = cls.journey.items.order_by("barcode")
        q1, q2 = insects.items.order_by("barcode")
        lend(t1, cls.ada_patron, TODAY - timedelta(days=9))
        lend(t2, cls.ada_patron, TODAY - timedelta(days=3))
        lend(q1, cls.bo, TODAY - timedelta(days=1))
        lend(q2, cls.tom_patron, TODAY - timedelta(days=2))


class ClassNoticesTests(NoticeCase):
    def test_it_groups_one_slip_per_reader_by_class_with_the_teacher(self) -> None:
        groups = notices.class_notices(TODAY)
        self.assertEqual(
            [(g.school_class, g.teacher, [s.patron for s in g.slips]) for g in groups],
            [
                (self.class_3_2, "", [self.bo]),
                (self.class_5_2, "韩老师", [self.ada_patron]),
                (None, "", [self.tom_patron]),
            ],
        )
        self.assertEqual([line.days for line in groups[1].slips[0].lines], [9, 3])

    def test_one_class_only(self) -> None:
        groups = notices.class_notices(TODAY, self.class_5_2)
        self.assertEqual([g.books for g in groups], [2])

    def test_the_pdf_has_a_page_per_class_and_the_slips_in_chinese(self) -> None:
        with translation.override("zh-hans"):
            pdf = notices.notices_pdf(notices.class_notices(TODAY), TODAY, SCHOOL)
        self.assertEqual(pages(pdf), 3)
        ada = page_text(pdf, 1)
        for words in (
            "五年级(2)班",
            "班主任：韩老师",
            f"{SCHOOL} 超期图书催还单",
            "王艾达（学号 2022050201）",
            "西游记",
            "T0001",
            "2026-11-14",
            "T0002",
            "超期天数",
            "照价赔偿",
        ):
            self.assertIn(words, ada)
        self.assertIn("教师和职工", page_text(pdf, 2))

    def test_several_slips_share_a_page_with_cut_lines(self) -> None:
        books = services.catalogue_record(
            services.RecordData(title="草房子", class_number="I287.45"),
            [services.ItemData(barcode=f"C{n:04d}") for n in range(12)],
            by=self.lena,
        )
        for n, item in enumerate(books.items.order_by("barcode")):
            pupil = Patron.objects.create(
                card_number=f"S{n:03d}", name=f"学生{n}", school_class=self.class_3_2
            )
            lend(item, pupil, TODAY - timedelta(days=5))
        with translation.override("zh-hans"):
            pdf = notices.notices_pdf(notices.class_notices(TODAY, self.class_3_2), TODAY, "")
        slips = [page_text(pdf, n).count("超期图书催还单") for n in range(pages(pdf))]
        self.assertEqual(sum(slips), 13)
        self.assertGreaterEqual(min(slips[:-1]), 4)
        self.assertIn(b"[3 3] 0 d", pdf_text(pdf))  # the dashed cut lines


class NoticeViewTests(NoticeCase):
    def test_a_homeroom_teacher_prints_their_own_class(self) -> None:
        self.client.force_login(self.hana)
        page = self.client.get(reverse("notices:index"))
        self.assertContains(page, reverse("notices:class_pdf", args=[self.class_5_2.pk]))
        self.assertNotContains(page, reverse("notices:class_pdf", args=[self.class_3_2.pk]))
        response = self.client.get(reverse("notices:class_pdf", args=[self.class_5_2.pk]))
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("王艾达", page_text(response.content))
        entry = AuditLog.objects.get(action="notices.printed")
        self.assertEqual((entry.by, entry.target_id), (self.hana, str(self.class_5_2.pk)))
        self.assertEqual(entry.detail, {"day": "2026-11-23", "slips": 1})

    def test_a_homeroom_teacher_cannot_print_another_class_or_the_school(self) -> None:
        self.client.force_login(self.hana)
        other = reverse("notices:class_pdf", args=[self.class_3_2.pk])
        self.assertEqual(self.client.get(other).status_code, 403)
        self.assertEqual(self.client.get(reverse("notices:school_pdf")).status_code, 403)

    def test_the_librarian_prints_the_whole_school(self) -> None:
        self.client.force_login(self.lena)
        self.assertContains(self.client.get(reverse("notices:index")), "教师和职工")
        response = self.client.get(reverse("notices:school_pdf"))
        self.assertEqual(pages(response.content), 3)

    def test_other_users_may_not(self) -> None:
        for user in (self.tom, self.ada):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("notices:index")).status_code, 403)
            url = reverse("notices:class_pdf", args=[self.class_5_2.pk])
            self.assertEqual(self.client.get(url).status_code, 403)

    def test_no_overdue_books_gives_a_message_not_an_empty_pdf(self) -> None:
        Loan.objects.filter(patron=self.ada_patron).delete()
        self.client.force_login(self.hana)
        url = reverse("notices:class_pdf", args=[self.class_5_2.pk])
        response = self.client.get(url, follow=True)
        self.assertRedirects(response, reverse("notices:index"))
        self.assertContains(response, "今天没有超期图书")
        self.assertFalse(AuditLog.objects.filter(action="notices.printed").exists())


class ExportNoticesTests(NoticeCase):
    def test_it_writes_one_class_s_notices(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "notices.pdf"
            out = StringIO()
            call_command(
                "export_notices", "--class", "五年级(2)班", "--output", str(output), stdout=out
            )
            self.assertIn("王艾达", page_text(output.read_bytes()))
        self.assertIn("1 个班级，1 张催还单", out.getvalue())

    def test_an_earlier_date_has_fewer_overdue_books(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "notices.pdf"
            out = StringIO()
            call_command(
                "export_notices", "--date", "2026-11-21", "--output", str(output), stdout=out
            )
        # On the 21st only Ada's first book was late.
        self.assertIn("1 个班级，1 张催还单", out.getvalue())

    def test_it_fails_with_a_reason_in_chinese(self) -> None:
        cases = [
            (["--date", "2026-11-01"], "2026-11-01 没有超期图书"),
            (["--class", "6-9"], "没有 6-9 这个班级"),
            (["--date", "23/11/2026"], "日期应写作 YYYY-MM-DD"),
        ]
        for args, reason in cases:
            with self.subTest(args=args), self.assertRaisesMessage(CommandError, reason):
                call_command("export_notices", *args, "--output", "/tmp/never-written.pdf")
