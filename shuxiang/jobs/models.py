from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A long piece of work (an import) run by the background worker.

    The row is the job's progress bar and its report: the page polls it with htmx. An import
    runs in two steps, each a task: check the file (→ READY, with a preview), then, when the
    user has chosen, apply it (→ DONE, with a result).
    """

    class Kind(models.TextChoices):
        ROSTER_IMPORT = "roster_import", _("Roster import")
        MARC_IMPORT = "marc_import", _("MARC import")
        LEDGER_IMPORT = "ledger_import", _("Ledger import")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Ready to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    file_name = models.CharField(max_length=255, blank=True)  # as the user named it
    path = models.CharField(max_length=500, blank=True)  # where the upload waits
    options = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state in {self.State.READY, self.State.DONE}:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def is_running(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.CHECKING, self.State.IMPORTING}
