"""Snapshots, restores and seeds: exact round trips, and bad documents refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from helpers import (
    APP_ARN,
    APP_ARN_PATTERN,
    DATASET,
    DEFAULT_ACCOUNT,
    GOOD_DATASET,
    IDENTITY,
    OTHER_IDENTITY,
    PLACE,
    POOL,
    POOL_ID_RULE,
    REGION_RULE,
    ROLE_ARN,
    ROLE_ARN_PATTERN,
    TRIGGER_ARN,
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
from cognito_sync_mock.state import State


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


BAD_DOCUMENTS = [
    ([], "state: must be an object, not list"),
    ({"version": 2, "accounts": {}}, "version: unknown version 2; this mock reads version 1"),
    ({"version": 1}, "state: accounts is missing"),
    ({"version": 1, "accounts": {"12": {}}}, "accounts: account '12' is not valid: must be 12 digits"),
    (
        full_snapshot(GOOD_DATASET, pool="no-colon"),
        f"accounts.{DEFAULT_ACCOUNT}.us-east-1.pools: identity pool ID 'no-colon' is not valid: {POOL_ID_RULE}",
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
        f"us-east-1.{POOL}.{IDENTITY}: dataset name 'bad name' is not valid: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+",
    ),
    ({"Moon-1": {}}, f"state: region 'Moon-1' is not valid: {REGION_RULE}"),
]


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


# -- strict reading: every member known, every value of its kind ---------------------------

DATE = "2025-01-01T00:00:00+00:00"
BACKEND_PLACE = f"accounts.{DEFAULT_ACCOUNT}.us-east-1"
POOL_PLACE = f"{BACKEND_PLACE}.pools.{POOL}"
IDENTITY_PLACE = f"{POOL_PLACE}.identities.{IDENTITY}"
DROP = object()  # a member to leave out
DEVICE = {"platform": "GCM", "token": "t"}


def edited(level: str, **members: Any) -> dict[str, Any]:
    """A good version 1 document with ``members`` set (or, given DROP, left out) in the object at ``level``."""
    document: dict[str, Any] = json.loads(json.dumps(full_snapshot(GOOD_DATASET)))
    backend = document["accounts"][DEFAULT_ACCOUNT]["us-east-1"]
    pool = backend["pools"][POOL]
    identity = pool["identities"][IDENTITY]
    dataset = identity["datasets"]["game"]
    levels = {
        "root": document,
        "backend": backend,
        "pool": pool,
        "identity": identity,
        "dataset": dataset,
        "record": dataset["records"]["k"],
    }
    target = levels[level]
    for name, value in members.items():
        if value is DROP:
            del target[name]
        else:
            target[name] = value
    return document


STRICT_CASES = [
    # a member the format does not have, at each level
    (edited("root", extra=1), "state: unknown member 'extra'"),
    (edited("backend", Pools={}), f"{BACKEND_PLACE}: unknown member 'Pools'"),
    (edited("pool", identites={}), f"{POOL_PLACE}: unknown member 'identites'"),
    (edited("pool", bulkPublish={"Status": "FAILED"}), f"{POOL_PLACE}.bulkPublish: unknown member 'Status'"),
    (edited("pool", pushSync={"applicationArns": []}), f"{POOL_PLACE}.pushSync: unknown member 'applicationArns'"),
    (edited("pool", cognitoStreams={"streamName": "s"}), f"{POOL_PLACE}.cognitoStreams: unknown member 'streamName'"),
    (edited("identity", dataset={}), f"{IDENTITY_PLACE}: unknown member 'dataset'"),
    (
        edited("identity", devices={"d1": {**DEVICE, "Token": "t"}}),
        f"{IDENTITY_PLACE}.devices.d1: unknown member 'Token'",
    ),
    (edited("dataset", Records=GOOD_DATASET["records"], records=DROP), f"{PLACE}: unknown member 'Records'"),
    (edited("record", valeu="v", value=DROP), f"{PLACE}.records.k: unknown member 'valeu'"),
    (edited("record", value=DROP), f"{PLACE}.records.k: value is missing"),
    # the version is the number 1
    (edited("root", version=True), "version: unknown version True; this mock reads version 1"),
    (edited("root", version=1.0), "version: unknown version 1.0; this mock reads version 1"),
    # counts are whole numbers within the model's longs
    (edited("backend", syncSessions={POOL: -1}), f"{BACKEND_PLACE}.syncSessions.{POOL}: must not be negative"),
    (
        edited("backend", syncSessions={POOL: 2**63}),
        f"{BACKEND_PLACE}.syncSessions.{POOL}: must be at most 9223372036854775807",
    ),
    (edited("dataset", syncCount=True), f"{PLACE}.syncCount: must be a whole number"),
    (edited("record", syncCount=0), f"{PLACE}.records.k.syncCount: must be at least 1"),
    # text is valid Unicode, as the model's strings are
    (edited("dataset", lastModifiedBy=5), f"{PLACE}.lastModifiedBy: must be a string"),
    (
        edited("dataset", lastModifiedBy="\ud800"),
        f"{PLACE}.lastModifiedBy: '\\ud800' is not valid: Member must be valid Unicode text",
    ),
    (
        edited("record", value="\udc00"),
        f"{PLACE}.records.k.value: '\\udc00' is not valid: Member must be valid Unicode text",
    ),
    # what the mock writes of a deleted dataset
    (
        edited("dataset", exists=False, records={}),
        f"{PLACE}: a deleted dataset needs its deletedAtSyncCount (the sync count it was deleted at)",
    ),
    # bulk publish: the model's enum, valid text
    (
        edited("pool", bulkPublish={"status": "DONE"}),
        f"{POOL_PLACE}.bulkPublish.status: 'DONE' is not valid: "
        "Member must satisfy enum value set: [NOT_STARTED, IN_PROGRESS, FAILED, SUCCEEDED]",
    ),
    (
        edited("pool", bulkPublish={"status": "FAILED", "failureMessage": "\ud800"}),
        f"{POOL_PLACE}.bulkPublish.failureMessage: '\\ud800' is not valid: Member must be valid Unicode text",
    ),
    # configuration: the model's ARN patterns, lengths and enums, as SetIdentityPoolConfiguration words them
    (
        edited("pool", pushSync={"ApplicationArns": ["arn:aws:sns:x"], "RoleArn": "r"}),
        f"{POOL_PLACE}.pushSync: 3 validation errors detected: Value 'arn:aws:sns:x' at 'applicationArns.1.member' "
        f"failed to satisfy constraint: Member must satisfy regular expression pattern: {APP_ARN_PATTERN}; "
        "Value 'r' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; "
        "Value 'r' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        f"{ROLE_ARN_PATTERN}",
    ),
    (edited("pool", pushSync={}), f"{POOL_PLACE}.pushSync: must not be empty: a pool without push sync has null here"),
    (edited("pool", pushSync={"RoleArn": None}), f"{POOL_PLACE}.pushSync.RoleArn: must not be null: leave it out"),
    (
        edited("pool", cognitoStreams={"StreamingStatus": "ON"}),
        f"{POOL_PLACE}.cognitoStreams: 1 validation error detected: Value 'ON' at 'streamingStatus' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
    ),
    (
        edited("pool", cognitoStreams={"StreamingStatus": "ENABLED", "RoleArn": ROLE_ARN}),
        f"{POOL_PLACE}.cognitoStreams: CognitoStreams needs a StreamName when StreamingStatus is ENABLED",
    ),
    (
        edited("pool", cognitoStreams={"StreamName": "s" * 129}),
        f"{POOL_PLACE}.cognitoStreams: 1 validation error detected: Value '{'s' * 129}' at 'streamName' failed to "
        "satisfy constraint: Member must have length less than or equal to 128",
    ),
    # events: the one event type, a Lambda function ARN that is there
    (
        edited("pool", events={"Other": "arn"}),
        f"{POOL_PLACE}.events: unknown event type 'Other'; the only one is SyncTrigger",
    ),
    (
        edited("pool", events={"SyncTrigger": ""}),
        f"{POOL_PLACE}.events.SyncTrigger: must not be empty: leave SyncTrigger out for a pool without one",
    ),
    (edited("pool", events={"SyncTrigger": 5}), f"{POOL_PLACE}.events.SyncTrigger: must be a string"),
    # devices: the model's device ID, platform enum and token; registered once
    (
        edited("identity", devices={"": DEVICE}),
        f"{IDENTITY_PLACE}.devices: device ID '' is not valid: Member must have length greater than or equal to 1",
    ),
    (
        edited("identity", devices={"d1": {**DEVICE, "platform": "IOS"}}),
        f"{IDENTITY_PLACE}.devices.d1.platform: 'IOS' is not valid: "
        "Member must satisfy enum value set: [APNS, APNS_SANDBOX, GCM, ADM]",
    ),
    (
        edited("identity", devices={"d1": {**DEVICE, "token": 5}}),
        f"{IDENTITY_PLACE}.devices.d1.token: must be a string",
    ),
    (edited("identity", devices={"d1": {"platform": "GCM"}}), f"{IDENTITY_PLACE}.devices.d1: token is missing"),
    (
        edited("identity", devices={"d1": DEVICE, "d2": DEVICE}),
        f"{IDENTITY_PLACE}.devices.d2: has the platform and token of device 'd1': a device is registered once",
    ),
    # subscriptions and merge links: of this identity's datasets and devices, each once
    (
        edited("identity", devices={"d1": DEVICE}, subscriptions={"game": ["d2"]}),
        f"{IDENTITY_PLACE}.subscriptions.game.0: 'd2' is no registered device",
    ),
    (
        edited("identity", devices={"d1": DEVICE}, subscriptions={"game": ["d1", "d1"]}),
        f"{IDENTITY_PLACE}.subscriptions.game.1: 'd1' is listed twice",
    ),
    (
        edited("identity", devices={"d1": DEVICE}, subscriptions={"other": ["d1"]}),
        f"{IDENTITY_PLACE}.subscriptions.other: is no dataset of this identity: only a dataset has subscriptions",
    ),
    (
        edited("identity", merged={"x": ["nope"]}),
        f"{IDENTITY_PLACE}.merged.x.0: 'nope' is no dataset of this identity",
    ),
    (edited("identity", merged={"x": [5]}), f"{IDENTITY_PLACE}.merged.x.0: must be a string"),
    (edited("identity", merged={"x": "game"}), f"{IDENTITY_PLACE}.merged.x: must be a list"),
    # the short form: names at every level, string values, and no snapshot without its version
    (
        {"accounts": {DEFAULT_ACCOUNT: {}}},
        'state: a document with accounts is a snapshot: it needs "version": 1',
    ),
    (
        {"us-east-1": {"us-east-1_0a": {}}},
        f"us-east-1: identity pool ID 'us-east-1_0a' is not valid: {POOL_ID_RULE}",
    ),
    (
        {"us-east-1": {POOL: {"Identity": {}}}},
        f"us-east-1.{POOL}: identity ID 'Identity' is not valid: {POOL_ID_RULE}",
    ),
    (
        {"us-east-1": {POOL: {IDENTITY: {"game": {"k": None}}}}},
        f"us-east-1.{POOL}.{IDENTITY}.game.k: must be a string value",
    ),
    (
        {"us-east-1": {POOL: {IDENTITY: {"game": ["k"]}}}},
        f"us-east-1.{POOL}.{IDENTITY}.game: must be an object, not list",
    ),
]


@pytest.mark.parametrize(("document", "message"), [*BAD_DOCUMENTS, *STRICT_CASES])
def test_a_bad_document_is_refused_with_its_place_and_nothing_changes(
    cognito_sync: Any, document: Any, message: str
) -> None:
    write(make_client(), [replace("a", "1")])
    before = cognito_sync.snapshot()
    with pytest.raises(SnapshotError) as refused:
        cognito_sync.restore(document)
    assert str(refused.value) == message
    assert cognito_sync.snapshot() == before


def test_a_document_with_every_member_loads_as_it_is_written() -> None:
    record = {"value": "v", "syncCount": 1, "lastModifiedDate": DATE, "lastModifiedBy": IDENTITY}
    dataset = {
        "creationDate": DATE,
        "lastModifiedDate": DATE,
        "lastModifiedBy": IDENTITY,
        "syncCount": 2,
        "exists": True,
        "deletedAtSyncCount": 1,
        "records": {
            "k": {**record, "deviceLastModifiedDate": "2024-12-31T23:00:00+00:00"},
            "gone": {**record, "value": None, "syncCount": 2, "deviceLastModifiedDate": DATE},
        },
    }
    deleted = {**dataset, "exists": False, "deletedAtSyncCount": 2, "records": {}}
    identity = {
        "lastModifiedDate": DATE,
        "merged": {"game": [f"game.{OTHER_IDENTITY}"]},
        "devices": {"d1": DEVICE, "d2": {"platform": "APNS_SANDBOX", "token": ""}},
        "subscriptions": {"game": ["d1", "d2"]},
        "datasets": {"game": dataset, f"game.{OTHER_IDENTITY}": dataset, "old": deleted},
    }
    pool = {
        "lastModifiedDate": DATE,
        "pushSync": {"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
        "cognitoStreams": {"StreamName": "s", "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
        "events": {"SyncTrigger": TRIGGER_ARN},
        "bulkPublish": {"status": "FAILED", "startTime": DATE, "completeTime": None, "failureMessage": "gone"},
        "identities": {IDENTITY: identity},
    }
    document = {
        "version": 1,
        "accounts": {DEFAULT_ACCOUNT: {"local": {"syncSessions": {POOL: 3}, "pools": {POOL: pool}}}},
    }
    state = State()
    state.restore(document)
    assert state.snapshot() == document


def records_of(count: int, size: int = 1) -> dict[str, Any]:
    return {f"k{i}": {"value": "v" * size, "syncCount": 1, "lastModifiedDate": DATE} for i in range(count)}


@pytest.mark.parametrize(
    ("limits", "document", "message"),
    [
        (
            {"records_per_dataset": 2},
            full_snapshot({**GOOD_DATASET, "records": records_of(3)}),
            f"{PLACE}: holds 3 records, more than the limit of 2 (records_per_dataset)",
        ),
        (
            {"dataset_bytes": 10},
            full_snapshot({**GOOD_DATASET, "records": records_of(1, size=9)}),
            f"{PLACE}: holds 11 bytes, more than the limit of 10 (dataset_bytes)",  # key k0 and value: UTF-8 bytes
        ),
        (
            {"records_per_dataset": 2},
            {"us-east-1": {POOL: {IDENTITY: {"game": {"a": "1", "b": "2", "c": "3"}}}}},
            f"us-east-1.{POOL}.{IDENTITY}.game: holds 3 records, more than the limit of 2 (records_per_dataset)",
        ),
        (
            {"datasets_per_identity": 1},
            {"us-east-1": {POOL: {IDENTITY: {"a": {}, "b": {}}}}},
            f"us-east-1.{POOL}.{IDENTITY}: 2 datasets, more than the limit of 1 (datasets_per_identity)",
        ),
    ],
    ids=["records", "bytes", "short-records", "short-datasets"],
)
def test_a_document_beyond_the_limits_is_refused(limits: dict[str, int], document: Any, message: str) -> None:
    with pytest.raises(SnapshotError) as refused:
        mock_cognito_sync(limits=limits, state=document)
    assert str(refused.value) == message


def test_tombstones_and_deleted_datasets_count_toward_no_limit() -> None:
    tombstones = {f"t{i}": {"value": None, "syncCount": 1, "lastModifiedDate": DATE} for i in range(5)}
    deleted = {**GOOD_DATASET, "exists": False, "deletedAtSyncCount": 1, "records": {}}
    document = full_snapshot({**GOOD_DATASET, "records": {**records_of(2), **tombstones}})
    document["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"][POOL]["identities"][IDENTITY]["datasets"]["old"] = (
        deleted
    )
    with mock_cognito_sync(limits={"records_per_dataset": 2, "datasets_per_identity": 1}, state=document):
        listed = make_client().list_records(**ids(dataset="game"))
    assert listed["Count"] == 7
