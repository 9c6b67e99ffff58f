"""The pytest plugin, registered by the package's ``pytest11`` entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

from .mock import mock_cognito_sync

if TYPE_CHECKING:
    from .server import CognitoSyncServer


@pytest.fixture
def cognito_sync() -> Iterator[mock_cognito_sync]:
    """Cognito Sync mocked for one test; yields the mock object."""
    with mock_cognito_sync() as mock:
        yield mock


@pytest.fixture
def cognito_sync_server() -> Iterator[CognitoSyncServer]:
    """Cognito Sync served over HTTP on a free loopback port for one test; yields the server (``.url``)."""
    from .server import CognitoSyncServer

    with CognitoSyncServer() as server:
        yield server
