"""The botocore hook: the only code that touches botocore internals.

While a mock is active, ``Endpoint._do_get_response`` is wrapped at class level, which
reaches every client in the process, also clients made before the mock started. For a
``cognito-sync`` request the wrapper puts our ``before-send`` handler first on that
client's event emitter (once per emitter), so our answer wins over any other handler
(moto's included) and then flows through botocore's own checksum, history and parsing.
Requests of other services pass through untouched. aiobotocore's endpoint, which
overrides that method with a coroutine, gets the same treatment with an async response.
Under moto, GetCredentialsForIdentity answers get keys minted for their identity
(``integrations.moto.adopt_credentials``).

No credential look-up leaves the machine while a mock is active: botocore's credential
chain runs without its two network providers (the instance metadata service and the
container endpoint), and a cognito-sync request that has no credentials at all is signed
with dummy keys, whenever its client was made. Credentials the user configured are used
as they are.
"""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Mapping
from typing import Any, Callable, Iterator, cast

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import (
    ContainerProvider,
    CredentialResolver,
    Credentials,
    InstanceMetadataProvider,
    ReadOnlyCredentials,
)
from botocore.endpoint import Endpoint
from botocore.session import Session

from . import forks
from .integrations import moto
from .protocol import SERVICE_NAME, Request
from .state import State

_HANDLER_ID = "cognito_sync_mock.answer"
_DUMMY_CREDENTIALS = ReadOnlyCredentials("cognito-sync-mock", "cognito-sync-mock", None)
_NETWORK_PROVIDERS = (InstanceMetadataProvider, ContainerProvider)  # aiobotocore's subclass these
_state: State | None = None


class _Raw:
    """The raw-response object AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def to_request(prepared: AWSPreparedRequest) -> Request:
    """A botocore prepared request as the protocol layer's plain Request."""
    url = prepared.url
    scheme_end = url.find("://")
    path_start = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    host = url[scheme_end + 3 : path_start if path_start >= 0 else None] if scheme_end >= 0 else ""
    path, _, query = (url[path_start:] if path_start >= 0 else "/").partition("?")
    headers = _Headers(prepared.headers, host)
    return Request(prepared.method, path.partition("#")[0], query, headers, _body_bytes(prepared))


class _Headers(Mapping[str, str]):
    """botocore's request headers read by lower-case name, without copying them all."""

    __slots__ = ("_headers", "_host")

    def __init__(self, headers: Any, host: str) -> None:
        self._headers = headers  # botocore's HeadersDict: case-insensitive
        self._host = host

    def get(self, name: str, default: Any = None) -> Any:
        value = self._headers.get(name)
        if value is None:
            return self._host if name == "host" and self._host else default
        return value.decode() if isinstance(value, bytes) else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def __iter__(self) -> Iterator[str]:
        names = [name.lower() for name in self._headers.keys()]
        return iter([*names, "host"] if self._host and "host" not in names else names)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _body_bytes(prepared: AWSPreparedRequest) -> bytes:
    """The request body as bytes, leaving a file-like body where it was."""
    body: Any = prepared.body
    if type(body) is bytes:  # what botocore prepares
        return body
    if body is None:
        return b""
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None:
            body.seek(position)
        body = data
    return body.encode() if isinstance(body, str) else bytes(body)


def _answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """The before-send handler: answer a cognito-sync request while a mock is active."""
    state = _state
    if state is None:
        return None
    response = state.handle(to_request(request))
    return AWSResponse(request.url, response.status, cast(Any, response.headers), _Raw(response.body))


def _answer_async(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """The same handler for aiobotocore clients, whose responses are read with ``await``."""
    state = _state
    if state is None:
        return None
    from aiobotocore.awsrequest import AioAWSResponse  # type: ignore[import-untyped,unused-ignore]

    response = state.handle(to_request(request))
    answer = AioAWSResponse(request.url, response.status, cast(Any, response.headers), _AsyncRaw(response.body))
    return cast(AWSResponse, answer)


class _AsyncRaw:
    """The raw-response object AioAWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, *_: Any) -> bytes:
        return self._body


def _answer_first(emitter: Any, handler: Callable[..., Any]) -> None:
    """Put ``handler`` first on a client's emitter for cognito-sync, once per emitter."""
    if not getattr(emitter, "_cognito_sync_mock", False):
        emitter.register_first(f"before-send.{SERVICE_NAME}", handler, unique_id=_HANDLER_ID)
        emitter._cognito_sync_mock = True


def _do_get_response(self: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
    service = operation_model.service_model.endpoint_prefix
    if _state is not None and service == SERVICE_NAME:
        _answer_first(self._event_emitter, _answer)  # type: ignore[attr-defined]
    result = _original(Endpoint, "_do_get_response")(self, request, operation_model, context)
    if _state is not None and service == "cognito-identity" and operation_model.name == "GetCredentialsForIdentity":
        success, _error = result
        if success is not None:  # (http response, parsed answer)
            moto.adopt_credentials(_state, to_request(request).access_key, success[1])
    return result


async def _aio_do_get_response(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
    if _state is not None and operation_model.service_model.endpoint_prefix == SERVICE_NAME:
        _answer_first(self._event_emitter, _answer_async)
    return await _original(_aio_endpoint_class(), "_do_get_response")(self, request, operation_model, context)


def _session_init(self: Session, *args: Any, **kwargs: Any) -> None:
    _original(Session, "__init__")(self, *args, **kwargs)
    if _state is not None:
        _patch_aiobotocore()  # an AioSession: aiobotocore was imported, maybe after the mock started


def _offline(resolver: CredentialResolver) -> CredentialResolver:
    """A copy of a credential chain without the providers that ask a server on the network."""
    local = copy.copy(resolver)
    local.providers = [p for p in resolver.providers if not isinstance(p, _NETWORK_PROVIDERS)]
    return local


def _load_credentials(self: CredentialResolver) -> Credentials | None:
    """botocore's credential chain; while a mock is active, without its network providers.

    On a machine with no AWS configuration botocore would ask the instance metadata
    service and the container endpoint; while a mock is active nothing is asked.
    """
    resolver = self if _state is None else _offline(self)
    return _original(CredentialResolver, "load_credentials")(resolver)  # type: ignore[no-any-return]


async def _aio_load_credentials(self: Any) -> Credentials | None:
    """aiobotocore's credential chain, without its network providers while a mock is active."""
    resolver = self if _state is None else _offline(self)
    return await _original(_aio_resolver_class(), "load_credentials")(resolver)  # type: ignore[no-any-return]


def _sigv4_init(self: SigV4Auth, credentials: Any, service_name: str, region_name: str, **kwargs: Any) -> None:
    """A SigV4 signer; for a cognito-sync request without credentials, with dummy keys while active.

    botocore signs before the mock could answer and refuses to sign without credentials
    (NoCredentialsError), also for a client made before the mock started, which holds none.
    The keys are lent where the signer is made, so signing itself runs as botocore's own.
    """
    if credentials is None and _state is not None and service_name == SERVICE_NAME:
        credentials = _DUMMY_CREDENTIALS
    _original(SigV4Auth, "__init__")(self, credentials, service_name, region_name, **kwargs)


# -- patching, each replacement undone only if it is still the one in place ---------------

# (class, name) -> botocore's own function. Never removed: a call already inside one of
# our wrappers when the mock stops still finds the function it passes through to.
_originals: dict[tuple[type, str], Any] = {}
_installed: dict[tuple[type, str], Any] = {}  # (class, name) -> our replacement, while in place
# Sessions may be made (and patch aiobotocore) in any thread.
_patch_lock = forks.renewed(sys.modules[__name__], "_patch_lock", threading.RLock)


def _original(cls: type, name: str) -> Any:
    return _originals[(cls, name)]


def _patch(cls: type, name: str, replacement: Any) -> None:
    with _patch_lock:
        if (cls, name) not in _installed:
            _originals[(cls, name)] = cls.__dict__[name]
            _installed[(cls, name)] = replacement
            setattr(cls, name, replacement)


def _aio_endpoint_class() -> Any:
    return sys.modules["aiobotocore.endpoint"].AioEndpoint


def _aio_resolver_class() -> Any:
    return sys.modules["aiobotocore.credentials"].AioCredentialResolver


def _patch_aiobotocore() -> None:
    if "aiobotocore.endpoint" in sys.modules:
        _patch(_aio_endpoint_class(), "_do_get_response", _aio_do_get_response)
    if "aiobotocore.credentials" in sys.modules:
        _patch(_aio_resolver_class(), "load_credentials", _aio_load_credentials)


def install(state: State) -> None:
    """Start answering cognito-sync requests from ``state``."""
    global _state
    _state = state
    _patch(Endpoint, "_do_get_response", _do_get_response)
    _patch(Session, "__init__", _session_init)
    _patch(CredentialResolver, "load_credentials", _load_credentials)
    _patch(SigV4Auth, "__init__", _sigv4_init)
    _patch_aiobotocore()


def uninstall() -> None:
    """Stop answering: every request goes to botocore's own path again.

    A replacement that another library wrapped in turn stays in the chain, passing
    everything through, since unwrapping it would drop the other library's wrapper.
    """
    global _state
    _state = None
    with _patch_lock:
        for (cls, name), ours in list(_installed.items()):
            if cls.__dict__.get(name) is ours:
                setattr(cls, name, _originals[(cls, name)])
                del _installed[(cls, name)]
