"""Property-based fuzzing: every input gets a success or an error its operation models.

Part 1 drives all 17 operations through boto3 with client-side validation off and one
attempt per call. Inputs are generated from the service model's own shapes (read at run
time): valid values, empty and huge strings, unicode and lone surrogates, control
characters, wrong JSON types, negative and overflowing numbers, malformed IDs and ARNs,
unknown enum values, and genuine, stale, tampered and foreign tokens. Every answer must be
a success or an error the model lists for that operation (never InternalErrorException /
500, never an unmodeled code, never a Python exception out of the mock), and the state's
invariants must hold after every example.

Some inputs botocore itself cannot put on the wire (a dict where it expects a list, a
timestamp it cannot parse, a label it cannot percent-encode): botocore raises before
sending, the mock never sees them. Those are told apart exactly: the mock recorded no call
and no frame of the exception's traceback is in ``cognito_sync_mock``.

Part 2 fuzzes the HTTP server with raw bytes on a socket: bad JSON, wrong content types,
truncated bodies, unknown routes, path traversal in labels, malformed framing.

The bugs these found are kept as plain tests at the end of the file.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import traceback
from typing import Any, Iterator
from urllib.parse import quote

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from helpers import (
    APP_ARN,
    DEFAULT_ACCOUNT,
    IDENTITY,
    MODEL,
    OPERATIONS,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    REGION,
    ROLE_ARN,
    make_client,
    utf8,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_sync_mock import CognitoSyncServer, LambdaThrottled, mock_cognito_sync
from cognito_sync_mock.views import state_view

STATUS = {shape.name: shape.metadata["error"]["httpStatusCode"] for shape in MODEL.error_shapes}
EXAMPLES = {"UpdateRecords": 250, "ListRecords": 100}
DEFAULT_EXAMPLES = 60
RAW_EXAMPLES = 400
RAW_TIMEOUT = 10.0


def fuzz_settings(max_examples: int) -> settings:
    """Bounded, with no deadline (a call's time varies with the machine) and no database in the repo."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


TRIGGER_OK = "arn:aws:lambda:us-east-1:123456789012:function:keep"
TRIGGER_RAISES = "arn:aws:lambda:us-east-1:123456789012:function:raises"
TRIGGER_THROTTLED = "arn:aws:lambda:us-east-1:123456789012:function:throttled"
TRIGGER_UNREGISTERED = "arn:aws:lambda:us-east-1:123456789012:function:nobody"


def modeled_errors(operation: str) -> set[str]:
    """The error codes an operation may answer with, InternalErrorException (a 500) excepted."""
    return {shape.name for shape in MODEL.operation_model(operation).error_shapes} - {"InternalErrorException"}


def test_the_fuzzed_operations_are_the_models_seventeen() -> None:
    assert len(OPERATIONS) == 17
    assert all(modeled_errors(op) for op in OPERATIONS)


# -- generated values ------------------------------------------------------------------


class Sentinel:
    """A value replaced at call time by something only the running mock can issue."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


FRESH_TOKEN = Sentinel("fresh SyncSessionToken for the request's own IDs")
OTHER_TOKEN = Sentinel("SyncSessionToken of another dataset")
TAMPERED_TOKEN = Sentinel("SyncSessionToken with one character changed")
RECORDS_PAGE = Sentinel("NextToken of a ListRecords pass")
DATASETS_PAGE = Sentinel("NextToken of a ListDatasets pass")
POOLS_PAGE = Sentinel("NextToken of a ListIdentityPoolUsage pass")
DEVICE = Sentinel("a registered DeviceId")
CURRENT = Sentinel("the patched key's current SyncCount")
ABSENT = Sentinel("member left out")

HUGE = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["a", "\u00e9", "\u20ac", "\U0001f600", "\x00", "/"]),
    st.sampled_from([56, 129, 257, 1025, 2049, 70_000, 1_048_576]),
)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)  # lone surrogates too
SURROGATES = st.sampled_from(["\ud800", "k\udfff", "\udc00\ud800"])
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=4)
NUMBERS = st.one_of(
    st.sampled_from([-1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]),
    st.integers(),
    st.floats(),
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    st.just(""),
    ANY_TEXT,
    SURROGATES,
    CONTROL,
    HUGE,
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=3)), max_size=2),
)

GOOD_IDS = [POOL, IDENTITY, OTHER_POOL, OTHER_IDENTITY, "eu-west-1:0f", "a_b-c:0-f"]
BAD_IDS = [
    ":",
    "us-east-1:",
    ":0a",
    "us-east-1:XYZ",
    "us-east-1:0a/../0b",
    "../../etc/passwd",
    "..",
    "%2e%2e",
    "us-east-1:" + "0" * 46,
    "us east 1:0a",
    "us-east-1:0a\n",
    "us-east-1\uff1a0a",
    "us-\u00e9ast-1:0a",
    "us-east-1:0a?x=1",
    "us-east-1:0a#f",
]
ARN_JUNK = [
    "arn:aws:sns:us-east-1:123:app/gcm/x",
    "arn:aws:sns::123:app/GCM/x",
    "arn:aws:sns:us-east-1:123456789012:app/GCM/",
    "arn:aws:iam::role/x",
    "arn:aws:iam::1:role/",
    "arn:aws:iam::12a:role/xxxxxxxxxxxxxxxx",
    "arn:aws:iam::123456789012:role/" + "r" * 2030,
    "arn:aws:lambda:us-east-1:123456789012:function:",
    "not-an-arn",
]
ENUM_JUNK = ["", "apns", "SMS", "ENABLED ", "enabled", "REPLACE", "Replace", "delete", "*"]
# Per member name: (well-formed values, malformed ones). A well-formed value may still be
# refused for what it means (a pool nobody knows, a device of another identity).
STRING_CHOICES: dict[str, tuple[list[Any], list[Any]]] = {
    "IdentityPoolId": ([POOL, POOL, POOL, OTHER_POOL, "eu-west-1:0f"], BAD_IDS),
    "IdentityId": ([IDENTITY, IDENTITY, IDENTITY, OTHER_IDENTITY, "a_b-c:0-f"], BAD_IDS),
    "DatasetName": (
        ["game", "game", "d.1", "a:b-c_d", "x" * 128, "_", "new.set"],
        ["bad name", "x" * 129, "\u00e9", "..", ".", "a/b", "%2F", "game\n", "*"],
    ),
    "Key": (["k1", "k2", "k3", "\u00e9\u20ac", "k" * 1024], ["k" * 1025]),
    "Value": (["v", "", "\u20ac\u00e9", "x" * 2000, "\x00\x1f"], ["x" * 1_048_576, "\u20ac" * 400_000]),
    "SyncSessionToken": ([FRESH_TOKEN], [OTHER_TOKEN, TAMPERED_TOKEN, "a.b", ".", "x" * 300]),
    "NextToken": ([RECORDS_PAGE, DATASETS_PAGE, POOLS_PAGE], ["a.b", "e30.AAAA"]),
    "DeviceId": ([DEVICE], ["00000000-0000-4000-8000-000000000000", "x" * 257]),
    "Token": (["device-token", "other-token"], ["x" * 5000]),
    "StreamName": (["fuzz-stream", "x" * 128], ["x" * 129]),
    "RoleArn": ([ROLE_ARN], ARN_JUNK),
    "ClientContext": (["e30="], ["not base64"]),
}
EVENT_KEYS = ["SyncTrigger"]
EVENT_VALUES = [TRIGGER_OK, TRIGGER_RAISES, TRIGGER_THROTTLED, TRIGGER_UNREGISTERED, ""]


@st.composite
def weighted(draw: Any, *choices: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """Draw from one of the strategies, chosen in proportion to its weight.

    (``st.one_of`` merges repeated branches, so repeating one does not weigh it.)
    """
    pick = draw(st.integers(0, sum(w for w, _ in choices) - 1))
    for weight, strategy in choices:
        if pick < weight:
            return draw(strategy)
        pick -= weight
    raise AssertionError("unreachable")


def well_formed(shape: Any, name: str = "") -> st.SearchStrategy[Any]:
    """Values of the right type that satisfy the member's constraints (with a few sub-members corrupted)."""
    kind = shape.type_name
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum:
            return st.sampled_from(list(enum))
        if name in STRING_CHOICES:
            return st.sampled_from(STRING_CHOICES[name][0])
        if "arn" in shape.metadata.get("pattern", ""):
            return st.just(APP_ARN)
        return st.sampled_from(["x", "text"])
    if kind in ("integer", "long"):
        if name == "SyncCount":
            return weighted((3, st.just(CURRENT)), (1, st.integers(0, 4)))
        return st.integers(1, 4)
    if kind == "timestamp":
        return st.one_of(
            st.integers(0, 2_000_000_000),
            st.floats(-62135596800, 253402300799.999, allow_nan=False),
            st.sampled_from([-62135596800, 253402300799, 253402300799.9994, 253402300799.9999]),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "list":
        return weighted((6, st.lists(nested(shape.member, name), min_size=1, max_size=3)), (1, st.just([])))
    if kind == "map":
        return st.dictionaries(st.sampled_from(EVENT_KEYS), st.sampled_from(EVENT_VALUES), max_size=1)
    if kind == "structure":
        return structures(shape)
    raise AssertionError(f"the model uses a type this fuzzer does not know: {kind}")


def malformed(shape: Any, name: str = "") -> st.SearchStrategy[Any]:
    """Values that break the member's constraints, its type, or both."""
    kind = shape.type_name
    bad: list[st.SearchStrategy[Any]] = [JUNK, st.just(ABSENT)]  # equal weights: see weighted()
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum:
            bad.append(st.sampled_from(ENUM_JUNK))
        elif name in STRING_CHOICES:
            bad.append(st.sampled_from(STRING_CHOICES[name][1]))
        elif "arn" in shape.metadata.get("pattern", ""):
            bad.append(st.sampled_from(ARN_JUNK))
        bad += [SURROGATES, ANY_TEXT, CONTROL, HUGE, st.just("")]
    elif kind in ("integer", "long"):
        bad += [NUMBERS, st.integers(-3, 0)]
    elif kind == "timestamp":
        bad += [st.sampled_from([253402300800, -62135596801, 1e300, -1e300]), st.floats()]
    elif kind == "list":
        bad.append(st.lists(JUNK, min_size=1, max_size=3))
    elif kind == "map":
        bad.append(
            st.dictionaries(
                st.one_of(st.sampled_from(["Other", "", "syncTrigger"]), ANY_TEXT),
                st.one_of(st.sampled_from(EVENT_VALUES), JUNK),
                min_size=1,
                max_size=3,
            )
        )
    return weighted(*[(1, strategy) for strategy in bad])


def nested(shape: Any, name: str) -> st.SearchStrategy[Any]:
    """An item of a list: mostly well-formed, sometimes not."""
    return weighted((6, well_formed(shape, name)), (1, malformed(shape, name)))


@st.composite
def structures(draw: Any, shape: Any, corruptions: int = 1) -> dict[str, Any]:
    """A structure that is well-formed but for up to ``corruptions`` members."""
    members = shape.members
    out: dict[str, Any] = {}
    for name, member in members.items():
        if name in shape.required_members or draw(st.integers(0, 3)):  # optional ones: 3 times in 4
            out[name] = draw(well_formed(member, name))
    for name in draw(st.lists(st.sampled_from(sorted(members)), max_size=corruptions, unique=True)) if members else []:
        value = draw(malformed(members[name], name))
        if value is ABSENT:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def inputs(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for one operation: well-formed but for up to two members."""
    shape = MODEL.operation_model(operation).input_shape
    return structures(shape, corruptions=2)


# -- the world the fuzz runs in ----------------------------------------------------------


class World:
    """A mock seeded with pools, identities, datasets, a device, a trigger and page tokens."""

    def __init__(self, mock: mock_cognito_sync) -> None:
        self.mock = mock
        self.client = make_client(parameter_validation=False)
        self.client_side_refusals = 0
        self.answered = 0
        c = self.client
        for pool in (POOL, OTHER_POOL):
            c.set_identity_pool_configuration(
                IdentityPoolId=pool,
                PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
                CognitoStreams={"StreamName": "fuzz-stream", "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
            )
        mock.register_lambda(TRIGGER_OK, lambda event, context: event)
        mock.register_lambda(TRIGGER_RAISES, _raises)
        mock.register_lambda(TRIGGER_THROTTLED, _throttled)
        for name, keys in (("game", ["k1", "k2"]), ("d.1", ["k1"]), ("a:b-c_d", ["k3"])):
            write(c, {k: f"seed-{k}" for k in keys}, dataset=name)
        self.device = c.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="device-token")[
            "DeviceId"
        ]
        c.subscribe_to_dataset(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game", DeviceId=self.device)
        self.pages = {
            RECORDS_PAGE: c.list_records(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game", MaxResults=1)[
                "NextToken"
            ],
            DATASETS_PAGE: c.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY, MaxResults=1)["NextToken"],
            POOLS_PAGE: c.list_identity_pool_usage(MaxResults=1)["NextToken"],
        }

    def token(self, pool: Any, identity: Any, name: Any) -> str:
        ok = all(isinstance(v, str) for v in (pool, identity, name))
        args = (
            {"IdentityPoolId": pool, "IdentityId": identity, "DatasetName": name}
            if ok
            else {"IdentityPoolId": POOL, "IdentityId": IDENTITY, "DatasetName": "game"}
        )
        try:
            return str(self.client.list_records(**args)["SyncSessionToken"])
        except (ClientError, ValueError, UnicodeError):  # IDs ListRecords refuses: any genuine token will do
            return str(
                self.client.list_records(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game")[
                    "SyncSessionToken"
                ]
            )

    def current_counts(self, params: dict[str, Any]) -> dict[str, int]:
        """Key -> SyncCount of the dataset the params name (empty when they name none)."""
        names = [params.get(m) for m in ("IdentityPoolId", "IdentityId", "DatasetName")]
        if not all(isinstance(v, str) for v in names) or not isinstance(params.get("RecordPatches"), list):
            return {}
        try:
            listed = self.client.list_records(IdentityPoolId=names[0], IdentityId=names[1], DatasetName=names[2])
        except (ClientError, ValueError, UnicodeError):
            return {}
        return {r["Key"]: r["SyncCount"] for r in listed["Records"]}

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace sentinels by tokens and IDs issued by this mock, for these very params."""

        stored = self.current_counts(params)

        def swap(value: Any) -> Any:
            if isinstance(value, dict) and value.get("SyncCount") is CURRENT:
                key = value.get("Key")
                return {
                    **swap({k: v for k, v in value.items() if k != "SyncCount"}),
                    "SyncCount": stored.get(key, 0) if isinstance(key, str) else 0,
                }
            if value is CURRENT:
                return 0
            if value is ABSENT:  # a list item left out: send null in its place
                return None
            if value is FRESH_TOKEN:
                return self.token(params.get("IdentityPoolId"), params.get("IdentityId"), params.get("DatasetName"))
            if value is OTHER_TOKEN:
                return self.token(POOL, OTHER_IDENTITY, "elsewhere")
            if value is TAMPERED_TOKEN:
                good = self.token(POOL, IDENTITY, "game")
                return good[:5] + ("A" if good[5] != "A" else "B") + good[6:]
            if value is DEVICE:
                return self.device
            if isinstance(value, Sentinel):
                return self.pages[value]
            if isinstance(value, list):
                return [swap(v) for v in value]
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            return value

        return {k: swap(v) for k, v in params.items()}


def _raises(event: Any, context: Any) -> Any:
    raise RuntimeError("the fuzz trigger fails")


def _throttled(event: Any, context: Any) -> Any:
    raise LambdaThrottled("the fuzz trigger is throttled")


def call(world: World, operation: str, params: dict[str, Any]) -> None:
    """Make one call and check its answer against the model."""
    method = getattr(world.client, xform_name(operation))
    before = len(world.mock.calls)
    try:
        answer = method(**params)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert code in modeled_errors(operation), (operation, code, error.response["Error"]["Message"], params)
        assert status == STATUS[code], (operation, code, status)
        assert isinstance(error.response["Error"]["Message"], str) and error.response["Error"]["Message"]
        world.answered += 1
        return
    except Exception as exc:  # must be botocore refusing to send, checked below
        frames = [frame.filename for frame in traceback.extract_tb(exc.__traceback__)]
        assert not any("cognito_sync_mock" in f for f in frames), (operation, repr(exc), params)
        assert len(world.mock.calls) == before, (operation, "answered, then the answer failed", repr(exc), params)
        world.client_side_refusals += 1
        return
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    output = MODEL.operation_model(operation).output_shape
    assert set(answer) - {"ResponseMetadata"} <= set(output.members if output else ()), (operation, answer)
    assert world.mock.calls[-1].operation == operation and world.mock.calls[-1].error is None
    world.answered += 1


# -- invariants ------------------------------------------------------------------------


def check_invariants(mock: mock_cognito_sync) -> None:
    """What must hold of any state, whatever was asked of it."""
    limits = mock.state.limits
    view = state_view(mock.state)
    for account in view["accounts"].values():
        for region in account["regions"].values():
            for pool_id, pool in region["pools"].items():
                pool_storage = 0
                for identity_id, identity in pool["identities"].items():
                    storage, live_sets = 0, 0
                    for name, dataset in identity["datasets"].items():
                        records = dataset["records"]
                        live = {k: r for k, r in records.items() if not r["deleted"]}
                        where = (pool_id, identity_id, name)
                        assert dataset["num_records"] == len(live), where
                        assert dataset["data_storage"] == sum(utf8(k) + utf8(r["value"]) for k, r in live.items()), (
                            where
                        )
                        assert all(1 <= r["sync_count"] <= dataset["sync_count"] for r in records.values()), where
                        assert all(r["deleted"] == (r["value"] is None) for r in records.values()), where
                        if dataset["deleted_at_sync_count"] is not None:
                            assert dataset["deleted_at_sync_count"] <= dataset["sync_count"], where
                        if not dataset["exists"]:
                            assert records == {} and dataset["subscribed_devices"] == [], where
                            continue
                        live_sets += 1
                        storage += dataset["data_storage"]
                        assert len(live) <= limits.records_per_dataset, where
                        assert dataset["data_storage"] <= limits.dataset_bytes, where
                        assert set(dataset["subscribed_devices"]) <= set(identity["devices"]), where
                    assert live_sets <= limits.datasets_per_identity, (pool_id, identity_id)
                    assert identity["data_storage"] == storage, (pool_id, identity_id)
                    pool_storage += storage
                assert pool["data_storage"] == pool_storage, pool_id


def check_through_the_api(world: World) -> None:
    """Every live dataset of the default account reads back through boto3 as the state holds it."""
    view = state_view(world.mock.state)
    client = world.client
    for region_name, region in view["accounts"][DEFAULT_ACCOUNT]["regions"].items():
        assert region_name == REGION
        for pool_id, pool in region["pools"].items():
            for identity_id, identity in pool["identities"].items():
                for name, dataset in identity["datasets"].items():
                    args = {"IdentityPoolId": pool_id, "IdentityId": identity_id, "DatasetName": name}
                    listed = client.list_records(**args)
                    assert listed["DatasetExists"] is dataset["exists"]
                    # A deleted dataset lists with count 0 (it keeps its count for a recreation).
                    assert listed["DatasetSyncCount"] == (dataset["sync_count"] if dataset["exists"] else 0)
                    got = {r["Key"]: (r.get("Value"), r["SyncCount"]) for r in listed["Records"]}
                    assert got == {k: (r["value"], r["sync_count"]) for k, r in dataset["records"].items()}
                    if dataset["exists"]:
                        described = client.describe_dataset(**args)["Dataset"]
                        assert described["NumRecords"] == dataset["num_records"]
                        assert described["DataStorage"] == dataset["data_storage"]


# -- part 1: every operation through boto3 -----------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_input_gets_a_success_or_a_modeled_error(operation: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="cognito_sync_mock")
    with mock_cognito_sync() as mock:
        world = World(mock)

        @fuzz_settings(EXAMPLES.get(operation, DEFAULT_EXAMPLES))
        @given(params=inputs(operation))
        def fuzz(params: dict[str, Any]) -> None:
            call(world, operation, world.resolve(params))
            check_invariants(mock)

        fuzz()
        check_through_the_api(world)
        assert world.answered > 0
        calls = mock.calls
        assert "InternalErrorException" not in {c.error for c in calls}
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


# -- part 2: raw HTTP against the server -------------------------------------------------


def raw_request(
    server: CognitoSyncServer, data: bytes, method: str = "GET", half_close: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """Send bytes on a fresh connection; the status, headers (lower-case names) and body answered.

    The server may answer and close before it has read everything (a refused framing):
    a failed send is then no error, the answer is read all the same.
    """
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=RAW_TIMEOUT) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, OSError) as error:
            if isinstance(error, socket.timeout):
                raise
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def request_bytes(
    method: str, target: str | bytes, headers: dict[str, str], body: bytes, length: int | None = None
) -> bytes:
    target_bytes = target if isinstance(target, bytes) else target.encode("utf-8", "surrogateescape")
    lines = [method.encode() + b" " + target_bytes + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


CALL_ERRORS = {op: modeled_errors(op) for op in OPERATIONS}


def check_raw_answer(
    server: CognitoSyncServer, calls_before: int, status: int, headers: dict[str, str], body: bytes, method: str
) -> None:
    if headers.get("content-type") == "text/plain":  # refused by cheroot before the app: framing
        assert status in (400, 413, 414, 501, 505), (status, body[:300])
        assert b"Traceback" not in body
        assert server.calls[calls_before:] == []
        return
    assert status < 500, (status, body[:300])
    assert status in (200, 204, 400, 403, 404, 405, 409, 413, 415), (status, body[:300])
    if status >= 400:
        code = headers.get("x-amzn-errortype", "").rstrip(":")
        assert code, headers
        if method != "HEAD":
            message = json.loads(body)["message"]
            assert isinstance(message, str) and message
    calls = server.calls[calls_before:]
    for recorded in calls:  # an API operation answered: only with an error it models
        assert recorded.error is None or recorded.error in CALL_ERRORS[recorded.operation], recorded


def server_still_answers(server: CognitoSyncServer) -> None:
    status, _, body = raw_request(server, request_bytes("GET", "/identitypools", {}, b""))
    assert status == 200 and json.loads(body)["Count"] >= 0
    for path in ("/_mock/state", "/_mock/calls"):
        status, _, body = raw_request(server, request_bytes("GET", path, {}, b""))
        assert status == 200, (path, body[:300])
        json.loads(body)


ROUTES = [MODEL.operation_model(op).http for op in OPERATIONS]
GOOD_LABELS = [quote(POOL, safe=""), POOL, IDENTITY, "game", "d.1", "00000000-0000-4000-8000-000000000000"]
LABEL_JUNK = [
    "..",
    ".",
    "%2e%2e",
    "..%2F..%2Fetc%2Fpasswd",
    "%2F",
    "%00",
    "%ZZ",
    "%",
    "%ff%fe",
    "%C3%A9",
    "%ED%A0%80",
    "a%20b",
    "~",
    "*",
    "",
    "x" * 300,
    "%u002e",
    "..;",
    "%252e%252e",
]
JUNK_PATHS = [
    "/",
    "//",
    "/identitypools/",
    "/../../etc/passwd",
    "/_mock",
    "/_mock/",
    "/_mock/state",
    "/_mock/calls",
    "/_mock/../_mock/state",
    "/_mock/reset/..",
    "/_mock/nope",
    "/%2e%2e/%2e%2e",
    "*",
    "http://elsewhere/identitypools",
    "/identitypools/%ZZ",
    "/index.html",
    "/identitypools/../_mock/state",
]
QUERIES = [
    "?maxResults=x",
    "?maxResults=-1",
    "?maxResults=99999999999999999999",
    "?lastSyncCount=1e3",
    "?lastSyncCount=-5",
    "?nextToken=%ZZ",
    "?syncSessionToken=",
    "?a=%00&a=1",
    "?maxResults=%EF%BC%91",
    "?" + "x" * 3000,
]
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "application/x-amz-json-1.1",
]
BODY_MEMBERS = [
    "RecordPatches",
    "SyncSessionToken",
    "Events",
    "PushSync",
    "CognitoStreams",
    "Platform",
    "Token",
    "DeviceId",
    "x",
]
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        SURROGATES,
        st.sampled_from(["SyncTrigger", "replace", "remove", "GCM", TRIGGER_OK, ROLE_ARN, APP_ARN]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from([*BODY_MEMBERS, "Op", "Key", "Value", "SyncCount"]), children, max_size=3),
    ),
    max_leaves=8,
)
BODIES = weighted(
    (
        3,
        st.builds(
            lambda d: json.dumps(d).encode(), st.dictionaries(st.sampled_from(BODY_MEMBERS), JSON_VALUES, max_size=3)
        ),
    ),
    (
        2,
        st.sampled_from(
            [
                b"{",
                b"}",
                b"[]",
                b"null",
                b'"x"',
                b"1e999",
                b"NaN",
                b'{"a":',
                b"\xff\xfe\x00",
                b"{}" * 3,
                b'{"Events": {"SyncTrigger": "\\ud800"}}',
                b'{"Token": "\\udc00", "Platform": "GCM"}',
                b"[" * 50_000,
                b'{"Events": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
                b'{"a":' * 20_000,
            ]
        ),
    ),
    (1, st.binary(max_size=64)),
    (1, st.just(b"")),
)


def input_members(operation: str) -> dict[str, Any]:
    """The members of an operation's input shape, by name (none for an operation without input)."""
    shape = MODEL.operation_model(operation).input_shape
    return dict(shape.members) if shape is not None else {}


BODY_OPERATIONS = sorted(
    op for op in OPERATIONS if any(not s.serialization.get("location") for s in input_members(op).values())
)


def _body_members(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The members of ``params`` that travel in the JSON body (sentinels become plain text)."""
    located = {m for m, s in input_members(operation).items() if s.serialization.get("location")}
    return {m: v for m, v in params.items() if m not in located}


@st.composite
def raw_requests(draw: Any) -> tuple[str, bytes, bool]:
    """A request: a model route with junk in its labels, or junk altogether, framed honestly or not."""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"]))
    body = draw(BODIES)
    if draw(st.integers(0, 3)):
        operation = draw(weighted((1, st.sampled_from(OPERATIONS)), (1, st.sampled_from(BODY_OPERATIONS))))
        route = MODEL.operation_model(operation).http
        if draw(st.integers(0, 2)):  # the operation's own members, as part 1 makes them
            body = json.dumps(_body_members(operation, draw(inputs(operation))), default=repr).encode()
        if draw(st.integers(0, 3)):
            method = route["method"]
        segments = []
        for part in route["requestUri"].split("?")[0].split("/")[1:]:
            label = weighted((2, st.sampled_from(GOOD_LABELS)), (1, st.sampled_from(LABEL_JUNK)))
            segments.append(draw(label) if part.startswith("{") else part)
        path = "/" + "/".join(segments)
    else:
        path = draw(st.sampled_from(JUNK_PATHS))
    query = draw(weighted((3, st.just("")), (1, st.sampled_from(QUERIES))))
    headers = {}
    content_type = draw(st.sampled_from([*CONTENT_TYPES, None]))
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.integers(0, 3)) == 0:
        headers["X-Amz-Client-Context"] = draw(st.sampled_from(["e30=", "", "\u00e9".encode().decode("latin-1")]))
    if method == "OPTIONS" and draw(st.booleans()):
        headers["Access-Control-Request-Method"] = "POST"
    framing = draw(st.sampled_from(["length", "length", "length", "short", "chunked", "bad-chunked", "none"]))
    truncated = False
    if framing == "short" and body:
        return method, request_bytes(method, path + query, headers, body, len(body) + draw(st.integers(1, 100))), True
    if framing == "chunked":
        headers["Transfer-Encoding"] = "chunked"
        chunked = (
            b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7))
            + b"0\r\n\r\n"
        )
        return method, request_bytes(method, path + query, headers, chunked), truncated
    if framing == "bad-chunked":
        headers["Transfer-Encoding"] = draw(st.sampled_from(["chunked", "gzip", "chunked, chunked"]))
        return method, request_bytes(method, path + query, headers, b"zz\r\n" + body), True
    length = None if framing == "none" else len(body)
    return method, request_bytes(method, path + query, headers, body if length is not None else b"", length), truncated


@pytest.fixture
def sync_only_server() -> Iterator[CognitoSyncServer]:
    """A server without moto, so that junk paths reach this mock's protocol (with moto, moto answers them)."""
    with CognitoSyncServer(with_moto=False) as server:
        yield server


def test_raw_http_fuzz_never_gets_a_500(sync_only_server: CognitoSyncServer) -> None:
    cognito_sync_server = sync_only_server
    seen: set[int] = set()

    @fuzz_settings(RAW_EXAMPLES)
    @given(request=raw_requests())
    def fuzz(request: tuple[str, bytes, bool]) -> None:
        method, data, truncated = request
        before = len(cognito_sync_server.calls)
        status, headers, body = raw_request(cognito_sync_server, data, method, half_close=truncated)
        check_raw_answer(cognito_sync_server, before, status, headers, body, method)
        seen.add(status)
        server_still_answers(cognito_sync_server)

    fuzz()
    server_still_answers(cognito_sync_server)
    assert {200, 400, 404} <= seen


# A hand-picked list beside the generated one, each with the answer it must get.
MALFORMED = [
    pytest.param(
        "POST",
        f"/identitypools/{quote(POOL)}/events",
        {"Content-Type": "application/json"},
        b'{"Events": ',
        400,
        "InvalidParameterException",
        id="bad-json",
    ),
    pytest.param(
        "POST",
        f"/identitypools/{quote(POOL)}/events",
        {"Content-Type": "application/json"},
        b"[1, 2]",
        400,
        "InvalidParameterException",
        id="json-not-an-object",
    ),
    pytest.param(
        "POST",
        f"/identitypools/{quote(POOL)}/events",
        {"Content-Type": "text/plain"},
        b"hello",
        400,
        "InvalidParameterException",
        id="text-body",
    ),
    pytest.param(
        "POST",
        f"/identitypools/{quote(POOL)}/events",
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"Events=1",
        400,
        "InvalidParameterException",
        id="form-body",
    ),
    pytest.param(
        "POST",
        f"/identitypools/{quote(POOL)}/events",
        {"Content-Type": "application/json"},
        b"\xff\xfe{}",
        400,
        "InvalidParameterException",
        id="not-utf8",
    ),
    pytest.param(
        "GET",
        "/identitypools/..%2F..%2Fetc%2Fpasswd",
        {},
        b"",
        400,
        "InvalidParameterException",
        id="encoded-traversal-in-label",
    ),
    pytest.param(
        "GET",
        "/identitypools/%2e%2e/identities/%2e%2e/datasets/%2e%2e",
        {},
        b"",
        400,
        "InvalidParameterException",
        id="dot-labels",
    ),
    pytest.param(
        "GET", "/identitypools/../../etc/passwd", {}, b"", 404, "UnknownOperationException", id="raw-traversal"
    ),
    pytest.param(
        "GET", "/_mock/../_mock/state", {}, b"", 404, "UnknownOperationException", id="traversal-into-control"
    ),
    pytest.param("GET", "/identitypools/nothing/here", {}, b"", 404, "UnknownOperationException", id="unknown-route"),
    pytest.param("PATCH", "/identitypools", {}, b"", 404, "UnknownOperationException", id="unknown-method"),
    pytest.param("GET", "/identitypools?maxResults=12x", {}, b"", 400, "InvalidParameterException", id="bad-number"),
    pytest.param("GET", "/identitypools/%ZZ", {}, b"", 400, "InvalidParameterException", id="bad-percent-encoding"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "code"), MALFORMED)
def test_malformed_requests_get_their_error(
    cognito_sync_server: CognitoSyncServer,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: str,
) -> None:
    got_status, got_headers, got_body = raw_request(
        cognito_sync_server, request_bytes(method, path, headers, body, len(body))
    )
    assert (got_status, got_headers["x-amzn-errortype"]) == (status, f"{code}:")
    assert isinstance(json.loads(got_body)["message"], str)
    server_still_answers(cognito_sync_server)


def test_a_truncated_body_is_refused(cognito_sync_server: CognitoSyncServer) -> None:
    body = b'{"Events": {"SyncTrigger": "arn"}}'
    data = request_bytes(
        "POST", f"/identitypools/{quote(POOL)}/events", {"Content-Type": "application/json"}, body[:10], len(body)
    )
    status, headers, answer = raw_request(cognito_sync_server, data, "POST", half_close=True)
    assert (status, headers["x-amzn-errortype"]) == (400, "InvalidParameterException:")
    assert json.loads(answer) == {"message": f"The request body ended after 10 of {len(body)} bytes"}
    assert cognito_sync_server.calls == []  # nothing reached the API
    server_still_answers(cognito_sync_server)


# -- bugs the fuzzing found, kept as plain tests -------------------------------------------


def test_lone_surrogate_in_a_record_value_is_an_invalid_parameter_not_a_500(cognito_sync: Any) -> None:
    """Found by part 1: a JSON "\\ud800" escape in a Value reached utf8_size and raised UnicodeEncodeError."""
    client = make_client(parameter_validation=False)
    ids = {"IdentityPoolId": POOL, "IdentityId": IDENTITY, "DatasetName": "game"}
    token = client.list_records(**ids)["SyncSessionToken"]
    with pytest.raises(ClientError) as info:
        client.update_records(
            **ids,
            SyncSessionToken=token,
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "\ud800", "SyncCount": 0}],
        )
    response = info.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidParameterException",
        400,
    )
    assert client.list_records(**ids)["DatasetExists"] is False


def test_device_date_just_below_year_10000_stays_readable(cognito_sync: Any) -> None:
    """Found by part 1: 253402300799.9999 was accepted, then answered rounded up to year 10000.

    botocore cannot parse that date, so the answer and every later ListRecords of the
    dataset failed in the client with ValueError: the dataset could not be read again.
    """
    client = make_client(parameter_validation=False)
    wire: list[dict[str, Any]] = []
    client.meta.events.register(
        "response-received.cognito-sync", lambda response_dict=None, **_: wire.append(response_dict)
    )
    ids = {"IdentityPoolId": POOL, "IdentityId": IDENTITY, "DatasetName": "game"}
    token = client.list_records(**ids)["SyncSessionToken"]
    patch = {"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0, "DeviceLastModifiedDate": 253402300799.9999}
    answer = client.update_records(**ids, SyncSessionToken=token, RecordPatches=[patch])
    listed = client.list_records(**ids)
    # On the wire: the last millisecond of 9999, truncated like every other date.
    assert [json.loads(w["body"])["Records"][0]["DeviceLastModifiedDate"] for w in wire[1:]] == [253402300799.999] * 2
    assert answer["Records"][0]["DeviceLastModifiedDate"].year == 9999
    assert listed["Records"][0]["DeviceLastModifiedDate"].year == 9999


def test_deeply_nested_json_body_is_an_invalid_parameter_not_a_500(cognito_sync_server: CognitoSyncServer) -> None:
    """Found by part 2: json.loads raised RecursionError, which the protocol answered as a 500."""
    body = b'{"Events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    data = request_bytes(
        "POST", f"/identitypools/{quote(POOL)}/events", {"Content-Type": "application/json"}, body, len(body)
    )
    status, headers, answer = raw_request(cognito_sync_server, data, "POST")
    assert (status, headers["x-amzn-errortype"]) == (400, "InvalidParameterException:")
    assert json.loads(answer)["message"] == "The request body is nested more than 32 levels deep"
    assert [c.error for c in cognito_sync_server.calls] == ["InvalidParameterException"]


def test_control_endpoints_survive_a_lone_surrogate_in_a_request(cognito_sync_server: CognitoSyncServer) -> None:
    """Found by part 2: /_mock/calls and /_mock/state encoded a recorded "\\ud800" as UTF-8 and answered 500.

    The call is recorded with its parameters whether it succeeds or fails validation,
    so the control endpoints must be able to show a lone surrogate either way.
    """
    body = b'{"Events": {"SyncTrigger": "\\ud800"}}'
    data = request_bytes(
        "POST", f"/identitypools/{quote(POOL)}/events", {"Content-Type": "application/json"}, body, len(body)
    )
    raw_request(cognito_sync_server, data, "POST")
    status, _, answer = raw_request(cognito_sync_server, request_bytes("GET", "/_mock/calls", {}, b""))
    assert status == 200
    assert [(c["operation"], c["params"]["Events"]) for c in json.loads(answer)] == [
        ("SetCognitoEvents", {"SyncTrigger": "\ud800"})
    ]
    status, _, answer = raw_request(cognito_sync_server, request_bytes("GET", "/_mock/state", {}, b""))
    assert status == 200
    assert json.loads(answer)["account_id"] == DEFAULT_ACCOUNT
