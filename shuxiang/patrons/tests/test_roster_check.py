"""The roster preview: which rows add, update or leave a patron alone, and why a row is wrong.

The school world of BaseTestCase: Ada (学号 2022050201, card P0001) in 五年级(2)班, teachers
Tom (工号 T001, card P0002) and Hana (T002, P0003); books T0001 and T0002. A primary school.
"""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from shuxiang.lib.roster import read_roster
from shuxiang.patrons import roster
from shuxiang.patrons.models import Patron, RetiredCard
from shuxiang.patrons.tests.test_roster_files import TempFiles
from shuxiang.test import BaseTestCase

HEADER = ["姓名", "类型", "学号", "年级", "班级", "借书证号"]


class RosterCheckTests(BaseTestCase):
    def setUp(self) -> None:
        self.files = TempFiles(self)

    def check(self, *rows: list[Any], header: list[str] = HEADER) -> roster.Plan:
        return roster.check_roster(read_roster(self.files.xlsx([header, *rows])))

    def errors(self, plan: roster.Plan) -> dict[int, list[str]]:
        return {r.line: r.errors for r in plan.rows if r.errors}

    def test_it_plans_additions_with_their_classes(self) -> None:
        plan = self.check(
            ["林小雨", "学生", "2025030101", "三年级", "1", ""],
            ["吴老师", "教师", "T031", "", "", "C900"],
        )
        self.assertEqual(plan.counts[roster.ADD], 2)
        lin, wu = plan.rows
        self.assertEqual(
            (lin.type, lin.class_label, lin.number), ("student", "三年级(1)班", "2025030101")
        )
        self.assertEqual((wu.type, wu.number, wu.card), ("teacher", "T031", "C900"))
        self.assertEqual(plan.new_class_labels, ["三年级(1)班"])

    def test_it_refuses_a_student_number_twice_in_the_file(self) -> None:
        plan = self.check(
            ["林小雨", "", "2025030101", "三年级", "1", ""],
            ["周大山", "", "2025030102", "三年级", "1", ""],
            ["林晓宇", "", "2025030101", "三年级", "1", ""],
        )
        expected = ["学号 2025030101 在文件中重复（第 2、4 行）。"]
        self.assertEqual(self.errors(plan), {2: expected, 4: expected})
        self.assertEqual(plan.counts[roster.ADD], 1)

    def test_it_refuses_a_student_number_that_belongs_to_another_patron(self) -> None:
        # 2022050201 is Ada's: a different name under her number is a clash, not an update.
        plan = self.check(["李明", "", "2022050201", "五年级", "2", ""])
        self.assertEqual(
            self.errors(plan)[2],
            [
                "学号 2022050201 已属于另一位读者，姓名不同（借书证号 P0001）。"
                "如确已改名，请先在该读者页面修改姓名。"
            ],
        )

    def test_it_refuses_a_staff_number_that_belongs_to_another_teacher(self) -> None:
        plan = self.check(["钱老师", "教师", "T001", "", "", ""])
        self.assertIn("工号 T001 已属于另一位读者，姓名不同", self.errors(plan)[2][0])

    def test_it_refuses_a_card_number_that_belongs_to_another_patron(self) -> None:
        plan = self.check(["林小雨", "", "2025030101", "三年级", "1", "P0002"])
        self.assertEqual(self.errors(plan)[2], ["借书证号 P0002 已被使用。"])

    def test_it_refuses_a_card_number_twice_in_the_file(self) -> None:
        plan = self.check(
            ["林小雨", "", "2025030101", "三年级", "1", "C101"],
            ["周大山", "", "2025030102", "三年级", "1", "c 101"],
        )
        self.assertEqual(len(self.errors(plan)), 2)
        self.assertIn("借书证号 C101 在文件中重复（第 2、3 行）", self.errors(plan)[3][0])

    def test_it_refuses_a_card_number_that_is_a_book_barcode_or_retired(self) -> None:
        RetiredCard.objects.create(number="OLD1", patron=self.ada_patron)
        plan = self.check(
            ["林小雨", "", "2025030101", "三年级", "1", "T0001"],
            ["周大山", "", "2025030102", "三年级", "1", "OLD1"],
        )
        self.assertEqual(
            self.errors(plan),
            {
                2: ["借书证号 T0001 已经是一本书的条码号。"],
                3: ["借书证 OLD1 已挂失并补办新证，不能再使用。"],
            },
        )

    def test_it_refuses_a_blank_name(self) -> None:
        plan = self.check(
            ["", "", "2025030101", "三年级", "1", ""], ["  ", "", "2025030102", "三年级", "1", ""]
        )
        self.assertEqual(self.errors(plan), {2: ["姓名为空。"], 3: ["姓名为空。"]})

    def test_it_refuses_a_grade_the_school_does_not_have(self) -> None:
        plan = self.check(["林小雨", "", "2025030101", "初一", "1", ""])
        self.assertEqual(self.errors(plan)[2], ["“初一”不是本校的年级（小学：一年级至六年级）。"])

    @override_settings(SHUXIANG_SCHOOL_TYPE="junior")
    def test_it_takes_the_grades_from_the_school_type(self) -> None:
        plan = self.check(
            ["林小雨", "", "2025070101", "初一", "1", ""],
            ["周大山", "", "2025030101", "三年级", "1", ""],
        )
        self.assertEqual(plan.rows[0].class_label, "初一(1)班")
        self.assertIn("“三年级”不是本校的年级（初级中学：初一至初三）", self.errors(plan)[3][0])

    def test_it_refuses_a_grade_it_cannot_read(self) -> None:
        plan = self.check(["林小雨", "", "2025030101", "2022级", "1", ""])
        self.assertEqual(self.errors(plan)[2], ["无法识别年级“2022级”。"])

    def test_it_refuses_a_class_it_cannot_read(self) -> None:
        plan = self.check(
            ["林小雨", "", "2025030101", "三年级", "甲班", ""],
            ["周大山", "", "2025030102", "", "2", ""],
            ["吴小花", "", "2025030103", "三年级", "", ""],
            ["郑小军", "", "2025030104", "四年级", "三年级(1)班", ""],
        )
        self.assertEqual(
            self.errors(plan),
            {
                2: ["无法识别班级“甲班”：请写成 2、(2)班 或 三年级(2)班。"],
                3: ["班级“2”没有年级：请填写年级，或写成 三年级(2)班。"],
                4: ["填了年级，但没有填班级。"],
                5: ["年级（四年级）与班级（三年级(1)班）不一致。"],
            },
        )

    def test_it_reads_a_whole_class_name_without_a_grade_column(self) -> None:
        plan = self.check(
            ["林小雨", "2025030101", "三年级（2）班"], header=["姓名", "学号", "班级"]
        )
        self.assertEqual(
            (plan.rows[0].action, plan.rows[0].class_label), (roster.ADD, "三年级(2)班")
        )

    def test_it_refuses_a_malformed_card_number(self) -> None:
        plan = self.check(["林小雨", "", "2025030101", "三年级", "1", "卡#1"])
        self.assertEqual(
            self.errors(plan)[2],
            ["借书证号“卡#1”格式不对：请用 3–32 位字母、数字或连字符。"],
        )

    def test_it_normalises_full_width_digits_and_spaces_before_matching(self) -> None:
        plan = self.check(
            ["王艾达 ", "", "２０２２ ０５０２０１", "五年级", "（２）班", "ｐ０００１"],
            ["林　雨", "", "２０２５０３０１０１", " 三 年级", "１", ""],
        )
        ada, lin = plan.rows
        self.assertEqual((ada.action, ada.patron_id), (roster.UNCHANGED, self.ada_patron.pk))
        self.assertEqual(
            (lin.name, lin.number, lin.class_label), ("林雨", "2025030101", "三年级(1)班")
        )

    def test_it_keeps_leading_zeros_and_warns_when_excel_stored_a_number(self) -> None:
        plan = self.check(
            ["林小雨", "", "0030101", "三年级", "1", ""],
            ["周大山", "", 30102, "三年级", "1", ""],
        )
        lin, zhou = plan.rows
        self.assertEqual((lin.number, lin.warnings), ("0030101", []))
        self.assertEqual(zhou.number, "30102")
        self.assertEqual(
            zhou.warnings,
            ["学号 30102 在 Excel 中存成了数字，开头的 0 可能已经丢失（文件中其他号码为 7 位）。"],
        )
        self.assertIn("有 1 个学号在 Excel 中存成了数字。", plan.warnings[0])

    def test_it_plans_an_update_for_a_student_who_moved_class(self) -> None:
        plan = self.check(["王艾达", "学生", "2022050201", "五年级", "3", ""])
        row = plan.rows[0]
        self.assertEqual((row.action, row.patron_id), (roster.UPDATE, self.ada_patron.pk))
        self.assertEqual(row.changes, [("school_class", "五年级(2)班", "五年级(3)班")])
        self.assertEqual(plan.new_class_labels, ["五年级(3)班"])

    def test_it_leaves_what_a_blank_cell_would_erase(self) -> None:
        plan = self.check(["王艾达", "", "2022050201", "", "", ""])
        self.assertEqual(plan.rows[0].action, roster.UNCHANGED)

    def test_it_matches_teachers_by_staff_number_and_by_name_when_they_have_none(self) -> None:
        Patron.objects.create(card_number="P0009", name="郑老师", type=Patron.Type.STAFF)
        plan = self.check(
            ["唐老师", "教师", "T001", "", "", ""],
            ["郑老师", "职工", "", "", "", ""],
        )
        self.assertEqual(
            [(r.action, r.patron_id) for r in plan.rows],
            [
                (roster.UNCHANGED, self.tom_patron.pk),
                (roster.UNCHANGED, Patron.objects.get(card_number="P0009").pk),
            ],
        )

    def test_it_refuses_a_patron_who_has_graduated(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.GRADUATED)
        plan = self.check(["王艾达", "", "2022050201", "五年级", "2", ""])
        self.assertIn(
            "学号 2022050201 属于已毕业或已离校的读者（借书证号 P0001）", self.errors(plan)[2][0]
        )

    def test_it_refuses_the_template_example_row(self) -> None:
        example = roster.EXAMPLE
        plan = self.check(
            [
                example["姓名"],
                example["类型"],
                example["学号"],
                example["年级"],
                example["班级"],
                "",
            ]
        )
        self.assertEqual(
            self.errors(plan)[2],
            ["这是模板中的示例行：导入前请删除。"],
        )

    def test_it_refuses_an_unknown_patron_type(self) -> None:
        plan = self.check(["林小雨", "家长", "2025030101", "三年级", "1", ""])
        self.assertEqual(
            self.errors(plan)[2],
            ["无法识别读者类型“家长”：请填写 学生、教师 或 职工。"],
        )

    def test_it_reads_the_library_in_a_few_queries_whatever_the_size(self) -> None:
        rows = [
            [f"学生{i}", "", f"2025{i:06d}", "三年级", str(i % 4 + 1), f"C{i:05d}"]
            for i in range(600)
        ]
        parsed = read_roster(self.files.xlsx([HEADER, *rows]))
        # classes, patrons, retired cards, and two chunks of book barcodes.
        with self.assertNumQueries(5):
            plan = roster.check_roster(parsed)
        self.assertEqual(plan.counts[roster.ADD], 600)
