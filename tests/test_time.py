"""Time: freezegun and time-machine control every date and the session token expiry (SPEC 5, 10)."""

from __future__ import annotations

import contextlib
import datetime as _dt
from typing import Any, Iterator

import pytest
import time_machine
from freezegun import freeze_time
from helpers import ids, write

from cognito_sync_mock import mock_cognito_sync


@pytest.fixture(autouse=True)
def _guard(network_guard: Any) -> Any:
    """A request that escaped the mock would fail at once instead of reaching AWS."""
    yield network_guard
    assert network_guard.attempts == []


UTC = _dt.timezone.utc
START = _dt.datetime(2024, 5, 6, 7, 8, 9, 123400, tzinfo=UTC)
START_MS = _dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)  # what AWS reports: milliseconds
HOUR = _dt.timedelta(hours=1)


class Clock:
    """A started freezegun or time-machine clock that can be moved forward."""

    def __init__(self, tool: str, handle: Any) -> None:
        self.tool = tool
        self.handle = handle

    def forward(self, seconds: float) -> None:
        delta = _dt.timedelta(seconds=seconds)
        if self.tool == "freezegun":
            self.handle.tick(delta)
        else:
            self.handle.shift(delta)


@contextlib.contextmanager
def clock_and_mock(tool: str, clock_first: bool) -> Iterator[Clock]:
    """The clock and the mock, started in the order asked, stopped in reverse."""
    with contextlib.ExitStack() as stack:
        handle: Any
        if not clock_first:
            stack.enter_context(mock_cognito_sync())
        if tool == "freezegun":
            handle = stack.enter_context(freeze_time(START))
        else:
            handle = stack.enter_context(time_machine.travel(START, tick=False))
        if clock_first:
            stack.enter_context(mock_cognito_sync())
        yield Clock(tool, handle)


CASES = pytest.mark.parametrize(
    "tool, clock_first",
    [("freezegun", True), ("freezegun", False), ("time_machine", True), ("time_machine", False)],
    ids=["freezegun-then-mock", "mock-then-freezegun", "time_machine-then-mock", "mock-then-time_machine"],
)


@CASES
def test_dates_are_the_controlled_time(tool: str, clock_first: bool, plain_client: Any) -> None:
    with clock_and_mock(tool, clock_first) as clock:
        first = write(plain_client, {"k": "v"})["Records"][0]
        assert first["LastModifiedDate"] == START_MS
        assert first["DeviceLastModifiedDate"] == START_MS

        clock.forward(3600)
        second = write(plain_client, {"k": "v2"})["Records"][0]
        assert second["LastModifiedDate"] == START_MS + HOUR

        dataset = plain_client.describe_dataset(**ids())["Dataset"]
        assert dataset["CreationDate"] == START_MS
        assert dataset["LastModifiedDate"] == START_MS + HOUR

        listed = plain_client.list_records(**ids())["Records"]
        assert [(r["Key"], r["LastModifiedDate"]) for r in listed] == [("k", START_MS + HOUR)]

        usage = plain_client.describe_identity_usage(**ids(dataset=None))["IdentityUsage"]
        assert usage["LastModifiedDate"] == START_MS + HOUR

        (summary,) = plain_client.list_datasets(**ids(dataset=None))["Datasets"]
        assert (summary["CreationDate"], summary["LastModifiedDate"]) == (START_MS, START_MS + HOUR)


def test_calls_are_timed_on_the_controlled_clock(plain_client: Any) -> None:
    with mock_cognito_sync() as mock, freeze_time(START) as frozen:
        write(plain_client, {"k": "v"})
        frozen.tick(HOUR)
        plain_client.list_datasets(IdentityPoolId=ids()["IdentityPoolId"], IdentityId=ids()["IdentityId"])
    assert [(c.number, c.operation, c.time) for c in mock.calls] == [
        (1, "ListRecords", START),
        (2, "UpdateRecords", START),
        (3, "ListDatasets", START + HOUR),
    ]


@CASES
def test_sync_session_token_lives_300_seconds_on_the_controlled_clock(
    tool: str, clock_first: bool, plain_client: Any
) -> None:
    with clock_and_mock(tool, clock_first) as clock:
        token = plain_client.list_records(**ids())["SyncSessionToken"]

        clock.forward(299)  # still valid
        written = plain_client.update_records(
            **ids(),
            SyncSessionToken=token,
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}],
        )
        assert [(r["Key"], r["SyncCount"], r["LastModifiedDate"]) for r in written["Records"]] == [
            ("k", 1, START_MS + _dt.timedelta(seconds=299))
        ]

        clock.forward(2)  # 301 s after issue
        with pytest.raises(plain_client.exceptions.InvalidParameterException) as info:
            plain_client.update_records(
                **ids(),
                SyncSessionToken=token,
                RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v2", "SyncCount": 1}],
            )
        assert info.value.response["Error"]["Message"] == "SyncSessionToken expired"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

        # Nothing was written, and a token issued now is good for another 300 s.
        fresh = plain_client.list_records(**ids())
        assert [(r["Value"], r["SyncCount"]) for r in fresh["Records"]] == [("v", 1)]
        clock.forward(299)
        rewritten = plain_client.update_records(
            **ids(),
            SyncSessionToken=fresh["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v2", "SyncCount": 1}],
        )
        assert [(r["Value"], r["SyncCount"]) for r in rewritten["Records"]] == [("v2", 2)]


def test_token_issued_without_a_controlled_clock_expires_when_time_jumps(plain_client: Any) -> None:
    """A token made on the real clock expires once time-machine moves past its 300 s."""
    with mock_cognito_sync():
        token = plain_client.list_records(**ids())["SyncSessionToken"]
        with time_machine.travel(_dt.datetime.now(UTC) + _dt.timedelta(seconds=301), tick=False):
            with pytest.raises(plain_client.exceptions.InvalidParameterException) as info:
                plain_client.update_records(
                    **ids(),
                    SyncSessionToken=token,
                    RecordPatches=[{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}],
                )
            assert info.value.response["Error"]["Message"] == "SyncSessionToken expired"
