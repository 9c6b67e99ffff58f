"""Interception: which requests the mock answers, and which it lets through (SPEC 1, 9, 11)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import boto3
import botocore
import botocore.endpoint
import pytest
from activation_support import mock_is_active
from botocore.exceptions import EndpointConnectionError
from helpers import IDENTITY, POOL, closed_port, dataset_names, ids, make_client, write

from cognito_sync_mock import mock_cognito_sync

pytestmark = pytest.mark.usefixtures("offline_and_no_mock_left")  # the network refused; no mock open before or after


def describe_in(mock: mock_cognito_sync, region: str, dataset: str = "game") -> int:
    """NumRecords of a dataset in a region's backend, through the mock's Python API."""
    result = mock.backend(region).describe_dataset(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=dataset)
    return int(result["Dataset"]["NumRecords"])


# -- clients made before the mock ------------------------------------------------------


def test_client_created_before_the_mock_started() -> None:
    early = make_client()
    with mock_cognito_sync() as mock:
        listed = early.list_records(**ids())
        assert listed["DatasetExists"] is False
        assert listed["Records"] == []
        assert listed["SyncSessionToken"]
        assert [(c.operation, c.error) for c in mock.calls] == [("ListRecords", None)]


SCRIPT = textwrap.dedent(
    """
    import json, socket, sys

    def refuse(*args, **kwargs):
        raise OSError("network refused in this test")

    socket.getaddrinfo = refuse
    socket.socket.connect = refuse

    import boto3
    from botocore.config import Config

    client = boto3.client(
        "cognito-sync", region_name="eu-west-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}),
    )
    assert "cognito_sync_mock" not in sys.modules
    from cognito_sync_mock import mock_cognito_sync

    pool = "eu-west-1:0000aaaa-0000-4000-8000-000000000001"
    identity = "eu-west-1:0000aaaa-0000-4000-8000-000000000002"
    with mock_cognito_sync() as mock:
        listed = client.list_records(IdentityPoolId=pool, IdentityId=identity, DatasetName="game")
        written = client.update_records(
            IdentityPoolId=pool, IdentityId=identity, DatasetName="game",
            SyncSessionToken=listed["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}],
        )
        stored = mock.backend("eu-west-1").describe_dataset(
            identity_pool_id=pool, identity_id=identity, dataset_name="game")
    print(json.dumps({
        "exists": listed["DatasetExists"],
        "written": [[r["Key"], r["Value"], r["SyncCount"]] for r in written["Records"]],
        "stored": stored["Dataset"]["NumRecords"],
        "calls": [c.operation for c in mock.calls],
    }))
    """
)


def test_client_created_before_the_package_was_imported() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "exists": False,
        "written": [["k", "v", 1]],
        "stored": 1,
        "calls": ["ListRecords", "UpdateRecords"],
    }


# -- regions and endpoints ---------------------------------------------------------------


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "ca-central-1", "cn-north-1"])
def test_any_region_is_answered_and_kept_apart(region: str) -> None:
    regional = make_client(region)
    home = make_client("us-east-1")
    with mock_cognito_sync() as mock:
        written = write(regional, {"k": "v"})
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("k", "v", 1)]
        assert dataset_names(regional) == ["game"]
        assert dataset_names(home) == []
        assert describe_in(mock, region) == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:9/",
        "http://127.0.0.1:{closed}",
        "http://localhost:{closed}/",
        "https://cognito-sync.example.invalid",
    ],
)
def test_custom_endpoint_is_answered_with_the_signature_region(endpoint: str, network_guard: Any) -> None:
    url = endpoint.format(closed=closed_port())
    custom = make_client("eu-central-1", endpoint_url=url)
    with mock_cognito_sync() as mock:
        written = write(custom, {"k": "v"})
        assert [(r["Key"], r["Value"]) for r in written["Records"]] == [("k", "v")]
        # The data landed in eu-central-1 (from the SigV4 scope), not in us-east-1.
        assert dataset_names(make_client("eu-central-1")) == ["game"]
        assert dataset_names(make_client("us-east-1")) == []
        assert describe_in(mock, "eu-central-1") == 1
    assert network_guard.attempts == []
    # Without the mock, the same client does go to its endpoint (and fails: nothing is there).
    with pytest.raises(EndpointConnectionError):
        custom.list_records(**ids())


def test_no_cognito_sync_request_reaches_the_network(monkeypatch: pytest.MonkeyPatch, network_guard: Any) -> None:
    sent: list[str] = []

    def no_send(self: Any, request: Any) -> Any:
        sent.append(request.url)
        raise AssertionError(f"request sent to the network: {request.url}")

    clients = [make_client(), make_client("eu-west-1"), make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}")]
    with monkeypatch.context() as patched, mock_cognito_sync() as mock:
        patched.setattr(botocore.endpoint.Endpoint, "_send", no_send)
        for c in clients:
            listed = c.list_records(**ids())
            patch = {"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}
            with pytest.raises(c.exceptions.ResourceConflictException):
                stale = {**patch, "SyncCount": 1}
                c.update_records(**ids(), SyncSessionToken=listed["SyncSessionToken"], RecordPatches=[stale])
            c.update_records(**ids(), SyncSessionToken=listed["SyncSessionToken"], RecordPatches=[patch])
            with pytest.raises(c.exceptions.InvalidParameterException):
                c.describe_dataset(**ids(dataset="bad name"))
            with pytest.raises(c.exceptions.ResourceNotFoundException):
                c.describe_dataset(**ids(dataset="missing"))
            c.delete_dataset(**ids())
        assert len(mock.calls) == 6 * len(clients)
    assert sent == []
    assert network_guard.attempts == []


def test_unsigned_client_takes_its_region_from_the_host_name() -> None:
    unsigned = make_client("ap-northeast-1", signature_version=botocore.UNSIGNED)
    with mock_cognito_sync() as mock:
        write(unsigned, {"k": "v"})
        assert describe_in(mock, "ap-northeast-1") == 1
        assert dataset_names(make_client("ap-northeast-1")) == ["game"]
        assert dataset_names(make_client("us-east-1")) == []


def test_unsigned_client_with_a_host_name_region_in_its_endpoint() -> None:
    unsigned = make_client(
        "us-east-1", endpoint_url="https://cognito-sync.eu-west-2.amazonaws.com", signature_version=botocore.UNSIGNED
    )
    with mock_cognito_sync() as mock:
        write(unsigned, {"k": "v"})
        assert describe_in(mock, "eu-west-2") == 1
        assert dataset_names(make_client("us-east-1")) == []


def test_unsigned_client_without_a_region_in_sight_uses_us_east_1() -> None:
    unsigned = make_client(
        "eu-west-3", endpoint_url=f"http://127.0.0.1:{closed_port()}", signature_version=botocore.UNSIGNED
    )
    with mock_cognito_sync() as mock:
        write(unsigned, {"k": "v"})
        assert describe_in(mock, "us-east-1") == 1
        assert dataset_names(make_client("us-east-1")) == ["game"]
        assert dataset_names(make_client("eu-west-3")) == []


# -- what passes through -----------------------------------------------------------------

SERVER_RECORDS = {
    "Records": [],
    "Count": 0,
    "DatasetSyncCount": 42,
    "DatasetExists": True,
    "SyncSessionToken": "from-local-server",
}


def test_after_stop_a_client_reaches_its_endpoint(local_server: Any) -> None:
    local_server.reply = SERVER_RECORDS
    during = make_client(endpoint_url=local_server.url)  # used while the mock was active
    with mock_cognito_sync():
        answered = during.list_records(**ids())
        assert answered["DatasetSyncCount"] == 0
        assert answered["SyncSessionToken"] != "from-local-server"
    assert local_server.requests == []

    after = make_client(endpoint_url=local_server.url)
    for c in (during, after):
        listed = c.list_records(**ids())
        assert listed["DatasetSyncCount"] == 42
        assert listed["SyncSessionToken"] == "from-local-server"
    assert len(local_server.requests) == 2
    for request in local_server.requests:
        assert request["method"] == "GET"
        assert request["path"].startswith("/identitypools/")
        assert request["path"].endswith("/datasets/game/records")


def test_other_services_pass_through_untouched(local_server: Any) -> None:
    lambda_client = make_client(service="lambda", endpoint_url=local_server.url)
    # DynamoDB (json) rather than SQS, whose protocol changed between botocore versions.
    dynamodb_client = make_client(service="dynamodb", endpoint_url=local_server.url)
    with mock_cognito_sync() as mock:
        local_server.reply = {"Functions": [{"FunctionName": "from-local-server"}]}
        functions = lambda_client.list_functions()
        assert [f["FunctionName"] for f in functions["Functions"]] == ["from-local-server"]
        local_server.reply = {"TableNames": ["from-local-server"]}
        assert dynamodb_client.list_tables()["TableNames"] == ["from-local-server"]
        assert mock.calls == []
        assert mock_is_active()
    assert [r["method"] for r in local_server.requests] == ["GET", "POST"]
    assert local_server.requests[0]["path"].startswith("/2015-03-31/functions")


def test_cognito_sync_and_other_services_side_by_side(local_server: Any) -> None:
    local_server.reply = {"Functions": []}
    lambda_client = make_client(service="lambda", endpoint_url=local_server.url)
    cognito = make_client(endpoint_url=local_server.url)
    with mock_cognito_sync() as mock:
        write(cognito, {"k": "v"})
        assert lambda_client.list_functions()["Functions"] == []
        assert [c.operation for c in mock.calls] == ["ListRecords", "UpdateRecords"]
    assert [r["path"].split("?")[0].rstrip("/") for r in local_server.requests] == ["/2015-03-31/functions"]


# -- beside moto -------------------------------------------------------------------------


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-first", "mock-first"])
def test_the_mock_answers_cognito_sync_under_moto(moto_first: bool) -> None:
    from moto import mock_aws

    ours = mock_cognito_sync()
    moto = mock_aws()
    first, second = (moto, ours) if moto_first else (ours, moto)
    with first, second:
        c = make_client()
        written = write(c, {"k": "v"})
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("k", "v", 1)]
        assert [call.operation for call in ours.calls] == ["ListRecords", "UpdateRecords"]
        # Another service is still moto's (moto reaches clients of sessions made after it started).
        queue = make_client(service="sqs", session=boto3.session.Session()).create_queue(
            QueueName="beside-cognito-sync"
        )
        assert queue["QueueUrl"].endswith("/beside-cognito-sync")
        assert len(ours.calls) == 2
