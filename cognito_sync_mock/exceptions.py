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


class LambdaSocketTimeoutError(CognitoSyncError):
    """The function did not answer in time; not in the service model, so answered 400, as AWS documents."""

    code = "LambdaSocketTimeoutException"


class InternalError(CognitoSyncError):
    code = "InternalErrorException"


class LambdaThrottled(Exception):
    """Raise this from a registered sync-trigger handler to get LambdaThrottledException."""


class NoSuchDataset(KeyError):
    """``Backend.dataset`` found no stored dataset of that name; the message says where it looked."""

    def __str__(self) -> str:
        return str(self.args[0])  # KeyError would quote the message as if it were a key


SHOWN_CHARACTERS = 64  # a longer value is quoted cut, with its length


def shown(value: object) -> str:
    """A value as a message about it quotes it: a long one cut, with its length."""
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}... ({len(text)} characters)"
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value)} characters)"


class InvalidValue(ValueError):
    """A value given to the mock's own API that breaks the rule of its kind; the message names the member."""

    def __init__(self, member: str, value: object, reason: str) -> None:
        super().__init__(f"{member} {shown(value)} is not valid: {reason}")
        self.member = member
        self.reason = reason


def error_for_code(code: str, message: str) -> CognitoSyncError:
    """Build an error of any code (also codes with no class here, e.g. injected faults)."""
    for cls in CognitoSyncError.__subclasses__():
        if cls.code == code:
            return cls(message)
    error = CognitoSyncError(message)
    error.code = code
    return error
