"""The SIP2 server's framing and robustness, over real sockets on loopback.

The framing tests put a recording session behind the server (it answers every message with
its own bytes), so that what is tested is only how bytes become messages and what happens to
a connection; the kiosk conversations further down use the real `handlers.Session`."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.test import SimpleTestCase

from shuxiang.sip2 import server

SC_STATUS = b"9900302.00AY1AZFCA5"
LOGIN = b"9300CNkiosk|COsecret|CPlibrary|AY0AZF5C3"


class Recorder:
    """A session that answers each message with `ok:` and the message; `bye` ends the
    connection, `boom` raises (a bug in a handler), `slow` takes a while."""

    instances: list[Recorder] = []

    def __init__(self, *, encoding: str, peer: str = "") -> None:
        self.encoding, self.peer = encoding, peer
        self.frames: list[bytes] = []
        Recorder.instances.append(self)

    def respond(self, frame: bytes) -> tuple[bytes | None, bool]:
        self.frames.append(frame)
        if frame == b"boom":
            raise RuntimeError("a bug in a handler")
        if frame == b"slow":
            time.sleep(0.2)
        if frame == b"silent":
            return None, False
        return b"ok:" + frame + b"\r", frame == b"bye"


class ServerThread:
    """A Sip2Server on a free loopback port, in a thread with its own event loop."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("encoding", "utf-8")
        self.server = server.Sip2Server("127.0.0.1", 0, **options)
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        _, self.port = self.loop.run_until_complete(self.server.start())
        self.ready.set()
        self.loop.run_until_complete(self.server.serve_until(self.stop))
        self.loop.close()

    def __enter__(self) -> ServerThread:
        self.thread.start()
        assert self.ready.wait(10), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(15)
        assert not self.thread.is_alive(), "the server did not stop"

    def connect(self, timeout: float = 5) -> Kiosk:
        return Kiosk(socket.create_connection(("127.0.0.1", self.port), timeout=timeout))


class Kiosk:
    """A raw socket speaking as a kiosk does: bytes out, replies read up to their CR."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        while b"\r" not in self.pending:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"closed with {self.pending!r} unanswered")
            self.pending += chunk
        reply, self.pending = self.pending.split(b"\r", 1)
        return reply

    def closed_by_server(self, within: float = 5) -> bool:
        """True when the server closes the connection (EOF or reset) within the time."""
        self.sock.settimeout(within)
        try:
            while self.sock.recv(4096):
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close(self) -> None:
        self.sock.close()


def recording(**options: Any) -> ServerThread:
    Recorder.instances = []
    return ServerThread(session_factory=Recorder, **options)


class FramingTests(SimpleTestCase):
    def test_it_answers_two_messages_sent_in_one_write_in_order(self) -> None:
        with recording() as srv:
            kiosk = srv.connect()
            kiosk.send(LOGIN + b"\r" + SC_STATUS + b"\r")
            self.assertEqual(kiosk.reply(), b"ok:" + LOGIN)
            self.assertEqual(kiosk.reply(), b"ok:" + SC_STATUS)
            kiosk.close()

    def test_it_joins_a_message_that_arrives_in_three_writes(self) -> None:
        with recording() as srv:
            kiosk = srv.connect()
            kiosk.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for part in (SC_STATUS[:3], SC_STATUS[3:11], SC_STATUS[11:] + b"\r"):
                kiosk.send(part)
                time.sleep(0.05)  # separate reads on the server
            self.assertEqual(kiosk.reply(), b"ok:" + SC_STATUS)
            self.assertEqual(Recorder.instances[0].frames, [SC_STATUS])
            kiosk.close()

    def test_it_takes_cr_lf_and_a_bare_lf_as_the_end_of_a_message(self) -> None:
        with recording() as srv:
            kiosk = srv.connect()
            kiosk.send(b"one\r\ntwo\nthree\r")
            self.assertEqual([kiosk.reply() for _ in range(3)], [b"ok:one", b"ok:two", b"ok:three"])
            # CR at the end of one read, its LF at the start of the next: still one message.
            kiosk.send(b"four\r")
            time.sleep(0.05)
            kiosk.send(b"\nfive\r")
            self.assertEqual([kiosk.reply(), kiosk.reply()], [b"ok:four", b"ok:five"])
            kiosk.close()
            self.assertEqual(
                Recorder.instances[0].frames, [b"one", b"two", b"three", b"four", b"five"]
            )

    def test_it_passes_the_bytes_through_undecoded_for_the_session_to_check(self) -> None:
        gbk = "9300CN自助机|CO密码|AY0AZ".encode("gbk")
        with recording(encoding="gbk") as srv:
            kiosk = srv.connect()
            kiosk.send(gbk + b"\r\n")
            self.assertEqual(kiosk.reply(), b"ok:" + gbk)
            kiosk.close()
        self.assertEqual(Recorder.instances[0].encoding, "gbk")

    def test_it_closes_the_connection_when_the_session_says_so(self) -> None:
        with recording() as srv:
            kiosk = srv.connect()
            kiosk.send(b"bye\rnever answered\r")
            self.assertEqual(kiosk.reply(), b"ok:bye")
            self.assertTrue(kiosk.closed_by_server())
            self.assertEqual(Recorder.instances[0].frames, [b"bye"])

    def test_it_writes_nothing_when_the_session_has_no_answer(self) -> None:
        with recording() as srv:
            kiosk = srv.connect()
            kiosk.send(b"silent\rnext\r")
            self.assertEqual(kiosk.reply(), b"ok:next")
            kiosk.close()

    def test_it_closes_a_connection_sending_an_endless_message_and_serves_the_others(
        self,
    ) -> None:
        with recording(max_frame=1024) as srv:
            good = srv.connect()
            flood = srv.connect()
            with self.assertLogs("shuxiang.sip2", "INFO") as logs:
                flood.send(b"x" * 3000)
                self.assertTrue(flood.closed_by_server())
            self.assertIn("message longer than 1024 bytes", "\n".join(logs.output))
            good.send(SC_STATUS + b"\r")
            self.assertEqual(good.reply(), b"ok:" + SC_STATUS)
            late = srv.connect()
            late.send(b"hello\r")
            self.assertEqual(late.reply(), b"ok:hello")
            good.close()
            late.close()

    def test_it_refuses_a_terminated_message_over_the_limit_too(self) -> None:
        with recording(max_frame=1024) as srv:
            kiosk = srv.connect()
            kiosk.send(b"y" * 2000 + b"\r")
            self.assertTrue(kiosk.closed_by_server())
            self.assertEqual(Recorder.instances[0].frames, [])

    def test_it_closes_an_idle_connection_and_keeps_a_talking_one(self) -> None:
        with recording(idle_timeout=0.3) as srv:
            idle = srv.connect()
            talking = srv.connect()
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:  # an SC status every 0.1 s keeps it open
                talking.send(SC_STATUS + b"\r")
                self.assertEqual(talking.reply(), b"ok:" + SC_STATUS)
                time.sleep(0.1)
            self.assertTrue(idle.closed_by_server(within=0.1))
            talking.send(b"still here\r")
            self.assertEqual(talking.reply(), b"ok:still here")
            talking.close()

    def test_it_survives_garbage_and_a_session_that_raises(self) -> None:
        with recording() as srv:
            other = srv.connect()
            kiosk = srv.connect()
            with self.assertLogs("shuxiang.sip2", "ERROR") as logs:
                kiosk.send(bytes(range(256)) * 4 + b"\rboom\r")
                # The garbage is answered as bytes (the session decides), the bug closes it.
                self.assertTrue(kiosk.closed_by_server())
            self.assertIn("RuntimeError: a bug in a handler", "\n".join(logs.output))
            other.send(b"after\r")
            self.assertEqual(other.reply(), b"ok:after")
            other.close()

    def test_it_keeps_each_kiosk_its_own_session_and_answers_them_at_once(self) -> None:
        with recording() as srv:
            kiosks = [srv.connect() for _ in range(10)]
            started = time.monotonic()
            for n, kiosk in enumerate(kiosks):
                kiosk.send(b"slow\r" + f"kiosk {n}\r".encode())
            for n, kiosk in enumerate(kiosks):
                self.assertEqual(
                    [kiosk.reply(), kiosk.reply()], [b"ok:slow", f"ok:kiosk {n}".encode()]
                )
                kiosk.close()
            # Ten sessions each sleeping 0.2 s in their own threads, not one after the other.
            self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual(len(Recorder.instances), 10)
        self.assertEqual(len({r.peer for r in Recorder.instances}), 10)

    def test_it_logs_connections_with_the_peer_and_not_the_messages(self) -> None:
        with recording() as srv, self.assertLogs("shuxiang.sip2", "INFO") as logs:
            kiosk = srv.connect()
            kiosk.send(b"2300120260101    101010AOlib|AAP0001|ACsecret|AY1AZ0000\r")
            kiosk.reply()
            kiosk.close()
            _wait_for(lambda: any("ended" in line for line in logs.output))
        text = "\n".join(logs.output)
        self.assertIn("SIP2 connection from 127.0.0.1:", text)
        self.assertIn("closed by the kiosk", text)
        self.assertNotIn("P0001", text)
        self.assertNotIn("secret", text)

    def test_it_stops_with_kiosks_still_connected(self) -> None:
        srv = recording()
        with srv:
            kiosk = srv.connect()
            kiosk.send(b"hello\r")
            kiosk.reply()
        self.assertTrue(kiosk.closed_by_server(within=1))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1)


class SplitFramesTests(SimpleTestCase):
    def test_it_keeps_an_unfinished_message_for_the_next_read(self) -> None:
        self.assertEqual(server.split_frames(b"99003\r9300CN"), ([b"99003"], b"9300CN"))
        self.assertEqual(server.split_frames(b"a\r\n\r\nb\n\rc"), ([b"a", b"b"], b"c"))
        self.assertEqual(server.split_frames(b""), ([], b""))


def _wait_for(condition: Callable[[], bool], within: float = 5) -> None:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
