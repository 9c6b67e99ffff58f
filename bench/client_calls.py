"""Calls through boto3: the mock against botocore's own floor, and moto against its floor.

The floor is botocore's whole client pipeline (serialize, sign, emit, parse) with a
``before-send`` handler that returns a canned ``AWSResponse`` holding the very bytes,
status and headers the mock answered the same call with. It is timed while the mock is
stopped, so none of the mock's work is in it; the mock's cost per call is then
``mock - floor``, and its ratio ``mock / floor``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

import boto3
from _timing import PACKAGE_DIR, Arm, Row, Settings, interleave, us
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

REGION = "us-east-1"
POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b1"
DATASET = "bench"
IDS = {"IdentityPoolId": POOL, "IdentityId": IDENTITY, "DatasetName": DATASET}
MISSING = {**IDS, "DatasetName": "missing"}
KEYS = [f"key-{i:02d}" for i in range(10)]


class _Raw:
    """What AWSResponse reads a body from (as the mock's own raw object does)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def make_client(service: str = "cognito-sync") -> Any:
    return boto3.session.Session().client(
        service, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
    )


class Canned:
    """A captured answer: status, headers and body bytes, replayed by a before-send handler."""

    def __init__(self, response_dict: dict[str, Any]) -> None:
        self.status = response_dict["status_code"]
        self.headers = dict(response_dict["headers"])
        self.body = bytes(response_dict["body"])

    def handler(self) -> Callable[..., AWSResponse]:
        status, headers, body = self.status, self.headers, self.body

        def answer(request: Any, **_: Any) -> AWSResponse:
            return AWSResponse(request.url, status, headers, _Raw(body))

        return answer


def capture(client: Any, service_id: str, call: Callable[[], Any]) -> Canned:
    """The status, headers and body of the answer to ``call`` (made on ``client``)."""
    seen: list[dict[str, Any]] = []

    def keep(response_dict: dict[str, Any], **_: Any) -> None:
        seen.append(dict(response_dict))

    client.meta.events.register(f"before-parse.{service_id}", keep)
    try:
        try:
            call()
        except ClientError:
            pass
    finally:
        client.meta.events.unregister(f"before-parse.{service_id}", keep)
    return Canned(seen[-1])


def floor_client(service: str, answers: dict[str, Canned]) -> Any:
    """A client of ``service`` whose requests get canned answers, first before anyone else."""
    client = make_client(service)
    service_id = client.meta.service_model.service_id.hyphenize()
    for operation, canned in answers.items():
        client.meta.events.register_first(f"before-send.{service_id}.{operation}", canned.handler())
    return client


# -- the mock's side ------------------------------------------------------------------------


def seed(mock: Any) -> str:
    """A 10-record dataset at sync count 1 in a fresh mock; returns a session token."""
    backend = mock.backend(REGION)
    token = backend.list_records(POOL, IDENTITY, DATASET)["SyncSessionToken"]
    patches = [{"Op": "replace", "Key": k, "Value": f"value of {k} " + "x" * 40, "SyncCount": 0} for k in KEYS]
    backend.update_records(POOL, IDENTITY, DATASET, token, patches)
    return str(backend.list_records(POOL, IDENTITY, DATASET)["SyncSessionToken"])


def update_params(tokens: list[str], first_count: int) -> list[dict[str, Any]]:
    """UpdateRecords arguments for successive calls, one per token, each patching all 10 records.

    After a 10-patch update every record carries the dataset's new sync count, so call
    ``i`` patches with SyncCount ``first_count + i``: every call succeeds. A successful
    UpdateRecords uses its session token up, so each call has a token of its own.
    """
    return [
        {
            **IDS,
            "SyncSessionToken": token,
            "RecordPatches": [
                {"Op": "replace", "Key": k, "Value": f"value {count} of {k}", "SyncCount": count} for k in KEYS
            ],
        }
        for count, token in enumerate(tokens, first_count)
    ]


class MockRound:
    """Start a fresh mock and seed it for one round; stop it afterwards."""

    def __init__(self) -> None:
        self.mock: Any = None

    def enter(self) -> None:
        from cognito_sync_mock import mock_cognito_sync

        self.mock = mock_cognito_sync()
        self.mock.start()
        seed(self.mock)

    def session_tokens(self, count: int) -> list[str]:
        """``count`` fresh SyncSessionTokens of the seeded dataset (minted on the backend)."""
        backend = self.mock.backend(REGION)
        return [str(backend.list_records(POOL, IDENTITY, DATASET)["SyncSessionToken"]) for _ in range(count)]

    def exit(self) -> None:
        self.mock.stop()


# The floor's requests carry a real token of an earlier mock (it is never checked), so
# that both arms sign and send bodies of the same size.
_FLOOR_TOKEN = ["set by mock_rows"]

# Each operation is a factory: (client, a MockRound or None for the floor, calls) -> Arm.
Factory = Callable[[Any, "MockRound | None", int], Arm]
WARM = 5


def _round_hooks(mock_round: MockRound | None) -> tuple[Callable[[], Any], Callable[[], Any]]:
    if mock_round is None:
        return (lambda: None), (lambda: None)
    return mock_round.enter, mock_round.exit


def list_records_arm(client: Any, mock_round: MockRound | None, calls: int) -> Arm:
    list_records = client.list_records

    def run(n: int) -> None:
        for _ in range(n):
            list_records(**IDS)

    return Arm("mock" if mock_round else "floor", run, *_round_hooks(mock_round), WARM)


def describe_missing_arm(client: Any, mock_round: MockRound | None, calls: int) -> Arm:
    describe = client.describe_dataset

    def run(n: int) -> None:
        for _ in range(n):
            try:
                describe(**MISSING)
            except ClientError:
                pass

    return Arm("mock" if mock_round else "floor", run, *_round_hooks(mock_round), WARM)


def update_records_arm(client: Any, mock_round: MockRound | None, calls: int) -> Arm:
    """UpdateRecords of all 10 records; each round has its own list of (succeeding) arguments.

    The floor replays arguments of the same shape; building them is outside the clock.
    """
    total = WARM + calls
    state: dict[str, Iterator[dict[str, Any]]] = {"params": iter(())}

    def enter() -> None:
        if mock_round is not None:
            mock_round.enter()
        tokens = mock_round.session_tokens(total) if mock_round is not None else [_FLOOR_TOKEN[0]] * total
        state["params"] = iter(update_params(tokens, 1))

    def exit_() -> None:
        if mock_round is None:
            return
        got = mock_round.mock.backend(REGION).list_records(POOL, IDENTITY, DATASET)["DatasetSyncCount"]
        mock_round.exit()
        if got != 1 + total:
            raise RuntimeError(f"UpdateRecords bench: sync count {got}, expected {1 + total}")

    update = client.update_records

    def run(n: int) -> None:
        for params in islice(state["params"], n):
            update(**params)

    return Arm("mock" if mock_round else "floor", run, enter, exit_, WARM)


@contextmanager
def inside_handler(profiler: cProfile.Profile | None = None) -> Iterator[tuple[Any, list[float]]]:
    """A fresh client whose mock handler is wrapped: timed (and profiled) inside only.

    The wrapper is what the interception registers on the client's first call (it looks
    ``interception._answer`` up at that moment), so only the mock's own work is counted:
    to_request, protocol, backend, serialization, the AWSResponse.
    """
    from cognito_sync_mock import interception

    original = interception._answer
    spent = [0.0, 0.0]

    def wrapper(request: Any, **kwargs: Any) -> Any:
        if profiler is not None:
            profiler.enable()
        start = time.process_time()
        try:
            return original(request, **kwargs)
        finally:
            spent[0] += time.process_time() - start
            spent[1] += 1
            if profiler is not None:
                profiler.disable()

    interception._answer = wrapper
    try:
        yield make_client(), spent
    finally:
        interception._answer = original


def handler_share(factory: Factory, calls: int, profiler: cProfile.Profile | None = None) -> float:
    """Seconds per call spent inside the mock's before-send handler (not compared: a side pass)."""
    with inside_handler(profiler) as (client, spent):
        arm = factory(client, MockRound(), calls)
        arm.enter()
        try:
            arm.run(arm.warm)
            if profiler is not None:
                profiler.enable()  # the handler turns it on and off; start with a clean slate
                profiler.disable()
                profiler.clear()
            spent[:] = [0.0, 0.0]
            arm.run(calls)
        finally:
            arm.exit()
    return spent[0] / max(spent[1], 1)


def handler_profile(factory: Factory, calls: int, inside: float, limit: int = 5) -> str:
    """The top costs inside the mock's handler, two ways.

    By own time (any function, the library's included), and by the time each of the
    mock's functions accounts for: its own time plus the own time of the library code
    (json, hmac, uuid, botocore helpers) it calls, directly or through other library code;
    what other mock functions do is theirs. cProfile inflates small functions, so each entry is given as its share of
    the profiled time inside the handler, and that share of the unprofiled time ``inside``.
    """
    profiler = cProfile.Profile()
    handler_share(factory, calls, profiler)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def skip(func: tuple[str, int, str]) -> bool:  # the profiler's switches, the timing wrapper
        return "_lsprof" in func[2] or "process_time" in func[2] or func[0].endswith("client_calls.py")

    def name(func: tuple[str, int, str]) -> str:
        filename, line, function = func
        where = filename.split(PACKAGE_DIR, 1)[-1] if PACKAGE_DIR in filename else os.path.basename(filename)
        return f"{where}:{line}({function})" if line else function

    def ours(func: tuple[str, int, str]) -> bool:
        return PACKAGE_DIR in func[0]

    funcs = [f for f in stats if not skip(f)]
    total = sum(stats[f][2] for f in funcs) or 1.0
    accounts: dict[tuple[str, int, str], float] = {f: stats[f][2] for f in funcs if ours(f)}

    def flow(func: tuple[str, int, str], seconds: float, depth: int = 0) -> None:
        """Hand library time up to the mock function that (through any library calls) called it."""
        callers = stats[func][4]
        weight = sum(edge[3] for edge in callers.values()) or 1.0
        for caller, edge in callers.items():
            part = seconds * edge[3] / weight
            if caller in accounts:
                accounts[caller] += part
            elif caller in stats and depth < 30 and caller != func:
                flow(caller, part, depth + 1)

    for func in funcs:
        if not ours(func):
            flow(func, stats[func][2])

    def share(seconds: float) -> str:
        return f"{seconds / total:.0%} ≈ {seconds / total * inside * 1e6:.0f} µs"

    by_own = sorted(funcs, key=lambda f: stats[f][2], reverse=True)[:limit]
    by_account = sorted(accounts, key=lambda f: accounts[f], reverse=True)[:limit]
    return (
        "by own time: "
        + "; ".join(f"`{name(f)}` {share(stats[f][2])} ({stats[f][1] / calls:g} calls)" for f in by_own)
        + ". The mock's functions by the time they account for (own + library code they call): "
        + "; ".join(f"`{name(f)}` {share(accounts[f])}" for f in by_account)
    )


def compare(
    figure: str, factory: Factory, floor: Any, mock_client: Any, settings: Settings, target: float
) -> tuple[Row, float]:
    """One mock-vs-floor row: interleaved rounds, the handler's share, a profile if missed."""
    # Many short rounds: each pair of 50-call rounds is timed within a tenth of a second,
    # so the machine's slow and fast spells land on both arms of a pair alike.
    n = settings.scale(50)
    mock_round = MockRound()
    results = interleave([factory(mock_client, mock_round, n), factory(floor, None, n)], n, settings.rounds(121))
    overhead = results.diff("mock", "floor")
    inside = handler_share(factory, settings.scale(300))
    ratio = results.ratio("mock", "floor")
    met = ratio <= target
    bound = ""
    if not met:
        bound = (
            f"mock - floor is {us(overhead)} per call, of which {us(inside)} is inside the mock's "
            f"before-send handler. Top 5 inside it (cProfile shares, scaled to that time), "
            + handler_profile(factory, settings.scale(300), inside)
        )
    row = Row(
        figure,
        us(results["mock"]),
        us(results["floor"]) + " (floor)",
        ratio,
        f"<= {target:.2f}",
        met,
        bound,
        f"mock - floor {us(overhead)}; inside the mock's handler {us(inside)}",
    )
    return row, overhead


def mock_rows(settings: Settings) -> tuple[list[Row], float]:
    """ListRecords, UpdateRecords and an error answer: mock / floor. Also our overhead."""
    from cognito_sync_mock import mock_cognito_sync

    # Capture the mock's real answers: status, headers and body bytes.
    capture_client = make_client()
    answers: dict[str, Canned] = {}
    with mock_cognito_sync() as mock:
        token = seed(mock)
        _FLOOR_TOKEN[0] = token
        answers["ListRecords"] = capture(capture_client, "cognito-sync", lambda: capture_client.list_records(**IDS))
        answers["UpdateRecords"] = capture(
            capture_client, "cognito-sync", lambda: capture_client.update_records(**update_params([token], 1)[0])
        )
        answers["DescribeDataset"] = capture(
            capture_client, "cognito-sync", lambda: capture_client.describe_dataset(**MISSING)
        )
    assert answers["ListRecords"].status == 200 and answers["ListRecords"].body.count(b'"Key"') == 10
    assert answers["UpdateRecords"].status == 200 and answers["UpdateRecords"].body.count(b'"Key"') == 10
    assert answers["DescribeDataset"].status == 404 and b"not found" in answers["DescribeDataset"].body

    mock_client = make_client()
    floor = floor_client("cognito-sync", answers)
    list_row, list_overhead = compare(
        "ListRecords via boto3, 10 records: mock / floor", list_records_arm, floor, mock_client, settings, 1.15
    )
    update_row, _ = compare(
        "UpdateRecords via boto3, 10 patches: mock / floor", update_records_arm, floor, mock_client, settings, 1.20
    )
    error_row, _ = compare(
        "error via boto3 (DescribeDataset, ResourceNotFound): mock / floor",
        describe_missing_arm,
        floor,
        mock_client,
        settings,
        1.15,
    )
    return [list_row, update_row, error_row], list_overhead


# -- moto ------------------------------------------------------------------------------------


def moto_row(settings: Settings, our_overhead: float) -> Row:
    """moto's overhead over its own floor (Lambda ListFunctions) / ours over ours (ListRecords)."""
    figure = "moto overhead (Lambda ListFunctions) / our overhead (ListRecords)"
    try:
        from moto import mock_aws
    except ImportError as exc:  # pragma: no cover - moto is a dev dependency
        return Row(figure, "n/a", "n/a", None, ">= 3", None, f"moto not importable: {exc}")

    rounds = settings.rounds()
    n = settings.scale(1000)
    capture_client = make_client("lambda")
    with mock_aws():
        answer = capture(capture_client, "lambda", capture_client.list_functions)
    assert answer.status == 200 and b"Functions" in answer.body

    moto_client = make_client("lambda")
    floor = floor_client("lambda", {"ListFunctions": answer})
    active: list[Any] = []

    def enter() -> None:
        active.append(mock_aws())
        active[-1].start()

    def exit_() -> None:
        active.pop().stop()

    def calls(client: Any) -> Callable[[int], None]:
        list_functions = client.list_functions

        def run(calls: int) -> None:
            for _ in range(calls):
                list_functions()

        return run

    arms = [Arm("moto", calls(moto_client), enter, exit_, 5), Arm("floor", calls(floor), warm=5)]
    results = interleave(arms, n, rounds)
    moto_overhead = results.diff("moto", "floor")
    if our_overhead <= 0:
        return Row(
            figure,
            us(moto_overhead),
            us(our_overhead) + " (ours, within noise)",
            None,
            ">= 3",
            True,
            detail=f"moto {us(results['moto'])}, its floor {us(results['floor'])}",
        )
    ratio = moto_overhead / our_overhead
    return Row(
        figure,
        us(moto_overhead),
        us(our_overhead) + " (ours)",
        ratio,
        ">= 3",
        ratio >= 3,
        "" if ratio >= 3 else "see the ListRecords row: our overhead per call is what bounds this ratio",
        detail=f"moto {us(results['moto'])} per call, its floor {us(results['floor'])}",
    )


def run(settings: Settings) -> list[Row]:
    rows, overhead = mock_rows(settings)
    rows.append(moto_row(settings, overhead))
    return rows


if __name__ == "__main__":
    import sys

    from _timing import table

    print(table(run(Settings(quick="--quick" in sys.argv))))
