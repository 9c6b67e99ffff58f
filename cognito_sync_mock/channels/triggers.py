"""The sync trigger's plumbing: Python callables registered in place of Lambda functions.

The backend builds the event and reads the output (``backend.sync_trigger``); this calls the
function registered for the trigger's ARN, as Lambda would, with a copy of the event and
a small context, and turns what the function raises into the error AWS answers.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..exceptions import InvalidLambdaFunctionOutputError, LambdaThrottled, LambdaThrottledError
from ..ids import Ids

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

    def register(self, function_arn: str, handler: Handler) -> None:
        """Run ``handler(event, context)`` wherever a SyncTrigger names ``function_arn``."""
        self.handlers[function_arn] = handler

    def __contains__(self, function_arn: str) -> bool:
        return function_arn in self.handlers

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Any:
        """The output of the function registered for the ARN, called with a copy of ``event``."""
        handler = self.handlers[function_arn]
        try:
            return handler(copy.deepcopy(event), LambdaContext(function_arn, str(self.ids.uuid4())))
        except LambdaThrottled as throttled:
            raise LambdaThrottledError(str(throttled) or f"Lambda function {function_arn} was throttled") from None
        except Exception as exc:  # whatever the function raises, AWS reports it as bad output
            raise InvalidLambdaFunctionOutputError(
                f"Lambda function {function_arn} failed: {type(exc).__name__}: {exc}"
            ) from None
