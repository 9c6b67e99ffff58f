"""What the tests share: IDs, clients, writes and reads, errors, dates, ports and threads.

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
import socket
import threading
from typing import Any, Iterator, Mapping, Sequence, Union

import boto3
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

# -- the side channels' ARNs -----------------------------------------------------------

APP_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/my-game"
OTHER_APP_ARN = "arn:aws:sns:eu-west-1:123456789012:app/APNS_SANDBOX/my.game-2"
ROLE_ARN = "arn:aws:iam::123456789012:role/CognitoSyncRole"
TRIGGER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sync-trigger"
STREAM = "sync-stream"

APP_ARN_PATTERN = r"arn:aws:sns:[-0-9a-z]+:\d+:app/[A-Z_]+/[a-zA-Z0-9_.-]+"
ROLE_ARN_PATTERN = r"arn:aws:iam::\d+:role/.*"

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
        return session.client(
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


def ids(pool: str = POOL, identity: str = IDENTITY, dataset: str | None = DATASET) -> dict[str, str]:
    """The path members of a data operation as boto3 keyword arguments."""
    out = {"IdentityPoolId": pool, "IdentityId": identity}
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


def _listing(pool: str, identity: str, dataset: str, last_sync_count: int | None) -> dict[str, Any]:
    listing: dict[str, Any] = ids(pool, identity, dataset)
    if last_sync_count is not None:
        listing["LastSyncCount"] = last_sync_count
    return listing


def token_for(client: Any, pool: str = POOL, identity: str = IDENTITY, dataset: str = DATASET) -> str:
    """A fresh SyncSessionToken from ListRecords."""
    return str(client.list_records(**ids(pool, identity, dataset))["SyncSessionToken"])


def write(
    client: Any,
    changes: Changes,
    *,
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
    last_sync_count: int | None = None,
    **members: Any,
) -> dict[str, Any]:
    """ListRecords for a sync session token, then one UpdateRecords with it; its answer.

    ``changes`` is key -> value (each a replace at the key's current SyncCount, 0 for a new
    key) or the record patches. ``last_sync_count`` goes to the ListRecords, any other
    member (``DeviceId``, ``ClientContext``...) to the UpdateRecords.
    """
    listed = client.list_records(**_listing(pool, identity, dataset, last_sync_count))
    result: dict[str, Any] = client.update_records(
        **ids(pool, identity, dataset),
        SyncSessionToken=listed["SyncSessionToken"],
        RecordPatches=_patches(changes, listed),
        **members,
    )
    return result


async def write_async(
    client: Any,
    changes: Changes,
    *,
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
    last_sync_count: int | None = None,
    **members: Any,
) -> dict[str, Any]:
    """``write`` for an aiobotocore client (its calls are awaited)."""
    listed = await client.list_records(**_listing(pool, identity, dataset, last_sync_count))
    result: dict[str, Any] = await client.update_records(
        **ids(pool, identity, dataset),
        SyncSessionToken=listed["SyncSessionToken"],
        RecordPatches=_patches(changes, listed),
        **members,
    )
    return result


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


# -- ports -----------------------------------------------------------------------------


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
