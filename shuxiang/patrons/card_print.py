"""Printing library cards (借书证): which patrons (a class, a list of card numbers, cards issued
since a day) and the PDF of their cards, ten to an A4 sheet.

Two optional settings dress the cards: SHUXIANG_SCHOOL_LOGO, a PNG or JPEG of the school's
badge, and SHUXIANG_PHOTO_DIR, a folder of photos named by card number (R000123.jpg or .png).
A missing logo or photo leaves its place empty; the card prints all the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from shuxiang.catalog.labels import error_text, school_name
from shuxiang.lib import barcodes, grades
from shuxiang.lib import labels as drawing
from shuxiang.lib.cards import Card, CardStyle, cards_pdf
from shuxiang.patrons.models import Patron, SchoolClass

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
_GRADE_DASH_CLASS = re.compile(r"^(\d{1,2})\s*[-－/.]\s*(\d{1,2})$")


class CardPrintError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CardSelection:
    school_class: SchoolClass | None = None
    card_numbers: list[str] = field(default_factory=list)
    since: date | None = None


def find_class(text: str) -> SchoolClass:
    """A current class from '5-2', '五年级(2)班', '初一3班' or its id."""
    value = text.strip()
    match = _GRADE_DASH_CLASS.match(value)
    parsed = (int(match.group(1)), int(match.group(2))) if match else grades.parse_class(value)
    classes = SchoolClass.objects.select_related("homeroom_teacher")
    found = (
        classes.filter(grade=parsed[0], number=parsed[1], graduated_on__isnull=True).first()
        if parsed
        else classes.filter(pk=int(value)).first()
        if value.isdigit()
        else None
    )
    if found is None:
        raise CardPrintError(_("There is no class %(class)s.") % {"class": value})
    return found


def split_cards(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,，;；、]+", text or ""):
        number = barcodes.normalize(part)
        if number:
            seen.setdefault(number, None)
    return list(seen)


def select_patrons(selection: CardSelection) -> list[Patron]:
    """Active patrons to print cards for, by class and student number; never an empty list."""
    if not (selection.school_class or selection.card_numbers or selection.since):
        raise CardPrintError(_("Choose a class, list card numbers or give a day."))
    patrons = Patron.objects.filter(status=Patron.Status.ACTIVE).select_related("school_class")
    if selection.school_class is not None:
        patrons = patrons.filter(school_class=selection.school_class)
    if selection.since is not None:
        patrons = _issued_since(patrons, selection.since)
    if selection.card_numbers:
        patrons = _listed(patrons, selection.card_numbers)
    # Teachers and staff (no class) after the students on both databases.
    found = list(
        patrons.order_by(
            F("school_class__grade").asc(nulls_last=True),
            F("school_class__number").asc(nulls_last=True),
            "student_number",
            "name",
            "card_number",
        )
    )
    if not found:
        raise CardPrintError(_("No active readers match: no cards to print."))
    return found


def _issued_since(patrons: QuerySet[Patron], day: date) -> QuerySet[Patron]:
    # A card with no issue date was issued when its patron was added.
    return patrons.filter(
        Q(card_issued_on__gte=day) | Q(card_issued_on__isnull=True, created_at__date__gte=day)
    )


def _listed(patrons: QuerySet[Patron], numbers: list[str]) -> QuerySet[Patron]:
    known = set(
        Patron.objects.filter(card_number__in=numbers).values_list("card_number", flat=True)
    )
    unknown = [number for number in numbers if number not in known]
    if unknown:
        raise CardPrintError(
            _("These card numbers are not known: %(numbers)s.")
            % {"numbers": "、".join(unknown[:20]) + ("…" if len(unknown) > 20 else "")}
        )
    return patrons.filter(card_number__in=numbers)


# ----------------------------------------------------------------------------- the PDF


def setting_path(name: str) -> Path | None:
    value = str(getattr(settings, name, "") or "")
    return Path(value) if value else None


def photo_for(card_number: str) -> Path | None:
    folder = setting_path("SHUXIANG_PHOTO_DIR")
    if folder is None:
        return None
    for suffix in PHOTO_SUFFIXES:
        for name in (card_number + suffix, card_number + suffix.upper()):
            path = folder / name
            if path.is_file():
                return path
    return None


def card_for(patron: Patron) -> Card:
    if patron.type == Patron.Type.STUDENT:
        group = patron.school_class.label if patron.school_class else str(patron.get_type_display())
        number = _("Student number %(n)s") % {"n": patron.number} if patron.number else ""
    else:
        group = str(patron.get_type_display())
        number = _("Staff number %(n)s") % {"n": patron.number} if patron.number else ""
    return Card(
        name=patron.name,
        card_number=patron.card_number,
        group=group,
        number=number,
        photo=photo_for(patron.card_number),
    )


def patrons_pdf(patrons: Sequence[Patron], sheet: drawing.Sheet, start: int = 1) -> bytes:
    style = CardStyle(
        school=school_name(),
        heading=_("Library card"),
        logo=setting_path("SHUXIANG_SCHOOL_LOGO"),
    )
    try:
        sheet.check()
        drawing.check_start(sheet, start - 1)
        return cards_pdf(
            [card_for(p) for p in patrons], sheet, style, start - 1, _("Library cards")
        )
    except drawing.LabelError as exc:
        raise CardPrintError(error_text(exc)) from None
