"""`shuxiang backup FILE` or `shuxiang backup --dir DIR [--keep N]` (the nightly run).

Online: the desk may go on lending while it runs. See docs/backup.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.accounts.models import AuditLog
from shuxiang.lib import backup


class Command(BaseCommand):
    help = "Back up the whole library to FILE, or to a dated file in --dir keeping the newest N."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the backup file to write")
        parser.add_argument("--dir", metavar="DIR", help="nightly: a dated file in this folder")
        parser.add_argument(
            "--keep", type=int, default=14, help="with --dir: how many backups to keep (14)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if bool(opts["file"]) == bool(opts["dir"]):
            raise CommandError(
                "请给出备份文件（shuxiang backup 文件名），或用 --dir 文件夹 做每日备份"
            )
        try:
            if opts["dir"]:
                done, removed = backup.nightly(Path(opts["dir"]), opts["keep"])
            else:
                done, removed = backup.backup(Path(opts["file"])), []
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        AuditLog.record("backup_written", by=None, via="cli", size=done.size, removed=len(removed))
        self.stdout.write(
            f"已备份到 {done.path}（{done.size / 1_048_576:.1f} MB，用时 {done.seconds:.1f} 秒）"
        )
        for old in removed:
            self.stdout.write(f"已删除旧备份 {old.name}")
