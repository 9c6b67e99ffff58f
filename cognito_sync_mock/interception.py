"""The botocore hook: the only code that touches botocore internals.

While a mock is active, ``Endpoint._do_get_response`` is wrapped at class level, which
reaches every client in the process, also clients made before the mock started. For a
``cognito-sync`` request the wrapper puts our ``before-send`` handler first on that
client's event emitter (once per emitter), so our answer wins over any other handler
(moto's included) and then flows through botocore's own checksum, history and parsing.
Requests of other services pass through untouched.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.endpoint import Endpoint

from .protocol import SERVICE_NAME, Request
from .state import State

_HANDLER_ID = "cognito_sync_mock.answer"
_original: Callable[..., Any] | None = None
_state: State | None = None


class _Raw:
    """The raw-response object AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def to_request(prepared: AWSPreparedRequest) -> Request:
    """A botocore prepared request as the protocol layer's plain Request."""
    url = urlsplit(prepared.url)
    headers = {}
    for name, value in prepared.headers.items():
        headers[name.lower()] = value.decode() if isinstance(value, bytes) else value
    if url.netloc and "host" not in headers:
        headers["host"] = url.netloc
    body = prepared.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        body = body.read()
        if position is not None:
            prepared.body.seek(position)  # type: ignore[union-attr]
    if isinstance(body, str):
        body = body.encode()
    return Request(prepared.method, url.path or "/", url.query, headers, bytes(body))


def _answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """The before-send handler: answer a cognito-sync request while a mock is active."""
    state = _state
    if state is None:
        return None
    response = state.handle(to_request(request))
    return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))


def _do_get_response(self: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
    if _state is not None and operation_model.service_model.endpoint_prefix == SERVICE_NAME:
        emitter = self._event_emitter
        if not getattr(emitter, "_cognito_sync_mock", False):
            emitter.register_first(f"before-send.{SERVICE_NAME}", _answer, unique_id=_HANDLER_ID)
            emitter._cognito_sync_mock = True
    assert _original is not None
    return _original(self, request, operation_model, context)


def install(state: State) -> None:
    """Start answering cognito-sync requests from ``state``."""
    global _original, _state
    _state = state
    if _original is None:
        _original = Endpoint._do_get_response
        Endpoint._do_get_response = _do_get_response  # type: ignore[method-assign]


def uninstall() -> None:
    """Stop answering: every request goes to botocore's own path again."""
    global _original, _state
    _state = None
    # Unwrap only when ours is still on top; under another wrapper ours stays in the
    # chain and passes everything through.
    if _original is not None and Endpoint.__dict__.get("_do_get_response") is _do_get_response:
        Endpoint._do_get_response = _original  # type: ignore[method-assign]
        _original = None
