from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuxiang.catalog import search


class Command(BaseCommand):
    help = "Rebuild the search index of all records (after a bulk load, an import or an upgrade)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing but errors")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        self.progressed = False
        count = search.rebuild(progress=None if opts["quiet"] else self._progress)
        if not opts["quiet"]:
            seconds = time.monotonic() - started
            # The last progress line stays; the summary goes below it.
            newline = "\n" if self.progressed else ""
            self.stdout.write(f"{newline}已索引 {count} 条书目，用时 {seconds:.1f} 秒")

    def _progress(self, done: int, total: int) -> None:
        self.progressed = True
        self.stdout.write(f"\r已索引 {done}/{total}", ending="")
        self.stdout.flush()
