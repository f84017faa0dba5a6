from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Location(models.Model):
    """Where copies stand (馆藏地点): stacks, reading rooms, a class's book corner."""

    class Kind(models.TextChoices):
        STACKS = "stacks", _("Stacks")
        READING_ROOM = "reading_room", _("Reading room")
        TEACHERS_ROOM = "teachers_room", _("Teachers' reading room")
        CLASS_CORNER = "class_corner", _("Class book corner")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STACKS)
    lends = models.BooleanField(_("lends"), default=True)
    room_only = models.BooleanField(
        _("room only"), default=False, help_text=_("Reference use in the room, back the same day.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default for new copies"), default=False)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return self.name


class ClcClass(models.Model):
    """One class of the Chinese Library Classification (中图法)."""

    code = models.CharField(_("class number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=1)
    shelf_key = models.CharField(max_length=120, db_index=True, default="")

    class Meta:
        ordering = ["shelf_key"]
        verbose_name = _("CLC class")
        verbose_name_plural = _("CLC classes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Counter(models.Model):
    """A named running number (accession numbers, 种次号 per class) handed out in order."""

    key = models.CharField(max_length=80, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ImportBatch(models.Model):
    """One import of books (a MARC file or an Excel ledger): what came in and what was done.

    Records and copies point back at the batch that created them, so that the report page can
    list them and labels can be printed for "the last import".
    """

    class Kind(models.TextChoices):
        MARC = "marc", _("MARC file")
        LEDGER = "ledger", _("Excel ledger")

    class Policy(models.TextChoices):
        """What to do with a record that is already in the catalogue (查重)."""

        SKIP = "skip", _("Skip it")
        MERGE = "merge", _("Add the copies to the existing record")
        OVERWRITE = "overwrite", _("Overwrite the existing record")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    # e.g. "cnmarc iso2709 gb18030": how the file was read, for the report.
    file_format = models.CharField(_("format"), max_length=60, blank=True)
    policy = models.CharField(
        _("duplicates"), max_length=10, choices=Policy.choices, default=Policy.SKIP
    )
    skip_bad = models.BooleanField(_("import the good records only"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    records_added = models.PositiveIntegerField(default=0)
    records_merged = models.PositiveIntegerField(default=0)
    records_overwritten = models.PositiveIntegerField(default=0)
    records_skipped = models.PositiveIntegerField(default=0)
    items_added = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    # Every entry that was not simply added, or was added with warnings: [{"position",
    # "label", "action", "title", "reason", "record_id", "warnings"}]. Added records are
    # found through Record.import_batch.
    report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.file_name}"


class Record(models.Model):
    """A bibliographic record (书目): the description of one title/edition."""

    class MaterialType(models.TextChoices):
        BOOK = "book", _("Book")
        PERIODICAL = "periodical", _("Periodical")
        AUDIO_VISUAL = "audio_visual", _("Audio-visual")
        ELECTRONIC = "electronic", _("Electronic resource")
        MAP = "map", _("Map")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=500)
    subtitle = models.CharField(_("other title information"), max_length=500, blank=True)
    parallel_titles = models.JSONField(_("parallel titles"), default=list, blank=True)
    other_titles = models.JSONField(_("other titles"), default=list, blank=True)
    # [{"name": "吴承恩", "role": "author"}, …]; roles: author, editor, translator, illustrator…
    contributors = models.JSONField(_("authors"), default=list, blank=True)
    publisher = models.CharField(_("publisher"), max_length=255, blank=True)
    place = models.CharField(_("place of publication"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    edition = models.CharField(_("edition"), max_length=100, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True, db_index=True)
    other_isbns = models.JSONField(_("other ISBNs"), default=list, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    pages = models.CharField(_("pages"), max_length=100, blank=True)
    series = models.CharField(_("series"), max_length=255, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=3, default="chi")
    material_type = models.CharField(
        _("material type"), max_length=20, choices=MaterialType.choices, default=MaterialType.BOOK
    )
    grade_min = models.PositiveSmallIntegerField(_("suitable from grade"), null=True, blank=True)
    grade_max = models.PositiveSmallIntegerField(_("suitable to grade"), null=True, blank=True)
    class_number = models.CharField(_("class number"), max_length=40, blank=True, db_index=True)
    book_number = models.CharField(_("book number"), max_length=20, blank=True)
    call_number = models.CharField(_("call number"), max_length=64, blank=True)
    shelf_key = models.CharField(max_length=160, blank=True, db_index=True)
    # Normalised forms for exact-title ranking and the duplicate check (查重).
    title_key = models.CharField(max_length=500, blank=True, db_index=True)
    dedup_key = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )

    class Meta:
        ordering = ["shelf_key", "id"]
        verbose_name = _("record")
        verbose_name_plural = _("records")

    def __str__(self) -> str:
        return self.title

    @property
    def author_names(self) -> list[str]:
        return [c["name"] for c in self.contributors if c.get("name")]

    @property
    def authors_display(self) -> str:
        return "；".join(self.author_names)


class Item(models.Model):
    """One physical copy (册) with its barcode."""

    class Status(models.TextChoices):
        ON_SHELF = "on_shelf", _("On shelf")
        ON_LOAN = "on_loan", _("On loan")
        PROCESSING = "processing", _("Being processed")
        MISSING = "missing", _("Missing")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        IN_REPAIR = "in_repair", _("Being repaired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class ItemType(models.TextChoices):
        """What loan rules and compensation rates key on, beside the location."""

        GENERAL = "general", _("General")
        REFERENCE = "reference", _("Reference (工具书)")
        PERIODICAL = "periodical", _("Periodical")
        AUDIO_VISUAL = "audio_visual", _("Audio-visual")
        TEACHING = "teaching", _("Teaching reference")

    class WithdrawalReason(models.TextChoices):
        WEEDED = "weeded", _("Weeded: outdated or unsuitable")  # 剔旧
        SURPLUS = "surplus", _("Surplus copy")  # 复本过多
        WORN = "worn", _("Worn out beyond repair")  # 破损
        LOST = "lost", _("Lost and not replaced")  # 丢失注销
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        DONATION = "donation", _("Donation")
        TRANSFER = "transfer", _("Transfer")
        OTHER = "other", _("Other")

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    accession_number = models.CharField(_("accession number"), max_length=32, unique=True)
    call_number = models.CharField(_("call number"), max_length=64, blank=True)
    shelf_key = models.CharField(max_length=160, blank=True, db_index=True)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="items", verbose_name=_("location")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ON_SHELF, db_index=True
    )
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    # db_default as well: the bulk loaders write rows with plain SQL.
    item_type = models.CharField(
        _("item type"),
        max_length=20,
        choices=ItemType.choices,
        default=ItemType.GENERAL,
        db_default=ItemType.GENERAL,
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.PURCHASE
    )
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    received_on = models.DateField(_("date received"), null=True, blank=True)
    # 注销: when the copy left the books and why (set by circulation.services.withdraw).
    withdrawn_on = models.DateField(_("date withdrawn"), null=True, blank=True)
    withdrawal_reason = models.CharField(
        _("reason withdrawn"), max_length=20, choices=WithdrawalReason.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )

    class Meta:
        ordering = ["shelf_key", "barcode"]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.barcode

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.ON_SHELF and self.location.lends
