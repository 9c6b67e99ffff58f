"""SetIdentityPoolConfiguration / GetIdentityPoolConfiguration and SetCognitoEvents / GetCognitoEvents."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    APP_ARN,
    APP_ARN_PATTERN,
    OTHER_APP_ARN,
    OTHER_POOL,
    POOL,
    ROLE_ARN,
    ROLE_ARN_PATTERN,
    STREAM,
    TRIGGER_ARN,
    body,
    make_client,
    raises_error,
)

from cognito_sync_mock import mock_cognito_sync

STREAMS = {"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"}
PUSH = {"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}


def get_config(client: Any, pool: str = POOL) -> dict[str, Any]:
    return body(client.get_identity_pool_configuration(IdentityPoolId=pool))


# -- Get/SetIdentityPoolConfiguration --------------------------------------------------


def test_get_configuration_of_a_pool_never_configured_has_only_the_pool_id(client: Any) -> None:
    assert get_config(client) == {"IdentityPoolId": POOL}


def test_set_push_sync_returns_and_stores_it_and_leaves_streams_absent(client: Any) -> None:
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)
    assert body(answer) == {"IdentityPoolId": POOL, "PushSync": PUSH}
    assert get_config(client) == {"IdentityPoolId": POOL, "PushSync": PUSH}


def test_set_cognito_streams_alone_leaves_push_sync_absent(client: Any) -> None:
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams=STREAMS)
    assert body(answer) == {"IdentityPoolId": POOL, "CognitoStreams": STREAMS}
    assert get_config(client) == {"IdentityPoolId": POOL, "CognitoStreams": STREAMS}


def test_an_empty_push_sync_removes_the_push_configuration(client: Any) -> None:
    # aws-sdk-net's CognitoSync integration test ConfigsTest expects PushSync absent afterwards.
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH, CognitoStreams=STREAMS)
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={})
    assert body(answer) == {"IdentityPoolId": POOL, "CognitoStreams": STREAMS}
    assert get_config(client) == {"IdentityPoolId": POOL, "CognitoStreams": STREAMS}


def test_partial_updates_keep_absent_members_and_replace_given_ones(client: Any) -> None:
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams=STREAMS)
    assert body(answer) == {"IdentityPoolId": POOL, "PushSync": PUSH, "CognitoStreams": STREAMS}

    new_push = {"ApplicationArns": [OTHER_APP_ARN], "RoleArn": ROLE_ARN}
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=new_push)
    assert body(answer) == {"IdentityPoolId": POOL, "PushSync": new_push, "CognitoStreams": STREAMS}

    disabled = {"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "DISABLED"}
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams=disabled)
    assert body(answer) == {"IdentityPoolId": POOL, "PushSync": new_push, "CognitoStreams": disabled}
    assert get_config(client) == {"IdentityPoolId": POOL, "PushSync": new_push, "CognitoStreams": disabled}


def test_set_with_no_member_changes_nothing_and_returns_the_whole_configuration(client: Any) -> None:
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH, CognitoStreams=STREAMS)
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL)
    assert body(answer) == {"IdentityPoolId": POOL, "PushSync": PUSH, "CognitoStreams": STREAMS}


def test_several_application_arns_are_stored_in_order(client: Any) -> None:
    push = {"ApplicationArns": [APP_ARN, OTHER_APP_ARN]}
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=push)
    assert get_config(client)["PushSync"] == push


def test_configuration_is_per_pool(client: Any) -> None:
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)
    assert get_config(client, OTHER_POOL) == {"IdentityPoolId": OTHER_POOL}


def test_setting_a_configuration_makes_the_pool_known(client: Any) -> None:
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)
    usage = client.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["IdentityPoolId"] == POOL
    assert usage["DataStorage"] == 0


@pytest.mark.parametrize(
    ("arns", "bad", "position"),
    [
        (
            ["arn:aws:sns:us-east-1:123456789012:app/gcm/my-game"],
            "arn:aws:sns:us-east-1:123456789012:app/gcm/my-game",
            1,
        ),
        ([APP_ARN, "arn:aws:sns:us-east-1:123456789012:my-topic"], "arn:aws:sns:us-east-1:123456789012:my-topic", 2),
        (["arn:aws:sns:US-EAST-1:123456789012:app/GCM/x"], "arn:aws:sns:US-EAST-1:123456789012:app/GCM/x", 1),
        (
            ["arn:aws:sns:us-east-1:123456789012:app/GCM/my game"],
            "arn:aws:sns:us-east-1:123456789012:app/GCM/my game",
            1,
        ),
    ],
)
def test_application_arn_must_match_the_sns_application_pattern(
    client: Any, arns: list[str], bad: str, position: int
) -> None:
    message = (
        f"1 validation error detected: Value '{bad}' at 'pushSync.applicationArns.{position}.member' "
        f"failed to satisfy constraint: Member must satisfy regular expression pattern: {APP_ARN_PATTERN}"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={"ApplicationArns": arns})
    assert get_config(client) == {"IdentityPoolId": POOL}


def test_two_bad_application_arns_are_two_errors(client: Any) -> None:
    first, second = "arn:aws:sns:us-east-1:1:app/gcm/a", "not-an-arn"
    message = (
        "2 validation errors detected: "
        f"Value '{first}' at 'pushSync.applicationArns.1.member' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {APP_ARN_PATTERN}; "
        f"Value '{second}' at 'pushSync.applicationArns.2.member' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {APP_ARN_PATTERN}"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={"ApplicationArns": [first, second]})


@pytest.mark.parametrize("member", ["PushSync", "CognitoStreams"])
def test_role_arn_must_match_the_iam_role_pattern(client: Any, member: str) -> None:
    bad = "arn:aws:iam::123456789012:user/someone"
    where = "pushSync" if member == "PushSync" else "cognitoStreams"
    message = (
        f"1 validation error detected: Value '{bad}' at '{where}.roleArn' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {ROLE_ARN_PATTERN}"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, **{member: {"RoleArn": bad}})
    assert get_config(client) == {"IdentityPoolId": POOL}


def test_role_arn_longer_than_2048_is_refused(client: Any) -> None:
    bad = "arn:aws:iam::123456789012:role/" + "r" * (2049 - len("arn:aws:iam::123456789012:role/"))
    assert len(bad) == 2049
    message = (
        f"1 validation error detected: Value '{bad[:256]}...' (2049 characters) at 'pushSync.roleArn' "
        "failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={"RoleArn": bad})


def test_role_arn_shorter_than_20_is_refused_by_the_mock_itself(cognito_sync: Any) -> None:
    client = make_client(parameter_validation=False)  # botocore would refuse min itself
    bad = "arn:aws:iam::1:role"
    message = (
        "2 validation errors detected: "
        f"Value '{bad}' at 'cognitoStreams.roleArn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20; "
        f"Value '{bad}' at 'cognitoStreams.roleArn' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {ROLE_ARN_PATTERN}"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams={"RoleArn": bad})


@pytest.mark.parametrize("length", [20, 2048])
def test_role_arn_lengths_at_the_bounds_are_accepted(client: Any, length: int) -> None:
    prefix = "arn:aws:iam::1:role/"
    role = prefix + "r" * (length - len(prefix))
    answer = client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={"RoleArn": role})
    assert answer["PushSync"] == {"RoleArn": role}


def test_streaming_status_must_be_in_the_enum(client: Any) -> None:
    message = (
        "1 validation error detected: Value 'ON' at 'cognitoStreams.streamingStatus' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"
    )
    with raises_error("InvalidParameterException", 400, message):
        client.set_identity_pool_configuration(
            IdentityPoolId=POOL, CognitoStreams={"StreamName": STREAM, "StreamingStatus": "ON"}
        )


def test_enabled_streaming_needs_a_stream_name(client: Any) -> None:
    with raises_error(
        "InvalidParameterException", 400, "CognitoStreams needs a StreamName when StreamingStatus is ENABLED"
    ):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams={"StreamingStatus": "ENABLED"})
    assert get_config(client) == {"IdentityPoolId": POOL}


# -- Get/SetCognitoEvents --------------------------------------------------------------


def get_events(client: Any, pool: str = POOL) -> dict[str, str]:
    events: dict[str, str] = client.get_cognito_events(IdentityPoolId=pool)["Events"]
    return events


def test_get_cognito_events_with_none_set_is_an_empty_map(client: Any) -> None:
    assert body(client.get_cognito_events(IdentityPoolId=POOL)) == {"Events": {}}


def test_set_sync_trigger_is_returned_by_get(client: Any) -> None:
    answer = client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    assert body(answer) == {}
    assert body(client.get_cognito_events(IdentityPoolId=POOL)) == {"Events": {"SyncTrigger": TRIGGER_ARN}}
    assert get_events(client, OTHER_POOL) == {}


def test_setting_sync_trigger_again_replaces_the_arn(client: Any) -> None:
    other = TRIGGER_ARN + "-v2"
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": other})
    assert get_events(client) == {"SyncTrigger": other}


def test_an_empty_value_removes_the_event(client: Any) -> None:
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": ""})
    assert body(client.get_cognito_events(IdentityPoolId=POOL)) == {"Events": {}}


def test_an_empty_map_keeps_the_entries_already_set(client: Any) -> None:
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    client.set_cognito_events(IdentityPoolId=POOL, Events={})
    assert get_events(client) == {"SyncTrigger": TRIGGER_ARN}


def test_an_event_type_other_than_sync_trigger_is_invalid(client: Any) -> None:
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    with raises_error(
        "InvalidParameterException",
        400,
        "Unknown Cognito event type: PreSync; the only event type is SyncTrigger",
    ):
        client.set_cognito_events(IdentityPoolId=POOL, Events={"PreSync": TRIGGER_ARN})
    assert get_events(client) == {"SyncTrigger": TRIGGER_ARN}


def test_more_than_one_entry_is_invalid(client: Any) -> None:
    with raises_error("InvalidParameterException", 400) as info:
        client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN, "Other": TRIGGER_ARN})
    message = info.value.response["Error"]["Message"]
    # the rendering of a map value is not fixed by AWS's docs; the rest of the wording is
    assert message.startswith("1 validation error detected: Value '")
    assert message.endswith(
        "' at 'events' failed to satisfy constraint: Member must have length less than or equal to 1"
    )
    assert get_events(client) == {}


def test_setting_events_makes_the_pool_known(client: Any) -> None:
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    usages = client.list_identity_pool_usage()["IdentityPoolUsages"]
    assert [u["IdentityPoolId"] for u in usages] == [POOL]


def test_refused_configuration_and_event_calls_do_not_make_the_pool_known(client: Any) -> None:
    with raises_error("InvalidParameterException", 400):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, CognitoStreams={"StreamingStatus": "ENABLED"})
    with raises_error("InvalidParameterException", 400):
        client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={"ApplicationArns": ["bad"]})
    with raises_error("InvalidParameterException", 400):
        client.set_cognito_events(IdentityPoolId=POOL, Events={"PreSync": TRIGGER_ARN})
    assert client.list_identity_pool_usage()["IdentityPoolUsages"] == []


def test_strict_mode_knows_only_registered_pools() -> None:
    with mock_cognito_sync(strict=True) as mock:
        client = make_client()
        message = f"IdentityPool '{POOL}' not found."
        with raises_error("ResourceNotFoundException", 404, message):
            client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)
        with raises_error("ResourceNotFoundException", 404, message):
            client.get_identity_pool_configuration(IdentityPoolId=POOL)
        with raises_error("ResourceNotFoundException", 404, message):
            client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
        mock.backend().register_identity_pool(POOL)
        assert client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync=PUSH)["PushSync"] == PUSH
        assert get_events(client) == {}
