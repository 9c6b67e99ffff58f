"""The pytest plugin, registered by the package's ``pytest11`` entry point."""

from __future__ import annotations

from typing import Iterator

import pytest

from .mock import mock_cognito_sync


@pytest.fixture
def cognito_sync() -> Iterator[mock_cognito_sync]:
    """Cognito Sync mocked for one test; yields the mock object."""
    with mock_cognito_sync() as mock:
        yield mock
