"""The AWS CLI against one server URL: Cognito Identity, then Cognito Sync with its credentials.

As an app does it: ``create-identity-pool``, ``get-id``, ``get-credentials-for-identity``
through moto's Cognito Identity on the server's URL, then ``cognito-sync`` signed with those
credentials; stream records read back with ``kinesis get-records``; ``sts`` and ``s3`` as
moto_server answers them. And a server whose process cannot import moto names the service
and the install command, which the CLI prints.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import DATASET, IDENTITY, NOT_VALID, POOL, ROLE_ARN, STREAM
from server_support import client_env
from test_server_clients import RUN_TIMEOUT, aws_cli

from cognito_sync_mock import CognitoSyncServer

__all__ = ["aws_cli"]  # the fixture, imported for pytest to find
DEVELOPER = {"AWS_ACCESS_KEY_ID": "AKIDGATEWAYCLI", "AWS_SECRET_ACCESS_KEY": "secret"}


class CLI:
    """The AWS CLI pointed at one URL."""

    def __init__(self, executable: Path, url: str) -> None:
        self.executable, self.url = executable, url

    def run(self, *args: str, keys: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        argv = [str(self.executable), "--endpoint-url", self.url, "--output", "json", *args]
        env = client_env(**(keys or DEVELOPER))
        return subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env)

    def ok(self, *args: str, keys: dict[str, str] | None = None) -> Any:
        result = self.run(*args, keys=keys)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    def text(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture
def hosting(request: pytest.FixtureRequest) -> Iterator[CognitoSyncServer]:
    with CognitoSyncServer(strict=bool(getattr(request, "param", False))) as server:
        server.reset()  # moto's backends are the process's
        yield server
        server.reset()


def identity_environment(cli: CLI, identity_id: str) -> dict[str, str]:
    """``get-credentials-for-identity``'s keys as the environment variables a process signs with."""
    answer = cli.ok("cognito-identity", "get-credentials-for-identity", "--identity-id", identity_id)
    credentials = answer["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def sync_args(pool_id: str, identity_id: str) -> list[str]:
    return ["--identity-pool-id", pool_id, "--identity-id", identity_id, "--dataset-name", DATASET]


def cli_write(cli: CLI, pool_id: str, identity_id: str, keys: dict[str, str], value: str) -> Any:
    listed = cli.ok("cognito-sync", "list-records", *sync_args(pool_id, identity_id), keys=keys)
    patches = json.dumps([{"Op": "replace", "Key": "level", "Value": value, "SyncCount": 0}])
    token = listed["SyncSessionToken"]
    return cli.ok(
        "cognito-sync",
        "update-records",
        *sync_args(pool_id, identity_id),
        "--sync-session-token",
        token,
        "--record-patches",
        patches,
        keys=keys,
    )


@pytest.mark.parametrize("hosting", [False, True], ids=["default", "strict"], indirect=True)
def test_the_aws_cli_gets_an_identity_and_syncs_with_its_credentials(aws_cli: Path, hosting: CognitoSyncServer) -> None:
    cli = CLI(aws_cli, hosting.url)
    pool = cli.ok(
        "cognito-identity", "create-identity-pool", "--identity-pool-name", "game", "--allow-unauthenticated-identities"
    )
    pool_id = pool["IdentityPoolId"]
    first = cli.ok("cognito-identity", "get-id", "--identity-pool-id", pool_id)["IdentityId"]
    second = cli.ok("cognito-identity", "get-id", "--identity-pool-id", pool_id)["IdentityId"]
    keys = identity_environment(cli, first)
    updated = cli_write(cli, pool_id, first, keys, "3")
    assert [(r["Key"], r["Value"], r["SyncCount"], r["LastModifiedBy"]) for r in updated["Records"]] == [
        ("level", "3", 1, first)  # written by the identity: its keys stand for it
    ]
    listed = cli.ok("cognito-sync", "list-records", *sync_args(pool_id, first), keys=keys)
    assert [(r["Key"], r["Value"]) for r in listed["Records"]] == [("level", "3")]

    others = cli.run("cognito-sync", "list-records", *sync_args(pool_id, first), keys=identity_environment(cli, second))
    if hosting.state.strict:
        assert (others.returncode, others.stdout) == (255, "")
        assert others.stderr.strip() == (
            f"An error occurred (NotAuthorizedException) when calling the ListRecords operation: {NOT_VALID}"
        )
    else:
        assert others.returncode == 0, others.stderr
        assert [r["Key"] for r in json.loads(others.stdout)["Records"]] == ["level"]


def test_stream_records_are_read_with_kinesis_get_records_on_the_same_url(
    aws_cli: Path, hosting: CognitoSyncServer
) -> None:
    cli = CLI(aws_cli, hosting.url)
    pool = ("cognito-identity", "create-identity-pool", "--identity-pool-name", "game")
    pool_id = cli.ok(*pool, "--allow-unauthenticated-identities")["IdentityPoolId"]
    identity_id = cli.ok("cognito-identity", "get-id", "--identity-pool-id", pool_id)["IdentityId"]
    cli.ok("kinesis", "create-stream", "--stream-name", STREAM, "--shard-count", "1")
    streams = json.dumps({"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"})
    cli.ok(
        "cognito-sync", "set-identity-pool-configuration", "--identity-pool-id", pool_id, "--cognito-streams", streams
    )
    cli_write(cli, pool_id, identity_id, identity_environment(cli, identity_id), "3")

    shard = cli.ok("kinesis", "describe-stream", "--stream-name", STREAM)["StreamDescription"]["Shards"][0]["ShardId"]
    position = ("--shard-id", shard, "--shard-iterator-type", "TRIM_HORIZON")
    iterator = cli.ok("kinesis", "get-shard-iterator", "--stream-name", STREAM, *position)["ShardIterator"]
    (record,) = cli.ok("kinesis", "get-records", "--shard-iterator", iterator)["Records"]
    assert record["PartitionKey"] == identity_id
    data = json.loads(base64.b64decode(record["Data"]))
    assert data == hosting.stream_records(STREAM)[0]
    assert (data["identityPoolId"], data["identityId"], data["operation"]) == (pool_id, identity_id, "replace")
    assert [(r["key"], r["value"], r["op"]) for r in data["kinesisSyncRecords"]] == [("level", "3", "replace")]


def test_sts_and_s3_answer_as_moto_server_answers(aws_cli: Path, hosting: CognitoSyncServer) -> None:
    cli = CLI(aws_cli, hosting.url)
    caller = cli.ok("sts", "get-caller-identity")
    assert (caller["Account"], caller["Arn"]) == ("123456789012", "arn:aws:sts::123456789012:user/moto")
    assert cli.text("s3", "mb", "s3://game-saves") == "make_bucket: game-saves\n"
    listing = cli.text("s3", "ls").splitlines()
    assert len(listing) == 1 and listing[0].endswith(" game-saves"), listing
    assert cli.ok("s3api", "list-buckets")["Buckets"][0]["Name"] == "game-saves"
    assert hosting.calls == []


# -- a server whose process cannot import moto ------------------------------------------------

NO_MOTO = (
    "import sys; sys.modules['moto'] = None\n"  # every import of moto fails, as where it is not installed
    "from cognito_sync_mock.cli import main\n"
    "sys.exit(main(['serve', '--port', '0']))\n"
)


@pytest.fixture
def moto_less_url() -> Iterator[str]:
    """The URL of a ``serve`` process in which moto cannot be imported."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", NO_MOTO], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the server printed nothing within 60 s"
        yield process.stdout.readline().strip()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_without_moto_the_cli_prints_the_service_and_the_install_command(aws_cli: Path, moto_less_url: str) -> None:
    cli = CLI(aws_cli, moto_less_url)
    hint = "moto's server is not installed: pip install 'cognito-sync-mock[server]'"
    cases = [
        (("sts", "get-caller-identity"), "GetCallerIdentity", "sts"),
        (("s3", "ls"), "ListBuckets", "s3"),
        (("cognito-identity", "list-identity-pools", "--max-results", "1"), "ListIdentityPools", "cognito-identity"),
    ]
    for args, operation, service in cases:
        result = cli.run(*args)
        assert (result.returncode, result.stdout) == (255, ""), result.stderr
        assert result.stderr.strip() == (
            f"An error occurred (NotImplemented) when calling the {operation} operation: cognito-sync-mock answers "
            f"only Cognito Sync here, not the service '{service}' (from the request's credential scope): {hint}"
        )
    listed = cli.ok("cognito-sync", "list-datasets", "--identity-pool-id", POOL, "--identity-id", IDENTITY)
    assert listed == {"Datasets": [], "Count": 0}
