"""Snapshots, restores and seeds: exact round trips, and bad documents refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from helpers import (
    DATASET,
    DEFAULT_ACCOUNT,
    GOOD_DATASET,
    IDENTITY,
    OTHER_IDENTITY,
    PLACE,
    POOL,
    build_rich_state,
    full_snapshot,
    ids,
    make_client,
    observe,
    raises_error,
    remove,
    replace,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_sync_mock import mock_cognito_sync
from cognito_sync_mock.snapshot import SnapshotError


@freeze_time("2025-05-05 12:00:00.123456")
def test_a_round_trip_through_json_answers_every_read_the_same() -> None:
    with mock_cognito_sync() as mock:
        client = make_client()
        device = build_rich_state(mock, client)
        document = json.loads(json.dumps(mock.snapshot()))
        before = observe(client)  # reads issue session tokens: observe after the snapshot
        after_reads = mock.snapshot()
    assert document["version"] == 1
    with mock_cognito_sync() as fresh:
        fresh.restore(document)
        client = make_client()
        assert observe(client) == before
        assert fresh.snapshot() == after_reads
        # the subscription survived: an update from another device pushes to it
        write(client, [replace("b", "new", 1)])
        assert [n["device_id"] for n in fresh.push_notifications] == [device]


def test_the_snapshot_holds_tombstones_deletion_markers_and_session_counts(cognito_sync: Any) -> None:
    client = make_client()
    write(client, [replace("a", "1")])
    write(client, [remove("a", 1)])
    client.delete_dataset(**ids())
    region = cognito_sync.snapshot()["accounts"][DEFAULT_ACCOUNT]["us-east-1"]
    assert region["syncSessions"] == {POOL: 2}
    dataset = region["pools"][POOL]["identities"][IDENTITY]["datasets"][DATASET]
    assert dataset["syncCount"] == 2
    assert dataset["exists"] is False
    assert dataset["deletedAtSyncCount"] == 2
    assert dataset["records"] == {}


def test_session_tokens_issued_before_a_restore_stay_valid(cognito_sync: Any) -> None:
    client = make_client()
    token = client.list_records(**ids())["SyncSessionToken"]
    cognito_sync.restore(cognito_sync.snapshot())
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    assert written["Records"][0]["SyncCount"] == 1


def test_restore_replaces_what_was_there(cognito_sync: Any) -> None:
    client = make_client()
    empty = cognito_sync.snapshot()
    write(client, [replace("a", "1")])
    cognito_sync.restore(empty)
    assert client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Datasets"] == []
    assert empty == {"version": 1, "accounts": {}}


# -- random histories ----------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c"])
STEP = st.one_of(
    st.tuples(
        st.just("put"),
        st.sampled_from([IDENTITY, OTHER_IDENTITY]),
        st.sampled_from(["d1", "d2"]),
        KEYS,
        st.text(max_size=5),
    ),
    st.tuples(st.just("remove"), st.sampled_from([IDENTITY, OTHER_IDENTITY]), st.sampled_from(["d1", "d2"]), KEYS),
    st.tuples(st.just("delete"), st.sampled_from([IDENTITY, OTHER_IDENTITY]), st.sampled_from(["d1", "d2"])),
)


def play(client: Any, step: tuple[Any, ...]) -> None:
    kind, identity, dataset = step[:3]
    where = ids(identity=identity, dataset=dataset)
    listed = client.list_records(**where)
    counts = {r["Key"]: r["SyncCount"] for r in listed["Records"]}
    if kind == "delete":
        if listed["DatasetExists"]:
            client.delete_dataset(**where)
        return
    key = step[3]
    patch = replace(key, step[4], counts.get(key, 0)) if kind == "put" else remove(key, counts.get(key, 0))
    client.update_records(**where, SyncSessionToken=listed["SyncSessionToken"], RecordPatches=[patch])


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=12))
def test_any_history_round_trips_exactly(steps: list[tuple[Any, ...]]) -> None:
    with mock_cognito_sync() as mock:
        client = make_client()
        for step in steps:
            play(client, step)
        document = json.loads(json.dumps(mock.snapshot()))
        before = observe(client)
        after_reads = mock.snapshot()
    with mock_cognito_sync() as fresh:
        fresh.restore(document)
        assert observe(make_client()) == before
        assert fresh.snapshot() == after_reads


# -- seeds ---------------------------------------------------------------------------------


@freeze_time("2025-01-02 03:04:05")
def test_the_short_form_seeds_records_at_sync_count_one() -> None:
    seed = {"us-east-1": {POOL: {IDENTITY: {"game": {"level": "3", "name": "ada"}}}}}
    with mock_cognito_sync(state=seed):
        listed = make_client().list_records(**ids(dataset="game"))
    assert listed["DatasetSyncCount"] == 1
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [
        ("level", "3", 1),
        ("name", "ada", 1),
    ]
    assert listed["Records"][0]["LastModifiedBy"] == IDENTITY
    assert listed["Records"][0]["LastModifiedDate"].timestamp() == 1735787045.0


def test_a_seed_file_is_read_and_every_decorated_call_starts_from_it(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"us-east-1": {POOL: {IDENTITY: {"game": {"level": "3"}}}}}))

    @mock_cognito_sync(state=str(path))
    def level_then_bump() -> str:
        client = make_client()
        listed = client.list_records(**ids(dataset="game"))
        write(client, [replace("level", "4", 1)], dataset="game")
        return str(listed["Records"][0]["Value"])

    assert level_then_bump() == "3"
    assert level_then_bump() == "3"


def test_a_full_snapshot_seeds_too(cognito_sync: Any) -> None:
    write(make_client(), [replace("a", "1")])
    document = cognito_sync.snapshot()
    with mock_cognito_sync(state=document) as inner_unused:  # nested: shares the outer state
        assert inner_unused.state is cognito_sync.state
    with pytest.raises(SnapshotError):
        mock_cognito_sync(state={"version": 7})


# -- bad documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "state: must be an object, not list"),
        ({"version": 2, "accounts": {}}, "version: unknown version 2; this mock reads version 1"),
        ({"version": 1}, "state: accounts is missing"),
        ({"version": 1, "accounts": {"12": {}}}, "accounts: account '12' is not valid"),
        (
            full_snapshot(GOOD_DATASET, pool="no-colon"),
            f"accounts.{DEFAULT_ACCOUNT}.us-east-1.pools: identity pool ID 'no-colon' is not valid",
        ),
        (full_snapshot({**GOOD_DATASET, "syncCount": "1"}), f"{PLACE}.syncCount: must be a whole number"),
        (
            full_snapshot({**GOOD_DATASET, "syncCount": 0}),
            f"{PLACE}.records.k.syncCount: exceeds the dataset's syncCount 0",
        ),
        (
            full_snapshot({**GOOD_DATASET, "lastModifiedDate": "yesterday"}),
            f"{PLACE}.lastModifiedDate: 'yesterday' is not an ISO 8601 date",
        ),
        (
            full_snapshot(
                {
                    **GOOD_DATASET,
                    "records": {"k": {"value": 5, "syncCount": 1, "lastModifiedDate": "2025-01-01T00:00:00+00:00"}},
                }
            ),
            f"{PLACE}.records.k.value: must be a string or null",
        ),
        (
            {"us-east-1": {POOL: {IDENTITY: {"bad name": {"k": "v"}}}}},
            f"us-east-1.{POOL}.{IDENTITY}: dataset name 'bad name' is not valid",
        ),
        ({"moon-1": {}}, "state: region 'moon-1' is not valid"),
    ],
)
def test_a_bad_document_is_refused_with_its_place_and_nothing_changes(
    cognito_sync: Any, document: Any, message: str
) -> None:
    client = make_client()
    write(client, [replace("a", "1")])
    before = cognito_sync.snapshot()
    with pytest.raises(SnapshotError) as refused:
        cognito_sync.restore(document)
    assert str(refused.value) == message
    assert cognito_sync.snapshot() == before


def test_a_seeded_dataset_name_longer_than_the_model_allows_is_refused_with_its_place_and_limit() -> None:
    name = "d" * 200  # the model's DatasetName is at most 128 characters
    with pytest.raises(SnapshotError) as refused:
        mock_cognito_sync(state={"us-east-1": {POOL: {IDENTITY: {name: {"k": "v"}}}}})
    assert str(refused.value) == (
        f"us-east-1.{POOL}.{IDENTITY}: dataset name {name[:64]!r}... (200 characters) is not valid: "
        "Member must have length less than or equal to 128"
    )
    mock_cognito_sync(state={"us-east-1": {POOL: {IDENTITY: {"d" * 128: {"k": "v"}}}}})  # the longest allowed


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (
            {"k" * 1025: "v"},
            f"us-east-1.{POOL}.{IDENTITY}.game: record key {'k' * 64!r}... (1025 characters) is not valid: "
            "Member must have length less than or equal to 1024",
        ),
        (
            {"": "v"},
            f"us-east-1.{POOL}.{IDENTITY}.game: record key '' is not valid: "
            "Member must have length greater than or equal to 1",
        ),
        (
            {"k": "v" * 1048576},
            f"us-east-1.{POOL}.{IDENTITY}.game.k: {'v' * 64!r}... (1048576 characters) is not valid: "
            "Member must have length less than or equal to 1048575",
        ),
    ],
    ids=["long-key", "empty-key", "long-value"],
)
def test_seeded_records_keep_to_the_models_lengths(records: dict[str, str], message: str) -> None:
    with pytest.raises(SnapshotError) as refused:
        mock_cognito_sync(state={"us-east-1": {POOL: {IDENTITY: {"game": records}}}})
    assert str(refused.value) == message


def test_a_seed_file_that_is_not_json_is_refused_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text("{not json")
    with pytest.raises(SnapshotError, match=r"seed\.json: not valid JSON: "):
        mock_cognito_sync(state=path)


def test_the_good_example_document_loads(cognito_sync: Any) -> None:
    cognito_sync.restore(full_snapshot(GOOD_DATASET))
    listed = make_client().list_records(**ids(dataset="game"))
    assert [(r["Key"], r["Value"]) for r in listed["Records"]] == [("k", "v")]
    with raises_error("ResourceConflictException", 409):
        write(make_client(), [replace("k", "w", 0)], dataset="game")
