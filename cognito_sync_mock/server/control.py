"""The control endpoints under ``/_mock/``: the mock's Python API over HTTP, JSON in and out.

Each endpoint is a function of the server, the query and the JSON body, registered with
the method it answers and whether it changes the state (then it runs as one change of the
state database, all or nothing).
``answer`` finds the endpoint of a request and runs it; the app decides who may ask.
"""

from __future__ import annotations

from itertools import islice, takewhile
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple
from urllib.parse import parse_qsl

from .. import __version__
from ..exceptions import InvalidParameterError
from ..protocol import Response, json_object
from ..views import call_view, state_view
from .responses import Refusal, error, json_answer, whole_number
from .store import Scope, StoreError

if TYPE_CHECKING:
    from .lifecycle import CognitoSyncServer

HEALTH = "/_mock/health"

_Query = dict[str, str]
_Control = Callable[["CognitoSyncServer", _Query, dict[str, Any]], Any]
_ENDPOINTS: dict[str, dict[str, tuple[_Control, str, bool]]] = {}  # name -> method -> (func, doc, saves)


class ControlAnswer(NamedTuple):
    """A control endpoint's answer and the endpoint's name (for the log)."""

    response: Response
    endpoint: str


def _endpoint(method: str, name: str, doc: str, saves: bool = False) -> Callable[[_Control], _Control]:
    """Register a control endpoint; ``saves``: it changes the state, which the state database keeps with it."""

    def register(func: _Control) -> _Control:
        _ENDPOINTS.setdefault(name, {})[method] = (func, doc, saves)
        return func

    return register


def answer(server: CognitoSyncServer, method: str, path: str, query: str, body: bytes) -> ControlAnswer:
    """Answer ``/_mock/<name>``: find the endpoint and run it; a bad request is a Refusal.

    The answer's request ID is made first, so that a seeded sequence that a reset or a
    seed starts again begins with the next request, as in a fresh run.
    """
    request_id = server.state.request_id()
    name = path[len("/_mock") :].strip("/")
    if name == "":
        if method not in ("GET", "HEAD"):
            raise Refusal(405, f"{method} is not allowed on /_mock/", "MethodNotAllowed")
        return ControlAnswer(json_answer(request_id, _index()), "index")
    methods = _ENDPOINTS.get(name)
    params = dict(parse_qsl(query, keep_blank_values=True))
    if methods is None and "/" in name:  # one item of a collection, /_mock/<collection>/<id>
        collection, _, item = name.partition("/")
        name = f"{collection}/{{id}}"
        methods, params["id"] = _ENDPOINTS.get(name), item
    if methods is None:
        raise Refusal(404, f"No mock control endpoint {path}; GET /_mock/ lists them", "UnknownOperationException")
    found = methods.get("GET" if method == "HEAD" else method)
    if found is None:
        refused = error(request_id, 405, "MethodNotAllowed", f"{path} takes {' or '.join(methods)}, not {method}")
        refused.headers["Allow"] = ", ".join(methods)
        return ControlAnswer(refused, name)
    func, _, saves = found
    document = _document(body)
    try:
        if saves:
            result = server.change(_scope(server, document), lambda: func(server, params, document))
        else:
            result = func(server, params, document)
    except (ValueError, TypeError, KeyError) as failure:
        message = f"missing member {failure}" if isinstance(failure, KeyError) else str(failure)
        raise Refusal(400, f"{path}: {message}") from None
    except StoreError as failure:  # the state database cannot be written: nothing was changed
        raise Refusal(500, str(failure), "InternalErrorException") from None
    return ControlAnswer(json_answer(request_id, result), name)


def _scope(server: CognitoSyncServer, document: Mapping[str, Any]) -> Scope:
    """What a control change names: the pool and identities of its document, in its account and region."""
    region, account = _where(document)
    names = ("identity_id", "into_identity_id", "from_identity_id")
    identities = tuple(_text(document, name) for name in names if name in document)
    return Scope(account or server.state.account_id, region, _text(document, "pool_id"), identities)


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
    except InvalidParameterError as failure:
        raise Refusal(400, failure.message) from None


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
def _get_state(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return state_view(server.state)


@_endpoint("POST", "reset", "empty every backend, the calls, the side channels and injected faults")
def _reset(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.reset()
    return {"reset": True}


@_endpoint("GET", "calls", "the operations answered, in order (query: since, the first number; limit, the latest N)")
def _calls(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    since, limit = _whole(query, "since") or 0, _whole(query, "limit")
    with server.state.lock:  # the calls are numbered in order: the wanted ones are the newest
        wanted = takewhile(lambda call: call.number >= since, reversed(server.state.calls))
        stop = None if limit is None else min(limit, len(server.state.calls))  # islice stops at sys.maxsize
        latest = list(islice(wanted, stop))
    return [call_view(call) for call in reversed(latest)]


def _whole(query: _Query, name: str) -> int | None:
    """A query parameter that is a whole number, 0 or more (None when absent); ValueError if not."""
    text = query.get(name)
    if text is None:
        return None
    number = whole_number(text)
    if number is None:
        raise ValueError(f"{name} must be a whole number, 0 or more, not {text[:40]!r}")
    return number


@_endpoint("GET", "push-notifications", "the silent pushes sent to subscribed devices")
def _push_notifications(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return server.push_notifications


@_endpoint("GET", "stream-records", "Cognito Streams records (query: stream_name, region, account_id)")
def _stream_records(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return server.stream_records(
        query.get("stream_name") or None, query.get("region") or "us-east-1", query.get("account_id") or None
    )


@_endpoint("GET", "stream-payloads/{id}", "the records behind an S3Url stream record's kinesisSyncRecordsURL")
def _stream_payload(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    try:
        return server.state.channels.streams.payload_of(query["id"])
    except KeyError:
        message = f"No stream payload {query['id']!r}: unknown to this server, or forgotten by a reset"
        raise Refusal(404, message, "ResourceNotFoundException") from None


@_endpoint("POST", "inject-error", "make the next calls of an operation fail: {operation, code, message?, times?}")
def _inject_error(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    times = document.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool):
        raise TypeError("times must be a whole number")
    message = document.get("message")
    if message is not None and not isinstance(message, str):
        raise TypeError("message must be a string")
    server.inject_error(_text(document, "operation"), _text(document, "code"), message, times)
    return {"injected": times}


@_endpoint("POST", "hold-bulk-publishes", "keep bulk publishes IN_PROGRESS (or not): {hold}")
def _hold_bulk_publishes(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    hold = document.get("hold", True)
    if not isinstance(hold, bool):
        raise TypeError("hold must be true or false")
    server.hold_bulk_publishes = hold
    return {"hold_bulk_publishes": hold}


@_endpoint(
    "POST",
    "complete-bulk-publish",
    "complete a held bulk publish: {pool_id, region?, account_id?}",
    saves=True,
)
def _complete_bulk_publish(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.complete_bulk_publish(_text(document, "pool_id"), *_where(document))
    return {"completed": True}


@_endpoint(
    "POST",
    "fail-bulk-publish",
    "fail a held bulk publish: {pool_id, message, region?, account_id?}",
    saves=True,
)
def _fail_bulk_publish(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.fail_bulk_publish(_text(document, "pool_id"), _text(document, "message"), *_where(document))
    return {"failed": True}


@_endpoint(
    "POST",
    "register-identity-pool",
    "make a pool known (strict mode): {pool_id, region?, account_id?}",
    saves=True,
)
def _register_identity_pool(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.backend(*_where(document)).register_identity_pool(_text(document, "pool_id"))
    return {"registered": True}


@_endpoint(
    "POST",
    "register-identity",
    "make an identity known: {pool_id, identity_id, region?, account_id?}",
    saves=True,
)
def _register_identity(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.backend(*_where(document)).register_identity(_text(document, "pool_id"), _text(document, "identity_id"))
    return {"registered": True}


@_endpoint(
    "POST",
    "merge-identities",
    "merge identity B into A: {pool_id, into_identity_id, from_identity_id, region?, account_id?}",
    saves=True,
)
def _merge_identities(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.backend(*_where(document)).merge_identities(
        _text(document, "pool_id"), _text(document, "into_identity_id"), _text(document, "from_identity_id")
    )
    return {"merged": True}


@_endpoint("GET", "snapshot", "the whole state as a versioned JSON document (for restore); POST saves it first")
def _snapshot(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return server.snapshot()


@_endpoint("POST", "snapshot", "the whole state as a versioned JSON document, written to the state file if any")
def _save(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return server.save()


@_endpoint("POST", "restore", "replace the whole state with a snapshot (or its short form); all or nothing")
def _restore(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.restore(document)
    return {"restored": True}


@_endpoint("POST", "map-access-key", "put requests signed with a key in another account: {access_key_id, account_id}")
def _map_access_key(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.map_access_key(_text(document, "access_key_id"), _text(document, "account_id"))
    return {"mapped": True}


@_endpoint(
    "POST",
    "identity-credentials",
    "mint Cognito Identity credentials: {pool_id, identity_id, region?, account_id?}",
    saves=True,
)
def _identity_credentials(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    region, account = _where(document)
    keys = server.identity_credentials(_text(document, "pool_id"), _text(document, "identity_id"), region, account)
    return {
        "AccessKeyId": keys["aws_access_key_id"],
        "SecretAccessKey": keys["aws_secret_access_key"],
        "SessionToken": keys["aws_session_token"],
    }


@_endpoint("POST", "seed", "make generated values the sequence of a seed from now on: {seed} (null: random again)")
def _seed(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    seed = document["seed"]
    server.seed_ids(seed)
    return {"seed": seed}


@_endpoint("GET", "triggers", "what runs each SyncTrigger ARN: Invoke API URLs, Python handlers, the default URL")
def _triggers(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return server.state.channels.triggers.registrations()


@_endpoint("POST", "triggers", "run a SyncTrigger ARN through the Lambda Invoke API at a URL: {function_arn, url}")
def _register_trigger(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    server.register_lambda_endpoint(_text(document, "function_arn"), _text(document, "url"))
    return {"registered": True}


@_endpoint("GET", "health", "whether the server answers, and its version (any Host may ask)")
def _health(server: CognitoSyncServer, query: _Query, document: dict[str, Any]) -> Any:
    return {"status": "ok", "version": __version__}
