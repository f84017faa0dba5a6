"""What each SIP2 message does: one kiosk connection's Session turns a request frame into the
reply frame, through the same circulation services as the desk (via="sip2", the kiosk's login
as the station).

The server (server.py) frames the bytes and calls Session.respond in a worker thread; respond
never raises. Refusals carry the desk's Chinese reason in AF with ok=0; frames that cannot be
read get 96 (send it again), and a connection that is not a kiosk we know is closed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shuxiang.accounts import lockout
from shuxiang.accounts.models import User
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, rules, services
from shuxiang.circulation.errors import AlreadyOnLoan, CirculationError
from shuxiang.circulation.models import CirculationEvent, Fine, Hold, Loan, LoanRule
from shuxiang.lib import barcodes
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron
from shuxiang.sip2 import protocol
from shuxiang.sip2.models import Kiosk
from shuxiang.sip2.protocol import Field, Message, ProtocolError, flag

logger = logging.getLogger("shuxiang.sip2")

LANGUAGE = "019"  # Chinese, in the specification's list of languages
VERSION = "2.00"
TIMEOUT = "030"  # tenths of a second the kiosk waits for a reply: 3 s
RETRIES = "003"
MAX_FAILED_LOGINS = 3
MAX_GARBLED = 3  # garbled frames in a row before the connection is closed
# The 16 positions of BX, in the specification's order, and whether Shuxiang answers each.
SUPPORTED_MESSAGES = (
    ("patron status", True),
    ("checkout", True),
    ("checkin", True),
    ("block patron", True),
    ("SC/ACS status", True),
    ("request SC/ACS resend", True),
    ("login", True),
    ("patron information", True),
    ("end patron session", True),
    ("fee paid", True),
    ("item information", True),
    ("item status update", False),
    ("patron enable", False),
    ("hold", True),
    ("renew", True),
    ("renew all", True),
)
BX = "".join(flag(ok) for _, ok in SUPPORTED_MESSAGES)
CIRCULATION_STATUS: dict[str, str] = {
    Item.Status.ON_SHELF: "03",  # available
    Item.Status.ON_LOAN: "04",  # charged
    Item.Status.PROCESSING: "06",  # in process
    Item.Status.LOST: "12",
    Item.Status.MISSING: "13",
}  # damaged, in repair and withdrawn: 01 (other)
MEDIA_TYPE: dict[str, str] = {
    Item.ItemType.PERIODICAL: "002",  # magazine
    Item.ItemType.AUDIO_VISUAL: "006",  # CD/CDROM
}  # every other type: 001 (book)
SUMMARY_LISTS = ("AS", "AT", "AU", "AV", "BU", "CD")


class Refused(Exception):
    """A request answered with its negative reply: ok=0 and the reason in AF."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Session:
    """One kiosk connection's state."""

    def __init__(self, *, encoding: str, peer: str = "") -> None:
        self.server_encoding = encoding
        self.encoding = encoding
        self.peer = peer
        self.user: User | None = None
        self.error_detection = True
        self.location = ""
        self.last_reply: bytes | None = None
        self.failed_logins = 0
        self.garbled = 0

    def respond(self, frame: bytes) -> tuple[bytes | None, bool]:
        """One message in (bytes without its CR/LF terminator), the reply out: (reply bytes
        ending with b"\\r", or None for no reply; True when the connection must close)."""
        try:
            with translation.override(settings.LANGUAGE_CODE):
                return self._respond(frame)
        except Exception:
            logger.exception("sip2 %s: failed on a %r message", self.peer, frame[:2])
            return None, True

    # ------------------------------------------------------------------------- dispatch

    def _respond(self, frame: bytes) -> tuple[bytes | None, bool]:
        if not frame.strip():
            return None, False  # a blank line (a stray LF, a kiosk's keep-alive): nothing to do
        try:
            msg = self._parse(frame)
        except ProtocolError as exc:
            return self._garbled(exc)
        if msg.checksum_ok is False and self._detects_errors(msg):
            return self._garbled(ProtocolError("checksum does not match", code=msg.code))
        self.garbled = 0
        if self.user is None:
            if msg.code != "93":
                logger.warning("sip2 %s: %s before login, closing", self.peer, msg.code)
                return None, True
            return self._login(msg)
        if msg.code == "97":
            return self.last_reply or protocol.resend_request(), False
        if msg.code == "93":
            return self._remember(self._reply(msg, "94", ["0"], [])), False
        return self._remember(self._transaction(msg)), False

    def _parse(self, frame: bytes) -> Message:
        try:
            return protocol.parse(frame, self.encoding)
        except ProtocolError:
            if self.user is not None or not frame.startswith(b"93"):
                raise
        # A login comes before Shuxiang knows the kiosk's encoding: a GBK kiosk may put its
        # Chinese location (CP) in GBK on a UTF-8 server. The checksum is over the bytes, so
        # reading them in the other encoding changes nothing else.
        for encoding in protocol.SUPPORTED_ENCODINGS:
            try:
                return protocol.parse(frame, encoding)
            except ProtocolError:
                continue
        raise ProtocolError("login in no known encoding", code="93")

    def _detects_errors(self, msg: Message) -> bool:
        if self.user is None and msg.code == "93":
            # Before the login the account's setting is not known yet: look it up by name.
            kiosk = Kiosk.objects.filter(user__username=msg.get("CN")).only("error_detection")
            found = kiosk.first()
            return found.error_detection if found else True
        return self.error_detection

    def _garbled(self, exc: ProtocolError) -> tuple[bytes | None, bool]:
        logger.warning("sip2 %s: unreadable message: %s", self.peer, exc.reason)
        self.garbled += 1
        # Before a login only a garbled login is asked for again: anything else is no kiosk.
        expected = exc.code == "93" if self.user is None else exc.code in protocol.FIXED_LENGTHS
        if not expected or self.garbled >= MAX_GARBLED:
            return None, True
        return protocol.resend_request(error_detection=self.error_detection), False

    def _remember(self, reply: bytes) -> bytes:
        self.last_reply = reply
        return reply

    def _transaction(self, msg: Message) -> bytes:
        handler, refusal = HANDLERS[msg.code]
        try:
            self._check_institution(msg)
            return handler(self, msg)
        except Refused as exc:
            return refusal(self, msg, exc.message)
        except (CirculationError, PatronError) as exc:
            return refusal(self, msg, exc.message)

    def _check_institution(self, msg: Message) -> None:
        expected = settings.SHUXIANG_SIP2_INSTITUTION
        if expected and msg.code != "99" and msg.get("AO") != expected:
            raise Refused(
                _("This kiosk is set up for another library (institution id %(sent)s).")
                % {"sent": msg.get("AO") or "-"}
            )

    def _reply(self, msg: Message, code: str, fixed: list[str], fields: list[Field]) -> bytes:
        return protocol.build(
            code,
            fixed,
            fields,
            encoding=self.encoding,
            sequence=msg.sequence,
            error_detection=self.error_detection,
        )

    @property
    def channel(self) -> services.Channel:
        station = self.user.username[:60] if self.user else ""
        return services.Channel(by=self.user, via="sip2", station=station)

    @property
    def institution(self) -> str:
        return str(settings.SHUXIANG_SIP2_INSTITUTION)

    # ------------------------------------------------------------------------- 93 login

    def _login(self, msg: Message) -> tuple[bytes | None, bool]:
        name, password = msg.get("CN"), msg.get("CO")
        # The web's lockout, shared: guesses over SIP2 count against the name and address.
        if lockout.locked_until(name, self.ip) is not None:
            logger.warning("sip2 %s: login for %r refused: locked", self.peer, name[:40])
            return self._reply(msg, "94", ["0"], []), True
        user = User.objects.filter(username=name, role=User.Role.KIOSK).first()
        if user is None:
            make_password(password)  # as long as a real check: no telling which names exist
        elif user.is_active and user.check_password(password):
            lockout.clear(name)
            self._log_in(user)
            return self._remember(self._reply(msg, "94", ["1"], [])), False
        self.failed_logins += 1
        locked = lockout.record_failure(name, self.ip) is not None
        logger.warning("sip2 %s: login refused for %r", self.peer, name[:40])
        close = locked or self.failed_logins >= MAX_FAILED_LOGINS
        return self._reply(msg, "94", ["0"], []), close

    @property
    def ip(self) -> str | None:
        """The kiosk's address from the server's "host:port" (IPv6 hosts have colons too)."""
        host = self.peer.rsplit(":", 1)[0] if ":" in self.peer else self.peer
        return host or None

    def _log_in(self, user: User) -> None:
        self.user = user
        kiosk = Kiosk.objects.filter(user=user).first()
        if kiosk is not None:
            self.encoding = kiosk.encoding or self.server_encoding
            self.error_detection = kiosk.error_detection
            self.location = kiosk.location
        logger.info("sip2 %s: %s logged in (%s)", self.peer, user.username, self.encoding)


# ----------------------------------------------------------------------------- helpers


def _now() -> datetime:
    return timezone.localtime()


def _date() -> str:
    return protocol.sip_date(_now())


def _due(day: date) -> str:
    """A due date as kiosks read it: the SIP2 date form, at the end of that day."""
    return day.strftime("%Y%m%d    235959")


def _due_line(title: str, day: date) -> str:
    return _("%(title)s — due back on %(due)s") % {"title": title, "due": day.isoformat()}


def _card(msg: Message) -> str:
    card = barcodes.normalize(msg.get("AA"))
    if not card:
        raise Refused(_("Scan a library card first."))
    return card


def _patron(msg: Message) -> Patron:
    return services.find_patron(_card(msg))


def _barcode(msg: Message) -> str:
    code = barcodes.normalize(msg.get("AB"))
    if not code:
        raise Refused(_("Scan the book's barcode."))
    return code


def _title_of(code: str) -> str:
    item = Item.objects.filter(barcode=code).select_related("record").only("record__title")
    found = item.first()
    return found.record.title if found else ""


def _media(item: Item) -> str:
    return MEDIA_TYPE.get(str(item.item_type), "001")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


# ----------------------------------------------------------------------------- 99 SC status


def sc_status(session: Session, msg: Message) -> bytes:
    fixed = ["Y", "Y", "Y", "Y", "N", "N", TIMEOUT, RETRIES, _date(), VERSION]
    fields: list[Field] = [
        ("AO", session.institution),
        ("AM", settings.SHUXIANG_SCHOOL_NAME or _("School library")),
        ("BX", BX),
        ("AN", session.location or None),
    ]
    return session._reply(msg, "98", fixed, fields)


# ----------------------------------------------------------------------------- patrons


def _status_flags(patron: Patron, blocks: list[tuple[str, str]]) -> str:
    """The 14 patron status positions: Y where a privilege is denied."""
    flags = [" "] * 14
    if blocks:
        flags[0] = flags[1] = flags[3] = "Y"  # charge, renewal and hold privileges denied
    codes = {code for code, _ in blocks}
    if Patron.Status.CARD_LOST in codes:
        flags[4] = "Y"
    if "overdue" in codes:
        flags[6] = "Y"
    if _at_limit(patron):
        flags[5] = "Y"  # too many items charged
    return "".join(flags)


def _owed(patron: Patron) -> Decimal:
    fines = Fine.objects.outstanding().filter(patron=patron)
    return sum((fine.balance for fine in fines), Decimal("0"))


def _patron_common(patron: Patron) -> tuple[str, list[Field]]:
    """The status flags and the fields 24 and 64 share."""
    blocks = services.patron_blocks(patron, today=_now().date())
    owed = _owed(patron)
    fields: list[Field] = [
        ("AE", patron.name),
        ("BL", "Y"),
        # Patrons have no SIP password: the card is the credential, as at the desk.
        ("CQ", "Y"),
        ("BH", "CNY"),
        ("BV", _money(owed) if owed else None),
    ]
    screen = "；".join(reason for _, reason in blocks)
    if owed:
        owing = _("Compensation owed: %(amount)s yuan.") % {"amount": _money(owed)}
        screen = "；".join(filter(None, [screen, owing]))
    fields.append(("AF", screen or None))
    return _status_flags(patron, blocks), fields


def patron_status(session: Session, msg: Message) -> bytes:
    patron = _patron(msg)
    flags, fields = _patron_common(patron)
    fixed = [flags, LANGUAGE, _date()]
    head: list[Field] = [("AO", session.institution), ("AA", patron.card_number)]
    return session._reply(msg, "24", fixed, head + fields)


def patron_refused(session: Session, msg: Message, reason: str) -> bytes:
    fixed = ["Y" * 14, LANGUAGE, _date()]
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", msg.get("AA")),
        ("AE", ""),
        ("BL", "N"),
        ("CQ", "N"),
        ("AF", reason),
    ]
    return session._reply(msg, "24", fixed, fields)


def _lists(patron: Patron) -> dict[str, list[str]]:
    """Every item list of 64, whichever the summary asks for."""
    today = _now().date()
    loans = list(
        Loan.objects.open()
        .filter(patron=patron)
        .select_related("item")
        .order_by("due_on", "pk")
        .only("due_on", "item__barcode")
    )
    holds = list(
        Hold.objects.active()
        .filter(patron=patron)
        .select_related("item", "record")
        .order_by("placed_at", "pk")
        .only("status", "item__barcode", "record__title")
    )
    fines = Fine.objects.outstanding().filter(patron=patron).select_related("item")
    return {
        "AS": [h.item.barcode for h in holds if h.status == Hold.Status.READY and h.item],
        "AT": [loan.item.barcode for loan in loans if loan.due_on < today],
        "AU": [loan.item.barcode for loan in loans],
        "AV": [_fine_line(fine) for fine in fines.order_by("created_at", "pk")],
        "BU": [],  # Shuxiang does not recall books
        "CD": [h.record.title for h in holds if h.status == Hold.Status.WAITING],
    }


def _fine_line(fine: Fine) -> str:
    # The id first: the kiosk sends it back as CG to pay this compensation.
    parts = [str(fine.pk), _money(fine.balance), str(fine.get_reason_display())]
    return " ".join(parts + ([fine.item.barcode] if fine.item else []))


def _range(msg: Message) -> slice:
    """BP/BQ: the first and last item wanted, counted from 1."""
    try:
        start = max(int(msg.get("BP") or 1), 1)
        end = int(msg.get("BQ") or 0)
    except ValueError as exc:
        raise Refused(_("The item range (BP/BQ) is not a number.")) from exc
    return slice(start - 1, end if end >= start else None)


def _book_rule(patron: Patron) -> LoanRule | None:
    """The rule for an ordinary book on the open shelves: what "the loan limit" means to a
    kiosk (a dictionary or a reading-room book may have rules of their own)."""
    return rules.rule_for(config.snapshot().rules, patron.category, Item.ItemType.GENERAL, -1)


def _loan_limit(patron: Patron) -> str | None:
    rule = _book_rule(patron)
    return f"{rule.max_loans:04d}" if rule else None


def _at_limit(patron: Patron) -> bool:
    """The patron has as many ordinary books as that rule allows (counted as the desk does)."""
    rule = _book_rule(patron)
    if rule is None:
        return False
    loans = Loan.objects.open().filter(patron=patron, kind=Loan.Kind.REGULAR)
    if rule.item_type:
        loans = loans.filter(item__item_type=rule.item_type)
    if rule.location_id is not None:
        loans = loans.filter(item__location_id=rule.location_id)
    return loans.count() >= rule.max_loans


def patron_information(session: Session, msg: Message) -> bytes:
    patron = _patron(msg)
    flags, fields = _patron_common(patron)
    lists = _lists(patron)
    summary = msg.fixed[21:31].upper()
    wanted = SUMMARY_LISTS[summary.index("Y")] if "Y" in summary[:6] else None
    counts = [f"{len(lists[fid]):04d}" for fid in SUMMARY_LISTS]
    head: list[Field] = [
        ("AO", session.institution),
        ("AA", patron.card_number),
        ("AE", patron.name),
        ("CB", _loan_limit(patron)),
    ]
    chosen: list[Field] = []
    if wanted:
        chosen = [(wanted, value) for value in lists[wanted][_range(msg)]]
    body = head + fields[1:-1] + chosen + fields[-1:]
    return session._reply(msg, "64", [flags, LANGUAGE, _date(), *counts], body)


def patron_information_refused(session: Session, msg: Message, reason: str) -> bytes:
    fixed = ["Y" * 14, LANGUAGE, _date(), *(["0000"] * 6)]
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", msg.get("AA")),
        ("AE", ""),
        ("BL", "N"),
        ("CQ", "N"),
        ("AF", reason),
    ]
    return session._reply(msg, "64", fixed, fields)


def end_session(session: Session, msg: Message) -> bytes:
    fields: list[Field] = [("AO", session.institution), ("AA", msg.get("AA"))]
    return session._reply(msg, "36", ["Y", _date()], fields)


def end_session_refused(session: Session, msg: Message, reason: str) -> bytes:
    fields: list[Field] = [("AO", session.institution), ("AA", msg.get("AA")), ("AF", reason)]
    return session._reply(msg, "36", ["N", _date()], fields)


def block_patron(session: Session, msg: Message) -> bytes:
    """01: the kiosk kept or blocked the card: reported lost (挂失), as at the desk."""
    patron = _patron(msg)
    if patron.status == Patron.Status.ACTIVE:
        patron = patron_services.report_card_lost(patron, by=session.user, via="sip2")
    logger.info("sip2 %s: card of patron %s blocked: %s", session.peer, patron.pk, msg.get("AL"))
    return patron_status(session, msg)


# ----------------------------------------------------------------------------- items


def _circulation_status(item: Item) -> str:
    if Hold.objects.filter(item=item, status=Hold.Status.READY).exists():
        return "08"  # waiting on the hold shelf
    return CIRCULATION_STATUS.get(str(item.status), "01")


def item_information(session: Session, msg: Message) -> bytes:
    item = services.find_item(_barcode(msg))
    loan = Loan.objects.open().filter(item=item).only("due_on").first()
    queue = Hold.objects.active().filter(record_id=item.record_id).count()
    fields: list[Field] = [
        ("CF", f"{queue}" if queue else None),
        ("AH", _due(loan.due_on) if loan else None),
        ("AB", item.barcode),
        ("AJ", item.record.title),
        ("CK", _media(item)),
        ("AQ", item.location.name),
        ("AP", item.location.name),
        ("AF", str(item.get_status_display())),
    ]
    fixed = [_circulation_status(item), "00", "01", _date()]
    return session._reply(msg, "18", fixed, fields)


def item_information_refused(session: Session, msg: Message, reason: str) -> bytes:
    fields: list[Field] = [("AB", msg.get("AB")), ("AJ", ""), ("AF", reason)]
    return session._reply(msg, "18", ["01", "00", "01", _date()], fields)


# ----------------------------------------------------------------------------- checkout


def checkout(session: Session, msg: Message) -> bytes:
    card, code = _card(msg), _barcode(msg)
    if msg.get("BI").upper() == "Y":
        return _cancel_checkout(session, msg, card, code)
    try:
        done = services.check_out(card, code, session.channel)
    except AlreadyOnLoan:
        # The patron scans a book they already have: a renewal, when the kiosk allows it.
        if msg.fixed[0] != "Y" or not _on_loan_to(card, code):
            raise
        return _renewed(session, msg, "12", services.renew(code, session.channel))
    loan = done.loan
    title = loan.item.record.title
    screen = list(done.warnings)
    if loan.kind == Loan.Kind.IN_ROOM:
        screen.append(_("For use in the reading room: return it before you leave today."))
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", card),
        ("AB", loan.item.barcode),
        ("AJ", title),
        ("AH", _due(loan.due_on)),
        ("CK", _media(loan.item)),
        ("AF", "；".join(screen) or None),
        ("AG", _due_line(title, loan.due_on)),
    ]
    return session._reply(msg, "12", ["1", "N", "N", "Y", _date()], fields)


def _on_loan_to(card: str, code: str) -> bool:
    return Loan.objects.open().filter(item__barcode=code, patron__card_number=card).exists()


def _cancel_checkout(session: Session, msg: Message, card: str, code: str) -> bytes:
    """BI=Y: the kiosk could not unlock the book just lent: the loan is taken back."""
    event = (
        CirculationEvent.objects.filter(
            action=CirculationEvent.Action.CHECKOUT,
            item__barcode=code,
            patron__card_number=card,
            loan__returned_at__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    if event is None:
        raise Refused(_("This book is not on loan to this card."))
    services.undo(event, session.channel)
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", card),
        ("AB", code),
        ("AJ", _title_of(code)),
        ("AH", ""),
        ("AF", _("The loan was cancelled.")),
    ]
    return session._reply(msg, "12", ["1", "N", "N", "N", _date()], fields)


def checkout_refused(session: Session, msg: Message, reason: str) -> bytes:
    return _loan_refused(session, msg, "12", reason)


def _loan_refused(session: Session, msg: Message, code: str, reason: str) -> bytes:
    barcode = barcodes.normalize(msg.get("AB"))
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", msg.get("AA")),
        ("AB", msg.get("AB")),
        ("AJ", _title_of(barcode) if barcode else ""),
        ("AH", ""),
        ("AF", reason),
    ]
    return session._reply(msg, code, ["0", "N", "U", "N", _date()], fields)


# ----------------------------------------------------------------------------- checkin


def checkin(session: Session, msg: Message) -> bytes:
    done = services.check_in(_barcode(msg), session.channel)
    item, loan = done.loan.item, done.loan
    screen = []
    if done.overdue_days > 0:
        screen.append(_("Returned %(n)d days late.") % {"n": done.overdue_days})
    if done.hold is not None:
        screen.append(_("A reader is waiting for this book: put it on the hold shelf."))
    fields: list[Field] = [
        ("AO", session.institution),
        ("AB", item.barcode),
        ("AQ", item.location.name),
        ("AJ", item.record.title),
        ("AA", loan.patron.card_number if loan.patron else None),
        ("CK", _media(item)),
        ("CV", "01" if done.hold else None),  # hold for this library
        ("AF", "；".join(screen) or None),
    ]
    return session._reply(msg, "10", ["1", "Y", "N", flag(done.hold is not None), _date()], fields)


def checkin_refused(session: Session, msg: Message, reason: str) -> bytes:
    code = barcodes.normalize(msg.get("AB"))
    item = Item.objects.filter(barcode=code).select_related("location", "record").first()
    # A book of ours that was not on loan stays in the library: its alarm goes back on.
    fields: list[Field] = [
        ("AO", session.institution),
        ("AB", msg.get("AB")),
        ("AQ", item.location.name if item else ""),
        ("AJ", item.record.title if item else None),
        ("AF", reason),
    ]
    return session._reply(msg, "10", ["0", flag(item is not None), "N", "N", _date()], fields)


# ----------------------------------------------------------------------------- renew


def renew(session: Session, msg: Message) -> bytes:
    card, code = _card(msg), _barcode(msg)
    services.find_patron(card)  # an unknown or replaced card says so
    if Loan.objects.open().filter(item__barcode=code).exists() and not _on_loan_to(card, code):
        raise Refused(_("This book is not on loan to this card."))
    return _renewed(session, msg, "30", services.renew(code, session.channel))


def _renewed(session: Session, msg: Message, code: str, loan: Loan) -> bytes:
    title = loan.item.record.title
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", _card(msg)),
        ("AB", loan.item.barcode),
        ("AJ", title),
        ("AH", _due(loan.due_on)),
        ("CK", _media(loan.item)),
        ("AG", _due_line(title, loan.due_on)),
    ]
    return session._reply(msg, code, ["1", "Y", "N", "Y", _date()], fields)


def renew_refused(session: Session, msg: Message, reason: str) -> bytes:
    return _loan_refused(session, msg, "30", reason)


def renew_all(session: Session, msg: Message) -> bytes:
    patron = _patron(msg)
    loans = Loan.objects.open().filter(patron=patron, kind=Loan.Kind.REGULAR)
    renewed: list[str] = []
    unrenewed: list[str] = []
    reasons: list[str] = []
    for code in loans.order_by("due_on", "pk").values_list("item__barcode", flat=True):
        try:
            services.renew(code, session.channel)
            renewed.append(code)
        except CirculationError as exc:
            unrenewed.append(code)
            reasons.append(f"{code}: {exc.message}")
    fields: list[Field] = [("AO", session.institution)]
    fields += [("BM", code) for code in renewed] + [("BN", code) for code in unrenewed]
    fields.append(("AF", "；".join(reasons) or None))
    fixed = ["1", f"{len(renewed):04d}", f"{len(unrenewed):04d}", _date()]
    return session._reply(msg, "66", fixed, fields)


def renew_all_refused(session: Session, msg: Message, reason: str) -> bytes:
    fields: list[Field] = [("AO", session.institution), ("AF", reason)]
    return session._reply(msg, "66", ["0", "0000", "0000", _date()], fields)


# ----------------------------------------------------------------------------- holds


def hold(session: Session, msg: Message) -> bytes:
    """15: + places a hold on the title of the scanned copy, - cancels it."""
    card, mode = _card(msg), msg.fixed[0]
    item = services.find_item(_barcode(msg))
    if mode == "+":
        placed = services.place_hold(card, item.record, session.channel)
    elif mode == "-":
        found = (
            Hold.objects.active().filter(patron__card_number=card, record=item.record_id).first()
        )
        if found is None:
            raise Refused(_("This card has no hold on this title."))
        placed = services.cancel_hold(found, session.channel)
    else:
        raise Refused(_("Holds can be placed or cancelled here, not changed."))
    ahead = Hold.objects.active().filter(record_id=item.record_id, placed_at__lte=placed.placed_at)
    fields: list[Field] = [
        ("BR", f"{ahead.count()}" if mode == "+" else None),
        ("AO", session.institution),
        ("AA", card),
        ("AB", item.barcode),
        ("AJ", item.record.title),
    ]
    return session._reply(msg, "16", ["1", "N", _date()], fields)


def hold_refused(session: Session, msg: Message, reason: str) -> bytes:
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", msg.get("AA")),
        ("AB", msg.get("AB") or None),
        ("AF", reason),
    ]
    return session._reply(msg, "16", ["0", "N", _date()], fields)


# ----------------------------------------------------------------------------- fee paid


def fee_paid(session: Session, msg: Message) -> bytes:
    """37: money the kiosk took for compensation, paid as at the desk (oldest first)."""
    patron = _patron(msg)
    currency = msg.fixed[22:25].strip().upper()
    if currency and currency != "CNY":
        raise Refused(_("Only payments in yuan (CNY) are accepted."))
    amount = _amount(msg.get("BV"))
    fines = list(_fines_to_pay(patron, msg.get("CG")))
    owed = sum((fine.balance for fine in fines), Decimal("0"))
    if amount > owed:
        raise Refused(
            _("The payment is more than the compensation owed (%(owed)s yuan).")
            % {"owed": _money(owed)}
        )
    note = _("Paid at kiosk %(kiosk)s %(txn)s") % {
        "kiosk": session.channel.station,
        "txn": msg.get("BK"),
    }
    with transaction.atomic():
        left = amount
        for fine in fines:
            pay = min(left, fine.balance)
            if pay > 0:
                services.pay_compensation(fine, session.channel, amount=pay, note=note.strip())
            left -= pay
    still = _owed(patron)
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", patron.card_number),
        ("BK", msg.get("BK") or None),
        (
            "AF",
            _("Received %(paid)s yuan; still owed: %(owed)s yuan.")
            % {"paid": _money(amount), "owed": _money(still)},
        ),
    ]
    return session._reply(msg, "38", ["Y", _date()], fields)


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise Refused(_("The amount paid (BV) is not a number.")) from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise Refused(_("The amount paid (BV) must be more than zero, in yuan and fen."))
    return amount


def _fines_to_pay(patron: Patron, fee_id: str) -> list[Fine]:
    fines = Fine.objects.outstanding().filter(patron=patron).order_by("created_at", "pk")
    if fee_id:
        fines = fines.filter(pk=int(fee_id)) if fee_id.isdigit() else fines.none()
    found = list(fines)
    if not found:
        raise Refused(_("This card owes no such compensation."))
    return found


def fee_paid_refused(session: Session, msg: Message, reason: str) -> bytes:
    fields: list[Field] = [
        ("AO", session.institution),
        ("AA", msg.get("AA")),
        ("BK", msg.get("BK") or None),
        ("AF", reason),
    ]
    return session._reply(msg, "38", ["N", _date()], fields)


Handler = Callable[[Session, Message], bytes]
Refusal = Callable[[Session, Message, str], bytes]
HANDLERS: dict[str, tuple[Handler, Refusal]] = {
    "99": (sc_status, lambda session, msg, reason: sc_status(session, msg)),
    "23": (patron_status, patron_refused),
    "63": (patron_information, patron_information_refused),
    "17": (item_information, item_information_refused),
    "11": (checkout, checkout_refused),
    "09": (checkin, checkin_refused),
    "29": (renew, renew_refused),
    "65": (renew_all, renew_all_refused),
    "15": (hold, hold_refused),
    "37": (fee_paid, fee_paid_refused),
    "35": (end_session, end_session_refused),
    "01": (block_patron, patron_refused),
}
