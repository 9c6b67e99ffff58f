"""Cognito Sync over HTTP, for clients that are not botocore (AWS CLI, JavaScript SDKs, apps).

The same ``State`` and ``protocol`` as the in-process mock answer every request: the
server only turns HTTP into a ``protocol.Request`` (header names in lower case) and back.
Beside the API it serves the dashboard at ``/`` and control endpoints under ``/_mock/``.
It never installs the in-process interception.

The stdlib's ``ThreadingHTTPServer`` does the HTTP: one thread per connection, HTTP/1.1
keep-alive, every body framed by Content-Length (or chunked), capped in size.
"""

from __future__ import annotations

import datetime as _dt
import http.server
import json
import logging
import os
import re
import socket
import socketserver
import threading
from importlib import resources
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from . import forks
from .api import StateAPI
from .exceptions import InvalidParameterError
from .protocol import Request, Response, json_object, message_body, request_id
from .protocol.serialize import epoch
from .state import State, read_state
from .store import Durable, Scope, Store, StoreError
from .views import state_view

logger = logging.getLogger("cognito_sync_mock.server")

DEFAULT_HOST = "127.0.0.1"
MAX_BODY_BYTES = 8 * 1024 * 1024  # a Cognito Sync request is at most about 1 MB of records
DRAIN_BYTES = 64 * 1024 * 1024  # an oversized body up to this is read and dropped, so the client sees the answer
IDLE_SECONDS = 60.0  # a keep-alive connection idle this long is closed
_DIGITS = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,15}")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date",
}


class CognitoSyncServer(StateAPI):
    """An HTTP server answering Cognito Sync from its own State, with the mock's Python API.

    Use it as a context manager (``with CognitoSyncServer() as server:``) or through
    ``start()`` / ``stop()``; ``url`` is where it listens (``port=0`` picks a free port).
    With ``state_file`` it keeps the state in that SQLite database (``store``): it starts from
    it (or, when the database is new, from ``state``) and writes each change to it, in one
    transaction, before answering; a change that cannot be written is answered 500 and
    applied nowhere.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        state: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self._state = State(account_id, strict, limits)
        seed = read_state(state)
        if seed is not None:
            self._state.restore(seed)  # a snapshot (or its short form), as mock_cognito_sync(state=...)
        self.store = None if state_file is None else Store(state_file)
        self._durable = Durable(self._state, self.store)
        if self.store is not None:
            saved = self.store.load()
            if saved is not None:
                self._state.restore(saved)  # the database, once it holds a state, wins over the seed
            else:
                self.store.replace(self._state.backends)  # a new database starts from the seed
        self.host = host
        self.port = port
        self.max_body_bytes = max_body_bytes
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = forks.renewed(self, "_lock", threading.Lock)

    @property
    def state(self) -> State:
        """The State every request of this server is answered from."""
        return self._state

    def _endpoint_url(self) -> str | None:
        return self.url

    @property
    def url(self) -> str:
        """The base URL the server listens on, e.g. ``http://127.0.0.1:50123``."""
        http_server = self._http
        if http_server is None:
            raise RuntimeError("the CognitoSyncServer is not running: call start() first")
        host, port = str(http_server.server_address[0]), int(http_server.server_address[1])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._http is not None

    def start(self) -> CognitoSyncServer:
        """Bind the port and answer requests in a background thread."""
        with self._lock:
            if self._http is not None:
                raise RuntimeError("the CognitoSyncServer is already running")
            http_server = _HTTPServer(self.host, self.port, self)
            thread = threading.Thread(
                target=http_server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"cognito-sync-mock-server:{http_server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._http, self._thread = http_server, thread
            self._state.channels.streams.base_url = self.url  # S3Url payloads are answered here
        logger.info("Cognito Sync mock listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop listening, close every open connection and wait for the serving thread."""
        with self._lock:
            http_server, thread = self._http, self._thread
            self._http = self._thread = None
            self._state.channels.streams.base_url = None
        if http_server is None:
            return
        http_server.shutdown()
        http_server.server_close()
        http_server.close_connections()
        if thread is not None:
            thread.join()

    # -- persistence -------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        """Answer one Cognito Sync request; a change is in the state database before it is answered."""
        return self._durable.answer(request)

    def change(self, scope: Scope, apply: Callable[[], Any]) -> Any:
        """Run a change of the mock's own API on ``scope`` and write it, all or nothing."""
        return self._durable.change(scope, apply)

    def save(self) -> dict[str, Any]:
        """Write the whole state to the state database now (if there is one) and return it.

        Requests save by themselves; this is for changes made through ``backend()`` directly.
        """
        with self._durable.lock:
            self._durable.replace(self._state.backends)
            return self.snapshot()

    def reset(self) -> None:
        """Empty every backend, the calls, the side channels' outboxes and faults (and save); all or nothing."""
        self._durable.replace({}, super().reset)

    def restore(self, snapshot: Any) -> None:
        """Replace the whole state with a snapshot (or the short form), all or nothing (and save)."""
        backends = self._state.load(snapshot)
        self._durable.replace(backends, lambda: self._state.install(backends))

    def __enter__(self) -> CognitoSyncServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._http is not None else "stopped"
        return f"<CognitoSyncServer {where}>"


class _HTTPServer(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its CognitoSyncServer and its open connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, port: int, app: CognitoSyncServer) -> None:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        self.address_family = infos[0][0]
        self.app = app
        self.dashboard = resources.files(__package__).joinpath("dashboard.html").read_bytes()
        self._connections: set[socket.socket] = set()
        self._connections_lock = forks.renewed(self, "_connections_lock", threading.Lock)
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """End every connection still open (idle keep-alive ones included)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failure in one connection is logged, never printed as a traceback to stderr."""
        logger.debug("connection from %s failed", client_address, exc_info=True)


class _ClientError(Exception):
    """A request the server layer refuses before it reaches the protocol."""

    def __init__(self, status: int, message: str, code: str = "InvalidParameterException", close: bool = False):
        super().__init__(message)
        self.status, self.message, self.code, self.close = status, message, code, close


class _Handler(http.server.BaseHTTPRequestHandler):
    """One connection: every HTTP method goes through ``_serve``."""

    protocol_version = "HTTP/1.1"
    server_version = "cognito-sync-mock"
    timeout = IDLE_SECONDS
    disable_nagle_algorithm = True  # else small answers wait ~40 ms for the client's delayed ACK
    wbufsize = 64 * 1024  # status line, headers and body leave in one write
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any method: the protocol answers 404 for one it has no route for
            return self._serve
        raise AttributeError(name)

    # -- one request -------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            response = self._answer()
        except OSError:  # the client went away or stalled past the idle timeout
            self.close_connection = True
            return
        except _ClientError as error:
            if error.close:
                self.close_connection = True
            response = _error(error.status, error.code, error.message)
        except Exception as exc:  # a bug here must not kill the connection's thread silently
            logger.exception("cognito_sync_mock server failed on %s %s", self.command, self.path)
            self.close_connection = True
            response = _error(500, "InternalErrorException", f"The mock server failed: {type(exc).__name__}: {exc}")
        self._write(response)

    def _answer(self) -> Response:
        path, query = _split_target(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.command == "OPTIONS" and "access-control-request-method" in headers:
            return _preflight(headers)
        body = self._read_body()
        app = self.server.app
        if path in ("/", "/index.html"):
            if self.command not in ("GET", "HEAD"):
                raise _ClientError(405, f"{self.command} is not allowed on the dashboard", "MethodNotAllowed")
            return Response(
                200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, self.server.dashboard
            )
        if path == "/_mock" or path.startswith("/_mock/"):
            return _control(app, self.command, path, query, body)
        return app.answer(Request(self.command, path, query, headers, body))

    def _read_body(self) -> bytes:
        limit = self.server.app.max_body_bytes
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _ClientError(400, f"Transfer-Encoding {encoding!r} is not supported", close=True)
            return self._read_chunked(limit)
        text = self.headers.get("Content-Length")
        if text is None:
            return b""
        if not _DIGITS.fullmatch(text.strip()):
            raise _ClientError(400, f"Content-Length is not a valid number: {text[:40]!r}", close=True)
        length = int(text.strip())
        if length > limit:
            if length <= DRAIN_BYTES:
                self._drain(length)
            raise _ClientError(413, _too_large(length, limit), close=True)
        body = self.rfile.read(length)
        if len(body) < length:
            raise _ClientError(400, f"The request body ended after {len(body)} of {length} bytes", close=True)
        return body

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_text = self.rfile.readline(1024).split(b";")[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _ClientError(400, "The chunked request body is malformed", close=True)
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > limit:
                raise _ClientError(413, _too_large(total, limit), close=True)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(1024).strip():
                raise _ClientError(400, "The chunked request body is malformed", close=True)
            chunks.append(chunk)
        for _ in range(100):  # trailers, up to the blank line
            if self.rfile.readline(8192).strip() == b"":
                break
        return b"".join(chunks)

    def _drain(self, length: int) -> None:
        """Read and drop an oversized body, so that the client is not reset before it reads the answer."""
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                return
            remaining -= len(chunk)

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it."""
        text = (self.headers.get("Content-Length") or "").strip()
        if _DIGITS.fullmatch(text) and int(text) > self.server.app.max_body_bytes:
            self.close_connection = True
            self._write(_error(413, "InvalidParameterException", _too_large(int(text), self.server.app.max_body_bytes)))
            return False
        return super().handle_expect_100()

    # -- writing -----------------------------------------------------------------------

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            for name, value in _CORS.items():
                if name not in response.headers:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and response.status not in (204, 304):
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:  # the client went away
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by http.server itself (bad request line, headers too long): JSON too."""
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # so that the answer has a status line and headers
        self.close_connection = True
        text = message or self.responses.get(code, ("Error",))[0]
        self._write(_error(code, "InternalErrorException" if code >= 500 else "InvalidParameterException", text))

    def log_message(self, format: str, *args: Any) -> None:
        if logger.isEnabledFor(logging.INFO):  # the access log costs nothing when it is off
            logger.info("%s %s", self.address_string(), format % args)


# -- helpers -------------------------------------------------------------------------


def _split_target(target: str) -> tuple[str, str]:
    """Path (still percent-encoded) and query of a request target (origin or absolute form)."""
    if not target.startswith("/"):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path, query.partition("#")[0]


def _too_large(length: int, limit: int) -> str:
    return f"The request body of {length} bytes is larger than the limit of {limit} bytes"


def _json(value: Any) -> bytes:
    """ASCII JSON: any string a request carried (a lone surrogate too) can be shown."""
    return json.dumps(value, default=_json_default).encode("ascii")


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return epoch(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def _headers(content_type: str = "application/json") -> dict[str, str]:
    return {"Content-Type": content_type, "x-amzn-RequestId": request_id()}


def _error(status: int, code: str, message: str) -> Response:
    """An error in the wire format of the API: JSON message, x-amzn-ErrorType header."""
    headers = _headers()
    headers["x-amzn-ErrorType"] = f"{code}:"
    return Response(status, headers, message_body(message), error=code)


def _preflight(headers: Mapping[str, str]) -> Response:
    """A CORS preflight: browsers may call the API and the control endpoints from any page."""
    allowed = {
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "*"),
        "Access-Control-Max-Age": "600",
    }
    return Response(204, allowed, b"")


# -- control endpoints -----------------------------------------------------------------

_Query = dict[str, str]
_Control = Callable[[CognitoSyncServer, _Query, dict[str, Any]], Any]
_ENDPOINTS: dict[str, dict[str, tuple[_Control, str, bool]]] = {}  # name -> method -> (func, doc, saves)


def _endpoint(method: str, name: str, doc: str, saves: bool = False) -> Callable[[_Control], _Control]:
    """Register a control endpoint; ``saves``: it changes the state, which the state database keeps with it."""

    def register(func: _Control) -> _Control:
        _ENDPOINTS.setdefault(name, {})[method] = (func, doc, saves)
        return func

    return register


def _control(app: CognitoSyncServer, method: str, path: str, query: str, body: bytes) -> Response:
    """Answer ``/_mock/<name>``: the mock's Python API, over HTTP."""
    name = path[len("/_mock") :].strip("/")
    if name == "":
        if method not in ("GET", "HEAD"):
            raise _ClientError(405, f"{method} is not allowed on /_mock/", "MethodNotAllowed")
        return Response(200, _headers(), _json(_index()))
    methods = _ENDPOINTS.get(name)
    params = dict(parse_qsl(query, keep_blank_values=True))
    if methods is None and "/" in name:  # one item of a collection, /_mock/<collection>/<id>
        collection, _, item = name.partition("/")
        methods, params["id"] = _ENDPOINTS.get(f"{collection}/{{id}}"), item
    if methods is None:
        raise _ClientError(404, f"No mock control endpoint {path}; GET /_mock/ lists them", "UnknownOperationException")
    found = methods.get("GET" if method == "HEAD" else method)
    if found is None:
        expected = " or ".join(methods)
        response = _error(405, "MethodNotAllowed", f"{path} takes {expected}, not {method}")
        response.headers["Allow"] = ", ".join(methods)
        return response
    func, _, saves = found
    document = _document(body)
    try:
        if saves:
            result = app.change(_scope(app, document), lambda: func(app, params, document))
        else:
            result = func(app, params, document)
    except (ValueError, TypeError, KeyError) as error:
        message = f"missing member {error}" if isinstance(error, KeyError) else str(error)
        raise _ClientError(400, f"{path}: {message}") from None
    except StoreError as error:  # the state database cannot be written: nothing was changed
        raise _ClientError(500, str(error), "InternalErrorException") from None
    return Response(200, _headers(), _json(result))


def _scope(app: CognitoSyncServer, document: Mapping[str, Any]) -> Scope:
    """What a control change names: the pool and identities of its document, in its account and region."""

    def text(name: str) -> str | None:
        value = document.get(name)
        return value if isinstance(value, str) else None

    identities = tuple(i for i in map(text, ("identity_id", "into_identity_id", "from_identity_id")) if i)
    return Scope(text("account_id") or app.state.account_id, text("region") or "us-east-1", text("pool_id"), identities)


def _index() -> dict[str, Any]:
    """``GET /_mock/``: each endpoint with its (first) method and what it does; ``methods`` when more."""
    index: dict[str, Any] = {}
    for key, methods in _ENDPOINTS.items():
        first, (_, doc, _) = next(iter(methods.items()))
        entry: dict[str, Any] = {"method": first, "does": doc}
        if len(methods) > 1:
            entry["methods"] = list(methods)
        index[f"/_mock/{key}"] = entry
    return index


def _document(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        return json_object(body)
    except InvalidParameterError as error:
        raise _ClientError(400, error.message) from None


def _text(document: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = document.get(name, default)
    if value is None:
        raise KeyError(name)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _where(document: Mapping[str, Any]) -> tuple[str, str | None]:
    region = _text(document, "region", "us-east-1")
    account = document.get("account_id")
    if account is not None and not isinstance(account, str):
        raise TypeError("account_id must be a string")
    return region, account


@_endpoint("GET", "state", "every account, region, pool, identity, dataset and record")
def _get_state(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return state_view(app.state)


@_endpoint("POST", "reset", "empty every backend, the calls, the side channels and injected faults")
def _reset(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.reset()
    return {"reset": True}


@_endpoint("GET", "calls", "the operations answered, in order")
def _calls(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return [{"operation": c.operation, "params": c.params, "error": c.error} for c in app.calls]


@_endpoint("GET", "push-notifications", "the silent pushes sent to subscribed devices")
def _push_notifications(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return app.push_notifications


@_endpoint("GET", "stream-records", "Cognito Streams records (query: stream_name, region, account_id)")
def _stream_records(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return app.stream_records(
        query.get("stream_name") or None, query.get("region") or "us-east-1", query.get("account_id") or None
    )


@_endpoint("GET", "stream-payloads/{id}", "the records behind an S3Url stream record's kinesisSyncRecordsURL")
def _stream_payload(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    try:
        return app.state.channels.streams.payload_of(query["id"])
    except KeyError:
        message = f"No stream payload {query['id']!r}: unknown to this server, or forgotten by a reset"
        raise _ClientError(404, message, "ResourceNotFoundException") from None


@_endpoint("POST", "inject-error", "make the next calls of an operation fail: {operation, code, message?, times?}")
def _inject_error(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    times = document.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool):
        raise TypeError("times must be a whole number")
    message = document.get("message")
    if message is not None and not isinstance(message, str):
        raise TypeError("message must be a string")
    app.inject_error(_text(document, "operation"), _text(document, "code"), message, times)
    return {"injected": times}


@_endpoint("POST", "hold-bulk-publishes", "keep bulk publishes IN_PROGRESS (or not): {hold}")
def _hold_bulk_publishes(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    hold = document.get("hold", True)
    if not isinstance(hold, bool):
        raise TypeError("hold must be true or false")
    app.hold_bulk_publishes = hold
    return {"hold_bulk_publishes": hold}


@_endpoint(
    "POST",
    "complete-bulk-publish",
    "complete a held bulk publish: {pool_id, region?, account_id?}",
    saves=True,
)
def _complete_bulk_publish(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.complete_bulk_publish(_text(document, "pool_id"), *_where(document))
    return {"completed": True}


@_endpoint(
    "POST",
    "fail-bulk-publish",
    "fail a held bulk publish: {pool_id, message, region?, account_id?}",
    saves=True,
)
def _fail_bulk_publish(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.fail_bulk_publish(_text(document, "pool_id"), _text(document, "message"), *_where(document))
    return {"failed": True}


@_endpoint(
    "POST",
    "register-identity-pool",
    "make a pool known (strict mode): {pool_id, region?, account_id?}",
    saves=True,
)
def _register_identity_pool(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.backend(*_where(document)).register_identity_pool(_text(document, "pool_id"))
    return {"registered": True}


@_endpoint(
    "POST",
    "register-identity",
    "make an identity known: {pool_id, identity_id, region?, account_id?}",
    saves=True,
)
def _register_identity(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.backend(*_where(document)).register_identity(_text(document, "pool_id"), _text(document, "identity_id"))
    return {"registered": True}


@_endpoint(
    "POST",
    "merge-identities",
    "merge identity B into A: {pool_id, into_identity_id, from_identity_id, region?, account_id?}",
    saves=True,
)
def _merge_identities(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.backend(*_where(document)).merge_identities(
        _text(document, "pool_id"), _text(document, "into_identity_id"), _text(document, "from_identity_id")
    )
    return {"merged": True}


@_endpoint("GET", "snapshot", "the whole state as a versioned JSON document (for restore); POST saves it first")
def _snapshot(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return app.snapshot()


@_endpoint("POST", "snapshot", "the whole state as a versioned JSON document, written to the state database if any")
def _save(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return app.save()


@_endpoint("POST", "restore", "replace the whole state with a snapshot (or its short form); all or nothing")
def _restore(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.restore(document)
    return {"restored": True}


@_endpoint("POST", "map-access-key", "put requests signed with a key in another account: {access_key_id, account_id}")
def _map_access_key(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    app.map_access_key(_text(document, "access_key_id"), _text(document, "account_id"))
    return {"mapped": True}


@_endpoint(
    "POST",
    "identity-credentials",
    "mint Cognito Identity credentials: {pool_id, identity_id, region?, account_id?}",
    saves=True,
)
def _identity_credentials(app: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    region, account = _where(document)
    keys = app.identity_credentials(_text(document, "pool_id"), _text(document, "identity_id"), region, account)
    return {
        "AccessKeyId": keys["aws_access_key_id"],
        "SecretAccessKey": keys["aws_secret_access_key"],
        "SessionToken": keys["aws_session_token"],
    }
