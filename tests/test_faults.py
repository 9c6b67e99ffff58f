"""Fault injection: ``mock.inject_error(operation, code, message=None, times=1)``."""

from __future__ import annotations

import http.client
import json
import tracemalloc
from typing import Any, Callable
from urllib.parse import urlsplit

import boto3
import pytest
from helpers import (
    DATASET,
    IDENTITY,
    INVALID,
    POOL,
    enable_streams,
    ids,
    list_all,
    raises_error,
    replace,
    token_for,
    write,
)

from cognito_sync_mock import protocol
from cognito_sync_mock.state import MAX_INJECTED_ERRORS, MAX_INJECTED_MESSAGE


def calls_of(mock: Any, operation: str) -> list[str | None]:
    return [call.error for call in mock.calls if call.operation == operation]


def test_an_injected_error_fails_the_next_call_then_calls_succeed(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException")
    with raises_error("TooManyRequestsException", 429, "Injected TooManyRequestsException for ListRecords"):
        client.list_records(**ids())
    assert client.list_records(**ids())["Count"] == 0
    assert calls_of(cognito_sync, "ListRecords") == ["TooManyRequestsException", None]


def test_times_fails_that_many_calls(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("GetCognitoEvents", "InternalErrorException", "the service is having a bad day", times=3)
    for _ in range(3):
        with raises_error("InternalErrorException", 500, "the service is having a bad day"):
            client.get_cognito_events(IdentityPoolId=POOL)
    assert client.get_cognito_events(IdentityPoolId=POOL)["Events"] == {}
    assert calls_of(cognito_sync, "GetCognitoEvents") == ["InternalErrorException"] * 3 + [None]


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("UpdateRecords", "ResourceConflictException", 409),
        ("UpdateRecords", "LimitExceededException", 400),
        ("UpdateRecords", "LambdaThrottledException", 429),
        ("UpdateRecords", "InvalidLambdaFunctionOutputException", 400),
        ("DescribeDataset", "ResourceNotFoundException", 404),
        ("ListRecords", "NotAuthorizedException", 403),
        ("ListRecords", "InvalidParameterException", 400),
        ("SetIdentityPoolConfiguration", "ConcurrentModificationException", 400),
        ("BulkPublish", "AlreadyStreamedException", 400),
        ("BulkPublish", "DuplicateRequestException", 400),
        ("RegisterDevice", "InvalidConfigurationException", 400),
        ("DeleteDataset", "InternalErrorException", 500),
    ],
)
def test_each_modeled_code_comes_with_its_status(
    cognito_sync: Any, client: Any, operation: str, code: str, status: int
) -> None:
    calls: dict[str, Callable[[], Any]] = {
        "UpdateRecords": lambda: write(client, [replace("k", "v")]),
        "DescribeDataset": lambda: client.describe_dataset(**ids()),
        "ListRecords": lambda: client.list_records(**ids()),
        "SetIdentityPoolConfiguration": lambda: client.set_identity_pool_configuration(IdentityPoolId=POOL),
        "BulkPublish": lambda: client.bulk_publish(IdentityPoolId=POOL),
        "RegisterDevice": lambda: client.register_device(
            IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t"
        ),
        "DeleteDataset": lambda: client.delete_dataset(**ids()),
    }
    cognito_sync.inject_error(operation, code, f"injected {code}")
    with raises_error(code, status, f"injected {code}"):
        calls[operation]()
    assert cognito_sync.calls[-1].operation == operation
    assert cognito_sync.calls[-1].error == code


def test_the_injected_error_is_sent_on_the_wire_like_a_real_one(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("DescribeDataset", "ResourceNotFoundException")
    with raises_error("ResourceNotFoundException", 404) as info:
        client.describe_dataset(**ids())
    assert isinstance(info.value, client.exceptions.ResourceNotFoundException)
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"].rstrip(":") == "ResourceNotFoundException"
    assert headers["x-amzn-requestid"]


def test_an_injected_update_records_error_stores_nothing(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    token = token_for(client)
    cognito_sync.inject_error("UpdateRecords", "LimitExceededException")
    with raises_error("LimitExceededException", 400, "Injected LimitExceededException for UpdateRecords"):
        client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", "v")])
    listing = list_all(client)
    assert (listing["Records"], listing["DatasetSyncCount"], listing["DatasetExists"]) == ([], 0, False)
    assert cognito_sync.stream_records() == []
    answer = client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", "v")])
    assert [(r["Key"], r["SyncCount"]) for r in answer["Records"]] == [("k", 1)]


def test_an_injected_error_waits_for_its_own_operation(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("DescribeDataset", "ResourceNotFoundException", times=2)
    write(client, {"k": "v"})
    assert client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Count"] == 1
    for _ in range(2):
        with raises_error("ResourceNotFoundException", 404, "Injected ResourceNotFoundException for DescribeDataset"):
            client.describe_dataset(**ids())
    assert client.describe_dataset(**ids())["Dataset"]["DatasetName"] == DATASET


def test_injections_add_up(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("GetBulkPublishDetails", "InternalErrorException", "first")
    cognito_sync.inject_error("GetBulkPublishDetails", "NotAuthorizedException", "second")
    with raises_error("InternalErrorException", 500, "first"):
        client.get_bulk_publish_details(IdentityPoolId=POOL)
    with raises_error("NotAuthorizedException", 403, "second"):
        client.get_bulk_publish_details(IdentityPoolId=POOL)
    assert client.get_bulk_publish_details(IdentityPoolId=POOL)["BulkPublishStatus"] == "NOT_STARTED"


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("CreateIdentityPool", "InternalErrorException"),  # not a Cognito Sync operation
        ("listRecords", "InternalErrorException"),  # operation names are exact
        ("ListRecords", "ResourceNotFoundException"),  # ListRecords does not model it
        ("GetBulkPublishDetails", "TooManyRequestsException"),  # nor does this one
        ("UpdateRecords", "NoSuchException"),
    ],
)
def test_an_unknown_operation_or_unmodeled_code_is_a_value_error_at_once(
    cognito_sync: Any, client: Any, operation: str, code: str
) -> None:
    with pytest.raises(ValueError):
        cognito_sync.inject_error(operation, code)
    assert cognito_sync.calls == []
    # nothing was queued: the operations answer normally
    client.list_records(**ids())
    client.get_bulk_publish_details(IdentityPoolId=POOL)
    assert [call.error for call in cognito_sync.calls] == [None, None]


def test_reset_forgets_injected_errors(cognito_sync: Any, client: Any) -> None:
    cognito_sync.inject_error("ListRecords", "InternalErrorException", times=5)
    cognito_sync.reset()
    assert client.list_records(**ids())["Count"] == 0


def test_botocore_retries_an_injected_429_and_the_call_succeeds(cognito_sync: Any) -> None:
    # the client's default retry configuration: botocore retries 429 (with a real, short backoff)
    client = boto3.client(
        "cognito-sync", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException", times=1)
    answer = client.list_records(**ids())
    assert answer["Count"] == 0
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert calls_of(cognito_sync, "ListRecords") == ["TooManyRequestsException", None]


# -- bounds: what one injection (or many) may hold ------------------------------------------


def list_records_errors(mock: Any, count: int) -> list[str | None]:
    """The error codes of ``count`` ListRecords answered in-process (straight through the protocol, fast)."""
    path = f"/identitypools/{POOL}/identities/{IDENTITY}/datasets/{DATASET}/records"
    return [mock.state.handle(protocol.Request("GET", path)).error for _ in range(count)]


def test_the_most_errors_one_call_may_inject_fail_exactly_that_many_calls(cognito_sync: Any) -> None:
    assert MAX_INJECTED_ERRORS == 1000
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException", times=MAX_INJECTED_ERRORS)
    errors = list_records_errors(cognito_sync, MAX_INJECTED_ERRORS + 2)
    assert errors == ["TooManyRequestsException"] * 1000 + [None, None]


@pytest.mark.parametrize(
    ("times", "message"),
    [
        (1001, "times must be between 1 and 1000, not 1001"),
        (100_000_000, "times must be between 1 and 1000, not 100000000"),
        (0, "times must be between 1 and 1000, not 0"),
        (-5, "times must be between 1 and 1000, not -5"),
        (True, "times must be a whole number, not bool"),
        (2.0, "times must be a whole number, not float"),
        ("3", "times must be a whole number, not str"),
    ],
)
def test_times_out_of_bounds_is_a_value_error_and_injects_nothing(
    cognito_sync: Any, client: Any, times: Any, message: str
) -> None:
    with pytest.raises(ValueError) as info:
        cognito_sync.inject_error("ListRecords", "TooManyRequestsException", times=times)
    assert str(info.value) == message
    assert client.list_records(**ids())["Count"] == 0
    assert cognito_sync.state.faults.get("ListRecords", []) == []


def test_the_errors_pending_for_one_operation_are_bounded_in_all(cognito_sync: Any) -> None:
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException", times=600)
    cognito_sync.inject_error("ListRecords", "InternalErrorException", times=400)
    with pytest.raises(ValueError) as info:
        cognito_sync.inject_error("ListRecords", "TooManyRequestsException")
    assert str(info.value) == ("ListRecords has 1000 injected errors pending; 1 more would pass the limit of 1000")
    cognito_sync.inject_error("ListDatasets", "TooManyRequestsException", times=1000)  # each operation has its own
    assert list_records_errors(cognito_sync, 1) == ["TooManyRequestsException"]
    cognito_sync.inject_error("ListRecords", "NotAuthorizedException")  # one was used up: room for one
    errors = list_records_errors(cognito_sync, 1001)
    assert errors == ["TooManyRequestsException"] * 599 + ["InternalErrorException"] * 400 + [
        "NotAuthorizedException",
        None,
    ]


def test_an_injection_holds_one_entry_whatever_its_times(cognito_sync: Any) -> None:
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException")  # the first use of the model, untraced
    list_records_errors(cognito_sync, 1)
    tracemalloc.start()
    try:
        cognito_sync.inject_error("ListRecords", "TooManyRequestsException", times=MAX_INJECTED_ERRORS)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2_000  # one small entry; a copy of the error per time would be hundreds of KB
    assert len(cognito_sync.state.faults["ListRecords"]) == 1


def test_an_injected_message_is_bounded(cognito_sync: Any, client: Any) -> None:
    assert MAX_INJECTED_MESSAGE == 4096
    longest = "x" * MAX_INJECTED_MESSAGE
    cognito_sync.inject_error("ListRecords", "TooManyRequestsException", longest)
    with pytest.raises(ValueError) as info:
        cognito_sync.inject_error("ListRecords", "TooManyRequestsException", longest + "x")
    assert str(info.value) == "message must be at most 4096 characters, not 4097"
    with raises_error("TooManyRequestsException", 429, longest):
        client.list_records(**ids())
    assert client.list_records(**ids())["Count"] == 0


def test_the_server_refuses_times_beyond_the_bound_with_a_400(cognito_sync_server: Any) -> None:
    address = urlsplit(cognito_sync_server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    body = {"operation": "ListRecords", "code": "TooManyRequestsException", "times": 100_000_000}
    try:
        connection.request(
            "POST", "/_mock/inject-error", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        status, errortype, answer = response.status, response.getheader("x-amzn-ErrorType"), json.loads(response.read())
    finally:
        connection.close()
    assert (status, errortype) == (400, f"{INVALID}:")
    assert answer["message"].endswith("times must be between 1 and 1000, not 100000000")
    assert cognito_sync_server.state.faults.get("ListRecords", []) == []
