"""DescribeDataset, DeleteDataset and ListDatasets."""

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
    ids,
    list_all,
    make_client,
    raises_error,
    remove,
    replace,
    seed,
    utc,
    write,
)

from cognito_sync_mock import NoSuchDataset, mock_cognito_sync


def dataset_names(response: dict[str, Any]) -> list[str]:
    return [d["DatasetName"] for d in response["Datasets"]]


# -- DescribeDataset --------------------------------------------------------------------


def test_describe_dataset_reports_every_member(client: Any) -> None:
    with freeze_time("2024-02-03 04:05:06.789") as clock:
        write(client, {"a": "é", "bb": "xyz"})
        clock.move_to("2024-02-03 05:00:00.001")
        write(client, [remove("bb", 1), replace("c", "1")])

    dataset = client.describe_dataset(**ids())["Dataset"]
    assert dataset == {
        "IdentityId": IDENTITY,
        "DatasetName": DATASET,
        "CreationDate": utc("2024-02-03 04:05:06.789"),
        "LastModifiedDate": utc("2024-02-03 05:00:00.001"),
        "LastModifiedBy": DEFAULT_ACCOUNT,
        "DataStorage": (1 + 2) + (1 + 1),
        "NumRecords": 2,
    }


def test_describe_a_missing_dataset(client: Any) -> None:
    write(client, {"a": "1"})
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids(dataset="nothere"))


def test_describe_a_dataset_of_an_unknown_identity(client: Any) -> None:
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())


def test_describe_a_deleted_dataset(client: Any) -> None:
    write(client, {"a": "1"})
    client.delete_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())


def test_datasets_of_one_identity_are_not_anothers(client: Any) -> None:
    write(client, {"a": "1"}, identity=OTHER_IDENTITY)
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())
    assert client.list_datasets(**ids(dataset=None))["Datasets"] == []


# -- DeleteDataset ----------------------------------------------------------------------


def test_delete_returns_the_dataset_as_it_was(client: Any) -> None:
    with freeze_time("2024-02-03 04:05:06"):
        write(client, {"a": "1", "b": "22"})
    with freeze_time("2024-02-04 00:00:00"):
        deleted = client.delete_dataset(**ids())["Dataset"]
    assert deleted == {
        "IdentityId": IDENTITY,
        "DatasetName": DATASET,
        "CreationDate": utc("2024-02-03 04:05:06"),
        "LastModifiedDate": utc("2024-02-03 04:05:06"),
        "LastModifiedBy": DEFAULT_ACCOUNT,
        "DataStorage": 2 + 3,
        "NumRecords": 2,
    }


def test_delete_removes_the_dataset_and_its_records(client: Any) -> None:
    write(client, {"a": "1", "b": "22"})
    write(client, {"x": "123"}, dataset="keep")
    client.delete_dataset(**ids())

    assert dataset_names(client.list_datasets(**ids(dataset=None))) == ["keep"]
    listed = list_all(client)
    assert (listed["DatasetExists"], listed["Records"], listed["Count"]) == (False, [], 0)
    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert (usage["DatasetCount"], usage["DataStorage"]) == (1, 4)
    pool = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert pool["DataStorage"] == 4
    assert client.list_identity_pool_usage()["IdentityPoolUsages"][0]["DataStorage"] == 4


def test_delete_a_missing_dataset(client: Any) -> None:
    with raises_error("ResourceNotFoundException", 404):
        client.delete_dataset(**ids())
    write(client, {"a": "1"})
    with raises_error("ResourceNotFoundException", 404):
        client.delete_dataset(**ids(dataset="other"))


def test_delete_twice(client: Any) -> None:
    write(client, {"a": "1"})
    client.delete_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        client.delete_dataset(**ids())


def test_a_dataset_of_tombstones_only_can_be_deleted(client: Any) -> None:
    write(client, [remove("ghost", 0)])
    deleted = client.delete_dataset(**ids())["Dataset"]
    assert (deleted["NumRecords"], deleted["DataStorage"]) == (0, 0)


def test_a_recreated_dataset_is_listed_again(client: Any) -> None:
    write(client, {"a": "1"})
    client.delete_dataset(**ids())
    write(client, {"b": "2"})
    listed = client.list_datasets(**ids(dataset=None))
    assert dataset_names(listed) == [DATASET]
    assert listed["Datasets"][0]["NumRecords"] == 1


# -- ListDatasets -----------------------------------------------------------------------


def test_list_datasets_ordered_by_name_with_their_members(client: Any) -> None:
    with freeze_time("2024-07-08 09:10:11.120"):
        for name in ["zeta", "Alpha", "beta", "a.b", "a-b", "a_b"]:
            write(client, {"k": "v"}, dataset=name)

    listed = client.list_datasets(**ids(dataset=None))
    assert dataset_names(listed) == sorted(["zeta", "Alpha", "beta", "a.b", "a-b", "a_b"])
    assert listed["Count"] == 6
    assert "NextToken" not in listed
    assert listed["Datasets"][0] == {
        "IdentityId": IDENTITY,
        "DatasetName": "Alpha",
        "CreationDate": utc("2024-07-08 09:10:11.120"),
        "LastModifiedDate": utc("2024-07-08 09:10:11.120"),
        "LastModifiedBy": DEFAULT_ACCOUNT,
        "DataStorage": 2,
        "NumRecords": 1,
    }


def test_list_datasets_of_an_unknown_identity_lists_nothing(client: Any) -> None:
    listed = client.list_datasets(**ids(dataset=None))
    assert listed["Datasets"] == []
    assert listed["Count"] == 0
    assert "NextToken" not in listed


def test_list_datasets_of_an_identity_with_only_reads_lists_nothing(client: Any) -> None:
    list_all(client)
    assert client.list_datasets(**ids(dataset=None))["Datasets"] == []


def test_list_datasets_includes_an_empty_dataset(client: Any) -> None:
    write(client, [])
    listed = client.list_datasets(**ids(dataset=None))
    assert dataset_names(listed) == [DATASET]
    assert (listed["Datasets"][0]["NumRecords"], listed["Datasets"][0]["DataStorage"]) == (0, 0)


def test_list_datasets_pages(client: Any, backend: Any) -> None:
    names = [f"ds{i}" for i in range(5)]
    for name in names:
        seed(backend, {"k": "v"}, dataset=name)

    pages = []
    response = client.list_datasets(**ids(dataset=None), MaxResults=2)
    pages.append(response)
    while "NextToken" in response:
        response = client.list_datasets(**ids(dataset=None), MaxResults=2, NextToken=response["NextToken"])
        pages.append(response)
    assert [dataset_names(p) for p in pages] == [["ds0", "ds1"], ["ds2", "ds3"], ["ds4"]]
    assert [p["Count"] for p in pages] == [2, 2, 1]


def test_list_datasets_paging_survives_a_new_dataset_between_pages(client: Any, backend: Any) -> None:
    for name in ["b", "d", "f"]:
        seed(backend, {"k": "v"}, dataset=name)
    first = client.list_datasets(**ids(dataset=None), MaxResults=2)
    assert dataset_names(first) == ["b", "d"]
    seed(backend, {"k": "v"}, dataset="a")  # sorts before the position: not repeated
    second = client.list_datasets(**ids(dataset=None), MaxResults=2, NextToken=first["NextToken"])
    assert dataset_names(second) == ["f"]


def test_list_datasets_default_page_is_20_and_cap_is_64() -> None:
    with mock_cognito_sync(limits={"datasets_per_identity": 100}) as mock:
        client = make_client()
        backend = mock.backend("us-east-1")
        for i in range(70):
            seed(backend, {"k": "v"}, dataset=f"ds{i:02d}")

        default = client.list_datasets(**ids(dataset=None))
        assert default["Count"] == 20
        assert dataset_names(default) == [f"ds{i:02d}" for i in range(20)]
        assert "NextToken" in default

        capped = client.list_datasets(**ids(dataset=None), MaxResults=1000)
        assert capped["Count"] == 64
        rest = client.list_datasets(**ids(dataset=None), MaxResults=1000, NextToken=capped["NextToken"])
        assert dataset_names(rest) == [f"ds{i:02d}" for i in range(64, 70)]
        assert "NextToken" not in rest


@pytest.mark.parametrize("max_results", [0, -5])
def test_list_datasets_max_results_below_one(client: Any, max_results: int) -> None:
    with raises_error("InvalidParameterException", 400):
        client.list_datasets(**ids(dataset=None), MaxResults=max_results)


@pytest.mark.parametrize("token", ["garbage", "x.é"])
def test_list_datasets_with_a_token_it_did_not_issue(client: Any, backend: Any, token: str) -> None:
    seed(backend, {"k": "v"}, dataset="one")
    seed(backend, {"k": "v"}, dataset="two")
    with raises_error("InvalidParameterException", 400):
        client.list_datasets(**ids(dataset=None), MaxResults=1, NextToken=token)


def test_list_datasets_with_a_token_of_another_identity(client: Any, backend: Any) -> None:
    for identity in (IDENTITY, OTHER_IDENTITY):
        seed(backend, {"k": "v"}, identity=identity, dataset="one")
        seed(backend, {"k": "v"}, identity=identity, dataset="two")
    token = client.list_datasets(**ids(identity=OTHER_IDENTITY, dataset=None), MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        client.list_datasets(**ids(dataset=None), MaxResults=1, NextToken=token)


def test_list_datasets_with_a_records_token(client: Any, backend: Any) -> None:
    seed(backend, {"a": "1", "b": "2"})
    seed(backend, {"k": "v"}, dataset="two")
    token = client.list_records(**ids(), MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        client.list_datasets(**ids(dataset=None), MaxResults=1, NextToken=token)


# -- Backend.dataset: the mock's look at a stored dataset ---------------------------------


@pytest.mark.parametrize(
    ("pool", "identity", "dataset"),
    [(POOL, IDENTITY, "nope"), (POOL, OTHER_IDENTITY, DATASET), (OTHER_POOL, IDENTITY, DATASET)],
    ids=["dataset", "identity", "pool"],
)
def test_backend_dataset_names_what_it_did_not_find(backend: Any, pool: str, identity: str, dataset: str) -> None:
    seed(backend, {"k": "v"})
    with pytest.raises(NoSuchDataset) as missing:
        backend.dataset(pool, identity, dataset)
    assert str(missing.value) == (
        f"no dataset '{dataset}' of identity '{identity}' in identity pool '{pool}' "
        f"(account {DEFAULT_ACCOUNT}, region us-east-1)"
    )
    assert isinstance(missing.value, KeyError)
    assert missing.value.__cause__ is None and missing.value.__suppress_context__


def test_backend_dataset_gives_a_deleted_dataset(client: Any, backend: Any) -> None:
    seed(backend, {"k": "v"})
    client.delete_dataset(**ids())
    assert backend.dataset(POOL, IDENTITY, DATASET).exists is False
