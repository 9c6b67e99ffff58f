"""cognito_sync_mock: AWS Cognito Sync, mocked in-process for boto3/botocore tests.

Every name the docs tell users to touch is importable from here. ``CognitoSyncServer``
and ``MockLeftStartedWarning`` are imported at first use, so that importing the package
pulls in neither ``http.server`` nor pytest.
"""

from typing import TYPE_CHECKING, Any

from .backend import Backend, Limits
from .exceptions import CognitoSyncError, LambdaThrottled, NoSuchDataset
from .mock import mock_cognito_sync
from .snapshot import SnapshotError
from .state import Call

if TYPE_CHECKING:
    from .pytest_plugin import MockLeftStartedWarning
    from .server import CognitoSyncServer

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "CognitoSyncServer":
        from .server import CognitoSyncServer

        return CognitoSyncServer
    if name == "MockLeftStartedWarning":  # a pytest warning: it needs pytest
        from .pytest_plugin import MockLeftStartedWarning

        return MockLeftStartedWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Backend",
    "Call",
    "CognitoSyncError",
    "CognitoSyncServer",
    "LambdaThrottled",
    "Limits",
    "MockLeftStartedWarning",
    "NoSuchDataset",
    "SnapshotError",
    "__version__",
    "mock_cognito_sync",
]
