"""No credential look-up leaves the machine while a mock is active (SPEC 12).

Every test here runs on a machine with no AWS credentials: no AWS_* variable, empty config
and credentials files, and botocore's two network sources of credentials pointed at local
servers that record every request, the instance metadata service (by
AWS_EC2_METADATA_SERVICE_ENDPOINT) and the container endpoint (by
AWS_CONTAINER_CREDENTIALS_FULL_URI). The container server hands out real-looking keys,
so a look-up that reached it would be seen in the keys too. Any other connection is
refused by the network guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import boto3
import botocore.session
import pytest
from activation_support import IDENTITY, POOL, LocalServer, network_guard, write
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import NoCredentialsError

from cognito_sync_mock import mock_cognito_sync

__all__ = ["network_guard"]

NO_RETRIES = Config(retries={"total_max_attempts": 1})
CONTAINER_KEY = "ASIACONTAINERSERVER1"
USER_KEY = "AKIAUSERCONFIGURED01"
USER_ACCOUNT = "222233334444"


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


def session() -> boto3.session.Session:
    """A new session: it looks for credentials afresh, in the environment of the moment."""
    return boto3.session.Session(botocore_session=botocore.session.Session())


def datasets(client: Any) -> int:
    return int(client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Count"])


def test_without_a_mock_botocore_asks_both_servers(machine: Machine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-up works: without a mock, botocore's chain reaches the local servers."""
    credentials = session().get_credentials()
    assert credentials is not None and credentials.access_key == CONTAINER_KEY
    assert machine.requests() == {"imds": [], "container": ["GET /credentials"]}
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    assert session().get_credentials() is None  # the local metadata server holds no role
    assert machine.requests()["imds"][0] == "PUT /latest/api/token"


def test_a_client_made_under_the_mock_asks_no_server_and_is_answered(machine: Machine) -> None:
    with mock_cognito_sync() as mock:
        fresh = session()
        assert fresh.get_credentials() is None
        client = fresh.client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
        write(client, "game", {"level": "3"})
        assert datasets(client) == 1
    assert machine.requests() == NOTHING_ASKED
    assert [(call.operation, call.error) for call in mock.calls] == [
        ("ListRecords", None),
        ("UpdateRecords", None),
        ("ListDatasets", None),
    ]
    # Nothing was kept: once the mock is off, a new session looks as botocore always does.
    assert session().get_credentials().access_key == CONTAINER_KEY  # type: ignore[union-attr]
    assert machine.requests() == {"imds": [], "container": ["GET /credentials"]}


def test_a_client_made_before_the_mock_with_no_credentials_is_answered(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as nowhere:  # a machine where botocore finds no credentials at all
        nowhere.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        nowhere.setenv("AWS_EC2_METADATA_DISABLED", "true")
        client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
    with pytest.raises(NoCredentialsError):
        datasets(client)
    with mock_cognito_sync() as mock:
        write(client, "game", {"level": "3"})
        assert datasets(client) == 1
    with pytest.raises(NoCredentialsError):  # the dummy keys were lent for the mock's requests only
        datasets(client)
    assert [call.operation for call in mock.calls] == ["ListRecords", "UpdateRecords", "ListDatasets"]
    assert machine.requests() == NOTHING_ASKED


def test_other_services_get_no_dummy_keys(machine: Machine) -> None:
    """Only cognito-sync requests are signed with the mock's keys: other services are the user's."""
    with mock_cognito_sync():
        s3 = session().client("s3", region_name="us-east-1", config=NO_RETRIES)
        with pytest.raises(NoCredentialsError):
            s3.list_buckets()
    assert machine.requests() == NOTHING_ASKED


def _configure(how: str, machine: Machine, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Give botocore the user's key in one of the ways a user does; the client arguments it needs."""
    if how == "environment":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", USER_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "user-secret")
    elif how == "credentials file":
        machine.credentials_file.write_text(
            f"[default]\naws_access_key_id = {USER_KEY}\naws_secret_access_key = user-secret\n"
        )
    elif how == "config file profile":
        machine.config_file.write_text(
            f"[profile player]\naws_access_key_id = {USER_KEY}\naws_secret_access_key = user-secret\n"
        )
        monkeypatch.setenv("AWS_PROFILE", "player")
    else:
        return {"aws_access_key_id": USER_KEY, "aws_secret_access_key": "user-secret"}
    return {}


HOW = ["environment", "credentials file", "config file profile", "explicit"]


@pytest.mark.parametrize("before", [False, True], ids=["client-under-the-mock", "client-before-the-mock"])
@pytest.mark.parametrize("how", HOW)
def test_the_users_own_credentials_sign_the_requests(
    how: str, before: bool, machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments = _configure(how, machine, monkeypatch)
    mock = mock_cognito_sync()
    if before:
        client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES, **arguments)
    with mock:
        if not before:
            client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES, **arguments)
        mock.map_access_key(USER_KEY, USER_ACCOUNT)  # the user's key, and only it, reaches this account
        write(client, "game", {"level": "3"})
        stored = mock.backend("us-east-1", account_id=USER_ACCOUNT).dataset(POOL, IDENTITY, "game")
        assert stored.sync_count == 1
        assert mock.backend("us-east-1").pools == {}  # nothing in the mock's own account
    assert machine.requests() == NOTHING_ASKED


# -- aiobotocore -------------------------------------------------------------------------------

FIRST_ASYNC_CLIENT = textwrap.dedent(
    """
    import asyncio, json, socket, sys

    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"network refused in this test: {address!r}")
        return real_connect(sock, address)

    socket.socket.connect = loopback_only

    from cognito_sync_mock import mock_cognito_sync

    with mock_cognito_sync() as mock:
        assert "aiobotocore" not in sys.modules, "imported too early"
        from aiobotocore.session import get_session
        from botocore.config import Config

        async def main():
            session = get_session()
            credentials = await session.get_credentials()
            async with session.create_client(
                "cognito-sync", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
            ) as client:
                listed = await client.list_datasets(IdentityPoolId=sys.argv[1], IdentityId=sys.argv[2])
            return {"credentials": credentials, "count": listed["Count"]}

        out = asyncio.run(main())
    out["calls"] = [[c.operation, c.error] for c in mock.calls]
    print(json.dumps(out))
    """
)


def test_the_first_aiobotocore_client_under_the_mock_asks_no_server(machine: Machine) -> None:
    """aiobotocore imported only after the mock started, in a process of its own, no keys anywhere."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ASYNC_CLIENT, POOL, IDENTITY], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "credentials": None,
        "count": 0,
        "calls": [["ListDatasets", None]],
    }
    assert machine.requests() == NOTHING_ASKED


def test_an_aiobotocore_client_made_before_the_mock_with_no_credentials_is_answered(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> list[str]:
        outcomes = []
        with monkeypatch.context() as nowhere:
            nowhere.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            nowhere.setenv("AWS_EC2_METADATA_DISABLED", "true")
            made = get_session().create_client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
            client = await made.__aenter__()
        try:
            for mocked in (False, True, False):
                try:
                    with mock_cognito_sync() if mocked else contextlib.nullcontext():
                        listed = await client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
                    outcomes.append(f"answered, {listed['Count']} datasets")
                except NoCredentialsError:
                    outcomes.append("NoCredentialsError")
        finally:
            await made.__aexit__(None, None, None)
        return outcomes

    assert asyncio.run(scenario()) == ["NoCredentialsError", "answered, 0 datasets", "NoCredentialsError"]
    assert machine.requests() == NOTHING_ASKED
