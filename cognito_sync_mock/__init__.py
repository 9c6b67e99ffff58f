"""cognito_sync_mock: AWS Cognito Sync, mocked in-process for boto3/botocore tests."""

from .backend import Backend, Limits
from .exceptions import CognitoSyncError, LambdaThrottled
from .mock import mock_cognito_sync
from .server import CognitoSyncServer
from .state import Call

__version__ = "0.1.0"
__all__ = ["Backend", "Call", "CognitoSyncError", "CognitoSyncServer", "LambdaThrottled", "Limits", "mock_cognito_sync", "__version__"]
