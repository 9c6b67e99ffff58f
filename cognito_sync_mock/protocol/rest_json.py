"""rest-json for Cognito Sync, driven by botocore's service model.

Route a plain HTTP request to an operation, pull its inputs from path, query, headers
and body, validate them, hand them to a dispatcher, and serialize the answer or the error.
Nothing here is written per operation: every table is built from the model, once.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Protocol
from urllib.parse import parse_qsl, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from ..exceptions import CognitoSyncError, InternalError, InvalidParameterError, NotAuthorizedError, shown
from .serialize import string_literal, to_json
from .validation import Violations, cut, summary, validate

SERVICE_NAME = "cognito-sync"
logger = logging.getLogger("cognito_sync_mock")

REGION = re.compile(r"(?![0-9]+\Z)(?!-)[a-z0-9-]{1,63}(?<!-)")
"""A region name: botocore's rule (a host label, not all digits) in lower case, as AWS writes every region."""
REGION_RULE = "must be 1 to 63 lower-case letters, digits and hyphens, not all digits, neither first nor last a hyphen"
ACCESS_KEY = re.compile(r"[^/,\s]+")
"""An access key ID as it can stand in a SigV4 credential scope."""
ACCESS_KEY_RULE = "must be 1 or more characters, none of them '/', ',' or white space"
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]*)/")
_HOST_REGION = re.compile(r"cognito-sync[.-]([a-z0-9-]+)\.amazonaws\.com")
DEFAULT_REGION = "us-east-1"


@dataclass
class Request:
    """A plain HTTP request, as interception or the server hands it over."""

    method: str
    path: str  # still percent-encoded
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # keys in lower case
    body: bytes = b""

    region: str = field(init=False)  # SigV4 credential scope, else the host name, else us-east-1 (``handle`` checks it)
    access_key: str | None = field(init=False)  # the access key ID it was signed with, if signed

    def __post_init__(self) -> None:
        scope = _CREDENTIAL_SCOPE.search(self.headers.get("authorization") or "")
        if scope:
            self.access_key, self.region = scope.group(1), scope.group(2)
            return
        self.access_key = None
        host = _HOST_REGION.search(self.headers.get("host") or "")
        self.region = host.group(1) if host else DEFAULT_REGION


@dataclass
class Response:
    """What the protocol answers, with what the mock records of the call."""

    status: int
    headers: dict[str, str]
    body: bytes
    operation: str | None = None
    params: dict[str, Any] | None = None
    error: str | None = None


class Dispatcher(Protocol):
    """What answers a routed request: an authorization step, then the operation itself; and its request IDs."""

    def request_id(self) -> str:
        """A fresh ``x-amzn-RequestId`` for an answer."""

    def authorize(self, operation: str, labels: dict[str, str], request: Request) -> None:
        """Refuse the caller (NotAuthorizedException) before the request is even parsed."""

    def dispatch(self, operation: str, params: dict[str, Any], request: Request) -> dict[str, Any]:
        """Run a validated operation and return its output members."""


@dataclass
class Operation:
    """One operation's routing and input tables, derived from its model."""

    model: OperationModel
    method: str
    segments: tuple[str | None, ...]  # literal segment, or None for a label
    labels: tuple[str, ...]  # member name per label, in path order
    query: dict[str, str]  # wire name -> member name
    headers: dict[str, str]  # lower-case header -> member name
    body_members: tuple[str, ...]
    errors: frozenset[str]

    @property
    def name(self) -> str:
        return self.model.name


class Service:
    """The model-derived tables: routes by (method, segment count), error statuses."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.operations = {name: _operation(model.operation_model(name)) for name in model.operation_names}
        self.routes: dict[tuple[str, int], list[Operation]] = {}
        for op in self.operations.values():
            self.routes.setdefault((op.method, len(op.segments)), []).append(op)
        self.statuses = {shape.name: shape.metadata["error"]["httpStatusCode"] for shape in model.error_shapes}
        self._members: dict[tuple[str, str], Shape] = {}

    def member(self, structure: str, name: str) -> Shape:
        """The shape of a structure's member (``member("Record", "Key")``), one object per member.

        One object, so that what is made once per shape (validators, writers) is made once.
        """
        shape = self._members.get((structure, name))
        if shape is None:
            found: Shape = self.model.shape_for(structure).members[name]  # type: ignore[attr-defined]
            shape = self._members[(structure, name)] = found
        return shape

    def route(self, method: str, path: str) -> tuple[Operation, list[str]] | None:
        """The operation and its decoded label values, or None when no route matches."""
        parts = path.split("/")[1:]
        for op in self.routes.get((method, len(parts)), ()):
            values = []
            for literal, part in zip(op.segments, parts):
                if literal is None:
                    values.append(_unquote(part) if "%" in part else part)
                elif literal != part:
                    break
            else:
                return op, values
        return None


@lru_cache(maxsize=4096)
def _unquote(segment: str) -> str:
    """Percent-decode a path label (the same IDs recur on every call)."""
    return unquote(segment)


# Errors AWS's API reference lists for an operation that botocore's model leaves out (each
# answered 400, as the reference says): UpdateRecords' LambdaSocketTimeoutException,
# https://docs.aws.amazon.com/cognitosync/latest/APIReference/API_UpdateRecords.html
UNMODELED_ERRORS = {"UpdateRecords": frozenset({"LambdaSocketTimeoutException"})}


def _operation(model: OperationModel) -> Operation:
    template = model.http["requestUri"].split("?")[0]
    segments = tuple(None if s.startswith("{") else s for s in template.split("/")[1:])
    labels = tuple(s.strip("{}+") for s in template.split("/")[1:] if s.startswith("{"))
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    body: list[str] = []
    shape = model.input_shape
    for name, member in (shape.members if shape else {}).items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "querystring":
            query[wire] = name
        elif location == "header":
            headers[wire.lower()] = name
        elif location != "uri":
            body.append(name)
    return Operation(
        model=model,
        method=model.http["method"],
        segments=segments,
        labels=labels,
        query=query,
        headers=headers,
        body_members=tuple(body),
        errors=frozenset(shape.name for shape in model.error_shapes) | UNMODELED_ERRORS.get(model.name, frozenset()),
    )


@lru_cache(maxsize=1)
def service() -> Service:
    """The service tables, built once from the installed botocore's model."""
    return Service(botocore.session.get_session().get_service_model(SERVICE_NAME))


def handle(request: Request, dispatcher: Dispatcher) -> Response:
    """Answer one HTTP request: route, authorize, parse, validate, dispatch, serialize."""
    svc = service()
    found = svc.route(request.method, request.path)
    if found is None:
        return _unknown_route(request, dispatcher.request_id())
    op, labels = found
    params: dict[str, Any] = dict(zip(op.labels, labels))  # what is recorded if parsing fails
    try:
        if not REGION.fullmatch(request.region):
            raise NotAuthorizedError(
                f"Credential should be scoped to a valid region, not {shown(request.region)}: a region {REGION_RULE}"
            )
        dispatcher.authorize(op.name, params, request)
        params = gather(op, params, request)
        params = check(op, params)
        result = dispatcher.dispatch(op.name, params, request)
        body = to_json(op.model.output_shape, result)
        return Response(200, _headers(dispatcher.request_id()), body, op.name, params)
    except CognitoSyncError as error:
        if error.code not in op.errors:
            logger.error("%s raised %s, which its model does not list", op.name, error.code)
            error = InternalError(f"{error.code}: {error.message}")
        return _error(svc, op.name, params, error, dispatcher.request_id())
    except Exception as exc:  # a bug in the mock must not leak a traceback to the client
        logger.exception("cognito_sync_mock failed on %s", op.name)
        failure = InternalError(f"The mock failed on {op.name}: {type(exc).__name__}: {cut(str(exc))}")
        return _error(svc, op.name, params, failure, dispatcher.request_id())


def gather(op: Operation, labels: dict[str, str], request: Request) -> dict[str, Any]:
    """The operation's inputs from path (``labels``, by member name), query, headers and body, by member name."""
    raw: dict[str, Any] = dict(labels)
    shape = op.model.input_shape
    members = shape.members if shape else {}
    if request.query:
        for wire, value in parse_qsl(request.query, keep_blank_values=True):
            name = op.query.get(wire)
            if name is not None:
                raw[name] = _from_query(members[name], value)
    for header, name in op.headers.items():
        header_value = request.headers.get(header)
        if header_value is not None:
            raw[name] = header_value
    if op.body_members and request.body and not request.body.isspace():
        document = json_object(request.body)
        raw.update((name, document[name]) for name in op.body_members if name in document)
    return raw


def check(op: Operation, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate gathered inputs against the input shape; InvalidParameterException if not."""
    shape = op.model.input_shape
    if shape is None:
        return {}
    errors = Violations()
    params: dict[str, Any] = validate(shape, raw, errors)
    if errors:
        raise InvalidParameterError(summary(errors))
    return params


def _from_query(shape: Shape, value: str) -> Any:
    """A query value as its member's type: an integer only when written as one (ASCII digits, maybe
    a leading minus), never guessed by int(), which also reads "+1", "1_0", " 1 " and other scripts' digits."""
    if shape.type_name not in ("integer", "long"):
        return value
    digits = value[1:] if value[:1] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        return value  # left a string: validation reports it as not a whole number
    try:
        return int(value)
    except ValueError:  # more digits than int() reads (4,300): no integer member's range reaches that far
        return value


MAX_JSON_DEPTH = 32  # containers a request body may nest, itself included (the model's inputs nest 3)
_TOO_DEEP = f"The request body is nested more than {MAX_JSON_DEPTH} levels deep"


def json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object, or InvalidParameterException saying what is wrong.

    Nesting is bounded, so that nothing that walks the parsed value (messages, copies,
    the call history's readers) can run out of stack.
    """
    try:
        document = json.loads(body)
    except RecursionError:  # nested deeper than Python's decoder goes
        raise InvalidParameterError(_TOO_DEEP) from None
    except ValueError:
        raise InvalidParameterError("The request body is not valid JSON") from None
    brackets = body.count(b"[") + body.count(b"{")  # at least the containers: few means none too deep
    if brackets > MAX_JSON_DEPTH and not _nests_at_most(document, MAX_JSON_DEPTH):
        raise InvalidParameterError(_TOO_DEEP)
    if not isinstance(document, dict):
        raise InvalidParameterError("The request body must be a JSON object")
    return document


def _nests_at_most(document: Any, depth: int) -> bool:
    """Whether no container in ``document`` lies more than ``depth`` levels deep (walked level by level)."""
    level: list[Any] = [document] if type(document) is dict or type(document) is list else []
    for _ in range(depth):
        if not level:
            return True
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) is dict or type(child) is list
        ]
    return not level


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "x-amzn-RequestId": request_id}


def message_body(message: str) -> bytes:
    """``{"message": ...}`` as json.dumps writes it."""
    return ('{"message": ' + string_literal(message) + "}").encode()


def error_response(operation: str, params: dict[str, Any], error: CognitoSyncError, request_id: str) -> Response:
    """The answer of an operation that failed with ``error``, with the status the model gives its code."""
    return _error(service(), operation, params, error, request_id)


def _error(svc: Service, operation: str, params: dict[str, Any], error: CognitoSyncError, request_id: str) -> Response:
    headers = _headers(request_id)
    headers["x-amzn-ErrorType"] = f"{error.code}:"
    body = message_body(error.message)
    return Response(svc.statuses.get(error.code, 400), headers, body, operation, params, error.code)


def _unknown_route(request: Request, request_id: str) -> Response:
    headers = _headers(request_id)
    headers["x-amzn-ErrorType"] = "UnknownOperationException:"
    message = f"No Cognito Sync operation matches {cut(request.method)} {cut(request.path)}"
    return Response(404, headers, message_body(message), error="UnknownOperationException")
