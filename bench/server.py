"""Server mode: requests per second over one keep-alive connection, and a burst of first calls.

Requests per second: a Python client (the same loop for both: a prepared request sent on
a socket and the answer read by its Content-Length, cheap enough that the servers are what
is measured; CLIENTS keep-alive connections at once) against
our ``CognitoSyncServer`` answering a 10-record ListRecords, and against moto's
``ThreadedMotoServer`` answering Lambda ListFunctions. Both servers run in this process,
in their own threads; the client runs in a process of its own, as an app under test does,
so that it does not share the servers' interpreter lock. The figure is wall time. moto's server is part of the dev extra
(``moto[server]``): without it the row fails loudly rather than show no ratio.

The burst: 64 clients (threads, each with its own new connection) make their first call
at the same moment on a server just started; the figure is the slowest answer of the 64.
"""

from __future__ import annotations

import http.client
import logging
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from _timing import WALL, Arm, Row, Settings, interleave, median

BURST = 64
BURST_TARGET = 0.5  # seconds: the slowest of the 64 first answers
RATE_TARGET = 8.0  # our requests/s over moto's

POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b1"
DATASET = "bench"
RECORDS_PATH = f"/identitypools/{quote(POOL, safe='')}/identities/{quote(IDENTITY, safe='')}/datasets/{DATASET}/records"
FUNCTIONS_PATH = "/2015-03-31/functions/"


def signed_looking(service: str, host: str) -> dict[str, str]:
    """Headers like a SigV4-signed botocore request (the signature itself is not checked)."""
    return {
        "Host": host,
        "X-Amz-Date": "20250101T000000Z",
        "User-Agent": "bench/1.0",
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
        ),
    }


class _Client:
    """One keep-alive connection making the same GET again and again."""

    def __init__(self, host: str, port: int, path: str, service: str) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.path = path
        self.headers = signed_looking(service, f"{host}:{port}")

    def get(self) -> tuple[int, bytes]:
        self.conn.request("GET", self.path, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


CLIENTS = 4  # keep-alive connections of the client process, each on a thread of its own

_CLIENT_PROCESS = """
import socket, sys, threading

def connect(host, port):
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock

def requests(host, port, message, n, slot, connections):
    sock = connections[slot]
    for _ in range(n):
        sock.sendall(message)
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\\r\\n\\r\\n")
        lines = head.lower().split(b"\\r\\n")
        length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:"))
        while len(body) < length:
            body += sock.recv(65536)
        if b"connection: close" in lines:
            sock.close()
            sock = connections[slot] = connect(host, port)

pools = {}
for line in sys.stdin:
    host, port, path, n = line.split()
    key = (host, port, path)
    if key not in pools:
        pools[key] = [connect(host, int(port)) for _ in range(CLIENTS)]
    head = "".join(f"{name}: {value}\\r\\n" for name, value in HEADERS[path].items())
    message = f"GET {path} HTTP/1.1\\r\\nHost: {host}:{port}\\r\\n{head}\\r\\n".encode()
    each = -(-int(n) // CLIENTS)
    threads = [
        threading.Thread(target=requests, args=(host, int(port), message, each, slot, pools[key]))
        for slot in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("done", flush=True)
"""


class _ClientProcess:
    """A client in a process of its own, making the same GET ``n`` times on each ``run(n)``."""

    def __init__(self, targets: dict[str, str]) -> None:
        program = f"HEADERS = {targets!r}\nCLIENTS = {CLIENTS}\n" + _CLIENT_PROCESS
        self.process = subprocess.Popen(
            [sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def runner(self, client: _Client) -> Callable[[int], None]:
        """``run(n)`` for one target: the requests go from the client process over its own connection."""
        host, port = client.conn.host, client.conn.port

        def run(n: int) -> None:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(f"{host} {port} {client.path} {n}\n")
            self.process.stdin.flush()
            if self.process.stdout.readline() != "done\n":
                raise RuntimeError("the benchmark's client process failed")

        return run

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


def _ours() -> tuple[Any, _Client]:
    from cognito_sync_mock import CognitoSyncServer

    server = CognitoSyncServer(port=0)
    server.start()
    _seed(server)
    parts = urlsplit(server.url)
    client = _Client(parts.hostname or "127.0.0.1", parts.port or 80, RECORDS_PATH, "cognito-sync")
    status, body = client.get()
    assert status == 200 and body.count(b'"Key"') == 10, (status, body[:200])
    return server, client


def _seed(server: Any) -> None:
    """A 10-record dataset, written through the backend."""
    backend = server.backend("us-east-1")
    token = backend.list_records(POOL, IDENTITY, DATASET)["SyncSessionToken"]
    patches = [
        {"Op": "replace", "Key": f"key-{i:02d}", "Value": f"value of key-{i:02d} " + "x" * 40, "SyncCount": 0}
        for i in range(10)
    ]
    backend.update_records(POOL, IDENTITY, DATASET, token, patches)


def _moto() -> tuple[Any, _Client]:
    from moto.server import ThreadedMotoServer

    # Quiet werkzeug's line per request, so moto is not charged for writing to stderr
    # (ours logs each request at INFO level to a logger nobody listens to).
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = _Client(host, port, FUNCTIONS_PATH, "lambda")
    status, body = client.get()
    assert status == 200 and b"Functions" in body, (status, body[:200])
    return server, client


def server_row(settings: Settings) -> Row:
    figure = "server mode: requests/s over keep-alive, ours (ListRecords) / moto (Lambda ListFunctions)"
    target = f">= {RATE_TARGET:g}x"
    ours_server, ours = _ours()
    stops: list[Callable[[], None]] = [ours.close, ours_server.stop]
    try:
        try:
            moto_server, moto = _moto()
        except ImportError as exc:
            raise RuntimeError(
                f"moto's server is missing: pip install 'moto[server]' (the dev extra has it): {exc}"
            ) from exc
        stops += [moto.close, moto_server.stop]
        headers = {ours.path: _without_host(ours.headers), moto.path: _without_host(moto.headers)}
        remote = _ClientProcess(headers)
        stops.append(remote.close)
        arms = [Arm("ours", remote.runner(ours), warm=20), Arm("moto", remote.runner(moto), warm=20)]
        results = interleave(arms, settings.scale(500), settings.rounds(9), clock=WALL)
    finally:
        for stop in reversed(stops):
            stop()
    ratio = results.ratio("moto", "ours")  # seconds per request, paired by round: moto / ours
    met = ratio >= RATE_TARGET
    return Row(
        figure,
        f"{1 / results['ours']:,.0f} req/s",
        f"{1 / results['moto']:,.0f} req/s (moto)",
        ratio,
        target,
        met,
        ""
        if met
        else "the server's work per request against moto's: profile ListRecords through make_app (our app) "
        "and host.py (cheroot's part)",
    )


def _without_host(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "Host"}


def _burst(server: Any) -> list[float]:
    """Each of BURST new connections makes its first call at once; the seconds each waited for its answer."""
    parts = urlsplit(server.url)
    clients = [
        _Client(parts.hostname or "127.0.0.1", parts.port or 80, RECORDS_PATH, "cognito-sync") for _ in range(BURST)
    ]
    barrier = threading.Barrier(BURST)
    waited: list[float] = []
    failures: list[BaseException] = []

    def first_call(client: _Client) -> None:
        try:
            barrier.wait(30)
            started = time.perf_counter()
            status, _ = client.get()  # connects, sends, reads the answer
            waited.append(time.perf_counter() - started)
            assert status == 200, status
        except BaseException as exc:
            failures.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=first_call, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if failures or len(waited) != BURST:
        raise RuntimeError(f"{len(waited)} of {BURST} first calls answered; failures: {failures[:3]}")
    return waited


def burst_row(settings: Settings) -> Row:
    from cognito_sync_mock import CognitoSyncServer

    slowest: list[float] = []
    everyone: list[float] = []
    for _ in range(settings.rounds(9)):
        with CognitoSyncServer(port=0) as server:  # a fresh server each round
            _seed(server)
            waited = _burst(server)
        slowest.append(max(waited))
        everyone += waited
    figure = f"{BURST} clients connecting at once: all answered within {BURST_TARGET} s"
    value = median(slowest)
    met = value <= BURST_TARGET
    return Row(
        figure,
        f"{value:.3f} s (slowest of {BURST})",
        "",
        None,
        f"<= {BURST_TARGET} s",
        met,
        "" if met else "the server's threads answer the burst one after another (GIL); profile a burst",
        f"median of {len(slowest)} fresh servers; slowest round {max(slowest):.3f} s, "
        f"median wait of all {len(everyone)} calls {statistics.median(everyone):.3f} s",
    )


def run(settings: Settings) -> list[Row]:
    return [burst_row(settings), server_row(settings)]


if __name__ == "__main__":
    from _timing import table

    print(table(run(Settings(quick="--quick" in sys.argv))))
