"""Beside moto: mock_aws and mock_cognito_sync in every order (SPEC 2, 8, 9).

cognito-sync is answered by this mock and every other service by moto, whichever mock
is started first and whichever is stopped first; what moto's cognito-identity knows is
known here; GetCredentialsForIdentity keys act as their identity; Cognito Streams
records reach moto's Kinesis.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Callable, Iterator, Mapping

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from helpers import (
    APP_ARN,
    DATASET,
    IDENTITY,
    MINTED_KEY,
    NO_RETRIES,
    NOT_VALID,
    POOL,
    ROLE_ARN,
    STREAM,
    raises_error,
    read_kinesis,
    write,
)
from moto import mock_aws

from cognito_sync_mock import mock_cognito_sync

MOTO_SHARED_KEY = "TESTACCESSKEY12345"
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")

# Every way the two activations can be started and stopped.
ORDERS = {
    "moto-outside": ["start moto", "start ours", "stop ours", "stop moto"],
    "ours-outside": ["start ours", "start moto", "stop moto", "stop ours"],
    "moto-first-overlapping": ["start moto", "start ours", "stop moto", "stop ours"],
    "ours-first-overlapping": ["start ours", "start moto", "stop ours", "stop moto"],
}


# Made after moto was imported, so moto's handler is on every client of this session.
_session: Any = boto3.session.Session()  # Any: boto3-stubs type client() by a literal service name
_loader = _session._session.get_component("data_loader")
_clients: dict[tuple[str, str], Any] = {}


def moto_client(service: str, region: str = "us-east-1") -> Any:
    """A client with dummy developer keys, one attempt per call (made once: clients hold no state)."""
    made = _clients.get((service, region))
    if made is None:
        made = _clients[(service, region)] = _session.client(
            service, region_name=region, config=NO_RETRIES, aws_access_key_id="test", aws_secret_access_key="test"
        )
    return made


def client_with(credentials: Mapping[str, Any], region: str = "us-east-1") -> Any:
    """A cognito-sync client signed with these credentials."""
    return _session.client("cognito-sync", region_name=region, config=NO_RETRIES, **credentials)


def credential_less_client(service: str = "cognito-sync") -> Any:
    """A client of a new session given no credentials: it finds what the environment offers now."""
    fresh = botocore.session.Session()
    fresh.register_component("data_loader", _loader)  # the models, without reading them again
    session: Any = boto3.session.Session(botocore_session=fresh)
    return session.client(service, region_name="us-east-1", config=NO_RETRIES)


def sync_ids(pool: str, identity: str, dataset: str | None = DATASET) -> dict[str, str]:
    out = {"IdentityPoolId": pool, "IdentityId": identity}
    if dataset is not None:
        out["DatasetName"] = dataset
    return out


class Activations:
    """The two mocks of one test, stepped through one of ORDERS."""

    def __init__(self, **options: Any) -> None:
        self.ours = mock_cognito_sync(**options)
        self.moto = mock_aws()
        self.active: set[str] = set()
        self.ours_started = False
        self.buckets: list[str] = []  # made in moto's current activation

    def step(self, step: str) -> None:
        action, who = step.split()
        getattr(getattr(self, who), action)()
        if step == "start moto":
            self.buckets = []
        (self.active.add if action == "start" else self.active.discard)(who)
        self.ours_started = self.ours_started or who == "ours"

    def calls_answered(self) -> int:
        return len(self.ours.calls) if self.ours_started else 0

    def __enter__(self) -> Activations:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop whatever a failed test left active, so that no mock outlives its test."""
        for who in ("ours", "moto"):
            if who in self.active:
                self.step(f"stop {who}")


@contextlib.contextmanager
def both_active(order: str, **options: Any) -> Iterator[mock_cognito_sync]:
    """Run an order's two starts, yield while both mocks are active, then its two stops."""
    with Activations(**options) as steps:
        for step in ORDERS[order][:2]:
            steps.step(step)
        yield steps.ours
        for step in ORDERS[order][2:]:
            steps.step(step)


def new_identity_pool(region: str = "us-east-1", name: str = "players") -> tuple[str, Any]:
    identity = moto_client("cognito-identity", region)
    pool = identity.create_identity_pool(IdentityPoolName=name, AllowUnauthenticatedIdentities=True)
    return pool["IdentityPoolId"], identity


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No AWS credentials anywhere botocore looks; the variables are put back afterwards."""
    names = (*CREDENTIAL_VARIABLES, "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
    saved = {name: os.environ.pop(name, None) for name in names}
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- which mock answers what, at every step of every order ------------------------------------


def check_answers(steps: Activations, counter: list[int]) -> None:
    """Ask cognito-sync and three other services; each must reach the right mock."""
    ours_active, moto_active = "ours" in steps.active, "moto" in steps.active
    counter[0] += 1
    n = counter[0]
    sync = moto_client("cognito-sync")
    if ours_active:
        calls_before = len(steps.ours.calls)
        written = write(sync, {"step": str(n)}, dataset=f"step-{n}")
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("step", str(n), 1)]
        assert [c.operation for c in steps.ours.calls[calls_before:]] == ["ListRecords", "UpdateRecords"]
    if moto_active:
        s3 = moto_client("s3")
        s3.create_bucket(Bucket=f"beside-cognito-sync-{n}")
        steps.buckets.append(f"beside-cognito-sync-{n}")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == steps.buckets
        queue = moto_client("sqs").create_queue(QueueName=f"beside-cognito-sync-{n}")["QueueUrl"]
        assert queue == f"https://sqs.us-east-1.amazonaws.com/123456789012/beside-cognito-sync-{n}"
        assert moto_client("lambda").list_functions()["Functions"] == []
    if moto_active and not ours_active:
        # cognito-sync is no longer this mock's: moto answers it, and moto has no Cognito Sync.
        calls_before = steps.calls_answered()
        with pytest.raises(ClientError) as info:
            sync.list_datasets(**sync_ids(POOL, IDENTITY, None))
        error = info.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("404", 404)
        assert error["Error"]["Message"] == "Not yet implemented"
        assert steps.calls_answered() == calls_before


@pytest.mark.parametrize("order", list(ORDERS))
def test_each_service_reaches_the_right_mock_at_every_step(order: str, network_guard: Any) -> None:
    counter = [0]
    seen = []
    with Activations() as steps:
        for step in ORDERS[order]:
            steps.step(step)
            seen.append(sorted(steps.active))
            check_answers(steps, counter)
    assert seen[1] == ["moto", "ours"]
    assert seen[-1] == []
    assert network_guard.attempts == []


@pytest.mark.parametrize("moto_outside", [True, False], ids=["moto-outside", "ours-outside"])
def test_with_statements_in_both_nesting_orders(moto_outside: bool) -> None:
    ours = mock_cognito_sync()
    outer, inner = (mock_aws(), ours) if moto_outside else (ours, mock_aws())
    with outer, inner:
        written = write(moto_client("cognito-sync"), {"k": "v"})
        assert [(r["Key"], r["SyncCount"]) for r in written["Records"]] == [("k", 1)]
        assert moto_client("sqs").create_queue(QueueName="q")["QueueUrl"].endswith("/123456789012/q")
        assert [c.operation for c in ours.calls] == ["ListRecords", "UpdateRecords"]


@pytest.mark.parametrize("moto_outside", [True, False], ids=["mock_aws-on-top", "mock_cognito_sync-on-top"])
def test_stacked_decorators_in_both_orders(moto_outside: bool) -> None:
    def body() -> tuple[int, str]:
        written = write(moto_client("cognito-sync"), {"k": "v"})
        moto_client("s3").create_bucket(Bucket="decorated-bucket")
        return written["Records"][0]["SyncCount"], moto_client("s3").list_buckets()["Buckets"][0]["Name"]

    decorated: Callable[[], tuple[int, str]]
    if moto_outside:
        decorated = mock_aws(mock_cognito_sync(body))
    else:
        decorated = mock_cognito_sync(mock_aws(body))
    assert decorated() == (1, "decorated-bucket")
    assert decorated() == (1, "decorated-bucket")  # each call starts afresh, in both mocks


# -- credentials lent while active, whatever the order ---------------------------------------


@pytest.mark.parametrize("order", list(ORDERS))
def test_clients_without_credentials_work_while_this_mock_is_active(order: str, no_credentials: None) -> None:
    answered, expected = [], []
    with Activations() as steps:
        for step in ORDERS[order]:
            steps.step(step)
            if "ours" in steps.active:
                expected.append((step, 0))
                sync = credential_less_client()  # no credentials given, none configured
                try:
                    listed = sync.list_datasets(**sync_ids(POOL, IDENTITY, None))
                    answered.append((step, listed["Count"]))
                except NoCredentialsError:
                    answered.append((step, "NoCredentialsError"))
    assert answered == expected


@pytest.mark.parametrize("preset", [None, "user-key"], ids=["unset", "set-by-user"])
@pytest.mark.parametrize("order", list(ORDERS))
def test_credential_variables_are_as_before_after_every_order(
    order: str, preset: str | None, no_credentials: None
) -> None:
    if preset is not None:
        for name in CREDENTIAL_VARIABLES:
            os.environ[name] = preset
    with Activations() as steps:
        for step in ORDERS[order]:
            steps.step(step)
    assert {name: os.environ.get(name) for name in CREDENTIAL_VARIABLES} == dict.fromkeys(CREDENTIAL_VARIABLES, preset)


# -- what moto's cognito-identity knows ------------------------------------------------------


@pytest.mark.parametrize("order", list(ORDERS))
def test_moto_pools_and_identities_are_listed_in_default_mode(order: str) -> None:
    with both_active(order):
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        west_pool, _ = new_identity_pool("eu-west-1", "west-players")
        sync = moto_client("cognito-sync")

        usages = sync.list_identity_pool_usage()
        listed = [(u["IdentityPoolId"], u["SyncSessionsCount"], u["DataStorage"]) for u in usages["IdentityPoolUsages"]]
        assert listed == [(pool, 0, 0)]
        assert usages["Count"] == 1
        assert sync.describe_identity_pool_usage(IdentityPoolId=pool)["IdentityPoolUsage"]["IdentityPoolId"] == pool
        usage = sync.describe_identity_usage(**sync_ids(pool, identity, None))["IdentityUsage"]
        assert (usage["IdentityId"], usage["IdentityPoolId"], usage["DatasetCount"]) == (identity, pool, 0)
        west = moto_client("cognito-sync", "eu-west-1").list_identity_pool_usage()["IdentityPoolUsages"]
        assert [u["IdentityPoolId"] for u in west] == [west_pool]


@pytest.mark.parametrize("order", list(ORDERS))
def test_moto_pools_and_identities_exist_in_strict_mode(order: str) -> None:
    with both_active(order, strict=True):
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        sync = moto_client("cognito-sync")

        assert sync.list_records(**sync_ids(pool, identity))["DatasetExists"] is False
        assert write(sync, {"a": "1"}, pool=pool, identity=identity)["Records"][0]["SyncCount"] == 1
        assert sync.describe_identity_pool_usage(IdentityPoolId=pool)["IdentityPoolUsage"]["DataStorage"] == 2
        stranger = "us-east-1:00000000-0000-4000-8000-00000000abcd"
        with raises_error("NotAuthorizedException", 403):
            sync.list_records(**sync_ids(pool, stranger))
        with raises_error("ResourceNotFoundException", 404):
            sync.describe_identity_usage(**sync_ids(pool, stranger, None))
        # moto's pool lives in us-east-1 only.
        with raises_error("NotAuthorizedException", 403):
            moto_client("cognito-sync", "eu-west-1").list_records(**sync_ids(pool, identity))


def test_a_pool_made_before_this_mock_started_is_known() -> None:
    with mock_aws():
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        with mock_cognito_sync(strict=True):
            listed = moto_client("cognito-sync").list_records(**sync_ids(pool, identity))
            assert (listed["DatasetExists"], listed["Count"]) == (False, 0)


def test_what_was_adopted_stays_known_after_moto_stops() -> None:
    with Activations(strict=True) as steps:
        steps.step("start moto")
        steps.step("start ours")
        pool, identity_client = new_identity_pool()
        seen, unseen = (identity_client.get_id(IdentityPoolId=pool)["IdentityId"] for _ in range(2))
        sync = moto_client("cognito-sync")
        assert sync.list_records(**sync_ids(pool, seen))["DatasetExists"] is False  # adopted here
        steps.step("stop moto")  # moto forgets its pools and identities
        assert sync.list_records(**sync_ids(pool, seen))["DatasetExists"] is False
        with raises_error("NotAuthorizedException", 403):
            sync.list_records(**sync_ids(pool, unseen))


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_reads_answer_from_what_moto_knows_and_store_nothing(strict: bool) -> None:
    with mock_aws(), mock_cognito_sync(strict=strict) as mock:
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        sync = moto_client("cognito-sync")
        assert [u["IdentityPoolId"] for u in sync.list_identity_pool_usage()["IdentityPoolUsages"]] == [pool]
        assert sync.describe_identity_pool_usage(IdentityPoolId=pool)["IdentityPoolUsage"]["DataStorage"] == 0
        assert sync.describe_identity_usage(**sync_ids(pool, identity, None))["IdentityUsage"]["DatasetCount"] == 0
        assert sync.list_datasets(**sync_ids(pool, identity, None))["Datasets"] == []
        assert sync.get_cognito_events(IdentityPoolId=pool)["Events"] == {}
        assert mock.backend().pools == {}  # every read answered; nothing was stored
        write(sync, {"a": "1"}, pool=pool, identity=identity)  # a write makes them known here
        assert list(mock.backend().pools[pool].identities) == [identity]


def test_moto_pools_of_another_account_are_not_known() -> None:
    with mock_aws(), mock_cognito_sync(account_id="111122223333", strict=True):
        pool, identity_client = new_identity_pool()  # in moto's account, 123456789012
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        with raises_error("NotAuthorizedException", 403):
            moto_client("cognito-sync").list_records(**sync_ids(pool, identity))
        assert moto_client("cognito-sync").list_identity_pool_usage()["IdentityPoolUsages"] == []


# -- GetCredentialsForIdentity --------------------------------------------------------------------


def identity_keys(identity_client: Any, identity: str) -> dict[str, str]:
    credentials = identity_client.get_credentials_for_identity(IdentityId=identity)["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def test_moto_alone_hands_every_identity_the_same_keys() -> None:
    with mock_aws():
        pool, identity_client = new_identity_pool()
        first, second = (identity_client.get_id(IdentityPoolId=pool)["IdentityId"] for _ in range(2))
        keys = [identity_keys(identity_client, i)["aws_access_key_id"] for i in (first, second)]
        assert keys == [MOTO_SHARED_KEY, MOTO_SHARED_KEY]


@pytest.mark.parametrize("order", list(ORDERS))
def test_get_credentials_for_identity_keys_act_as_that_identity(order: str) -> None:
    with both_active(order, strict=True) as mock:
        pool, identity_client = new_identity_pool()
        mine, theirs = (identity_client.get_id(IdentityPoolId=pool)["IdentityId"] for _ in range(2))
        keys, their_keys = identity_keys(identity_client, mine), identity_keys(identity_client, theirs)
        assert MINTED_KEY.fullmatch(keys["aws_access_key_id"])
        assert keys["aws_access_key_id"] != their_keys["aws_access_key_id"]
        developer = moto_client("cognito-sync")
        developer.set_identity_pool_configuration(
            IdentityPoolId=pool, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
        )
        own = client_with(keys)

        # Its own data: allowed, also the identity-only operations.
        written = write(own, {"level": "3"}, pool=pool, identity=mine)
        assert [(r["Key"], r["Value"], r["SyncCount"], r["LastModifiedBy"]) for r in written["Records"]] == [
            ("level", "3", 1, mine)
        ]
        assert own.describe_identity_usage(**sync_ids(pool, mine, None))["IdentityUsage"]["DatasetCount"] == 1
        device = own.register_device(**sync_ids(pool, mine, None), Platform="GCM", Token="phone")["DeviceId"]
        own.subscribe_to_dataset(**sync_ids(pool, mine), DeviceId=device)
        assert (mock.calls[-1].operation, mock.calls[-1].error) == ("SubscribeToDataset", None)

        # Another identity's data, and developer-only operations: refused.
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.list_records(**sync_ids(pool, theirs))
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.describe_identity_usage(**sync_ids(pool, theirs, None))
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.get_cognito_events(IdentityPoolId=pool)
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            own.list_identity_pool_usage()
        # And the developer may not do what only an identity may.
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            developer.register_device(**sync_ids(pool, mine, None), Platform="GCM", Token="phone")
        # The other identity's keys work on its own data.
        theirs_client = client_with(their_keys)
        assert theirs_client.list_records(**sync_ids(pool, theirs))["DatasetExists"] is False


def test_get_credentials_for_identity_in_default_mode_mints_keys_too() -> None:
    with mock_aws(), mock_cognito_sync() as mock:
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        keys = identity_keys(identity_client, identity)
        assert MINTED_KEY.fullmatch(keys["aws_access_key_id"])
        assert mock.state.identity_keys[keys["aws_access_key_id"]].identity_id == identity


def test_keys_of_an_identity_moto_does_not_know_are_left_as_moto_gave_them() -> None:
    with mock_aws(), mock_cognito_sync(strict=True):
        pool, identity_client = new_identity_pool()
        unknown = "us-east-1:00000000-0000-4000-8000-00000000dead"
        keys = identity_keys(identity_client, unknown)
        assert keys["aws_access_key_id"] == MOTO_SHARED_KEY
        # Such keys sign developer requests: developer-only operations are allowed.
        sync = client_with(keys)
        assert [u["IdentityPoolId"] for u in sync.list_identity_pool_usage()["IdentityPoolUsages"]] == [pool]
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            sync.register_device(IdentityPoolId=pool, IdentityId=unknown, Platform="GCM", Token="t")


# -- Cognito Streams into moto's Kinesis -------------------------------------------------------


@pytest.mark.parametrize("order", list(ORDERS))
def test_stream_records_reach_moto_kinesis_in_every_order(order: str) -> None:
    with both_active(order) as mock:
        kinesis = moto_client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        pool, identity_client = new_identity_pool()
        identity = identity_client.get_id(IdentityPoolId=pool)["IdentityId"]
        sync = moto_client("cognito-sync")
        sync.set_identity_pool_configuration(
            IdentityPoolId=pool,
            CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
        )
        write(sync, {"a": "1"}, pool=pool, identity=identity)
        write(sync, {"a": "2", "b": "3"}, pool=pool, identity=identity)
        sync.delete_dataset(**sync_ids(pool, identity))

        got = read_kinesis(kinesis, STREAM)
        published = mock.stream_records(STREAM)
        assert [json.loads(r["Data"]) for r in got] == published
        assert [r["PartitionKey"] for r in got] == [identity] * 3
        summary = [
            (p["operation"], p["syncCount"], [(k["key"], k["value"]) for k in p.get("kinesisSyncRecords", [])])
            for p in published
        ]
        assert summary == [
            ("replace", 1, [("a", "1")]),
            ("replace", 2, [("a", "2"), ("b", "3")]),
            ("remove", 2, []),
        ]


def test_kinesis_keeps_the_records_after_this_mock_stops_inside_moto() -> None:
    with mock_aws():
        kinesis = moto_client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        with mock_cognito_sync():
            sync = moto_client("cognito-sync")
            sync.set_identity_pool_configuration(
                IdentityPoolId=POOL,
                CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
            )
            write(sync, {"a": "1"})
        kinesis.put_record(StreamName=STREAM, Data=b"after", PartitionKey="moto")
        got = read_kinesis(kinesis, STREAM)
        assert [r["PartitionKey"] for r in got] == [IDENTITY, "moto"]
        assert json.loads(got[0]["Data"])["kinesisSyncRecords"][0]["value"] == "1"
        assert got[1]["Data"] == b"after"


# -- Push sync into moto's SNS -----------------------------------------------------------------

SILENT_PAYLOAD = {"source": "cognito-sync", "identityPoolId": POOL, "identityId": IDENTITY, "datasetName": DATASET}


def sent_to_moto(application_arn: str, region: str = "us-east-1") -> dict[str, list[str]]:
    """Per token: the messages moto's SNS keeps for the platform endpoints of an application."""
    from moto.sns.models import sns_backends

    endpoints = moto_client("sns", region).list_endpoints_by_platform_application(
        PlatformApplicationArn=application_arn
    )["Endpoints"]
    backend = sns_backends["123456789012"][region]
    return {
        e["Attributes"]["Token"]: list(backend.platform_endpoints[e["EndpointArn"]].messages.values())
        for e in endpoints
    }


def new_platform_application(platform: str, name: str = "my-game", region: str = "us-east-1") -> str:
    sns = moto_client("sns", region)
    made = sns.create_platform_application(Name=name, Platform=platform, Attributes={"PlatformCredential": "key"})
    return str(made["PlatformApplicationArn"])


def two_subscribed_devices(sync: Any, applications: list[str], platform: str = "GCM") -> tuple[str, str]:
    """A dataset with one write, and a phone and a tablet of one platform subscribed to it."""
    sync.set_identity_pool_configuration(
        IdentityPoolId=POOL, PushSync={"ApplicationArns": applications, "RoleArn": ROLE_ARN}
    )
    write(sync, {"a": "1"})
    devices = []
    for token in ("phone-token", "tablet-token"):
        device = sync.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform=platform, Token=token)
        sync.subscribe_to_dataset(**sync_ids(POOL, IDENTITY), DeviceId=device["DeviceId"])
        devices.append(device["DeviceId"])
    return devices[0], devices[1]


@pytest.mark.parametrize("order", list(ORDERS))
def test_a_push_is_published_to_the_device_endpoint_in_moto_sns(order: str) -> None:
    with both_active(order) as mock:
        application = new_platform_application("GCM")
        assert application == APP_ARN
        sync = moto_client("cognito-sync")
        phone, tablet = two_subscribed_devices(sync, [APP_ARN])
        write(sync, [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}], DeviceId=phone)

        payload = {**SILENT_PAYLOAD, "syncCount": 2}
        expected = {"default": json.dumps(payload), "GCM": json.dumps({"data": payload})}
        got = sent_to_moto(APP_ARN)
        assert list(got) == ["tablet-token"]  # the endpoint was made for the device pushed, only
        assert [json.loads(m) for m in got["tablet-token"]] == [expected]
        assert mock.push_notifications == [
            {"platform": "GCM", "token": "tablet-token", "device_id": tablet, "payload": payload}
        ]


def test_an_apns_push_is_silent_and_reuses_the_endpoint_the_app_made() -> None:
    with mock_aws(), mock_cognito_sync():
        sns = moto_client("sns")
        application = new_platform_application("APNS", name="my.game-2")
        made = sns.create_platform_endpoint(PlatformApplicationArn=application, Token="tablet-token")
        sync = moto_client("cognito-sync")
        phone, _ = two_subscribed_devices(sync, [APP_ARN, application], platform="APNS")  # APP_ARN: not in moto
        write(sync, [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}], DeviceId=phone)
        write(sync, [{"Op": "replace", "Key": "a", "Value": "3", "SyncCount": 2}], DeviceId=phone)

        endpoints = sns.list_endpoints_by_platform_application(PlatformApplicationArn=application)["Endpoints"]
        assert [e["EndpointArn"] for e in endpoints] == [made["EndpointArn"]]
        messages = [json.loads(m) for m in sent_to_moto(application)["tablet-token"]]
        assert [json.loads(m["APNS"]) for m in messages] == [
            {"aps": {"content-available": 1}, "data": {**SILENT_PAYLOAD, "syncCount": count}} for count in (2, 3)
        ]


def test_nothing_is_published_when_moto_lacks_the_application_of_that_platform() -> None:
    with mock_aws(), mock_cognito_sync() as mock:
        gcm_elsewhere = new_platform_application("GCM", region="eu-west-1")  # another region: another ARN
        apns = new_platform_application("APNS")
        sync = moto_client("cognito-sync")
        phone, _ = two_subscribed_devices(sync, [APP_ARN, apns, "arn:aws:sns:nowhere-1:123456789012:app/GCM/g"])
        write(sync, [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}], DeviceId=phone)

        assert sent_to_moto(apns) == {}  # the pool's APNS application: not the device's platform
        assert sent_to_moto(gcm_elsewhere, "eu-west-1") == {}  # not the pool's
        assert [n["token"] for n in mock.push_notifications] == ["tablet-token"]  # the outbox has it still


def test_a_disabled_endpoint_gets_nothing() -> None:
    with mock_aws(), mock_cognito_sync() as mock:
        sns = moto_client("sns")
        new_platform_application("GCM")
        made = sns.create_platform_endpoint(
            PlatformApplicationArn=APP_ARN, Token="tablet-token", Attributes={"Enabled": "false"}
        )
        sync = moto_client("cognito-sync")
        phone, _ = two_subscribed_devices(sync, [APP_ARN])
        write(sync, [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}], DeviceId=phone)

        assert sent_to_moto(APP_ARN) == {"tablet-token": []}
        assert sns.get_endpoint_attributes(EndpointArn=made["EndpointArn"])["Attributes"]["Enabled"] == "false"
        assert len(mock.push_notifications) == 1


def test_without_moto_active_pushes_stay_in_the_outbox() -> None:
    from moto.sns.models import sns_backends

    backend = sns_backends["123456789012"]["us-east-1"]
    backend.create_platform_application("my-game", "GCM", {})  # moto holds it, inactive
    try:
        with mock_cognito_sync() as mock:
            sync = moto_client("cognito-sync")
            phone, _ = two_subscribed_devices(sync, [APP_ARN])
            write(sync, [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}], DeviceId=phone)
            assert [n["token"] for n in mock.push_notifications] == ["tablet-token"]
        assert list(backend.applications) == [APP_ARN]
        assert backend.platform_endpoints == {}
    finally:
        backend.reset()
