"""Patron workflows: library cards, loss and reissue. Each takes the acting user and writes an
audit row; the roster import and the rollover have their own modules."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.catalog.services import next_number
from shuxiang.lib import barcodes
from shuxiang.patrons.errors import (
    CardRetired,
    DuplicateCardNumber,
    InvalidCardNumber,
    PatronError,
    PatronNotFound,
)
from shuxiang.patrons.models import Patron, RetiredCard

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
