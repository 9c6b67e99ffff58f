"""The dashboard page at ``/``, loaded in headless Chromium after a sync.

Chromium runs the page's own JavaScript (it fetches ``/_mock/state`` and ``/_mock/calls``
every second) and dumps the DOM it built (``server_support.dump_dom``). Chromium is Debian's ``chromium``
package; .ci/run installs it. Without it these tests fail, saying so: they never skip.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from helpers import DATASET, IDENTITY, POOL, ids, make_client, raises_error, remove, replace, seed, write
from server_support import dump_dom, keyed_client, post

import cognito_sync_mock.server.control as control_module
from cognito_sync_mock import CognitoSyncServer


def test_dashboard_shows_the_state_after_a_sync(cognito_sync_server: CognitoSyncServer, tmp_path: Path) -> None:
    client = make_client(endpoint_url=cognito_sync_server.url)
    write(client, [replace("level", "42"), replace("name", "<b>ada</b>"), replace("gone", "soon")])
    write(client, [remove("gone", 1)])

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert f'data-dataset="{DATASET}" data-sync-count="2"' in dom
    assert f'<span class="id">{DATASET}</span>' in dom
    assert "sync count 2, 2 record(s), 21 bytes" in dom
    for shown in ("123456789012", "us-east-1", POOL, IDENTITY):
        assert f'<span class="id">{shown}</span>' in dom
    assert (
        '<tr class="record" data-key="level"><td class="key">level</td><td class="value">42</td>'
        '<td class="sync-count">1</td>'
    ) in dom
    # A value is shown as text, never run as HTML.
    assert '<td class="value">&lt;b&gt;ada&lt;/b&gt;</td>' in dom
    assert "<b>ada</b>" not in dom
    assert (
        '<tr class="tombstone" data-key="gone"><td class="key">gone</td>'
        '<td class="value">(deleted: tombstone)</td><td class="sync-count">2</td>'
    ) in dom
    assert "4 call(s) answered" in dom


def test_dashboard_refreshes_itself(
    cognito_sync_server: CognitoSyncServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two polls of /_mock/state a record arrives; the page shows it without a reload."""
    backend = cognito_sync_server.backend()
    seed(backend, {"level": "1"})
    polls: list[int] = []
    real_view = control_module.state_view  # type: ignore[attr-defined]  # the endpoints' own name, patched below

    def counting_view(state: Any) -> Any:
        polls.append(len(polls) + 1)
        if len(polls) == 2:
            seed(backend, {"late": "arrived-after-the-first-poll"}, dataset="later")
        return real_view(state)

    monkeypatch.setattr(control_module, "state_view", counting_view)

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert len(polls) >= 2
    assert 'data-dataset="later"' in dom
    assert '<td class="value">arrived-after-the-first-poll</td>' in dom
    assert f'data-dataset="{DATASET}" data-sync-count="1"' in dom


def test_dashboard_of_an_empty_mock_says_where_to_point_clients(
    cognito_sync_server: CognitoSyncServer, tmp_path: Path
) -> None:
    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")
    assert f"No data yet: point a client at {cognito_sync_server.url} and sync." in dom
    assert "0 call(s) answered" in dom


# -- the panel of the latest calls -----------------------------------------------------

CALL_ROW = re.compile(
    r'<tr class="(?P<class>call(?: failed)?)" data-number="(?P<number>[0-9]+)">'
    r'<td class="time" title="(?P<title>[^"]*)">(?P<time>[^<]*)</td>'
    r'<td class="operation">(?P<operation>[^<]*)</td><td class="caller">(?P<caller>[^<]*)</td>'
    r'<td class="status">(?P<status>[^<]*)</td><td class="error">(?P<error>[^<]*)</td></tr>'
)
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}) UTC")


def call_rows(dom: str) -> list[tuple[str, ...]]:
    """The panel's rows, top to bottom: (number, operation, caller, status, error, row class)."""
    rows: list[tuple[str, ...]] = []
    for row in CALL_ROW.finditer(dom):
        moment = MOMENT.fullmatch(row["title"])
        assert moment is not None and moment["time"] == row["time"], row.group(0)
        rows.append((row["number"], row["operation"], row["caller"], row["status"], row["error"], row["class"]))
    return rows


def test_dashboard_shows_the_latest_calls_newest_first(cognito_sync_server: CognitoSyncServer, tmp_path: Path) -> None:
    client = make_client(endpoint_url=cognito_sync_server.url)
    write(client, {"level": "42"})
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids(dataset="missing"))
    identity = keyed_client(cognito_sync_server, **cognito_sync_server.identity_credentials(POOL, IDENTITY))
    identity.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert call_rows(dom) == [
        ("4", "ListDatasets", "identity", "200", "", "call"),
        ("3", "DescribeDataset", "developer", "404", "ResourceNotFoundException", "call failed"),
        ("2", "UpdateRecords", "developer", "200", "", "call"),
        ("1", "ListRecords", "developer", "200", "", "call"),
    ]
    times = [call.time.strftime("%H:%M:%S.%f")[:-3] for call in reversed(cognito_sync_server.calls)]
    assert [row["time"] for row in CALL_ROW.finditer(dom)] == times
    assert '<p class="empty" id="no-calls" hidden="">No calls yet.</p>' in dom
    assert "4 call(s) answered" in dom


def test_dashboard_shows_a_call_made_after_it_loaded(
    cognito_sync_server: CognitoSyncServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call answered between two polls is added at the top of the panel without a reload."""
    client = make_client(endpoint_url=cognito_sync_server.url)
    client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

    def describe_a_missing_dataset() -> None:
        with raises_error("ResourceNotFoundException", 404):
            client.describe_dataset(**ids(dataset="late"))

    polls = watch_polls(monkeypatch, {2: describe_a_missing_dataset})

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert polls == list(range(1, len(polls) + 1)) and len(polls) >= 3  # a poll after the call showed it
    assert call_rows(dom) == [
        ("2", "DescribeDataset", "developer", "404", "ResourceNotFoundException", "call failed"),
        ("1", "ListDatasets", "developer", "200", "", "call"),
    ]


def test_dashboard_shows_only_the_latest_50_calls(cognito_sync_server: CognitoSyncServer, tmp_path: Path) -> None:
    client = make_client(endpoint_url=cognito_sync_server.url)
    for _ in range(60):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert [row[0] for row in call_rows(dom)] == [str(number) for number in range(60, 10, -1)]
    assert "60 call(s) answered" in dom


def test_dashboard_forgets_the_calls_of_a_reset(
    cognito_sync_server: CognitoSyncServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a reset the panel shows only the calls answered since, though their numbers go on."""
    client = make_client(endpoint_url=cognito_sync_server.url)
    for _ in range(3):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

    def reset_then_call() -> None:
        assert post(cognito_sync_server, "/_mock/reset", b"{}").status == 200
        client.list_records(**ids())

    polls = watch_polls(monkeypatch, {2: reset_then_call})

    dom = dump_dom(cognito_sync_server.url + "/", tmp_path / "profile")

    assert polls == list(range(1, len(polls) + 1)) and len(polls) >= 3
    assert call_rows(dom) == [("4", "ListRecords", "developer", "200", "", "call")]
    assert "1 call(s) answered" in dom


def watch_polls(monkeypatch: pytest.MonkeyPatch, actions: dict[int, Callable[[], None]]) -> list[Any]:
    """The page's polls of /_mock/state, counted; ``actions[n]()`` runs during poll n.

    An action that fails is listed in place of its poll's number, so that the test shows it.
    """
    polls: list[Any] = []
    real_view = control_module.state_view  # type: ignore[attr-defined]  # the endpoints' own name, patched below

    def counting_view(state: Any) -> Any:
        number = len(polls) + 1
        try:
            actions.get(number, lambda: None)()
            polls.append(number)
        except BaseException as failure:  # shown by the test, not lost in the server's thread
            polls.append(failure)
        return real_view(state)

    monkeypatch.setattr(control_module, "state_view", counting_view)
    return polls
