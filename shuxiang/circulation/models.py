from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog.models import Item, Location, Record
from shuxiang.patrons.models import Patron, SchoolClass


class LoanRule(models.Model):
    """One cell of the loan-rule matrix: patron category × item type × location.

    A blank field is a wildcard. For a loan the most specific matching rule wins: a rule for
    the location beats any without, then an exact category beats "any student", which beats
    any patron, then an item type beats any (Koha's order: branch, category, item type).
    """

    ANY_STUDENT = "student"

    patron_category = models.CharField(_("patron category"), max_length=20, blank=True)
    item_type = models.CharField(
        _("item type"), max_length=20, blank=True, choices=Item.ItemType.choices
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), null=True, blank=True, on_delete=models.CASCADE
    )
    max_loans = models.PositiveSmallIntegerField(_("maximum loans"))
    loan_days = models.PositiveSmallIntegerField(_("loan days"))
    renewals = models.PositiveSmallIntegerField(_("renewals"), default=0)
    holds_allowed = models.BooleanField(_("holds allowed"), default=True)
    # 工具书: lent for use in the room only, due back the same day.
    room_only = models.BooleanField(_("in-room use only"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("loan rule")
        verbose_name_plural = _("loan rules")
        constraints = [
            models.UniqueConstraint(
                fields=["patron_category", "item_type", "location"],
                name="one_rule_per_cell",
            ),
            models.UniqueConstraint(
                fields=["patron_category", "item_type"],
                condition=Q(location__isnull=True),
                name="one_rule_per_cell_any_location",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.patron_category or '*'} × {self.item_type or '*'} × {self.location_id or '*'}"
        )

    def specificity(self, category: str) -> tuple[int, int, int]:
        level = 0 if not self.patron_category else 1 if self.patron_category != category else 2
        return (int(self.location_id is not None), level, int(bool(self.item_type)))

    def matches(self, category: str, item_type: str, location_id: int) -> bool:
        return (
            (
                self.patron_category in ("", category)
                or (self.patron_category == self.ANY_STUDENT and category.startswith("student"))
            )
            and self.item_type in ("", item_type)
            and self.location_id in (None, location_id)
        )


class CirculationPolicy(models.Model):
    """The library's circulation choices: one row (pk=1), edited on the settings page."""

    class SlotMode(models.TextChoices):
        OFF = "off", _("No check")
        WARN = "warn", _("Warn the desk")
        REFUSE = "refuse", _("Refuse the loan")

    slot_mode = models.CharField(
        _("borrowing outside the class's slot"),
        max_length=10,
        choices=SlotMode.choices,
        default=SlotMode.WARN,
    )
    # None: overdue books never block borrowing; n: blocked when a book is more than n days late.
    overdue_block_days = models.PositiveSmallIntegerField(
        _("block borrowing when overdue by more than (days)"), null=True, blank=True
    )
    hold_expiry_days = models.PositiveSmallIntegerField(
        _("days a held book waits for its reader"), default=7
    )
    undo_minutes = models.PositiveSmallIntegerField(_("minutes the desk can undo"), default=10)

    def __str__(self) -> str:
        return "circulation policy"

    @classmethod
    def current(cls) -> CirculationPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class CompensationRate(models.Model):
    """Compensation (赔偿) for a lost or damaged copy: price × factor, at least the minimum."""

    item_type = models.CharField(
        _("item type"), max_length=20, choices=Item.ItemType.choices, unique=True
    )
    factor = models.DecimalField(_("factor"), max_digits=5, decimal_places=2, default=Decimal("1"))
    minimum = models.DecimalField(
        _("minimum"), max_digits=10, decimal_places=2, default=Decimal("0")
    )

    def __str__(self) -> str:
        return f"{self.item_type} × {self.factor}"


class Term(models.Model):
    """A school term (学期). Students' books are due back by its last day (期末清还)."""

    name = models.CharField(_("name"), max_length=60)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ClosedDay(models.Model):
    """A day the library is shut although its weekday is open: a holiday, a school event."""

    date = models.DateField(_("date"), unique=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class OpeningHours(models.Model):
    """When the library is open on a weekday (0 = Monday). No row: closed that weekday."""

    weekday = models.PositiveSmallIntegerField(_("weekday"))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class LendingSlot(models.Model):
    """A lending slot of the class rotation (借还书轮流安排表), e.g. Monday 11:30–12:30, and
    the classes whose turn it is."""

    weekday = models.PositiveSmallIntegerField(_("weekday"))
    starts = models.TimeField(_("starts"), default=time(11, 30))
    ends = models.TimeField(_("ends"), default=time(12, 30))
    classes: models.ManyToManyField[SchoolClass, models.Model] = models.ManyToManyField(
        SchoolClass, verbose_name=_("classes"), blank=True, related_name="lending_slots"
    )

    class Meta:
        ordering = ["weekday", "starts"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class LoanQuerySet(models.QuerySet["Loan"]):
    def open(self) -> LoanQuerySet:
        return self.filter(returned_at__isnull=True)

    def overdue(self, *, on: date) -> LoanQuerySet:
        return self.open().filter(due_on__lt=on)

    def between(self, start: date, end: date) -> LoanQuerySet:
        """Loans made in [start, end] (both whole days, in the school's time zone)."""
        return self.filter(checked_out_on__gte=start, checked_out_on__lte=end)


class Loan(models.Model):
    """One copy lent to one patron (or to a class book corner), from checkout to return.

    The patron's category and class at the time of the loan are kept on the row, so that past
    figures stay true after a rollover and after a patron's data is erased (patron = NULL).
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Loan")
        IN_ROOM = "in_room", _("Reading-room use")
        CLASS_CORNER = "corner", _("Class book corner")

    # Indexed by loan_item_kind_day below, which starts with the copy (migration 0006).
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans", db_index=False)
    # No single-column indexes where a composite one below starts with the column: every
    # index is written on every checkout (with them, a loan and its event cost twice as much).
    patron = models.ForeignKey(
        Patron,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loans",
        db_index=False,
    )
    school_class = models.ForeignKey(
        SchoolClass,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loans",
        db_index=False,
    )
    patron_type = models.CharField(max_length=10, blank=True)
    patron_category = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    checked_out_at = models.DateTimeField(default=timezone.now)
    checked_out_on = models.DateField(db_index=True)
    due_on = models.DateField(_("due"))
    returned_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    via = models.CharField(max_length=10, default="desk")
    rule = models.ForeignKey(
        LoanRule, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_out_at"]
        constraints = [
            # The database, not the code, guarantees one open loan per copy: two desks
            # scanning the same book at once get one loan and one IntegrityError.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(returned_at__isnull=True),
                name="one_open_loan_per_item",
            )
        ]
        indexes = [
            models.Index(fields=["patron", "returned_at"]),
            models.Index(fields=["school_class", "checked_out_on"]),
            # A copy's loans; and, read alone, the loans per copy of a period for the
            # reports (popular titles, main classes) without touching the table.
            models.Index(fields=["item", "kind", "checked_out_on"], name="loan_item_kind_day"),
            # The reports' loan counts per (kind, patron type, class, patron) of a period,
            # read from the index alone in GROUP BY order (reports.figures, migration 0008).
            models.Index(
                fields=[
                    "kind",
                    "patron_type",
                    "school_class",
                    "patron",
                    "checked_out_on",
                    "renewals",
                ],
                name="loan_counts",
                # Always true: it keeps SQLite's planner from choosing this index for other
                # queries on the kind and patron type, where their own indexes are faster.
                # The report repeats the condition and names the index.
                condition=Q(renewals__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.patron_id} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None

    def is_overdue(self, *, on: date) -> bool:
        return self.is_open and self.due_on < on


class FineQuerySet(models.QuerySet["Fine"]):
    def outstanding(self) -> FineQuerySet:
        return self.filter(status=Fine.Status.OPEN)


class Fine(models.Model):
    """Compensation (赔偿) owed for a lost or damaged book."""

    class Reason(models.TextChoices):
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        OVERDUE = "overdue", _("Overdue")

    class Status(models.TextChoices):
        OPEN = "open", _("Unpaid")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")

    patron = models.ForeignKey(
        Patron, null=True, blank=True, on_delete=models.SET_NULL, related_name="fines"
    )
    loan = models.ForeignKey(Loan, null=True, blank=True, on_delete=models.SET_NULL)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = FineQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.amount}"

    @property
    def balance(self) -> Decimal:
        return self.amount - self.paid


class HoldQuerySet(models.QuerySet["Hold"]):
    def active(self) -> HoldQuerySet:
        return self.filter(status__in=[Hold.Status.WAITING, Hold.Status.READY])


class Hold(models.Model):
    """A patron waiting for a title (预约). On return the first waiting hold takes the copy."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        READY = "ready", _("Ready to collect")
        FILLED = "filled", _("Collected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="holds")
    patron = models.ForeignKey(
        Patron, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    placed_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "record"],
                condition=Q(status__in=["waiting", "ready"]),
                name="one_active_hold_per_patron_and_record",
            ),
            # A copy waits on the hold shelf for one reader at a time.
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="ready"), name="one_ready_hold_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} ← {self.patron_id} ({self.status})"


class Repair(models.Model):
    """The repair register (修补登记): a damaged copy, what was wrong, when it came back."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="repairs")
    reported_at = models.DateTimeField(default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    damage = models.CharField(_("damage"), max_length=200, blank=True)
    repaired_at = models.DateTimeField(null=True, blank=True)
    repaired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.reported_at:%Y-%m-%d}"


class CirculationEvent(models.Model):
    """One row per circulation state change: the library's history and audit trail."""

    class Action(models.TextChoices):
        CHECKOUT = "checkout", _("Checked out")
        CHECKIN = "checkin", _("Checked in")
        RENEW = "renew", _("Renewed")
        HOLD_PLACED = "hold_placed", _("Hold placed")
        HOLD_CANCELLED = "hold_cancelled", _("Hold cancelled")
        HOLD_READY = "hold_ready", _("Hold ready")
        HOLD_FILLED = "hold_filled", _("Hold collected")
        HOLD_EXPIRED = "hold_expired", _("Hold expired")
        CORNER_OUT = "corner_out", _("Lent to a class corner")
        CORNER_IN = "corner_in", _("Returned from a class corner")
        LOST = "lost", _("Marked lost")
        DAMAGED = "damaged", _("Marked damaged")
        REPAIRED = "repaired", _("Repaired")
        COMPENSATION = "compensation", _("Compensation recorded")
        PAID = "paid", _("Compensation paid")
        WAIVED = "waived", _("Compensation waived")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REINSTATED = "reinstated", _("Withdrawal undone")
        UNDONE = "undone", _("Undone")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    via = models.CharField(max_length=10, default="desk")  # desk, api, sip2, batch, cli, web
    station = models.CharField(max_length=60, blank=True)  # which desk or kiosk
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    patron = models.ForeignKey(
        Patron, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    hold = models.ForeignKey(
        Hold,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class OverdueNotice(models.Model):
    """An overdue notice (催还单) for one patron, made by the daily `shuxiang overdue` run."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="overdue_notices")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateField(db_index=True)
    # [{"loan": id, "barcode", "title", "due": "YYYY-MM-DD", "days": n}, ...] as of created_on
    lines = models.JSONField(default=list)
    printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on"]
        constraints = [
            models.UniqueConstraint(fields=["patron", "created_on"], name="one_notice_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.patron_id} {self.created_on}"


class ReadingRoomVisit(models.Model):
    """A reader coming into the reading room, recorded by scanning their card at the door.

    The 规程 asks for a record of teachers' visits (教师进阅览室阅览的记载); pupils' visits are
    kept the same way. The patron's type is kept on the row, as loans keep theirs, so that
    the figures stay true after the patron's data is erased.
    """

    patron = models.ForeignKey(
        Patron,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reading_room_visits",
        db_index=False,
    )
    patron_type = models.CharField(max_length=10, blank=True)
    visited_on = models.DateField(db_index=True)
    visited_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=10, default="web")

    class Meta:
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["patron", "visited_on"])]
        verbose_name = _("reading-room visit")
        verbose_name_plural = _("reading-room visits")

    def __str__(self) -> str:
        return f"{self.patron_id} {self.visited_on}"
