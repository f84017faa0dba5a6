"""The circulation desk (借还台): one box takes whatever the scanner types.

A scan is a library card (open that reader), or a book: lent to the open reader, or returned
when no reader is open. Each scan is one request that runs one circulation service and answers
with the feedback banner, the reader's panel and the desk's last scans (one htmx swap; without
JavaScript the same forms post and redirect back). A desk keeps its open reader and its history
in the session, so two desks never share a reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import quote, unquote

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, rules, services
from shuxiang.circulation.errors import (
    AlreadyOnLoan,
    CannotUndo,
    CirculationError,
    ItemNotFound,
    NotOnLoan,
)
from shuxiang.circulation.models import CirculationEvent, Fine, Hold, Loan, LoanRule
from shuxiang.circulation.permissions import can_manage_circulation, desk_required
from shuxiang.lib import barcodes
from shuxiang.patrons.errors import CardRetired, PatronNotFound
from shuxiang.patrons.models import Patron

View = Callable[..., HttpResponse]
SESSION_KEY = "desk"
HISTORY_SIZE = 10
STATION_COOKIE = "shuxiang_desk"
MAX_CODE = 64
Action = CirculationEvent.Action

OK, WARN, REFUSE, INFO = "ok", "warn", "refuse", "info"


# ----------------------------------------------------------------------------- feedback


@dataclass
class Feedback:
    """What one scan did, as the banner shows it and the history keeps it."""

    tone: str  # ok (green), warn (amber), refuse (red), info (no colour, no sound)
    text: str  # the headline, in large type
    lines: list[str] = field(default_factory=list)
    hold: dict[str, str] | None = None  # the reader a returned copy is now kept for
    undo: dict[str, Any] | None = None  # {"action", "loan", "title"}: what 撤销 takes back
    at: str = ""
    undone: bool = False

    def __post_init__(self) -> None:
        self.at = self.at or timezone.localtime().strftime("%H:%M:%S")


class DeskState:
    """The desk's session: the open reader, the last scans, and the banner to show once
    after a plain (no-JavaScript) form post."""

    def __init__(self, request: HttpRequest) -> None:
        self.session = request.session
        self.data: dict[str, Any] = dict(self.session.get(SESSION_KEY) or {})
        self._patron: Patron | None = None
        self._patron_loaded = False

    @property
    def patron_id(self) -> int | None:
        value = self.data.get("patron")
        return value if isinstance(value, int) else None

    def patron(self) -> Patron | None:
        if not self._patron_loaded:
            pk = self.patron_id
            # order_by(): first() would sort by the patron list's class ordering, for one row.
            found = (
                Patron.objects.select_related("school_class").filter(pk=pk).order_by().first()
                if pk is not None
                else None
            )
            self._patron, self._patron_loaded = found, True
        return self._patron

    def open(self, patron: Patron) -> None:
        self.data["patron"] = patron.pk
        self._patron, self._patron_loaded = patron, True

    def close(self) -> None:
        self.data["patron"] = None
        self._patron, self._patron_loaded = None, True

    @property
    def history(self) -> list[dict[str, Any]]:
        history = self.data.get("history")
        return history if isinstance(history, list) else []

    def remember(self, feedback: Feedback) -> None:
        self.data["history"] = [asdict(feedback), *self.history][:HISTORY_SIZE]
        self.data["flash"] = asdict(feedback)

    def last_undoable(self) -> dict[str, Any] | None:
        return next(
            (
                h
                for h in self.history
                if h.get("undo") and not h.get("undone") and not h.get("undo_refused")
            ),
            None,
        )

    def pop_flash(self) -> dict[str, Any] | None:
        flash = self.data.pop("flash", None)
        return flash if isinstance(flash, dict) else None

    def save(self) -> None:
        self.session[SESSION_KEY] = self.data


# ----------------------------------------------------------------------------- the reader's panel


@dataclass
class LoanRow:
    loan: Loan
    overdue_days: int
    rule_text: str


@dataclass
class Panel:
    """Everything the desk shows about the open reader, read in a handful of queries."""

    patron: Patron
    initials: str
    blocks: list[str]
    loans: list[LoanRow]
    holds: list[Hold]
    rule: LoanRule | None
    rule_text: str
    may_borrow: int | None  # None: no rule lends this reader ordinary books
    in_room: int
    money_due: Decimal

    @property
    def avatar(self) -> int:
        """One of six avatar colours, the same for a reader every time."""
        return self.patron.pk % 6

    @property
    def ready_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.status == Hold.Status.READY]

    @property
    def waiting_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.status == Hold.Status.WAITING]


LOAN_COLUMNS = (
    "kind",
    "due_on",
    "rule_id",
    "item__barcode",
    "item__item_type",
    "item__location_id",
    "item__record__title",
)
_CJK = re.compile(r"[\u3400-\u9fff]")


def initials(name: str) -> str:
    """The avatar's text: 艾达 for 王艾达 (Chinese schools call a child by the given name),
    AL for Ada Lovelace."""
    name = name.strip()
    if _CJK.search(name):
        hanzi = "".join(_CJK.findall(name))
        return hanzi[-2:] if len(hanzi) > 2 else hanzi
    return "".join(word[0] for word in name.split()[:2]).upper() or "?"


def _general_rule(patron: Patron) -> LoanRule | None:
    # The rule for ordinary books anywhere: what "may borrow N more" means at the desk.
    return rules.rule_for(config.snapshot().rules, patron.category, Item.ItemType.GENERAL, 0)


def build_panel(patron: Patron, today: date) -> Panel:
    # Only the columns the panel shows, and the loans' rules from the cached snapshot: this runs
    # on every scan, and building the SQL for every column of a record costs more than the query.
    loans = list(
        Loan.objects.open()
        .filter(patron=patron)
        .select_related("item__record")
        .only(*LOAN_COLUMNS)
        .order_by("due_on", "pk")
    )
    snapshot_rules = {r.pk: r for r in config.snapshot().rules}
    rows = [
        LoanRow(
            loan=loan,
            overdue_days=rules.overdue_days(loan.due_on, today),
            rule_text=rules.describe(snapshot_rules[loan.rule_id])
            if loan.rule_id in snapshot_rules
            else "",
        )
        for loan in loans
    ]
    rule = _general_rule(patron)
    regular = [loan for loan in loans if loan.kind == Loan.Kind.REGULAR]
    counted = [loan for loan in regular if _counts_against(loan, rule)] if rule else []
    due = (
        Fine.objects.outstanding().filter(patron=patron).aggregate(due=Sum(F("amount") - F("paid")))
    )
    holds = (
        Hold.objects.active()
        .filter(patron=patron)
        .select_related("record", "item")
        .only("status", "expires_on", "record__title", "item__barcode")
    )
    return Panel(
        patron=patron,
        initials=initials(patron.name),
        blocks=[reason for _code, reason in services.patron_blocks(patron, today=today)],
        loans=rows,
        holds=list(holds),
        rule=rule,
        rule_text=rules.describe(rule) if rule else "",
        may_borrow=max(0, rule.max_loans - len(counted)) if rule and rule.max_loans else None,
        in_room=sum(1 for loan in loans if loan.kind == Loan.Kind.IN_ROOM),
        money_due=due["due"] or Decimal("0"),
    )


def _counts_against(loan: Loan, rule: LoanRule) -> bool:
    # The same scope as the checkout's limit: the rule's item type and location, if it has them.
    if rule.item_type and loan.item.item_type != rule.item_type:
        return False
    return not (rule.location_id and loan.item.location_id != rule.location_id)


# ----------------------------------------------------------------------------- helpers


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def station_name(request: HttpRequest) -> str:
    """Which desk this is, written on every event: the desk's cookie, else the setting."""
    # Quoted: a cookie carries ASCII only, and desks have Chinese names.
    name = unquote(request.COOKIES.get(STATION_COOKIE, "")).strip()
    return name[:60] or str(getattr(settings, "SHUXIANG_DESK_NAME", "") or "desk")


def _channel(request: HttpRequest) -> services.Channel:
    return services.Channel(by=_user(request), via="desk", station=station_name(request))


def _title(item: Item) -> str:
    return f"《{item.record.title}》"


def _patron_label(patron: Patron | None) -> str:
    if patron is None:
        return _("a reader whose data was erased")
    cls = patron.school_class
    return f"{patron.name}（{cls.label}）" if cls else patron.name


def desk_view(view: View) -> View:
    """desk_required, and an htmx request whose session ran out asks the browser to go to the
    login page instead of swapping it into the banner."""

    guarded = desk_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "htmx", False) and not request.user.is_authenticated:
            login = reverse(settings.LOGIN_URL)
            return HttpResponseClientRedirect(f"{login}?next={reverse('desk:desk')}")
        return guarded(request, *args, **kwargs)

    return wrapper


def _answer(request: HttpRequest, state: DeskState, feedback: Feedback | None) -> HttpResponse:
    """htmx: the new banner, panel and history in one swap. A plain post: back to the page."""
    if feedback is not None:
        state.remember(feedback)
    if not getattr(request, "htmx", False):
        state.save()
        return redirect("desk:desk")
    state.data.pop("flash", None)
    state.save()
    return render(
        request,
        "circulation/_desk_result.html",
        _context(request, state, asdict(feedback) if feedback else None),
    )


def _context(
    request: HttpRequest, state: DeskState, feedback: dict[str, Any] | None
) -> dict[str, Any]:
    patron = state.patron()
    return {
        "feedback": feedback,
        "panel": build_panel(patron, timezone.localdate()) if patron else None,
        "history": state.history,
        "can_undo": state.last_undoable() is not None,
        "station": station_name(request),
        "can_set_station": can_manage_circulation(request.user),
    }


# ----------------------------------------------------------------------------- views


@require_GET
@desk_view
def desk(request: HttpRequest) -> HttpResponse:
    state = DeskState(request)
    flash = state.pop_flash()
    if flash is not None:
        state.save()
    return render(request, "circulation/desk.html", _context(request, state, flash))


@require_POST
@desk_view
def scan(request: HttpRequest) -> HttpResponse:
    state = DeskState(request)
    code = barcodes.normalize(request.POST.get("code", ""))
    if not code:
        # A stray Enter: nothing happened, nothing to say.
        return _answer(request, state, None)
    if len(code) > MAX_CODE:
        return _answer(request, state, Feedback(REFUSE, _("That is not a barcode.")))
    return _answer(request, state, _scan(request, state, code))


def _scan(request: HttpRequest, state: DeskState, code: str) -> Feedback:
    try:
        item = services.find_item(code)
    except ItemNotFound:
        return _open_card(request, state, code)
    patron = state.patron()
    if patron is None:
        return _check_in(request, item)
    return _check_out(request, patron, item)


def _open_card(request: HttpRequest, state: DeskState, code: str) -> Feedback:
    try:
        patron = services.find_patron(code)
    except CardRetired as exc:
        return Feedback(REFUSE, exc.message)
    except PatronNotFound:
        return Feedback(
            REFUSE,
            _("No book and no library card has the barcode %(code)s.") % {"code": code},
            [_("Check the barcode, or type it by hand.")],
        )
    AuditLog.record("patron.viewed", by=_user(request), target=patron, via="desk")
    switched = state.patron_id not in (None, patron.pk)
    state.open(patron)
    blocks = services.patron_blocks(patron, today=timezone.localdate())
    if blocks:
        text = _("%(patron)s may not borrow now.") % {"patron": _patron_label(patron)}
        return Feedback(REFUSE, text, [reason for _code, reason in blocks])
    text = (_("Next reader: %(patron)s") if switched else _("Reader: %(patron)s")) % {
        "patron": _patron_label(patron)
    }
    return Feedback(OK, text, [_("Scan the books to lend.")])


def _check_out(request: HttpRequest, patron: Patron, item: Item) -> Feedback:
    try:
        result = services.check_out(patron, item, _channel(request))
    except CirculationError as exc:
        lines = [f"{_title(item)} {item.barcode}"]
        if isinstance(exc, AlreadyOnLoan):
            lines.append(_("To return it, finish with this reader (Esc) and scan the book again."))
        return Feedback(REFUSE, exc.message, lines)
    loan = result.loan
    if loan.kind == Loan.Kind.IN_ROOM:
        due = _("Reading-room use: back today before closing.")
    else:
        due = _("Due back %(due)s.") % {"due": loan.due_on.isoformat()}
    lines = [due, _("Rule: %(rule)s") % {"rule": rules.describe(result.rule)}]
    if result.hold_filled is not None:
        lines.append(_("Their hold on this title is collected."))
    return Feedback(
        WARN if result.warnings else OK,
        _("Lent: %(title)s") % {"title": _title(item)},
        [*result.warnings, *lines],
        undo={"action": Action.CHECKOUT, "loan": loan.pk, "title": _title(item)},
    )


def _check_in(request: HttpRequest, item: Item) -> Feedback:
    try:
        result = services.check_in(item, _channel(request))
    except CirculationError as exc:
        lines = [f"{_title(item)} {item.barcode}"]
        if isinstance(exc, NotOnLoan):
            lines.append(_("To lend it, scan the reader's card first."))
        return Feedback(REFUSE, exc.message, lines)
    loan = result.loan
    if loan.kind == Loan.Kind.CLASS_CORNER:
        who = _("From the class book corner of %(class)s.") % {
            "class": loan.school_class.label if loan.school_class else "—"
        }
    else:
        who = _("Borrowed by %(patron)s.") % {"patron": _patron_label(loan.patron)}
    lines = [who]
    tone = OK
    if result.in_room:
        lines.append(_("Reading-room use returned."))
    if result.overdue_days:
        tone = WARN
        lines.insert(0, _("Overdue by %(days)d days.") % {"days": result.overdue_days})
    hold = None
    if result.hold is not None:
        tone = WARN
        hold = {"patron": _patron_label(result.hold.patron)}
    return Feedback(
        tone,
        _("Returned: %(title)s") % {"title": _title(item)},
        lines,
        hold=hold,
        undo={"action": Action.CHECKIN, "loan": loan.pk, "title": _title(item)},
    )


@require_POST
@desk_view
def close(request: HttpRequest) -> HttpResponse:
    """完成 (Esc): this reader is done; the next scan is a card or a return."""
    state = DeskState(request)
    if state.patron_id is None:
        return _answer(request, state, None)
    state.close()
    return _answer(request, state, Feedback(INFO, _("Done. Next reader, please.")))


@require_POST
@desk_view
def undo(request: HttpRequest) -> HttpResponse:
    """撤销 (Ctrl+Z): take back this desk's last loan or return."""
    state = DeskState(request)
    entry = state.last_undoable()
    if entry is None:
        return _answer(request, state, Feedback(INFO, _("Nothing to undo.")))
    action, loan_id, title = entry["undo"]["action"], entry["undo"]["loan"], entry["undo"]["title"]
    actions = (
        [Action.CHECKOUT, Action.CORNER_OUT]
        if action == Action.CHECKOUT
        else [Action.CHECKIN, Action.CORNER_IN]
    )
    event = (
        CirculationEvent.objects.filter(loan_id=loan_id, action__in=actions).order_by("-pk").first()
    )
    try:
        if event is None:
            raise CannotUndo(_("This can no longer be undone."))
        services.undo(event, _channel(request))
    except CirculationError as exc:
        entry["undo_refused"] = True  # refused once, refused for good: offer the one before
        return _answer(request, state, Feedback(REFUSE, exc.message, [title]))
    entry["undone"] = True
    text = (
        _("Undone: the loan of %(title)s.")
        if action == Action.CHECKOUT
        else _("Undone: the return of %(title)s.")
    ) % {"title": title}
    return _answer(request, state, Feedback(OK, text))


@require_POST
@desk_view
def renew(request: HttpRequest) -> HttpResponse:
    """续借 one of the open reader's books (R on its row)."""
    state = DeskState(request)
    patron = state.patron()
    loan_id = request.POST.get("loan", "")
    loan = (
        Loan.objects.open().filter(pk=loan_id, patron=patron).select_related("item__record").first()
        if patron is not None and loan_id.isdigit()
        else None
    )
    if loan is None:
        return _answer(
            request, state, Feedback(REFUSE, _("This book is no longer out to this reader."))
        )
    return _answer(request, state, _renew(request, loan))


def _renew(request: HttpRequest, loan: Loan) -> Feedback:
    title = _title(loan.item)
    try:
        renewed = services.renew(loan.item, _channel(request))
    except CirculationError as exc:
        return Feedback(REFUSE, exc.message, [title])
    return Feedback(
        OK,
        _("Renewed: %(title)s") % {"title": title},
        [_("Due back %(due)s.") % {"due": renewed.due_on.isoformat()}],
    )


@require_POST
@desk_view
def renew_all(request: HttpRequest) -> HttpResponse:
    """续借 every ordinary loan of the open reader at once (F2)."""
    state = DeskState(request)
    patron = state.patron()
    if patron is None:
        return _answer(request, state, Feedback(INFO, _("Scan a library card first.")))
    loans = (
        Loan.objects.open()
        .filter(patron=patron, kind=Loan.Kind.REGULAR)
        .select_related("item__record")
        .order_by("due_on", "pk")
    )
    results = [_renew(request, loan) for loan in loans]
    if not results:
        return _answer(request, state, Feedback(INFO, _("No books to renew.")))
    renewed = [r for r in results if r.tone == OK]
    refused = [f"{r.lines[0]}：{r.text}" for r in results if r.tone != OK]
    tone = OK if not refused else WARN if renewed else REFUSE
    text = _("Renewed %(n)d of %(total)d books.") % {"n": len(renewed), "total": len(results)}
    return _answer(request, state, Feedback(tone, text, refused))


@require_POST
@desk_view
def station(request: HttpRequest) -> HttpResponse:
    """Name this desk (e.g. 一楼借还台): the librarian sets it once per PC, in a cookie."""
    if not can_manage_circulation(request.user):
        raise PermissionDenied
    name = " ".join(request.POST.get("station", "").split())[:60]
    response = redirect("desk:desk")
    if name:
        response.set_cookie(
            STATION_COOKIE, quote(name), max_age=5 * 365 * 24 * 3600, samesite="Lax"
        )
    else:
        response.delete_cookie(STATION_COOKIE)
    return response
