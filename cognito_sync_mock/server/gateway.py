"""Which part of the server answers a request, and the hand-off of every other service to moto.

A request is Cognito Sync when its SigV4 credential scope names ``cognito-sync`` (in the
``Authorization`` header, or ``X-Amz-Credential`` in the query of a presigned URL), or,
unsigned, when it has no ``X-Amz-Target`` and its path is one of the model's routes
(``/identitypools...``). ``/_mock/`` is the mock's control plane, ``/moto-api/`` moto's,
other unsigned requests to ``/`` the dashboard (but a CORS preflight, or a form-encoded
``POST`` of a query-protocol service); anything else is for another service: moto's WSGI
application answers it in this process (``forward``), or, without moto, ``unavailable``
says which service was asked for and how to install moto, in the shape its SDK reads.
"""

from __future__ import annotations

import functools
import io
import json
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .. import protocol
from ..protocol import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

SYNC, CONTROL, DASHBOARD, MOTO_API, OTHER = "sync", "control", "dashboard", "moto-api", "other"
DASHBOARD_PATHS = frozenset({"/", "/index.html"})
INSTALL_HINT = "pip install 'cognito-sync-mock[server]'"
UNAVAILABLE_STATUS = 501  # Not Implemented: no SDK retries it (they retry 429, 500, 502, 503 and 504)
_SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/[^/,\s]*/[^/,\s]*/([^/,\s]+)/")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_TARGET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")


class Route(NamedTuple):
    """Who answers a request; for another service, the service its credential scope names (if signed)."""

    kind: str
    service: str | None = None


@functools.cache
def _sync_roots() -> frozenset[str]:
    """The first path segments of Cognito Sync's routes (all ``identitypools``)."""
    return frozenset(str(operation.segments[0]) for operation in protocol.service().operations.values())


def route(method: str, path: str, headers: Mapping[str, str], query: str) -> Route:
    """Who answers a request, from its path, headers and query only (the body is not read yet)."""
    if path == "/_mock" or path.startswith("/_mock/"):
        return Route(CONTROL)
    service = signed_service(headers, query)
    if service is not None:
        return Route(SYNC) if service == protocol.SERVICE_NAME else Route(OTHER, service)
    if "x-amz-target" in headers:
        return Route(OTHER)
    if path.split("/", 2)[1] in _sync_roots():
        return Route(SYNC)
    if path in DASHBOARD_PATHS and not _form_or_preflight(method, headers):
        return Route(DASHBOARD)
    if path == "/moto-api" or path.startswith("/moto-api/"):
        return Route(MOTO_API)
    return Route(OTHER)


def _form_or_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """A CORS preflight, or an unsigned query-protocol call (STS AssumeRoleWithWebIdentity): not the dashboard's."""
    if method == "OPTIONS":
        return "access-control-request-method" in headers
    return method == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def signed_service(headers: Mapping[str, str], query: str) -> str | None:
    """The service name of a request's SigV4 credential scope (header, else presigned query), in lower case."""
    authorization = headers.get("authorization")
    if authorization:
        found = _SCOPE_SERVICE.search(authorization)
        if found:
            return found.group(1).lower()
    if "X-Amz-Credential=" in query:
        credential = dict(parse_qsl(query)).get("X-Amz-Credential", "")
        parts = credential.split("/")
        if len(parts) == 5 and parts[3]:
            return parts[3].lower()
    return None


# -- moto ----------------------------------------------------------------------------------


def forward(app: WSGIApplication, environ: WSGIEnvironment, body: bytes) -> Response:
    """moto's answer to a request whose body was read already: it gets the body afresh.

    Its headers are kept but the hop-by-hop ones (the server frames the answer itself);
    the Content-Length of a HEAD answer (an S3 object's size) is kept too.
    """
    inner = dict(environ)
    inner["wsgi.input"] = io.BytesIO(body)
    inner["CONTENT_LENGTH"] = str(len(body))
    inner.pop("wsgi.input_terminated", None)
    inner.pop("HTTP_TRANSFER_ENCODING", None)
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        started[:] = [status, headers]
        return written.append

    result = app(inner, start_response)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, raw_headers = started
    answer: dict[str, str] = {}
    for name, value in raw_headers:
        if name.lower() in _HOP_BY_HOP and not (
            environ["REQUEST_METHOD"] == "HEAD" and name.lower() == "content-length"
        ):
            continue
        key = "Content-Length" if name.lower() == "content-length" else name
        answer[key] = f"{answer[key]}, {value}" if key in answer else value
    return Response(int(status.split(" ", 1)[0]), answer, b"".join(written))


# -- without moto ----------------------------------------------------------------------------


def described(service: str | None, target: str | None) -> str:
    """How a message names the service a request is for: its scope's name, else its X-Amz-Target."""
    if service is not None:
        return f"the service {service!r} (from the request's credential scope)"
    if target is not None:
        shown = target if _TARGET_NAME.fullmatch(target) else repr(target[:128])
        return f"the service of X-Amz-Target {shown}"
    return "this request (neither Cognito Sync's signature nor one of its paths)"


def unavailable(request_id: str, service: str | None, target: str | None, turned_off: bool) -> Response:
    """The answer to a request for another service when moto does not answer it (not installed, or
    ``turned_off``): 501 NotImplemented, with this ``request_id``."""
    if turned_off:
        why = "this server was started with moto turned off (--no-moto, or with_moto=False)"
    else:
        why = f"moto's server is not installed: {INSTALL_HINT}"
    message = f"cognito-sync-mock answers only Cognito Sync here, not {described(service, target)}: {why}"
    return error(request_id, service, target, UNAVAILABLE_STATUS, "NotImplemented", message)


def error(request_id: str, service: str | None, target: str | None, status: int, code: str, message: str) -> Response:
    """An error in the shape the SDK of ``service`` reads: XML for query and rest-xml services, else JSON;
    ``request_id`` in its header and, for XML, in its body."""
    shape = "json" if target is not None or service is None else _protocol(service)
    if shape in ("query", "ec2"):
        inner = f"<Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        if shape == "ec2":
            body = f"<Response><Errors>{inner}</Errors><RequestID>{request_id}</RequestID></Response>"
        else:
            body = f"<ErrorResponse>{inner}<RequestId>{request_id}</RequestId></ErrorResponse>"
        return _xml(request_id, status, code, body)
    if shape == "rest-xml":
        inner = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        return _xml(request_id, status, code, f"<Error>{inner}<RequestId>{request_id}</RequestId></Error>")
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}
    headers["x-amzn-ErrorType"] = f"{code}:"
    body_json = json.dumps({"__type": code, "message": message}).encode()
    return Response(status, headers, body_json, error=code)


def _xml(request_id: str, status: int, code: str, body: str) -> Response:
    document = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return Response(status, headers, document.encode("utf-8"), error=code)


@functools.lru_cache(maxsize=64)
def _protocol(service: str) -> str | None:
    """The protocol of a botocore service by its name (signing names are mostly the same), or None."""
    try:
        model = _models().get_service_model(service)
    except Exception:  # no such service in botocore's data: the JSON shape
        return None
    shape: str | None = model.metadata.get("protocol")
    return shape


@functools.cache
def _models() -> Any:
    import botocore.session

    return botocore.session.get_session()
