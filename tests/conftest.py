"""Shared constants, clients and helpers for the data-operation tests."""

from __future__ import annotations

import contextlib
import datetime as _dt
import threading
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
OTHER_POOL = "us-east-1:00000000-0000-4000-8000-0000000000a2"
IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b1"
OTHER_IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b2"
DATASET = "game"
DEFAULT_ACCOUNT = "123456789012"

pytest_plugins = ["pytester"]  # the plugin and the class decorator are tested on real inner runs


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


@pytest.fixture
def client(cognito_sync: Any) -> Any:
    """A client under the ``cognito_sync`` fixture's mock."""
    return make_client()


@pytest.fixture
def identity_client(cognito_sync: Any) -> Any:
    """A client signed with Cognito Identity credentials of IDENTITY, under the mock (one attempt per call)."""
    return cognito_sync.identity_client(POOL, IDENTITY, config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def unvalidated_client(cognito_sync: Any) -> Any:
    """A client that sends whatever it is given: the mock alone validates."""
    return make_client(parameter_validation=False)


@pytest.fixture
def backend(cognito_sync: Any) -> Any:
    """The mock's backend for the default account and us-east-1."""
    return cognito_sync.backend(REGION)


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


def token_for(client: Any, pool: str = POOL, identity: str = IDENTITY, dataset: str = DATASET) -> str:
    """A fresh SyncSessionToken from ListRecords."""
    return client.list_records(**ids(pool, identity, dataset))["SyncSessionToken"]


def update(
    client: Any,
    patches: list[dict[str, Any]],
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
    **kwargs: Any,
) -> dict[str, Any]:
    """ListRecords for a session token, then UpdateRecords with ``patches``."""
    token = token_for(client, pool, identity, dataset)
    return client.update_records(
        **ids(pool, identity, dataset), SyncSessionToken=token, RecordPatches=patches, **kwargs
    )


def put(client: Any, values: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    """Write new keys (SyncCount 0) in one UpdateRecords."""
    return update(client, [replace(k, v) for k, v in values.items()], **kwargs)


def list_all(client: Any, **kwargs: Any) -> dict[str, Any]:
    """ListRecords with the default IDs, overridable, plus any other member."""
    args = {**ids(), **kwargs}
    return client.list_records(**args)


def records_by_key(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["Key"]: record for record in response["Records"]}


def live_values(response: dict[str, Any]) -> dict[str, str]:
    """Key -> Value of the live records of a ListRecords/UpdateRecords answer."""
    return {r["Key"]: r["Value"] for r in response["Records"] if "Value" in r}


def utc(text: str) -> _dt.datetime:
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM:SS[.fff]``."""
    return _dt.datetime.fromisoformat(text).replace(tzinfo=_dt.timezone.utc)


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


def seed(
    backend: Any,
    values: dict[str, str],
    pool: str = POOL,
    identity: str = IDENTITY,
    dataset: str = DATASET,
) -> dict[str, Any]:
    """Write new keys straight on the backend (fast set-up, no HTTP)."""
    names = {"identity_pool_id": pool, "identity_id": identity, "dataset_name": dataset}
    token = backend.list_records(**names)["SyncSessionToken"]
    return backend.update_records(
        **names, sync_session_token=token, record_patches=[replace(k, v) for k, v in values.items()]
    )
