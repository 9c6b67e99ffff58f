"""DescribeIdentityUsage, DescribeIdentityPoolUsage and ListIdentityPoolUsage."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time
from helpers import (
    IDENTITY,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    ids,
    list_all,
    raises_error,
    remove,
    seed,
    token_for,
    utc,
    write,
)


def pool_ids(response: dict[str, Any]) -> list[str]:
    return [usage["IdentityPoolId"] for usage in response["IdentityPoolUsages"]]


# -- DescribeIdentityUsage --------------------------------------------------------------


def test_identity_usage_sums_its_datasets(client: Any) -> None:
    with freeze_time("2024-04-05 06:07:08.900") as clock:
        write(client, {"k": "é"})  # 3 bytes
        clock.move_to("2024-04-05 07:00:00.000")
        write(client, {"key": "value", "gone": "x"}, dataset="other")  # 8 + 5 bytes
        write(client, [remove("gone", 1)], dataset="other")  # 8 bytes left

    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert usage == {
        "IdentityId": IDENTITY,
        "IdentityPoolId": POOL,
        "LastModifiedDate": utc("2024-04-05 07:00:00"),
        "DatasetCount": 2,
        "DataStorage": 3 + 8,
    }


def test_identity_usage_of_an_unknown_identity(client: Any) -> None:
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_usage(**ids(dataset=None))


def test_reads_do_not_make_an_identity_known(client: Any) -> None:
    list_all(client)
    client.list_datasets(**ids(dataset=None))
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_usage(**ids(dataset=None))
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_pool_usage(IdentityPoolId=POOL)
    assert client.list_identity_pool_usage()["IdentityPoolUsages"] == []


def test_an_empty_update_makes_the_identity_known(client: Any) -> None:
    write(client, [])
    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert (usage["DatasetCount"], usage["DataStorage"]) == (1, 0)


def test_a_registered_identity_has_empty_usage(client: Any, backend: Any) -> None:
    backend.register_identity(POOL, IDENTITY)
    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert (usage["IdentityId"], usage["IdentityPoolId"], usage["DatasetCount"], usage["DataStorage"]) == (
        IDENTITY,
        POOL,
        0,
        0,
    )


def test_identity_usage_of_the_same_identity_in_another_pool(client: Any) -> None:
    write(client, {"a": "1"}, pool=OTHER_POOL)
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_usage(**ids(dataset=None))


# -- DescribeIdentityPoolUsage ----------------------------------------------------------


def test_pool_usage_sums_its_identities(client: Any) -> None:
    with freeze_time("2024-04-05 06:07:08") as clock:
        write(client, {"a": "12"})  # 3 bytes
        clock.move_to("2024-04-05 09:00:00.5")
        write(client, {"bb": "ü"}, identity=OTHER_IDENTITY)  # 2 + 2 bytes
    write(client, {"zzz": "zzz"}, pool=OTHER_POOL)  # another pool: not counted

    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage == {
        "IdentityPoolId": POOL,
        "SyncSessionsCount": 2,
        "DataStorage": 3 + 4,
        "LastModifiedDate": utc("2024-04-05 09:00:00.500"),
    }


def test_pool_usage_of_an_unknown_pool(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_pool_usage(IdentityPoolId=OTHER_POOL)


def test_sync_sessions_count_includes_tokens_issued_before_the_pool_was_known(client: Any) -> None:
    for _ in range(3):
        list_all(client)
    list_all(client, DatasetName="other")
    list_all(client, IdentityId=OTHER_IDENTITY)
    list_all(client, IdentityPoolId=OTHER_POOL)  # another pool's session
    write(client, {"a": "1"})  # one more ListRecords, then the write

    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["SyncSessionsCount"] == 6


def test_each_list_records_page_counts_a_session(client: Any) -> None:
    write(client, {"a": "1", "b": "2", "c": "3"})  # 1 session
    first = list_all(client, MaxResults=2)
    list_all(client, MaxResults=2, NextToken=first["NextToken"])
    token = token_for(client)
    client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[])  # no session of its own
    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["SyncSessionsCount"] == 4


def test_a_registered_pool_has_empty_usage(client: Any, backend: Any) -> None:
    with freeze_time("2024-01-01 00:00:00"):
        backend.register_identity_pool(POOL)
    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage == {
        "IdentityPoolId": POOL,
        "SyncSessionsCount": 0,
        "DataStorage": 0,
        "LastModifiedDate": utc("2024-01-01 00:00:00"),
    }


def test_pool_usage_drops_a_deleted_dataset(client: Any) -> None:
    write(client, {"a": "1"})
    write(client, {"b": "22"}, dataset="other")
    client.delete_dataset(**ids())
    assert client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]["DataStorage"] == 3


# -- ListIdentityPoolUsage --------------------------------------------------------------

POOLS = [f"us-east-1:00000000-0000-4000-8000-{i:012x}" for i in (0x30, 0x10, 0x50, 0x20, 0x40)]


def test_list_pool_usage_is_ordered_by_pool_id(client: Any, backend: Any) -> None:
    for pool in POOLS:
        seed(backend, {"k": "v"}, pool=pool)
    listed = client.list_identity_pool_usage()
    assert pool_ids(listed) == sorted(POOLS)
    assert listed["Count"] == 5
    assert listed["MaxResults"] == 60
    assert "NextToken" not in listed
    first = listed["IdentityPoolUsages"][0]
    assert (first["SyncSessionsCount"], first["DataStorage"]) == (1, 2)
    assert first == client.describe_identity_pool_usage(IdentityPoolId=sorted(POOLS)[0])["IdentityPoolUsage"]


def test_list_pool_usage_with_no_pools(client: Any) -> None:
    listed = client.list_identity_pool_usage()
    assert (listed["IdentityPoolUsages"], listed["Count"]) == ([], 0)
    assert "NextToken" not in listed


def test_list_pool_usage_pages_and_echoes_max_results(client: Any, backend: Any) -> None:
    for pool in POOLS:
        backend.register_identity_pool(pool)
    pages = []
    response = client.list_identity_pool_usage(MaxResults=2)
    pages.append(response)
    while "NextToken" in response:
        response = client.list_identity_pool_usage(MaxResults=2, NextToken=response["NextToken"])
        pages.append(response)
    ordered = sorted(POOLS)
    assert [pool_ids(p) for p in pages] == [ordered[0:2], ordered[2:4], ordered[4:]]
    assert [p["Count"] for p in pages] == [2, 2, 1]
    assert {p["MaxResults"] for p in pages} == {2}


def test_list_pool_usage_default_and_cap_are_60(client: Any, backend: Any) -> None:
    pools = [f"us-east-1:00000000-0000-4000-8000-{i:012x}" for i in range(61)]
    for pool in pools:
        backend.register_identity_pool(pool)
    default = client.list_identity_pool_usage()
    assert default["Count"] == 60
    assert pool_ids(default) == pools[:60]
    assert "NextToken" in default
    capped = client.list_identity_pool_usage(MaxResults=500)
    assert capped["Count"] == 60
    rest = client.list_identity_pool_usage(MaxResults=500, NextToken=capped["NextToken"])
    assert pool_ids(rest) == pools[60:]
    assert "NextToken" not in rest


def test_list_pool_usage_lists_only_known_pools(client: Any) -> None:
    list_all(client, IdentityPoolId=OTHER_POOL)  # a read: the pool stays unknown
    write(client, {"a": "1"})
    assert pool_ids(client.list_identity_pool_usage()) == [POOL]


@pytest.mark.parametrize("max_results", [0, -1])
def test_list_pool_usage_max_results_below_one(client: Any, max_results: int) -> None:
    with raises_error("InvalidParameterException", 400):
        client.list_identity_pool_usage(MaxResults=max_results)


@pytest.mark.parametrize("token", ["garbage", "x.é"])
def test_list_pool_usage_with_a_token_it_did_not_issue(client: Any, backend: Any, token: str) -> None:
    for pool in POOLS:
        backend.register_identity_pool(pool)
    with raises_error("InvalidParameterException", 400):
        client.list_identity_pool_usage(MaxResults=1, NextToken=token)


def test_list_pool_usage_with_a_datasets_token(client: Any, backend: Any) -> None:
    seed(backend, {"k": "v"}, dataset="one")
    seed(backend, {"k": "v"}, dataset="two")
    token = client.list_datasets(**ids(dataset=None), MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        client.list_identity_pool_usage(MaxResults=1, NextToken=token)
