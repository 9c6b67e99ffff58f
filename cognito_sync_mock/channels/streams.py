"""Cognito Streams: the stream records the mock publishes, readable through the mock.

Each record also goes to a ``StreamSink`` when one is plugged in (``integrations.moto``:
moto's Kinesis stream of the same name, account and region, when moto's mock is active
and holds one). A record too large for Kinesis carries a URL to its records instead of
the records (``payloadType: S3Url``): the sink's, when it can keep the payload, else the
mock's own.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from typing import Any, NamedTuple, Protocol

from .. import forks
from ..ids import Ids

KINESIS_MAX_RECORD_BYTES = 1024 * 1024
"""Kinesis PutRecord: the data blob plus the partition key may be at most 1 MiB."""
PAYLOAD_PATH = "/_mock/stream-payloads/"
"""Where the mock's own ``kinesisSyncRecordsURL`` point, under a base URL, with a payload ID."""
OFFLINE_BASE_URL = "http://cognito-sync-mock.invalid"
"""The base of those URLs when no server made the record: ``.invalid`` never resolves (RFC 2606)."""


class StreamRecord(NamedTuple):
    """One published record and where it went."""

    account_id: str
    region: str
    stream_name: str
    data: dict[str, Any]


def kinesis_data(value: Any) -> bytes:
    """The JSON the mock puts on Kinesis (and behind a URL): ASCII, so any string encodes."""
    return json.dumps(value).encode()


class StreamSink(Protocol):
    """Where else stream records go: a real-looking Kinesis and S3 (moto's, by ``integrations.moto``)."""

    def put_record(self, account_id: str, region: str, stream_name: str, partition_key: str, data: bytes) -> None:
        """Put one record's JSON on the stream of that name, if the sink holds one."""

    def put_payload(
        self, account_id: str, region: str, payload_id: str, body: bytes, base_url: str | None
    ) -> str | None:
        """Keep a too-large record's payload and answer a URL to it, or None to leave it to the mock.

        ``base_url``: the running server's, when a server made the record (its URLs may point there).
        """


class NoSink:
    """The sink of streams with nothing plugged in: records stay with the mock."""

    def put_record(self, account_id: str, region: str, stream_name: str, partition_key: str, data: bytes) -> None:
        pass

    def put_payload(
        self, account_id: str, region: str, payload_id: str, body: bytes, base_url: str | None
    ) -> str | None:
        return None


class Streams:
    """Every stream record published, in order, across accounts and regions, and their payloads."""

    def __init__(self, sink: StreamSink | None = None, ids: Ids | None = None) -> None:
        self.sink: StreamSink = sink or NoSink()
        self.ids = ids or Ids()  # where payload IDs come from
        self._lock = forks.renewed(self, "_lock", threading.Lock)
        self._published: list[StreamRecord] = []
        self._payload_ids: dict[str, str] = {}  # kinesisSyncRecordsURL -> payload ID
        self._payloads: dict[str, bytes] = {}  # payload ID -> the records' JSON
        self.base_url: str | None = None  # a running server's URL: its own URLs point there

    def publish(self, account_id: str, region: str, stream_name: str, data: dict[str, Any]) -> None:
        """Record one stream record and hand it to the sink.

        A record whose JSON plus partition key (the identity ID) exceed Kinesis's 1 MiB is
        published in its S3Url form instead.
        """
        body = kinesis_data(data)
        if len(body) + len(data["identityId"].encode("utf-8")) > KINESIS_MAX_RECORD_BYTES:
            data = self._by_url(account_id, region, data)
            body = kinesis_data(data)
        with self._lock:
            self._published.append(StreamRecord(account_id, region, stream_name, data))
        self.sink.put_record(account_id, region, stream_name, data["identityId"], body)

    def _by_url(self, account_id: str, region: str, data: dict[str, Any]) -> dict[str, Any]:
        """The S3Url form of a record: its records kept as a payload, a URL in their place.

        The URL is the sink's when it keeps the payload (moto's presigned one, when moto's
        mock is active), else the mock's own (under the running server's URL, or the
        ``.invalid`` host).
        """
        payload_id, payload = self.ids.uuid4().hex, kinesis_data(data["kinesisSyncRecords"])
        url = self.sink.put_payload(account_id, region, payload_id, payload, self.base_url)
        if url is None:
            url = f"{self.base_url or OFFLINE_BASE_URL}{PAYLOAD_PATH}{payload_id}"
        with self._lock:
            self._payload_ids[url] = payload_id
            self._payloads[payload_id] = payload
        short = {k: v for k, v in data.items() if k != "kinesisSyncRecords"}
        return {**short, "payloadType": "S3Url", "kinesisSyncRecordsURL": url}

    def payload(self, url: str) -> list[dict[str, Any]]:
        """The records behind a ``kinesisSyncRecordsURL`` the mock made; KeyError for another URL."""
        if not isinstance(url, str):
            raise TypeError(f"a kinesisSyncRecordsURL is a str, not {type(url).__name__}")
        with self._lock:
            payload_id = self._payload_ids.get(url)
        if payload_id is None:
            raise KeyError(f"no stream payload at {url!r}: not a URL this mock made since its last reset")
        return self.payload_of(payload_id)

    def payload_of(self, payload_id: str) -> list[dict[str, Any]]:
        """The records of a payload by its ID (the last part of the mock's own URLs); KeyError if unknown."""
        with self._lock:
            body = self._payloads.get(payload_id)
        if body is None:
            raise KeyError(f"no stream payload {payload_id!r}")
        records: list[dict[str, Any]] = json.loads(body)
        return records

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

    def count(self) -> int:
        """How many records were published."""
        return len(self._published)

    def truncate(self, count: int) -> None:
        """Forget every record after the first ``count`` (their payloads stay readable)."""
        with self._lock:
            del self._published[count:]

    def clear(self) -> None:
        """Forget every record and payload."""
        with self._lock:
            self._published.clear()
            self._payload_ids.clear()
            self._payloads.clear()


def _ms(moment: _dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


def stream_record(pool_id: str, dataset: Any, operation: str, records: list[Any] | None) -> dict[str, Any]:
    """The Cognito Streams record of one dataset change (``records`` are models.Record).

    ``records=None`` (a DeleteDataset) leaves ``kinesisSyncRecords`` out: AWS's streams
    sample reads "neither records nor a URL" as the remove of a whole dataset.
    """
    record: dict[str, Any] = {
        "identityPoolId": pool_id,
        "identityId": dataset.identity_id,
        "datasetName": dataset.name,
        "operation": operation,
        "payloadType": "Inline",
        "syncCount": dataset.sync_count,
        "lastModifiedDate": _ms(dataset.last_modified_date),
    }
    if records is not None:
        record["kinesisSyncRecords"] = [
            {
                "key": r.key,
                "value": r.value,
                "syncCount": r.sync_count,
                "lastModifiedDate": _ms(r.last_modified_date),
                "deviceLastModifiedDate": _ms(r.device_last_modified_date),
                "op": "replace" if r.value is not None else "remove",
            }
            for r in records
        ]
    return record
