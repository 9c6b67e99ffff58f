"""Nothing leaks: no request reaches a socket while the mock is active, none is caught after it
stops, and no state crosses tests, accounts, regions, or mock and server.

The guard works at the socket level: ``socket.socket.connect``, ``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo`` record every attempt, whatever
the host; attempts to leave the machine are refused, loopback ones are let through (so
that the after-stop part can reach the server on 127.0.0.1).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any, Callable

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from helpers import (
    APP_ARN,
    DEFAULT_ACCOUNT,
    IDENTITY,
    MODEL,
    NO_RETRIES,
    OPERATIONS,
    OTHER_ACCOUNT,
    OTHER_IDENTITY,
    POOL,
    ROLE_ARN,
    closed_port,
    make_client,
)

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SocketGuard:
    """Every connection and name lookup attempted, in order."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str]] = []


@pytest.fixture
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketGuard]:
    guard = SocketGuard()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def host_of(address: Any) -> str:
        return str(address[0]) if isinstance(address, tuple) else str(address)

    def check(kind: str, host: str) -> None:
        guard.attempts.append((kind, host))
        if host not in LOOPBACK:
            raise ConnectionRefusedError(f"socket guard: {kind} to {host!r} refused")

    def connect(sock: socket.socket, address: Any) -> Any:
        check("connect", host_of(address))
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        check("connect_ex", host_of(address))
        return real_connect_ex(sock, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        check("create_connection", host_of(address))
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        guard.attempts.append(("getaddrinfo", str(host)))
        if str(host) not in LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"socket guard: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard


# -- every operation, successes and errors ---------------------------------------------


def successes(pool: str) -> list[tuple[str, dict[str, Any]]]:
    """All 17 operations, in an order in which each one succeeds on a fresh pool."""
    ids = {"IdentityPoolId": pool, "IdentityId": IDENTITY}
    data = {**ids, "DatasetName": "game"}
    return [
        (
            "SetIdentityPoolConfiguration",
            {
                "IdentityPoolId": pool,
                "PushSync": {"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
                "CognitoStreams": {"StreamName": "s", "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
            },
        ),
        ("GetIdentityPoolConfiguration", {"IdentityPoolId": pool}),
        (
            "SetCognitoEvents",
            {"IdentityPoolId": pool, "Events": {"SyncTrigger": "arn:aws:lambda:us-east-1:123456789012:function:f"}},
        ),
        ("GetCognitoEvents", {"IdentityPoolId": pool}),
        ("ListRecords", data),
        ("UpdateRecords", {**data, "RecordPatches": [{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}]}),
        ("DescribeDataset", data),
        ("ListDatasets", ids),
        ("DescribeIdentityUsage", ids),
        ("DescribeIdentityPoolUsage", {"IdentityPoolId": pool}),
        ("ListIdentityPoolUsage", {}),
        ("RegisterDevice", {**ids, "Platform": "GCM", "Token": "device-token"}),
        ("SubscribeToDataset", {**data, "DeviceId": "<device>"}),
        ("UnsubscribeFromDataset", {**data, "DeviceId": "<device>"}),
        ("BulkPublish", {"IdentityPoolId": pool}),
        ("GetBulkPublishDetails", {"IdentityPoolId": pool}),
        ("DeleteDataset", data),
    ]


def invoke(client: Any, operation: str, params: dict[str, Any], device: list[str]) -> dict[str, Any]:
    """Call an operation; a fresh session token and the registered device are filled in."""
    params = dict(params)
    if operation == "UpdateRecords":
        listed = client.list_records(**{k: params[k] for k in ("IdentityPoolId", "IdentityId", "DatasetName")})
        params["SyncSessionToken"] = listed["SyncSessionToken"]
    if params.get("DeviceId") == "<device>":
        params["DeviceId"] = device[0]
    answer: dict[str, Any] = getattr(client, botocore.xform_name(operation))(**params)
    if operation == "RegisterDevice":
        device[:] = [answer["DeviceId"]]
    return answer


def error_code(call: Callable[..., Any], *args: Any) -> str:
    """The error code ``call(*args)`` fails with."""
    with pytest.raises(ClientError) as info:
        call(*args)
    return str(info.value.response["Error"]["Code"])


def every_operation(mock: mock_cognito_sync | CognitoSyncServer, client: Any, pool: str) -> Counter[str]:
    """Every operation: a success, a validation error, and each error it models (injected)."""
    answered: Counter[str] = Counter()
    device: list[str] = []
    plan = successes(pool)
    assert sorted(op for op, _ in plan) == OPERATIONS
    for operation, params in plan:
        invoke(client, operation, params, device)
        answered["success"] += 1
    for operation, params in plan:
        bad = {**params, "IdentityPoolId": "not a pool"} if "IdentityPoolId" in params else {"MaxResults": 0}
        assert error_code(invoke, client, operation, bad, device) == "InvalidParameterException"
        answered["InvalidParameterException"] += 1
        for shape in MODEL.operation_model(operation).error_shapes:
            mock.inject_error(operation, shape.name)
            assert error_code(invoke, client, operation, params, device) == shape.name
            answered[shape.name] += 1
    return answered


def test_no_operation_opens_a_connection_while_the_mock_is_active(
    cognito_sync_server: CognitoSyncServer, socket_guard: SocketGuard
) -> None:
    clients = {
        "default endpoint": make_client(),
        "another region": make_client("eu-west-1"),
        "closed loopback port": make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}"),
        "live server on 127.0.0.1": make_client(endpoint_url=cognito_sync_server.url),
    }
    with mock_cognito_sync() as mock:
        expected: Counter[str] = Counter({"success": 17, "InvalidParameterException": 17})  # + one injected each
        for operation in OPERATIONS:
            expected.update(shape.name for shape in MODEL.operation_model(operation).error_shapes)
        for number, (name, client) in enumerate(clients.items()):
            pool = f"us-east-1:00000000-0000-4000-8000-00000000010{number}"
            assert every_operation(mock, client, pool) == expected, name
        assert {c.error for c in mock.calls} == {None} | {shape.name for shape in MODEL.error_shapes}
    assert socket_guard.attempts == []
    assert cognito_sync_server.calls == []


def test_after_stop_a_new_client_reaches_the_server(
    cognito_sync_server: CognitoSyncServer, socket_guard: SocketGuard
) -> None:
    during = make_client(endpoint_url=cognito_sync_server.url)
    with mock_cognito_sync() as mock:
        invoke(during, *successes(POOL)[5], device=[])  # UpdateRecords, answered in-process
        assert [c.operation for c in mock.calls] == ["ListRecords", "UpdateRecords"]
    assert cognito_sync_server.calls == [] and socket_guard.attempts == []

    after = make_client(endpoint_url=cognito_sync_server.url)
    for client in (after, during):
        assert (
            client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Datasets"] == []
        )  # the server's own state
    assert [(c.operation, c.error) for c in cognito_sync_server.calls] == [("ListDatasets", None)] * 2
    # One connection per client (each has its own pool), both to the server's loopback address.
    assert socket_guard.attempts == [("getaddrinfo", "127.0.0.1"), ("connect", "127.0.0.1")] * 2
    assert [c.operation for c in mock.calls] == ["ListRecords", "UpdateRecords"]  # the stopped mock saw nothing more


def test_after_stop_the_default_endpoint_is_no_longer_answered(socket_guard: SocketGuard) -> None:
    client = make_client()
    with mock_cognito_sync():
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    assert socket_guard.attempts == []
    with pytest.raises(EndpointConnectionError):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    assert socket_guard.attempts[0] == ("getaddrinfo", "cognito-sync.us-east-1.amazonaws.com")


# -- state never crosses tests ---------------------------------------------------------


def assert_sees_nothing(client: Any, pool: str = POOL, identity: str = IDENTITY) -> None:
    """Every read of a pool and identity finds nothing, and no token of elsewhere is valid here."""
    ids = {"IdentityPoolId": pool, "IdentityId": identity}
    assert client.list_datasets(**ids)["Datasets"] == []
    assert client.list_identity_pool_usage()["IdentityPoolUsages"] == []
    listed = client.list_records(**ids, DatasetName="game")
    assert (listed["Records"], listed["DatasetExists"], listed["DatasetSyncCount"]) == ([], False, 0)
    assert error_code(lambda: client.describe_dataset(**ids, DatasetName="game")) == "ResourceNotFoundException"
    assert error_code(lambda: client.describe_identity_usage(**ids)) == "ResourceNotFoundException"
    assert error_code(lambda: client.describe_identity_pool_usage(IdentityPoolId=pool)) == "ResourceNotFoundException"
    assert client.get_bulk_publish_details(IdentityPoolId=pool)["BulkPublishStatus"] == "NOT_STARTED"
    assert client.get_cognito_events(IdentityPoolId=pool)["Events"] == {}
    configuration = client.get_identity_pool_configuration(IdentityPoolId=pool)
    assert "PushSync" not in configuration and "CognitoStreams" not in configuration


def write_everything(mock: mock_cognito_sync | CognitoSyncServer, client: Any) -> None:
    every_operation(mock, client, POOL)
    invoke(client, *successes(POOL)[5], device=[])  # leave a dataset behind


@pytest.mark.parametrize("run", [1, 2, 3])
def test_each_test_starts_empty_with_the_fixture(cognito_sync: Any, run: int) -> None:
    client = make_client()
    assert cognito_sync.calls == []
    assert_sees_nothing(client)
    write_everything(cognito_sync, client)


@pytest.mark.parametrize("run", [1, 2, 3])
@mock_cognito_sync
def test_each_test_starts_empty_with_the_decorator(run: int) -> None:
    client = make_client()
    assert_sees_nothing(client)
    with mock_cognito_sync() as inner:  # nested: the decorator's state, not a new one
        assert [c.operation for c in inner.calls][-1] == "GetIdentityPoolConfiguration"
        write_everything(inner, client)


def test_a_server_and_the_mock_share_nothing(cognito_sync_server: CognitoSyncServer) -> None:
    with mock_cognito_sync() as mock:
        write_everything(mock, make_client())
    server_client = make_client(endpoint_url=cognito_sync_server.url)
    assert_sees_nothing(server_client)
    with CognitoSyncServer() as other:
        write_everything(other, make_client(endpoint_url=other.url))
    assert_sees_nothing(server_client)
    with mock_cognito_sync():
        assert_sees_nothing(make_client())


# -- state never crosses accounts or regions -------------------------------------------


def test_state_never_crosses_accounts(cognito_sync: Any) -> None:
    cognito_sync.map_access_key("other-account-key", OTHER_ACCOUNT)
    here = make_client()
    there = boto3.client(
        "cognito-sync",
        region_name="us-east-1",
        aws_access_key_id="other-account-key",
        aws_secret_access_key="x",
        config=NO_RETRIES,
    )
    write_everything(cognito_sync, here)
    published_here = cognito_sync.stream_records()
    assert published_here != [] and cognito_sync.stream_records(account_id=OTHER_ACCOUNT) == []
    assert_sees_nothing(there)
    assert_foreign_tokens_refused(here, there)
    write_everything(cognito_sync, there)
    assert len(cognito_sync.stream_records(account_id=OTHER_ACCOUNT)) == len(published_here)
    for account in (DEFAULT_ACCOUNT, OTHER_ACCOUNT):
        names = cognito_sync.backend("us-east-1", account).list_datasets(POOL, IDENTITY)["Datasets"]
        assert [d["DatasetName"] for d in names] == (["game", "second"] if account == DEFAULT_ACCOUNT else ["game"])


def test_state_never_crosses_regions(cognito_sync: Any) -> None:
    here, there = make_client("us-east-1"), make_client("eu-west-1")
    write_everything(cognito_sync, here)
    assert_sees_nothing(there)
    assert_foreign_tokens_refused(here, there)
    assert cognito_sync.stream_records(region="eu-west-1") == []


def assert_foreign_tokens_refused(here: Any, there: Any) -> None:
    """A session token and a page token issued here are not valid there."""
    ids = {"IdentityPoolId": POOL, "IdentityId": IDENTITY, "DatasetName": "game"}
    token = here.list_records(**ids)["SyncSessionToken"]
    patch = [{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}]
    assert (
        error_code(lambda: there.update_records(**ids, SyncSessionToken=token, RecordPatches=patch))
        == "InvalidParameterException"
    )
    invoke(here, "UpdateRecords", {**ids, "DatasetName": "second", "RecordPatches": patch}, device=[])
    page = here.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY, MaxResults=1)["NextToken"]
    assert (
        error_code(lambda: there.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY, NextToken=page))
        == "InvalidParameterException"
    )
    assert there.list_datasets(IdentityPoolId=POOL, IdentityId=OTHER_IDENTITY)["Datasets"] == []
    assert error_code(lambda: there.describe_identity_pool_usage(IdentityPoolId=POOL)) == "ResourceNotFoundException"
