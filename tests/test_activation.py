"""Activation: decorator (functions, coroutines, classes, TestCases), context manager,
start/stop, nesting, isolation, options, ``calls``/``reset`` and threads (SPEC 11)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import unittest
from typing import Any

import boto3
import pytest
from activation_support import mock_is_active
from helpers import IDENTITY, POOL, dataset_names, ids, make_client, run_threads, write

from cognito_sync_mock import CognitoSyncError, mock_cognito_sync, protocol

pytestmark = pytest.mark.usefixtures("offline_and_no_mock_left")  # the network refused; no mock open before or after


def describe(mock: mock_cognito_sync, dataset: str = "game", **backend_args: Any) -> dict[str, Any]:
    """DescribeDataset through the mock's Python API (no HTTP)."""
    result: dict[str, Any] = mock.backend(**backend_args).describe_dataset(
        identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=dataset
    )["Dataset"]
    return result


# -- decorator on functions ----------------------------------------------------------------


def test_bare_decorator_on_plain_function(plain_client: Any) -> None:
    @mock_cognito_sync
    def body(x: int, *, y: int) -> tuple[int, bool, list[str]]:
        write(plain_client, {"k": "v"})
        return x + y, mock_is_active(), dataset_names(plain_client)

    assert body.__name__ == "body"
    assert not mock_is_active()
    assert body(1, y=2) == (3, True, ["game"])
    assert not mock_is_active()


def test_each_decorated_call_starts_with_empty_state(plain_client: Any) -> None:
    @mock_cognito_sync
    def body() -> tuple[list[str], bool]:
        before = dataset_names(plain_client)
        exists = plain_client.list_records(**ids())["DatasetExists"]
        write(plain_client, {"k": "v"})
        return before, exists

    assert body() == ([], False)
    assert body() == ([], False)


def test_decorated_function_that_raises_turns_mock_off(plain_client: Any) -> None:
    @mock_cognito_sync
    def body() -> None:
        write(plain_client, {"k": "v"})
        raise KeyError("boom")

    with pytest.raises(KeyError):
        body()
    assert not mock_is_active()


def test_decorator_with_account_id(plain_client: Any) -> None:
    deco = mock_cognito_sync(account_id="111122223333")

    @deco
    def body() -> tuple[int, int]:
        write(plain_client, {"k": "v"})
        mine = describe(deco)["NumRecords"]
        explicit = describe(deco, account_id="111122223333")["NumRecords"]
        with pytest.raises(CognitoSyncError) as info:
            describe(deco, account_id="123456789012")
        assert info.value.code == "ResourceNotFoundException"
        return mine, explicit

    assert body() == (1, 1)


def test_account_comes_from_moto_account_id_then_default(plain_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")
    with mock_cognito_sync() as mock:
        write(plain_client, {"k": "v"})
        assert describe(mock, account_id="444455556666")["DatasetName"] == "game"
        with pytest.raises(CognitoSyncError):
            describe(mock, account_id="123456789012")
    with mock_cognito_sync(account_id="111122223333") as mock:  # the option beats the variable
        write(plain_client, {"k": "v"})
        assert describe(mock, account_id="111122223333")["DatasetName"] == "game"
        with pytest.raises(CognitoSyncError):
            describe(mock, account_id="444455556666")
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    with mock_cognito_sync() as mock:
        write(plain_client, {"k": "v"})
        assert describe(mock, account_id="123456789012")["DatasetName"] == "game"


def test_decorator_with_strict() -> None:
    deco = mock_cognito_sync(strict=True)
    strict_client = make_client()

    @deco
    def body() -> Any:
        # ListRecords does not model ResourceNotFoundException: NotAuthorizedException.
        with pytest.raises(strict_client.exceptions.NotAuthorizedException):
            strict_client.list_records(**ids())
        with pytest.raises(strict_client.exceptions.ResourceNotFoundException):
            strict_client.describe_dataset(**ids())
        deco.backend().register_identity(POOL, IDENTITY)
        listed = strict_client.list_records(**ids())
        return listed["DatasetExists"]

    assert body() is False
    # Without strict, an unknown well-formed pool is accepted.
    with mock_cognito_sync():
        assert strict_client.list_records(**ids())["DatasetExists"] is False


def test_decorator_with_limits(plain_client: Any) -> None:
    @mock_cognito_sync(limits={"datasets_per_identity": 1})
    def body() -> str:
        write(plain_client, {"k": "v"}, dataset="one")
        with pytest.raises(plain_client.exceptions.LimitExceededException):
            write(plain_client, {"k": "v"}, dataset="two")
        return ",".join(dataset_names(plain_client))

    assert body() == "one"

    @mock_cognito_sync(limits={"records_per_dataset": 2})
    def records() -> list[str]:
        write(plain_client, {"a": "1", "b": "2"})
        with pytest.raises(plain_client.exceptions.LimitExceededException):
            write(plain_client, {"c": "3"})
        return sorted(r["Key"] for r in plain_client.list_records(**ids())["Records"])

    assert records() == ["a", "b"]


def test_unknown_limit_raises_value_error_at_construction() -> None:
    with pytest.raises(ValueError):
        mock_cognito_sync(limits={"datasets_per_idenity": 1})
    with pytest.raises(ValueError):

        @mock_cognito_sync(limits={"no_such_limit": 3})
        def body() -> None:  # pragma: no cover - never decorated
            pass

    assert not mock_is_active()


# -- coroutine functions -------------------------------------------------------------------


def test_decorator_on_coroutine_function(plain_client: Any) -> None:
    @mock_cognito_sync
    async def body() -> tuple[bool, list[str]]:
        first = plain_client.list_records(**ids())
        await asyncio.sleep(0)
        assert mock_is_active()
        plain_client.update_records(
            **ids(),
            SyncSessionToken=first["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}],
        )
        await asyncio.sleep(0)
        listed = plain_client.list_records(**ids())
        return first["DatasetExists"], [r["Value"] for r in listed["Records"]]

    assert inspect.iscoroutinefunction(body)
    assert body.__name__ == "body"
    assert asyncio.run(body()) == (False, ["v"])
    assert not mock_is_active()
    assert asyncio.run(body()) == (False, ["v"])  # a fresh state again


def test_overlapping_coroutines_keep_the_mock_on_until_both_end(plain_client: Any) -> None:
    deco = mock_cognito_sync()

    async def main() -> list[str]:
        done = asyncio.Event()

        @deco
        async def short() -> None:
            write(plain_client, {"k": "v"}, dataset="short")
            await asyncio.sleep(0)

        @deco
        async def long() -> list[str]:
            await asyncio.sleep(0)
            await done.wait()
            await asyncio.sleep(0)
            return dataset_names(plain_client)  # still answered: this activation is open

        async def run_short() -> None:
            await short()
            done.set()

        _, names = await asyncio.gather(run_short(), long())
        return names

    assert asyncio.run(main()) == ["short"]


# -- classes -------------------------------------------------------------------------------


def test_decorator_on_plain_class(plain_client: Any) -> None:
    @mock_cognito_sync
    class Suite:
        def test_write(self) -> list[str]:
            write(plain_client, {"k": "v"})
            return dataset_names(plain_client)

        def test_read(self) -> list[str]:
            return dataset_names(plain_client)

        async def test_async(self) -> list[str]:
            await asyncio.sleep(0)
            names = dataset_names(plain_client)
            write(plain_client, {"k": "v"}, dataset="async")
            await asyncio.sleep(0)
            return names + dataset_names(plain_client)

    suite = Suite()
    assert suite.test_write() == ["game"]
    assert not mock_is_active()
    assert suite.test_read() == []
    assert suite.test_write() == ["game"]
    assert asyncio.run(suite.test_async()) == ["async"]
    assert not mock_is_active()


def test_decorator_on_class_with_options(plain_client: Any) -> None:
    deco = mock_cognito_sync(account_id="111122223333")

    @deco
    class Suite:
        def test_write(self) -> int:
            write(plain_client, {"k": "v"})
            return int(describe(deco, account_id="111122223333")["NumRecords"])

    assert Suite().test_write() == 1


def test_decorator_on_class_with_static_test_method() -> None:
    @mock_cognito_sync
    class Suite:
        @staticmethod
        def test_static() -> bool:
            return mock_is_active()

    assert Suite().test_static() is True
    assert Suite.test_static() is True


def _run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    suite = unittest.TestLoader().loadTestsFromTestCase(case)
    result = unittest.TestResult()
    suite.run(result)
    return result


def test_decorator_on_unittest_testcase(plain_client: Any) -> None:
    log: list[tuple[str, Any]] = []

    @mock_cognito_sync
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            write(plain_client, {"k": "v"}, dataset="shared")
            log.append(("setUpClass", dataset_names(plain_client)))

        @classmethod
        def tearDownClass(cls) -> None:
            log.append(("tearDownClass", mock_is_active()))

        def setUp(self) -> None:
            log.append(("setUp", mock_is_active()))

        def tearDown(self) -> None:
            log.append(("tearDown", mock_is_active()))

        def test_one(self) -> None:
            log.append(("test_one", dataset_names(plain_client)))
            write(plain_client, {"k": "v"}, dataset="one")
            self.assertEqual(dataset_names(plain_client), ["one", "shared"])

        def test_two(self) -> None:
            log.append(("test_two", dataset_names(plain_client)))
            write(plain_client, {"k": "v"}, dataset="two")
            self.assertEqual(dataset_names(plain_client), ["shared", "two"])

    result = _run_case(Case)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert log == [
        ("setUpClass", ["shared"]),
        ("setUp", True),
        ("test_one", ["shared"]),
        ("tearDown", True),
        ("setUp", True),
        ("test_two", ["shared"]),
        ("tearDown", True),
        ("tearDownClass", True),
    ]
    assert not mock_is_active()

    # Running the class again starts from an empty state again.
    log.clear()
    result = _run_case(Case)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert log[0] == ("setUpClass", ["shared"])


def test_decorator_on_unittest_testcase_without_class_fixtures(plain_client: Any) -> None:
    seen: list[list[str]] = []

    @mock_cognito_sync
    class Case(unittest.TestCase):
        def test_a(self) -> None:
            seen.append(dataset_names(plain_client))
            write(plain_client, {"k": "v"}, dataset="a")

        def test_b(self) -> None:
            seen.append(dataset_names(plain_client))
            write(plain_client, {"k": "v"}, dataset="b")

    result = _run_case(Case)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert seen == [[], []]


def test_unittest_testcase_whose_setupclass_raises_leaves_mock_off(plain_client: Any) -> None:
    @mock_cognito_sync
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            write(plain_client, {"k": "v"})
            raise RuntimeError("set-up failed")

        def test_never(self) -> None:  # pragma: no cover - skipped by unittest
            pass

    result = _run_case(Case)
    assert len(result.errors) == 1
    assert "set-up failed" in result.errors[0][1]
    assert not mock_is_active()


def test_decorator_on_isolated_asyncio_testcase(plain_client: Any) -> None:
    seen: list[tuple[str, Any]] = []

    @mock_cognito_sync
    class Case(unittest.IsolatedAsyncioTestCase):
        @classmethod
        def setUpClass(cls) -> None:
            write(plain_client, {"k": "v"}, dataset="shared")

        async def asyncSetUp(self) -> None:
            seen.append(("asyncSetUp", mock_is_active()))

        async def test_one(self) -> None:
            await asyncio.sleep(0)
            seen.append(("test_one", dataset_names(plain_client)))
            write(plain_client, {"k": "v"}, dataset="one")

        async def test_two(self) -> None:
            await asyncio.sleep(0)
            seen.append(("test_two", dataset_names(plain_client)))
            write(plain_client, {"k": "v"}, dataset="two")

    result = _run_case(Case)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert seen == [
        ("asyncSetUp", True),
        ("test_one", ["shared"]),
        ("asyncSetUp", True),
        ("test_two", ["shared"]),
    ]


# -- context manager, start/stop -------------------------------------------------------


def test_context_manager(plain_client: Any) -> None:
    with mock_cognito_sync() as mock:
        assert isinstance(mock, mock_cognito_sync)
        write(plain_client, {"k": "v"})
        assert describe(mock)["NumRecords"] == 1
        assert [call.operation for call in mock.calls] == ["ListRecords", "UpdateRecords"]
    assert not mock_is_active()
    with mock_cognito_sync():  # a fresh state
        assert dataset_names(plain_client) == []


def test_start_and_stop(plain_client: Any) -> None:
    mock = mock_cognito_sync()
    mock.start()
    try:
        write(plain_client, {"k": "v"})
        assert dataset_names(plain_client) == ["game"]
    finally:
        mock.stop()
    assert not mock_is_active()
    mock.start()
    try:
        assert dataset_names(plain_client) == []  # restarting begins with an empty state
    finally:
        mock.stop()
    assert not mock_is_active()


def test_stop_without_start_raises_runtime_error() -> None:
    with pytest.raises(RuntimeError):
        mock_cognito_sync().stop()
    mock = mock_cognito_sync()
    mock.start()
    mock.stop()
    with pytest.raises(RuntimeError):
        mock.stop()
    assert not mock_is_active()


# -- nesting ---------------------------------------------------------------------------


def test_nested_activations_share_state(plain_client: Any) -> None:
    with mock_cognito_sync() as outer:
        write(plain_client, {"k": "v"}, dataset="outer")
        with mock_cognito_sync() as inner:
            assert dataset_names(plain_client) == ["outer"]
            assert describe(inner, "outer")["NumRecords"] == 1
            write(plain_client, {"k": "v"}, dataset="inner")
        assert mock_is_active()
        assert dataset_names(plain_client) == ["inner", "outer"]
        assert describe(outer, "inner")["NumRecords"] == 1
    assert not mock_is_active()


def test_decorated_function_inside_with_shares_the_outer_state(plain_client: Any) -> None:
    @mock_cognito_sync
    def inner() -> list[str]:
        names = dataset_names(plain_client)
        write(plain_client, {"k": "v"}, dataset="inner")
        return names

    with mock_cognito_sync():
        write(plain_client, {"k": "v"}, dataset="outer")
        assert inner() == ["outer"]
        assert mock_is_active()
        assert dataset_names(plain_client) == ["inner", "outer"]
    assert not mock_is_active()


def test_same_object_nested(plain_client: Any) -> None:
    mock = mock_cognito_sync()
    with mock:
        write(plain_client, {"k": "v"})
        with mock:
            assert dataset_names(plain_client) == ["game"]
        assert mock_is_active()
        assert dataset_names(plain_client) == ["game"]
    assert not mock_is_active()


def test_inner_body_raising_keeps_outer_active(plain_client: Any) -> None:
    with mock_cognito_sync():
        write(plain_client, {"k": "v"})
        with pytest.raises(ZeroDivisionError):
            with mock_cognito_sync():
                write(plain_client, {"k": "v"}, dataset="inner")
                1 / 0  # noqa: B018
        assert mock_is_active()
        assert dataset_names(plain_client) == ["game", "inner"]
    assert not mock_is_active()


def test_outer_body_raising_turns_mock_off(plain_client: Any) -> None:
    with pytest.raises(KeyError):
        with mock_cognito_sync():
            with mock_cognito_sync():
                write(plain_client, {"k": "v"})
            raise KeyError("outer")
    assert not mock_is_active()


def test_stopping_out_of_order(plain_client: Any) -> None:
    first = mock_cognito_sync()
    second = mock_cognito_sync()
    first.start()
    second.start()
    write(plain_client, {"k": "v"})
    first.stop()  # not the latest: the mock stays on, with its state
    assert mock_is_active()
    assert dataset_names(plain_client) == ["game"]
    third = mock_cognito_sync().start()
    assert describe(third)["NumRecords"] == 1
    second.stop()
    assert mock_is_active()
    assert dataset_names(plain_client) == ["game"]
    third.stop()
    assert not mock_is_active()


# -- calls and reset -------------------------------------------------------------------


def test_calls_record_operations_params_and_errors_in_order(plain_client: Any) -> None:
    with mock_cognito_sync() as mock:
        listed = plain_client.list_records(**ids())
        token = listed["SyncSessionToken"]
        patch = {"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}
        stale = {**patch, "SyncCount": 1}
        with pytest.raises(plain_client.exceptions.ResourceConflictException):
            plain_client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[stale])
        plain_client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[patch])
        with pytest.raises(plain_client.exceptions.InvalidParameterException):
            plain_client.describe_dataset(**ids(dataset="bad name"))
        with pytest.raises(plain_client.exceptions.ResourceNotFoundException):
            plain_client.describe_dataset(**ids(dataset="missing"))
        plain_client.list_records(**ids(), LastSyncCount=1)

        calls = mock.calls
        assert [(c.operation, c.error) for c in calls] == [
            ("ListRecords", None),
            ("UpdateRecords", "ResourceConflictException"),
            ("UpdateRecords", None),
            ("DescribeDataset", "InvalidParameterException"),
            ("DescribeDataset", "ResourceNotFoundException"),
            ("ListRecords", None),
        ]
        assert calls[0].params == ids()
        assert calls[1].params == {**ids(), "SyncSessionToken": token, "RecordPatches": [stale]}
        assert calls[2].params == {**ids(), "SyncSessionToken": token, "RecordPatches": [patch]}
        assert calls[4].params == ids(dataset="missing")
        assert calls[5].params == {**ids(), "LastSyncCount": 1}


def test_calls_keep_params_of_a_request_that_failed_validation(plain_client: Any) -> None:
    with mock_cognito_sync() as mock:
        with pytest.raises(plain_client.exceptions.InvalidParameterException):
            plain_client.describe_dataset(**ids(dataset="bad name"))
        (call,) = mock.calls
        assert (call.operation, call.error) == ("DescribeDataset", "InvalidParameterException")
        assert call.params == ids(dataset="bad name")


def test_reset_empties_state_and_calls(plain_client: Any) -> None:
    with mock_cognito_sync() as mock:
        write(plain_client, {"k": "v"})
        assert len(mock.calls) == 2
        mock.reset()
        assert mock.calls == []
        with pytest.raises(plain_client.exceptions.ResourceNotFoundException):
            plain_client.describe_dataset(**ids())
        assert dataset_names(plain_client) == []
        assert [(c.operation, c.error) for c in mock.calls] == [
            ("DescribeDataset", "ResourceNotFoundException"),
            ("ListDatasets", None),
        ]
        assert mock_is_active()


def describe_missing(mock: mock_cognito_sync, count: int, start: int = 0) -> None:
    """``count`` DescribeDataset calls of missing datasets d<start>, d<start+1>..., straight through the protocol."""
    for n in range(start, start + count):
        path = f"/identitypools/{POOL}/identities/{IDENTITY}/datasets/d{n}"
        mock.state.handle(protocol.Request("GET", path))


def test_calls_keep_the_last_call_history_calls(plain_client: Any) -> None:
    with mock_cognito_sync(call_history=3) as mock:
        for n in range(5):
            with pytest.raises(plain_client.exceptions.ResourceNotFoundException):
                plain_client.describe_dataset(**ids(dataset=f"d{n}"))
        assert [c.params["DatasetName"] for c in mock.calls] == ["d2", "d3", "d4"]
        mock.reset()
        describe_missing(mock, 4, start=10)
        assert [c.params["DatasetName"] for c in mock.calls] == ["d11", "d12", "d13"]  # reset keeps the size


def test_calls_keep_10_000_by_default() -> None:
    with mock_cognito_sync() as mock:
        describe_missing(mock, 10_005)
        calls = mock.calls
        assert len(calls) == 10_000
        assert (calls[0].params["DatasetName"], calls[-1].params["DatasetName"]) == ("d5", "d10004")
        assert {(c.operation, c.error) for c in calls} == {("DescribeDataset", "ResourceNotFoundException")}


def test_a_call_history_of_0_keeps_no_call(plain_client: Any) -> None:
    with mock_cognito_sync(call_history=0) as mock:
        write(plain_client, {"k": "v"})
        assert mock.calls == []
        assert dataset_names(plain_client) == ["game"]


@pytest.mark.parametrize("size", [-1, True, 2.5, "10", None])
def test_a_call_history_that_is_not_a_count_is_refused_when_the_mock_is_made(size: Any) -> None:
    with pytest.raises(ValueError) as info:
        mock_cognito_sync(call_history=size)
    assert str(info.value) == f"call_history must be a whole number of calls, 0 or more, not {size!r}"
    assert not mock_is_active()


# -- threads ---------------------------------------------------------------------------


def test_worker_threads_see_the_mock() -> None:
    results: dict[str, Any] = {}
    go = threading.Event()

    def early() -> None:  # started before the mock
        go.wait(10)
        try:
            results["early"] = dataset_names(make_client())
        except Exception as exc:  # pragma: no cover - reported below
            results["early"] = exc

    def inside() -> None:
        try:
            results["inside"] = dataset_names(make_client())
        except Exception as exc:  # pragma: no cover - reported below
            results["inside"] = exc

    before = threading.Thread(target=early)
    before.start()
    with mock_cognito_sync():
        write(make_client(), {"k": "v"})
        worker = threading.Thread(target=inside)
        worker.start()
        worker.join(10)
        go.set()
        before.join(10)
    assert results == {"early": ["game"], "inside": ["game"]}


def test_threads_hammering_one_dataset_lose_no_update() -> None:
    threads_count, increments = 4, 25
    clients = [make_client(session=boto3.session.Session()) for _ in range(threads_count)]
    conflicts = [0] * threads_count

    def worker(index: int) -> None:
        c = clients[index]
        done = 0
        while done < increments:
            listed = c.list_records(**ids(dataset="counter"))
            record = {r["Key"]: r for r in listed["Records"]}.get("n")
            value = int(record["Value"]) if record else 0
            count = record["SyncCount"] if record else 0
            try:
                c.update_records(
                    **ids(dataset="counter"),
                    SyncSessionToken=listed["SyncSessionToken"],
                    RecordPatches=[{"Op": "replace", "Key": "n", "Value": str(value + 1), "SyncCount": count}],
                )
            except c.exceptions.ResourceConflictException:
                conflicts[index] += 1
                continue
            done += 1

    with mock_cognito_sync() as mock:
        errors = run_threads([functools.partial(worker, i) for i in range(threads_count)])
        assert errors == []
        total = threads_count * increments
        final = clients[0].list_records(**ids(dataset="counter"))
        assert final["DatasetSyncCount"] == total
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in final["Records"]] == [("n", str(total), total)]
        updates = [c.error for c in mock.calls if c.operation == "UpdateRecords"]
        assert updates.count(None) == total
        assert updates.count("ResourceConflictException") == sum(conflicts)
        assert len(updates) == total + sum(conflicts)


# -- decorated tests collected by pytest itself ------------------------------------------


@mock_cognito_sync
def test_decorated_test_function_gets_its_fixtures(plain_client: Any, tmp_path: Any) -> None:
    assert tmp_path.is_dir()
    assert dataset_names(plain_client) == []
    write(plain_client, {"k": "v"})
    assert dataset_names(plain_client) == ["game"]


@mock_cognito_sync
async def _decorated_coroutine(client: Any) -> list[str]:
    await asyncio.sleep(0)
    write(client, {"k": "v"})
    await asyncio.sleep(0)
    return dataset_names(client)


def test_module_level_decorated_coroutine(plain_client: Any) -> None:
    assert asyncio.run(_decorated_coroutine(plain_client)) == ["game"]
    assert asyncio.run(_decorated_coroutine(plain_client)) == ["game"]
