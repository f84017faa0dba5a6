from __future__ import annotations

import codecs
import errno
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuxiang.sip2 import server

ENCODINGS = ("utf-8", "gbk")


class Command(BaseCommand):
    help = (
        "Serve SIP2 (version 2.00) over TCP for self-check kiosks. Kiosks log in with a user "
        "of the kiosk role (shuxiang user add NAME --role kiosk --password P). Ctrl+C stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=6001, help="TCP port (default 6001)")
        parser.add_argument(
            "--encoding",
            default=None,
            help="character set of the messages: utf-8 or gbk "
            "(default: SHUXIANG_SIP2_ENCODING, utf-8 unless set)",
        )
        parser.add_argument(
            "--idle-timeout",
            type=float,
            default=server.IDLE_TIMEOUT_SECONDS,
            help="seconds a silent kiosk keeps its connection (default 600)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        encoding = _encoding(opts["encoding"] or settings.SHUXIANG_SIP2_ENCODING)
        if not 0 <= opts["port"] <= 65535:
            raise CommandError(f"端口“{opts['port']}”无效，应在 0–65535 之间")
        if opts["idle_timeout"] <= 0:
            raise CommandError("空闲超时必须大于 0 秒")
        _log_to_console(opts["verbosity"])
        sip2 = server.Sip2Server(
            opts["host"], opts["port"], encoding=encoding, idle_timeout=opts["idle_timeout"]
        )

        def listening(host: str, port: int) -> None:
            self.stdout.write(
                f"书香 SIP2 服务正在 {host}:{port} 监听（编码 {encoding}，Ctrl+C 停止）"
            )
            self.stdout.flush()

        try:
            server.run(sip2, on_listening=listening)
        except OSError as error:
            raise CommandError(_why_not(opts["host"], opts["port"], error)) from error
        self.stdout.write("SIP2 服务已停止")


def _encoding(name: str) -> str:
    """utf-8 or gbk, whatever the spelling (UTF8, GB2312 is not GBK: refused)."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        canonical = ""
    for known in ENCODINGS:
        if canonical == codecs.lookup(known).name:
            return known
    raise CommandError(f"不支持的编码“{name}”：只能是 utf-8 或 gbk")


def _why_not(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"端口 {port} 已被占用（是否已有 SIP2 服务在运行？），请用 --port 换一个端口"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"本机没有地址 {host}，请检查 --host"
    if error.errno == errno.EACCES:
        return f"没有权限监听端口 {port}（1024 以下的端口需要管理员权限）"
    return f"无法在 {host}:{port} 监听：{error.strerror or error}"


def _log_to_console(verbosity: int) -> None:
    """Connections and disconnections on the console (INFO), unless -v 0."""
    logger = logging.getLogger("shuxiang.sip2")
    if verbosity == 0 or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the root's console handler would print warnings twice
