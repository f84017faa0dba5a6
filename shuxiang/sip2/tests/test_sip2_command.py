"""`shuxiang sip2`: where it listens, what it refuses, how it stops — as a real process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """The test database, as DATABASE_URL for a child process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


class Sip2CommandProcessTests(TransactionTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def start(self, *args: str) -> subprocess.Popen[str]:
        env = dict(os.environ, DATABASE_URL=database_url(), SHUXIANG_DATA_DIR=str(self.dir))
        process = subprocess.Popen(
            [sys.executable, "-m", "shuxiang.cli", "sip2", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(process.kill)  # nothing happens if it has already stopped
        return process

    def test_it_says_where_it_listens_answers_and_stops_on_sigterm(self) -> None:
        process = self.start("--port", "0", "--encoding", "GBK")
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"正在 127\.0\.0\.1:(\d+) 监听（编码 gbk", first)
        self.assertIsNotNone(found, first)
        assert found is not None
        with socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=10) as kiosk:
            # Nothing but a login is answered before a login; the server stays up regardless.
            kiosk.sendall(b"9900302.00AY1AZFCA5\r")
            kiosk.settimeout(10)
            kiosk.recv(4096)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
        self.assertEqual(process.returncode, 0, err)
        self.assertIn("SIP2 服务已停止", out)
        self.assertIn("SIP2 connection from 127.0.0.1:", err)

    def test_it_refuses_a_port_in_use_with_one_line_and_a_failing_exit(self) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            process = self.start("--port", str(port))
            out, err = process.communicate(timeout=30)
        self.assertNotEqual(process.returncode, 0)
        self.assertEqual(
            err.strip(),
            f"CommandError: 端口 {port} 已被占用（是否已有 SIP2 服务在运行？），"
            "请用 --port 换一个端口",
        )


class Sip2CommandOptionsTests(SimpleTestCase):
    def test_it_refuses_an_encoding_other_than_utf8_or_gbk(self) -> None:
        for name in ("latin-1", "gb2312", "klingon"):
            with (
                self.subTest(name),
                self.assertRaisesMessage(
                    CommandError, f"不支持的编码“{name}”：只能是 utf-8 或 gbk"
                ),
            ):
                call_command("sip2", "--encoding", name)

    def test_it_refuses_a_port_out_of_range(self) -> None:
        with self.assertRaisesMessage(CommandError, "端口“70000”无效"):
            call_command("sip2", "--port", "70000")

    def test_it_is_reached_through_the_shuxiang_command(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "shuxiang.cli", "sip2", "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertIn("--encoding", done.stdout)
        self.assertIn("self-check kiosks", done.stdout)
