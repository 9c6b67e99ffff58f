"""The pytest plugin, registered by the package's ``pytest11`` entry point.

Both fixtures read the ``cognito_sync`` marker, so a test (or a class, or a module through
``pytestmark``) says what state and options its mock or server starts with::

    @pytest.mark.cognito_sync(state={"us-east-1": {POOL: {IDENTITY: {"game": {"level": "3"}}}}}, strict=True)
    def test_seeded(cognito_sync): ...

A mock that a test starts and leaves started is stopped at the end of that test, with a
``MockLeftStartedWarning`` naming it. Activations opened by fixtures of a wider scope
(a class decorator's ``setup_class`` included) stay open, as their fixtures mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator, Iterator

import pytest

from .mock import Activation, close_activation, mock_cognito_sync, open_activations

if TYPE_CHECKING:
    from .server import CognitoSyncServer

MARKER = "cognito_sync"
OPTIONS = ("state", "strict", "account_id", "limits", "call_history", "seed")

_OPEN_BEFORE = pytest.StashKey[frozenset[Activation]]()  # on an item: open when its set-up began
_WIDE = pytest.StashKey[set[Activation]]()  # on the config: opened by fixtures wider than a test


class MockLeftStartedWarning(pytest.PytestWarning):
    """A test started mock_cognito_sync and left it started; the plugin stopped it."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` accepts it and ``pytest --markers`` lists it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(state=None, strict=False, account_id=None, limits=None, call_history=10000, seed=None): "
        "options of the cognito_sync and cognito_sync_server fixtures; state is a snapshot, its short form or "
        "the path of a JSON file; seed a whole number that makes generated values the same in every run",
    )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Note the activations open before the test's own set-up."""
    item.stash[_OPEN_BEFORE] = frozenset(open_activations())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, None, None]:
    """Note the activations a fixture wider than a test opens: they are meant to outlive the test."""
    if fixturedef.scope == "function":
        yield
        return
    before = set(open_activations())
    yield
    request.config.stash.setdefault(_WIDE, set()).update(set(open_activations()) - before)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, None]:
    """After the test's tear-down, stop what it left started, then warn, naming the test."""
    outcome = yield
    still_open = open_activations()
    wide = item.config.stash.setdefault(_WIDE, set())
    wide.intersection_update(still_open)
    before = item.stash.get(_OPEN_BEFORE, frozenset())
    left = [entry for entry in still_open if entry not in before and entry not in wide]
    for entry in reversed(left):
        close_activation(entry)
    if left:
        message = (
            f"{item.nodeid} left mock_cognito_sync started ({len(left)} activation(s) without a stop()); "
            "stopped after the test, so that its state and options reach no later test"
        )
        try:
            item.warn(MockLeftStartedWarning(message))
        except MockLeftStartedWarning as error:  # warnings are errors here: the tear-down fails with it
            outcome.force_exception(error)


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


def server_options(options: dict[str, Any]) -> dict[str, Any]:
    """The marker's options as ``CognitoSyncServer`` takes them: the marker's ``seed`` is its ``seed_ids``."""
    if "seed" not in options:
        return options
    renamed = {name: value for name, value in options.items() if name != "seed"}
    return {**renamed, "seed_ids": options["seed"]}


@pytest.fixture
def cognito_sync(request: pytest.FixtureRequest) -> Iterator[mock_cognito_sync]:
    """Cognito Sync mocked for one test (options from ``@pytest.mark.cognito_sync``); yields the mock object."""
    with mock_cognito_sync(**marker_options(request)) as mock:
        yield mock


@pytest.fixture
def cognito_sync_server(request: pytest.FixtureRequest) -> Iterator[CognitoSyncServer]:
    """Cognito Sync over HTTP on a free loopback port for one test (options from the marker); yields the server."""
    from .server import CognitoSyncServer

    with CognitoSyncServer(**server_options(marker_options(request))) as server:
        yield server
