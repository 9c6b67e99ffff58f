"""The public face: every name the docs tell users to touch is importable from the package."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import cognito_sync_mock
from cognito_sync_mock import pytest_plugin, server, snapshot

PUBLIC = [
    "Backend",
    "Call",
    "CognitoSyncError",
    "CognitoSyncServer",
    "LambdaThrottled",
    "Limits",
    "MockLeftStartedWarning",
    "NoSuchDataset",
    "SnapshotError",
    "mock_cognito_sync",
    "__version__",
]


def test_the_package_exports_the_names_of_the_docs() -> None:
    assert sorted(cognito_sync_mock.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(cognito_sync_mock, name) is not None


def test_the_lazy_names_are_the_classes_of_their_modules() -> None:
    assert cognito_sync_mock.CognitoSyncServer is server.CognitoSyncServer
    assert cognito_sync_mock.MockLeftStartedWarning is pytest_plugin.MockLeftStartedWarning
    assert cognito_sync_mock.SnapshotError is snapshot.SnapshotError


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'cognito_sync_mock' has no attribute 'nope'$"):
        cognito_sync_mock.nope  # noqa: B018


def test_importing_the_package_imports_neither_pytest_nor_the_server() -> None:
    probe = textwrap.dedent(
        """
        import sys
        import cognito_sync_mock
        print(sorted({"pytest", "http.server", "cognito_sync_mock.server"} & set(sys.modules)))
        from cognito_sync_mock import MockLeftStartedWarning
        print("pytest" in sys.modules, MockLeftStartedWarning.__mro__[1].__name__)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True PytestWarning"]
