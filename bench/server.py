"""Server mode: ListRecords requests per second over one HTTP keep-alive connection.

One Python client (``http.client``, the same loop for both) against our
``CognitoSyncServer`` answering a 10-record ListRecords, and against moto's
``ThreadedMotoServer`` answering Lambda ListFunctions. Both servers run in this process,
in their own threads, so the figure is wall time.
"""

from __future__ import annotations

import http.client
import logging
import sys
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from _timing import WALL, Arm, Row, Settings, interleave

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
    backend = server.backend("us-east-1")
    token = backend.list_records(POOL, IDENTITY, DATASET)["SyncSessionToken"]
    patches = [
        {"Op": "replace", "Key": f"key-{i:02d}", "Value": f"value of key-{i:02d} " + "x" * 40, "SyncCount": 0}
        for i in range(10)
    ]
    backend.update_records(POOL, IDENTITY, DATASET, token, patches)
    parts = urlsplit(server.url)
    client = _Client(parts.hostname or "127.0.0.1", parts.port or 80, RECORDS_PATH, "cognito-sync")
    status, body = client.get()
    assert status == 200 and body.count(b'"Key"') == 10, (status, body[:200])
    return server, client


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
    try:
        ours_server, ours = _ours()
    except ImportError as exc:
        return Row(figure, "n/a", "n/a", None, ">= 1.5x", None, f"CognitoSyncServer not importable yet: {exc}")
    stops: list[Callable[[], None]] = [ours.close, ours_server.stop]
    try:
        arms = [Arm("ours", ours.run, warm=20)]
        moto_error = ""
        try:
            moto_server, moto = _moto()
            stops += [moto.close, moto_server.stop]
            arms.append(Arm("moto", moto.run, warm=20))
        except ImportError as exc:
            moto_error = f"moto's server is not installed (pip install 'moto[server]'): {exc}"
        n = settings.scale(500)
        results = interleave(arms, n, settings.rounds(9), clock=WALL)
    finally:
        for stop in reversed(stops):
            stop()
    ours_rate = 1 / results["ours"]
    if "moto" not in results:
        return Row(figure, f"{ours_rate:,.0f} req/s", "n/a", None, ">= 1.5x", None, moto_error)
    moto_rate = 1 / results["moto"]
    ratio = results.ratio("moto", "ours")  # seconds per request, paired by round: moto / ours
    met = ratio >= 1.5
    return Row(
        figure,
        f"{ours_rate:,.0f} req/s",
        f"{moto_rate:,.0f} req/s (moto)",
        ratio,
        ">= 1.5x",
        met,
        "" if met else "our server's request handling (http.server) bounds it; profile the server thread",
    )


def run(settings: Settings) -> list[Row]:
    return [server_row(settings)]


if __name__ == "__main__":
    from _timing import table

    print(table(run(Settings(quick="--quick" in sys.argv))))
