"""What the tests share: IDs, clients, writes and reads, errors, dates, the control plane, ports, threads.

Import it as ``helpers`` (tests/ is on sys.path under pytest's default import mode). Each
name is defined here once; the fixtures are in conftest.py, and what only a few modules
need stays beside them (``activation_support``, ``install_support``, ``ios_sync``).

A write spells its set-up as the docs do: ListRecords for a sync session token, then
UpdateRecords with it. A successful UpdateRecords uses its token up, so each ``write``
lists first::

    write(client, {"level": "3"})                      # new keys, or keys at their current SyncCount
    write(client, [replace("level", "4", 1), remove("name", 1)], dataset="profile")
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import http.client
import http.server
import json
import re
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

# -- IDs -------------------------------------------------------------------------------

REGION = "us-east-1"
POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
OTHER_POOL = "us-east-1:00000000-0000-4000-8000-0000000000a2"
IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b1"
OTHER_IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b2"
DATASET = "game"
DEFAULT_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "999999999999"
DEVELOPER = DEFAULT_ACCOUNT  # what a write signed with developer keys is signed by: the account

# -- the side channels' ARNs -----------------------------------------------------------

APP_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/my-game"
OTHER_APP_ARN = "arn:aws:sns:eu-west-1:123456789012:app/APNS_SANDBOX/my.game-2"
ROLE_ARN = "arn:aws:iam::123456789012:role/CognitoSyncRole"
TRIGGER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sync-trigger"
STREAM = "sync-stream"

APP_ARN_PATTERN = r"arn:aws:sns:[-0-9a-z]+:\d+:app/[A-Z_]+/[a-zA-Z0-9_.-]+"
ROLE_ARN_PATTERN = r"arn:aws:iam::\d+:role/.*"

# -- what the service says -------------------------------------------------------------

INVALID = "InvalidParameterException"
REGION_RULE = "must be 1 to 63 lower-case letters, digits and hyphens, not all digits, neither first nor last a hyphen"
POOL_ID_RULE = r"Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+"
NOT_VALID = "These credentials are not valid for accessing this resource"
SESSION_USED = "SyncSessionToken already used: a successful UpdateRecords ends its sync session"
MINTED_KEY = re.compile(r"ASIA[A-Z0-9]{16}")  # an access key Cognito Identity hands out


def conflict(key: str, server: int, patch: int) -> str:
    """The message of a ResourceConflictException for a patch at a stale SyncCount."""
    return f"Current SyncCount for: {key} is: {server} not: {patch}"


def utf8(text: str) -> int:
    """The size of ``text`` as the service counts it: UTF-8 bytes."""
    return len(text.encode("utf-8"))


# The service model botocore has of Cognito Sync, and its operations' names.
MODEL = botocore.session.get_session().get_service_model("cognito-sync")
OPERATIONS = sorted(MODEL.operation_names)

# -- clients ---------------------------------------------------------------------------

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def make_client(
    region: str = REGION,
    endpoint_url: str | None = None,
    *,
    session: boto3.session.Session | None = None,
    service: str = "cognito-sync",
    **config: Any,
) -> Any:
    """A client with dummy credentials and a single attempt per call (plus any Config options).

    Clients come from one shared session (made once: cheap), under a lock, since a
    session is not safe to make clients from in several threads at once.
    """
    with _session_lock:
        if session is None:
            if not _shared_session:
                _shared_session.append(boto3.session.Session())
            session = _shared_session[0]
        maker: Any = session  # boto3-stubs type client() by a literal service name; this takes any name
        return maker.client(
            service,
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, **config),
        )


_shared_session: list[boto3.session.Session] = []
_session_lock = threading.RLock()


# -- requests --------------------------------------------------------------------------


def ids(pool: str = POOL, identity: str = IDENTITY, dataset: str | None = DATASET) -> dict[str, Any]:
    """The path members of a data operation as boto3 keyword arguments."""
    out: dict[str, Any] = {"IdentityPoolId": pool, "IdentityId": identity}
    if dataset is not None:
        out["DatasetName"] = dataset
    return out


def replace(key: str, value: str | None, sync_count: int = 0, **extra: Any) -> dict[str, Any]:
    """A replace patch (``value`` None leaves Value out)."""
    patch: dict[str, Any] = {"Op": "replace", "Key": key, "SyncCount": sync_count, **extra}
    if value is not None:
        patch["Value"] = value
    return patch


def remove(key: str, sync_count: int, **extra: Any) -> dict[str, Any]:
    """A remove patch."""
    return {"Op": "remove", "Key": key, "SyncCount": sync_count, **extra}


# -- writes ----------------------------------------------------------------------------

Changes = Union[Mapping[str, str], Sequence[Any]]
"""What ``write`` and ``seed`` write: key -> value, or the record patches themselves."""


def _patches(changes: Changes, listed: Mapping[str, Any]) -> Any:
    """The patches of a write: a mapping replaces each key at the SyncCount ``listed`` gives it
    (0 for a new key); anything else is sent as it is, even a malformed patch list."""
    if not isinstance(changes, Mapping):
        return changes
    counts = {record["Key"]: record["SyncCount"] for record in listed["Records"]}
    return [replace(key, value, counts.get(key, 0)) for key, value in changes.items()]


def token_for(client: Any, pool: str = POOL, identity: str = IDENTITY, dataset: str = DATASET) -> str:
    """A fresh SyncSessionToken from ListRecords."""
    return str(client.list_records(**ids(pool, identity, dataset))["SyncSessionToken"])


def write(client: Any, changes: Changes, **options: Any) -> dict[str, Any]:
    """ListRecords for a sync session token, then one UpdateRecords with it; its answer.

    ``changes`` is key -> value (each a replace at the key's current SyncCount, 0 for a new
    key) or the record patches. The options are ``pool``, ``identity`` and ``dataset`` (the
    defaults' IDs), ``last_sync_count`` for the ListRecords, and any other UpdateRecords
    member (``DeviceId=...``).
    """
    listing, update = _requests(changes, **options)
    result: dict[str, Any] = client.update_records(**update(client.list_records(**listing)))
    return result


async def write_async(client: Any, changes: Changes, **options: Any) -> dict[str, Any]:
    """``write`` for an aiobotocore client (the same options; its calls are awaited)."""
    listing, update = _requests(changes, **options)
    result: dict[str, Any] = await client.update_records(**update(await client.list_records(**listing)))
    return result


def _requests(
    changes: Changes,
    *,
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
    last_sync_count: int | None = None,
    **members: Any,
) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """The ListRecords arguments of a write, and its UpdateRecords arguments from the listing."""
    where = ids(pool, identity, dataset)
    listing = where if last_sync_count is None else {**where, "LastSyncCount": last_sync_count}

    def update(listed: Mapping[str, Any]) -> dict[str, Any]:
        token, patches = listed["SyncSessionToken"], _patches(changes, listed)
        return {**where, "SyncSessionToken": token, "RecordPatches": patches, **members}

    return listing, update


def seed(
    backend: Any,
    changes: Changes,
    *,
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
) -> dict[str, Any]:
    """``write`` straight on a backend (fast set-up: no HTTP, no credentials); its answer."""
    names = {"identity_pool_id": pool, "identity_id": identity, "dataset_name": dataset}
    listed = backend.list_records(**names)
    result: dict[str, Any] = backend.update_records(
        **names, sync_session_token=listed["SyncSessionToken"], record_patches=_patches(changes, listed)
    )
    return result


# -- reads -----------------------------------------------------------------------------


def list_all(client: Any, **kwargs: Any) -> dict[str, Any]:
    """ListRecords with the default IDs, overridable, plus any other member."""
    args = {**ids(), **kwargs}
    result: dict[str, Any] = client.list_records(**args)
    return result


def records_by_key(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["Key"]: record for record in response["Records"]}


def live_values(response: dict[str, Any]) -> dict[str, str]:
    """Key -> Value of the live records of a ListRecords/UpdateRecords answer."""
    return {r["Key"]: r["Value"] for r in response["Records"] if "Value" in r}


def dataset_names(client: Any, pool: str = POOL, identity: str = IDENTITY) -> list[str]:
    """The names ListDatasets returns for an identity."""
    return [d["DatasetName"] for d in client.list_datasets(IdentityPoolId=pool, IdentityId=identity)["Datasets"]]


def body(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# -- a whole state ---------------------------------------------------------------------


def observe(client: Any, identities: tuple[str, ...] = (IDENTITY, OTHER_IDENTITY)) -> dict[str, Any]:
    """Every answer a user could read, minus request IDs and fresh session tokens."""

    def clean(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "SyncSessionToken")}

    seen: dict[str, Any] = {"pools": clean(client.list_identity_pool_usage())}
    for identity in identities:
        datasets = client.list_datasets(IdentityPoolId=POOL, IdentityId=identity)["Datasets"]
        seen[identity] = {"datasets": datasets}
        for name in [d["DatasetName"] for d in datasets] + ["gone", DATASET]:
            seen[identity][name] = clean(client.list_records(**ids(identity=identity, dataset=name)))
    seen["config"] = clean(client.get_identity_pool_configuration(IdentityPoolId=POOL))
    seen["events"] = clean(client.get_cognito_events(IdentityPoolId=POOL))
    seen["bulk"] = clean(client.get_bulk_publish_details(IdentityPoolId=POOL))
    return seen


def build_rich_state(mock: Any, client: Any) -> str:
    """Records, a tombstone, a deleted and a recreated dataset, config, events, a device."""
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
        CognitoStreams={"StreamName": "s", "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": "arn:aws:lambda:us-east-1:1:function:f"})
    write(client, [replace("a", "1"), replace("b", "é")])
    write(client, [remove("a", 1), replace("c", "3")])
    write(client, [replace("x", "1")], dataset="gone")
    client.delete_dataset(**ids(dataset="gone"))
    write(client, [replace("k", "v")], dataset="again")
    client.delete_dataset(**ids(dataset="again"))
    write(client, [replace("k", "w")], dataset="again")
    device = client.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t")["DeviceId"]
    client.subscribe_to_dataset(**ids(), DeviceId=device)
    client.bulk_publish(IdentityPoolId=POOL)
    mock.backend().merge_identities(POOL, OTHER_IDENTITY, IDENTITY)
    return str(device)


# -- snapshot documents ----------------------------------------------------------------

# A dataset as a full snapshot holds it: one record, all well formed.
GOOD_DATASET = {
    "creationDate": "2025-01-01T00:00:00+00:00",
    "lastModifiedDate": "2025-01-01T00:00:00+00:00",
    "lastModifiedBy": IDENTITY,
    "syncCount": 1,
    "records": {"k": {"value": "v", "syncCount": 1, "lastModifiedDate": "2025-01-01T00:00:00+00:00"}},
}


def full_snapshot(
    dataset: dict[str, Any], pool: str = POOL, identity: str = IDENTITY, account: str = DEFAULT_ACCOUNT
) -> dict[str, Any]:
    """A full snapshot document (version 1) holding one dataset, ``game``, in us-east-1."""
    pool_body = {
        "lastModifiedDate": "2025-01-01T00:00:00+00:00",
        "identities": {identity: {"lastModifiedDate": "2025-01-01T00:00:00+00:00", "datasets": {"game": dataset}}},
    }
    return {"version": 1, "accounts": {account: {"us-east-1": {"pools": {pool: pool_body}}}}}


# Where full_snapshot puts its dataset, as an error about it names the place.
PLACE = f"accounts.{DEFAULT_ACCOUNT}.us-east-1.pools.{POOL}.identities.{IDENTITY}.datasets.game"


# -- the side channels -----------------------------------------------------------------


def enable_push(client: Any, pool: str = POOL) -> None:
    client.set_identity_pool_configuration(
        IdentityPoolId=pool, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
    )


def enable_streams(client: Any, pool: str = POOL, stream: str = STREAM) -> None:
    client.set_identity_pool_configuration(
        IdentityPoolId=pool,
        CognitoStreams={"StreamName": stream, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )


def set_trigger(client: Any, arn: str = TRIGGER_ARN, pool: str = POOL) -> None:
    client.set_cognito_events(IdentityPoolId=pool, Events={"SyncTrigger": arn})


def read_kinesis(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    """Every record of the first shard of a Kinesis stream, from its start."""
    shard = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


# -- errors ----------------------------------------------------------------------------


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a ClientError."""
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@contextlib.contextmanager
def raises_error(code: str, status: int, message: str | None = None) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect a ClientError with this code and status (and exact message when given)."""
    with pytest.raises(ClientError) as info:
        yield info
    got_code, got_status, got_message = error_of(info)
    assert (got_code, got_status) == (code, status), got_message
    if message is not None:
        assert got_message == message


# -- dates -----------------------------------------------------------------------------


def utc(text: str) -> _dt.datetime:
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM:SS[.fff]``."""
    return _dt.datetime.fromisoformat(text).replace(tzinfo=_dt.timezone.utc)


def ms(moment: _dt.datetime) -> int:
    """Epoch milliseconds, as Cognito Streams dates."""
    return round(moment.timestamp() * 1000)


# -- the server's control endpoints and its state database -----------------------------

EMPTY = {"version": 1, "accounts": {}}
"""The snapshot of an empty state."""


def control(server_url: str, method: str, name: str, document: Any = None) -> tuple[int, Any]:
    """One control-endpoint request: (status, JSON answer)."""
    host, port = server_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = document if document is None or isinstance(document, bytes) else json.dumps(document).encode()
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        connection.request(method, f"/_mock/{name}", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def stored(path: Path) -> Any:
    """The snapshot a state database holds, read through a connection of its own."""
    from cognito_sync_mock.server.store import document

    with contextlib.closing(sqlite3.connect(path)) as connection:
        return document(connection)


class Observer:
    """A connection of its own to the database: did anyone commit since the last look?"""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.version = self._data_version()

    def _data_version(self) -> int:
        version: int = self.connection.execute("PRAGMA data_version").fetchone()[0]
        return version

    def committed(self) -> bool:
        """Whether another connection committed since the last call (or since it was made)."""
        version, self.version = self.version, self._data_version()
        return version != self.version


# -- ports and threads -----------------------------------------------------------------


def closed_port() -> int:
    """A loopback port where nothing listens (bound, never listening, kept for the process)."""
    with _closed_lock:
        if not _closed:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            _closed.append(sock)
        return int(_closed[0].getsockname()[1])


_closed: list[socket.socket] = []
_closed_lock = threading.Lock()


def run_threads(workers: list[Callable[[], None]], seconds: float = 120.0) -> list[BaseException]:
    """Start every worker together, join them all within ``seconds``; return what they raised."""
    barrier = threading.Barrier(len(workers))
    raised: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait(30)
            work()
        except BaseException as exc:  # reported by the test, not lost in a thread
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert alive == [], f"threads still running after {seconds}s (deadlock?): {alive}"
    return raised


class ThreadedHTTP:
    """An ``http.server`` handler class served on a free 127.0.0.1 port from a daemon thread."""

    def __init__(self, handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
