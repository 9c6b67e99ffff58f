"""The dashboard page at ``/``, loaded in headless Chromium after a sync.

Chromium runs the page's own JavaScript (it fetches ``/_mock/state`` every second) and
dumps the DOM it built (``server_support.dump_dom``). Chromium is Debian's ``chromium``
package; .ci/run installs it. Without it these tests fail, saying so: they never skip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import DATASET, IDENTITY, POOL, make_client, remove, replace, seed, write
from server_support import dump_dom

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
