"""The whole mock state as plain JSON, and back.

``dump`` writes every account, region, pool, identity, dataset and record (sync counts,
dates, tombstones, deletion markers), configuration, events, devices, subscriptions,
bulk-publish status and sync-session counts. ``load`` checks a document completely and
builds new backends from it; nothing is replaced until all of it is known to be good.
A short hand-written form, ``{region: {pool: {identity: {dataset: {key: value}}}}}``,
expands to records at sync count 1.

Reading is strict: a member the format does not have is refused, and every value is
held to the rule of its kind (``rules``: the same rules the protocol and the mock's API
apply), to the forms the mock itself writes, and to the backend's limits. What a request
could store, a document can hold; nothing else. Each refusal names its place.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Container, Mapping

from . import protocol, rules
from .backend import Backend
from .backend.clock import now
from .backend.limits import Limits
from .backend.models import EVENT_TYPES, Dataset, Identity, Pool, Record, streams_fault
from .exceptions import shown
from .protocol.validation import Violations, summary, validate
from .rules import Rule

VERSION = 1
LONG_MAX = 2**63 - 1  # the model's counts are longs


class SnapshotError(ValueError):
    """A state document that is not valid; the message names the place."""


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

    def _child(self, key: str, value: Any) -> _Reader:
        return _Reader(value, f"{self.path}.{key}" if self.path else key)

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail(f"must be an object, not {type(self.value).__name__}")
        return self.value

    def only(self, *members: str) -> _Reader:
        """This object, when it has no member but ``members``: a misspelt one is refused, not ignored."""
        for key in self.mapping():
            if key not in members:
                raise self.fail(f"unknown member {shown(key)}")
        return self

    def items(self, rule: Rule) -> list[tuple[str, _Reader]]:
        """The members of an object whose names are values of ``rule``'s kind (IDs, names, keys)."""
        out = []
        for key, value in self.mapping().items():
            reason = rule.fault(key)
            if reason is not None:
                raise self.fail(f"{rule.name} {shown(key)} is not valid: {reason}")
            out.append((key, self._child(key, value)))
        return out

    def get(self, key: str, default: Any = ...) -> _Reader:
        data = self.mapping()
        if key not in data:
            if default is ...:
                raise self.fail(f"{key} is missing")
            return _Reader(default, f"{self.path}.{key}" if self.path else key)
        return self._child(key, data[key])

    def typed(self, kind: type | tuple[type, ...], name: str, optional: bool = False) -> Any:
        if self.value is None and optional:
            return None
        if not isinstance(self.value, kind) or (kind is int and isinstance(self.value, bool)):
            raise self.fail(f"must be {name}")
        return self.value

    def text(self, rule: Rule, name: str = "a string", optional: bool = False) -> Any:
        """A string (or, if ``optional``, None) of ``rule``'s kind."""
        value = self.typed(str, name, optional)
        reason = None if value is None else rule.fault(value)
        if reason is not None:
            raise self.fail(f"{shown(value)} is not valid: {reason}")
        return value

    def names(self, rule: Rule, known: Container[str], what: str) -> list[str]:
        """A list of distinct strings of ``rule``'s kind, each of them ``known`` (a ``what``)."""
        names: list[str] = []
        for index, value in enumerate(self.typed(list, "a list")):
            item = self._child(str(index), value)
            if item.text(rule) in names:
                raise item.fail(f"{shown(value)} is listed twice")
            if value not in known:
                raise item.fail(f"{shown(value)} is no {what}")
            names.append(value)
        return names

    def count(self, least: int = 0) -> int:
        value: int = self.typed(int, "a whole number")
        if value < least:
            raise self.fail("must not be negative" if least == 0 else f"must be at least {least}")
        if value > LONG_MAX:
            raise self.fail(f"must be at most {LONG_MAX}")
        return value

    def date(self, optional: bool = False) -> _dt.datetime | None:
        text = self.typed(str, "an ISO 8601 date", optional)
        if text is None:
            return None
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{shown(text)} is not an ISO 8601 date") from None
        if moment.tzinfo is None:
            raise self.fail(f"{shown(text)} needs a time zone")
        return moment.astimezone(_dt.timezone.utc)

    def moment(self) -> _dt.datetime:
        """A date that must be there."""
        moment = self.date()
        assert moment is not None  # not optional
        return moment


NewBackend = Callable[[str, str], Backend]  # an empty backend of an account and region


def load(document: Any, account_id: str, new_backend: NewBackend) -> dict[tuple[str, str], Backend]:
    """New backends (made by ``new_backend``) from a full document or the short hand-written form."""
    root = _Reader(document, "")
    data = root.mapping()
    if "version" not in data:
        return _load_short(root, account_id, new_backend)
    version = data["version"]
    if type(version) is not int or version != VERSION:
        raise root.get("version").fail(f"unknown version {shown(version)}; this mock reads version {VERSION}")
    backends: dict[tuple[str, str], Backend] = {}
    for account, regions in root.only("version", "accounts").get("accounts").items(rules.ACCOUNT_ID):
        for region, body in regions.items(rules.REGION):
            backend = new_backend(account, region)
            _load_backend(backend, body.only("syncSessions", "pools"))
            backends[(account, region)] = backend
    return backends


def _load_backend(backend: Backend, body: _Reader) -> None:
    for pool_id, count in body.get("syncSessions", {}).items(rules.POOL_ID):
        backend.sync_sessions[pool_id] = count.count()
    for pool_id, pool_body in body.get("pools", {}).items(rules.POOL_ID):
        backend.pools[pool_id] = _load_pool(pool_id, pool_body, backend.limits)


_POOL = ("lastModifiedDate", "pushSync", "cognitoStreams", "events", "bulkPublish", "identities")
_IDENTITY = ("lastModifiedDate", "merged", "devices", "subscriptions", "datasets")
_DATASET = (
    "creationDate",
    "lastModifiedDate",
    "lastModifiedBy",
    "syncCount",
    "exists",
    "deletedAtSyncCount",
    "records",
)
_RECORD = ("value", "syncCount", "lastModifiedDate", "lastModifiedBy", "deviceLastModifiedDate")


def _load_pool(pool_id: str, body: _Reader, limits: Limits) -> Pool:
    pool = Pool(pool_id, body.only(*_POOL).get("lastModifiedDate").moment())
    pool.push_sync = _configuration(body.get("pushSync", None), "PushSync")
    if pool.push_sync == {}:
        raise body.get("pushSync").fail("must not be empty: a pool without push sync has null here")
    pool.cognito_streams = _configuration(body.get("cognitoStreams", None), "CognitoStreams")
    fault = None if pool.cognito_streams is None else streams_fault(pool.cognito_streams)
    if fault is not None:
        raise body.get("cognitoStreams").fail(fault)
    events = body.get("events", {})
    for name in events.mapping():
        if name not in EVENT_TYPES:
            raise events.fail(f"unknown event type {shown(name)}; the only one is SyncTrigger")
        arn = events.get(name)
        pool.events[name] = arn.text(rules.LAMBDA_FUNCTION_ARN)
        if not pool.events[name]:
            raise arn.fail(f"must not be empty: leave {name} out for a pool without one")
    _load_bulk_publish(pool, body.get("bulkPublish", {"status": "NOT_STARTED"}))
    for identity_id, identity_body in body.get("identities", {}).items(rules.IDENTITY_ID):
        pool.identities[identity_id] = _load_identity(pool_id, identity_id, identity_body, limits)
    return pool


def _configuration(body: _Reader, structure: str) -> dict[str, Any] | None:
    """A pool's PushSync or CognitoStreams, as SetIdentityPoolConfiguration would take it (or None)."""
    if body.value is None:
        return None
    shape = protocol.service().member("SetIdentityPoolConfigurationRequest", structure)
    data = body.only(*shape.members).mapping()  # type: ignore[attr-defined]
    for member, value in data.items():
        if value is None:
            raise body.get(member).fail("must not be null: leave it out")
    errors = Violations()
    configuration: dict[str, Any] = validate(shape, dict(data), errors)  # a copy: validate converts in place
    if errors:
        raise body.fail(summary(errors))
    return configuration


def _load_bulk_publish(pool: Pool, body: _Reader) -> None:
    bulk = pool.bulk_publish
    body.only("status", "startTime", "completeTime", "failureMessage")
    bulk.status = body.get("status").text(rules.BULK_PUBLISH_STATUS)
    bulk.start_time = body.get("startTime", None).date(optional=True)
    bulk.complete_time = body.get("completeTime", None).date(optional=True)
    bulk.failure_message = body.get("failureMessage", None).text(rules.TEXT, optional=True)


def _load_identity(pool_id: str, identity_id: str, body: _Reader, limits: Limits) -> Identity:
    identity = Identity(pool_id, identity_id, body.only(*_IDENTITY).get("lastModifiedDate").moment())
    datasets = body.get("datasets", {})
    for name, dataset_body in datasets.items(rules.DATASET_NAME):
        identity.datasets[name] = _load_dataset(identity_id, name, dataset_body, limits)
    _within_dataset_limit(datasets, identity, limits)
    live = {dataset.name for dataset in identity.live()}
    for name, names in body.get("merged", {}).items(rules.DATASET_NAME):
        identity.merged[name] = names.names(rules.DATASET_NAME, live, "dataset of this identity")
    for device_id, device in body.get("devices", {}).items(rules.DEVICE_ID):
        device.only("platform", "token")
        registered = (device.get("platform").text(rules.PLATFORM), device.get("token").text(rules.PUSH_TOKEN))
        twin = next((other for other, known in identity.devices.items() if known == registered), None)
        if twin is not None:
            raise device.fail(f"has the platform and token of device {shown(twin)}: a device is registered once")
        identity.devices[device_id] = registered
    for name, devices in body.get("subscriptions", {}).items(rules.DATASET_NAME):
        if name not in live:
            raise devices.fail("is no dataset of this identity: only a dataset has subscriptions")
        identity.subscriptions[name] = set(devices.names(rules.DEVICE_ID, identity.devices, "registered device"))
    return identity


def _load_dataset(identity_id: str, name: str, body: _Reader, limits: Limits) -> Dataset:
    dataset = Dataset(identity_id, name, body.only(*_DATASET).get("creationDate").moment())
    dataset.last_modified_date = body.get("lastModifiedDate").moment()
    dataset.last_modified_by = body.get("lastModifiedBy").text(rules.TEXT)
    dataset.sync_count = body.get("syncCount").count()
    dataset.exists = body.get("exists", True).typed(bool, "true or false")
    deleted_at = body.get("deletedAtSyncCount", None)
    dataset.deleted_at_sync_count = None if deleted_at.value is None else deleted_at.count()
    if dataset.deleted_at_sync_count is not None and dataset.deleted_at_sync_count > dataset.sync_count:
        raise deleted_at.fail(f"exceeds the dataset's syncCount {dataset.sync_count}")
    if not dataset.exists and dataset.deleted_at_sync_count is None:
        raise body.fail("a deleted dataset needs its deletedAtSyncCount (the sync count it was deleted at)")
    for key, record_body in body.get("records", {}).items(rules.RECORD_KEY):
        if not dataset.exists:
            raise record_body.fail("a deleted dataset holds no records")
        dataset.store([_load_record(identity_id, key, record_body.only(*_RECORD), dataset.sync_count)])
    _within_size_limits(body, dataset, limits)
    return dataset


def _load_record(identity_id: str, key: str, body: _Reader, dataset_sync_count: int) -> Record:
    value = body.get("value").text(rules.RECORD_VALUE, "a string or null", optional=True)
    count_reader = body.get("syncCount")
    count = count_reader.count(least=1)
    if count > dataset_sync_count:
        raise count_reader.fail(f"exceeds the dataset's syncCount {dataset_sync_count}")
    modified = body.get("lastModifiedDate").moment()
    device = body.get("deviceLastModifiedDate", None).date(optional=True)
    by = body.get("lastModifiedBy", identity_id).text(rules.TEXT)
    return Record(key, value, count, modified, by, device or modified)


def _within_size_limits(body: _Reader, dataset: Dataset, limits: Limits) -> None:
    """A dataset's records keep to the limits an UpdateRecords is held to."""
    if dataset.num_records > limits.records_per_dataset:
        raise body.fail(
            f"holds {dataset.num_records} records, more than the limit of {limits.records_per_dataset}"
            " (records_per_dataset)"
        )
    if dataset.data_storage > limits.dataset_bytes:
        raise body.fail(
            f"holds {dataset.data_storage} bytes, more than the limit of {limits.dataset_bytes} (dataset_bytes)"
        )


def _within_dataset_limit(datasets: _Reader, identity: Identity, limits: Limits) -> None:
    if identity.dataset_count > limits.datasets_per_identity:
        raise datasets.fail(
            f"{identity.dataset_count} datasets, more than the limit of {limits.datasets_per_identity}"
            " (datasets_per_identity)"
        )


def _load_short(root: _Reader, account_id: str, new_backend: NewBackend) -> dict[tuple[str, str], Backend]:
    """Expand ``{region: {pool: {identity: {dataset: {key: value}}}}}`` at sync count 1."""
    if "accounts" in root.mapping():
        raise root.fail('a document with accounts is a snapshot: it needs "version": 1')
    moment = now()
    backends: dict[tuple[str, str], Backend] = {}
    for region, pools in root.items(rules.REGION):
        backend = new_backend(account_id, region)
        for pool_id, identities in pools.items(rules.POOL_ID):
            pool = backend.pools[pool_id] = Pool(pool_id, moment)
            for identity_id, datasets in identities.items(rules.IDENTITY_ID):
                identity = pool.identities[identity_id] = Identity(pool_id, identity_id, moment)
                for name, records in datasets.items(rules.DATASET_NAME):
                    dataset = identity.datasets[name] = Dataset(identity_id, name, moment, sync_count=1)
                    for key, value in records.items(rules.RECORD_KEY):
                        text = value.text(rules.RECORD_VALUE, "a string value")
                        dataset.store([Record(key, text, 1, moment, identity_id, moment)])
                    _within_size_limits(records, dataset, backend.limits)
                _within_dataset_limit(datasets, identity, backend.limits)
        backends[(account_id, region)] = backend
    return backends
