"""The report pages: the dashboard, the term report with its downloads, and a class's figures.

The school is test_figures' hand-made one (its module docstring works out every number), seen
on 10 February 2027, with the period 1 September 2026 – 15 January 2027 chosen as dates.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import time_machine
from django.test import Client
from django.urls import reverse

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation.models import Term
from shuxiang.reports.tests.test_figures import PERIOD_END, PERIOD_START, HandMadeSchool

RANGE = {"kind": "range", "start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()}
QUERY = "kind=range&start=2026-09-01&end=2027-01-15"


@time_machine.travel(datetime(2027, 2, 10, 2, tzinfo=UTC), tick=False)
class ReportPagesTestCase(HandMadeSchool):
    lena: User
    vera: User
    hana: User
    tom: User
    sam: User
    ada: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        make = User.objects.create_user
        cls.lena = make("lena", password="x", role=User.Role.LIBRARIAN)
        cls.vera = make("vera", password="x", role=User.Role.VIEWER)
        cls.hana = make("hana", password="x", role=User.Role.HOMEROOM)
        cls.tom = make("tom", password="x", role=User.Role.TEACHER)
        cls.sam = make("sam", password="x", role=User.Role.ASSISTANT)
        cls.ada = make("ada", password="x", role=User.Role.STUDENT)
        # 韩老师 (teacher t2) is the homeroom teacher of 三年级(1)班.
        cls.teachers["t2"].user = cls.hana
        cls.teachers["t2"].save()
        cls.classes["3-1"].homeroom_teacher = cls.teachers["t2"]
        cls.classes["3-1"].save()

    def as_user(self, user: User) -> Client:
        self.client.force_login(user)
        return self.client

    def get(self, name: str, *args: Any, **params: str) -> Any:
        return self.client.get(reverse(name, args=args), params)


class DashboardTests(ReportPagesTestCase):
    def test_it_shows_this_terms_figures_so_far_with_four_charts(self) -> None:
        Term.objects.create(name="第一学期", starts_on=PERIOD_START, ends_on=date(2027, 2, 28))
        self.as_user(self.lena)
        response = self.get("reports:index")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["period"].end, date(2027, 2, 10))  # today, not 28th
        cards = {c["key"]: c["value"] for c in response.context["cards"]}
        # By 10 February the period also holds s6's loan of 20 January: 8 student loans.
        self.assertEqual(cards["student_loans"], "8")
        charts = [c["key"] for c in response.context["charts"]]
        self.assertEqual(charts, ["weeks", "classes", "main_classes", "collection"])
        for key in charts:
            self.assertContains(response, f'id="chart-data-{key}"')
        self.assertContains(response, 'src="/static/vendor/echarts/echarts.common.min.js"')
        self.assertContains(response, f'href="{reverse("reports:compliance")}"')
        self.assertContains(response, f'href="{reverse("reports:term")}"')

    def test_the_principals_office_reads_it_and_nobody_else_does(self) -> None:
        self.as_user(self.vera)
        self.assertEqual(self.get("reports:index").status_code, 200)
        for user in (self.hana, self.tom, self.sam, self.ada):
            self.as_user(user)
            self.assertEqual(self.get("reports:index").status_code, 403, user.username)


class TermReportPageTests(ReportPagesTestCase):
    def test_it_writes_the_summary_paragraph_and_the_class_table_for_the_dates(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:term", **RANGE)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "生均借书 0.88 册，借书覆盖率 50.0%")
        classes = response.context["result"].classes
        first = classes[0]
        self.assertEqual((first.label, first.students, first.loans), ("三年级(1)班", 3, 4))
        self.assertContains(response, '<td class="text-end">1.33</td>', html=False)
        self.assertContains(response, "66.7%")
        self.assertEqual(
            [c.label for c in response.context["result"].top_classes],
            ["三年级(1)班", "三年级(2)班", "六年级(1)班（2026届）", "四年级(1)班"],
        )
        row = AuditLog.objects.get(action="term_report.viewed")
        self.assertEqual(row.by, self.lena)
        self.assertEqual(row.detail, {"start": "2026-09-01", "end": "2027-01-15"})

    def test_its_class_chart_draws_loans_per_student_for_classes_with_pupils(self) -> None:
        self.as_user(self.lena)
        charts = {c["key"]: c for c in self.get("reports:term", **RANGE).context["charts"]}
        chart = charts["classes"]
        self.assertEqual(chart["kind"], "bar")
        labels = ["三年级(1)班", "三年级(2)班", "四年级(1)班", "六年级(1)班（2026届）"]
        self.assertEqual(chart["categories"], labels)
        self.assertEqual(chart["series"][0]["data"], [1.33, 1.0, 0.0, 0.0])
        weeks = charts["weeks"]
        self.assertEqual(weeks["categories"][0], "8月31日")  # the Monday of 1 September
        self.assertEqual(sum(weeks["series"][0]["data"]), 9)  # 7 pupils' + 2 teacher's loans
        self.assertEqual(sum(weeks["series"][1]["data"]), 2)  # reading-room uses

    def test_it_compares_with_the_period_before_when_asked(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:term", **RANGE, compare="on")
        change = next(c for c in response.context["changes"] if c["label"] == "学生借书册次")
        shown = (change["current"], change["previous"], change["change"])
        self.assertEqual(shown, ("7", "2", "+5"))

    def test_it_refuses_a_range_that_ends_before_it_starts_in_chinese(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:term", kind="range", start="2027-01-15", end="2026-09-01")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "结束日期早于开始日期", status_code=400)
        response = self.get("reports:term", kind="range", start="2027-01-15")
        self.assertContains(response, "请给出起止两个日期", status_code=400)
        response = self.get("reports:term", kind="decade")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(AuditLog.objects.filter(action="term_report.viewed").exists())

    def test_it_counts_the_month_containing_a_day(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:term", kind="month", day="2026-11-20")
        self.assertEqual(response.context["period"].label, "2026年11月")
        # s4's loan of 10 November is the only pupil's loan that month.
        self.assertEqual(response.context["result"].student_loans, 1)


class DownloadTests(ReportPagesTestCase):
    def test_the_whole_report_downloads_as_excel_with_one_sheet_per_table(self) -> None:
        self.as_user(self.vera)
        response = self.client.get(f"{reverse('reports:term_download', args=['xlsx'])}?{QUERY}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        book = openpyxl.load_workbook(BytesIO(response.content))
        self.assertIn("班级借阅", book.sheetnames)
        row = AuditLog.objects.get(action="term_report.exported")
        self.assertEqual(row.detail["format"], "xlsx")

    def test_the_markdown_holds_the_summary_sentences(self) -> None:
        self.as_user(self.lena)
        response = self.client.get(f"{reverse('reports:term_download', args=['md'])}?{QUERY}")
        self.assertIn("生均借书 0.88 册", response.content.decode())

    def test_the_word_summary_downloads(self) -> None:
        import docx  # noqa: PLC0415 - python-docx, only this test reads Word files

        self.as_user(self.lena)
        response = self.client.get(f"{reverse('reports:term_download', args=['docx'])}?{QUERY}")
        self.assertEqual(response.status_code, 200)
        document = docx.Document(BytesIO(response.content))
        text = "\n".join(p.text for p in document.paragraphs)
        self.assertIn("生均借书 0.88 册", text)

    def test_each_table_downloads_alone_as_excel(self) -> None:
        self.as_user(self.lena)
        url = reverse("reports:table_download", args=["classes"])
        response = self.client.get(f"{url}?{QUERY}")
        book = openpyxl.load_workbook(BytesIO(response.content))
        self.assertEqual(book.sheetnames, ["班级借阅"])
        rows = list(book.active.iter_rows(values_only=True))
        self.assertEqual(rows[1][:3], ("三年级(1)班", 3, 4))
        self.assertEqual(rows[1][5], 0.6667)  # a number, for the librarian's own charts
        changes = reverse("reports:table_download", args=["changes"])
        book = openpyxl.load_workbook(BytesIO(self.client.get(f"{changes}?{QUERY}").content))
        self.assertEqual(book.sheetnames, ["与上期比较"])

    def test_an_unknown_table_or_format_is_not_found(self) -> None:
        self.as_user(self.lena)
        self.assertEqual(self.get("reports:table_download", "nothing").status_code, 404)
        self.assertEqual(self.get("reports:term_download", "pdf").status_code, 404)

    def test_a_homeroom_teacher_cannot_download_the_schools_report(self) -> None:
        self.as_user(self.hana)
        response = self.client.get(f"{reverse('reports:term_download', args=['xlsx'])}?{QUERY}")
        self.assertEqual(response.status_code, 403)


class ClassReportTests(ReportPagesTestCase):
    def test_the_homeroom_teacher_sees_the_class_figures_and_its_place(self) -> None:
        self.as_user(self.hana)
        response = self.get("reports:class", self.classes["3-1"].pk, **RANGE)
        self.assertEqual(response.status_code, 200)
        figures = response.context["figures"]
        self.assertEqual((figures.students, figures.loans, figures.overdue), (3, 4, 1))
        standing = response.context["standing"]
        self.assertEqual((standing.place, standing.of), (1, 4))
        self.assertEqual((standing.grade_place, standing.grade_of), (1, 2))
        self.assertContains(response, "第 1 名")
        self.assertContains(response, "全校 4 个班中的名次")
        readers = [(r.name, r.loans) for r in response.context["readers"]]
        self.assertEqual(readers, [("学生s1", 3), ("学生s2", 1), ("学生s3", 0)])
        self.assertEqual([r.name for r in response.context["not_yet"]], ["学生s3"])
        # Overdue now (10 February): s1's 西游记, due 31 December.
        self.assertEqual([line.patron.name for line in response.context["overdue"]], ["学生s1"])
        row = AuditLog.objects.get(action="class_report.viewed")
        self.assertEqual(row.target_id, str(self.classes["3-1"].pk))

    def test_the_second_class_of_the_grade_is_second(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:class", self.classes["3-2"].pk, **RANGE)
        standing = response.context["standing"]
        self.assertEqual((standing.place, standing.grade_place, standing.grade_of), (2, 2, 2))
        # s8 left the school but borrowed on the class in the period: still counted.
        self.assertIn(("学生s8", 1), [(r.name, r.loans) for r in response.context["readers"]])

    def test_the_weekly_chart_counts_only_the_classs_pupils(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:class", self.classes["3-1"].pk, **RANGE)
        chart = response.context["charts"][0]
        self.assertEqual(sum(chart["series"][0]["data"]), 4)

    def test_nobody_else_sees_a_class(self) -> None:
        pk = self.classes["3-2"].pk
        self.as_user(self.hana)  # not their class
        self.assertEqual(self.get("reports:class", pk).status_code, 403)
        for user in (self.vera, self.tom, self.sam, self.ada):
            self.as_user(user)
            self.assertEqual(self.get("reports:class", pk).status_code, 403, user.username)
        self.assertFalse(AuditLog.objects.filter(action="class_report.viewed").exists())

    def test_a_homeroom_teacher_goes_straight_to_their_class(self) -> None:
        self.as_user(self.hana)
        response = self.get("reports:my_class")
        self.assertRedirects(response, reverse("reports:class", args=[self.classes["3-1"].pk]), 302)

    def test_a_class_with_no_pupils_this_period_has_no_place(self) -> None:
        self.as_user(self.lena)
        response = self.get("reports:class", self.classes["5-1"].pk, **RANGE)
        self.assertEqual(response.status_code, 200)
        self.assertIsNone(response.context["standing"])


def chart_json(html: str, key: str) -> dict[str, Any]:
    start = html.index(f'id="chart-data-{key}"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    data: dict[str, Any] = json.loads(body)
    return data


class ChartDataTests(ReportPagesTestCase):
    def test_the_page_carries_each_charts_data_as_json_for_reports_js(self) -> None:
        self.as_user(self.lena)
        html = self.get("reports:term", **RANGE).content.decode()
        pie = chart_json(html, "collection")
        self.assertEqual(pie["kind"], "pie")
        # Held today: A1–A4 (文学 I), B1–B2 (综合 Z), C1–C3 (生物 Q); B3 is withdrawn.
        self.assertEqual(
            dict(zip(pie["categories"], pie["series"][0]["data"], strict=True)),
            {"I 文学": 4, "Q 生物科学": 3, "Z 综合性图书": 2},
        )
        self.assertEqual(pie["empty"], "本期无数据")
