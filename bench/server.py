"""Server mode: requests per second over one keep-alive connection, and a burst of first calls.

Requests per second: one Python client (``http.client``, the same loop for both) against
our ``CognitoSyncServer`` answering a 10-record ListRecords, and against moto's
``ThreadedMotoServer`` answering Lambda ListFunctions. Both servers run in this process,
in their own threads, so the figure is wall time. moto's server is part of the dev extra
(``moto[server]``): without it the row fails loudly rather than show no ratio.

The burst: 64 clients (threads, each with its own new connection) make their first call
at the same moment on a server just started; the figure is the slowest answer of the 64.
"""

from __future__ import annotations

import http.client
import logging
import statistics
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

    def run(self, n: int) -> None:
        request, getresponse, path, headers = self.conn.request, self.conn.getresponse, self.path, self.headers
        for _ in range(n):
            request("GET", path, headers=headers)
            getresponse().read()

    def close(self) -> None:
        self.conn.close()


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
        arms = [Arm("ours", ours.run, warm=20), Arm("moto", moto.run, warm=20)]
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
        else "the hand-overs between the client's and the server's threads, which a loaded machine delays "
        "(moto's answer is CPU, which it delays less); compare the stdlib server's figure in the same conditions",
    )


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
