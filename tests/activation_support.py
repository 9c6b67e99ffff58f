"""Helpers for the activation, interception, time and plugin tests.

Import it as ``activation_support`` (tests/ is on sys.path under pytest's default import
mode, as for conftest).
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import EndpointConnectionError
from conftest import IDENTITY, OTHER_IDENTITY, POOL, REGION, ids, make_client

__all__ = ["IDENTITY", "OTHER_IDENTITY", "POOL", "REGION", "ids", "make_client"]

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

# Inner pytest runs (pytester) leave out the cache and hypothesis's plugin (slow to load, unrelated).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def write(
    client: Any, dataset: str, values: dict[str, str], pool: str = POOL, identity: str = IDENTITY
) -> dict[str, Any]:
    """Replace ``values`` in ``dataset`` (at the keys' current sync counts) in one UpdateRecords."""
    listed = client.list_records(**ids(pool, identity, dataset))
    counts = {record["Key"]: record["SyncCount"] for record in listed["Records"]}
    patches = [
        {"Op": "replace", "Key": key, "Value": value, "SyncCount": counts.get(key, 0)} for key, value in values.items()
    ]
    return client.update_records(
        **ids(pool, identity, dataset), SyncSessionToken=listed["SyncSessionToken"], RecordPatches=patches
    )


def dataset_names(client: Any, pool: str = POOL, identity: str = IDENTITY) -> list[str]:
    """The names ListDatasets returns for an identity."""
    return [d["DatasetName"] for d in client.list_datasets(IdentityPoolId=pool, IdentityId=identity)["Datasets"]]


# -- is a mock answering? --------------------------------------------------------------

_probe: list[Any] = []
_probe_lock = threading.Lock()


def mock_is_active() -> bool:
    """Whether a cognito-sync call is answered in-process (a read: it changes no state).

    Only call this with the network guard on: without a mock the call goes to the
    network, where the guard refuses it at once.
    """
    with _probe_lock:
        if not _probe:
            _probe.append(make_client("us-east-1"))
    try:
        _probe[0].list_datasets(
            IdentityPoolId="us-east-1:0000ffff-0000-4000-8000-00000000ffff",
            IdentityId="us-east-1:0000ffff-0000-4000-8000-00000000fffe",
        )
    except EndpointConnectionError:
        return False
    return True


# -- the network guard -----------------------------------------------------------------


class NetworkGuard:
    """Refuses every connection (and name lookup) that is not to the loopback address."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, Any]] = []


def _host_of(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


@pytest.fixture
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """No socket may leave the machine while this fixture is active; attempts are recorded."""
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in _LOCAL_HOSTS:
            guard.attempts.append(("getaddrinfo", host))
            raise socket.gaierror(socket.EAI_NONAME, f"network guard: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and _host_of(address) not in _LOCAL_HOSTS:
            guard.attempts.append(("connect", address))
            raise ConnectionRefusedError(f"network guard: no connection to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield guard


# -- a local HTTP server ---------------------------------------------------------------


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 that answers every request with ``reply`` as JSON."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: dict[str, Any] = {}
        self.extra_headers: dict[str, str] = {}
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                payload = json.dumps(owner.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", "local-server-request")
                for name, value in owner.extra_headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


def closed_port() -> int:
    """A loopback port where nothing listens (bound, never listening, kept for the process)."""
    if not _closed:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        _closed.append(sock)
    return int(_closed[0].getsockname()[1])


_closed: list[socket.socket] = []


# -- inner test modules (pytester) ---------------------------------------------------------

_INNER_HEADER = """
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from cognito_sync_mock import mock_cognito_sync

IDS = dict(IdentityPoolId="us-east-1:0000aaaa-0000-4000-8000-000000000001",
           IdentityId="us-east-1:0000aaaa-0000-4000-8000-000000000002")
CLIENT = boto3.client(  # made at import, before any mock: it is answered all the same
    "cognito-sync", region_name="us-east-1", endpoint_url="http://127.0.0.1:{port}",
    aws_access_key_id="test", aws_secret_access_key="test", config=Config(retries={{"total_max_attempts": 1}}),
)


def names():
    return sorted(d["DatasetName"] for d in CLIENT.list_datasets(**IDS)["Datasets"])


def write(name):
    token = CLIENT.list_records(**IDS, DatasetName=name)["SyncSessionToken"]
    CLIENT.update_records(**IDS, DatasetName=name, SyncSessionToken=token,
                          RecordPatches=[{{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}}])
"""


def inner_module(body: str) -> str:
    """A test module for an inner run: ``names()`` and ``write(name)`` through ``CLIENT``, whose
    endpoint is a closed loopback port (a request the mock does not answer fails at once), then
    ``body``."""
    return _INNER_HEADER.format(port=closed_port()) + textwrap.dedent(body)


CONTAINER_KEY = "ASIACONTAINERSERVER1"  # what the local container credentials server hands out


@dataclass
class Machine:
    """The two credential servers, and where the empty configuration files are."""

    imds: LocalServer
    container: LocalServer
    config_file: Path
    credentials_file: Path

    def requests(self) -> dict[str, list[str]]:
        """What each server was asked, as ``METHOD path``."""
        return {
            "imds": [f"{r['method']} {r['path']}" for r in self.imds.requests],
            "container": [f"{r['method']} {r['path']}" for r in self.container.requests],
        }


NOTHING_ASKED: dict[str, list[str]] = {"imds": [], "container": []}


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, network_guard: Any) -> Iterator[Machine]:
    """A machine with no AWS credentials whose metadata and container servers are local."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config_file, credentials_file = tmp_path / "config", tmp_path / "credentials"
    config_file.write_text("")
    credentials_file.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    imds, container = LocalServer(), LocalServer()
    container.reply = {
        "AccessKeyId": CONTAINER_KEY,
        "SecretAccessKey": "container-secret",
        "Token": "container-token",
        "Expiration": "2999-01-01T00:00:00Z",
    }
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{container.url}/credentials")
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
    try:
        yield Machine(imds, container, config_file, credentials_file)
    finally:
        imds.close()
        container.close()
    assert network_guard.attempts == []
