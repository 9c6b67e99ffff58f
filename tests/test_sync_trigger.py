"""The SyncTrigger: a registered Python callable run by UpdateRecords before it stores."""

from __future__ import annotations

import copy
import logging
from typing import Any, Callable

import pytest
from helpers import (
    DATASET,
    IDENTITY,
    NO_RETRIES,
    POOL,
    TRIGGER_ARN,
    ids,
    list_all,
    raises_error,
    remove,
    replace,
    set_trigger,
    write,
)

from cognito_sync_mock import LambdaThrottled, mock_cognito_sync

INVALID_OUTPUT = "The SyncTrigger function returned an invalid output: "


class Recorder:
    """A handler that records its events and returns what ``change`` makes of each."""

    def __init__(self, change: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.change = change

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(copy.deepcopy(event))
        self.contexts.append(context)
        return self.change(event) if self.change else event


def install(mock: Any, client: Any, change: Callable[[dict[str, Any]], Any] | None = None) -> Recorder:
    handler = Recorder(change)
    mock.register_lambda(TRIGGER_ARN, handler)
    set_trigger(client)
    return handler


def state(client: Any) -> dict[str, tuple[str | None, int]]:
    """Key -> (Value or None, SyncCount) of every record, tombstones included."""
    return {r["Key"]: (r.get("Value"), r["SyncCount"]) for r in list_all(client)["Records"]}


def written(response: dict[str, Any]) -> dict[str, tuple[str | None, int]]:
    return {r["Key"]: (r.get("Value"), r["SyncCount"]) for r in response["Records"]}


@pytest.fixture
def seeded(identity_client: Any) -> Any:
    """Dataset at sync count 2: a=1, b=2, c=3 live (count 1), t a tombstone (count 2); an identity's client."""
    write(identity_client, {"a": "1", "b": "2", "c": "3", "t": "x"})
    write(identity_client, [remove("t", 1)])
    return identity_client


# -- the event ---------------------------------------------------------------------------


def test_event_holds_every_live_record_with_patched_ops_and_the_rest_unmodified(cognito_sync: Any, seeded: Any) -> None:
    handler = install(cognito_sync, seeded)
    write(seeded, [replace("a", "10", 1), remove("b", 1), replace("d", "4", 0)])
    assert handler.events == [
        {
            "version": 2,
            "eventType": "SyncTrigger",
            "region": "us-east-1",
            "identityPoolId": POOL,
            "identityId": IDENTITY,
            "datasetName": DATASET,
            "datasetRecords": {
                "a": {"oldValue": "1", "newValue": "10", "op": "replace"},
                "b": {"oldValue": "2", "newValue": None, "op": "remove"},
                "c": {"oldValue": "3", "newValue": "3", "op": "unmodified"},
                "d": {"oldValue": None, "newValue": "4", "op": "replace"},
            },
        }
    ]


def test_event_of_a_new_dataset_holds_only_the_patches(cognito_sync: Any, identity_client: Any) -> None:
    client = identity_client
    handler = install(cognito_sync, client)
    write(client, {"k": "v"})
    assert handler.events[0]["datasetRecords"] == {"k": {"oldValue": None, "newValue": "v", "op": "replace"}}


def test_event_region_is_the_region_of_the_request(cognito_sync: Any) -> None:
    client = cognito_sync.identity_client(POOL, IDENTITY, region="eu-west-1")
    handler = install(cognito_sync, client)
    write(client, {"k": "v"})
    assert handler.events[0]["region"] == "eu-west-1"


def test_handler_gets_a_context_naming_the_function(cognito_sync: Any, identity_client: Any) -> None:
    client = identity_client
    handler = install(cognito_sync, client)
    write(client, {"k": "v"})
    assert handler.contexts[0].invoked_function_arn == TRIGGER_ARN


# -- what the handler returns is what is stored --------------------------------------------


def test_returning_the_event_unchanged_stores_the_patches(cognito_sync: Any, seeded: Any) -> None:
    install(cognito_sync, seeded)
    answer = write(seeded, [replace("a", "10", 1), remove("b", 1)])
    assert written(answer) == {"a": ("10", 3), "b": (None, 3)}
    assert state(seeded) == {"a": ("10", 3), "b": (None, 3), "c": ("3", 1), "t": (None, 2)}


def test_a_changed_new_value_of_a_patched_key_is_what_is_written(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["a"]["newValue"] = "ten"
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("ten", 3)}
    assert state(seeded)["a"] == ("ten", 3)


def test_a_changed_new_value_of_an_unmodified_key_is_written_too(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["c"]["newValue"] = "33"
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("10", 3), "c": ("33", 3)}
    assert state(seeded) == {"a": ("10", 3), "b": ("2", 1), "c": ("33", 3), "t": (None, 2)}
    assert list_all(seeded)["DatasetSyncCount"] == 3


def test_op_remove_writes_a_tombstone(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["c"]["op"] = "remove"
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("10", 3), "c": (None, 3)}
    assert "Value" not in {r["Key"]: r for r in answer["Records"]}["c"]
    assert state(seeded)["c"] == (None, 3)
    assert seeded.describe_dataset(**ids())["Dataset"]["NumRecords"] == 2  # a and b


def test_a_null_new_value_writes_a_tombstone(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["a"]["newValue"] = None
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": (None, 3)}
    assert state(seeded)["a"] == (None, 3)


def test_a_key_added_by_the_handler_is_stored_and_in_the_response(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["added"] = {"newValue": "by-trigger", "op": "replace"}
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("10", 3), "added": ("by-trigger", 3)}
    assert state(seeded)["added"] == ("by-trigger", 3)
    assert seeded.describe_dataset(**ids())["Dataset"]["NumRecords"] == 4


def test_a_key_missing_from_the_output_is_not_written(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        del event["datasetRecords"]["b"]
        del event["datasetRecords"]["c"]
        return event

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1), replace("b", "20", 1)])
    assert written(answer) == {"a": ("10", 3)}
    assert state(seeded) == {"a": ("10", 3), "b": ("2", 1), "c": ("3", 1), "t": (None, 2)}


def test_the_handler_may_return_only_the_changed_records(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "datasetRecords": {"a": event["datasetRecords"]["a"]}}

    install(cognito_sync, seeded, change)
    answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("10", 3)}
    assert state(seeded)["c"] == ("3", 1)


# -- a handler that fails: nothing is stored --------------------------------------------------


def assert_nothing_stored(client: Any) -> None:
    assert state(client) == {"a": ("1", 1), "b": ("2", 1), "c": ("3", 1), "t": (None, 2)}
    assert list_all(client)["DatasetSyncCount"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 3),
        ("eventType", "SyncTriggerX"),
        ("region", "eu-west-1"),
        ("identityPoolId", "us-east-1:00000000-0000-4000-8000-0000000000ff"),
        ("identityId", "us-east-1:00000000-0000-4000-8000-0000000000ff"),
        ("datasetName", "other"),
    ],
)
def test_changing_a_read_only_field_fails_and_stores_nothing(
    cognito_sync: Any, seeded: Any, field: str, value: Any
) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event[field] = value
        return event

    install(cognito_sync, seeded, change)
    with raises_error(
        "InvalidLambdaFunctionOutputException", 400, INVALID_OUTPUT + f"the read-only field {field} was changed"
    ):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


def test_changing_an_old_value_fails_and_stores_nothing(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["c"]["oldValue"] = "not 3"
        return event

    install(cognito_sync, seeded, change)
    with raises_error(
        "InvalidLambdaFunctionOutputException", 400, INVALID_OUTPUT + "the read-only field oldValue of 'c' was changed"
    ):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


def test_a_handler_that_raises_fails_and_stores_nothing(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    install(cognito_sync, seeded, change)
    with raises_error(
        "InvalidLambdaFunctionOutputException", 400, f"Lambda function {TRIGGER_ARN} failed: RuntimeError: boom"
    ):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (None, "it must be the event with its datasetRecords map"),
        ([], "it must be the event with its datasetRecords map"),
        ({"version": 2}, "it must be the event with its datasetRecords map"),
        ({"datasetRecords": ["a"]}, "it must be the event with its datasetRecords map"),
        (
            {"datasetRecords": {"a": "10"}},
            "the record 'a' is not a key with a record map",
        ),
        (
            {"datasetRecords": {"a": {"newValue": "10", "op": "upsert"}}},
            "the record 'a' needs op replace, remove or unmodified and a string newValue",
        ),
        (
            {"datasetRecords": {"a": {"newValue": 10, "op": "replace"}}},
            "the record 'a' needs op replace, remove or unmodified and a string newValue",
        ),
        (
            {"datasetRecords": {"new": {"newValue": "x", "op": "unmodified"}}},
            "the new record 'new' needs op replace or remove",
        ),
    ],
)
def test_an_output_of_another_shape_fails_and_stores_nothing(
    cognito_sync: Any, seeded: Any, output: Any, reason: str
) -> None:
    install(cognito_sync, seeded, lambda event: copy.deepcopy(output))
    with raises_error("InvalidLambdaFunctionOutputException", 400, INVALID_OUTPUT + reason):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("", "v", "the record '' is not a key with a record map"),
        ("k" * 1025, "v", f"the record {'k' * 1025!r} is not a key with a record map"),
        ("k", "v" * 1048576, "the record 'k' needs op replace, remove or unmodified and a string newValue"),
    ],
    ids=["empty-key", "key-over-the-model's-1024", "value-over-the-model's-1048575"],
)
def test_an_output_record_beyond_the_models_lengths_fails_and_stores_nothing(
    cognito_sync: Any, seeded: Any, key: str, value: str, reason: str
) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"][key] = {"newValue": value, "op": "replace"}
        return event

    install(cognito_sync, seeded, change)
    with raises_error("InvalidLambdaFunctionOutputException", 400, INVALID_OUTPUT + reason):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


def test_an_output_key_of_the_models_longest_length_is_stored(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event["datasetRecords"]["k" * 1024] = {"newValue": "v", "op": "replace"}
        return event

    install(cognito_sync, seeded, change)
    assert "k" * 1024 in written(write(seeded, [replace("a", "10", 1)]))


def test_lambda_throttled_is_lambda_throttled_exception_429(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        raise LambdaThrottled("Rate exceeded")

    handler = install(cognito_sync, seeded, change)
    with raises_error("LambdaThrottledException", 429, "Rate exceeded"):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)
    assert len(handler.events) == 1  # the client made one attempt (no retries)


def test_lambda_throttled_without_a_message_names_the_function(cognito_sync: Any, seeded: Any) -> None:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        raise LambdaThrottled()

    install(cognito_sync, seeded, change)
    with raises_error("LambdaThrottledException", 429, f"Lambda function {TRIGGER_ARN} was throttled"):
        write(seeded, [replace("a", "10", 1)])
    assert_nothing_stored(seeded)


def test_trigger_output_is_held_to_the_dataset_limits() -> None:
    with mock_cognito_sync(limits={"records_per_dataset": 2}) as mock:
        client = mock.identity_client(POOL, IDENTITY, config=NO_RETRIES)
        write(client, {"a": "1"})

        def change(event: dict[str, Any]) -> dict[str, Any]:
            event["datasetRecords"]["x"] = {"newValue": "1", "op": "replace"}
            event["datasetRecords"]["y"] = {"newValue": "1", "op": "replace"}
            return event

        install(mock, client, change)
        with raises_error("LimitExceededException", 400, "Dataset game would hold 4 records; the limit is 2"):
            write(client, [replace("b", "2", 0)])
        assert state(client) == {"a": ("1", 1)}


# -- no trigger, no handler -------------------------------------------------------------


def test_an_arn_without_a_handler_is_skipped_with_a_warning(
    cognito_sync: Any, seeded: Any, caplog: pytest.LogCaptureFixture
) -> None:
    unregistered = "arn:aws:lambda:us-east-1:123456789012:function:nobody"
    set_trigger(seeded, unregistered)
    with caplog.at_level(logging.WARNING, logger="cognito_sync_mock"):
        answer = write(seeded, [replace("a", "10", 1)])
    assert written(answer) == {"a": ("10", 3)}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and unregistered in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].name == "cognito_sync_mock"


def test_a_registered_handler_runs_only_while_the_pool_has_a_sync_trigger(
    cognito_sync: Any, identity_client: Any
) -> None:
    client = identity_client
    handler = Recorder()
    cognito_sync.register_lambda(TRIGGER_ARN, handler)
    write(client, {"a": "1"})
    assert handler.events == []
    set_trigger(client)
    write(client, [replace("a", "2", 1)])
    assert len(handler.events) == 1
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": ""})
    write(client, [replace("a", "3", 2)])
    assert len(handler.events) == 1
    assert state(client) == {"a": ("3", 3)}


def test_a_conflicting_update_stores_nothing_with_a_trigger_set(cognito_sync: Any, seeded: Any) -> None:
    install(cognito_sync, seeded)
    with raises_error("ResourceConflictException", 409, "Current SyncCount for: a is: 1 not: 0"):
        write(seeded, [replace("a", "10", 0)])
    assert_nothing_stored(seeded)
