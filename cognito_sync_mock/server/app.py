"""The server's WSGI application: it routes, and turns every failure into an error answer.

``/`` is the dashboard, ``/_mock/...`` the control endpoints and ``/moto-api/...`` moto's:
the control plane, closed to web pages of other origins and to host names that are not
loopback (DNS rebinding). Cognito Sync requests are answered by the protocol layer from the
server's State; every other service's by moto's WSGI application in this process, when the
server hosts it (``gateway``: which is which); both with the CORS answers browser SDKs need.
HTTP itself (framing, connections, threads) is the WSGI server's: any can host the app
(``make_app``).
"""

from __future__ import annotations

import http
import ipaddress
import json
import logging
import re
import time
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

from .. import protocol
from ..ids import check_seed
from ..protocol import Request, Response
from . import control, gateway
from .gateway import CONTROL, MOTO_API, OTHER, SYNC
from .responses import Refusal, error, whole_number

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .lifecycle import CognitoSyncServer

logger = logging.getLogger("cognito_sync_mock.server")

DRAIN_BYTES = 64 * 1024 * 1024  # a body over the limit up to this is read and dropped, so the client sees the 413
DASHBOARD = gateway.DASHBOARD_PATHS
MOTO_RESET = "/moto-api/reset"
MOTO_SEED = "/moto-api/seed"
GET_CREDENTIALS = "AWSCognitoIdentityService.GetCredentialsForIdentity"
_NAME = re.compile(r"[a-z0-9_.-]+")  # a host name or an IPv4 address
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]]+))(?::[0-9]*)?")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date",
}
_DASHBOARD_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",  # no other page may frame it and trick a click on its Reset button
    "Content-Security-Policy": "frame-ancestors 'none'",
}


def make_app(server: CognitoSyncServer | None = None) -> App:
    """The WSGI application answering from ``server`` (a new ``CognitoSyncServer()`` when None)."""
    if server is None:
        from .lifecycle import CognitoSyncServer

        server = CognitoSyncServer()
    return App(server)


class App:
    """The WSGI callable of one CognitoSyncServer: routes only; its State answers the API."""

    def __init__(self, server: CognitoSyncServer) -> None:
        protocol.service()  # read the model now: concurrent first requests would each read it again
        self.server = server
        self.dashboard = resources.files("cognito_sync_mock").joinpath("dashboard.html").read_bytes()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"]
        path = _path(environ)
        headers = _headers(environ)
        kind, service = gateway.route(method, path, headers, environ.get("QUERY_STRING", ""))
        if kind == OTHER and self.server.moto_app is None and service is None and "x-amz-target" not in headers:
            kind = SYNC  # nothing names another service: Cognito Sync's protocol says what is wrong
        closed = kind not in (SYNC, OTHER)
        what = "-"  # what answered, for the log: the operation, the control endpoint, or moto
        try:
            # first: the size limit comes before all
            body = read_body(
                environ, self.server.max_moto_body_bytes if kind in (OTHER, MOTO_API) else self.server.max_body_bytes
            )
            if closed:
                response, what = self._control_plane(environ, kind, method, path, headers, body)
            elif method == "OPTIONS" and "access-control-request-method" in headers:
                response, what = _preflight(headers), "preflight"
            elif kind == SYNC:
                response, what = self._api(environ, method, path, headers, body)
            else:
                response, what = self._other(environ, headers, service, body)
        except Refusal as refusal:
            request_id = self.server.state.request_id()
            if kind == OTHER:  # in the shape the other service's SDK reads
                target = headers.get("x-amz-target")
                response = gateway.error(request_id, service, target, refusal.status, refusal.code, refusal.message)
            else:
                response = refusal.response(request_id)
        except Exception as exc:  # a bug here must not reach the client as a traceback
            logger.exception("cognito_sync_mock server failed on %s %s", method, path)
            failure = f"The mock server failed: {type(exc).__name__}: {exc}"
            response = error(self.server.state.request_id(), 500, "InternalErrorException", failure)
        if closed:
            response.headers["X-Content-Type-Options"] = "nosniff"  # never read cross-origin as a script
        else:
            for name, value in _CORS.items():
                response.headers.setdefault(name, value)
        if logger.isEnabledFor(logging.INFO):  # the access log costs nothing when it is off
            elapsed = (time.perf_counter() - started) * 1000
            logger.info("%s %s %s %d %s %.1f ms", method, path, what, response.status, response.error or "-", elapsed)
        return _send(response, method, start_response)

    # -- the AWS API ---------------------------------------------------------------------

    def _api(
        self, environ: WSGIEnvironment, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Response, str]:
        request = Request(method, path, environ.get("QUERY_STRING", ""), headers, body)
        response = self.server.answer(request)  # a change is in the state database before its answer
        return response, response.operation or "-"

    # -- every other service: moto ---------------------------------------------------------

    def _other(
        self, environ: WSGIEnvironment, headers: dict[str, str], service: str | None, body: bytes
    ) -> tuple[Response, str]:
        """moto's answer; GetCredentialsForIdentity's with keys of that identity (strict mode tells them apart)."""
        target = headers.get("x-amz-target")
        app = self.server.moto_app
        if app is None:
            request_id = self.server.state.request_id()
            return gateway.unavailable(request_id, service, target, not self.server.with_moto), "no moto"
        response = gateway.forward(app, environ, body)
        for name, value in _CORS.items():
            if not any(key.lower() == name.lower() for key in response.headers):
                response.headers[name] = value
        if target == GET_CREDENTIALS and response.status == 200:
            answer = json.loads(response.body)
            self.server.adopt_credentials(Request("POST", "/", "", headers).access_key, answer)
            response.body = json.dumps(answer).encode()
        return response, f"moto {service or target or '-'}"

    # -- the control plane ---------------------------------------------------------------

    def _control_plane(
        self, environ: WSGIEnvironment, kind: str, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Response, str]:
        host = headers.get("host")
        if path != control.HEALTH and not allowed_host(host, self.server.allow_hosts):
            raise Refusal(
                403,
                "The mock's control plane answers only loopback host names (localhost, 127.0.0.1, [::1]) "
                f"and those allowed with --allow-host; this request's Host is {host!r}",
                "Forbidden",
            )
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"{environ.get('wsgi.url_scheme', 'http')}://{host}".lower():
            raise Refusal(
                403,
                f"The mock's control plane refuses requests from web pages of other origins; this one is {origin!r}",
                "Forbidden",
            )
        if kind == MOTO_API:
            return self._moto_api(environ, method, path, body)
        if kind != CONTROL:  # the dashboard
            if method not in ("GET", "HEAD"):
                raise Refusal(405, f"{method} is not allowed on the dashboard", "MethodNotAllowed")
            return Response(200, dict(_DASHBOARD_HEADERS), self.dashboard), "dashboard"
        if method == "POST":
            _require_json(headers.get("content-type"), path)
        answer = control.answer(self.server, method, path, environ.get("QUERY_STRING", ""), body)
        return answer.response, f"/_mock/{answer.endpoint}"

    def _moto_api(self, environ: WSGIEnvironment, method: str, path: str, body: bytes) -> tuple[Response, str]:
        """moto's own control plane; its reset empties this server's Cognito Sync state too, its seed seeds it."""
        app = self.server.moto_app
        if app is None:
            request_id = self.server.state.request_id()
            return gateway.unavailable(request_id, "moto-api", None, not self.server.with_moto), "no moto"
        if path == MOTO_RESET and method == "POST":
            self.server.reset()  # moto's backends and the Cognito Sync state, together
            return Response(200, {"Content-Type": "application/json"}, b'{"status": "ok"}'), path
        seed = _moto_seed(environ.get("QUERY_STRING", ""), body) if path == MOTO_SEED else None  # any method, as moto
        response = gateway.forward(app, environ, body)
        if seed is not None and response.status == 200:  # moto took it: seed ours the same
            self.server.seed_ids(seed)
        return response, path


def _moto_seed(query: str, body: bytes) -> int:
    """The seed of ``/moto-api/seed?a=N`` (POST, or GET as some clients send) for this server's values.

    What would seed moto and not us the same, or fail inside moto, is refused before moto
    sees it, so that the two are seeded together or not at all: a body (moto would read
    ``a`` from a form or JSON body instead), an ``a`` that is missing or not a whole number
    from 0 to 2**64 - 1.
    """
    if body:
        raise Refusal(400, f"{MOTO_SEED} takes its seed in the query (?a=N), not in a body of {len(body)} bytes")
    given = next((value for name, value in parse_qsl(query, keep_blank_values=True) if name == "a"), None)
    seed = None if given is None else whole_number(given)
    if seed is None:
        raise Refusal(400, f"{MOTO_SEED} needs ?a=N, a whole number from 0 to {2**64 - 1}; not {given!r}")
    try:
        check_seed(seed)
    except ValueError as error:
        raise Refusal(400, f"{MOTO_SEED}: {error}") from None
    return seed


# -- the request -----------------------------------------------------------------------


def _path(environ: WSGIEnvironment) -> str:
    """The request's path, still percent-encoded as sent (the protocol decodes each label once)."""
    target: str | None = environ.get("REQUEST_URI") or environ.get("RAW_URI")  # cheroot, uWSGI / gunicorn
    if target is None:  # PEP 3333 only: the decoded path (bytes as latin-1), encoded again
        decoded = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        return quote(decoded.encode("latin-1"), safe="/:@!$&'()*+,;=")
    if not target.startswith("/"):  # the absolute form http://host/path, or the asterisk form (OPTIONS *)
        path = urlsplit(target).path
        return path if path.startswith("/") else "/"
    return target.partition("?")[0]


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """The request's headers by lower-case name, as the protocol takes them."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes before any of it is kept."""
    stream = environ["wsgi.input"]
    text = environ.get("CONTENT_LENGTH") or ""
    if text:
        length = whole_number(text)
        if length is None:
            raise Refusal(400, f"Content-Length is not a valid number: {text[:40]!r}")
        if length > limit:
            if length <= DRAIN_BYTES and "100-continue" not in environ.get("HTTP_EXPECT", "").lower():
                _drain(stream, length)  # else the client may be reset before it reads the answer
            raise Refusal(413, f"The request body of {length} bytes is larger than the limit of {limit} bytes")
        body = _read(stream, length) if length else b""
        if len(body) < length:
            raise Refusal(400, f"The request body ended after {len(body)} of {length} bytes")
        return body
    if environ.get("wsgi.input_terminated"):  # a chunked body: read to its end
        bound = getattr(stream, "bound", None)  # the host's bounded reader (host.py) refuses a chunk past it
        if bound is not None:
            bound(limit)
        body = _read(stream, limit + 1)
        if len(body) > limit:
            raise Refusal(413, f"The request body is larger than the limit of {limit} bytes")
        return body
    return b""


def _read(stream: Any, size: int) -> bytes:
    try:
        data: bytes = stream.read(size)
    except OSError as failure:  # the client stalled past the timeout, or went away
        raise Refusal(400, f"The request body could not be read: {failure or type(failure).__name__}") from None
    return data


def _drain(stream: Any, length: int) -> None:
    """Read and drop a body, a piece at a time."""
    remaining = length
    while remaining > 0:
        chunk = _read(stream, min(remaining, 1 << 20))
        if not chunk:
            return
        remaining -= len(chunk)


def allowed_host(host: str | None, allowed: frozenset[str]) -> bool:
    """Whether a Host header names a loopback address or name (``localhost``, ``*.localhost``), or one allowed."""
    name = host_name(host or "")
    if name is None:
        return False
    if name == "localhost" or name.endswith(".localhost") or name in allowed:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False


def host_name(host: str) -> str | None:
    """The name or address of a Host header, in lower case, without port or brackets (None if malformed)."""
    match = _HOST.fullmatch(host.strip())
    if match is None:
        return None
    return (match["ipv6"] or match["name"]).lower()


def allowed_name(name: str) -> str:
    """A name for ``--allow-host``, as Host headers are compared: lower case, without brackets; ValueError if bad."""
    text = name.strip().lower()
    bracketed = text.startswith("[") and text.endswith("]")
    bare = text[1:-1] if bracketed else text
    if bracketed or not _NAME.fullmatch(bare):
        try:
            ipaddress.IPv6Address(bare)
        except ValueError:
            raise ValueError(f"an allowed host is a host name or an address, without a port: not {name!r}") from None
    return bare


def _require_json(content_type: str | None, path: str) -> None:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media != "application/json":
        sent = f"is {content_type!r}" if content_type else "has none"
        message = f"POST {path} needs Content-Type: application/json; this request's {sent}"
        raise Refusal(415, message, "UnsupportedMediaType")


# -- the answer ------------------------------------------------------------------------


def _preflight(headers: Mapping[str, str]) -> Response:
    """A CORS preflight of the API: browser SDKs may call it from any page."""
    allowed = {
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "*"),
        "Access-Control-Max-Age": "600",
    }
    return Response(204, allowed, b"")


_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


def _send(response: Response, method: str, start_response: StartResponse) -> list[bytes]:
    headers = list(response.headers.items())
    if "Content-Length" not in response.headers:  # moto's answer to a HEAD keeps its own
        headers.append(("Content-Length", str(len(response.body))))
    start_response(_STATUS_LINES.get(response.status) or f"{response.status} Unknown", headers)
    if method == "HEAD" or response.status in (204, 304):
        return []
    return [response.body]
