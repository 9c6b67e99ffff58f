"""cognito_sync_mock: AWS Cognito Sync, mocked in-process for boto3/botocore tests."""

from typing import TYPE_CHECKING, Any

from .backend import Backend, Limits
from .exceptions import CognitoSyncError, LambdaThrottled
from .mock import mock_cognito_sync
from .state import Call

if TYPE_CHECKING:
    from .server import CognitoSyncServer

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The server (and http.server with it) is imported only by those who use it.
    if name == "CognitoSyncServer":
        from .server import CognitoSyncServer

        return CognitoSyncServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Backend",
    "Call",
    "CognitoSyncError",
    "CognitoSyncServer",
    "LambdaThrottled",
    "Limits",
    "mock_cognito_sync",
    "__version__",
]
