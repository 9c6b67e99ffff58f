"""Accounts and regions: where a request's data lives, and that none leaks to another."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    DATASET,
    DEFAULT_ACCOUNT,
    IDENTITY,
    OTHER_ACCOUNT,
    POOL,
    ids,
    list_all,
    make_client,
    raises_error,
    replace,
    seed,
    token_for,
    write,
)

from cognito_sync_mock import CognitoSyncError, mock_cognito_sync


def holds_dataset(backend: Any) -> bool:
    """Whether the backend has the default dataset (asked on the backend, no HTTP)."""
    try:
        backend.describe_dataset(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)
    except CognitoSyncError as error:
        assert error.code == "ResourceNotFoundException"
        return False
    return True


@pytest.fixture
def no_account_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


# -- account ----------------------------------------------------------------------------


def test_default_account_is_123456789012(no_account_env: None) -> None:
    with mock_cognito_sync() as mock:
        write(make_client(), {"a": "1"})
        assert holds_dataset(mock.backend("us-east-1", account_id=DEFAULT_ACCOUNT))
        assert mock.backend("us-east-1") is mock.backend("us-east-1", account_id=DEFAULT_ACCOUNT)
        assert mock.backend("us-east-1").account_id == DEFAULT_ACCOUNT


def test_account_from_the_option(no_account_env: None) -> None:
    with mock_cognito_sync(account_id="111122223333") as mock:
        write(make_client(), {"a": "1"})
        assert holds_dataset(mock.backend("us-east-1", account_id="111122223333"))
        assert not holds_dataset(mock.backend("us-east-1", account_id=DEFAULT_ACCOUNT))
        assert mock.backend("us-east-1").account_id == "111122223333"


def test_account_from_moto_account_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")
    with mock_cognito_sync() as mock:
        write(make_client(), {"a": "1"})
        assert holds_dataset(mock.backend("us-east-1", account_id="444455556666"))
        assert not holds_dataset(mock.backend("us-east-1", account_id=DEFAULT_ACCOUNT))


def test_the_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")
    with mock_cognito_sync(account_id="777788889999") as mock:
        write(make_client(), {"a": "1"})
        assert holds_dataset(mock.backend("us-east-1", account_id="777788889999"))
        assert not holds_dataset(mock.backend("us-east-1", account_id="444455556666"))


def test_another_accounts_data_is_invisible(cognito_sync: Any, client: Any) -> None:
    seed(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT), {"secret": "x"})

    listed = list_all(client)
    assert (listed["DatasetExists"], listed["Records"]) == (False, [])
    assert client.list_datasets(**ids(dataset=None))["Datasets"] == []
    assert client.list_identity_pool_usage()["IdentityPoolUsages"] == []
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_usage(**ids(dataset=None))
    with raises_error("ResourceNotFoundException", 404):
        client.describe_identity_pool_usage(IdentityPoolId=POOL)


def test_writes_in_one_account_do_not_reach_another(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1"})
    other = cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT)
    assert not holds_dataset(other)
    assert other.list_identity_pool_usage()["IdentityPoolUsages"] == []


def test_a_session_token_of_another_account_is_not_valid(cognito_sync: Any, client: Any) -> None:
    other = cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT)
    token = other.list_records(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)["SyncSessionToken"]
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])


# -- region -----------------------------------------------------------------------------


def test_region_from_the_client(cognito_sync: Any) -> None:
    write(make_client("eu-west-1"), {"a": "1"})
    assert holds_dataset(cognito_sync.backend("eu-west-1"))
    assert not holds_dataset(cognito_sync.backend("us-east-1"))


def test_region_with_a_custom_endpoint_url(cognito_sync: Any) -> None:
    client = make_client("ap-southeast-2", endpoint_url="http://localhost:4566")
    write(client, {"a": "1"})
    assert holds_dataset(cognito_sync.backend("ap-southeast-2"))
    assert not holds_dataset(cognito_sync.backend("us-east-1"))
    assert list_all(client)["DatasetSyncCount"] == 1


def test_region_from_the_signature_not_the_endpoint_host(cognito_sync: Any) -> None:
    client = make_client("eu-central-1", endpoint_url="https://cognito-sync.us-west-2.amazonaws.com")
    write(client, {"a": "1"})
    assert holds_dataset(cognito_sync.backend("eu-central-1"))
    assert not holds_dataset(cognito_sync.backend("us-west-2"))


def test_another_regions_data_is_invisible(cognito_sync: Any) -> None:
    east, west = make_client("us-east-1"), make_client("us-west-2")
    write(east, {"a": "1"})

    listed = list_all(west)
    assert (listed["DatasetExists"], listed["DatasetSyncCount"]) == (False, 0)
    assert west.list_datasets(**ids(dataset=None))["Datasets"] == []
    assert west.list_identity_pool_usage()["IdentityPoolUsages"] == []
    with raises_error("ResourceNotFoundException", 404):
        west.describe_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        west.describe_identity_pool_usage(IdentityPoolId=POOL)

    write(west, {"a": "west"})  # its own first write: no conflict with the east's record
    assert [(r["Value"], r["SyncCount"]) for r in list_all(west)["Records"]] == [("west", 1)]
    assert [(r["Value"], r["SyncCount"]) for r in list_all(east)["Records"]] == [("1", 1)]


def test_a_session_token_of_another_region_is_not_valid(cognito_sync: Any) -> None:
    east, west = make_client("us-east-1"), make_client("us-west-2")
    token = token_for(east)
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        west.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])


def test_a_next_token_of_another_region_is_not_valid(cognito_sync: Any) -> None:
    east, west = make_client("us-east-1"), make_client("us-west-2")
    write(east, {"a": "1", "b": "2"})
    write(west, {"a": "1", "b": "2"})
    token = list_all(east, MaxResults=1)["NextToken"]
    with raises_error("InvalidParameterException", 400):
        list_all(west, MaxResults=1, NextToken=token)


def test_sync_sessions_are_counted_per_region(cognito_sync: Any) -> None:
    east, west = make_client("us-east-1"), make_client("us-west-2")
    for _ in range(3):
        list_all(west)
    write(east, {"a": "1"})
    usage = east.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["SyncSessionsCount"] == 1
