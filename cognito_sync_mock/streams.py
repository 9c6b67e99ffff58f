"""Cognito Streams: the stream records the mock publishes, readable through the mock.

Each record is also put on moto's Kinesis stream of the same name, account and region
when moto's mock is active in this process and holds such a stream.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from . import forks
from .moto_bridge import put_kinesis_record


class StreamRecord(NamedTuple):
    """One published record and where it went."""

    account_id: str
    region: str
    stream_name: str
    data: dict[str, Any]


class Streams:
    """Every stream record published, in order, across accounts and regions."""

    def __init__(self) -> None:
        self._lock = forks.renewed(self, "_lock", threading.Lock)
        self._published: list[StreamRecord] = []

    def publish(self, account_id: str, region: str, stream_name: str, data: dict[str, Any]) -> None:
        """Record one stream record and forward it to moto's Kinesis when it can take it."""
        with self._lock:
            self._published.append(StreamRecord(account_id, region, stream_name, data))
        put_kinesis_record(account_id, region, stream_name, data)

    def records(self, stream_name: str | None, region: str, account_id: str) -> list[dict[str, Any]]:
        """The records published to a stream (any stream when None) of an account and region."""
        with self._lock:
            return [
                r.data
                for r in self._published
                if r.account_id == account_id
                and r.region == region
                and (stream_name is None or r.stream_name == stream_name)
            ]

    def clear(self) -> None:
        with self._lock:
            self._published.clear()


def _ms(moment: Any) -> int:
    return int(round(moment.timestamp() * 1000))


def stream_record(pool_id: str, dataset: Any, operation: str, records: list[Any]) -> dict[str, Any]:
    """The Cognito Streams record of one dataset change (``records`` are models.Record)."""
    return {
        "identityPoolId": pool_id,
        "identityId": dataset.identity_id,
        "datasetName": dataset.name,
        "operation": operation,
        "payloadType": "Inline",
        "syncCount": dataset.sync_count,
        "lastModifiedDate": _ms(dataset.last_modified_date),
        "kinesisSyncRecords": [
            {
                "key": r.key,
                "value": r.value,
                "syncCount": r.sync_count,
                "lastModifiedDate": _ms(r.last_modified_date),
                "deviceLastModifiedDate": _ms(r.device_last_modified_date),
                "op": "replace" if r.value is not None else "remove",
            }
            for r in records
        ],
    }
