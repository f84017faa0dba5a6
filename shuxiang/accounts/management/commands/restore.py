"""`shuxiang restore FILE [--force]`: put a backup back (docs/backup.md).

Refuses a database that already holds books, readers or loans unless --force is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import AuditLog
from shuxiang.lib import backup


class Command(BaseCommand):
    help = "Restore the library from a backup FILE (refuses a database with data unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file written by shuxiang backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds books, readers or loans",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        def migrate() -> None:
            call_command("migrate", verbosity=0, interactive=False)

        try:
            done = backup.restore(Path(opts["file"]), force=opts["force"], migrate=migrate)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        AuditLog.record("backup_restored", by=None, via="cli", size=done.size, forced=opts["force"])
        self.stdout.write(f"已从 {done.path} 恢复（用时 {done.seconds:.1f} 秒）")
