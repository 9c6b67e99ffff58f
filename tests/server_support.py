"""What the server tests share: requests over http.client and raw sockets, and headless Chromium.

Every request goes to 127.0.0.1 (or ::1). ``request`` and ``post`` send what a tool
would, ``send_raw`` sends bytes as they are (what no client would send). Chromium is
Debian's ``chromium`` package (.ci/run installs it); without it a test fails, saying so:
it never skips.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from helpers import DATASET, IDENTITY, NO_RETRIES, POOL, make_client

from cognito_sync_mock import CognitoSyncServer

JSON = {"Content-Type": "application/json"}


def address(server: CognitoSyncServer) -> tuple[str, int]:
    """(host, port) of a running server."""
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def client_for(server: CognitoSyncServer, region: str = "us-east-1") -> Any:
    """A boto3 cognito-sync client pointed at the server (dummy keys, one attempt)."""
    return make_client(region, endpoint_url=server.url)


def keyed_client(server: CognitoSyncServer, **credentials: Any) -> Any:
    """A client pointed at the server, signing with the given keys (one attempt)."""
    return boto3.client(
        "cognito-sync",
        region_name="us-east-1",
        endpoint_url=server.url,
        config=NO_RETRIES,
        **credentials,
    )


class Answer:
    """An HTTP answer read off a socket: status, headers (lower-case names), body, JSON."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()
        self.closed = response.will_close  # the answer said Connection: close
        self.closed_after = False  # the server closed the connection after it (send_raw only)

    @property
    def json(self) -> Any:
        assert self.headers["content-type"] == "application/json"
        return json.loads(self.body)

    @property
    def error(self) -> tuple[int, str, str]:
        """(status, x-amzn-ErrorType without the colon, message) of an error answer."""
        return self.status, self.headers["x-amzn-errortype"].rstrip(":"), self.json["message"]


def send_raw(server: CognitoSyncServer, data: bytes, half_close: bool = False, see_close: bool = False) -> Answer:
    """Send bytes as they are on a new connection and read one answer (``see_close``: and whether
    the server then closes the connection, waiting up to 2 s)."""
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = Answer(response)
        if see_close:
            sock.settimeout(2)
            try:
                answer.closed_after = sock.recv(1) == b""
            except socket.timeout:
                answer.closed_after = False
            except OSError:  # reset
                answer.closed_after = True
        return answer


def request(
    server: CognitoSyncServer, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request through http.client (no proxy, nothing added but Host and Content-Length)."""
    host, port = address(server)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def post(
    server: CognitoSyncServer, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """A control POST as a tool sends it: JSON (``headers`` are added)."""
    return request(server, "POST", path, body, {**JSON, **(headers or {})})


def records_path(pool: str = POOL, identity: str = IDENTITY, dataset: str = DATASET) -> str:
    return f"/identitypools/{pool}/identities/{identity}/datasets/{dataset}"


def still_answers(server: CognitoSyncServer) -> None:
    """The server survived: a boto3 call is answered."""
    unused = "us-east-1:00000000-0000-4000-8000-00000000ffff"
    assert client_for(server).list_datasets(IdentityPoolId=POOL, IdentityId=unused)["Count"] == 0


def chunked(*parts: bytes) -> bytes:
    """A chunked body of these chunks."""
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def client_env(**extra: str) -> dict[str, str]:
    """The environment of a client process: dummy keys, us-east-1, nothing read from ~/.aws."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDCLIENTTEST",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_PAGER="",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


# -- headless Chromium -------------------------------------------------------------------


BROWSERS = ("chromium", "chromium-browser")
# Nothing but the page: no first-run, sync, updates, pings or other background traffic.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--no-pings",
    "--disable-domain-reliability",
    "--virtual-time-budget=3000",
    "--dump-dom",
)


def chromium() -> str:
    """The Chromium executable; the test fails (never skips) when there is none."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "Headless Chromium is needed for the dashboard tests and is not on PATH: "
        "install Debian's package with `apt-get install -y chromium` (.ci/run does this)."
    )


def dump_dom(url: str, profile: Path, *flags: str) -> str:
    """The DOM of ``url`` after Chromium ran the page's scripts for 3 s of virtual time (``flags`` added)."""
    result = subprocess.run(
        [chromium(), *FLAGS, *flags, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"chromium exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout
