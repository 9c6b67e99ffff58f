"""The pytest plugin, registered by the package's ``pytest11`` entry point.

Both fixtures read the ``cognito_sync`` marker, so a test (or a class, or a module through
``pytestmark``) says what state and options its mock or server starts with::

    @pytest.mark.cognito_sync(state={"us-east-1": {POOL: {IDENTITY: {"game": {"level": "3"}}}}}, strict=True)
    def test_seeded(cognito_sync): ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

from .mock import mock_cognito_sync

if TYPE_CHECKING:
    from .server import CognitoSyncServer

MARKER = "cognito_sync"
OPTIONS = ("state", "strict", "account_id", "limits")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` accepts it and ``pytest --markers`` lists it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(state=None, strict=False, account_id=None, limits=None): options of the cognito_sync and "
        "cognito_sync_server fixtures; state is a snapshot, its short form or the path of a JSON file",
    )


def marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The keyword options of the closest ``cognito_sync`` marker (none: no options), checked."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        raise TypeError(f"@pytest.mark.{MARKER} takes keyword arguments only ({', '.join(OPTIONS)})")
    unknown = sorted(set(marker.kwargs) - set(OPTIONS))
    if unknown:
        raise TypeError(f"@pytest.mark.{MARKER} got unknown option(s) {unknown}; it takes {list(OPTIONS)}")
    return dict(marker.kwargs)


@pytest.fixture
def cognito_sync(request: pytest.FixtureRequest) -> Iterator[mock_cognito_sync]:
    """Cognito Sync mocked for one test (options from ``@pytest.mark.cognito_sync``); yields the mock object."""
    with mock_cognito_sync(**marker_options(request)) as mock:
        yield mock


@pytest.fixture
def cognito_sync_server(request: pytest.FixtureRequest) -> Iterator[CognitoSyncServer]:
    """Cognito Sync over HTTP on a free loopback port for one test (options from the marker); yields the server."""
    from .server import CognitoSyncServer

    with CognitoSyncServer(**marker_options(request)) as server:
        yield server
