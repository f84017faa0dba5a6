from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuxiang.catalog.models import Item
from shuxiang.patrons.models import Patron, SchoolClass


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

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans")
    patron = models.ForeignKey(
        Patron, null=True, blank=True, on_delete=models.SET_NULL, related_name="loans"
    )
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="loans"
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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=10, default="desk")

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
