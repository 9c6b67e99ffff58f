"""What the activation, interception, plugin and credential-chain tests need beside helpers.py.

Whether a mock is answering, the network guard's record, a local HTTP server, a machine
with local credential servers, and the inner test modules of pytester runs. The fixtures
made of these (``network_guard``, ``local_server``, ``machine``) are in conftest.py.
"""

from __future__ import annotations

import http.server
import json
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import EndpointConnectionError
from helpers import ThreadedHTTP, closed_port, make_client

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")  # what the network guard lets through

# Inner pytest runs (pytester) leave out the cache and hypothesis's plugin (slow to load, unrelated).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


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


# -- a local HTTP server ---------------------------------------------------------------


class LocalServer(ThreadedHTTP):
    """A ThreadingHTTPServer on 127.0.0.1 that answers every request with ``reply`` as JSON,
    but a path of ``pages`` with that HTML page."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: dict[str, Any] = {}
        self.pages: dict[str, str] = {}
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
                page = owner.pages.get(self.path)
                payload = json.dumps(owner.reply).encode() if page is None else page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if page is None else "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", "local-server-request")
                for name, value in owner.extra_headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


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
