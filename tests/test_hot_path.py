"""The pieces the hot path relies on: remembered tokens, batched stores, compiled writers."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from helpers import DATASET, IDENTITY, ids, raises_error, replace, token_for

from cognito_sync_mock import protocol
from cognito_sync_mock.backend import tokens
from cognito_sync_mock.backend.models import Dataset, Record
from cognito_sync_mock.frozen import FrozenDict
from cognito_sync_mock.ids import Ids
from cognito_sync_mock.protocol.serialize import to_json, writer

MOMENT = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
KEY = bytes(range(32))


class _Forgetful(dict):  # type: ignore[type-arg]
    def __setitem__(self, key: Any, value: Any) -> None:
        pass


@pytest.fixture
def forgetful_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token is remembered: every token is read back from its text."""
    monkeypatch.setattr(tokens, "_recent", _Forgetful())


# -- tokens ----------------------------------------------------------------------------------


def test_a_token_is_read_back_from_its_text_once_forgotten(forgetful_tokens: None) -> None:
    payload = ["ListRecords", "k\u00e9y \u2603", 3, 1.5, '"quoted"']
    token = tokens.sign(payload, KEY)
    assert tokens.unseal(token, KEY) == payload
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{24}", token)


def test_a_forged_or_damaged_token_is_refused(forgetful_tokens: None) -> None:
    token = tokens.sign(["a", 1], KEY)
    body, mac = token.split(".")
    forged = tokens._b64(b'["a",2]').decode()
    flipped = mac[:-1] + ("B" if mac[-1] == "A" else "A")
    assert tokens.unseal(f"{forged}.{mac}", KEY) is None
    assert tokens.unseal(f"{body}.{flipped}", KEY) is None
    assert [tokens.unseal(text, KEY) for text in ("", ".", "no-dot", f".{mac}", "\ud800.x")] == [None] * 5


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "read back"])
def test_a_token_opens_only_under_its_own_key(remembered: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not remembered:
        monkeypatch.setattr(tokens, "_recent", _Forgetful())
    token = tokens.sign(["a", 1], KEY)
    assert tokens.unseal(token, bytes(32)) is None
    assert tokens.unseal(token, KEY) == ["a", 1]


def test_the_remembered_tokens_are_bounded() -> None:
    for count in range(tokens._RECENT_LIMIT + 10):
        tokens.sign(["bound", count], KEY)
    assert 0 < len(tokens._recent) <= tokens._RECENT_LIMIT


def test_a_session_token_works_once_forgotten(forgetful_tokens: None, client: Any) -> None:
    token = token_for(client)
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    assert [r["Key"] for r in written["Records"]] == ["a"]
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=token + "x", RecordPatches=[replace("a", "2", 1)])


def test_paging_works_with_forgotten_tokens(forgetful_tokens: None, client: Any) -> None:
    token = token_for(client)
    client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace(f"k{i}", "v") for i in range(5)])
    keys: list[str] = []
    extra: dict[str, str] = {}
    while True:
        page = client.list_records(**ids(), MaxResults=2, **extra)
        keys += [r["Key"] for r in page["Records"]]
        if "NextToken" not in page:
            break
        extra = {"NextToken": page["NextToken"]}
    assert keys == ["k0", "k1", "k2", "k3", "k4"]


# -- request IDs -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [None, 7])
def test_request_ids_are_fresh_version_4_uuids(seed: int | None) -> None:
    source = Ids(seed)
    made = [source.request_id() for _ in range(1000)]
    assert len(set(made)) == 1000
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert all(re.fullmatch(uuid4, made_id) for made_id in made)


# -- the record order ------------------------------------------------------------------------


def record(key: str, count: int, value: str | None = "v") -> Record:
    return Record(key, value, count, MOMENT, IDENTITY, MOMENT)


def test_store_keeps_the_order_whatever_the_counts() -> None:
    dataset = Dataset(IDENTITY, DATASET, MOMENT, sync_count=5)
    dataset.store([record("b", 3), record("a", 3)])  # a write: both newest
    dataset.store([record("c", 1)])  # older than what is stored (a snapshot may load so)
    dataset.store([record("a", 5, None), record("d", 4)])  # a replaced record moves
    assert dataset._order == [(1, "c"), (3, "b"), (4, "d"), (5, "a")]
    assert [r.key for r in dataset.changed_since((0, ""), 5, 10)] == ["c", "b", "d", "a"]
    assert [r.key for r in dataset.changed_since((3, "b"), 4, 10)] == ["d"]
    assert [r.key for r in dataset.changed_since((0, ""), 5, 2)] == ["c", "b"]
    assert dataset.num_records == 3  # "a" is a tombstone now
    assert dataset.data_storage == 3 * 2


# -- compiled writers ------------------------------------------------------------------------


def record_shape() -> Any:
    output: Any = protocol.service().operations["ListRecords"].model.output_shape
    return output.members["Records"].member


def test_a_record_is_written_as_json_dumps_would_with_or_without_every_member() -> None:
    full = {
        "Key": 'k"{é}',
        "Value": "v\n\u2603",
        "SyncCount": 7,
        "LastModifiedDate": MOMENT,
        "LastModifiedBy": IDENTITY,
        "DeviceLastModifiedDate": MOMENT,
    }
    as_dumps = {**full, "LastModifiedDate": 1704164645.678, "DeviceLastModifiedDate": 1704164645.678}
    assert writer(record_shape())(full) == json.dumps(as_dumps, separators=(",", ":"))
    tombstone = {"Key": "gone", "Value": None, "SyncCount": 2}
    assert writer(record_shape())(tombstone) == '{"Key":"gone","SyncCount":2}'


def test_a_view_is_written_once_and_also_when_made_without_its_slot() -> None:
    view = FrozenDict(Key="k", SyncCount=1)  # its maker did not set _json
    write = writer(record_shape())
    assert write(view) == '{"Key":"k","SyncCount":1}'
    assert view._json == (record_shape(), '{"Key":"k","SyncCount":1}')
    body = to_json(protocol.service().operations["ListRecords"].model.output_shape, {"Records": [view], "Count": 1})
    assert body == b'{"Records":[{"Key":"k","SyncCount":1}],"Count":1}'
