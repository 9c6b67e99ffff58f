"""The domain objects: pools, identities, datasets and records, free of HTTP.

A dataset keeps its records in a dict by key and, beside it, a list of
``(sync_count, key)`` kept sorted, so that a delta listing (records above a sync count)
starts with a bisection and costs in proportion to what changed.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from typing import Any

from ..frozen import FrozenDict


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8, the unit of DataStorage."""
    return len(text.encode("utf-8")) if not text.isascii() else len(text)


class Record:
    """One key of a dataset; ``value`` None marks a tombstone (a deleted record)."""

    __slots__ = (
        "_view",
        "device_last_modified_date",
        "key",
        "last_modified_by",
        "last_modified_date",
        "size",
        "sync_count",
        "value",
    )

    def __init__(
        self,
        key: str,
        value: str | None,
        sync_count: int,
        modified: _dt.datetime,
        modified_by: str,
        device_modified: _dt.datetime,
    ) -> None:
        self.key = key
        self.value = value
        self.sync_count = sync_count
        self.last_modified_date = modified
        self.last_modified_by = modified_by
        self.device_last_modified_date = device_modified
        # What this record adds to DataStorage (0 for a tombstone); ASCII text, mostly, is its length.
        if value is None:
            self.size = 0
        elif key.isascii() and value.isascii():
            self.size = len(key) + len(value)
        else:
            self.size = utf8_size(key) + utf8_size(value)
        self._view: FrozenDict | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "_view"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._view = None  # a copy makes its own view when first asked

    def to_dict(self) -> dict[str, Any]:
        """The record as the model's Record shape; made once, since a record never changes."""
        if self._view is None:
            view = FrozenDict(
                {  # a literal: keyword arguments would cost a dict more
                    "Key": self.key,
                    "Value": self.value,
                    "SyncCount": self.sync_count,
                    "LastModifiedDate": self.last_modified_date,
                    "LastModifiedBy": self.last_modified_by,
                    "DeviceLastModifiedDate": self.device_last_modified_date,
                }
            )
            view._json = None  # not written yet
            self._view = view
        return self._view


class Dataset:
    """A dataset and its sync count; it outlives its deletion to remember that count."""

    def __init__(self, identity_id: str, name: str, now: _dt.datetime, sync_count: int = 0) -> None:
        self.identity_id = identity_id
        self.name = name
        self.creation_date = now
        self.last_modified_date = now
        self.last_modified_by = identity_id
        self.sync_count = sync_count
        self.exists = True
        self.deleted_at_sync_count: int | None = None  # the sync count at the last deletion
        self.records: dict[str, Record] = {}
        self._order: list[tuple[int, str]] = []
        self.num_records = 0
        self.data_storage = 0

    def recreate(self, now: _dt.datetime) -> None:
        """Bring a deleted dataset back; its sync count goes on from where it stopped."""
        self.exists = True
        self.creation_date = now
        self.last_modified_date = now

    def delete(self) -> None:
        """Drop every record and remember the count the dataset was deleted at."""
        self.exists = False
        self.deleted_at_sync_count = self.sync_count
        self.records.clear()
        self._order.clear()
        self.num_records = 0
        self.data_storage = 0

    def store(self, records: list[Record]) -> None:
        """Put records (of distinct keys) in place of those with their keys, keeping the order and the usage."""
        order, stored = self._order, self.records
        data_storage, num_records = self.data_storage, self.num_records
        for record in records:
            old = stored.get(record.key)
            if old is not None:
                del order[bisect.bisect_left(order, (old.sync_count, old.key))]
                data_storage -= old.size
                num_records -= old.value is not None
            stored[record.key] = record
            data_storage += record.size
            num_records += record.value is not None
        self.data_storage, self.num_records = data_storage, num_records
        entries = sorted([(record.sync_count, record.key) for record in records])
        if entries and (not order or order[-1] < entries[0]):
            order.extend(entries)  # a write's records: all newer than any stored
        else:
            for entry in entries:
                bisect.insort(order, entry)

    def changed_since(self, after: tuple[int, str], up_to: int, limit: int) -> list[Record]:
        """Up to ``limit`` records ordered by (SyncCount, key) past ``after``, with SyncCount <= ``up_to``."""
        order = self._order
        start = bisect.bisect_right(order, after)
        stop = bisect.bisect_left(order, (up_to + 1, ""), start, min(len(order), start + limit))
        records = self.records
        return [records[key] for _, key in order[start:stop]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "IdentityId": self.identity_id,
            "DatasetName": self.name,
            "CreationDate": self.creation_date,
            "LastModifiedDate": self.last_modified_date,
            "LastModifiedBy": self.last_modified_by,
            "DataStorage": self.data_storage,
            "NumRecords": self.num_records,
        }


class Identity:
    """An identity of a pool, with its datasets (live and deleted) and merge links."""

    def __init__(self, pool_id: str, identity_id: str, now: _dt.datetime) -> None:
        self.pool_id = pool_id
        self.identity_id = identity_id
        self.last_modified_date = now
        self.datasets: dict[str, Dataset] = {}
        self.merged: dict[str, list[str]] = {}  # dataset name -> names merged into it
        self.devices: dict[str, tuple[str, str]] = {}  # device ID -> (platform, token)
        self.subscriptions: dict[str, set[str]] = {}  # dataset name -> device IDs

    def live(self) -> list[Dataset]:
        """The datasets that exist, ordered by name."""
        return sorted((d for d in self.datasets.values() if d.exists), key=lambda d: d.name)

    @property
    def dataset_count(self) -> int:
        """How many datasets exist (the dataset limit counts these)."""
        return sum(1 for d in self.datasets.values() if d.exists)

    def live_dataset(self, name: str) -> Dataset | None:
        dataset = self.datasets.get(name)
        return dataset if dataset is not None and dataset.exists else None

    @property
    def data_storage(self) -> int:
        return sum(d.data_storage for d in self.datasets.values() if d.exists)

    def to_usage(self) -> dict[str, Any]:
        return {
            "IdentityId": self.identity_id,
            "IdentityPoolId": self.pool_id,
            "LastModifiedDate": self.last_modified_date,
            "DatasetCount": self.dataset_count,
            "DataStorage": self.data_storage,
        }


EVENT_TYPES = ("SyncTrigger",)
"""The Cognito events a pool may set (the model leaves the names open; AWS has this one)."""


class BulkPublish:
    """The state of a pool's latest bulk publish."""

    def __init__(self) -> None:
        self.status = "NOT_STARTED"
        self.start_time: _dt.datetime | None = None
        self.complete_time: _dt.datetime | None = None
        self.failure_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "BulkPublishStatus": self.status,
            "BulkPublishStartTime": self.start_time,
            "BulkPublishCompleteTime": self.complete_time,
            "FailureMessage": self.failure_message,
        }


def streams_fault(cognito_streams: dict[str, Any]) -> str | None:
    """Why a pool cannot stream with this CognitoStreams configuration, or None when it can."""
    if cognito_streams.get("StreamingStatus") == "ENABLED" and not cognito_streams.get("StreamName"):
        return "CognitoStreams needs a StreamName when StreamingStatus is ENABLED"
    return None


class Pool:
    """An identity pool as Cognito Sync sees it: identities and pool-wide settings."""

    def __init__(self, pool_id: str, now: _dt.datetime) -> None:
        self.pool_id = pool_id
        self.last_modified_date = now
        self.identities: dict[str, Identity] = {}
        self.push_sync: dict[str, Any] | None = None
        self.cognito_streams: dict[str, Any] | None = None
        self.events: dict[str, str] = {}  # event type (EVENT_TYPES) -> Lambda function ARN
        self.bulk_publish = BulkPublish()

    @property
    def stream_name(self) -> str | None:
        """The stream records go to, when Cognito Streams is enabled."""
        streams = self.cognito_streams or {}
        return streams.get("StreamName") if streams.get("StreamingStatus") == "ENABLED" else None

    @property
    def data_storage(self) -> int:
        return sum(i.data_storage for i in self.identities.values())

    def to_usage(self, sync_sessions: int) -> dict[str, Any]:
        return {
            "IdentityPoolId": self.pool_id,
            "SyncSessionsCount": sync_sessions,
            "DataStorage": self.data_storage,
            "LastModifiedDate": self.last_modified_date,
        }
