"""The closed control plane: ``/_mock/*`` and the dashboard are for the developer's own tools.

No CORS there; a request from a web page of another origin is refused (403), and so is a
Host that is not a loopback name or address or one allowed with ``--allow-host`` (which
stops DNS rebinding); control POSTs must be JSON (415), so no HTML form can send one. The
AWS API keeps the CORS answers browser SDKs need and accepts any Host, as AWS does.
Chromium runs the attacks themselves in test_browser_attack.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import IDENTITY, POOL, write
from server_support import JSON, address, client_for, post, records_path, request, send_raw

from cognito_sync_mock import CognitoSyncServer, __version__

CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers")
FOREIGN = "http://127.0.0.1:1"  # a page of another origin: another port of the same machine


def own_origin(server: CognitoSyncServer) -> str:
    return server.url


def no_cors(headers: dict[str, str]) -> bool:
    return not any(name in headers for name in (*CORS_HEADERS, "access-control-expose-headers"))


@pytest.fixture
def seeded(cognito_sync_server: CognitoSyncServer) -> dict[str, Any]:
    """A dataset on the server; the snapshot it makes."""
    write(client_for(cognito_sync_server), {"level": "3"})
    return cognito_sync_server.snapshot()


# -- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_page_is_served(cognito_sync_server: CognitoSyncServer) -> None:
    answer = request(cognito_sync_server, "GET", "/")
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"  # no other page may frame it (and trick a click)
    assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert no_cors(answer.headers)
    page = answer.body.decode()
    assert page.startswith("<!DOCTYPE html>")
    assert 'fetch("/_mock/state"' in page
    assert "setInterval(refresh, 1000)" in page
    head = request(cognito_sync_server, "HEAD", "/")
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", str(len(answer.body)))
    assert request(cognito_sync_server, "POST", "/").error == (
        405,
        "MethodNotAllowed",
        "POST is not allowed on the dashboard",
    )


def test_the_dashboard_reset_button_posts_what_the_control_plane_takes(
    cognito_sync_server: CognitoSyncServer, seeded: dict[str, Any]
) -> None:
    """The page's own fetch, as Chromium sends it from the dashboard: its origin, JSON."""
    page = request(cognito_sync_server, "GET", "/").body.decode()
    assert 'fetch("/_mock/reset", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })' in (
        page
    )
    answer = post(cognito_sync_server, "/_mock/reset", b"{}", {"Origin": own_origin(cognito_sync_server)})
    assert (answer.status, answer.json) == (200, {"reset": True})
    assert cognito_sync_server.snapshot()["accounts"] == {}


# -- CORS ------------------------------------------------------------------------------------


def test_the_api_answers_cors_for_browser_sdks(cognito_sync_server: CognitoSyncServer) -> None:
    preflight = request(
        cognito_sync_server,
        "OPTIONS",
        records_path(),
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-date",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-headers"] == "authorization,content-type,x-amz-date"
    assert preflight.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, OPTIONS"
    answer = request(cognito_sync_server, "GET", f"{records_path()}/records", headers={"Origin": FOREIGN})
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "x-amzn-ErrorType" in answer.headers["access-control-expose-headers"]
    refused = request(cognito_sync_server, "POST", records_path(), b"{", {"Origin": FOREIGN})
    assert (refused.status, refused.headers["access-control-allow-origin"]) == (400, "*")  # errors too
    assert [c.operation for c in cognito_sync_server.calls] == ["ListRecords", "UpdateRecords"]


def test_the_api_accepts_any_host(cognito_sync_server: CognitoSyncServer) -> None:
    for host in ("cognito-sync.us-east-1.amazonaws.com", "evil.example:7734", "10.1.2.3"):
        answer = request(
            cognito_sync_server, "GET", f"/identitypools/{POOL}/identities/{IDENTITY}/datasets", None, {"Host": host}
        )
        assert (answer.status, answer.json) == (200, {"Datasets": [], "Count": 0})


def test_the_control_plane_answers_no_cors(cognito_sync_server: CognitoSyncServer) -> None:
    state = request(cognito_sync_server, "GET", "/_mock/state", headers={"Origin": own_origin(cognito_sync_server)})
    assert state.status == 200
    assert no_cors(state.headers)
    assert state.headers["x-content-type-options"] == "nosniff"
    preflight_headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    foreign = request(cognito_sync_server, "OPTIONS", "/_mock/reset", headers={"Origin": FOREIGN, **preflight_headers})
    assert foreign.error[:2] == (403, "Forbidden")
    assert no_cors(foreign.headers)
    own = {"Origin": own_origin(cognito_sync_server), **preflight_headers}
    same = request(cognito_sync_server, "OPTIONS", "/_mock/reset", headers=own)
    assert same.error == (405, "MethodNotAllowed", "/_mock/reset takes POST, not OPTIONS")
    assert no_cors(same.headers)


# -- Origin ----------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [FOREIGN, "http://evil.example", "null", "https://127.0.0.1:7734"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/_mock/state", None),
        ("GET", "/", None),
        ("POST", "/_mock/reset", b"{}"),
        ("POST", "/_mock/inject-error", b'{"operation": "ListRecords", "code": "TooManyRequestsException"}'),
        ("POST", "/_mock/identity-credentials", json.dumps({"pool_id": POOL, "identity_id": IDENTITY}).encode()),
        ("POST", "/_mock/restore", b"{}"),
    ],
)
def test_a_request_from_another_origin_is_refused_and_changes_nothing(
    cognito_sync_server: CognitoSyncServer,
    seeded: dict[str, Any],
    origin: str,
    method: str,
    path: str,
    body: bytes | None,
) -> None:
    answer = request(cognito_sync_server, method, path, body, {**JSON, "Origin": origin})
    assert answer.error == (
        403,
        "Forbidden",
        f"The mock's control plane refuses requests from web pages of other origins; this one is {origin!r}",
    )
    assert no_cors(answer.headers)
    assert cognito_sync_server.snapshot() == seeded
    assert (cognito_sync_server.state.faults, cognito_sync_server.state.identity_keys) == ({}, {})


def test_the_servers_own_origin_is_accepted(cognito_sync_server: CognitoSyncServer) -> None:
    port = address(cognito_sync_server)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        headers = {"Host": host, "Origin": f"http://{host.lower()}"}
        assert request(cognito_sync_server, "GET", "/_mock/state", headers=headers).status == 200
    mismatched = {"Host": f"localhost:{port}", "Origin": f"http://127.0.0.1:{port}"}  # another origin
    assert request(cognito_sync_server, "GET", "/_mock/state", headers=mismatched).error[:2] == (403, "Forbidden")


# -- Content-Type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        (None, "has none"),
        ("text/plain", "is 'text/plain'"),
        ("text/plain;charset=UTF-8", "is 'text/plain;charset=UTF-8'"),
        ("application/x-www-form-urlencoded", "is 'application/x-www-form-urlencoded'"),
        ("multipart/form-data; boundary=x", "is 'multipart/form-data; boundary=x'"),
        ("application/jsonp", "is 'application/jsonp'"),
    ],
)
def test_a_control_post_that_is_not_json_is_415_and_changes_nothing(
    cognito_sync_server: CognitoSyncServer, seeded: dict[str, Any], content_type: str | None, shown: str
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    for path in ("/_mock/reset", "/_mock/nope"):
        answer = request(cognito_sync_server, "POST", path, b"{}", headers)
        assert answer.error == (
            415,
            "UnsupportedMediaType",
            f"POST {path} needs Content-Type: application/json; this request's {shown}",
        )
    assert cognito_sync_server.snapshot() == seeded


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"])
def test_a_json_control_post_is_answered(cognito_sync_server: CognitoSyncServer, content_type: str) -> None:
    answer = request(cognito_sync_server, "POST", "/_mock/reset", b"", {"Content-Type": content_type})
    assert (answer.status, answer.json) == (200, {"reset": True})


# -- Host ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:7734",
        "LocalHost",
        "app.localhost:8080",
        "127.0.0.1",
        "127.1.2.3:80",
        "[::1]",
        "[::1]:7734",
    ],
)
def test_a_loopback_host_reaches_the_control_plane(cognito_sync_server: CognitoSyncServer, host: str) -> None:
    for path in ("/_mock/state", "/"):
        assert request(cognito_sync_server, "GET", path, headers={"Host": host}).status == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:7734",  # DNS rebinding: a name of the attacker's, now resolving to 127.0.0.1
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "10.0.0.1:7734",
        "0.0.0.0",
        "[::2]",
        "[::ffff:7f00:1",
        "",
    ],
)
def test_a_host_that_is_not_loopback_is_refused_and_changes_nothing(
    cognito_sync_server: CognitoSyncServer, seeded: dict[str, Any], host: str
) -> None:
    for method, path, body in (("GET", "/_mock/state", None), ("GET", "/", None), ("POST", "/_mock/reset", b"{}")):
        answer = request(cognito_sync_server, method, path, body, {**JSON, "Host": host, "Origin": f"http://{host}"})
        assert answer.error == (
            403,
            "Forbidden",
            "The mock's control plane answers only loopback host names (localhost, 127.0.0.1, [::1]) and those "
            f"allowed with --allow-host; this request's Host is {host!r}",
        )
        assert no_cors(answer.headers)
    assert cognito_sync_server.snapshot() == seeded


def test_a_request_without_host_is_refused(cognito_sync_server: CognitoSyncServer) -> None:
    answer = send_raw(cognito_sync_server, b"GET /_mock/state HTTP/1.0\r\n\r\n")
    assert answer.error[:2] == (403, "Forbidden")
    assert answer.error[2].endswith("this request's Host is None")


def test_allow_hosts_admits_a_container_service_name() -> None:
    with CognitoSyncServer(allow_hosts=["Cognito-Sync", "[fd00::1]"]) as server:
        assert server.allow_hosts == frozenset({"cognito-sync", "fd00::1"})
        for host in ("cognito-sync:7734", "COGNITO-SYNC", "[fd00::1]:7734", "localhost"):
            headers = {"Host": host, "Origin": f"http://{host}"}
            assert request(server, "GET", "/_mock/state", headers=headers).status == 200
        assert request(server, "GET", "/_mock/state", headers={"Host": "other:7734"}).error[:2] == (403, "Forbidden")


@pytest.mark.parametrize("name", ["cognito-sync:7734", "http://cognito-sync", "a b", "", "[nope]"])
def test_a_bad_allowed_host_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=r"^an allowed host is a host name or an address, without a port: not "):
        CognitoSyncServer(allow_hosts=[name])


# -- health ----------------------------------------------------------------------------------


def test_health_answers_any_host_and_nothing_else(cognito_sync_server: CognitoSyncServer) -> None:
    hosts: list[str | None] = [None, "10.1.2.3:7734", "cognito-sync"]  # a probe names the pod's address
    for host in hosts:
        headers: dict[str, str] = {} if host is None else {"Host": host}
        answer = request(cognito_sync_server, "GET", "/_mock/health", headers=headers)
        assert (answer.status, answer.json) == (200, {"status": "ok", "version": __version__})
        assert no_cors(answer.headers)
    assert request(cognito_sync_server, "HEAD", "/_mock/health").status == 200
    assert request(cognito_sync_server, "GET", "/_mock/health", headers={"Origin": FOREIGN}).error[:2] == (
        403,
        "Forbidden",
    )
    assert post(cognito_sync_server, "/_mock/health").error == (
        405,
        "MethodNotAllowed",
        "/_mock/health takes GET, not POST",
    )
    assert cognito_sync_server.calls == []
