"""Credentials: minted Cognito Identity keys, developer keys in other accounts, strict mode.

SPEC 9 and 11: ``mock.identity_credentials`` mints keys whose requests are identity
requests for one identity; every other request is a developer request; strict mode
enforces the credentials table (403 NotAuthorizedException before anything else), the
default mode enforces nothing; ``mock.map_access_key`` puts a developer key in another
account.
"""

from __future__ import annotations

import contextlib
import io
import logging
import unittest
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import boto3
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from helpers import (
    APP_ARN,
    DATASET,
    DEFAULT_ACCOUNT,
    IDENTITY,
    MINTED_KEY,
    NO_RETRIES,
    NOT_VALID,
    OTHER_ACCOUNT,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    ROLE_ARN,
    STREAM,
    TRIGGER_ARN,
    body,
    ids,
    list_all,
    make_client,
    raises_error,
    replace,
    seed,
    write,
)

from cognito_sync_mock import CognitoSyncError, mock_cognito_sync

THIRD_ACCOUNT = "555566667777"
MAPPED_KEY = "AKIAMAPPEDDEVELOPER1"
WEST = "eu-west-1"

DEVELOPER_ONLY = {
    "BulkPublish",
    "DescribeIdentityPoolUsage",
    "GetBulkPublishDetails",
    "GetCognitoEvents",
    "GetIdentityPoolConfiguration",
    "ListIdentityPoolUsage",
    "SetCognitoEvents",
    "SetIdentityPoolConfiguration",
}
IDENTITY_ONLY = {"RegisterDevice", "SubscribeToDataset", "UnsubscribeFromDataset"}
EITHER = {"DeleteDataset", "DescribeDataset", "DescribeIdentityUsage", "ListDatasets", "ListRecords", "UpdateRecords"}

_session = boto3.session.Session()
_clients: dict[tuple[Any, ...], Any] = {}


def client_with(credentials: Mapping[str, Any], region: str = "us-east-1", **config: Any) -> Any:
    """A cognito-sync client signed with these credentials, one attempt per call.

    Clients hold no state of the mock, so those of the fixed developer keys are made once.
    """
    cache_key = (tuple(sorted(credentials.items())), region, tuple(sorted(config.items())))
    client = _clients.get(cache_key)
    if client is None:
        client = _session.client(
            "cognito-sync",
            region_name=region,
            config=Config(retries={"total_max_attempts": 1}, **config),
            **credentials,
        )
        if not credentials["aws_access_key_id"].startswith("ASIA"):
            _clients[cache_key] = client
    return client


def developer_key(access_key: str) -> dict[str, str]:
    return {"aws_access_key_id": access_key, "aws_secret_access_key": "developer-secret"}


def holds(backend: Any, dataset: str = DATASET, identity: str = IDENTITY, pool: str = POOL) -> bool:
    """Whether a backend has a live dataset (asked on the backend: no HTTP, no authorization)."""
    try:
        backend.describe_dataset(identity_pool_id=pool, identity_id=identity, dataset_name=dataset)
    except CognitoSyncError as error:
        assert error.code == "ResourceNotFoundException"
        return False
    return True


def last_call(mock: Any) -> tuple[str, str | None]:
    call = mock.calls[-1]
    return call.operation, call.error


# -- minting ------------------------------------------------------------------------------


def test_each_call_records_who_signed_it(cognito_sync: Any) -> None:
    """Keys minted for an identity, any other keys, or no signature: ``Call.caller``, with the status."""
    identity = boto3.client(
        "cognito-sync", region_name="us-east-1", **cognito_sync.identity_credentials(POOL, IDENTITY)
    )
    unsigned = boto3.client("cognito-sync", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    identity.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    make_client().list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    with pytest.raises(ClientError):
        unsigned.describe_dataset(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName=DATASET)
    assert [(c.number, c.operation, c.caller, c.status, c.error) for c in cognito_sync.calls] == [
        (1, "ListDatasets", "identity", 200, None),
        (2, "ListDatasets", "developer", 200, None),
        (3, "DescribeDataset", "unsigned", 404, "ResourceNotFoundException"),
    ]


def test_minted_credentials_are_boto3_keyword_arguments(cognito_sync: Any) -> None:
    credentials = cognito_sync.identity_credentials(POOL, IDENTITY)

    assert sorted(credentials) == ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"]
    assert MINTED_KEY.fullmatch(credentials["aws_access_key_id"])
    assert credentials["aws_secret_access_key"] and credentials["aws_session_token"]
    client = boto3.client("cognito-sync", region_name="us-east-1", **credentials)
    written = write(client, {"level": "3"})
    assert [(r["Key"], r["Value"], r["SyncCount"], r["LastModifiedBy"]) for r in written["Records"]] == [
        ("level", "3", 1, IDENTITY)
    ]
    assert last_call(cognito_sync) == ("UpdateRecords", None)


def test_each_minting_gives_new_keys_and_earlier_ones_stay_valid() -> None:
    with mock_cognito_sync(strict=True) as mock:
        first = mock.identity_credentials(POOL, IDENTITY)
        second = mock.identity_credentials(POOL, IDENTITY)
        other = mock.identity_credentials(POOL, OTHER_IDENTITY)
        for name in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"):
            assert len({c[name] for c in (first, second, other)}) == 3
        for credentials in (first, second):
            own = client_with(credentials)
            assert list_all(own)["DatasetExists"] is False
            with raises_error("NotAuthorizedException", 403, NOT_VALID):
                own.get_cognito_events(IdentityPoolId=POOL)  # still an identity's keys


def test_only_the_access_key_id_counts() -> None:
    with mock_cognito_sync(strict=True) as mock:
        minted = mock.identity_credentials(POOL, IDENTITY)
        mock.backend().set_identity_pool_configuration(identity_pool_id=POOL, push_sync={"ApplicationArns": [APP_ARN]})
        # Another secret, no session token: still an identity request of IDENTITY.
        forged = client_with(
            {"aws_access_key_id": minted["aws_access_key_id"], "aws_secret_access_key": "not-the-secret"}
        )
        device = forged.register_device(**ids(dataset=None), Platform="GCM", Token="t")["DeviceId"]
        assert str(uuid.UUID(device)) == device


def test_a_minted_key_stays_in_its_account_even_if_mapped(cognito_sync: Any) -> None:
    minted = cognito_sync.identity_credentials(POOL, IDENTITY)
    cognito_sync.map_access_key(minted["aws_access_key_id"], OTHER_ACCOUNT)
    write(client_with(minted), {"a": "1"})
    assert holds(cognito_sync.backend("us-east-1"))
    assert not holds(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT))


def test_minting_makes_the_identity_and_its_pool_known(cognito_sync: Any, client: Any) -> None:
    cognito_sync.identity_credentials(POOL, IDENTITY)

    listed = client.list_identity_pool_usage()
    assert [(u["IdentityPoolId"], u["SyncSessionsCount"], u["DataStorage"]) for u in listed["IdentityPoolUsages"]] == [
        (POOL, 0, 0)
    ]
    usage = client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
    assert (usage["IdentityId"], usage["IdentityPoolId"], usage["DatasetCount"], usage["DataStorage"]) == (
        IDENTITY,
        POOL,
        0,
        0,
    )


def test_minting_registers_the_identity_for_strict_mode() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY)
        listed = list_all(client_with(credentials))
        assert (listed["DatasetExists"], listed["Records"], listed["Count"]) == (False, [], 0)
        # A developer may now reach it too: the identity exists.
        assert list_all(make_client())["DatasetExists"] is False


def test_minting_in_a_region_registers_there_only(cognito_sync: Any) -> None:
    cognito_sync.identity_credentials(POOL, IDENTITY, region=WEST)
    assert make_client(WEST).list_identity_pool_usage()["Count"] == 1
    assert make_client("us-east-1").list_identity_pool_usage()["Count"] == 0


def test_minting_for_another_account() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY, account_id=OTHER_ACCOUNT)
        write(client_with(credentials), {"a": "1"})
        assert holds(mock.backend("us-east-1", account_id=OTHER_ACCOUNT))
        assert not holds(mock.backend("us-east-1"))
        # The identity is registered in that account only.
        with raises_error("NotAuthorizedException", 403):
            list_all(make_client())


def test_reset_forgets_minted_keys() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY)
        mock.reset()
        backend = mock.backend()
        backend.register_identity(POOL, IDENTITY)
        backend.set_identity_pool_configuration(identity_pool_id=POOL, push_sync={"ApplicationArns": [APP_ARN]})
        forgotten = client_with(credentials)
        # Signed with a forgotten key, a request is a developer request.
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            forgotten.register_device(**ids(dataset=None), Platform="GCM", Token="t")
        assert forgotten.get_cognito_events(IdentityPoolId=POOL)["Events"] == {}


# -- identity requests and developer requests, in strict mode -------------------------------


@dataclass
class World:
    """A strict or default mock set up by a developer, with keys of two identities."""

    mock: Any
    device: str
    keys: dict[str, dict[str, str]]


@pytest.fixture(params=[True, False], ids=["strict", "default"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    with make_world(request.param) as made:
        yield made


@contextlib.contextmanager
def make_world(strict: bool) -> Iterator[World]:
    """Pool configured (push sync, streams), datasets `game` {a: 1} and `scores` {s: 1} of
    IDENTITY, a device of IDENTITY subscribed to `game`; keys for IDENTITY and OTHER_IDENTITY."""
    with mock_cognito_sync(strict=strict) as mock:
        keys = {
            "developer": developer_key("AKIADEVELOPERKEY0001"),
            "identity": mock.identity_credentials(POOL, IDENTITY),
            "another identity": mock.identity_credentials(POOL, OTHER_IDENTITY),
        }
        backend = mock.backend()
        backend.set_identity_pool_configuration(
            identity_pool_id=POOL,
            push_sync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
            cognito_streams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
        )
        seed(backend, {"a": "1"})
        seed(backend, {"s": "1"}, dataset="scores")
        device = backend.register_device(identity_pool_id=POOL, identity_id=IDENTITY, platform="GCM", token="phone")[
            "DeviceId"
        ]
        backend.subscribe_to_dataset(
            identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET, device_id=device
        )
        yield World(mock, device, keys)


def pushed_after_writes(world: World) -> list[tuple[str, str]]:
    """Write to both datasets (on the backend) and say which (dataset, device) got a push."""
    before = len(world.mock.push_notifications)
    for dataset in (DATASET, "scores"):
        seed(world.mock.backend(), {"probe": "x"}, dataset=dataset)
    return [(p["payload"]["datasetName"], p["device_id"]) for p in world.mock.push_notifications[before:]]


def observable(world: World) -> Any:
    """What the operations could change, read on the backend (no HTTP, no authorization)."""
    backend = world.mock.backend()
    identity = {"identity_pool_id": POOL, "identity_id": IDENTITY}
    records = backend.list_records(**identity, dataset_name=DATASET)["Records"]
    return (
        backend.list_datasets(**identity)["Datasets"],
        [(r["Key"], r.get("Value"), r["SyncCount"]) for r in records],
        backend.get_identity_pool_configuration(identity_pool_id=POOL),
        backend.get_cognito_events(identity_pool_id=POOL),
        backend.get_bulk_publish_details(identity_pool_id=POOL),
        len(world.mock.stream_records()),
    )


def token_of(world: World) -> str:
    names = {"identity_pool_id": POOL, "identity_id": IDENTITY, "dataset_name": DATASET}
    return str(world.mock.backend().list_records(**names)["SyncSessionToken"])


@dataclass
class Case:
    """One operation: how to call it on IDENTITY's data, and what its success looks like."""

    call: Callable[[Any, World], dict[str, Any]]
    check: Callable[[dict[str, Any], World], None]


def _check_bulk_publish(answer: dict[str, Any], world: World) -> None:
    assert body(answer) == {"IdentityPoolId": POOL}
    details = world.mock.backend().get_bulk_publish_details(identity_pool_id=POOL)
    assert details["BulkPublishStatus"] == "SUCCEEDED"


def _check_pool_usage(answer: dict[str, Any], world: World) -> None:
    usage = answer["IdentityPoolUsage"]
    assert (usage["IdentityPoolId"], usage["DataStorage"]) == (POOL, 4)


def _check_set_events(answer: dict[str, Any], world: World) -> None:
    assert body(answer) == {}
    assert world.mock.backend().get_cognito_events(identity_pool_id=POOL) == {"Events": {"SyncTrigger": TRIGGER_ARN}}


def _check_register_device(answer: dict[str, Any], world: World) -> None:
    device = answer["DeviceId"]
    assert str(uuid.UUID(device)) == device
    assert device != world.device
    again = world.mock.backend().register_device(
        identity_pool_id=POOL, identity_id=IDENTITY, platform="APNS", token="tablet"
    )
    assert again["DeviceId"] == device


def _check_subscribe(answer: dict[str, Any], world: World) -> None:
    assert body(answer) == {}
    assert pushed_after_writes(world) == [(DATASET, world.device), ("scores", world.device)]


def _check_unsubscribe(answer: dict[str, Any], world: World) -> None:
    assert body(answer) == {}
    assert pushed_after_writes(world) == []


def _check_delete(answer: dict[str, Any], world: World) -> None:
    dataset = answer["Dataset"]
    assert (dataset["DatasetName"], dataset["NumRecords"], dataset["DataStorage"]) == (DATASET, 1, 2)
    assert not holds(world.mock.backend())


def _check_describe(answer: dict[str, Any], world: World) -> None:
    dataset = answer["Dataset"]
    assert (dataset["IdentityId"], dataset["DatasetName"], dataset["NumRecords"], dataset["LastModifiedBy"]) == (
        IDENTITY,
        DATASET,
        1,
        IDENTITY,
    )


def _check_update(answer: dict[str, Any], world: World) -> None:
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in answer["Records"]] == [("a", "2", 2)]
    records = world.mock.backend().list_records(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in records["Records"]] == [("a", "2", 2)]


CASES: dict[str, Case] = {
    "BulkPublish": Case(lambda c, w: c.bulk_publish(IdentityPoolId=POOL), _check_bulk_publish),
    "DescribeIdentityPoolUsage": Case(
        lambda c, w: c.describe_identity_pool_usage(IdentityPoolId=POOL), _check_pool_usage
    ),
    "GetBulkPublishDetails": Case(
        lambda c, w: c.get_bulk_publish_details(IdentityPoolId=POOL),
        lambda a, w: _eq(body(a), {"IdentityPoolId": POOL, "BulkPublishStatus": "NOT_STARTED"}),
    ),
    "GetCognitoEvents": Case(
        lambda c, w: c.get_cognito_events(IdentityPoolId=POOL), lambda a, w: _eq(body(a), {"Events": {}})
    ),
    "GetIdentityPoolConfiguration": Case(
        lambda c, w: c.get_identity_pool_configuration(IdentityPoolId=POOL),
        lambda a, w: _eq(
            body(a),
            {
                "IdentityPoolId": POOL,
                "PushSync": {"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
                "CognitoStreams": {"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
            },
        ),
    ),
    "ListIdentityPoolUsage": Case(
        lambda c, w: c.list_identity_pool_usage(),
        lambda a, w: _eq(([u["IdentityPoolId"] for u in a["IdentityPoolUsages"]], a["Count"]), ([POOL], 1)),
    ),
    "SetCognitoEvents": Case(
        lambda c, w: c.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN}),
        _check_set_events,
    ),
    "SetIdentityPoolConfiguration": Case(
        lambda c, w: c.set_identity_pool_configuration(
            IdentityPoolId=POOL, CognitoStreams={"StreamName": STREAM, "StreamingStatus": "DISABLED"}
        ),
        lambda a, w: _eq(a["CognitoStreams"], {"StreamName": STREAM, "StreamingStatus": "DISABLED"}),
    ),
    "RegisterDevice": Case(
        lambda c, w: c.register_device(**ids(dataset=None), Platform="APNS", Token="tablet"), _check_register_device
    ),
    "SubscribeToDataset": Case(
        lambda c, w: c.subscribe_to_dataset(**ids(dataset="scores"), DeviceId=w.device), _check_subscribe
    ),
    "UnsubscribeFromDataset": Case(
        lambda c, w: c.unsubscribe_from_dataset(**ids(), DeviceId=w.device), _check_unsubscribe
    ),
    "DeleteDataset": Case(lambda c, w: c.delete_dataset(**ids()), _check_delete),
    "DescribeDataset": Case(lambda c, w: c.describe_dataset(**ids()), _check_describe),
    "DescribeIdentityUsage": Case(
        lambda c, w: c.describe_identity_usage(**ids(dataset=None)),
        lambda a, w: _eq(
            (a["IdentityUsage"]["IdentityId"], a["IdentityUsage"]["DatasetCount"], a["IdentityUsage"]["DataStorage"]),
            (IDENTITY, 2, 4),
        ),
    ),
    "ListDatasets": Case(
        lambda c, w: c.list_datasets(**ids(dataset=None)),
        lambda a, w: _eq(([d["DatasetName"] for d in a["Datasets"]], a["Count"]), ([DATASET, "scores"], 2)),
    ),
    "ListRecords": Case(
        lambda c, w: c.list_records(**ids()),
        lambda a, w: _eq([(r["Key"], r["Value"], r["SyncCount"]) for r in a["Records"]], [("a", "1", 1)]),
    ),
    "UpdateRecords": Case(
        lambda c, w: c.update_records(**ids(), SyncSessionToken=token_of(w), RecordPatches=[replace("a", "2", 1)]),
        _check_update,
    ),
}


def _eq(got: Any, expected: Any) -> None:
    assert got == expected


def allowed(operation: str, caller: str, strict: bool) -> bool:
    """SPEC 9's table: who may call what (on IDENTITY's data), in strict mode; anyone by default."""
    if not strict:
        return True
    if caller == "developer":
        return operation not in IDENTITY_ONLY
    if caller == "identity":
        return operation not in DEVELOPER_ONLY
    return False  # another identity's credentials: never on IDENTITY's data


def test_the_table_covers_every_operation_of_the_model() -> None:
    model = botocore.session.get_session().get_service_model("cognito-sync")
    assert set(CASES) == set(model.operation_names) == DEVELOPER_ONLY | IDENTITY_ONLY | EITHER
    assert len(CASES) == 17
    assert not (DEVELOPER_ONLY & IDENTITY_ONLY or DEVELOPER_ONLY & EITHER or IDENTITY_ONLY & EITHER)


def test_the_expected_outcomes_count() -> None:
    callers = ("developer", "identity", "another identity")
    strict = [(op, who) for op in CASES for who in callers if allowed(op, who, True)]
    assert len([1 for _, who in strict if who == "developer"]) == 14
    assert len([1 for _, who in strict if who == "identity"]) == 9
    assert len([1 for _, who in strict if who == "another identity"]) == 0


@pytest.mark.parametrize("caller", ["developer", "identity", "another identity"])
@pytest.mark.parametrize("operation", sorted(CASES))
def test_credentials_table(world: World, operation: str, caller: str) -> None:
    case = CASES[operation]
    client = client_with(world.keys[caller])
    strict = world.mock.state.strict
    if allowed(operation, caller, strict):
        answer = case.call(client, world)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert last_call(world.mock) == (operation, None)
        case.check(answer, world)
    else:
        before = observable(world)
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            case.call(client, world)
        assert last_call(world.mock) == (operation, "NotAuthorizedException")
        assert observable(world) == before
        assert pushed_after_writes(world) == [(DATASET, world.device)]  # subscriptions unchanged


def test_refused_answer_is_a_403_with_the_error_type_header() -> None:
    with make_world(True) as world:
        client = client_with(world.keys["identity"])
        with raises_error("NotAuthorizedException", 403, NOT_VALID) as info:
            client.get_cognito_events(IdentityPoolId=POOL)
        headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amzn-errortype"] == "NotAuthorizedException:"
        assert isinstance(info.value, client.exceptions.NotAuthorizedException)


# -- the check comes before anything else --------------------------------------------------


def test_developer_register_device_with_an_invalid_platform_is_not_authorized_in_strict_mode() -> None:
    with make_world(True) as world:
        developer = client_with(world.keys["developer"], parameter_validation=False)
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            developer.register_device(**ids(dataset=None), Platform="NOKIA", Token="t")


def test_the_same_invalid_platform_is_a_validation_error_in_default_mode() -> None:
    with make_world(False) as world:
        developer = client_with(world.keys["developer"], parameter_validation=False)
        with raises_error(
            "InvalidParameterException",
            400,
            "1 validation error detected: Value 'NOKIA' at 'platform' failed to satisfy constraint: "
            "Member must satisfy enum value set: [APNS, APNS_SANDBOX, GCM, ADM]",
        ):
            developer.register_device(**ids(dataset=None), Platform="NOKIA", Token="t")


@pytest.mark.parametrize(
    "caller, call",
    [
        ("identity", lambda c: c.set_cognito_events(IdentityPoolId=POOL, Events={"NotAnEvent": TRIGGER_ARN})),
        ("identity", lambda c: c.list_identity_pool_usage(MaxResults=0)),
        ("another identity", lambda c: c.list_records(**ids(dataset="bad name"))),
        ("another identity", lambda c: c.update_records(**ids(), SyncSessionToken="garbage", RecordPatches=[])),
        ("identity", lambda c: c.list_records(IdentityPoolId=POOL, IdentityId="not an id!", DatasetName=DATASET)),
        ("developer", lambda c: c.subscribe_to_dataset(**ids(dataset="bad name"), DeviceId="")),
    ],
    ids=[
        "identity-SetCognitoEvents-bad-event",
        "identity-ListIdentityPoolUsage-bad-max",
        "other-ListRecords-bad-dataset",
        "other-UpdateRecords-bad-token",
        "identity-ListRecords-bad-identity-id",
        "developer-Subscribe-bad-inputs",
    ],
)
def test_authorization_comes_before_validation(caller: str, call: Callable[[Any], Any]) -> None:
    with make_world(True) as world:
        client = client_with(world.keys[caller], parameter_validation=False)
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            call(client)


def test_authorization_comes_before_existence() -> None:
    with make_world(True) as world:
        other, own = client_with(world.keys["another identity"]), client_with(world.keys["identity"])
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            other.describe_dataset(**ids(dataset="missing"))
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            other.delete_dataset(**ids(identity=IDENTITY, dataset="missing"))
        with raises_error("ResourceNotFoundException", 404, "Dataset 'missing' not found."):
            own.describe_dataset(**ids(dataset="missing"))
        # An identity that is not known at all: still refused for what the caller may not do.
        unknown = "us-east-1:00000000-0000-4000-8000-0000000000ff"
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.describe_identity_usage(IdentityPoolId=POOL, IdentityId=unknown)


def test_authorization_comes_before_configuration() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY)  # no push sync configured
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            make_client().register_device(**ids(dataset=None), Platform="GCM", Token="t")
        with raises_error("InvalidConfigurationException", 400):
            client_with(credentials).register_device(**ids(dataset=None), Platform="GCM", Token="t")


def test_authorization_comes_before_injected_faults() -> None:
    with make_world(True) as world:
        world.mock.inject_error("ListRecords", "TooManyRequestsException")
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            client_with(world.keys["another identity"]).list_records(**ids())
        # The fault was not used up by the refused call.
        with raises_error("TooManyRequestsException", 429, "Injected TooManyRequestsException for ListRecords"):
            client_with(world.keys["identity"]).list_records(**ids())


def test_identity_credentials_on_another_pool_are_refused() -> None:
    with make_world(True) as world:
        world.mock.backend().register_identity(OTHER_POOL, IDENTITY)
        own = client_with(world.keys["identity"])
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.list_records(**ids(pool=OTHER_POOL))
        assert make_client().list_records(**ids(pool=OTHER_POOL))["DatasetExists"] is False


def test_identity_may_write_its_own_data_and_sees_it_as_the_developer_does() -> None:
    with make_world(True) as world:
        own, developer = client_with(world.keys["identity"]), client_with(world.keys["developer"])
        write(own, [replace("a", "from-phone", 1)])
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in list_all(developer)["Records"]] == [
            ("a", "from-phone", 2)
        ]
        # The other identity has data of its own, which it may use.
        other = client_with(world.keys["another identity"])
        write(other, {"mine": "yes"}, identity=OTHER_IDENTITY)
        assert [r["Key"] for r in list_all(other, IdentityId=OTHER_IDENTITY)["Records"]] == ["mine"]


# -- regions ------------------------------------------------------------------------------


def test_identity_credentials_used_from_another_region_are_refused_in_strict_mode() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY)  # minted for us-east-1
        mock.backend(WEST).register_identity(POOL, IDENTITY)  # the identity exists there too
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            client_with(credentials, WEST).list_records(**ids())
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            client_with(credentials, WEST).describe_identity_usage(**ids(dataset=None))
        assert make_client(WEST).list_records(**ids())["DatasetExists"] is False  # a developer may
        assert client_with(credentials).list_records(**ids())["DatasetExists"] is False


def test_credentials_minted_for_a_region_work_there_and_nowhere_else() -> None:
    with mock_cognito_sync(strict=True) as mock:
        credentials = mock.identity_credentials(POOL, IDENTITY, region=WEST)
        mock.backend("us-east-1").register_identity(POOL, IDENTITY)
        write(client_with(credentials, WEST), {"a": "1"})
        assert holds(mock.backend(WEST))
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            client_with(credentials, "us-east-1").list_records(**ids())


def test_default_mode_lets_identity_credentials_work_in_any_region(cognito_sync: Any) -> None:
    credentials = cognito_sync.identity_credentials(POOL, IDENTITY)
    write(client_with(credentials, WEST), {"a": "1"})
    assert holds(cognito_sync.backend(WEST))
    assert not holds(cognito_sync.backend("us-east-1"))


# -- the sync trigger -----------------------------------------------------------------------


class Upper:
    """A SyncTrigger handler that upper-cases new values and counts its calls."""

    def __init__(self) -> None:
        self.identities: list[str] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.identities.append(event["identityId"])
        for record in event["datasetRecords"].values():
            if record["op"] == "replace":
                record["newValue"] = record["newValue"].upper()
        return event


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "default"])
def test_sync_trigger_runs_for_identity_requests_only_in_every_mode(
    strict: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with mock_cognito_sync(strict=strict) as mock:
        handler = Upper()
        mock.register_lambda(TRIGGER_ARN, handler)
        own = client_with(mock.identity_credentials(POOL, IDENTITY))
        developer = make_client()
        developer.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})

        by_identity = write(own, {"phone": "abc"})
        assert [(r["Key"], r["Value"]) for r in by_identity["Records"]] == [("phone", "ABC")]
        assert handler.identities == [IDENTITY]

        with caplog.at_level(logging.WARNING, logger="cognito_sync_mock"):
            by_developer = write(developer, {"admin": "abc"})
        assert [(r["Key"], r["Value"]) for r in by_developer["Records"]] == [("admin", "abc")]
        assert handler.identities == [IDENTITY]
        stored = {r["Key"]: r["Value"] for r in list_all(developer)["Records"]}
        assert stored == {"phone": "ABC", "admin": "abc"}
        assert [r.getMessage() for r in caplog.records if r.name == "cognito_sync_mock"] == [
            f"SyncTrigger {TRIGGER_ARN} is not run: this UpdateRecords is signed with developer credentials, "
            "and AWS runs sync triggers only for Cognito Identity credentials; sign with "
            "mock.identity_credentials(...) or use mock.identity_client(...) to run it"
        ]


def test_identity_client_is_signed_as_its_identity(cognito_sync: Any) -> None:
    mock = cognito_sync
    handler = Upper()
    mock.register_lambda(TRIGGER_ARN, handler)
    make_client().set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    client = mock.identity_client(POOL, IDENTITY, region="us-east-1")
    answer = write(client, {"phone": "abc"})
    assert [(r["Key"], r["Value"], r["LastModifiedBy"]) for r in answer["Records"]] == [("phone", "ABC", IDENTITY)]
    assert handler.identities == [IDENTITY]
    assert client.meta.region_name == "us-east-1"
    assert client.meta.service_model.service_name == "cognito-sync"


def test_identity_client_in_strict_mode_may_touch_only_its_identity() -> None:
    with mock_cognito_sync(strict=True) as mock:
        client = mock.identity_client(POOL, IDENTITY, config=NO_RETRIES)
        assert write(client, {"a": "1"})["Records"][0]["SyncCount"] == 1
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            client.list_records(**ids(identity=OTHER_IDENTITY))


# -- map_access_key: developer keys in other accounts -----------------------------------------


def test_a_mapped_key_reads_and_writes_another_accounts_state(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    mapped, home = client_with(developer_key(MAPPED_KEY)), make_client()

    write(mapped, {"secret": "x"})
    assert holds(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT))
    assert not holds(cognito_sync.backend("us-east-1"))
    assert [r["Key"] for r in list_all(mapped)["Records"]] == ["secret"]
    assert [u["IdentityPoolId"] for u in mapped.list_identity_pool_usage()["IdentityPoolUsages"]] == [POOL]

    # The home account sees none of it.
    listed = list_all(home)
    assert (listed["DatasetExists"], listed["Records"], listed["DatasetSyncCount"]) == (False, [], 0)
    assert home.list_datasets(**ids(dataset=None))["Datasets"] == []
    assert home.list_identity_pool_usage()["IdentityPoolUsages"] == []
    with raises_error("ResourceNotFoundException", 404):
        home.describe_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404):
        home.describe_identity_pool_usage(IdentityPoolId=POOL)

    # And the other way round: the home account's write stays at home.
    write(home, {"home": "y"})
    assert [r["Key"] for r in list_all(mapped)["Records"]] == ["secret"]
    assert [r["Key"] for r in list_all(home)["Records"]] == ["home"]
    assert list_all(home)["Records"][0]["SyncCount"] == 1


def test_a_mapped_key_in_another_region(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    write(client_with(developer_key(MAPPED_KEY), WEST), {"a": "1"})
    assert holds(cognito_sync.backend(WEST, account_id=OTHER_ACCOUNT))
    for region, account in [("us-east-1", OTHER_ACCOUNT), (WEST, DEFAULT_ACCOUNT), ("us-east-1", DEFAULT_ACCOUNT)]:
        assert not holds(cognito_sync.backend(region, account_id=account))


def test_remapping_a_key_moves_its_later_requests(cognito_sync: Any) -> None:
    mapped = client_with(developer_key(MAPPED_KEY))
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    write(mapped, {"a": "1"})
    cognito_sync.map_access_key(MAPPED_KEY, THIRD_ACCOUNT)
    assert list_all(mapped)["DatasetExists"] is False
    write(mapped, {"b": "2"})
    assert holds(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT))
    assert holds(cognito_sync.backend("us-east-1", account_id=THIRD_ACCOUNT))
    assert not holds(cognito_sync.backend("us-east-1"))


def test_a_session_token_does_not_cross_accounts(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    token = list_all(make_client())["SyncSessionToken"]
    with raises_error("InvalidParameterException", 400, "SyncSessionToken not valid for these inputs"):
        client_with(developer_key(MAPPED_KEY)).update_records(
            **ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")]
        )


def test_stream_records_of_a_mapped_account(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    mapped = client_with(developer_key(MAPPED_KEY))
    mapped.set_identity_pool_configuration(
        IdentityPoolId=POOL, CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"}
    )
    write(mapped, {"a": "1"})
    assert [r["identityId"] for r in cognito_sync.stream_records(STREAM, account_id=OTHER_ACCOUNT)] == [IDENTITY]
    assert cognito_sync.stream_records(STREAM) == []


def test_strict_registration_is_per_account_for_mapped_keys() -> None:
    with mock_cognito_sync(strict=True) as mock:
        mock.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
        mock.backend("us-east-1").register_identity(POOL, IDENTITY)
        mapped = client_with(developer_key(MAPPED_KEY))
        with raises_error("NotAuthorizedException", 403):
            list_all(mapped)
        mock.backend("us-east-1", account_id=OTHER_ACCOUNT).register_identity(POOL, IDENTITY)
        assert list_all(mapped)["DatasetExists"] is False


def test_other_keys_stay_in_the_mocks_account(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    write(client_with(developer_key("AKIASOMEOTHERKEY0001")), {"a": "1"})
    assert holds(cognito_sync.backend("us-east-1"))
    assert not holds(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT))


def test_reset_forgets_mapped_keys(cognito_sync: Any) -> None:
    cognito_sync.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
    cognito_sync.reset()
    write(client_with(developer_key(MAPPED_KEY)), {"a": "1"})
    assert holds(cognito_sync.backend("us-east-1"))
    assert not holds(cognito_sync.backend("us-east-1", account_id=OTHER_ACCOUNT))


def test_map_access_key_with_the_account_option() -> None:
    with mock_cognito_sync(account_id="111122223333") as mock:
        mock.map_access_key(MAPPED_KEY, OTHER_ACCOUNT)
        write(make_client(), {"home": "1"})
        write(client_with(developer_key(MAPPED_KEY)), {"away": "1"})
        assert holds(mock.backend("us-east-1", account_id="111122223333"))
        assert holds(mock.backend("us-east-1", account_id=OTHER_ACCOUNT))
        assert not holds(mock.backend("us-east-1", account_id=DEFAULT_ACCOUNT))


# -- default mode enforces nothing ----------------------------------------------------------


def test_default_mode_lets_any_credentials_reach_any_identity(cognito_sync: Any) -> None:
    other = client_with(cognito_sync.identity_credentials(POOL, OTHER_IDENTITY))
    write(other, {"not-mine": "1"})  # on IDENTITY's data
    assert [r["LastModifiedBy"] for r in list_all(make_client())["Records"]] == [IDENTITY]
    assert other.get_cognito_events(IdentityPoolId=POOL)["Events"] == {}
    assert seed(cognito_sync.backend(), {"b": "2"})["Records"][0]["SyncCount"] == 2


# -- unittest.TestCase: keys minted or mapped in one test are not seen by the next ----------------


def test_keys_of_one_testcase_test_are_not_seen_by_the_next() -> None:
    """SPEC 11: on a TestCase the state after setUpClass is each test's starting point."""
    mock = mock_cognito_sync(strict=True)
    log: list[tuple[str, str, str]] = []
    earlier: dict[str, Any] = {}

    def outcome(call: Callable[[], Any]) -> str:
        try:
            call()
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "answered"

    def account_of(key: str) -> str:
        """Where a developer key's write lands (IDENTITY is registered in every account)."""
        write(client_with(developer_key(key)), {"a": "1"}, dataset="probe")
        for account in (DEFAULT_ACCOUNT, OTHER_ACCOUNT, THIRD_ACCOUNT):
            if holds(mock.backend("us-east-1", account_id=account), dataset="probe"):
                return account
        return "nowhere"

    @mock
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            mock.map_access_key("AKIASETUPCLASSKEY001", THIRD_ACCOUNT)
            for account in (DEFAULT_ACCOUNT, OTHER_ACCOUNT, THIRD_ACCOUNT):
                mock.backend("us-east-1", account_id=account).register_identity(POOL, IDENTITY)
            mock.backend().set_identity_pool_configuration(
                identity_pool_id=POOL, push_sync={"ApplicationArns": [APP_ARN]}
            )

        def test_one(self) -> None:
            self.check("one")

        def test_two(self) -> None:
            self.check("two")

        def check(self, name: str) -> None:
            log.append((name, "setUpClass key", account_of("AKIASETUPCLASSKEY001")))
            if earlier:
                log.append((name, "earlier mapped key", account_of(earlier["mapped"])))
                minted = client_with(earlier["minted"])
                register = lambda: minted.register_device(  # noqa: E731
                    **ids(identity=OTHER_IDENTITY, dataset=None), Platform="GCM", Token="t"
                )
                log.append((name, "earlier minted key", outcome(register)))
            key = f"AKIAMAPPEDIN{name.upper():0<8}"
            mock.map_access_key(key, OTHER_ACCOUNT)
            earlier["mapped"] = key
            earlier["minted"] = mock.identity_credentials(POOL, OTHER_IDENTITY)

    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert log == [
        ("one", "setUpClass key", THIRD_ACCOUNT),
        ("two", "setUpClass key", THIRD_ACCOUNT),
        # The key test_one mapped is an ordinary developer key again: the mock's account.
        ("two", "earlier mapped key", DEFAULT_ACCOUNT),
        # The key test_one minted is forgotten: a developer key, refused RegisterDevice.
        ("two", "earlier minted key", "NotAuthorizedException"),
    ]
