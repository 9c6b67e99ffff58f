"""Strict mode: only registered (or moto-known) pools and identities exist."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from helpers import (
    DATASET,
    IDENTITY,
    OTHER_ACCOUNT,
    OTHER_IDENTITY,
    POOL,
    ids,
    list_all,
    make_client,
    raises_error,
    replace,
    token_for,
    write,
)

from cognito_sync_mock import mock_cognito_sync


@pytest.fixture
def strict() -> Iterator[mock_cognito_sync]:
    with mock_cognito_sync(strict=True) as mock:
        yield mock


@pytest.fixture
def strict_client(strict: mock_cognito_sync) -> Any:
    return make_client()


def genuine_token(identity: str = IDENTITY, dataset: str = DATASET) -> str:
    """A session token for the inputs, issued by a default-mode activation of this process."""
    with mock_cognito_sync():
        return token_for(make_client(), identity=identity, dataset=dataset)


# -- unknown pool and identity ----------------------------------------------------------


def test_list_records_of_an_unknown_identity_is_not_authorized(strict_client: Any) -> None:
    with raises_error("NotAuthorizedException", 403):
        list_all(strict_client)


def test_list_datasets_of_an_unknown_identity_is_not_authorized(strict_client: Any) -> None:
    with raises_error("NotAuthorizedException", 403):
        strict_client.list_datasets(**ids(dataset=None))


def test_update_records_of_an_unknown_identity_is_not_found() -> None:
    token = genuine_token()
    with mock_cognito_sync(strict=True) as mock:
        client = make_client()
        with raises_error("ResourceNotFoundException", 404):
            client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
        # The write did not make anything known.
        assert mock.backend("us-east-1").list_identity_pool_usage()["IdentityPoolUsages"] == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.describe_dataset(**ids()),
        lambda c: c.delete_dataset(**ids()),
        lambda c: c.describe_identity_usage(**ids(dataset=None)),
        lambda c: c.describe_identity_pool_usage(IdentityPoolId=POOL),
    ],
    ids=["DescribeDataset", "DeleteDataset", "DescribeIdentityUsage", "DescribeIdentityPoolUsage"],
)
def test_operations_that_model_not_found(strict_client: Any, call: Any) -> None:
    with raises_error("ResourceNotFoundException", 404):
        call(strict_client)


def test_list_identity_pool_usage_lists_nothing_unknown(strict_client: Any) -> None:
    listed = strict_client.list_identity_pool_usage()
    assert (listed["IdentityPoolUsages"], listed["Count"]) == ([], 0)


# -- a registered pool, an unknown identity ---------------------------------------------


def test_a_registered_pool_alone_does_not_admit_its_identities(strict: mock_cognito_sync, strict_client: Any) -> None:
    strict.backend("us-east-1").register_identity_pool(POOL)

    usage = strict_client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert (usage["IdentityPoolId"], usage["SyncSessionsCount"], usage["DataStorage"]) == (POOL, 0, 0)
    assert [u["IdentityPoolId"] for u in strict_client.list_identity_pool_usage()["IdentityPoolUsages"]] == [POOL]
    with raises_error("NotAuthorizedException", 403):
        list_all(strict_client)
    with raises_error("NotAuthorizedException", 403):
        strict_client.list_datasets(**ids(dataset=None))
    with raises_error("ResourceNotFoundException", 404):
        strict_client.describe_identity_usage(**ids(dataset=None))
    with raises_error("ResourceNotFoundException", 404):
        strict_client.describe_dataset(**ids())


def test_a_registered_pool_alone_refuses_writes() -> None:
    token = genuine_token()
    with mock_cognito_sync(strict=True) as mock:
        mock.backend("us-east-1").register_identity_pool(POOL)
        with raises_error("ResourceNotFoundException", 404):
            make_client().update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])


# -- a registered identity --------------------------------------------------------------


def test_a_registered_identity_works_end_to_end(strict: mock_cognito_sync, strict_client: Any) -> None:
    strict.backend("us-east-1").register_identity(POOL, IDENTITY)

    listed = list_all(strict_client)
    assert (listed["DatasetExists"], listed["Records"]) == (False, [])
    assert strict_client.list_datasets(**ids(dataset=None))["Datasets"] == []
    usage = strict_client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert (usage["DatasetCount"], usage["DataStorage"]) == (0, 0)

    written = write(strict_client, {"a": "1"})
    assert written["Records"][0]["SyncCount"] == 1
    assert strict_client.describe_dataset(**ids())["Dataset"]["NumRecords"] == 1
    pool = strict_client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert (pool["SyncSessionsCount"], pool["DataStorage"]) == (2, 2)
    strict_client.delete_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        strict_client.describe_dataset(**ids())


def test_register_identity_makes_its_pool_known(strict: mock_cognito_sync, strict_client: Any) -> None:
    strict.backend("us-east-1").register_identity(POOL, IDENTITY)
    assert [u["IdentityPoolId"] for u in strict_client.list_identity_pool_usage()["IdentityPoolUsages"]] == [POOL]


def test_another_identity_of_a_registered_pool_stays_unknown(strict: mock_cognito_sync, strict_client: Any) -> None:
    strict.backend("us-east-1").register_identity(POOL, IDENTITY)
    with raises_error("NotAuthorizedException", 403):
        list_all(strict_client, IdentityId=OTHER_IDENTITY)


def test_registration_is_per_region(strict: mock_cognito_sync) -> None:
    strict.backend("us-east-1").register_identity(POOL, IDENTITY)
    with raises_error("NotAuthorizedException", 403):
        list_all(make_client("eu-west-1"))
    assert list_all(make_client("us-east-1"))["DatasetExists"] is False


def test_registration_is_per_account(strict: mock_cognito_sync, strict_client: Any) -> None:
    strict.backend("us-east-1", account_id=OTHER_ACCOUNT).register_identity(POOL, IDENTITY)
    with raises_error("NotAuthorizedException", 403):
        list_all(strict_client)


def test_default_mode_accepts_any_well_formed_ids(cognito_sync: Any, client: Any) -> None:
    assert list_all(client)["DatasetExists"] is False
    assert client.list_datasets(**ids(dataset=None))["Datasets"] == []
    assert write(client, {"a": "1"})["Records"][0]["SyncCount"] == 1


def test_register_in_default_mode_makes_a_pool_known(cognito_sync: Any, client: Any) -> None:
    cognito_sync.backend("us-east-1").register_identity_pool(POOL)
    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["IdentityPoolId"] == POOL


# -- moto's cognito-identity ------------------------------------------------------------


def test_identities_known_to_motos_cognito_identity_exist_in_strict_mode() -> None:
    from moto import mock_aws

    with mock_aws():
        identity_client = boto3.client(
            "cognito-identity", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        pool_id = identity_client.create_identity_pool(IdentityPoolName="players", AllowUnauthenticatedIdentities=True)[
            "IdentityPoolId"
        ]
        identity_id = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]

        with mock_cognito_sync(strict=True):
            client = make_client()
            listed = client.list_records(IdentityPoolId=pool_id, IdentityId=identity_id, DatasetName=DATASET)
            assert listed["DatasetExists"] is False
            written = client.update_records(
                IdentityPoolId=pool_id,
                IdentityId=identity_id,
                DatasetName=DATASET,
                SyncSessionToken=listed["SyncSessionToken"],
                RecordPatches=[replace("a", "1")],
            )
            assert written["Records"][0]["SyncCount"] == 1
            with raises_error("NotAuthorizedException", 403):
                client.list_records(IdentityPoolId=pool_id, IdentityId=OTHER_IDENTITY, DatasetName=DATASET)
