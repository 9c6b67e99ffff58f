"""A web page of another origin attacks the control plane, in headless Chromium: every attempt fails.

The page comes from a second local HTTP server (``local_server``: another port, so
another origin). It reads ``/_mock/state`` and ``/_mock/calls``, posts to reset, inject
errors, mint identity credentials and replace the state (deleting a dataset) with
``fetch`` (as JSON, and as ``no-cors`` requests that need no preflight) and with
auto-submitted HTML forms. Each
one is refused by the server itself (its log shows a 403 for each request that reached
it) and the state is unchanged afterwards. A Cognito Sync route stays readable from that
page: browser SDKs need the API's CORS. A DNS rebinding attack (the page's own host name,
now resolving to 127.0.0.1) is refused by the Host check.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from activation_support import LocalServer
from helpers import DATASET, IDENTITY, POOL, write
from server_support import address, client_for, dump_dom

from cognito_sync_mock import CognitoSyncServer

HOST_REFUSED = "The mock\\u0027s control plane answers only loopback host names"
ORIGIN_REFUSED = "The mock's control plane refuses requests from web pages of other origins"


@pytest.fixture
def victim(cognito_sync_server: CognitoSyncServer, caplog: pytest.LogCaptureFixture) -> CognitoSyncServer:
    """The server, holding a dataset, its access log captured."""
    write(client_for(cognito_sync_server), {"level": "3"})
    caplog.set_level(logging.INFO, logger="cognito_sync_mock.server")
    return cognito_sync_server


def answered(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, int]]:
    """(method, path, status) of each request the server answered, from its access log (but the browser's
    own look for a /favicon.ico)."""
    lines = [r.getMessage().split() for r in caplog.records if r.name == "cognito_sync_mock.server"]
    return [(line[0], line[1], int(line[3])) for line in lines if line[1] != "/favicon.ico"]


def form(action: str, fields: dict[str, str], enctype: str = "application/x-www-form-urlencoded") -> str:
    inputs = "".join(f"<input type='hidden' name='{name}' value='{value}'>" for name, value in fields.items())
    return (
        f"<!DOCTYPE html><form id='f' method='POST' action='{action}' enctype='{enctype}'>{inputs}</form>"
        "<script>document.getElementById('f').submit();</script>"
    )


FETCHES = """<!DOCTYPE html><ul id="out"></ul>
<iframe src="/inject-error-form.html"></iframe><iframe src="/credentials-form.html"></iframe>
<script>
const victim = "VICTIM";
function note(name, value) {
  const item = document.createElement("li");
  item.textContent = name + ": " + value;
  document.getElementById("out").appendChild(item);
}
async function attempt(name, path, options) {
  try {
    const answer = await fetch(victim + path, options);
    const text = await answer.text();
    note(name, "status " + answer.status + " " + answer.type + " " + text);
  } catch (error) {
    note(name, "blocked " + error.name);
  }
}
const json = (document) => ({
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(document),
});
const blind = (document) => ({ method: "POST", mode: "no-cors", body: JSON.stringify(document) });
const credentials = { pool_id: "POOL", identity_id: "IDENTITY" };
const injected = { operation: "ListRecords", code: "TooManyRequestsException", times: 100 };
(async () => {
  await attempt("read-state", "/_mock/state");
  await attempt("read-calls", "/_mock/calls");
  await attempt("reset", "/_mock/reset", json({}));
  await attempt("reset-blind", "/_mock/reset", blind({}));
  await attempt("inject-error", "/_mock/inject-error", json(injected));
  await attempt("inject-error-blind", "/_mock/inject-error", blind(injected));
  await attempt("credentials", "/_mock/identity-credentials", json(credentials));
  await attempt("credentials-blind", "/_mock/identity-credentials", blind(credentials));
  await attempt("delete-dataset-blind", "/_mock/restore", blind({ version: 1, accounts: {} }));
  await attempt("api", "/identitypools/POOL/identities/IDENTITY/datasets");
  note("done", "all attempted");
})();
</script>"""


def test_a_page_of_another_origin_can_do_nothing_to_the_control_plane(
    victim: CognitoSyncServer, local_server: LocalServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    before = victim.snapshot()
    local_server.pages = {
        "/attack.html": FETCHES.replace("VICTIM", victim.url).replace("POOL", POOL).replace("IDENTITY", IDENTITY),
        "/inject-error-form.html": form(
            f"{victim.url}/_mock/inject-error", {"operation": "ListRecords", "code": "TooManyRequestsException"}
        ),
        "/credentials-form.html": form(
            f"{victim.url}/_mock/identity-credentials", {'{"pool_id": "' + POOL + '", "x": "': '"}'}, "text/plain"
        ),
    }

    dom = dump_dom(f"{local_server.url}/attack.html", tmp_path / "profile")

    assert "done: all attempted" in dom
    for name in ("read-state", "read-calls", "reset", "inject-error", "credentials"):
        assert f"<li>{name}: blocked TypeError</li>" in dom  # no CORS: unreadable, and no preflight passes
    for name in ("reset-blind", "inject-error-blind", "credentials-blind", "delete-dataset-blind"):
        assert f"<li>{name}: status 0 opaque </li>" in dom  # sent, its answer hidden: the server refused it
    listed = json.loads(dom.split("<li>api: status 200 cors ", 1)[1].split("</li>", 1)[0])
    assert [d["DatasetName"] for d in listed["Datasets"]] == [DATASET]  # the API stays usable from the page

    refused = {(method, path) for method, path, status in answered(caplog) if status == 403}
    assert refused == {
        ("GET", "/_mock/state"),
        ("GET", "/_mock/calls"),
        ("OPTIONS", "/_mock/reset"),
        ("POST", "/_mock/reset"),
        ("OPTIONS", "/_mock/inject-error"),
        ("POST", "/_mock/inject-error"),  # the fetch and the form
        ("OPTIONS", "/_mock/identity-credentials"),
        ("POST", "/_mock/identity-credentials"),
        ("POST", "/_mock/restore"),
    }
    reached = [(method, path, status) for method, path, status in answered(caplog) if path.startswith("/_mock")]
    assert all(status == 403 for _, _, status in reached), reached
    assert sum(1 for method, path, _ in reached if (method, path) == ("POST", "/_mock/inject-error")) == 2
    assert victim.snapshot() == before
    assert (victim.state.faults, victim.state.identity_keys) == ({}, {})
    assert [c.operation for c in victim.calls] == ["ListRecords", "UpdateRecords", "ListDatasets"]


def test_an_auto_submitted_form_cannot_reset_the_state(
    victim: CognitoSyncServer, local_server: LocalServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    before = victim.snapshot()
    local_server.pages = {"/win-a-prize.html": form(f"{victim.url}/_mock/reset", {"confirm": "yes"})}

    dom = dump_dom(f"{local_server.url}/win-a-prize.html", tmp_path / "profile")

    assert ORIGIN_REFUSED in dom  # the browser shows the server's refusal where the form led
    assert answered(caplog) == [("POST", "/_mock/reset", 403)]
    assert victim.snapshot() == before


def test_dns_rebinding_is_refused_by_the_host_check(
    victim: CognitoSyncServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The attacker's name now resolves to 127.0.0.1: the page and its same-origin requests name it as Host."""
    port = address(victim)[1]
    rules = "--host-resolver-rules=MAP rebound.example 127.0.0.1"
    for path in ("/", "/_mock/state"):
        dom = dump_dom(f"http://rebound.example:{port}{path}", tmp_path / f"profile{len(path)}", rules)
        assert f"this request's Host is 'rebound.example:{port}'" in dom.replace("\\u0027", "'")
    assert answered(caplog) == [("GET", "/", 403), ("GET", "/_mock/state", 403)]
