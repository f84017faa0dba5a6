"""The SIP2 TCP server: framing, timeouts and threads around `handlers.Session`.

Each kiosk connection reads bytes, cuts them into messages at CR (a following LF is dropped;
a bare LF also ends a message, as some kiosks send it), hands every message to its own
`Session` and writes the reply. The ORM is synchronous, so each connection has one worker
thread of its own: its messages are answered in order, its database connection belongs to
that thread and is closed when the kiosk goes. Whatever goes wrong inside a connection is
logged and ends that connection only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from django.db import close_old_connections, connections

log = logging.getLogger("shuxiang.sip2")

# A SIP2 message is a few hundred bytes; a patron information reply with item lists a few
# thousand. Anything longer without a terminator is not a kiosk talking.
MAX_FRAME_BYTES = 8192
# A kiosk sends SC status every minute or so while it stands idle; ten silent minutes mean it
# has gone (switched off, cable pulled) and its connection only holds a thread.
IDLE_TIMEOUT_SECONDS = 600.0
# Each kiosk holds a thread and a database connection; a school has a handful of kiosks, so
# hundreds of connections mean something is looping on connect.
MAX_CONNECTIONS = 100
READ_CHUNK = 4096
TERMINATOR = re.compile(rb"\r\n?|\n")


class Responder(Protocol):
    def respond(self, frame: bytes) -> tuple[bytes | None, bool]: ...


SessionFactory = Callable[..., Responder]


def split_frames(buffer: bytes) -> tuple[list[bytes], bytes]:
    """The complete messages in buffer (without terminators, empty ones dropped) and the rest.

    A CR at the very end may be followed by an LF in the next read: that LF then ends an empty
    message, which is dropped, so CR LF split across reads is one terminator too."""
    parts = TERMINATOR.split(buffer)
    rest = parts.pop()
    return [p for p in parts if p], rest


def default_session_factory() -> SessionFactory:
    from shuxiang.sip2.handlers import Session

    return Session


class Sip2Server:
    """One listening socket; every connection is independent of the others."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        encoding: str,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        max_frame: int = MAX_FRAME_BYTES,
        max_connections: int = MAX_CONNECTIONS,
        session_factory: SessionFactory | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.encoding = encoding
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.max_connections = max_connections
        self.session_factory = session_factory or default_session_factory()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = False

    async def start(self) -> tuple[str, int]:
        """Listen; the address actually bound (port 0 picks a free one). OSError if taken."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def serve_until(self, stop: asyncio.Event) -> None:
        await stop.wait()
        await self.close()

    async def close(self) -> None:
        """Stop listening, end every kiosk's connection, wait for their threads to finish."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=10)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.max_connections:
            log.warning(
                "SIP2 connection from %s refused: %d connections open",
                _peer(writer),
                len(self._connections),
            )
            writer.close()
            return
        self._connections.add(task)
        self._writers.add(writer)
        try:
            await self._serve_connection(reader, writer)
        finally:
            self._writers.discard(writer)
            self._connections.discard(task)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = _peer(writer)
        log.info("SIP2 connection from %s", peer)
        # One thread per kiosk: its messages in order, its own database connection.
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sip2 {peer}")
        loop = asyncio.get_running_loop()
        why = "closed by the kiosk"
        try:
            session = await loop.run_in_executor(worker, self._new_session, peer)
            why = await self._converse(reader, writer, session, worker)
        except (ConnectionError, asyncio.CancelledError):
            why = "connection lost"
        except Exception:
            log.exception("SIP2 connection from %s failed", peer)
            why = "error"
        finally:
            with contextlib.suppress(Exception):
                await loop.run_in_executor(worker, connections.close_all)
            worker.shutdown(wait=False)
            log.info("SIP2 connection from %s ended: %s", peer, why)
            await self._hang_up(writer)

    async def _hang_up(self, writer: asyncio.StreamWriter) -> None:
        """Close after the last reply has gone out; drop what a kiosk never reads."""
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), min(self.idle_timeout, 10))
        except TimeoutError:
            writer.transport.abort()
        except OSError:
            pass  # the kiosk has gone already: nothing left to close

    def _new_session(self, peer: str) -> Responder:
        return self.session_factory(encoding=self.encoding, peer=peer)

    async def _converse(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: Responder,
        worker: ThreadPoolExecutor,
    ) -> str:
        """Read, answer, repeat; the reason the conversation ended."""
        loop = asyncio.get_running_loop()
        buffer = b""
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(READ_CHUNK), self.idle_timeout)
            except TimeoutError:
                return f"idle for {self.idle_timeout:g} s"
            if not chunk:
                return "server stopping" if self._stopping else "closed by the kiosk"
            frames, buffer = split_frames(buffer + chunk)
            too_long = [f for f in frames if len(f) > self.max_frame]
            if too_long or len(buffer) > self.max_frame:
                return f"message longer than {self.max_frame} bytes"
            for frame in frames:
                reply, close = await loop.run_in_executor(worker, _answer, session, frame)
                if reply:
                    writer.write(reply)
                    # A kiosk that sends but never reads would hold the connection forever.
                    try:
                        await asyncio.wait_for(writer.drain(), self.idle_timeout)
                    except TimeoutError:
                        return f"replies unread for {self.idle_timeout:g} s"
                if close:
                    return "ended by the session"


def _answer(session: Responder, frame: bytes) -> tuple[bytes | None, bool]:
    # As a request does: a connection broken or past its age is replaced before the work.
    close_old_connections()
    try:
        return session.respond(frame)
    finally:
        close_old_connections()


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address or "?")


def run(server: Sip2Server, *, on_listening: Callable[[str, int], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then close every connection and return.

    OSError (the port is taken, the address is not ours) reaches the caller before any
    connection is accepted."""

    async def main() -> None:
        host, port = await server.start()
        if on_listening is not None:
            on_listening(host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.serve_until(stop)

    asyncio.run(main())
