from django.test import SimpleTestCase

from shuxiang.lib.grades import (
    class_label,
    grade_band,
    grade_range,
    parse_class,
    parse_class_number,
    parse_grade,
)


class GradesTest(SimpleTestCase):
    def test_classes_are_named_the_chinese_way(self) -> None:
        self.assertEqual(class_label(3, 2), "三年级(2)班")
        self.assertEqual(class_label(7, 3), "初一(3)班")
        self.assertEqual(class_label(11, 1), "高二(1)班")

    def test_it_reads_a_grade_written_any_common_way(self) -> None:
        for text, grade in [
            ("3", 3),
            ("三", 3),
            ("三年级", 3),
            ("３年级", 3),
            (" 3 年级 ", 3),
            ("初一", 7),
            ("七年级", 7),
            ("初中一年级", 7),
            ("高二", 11),
            ("十二", 12),
        ]:
            with self.subTest(text=text):
                self.assertEqual(parse_grade(text), grade)

    def test_it_refuses_what_is_not_a_grade(self) -> None:
        for text in ["", "x", "13", "0", "初四", "三年级二班"]:
            with self.subTest(text=text):
                self.assertIsNone(parse_grade(text))

    def test_it_reads_class_numbers_and_whole_class_names(self) -> None:
        for text in ["2", "(2)班", "（2）班", "2班", "二班"]:
            with self.subTest(text=text):
                self.assertEqual(parse_class_number(text), 2)
        self.assertEqual(parse_class("三年级(2)班"), (3, 2))
        self.assertEqual(parse_class("初一3班"), (7, 3))
        self.assertIsNone(parse_class("三年级"))

    def test_school_types_and_grade_bands(self) -> None:
        self.assertEqual(list(grade_range("primary")), [1, 2, 3, 4, 5, 6])
        self.assertEqual(list(grade_range("complete")), list(range(7, 13)))
        self.assertEqual(
            [grade_band(g) for g in (1, 3, 6, 8, 12)],
            ["lower", "middle", "upper", "junior", "senior"],
        )
