"""BulkPublish and GetBulkPublishDetails."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest
from freezegun import freeze_time
from helpers import (
    IDENTITY,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    ROLE_ARN,
    STREAM,
    body,
    enable_streams,
    ids,
    make_client,
    raises_error,
    remove,
    utc,
    write,
)

from cognito_sync_mock import mock_cognito_sync

T0 = utc("2024-06-01 10:00:00.500")
HOUR = _dt.timedelta(hours=1)


def details(client: Any, pool: str = POOL) -> dict[str, Any]:
    return body(client.get_bulk_publish_details(IdentityPoolId=pool))


def published(mock: Any) -> list[tuple[str, str, dict[str, str | None]]]:
    """(identityId, datasetName, key -> value) of every stream record, in order."""
    return [
        (r["identityId"], r["datasetName"], {k["key"]: k["value"] for k in r["kinesisSyncRecords"]})
        for r in mock.stream_records()
    ]


def test_details_before_any_bulk_publish_are_not_started(client: Any) -> None:
    assert details(client) == {"IdentityPoolId": POOL, "BulkPublishStatus": "NOT_STARTED"}
    enable_streams(client)  # a known pool, never bulk published
    assert details(client) == {"IdentityPoolId": POOL, "BulkPublishStatus": "NOT_STARTED"}


def test_bulk_publish_without_streaming_is_invalid(client: Any) -> None:
    message = f"Cognito Streams is not enabled for identity pool {POOL}"
    with raises_error("InvalidParameterException", 400, message):
        client.bulk_publish(IdentityPoolId=POOL)
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "DISABLED"},
    )
    with raises_error("InvalidParameterException", 400, message):
        client.bulk_publish(IdentityPoolId=POOL)
    assert details(client)["BulkPublishStatus"] == "NOT_STARTED"


def test_bulk_publish_publishes_every_live_dataset_of_the_pool(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1", "b": "2"}, dataset="alpha")
    write(client, {"c": "3"}, dataset="beta")
    write(client, {"gone": "x"}, dataset="deleted")
    client.delete_dataset(**ids(dataset="deleted"))
    write(client, {"d": "4"}, identity=OTHER_IDENTITY, dataset="alpha")
    write(client, {"other": "pool"}, pool=OTHER_POOL)
    enable_streams(client, OTHER_POOL, "other-stream")
    enable_streams(client)
    assert cognito_sync.stream_records() == []

    with freeze_time(T0):
        answer = client.bulk_publish(IdentityPoolId=POOL)
    assert body(answer) == {"IdentityPoolId": POOL}
    assert sorted(published(cognito_sync)) == sorted(
        [
            (IDENTITY, "alpha", {"a": "1", "b": "2"}),
            (IDENTITY, "beta", {"c": "3"}),
            (OTHER_IDENTITY, "alpha", {"d": "4"}),
        ]
    )
    assert {r["operation"] for r in cognito_sync.stream_records(STREAM)} == {"replace"}
    assert {r["payloadType"] for r in cognito_sync.stream_records(STREAM)} == {"Inline"}
    assert cognito_sync.stream_records("other-stream") == []


def test_bulk_publish_of_a_dataset_carries_its_current_records(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1", "b": "2"})
    write(client, [remove("b", 1)])
    enable_streams(client)
    client.bulk_publish(IdentityPoolId=POOL)
    (record,) = cognito_sync.stream_records()
    assert record["syncCount"] == 2
    live = {k["key"]: (k["value"], k["syncCount"]) for k in record["kinesisSyncRecords"] if k["op"] == "replace"}
    assert live == {"a": ("1", 1)}


def test_bulk_publish_of_an_empty_dataset_is_a_replace_with_an_empty_list(cognito_sync: Any, client: Any) -> None:
    """An empty list, not a missing member: a missing one means the dataset was deleted."""
    write(client, [])  # the dataset exists and holds no record
    enable_streams(client)
    client.bulk_publish(IdentityPoolId=POOL)
    (record,) = cognito_sync.stream_records()
    assert (record["operation"], record["payloadType"], record["kinesisSyncRecords"]) == ("replace", "Inline", [])
    assert "kinesisSyncRecordsURL" not in record


def test_a_bulk_publish_completes_at_once(client: Any) -> None:
    enable_streams(client)
    with freeze_time(T0):
        client.bulk_publish(IdentityPoolId=POOL)
    assert details(client) == {
        "IdentityPoolId": POOL,
        "BulkPublishStatus": "SUCCEEDED",
        "BulkPublishStartTime": T0,
        "BulkPublishCompleteTime": T0,
    }


def test_a_held_bulk_publish_stays_in_progress_until_completed(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1"})
    enable_streams(client)
    cognito_sync.hold_bulk_publishes = True
    with freeze_time(T0) as clock:
        client.bulk_publish(IdentityPoolId=POOL)
        assert details(client) == {
            "IdentityPoolId": POOL,
            "BulkPublishStatus": "IN_PROGRESS",
            "BulkPublishStartTime": T0,
        }
        assert cognito_sync.stream_records() == []
        with raises_error(
            "DuplicateRequestException", 400, f"A bulk publish of identity pool {POOL} is already in progress"
        ):
            client.bulk_publish(IdentityPoolId=POOL)

        clock.tick(HOUR)
        cognito_sync.complete_bulk_publish(POOL)
    assert details(client) == {
        "IdentityPoolId": POOL,
        "BulkPublishStatus": "SUCCEEDED",
        "BulkPublishStartTime": T0,
        "BulkPublishCompleteTime": T0 + HOUR,
    }
    assert [r["datasetName"] for r in cognito_sync.stream_records()] == ["game"]


def test_a_failed_bulk_publish_reports_its_message_and_may_be_retried(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1"})
    enable_streams(client)
    cognito_sync.hold_bulk_publishes = True
    with freeze_time(T0) as clock:
        client.bulk_publish(IdentityPoolId=POOL)
        cognito_sync.fail_bulk_publish(POOL, "Kinesis stream sync-stream is not active")
        assert details(client) == {
            "IdentityPoolId": POOL,
            "BulkPublishStatus": "FAILED",
            "BulkPublishStartTime": T0,
            "FailureMessage": "Kinesis stream sync-stream is not active",
        }
        assert cognito_sync.stream_records() == []

        cognito_sync.hold_bulk_publishes = False
        clock.tick(HOUR)
        client.bulk_publish(IdentityPoolId=POOL)  # a failure does not start the 24 h wait
    assert details(client) == {
        "IdentityPoolId": POOL,
        "BulkPublishStatus": "SUCCEEDED",
        "BulkPublishStartTime": T0 + HOUR,
        "BulkPublishCompleteTime": T0 + HOUR,
    }
    assert len(cognito_sync.stream_records()) == 1


def test_completing_or_failing_without_a_bulk_publish_in_progress_is_a_value_error(
    cognito_sync: Any, client: Any
) -> None:
    enable_streams(client)
    with pytest.raises(ValueError):
        cognito_sync.complete_bulk_publish(POOL)
    with pytest.raises(ValueError):
        cognito_sync.fail_bulk_publish(POOL, "nope")
    client.bulk_publish(IdentityPoolId=POOL)  # SUCCEEDED at once
    with pytest.raises(ValueError):
        cognito_sync.complete_bulk_publish(POOL)
    assert details(client)["BulkPublishStatus"] == "SUCCEEDED"


def test_a_second_bulk_publish_within_24_hours_of_a_success_is_already_streamed(client: Any) -> None:
    enable_streams(client)
    with freeze_time(T0) as clock:
        client.bulk_publish(IdentityPoolId=POOL)
        clock.tick(23 * HOUR)
        with raises_error(
            "AlreadyStreamedException", 400, f"Identity pool {POOL} was bulk published less than 86400 seconds ago"
        ):
            client.bulk_publish(IdentityPoolId=POOL)
        assert details(client)["BulkPublishStartTime"] == T0

        clock.tick(2 * HOUR)
        client.bulk_publish(IdentityPoolId=POOL)
    assert details(client) == {
        "IdentityPoolId": POOL,
        "BulkPublishStatus": "SUCCEEDED",
        "BulkPublishStartTime": T0 + 25 * HOUR,
        "BulkPublishCompleteTime": T0 + 25 * HOUR,
    }


def test_bulk_publish_state_is_per_pool(client: Any) -> None:
    enable_streams(client)
    enable_streams(client, OTHER_POOL)
    client.bulk_publish(IdentityPoolId=POOL)
    assert details(client, OTHER_POOL) == {"IdentityPoolId": OTHER_POOL, "BulkPublishStatus": "NOT_STARTED"}
    client.bulk_publish(IdentityPoolId=OTHER_POOL)
    assert details(client, OTHER_POOL)["BulkPublishStatus"] == "SUCCEEDED"


def test_the_interval_between_bulk_publishes_is_a_limit_option() -> None:
    with mock_cognito_sync(limits={"bulk_publish_interval_seconds": 60}):
        client = make_client()
        enable_streams(client)
        with freeze_time(T0) as clock:
            client.bulk_publish(IdentityPoolId=POOL)
            clock.tick(_dt.timedelta(seconds=59))
            with raises_error(
                "AlreadyStreamedException", 400, f"Identity pool {POOL} was bulk published less than 60 seconds ago"
            ):
                client.bulk_publish(IdentityPoolId=POOL)
            clock.tick(_dt.timedelta(seconds=1))
            client.bulk_publish(IdentityPoolId=POOL)
        assert details(client)["BulkPublishStartTime"] == T0 + _dt.timedelta(seconds=60)


def test_held_bulk_publishes_are_completed_in_their_own_region(cognito_sync: Any) -> None:
    west = make_client("eu-west-1")
    write(west, {"a": "1"})
    enable_streams(west)
    cognito_sync.hold_bulk_publishes = True
    west.bulk_publish(IdentityPoolId=POOL)
    with pytest.raises(ValueError):
        cognito_sync.complete_bulk_publish(POOL)  # us-east-1 has none in progress
    cognito_sync.complete_bulk_publish(POOL, region="eu-west-1")
    assert details(west)["BulkPublishStatus"] == "SUCCEEDED"
    assert len(cognito_sync.stream_records(region="eu-west-1")) == 1
    assert cognito_sync.stream_records() == []


def test_reads_do_not_make_a_pool_known(client: Any) -> None:
    details(client)
    client.get_identity_pool_configuration(IdentityPoolId=POOL)
    client.get_cognito_events(IdentityPoolId=POOL)
    with raises_error("InvalidParameterException", 400):
        client.bulk_publish(IdentityPoolId=POOL)
    assert client.list_identity_pool_usage()["IdentityPoolUsages"] == []
