"""`shuxiang serve` runs the background worker beside the web server, and stops it with it.

Real processes on the test database: the only test of the wiring between the upload's
queued task and the worker that `make run` gives a school.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection
from django.test import TransactionTestCase, override_settings

from shuxiang.accounts.models import User
from shuxiang.jobs import services
from shuxiang.jobs.models import Job

ROOT = Path(__file__).resolve().parents[3]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The test database, as DATABASE_URL for a child process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ServeRunsTheWorkerTests(TransactionTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)
        self.lena = User.objects.create_user("lena", role=User.Role.LIBRARIAN)

    def serve(self) -> tuple[subprocess.Popen[str], int]:
        env = dict(os.environ, DATABASE_URL=database_url(), SHUXIANG_DATA_DIR=str(self.dir))
        env.pop("SHUXIANG_TASKS", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "shuxiang.cli", "serve", "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.addCleanup(server.kill)  # nothing happens if it has already stopped
        assert server.stdout is not None
        first = server.stdout.readline()
        found = re.search(r"pid (\d+)", first)
        self.assertIsNotNone(found, first)
        assert found is not None
        return server, int(found.group(1))

    def test_it_processes_an_upload_and_stops_its_worker_when_stopped(self) -> None:
        server, worker = self.serve()
        self.assertTrue(is_alive(worker))
        path = self.dir / "roster.csv"
        path.write_text("姓名,学号,班级\n林小雨,2025030101,三年级(1)班\n", encoding="utf-8")
        with override_settings(TASKS=DATABASE_QUEUE, UPLOAD_DIR=self.dir / "uploads"):
            job = services.start_job(
                Job.Kind.ROSTER_IMPORT, by=self.lena, path=path, file_name="roster.csv", options={}
            )
        self.assertEqual(job.state, Job.State.QUEUED)
        deadline = time.monotonic() + 60
        while job.state == Job.State.QUEUED or job.is_running:
            self.assertLess(time.monotonic(), deadline, "the worker did not run the job")
            time.sleep(0.2)
            job.refresh_from_db()
        self.assertEqual((job.state, job.preview["counts"]["add"]), (Job.State.READY, 1))

        server.send_signal(signal.SIGTERM)  # what a service manager does
        server.wait(timeout=60)
        self.assertFalse(is_alive(worker))
