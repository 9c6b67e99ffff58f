"""Transactional answers: a request answered with an error changed nothing, in memory or on disk.

Every way a request can fail leaves the state, the stream records and the pushes as they were,
in the in-process mock and in a server with a state database (which then commits nothing). A
write that the database refuses (disk full, read-only) is a 500 that applied nothing anywhere,
the next request works, and botocore's retry of that 500 succeeds; a control change (reset,
restore, register-*) that cannot be written changes nothing either. A change that failed after
changing memory (a bug) is put back as the database holds it.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import boto3
import pytest
from botocore.config import Config
from helpers import (
    EMPTY,
    IDENTITY,
    INVALID,
    NO_RETRIES,
    OTHER_POOL,
    POOL,
    TRIGGER_ARN,
    Observer,
    control,
    enable_push,
    enable_streams,
    ids,
    make_client,
    raises_error,
    remove,
    replace,
    set_trigger,
    stored,
    token_for,
    write,
)

from cognito_sync_mock import Backend, CognitoSyncServer, LambdaThrottled, mock_cognito_sync
from cognito_sync_mock.backend.clock import now
from cognito_sync_mock.exceptions import InvalidParameterError
from cognito_sync_mock.server.store import Store, StoreError

LIMITS = {"records_per_dataset": 4}
FULL = "database or disk is full"
READ_ONLY = "attempt to write a readonly database"


def failure(path: Path, reason: str) -> str:
    """The message of a change that the state database refused."""
    return f"The state could not be saved to {path}: {reason}; nothing was changed"


class World(NamedTuple):
    """A mock (in-process or a server) with a pool that streams, pushes and triggers, and its clients."""

    mock: Any
    client: Any  # developer keys
    identity: Any  # signed as IDENTITY: runs the sync trigger
    other: Any  # signed as IDENTITY of OTHER_POOL, a pool with no push sync
    trigger: dict[str, Callable[[dict[str, Any]], Any]]  # {"output": what the handler does with the event}


def furnish(mock: Any, endpoint: str | None) -> World:
    client = make_client(endpoint_url=endpoint)
    trigger: dict[str, Callable[[dict[str, Any]], Any]] = {"output": lambda event: event}
    mock.register_lambda(TRIGGER_ARN, lambda event, context: trigger["output"](event))
    identity = mock.identity_client(POOL, IDENTITY, config=NO_RETRIES)
    other = mock.identity_client(OTHER_POOL, IDENTITY, config=NO_RETRIES)
    enable_push(client)
    enable_streams(client)
    set_trigger(client)
    write(identity, {"k": "v", "gone": "x"})
    write(identity, [remove("gone", 1)])
    device = identity.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t")
    identity.subscribe_to_dataset(**ids(), DeviceId=device["DeviceId"])
    client.bulk_publish(IdentityPoolId=POOL)
    if isinstance(mock, CognitoSyncServer):
        mock.save()  # identity_client() made identities known from Python, which no request saves
    return World(mock, client, identity, other, trigger)


@pytest.fixture(params=["in-process", "server-with-state"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "in-process":
        with mock_cognito_sync(limits=LIMITS) as mock:
            yield furnish(mock, None)
    else:
        with CognitoSyncServer(limits=LIMITS, state_file=tmp_path / "state.db") as server:
            yield furnish(server, server.url)


def throttled(event: dict[str, Any]) -> Any:
    raise LambdaThrottled("slow down")


def broken(event: dict[str, Any]) -> Any:
    raise RuntimeError("the function failed")


def too_many(event: dict[str, Any]) -> Any:
    event["datasetRecords"].update({f"t{i}": {"newValue": "1", "op": "replace"} for i in range(5)})
    return event


def update(world: World, token: str, patches: list[dict[str, Any]]) -> None:
    world.identity.update_records(**ids(), SyncSessionToken=token, RecordPatches=patches)


def used_token(world: World, token: str) -> None:
    update(world, token, [])  # succeeds and changes nothing, but uses the token up
    update(world, token, [replace("k", "w", 1)])


def with_trigger(output: Callable[[dict[str, Any]], Any]) -> Callable[[World, str], None]:
    def run(world: World, token: str) -> None:
        world.trigger["output"] = output
        update(world, token, [replace("k", "w", 1)])

    return run


FAILURES: list[Any] = [
    pytest.param(lambda w, t: update(w, t, [replace("k", "w", 0)]), "ResourceConflictException", id="conflict"),
    pytest.param(lambda w, t: update(w, t, [replace("k", "w", 1), remove("k", 1)]), INVALID, id="twice"),
    pytest.param(lambda w, t: update(w, "forged", [replace("k", "w", 1)]), INVALID, id="forged-token"),
    pytest.param(used_token, INVALID, id="used-token"),
    pytest.param(
        lambda w, t: update(w, t, [replace(f"n{i}", "x") for i in range(4)]), "LimitExceededException", id="limit"
    ),
    pytest.param(with_trigger(broken), "InvalidLambdaFunctionOutputException", id="trigger-raises"),
    pytest.param(with_trigger(lambda event: [event]), "InvalidLambdaFunctionOutputException", id="trigger-output"),
    pytest.param(with_trigger(throttled), "LambdaThrottledException", id="trigger-throttled"),
    pytest.param(with_trigger(too_many), "LimitExceededException", id="trigger-over-limit"),
    pytest.param(lambda w, t: w.identity.list_records(**ids(), LastSyncCount=99), INVALID, id="no-such-sync-count"),
    pytest.param(lambda w, t: w.identity.list_records(**ids(), NextToken="forged"), INVALID, id="next-token"),
    pytest.param(
        lambda w, t: w.client.delete_dataset(**ids(dataset="missing")), "ResourceNotFoundException", id="delete"
    ),
    pytest.param(
        lambda w, t: w.identity.subscribe_to_dataset(**ids(), DeviceId="00000000-0000-4000-8000-000000000000"),
        "ResourceNotFoundException",
        id="subscribe",
    ),
    pytest.param(
        lambda w, t: w.identity.unsubscribe_from_dataset(**ids(dataset="other"), DeviceId="d"),
        "ResourceNotFoundException",
        id="unsubscribe",
    ),
    pytest.param(
        lambda w, t: w.client.bulk_publish(IdentityPoolId=POOL), "AlreadyStreamedException", id="bulk-publish"
    ),
    pytest.param(
        lambda w, t: w.client.set_cognito_events(IdentityPoolId=POOL, Events={"Other": "arn"}), INVALID, id="events"
    ),
    pytest.param(
        lambda w, t: w.client.set_identity_pool_configuration(
            IdentityPoolId=POOL, CognitoStreams={"StreamingStatus": "ENABLED", "RoleArn": "arn:aws:iam::1:role/r"}
        ),
        INVALID,
        id="configuration",
    ),
    pytest.param(
        lambda w, t: w.other.register_device(IdentityPoolId=OTHER_POOL, IdentityId=IDENTITY, Platform="GCM", Token="t"),
        "InvalidConfigurationException",
        id="register-device",
    ),
]


@pytest.mark.parametrize(("fail", "code"), FAILURES)
def test_a_request_answered_with_an_error_changed_nothing(
    world: World, fail: Callable[[World, str], Any], code: str, caplog: pytest.LogCaptureFixture
) -> None:
    mock = world.mock
    token = token_for(world.identity)
    store = getattr(mock, "store", None)
    observer = Observer(store.path) if store is not None else None
    before = (mock.snapshot(), mock.stream_records(), mock.push_notifications)
    with caplog.at_level(logging.ERROR, logger="cognito_sync_mock.server"), pytest.raises(Exception) as raised:
        fail(world, token)
    assert raised.value.response["Error"]["Code"] == code  # type: ignore[attr-defined]
    assert (mock.snapshot(), mock.stream_records(), mock.push_notifications) == before
    assert mock.calls[-1].error == code
    if store is not None and observer is not None:
        assert not observer.committed()
        assert stored(store.path) == before[0]
    assert caplog.records == []  # nothing had to be put back: the operation itself changed nothing


# -- a database that cannot be written -------------------------------------------------


@contextlib.contextmanager
def disk_full(server: CognitoSyncServer) -> Iterator[None]:
    """The database may not grow by a page (SQLITE_FULL) while inside."""
    assert server.store is not None
    connection = server.store.connection
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        connection.execute("PRAGMA max_page_count = 4294967294")


@contextlib.contextmanager
def read_only_connection(server: CognitoSyncServer) -> Iterator[None]:
    """The server's connection refuses every write (SQLITE_READONLY) while inside."""
    assert server.store is not None
    server.store.connection.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        server.store.connection.execute("PRAGMA query_only = OFF")


@pytest.fixture
def durable(tmp_path: Path) -> Iterator[tuple[CognitoSyncServer, Any, Path]]:
    """A server on a state database, holding one record (sync count 1) of a pool that streams, and a client."""
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        enable_streams(client)
        write(client, {"k": "v"})
        yield server, client, path


BIG = "x" * 20_000  # a value that needs new pages in the database


def test_a_full_disk_is_a_500_that_applied_nothing_and_the_next_request_works(
    durable: tuple[CognitoSyncServer, Any, Path],
) -> None:
    server, client, path = durable
    token = token_for(client)
    before = (server.snapshot(), server.stream_records())
    patches = [replace("k", BIG, 1)]
    with disk_full(server), raises_error("InternalErrorException", 500, failure(path, FULL)):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=patches)
    assert (server.snapshot(), server.stream_records()) == before  # no record, no stream record
    assert stored(path) == before[0]
    params = {**ids(), "SyncSessionToken": token, "RecordPatches": patches}
    assert server.calls[-1][:5] == ("UpdateRecords", params, "InternalErrorException", 500, "developer")
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=patches)  # the same token
    assert [(r["Key"], r["SyncCount"]) for r in written["Records"]] == [("k", 2)]
    assert stored(path) == server.snapshot()
    assert len(server.stream_records()) == len(before[1]) + 1


def test_botocore_retries_a_500_of_the_database_and_the_retry_succeeds(
    durable: tuple[CognitoSyncServer, Any, Path],
) -> None:
    """Nothing of the 500 was applied, so the retry is a first attempt: not a 409, not a used token."""
    server, _, path = durable
    retrying = Config(retries={"mode": "standard", "max_attempts": 2})  # botocore retries a 500 once
    client: Any = boto3.client(
        "cognito-sync",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=retrying,
    )
    answers: list[int] = []

    with disk_full(server):

        def lift_the_limit(response: Any, **kwargs: Any) -> None:  # runs before botocore decides to retry
            answers.append(response[1]["ResponseMetadata"]["HTTPStatusCode"])
            assert server.store is not None
            server.store.connection.execute("PRAGMA max_page_count = 4294967294")

        client.meta.events.register_first("needs-retry.cognito-sync.UpdateRecords", lift_the_limit)
        token = token_for(client)
        written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", BIG, 1)])
    assert answers == [500, 200]
    assert [(r["Key"], r["SyncCount"]) for r in written["Records"]] == [("k", 2)]
    assert [(c.operation, c.error) for c in server.calls[-2:]] == [
        ("UpdateRecords", "InternalErrorException"),
        ("UpdateRecords", None),
    ]
    assert stored(path) == server.snapshot()


def test_a_read_only_database_refuses_every_change_and_changes_nothing(
    durable: tuple[CognitoSyncServer, Any, Path],
) -> None:
    server, client, path = durable
    token = token_for(client)
    server.inject_error("DescribeDataset", "TooManyRequestsException")  # not state, but memory: reset keeps it
    before = (server.snapshot(), list(server.calls))
    observer = Observer(path)
    message = failure(path, READ_ONLY)
    with read_only_connection(server):
        with raises_error("InternalErrorException", 500, message):
            client.list_records(**ids())  # its sync-session counter cannot be written
        with raises_error("InternalErrorException", 500, message):
            client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", "w", 1)])
        with raises_error("InternalErrorException", 500, message):
            client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
        assert client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Count"] == 1  # reads still work
        calls = list(server.calls)
        assert control(server.url, "POST", "reset") == (500, {"message": message})
        assert control(server.url, "POST", "restore", EMPTY) == (500, {"message": message})
        assert control(server.url, "POST", "snapshot") == (500, {"message": message})
        registered = {"pool_id": OTHER_POOL, "identity_id": IDENTITY}
        assert control(server.url, "POST", "register-identity", registered) == (500, {"message": message})
        with pytest.raises(StoreError) as refused:
            server.reset()
        assert str(refused.value) == message
        with pytest.raises(StoreError):
            server.restore(EMPTY)
        assert server.snapshot() == before[0]
        assert list(server.calls) == calls  # the reset did not empty the calls either
        assert [c.error for c in calls[len(before[1]) :]] == ["InternalErrorException"] * 3 + [None]
    assert not observer.committed()
    assert stored(path) == before[0]
    with raises_error("TooManyRequestsException", 429):  # the injected fault survived the refused resets
        client.describe_dataset(**ids())
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", "w", 1)])
    assert written["Records"][0]["SyncCount"] == 2
    assert control(server.url, "POST", "reset") == (200, {"reset": True})
    assert stored(path) == server.snapshot() == EMPTY


def test_when_the_database_cannot_be_read_back_the_next_write_saves_everything(
    durable: tuple[CognitoSyncServer, Any, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The last resort: memory keeps the unsaved change (it cannot be undone), and the next write that
    can be made writes the whole state, so that the file and memory agree again."""
    server, client, path = durable
    assert server.store is not None

    def unreadable(self: Store) -> Any:
        raise StoreError(f"{self.path} cannot be read: disk I/O error")

    token = token_for(client, dataset="other")
    monkeypatch.setattr(Store, "load", unreadable)
    with caplog.at_level(logging.ERROR, logger="cognito_sync_mock.server"), read_only_connection(server):
        with raises_error("InternalErrorException", 500, failure(path, READ_ONLY)):
            patches = [replace("k", "kept in memory")]
            client.update_records(**ids(dataset="other"), SyncSessionToken=token, RecordPatches=patches)
    assert [r.getMessage() for r in caplog.records] == [
        failure(path, READ_ONLY),
        f"{path} cannot be read back ({path} cannot be read: disk I/O error): the state in memory keeps the change",
    ]
    monkeypatch.undo()
    assert stored(path) != server.snapshot()
    client.list_records(**ids())  # any change: its write replaces everything
    assert stored(path) == server.snapshot()
    assert [r["Value"] for r in client.list_records(**ids(dataset="other"))["Records"]] == ["kept in memory"]


def test_a_failed_change_that_changed_memory_is_put_back(
    durable: tuple[CognitoSyncServer, Any, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The net under the operations: with a state database, an error answer never leaves a change behind."""
    server, client, path = durable
    before = server.snapshot()

    def half_done(self: Backend, identity_pool_id: str, events: dict[str, str]) -> dict[str, Any]:
        self._touch_pool(identity_pool_id, now())
        raise InvalidParameterError("refused after a change")

    def half_completed(self: Backend, pool_id: str) -> None:
        self._touch_pool(pool_id, now())
        raise ValueError(f"identity pool {pool_id} has no bulk publish in progress")

    monkeypatch.setattr(Backend, "set_cognito_events", half_done)
    monkeypatch.setattr(Backend, "complete_bulk_publish", half_completed)
    with caplog.at_level(logging.ERROR, logger="cognito_sync_mock.server"):
        with raises_error(INVALID, 400, "refused after a change"):
            client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
        assert server.snapshot() == before
        status, _ = control(server.url, "POST", "complete-bulk-publish", {"pool_id": POOL})
        assert status == 400
        assert server.snapshot() == before == stored(path)
    assert [r.getMessage() for r in caplog.records] == [
        f"a change that failed changed the state: it is read back from {path}"
    ] * 2
    assert write(client, [replace("k", "w", 1)])["Records"][0]["SyncCount"] == 2  # the server goes on


def test_tokens_used_before_a_failed_write_stay_used(durable: tuple[CognitoSyncServer, Any, Path]) -> None:
    """Putting the state back keeps the sync sessions that were used up by acknowledged writes."""
    server, client, path = durable
    listed = client.list_records(**ids())
    used = listed["SyncSessionToken"]
    client.update_records(**ids(), SyncSessionToken=used, RecordPatches=[replace("k", "w", 1)])
    with disk_full(server), raises_error("InternalErrorException", 500):
        write(client, [replace("k", BIG, 2)])
    with raises_error(INVALID, 400, "SyncSessionToken already used: a successful UpdateRecords ends its sync session"):
        client.update_records(**ids(), SyncSessionToken=used, RecordPatches=[replace("k", "x", 2)])
    assert [r["Value"] for r in client.list_records(**ids())["Records"]] == ["w"]
    assert stored(path) == server.snapshot()
