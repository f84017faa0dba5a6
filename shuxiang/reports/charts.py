"""The report's charts as PNG pictures, for the Word work summary (decision 0002).

Drawn with Pillow in the bundled WenQuanYi Micro Hei font, so a school's server needs no
browser and no Chinese font. The pictures are sized for a 15 cm column in Word: 1,800 pixels
wide (300 dpi at 15 cm), type no smaller than about 6.5 pt once printed. White ground, one
calm colour per series, the values written on the bars where they fit. The same input always
gives the same bytes, so tests compare pictures exactly.

Every chart takes what figures.py or series.py give; with nothing to draw the picture says
本期无数据 instead.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from shuxiang.lib.grades import grade_label
from shuxiang.lib.pdf import FONT_FILE
from shuxiang.reports.figures import ClassFigures, MainClassLoans
from shuxiang.reports.series import Shelf, Week

WIDTH = 1800  # pixels: 15 cm at 300 dpi
HEIGHT = 1000
DPI = 300
# More classes than this and the per-class chart shows grades instead (a district's 60
# classes still get a bar each; a page of 150 bars could not be read).
MAX_CLASSES = 80
NO_DATA = "本期无数据"

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
INK: Colour = (51, 51, 51)
GREY: Colour = (120, 120, 120)
GRID: Colour = (222, 222, 222)
BAND: Colour = (244, 246, 248)
BLUE: Colour = (76, 120, 168)  # loans
ORANGE: Colour = (228, 120, 30)  # reading-room uses
GREEN: Colour = (84, 150, 75)  # the collection


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size, index=0)


def _num(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _nice_top(largest: float, ticks: int = 5) -> tuple[float, float]:
    """The axis's end and tick step: a round step (1, 2, 2.5 or 5 × 10ⁿ) covering `largest`."""
    if largest <= 0:
        return 1.0, 0.2
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if largest >= 1 and step < 1:
        step = 1.0 if largest > 2 else step  # counts get whole-number ticks
    return step * math.ceil(largest / step - 1e-9), step


class _Picture:
    """A white picture with a title; sizes given for 1,800 pixels wide and scaled."""

    def __init__(self, width: int, height: int, title: str) -> None:
        self.image = Image.new("RGB", (width, height), WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.scale = width / WIDTH
        self.width, self.height = width, height
        self.text(title, (width // 2, self.px(24)), 46, anchor="mt")

    def px(self, value: float) -> int:
        return round(value * self.scale)

    def font(self, size: float) -> ImageFont.FreeTypeFont:
        return _font(max(8, self.px(size)))

    def text(
        self,
        text: str,
        at: tuple[int, int],
        size: float,
        *,
        anchor: str = "la",
        fill: Colour = INK,
    ) -> None:
        self.draw.text(at, text, font=self.font(size), fill=fill, anchor=anchor)

    def length(self, text: str, size: float) -> float:
        return self.draw.textlength(text, font=self.font(size))

    def png(self) -> bytes:
        out = BytesIO()
        self.image.save(out, "PNG", dpi=(DPI, DPI))
        return out.getvalue()


def _empty(title: str, width: int, height: int) -> bytes:
    picture = _Picture(width, height, title)
    picture.text(NO_DATA, (width // 2, height // 2), 44, anchor="mm", fill=GREY)
    return picture.png()


# ----------------------------------------------------------------------------- horizontal bars


@dataclass(frozen=True)
class _Bar:
    label: str
    value: float
    text: str  # written at the bar's end
    band: bool = False  # shaded row behind it (alternate grades)


def _horizontal(
    title: str,
    bars: Sequence[_Bar],
    colour: Colour,
    axis: str,
    width: int,
    height: int | None,
    *,
    mean: tuple[float, str] | None = None,
) -> bytes:
    """One bar a row, label on the left, value at the bar's end, ticks along the foot."""
    row = max(36, min(64, 2100 // max(len(bars), 1)))
    if height is None:
        height = round((230 + row * len(bars) + 150) * width / WIDTH)
    if not bars or not any(b.value for b in bars):
        return _empty(title, width, height)
    p = _Picture(width, height, title)
    top, bottom = p.px(130), p.height - p.px(130)
    step_y = (bottom - top) / len(bars)
    label_size = min(32, step_y / p.scale * 0.72)  # in 1,800-wide units, as p.text takes
    label_w = min(max(p.length(b.label, label_size) for b in bars), p.width * 0.32)
    left = round(p.px(40) + label_w + p.px(16))
    right = p.width - p.px(40) - round(max(p.length(b.text, label_size) for b in bars))
    end, tick = _nice_top(max(b.value for b in bars))

    def x(value: float) -> int:
        return round(left + (right - left) * value / end)

    for i, bar in enumerate(bars):
        if bar.band:
            band = (
                p.px(20),
                round(top + i * step_y),
                p.width - p.px(20),
                round(top + (i + 1) * step_y),
            )
            p.draw.rectangle(band, fill=BAND)
    _ticks_x(p, end, tick, x, top, bottom)
    if mean is not None:  # behind the bars, so it never hides one
        _mean_line(p, x(mean[0]), top, bottom, mean[1])
    for i, bar in enumerate(bars):
        middle = round(top + (i + 0.5) * step_y)
        half = max(1, round(step_y * 0.32))
        label = _fit(p, bar.label, label_size, label_w)
        p.text(label, (left - p.px(16), middle), label_size, anchor="rm")
        if bar.value > 0:
            p.draw.rectangle((left, middle - half, x(bar.value), middle + half), fill=colour)
        p.text(bar.text, (x(bar.value) + p.px(10), middle), label_size, anchor="lm")
    p.draw.line((left, top, left, bottom), fill=GREY, width=max(1, p.px(2)))
    p.text(axis, ((left + right) // 2, p.height - p.px(40)), 30, anchor="mb", fill=GREY)
    return p.png()


def _ticks_x(
    p: _Picture, end: float, tick: float, x: Callable[[float], int], top: int, bottom: int
) -> None:
    n = round(end / tick)
    for k in range(n + 1):
        at = x(k * tick)
        p.draw.line((at, top, at, bottom), fill=GRID, width=max(1, p.px(2)))
        p.text(_num(k * tick), (at, bottom + p.px(12)), 26, anchor="mt", fill=GREY)


def _mean_line(p: _Picture, at: int, top: int, bottom: int, text: str) -> None:
    """A dashed line (the school's mean) with its value above the plot."""
    dash = p.px(14)
    for y in range(top, bottom, 2 * dash):
        p.draw.line((at, y, at, min(y + dash, bottom)), fill=ORANGE, width=max(1, p.px(3)))
    p.text(text, (at, top - p.px(8)), 26, anchor="mb", fill=ORANGE)


def _fit(p: _Picture, text: str, size: float, room: float) -> str:
    """The label, shortened with … when it would run into the bars."""
    if p.length(text, size) <= room:
        return text
    while text and p.length(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


# ----------------------------------------------------------------------------- the four charts


def loans_per_week(weeks: Sequence[Week], *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """每周借阅: regular loans as bars, reading-room uses as a line, week by week."""
    title = "每周借书与阅览册次"
    if not weeks or not any(w.loans or w.reading_room_uses for w in weeks):
        return _empty(title, width, height)
    p = _Picture(width, height, title)
    end, tick = _nice_top(max(max(w.loans, w.reading_room_uses) for w in weeks))
    tick_w = max(p.length(_num(k * tick), 26) for k in range(round(end / tick) + 1))
    left, right = round(p.px(40) + tick_w + p.px(14)), p.width - p.px(40)
    top, bottom = p.px(190), p.height - p.px(150)
    slot = (right - left) / len(weeks)

    def y(value: float) -> int:
        return round(bottom - (bottom - top) * value / end)

    for k in range(round(end / tick) + 1):
        at = y(k * tick)
        p.draw.line((left, at, right, at), fill=GRID, width=max(1, p.px(2)))
        p.text(_num(k * tick), (left - p.px(12), at), 26, anchor="rm", fill=GREY)
    p.text("单位：册次", (left, top - p.px(30)), 26, anchor="lb", fill=GREY)
    _legend(p, [("借书册次", BLUE, False), ("阅览室阅览册次", ORANGE, True)])
    for i, week in enumerate(weeks):
        middle = left + (i + 0.5) * slot
        half = slot * 0.3
        if week.loans:
            p.draw.rectangle(
                (round(middle - half), y(week.loans), round(middle + half), bottom), fill=BLUE
            )
            if p.length(str(week.loans), 24) <= slot * 0.95:
                p.text(str(week.loans), (round(middle), y(week.loans) - p.px(6)), 24, anchor="mb")
    points = [(round(left + (i + 0.5) * slot), y(w.reading_room_uses)) for i, w in enumerate(weeks)]
    if any(w.reading_room_uses for w in weeks):
        p.draw.line(points, fill=ORANGE, width=max(1, p.px(5)), joint="curve")
        r = p.px(7)
        for px, py in points:
            p.draw.ellipse((px - r, py - r, px + r, py + r), fill=ORANGE)
    p.draw.line((left, bottom, right, bottom), fill=GREY, width=max(1, p.px(2)))
    _week_labels(p, weeks, left, slot, bottom)
    p.text(
        "周（以每周一的日期标注）",
        ((left + right) // 2, p.height - p.px(36)),
        28,
        anchor="mb",
        fill=GREY,
    )
    return p.png()


def _legend(p: _Picture, entries: list[tuple[str, Colour, bool]]) -> None:
    """Right-aligned under the title: a swatch (a box, or a line for a line series) and name."""
    x, y = p.width - p.px(40), p.px(110)
    for name, colour, is_line in reversed(entries):
        x -= round(p.length(name, 28))
        p.text(name, (x, y), 28, anchor="lm")
        x -= p.px(50)
        if is_line:
            p.draw.line((x, y, x + p.px(40), y), fill=colour, width=max(1, p.px(5)))
        else:
            p.draw.rectangle((x + p.px(6), y - p.px(14), x + p.px(34), y + p.px(14)), fill=colour)
        x -= p.px(40)


def _week_labels(p: _Picture, weeks: Sequence[Week], left: int, slot: float, bottom: int) -> None:
    """Every week's Monday when they fit, else every second, third … week's."""
    widest = max(p.length(w.label, 24) for w in weeks)
    every = max(1, math.ceil((widest + p.px(16)) / slot))
    for i in range(0, len(weeks), every):
        at = round(left + (i + 0.5) * slot)
        p.text(weeks[i].label, (at, bottom + p.px(12)), 24, anchor="mt", fill=GREY)


def loans_per_class(
    classes: Sequence[ClassFigures], *, width: int = WIDTH, height: int | None = None
) -> bytes:
    """生均借书 per class (classes with pupils), grade bands shaded in turn, the mean dashed.

    Beyond MAX_CLASSES classes the bars are per grade (the grade's loans ÷ its pupils).
    """
    counted = [c for c in classes if c.students]
    title = "各班生均借书（册）"
    loans, pupils = sum(c.loans for c in counted), sum(c.students for c in counted)
    if len(counted) > MAX_CLASSES:
        counted = _grades(counted)
        title = "各年级生均借书（册）（班级较多，按年级汇总）"
    bars, band, last_grade = [], True, object()  # the first grade unshaded
    for c in counted:
        if c.grade != last_grade:
            band, last_grade = not band, c.grade
        bars.append(_Bar(c.label, c.loans_per_student, _num(c.loans_per_student), band))
    mean = loans / pupils if pupils else 0.0
    return _horizontal(
        title,
        bars,
        BLUE,
        "生均借书（册） = 本班学生借书册次 ÷ 本班学生数",
        width,
        height,
        mean=(mean, f"全校平均 {_num(round(mean, 2))}"),
    )


def _grades(classes: Sequence[ClassFigures]) -> list[ClassFigures]:
    order: list[int | None] = []
    for c in classes:
        if c.grade not in order:
            order.append(c.grade)
    rows = []
    for grade in order:
        mine = [c for c in classes if c.grade == grade]
        n, loans = sum(c.students for c in mine), sum(c.loans for c in mine)
        label = grade_label(grade) if grade else mine[0].label
        rows.append(ClassFigures(None, label, grade, n, loans, 0, round(loans / n, 4), 0.0, 0))
    return rows


def loans_by_main_class(
    rows: Sequence[MainClassLoans], *, width: int = WIDTH, height: int | None = None
) -> bytes:
    """借阅册次 by 中图法 main class, in the classification's order."""
    bars = [_Bar(f"{r.code} {r.name}".strip(), r.loans, str(r.loans)) for r in rows]
    return _horizontal("按中图法大类借阅册次", bars, BLUE, "借阅册次", width, height)


def collection_structure(
    shelves: Sequence[Shelf], *, width: int = WIDTH, height: int | None = None
) -> bytes:
    """藏书结构: copies held per 中图法 main class, with each class's share."""
    total = sum(s.items for s in shelves)
    bars = [
        _Bar(f"{s.code} {s.name}".strip(), s.items, f"{s.items}（{s.items / total:.1%}）")
        for s in shelves
        if total
    ]
    return _horizontal("藏书结构（按中图法大类，册）", bars, GREEN, "馆藏册数", width, height)
