"""The chart pictures: PNGs of the asked size, the same bytes for the same data, bars as long
as their values, and a picture saying so when there is nothing to draw."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

from django.test import SimpleTestCase
from PIL import Image, ImageChops

from shuxiang.reports import charts
from shuxiang.reports.figures import ClassFigures, MainClassLoans
from shuxiang.reports.series import Shelf, Week

MONDAY = date(2026, 8, 31)


def weeks(*rows: tuple[int, int]) -> list[Week]:
    return [Week(MONDAY + timedelta(days=7 * i), n, room) for i, (n, room) in enumerate(rows)]


def school_class(label: str, grade: int, students: int, loans: int) -> ClassFigures:
    per = round(loans / students, 4)
    return ClassFigures(None, label, grade, students, loans, 0, per, 0.0, 0)


def picture(png: bytes) -> Image.Image:
    image = Image.open(BytesIO(png))
    image.load()
    return image.convert("RGB")


def bar_lengths(image: Image.Image, colour: charts.Colour, *, across: bool) -> list[int]:
    """The lengths of the bars of one colour, top to bottom (across) or left to right.

    Each bar is a run of rows (or columns) holding the colour; its length is the colour's
    longest count in the run (a line drawn across it hides a few pixels). The title and the
    legend, at the top, are left out.
    """
    top = round(140 * image.width / charts.WIDTH)
    # 255 where the pixel is exactly the colour (anti-aliased text never is), else 0.
    bands = [
        band.point(lambda v, c=c: 255 if v == c else 0)
        for band, c in zip(image.split(), colour, strict=True)
    ]
    mask = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    mask = mask.crop((0, top, image.width, image.height))
    if not across:
        mask = mask.transpose(Image.Transpose.TRANSPOSE)
    data, width = mask.tobytes(), mask.width
    counts = [data[y * width : (y + 1) * width].count(255) for y in range(mask.height)]
    bars, start = [], None
    for i, n in enumerate([*counts, 0]):
        if n and start is None:
            start = i
        elif not n and start is not None:
            bars.append(max(counts[start:i]))
            start = None
    return bars


class ChartsTest(SimpleTestCase):
    def test_it_draws_a_png_of_the_requested_size(self) -> None:
        png = charts.loans_per_week(weeks((5, 1), (3, 0)), width=900, height=500)
        image = Image.open(BytesIO(png))
        self.assertEqual((image.format, image.size), ("PNG", (900, 500)))

    def test_it_draws_the_same_bytes_for_the_same_data(self) -> None:
        rows = [MainClassLoans("I", "文学", 12), MainClassLoans("Z", "综合性图书", 3)]
        self.assertEqual(charts.loans_by_main_class(rows), charts.loans_by_main_class(rows))
        changed = [MainClassLoans("I", "文学", 12), MainClassLoans("Z", "综合性图书", 4)]
        self.assertNotEqual(charts.loans_by_main_class(rows), charts.loans_by_main_class(changed))

    def test_it_draws_each_class_bar_as_long_as_its_loans_per_student(self) -> None:
        classes = [school_class("三年级(1)班", 3, 10, 20), school_class("三年级(2)班", 3, 10, 5)]
        image = picture(charts.loans_per_class(classes))
        first, second = bar_lengths(image, charts.BLUE, across=True)
        self.assertAlmostEqual(first / second, 4, delta=0.05)

    def test_it_leaves_out_classes_without_pupils(self) -> None:
        classes = [
            school_class("三年级(1)班", 3, 10, 20),
            ClassFigures(None, "空班", 3, 0, 0, 0, 0, 0, 0),
        ]
        self.assertEqual(
            len(bar_lengths(picture(charts.loans_per_class(classes)), charts.BLUE, across=True)), 1
        )

    def test_it_gives_sixty_classes_a_bar_each_and_a_district_its_grades(self) -> None:
        sixty = [
            school_class(f"{g}年级({n})班", g, 40, g * 40 + n)
            for g in range(1, 7)
            for n in range(1, 11)
        ]
        image = picture(charts.loans_per_class(sixty))
        self.assertEqual(len(bar_lengths(image, charts.BLUE, across=True)), 60)
        self.assertGreater(image.height, image.width)  # taller, not squeezed
        ninety = [
            school_class(f"{g}年级({n})班", g, 40, 80) for g in range(1, 7) for n in range(1, 16)
        ]
        grades = bar_lengths(picture(charts.loans_per_class(ninety)), charts.BLUE, across=True)
        self.assertEqual(len(grades), 6)
        self.assertEqual(len(set(grades)), 1)  # every grade 2 per pupil

    def test_it_draws_the_weeks_loans_as_bars_and_reading_room_uses_as_a_line(self) -> None:
        image = picture(charts.loans_per_week(weeks((40, 45), (10, 30), (0, 0))))
        first, second = bar_lengths(image, charts.BLUE, across=False)
        self.assertAlmostEqual(first / second, 4, delta=0.05)
        self.assertTrue(bar_lengths(image, charts.ORANGE, across=False))

    def test_it_draws_the_collection_in_its_own_colour(self) -> None:
        shelves = [Shelf("I", "文学", 300), Shelf("未分类", "", 100)]
        image = picture(charts.collection_structure(shelves))
        literature, unclassified = bar_lengths(image, charts.GREEN, across=True)
        self.assertAlmostEqual(literature / unclassified, 3, delta=0.05)
        self.assertFalse(bar_lengths(image, charts.BLUE, across=True))

    def test_it_draws_a_picture_saying_there_is_no_data(self) -> None:
        empty = [
            charts.loans_per_week([]),
            charts.loans_per_week(weeks((0, 0), (0, 0))),
            charts.loans_per_class([]),
            charts.loans_by_main_class([]),
            charts.collection_structure([]),
        ]
        for png in empty:
            image = picture(png)
            self.assertFalse(bar_lengths(image, charts.BLUE, across=True))
            self.assertFalse(bar_lengths(image, charts.GREEN, across=True))
            # the words 本期无数据 in the middle
            middle = image.crop((0, image.height // 3, image.width, 2 * image.height // 3))
            self.assertIn(charts.GREY, {colour for _n, colour in middle.getcolors(1 << 16) or []})
