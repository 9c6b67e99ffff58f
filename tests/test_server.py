"""The HTTP server: fixture and context manager, malformed requests, AWS's rules on the wire, control endpoints.

Every request here goes to 127.0.0.1 (or ::1): boto3 clients with ``endpoint_url``, and
raw sockets or ``http.client`` for what no SDK would send. The command line is in
test_cli.py, connections and bursts in test_server_connections.py, the closed control
plane in test_control_plane.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import wsgiref.simple_server
from typing import Any

import pytest
from botocore.endpoint import Endpoint
from botocore.exceptions import EndpointConnectionError
from helpers import (
    DATASET,
    IDENTITY,
    INVALID,
    OTHER_IDENTITY,
    POOL,
    ROLE_ARN,
    STREAM,
    closed_port,
    enable_push,
    enable_streams,
    ids,
    make_client,
    raises_error,
    remove,
    replace,
    write,
)
from server_support import (
    Answer,
    chunked,
    client_for,
    keyed_client,
    post,
    records_path,
    request,
    send_raw,
    still_answers,
)

from cognito_sync_mock import CognitoSyncServer, interception
from cognito_sync_mock.server import make_app

URL_LINE = re.compile(r"^http://127\.0\.0\.1:(\d+)$")
PATTERN = r"[\w-]+:[0-9a-f-]+"


# -- the fixture and the context manager ---------------------------------------------


def test_fixture_serves_with_the_mock_api(cognito_sync_server: CognitoSyncServer) -> None:
    server = cognito_sync_server
    assert isinstance(server, CognitoSyncServer)
    assert URL_LINE.match(server.url)
    client = client_for(server)
    write(client, {"level": "3", "name": "ada"})
    assert [(c.operation, c.error) for c in server.calls] == [("ListRecords", None), ("UpdateRecords", None)]
    described = server.backend().describe_dataset(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)
    assert (described["Dataset"]["NumRecords"], described["Dataset"]["DataStorage"]) == (2, 13)

    server.inject_error("ListDatasets", "TooManyRequestsException", "slow down")
    with raises_error("TooManyRequestsException", 429, "slow down"):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

    server.reset()
    assert server.calls == []
    assert client.list_records(**ids())["DatasetExists"] is False


def test_context_manager_with_options() -> None:
    with CognitoSyncServer(account_id="111122223333", limits={"records_per_dataset": 1}) as server:
        assert server.running
        client = client_for(server, "eu-west-1")
        with raises_error("LimitExceededException", 400, "Dataset game would hold 2 records; the limit is 1"):
            write(client, {"a": "1", "b": "2"})
        write(client, {"a": "1"})
        backend = server.backend("eu-west-1")
        assert (backend.account_id, backend.region) == ("111122223333", "eu-west-1")
        assert server.state.backends.keys() == {("111122223333", "eu-west-1")}
        url = server.url
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        server.url  # noqa: B018 - the property raises
    with pytest.raises(EndpointConnectionError):
        make_client(endpoint_url=url).list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    assert [c.operation for c in server.calls] == ["ListRecords", "UpdateRecords", "ListRecords", "UpdateRecords"]


def test_start_twice_fails_stop_twice_is_harmless_and_restart_keeps_the_state() -> None:
    server = CognitoSyncServer().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        write(client_for(server), {"level": "3"})
    finally:
        server.stop()
    server.stop()
    with server:
        listed = client_for(server).list_records(**ids())
        assert [(r["Key"], r["Value"]) for r in listed["Records"]] == [("level", "3")]


def test_strict_server_knows_only_registered_identities() -> None:
    with CognitoSyncServer(strict=True) as server:
        client = client_for(server)
        with raises_error("NotAuthorizedException", 403):
            client.list_records(**ids())
        document = {"pool_id": POOL, "identity_id": IDENTITY}
        answer = post(server, "/_mock/register-identity", json.dumps(document).encode())
        assert (answer.status, answer.json) == (200, {"registered": True})
        assert client.list_records(**ids())["DatasetExists"] is False


def test_the_server_does_not_turn_on_the_in_process_mock(cognito_sync_server: CognitoSyncServer) -> None:
    assert interception._state is None
    assert Endpoint.__dict__["_do_get_response"] is not interception._do_get_response
    with pytest.raises(EndpointConnectionError):
        make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}").list_datasets(
            IdentityPoolId=POOL, IdentityId=IDENTITY
        )
    write(client_for(cognito_sync_server), {"level": "3"})
    assert [c.operation for c in cognito_sync_server.calls] == ["ListRecords", "UpdateRecords"]


def test_region_comes_from_the_signature_and_account_from_the_option() -> None:
    with CognitoSyncServer(account_id="444455556666") as server:
        write(client_for(server, "eu-west-1"), {"level": "3"})
        write(client_for(server, "ap-south-1"), {"level": "4"})
        answer = request(server, "GET", f"{records_path()}/records")  # unsigned: us-east-1
        assert answer.json["DatasetExists"] is False
        assert sorted(server.state.backends) == [
            ("444455556666", "ap-south-1"),
            ("444455556666", "eu-west-1"),
            ("444455556666", "us-east-1"),
        ]


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_any_wsgi_server_can_host_the_app() -> None:
    """The app on the standard library's wsgiref, which gives no raw target: the path is PATH_INFO's."""
    app = make_app()
    httpd = wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        client = make_client(endpoint_url=url)
        written = write(client, {"level": "3"})
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("level", "3", 1)]
        with raises_error("InvalidParameterException", 400):
            client.list_records(**ids(dataset="bad name"))
        assert [(c.operation, c.error) for c in app.server.calls] == [
            ("ListRecords", None),
            ("UpdateRecords", None),
            ("ListRecords", INVALID),
        ]
        assert app.server.calls[-1].params["DatasetName"] == "bad name"  # decoded once, as through cheroot
        with urllib.request.urlopen(f"{url}/_mock/health", timeout=10) as answer:
            assert json.load(answer)["status"] == "ok"
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not app.server.running  # the app serves without a started CognitoSyncServer


def test_ipv6_loopback() -> None:
    with CognitoSyncServer(host="::1") as server:
        assert re.fullmatch(r"http://\[::1\]:\d+", server.url)
        write(client_for(server), {"level": "3"})
        assert server.calls[-1].operation == "UpdateRecords"


# -- malformed requests ----------------------------------------------------------------


def test_bad_json_is_invalid_parameter(cognito_sync_server: CognitoSyncServer) -> None:
    answer = request(cognito_sync_server, "POST", records_path(), b'{"SyncSessionToken": ', {"Content-Type": "x"})
    assert answer.error == (400, INVALID, "The request body is not valid JSON")
    answer = request(cognito_sync_server, "POST", records_path(), b"[1, 2]")
    assert answer.error == (400, INVALID, "The request body must be a JSON object")
    answer = request(cognito_sync_server, "POST", records_path(), b"\xff\xfe{")
    assert answer.error == (400, INVALID, "The request body is not valid JSON")
    assert [(c.operation, c.error) for c in cognito_sync_server.calls] == [("UpdateRecords", INVALID)] * 3
    still_answers(cognito_sync_server)


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        (
            "GET",
            "/identitypools/a/b/c/d/e/f/g/h/i",
            "No Cognito Sync operation matches GET /identitypools/a/b/c/d/e/f/g/h/i",
        ),
        ("PUT", f"/identitypools/{POOL}", f"No Cognito Sync operation matches PUT /identitypools/{POOL}"),
        ("BREW", "/identitypools", "No Cognito Sync operation matches BREW /identitypools"),
    ],
)
def test_unknown_paths_and_methods_are_404(
    cognito_sync_server: CognitoSyncServer, method: str, path: str, message: str
) -> None:
    answer = request(cognito_sync_server, method, path)
    assert answer.error == (404, "UnknownOperationException", message)
    assert cognito_sync_server.calls == []


@pytest.mark.parametrize("path", ["/nope", "/favicon.ico"])
def test_without_moto_an_unsigned_request_of_no_cognito_sync_path_is_404(path: str) -> None:
    """Nothing names another service: Cognito Sync's protocol answers (with moto, moto does, as moto_server)."""
    with CognitoSyncServer(with_moto=False) as server:
        answer = request(server, "GET", path)
        assert answer.error == (404, "UnknownOperationException", f"No Cognito Sync operation matches GET {path}")
        assert server.calls == []


@pytest.mark.parametrize(
    ("pool", "identity", "shown_pool", "shown_identity"),
    [
        ("..", "..", "..", ".."),
        ("%2E%2E%2F..%2Fetc", "%00", "../../etc", "\x00"),
        ("%ZZ", "%C3%28", "%ZZ", "\ufffd("),
        ("us-east-1%3A..", "a%252F", "us-east-1:..", "a%2F"),
    ],
)
def test_junk_in_path_labels_is_invalid_parameter(
    cognito_sync_server: CognitoSyncServer, pool: str, identity: str, shown_pool: str, shown_identity: str
) -> None:
    answer = request(cognito_sync_server, "GET", f"/identitypools/{pool}/identities/{identity}/datasets")
    status, code, message = answer.error
    assert (status, code) == (400, INVALID)
    assert message == (
        f"2 validation errors detected: Value '{shown_pool}' at 'identityPoolId' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {PATTERN}; Value '{shown_identity}' at 'identityId' "
        f"failed to satisfy constraint: Member must satisfy regular expression pattern: {PATTERN}"
    )
    assert cognito_sync_server.calls[-1].params == {"IdentityPoolId": shown_pool, "IdentityId": shown_identity}
    still_answers(cognito_sync_server)


def test_a_body_over_the_cap_is_413_and_the_server_goes_on(cognito_sync_server: CognitoSyncServer) -> None:
    size = 8 * 1024 * 1024 + 1
    head = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()
    answer = send_raw(cognito_sync_server, head + b"x" * size)  # read and dropped, then refused
    assert answer.error == (
        413,
        INVALID,
        f"The request body of {size} bytes is larger than the limit of 8388608 bytes",
    )
    assert answer.closed
    expect = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nExpect: 100-continue\r\n\r\n"
    answer = send_raw(cognito_sync_server, expect.encode())  # refused without waiting for the body
    assert answer.error == (
        413,
        INVALID,
        f"The request body of {size} bytes is larger than the limit of 8388608 bytes",
    )
    assert answer.closed
    assert cognito_sync_server.calls == []
    still_answers(cognito_sync_server)


def test_a_body_announced_over_64_mib_is_refused_by_cheroot_itself(cognito_sync_server: CognitoSyncServer) -> None:
    """Past 64 MiB (never sent, or never to be read) cheroot refuses it before the app: 413 in text."""
    huge = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n".encode()
    answer = send_raw(cognito_sync_server, huge)
    assert (answer.status, answer.headers["content-type"], answer.closed) == (413, "text/plain", True)
    assert answer.body == b"The entity sent with the request exceeds the maximum allowed bytes."
    assert cognito_sync_server.calls == []
    still_answers(cognito_sync_server)


def test_the_cap_is_an_option() -> None:
    with CognitoSyncServer(max_body_bytes=10) as server:
        answer = request(server, "POST", records_path(), b'{"RecordPatches": []}')
        assert answer.error == (413, INVALID, "The request body of 21 bytes is larger than the limit of 10 bytes")


@pytest.mark.parametrize(("content_length", "body"), [("-1", b"{}"), ("1_0", b"{" + b" " * 8 + b"}"), ("+2", b"{}")])
def test_a_content_length_python_would_guess_is_400(
    cognito_sync_server: CognitoSyncServer, content_length: str, body: bytes
) -> None:
    """``int()`` reads these (so does cheroot, which skips that many bytes); the app refuses them."""
    head = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: {content_length}\r\n\r\n"
    data = head.encode() + body
    answer = send_raw(cognito_sync_server, data)
    assert answer.error == (400, INVALID, f"Content-Length is not a valid number: {content_length!r}")
    assert cognito_sync_server.calls == []
    still_answers(cognito_sync_server)


def test_a_body_cut_short_is_400(cognito_sync_server: CognitoSyncServer) -> None:
    data = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{}}".encode()
    answer = send_raw(cognito_sync_server, data, half_close=True)
    assert answer.error == (400, INVALID, "The request body ended after 2 of 100 bytes")
    still_answers(cognito_sync_server)


def test_chunked_bodies(cognito_sync_server: CognitoSyncServer) -> None:
    token = client_for(cognito_sync_server).list_records(**ids())["SyncSessionToken"]
    document = json.dumps({"SyncSessionToken": token, "RecordPatches": [replace("level", "3")]}).encode()
    head = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    answer = send_raw(cognito_sync_server, head + chunked(document[:10], document[10:]))
    assert answer.status == 200
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in answer.json["Records"]] == [("level", "3", 1)]

    answer = send_raw(cognito_sync_server, head + b"zz\r\n{}\r\n0\r\n\r\n")
    assert answer.error == (400, INVALID, "The chunked request body is malformed: Bad chunked transfer size: b'zz'")
    big = head + b"800001\r\n"  # 8 MiB + 1 announced in one chunk, never sent: refused at once
    assert send_raw(cognito_sync_server, big).error == (
        413,
        INVALID,
        "The chunked request body is larger than the limit of 8388608 bytes",
    )
    size_line = head + b"1" * (9 * 1024 * 1024)  # a size line that never ends is read a piece at a time
    assert send_raw(cognito_sync_server, size_line).error[:2] == (413, INVALID)
    still_answers(cognito_sync_server)


def test_a_chunked_body_just_over_the_cap_is_413() -> None:
    with CognitoSyncServer(max_body_bytes=1000) as server:
        head = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        answer = send_raw(server, head + chunked(b"x" * 600, b"x" * 600))
        assert answer.error == (413, INVALID, "The chunked request body is larger than the limit of 1000 bytes")
        assert server.calls == []


def test_missing_headers_are_no_problem(cognito_sync_server: CognitoSyncServer) -> None:
    path = f"/identitypools/{POOL}/identities/{IDENTITY}/datasets"
    answer = send_raw(cognito_sync_server, f"GET {path} HTTP/1.0\r\n\r\n".encode())  # no Host, no signature
    assert (answer.status, answer.json) == (200, {"Datasets": [], "Count": 0})
    answer = send_raw(cognito_sync_server, f"POST {records_path()} HTTP/1.1\r\n\r\n".encode())  # no body at all
    assert answer.error == (
        400,
        INVALID,
        "1 validation error detected: Value null at 'syncSessionToken' failed to satisfy constraint: "
        "Member must not be null",
    )
    assert [(c.operation, c.error) for c in cognito_sync_server.calls] == [
        ("ListDatasets", None),
        ("UpdateRecords", INVALID),
    ]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"GARBAGE\r\n\r\n", 400, b"Malformed Request-Line"),
        (b"GET / HTTP/2.0\r\n\r\n", 505, b"Cannot fulfill request"),
        (
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            414,
            b"The Request-URI sent with the request exceeds the maximum allowed bytes.",
        ),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70)) + b"\r\n",
            413,
            b"The headers sent with the request exceed the maximum allowed bytes.",
        ),
        (b"POST /identitypools HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, b"Malformed Content-Length Header."),
        (b"POST /identitypools HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, b""),
        (b"GET http://elsewhere/ HTTP/1.1\r\n\r\n", 400, b"Absolute URI not allowed if server is not a proxy."),
    ],
    ids=["request-line", "http-2", "uri-too-long", "headers-too-long", "content-length", "gzip", "absolute-uri"],
)
def test_broken_http_is_refused_by_cheroot_in_text(
    cognito_sync_server: CognitoSyncServer, data: bytes, status: int, message: bytes
) -> None:
    """What cheroot refuses before the app sees a request: its own plain-text answer, the connection closed."""
    answer = send_raw(cognito_sync_server, data, see_close=True)
    assert (answer.status, answer.headers["content-type"], answer.body) == (status, "text/plain", message)
    assert b"Traceback" not in answer.body
    assert answer.closed_after
    assert cognito_sync_server.calls == []
    still_answers(cognito_sync_server)


def test_a_failure_in_the_server_is_a_json_500(
    cognito_sync_server: CognitoSyncServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(cognito_sync_server.state, "handle", broken)
    answer = request(cognito_sync_server, "GET", f"/identitypools/{POOL}")
    assert answer.error == (500, "InternalErrorException", "The mock server failed: RuntimeError: boom")
    assert b"Traceback" not in answer.body


def test_a_failure_in_the_backend_is_a_json_500(
    cognito_sync_server: CognitoSyncServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(cognito_sync_server.backend(), "list_datasets", broken)
    client = client_for(cognito_sync_server)
    with raises_error("InternalErrorException", 500, "The mock failed on ListDatasets: KeyError: 'oops'"):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)


# -- AWS's rules on the wire ----------------------------------------------------------


def test_a_used_token_and_a_deleted_dataset_over_http(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    token = client.list_records(**ids())["SyncSessionToken"]
    client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")])
    with raises_error(
        "InvalidParameterException",
        400,
        "SyncSessionToken already used: a successful UpdateRecords ends its sync session",
    ):
        client.list_records(**ids(), SyncSessionToken=token)
    client.delete_dataset(**ids())
    listed = client.list_records(**ids(), LastSyncCount=1)
    assert (listed["DatasetExists"], listed["DatasetSyncCount"], listed["Records"]) == (False, 0, [])
    assert listed["DatasetDeletedAfterRequestedSyncCount"] is True


def test_push_configuration_and_long_values_over_http(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    with raises_error("InvalidConfigurationException", 400, f"Push sync is not configured for identity pool {POOL}"):
        client.subscribe_to_dataset(**ids(), DeviceId="device")
    enable_push(client)
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={})
    assert "PushSync" not in answer
    unvalidated = make_client(endpoint_url=cognito_sync_server.url, parameter_validation=False)
    with raises_error(
        "InvalidParameterException",
        400,
        f"1 validation error detected: Value '{'d' * 256}...' (300 characters) at 'deviceId' failed to satisfy "
        "constraint: Member must have length less than or equal to 256",
    ):
        unvalidated.subscribe_to_dataset(**ids(), DeviceId="d" * 300)


def test_identity_client_of_the_server_runs_the_trigger(cognito_sync_server: CognitoSyncServer) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:upper"

    def upper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["datasetRecords"].values():
            if record["op"] == "replace":
                record["newValue"] = record["newValue"].upper()
        return event

    cognito_sync_server.register_lambda(arn, upper)
    client_for(cognito_sync_server).set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": arn})
    developer = write(client_for(cognito_sync_server), {"a": "x"})["Records"]
    assert [(r["Value"], r["LastModifiedBy"]) for r in developer] == [("x", "123456789012")]
    identity = cognito_sync_server.identity_client(POOL, IDENTITY)
    assert identity.meta.endpoint_url == cognito_sync_server.url
    written = write(identity, {"b": "y"})["Records"]
    assert [(r["Value"], r["LastModifiedBy"]) for r in written] == [("Y", IDENTITY)]


# -- control endpoints -----------------------------------------------------------------


def test_state_shows_every_level(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    written = write(client, {"level": "3", "name": "ada"})["Records"]
    removed = write(client, [remove("name", 1)])["Records"][0]
    write(client_for(cognito_sync_server, "eu-west-1"), {"k": "v"}, identity=OTHER_IDENTITY)

    def epoch(moment: Any) -> float:
        return round(float(moment.timestamp()), 3)

    level = written[0]
    view = request(cognito_sync_server, "GET", "/_mock/state").json
    assert view["account_id"] == "123456789012"
    assert (view["strict"], view["calls"]) == (False, 6)
    assert list(view["accounts"]) == ["123456789012"]
    regions = view["accounts"]["123456789012"]["regions"]
    assert list(regions) == ["eu-west-1", "us-east-1"]
    assert list(regions["eu-west-1"]["pools"][POOL]["identities"]) == [OTHER_IDENTITY]
    pool = regions["us-east-1"]["pools"][POOL]
    assert (pool["sync_sessions"], pool["data_storage"], pool["events"], pool["push_sync"]) == (2, 6, {}, None)
    assert pool["bulk_publish"]["status"] == "NOT_STARTED"
    identity = pool["identities"][IDENTITY]
    assert (identity["data_storage"], identity["devices"]) == (6, {})
    dataset = identity["datasets"][DATASET]
    assert {k: v for k, v in dataset.items() if k != "records"} == {
        "exists": True,
        "sync_count": 2,
        "deleted_at_sync_count": None,
        "creation_date": epoch(level["LastModifiedDate"]),
        "last_modified_date": epoch(removed["LastModifiedDate"]),
        "last_modified_by": "123456789012",  # written with developer credentials
        "num_records": 1,
        "data_storage": 6,
        "merged_dataset_names": [],
        "subscribed_devices": [],
    }
    assert dataset["records"] == {
        "level": {
            "value": "3",
            "sync_count": 1,
            "deleted": False,
            "last_modified_date": epoch(level["LastModifiedDate"]),
            "last_modified_by": "123456789012",
            "device_last_modified_date": epoch(level["DeviceLastModifiedDate"]),
        },
        "name": {
            "value": None,
            "sync_count": 2,
            "deleted": True,
            "last_modified_date": epoch(removed["LastModifiedDate"]),
            "last_modified_by": "123456789012",
            "device_last_modified_date": epoch(removed["DeviceLastModifiedDate"]),
        },
    }


def test_state_of_a_deleted_dataset_and_pool_settings(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    write(client, {"level": "3"})
    client.delete_dataset(**ids())
    enable_streams(client)
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": "arn:aws:lambda:us-east-1:1:function:f"})
    pool = request(cognito_sync_server, "GET", "/_mock/state").json["accounts"]["123456789012"]["regions"]["us-east-1"][
        "pools"
    ][POOL]
    assert pool["cognito_streams"] == {"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"}
    assert pool["events"] == {"SyncTrigger": "arn:aws:lambda:us-east-1:1:function:f"}
    dataset = pool["identities"][IDENTITY]["datasets"][DATASET]
    assert (dataset["exists"], dataset["sync_count"], dataset["deleted_at_sync_count"]) == (False, 1, 1)
    assert (dataset["records"], dataset["num_records"]) == ({}, 0)


def test_reset_empties_everything(cognito_sync_server: CognitoSyncServer) -> None:
    write(client_for(cognito_sync_server), {"level": "3"})
    answer = post(cognito_sync_server, "/_mock/reset")
    assert (answer.status, answer.json) == (200, {"reset": True})
    assert request(cognito_sync_server, "GET", "/_mock/state").json == {
        "account_id": "123456789012",
        "strict": False,
        "calls": 0,
        "accounts": {},
    }
    assert cognito_sync_server.calls == []


def test_calls_endpoint(cognito_sync_server: CognitoSyncServer) -> None:
    started = time.time()
    client = client_for(cognito_sync_server)
    client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids())
    request(cognito_sync_server, "GET", f"/identitypools/{POOL}/identities/{IDENTITY}/datasets")  # unsigned
    keys = cognito_sync_server.identity_credentials(POOL, IDENTITY)
    keyed_client(cognito_sync_server, **keys).list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    listed = {"IdentityPoolId": POOL, "IdentityId": IDENTITY}
    calls = request(cognito_sync_server, "GET", "/_mock/calls").json
    times = [call.pop("time") for call in calls]
    assert [list(call) for call in calls] == [["number", "operation", "caller", "status", "error", "params"]] * 4
    assert [tuple(call.values()) for call in calls] == [
        (1, "ListDatasets", "developer", 200, None, listed),
        (2, "DescribeDataset", "developer", 404, "ResourceNotFoundException", ids()),
        (3, "ListDatasets", "unsigned", 200, None, listed),
        (4, "ListDatasets", "identity", 200, None, listed),
    ]
    assert started - 0.001 <= times[0] <= times[1] <= times[2] <= times[3] <= time.time()
    milliseconds = [c.time.replace(microsecond=c.time.microsecond // 1000 * 1000) for c in cognito_sync_server.calls]
    assert times == [moment.timestamp() for moment in milliseconds]  # epoch seconds, to the millisecond
    assert [(c.number, c.status, c.caller) for c in cognito_sync_server.calls] == [
        (1, 200, "developer"),
        (2, 404, "developer"),
        (3, 200, "unsigned"),
        (4, 200, "identity"),
    ]


def numbers(server: CognitoSyncServer, query: str) -> list[int]:
    """The numbers of the calls ``GET /_mock/calls?query`` answers."""
    answer = request(server, "GET", f"/_mock/calls?{query}")
    assert answer.status == 200, answer.json
    return [call["number"] for call in answer.json]


def test_calls_endpoint_answers_the_latest_and_those_since_a_number(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    for _ in range(5):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    assert numbers(cognito_sync_server, "limit=2") == [4, 5]
    assert numbers(cognito_sync_server, "limit=0") == []
    assert numbers(cognito_sync_server, "limit=9") == [1, 2, 3, 4, 5]
    assert numbers(cognito_sync_server, "limit=" + "9" * 20) == [1, 2, 3, 4, 5]  # past any list's length
    assert numbers(cognito_sync_server, "since=4") == [4, 5]  # the call numbered since too
    assert numbers(cognito_sync_server, "since=6") == []
    assert numbers(cognito_sync_server, "since=0") == [1, 2, 3, 4, 5]
    assert numbers(cognito_sync_server, "since=2&limit=3") == [3, 4, 5]  # the latest 3 of those since 2
    assert numbers(cognito_sync_server, "since=4&limit=3") == [4, 5]
    post(cognito_sync_server, "/_mock/reset", b"{}")
    client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
    assert numbers(cognito_sync_server, "") == [6]  # a reset does not restart the numbers
    assert numbers(cognito_sync_server, "since=5") == [6]  # so a reader that had call 5 sees it is gone


def test_calls_endpoint_keeps_to_the_call_history() -> None:
    with CognitoSyncServer(call_history=2) as server:
        client = client_for(server)
        for _ in range(4):
            client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
        assert numbers(server, "") == [3, 4]
        assert numbers(server, "since=1&limit=10") == [3, 4]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=-1", "limit must be a whole number, 0 or more, not '-1'"),
        ("limit=", "limit must be a whole number, 0 or more, not ''"),
        ("since=1.5", "since must be a whole number, 0 or more, not '1.5'"),
        ("since=%D9%A1", "since must be a whole number, 0 or more, not '\u0661'"),  # an Arabic-Indic digit one
        ("limit=" + "9" * 21, "limit must be a whole number, 0 or more, not '" + "9" * 21 + "'"),
    ],
)
def test_calls_endpoint_refuses_a_bad_query(cognito_sync_server: CognitoSyncServer, query: str, message: str) -> None:
    answer = request(cognito_sync_server, "GET", f"/_mock/calls?{query}")
    assert (answer.status, answer.json) == (400, {"message": f"/_mock/calls: {message}"})
    assert answer.headers["x-amzn-errortype"] == f"{INVALID}:"


def test_push_notifications_endpoint(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    enable_push(client)
    write(client, {"level": "3"})
    device = client.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="tok-1")["DeviceId"]
    client.subscribe_to_dataset(**ids(), DeviceId=device)
    write(client, [replace("level", "4", 1)])
    expected = [
        {
            "platform": "GCM",
            "token": "tok-1",
            "device_id": device,
            "payload": {
                "source": "cognito-sync",
                "identityPoolId": POOL,
                "identityId": IDENTITY,
                "datasetName": DATASET,
                "syncCount": 2,
            },
        }
    ]
    assert request(cognito_sync_server, "GET", "/_mock/push-notifications").json == expected
    assert cognito_sync_server.push_notifications == expected


def test_stream_records_endpoint(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    enable_streams(client)
    record = write(client, {"level": "3"})["Records"][0]
    ms = round(record["LastModifiedDate"].timestamp() * 1000)
    expected = [
        {
            "identityPoolId": POOL,
            "identityId": IDENTITY,
            "datasetName": DATASET,
            "operation": "replace",
            "payloadType": "Inline",
            "syncCount": 1,
            "lastModifiedDate": ms,
            "kinesisSyncRecords": [
                {
                    "key": "level",
                    "value": "3",
                    "syncCount": 1,
                    "lastModifiedDate": ms,
                    "deviceLastModifiedDate": ms,
                    "op": "replace",
                }
            ],
        }
    ]
    assert request(cognito_sync_server, "GET", "/_mock/stream-records").json == expected
    assert request(cognito_sync_server, "GET", f"/_mock/stream-records?stream_name={STREAM}").json == expected
    assert request(cognito_sync_server, "GET", "/_mock/stream-records?stream_name=other").json == []
    assert request(cognito_sync_server, "GET", "/_mock/stream-records?region=eu-west-1").json == []
    assert cognito_sync_server.stream_records(STREAM) == expected


def test_inject_error_endpoint(cognito_sync_server: CognitoSyncServer) -> None:
    body = {"operation": "ListRecords", "code": "TooManyRequestsException", "message": "busy", "times": 2}
    answer = post(cognito_sync_server, "/_mock/inject-error", json.dumps(body).encode())
    assert (answer.status, answer.json) == (200, {"injected": 2})
    client = client_for(cognito_sync_server)
    for _ in range(2):
        with raises_error("TooManyRequestsException", 429, "busy"):
            client.list_records(**ids())
    assert client.list_records(**ids())["DatasetExists"] is False
    bad = {"operation": "ListRecords", "code": "LimitExceededException"}
    answer = post(cognito_sync_server, "/_mock/inject-error", json.dumps(bad).encode())
    status, code, message = answer.error
    assert (status, code) == (400, INVALID)
    assert message.startswith("/_mock/inject-error: ListRecords does not model 'LimitExceededException'; it models [")


def test_bulk_publish_endpoints(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    enable_streams(client)
    write(client, {"level": "3"})

    def send(name: str, document: dict[str, Any]) -> Answer:
        return post(cognito_sync_server, f"/_mock/{name}", json.dumps(document).encode())

    assert send("hold-bulk-publishes", {"hold": True}).json == {"hold_bulk_publishes": True}
    assert cognito_sync_server.hold_bulk_publishes is True
    client.bulk_publish(IdentityPoolId=POOL)
    assert client.get_bulk_publish_details(IdentityPoolId=POOL)["BulkPublishStatus"] == "IN_PROGRESS"
    assert send("complete-bulk-publish", {"pool_id": POOL}).json == {"completed": True}
    assert client.get_bulk_publish_details(IdentityPoolId=POOL)["BulkPublishStatus"] == "SUCCEEDED"
    assert len(cognito_sync_server.stream_records(STREAM)) == 2  # the update, then the bulk publish

    assert send("complete-bulk-publish", {"pool_id": POOL}).error == (
        400,
        INVALID,
        f"/_mock/complete-bulk-publish: identity pool {POOL} has no bulk publish in progress",
    )
    assert send("fail-bulk-publish", {"pool_id": POOL}).error == (
        400,
        INVALID,
        "/_mock/fail-bulk-publish: missing member 'message'",
    )
    assert send("hold-bulk-publishes", {"hold": "yes"}).error == (
        400,
        INVALID,
        "/_mock/hold-bulk-publishes: hold must be true or false",
    )


def test_fail_bulk_publish_endpoint() -> None:
    with CognitoSyncServer(limits={"bulk_publish_interval_seconds": 0}) as server:
        client = client_for(server)
        enable_streams(client)
        server.hold_bulk_publishes = True
        client.bulk_publish(IdentityPoolId=POOL)
        document = {"pool_id": POOL, "message": "stream gone", "region": "us-east-1"}
        answer = post(server, "/_mock/fail-bulk-publish", json.dumps(document).encode())
        assert (answer.status, answer.json) == (200, {"failed": True})
        details = client.get_bulk_publish_details(IdentityPoolId=POOL)
        assert (details["BulkPublishStatus"], details["FailureMessage"]) == ("FAILED", "stream gone")


def test_register_and_merge_endpoints() -> None:
    with CognitoSyncServer(strict=True) as server:

        def send(name: str, document: dict[str, Any]) -> Answer:
            return post(server, f"/_mock/{name}", json.dumps(document).encode())

        assert send("register-identity-pool", {"pool_id": POOL}).json == {"registered": True}
        client = client_for(server)
        assert client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]["DataStorage"] == 0
        for identity in (IDENTITY, OTHER_IDENTITY):
            assert send("register-identity", {"pool_id": POOL, "identity_id": identity}).status == 200
        write(client, {"level": "3"}, identity=OTHER_IDENTITY)
        document = {"pool_id": POOL, "into_identity_id": IDENTITY, "from_identity_id": OTHER_IDENTITY}
        assert send("merge-identities", document).json == {"merged": True}
        names = [d["DatasetName"] for d in client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Datasets"]]
        assert names == [f"{DATASET}.{OTHER_IDENTITY}"]
        assert send("register-identity", {"pool_id": POOL, "identity_id": 7}).error == (
            400,
            INVALID,
            "/_mock/register-identity: identity_id must be a string",
        )
        assert send("register-identity-pool", {"pool_id": POOL, "account_id": 1}).error == (
            400,
            INVALID,
            "/_mock/register-identity-pool: account_id must be a string",
        )


def test_control_endpoint_errors(cognito_sync_server: CognitoSyncServer) -> None:
    answer = request(cognito_sync_server, "GET", "/_mock/reset")
    assert answer.error == (405, "MethodNotAllowed", "/_mock/reset takes POST, not GET")
    assert answer.headers["allow"] == "POST"
    assert request(cognito_sync_server, "DELETE", "/_mock/state").error[:2] == (405, "MethodNotAllowed")
    assert request(cognito_sync_server, "GET", "/_mock/nope").error == (
        404,
        "UnknownOperationException",
        "No mock control endpoint /_mock/nope; GET /_mock/ lists them",
    )
    assert post(cognito_sync_server, "/_mock/inject-error", b"{oops").error == (
        400,
        INVALID,
        "The request body is not valid JSON",
    )
    assert post(cognito_sync_server, "/_mock/inject-error", b"[]").error == (
        400,
        INVALID,
        "The request body must be a JSON object",
    )
    assert post(cognito_sync_server, "/_mock/inject-error", b"{}").error == (
        400,
        INVALID,
        "/_mock/inject-error: missing member 'operation'",
    )
    assert cognito_sync_server.calls == []


def test_control_endpoints_show_any_string_a_request_carried(cognito_sync_server: CognitoSyncServer) -> None:
    """A lone surrogate (JSON "\\ud800") in a recorded call or in the state is shown, escaped, not a 500."""
    body = b'{"Events": {"SyncTrigger": "\\ud800 \\u00e9\\u2603"}}'
    request(cognito_sync_server, "POST", f"/identitypools/{POOL}/events", body)  # recorded, whatever the answer
    calls = request(cognito_sync_server, "GET", "/_mock/calls")
    assert calls.status == 200
    assert calls.body.isascii()
    assert [(c["operation"], c["params"]["Events"]) for c in calls.json] == [
        ("SetCognitoEvents", {"SyncTrigger": "\ud800 \u00e9\u2603"})
    ]
    cognito_sync_server.backend().set_cognito_events(identity_pool_id=POOL, events={"SyncTrigger": "\udfff \u2603"})
    state = request(cognito_sync_server, "GET", "/_mock/state")
    assert state.status == 200
    assert state.body.isascii()
    pool = state.json["accounts"]["123456789012"]["regions"]["us-east-1"]["pools"][POOL]
    assert pool["events"] == {"SyncTrigger": "\udfff \u2603"}


def test_a_control_body_nested_too_deep_is_400(cognito_sync_server: CognitoSyncServer) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert post(cognito_sync_server, "/_mock/restore", deep).error == (
        400,
        INVALID,
        "The request body is nested more than 32 levels deep",
    )
    still_answers(cognito_sync_server)


def test_control_index_lists_the_endpoints(cognito_sync_server: CognitoSyncServer) -> None:
    index = request(cognito_sync_server, "GET", "/_mock/").json
    assert {path: entry["method"] for path, entry in index.items()} == {
        "/_mock/state": "GET",
        "/_mock/reset": "POST",
        "/_mock/calls": "GET",
        "/_mock/push-notifications": "GET",
        "/_mock/stream-records": "GET",
        "/_mock/stream-payloads/{id}": "GET",
        "/_mock/inject-error": "POST",
        "/_mock/hold-bulk-publishes": "POST",
        "/_mock/complete-bulk-publish": "POST",
        "/_mock/fail-bulk-publish": "POST",
        "/_mock/register-identity-pool": "POST",
        "/_mock/register-identity": "POST",
        "/_mock/merge-identities": "POST",
        "/_mock/snapshot": "GET",
        "/_mock/restore": "POST",
        "/_mock/map-access-key": "POST",
        "/_mock/identity-credentials": "POST",
        "/_mock/seed": "POST",
        "/_mock/triggers": "GET",
        "/_mock/health": "GET",
    }
    assert request(cognito_sync_server, "GET", "/_mock").json == index


def test_snapshot_and_restore_endpoints(cognito_sync_server: CognitoSyncServer) -> None:
    client = client_for(cognito_sync_server)
    write(client, {"level": "3"})
    snapshot = request(cognito_sync_server, "GET", "/_mock/snapshot").json
    assert snapshot == cognito_sync_server.snapshot()
    assert snapshot["version"] == 1
    assert post(cognito_sync_server, "/_mock/reset").status == 200
    answer = post(cognito_sync_server, "/_mock/restore", json.dumps(snapshot).encode())
    assert (answer.status, answer.json) == (200, {"restored": True})
    listed = client.list_records(**ids())
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("level", "3", 1)]

    short = {"us-east-1": {POOL: {OTHER_IDENTITY: {"saved": {"coins": "7"}}}}}
    assert post(cognito_sync_server, "/_mock/restore", json.dumps(short).encode()).status == 200
    assert client.list_records(**ids())["DatasetExists"] is False  # restore replaces everything
    seeded = client.list_records(**ids(identity=OTHER_IDENTITY, dataset="saved"))["Records"]
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in seeded] == [("coins", "7", 1)]

    bad = json.dumps({"version": 99, "accounts": {}}).encode()
    assert post(cognito_sync_server, "/_mock/restore", bad).error == (
        400,
        INVALID,
        "/_mock/restore: version: unknown version 99; this mock reads version 1",
    )


def test_server_seeded_with_a_state() -> None:
    with CognitoSyncServer(state={"eu-west-1": {POOL: {IDENTITY: {DATASET: {"level": "9"}}}}}) as server:
        listed = client_for(server, "eu-west-1").list_records(**ids())
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("level", "9", 1)]


def test_map_access_key_endpoint(cognito_sync_server: CognitoSyncServer) -> None:
    document = {"access_key_id": "AKIAOTHERACCOUNT001", "account_id": "210987654321"}
    answer = post(cognito_sync_server, "/_mock/map-access-key", json.dumps(document).encode())
    assert (answer.status, answer.json) == (200, {"mapped": True})
    other = keyed_client(cognito_sync_server, aws_access_key_id="AKIAOTHERACCOUNT001", aws_secret_access_key="x")
    write(other, {"level": "3"})
    write(client_for(cognito_sync_server), {"level": "4"})
    accounts = request(cognito_sync_server, "GET", "/_mock/state").json["accounts"]
    assert sorted(accounts) == ["123456789012", "210987654321"]
    records = accounts["210987654321"]["regions"]["us-east-1"]["pools"][POOL]["identities"][IDENTITY]["datasets"][
        DATASET
    ]["records"]
    assert records["level"]["value"] == "3"


def test_identity_credentials_endpoint() -> None:
    with CognitoSyncServer(strict=True) as server:
        server.backend().register_identity_pool(POOL)
        developer = client_for(server)
        enable_push(developer)
        document = {"pool_id": POOL, "identity_id": IDENTITY}
        answer = post(server, "/_mock/identity-credentials", json.dumps(document).encode())
        keys = answer.json
        assert sorted(keys) == ["AccessKeyId", "SecretAccessKey", "SessionToken"]
        assert keys["AccessKeyId"].startswith("ASIA")
        identity = keyed_client(
            server,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )
        device = identity.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t")
        assert len(device["DeviceId"]) == 36
        with raises_error("NotAuthorizedException", 403, "These credentials are not valid for accessing this resource"):
            developer.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t")
