"""The sync trigger's plumbing: the handler run in place of each Lambda function.

The backend builds the event and reads the output (``backend.sync_trigger``); this calls the
handler registered for the trigger's ARN, as Lambda would, with a copy of the event and
a small context, and turns what it raises into the error AWS answers. A handler is a
Python callable, or an ``InvokeAPI`` that runs the function behind a Lambda Invoke API
(``lambda_invoke``); ``default``, when set, runs every ARN with no handler of its own.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..exceptions import (
    InvalidLambdaFunctionOutputError,
    LambdaSocketTimeoutError,
    LambdaThrottled,
    LambdaThrottledError,
)
from ..ids import Ids
from .lambda_invoke import InvokeAPI, function_failed

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """The few context attributes a Python Lambda handler commonly reads."""

    def __init__(self, function_arn: str, request_id: str) -> None:
        self.invoked_function_arn = function_arn
        self.function_name = function_arn.split(":")[6] if function_arn.count(":") >= 6 else function_arn
        self.function_version = "$LATEST"
        self.aws_request_id = request_id
        self.memory_limit_in_mb = 128

    def get_remaining_time_in_millis(self) -> int:
        return 5000


class Triggers:
    """The handlers registered per Lambda function ARN (set-up, not state: a reset keeps them)."""

    def __init__(self, ids: Ids | None = None) -> None:
        self.handlers: dict[str, Handler] = {}
        self.ids = ids or Ids()  # where each invocation's aws_request_id comes from
        self.default: InvokeAPI | None = None

    def register(self, function_arn: str, handler: Handler) -> None:
        """Run ``handler(event, context)`` wherever a SyncTrigger names ``function_arn``."""
        self.handlers[function_arn] = handler

    def __contains__(self, function_arn: str) -> bool:
        return function_arn in self.handlers or self.default is not None

    def registrations(self) -> dict[str, Any]:
        """What runs for each ARN (an Invoke API URL or a callable's name) and for every other ARN."""
        return {
            "triggers": [{"function_arn": arn, **_described(handler)} for arn, handler in self.handlers.items()],
            "lambda_endpoint": self.default.url if self.default is not None else None,
        }

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Any:
        """The output of the function registered for the ARN (else the default), called with a copy of ``event``."""
        handler = self.handlers.get(function_arn, self.default)
        assert handler is not None, "invoke only an ARN the triggers contain"
        try:
            return handler(copy.deepcopy(event), LambdaContext(function_arn, str(self.ids.uuid4())))
        except (InvalidLambdaFunctionOutputError, LambdaThrottledError, LambdaSocketTimeoutError):
            raise  # a Lambda invocation's own errors (an InvokeAPI's), answered as they are
        except LambdaThrottled as throttled:
            raise LambdaThrottledError(str(throttled) or f"Lambda function {function_arn} was throttled") from None
        except Exception as exc:  # whatever the function raises, AWS reports it as bad output
            raise function_failed(function_arn, type(exc).__name__, str(exc)) from None


def _described(handler: Handler) -> dict[str, str]:
    if isinstance(handler, InvokeAPI):
        return {"url": handler.url}
    module = getattr(handler, "__module__", None) or "?"
    return {"handler": f"{module}:{getattr(handler, '__qualname__', type(handler).__qualname__)}"}
