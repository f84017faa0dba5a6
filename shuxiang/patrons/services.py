"""Patron workflows: library cards, loss and reissue. Each takes the acting user and writes an
audit row; the roster import and the rollover have their own modules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.catalog.services import next_number
from shuxiang.lib import barcodes
from shuxiang.lib.text import clean, to_halfwidth
from shuxiang.patrons.errors import (
    CardRetired,
    DuplicateCardNumber,
    InvalidCardNumber,
    InvalidPatron,
    PatronError,
    PatronNotFound,
)
from shuxiang.patrons.models import Patron, RetiredCard, SchoolClass

CARD_KEY = "card_number"


def card_prefix() -> str:
    return str(settings.SHUXIANG_CARD_PREFIX)


def next_card_number() -> str:
    """The next free automatic card number: prefix + running number (R000001 …).

    Numbers already taken by hand or by a roster are skipped, so that the counter never hands
    out a card that exists.
    """
    while True:
        number = f"{card_prefix()}{str(next_number(CARD_KEY)).zfill(settings.SHUXIANG_CARD_DIGITS)}"
        if not card_number_in_use(number):
            return number


def card_number_in_use(number: str) -> bool:
    return (
        Patron.objects.filter(card_number=number).exists()
        or RetiredCard.objects.filter(number=number).exists()
        or Item.objects.filter(barcode=number).exists()
    )


def check_card_number(number: str, *, patron: Patron | None = None) -> str:
    """A card number typed or imported, normalised; raises if it is malformed or taken.

    A card number must not also be a book's barcode: at the desk one box takes both.
    """
    code = barcodes.normalize(number)
    if not barcodes.is_valid(code):
        raise InvalidCardNumber(
            _("Card number “%(card)s” is malformed: use 3–32 letters, digits or hyphens.")
            % {"card": number}
        )
    taken = Patron.objects.filter(card_number=code)
    if patron is not None and patron.pk:
        taken = taken.exclude(pk=patron.pk)
    if taken.exists() or RetiredCard.objects.filter(number=code).exists():
        raise DuplicateCardNumber(_("Card number %(card)s is already in use.") % {"card": code})
    if Item.objects.filter(barcode=code).exists():
        raise DuplicateCardNumber(
            _("Card number %(card)s is already a book's barcode.") % {"card": code}
        )
    return code


def find_patron_by_card(card: str) -> Patron:
    """The patron a scanned card opens. A replaced card is refused with its own reason."""
    code = barcodes.normalize(card)
    patron = Patron.objects.select_related("school_class").filter(card_number=code).first()
    if patron is not None:
        return patron
    if RetiredCard.objects.filter(number=code).exists():
        raise CardRetired(
            _("Card %(card)s was reported lost and replaced: it can no longer be used.")
            % {"card": code}
        )
    raise PatronNotFound(_("No patron has card number %(card)s.") % {"card": code})


@transaction.atomic
def report_card_lost(patron: Patron, *, by: User | None, via: str = "web") -> Patron:
    """挂失: the card is blocked at once, at the desk, the API and the kiosks."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if patron.status != Patron.Status.ACTIVE:
        raise PatronError(
            _("Only an active patron's card can be reported lost (this patron is: %(status)s).")
            % {"status": patron.get_status_display()}
        )
    patron.status = Patron.Status.CARD_LOST
    patron.save(update_fields=["status", "updated_at"])
    AuditLog.record("patron.card_lost", by=by, target=patron, via=via)
    return patron


@transaction.atomic
def reissue_card(
    patron: Patron, *, by: User | None, new_number: str = "", via: str = "web"
) -> Patron:
    """补办: a new card number; the old one is retired and refused from now on."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    if patron.status not in {Patron.Status.ACTIVE, Patron.Status.CARD_LOST}:
        raise PatronError(
            _("A card can only be reissued for a current patron (this patron is: %(status)s).")
            % {"status": patron.get_status_display()}
        )
    number = check_card_number(new_number, patron=patron) if new_number else next_card_number()
    old = patron.card_number
    if number == old:
        # check_card_number lets a patron keep their own number; a reissue must not.
        raise DuplicateCardNumber(
            _("%(card)s is the card being replaced: the new card needs another number.")
            % {"card": number}
        )
    RetiredCard.objects.create(number=old, patron=patron)
    patron.card_number = number
    patron.status = Patron.Status.ACTIVE
    patron.card_issued_on = timezone.localdate()
    patron.save(update_fields=["card_number", "status", "card_issued_on", "updated_at"])
    AuditLog.record("patron.card_reissued", by=by, target=patron, via=via, old=old, new=number)
    return patron


# Patron records: add, edit, status. The roster import writes in bulk through its own module.


@dataclass
class PatronData:
    """A patron as the form (or a caller) gives it. ``number`` is the 学号 of a student and the
    工号 of a teacher or member of staff; a blank ``card_number`` means "the next automatic one"
    when the patron is added (an existing card changes only by 补办)."""

    name: str
    type: str = Patron.Type.STUDENT
    gender: str = ""
    number: str = ""
    school_class: SchoolClass | None = None
    enrolment_year: int | None = None
    guardian_phone: str = ""
    notes: str = ""
    card_number: str = ""


# The columns an edit may change; the audit row lists the names of those that did.
EDITABLE_FIELDS = (
    "name",
    "type",
    "gender",
    "student_number",
    "staff_number",
    "school_class",
    "enrolment_year",
    "guardian_phone",
    "notes",
)
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,38}$")
MIN_ENROLMENT_YEAR = 1950
MAX_ENROLMENT_YEAR = 2100


def _clean_number(value: str) -> str:
    # 学号 keep their leading zeros; only width and stray spaces are normalised.
    return re.sub(r"\s+", "", to_halfwidth(value or ""))


def _check_number(number: str, field: str, patron: Patron | None) -> None:
    if len(number) > 32:
        raise InvalidPatron(_("A student or staff number has at most 32 characters."), "number")
    other = Patron.objects.filter(**{field: number})
    if patron is not None and patron.pk:
        other = other.exclude(pk=patron.pk)
    holder = other.first()
    if holder is not None:
        if field == "student_number":
            message = _("Student number %(number)s already belongs to %(patron)s.")
        else:
            message = _("Staff number %(number)s already belongs to %(patron)s.")
        raise InvalidPatron(message % {"number": number, "patron": holder}, "number")


def _check_class(data: PatronData, patron: Patron | None) -> None:
    school_class = data.school_class
    if data.type != Patron.Type.STUDENT:
        if school_class is not None:
            raise InvalidPatron(
                _(
                    "Teachers and staff belong to no class: a homeroom teacher is chosen on the "
                    "class's page."
                ),
                "school_class",
            )
        return
    if school_class is None:
        raise InvalidPatron(_("Choose the student's class."), "school_class")
    unchanged = patron is not None and patron.school_class_id == school_class.pk
    if school_class.graduated_on and not unchanged:
        raise InvalidPatron(
            _("%(class)s has graduated: choose a current class.") % {"class": school_class},
            "school_class",
        )


def validate_patron(data: PatronData, *, patron: Patron | None = None) -> PatronData:
    """The data cleaned and checked; raises InvalidPatron naming the field at fault."""
    name = clean(data.name)
    if not name:
        raise InvalidPatron(_("Enter the patron's name."), "name")
    if len(name) > 100:
        raise InvalidPatron(_("A name has at most 100 characters."), "name")
    if data.type not in Patron.Type.values:
        raise InvalidPatron(_("Choose student, teacher or staff."), "type")
    if data.gender not in {"", *Patron.Gender.values}:
        raise InvalidPatron(_("Choose male, female or leave it empty."), "gender")
    number = _clean_number(data.number)
    if number:
        field = "student_number" if data.type == Patron.Type.STUDENT else "staff_number"
        _check_number(number, field, patron)
    _check_class(data, patron)
    year = data.enrolment_year
    if year is not None and not MIN_ENROLMENT_YEAR <= year <= MAX_ENROLMENT_YEAR:
        raise InvalidPatron(_("The year of enrolment should be like 2024."), "enrolment_year")
    phone = re.sub(r"\s+", " ", to_halfwidth(data.guardian_phone or "")).strip()
    if phone and not _PHONE.match(phone):
        raise InvalidPatron(
            _("The guardian's phone should be digits, such as 13800000000."), "guardian_phone"
        )
    return PatronData(
        name=name,
        type=data.type,
        gender=data.gender,
        number=number,
        school_class=data.school_class if data.type == Patron.Type.STUDENT else None,
        enrolment_year=year,
        guardian_phone=phone,
        notes=(data.notes or "").strip(),
        card_number=data.card_number,
    )


def _apply(patron: Patron, data: PatronData) -> None:
    is_student = data.type == Patron.Type.STUDENT
    patron.name = data.name
    patron.type = data.type
    patron.gender = data.gender
    patron.student_number = data.number if is_student else ""
    patron.staff_number = "" if is_student else data.number
    patron.school_class = data.school_class
    patron.enrolment_year = data.enrolment_year
    patron.guardian_phone = data.guardian_phone
    patron.notes = data.notes


def _number_taken() -> InvalidPatron:
    # Only reached when two librarians save the same number at the same moment.
    return InvalidPatron(
        _("This card, student or staff number was just given to someone else: save again.")
    )


@transaction.atomic
def create_patron(data: PatronData, *, by: User | None, via: str = "web") -> Patron:
    """Add a patron with a library card: the number given, or the next automatic one."""
    data = validate_patron(data)
    auto = not data.card_number.strip()
    card = next_card_number() if auto else check_card_number(data.card_number)
    patron = Patron(card_number=card, card_issued_on=timezone.localdate())
    _apply(patron, data)
    try:
        with transaction.atomic():
            patron.save()
    except IntegrityError:
        raise _number_taken() from None
    AuditLog.record("patron.created", by=by, target=patron, via=via, automatic_card=auto)
    return patron


@transaction.atomic
def update_patron(patron: Patron, data: PatronData, *, by: User | None, via: str = "web") -> Patron:
    """Save an edit. The audit row names the fields that changed, never their values."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    data = validate_patron(data, patron=patron)
    before = {name: getattr(patron, name) for name in EDITABLE_FIELDS}
    _apply(patron, data)
    changed = [name for name in EDITABLE_FIELDS if getattr(patron, name) != before[name]]
    if not changed:
        return patron
    try:
        with transaction.atomic():
            patron.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise _number_taken() from None
    AuditLog.record("patron.updated", by=by, target=patron, via=via, fields=changed)
    return patron


# Which statuses a librarian may set by hand, and from where. 挂失 and 补办 have their own
# services; graduation belongs to the year rollover (and its undo).
STATUS_FROM: dict[str, set[str]] = {
    Patron.Status.SUSPENDED: {Patron.Status.ACTIVE, Patron.Status.CARD_LOST},
    Patron.Status.ACTIVE: {Patron.Status.SUSPENDED, Patron.Status.LEFT, Patron.Status.CARD_LOST},
    Patron.Status.LEFT: {
        Patron.Status.ACTIVE,
        Patron.Status.SUSPENDED,
        Patron.Status.CARD_LOST,
        Patron.Status.GRADUATED,
    },
}


@transaction.atomic
def set_status(patron: Patron, status: str, *, by: User | None, via: str = "web") -> Patron:
    """Suspend, reactivate or mark as having left the school."""
    patron = Patron.objects.select_for_update().get(pk=patron.pk)
    old = patron.status
    if status not in STATUS_FROM:
        raise PatronError(_("This status is not set by hand."))
    if old == status:
        raise PatronError(
            _("The patron is already: %(status)s.") % {"status": patron.get_status_display()}
        )
    if old not in STATUS_FROM[status]:
        if old == Patron.Status.GRADUATED:
            raise PatronError(
                _(
                    "A graduated patron cannot be made active again: undo the rollover, or mark "
                    "them as having left."
                )
            )
        raise PatronError(
            _("This change is not possible while the patron is: %(status)s.")
            % {"status": patron.get_status_display()}
        )
    patron.status = status
    patron.save(update_fields=["status", "updated_at"])
    AuditLog.record("patron.status_changed", by=by, target=patron, via=via, old=old, new=status)
    return patron
