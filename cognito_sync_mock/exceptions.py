"""The errors the backend raises: one class per Cognito Sync error code.

Each carries the code (the model's error shape name) and the message; the protocol layer
turns it into the HTTP status and headers that the service model gives that code.
Shared by the layers (the domain and the channels raise them, the protocol answers them)
and so a leaf at the top of the package, importing nothing, like ``frozen``.
"""

from __future__ import annotations


class CognitoSyncError(Exception):
    """A Cognito Sync service error; ``code`` is the model's error shape name."""

    code = "InternalErrorException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidParameterError(CognitoSyncError):
    code = "InvalidParameterException"


class ResourceNotFoundError(CognitoSyncError):
    code = "ResourceNotFoundException"


class NotAuthorizedError(CognitoSyncError):
    code = "NotAuthorizedException"


class ResourceConflictError(CognitoSyncError):
    code = "ResourceConflictException"


class LimitExceededError(CognitoSyncError):
    code = "LimitExceededException"


class InvalidConfigurationError(CognitoSyncError):
    code = "InvalidConfigurationException"


class DuplicateRequestError(CognitoSyncError):
    code = "DuplicateRequestException"


class AlreadyStreamedError(CognitoSyncError):
    code = "AlreadyStreamedException"


class InvalidLambdaFunctionOutputError(CognitoSyncError):
    code = "InvalidLambdaFunctionOutputException"


class LambdaThrottledError(CognitoSyncError):
    code = "LambdaThrottledException"


class InternalError(CognitoSyncError):
    code = "InternalErrorException"


class LambdaThrottled(Exception):
    """Raise this from a registered sync-trigger handler to get LambdaThrottledException."""


class NoSuchDataset(KeyError):
    """``Backend.dataset`` found no stored dataset of that name; the message says where it looked."""

    def __str__(self) -> str:
        return str(self.args[0])  # KeyError would quote the message as if it were a key


def error_for_code(code: str, message: str) -> CognitoSyncError:
    """Build an error of any code (also codes with no class here, e.g. injected faults)."""
    for cls in CognitoSyncError.__subclasses__():
        if cls.code == code:
            return cls(message)
    error = CognitoSyncError(message)
    error.code = code
    return error
