"""The `shuxiang` console command: friendly names for the management commands.

shuxiang init | demo | serve | reindex
shuxiang import clc|patrons|marc|books FILE
shuxiang export marc|books|labels|cards|notices …
shuxiang user add NAME --role R | user unlock NAME | token NAME [--revoke PREFIX|all]
shuxiang manage <any django-admin command>
"""

from __future__ import annotations

import os
import sys

# Two-word commands map onto one management command each.
GROUPS = {
    "import": {
        "clc": "import_clc",
        "patrons": "import_patrons",
        "marc": "import_marc",
        "books": "import_books",
    },
    "export": {
        "marc": "export_marc",
        "books": "export_books",
        "labels": "export_labels",
        "cards": "export_cards",
        "notices": "export_notices",
    },
    "user": {"add": "user_add", "unlock": "user_unlock"},
    "report": {"term": "report_term"},
}


def translate(argv: list[str]) -> list[str]:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        return ["help_shuxiang"]
    head, rest = argv[0], argv[1:]
    if head == "manage":
        return rest or ["help"]
    if head in GROUPS:
        sub = rest[0] if rest else ""
        if sub in GROUPS[head]:
            return [GROUPS[head][sub], *rest[1:]]
        choices = ", ".join(sorted(GROUPS[head]))
        if sub in {"", "-h", "--help"}:
            print(f"usage: shuxiang {head} {{{choices}}} …")
            raise SystemExit(0 if sub else 2)
        print(f"shuxiang {head}: 未知的子命令“{sub}”（可用：{choices}）", file=sys.stderr)
        raise SystemExit(2)
    return argv


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    from django.core.management import execute_from_command_line

    args = translate(list(sys.argv[1:] if argv is None else argv))
    execute_from_command_line(["shuxiang", *args])


if __name__ == "__main__":
    main()
