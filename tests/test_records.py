"""ListRecords and UpdateRecords: sync counts, conflicts, tombstones, paging, tokens, limits."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time
from helpers import (
    DATASET,
    DEFAULT_ACCOUNT,
    IDENTITY,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    SESSION_USED,
    conflict,
    ids,
    list_all,
    live_values,
    make_client,
    raises_error,
    records_by_key,
    remove,
    replace,
    token_for,
    utc,
    write,
)

from cognito_sync_mock import mock_cognito_sync

# -- sync counts -------------------------------------------------------------------------


def test_first_update_creates_the_dataset_at_sync_count_one(client: Any) -> None:
    written = write(client, [replace("level", "3")])

    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("level", "3", 1)]
    listed = list_all(client)
    assert listed["DatasetExists"] is True
    assert listed["DatasetSyncCount"] == 1
    assert listed["Count"] == 1
    assert listed["LastModifiedBy"] == DEFAULT_ACCOUNT  # a developer's write
    assert listed["DatasetDeletedAfterRequestedSyncCount"] is False
    assert "NextToken" not in listed
    assert "MergedDatasetNames" not in listed


def test_every_update_raises_the_count_by_exactly_one(client: Any) -> None:
    first = write(client, [replace("a", "1"), replace("b", "1"), replace("c", "1")])
    second = write(client, [replace("a", "2", 1), replace("b", "2", 1)])
    third = write(client, [replace("a", "3", 2), replace("d", "1")])

    assert [r["SyncCount"] for r in first["Records"]] == [1, 1, 1]
    assert [r["SyncCount"] for r in second["Records"]] == [2, 2]
    assert [(r["Key"], r["SyncCount"]) for r in third["Records"]] == [("a", 3), ("d", 3)]
    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 3
    assert {k: r["SyncCount"] for k, r in records_by_key(listed).items()} == {"a": 3, "b": 2, "c": 1, "d": 3}
    assert live_values(listed) == {"a": "3", "b": "2", "c": "1", "d": "1"}


def test_update_answers_only_the_records_it_wrote(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    written = write(client, [replace("b", "2", 1)])
    assert [r["Key"] for r in written["Records"]] == ["b"]


def test_empty_patch_list_creates_a_missing_dataset_at_sync_count_zero(client: Any) -> None:
    assert write(client, [])["Records"] == []

    listed = list_all(client)
    assert listed["DatasetExists"] is True
    assert listed["DatasetSyncCount"] == 0
    assert listed["Records"] == []
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (0, 0)
    assert [d["DatasetName"] for d in client.list_datasets(**ids(dataset=None))["Datasets"]] == [DATASET]


def test_empty_patch_list_changes_nothing_on_an_existing_dataset(client: Any) -> None:
    with freeze_time("2024-03-01 10:00:00") as clock:
        write(client, {"a": "1"})
        clock.move_to("2024-03-01 11:00:00")
        assert write(client, [])["Records"] == []

    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 1
    assert live_values(listed) == {"a": "1"}
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert dataset["LastModifiedDate"] == utc("2024-03-01 10:00:00")
    assert dataset["CreationDate"] == utc("2024-03-01 10:00:00")
    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert usage["LastModifiedDate"] == utc("2024-03-01 10:00:00")


# -- replace, remove, tombstones --------------------------------------------------------


def test_replace_overwrites_a_value(client: Any) -> None:
    write(client, {"level": "1"})
    written = write(client, [replace("level", "2", 1)])
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("level", "2", 2)]
    assert live_values(list_all(client)) == {"level": "2"}


def test_replace_with_an_empty_string_keeps_a_live_record(client: Any) -> None:
    written = write(client, [replace("note", "")])
    assert written["Records"][0]["Value"] == ""
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (1, 4)


def test_remove_keeps_a_tombstone_with_a_new_count_and_new_dates(client: Any) -> None:
    with freeze_time("2024-03-01 10:00:00") as clock:
        write(client, {"a": "alpha", "b": "beta"})
        clock.move_to("2024-03-01 10:05:00.250")
        written = write(client, [remove("a", 1)])

    (tombstone,) = written["Records"]
    assert tombstone["Key"] == "a"
    assert "Value" not in tombstone
    assert tombstone["SyncCount"] == 2
    assert tombstone["LastModifiedDate"] == utc("2024-03-01 10:05:00.250")
    assert tombstone["DeviceLastModifiedDate"] == utc("2024-03-01 10:05:00.250")
    assert tombstone["LastModifiedBy"] == DEFAULT_ACCOUNT

    listed = records_by_key(list_all(client))
    assert set(listed) == {"a", "b"}
    assert "Value" not in listed["a"] and listed["a"]["SyncCount"] == 2
    delta = list_all(client, LastSyncCount=1)
    assert [(r["Key"], r.get("Value"), r["SyncCount"]) for r in delta["Records"]] == [("a", None, 2)]
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (1, len("b") + len("beta"))


def test_replace_of_a_tombstone_must_present_its_sync_count(client: Any) -> None:
    write(client, {"a": "1"})
    write(client, [remove("a", 1)])

    with raises_error("ResourceConflictException", 409, conflict("a", 2, 0)):
        write(client, [replace("a", "again", 0)])
    written = write(client, [replace("a", "again", 2)])
    assert [(r["Value"], r["SyncCount"]) for r in written["Records"]] == [("again", 3)]


def test_remove_of_a_key_that_never_existed_writes_a_tombstone(client: Any) -> None:
    written = write(client, [remove("ghost", 0)])

    assert [(r["Key"], r.get("Value"), r["SyncCount"]) for r in written["Records"]] == [("ghost", None, 1)]
    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 1
    assert listed["DatasetExists"] is True
    assert [(r["Key"], "Value" in r, r["SyncCount"]) for r in listed["Records"]] == [("ghost", False, 1)]
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (0, 0)


def test_remove_of_a_key_that_never_existed_needs_sync_count_zero(client: Any) -> None:
    with raises_error("ResourceConflictException", 409, conflict("ghost", 0, 3)):
        write(client, [remove("ghost", 3)])


def test_remove_of_a_tombstone_needs_its_count_and_moves_it_on(client: Any) -> None:
    write(client, {"a": "1"})
    write(client, [remove("a", 1)])
    with raises_error("ResourceConflictException", 409, conflict("a", 2, 1)):
        write(client, [remove("a", 1)])
    written = write(client, [remove("a", 2)])
    assert [(r.get("Value"), r["SyncCount"]) for r in written["Records"]] == [(None, 3)]


# -- conflicts and all-or-nothing -------------------------------------------------------


def test_stale_sync_count_is_a_conflict_and_writes_nothing(client: Any) -> None:
    write(client, {"score": "10"})
    write(client, [replace("score", "20", 1)])

    with raises_error("ResourceConflictException", 409, conflict("score", 2, 1)):
        write(client, [replace("score", "30", 1)])
    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 2
    assert live_values(listed) == {"score": "20"}


def test_conflict_even_when_the_value_is_the_stored_one(client: Any) -> None:
    write(client, {"score": "10"})
    with raises_error("ResourceConflictException", 409, conflict("score", 1, 0)):
        write(client, [replace("score", "10", 0)])
    assert list_all(client)["DatasetSyncCount"] == 1


def test_new_key_with_a_nonzero_count_is_a_conflict(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("ResourceConflictException", 409, conflict("b", 0, 1)):
        write(client, [replace("b", "x", 1)])


def test_a_sync_count_ahead_of_the_server_is_a_conflict(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("ResourceConflictException", 409, conflict("a", 1, 5)):
        write(client, [replace("a", "2", 5)])


def test_one_conflicting_patch_rejects_the_whole_request(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    with raises_error("ResourceConflictException", 409, conflict("b", 1, 0)):
        write(client, [replace("a", "2", 1), replace("b", "2", 0), replace("c", "new")])

    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 1
    assert live_values(listed) == {"a": "1", "b": "1"}


def test_a_conflict_on_a_missing_dataset_does_not_create_it(client: Any) -> None:
    with raises_error("ResourceConflictException", 409, conflict("a", 0, 4)):
        write(client, [replace("a", "1", 4)])

    assert list_all(client)["DatasetExists"] is False
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_usage(**ids(dataset=None))


def test_duplicate_keys_in_one_request_are_invalid_and_write_nothing(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("InvalidParameterException", 400):
        write(client, [replace("a", "2", 1), replace("b", "x"), remove("a", 1)])

    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 1
    assert live_values(listed) == {"a": "1"}


def test_replace_without_value_is_invalid_and_writes_nothing(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("InvalidParameterException", 400):
        write(client, [replace("b", "ok"), replace("a", None, 1)])

    listed = list_all(client)
    assert listed["DatasetSyncCount"] == 1
    assert live_values(listed) == {"a": "1"}


def test_replace_without_value_does_not_create_the_dataset(client: Any) -> None:
    with raises_error("InvalidParameterException", 400):
        write(client, [replace("a", None)])
    assert list_all(client)["DatasetExists"] is False


# -- who and when -----------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["developer", "identity"])
def test_dates_and_author_of_written_records_and_dataset(cognito_sync: Any, signer: str) -> None:
    # A developer's write is signed by the account (the ListDatasets example in AWS's
    # service model shows "LastModifiedBy": "123456789012"), an identity's by the identity.
    client = make_client() if signer == "developer" else cognito_sync.identity_client(POOL, IDENTITY)
    author = DEFAULT_ACCOUNT if signer == "developer" else IDENTITY
    with freeze_time("2024-05-06 07:08:09.123") as clock:
        write(client, {"a": "1"})
        clock.move_to("2024-05-06 08:00:00.456")
        written = write(client, [replace("a", "2", 1), replace("b", "x")])

    for record in written["Records"]:
        assert record["LastModifiedBy"] == author
        assert record["LastModifiedDate"] == utc("2024-05-06 08:00:00.456")
        assert record["DeviceLastModifiedDate"] == utc("2024-05-06 08:00:00.456")
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert dataset["CreationDate"] == utc("2024-05-06 07:08:09.123")
    assert dataset["LastModifiedDate"] == utc("2024-05-06 08:00:00.456")
    assert dataset["LastModifiedBy"] == author
    assert dataset["IdentityId"] == IDENTITY
    assert list_all(client)["LastModifiedBy"] == author


def test_device_last_modified_date_is_the_patches_when_given(client: Any) -> None:
    device_time = utc("2023-12-31 23:59:58")
    with freeze_time("2024-01-01 00:00:05"):
        written = write(client, [replace("a", "1", DeviceLastModifiedDate=device_time), replace("b", "2")])
    by_key = records_by_key(written)
    assert by_key["a"]["DeviceLastModifiedDate"] == device_time
    assert by_key["a"]["LastModifiedDate"] == utc("2024-01-01 00:00:05")
    assert by_key["b"]["DeviceLastModifiedDate"] == utc("2024-01-01 00:00:05")
    assert records_by_key(list_all(client))["a"]["DeviceLastModifiedDate"] == device_time


def test_device_last_modified_date_keeps_milliseconds(backend: Any) -> None:
    token = backend.list_records(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)["SyncSessionToken"]
    device_time = utc("2023-12-31 23:59:58.789")
    written = backend.update_records(
        identity_pool_id=POOL,
        identity_id=IDENTITY,
        dataset_name=DATASET,
        sync_session_token=token,
        record_patches=[replace("a", "1", DeviceLastModifiedDate=device_time)],
    )
    assert written["Records"][0]["DeviceLastModifiedDate"] == device_time
    assert written["Records"][0]["SyncCount"] == 1


def test_device_date_as_epoch_float_on_the_wire(cognito_sync: Any) -> None:
    """A raw body, since some botocore versions round body timestamps to whole seconds."""
    import json
    from urllib.parse import quote

    from cognito_sync_mock.protocol import Request

    token = token_for(make_client())
    path = f"/identitypools/{quote(POOL)}/identities/{quote(IDENTITY)}/datasets/{DATASET}"
    patch = {"Op": "replace", "Key": "a", "Value": "1", "SyncCount": 0, "DeviceLastModifiedDate": 1704067198.5}
    body = json.dumps({"SyncSessionToken": token, "RecordPatches": [patch]}).encode()
    answer = cognito_sync.state.handle(Request("POST", path, "", {}, body))
    assert answer.status == 200
    assert json.loads(answer.body)["Records"][0]["DeviceLastModifiedDate"] == 1704067198.5
    listed = make_client().list_records(**ids())
    assert listed["Records"][0]["DeviceLastModifiedDate"] == utc("2023-12-31 23:59:58.500")


# -- ListRecords: delta, ordering, errors -----------------------------------------------


def test_list_records_of_a_missing_dataset(client: Any) -> None:
    listed = list_all(client)
    assert listed["Records"] == []
    assert listed["Count"] == 0
    assert listed["DatasetExists"] is False
    assert listed["DatasetSyncCount"] == 0
    assert listed["DatasetDeletedAfterRequestedSyncCount"] is False
    assert isinstance(listed["SyncSessionToken"], str) and listed["SyncSessionToken"]
    assert "NextToken" not in listed


def test_the_first_push_uses_the_token_of_a_missing_dataset(client: Any) -> None:
    token = list_all(client)["SyncSessionToken"]
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    assert written["Records"][0]["SyncCount"] == 1


def test_delta_listing_by_last_sync_count(client: Any) -> None:
    write(client, {"a": "1", "b": "1", "c": "1"})
    write(client, [replace("b", "2", 1)])
    write(client, [remove("c", 1), replace("d", "3")])

    assert [r["Key"] for r in list_all(client, LastSyncCount=0)["Records"]] == ["a", "b", "c", "d"]
    delta = list_all(client, LastSyncCount=1)
    assert [(r["Key"], r["SyncCount"]) for r in delta["Records"]] == [("b", 2), ("c", 3), ("d", 3)]
    assert delta["Count"] == 3
    assert delta["DatasetSyncCount"] == 3
    assert [r["Key"] for r in list_all(client, LastSyncCount=2)["Records"]] == ["c", "d"]
    latest = list_all(client, LastSyncCount=3)
    assert (latest["Records"], latest["Count"], latest["DatasetSyncCount"]) == ([], 0, 3)


def test_last_sync_count_beyond_the_dataset_is_invalid(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("InvalidParameterException", 400, "No such SyncCount: 2 exists for this Dataset"):
        list_all(client, LastSyncCount=2)


def test_last_sync_count_on_a_missing_dataset_is_invalid(client: Any) -> None:
    with raises_error("InvalidParameterException", 400, "No such SyncCount: 1 exists for this Dataset"):
        list_all(client, LastSyncCount=1)


def test_records_come_ordered_by_sync_count_then_key(client: Any) -> None:
    write(client, {"m": "1", "z": "1", "a": "1"})
    write(client, [replace("q", "2"), replace("b", "2"), replace("z", "2", 1)])
    listed = list_all(client)
    assert [(r["SyncCount"], r["Key"]) for r in listed["Records"]] == [
        (1, "a"),
        (1, "m"),
        (2, "b"),
        (2, "q"),
        (2, "z"),
    ]


# -- MaxResults and paging --------------------------------------------------------------


def test_max_results_default_is_1024_and_values_above_are_capped() -> None:
    with mock_cognito_sync(limits={"records_per_dataset": 2000}):
        client = make_client()
        write(client, {f"k{i:04d}": "v" for i in range(1030)})

        first = list_all(client)
        assert first["Count"] == 1024 and len(first["Records"]) == 1024
        assert "NextToken" in first
        second = list_all(client, NextToken=first["NextToken"])
        assert second["Count"] == 6
        assert "NextToken" not in second

        capped = list_all(client, MaxResults=5000)
        assert capped["Count"] == 1024
        assert "NextToken" in capped


@pytest.mark.parametrize("max_results", [0, -1])
def test_max_results_below_one_is_invalid(client: Any, max_results: int) -> None:
    with raises_error("InvalidParameterException", 400):
        list_all(client, MaxResults=max_results)


def test_paging_walks_every_record_once(client: Any) -> None:
    write(client, {"a": "1", "b": "1", "c": "1"})
    write(client, [replace("d", "2"), replace("e", "2"), replace("a", "2", 1)])

    pages = []
    response = list_all(client, MaxResults=2)
    pages.append(response)
    while "NextToken" in response:
        response = list_all(client, MaxResults=2, NextToken=response["NextToken"])
        pages.append(response)

    assert [[r["Key"] for r in p["Records"]] for p in pages] == [["b", "c"], ["a", "d"], ["e"]]
    assert [p["Count"] for p in pages] == [2, 2, 1]
    assert {p["DatasetSyncCount"] for p in pages} == {2}
    assert all(p["SyncSessionToken"] for p in pages)


def test_paging_a_delta(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    write(client, [replace("c", "2"), replace("d", "2"), replace("e", "2")])
    first = list_all(client, LastSyncCount=1, MaxResults=2)
    assert [r["Key"] for r in first["Records"]] == ["c", "d"]
    second = list_all(client, LastSyncCount=1, MaxResults=2, NextToken=first["NextToken"])
    assert [r["Key"] for r in second["Records"]] == ["e"]
    assert "NextToken" not in second


def test_a_page_that_ends_exactly_at_the_last_record_has_no_next_token(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    assert "NextToken" not in list_all(client, MaxResults=2)


def test_paging_stays_pinned_while_the_dataset_is_written(client: Any) -> None:
    write(client, {"a": "1", "b": "1", "c": "1", "d": "1"})
    first = list_all(client, MaxResults=2)
    assert [r["Key"] for r in first["Records"]] == ["a", "b"]

    # Another device writes between the pages: a (already seen) and d (not yet) change.
    write(client, [replace("a", "2", 1), replace("d", "2", 1), replace("e", "2")])

    seen = [r["Key"] for r in first["Records"]]
    response = first
    while "NextToken" in response:
        response = list_all(client, MaxResults=2, NextToken=response["NextToken"])
        assert response["DatasetSyncCount"] == 1
        seen += [r["Key"] for r in response["Records"]]
    assert len(seen) == len(set(seen)), "a record came twice in one pass"
    assert "c" in seen, "an unchanged record was skipped"
    assert seen.count("a") == 1

    # The next delta from the pinned count brings everything that changed.
    delta = list_all(client, LastSyncCount=1)
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in delta["Records"]] == [
        ("a", "2", 2),
        ("d", "2", 2),
        ("e", "2", 2),
    ]


@pytest.mark.parametrize("token", ["garbage", "abc.def", "x.é", ""])
def test_a_next_token_the_mock_did_not_issue_is_invalid(client: Any, token: str) -> None:
    write(client, {"a": "1", "b": "1"})
    with raises_error("InvalidParameterException", 400):
        list_all(client, MaxResults=1, NextToken=token)


def test_a_next_token_of_another_dataset_is_invalid(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    write(client, {"a": "1", "b": "1"}, dataset="other")
    token = client.list_records(**ids(dataset="other"), MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        list_all(client, MaxResults=1, NextToken=token)


def test_a_next_token_of_another_listing_is_invalid(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    write(client, {"a": "1"}, dataset="second")
    token = client.list_datasets(**ids(dataset=None), MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        list_all(client, MaxResults=1, NextToken=token)


def test_a_sync_session_token_is_not_a_next_token(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    with raises_error("InvalidParameterException", 400):
        list_all(client, MaxResults=1, NextToken=token_for(client))


# -- SyncSessionToken -------------------------------------------------------------------


def test_every_list_records_answer_carries_a_usable_token(client: Any) -> None:
    tokens = [token_for(client) for _ in range(3)]
    for count, token in enumerate(tokens):
        assert isinstance(token, str) and token
        written = client.update_records(
            **ids(), SyncSessionToken=token, RecordPatches=[replace("a", str(count), count)]
        )
        assert written["Records"][0]["SyncCount"] == count + 1


def test_update_records_needs_a_session_token(unvalidated_client: Any) -> None:
    with raises_error("InvalidParameterException", 400):
        unvalidated_client.update_records(**ids(), RecordPatches=[replace("a", "1")])


@pytest.mark.parametrize("token", ["garbage", "abc.def", "x.é", "e30.AAAA"])
def test_a_garbage_session_token_is_not_valid(client: Any, token: str) -> None:
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    assert list_all(client)["DatasetExists"] is False


def test_a_tampered_session_token_is_not_valid(client: Any) -> None:
    token = token_for(client)
    body, _, mac = token.rpartition(".")
    tampered = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=tampered, RecordPatches=[replace("a", "1")])


@pytest.mark.parametrize(
    "issued_for",
    [
        {"identity": OTHER_IDENTITY},
        {"dataset": "other"},
        {"pool": OTHER_POOL},
    ],
    ids=["other identity", "other dataset", "other pool"],
)
def test_a_session_token_of_other_inputs_is_not_valid(client: Any, issued_for: dict[str, str]) -> None:
    token = token_for(client, **issued_for)
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    assert list_all(client)["DatasetExists"] is False


def test_a_signed_token_without_a_session_binding_is_not_valid(client: Any) -> None:
    write(client, {"a": "1", "b": "2"})
    next_token = list_all(client, MaxResults=1)["NextToken"]  # signed by the mock, but a paging token
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=next_token, RecordPatches=[replace("c", "1")])


def test_a_session_token_expires_300_seconds_after_issue(client: Any) -> None:
    with freeze_time("2024-01-01 12:00:00") as clock:
        token = token_for(client)
        clock.move_to("2024-01-01 12:04:59")
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
        clock.move_to("2024-01-01 12:05:01")
        with raises_error("InvalidParameterException", 400, "SyncSessionToken expired"):
            client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "2", 1)])
    assert live_values(list_all(client)) == {"a": "1"}


def test_a_session_token_is_used_up_by_a_successful_update(client: Any) -> None:
    # aws-sdk-ios AWSCognitoSyncServiceTests.m, testSyncSessionToken: list, list again with
    # the token, update with it, then listing again with it must fail.
    token = token_for(client)
    assert list_all(client, SyncSessionToken=token)["Count"] == 0
    client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    with raises_error("InvalidParameterException", 400, SESSION_USED):
        list_all(client, SyncSessionToken=token)
    with raises_error("InvalidParameterException", 400, SESSION_USED):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "2", 1)])
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in list_all(client)["Records"]] == [("a", "1", 1)]


def test_an_update_with_no_patches_uses_the_token_up_too(client: Any) -> None:
    write(client, {"a": "1"})
    token = token_for(client)
    assert client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[])["Records"] == []
    with raises_error("InvalidParameterException", 400, SESSION_USED):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "2", 1)])


def test_a_failed_update_leaves_the_token_usable(client: Any) -> None:
    write(client, {"a": "1"})
    token = token_for(client)
    with raises_error("ResourceConflictException", 409, "Current SyncCount for: a is: 1 not: 0"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "2", 0)])
    with raises_error("InvalidParameterException", 400, "A replace patch needs a Value: a"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", None, 1)])
    written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "2", 1)])
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("a", "2", 2)]


def test_a_limit_failure_leaves_the_token_usable() -> None:
    with mock_cognito_sync(limits={"records_per_dataset": 1}):
        client = make_client()
        token = token_for(client)
        with raises_error("LimitExceededException", 400, "Dataset game would hold 2 records; the limit is 1"):
            client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1"), replace("b", "2")])
        written = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
        assert written["Records"][0]["SyncCount"] == 1


def test_tokens_of_one_moment_are_told_apart(client: Any) -> None:
    with freeze_time("2024-01-01 12:00:00"):
        first, second = token_for(client), token_for(client)
        assert first != second
        client.update_records(**ids(), SyncSessionToken=first, RecordPatches=[replace("a", "1")])
        written = client.update_records(**ids(), SyncSessionToken=second, RecordPatches=[replace("b", "2")])
    assert written["Records"][0]["SyncCount"] == 2


def test_spent_tokens_are_forgotten_once_expired(backend: Any) -> None:
    names = {"identity_pool_id": POOL, "identity_id": IDENTITY, "dataset_name": DATASET}
    with freeze_time("2024-01-01 12:00:00") as clock:
        for count in range(1024):
            token = backend.list_records(**names)["SyncSessionToken"]
            backend.update_records(**names, sync_session_token=token, record_patches=[replace("a", "v", count)])
        assert len(backend.sessions.spent) == 1024
        clock.move_to("2024-01-01 12:05:01")  # every one of them expired
        token = backend.list_records(**names)["SyncSessionToken"]
        backend.update_records(**names, sync_session_token=token, record_patches=[replace("a", "v", 1024)])
        assert list(backend.sessions.spent) == [token]


def test_list_records_accepts_its_own_valid_token(client: Any) -> None:
    token = token_for(client)
    listed = list_all(client, SyncSessionToken=token)
    assert listed["SyncSessionToken"]


@pytest.mark.parametrize("token", ["garbage", "x.é"])
def test_list_records_with_an_invalid_session_token(client: Any, token: str) -> None:
    with raises_error("InvalidParameterException", 400):
        list_all(client, SyncSessionToken=token)


def test_list_records_with_a_session_token_of_another_dataset(client: Any) -> None:
    token = token_for(client, dataset="other")
    with raises_error("InvalidParameterException", 400):
        list_all(client, SyncSessionToken=token)


def test_list_records_with_an_expired_session_token(client: Any) -> None:
    with freeze_time("2024-01-01 12:00:00") as clock:
        token = token_for(client)
        clock.move_to("2024-01-01 12:06:00")
        with raises_error("InvalidParameterException", 400):
            list_all(client, SyncSessionToken=token)


# -- delete and recreate ----------------------------------------------------------------


def _three_writes_then_delete(client: Any) -> None:
    write(client, {"a": "1", "b": "1"})
    write(client, [replace("a", "2", 1)])
    write(client, [remove("b", 1)])
    client.delete_dataset(**ids())


def test_a_deleted_dataset_reports_the_count_it_was_deleted_at(client: Any) -> None:
    _three_writes_then_delete(client)

    listed = list_all(client)
    assert listed["DatasetExists"] is False
    assert listed["Records"] == [] and listed["Count"] == 0
    # aws-sdk-ios AWSCognitoClientTest.m, testDatasetDeletedHandlerOnResurrect: a deleted
    # dataset reports count 0, so a device can write new keys at SyncCount 0 from that listing.
    assert listed["DatasetSyncCount"] == 0
    assert listed["DatasetDeletedAfterRequestedSyncCount"] is False  # LastSyncCount 0
    for last in (1, 3):
        answer = list_all(client, LastSyncCount=last)
        assert answer["DatasetDeletedAfterRequestedSyncCount"] is True
        assert answer["Records"] == []
        assert answer["DatasetSyncCount"] == 0
    with raises_error("InvalidParameterException", 400, "No such SyncCount: 4 exists for this Dataset"):
        list_all(client, LastSyncCount=4)


def test_a_recreated_dataset_continues_counting(client: Any) -> None:
    _three_writes_then_delete(client)
    with freeze_time("2024-06-01 00:00:00"):
        written = write(client, [replace("a", "new", 0)])

    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("a", "new", 4)]
    listed = list_all(client)
    assert listed["DatasetExists"] is True
    assert listed["DatasetSyncCount"] == 4
    assert [(r["Key"], r["SyncCount"]) for r in listed["Records"]] == [("a", 4)]
    assert listed["DatasetDeletedAfterRequestedSyncCount"] is False

    behind = list_all(client, LastSyncCount=2)
    assert behind["DatasetDeletedAfterRequestedSyncCount"] is True
    assert [r["Key"] for r in behind["Records"]] == ["a"]
    assert list_all(client, LastSyncCount=4)["DatasetDeletedAfterRequestedSyncCount"] is False
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert dataset["CreationDate"] == utc("2024-06-01 00:00:00")
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (1, 4)


def test_an_old_key_of_a_deleted_dataset_is_new_again(client: Any) -> None:
    _three_writes_then_delete(client)
    with raises_error("ResourceConflictException", 409, conflict("a", 0, 2)):
        write(client, [replace("a", "stale", 2)])


def test_an_empty_update_recreates_a_deleted_dataset_without_counting(client: Any) -> None:
    _three_writes_then_delete(client)
    assert write(client, [])["Records"] == []
    listed = list_all(client)
    assert (listed["DatasetExists"], listed["DatasetSyncCount"], listed["Records"]) == (True, 3, [])


# -- merged datasets --------------------------------------------------------------------


def test_merged_identity_datasets_appear_in_the_target(client: Any, backend: Any) -> None:
    write(client, {"level": "7", "name": "bob"}, identity=OTHER_IDENTITY)
    write(client, [replace("level", "8", 1)], identity=OTHER_IDENTITY)  # B's game at count 2
    write(client, {"theme": "dark"}, identity=OTHER_IDENTITY, dataset="prefs")
    write(client, {"level": "1"})  # A's own game

    backend.merge_identities(POOL, IDENTITY, OTHER_IDENTITY)

    merged_game = f"game.{OTHER_IDENTITY}"
    merged_prefs = f"prefs.{OTHER_IDENTITY}"
    names = [d["DatasetName"] for d in client.list_datasets(**ids(dataset=None))["Datasets"]]
    assert names == sorted(["game", merged_game, merged_prefs])

    game = list_all(client)
    assert game["MergedDatasetNames"] == [merged_game]
    assert live_values(game) == {"level": "1"}
    assert list_all(client, DatasetName="prefs")["MergedDatasetNames"] == [merged_prefs]

    copy = list_all(client, DatasetName=merged_game)
    assert copy["DatasetExists"] is True
    assert copy["DatasetSyncCount"] == 1
    assert live_values(copy) == {"level": "8", "name": "bob"}
    assert {r["SyncCount"] for r in copy["Records"]} == {1}


def test_merged_datasets_count_toward_the_dataset_limit() -> None:
    with mock_cognito_sync(limits={"datasets_per_identity": 2}) as mock:
        client = make_client()
        write(client, {"a": "1"}, identity=OTHER_IDENTITY)
        write(client, {"a": "1"})
        mock.backend("us-east-1").merge_identities(POOL, IDENTITY, OTHER_IDENTITY)
        with raises_error("LimitExceededException", 400):
            write(client, {"a": "1"}, dataset="third")


def test_deleting_a_merged_dataset_drops_its_report(client: Any, backend: Any) -> None:
    write(client, {"a": "1"}, identity=OTHER_IDENTITY)
    write(client, {"a": "1"})
    backend.merge_identities(POOL, IDENTITY, OTHER_IDENTITY)
    merged = f"game.{OTHER_IDENTITY}"

    client.delete_dataset(**ids(dataset=merged))
    assert "MergedDatasetNames" not in list_all(client)


def test_deleting_the_target_dataset_drops_its_merge_report(client: Any, backend: Any) -> None:
    write(client, {"a": "1"}, identity=OTHER_IDENTITY)
    write(client, {"a": "1"})
    backend.merge_identities(POOL, IDENTITY, OTHER_IDENTITY)

    client.delete_dataset(**ids())
    assert "MergedDatasetNames" not in list_all(client)


# -- limits -----------------------------------------------------------------------------


def test_dataset_limit_with_a_small_value() -> None:
    with mock_cognito_sync(limits={"datasets_per_identity": 2}):
        client = make_client()
        write(client, {"a": "1"}, dataset="one")
        write(client, {"a": "1"}, dataset="two")

        with raises_error("LimitExceededException", 400):
            write(client, {"a": "1"}, dataset="three")
        with raises_error("LimitExceededException", 400):
            write(client, [], dataset="three")
        assert client.list_records(**ids(dataset="three"))["DatasetExists"] is False

        write(client, [replace("a", "2", 1)], dataset="one")  # existing datasets still take writes
        write(client, {"a": "1"}, dataset="three", identity=OTHER_IDENTITY)  # another identity has its own
        client.delete_dataset(**ids(dataset="two"))
        write(client, {"a": "1"}, dataset="three")


def test_dataset_limit_default_is_20(client: Any) -> None:
    for i in range(20):
        write(client, {"a": "1"}, dataset=f"ds{i:02d}")
    with raises_error("LimitExceededException", 400):
        write(client, {"a": "1"}, dataset="ds20")
    assert client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]["DatasetCount"] == 20


def test_record_limit_counts_live_records_only() -> None:
    with mock_cognito_sync(limits={"records_per_dataset": 3}):
        client = make_client()
        write(client, {"a": "1", "b": "1", "c": "1"})

        with raises_error("LimitExceededException", 400):
            write(client, {"d": "1"})
        with raises_error("LimitExceededException", 400):
            write(client, [replace("a", "2", 1), replace("d", "1")])
        listed = list_all(client)
        assert listed["DatasetSyncCount"] == 1
        assert live_values(listed) == {"a": "1", "b": "1", "c": "1"}

        write(client, [replace("a", "2", 1)])  # a replace of a live record adds none
        write(client, [remove("b", 1), replace("d", "1")])  # one out, one in
        write(client, [remove("c", 1)])
        write(client, [replace("e", "1")])  # tombstones do not count
        assert client.describe_dataset(**ids())["Dataset"]["NumRecords"] == 3


def test_record_limit_default_is_1024(client: Any) -> None:
    write(client, {f"k{i:04d}": "v" for i in range(1024)})
    with raises_error("LimitExceededException", 400):
        write(client, {"one-more": "v"})
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert dataset["NumRecords"] == 1024
    assert list_all(client)["DatasetSyncCount"] == 1


def test_record_limit_default_in_one_request(client: Any) -> None:
    with raises_error("LimitExceededException", 400):
        write(client, {f"k{i:04d}": "v" for i in range(1025)})
    assert list_all(client)["DatasetExists"] is False


def test_byte_limit_counts_utf8_bytes() -> None:
    with mock_cognito_sync(limits={"dataset_bytes": 10}):
        client = make_client()
        with raises_error("LimitExceededException", 400):
            write(client, {"k": "ééééé"})  # 1 + 10 bytes, though only 6 characters
        write(client, {"k": "éééé"})  # 1 + 8 = 9 bytes
        assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 9
        with raises_error("LimitExceededException", 400):
            write(client, [replace("x", "y")])  # 9 + 2 = 11
        write(client, [replace("x", "")])  # 9 + 1 = 10: at the limit is allowed
        assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 10
        with raises_error("LimitExceededException", 400):
            write(client, [remove("k", 1), replace("big", "1234567")])  # x 1 + big 10 = 11
        write(client, [remove("k", 1), replace("big", "123456")])  # a remove frees room: 1 + 9 = 10
        dataset = client.describe_dataset(**ids())["Dataset"]
        assert (dataset["DataStorage"], dataset["NumRecords"]) == (10, 2)


def test_byte_limit_default_is_one_mebibyte(client: Any) -> None:
    write(client, {"k": "a" * 1_048_575})  # 1 + 1,048,575 = 1,048,576 bytes: exactly the limit
    assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 1_048_576
    with raises_error("LimitExceededException", 400):
        write(client, [replace("j", "")])
    with raises_error("LimitExceededException", 400):
        write(client, [replace("k", "é" + "a" * 1_048_574, 1)])  # one byte more
    write(client, [replace("k", "small", 1)])
    assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 6


# -- DataStorage in UTF-8 bytes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "size"),
    [
        ("k", "é", 3),
        ("k", "v", 2),
        ("ключ", "😀", 8 + 4),
        ("日本", "語", 6 + 3),
        ("k", "", 1),
    ],
)
def test_data_storage_is_utf8_bytes_of_key_and_value(client: Any, key: str, value: str, size: int) -> None:
    write(client, {key: value})
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["DataStorage"], dataset["NumRecords"]) == (size, 1)


def test_data_storage_follows_replaces_and_removes(client: Any) -> None:
    write(client, {"a": "12345", "b": "é"})  # 6 + 3
    assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 9
    write(client, [replace("a", "1", 1)])  # 2 + 3
    assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 5
    write(client, [remove("b", 1)])  # 2
    dataset = client.describe_dataset(**ids())["Dataset"]
    assert (dataset["DataStorage"], dataset["NumRecords"]) == (2, 1)
