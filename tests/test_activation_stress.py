"""Activation under stress: start and stop from many threads and nested in every order; an
exception anywhere always stops the mock.

Whether the mock is on is observed from outside: a cognito-sync call with the network
refused at the socket level is either answered (on) or fails with EndpointConnectionError
(off); and once everything has stopped, botocore's patched methods are botocore's own again.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import threading
import time
import unittest
from collections.abc import Iterator
from typing import Any, Callable

import boto3
import botocore.auth
import botocore.credentials
import botocore.endpoint
import botocore.session
import pytest
from activation_support import mock_is_active
from botocore.exceptions import EndpointConnectionError
from botocore.hooks import HierarchicalEmitter
from helpers import IDENTITY, NO_RETRIES, POOL, make_client, run_threads
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_sync_mock import mock_cognito_sync
from cognito_sync_mock.exceptions import ResourceNotFoundError

ORIGINALS = {
    (botocore.endpoint.Endpoint, "_do_get_response"): botocore.endpoint.Endpoint.__dict__["_do_get_response"],
    (botocore.session.Session, "__init__"): botocore.session.Session.__dict__["__init__"],
    (botocore.auth.SigV4Auth, "__init__"): botocore.auth.SigV4Auth.__dict__["__init__"],
    (botocore.credentials.CredentialResolver, "load_credentials"): botocore.credentials.CredentialResolver.__dict__[
        "load_credentials"
    ],
}
THREADS = 8
CYCLES = 1000
RACE_SECONDS = 5.0


pytestmark = pytest.mark.usefixtures("offline_and_no_mock_left")  # the network refused; no mock open before or after


@pytest.fixture(autouse=True)
def _botocore_restored() -> Iterator[None]:
    """After each test, every botocore method the mock patches is botocore's own again."""
    yield
    assert_botocore_restored()


def assert_botocore_restored() -> None:
    for (cls, name), original in ORIGINALS.items():
        assert cls.__dict__[name] is original, f"{cls.__name__}.{name} is still patched"


def pool_known(mock: mock_cognito_sync) -> bool:
    try:
        mock.backend("us-east-1").describe_identity_pool_usage(POOL)
    except ResourceNotFoundError:
        return False
    return True


# -- nesting in every order ------------------------------------------------------------

STEPS = st.lists(st.tuples(st.sampled_from(["start", "stop"]), st.integers(0, 3)), max_size=25)


@settings(max_examples=120, deadline=None, database=None)
@given(steps=STEPS)
def test_any_order_of_starts_and_stops_over_several_objects(steps: list[tuple[str, int]]) -> None:
    """A model: on iff any activation is open; one shared state per stretch of being on."""
    mocks = [mock_cognito_sync() for _ in range(4)]
    open_count = [0] * 4
    current_state: Any = None
    seen_states: list[Any] = []
    try:
        for action, index in steps:
            mock = mocks[index]
            if action == "stop" and open_count[index] == 0:
                with pytest.raises(RuntimeError):
                    mock.stop()
            elif action == "stop":
                mock.stop()
                open_count[index] -= 1
            else:
                fresh = sum(open_count) == 0
                mock.start()
                open_count[index] += 1
                if fresh:  # a new stretch: a new, empty state
                    assert all(mock.state is not old for old in seen_states)
                    assert not pool_known(mock)
                    mock.backend("us-east-1").register_identity_pool(POOL)
                    current_state = mock.state
                    seen_states.append(current_state)
                else:  # nested: the state of the stretch
                    assert mock.state is current_state and pool_known(mock)
            assert [m.active for m in mocks] == [n > 0 for n in open_count]
            assert mock_is_active() is (sum(open_count) > 0)
    finally:
        for index, mock in enumerate(mocks):
            for _ in range(open_count[index]):
                mock.stop()
    assert not mock_is_active()


@settings(max_examples=60, deadline=None, database=None)
@given(depth=st.integers(1, 6), raise_at=st.integers(1, 6), catch_at=st.integers(0, 6), same_object=st.booleans())
def test_an_exception_at_any_depth_of_nested_with_blocks(
    depth: int, raise_at: int, catch_at: int, same_object: bool
) -> None:
    """Raised inside the ``raise_at``-th block and caught around the ``catch_at``-th (0: outside all)."""
    raise_at, catch_at = min(raise_at, depth), min(catch_at, depth)
    shared = mock_cognito_sync()
    after_catch: list[bool] = []

    class Boom(Exception):
        pass

    def level(n: int) -> None:
        if n > depth:
            return
        try:
            with shared if same_object else mock_cognito_sync():
                if n == raise_at:
                    raise Boom(n)
                level(n + 1)
        except Boom:
            if n != catch_at:
                raise
            after_catch.append(mock_is_active())

    if catch_at == 0 or catch_at > raise_at:
        with pytest.raises(Boom):
            level(1)
        assert after_catch == []
    else:
        level(1)
        assert after_catch == [catch_at > 1]  # on iff an enclosing block is still open
    assert not mock_is_active()


# -- an exception always stops the mock ------------------------------------------------


class CustomBaseException(BaseException):
    pass


EXCEPTIONS = [ValueError, AssertionError, KeyboardInterrupt, SystemExit, GeneratorExit, CustomBaseException]


def decorated(exc: type[BaseException]) -> Callable[[], None]:
    @mock_cognito_sync
    def body() -> None:
        assert mock_is_active()
        raise exc("from a decorated function")

    return body


def decorated_coroutine(exc: type[BaseException]) -> Callable[[], None]:
    @mock_cognito_sync
    async def body() -> None:
        await asyncio.sleep(0)
        assert mock_is_active()
        raise exc("from a decorated coroutine")

    return lambda: asyncio.run(body())


def with_block(exc: type[BaseException]) -> Callable[[], None]:
    def body() -> None:
        with mock_cognito_sync():
            assert mock_is_active()
            raise exc("from a with block")

    return body


def nested_with_blocks(exc: type[BaseException]) -> Callable[[], None]:
    def body() -> None:
        with mock_cognito_sync(), mock_cognito_sync() as inner, inner:
            assert mock_is_active()
            raise exc("from three nested with blocks")

    return body


def decorated_class_method(exc: type[BaseException]) -> Callable[[], None]:
    @mock_cognito_sync
    class Tests:
        def test_raises(self) -> None:
            assert mock_is_active()
            raise exc("from a method of a decorated class")

    return lambda: Tests().test_raises()


def started_and_stopped_in_finally(exc: type[BaseException]) -> Callable[[], None]:
    def body() -> None:
        mock = mock_cognito_sync()
        mock.start()
        try:
            assert mock_is_active()
            raise exc("between start() and stop()")
        finally:
            mock.stop()

    return body


WAYS = [
    decorated,
    decorated_coroutine,
    with_block,
    nested_with_blocks,
    decorated_class_method,
    started_and_stopped_in_finally,
]


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: e.__name__)
@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
def test_an_exception_stops_the_mock(
    way: Callable[[type[BaseException]], Callable[[], None]], exc: type[BaseException]
) -> None:
    if exc is GeneratorExit and way is decorated_coroutine:
        exc = CustomBaseException  # asyncio.run turns a GeneratorExit inside a task into something else
    with pytest.raises(exc):
        way(exc)()
    assert not mock_is_active()
    with mock_cognito_sync() as again:  # and the next activation starts clean
        assert not pool_known(again)


def test_a_failing_unittest_test_leaves_the_class_active_and_stops_after_it() -> None:
    seen: list[bool] = []

    @mock_cognito_sync
    class Case(unittest.TestCase):
        def test_a_fails(self) -> None:
            seen.append(mock_is_active())
            raise ValueError("boom")

        def test_b_passes(self) -> None:
            seen.append(mock_is_active())

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
    assert (len(result.errors), result.testsRun, seen) == (1, 2, [True, True])
    assert not mock_is_active()


# -- many threads ----------------------------------------------------------------------


def test_many_threads_starting_and_stopping_in_random_nestings_leave_it_off() -> None:
    shared = mock_cognito_sync()  # one object used by every thread, beside each thread's own

    def churn(seed: int) -> Callable[[], None]:
        def work() -> None:
            rnd = random.Random(seed)
            mine = [mock_cognito_sync() for _ in range(3)]
            for _ in range(CYCLES):
                chosen = [rnd.choice([*mine, shared]) for _ in range(rnd.randint(1, 4))]
                for mock in chosen:
                    mock.start()
                for mock in chosen if rnd.random() < 0.5 else reversed(chosen):  # in and out of order
                    mock.stop()

        return work

    raised = run_threads([churn(seed) for seed in range(THREADS)])
    assert raised == []
    assert not shared.active
    assert not mock_is_active()
    assert_botocore_restored()
    with mock_cognito_sync() as fresh:
        assert fresh.calls == [] and not pool_known(fresh)


def test_a_holder_keeps_one_state_while_other_threads_churn() -> None:
    holder = mock_cognito_sync()
    holder.start()
    holder.backend("us-east-1").register_identity_pool(POOL)
    stop = threading.Event()
    answers: list[bool] = []
    states: list[Any] = []

    def churn(seed: int) -> Callable[[], None]:
        def work() -> None:
            rnd = random.Random(seed)
            for _ in range(CYCLES):
                with mock_cognito_sync() as inner:
                    states.append(inner.state)
                    if rnd.random() < 0.3:
                        with inner:
                            pass

        return work

    def check() -> None:
        client = make_client()
        while True:
            answers.append(
                client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]["IdentityPoolId"] == POOL
            )
            if stop.wait(0.002):  # a pause between calls: without it the checkers starve the churners
                return

    checkers = [threading.Thread(target=check, daemon=True) for _ in range(2)]
    for thread in checkers:
        thread.start()
    try:
        raised = run_threads([churn(seed) for seed in range(THREADS)])
    finally:
        stop.set()
        for thread in checkers:
            thread.join(30)
        holder.stop()
    assert raised == []
    assert answers and all(answers)
    assert len(states) == THREADS * CYCLES and all(s is holder.state for s in states)
    assert not mock_is_active()


def test_calls_and_new_clients_racing_start_and_stop_never_raise() -> None:
    """While threads start and stop the mock, other threads' calls are answered or go to the
    (refused) network, and new clients are made: nothing else may happen.

    Thread switches are made very frequent, so that stop() lands inside a call or a client's
    construction. This found KeyError from interception._original (see the two tests below).
    """
    stop = threading.Event()
    outcomes: dict[str, int] = {"answered": 0, "network": 0, "created": 0}
    failures: list[str] = []
    lock = threading.Lock()
    callers = [make_client() for _ in range(4)]
    sessions = [boto3.session.Session() for _ in range(2)]

    def count(name: str) -> None:
        with lock:
            outcomes[name] += 1

    def call(client: Any) -> Callable[[], None]:
        def work() -> None:
            while not stop.is_set():
                try:
                    client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
                    count("answered")
                except EndpointConnectionError:
                    count("network")
                except Exception as exc:  # what this test looks for
                    failures.append(f"call: {exc!r}")

        return work

    def create(session: boto3.session.Session) -> Callable[[], None]:
        def work() -> None:
            while not stop.is_set():
                try:
                    session.client(
                        "cognito-sync",
                        region_name="us-east-1",
                        aws_access_key_id="a",
                        aws_secret_access_key="b",
                        config=NO_RETRIES,
                    )
                    count("created")
                except Exception as exc:  # what this test looks for
                    failures.append(f"client creation: {exc!r}")

        return work

    def toggle() -> None:
        deadline = time.monotonic() + RACE_SECONDS
        try:
            while time.monotonic() < deadline and not failures:
                with mock_cognito_sync():
                    pass
        finally:
            stop.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        raised = run_threads([call(c) for c in callers] + [create(s) for s in sessions] + [toggle] * 3)
    finally:
        sys.setswitchinterval(interval)
    assert raised == []
    assert failures == []
    assert outcomes["answered"] > 0 and outcomes["network"] > 0 and outcomes["created"] > 0


# -- regressions the stress test found ---------------------------------------------------


def test_a_call_in_flight_when_another_thread_stops_the_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mock stops (as another thread would) inside a call, after the wrapper of
    ``Endpoint._do_get_response`` was entered: the call must be answered or go to the network.

    Found by the stress test: ``interception._original`` raised KeyError, since stop() had
    already dropped the entry of the original method.
    """
    client = make_client()
    mock = mock_cognito_sync()
    real_register_first = client.meta.events.register_first

    def register_first(*args: Any, **kwargs: Any) -> Any:
        mock.stop()  # another thread stops the mock at this very moment
        return real_register_first(*args, **kwargs)

    monkeypatch.setattr(client.meta.events, "register_first", register_first)
    mock.start()
    try:
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
        outcome = "answered"
    except EndpointConnectionError:
        outcome = "network"
    # Either outcome is right; what must not happen is any other exception (it was KeyError).
    assert [c.operation for c in mock.calls] == (["ListDatasets"] if outcome == "answered" else [])
    assert not mock.active


def test_a_client_being_made_when_another_thread_stops_the_mock() -> None:
    """A thread entered the mock's ``Endpoint.__init__`` just before another thread stopped
    the mock: the endpoint must still be made.

    Found by the stress test (KeyError from ``interception._original``).
    """
    with mock_cognito_sync():
        init = botocore.endpoint.Endpoint.__init__  # what the client-making thread is running
    endpoint: Any = object.__new__(botocore.endpoint.Endpoint)  # Any: botocore-stubs know no _endpoint_prefix
    init(endpoint, "https://cognito-sync.us-east-1.amazonaws.com", "cognito-sync", HierarchicalEmitter())
    assert (endpoint.host, endpoint._endpoint_prefix) == (
        "https://cognito-sync.us-east-1.amazonaws.com",
        "cognito-sync",
    )


def test_credentials_being_resolved_when_another_thread_stops_the_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same race in the credential fallback: resolving credentials (no keys configured)
    just as another thread stops the mock must not raise KeyError."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_cognito_sync():
        load = botocore.credentials.CredentialResolver.load_credentials
    resolver = botocore.credentials.CredentialResolver(providers=[])
    assert load(resolver) is None  # no provider, mock off: nothing found, nothing raised


def test_stopping_the_mock_leaves_a_thread_reading_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore reads os.environ (proxy settings) for every new client. Found by the stress
    test when the mock lent dummy credentials by writing them into os.environ and deleting
    them on stop: a thread iterating the environment meanwhile got KeyError."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    mock = mock_cognito_sync().start()
    reader = iter(os.environ.items())
    first = next(reader)  # the reading thread is under way
    mock.stop()
    items = dict([first, *reader])
    assert items == dict(os.environ)
