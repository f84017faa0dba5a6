"""Overdue notices (催还通知单) as a PDF to cut up: one slip per reader with books overdue, several
slips to an A4 page with dashed lines to cut along, each class on pages of its own headed with
its homeroom teacher's name, ready to hand out in class.

The books are the overdue list's (circulation.overdue.overdue_lines), so the slips, the list
and the Excel sheet always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from shuxiang.circulation import overdue
from shuxiang.circulation.overdue import OverdueLine
from shuxiang.lib.labels import shorten
from shuxiang.lib.pdf import cjk_font
from shuxiang.patrons.models import Patron, SchoolClass

MARGIN = 14 * mm
ROW = 5.6 * mm  # one book in a slip's table
LINE = 5.2 * mm  # one line of text
GAP = 9 * mm  # between two slips, the cut line in its middle
# Title, barcode, due date, days overdue: shares of the slip's width.
COLUMNS = (0.52, 0.18, 0.17, 0.13)


@dataclass
class Slip:
    patron: Patron
    lines: list[OverdueLine]

    @property
    def blocked(self) -> bool:
        return any(line.blocked for line in self.lines)


@dataclass
class ClassNotices:
    school_class: SchoolClass | None  # None: teachers and staff
    teacher: str  # the homeroom teacher's name, or ""
    slips: list[Slip]

    @property
    def books(self) -> int:
        return sum(len(slip.lines) for slip in self.slips)


def class_notices(today: date, school_class: SchoolClass | None = None) -> list[ClassNotices]:
    """Today's overdue readers, one slip each, grouped by class in grade order."""
    groups: dict[int | None, ClassNotices] = {}
    slips: dict[int, Slip] = {}
    for line in overdue.overdue_lines(today, school_class):
        key = line.patron.school_class_id
        if key not in groups:
            groups[key] = ClassNotices(line.patron.school_class, "", [])
        if line.patron.pk not in slips:
            slips[line.patron.pk] = Slip(line.patron, [])
            groups[key].slips.append(slips[line.patron.pk])
        slips[line.patron.pk].lines.append(line)
    teachers = dict(
        SchoolClass.objects.filter(pk__in=[k for k in groups if k is not None]).values_list(
            "pk", "homeroom_teacher__name"
        )
    )
    for key, group in groups.items():
        group.teacher = (teachers.get(key) or "") if key is not None else ""
    # Teachers and staff (no class) come last, as on the overdue list.
    return sorted(groups.values(), key=lambda g: g.school_class is None)


# ----------------------------------------------------------------------------- the PDF


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points; Chinese breaks between any two characters."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    return [*lines, current] if current else lines


class _NoticeWriter:
    """Draws slips down the page, starting a new page when the next one does not fit."""

    def __init__(self, school: str, today: date) -> None:
        self.out = BytesIO()
        self.canvas = Canvas(self.out, pagesize=A4)
        self.canvas.setTitle(_("Overdue notices %(date)s") % {"date": today.isoformat()})
        self.canvas.setCreator("Shuxiang")
        self.font = cjk_font()
        self.school = school
        self.today = today
        self.width = A4[0] - 2 * MARGIN
        self.y = 0.0
        self.pages = 0
        self.header = ""

    def class_pages(self, group: ClassNotices) -> None:
        label = group.school_class.label if group.school_class else _("Teachers and staff")
        self.header = _("%(class)s · overdue notices · %(date)s · %(n)s reader(s)") % {
            "class": label,
            "date": self.today.isoformat(),
            "n": len(group.slips),
        }
        if group.teacher:
            self.header += " · " + _("Homeroom teacher: %(name)s") % {"name": group.teacher}
        self.new_page()
        for slip in group.slips:
            self.slip(slip, group.teacher)

    def new_page(self) -> None:
        if self.pages:
            self.canvas.showPage()
        self.pages += 1
        self.canvas.setFont(self.font, 8.5)
        self.canvas.setFillGray(0.35)
        self.canvas.drawString(MARGIN, A4[1] - MARGIN + 2 * mm, self.header)
        self.canvas.setFillGray(0)
        self.y = A4[1] - MARGIN - 2 * mm

    def slip(self, slip: Slip, teacher: str) -> None:
        words = self._words(slip)
        # Rows beyond a page's worth are summed up in one line (never seen with school limits).
        room = int((A4[1] - 2 * MARGIN - 60 * mm) // ROW)
        shown = slip.lines[:room]
        height = 9 * mm + LINE * len(words) + ROW * (len(shown) + 1) + 2 * LINE
        if len(shown) < len(slip.lines):
            height += LINE
        at_top = self.y >= A4[1] - MARGIN - 2 * mm
        if self.y - height - (0 if at_top else GAP) < MARGIN:
            self.new_page()
        elif not at_top:
            self._cut_line()
        self._draw(slip, shown, words, teacher)

    def _cut_line(self) -> None:
        c = self.canvas
        c.saveState()
        c.setDash(3, 3)
        c.setStrokeGray(0.55)
        c.setLineWidth(0.5)
        c.line(MARGIN - 6 * mm, self.y - GAP / 2, A4[0] - MARGIN + 6 * mm, self.y - GAP / 2)
        c.restoreState()
        self.y -= GAP

    def _words(self, slip: Slip) -> list[str]:
        patron = slip.patron
        who = patron.name
        if patron.school_class:
            who = f"{patron.school_class.label} {who}"
        if patron.student_number:
            who += _(" (student number %(n)s)") % {"n": patron.student_number}
        text = [
            _(
                "%(who)s: the books below are past their due date. Please return them to the "
                "library as soon as you can."
            )
            % {"who": who},
            _(
                "A book that is lost or damaged: tell the librarian; it is replaced or paid for "
                "at its price, as the library's rules say."
            ),
        ]
        if slip.blocked:
            text.append(_("You cannot borrow until the overdue books are back."))
        lines: list[str] = []
        for paragraph in text:
            lines += _wrap(paragraph, self.font, 9.5, self.width)
        return lines

    def _draw(self, slip: Slip, shown: list[OverdueLine], words: list[str], teacher: str) -> None:
        c, font, left = self.canvas, self.font, MARGIN
        title = _("Overdue notice")
        if self.school:
            title = f"{self.school} {title}"
        c.setFont(font, 13)
        c.drawCentredString(A4[0] / 2, self.y - 6 * mm, title)
        y = self.y - 6 * mm - 3 * mm
        c.setFont(font, 9.5)
        for line in words:
            y -= LINE
            c.drawString(left, y, line)
        y = self._table(shown, y - 1.5 * mm)
        if len(shown) < len(slip.lines):
            y -= LINE
            c.setFont(font, 9)
            c.drawString(left, y, _("…and %(n)s more.") % {"n": len(slip.lines) - len(shown)})
        y -= LINE + 1.5 * mm
        footer = _("School library · %(date)s") % {"date": self.today.isoformat()}
        if teacher:
            footer = _("Homeroom teacher: %(name)s") % {"name": teacher} + "    " + footer
        c.setFont(font, 9)
        c.drawRightString(A4[0] - MARGIN, y, footer)
        self.y = y - 1.5 * mm

    def _table(self, lines: Sequence[OverdueLine], top: float) -> float:
        c, font = self.canvas, self.font
        widths = [share * self.width for share in COLUMNS]
        heads = [_("Title"), _("Barcode"), _("Due"), _("Days overdue")]
        rows = [heads] + [
            [
                line.loan.item.record.title,
                line.loan.item.barcode,
                line.loan.due_on.isoformat(),
                str(line.days),
            ]
            for line in lines
        ]
        c.setLineWidth(0.4)
        c.setStrokeGray(0.4)
        y = top
        for number, row in enumerate(rows):
            c.setFillGray(0.92 if number == 0 else 1)
            c.rect(MARGIN, y - ROW, self.width, ROW, stroke=1, fill=1)
            c.setFillGray(0)
            x = MARGIN
            for column, (text, width) in enumerate(zip(row, widths, strict=True)):
                size = 9.0
                shown = shorten(text, font, size, width - 3 * mm)
                c.setFont(font, size)
                if column == 3 and number:
                    c.drawRightString(x + width - 1.5 * mm, y - ROW + 1.7 * mm, shown)
                else:
                    c.drawString(x + 1.5 * mm, y - ROW + 1.7 * mm, shown)
                if column:
                    c.line(x, y, x, y - ROW)
                x += width
            y -= ROW
        return y

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.out.getvalue()


def notices_pdf(groups: Sequence[ClassNotices], today: date, school: str) -> bytes:
    writer = _NoticeWriter(school, today)
    for group in groups:
        writer.class_pages(group)
    return writer.finish()
