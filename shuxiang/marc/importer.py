"""MARC import (MARC 导入): check a file against the catalogue, then import it in one go.

read_entries() reads the file record by record (shuxiang.marc.reader) and maps each one
(shuxiang.marc.mapping) into a catalog.batch Entry; check_file() plans without writing, for
the preview; import_file() reads and plans again inside one transaction and writes the batch
— or nothing, when a record is wrong and the librarian did not choose to skip bad records.
The MARC record each new catalogue record came from is kept (MarcRecord) for export.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog import batch
from shuxiang.catalog.batch import Entry, Plan
from shuxiang.catalog.demo import Table
from shuxiang.catalog.models import ImportBatch, Location
from shuxiang.jobs.models import Job
from shuxiang.jobs.services import JobFailed, upload_path
from shuxiang.marc.mapping import Context, map_record
from shuxiang.marc.models import MarcRecord
from shuxiang.marc.reader import (
    AUTO,
    CHARSET_NAMES,
    ISO2709,
    MarcFile,
    MarcFileError,
    ReadOptions,
)

Progress = Callable[[int, int], None]
Policy = ImportBatch.Policy
SAMPLE = 20  # mapped records shown in the preview
SHOW_ERRORS = 1000
SHOW_WARNINGS = 300
PROGRESS_EVERY = 500
MARC_BATCH = 2000


@dataclass
class ImportOptions:
    flavour: str = AUTO
    encoding: str = AUTO
    policy: str = Policy.SKIP
    location: Location | None = None  # where copies without a known location go
    skip_bad: bool = False
    file_name: str = ""

    @classmethod
    def from_job(cls, job: Job) -> ImportOptions:
        options = job.options
        code = options.get("location") or ""
        return cls(
            flavour=options.get("flavour", AUTO),
            encoding=options.get("encoding", AUTO),
            policy=options.get("policy", Policy.SKIP),
            location=Location.objects.filter(code=code).first() if code else None,
            skip_bad=bool(options.get("skip_bad")),
            file_name=job.file_name,
        )


@dataclass
class FileRead:
    """A file's entries and how it was read."""

    entries: list[Entry]
    format: str
    flavour: str
    charsets: dict[str, int]
    description: str


@dataclass
class ImportOutcome:
    read: FileRead
    plan: Plan
    batch: ImportBatch | None = None
    refused: bool = False
    dry_run: bool = False
    kept: int = 0  # MarcRecord rows written

    @property
    def message(self) -> str:
        """Why nothing was imported, in one line, when it was refused."""
        if not self.refused:
            return ""
        first = self.plan.errors[0]
        more = len(self.plan.errors) - 1
        tail = f"（另有 {more} 条记录有错误）" if more else ""
        return (
            f"{first.label}：{first.reason}{tail}。没有导入任何记录；"
            "改正文件后重新导入，或选择“导入正确的记录，跳过有错误的”"
        )


class MarcImportError(Exception):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


def read_entries(path: Path, options: ImportOptions, progress: Progress | None = None) -> FileRead:
    try:
        marc_file = MarcFile(path, ReadOptions(options.flavour, options.encoding))
    except MarcFileError as exc:
        raise MarcImportError(str(exc)) from None
    context = Context.load(options.location)
    total = _estimate(marc_file)
    entries: list[Entry] = []
    for raw in marc_file:
        if raw.record is None:
            entry = Entry(raw.position, None, error=raw.error, label=raw.label)
            entry.warnings = raw.warnings
        else:
            mapped = map_record(raw.record, marc_file.flavour, context)
            entry = Entry(
                raw.position,
                mapped.record,
                mapped.items,
                error=mapped.error,
                warnings=raw.warnings + mapped.warnings,
                label=raw.label,
                payload=raw.text,
            )
        entries.append(entry)
        if progress is not None and raw.position % PROGRESS_EVERY == 0:
            progress(raw.position, max(total, raw.position))
    if not entries:
        raise MarcImportError("文件中没有 MARC 记录")
    return FileRead(
        entries,
        marc_file.format,
        marc_file.flavour,
        dict(marc_file.charsets),
        marc_file.description,
    )


def _estimate(marc_file: MarcFile) -> int:
    """Records in the file, roughly: record terminators, or closing record tags."""
    if marc_file.format == ISO2709:
        return marc_file.data.count(b"\x1d")
    return marc_file.data.count(b"record>") // 2 or marc_file.data.count(b"record>")


def check_file(path: Path, options: ImportOptions, progress: Progress | None = None) -> FileRead:
    """Read and plan (batch.check); the entries carry their actions. Writes nothing."""
    with quiet_gc():
        read = read_entries(path, options, progress)
        batch.check(read.entries, options.policy)
    return read


@contextmanager
def quiet_gc() -> Iterator[None]:
    """An import makes millions of small objects that all live to its end; the cyclic
    collector would walk them over and over (it doubled the time of 50,000 records)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_file(
    path: Path,
    options: ImportOptions,
    *,
    by: User | None,
    via: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read, check and write in one transaction: every good record, or nothing at all."""
    with quiet_gc(), transaction.atomic():
        read = read_entries(path, options, progress)
        plan = batch.check(read.entries, options.policy)
        outcome = ImportOutcome(read, plan, dry_run=dry_run)
        outcome.refused = bool(plan.errors) and not options.skip_bad
        if dry_run or outcome.refused:
            counts: dict[str, Any] = plan.counts()
            AuditLog.record(
                "marc_import_checked",
                by=by,
                target=None,
                via=via,
                refused=outcome.refused,
                dry_run=dry_run,
                **counts,
            )
            return outcome
        new_batch = ImportBatch(
            kind=ImportBatch.Kind.MARC,
            file_name=(options.file_name or path.name)[:255],
            file_format=read.description[:60],
            policy=options.policy,
            skip_bad=options.skip_bad,
        )
        written = batch.write(plan, new_batch, by=by, via=via)
        outcome.batch = written.batch
        outcome.kept = keep_originals(written.entries, read.flavour)
    return outcome


def keep_originals(entries: list[Entry], flavour: str) -> int:
    """MarcRecord rows for the records added or overwritten: export gives them back.

    Written as batch.write writes its rows (executemany / COPY): tens of thousands at once."""
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    replaced: list[int] = []
    for entry in entries:
        if entry.action not in (batch.ADD, batch.OVERWRITE) or entry.record_id is None:
            continue
        if entry.action == batch.OVERWRITE:
            replaced.append(entry.record_id)
        rows.append(
            {
                "record_id": entry.record_id,
                "flavour": flavour,
                "data": entry.payload,
                "imported_at": now,
            }
        )
    for start in range(0, len(replaced), MARC_BATCH):
        MarcRecord.objects.filter(record_id__in=replaced[start : start + MARC_BATCH]).delete()
    table = Table(MarcRecord)
    for start in range(0, len(rows), MARC_BATCH):
        table.write(rows[start : start + MARC_BATCH])
    return len(rows)


# --------------------------------------------------------------------------- the preview


def entry_data(entry: Entry) -> dict[str, Any]:
    """One entry as the preview and the command show it: enough to eyeball the mapping."""
    record = entry.record
    data: dict[str, Any] = {
        "position": entry.position,
        "label": entry.label,
        "action": entry.action,
        "action_label": str(batch.ACTION_LABELS.get(entry.action, entry.action)),
        "reason": entry.reason,
        "warnings": entry.warnings,
        "title": entry.title,
    }
    if record is not None:
        call_number = record.class_number
        if call_number and record.book_number:
            call_number = f"{call_number}/{record.book_number}"
        data.update(
            authors="、".join(c["name"] for c in record.contributors),
            isbn=record.isbn,
            publisher=record.publisher,
            year=record.year,
            call_number=call_number,
            copies=[i.barcode or "（自动编号）" for i in entry.items],
        )
    return data


def preview_data(read: FileRead, options: ImportOptions) -> dict[str, Any]:
    entries = read.entries
    counts = batch.Plan(entries, options.policy).counts()
    counts["records"] = len(entries)
    warned = [e for e in entries if e.warnings and e.action != batch.ERROR]
    return {
        "format": read.format,
        "flavour": read.flavour,
        "charsets": [[CHARSET_NAMES.get(c, c), n] for c, n in read.charsets.items()],
        "description": read.description,
        "counts": counts,
        "errors": [entry_data(e) for e in entries if e.action == batch.ERROR][:SHOW_ERRORS],
        "warned": [entry_data(e) for e in warned[:SHOW_WARNINGS]],
        "warned_total": len(warned),
        "sample": [entry_data(e) for e in entries if e.record is not None][:SAMPLE],
    }


# --------------------------------------------------------------------------- jobs


def check_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The job's first step: read the upload and plan; the preview is all it keeps."""
    options = ImportOptions.from_job(job)
    try:
        read = check_file(upload_path(job), options, progress)
    except MarcImportError as exc:
        raise JobFailed(str(exc)) from None
    preview = preview_data(read, options)
    AuditLog.record("marc_import_checked", by=job.created_by, via="web", target=job)
    return preview


def apply_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The second step, once the librarian said import: read, check and write in one go."""
    options = ImportOptions.from_job(job)
    try:
        outcome = import_file(upload_path(job), options, by=job.created_by, via="web")
    except MarcImportError as exc:
        raise JobFailed(str(exc)) from None
    if outcome.refused or outcome.batch is None:
        raise JobFailed(outcome.message)
    return {"batch_id": outcome.batch.pk, "counts": outcome.plan.counts(), "kept": outcome.kept}
