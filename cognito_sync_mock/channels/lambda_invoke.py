"""A Lambda function behind the Lambda Invoke API (``sam local start-lambda``, the Lambda
runtime interface emulator), called in place of a Python handler for a sync trigger.

``POST {url}/2015-03-31/functions/{FunctionName}/invocations`` with the event as its JSON
body, as the Lambda Invoke API takes it; the answer is the function's output, or an error
the ``X-Amz-Function-Error`` header marks. Plain ``urllib``, never through a proxy: the
endpoint is a local runner, and no botocore stub (moto's, ours) may catch the call.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit

from ..exceptions import (
    CognitoSyncError,
    InvalidLambdaFunctionOutputError,
    LambdaSocketTimeoutError,
    LambdaThrottledError,
    shown,
)

TIMEOUT_SECONDS = 5.0  # AWS: the function "must respond within 5 seconds" (Amazon Cognito Events)
MAX_OUTPUT_BYTES = 6 * 1024 * 1024  # Lambda's limit on a synchronous invocation's response
MAX_URL_CHARACTERS = 2048
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def endpoint_url(url: object, member: str = "url") -> str:
    """``url`` without a trailing slash, when it is an http or https URL with a host; else ValueError."""
    if not isinstance(url, str):
        raise TypeError(f"{member} must be a string")
    try:
        parts = urlsplit(url)
        good = len(url) <= MAX_URL_CHARACTERS and parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - a bad port raises ValueError here
    except ValueError:
        good = False
    if not good:
        raise ValueError(f"{member} {shown(url)} is not an http or https URL with a host")
    if parts.query or parts.fragment:
        raise ValueError(f"{member} {shown(url)} has a query or a fragment; the Invoke API path is appended to it")
    return url.rstrip("/")


def function_failed(function_arn: str, kind: str, message: str) -> InvalidLambdaFunctionOutputError:
    """What a function that failed (raised, or answered a function error) makes UpdateRecords fail with."""
    return InvalidLambdaFunctionOutputError(f"Lambda function {function_arn} failed: {kind}: {message}")


class InvokeAPI:
    """A sync-trigger handler that runs the function of the context's name through the Invoke API at ``url``.

    Every failure is the Cognito Sync error AWS documents for it: no answer within
    5 seconds (or no connection) is LambdaSocketTimeoutException, a 429 is
    LambdaThrottledException, a function error or an output that is not JSON is
    InvalidLambdaFunctionOutputException.
    """

    def __init__(self, url: str, member: str = "url") -> None:
        self.url = endpoint_url(url, member)

    def __repr__(self) -> str:
        return f"InvokeAPI({self.url!r})"

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        arn, name = context.invoked_function_arn, context.function_name
        request = urllib.request.Request(
            f"{self.url}/2015-03-31/functions/{quote(name, safe='', errors='surrogatepass')}/invocations",
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "RequestResponse"},
            method="POST",
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
                body = answer.read(MAX_OUTPUT_BYTES + 1)
                function_error = answer.headers.get("X-Amz-Function-Error")
        except urllib.error.HTTPError as refused:
            raise self._refusal(arn, refused) from None
        except (OSError, http.client.HTTPException) as failure:
            raise self._silent(arn, failure) from None
        if len(body) > MAX_OUTPUT_BYTES:
            raise InvalidLambdaFunctionOutputError(f"Lambda function {arn} returned more than 6 MB")
        text = body.decode("utf-8", "replace")
        try:
            output = json.loads(text)
        except ValueError:
            if function_error is None:
                raise InvalidLambdaFunctionOutputError(
                    f"Lambda function {arn} returned output that is not JSON: {shown(text)}"
                ) from None
            output = None
        if function_error is not None:
            raise _function_error(arn, function_error, output, text)
        return output

    def _silent(self, arn: str, failure: Exception) -> LambdaSocketTimeoutError:
        """No answer: a timeout, or no connection (``URLError`` wraps the socket's error in ``reason``)."""
        reason = getattr(failure, "reason", failure)
        if isinstance(reason, TimeoutError):
            what = f"gave no answer within {TIMEOUT_SECONDS:g} seconds"
        else:
            what = f"cannot be reached: {reason}"
        return LambdaSocketTimeoutError(
            f"Lambda function {arn} did not respond: the Lambda Invoke API at {self.url} {what}"
        )

    def _refusal(self, arn: str, refused: urllib.error.HTTPError) -> CognitoSyncError:
        """A Lambda service error (not the function's): 429 is throttling, anything else a failed invocation."""
        error_type = (refused.headers.get("x-amzn-ErrorType") or "").partition(":")[0]
        what = f"the Lambda Invoke API at {self.url} answered {refused.code} {error_type}".rstrip()
        if refused.code == 429:
            return LambdaThrottledError(f"Lambda function {arn} was throttled: {what}")
        return InvalidLambdaFunctionOutputError(f"Lambda function {arn} could not be invoked: {what}: {_said(refused)}")


def _function_error(arn: str, kind: str, output: Any, text: str) -> InvalidLambdaFunctionOutputError:
    """The error a function answered (``{"errorType", "errorMessage"}``, as Lambda's runtimes write it)."""
    if isinstance(output, dict) and isinstance(output.get("errorMessage"), str):
        return function_failed(arn, str(output.get("errorType") or kind), output["errorMessage"])
    return function_failed(arn, kind, shown(text))


def _said(refused: urllib.error.HTTPError) -> str:
    """The message of a Lambda service error (``Message`` or ``message`` of its JSON), else its body, cut."""
    try:
        text = refused.read(4096).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return "(no body)"
    try:
        document = json.loads(text)
    except ValueError:
        return shown(text)
    message = document.get("Message", document.get("message")) if isinstance(document, dict) else None
    return message if isinstance(message, str) else shown(text)
