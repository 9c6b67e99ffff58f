"""cheroot, the WSGI server a CognitoSyncServer runs its app on, with every bound set.

cheroot does the HTTP: framing, chunked bodies, 100-continue, keep-alive, a pool of
worker threads, and a selector that holds idle connections without a thread. It is the
``server`` extra, so this module is imported only when a server starts.

Four things are changed, three of them measured: a new connection waits in the selector, not in a
thread; its files are buffered in C, and an answer leaves in one send (cheroot's
pure-Python files and two sends per answer made it 0.75 times as fast as the stdlib
server it replaced, one client at a time); a connection whose client keeps sending stays
on its thread for a few milliseconds instead of a trip through the selector. And its idle
timeout runs on a monotonic clock that no test's clock freezer moves (``_Clock``).
"""

from __future__ import annotations

import io
import logging
import select
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable

from cheroot import connections, errors, wsgi
from cheroot import server as cheroot_server
from cheroot.server import ChunkedRFile, SizeCheckWrapper

from .. import __version__
from .app import DRAIN_BYTES
from .responses import Refusal

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("cognito_sync_mock.server")

BACKLOG = 128  # connections the kernel holds while none is accepted yet (cheroot's default: 5)
THREADS = 16  # requests answered at once; idle connections wait in the selector, not here
IDLE_SECONDS = 30  # a connection silent this long is closed (between requests, or within one: 408)
KEEP_ALIVE_LIMIT = 128  # idle connections kept open between requests; past it an answer closes its connection
LINGER_SECONDS = 0.005  # after an answer, how long a thread waits for the same client's next request
MAX_HEADER_BYTES = 64 * 1024  # request line and headers together (cheroot: 414 or 413, in text)


if sys.platform == "win32":
    _monotonic = time.monotonic
else:

    def _monotonic() -> float:
        return time.clock_gettime(time.CLOCK_MONOTONIC)  # freezegun and time-machine leave this clock alone


class _Clock:
    """The clock cheroot times idle connections by, in place of ``time``: a test's frozen clock must not.

    freezegun answers the frozen or the real time by who calls: cheroot stamped a connection
    with the frozen time and its selector compared it with the real one, so under
    ``freeze_time`` an in-process server closed each new connection within half a second,
    before its request came; under time-machine's frozen clock no idle connection ever closed.
    """

    sleep = staticmethod(time.sleep)
    time = staticmethod(_monotonic)


connections.time = _Clock  # type: ignore[attr-defined]  # cheroot reads its clock as connections.time.time()


class _Reader(io.BufferedReader):
    """A socket's reading end, buffered in C (cheroot's own is ``_pyio``: reading headers cost more than answering)."""

    def __init__(self, sock: socket.socket, size: int) -> None:
        super().__init__(socket.SocketIO(sock, "rb"), size)
        self._sock = sock

    def has_data(self) -> bool:
        """Whether a request is here already (cheroot's question), buffered or waiting in the socket."""
        timeout = self._sock.gettimeout()
        self._sock.setblocking(False)  # so that peek reads what the socket holds, or nothing
        try:
            return bool(self.peek(1))
        except OSError:
            return False  # reset: the selector, then the worker, see it
        finally:
            self._sock.settimeout(timeout)


class _Writer(io.BufferedWriter):
    """A socket's writing end, buffered in C: an answer's header block waits for its body, and both
    leave in one send (cheroot sends each write at once: two segments per answer, and the client
    woken twice). Anything else is sent at once, with what waited (a 100 Continue never waits)."""

    def __init__(self, sock: socket.socket, size: int) -> None:
        super().__init__(socket.SocketIO(sock, "wb"), size)

    def write(self, data: Any) -> int:
        written = super().write(data)
        if not (data.startswith(b"HTTP/") and data.endswith(b"\r\n\r\n") and data[9:10] != b"1"):
            self.flush()
        return written


def _files(sock: socket.socket, mode: str = "r", size: int = io.DEFAULT_BUFFER_SIZE) -> _Reader | _Writer:
    return _Reader(sock, size) if "r" in mode else _Writer(sock, 64 * 1024)


class _Connection(cheroot_server.HTTPConnection):
    """A connection with C-buffered files, that stays on its worker thread while its client keeps
    sending requests (a sequential client is answered without a trip through the selector)."""

    def __init__(self, server: Any, sock: socket.socket, makefile: Any = None) -> None:
        super().__init__(server, sock, _files)

    def communicate(self) -> bool:
        while True:
            keep: bool = super().communicate()  # type: ignore[no-untyped-call]  # cheroot types it loosely
            self.wfile.flush()  # the end of an answer: what waits leaves now
            if not keep:
                return False
            if not select.select([self.socket], [], [], LINGER_SECONDS)[0]:
                return True  # quiet: back to the selector (which takes a request already buffered at once)

    def close(self) -> None:
        try:
            self.wfile.flush()
        except OSError:  # the client went away: drop what waits, so that nothing tries again later
            self.wfile.raw.close()
        super().close()


class Cheroot(wsgi.Server):
    """cheroot's WSGI server, where a new connection waits in the selector until it sends something.

    cheroot hands each accepted connection to a worker thread at once, and the thread waits
    for the request: a few idle connections (a browser's spare ones) would hold every
    thread, and the next client would wait for their timeout.
    """

    ConnectionClass = _Connection

    def process_conn(self, conn: Any) -> None:
        if conn.last_used is None:  # just accepted: the selector hands it over once it is readable
            self.put_conn(conn)
        else:
            super().process_conn(conn)

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """cheroot's own reports (a client gone, a timeout) go to the debug log, never to stderr."""
        logger.debug("cheroot: %s", msg, exc_info=traceback)


def listen(app: WSGIApplication, host: str, port: int, max_body_bytes: int) -> tuple[Cheroot, threading.Thread]:
    """Bind ``host:port`` and answer with ``app`` from a background thread; the server and its thread."""
    server = Cheroot(
        (host, port),
        _bounded(app, max_body_bytes),
        numthreads=THREADS,
        server_name=f"cognito-sync-mock/{__version__}",
        request_queue_size=BACKLOG,
        timeout=IDLE_SECONDS,
        shutdown_timeout=1,
    )
    server.max_request_header_size = MAX_HEADER_BYTES
    server.max_request_body_size = max(max_body_bytes, DRAIN_BYTES)  # an announced body past it: 413 in text
    server.keep_alive_conn_limit = KEEP_ALIVE_LIMIT
    _in_a_daemon_thread(server.prepare)  # binds now (an error raises here); its workers are daemons
    thread = threading.Thread(target=server.serve, name=f"cognito-sync-mock-server:{server.bind_addr[1]}", daemon=True)
    thread.start()
    return server, thread


def _in_a_daemon_thread(func: Callable[[], None]) -> None:
    """Run ``func`` in a daemon thread and wait: threads it starts are daemons too, so a server
    never stopped does not keep the process alive (cheroot's own threads are not daemons)."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            func()
        except BaseException as failure:
            failures.append(failure)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _bounded(app: WSGIApplication, limit: int) -> WSGIApplication:
    """``app``, with a chunked body read within ``limit`` bytes, its framing included."""

    def bounded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        if isinstance(stream, ChunkedRFile):
            environ["wsgi.input"] = _ChunkedBody(stream, limit)
        return app(environ, start_response)

    return bounded


class _ChunkedBody:
    """cheroot's reader of a chunked body, bounded: alone it reads a size line or a chunk of any size."""

    def __init__(self, stream: ChunkedRFile, limit: int) -> None:
        stream.rfile = SizeCheckWrapper(stream.rfile, limit)  # size lines are read a piece at a time
        self._stream = stream
        self.bound(limit)

    def bound(self, limit: int) -> None:
        """Refuse the body past ``limit`` bytes (the app's limit for this request, once it knows the route)."""
        self._stream.maxlen = limit  # a chunk that would pass it is refused before it is read
        self._stream.rfile.maxlen = limit
        self._limit = limit

    def read(self, size: int) -> bytes:
        try:
            data: bytes = self._stream.read(size)
        except errors.MaxSizeExceeded:
            raise self._too_large() from None
        except ValueError as failure:
            raise Refusal(400, f"The chunked request body is malformed: {failure}") from None
        except OSError as failure:
            if type(failure) is OSError:  # cheroot's "Request Entity Too Large"; timeouts are subclasses
                raise self._too_large() from None
            raise
        return data

    def _too_large(self) -> Refusal:
        return Refusal(413, f"The chunked request body is larger than the limit of {self._limit} bytes")
