"""The whole mock state as plain JSON, and back.

``dump`` writes every account, region, pool, identity, dataset and record (sync counts,
dates, tombstones, deletion markers), configuration, events, devices, subscriptions,
bulk-publish status and sync-session counts. ``load`` checks a document completely and
builds new backends from it; nothing is replaced until all of it is known to be good.
A short hand-written form, ``{region: {pool: {identity: {dataset: {key: value}}}}}``,
expands to records at sync count 1. What the service model constrains (IDs, dataset
names, record keys and values, bulk-publish states) is checked against its shapes, read
once through the protocol layer when a document first needs them.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Mapping, Union

from botocore.model import Shape

from . import protocol
from .backend import Backend
from .backend.clock import now
from .backend.models import EVENT_TYPES, Dataset, Identity, Pool, Record
from .protocol.validation import validate

VERSION = 1
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_ACCOUNT = re.compile(r"\d{12}")


class SnapshotError(ValueError):
    """A state document that is not valid; the message names the place."""


def _member(structure: str, member: str) -> Shape:
    """The service model's shape of a structure's member."""
    return protocol.service().member(structure, member)


def _pool_id() -> Shape:
    return _member("IdentityPoolUsage", "IdentityPoolId")


def _identity_id() -> Shape:
    return _member("IdentityUsage", "IdentityId")


def _dataset_name() -> Shape:
    return _member("Dataset", "DatasetName")


def _record(member: str) -> Shape:
    return _member("Record", member)


_CONSTRAINT = "failed to satisfy constraint: "


def _fault(shape: Shape, value: Any) -> str | None:
    """None when ``value`` keeps to the model's ``shape``; else the lengths it breaks ("" if only its form)."""
    errors: list[str] = []
    validate(shape, value, errors)
    if not errors:
        return None
    return "; ".join(e.partition(_CONSTRAINT)[2] for e in errors if "Member must have length" in e)


def _shown(text: str) -> str:
    """A name as a message quotes it: a long one cut, with its length."""
    return repr(text) if len(text) <= 64 else f"{text[:64]!r}... ({len(text)} characters)"


Rule = Union[re.Pattern[str], Shape]  # what a key must match: a pattern, or a shape of the model


# -- dump ---------------------------------------------------------------------------------


def _date(moment: _dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def dump(backends: Mapping[tuple[str, str], Backend]) -> dict[str, Any]:
    """The state of every backend as a JSON-serializable dict with a ``version``.

    A backend that holds nothing (no pool, no sync session) is left out: it is no state.
    """
    accounts: dict[str, dict[str, Any]] = {}
    for (account, region), backend in sorted(backends.items()):
        with backend.lock:
            if backend.pools or backend.sync_sessions:
                accounts.setdefault(account, {})[region] = _dump_backend(backend)
    return {"version": VERSION, "accounts": accounts}


def _dump_backend(backend: Backend) -> dict[str, Any]:
    return {
        "syncSessions": dict(backend.sync_sessions),
        "pools": {pool_id: _dump_pool_tree(pool) for pool_id, pool in sorted(backend.pools.items())},
    }


def _dump_pool_tree(pool: Pool) -> dict[str, Any]:
    identities = {i: _dump_identity_tree(identity) for i, identity in sorted(pool.identities.items())}
    return {**dump_pool(pool), "identities": identities}


def _dump_identity_tree(identity: Identity) -> dict[str, Any]:
    datasets = {name: _dump_dataset_tree(d) for name, d in sorted(identity.datasets.items())}
    return {**dump_identity(identity), "datasets": datasets}


def _dump_dataset_tree(dataset: Dataset) -> dict[str, Any]:
    records = sorted(dataset.records.values(), key=lambda r: (r.sync_count, r.key))
    return {**dump_dataset(dataset), "records": {r.key: dump_record(r) for r in records}}


# One level of the document, without the levels below it (``identities``, ``datasets``,
# ``records``): what a store keeps per pool, identity, dataset and record.


def dump_pool(pool: Pool) -> dict[str, Any]:
    """A pool's own members: dates, configuration, events and bulk publish, not its identities."""
    bulk = pool.bulk_publish
    return {
        "lastModifiedDate": _date(pool.last_modified_date),
        "pushSync": pool.push_sync,
        "cognitoStreams": pool.cognito_streams,
        "events": dict(pool.events),
        "bulkPublish": {
            "status": bulk.status,
            "startTime": _date(bulk.start_time),
            "completeTime": _date(bulk.complete_time),
            "failureMessage": bulk.failure_message,
        },
    }


def dump_identity(identity: Identity) -> dict[str, Any]:
    """An identity's own members: date, merge links, devices and subscriptions, not its datasets."""
    return {
        "lastModifiedDate": _date(identity.last_modified_date),
        "merged": {name: list(names) for name, names in identity.merged.items()},
        "devices": {d: {"platform": p, "token": t} for d, (p, t) in identity.devices.items()},
        "subscriptions": {name: sorted(devices) for name, devices in identity.subscriptions.items()},
    }


def dump_dataset(dataset: Dataset) -> dict[str, Any]:
    """A dataset's own members: dates, author, sync counts and whether it exists, not its records."""
    return {
        "creationDate": _date(dataset.creation_date),
        "lastModifiedDate": _date(dataset.last_modified_date),
        "lastModifiedBy": dataset.last_modified_by,
        "syncCount": dataset.sync_count,
        "exists": dataset.exists,
        "deletedAtSyncCount": dataset.deleted_at_sync_count,
    }


def dump_record(record: Record) -> dict[str, Any]:
    """One record (its key is the name it is listed under)."""
    return {
        "value": record.value,
        "syncCount": record.sync_count,
        "lastModifiedDate": _date(record.last_modified_date),
        "lastModifiedBy": record.last_modified_by,
        "deviceLastModifiedDate": _date(record.device_last_modified_date),
    }


# -- load ---------------------------------------------------------------------------------


class _Reader:
    """Typed access to a document, naming the place of the first thing that is wrong."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def fail(self, message: str) -> SnapshotError:
        return SnapshotError(f"{self.path or 'state'}: {message}")

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail(f"must be an object, not {type(self.value).__name__}")
        return self.value

    def items(self, rule: Rule | None = None, what: str = "key") -> list[tuple[str, _Reader]]:
        out = []
        for key, value in self.mapping().items():
            if not isinstance(key, str):
                raise self.fail(f"{what} {key!r} is not valid")
            if isinstance(rule, re.Pattern) and not rule.fullmatch(key):
                raise self.fail(f"{what} {key!r} is not valid")
            fault = _fault(rule, key) if isinstance(rule, Shape) else None
            if fault is not None:
                raise self.fail(f"{what} {_shown(key)} is not valid" + (f": {fault}" if fault else ""))
            out.append((key, _Reader(value, f"{self.path}.{key}" if self.path else key)))
        return out

    def get(self, key: str, default: Any = ...) -> _Reader:
        data = self.mapping()
        if key not in data:
            if default is ...:
                raise self.fail(f"{key} is missing")
            return _Reader(default, f"{self.path}.{key}")
        return _Reader(data[key], f"{self.path}.{key}" if self.path else key)

    def typed(self, kind: type | tuple[type, ...], name: str, optional: bool = False) -> Any:
        if self.value is None and optional:
            return None
        if not isinstance(self.value, kind) or (kind is int and isinstance(self.value, bool)):
            raise self.fail(f"must be {name}")
        return self.value

    def text(self, shape: Shape, name: str, optional: bool = False) -> Any:
        """A string (or, if ``optional``, None) that keeps to the model's ``shape``."""
        value = self.typed(str, name, optional)
        fault = None if value is None else _fault(shape, value)
        if fault is not None:
            raise self.fail(f"{_shown(value)} is not valid" + (f": {fault}" if fault else ""))
        return value

    def count(self) -> int:
        value: int = self.typed(int, "a whole number")
        if value < 0:
            raise self.fail("must not be negative")
        return value

    def date(self, optional: bool = False) -> _dt.datetime | None:
        text = self.typed(str, "an ISO 8601 date", optional)
        if text is None:
            return None
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{text!r} is not an ISO 8601 date") from None
        if moment.tzinfo is None:
            raise self.fail(f"{text!r} needs a time zone")
        return moment.astimezone(_dt.timezone.utc)


NewBackend = Callable[[str, str], Backend]  # an empty backend of an account and region


def load(document: Any, account_id: str, new_backend: NewBackend) -> dict[tuple[str, str], Backend]:
    """New backends (made by ``new_backend``) from a full document or the short hand-written form."""
    root = _Reader(document, "")
    data = root.mapping()
    if "version" not in data:
        return _load_short(root, account_id, new_backend)
    if data["version"] != VERSION:
        raise root.get("version").fail(f"unknown version {data['version']!r}; this mock reads version {VERSION}")
    backends: dict[tuple[str, str], Backend] = {}
    for account, regions in root.get("accounts").items(_ACCOUNT, "account"):
        for region, body in regions.items(_REGION, "region"):
            backend = new_backend(account, region)
            _load_backend(backend, body)
            backends[(account, region)] = backend
    return backends


def _load_backend(backend: Backend, body: _Reader) -> None:
    for pool_id, count in body.get("syncSessions", {}).items(_pool_id(), "identity pool ID"):
        backend.sync_sessions[pool_id] = count.count()
    for pool_id, pool_body in body.get("pools", {}).items(_pool_id(), "identity pool ID"):
        backend.pools[pool_id] = _load_pool(pool_id, pool_body)


def _load_pool(pool_id: str, body: _Reader) -> Pool:
    pool = Pool(pool_id, body.get("lastModifiedDate").date())  # type: ignore[arg-type]
    pool.push_sync = body.get("pushSync", None).typed(dict, "an object", optional=True)
    pool.cognito_streams = body.get("cognitoStreams", None).typed(dict, "an object", optional=True)
    for name, arn in body.get("events", {}).items():
        if name not in EVENT_TYPES:
            raise body.get("events").fail(f"unknown event type {name!r}")
        pool.events[name] = arn.typed(str, "a Lambda function ARN")
    bulk_body = body.get("bulkPublish", {"status": "NOT_STARTED"})
    bulk = pool.bulk_publish
    status = bulk_body.get("status").typed(str, "a string")
    if status not in _member("GetBulkPublishDetailsResponse", "BulkPublishStatus").metadata["enum"]:
        raise bulk_body.get("status").fail(f"unknown bulk publish status {status!r}")
    bulk.status = status
    bulk.start_time = bulk_body.get("startTime", None).date(optional=True)
    bulk.complete_time = bulk_body.get("completeTime", None).date(optional=True)
    bulk.failure_message = bulk_body.get("failureMessage", None).typed(str, "a string", optional=True)
    for identity_id, identity_body in body.get("identities", {}).items(_identity_id(), "identity ID"):
        pool.identities[identity_id] = _load_identity(pool_id, identity_id, identity_body)
    return pool


def _load_identity(pool_id: str, identity_id: str, body: _Reader) -> Identity:
    identity = Identity(pool_id, identity_id, body.get("lastModifiedDate").date())  # type: ignore[arg-type]
    for name, dataset_body in body.get("datasets", {}).items(_dataset_name(), "dataset name"):
        identity.datasets[name] = _load_dataset(identity_id, name, dataset_body)
    for name, names in body.get("merged", {}).items(_dataset_name(), "dataset name"):
        identity.merged[name] = [str(n) for n in names.typed(list, "a list")]
    for device_id, device in body.get("devices", {}).items():
        identity.devices[device_id] = (
            device.get("platform").typed(str, "a string"),
            device.get("token").typed(str, "a string"),
        )
    for name, devices in body.get("subscriptions", {}).items(_dataset_name(), "dataset name"):
        listed = devices.typed(list, "a list")
        unknown = [d for d in listed if d not in identity.devices]
        if unknown:
            raise devices.fail(f"devices {unknown} are not registered")
        identity.subscriptions[name] = set(listed)
    return identity


def _load_dataset(identity_id: str, name: str, body: _Reader) -> Dataset:
    dataset = Dataset(identity_id, name, body.get("creationDate").date())  # type: ignore[arg-type]
    dataset.last_modified_date = body.get("lastModifiedDate").date()  # type: ignore[assignment]
    dataset.last_modified_by = body.get("lastModifiedBy").typed(str, "a string")
    dataset.sync_count = body.get("syncCount").count()
    dataset.exists = body.get("exists", True).typed(bool, "true or false")
    deleted_at_sync_count = body.get("deletedAtSyncCount", None)
    dataset.deleted_at_sync_count = None if deleted_at_sync_count.value is None else deleted_at_sync_count.count()
    if dataset.deleted_at_sync_count is not None and dataset.deleted_at_sync_count > dataset.sync_count:
        raise deleted_at_sync_count.fail(f"exceeds the dataset's syncCount {dataset.sync_count}")
    for key, record_body in body.get("records", {}).items(_record("Key"), "record key"):
        if not dataset.exists:
            raise record_body.fail("a deleted dataset holds no records")
        value = record_body.get("value", None).text(_record("Value"), "a string or null", optional=True)
        count_reader = record_body.get("syncCount")
        count = count_reader.count()
        if count > dataset.sync_count:
            raise count_reader.fail(f"exceeds the dataset's syncCount {dataset.sync_count}")
        modified = record_body.get("lastModifiedDate").date()
        device = record_body.get("deviceLastModifiedDate", None).date(optional=True)
        by = record_body.get("lastModifiedBy", identity_id).typed(str, "a string")
        dataset.store([Record(key, value, count, modified, by, device or modified)])  # type: ignore[arg-type]
    return dataset


def _load_short(root: _Reader, account_id: str, new_backend: NewBackend) -> dict[tuple[str, str], Backend]:
    """Expand ``{region: {pool: {identity: {dataset: {key: value}}}}}`` at sync count 1."""
    moment = now()
    backends: dict[tuple[str, str], Backend] = {}
    for region, pools in root.items(_REGION, "region"):
        backend = new_backend(account_id, region)
        for pool_id, identities in pools.items(_pool_id(), "identity pool ID"):
            pool = backend.pools[pool_id] = Pool(pool_id, moment)
            for identity_id, datasets in identities.items(_identity_id(), "identity ID"):
                identity = pool.identities[identity_id] = Identity(pool_id, identity_id, moment)
                for name, records in datasets.items(_dataset_name(), "dataset name"):
                    dataset = identity.datasets[name] = Dataset(identity_id, name, moment, sync_count=1)
                    for key, value in records.items(_record("Key"), "record key"):
                        text = value.text(_record("Value"), "a string value")
                        dataset.store([Record(key, text, 1, moment, identity_id, moment)])
        backends[(account_id, region)] = backend
    return backends
