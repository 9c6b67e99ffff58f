"""What the server answers outside the protocol: JSON in the API's error shape, and refusals.

Also ``whole_number``, how the server and the command line read a number they are given.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from ..protocol import Response, message_body
from ..protocol.serialize import epoch

_DIGITS = re.compile(r"[0-9]{1,20}")  # 20 digits reach 2**64 - 1, the largest seed


def whole_number(text: str) -> int | None:
    """``text`` as a whole number when it is 1 to 20 ASCII digits; None for all else.

    int() alone would also read "+1", " 1", "1_0" and other scripts' digits.
    """
    return int(text) if _DIGITS.fullmatch(text) else None


class Refusal(Exception):
    """A request the server refuses itself (not the protocol): its status, error code and message."""

    def __init__(self, status: int, message: str, code: str = "InvalidParameterException") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code

    def response(self, request_id: str) -> Response:
        """The refusal as an error answer with this ``x-amzn-RequestId``."""
        return error(request_id, self.status, self.code, self.message)


def headers(request_id: str, content_type: str = "application/json") -> dict[str, str]:
    """The headers of every answer: its type and its ``x-amzn-RequestId`` (made by the server's State)."""
    return {"Content-Type": content_type, "x-amzn-RequestId": request_id}


def error(request_id: str, status: int, code: str, message: str) -> Response:
    """An error in the wire format of the API: JSON message, ``x-amzn-ErrorType`` header."""
    answer = headers(request_id)
    answer["x-amzn-ErrorType"] = f"{code}:"
    return Response(status, answer, message_body(message), error=code)


def json_answer(request_id: str, value: Any) -> Response:
    """A 200 answer holding ``value`` as ASCII JSON, so that any string (a lone surrogate too) can be shown."""
    return Response(200, headers(request_id), json.dumps(value, default=_json_default).encode("ascii"))


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return epoch(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)
