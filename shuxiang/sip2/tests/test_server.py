"""The SIP2 server's framing and robustness, over real sockets on loopback.

The framing tests put a recording session behind the server (it answers every message with
its own bytes), so that what is tested is only how bytes become messages and what happens to
a connection; the kiosk conversations further down use the real `handlers.Session`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import SimpleTestCase, TransactionTestCase
from pysip2 import codec, models
from Sip2.sip2 import Sip2

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog_services
from shuxiang.circulation import defaults as circulation_defaults
from shuxiang.circulation.models import CirculationEvent, Loan
from shuxiang.patrons.models import Patron, SchoolClass
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
        with recording(idle_timeout=0.5) as srv:
            idle = srv.connect()
            talking = srv.connect()
            deadline = time.monotonic() + 1.2
            while time.monotonic() < deadline:  # an SC status every 0.1 s keeps it open
                talking.send(SC_STATUS + b"\r")
                self.assertEqual(talking.reply(), b"ok:" + SC_STATUS)
                time.sleep(0.1)
            self.assertTrue(idle.closed_by_server(within=0.1))
            talking.send(b"still here\r")
            self.assertEqual(talking.reply(), b"ok:still here")
            talking.close()

    def test_it_closes_a_connection_whose_replies_are_never_read(self) -> None:
        with recording(idle_timeout=0.3) as srv:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", srv.port))
            kiosk = Kiosk(sock)
            sock.settimeout(2)
            with self.assertLogs("shuxiang.sip2", "INFO") as logs:
                with contextlib.suppress(OSError):  # the server stops reading, then closes
                    for _ in range(2000):
                        kiosk.send(b"z" * 8000 + b"\r")
                _wait_for(lambda: any("unread" in line for line in logs.output))
            self.assertIn("replies unread for 0.3 s", "\n".join(logs.output))
            self.assertTrue(kiosk.closed_by_server())

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

    def test_it_turns_away_connections_beyond_its_limit_and_keeps_the_open_ones(self) -> None:
        with recording(max_connections=2) as srv:
            first, second = srv.connect(), srv.connect()
            for kiosk in (first, second):
                kiosk.send(b"hello\r")
                self.assertEqual(kiosk.reply(), b"ok:hello")
            with self.assertLogs("shuxiang.sip2", "WARNING") as logs:
                third = srv.connect()
                self.assertTrue(third.closed_by_server())
            self.assertIn("refused: 2 connections open", logs.output[0])
            first.close()
            _wait_for(lambda: len(srv.server._connections) < 2)
            fourth = srv.connect()
            fourth.send(b"hello\r")
            self.assertEqual(fourth.reply(), b"ok:hello")
            second.send(b"still\r")
            self.assertEqual(second.reply(), b"ok:still")
            second.close()
            fourth.close()

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


# --------------------------------------------------------------------------- real kiosks

# Monday noon of a school week in the autumn term the fixture sets up.
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
KIOSK_USER, KIOSK_PASSWORD = "kiosk-1", "kiosk-pass-1"


class KioskSchool(TransactionTestCase):
    """A school with one kiosk login, a pupil (P0001), a teacher (P0002) and 《西游记》 in
    three copies, committed (the server's threads have their own connections), and a real
    SIP2 server on loopback with the real sessions behind it."""

    encoding = "utf-8"

    def setUp(self) -> None:
        traveller = time_machine.travel(NOON, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)
        catalog_services.ensure_default_locations()
        circulation_defaults.ensure_defaults(date(2026, 11, 2))
        lena = User.objects.create_user("lena", role=User.Role.LIBRARIAN)
        User.objects.create_user(KIOSK_USER, password=KIOSK_PASSWORD, role=User.Role.KIOSK)
        self.pupils = [
            Patron.objects.create(
                card_number=f"P{n:04d}",
                name=f"学生{n}",
                type=Patron.Type.STUDENT,
                school_class=SchoolClass.objects.get_or_create(
                    grade=5, number=2, enrolment_year=2022
                )[0],
                enrolment_year=2022,
            )
            for n in range(1, 21)
        ]
        self.journey = catalog_services.catalogue_record(
            catalog_services.RecordData.with_authors(
                "西游记", ["吴承恩"], publisher="人民文学出版社", year=2019, class_number="I242.4"
            ),
            [catalog_services.ItemData(barcode=f"T{n:04d}") for n in range(1, 21)],
            by=lena,
        )
        self.srv = ServerThread(encoding=self.encoding)
        self.srv.__enter__()
        self.addCleanup(self.srv.__exit__)

    def sip2_client(self) -> Sip2:
        """The PyPI `sip2` client, plain TCP, checksums and sequence numbers on."""
        client = Sip2()
        client.hostName, client.hostPort = "127.0.0.1", self.srv.port
        client.tlsEnable = False
        client.socketTimeout = 10
        client.log = logging.getLogger("sip2-client")  # its own would write sip2.log here
        client.connect()
        self.addCleanup(client.disconnect)
        return client


class Sip2ClientTests(KioskSchool):
    def test_the_sip2_client_logs_in_checks_a_patron_out_and_back_in(self) -> None:
        client = self.sip2_client()
        login = client.sip_login_response(
            client.get_response(client.sip_login_request(KIOSK_USER, KIOSK_PASSWORD))
        )
        self.assertEqual(login["fixed"]["Ok"], "1")

        client.patron = "P0001"
        status = client.sip_patron_status_response(
            client.get_response(client.sip_patron_status_request())
        )
        self.assertEqual(status["variable"]["AA"], ["P0001"])
        self.assertEqual(status["variable"]["BL"], ["Y"])  # a valid patron

        out = client.sip_checkout_response(
            client.get_response(client.sip_checkout_request("T0001"))
        )
        self.assertEqual(out["fixed"]["Ok"], "1", out)
        self.assertEqual(out["variable"]["AB"], ["T0001"])
        loan = Loan.objects.get(item__barcode="T0001", returned_at__isnull=True)
        self.assertEqual(loan.patron_id, self.pupils[0].pk)
        event = CirculationEvent.objects.get(item__barcode="T0001")
        self.assertEqual((event.via, event.station), ("sip2", KIOSK_USER))

        back = client.sip_checkin_response(client.get_response(client.sip_checkin_request("T0001")))
        self.assertEqual(back["fixed"]["Ok"], "1", back)
        loan.refresh_from_db()
        self.assertIsNotNone(loan.returned_at)

    def test_the_sip2_client_is_refused_an_unknown_copy_and_nothing_changes(self) -> None:
        client = self.sip2_client()
        client.get_response(client.sip_login_request(KIOSK_USER, KIOSK_PASSWORD))
        client.patron = "P0001"
        out = client.sip_checkout_response(
            client.get_response(client.sip_checkout_request("NOSUCH9"))
        )
        self.assertEqual(out["fixed"]["Ok"], "0")
        self.assertTrue(out["variable"].get("AF"), out)  # the reason, for the screen
        self.assertFalse(Loan.objects.exists())

    def test_twenty_kiosks_check_out_at_once_and_every_loan_is_kept(self) -> None:
        def kiosk(n: int) -> None:
            client = self.sip2_client()
            client.get_response(client.sip_login_request(KIOSK_USER, KIOSK_PASSWORD))
            client.patron = f"P{n + 1:04d}"
            reply = client.sip_checkout_response(
                client.get_response(client.sip_checkout_request(f"T{n + 1:04d}"))
            )
            self.assertEqual(reply["fixed"]["Ok"], "1", reply)

        with ThreadPoolExecutor(max_workers=20) as pool:
            for done in [pool.submit(kiosk, n) for n in range(20)]:
                done.result(timeout=60)
        loans = Loan.objects.filter(returned_at__isnull=True)
        self.assertEqual(
            sorted(loans.values_list("patron__card_number", "item__barcode")),
            [(f"P{n:04d}", f"T{n:04d}") for n in range(1, 21)],
        )


class GbkChecksumOracleTests(KioskSchool):
    """Requests built and replies checked by pysip2, a codec the project did not write: the
    checksum must be over the GBK bytes, not over the characters."""

    encoding = "gbk"

    def exchange(self, kiosk: Kiosk, message: Any, sequence: int) -> bytes:
        frame = codec.encode_message(
            message, sequence_number=sequence, checksum=True, encoding="gbk"
        )
        kiosk.send(frame)
        return kiosk.reply() + b"\r"

    def test_the_replies_with_a_chinese_title_carry_the_checksum_of_their_gbk_bytes(
        self,
    ) -> None:
        kiosk = self.srv.connect()
        self.addCleanup(kiosk.close)
        login = self.exchange(
            kiosk,
            models.LoginRequest(
                uid_algorithm="0",
                pwd_algorithm="0",
                login_user_id=KIOSK_USER,
                login_password=KIOSK_PASSWORD,
            ),
            0,
        )
        self.assertTrue(codec.verify_checksum(login[:-1]), login)
        self.assertTrue(login.startswith(b"941"), login)
        stamp = "20261123    120000"
        reply = self.exchange(
            kiosk,
            models.CheckoutRequest(
                sc_renewal_policy="N",
                no_block="N",
                transaction_date=stamp,
                nb_due_date=stamp,  # pysip2 insists on a date here; the due date is ours
                institution_id="",
                patron_identifier="P0001",
                item_identifier="T0001",
                terminal_password="",
            ),
            1,
        )
        self.assertIn("西游记".encode("gbk"), reply)
        self.assertTrue(codec.verify_checksum(reply[:-1]), reply)
        decoded = codec.decode_as(reply, models.CheckoutResponse, encoding="gbk")
        self.assertEqual(decoded.message.ok, "1")
        self.assertEqual(decoded.message.title_identifier, "西游记")
        self.assertEqual(decoded.sequence_number, 1)

        refused = self.exchange(
            kiosk,
            models.CheckoutRequest(
                sc_renewal_policy="N",
                no_block="N",
                transaction_date=stamp,
                nb_due_date=stamp,
                institution_id="",
                patron_identifier="P0002",
                item_identifier="T0001",
                terminal_password="",
            ),
            2,
        )
        decoded_refusal = codec.decode_as(refused, models.CheckoutResponse, encoding="gbk")
        self.assertEqual(decoded_refusal.message.ok, "0")
        self.assertIn("这本书已借出，请先还书。", decoded_refusal.message.screen_message)

        info = self.exchange(
            kiosk,
            models.ItemInformationRequest(
                transaction_date=stamp, institution_id="", item_identifier="T0001"
            ),
            3,
        )
        decoded_info = codec.decode_as(info, models.ItemInformationResponse, encoding="gbk")
        self.assertEqual(decoded_info.message.title_identifier, "西游记")
        self.assertEqual(decoded_info.message.circulation_status, "04")  # charged
