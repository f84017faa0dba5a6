from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app and the API with waitress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import serve

        from shuxiang.wsgi import application

        host, port = opts["host"], opts["port"]
        self.stdout.write(f"书香 Shuxiang 正在 http://{host}:{port}/ 运行（Ctrl+C 停止）")
        self.stdout.flush()
        serve(application, host=host, port=port, threads=opts["threads"], ident="shuxiang")
