"""One port for the whole stack: Cognito Sync from the mock, every other service from moto.

A server hosting moto hands every request that is not Cognito Sync (nor the mock's own
control plane) to moto's WSGI application in the same process; what the in-process mock
does beside moto holds here too: moto's pools and identities are known in strict mode,
GetCredentialsForIdentity keys act as their identity, stream records reach moto's Kinesis,
both resets empty both, and moto's seed seeds both. Without moto, another service's request
is answered 501 NotImplemented, in the shape its SDK reads.

moto's backends are the process's: each test starts with a reset (``hosting``).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from freezegun import freeze_time
from helpers import (
    APP_ARN,
    DATASET,
    MINTED_KEY,
    NO_RETRIES,
    NOT_VALID,
    ROLE_ARN,
    STREAM,
    raises_error,
    read_kinesis,
    utc,
    write,
)
from moto.moto_api._internal import mock_random  # where moto_server seeds it
from server_support import post, request

from cognito_sync_mock import CognitoSyncServer
from cognito_sync_mock.server import gateway
from cognito_sync_mock.server.gateway import CONTROL, DASHBOARD, MOTO_API, OTHER, SYNC, Route
from cognito_sync_mock.state import State

DEVELOPER_KEYS = {"aws_access_key_id": "AKIDGATEWAYTEST", "aws_secret_access_key": "secret"}
SIGNED = "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=00"
INSTALL = "pip install 'cognito-sync-mock[server]'"


@pytest.fixture
def hosting(request: pytest.FixtureRequest) -> Iterator[CognitoSyncServer]:
    """A server hosting moto (``strict`` from the test's parameter, if any), moto's backends empty."""
    strict = bool(getattr(request, "param", False))
    with CognitoSyncServer(strict=strict) as server:
        assert server.moto_app is not None, "moto's server extra is part of the dev extra"
        server.reset()
        yield server
        server.reset()


def client(
    server: CognitoSyncServer, service: str, keys: dict[str, str] | None = None, config: Config = NO_RETRIES
) -> Any:
    """A boto3 client of ``service`` pointed at the server, signed with ``keys`` (developer keys by default)."""
    credentials = keys or DEVELOPER_KEYS
    make: Any = boto3.client  # boto3-stubs type it by a literal service name
    return make(service, region_name="us-east-1", endpoint_url=server.url, config=config, **credentials)


def identity_keys(server: CognitoSyncServer, identity_id: str) -> dict[str, str]:
    """The keys GetCredentialsForIdentity answers through the server, as boto3.client arguments."""
    answer = client(server, "cognito-identity").get_credentials_for_identity(IdentityId=identity_id)
    assert answer["IdentityId"] == identity_id
    credentials = answer["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def new_pool(server: CognitoSyncServer) -> str:
    identity = client(server, "cognito-identity")
    pool_id: str = identity.create_identity_pool(IdentityPoolName="game", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    return pool_id


def new_identity(server: CognitoSyncServer, pool_id: str) -> str:
    identity_id: str = client(server, "cognito-identity").get_id(IdentityPoolId=pool_id)["IdentityId"]
    return identity_id


# -- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "query", "expected"),
    [
        ("GET", "/identitypools", {}, "", Route(SYNC)),
        ("GET", "/identitypools/p/identities/i/datasets", {}, "", Route(SYNC)),
        ("GET", "/identitypoolsx", {}, "", Route(OTHER)),
        ("GET", "/", {"authorization": SIGNED.format("cognito-sync")}, "", Route(SYNC)),
        ("GET", "/anything", {"authorization": SIGNED.format("Cognito-Sync")}, "", Route(SYNC)),
        ("GET", "/identitypools", {"authorization": SIGNED.format("s3")}, "", Route(OTHER, "s3")),
        ("GET", "/", {"authorization": SIGNED.format("s3")}, "", Route(OTHER, "s3")),
        ("POST", "/", {"x-amz-target": "AWSCognitoIdentityService.GetId"}, "", Route(OTHER)),
        ("POST", "/identitypools", {"x-amz-target": "AWSCognitoIdentityService.GetId"}, "", Route(OTHER)),
        ("GET", "/b/k", {}, "X-Amz-Credential=AK%2F20250101%2Fus-east-1%2Fs3%2Faws4_request", Route(OTHER, "s3")),
        (
            "GET",
            "/identitypools",
            {},
            "X-Amz-Credential=AK%2F20250101%2Fus-east-1%2Fcognito-sync%2Faws4_request",
            Route(SYNC),
        ),
        ("GET", "/", {}, "", Route(DASHBOARD)),
        ("HEAD", "/index.html", {}, "", Route(DASHBOARD)),
        ("POST", "/", {"content-type": "application/json"}, "", Route(DASHBOARD)),
        ("POST", "/", {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}, "", Route(OTHER)),
        ("OPTIONS", "/", {"access-control-request-method": "POST"}, "", Route(OTHER)),
        ("GET", "/_mock/state", {"authorization": SIGNED.format("s3")}, "", Route(CONTROL)),
        ("POST", "/moto-api/reset", {}, "", Route(MOTO_API)),
        ("GET", "/moto-api", {}, "", Route(MOTO_API)),
        ("GET", "/bucket/key", {}, "", Route(OTHER)),
        ("GET", "/x", {"authorization": "Basic dXNlcjpwYXNz"}, "", Route(OTHER)),
    ],
)
def test_the_route_of_a_request(method: str, path: str, headers: dict[str, str], query: str, expected: Route) -> None:
    assert gateway.route(method, path, headers, query) == expected


# -- Cognito Identity, then Cognito Sync with its credentials, on one URL --------------------


@pytest.mark.parametrize("hosting", [False, True], ids=["default", "strict"], indirect=True)
def test_an_app_gets_an_identity_and_syncs_with_its_credentials(hosting: CognitoSyncServer) -> None:
    pool_id = new_pool(hosting)
    first, second = new_identity(hosting, pool_id), new_identity(hosting, pool_id)
    keys = identity_keys(hosting, first)
    assert MINTED_KEY.fullmatch(keys["aws_access_key_id"])
    assert identity_keys(hosting, second)["aws_access_key_id"] != keys["aws_access_key_id"]
    sync = client(hosting, "cognito-sync", keys)
    answer = write(sync, {"level": "3"}, pool=pool_id, identity=first)
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in answer["Records"]] == [("level", "3", 1)]
    listed = sync.list_records(IdentityPoolId=pool_id, IdentityId=first, DatasetName=DATASET)
    assert [(r["Key"], r["Value"]) for r in listed["Records"]] == [("level", "3")]
    calls = [(c.operation, c.error) for c in hosting.calls]
    assert calls == [("ListRecords", None), ("UpdateRecords", None), ("ListRecords", None)]
    others = client(hosting, "cognito-sync", identity_keys(hosting, second))
    if hosting.state.strict:  # another identity's keys are refused on this identity's data
        with raises_error("NotAuthorizedException", 403, NOT_VALID):
            others.list_records(IdentityPoolId=pool_id, IdentityId=first, DatasetName=DATASET)
    else:
        records = others.list_records(IdentityPoolId=pool_id, IdentityId=first, DatasetName=DATASET)["Records"]
        assert [r["Key"] for r in records] == ["level"]


@pytest.mark.parametrize("hosting", [True], ids=["strict"], indirect=True)
def test_in_strict_mode_a_pool_moto_does_not_hold_is_refused(hosting: CognitoSyncServer) -> None:
    unknown = "us-east-1:00000000-0000-4000-8000-0000000000ff"
    identity = "us-east-1:00000000-0000-4000-8000-0000000000fe"
    message = f"IdentityPool '{unknown}' is not known to this account and region."
    with raises_error("NotAuthorizedException", 403, message):
        client(hosting, "cognito-sync").list_records(IdentityPoolId=unknown, IdentityId=identity, DatasetName="d")


def test_an_in_process_mock_does_not_see_the_backends_of_a_server_hosting_moto(hosting: CognitoSyncServer) -> None:
    from cognito_sync_mock import mock_cognito_sync

    pool_id = new_pool(hosting)
    with mock_cognito_sync(strict=True) as mock:
        assert mock.state.moto.directory.pools("123456789012", "us-east-1") == []
    assert hosting.state.moto.directory.pools("123456789012", "us-east-1") == [pool_id]


# -- streams into moto's Kinesis --------------------------------------------------------------


def test_stream_records_are_read_back_from_kinesis_on_the_same_url(hosting: CognitoSyncServer) -> None:
    pool_id = new_pool(hosting)
    identity_id = new_identity(hosting, pool_id)
    kinesis = client(hosting, "kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    sync = client(hosting, "cognito-sync")
    sync.set_identity_pool_configuration(
        IdentityPoolId=pool_id,
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )
    write(sync, {"level": "3"}, pool=pool_id, identity=identity_id)
    (record,) = read_kinesis(kinesis, STREAM)
    assert record["PartitionKey"] == identity_id
    data = json.loads(record["Data"])
    assert data == hosting.stream_records(STREAM)[0]
    assert (data["identityPoolId"], data["identityId"], data["payloadType"]) == (pool_id, identity_id, "Inline")
    assert [(r["key"], r["value"], r["op"]) for r in data["kinesisSyncRecords"]] == [("level", "3", "replace")]


def test_a_push_sync_reaches_the_device_endpoint_in_moto_s_sns_on_the_same_url(hosting: CognitoSyncServer) -> None:
    pool_id = new_pool(hosting)
    identity_id = new_identity(hosting, pool_id)
    sns = client(hosting, "sns")
    made = sns.create_platform_application(Name="my-game", Platform="GCM", Attributes={"PlatformCredential": "key"})
    application = made["PlatformApplicationArn"]
    sync = client(hosting, "cognito-sync")
    sync.set_identity_pool_configuration(
        IdentityPoolId=pool_id, PushSync={"ApplicationArns": [application], "RoleArn": ROLE_ARN}
    )
    ids = {"IdentityPoolId": pool_id, "IdentityId": identity_id, "DatasetName": DATASET}
    write(sync, {"a": "1"}, pool=pool_id, identity=identity_id)
    devices = {}
    for token in ("phone-token", "tablet-token"):
        device = sync.register_device(IdentityPoolId=pool_id, IdentityId=identity_id, Platform="GCM", Token=token)
        sync.subscribe_to_dataset(**ids, DeviceId=device["DeviceId"])
        devices[token] = device["DeviceId"]
    patch = [{"Op": "replace", "Key": "a", "Value": "2", "SyncCount": 1}]
    write(sync, patch, pool=pool_id, identity=identity_id, DeviceId=devices["phone-token"])

    (endpoint,) = sns.list_endpoints_by_platform_application(PlatformApplicationArn=application)["Endpoints"]
    assert endpoint["Attributes"]["Token"] == "tablet-token"  # the other device's, made by the push
    from moto.sns.models import sns_backends

    messages = list(
        sns_backends["123456789012"]["us-east-1"].platform_endpoints[endpoint["EndpointArn"]].messages.values()
    )
    payload: dict[str, object] = {"source": "cognito-sync", "identityPoolId": pool_id, "identityId": identity_id}
    payload.update(datasetName=DATASET, syncCount=2)
    assert [json.loads(m) for m in messages] == [{"default": json.dumps(payload), "GCM": json.dumps({"data": payload})}]


def test_a_large_payload_is_in_moto_s3_behind_a_url_of_the_server(hosting: CognitoSyncServer) -> None:
    pool_id = new_pool(hosting)
    identity_id = new_identity(hosting, pool_id)
    client(hosting, "kinesis").create_stream(StreamName=STREAM, ShardCount=1)
    sync = client(hosting, "cognito-sync")
    sync.set_identity_pool_configuration(
        IdentityPoolId=pool_id,
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )
    write(sync, {"big": "é" * 520_000}, pool=pool_id, identity=identity_id)  # past Kinesis's 1 MiB as JSON
    (record,) = hosting.stream_records(STREAM)
    url = record["kinesisSyncRecordsURL"]
    bucket = "cognito-sync-mock-streams-123456789012-us-east-1"
    assert url.startswith(f"{hosting.url}/{bucket}/")
    assert "X-Amz-Credential=" in url
    path = url[len(hosting.url) :]
    answer = request(hosting, "GET", path)
    assert answer.status == 200
    assert [(r["key"], r["value"]) for r in json.loads(answer.body)] == [("big", "é" * 520_000)]
    keys = [o["Key"] for o in client(hosting, "s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [url.split("?")[0].rsplit("/", 1)[1]]


# -- other services, as moto_server answers them ---------------------------------------------


def test_sts_and_s3_are_moto_s(hosting: CognitoSyncServer) -> None:
    identity = client(hosting, "sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == ("123456789012", "arn:aws:sts::123456789012:user/moto")
    s3 = client(hosting, "s3")
    s3.create_bucket(Bucket="game-saves")
    s3.put_object(Bucket="game-saves", Key="slot1", Body=b"hello")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["game-saves"]
    head = s3.head_object(Bucket="game-saves", Key="slot1")
    assert head["ContentLength"] == 5  # a HEAD answer keeps moto's Content-Length
    assert s3.get_object(Bucket="game-saves", Key="slot1")["Body"].read() == b"hello"
    assert hosting.calls == []  # the calls are Cognito Sync's


def test_an_upload_past_the_cognito_sync_limit_reaches_moto_and_past_moto_s_is_413() -> None:
    with CognitoSyncServer(max_body_bytes=1000, max_moto_body_bytes=100_000) as server:
        server.reset()
        s3 = client(server, "s3")
        s3.create_bucket(Bucket="uploads")
        s3.put_object(Bucket="uploads", Key="fits", Body=b"x" * 50_000)
        assert s3.head_object(Bucket="uploads", Key="fits")["ContentLength"] == 50_000
        with raises_error("InvalidParameterException", 413) as info:
            s3.put_object(Bucket="uploads", Key="too-big", Body=b"x" * 100_001)
        assert info.value.response["Error"]["Message"] == (
            "The request body of 100001 bytes is larger than the limit of 100000 bytes"
        )
        assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
        server.reset()


def test_a_browser_preflight_of_cognito_identity_is_answered(hosting: CognitoSyncServer) -> None:
    headers = {
        "Origin": "http://app.localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
    }
    answer = request(hosting, "OPTIONS", "/", headers=headers)
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-headers"] == "content-type,x-amz-target,x-amz-user-agent"
    body = json.dumps({"IdentityPoolName": "web", "AllowUnauthenticatedIdentities": True}).encode()
    target = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityService.CreateIdentityPool",
        "Origin": "http://app.localhost:3000",
    }
    answer = request(hosting, "POST", "/", body, target)
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] in ("*", "http://app.localhost:3000")
    assert json.loads(answer.body)["IdentityPoolName"] == "web"


# -- resets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/moto-api/reset", "/_mock/reset"])
def test_either_reset_empties_moto_and_cognito_sync(hosting: CognitoSyncServer, endpoint: str) -> None:
    pool_id = new_pool(hosting)
    identity_id = new_identity(hosting, pool_id)
    write(client(hosting, "cognito-sync"), {"level": "3"}, pool=pool_id, identity=identity_id)
    client(hosting, "s3").create_bucket(Bucket="game-saves")
    answer = post(hosting, endpoint, b"{}")
    assert answer.status == 200
    assert json.loads(answer.body) == ({"status": "ok"} if endpoint.startswith("/moto") else {"reset": True})
    assert hosting.snapshot() == {"version": 1, "accounts": {}}
    assert hosting.calls == []
    assert client(hosting, "s3").list_buckets()["Buckets"] == []
    assert client(hosting, "cognito-identity").list_identity_pools(MaxResults=10)["IdentityPools"] == []


def test_moto_s_control_plane_is_closed_to_other_origins(hosting: CognitoSyncServer) -> None:
    client(hosting, "s3").create_bucket(Bucket="game-saves")
    answer = request(hosting, "POST", "/moto-api/reset", b"", {"Origin": "http://evil.example"})
    assert answer.error == (
        403,
        "Forbidden",
        "The mock's control plane refuses requests from web pages of other origins; this one is 'http://evil.example'",
    )
    assert [b["Name"] for b in client(hosting, "s3").list_buckets()["Buckets"]] == ["game-saves"]
    assert request(hosting, "GET", "/moto-api/data.json").status == 200  # moto answers the rest


# -- moto's seed ---------------------------------------------------------------------------------

T0 = utc("2024-05-01 12:00:00")


def seeded_run(query: str) -> dict[str, Any]:
    """A fresh server, ``POST /moto-api/seed?<query>``, then an app's calls through moto and the mock.

    The clock is frozen, so that the answers' dates (and the session token, which holds its
    expiry) repeat; what is left to differ is what moto and the mock make up.
    """
    with freeze_time(T0), CognitoSyncServer() as server:
        assert post(server, "/moto-api/reset", b"").status == 200  # moto's backends are the process's
        assert request(server, "POST", f"/moto-api/seed?{query}").status == 200
        pool_id = new_pool(server)
        identity_id = new_identity(server, pool_id)
        keys = identity_keys(server, identity_id)
        developer, phone = client(server, "cognito-sync"), client(server, "cognito-sync", keys)
        answers: list[tuple[str, bytes]] = []
        for sync in (developer, phone):
            sync.meta.events.register(
                "after-call.cognito-sync",
                lambda http_response, **_: answers.append(
                    (http_response.headers["x-amzn-RequestId"], http_response.content)
                ),
            )
        developer.set_identity_pool_configuration(
            IdentityPoolId=pool_id, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
        )
        write(phone, {"level": "3"}, pool=pool_id, identity=identity_id)
        device = phone.register_device(IdentityPoolId=pool_id, IdentityId=identity_id, Platform="GCM", Token="t")
        server.reset()
        return {
            "pool": pool_id,
            "identity": identity_id,
            "keys": keys,
            "device": device["DeviceId"],
            "answers": answers,
        }


def test_moto_s_seed_seeds_moto_and_this_server_alike() -> None:
    first, second, other = seeded_run("a=7"), seeded_run("a=7"), seeded_run("a=8")
    assert first == second  # moto's pool and identity IDs; our request IDs, keys, device ID, every body
    assert len(first["answers"]) == 4  # SetIdentityPoolConfiguration, ListRecords, UpdateRecords, RegisterDevice
    assert MINTED_KEY.fullmatch(first["keys"]["aws_access_key_id"])  # ours, in place of moto's
    assert first["answers"][0][0] == State(seed=7).request_id()  # as a server started with --seed-ids 7
    for name in ("pool", "identity", "device"):
        assert first[name] != other[name], name
    assert not set(first["keys"].values()) & set(other["keys"].values())
    assert not {r for r, _ in first["answers"]} & {r for r, _ in other["answers"]}


def test_a_get_of_moto_s_seed_seeds_both_too(hosting: CognitoSyncServer) -> None:
    """moto takes its seed by any method; some clients send GET."""
    assert request(hosting, "GET", "/moto-api/seed?a=7").status == 200
    assert request(hosting, "GET", "/_mock/health").headers["x-amzn-requestid"] == State(seed=7).request_id()
    assert hosting.state.ids.seed == 7


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        (
            "a=18446744073709551616",
            b"",
            400,
            "/moto-api/seed: a seed is a whole number from 0 to 18446744073709551615, not 18446744073709551616",
        ),
        ("a=7", b'{"a": 8}', 400, "/moto-api/seed takes its seed in the query (?a=N), not in a body of 8 bytes"),
        ("a=x", b"", 400, "/moto-api/seed needs ?a=N, a whole number from 0 to 18446744073709551615; not 'x'"),
        ("a=-1", b"", 400, "/moto-api/seed needs ?a=N, a whole number from 0 to 18446744073709551615; not '-1'"),
        ("", b"", 400, "/moto-api/seed needs ?a=N, a whole number from 0 to 18446744073709551615; not None"),
    ],
)
def test_a_bad_moto_seed_changes_nothing_of_ours(
    hosting: CognitoSyncServer, query: str, body: bytes, status: int, message: str
) -> None:
    hosting.seed_ids(3)
    expected = State(seed=3)
    assert request(hosting, "GET", "/_mock/health").headers["x-amzn-requestid"] == expected.request_id()
    before = mock_random.getstate()
    answer = request(hosting, "POST", f"/moto-api/seed?{query}", body)
    assert answer.status == status and json.loads(answer.body)["message"] == message
    assert mock_random.getstate() == before  # moto refused it, or never saw it: not seeded either
    assert answer.headers["x-amzn-requestid"] == expected.request_id()  # our sequence goes on, not seeded again
    assert request(hosting, "GET", "/_mock/health").headers["x-amzn-requestid"] == expected.request_id()


# -- without moto ------------------------------------------------------------------------------


def test_without_moto_another_service_is_named_with_the_install_command() -> None:
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    with CognitoSyncServer(with_moto=False) as server:
        assert server.moto_app is None
        why = "this server was started with moto turned off (--no-moto, or with_moto=False)"
        cases: list[tuple[str, Callable[[Any], Any], str]] = [
            ("sts", lambda c: c.get_caller_identity(), "the service 'sts' (from the request's credential scope)"),
            ("s3", lambda c: c.list_buckets(), "the service 's3' (from the request's credential scope)"),
            (
                "cognito-identity",
                lambda c: c.list_identity_pools(MaxResults=1),
                "the service 'cognito-identity' (from the request's credential scope)",
            ),
        ]
        for service, call, named in cases:
            with pytest.raises(ClientError) as info:
                call(client(server, service, config=config))
            error = info.value.response
            assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("NotImplemented", 501)
            assert error["Error"]["Message"] == f"cognito-sync-mock answers only Cognito Sync here, not {named}: {why}"
            assert error["ResponseMetadata"]["RetryAttempts"] == 0
        unsigned = request(
            server, "POST", "/", b"{}", {"X-Amz-Target": "AWSCognitoIdentityService.GetId", "Content-Type": "x"}
        )
        assert (unsigned.status, unsigned.headers["x-amzn-errortype"], json.loads(unsigned.body)) == (
            501,
            "NotImplemented:",
            {
                "__type": "NotImplemented",
                "message": "cognito-sync-mock answers only Cognito Sync here, not the service of X-Amz-Target "
                f"AWSCognitoIdentityService.GetId: {why}",
            },
        )
        assert request(server, "GET", "/").status == 200  # the dashboard stays
        assert server.calls == []


MISSING = (
    "cognito-sync-mock answers only Cognito Sync here, not the service {!r} (from the request's credential scope): "
    "moto's server is not installed: pip install 'cognito-sync-mock[server]'"
)


@pytest.mark.parametrize(
    ("service", "template"),
    [
        (
            "sts",
            "<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>{}</Message></Error>"
            "<RequestId>ID</RequestId></ErrorResponse>",
        ),
        ("s3", "<Error><Code>NotImplemented</Code><Message>{}</Message><RequestId>ID</RequestId></Error>"),
        (
            "ec2",
            "<Response><Errors><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>{}</Message></Error>"
            "</Errors><RequestID>ID</RequestID></Response>",
        ),
    ],
)
def test_the_answer_names_the_install_command_in_the_xml_of_query_and_rest_xml_services(
    service: str, template: str
) -> None:
    answer = gateway.unavailable("ID", service, None, turned_off=False)
    assert (answer.status, answer.headers["Content-Type"], answer.error) == (501, "text/xml", "NotImplemented")
    assert answer.headers["x-amzn-RequestId"] == "ID"  # the same request ID as in the body
    body = answer.body.decode()
    assert body == '<?xml version="1.0" encoding="UTF-8"?>\n' + template.format(MISSING.format(service))


def test_the_answer_to_a_service_botocore_does_not_know_is_json() -> None:
    answer = gateway.unavailable("ID", "no-such-service", None, turned_off=False)
    assert (answer.status, answer.headers["x-amzn-ErrorType"], answer.headers["x-amzn-RequestId"]) == (
        501,
        "NotImplemented:",
        "ID",
    )
    assert json.loads(answer.body) == {"__type": "NotImplemented", "message": MISSING.format("no-such-service")}


def test_serve_hands_off_to_moto_unless_told_not_to() -> None:
    from cognito_sync_mock.cli import parse

    assert parse(["serve"], {}).moto is True
    assert parse(["serve", "--no-moto"], {}).moto is False
    assert parse(["serve"], {"COGNITO_SYNC_MOCK_MOTO": "off"}).moto is False
    assert parse(["serve", "--moto"], {"COGNITO_SYNC_MOCK_MOTO": "off"}).moto is True


def test_a_region_moto_does_not_know_holds_nothing_of_moto_s(hosting: CognitoSyncServer) -> None:
    """Cognito Sync accepts any region name; moto knows AWS's: its directory knows no pool there."""
    sync = boto3.client(
        "cognito-sync",
        region_name="local",
        endpoint_url=hosting.url,
        config=NO_RETRIES,
        aws_access_key_id="AKIDGATEWAYTEST",
        aws_secret_access_key="secret",
    )
    assert sync.list_identity_pool_usage()["IdentityPoolUsages"] == []
    assert hosting.state.moto.directory.knows("123456789012", "local", "local:0000aaaa-0000", None) is False
