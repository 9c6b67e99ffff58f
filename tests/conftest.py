"""The tests' fixtures, every one of them; the names they share are in helpers.py.

A fixture that several test modules use is here; one that a single module uses may stay
in it, under a name no fixture here has. Test modules import from ``helpers``, never from
this file.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest
from activation_support import CONTAINER_KEY, LOCAL_HOSTS, LocalServer, Machine, NetworkGuard, mock_is_active
from helpers import IDENTITY, NO_RETRIES, POOL, REGION, make_client
from install_support import npm_packages

pytest_plugins = ["pytester"]  # the plugin and the class decorator are tested on real inner runs


# -- clients under the ``cognito_sync`` fixture's mock -------------------------------------


@pytest.fixture
def client(cognito_sync: Any) -> Any:
    """A client (developer keys) under the ``cognito_sync`` fixture's mock."""
    return make_client()


@pytest.fixture
def identity_client(cognito_sync: Any) -> Any:
    """A client signed with Cognito Identity credentials of IDENTITY, under the mock (one attempt per call)."""
    return cognito_sync.identity_client(POOL, IDENTITY, config=NO_RETRIES)


@pytest.fixture
def unvalidated_client(cognito_sync: Any) -> Any:
    """A client that sends whatever it is given: the mock alone validates."""
    return make_client(parameter_validation=False)


@pytest.fixture
def backend(cognito_sync: Any) -> Any:
    """The mock's backend for the default account and us-east-1."""
    return cognito_sync.backend(REGION)


@pytest.fixture(scope="module")
def plain_client() -> Any:
    """One client for a module, made before any mock starts (default endpoint, us-east-1):
    whichever mock is active when it calls answers it."""
    return make_client()


# -- the network ---------------------------------------------------------------------------


@pytest.fixture
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """No socket may leave the machine while this fixture is active; attempts are recorded."""
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in LOCAL_HOSTS:
            guard.attempts.append(("getaddrinfo", host))
            raise socket.gaierror(socket.EAI_NONAME, f"network guard: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and _host_of(address) not in LOCAL_HOSTS:
            guard.attempts.append(("connect", address))
            raise ConnectionRefusedError(f"network guard: no connection to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield guard


def _host_of(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


@pytest.fixture
def offline_and_no_mock_left(network_guard: NetworkGuard) -> Iterator[NetworkGuard]:
    """The network refused, and no mock active before the test or after it."""
    assert not mock_is_active(), "a mock was left active before this test"
    network_guard.attempts.clear()  # the probe's own refused lookup
    yield network_guard
    assert not mock_is_active(), "a mock was left active after this test"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """tests/js/package.json installed with npm into the cache; its node_modules folder."""
    return npm_packages(Path(__file__).parent / "js" / "package.json")


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A local HTTP server answering every request with its ``reply`` as JSON."""
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, network_guard: NetworkGuard) -> Iterator[Machine]:
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
