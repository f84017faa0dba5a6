from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

# How long a stopping server lets a running background step finish (an import is one
# transaction: cut short, it is rolled back and has to be run again).
WORKER_GRACE_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Serve the web app and the API with waitress, and run the background worker (roster "
        "imports and other uploads) beside it. Ctrl+C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (run `shuxiang manage db_worker` yourself)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import serve

        from shuxiang.wsgi import application

        host, port = opts["host"], opts["port"]
        worker = None if opts["no_worker"] else self.start_worker()
        # A service manager stops the server with SIGTERM: take it like Ctrl+C, so that the
        # worker is stopped too.
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(f"书香 Shuxiang 正在 http://{host}:{port}/ 运行（Ctrl+C 停止）")
        self.stdout.flush()
        try:
            serve(application, host=host, port=port, threads=opts["threads"], ident="shuxiang")
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_worker(worker)

    def start_worker(self) -> subprocess.Popen[bytes] | None:
        if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
            return None  # SHUXIANG_TASKS=immediate: jobs run inside the request
        from shuxiang.jobs.services import fail_interrupted

        # This server's worker is the only one: a step marked running was cut short.
        fail_interrupted()
        command = [sys.executable, "-m", "shuxiang.cli", "manage", "db_worker"]
        options = ["--no-reload", "--no-startup-delay", "--interval", "1", "--verbosity", "0"]
        process = subprocess.Popen(
            [*command, *options],
            # Its own process group: Ctrl+C reaches the server only, which then asks the
            # worker to finish its step and stop.
            process_group=0,
            preexec_fn=_die_with_parent,
        )
        self.stdout.write(f"后台任务进程已启动（pid {process.pid}），处理花名册导入等上传文件")
        return process

    def stop_worker(self, process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # the worker's graceful stop: finish, then exit
        try:
            process.wait(timeout=WORKER_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.stdout.write("已停止")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """Linux: if the server is killed outright, the kernel stops the worker as well."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
