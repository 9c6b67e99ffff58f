"""Server-side validation (the client's own is turned off) and the wire shape of answers."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any, Callable

import pytest
from freezegun import freeze_time
from helpers import (
    DATASET,
    IDENTITY,
    INVALID,
    POOL,
    error_of,
    ids,
    make_client,
    raises_error,
    remove,
    replace,
    token_for,
    write,
)

from cognito_sync_mock import mock_cognito_sync, protocol
from cognito_sync_mock.exceptions import InvalidParameterError
from cognito_sync_mock.protocol.validation import validate

POOL_PATTERN = r"[\w-]+:[0-9a-f-]+"
MESSAGE_BOUND = 8_000  # characters of a validation message: ten violations of at most about 750 each, and a count
NAME_PATTERN = "[a-zA-Z0-9_.:-]+"


def one_error(text: str) -> str:
    return f"1 validation error detected: {text}"


def pattern_error(value: str, member: str, pattern: str) -> str:
    constraint = f"Member must satisfy regular expression pattern: {pattern}"
    return f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


@pytest.fixture
def wire(unvalidated_client: Any) -> list[dict[str, Any]]:
    """Every raw HTTP answer the unvalidated client receives: status, headers, body."""
    seen: list[dict[str, Any]] = []

    def record(response_dict: Any = None, **_: Any) -> None:
        if response_dict is not None:
            seen.append(response_dict)

    unvalidated_client.meta.events.register("response-received.cognito-sync", record)
    return seen


@pytest.fixture(params=["in-process", "server"])
def any_client(request: pytest.FixtureRequest) -> Any:
    """A client that sends whatever it is given, answered in-process or by a server over HTTP."""
    if request.param == "server":
        return make_client(endpoint_url=request.getfixturevalue("cognito_sync_server").url, parameter_validation=False)
    request.getfixturevalue("cognito_sync")
    return make_client(parameter_validation=False)


# -- patterns ---------------------------------------------------------------------------


def test_dataset_name_pattern_message(unvalidated_client: Any) -> None:
    message = one_error(pattern_error("bad name", "datasetName", NAME_PATTERN))
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_records(**ids(dataset="bad name"))


@pytest.mark.parametrize("pool", ["us-éast-1:0abc", "us-east-1٣:0abc", "ｕｓ:0abc"])  # noqa: RUF001 - on purpose
def test_word_characters_are_ascii_only(unvalidated_client: Any, pool: str) -> None:
    message = one_error(pattern_error(pool, "identityPoolId", POOL_PATTERN))
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_records(**ids(pool=pool))


@pytest.mark.parametrize("identity", ["us-east-1:0abz", "us-east-1", "us-east-1:0abc:", ":0abc", "a b:0abc"])
def test_identity_id_pattern_is_a_full_match(unvalidated_client: Any, identity: str) -> None:
    message = one_error(pattern_error(identity, "identityId", POOL_PATTERN))
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_datasets(**ids(identity=identity, dataset=None))


def test_a_pool_id_with_underscores_and_digits_is_valid(unvalidated_client: Any) -> None:
    pool = "eu_WEST-2:0123456789abcdef-"
    assert unvalidated_client.list_records(**ids(pool=pool))["DatasetExists"] is False


@pytest.mark.parametrize("name", ["dataset/one", "données", "a b", "a+b"])
def test_dataset_name_outside_the_pattern(unvalidated_client: Any, name: str) -> None:
    message = one_error(pattern_error(name, "datasetName", NAME_PATTERN))
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.describe_dataset(**ids(dataset=name))


# -- lengths, in characters -------------------------------------------------------------


def test_identity_pool_id_longer_than_55(unvalidated_client: Any) -> None:
    pool = "us-east-1:" + "0" * 46  # 56 characters, inside the pattern
    message = one_error(
        f"Value '{pool}' at 'identityPoolId' failed to satisfy constraint: "
        "Member must have length less than or equal to 55"
    )
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.describe_identity_pool_usage(IdentityPoolId=pool)


def test_identity_pool_id_of_exactly_55_is_valid(unvalidated_client: Any) -> None:
    pool = "us-east-1:" + "0" * 45
    with raises_error("ResourceNotFoundException", 404):
        unvalidated_client.describe_identity_pool_usage(IdentityPoolId=pool)


def test_dataset_name_longer_than_128(unvalidated_client: Any) -> None:
    name = "d" * 129
    message = one_error(
        f"Value '{name}' at 'datasetName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_records(**ids(dataset=name))
    assert unvalidated_client.list_records(**ids(dataset="d" * 128))["DatasetExists"] is False


def test_key_length_counts_characters_not_bytes(unvalidated_client: Any) -> None:
    written = write(unvalidated_client, [replace("é" * 1024, "v")])  # 2048 bytes, 1024 characters
    assert written["Records"][0]["SyncCount"] == 1

    key = "k" * 1025
    message = one_error(
        f"Value '{'k' * 256}...' (1025 characters) at 'recordPatches.1.member.key' failed to satisfy constraint: "
        "Member must have length less than or equal to 1024"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, [replace(key, "v")])


def test_empty_key(unvalidated_client: Any) -> None:
    message = one_error(
        "Value '' at 'recordPatches.1.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, [replace("", "v")])


def test_value_length_counts_characters_not_bytes() -> None:
    with mock_cognito_sync(limits={"dataset_bytes": 4 * 1024 * 1024}):
        client = make_client(parameter_validation=False)
        written = write(client, [replace("k", "é" * 1_048_575)])  # 2 MiB in bytes, at the length max
        assert written["Records"][0]["SyncCount"] == 1
        assert client.describe_dataset(**ids())["Dataset"]["DataStorage"] == 1 + 2 * 1_048_575

        with raises_error("InvalidParameterException", 400) as info:
            write(client, [replace("j", "v" * 1_048_576)])
        assert error_of(info)[2] == one_error(
            f"Value '{'v' * 256}...' (1048576 characters) at 'recordPatches.1.member.value' failed to satisfy "
            "constraint: Member must have length less than or equal to 1048575"
        )


def test_device_id_longer_than_256(unvalidated_client: Any) -> None:
    device = "d" * 257
    message = one_error(
        f"Value '{'d' * 256}...' (257 characters) at 'deviceId' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, [replace("a", "1")], DeviceId=device)


# -- enum, required, types --------------------------------------------------------------


def test_op_outside_its_enum(unvalidated_client: Any) -> None:
    patch = {"Op": "update", "Key": "a", "Value": "1", "SyncCount": 0}
    message = one_error(
        "Value 'update' at 'recordPatches.1.member.op' failed to satisfy constraint: "
        "Member must satisfy enum value set: [replace, remove]"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, [patch])


def test_the_index_of_the_bad_patch_is_one_based(unvalidated_client: Any) -> None:
    patches = [replace("a", "1"), replace("b", "2"), {"Op": "REMOVE", "Key": "c", "SyncCount": 0}]
    message = one_error(
        "Value 'REMOVE' at 'recordPatches.3.member.op' failed to satisfy constraint: "
        "Member must satisfy enum value set: [replace, remove]"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, patches)


@pytest.mark.parametrize(
    ("patch", "member"),
    [
        ({"Key": "a", "Value": "1", "SyncCount": 0}, "op"),
        ({"Op": "replace", "Value": "1", "SyncCount": 0}, "key"),
        ({"Op": "replace", "Key": "a", "Value": "1"}, "syncCount"),
    ],
)
def test_required_patch_members(unvalidated_client: Any, patch: dict[str, Any], member: str) -> None:
    message = one_error(
        f"Value null at 'recordPatches.1.member.{member}' failed to satisfy constraint: Member must not be null"
    )
    with raises_error("InvalidParameterException", 400, message):
        write(unvalidated_client, [patch])


def test_missing_session_token(unvalidated_client: Any) -> None:
    message = one_error("Value null at 'syncSessionToken' failed to satisfy constraint: Member must not be null")
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.update_records(**ids(), RecordPatches=[replace("a", "1")])


@pytest.mark.parametrize(
    ("patch", "member"),
    [
        ({"Op": "replace", "Key": "a", "Value": "1", "SyncCount": "0"}, "recordPatches.1.member.syncCount"),
        ({"Op": "replace", "Key": "a", "Value": "1", "SyncCount": 1.5}, "recordPatches.1.member.syncCount"),
        ({"Op": "replace", "Key": "a", "Value": 1, "SyncCount": 0}, "recordPatches.1.member.value"),
        ({"Op": "replace", "Key": ["a"], "Value": "1", "SyncCount": 0}, "recordPatches.1.member.key"),
        ({"Op": True, "Key": "a", "Value": "1", "SyncCount": 0}, "recordPatches.1.member.op"),
    ],
)
def test_wrong_types_in_a_patch(unvalidated_client: Any, patch: dict[str, Any], member: str) -> None:
    with raises_error("InvalidParameterException", 400) as info:
        write(unvalidated_client, [patch])
    _, _, message = error_of(info)
    assert message.startswith("1 validation error detected: ")
    assert f"at '{member}' failed to satisfy constraint: " in message


@pytest.mark.parametrize(
    ("patch", "extra", "violation"),
    [
        (
            {"Op": "replace", "Key": "a", "Value": "1", "SyncCount": True},
            {},
            "Value 'true' at 'recordPatches.1.member.syncCount' failed to satisfy constraint: "
            "Member must be a whole number",
        ),
        (
            {"Op": "replace", "Key": "a", "Value": "1", "SyncCount": 2**63},
            {},
            "Value '9223372036854775808' at 'recordPatches.1.member.syncCount' failed to satisfy constraint: "
            "Member must be between -9223372036854775808 and 9223372036854775807",
        ),
        (
            {"Op": "replace", "Key": "a", "Value": "\ud800", "SyncCount": 0},
            {},
            "Value '\\ud800' at 'recordPatches.1.member.value' failed to satisfy constraint: "
            "Member must be valid Unicode text",
        ),
        (
            replace("a", "1"),
            {"DeviceId": ""},
            "Value '' at 'deviceId' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    ],
    ids=["bool count", "count too big", "half a character", "empty device ID"],
)
def test_values_that_look_almost_valid_are_refused(
    unvalidated_client: Any, patch: dict[str, Any], extra: dict[str, Any], violation: str
) -> None:
    with raises_error("InvalidParameterException", 400, one_error(violation)):
        write(unvalidated_client, [patch], **extra)


@pytest.mark.parametrize(("member", "wire_name"), [("MaxResults", "maxResults"), ("LastSyncCount", "lastSyncCount")])
def test_a_query_number_that_is_not_a_number(unvalidated_client: Any, member: str, wire_name: str) -> None:
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.list_records(**ids(), **{member: "ten"})
    message = error_of(info)[2]
    assert message.startswith("1 validation error detected: Value 'ten' at ")
    assert f"at '{wire_name}' failed to satisfy constraint: " in message


def test_nothing_is_written_when_validation_fails(unvalidated_client: Any) -> None:
    write(unvalidated_client, {"a": "1"})
    with raises_error("InvalidParameterException", 400):
        write(unvalidated_client, [replace("a", "2", 1), {"Op": "rename", "Key": "b", "SyncCount": 0}])
    listed = unvalidated_client.list_records(**ids())
    assert listed["DatasetSyncCount"] == 1
    assert [(r["Key"], r["Value"]) for r in listed["Records"]] == [("a", "1")]


# -- several violations -----------------------------------------------------------------


def test_two_violations_in_one_message(unvalidated_client: Any) -> None:
    message = (
        "2 validation errors detected: "
        + pattern_error("nocolon", "identityPoolId", POOL_PATTERN)
        + "; "
        + pattern_error("bad name", "datasetName", NAME_PATTERN)
    )
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_records(**ids(pool="nocolon", dataset="bad name"))


def test_three_violations_across_path_and_body(unvalidated_client: Any) -> None:
    token = token_for(unvalidated_client)
    patches = [{"Op": "swap", "Key": "a", "Value": "1", "SyncCount": 0}, replace("k" * 1025, "v")]
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.update_records(**ids(dataset="bad name"), SyncSessionToken=token, RecordPatches=patches)
    message = error_of(info)[2]
    assert message.startswith("3 validation errors detected: ")
    parts = message[len("3 validation errors detected: ") :].split("; ")
    assert sorted(parts) == sorted(
        [
            pattern_error("bad name", "datasetName", NAME_PATTERN),
            "Value 'swap' at 'recordPatches.1.member.op' failed to satisfy constraint: "
            "Member must satisfy enum value set: [replace, remove]",
            f"Value '{'k' * 256}...' (1025 characters) at 'recordPatches.2.member.key' failed to satisfy "
            "constraint: Member must have length less than or equal to 1024",
        ]
    )


def test_a_value_of_256_characters_is_quoted_whole(unvalidated_client: Any) -> None:
    name = "é" * 256
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.list_records(**ids(dataset=name))
    assert error_of(info)[2] == one_error(
        f"Value '{name}' at 'datasetName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128; "
        f"Value '{name}' at 'datasetName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    ).replace("1 validation error", "2 validation errors")


def patch_violations(client: Any, patches: list[dict[str, Any]]) -> str:
    """The message of the InvalidParameterException an UpdateRecords of these patches gets."""
    with raises_error("InvalidParameterException", 400) as info:
        client.update_records(**ids(), SyncSessionToken="t", RecordPatches=patches)
    return error_of(info)[2]


def first_ten(violation: Callable[[int], str]) -> str:
    """The ten violations a message lists, ``violation(i)`` for patches 1 to 10, as it joins them."""
    return "; ".join(violation(i) for i in range(1, 11))


@pytest.mark.parametrize("count", [12, 150_000])
def test_at_most_ten_violations_are_listed_then_counted(any_client: Any, count: int) -> None:
    patches = [{"Op": "swap", "Key": f"k{i}", "SyncCount": 0} for i in range(1, count + 1)]
    message = patch_violations(any_client, patches)
    listed = first_ten(
        lambda i: (
            f"Value 'swap' at 'recordPatches.{i}.member.op' failed to satisfy constraint: "
            "Member must satisfy enum value set: [replace, remove]"
        )
    )
    assert message == f"{count} validation errors detected: {listed}; and {count - 10} more"
    assert len(message) < MESSAGE_BOUND  # 1,341 characters for 150,000 bad patches


def test_a_rejected_map_is_quoted_cut_too(unvalidated_client: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:" + "f" * 300
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": arn, "Other": "x"})
    shown = "{SyncTrigger=" + arn + ", Other=x}"
    assert error_of(info)[2] == one_error(
        f"Value '{shown[:256]}...' ({len(shown)} characters) at 'events' failed to satisfy constraint: "
        "Member must have length less than or equal to 1"
    )


# -- bounded messages -------------------------------------------------------------------


def test_long_values_are_cut_in_every_violation_listed(unvalidated_client: Any) -> None:
    patches = [replace(f"{i:02}" + "k" * 4998, "v") for i in range(1, 13)]
    listed = first_ten(
        lambda i: (
            f"Value '{i:02}{'k' * 254}...' (5000 characters) at 'recordPatches.{i}.member.key' failed to "
            "satisfy constraint: Member must have length less than or equal to 1024"
        )
    )
    assert patch_violations(unvalidated_client, patches) == f"12 validation errors detected: {listed}; and 2 more"


def test_a_long_map_key_is_cut_in_the_path_it_names(unvalidated_client: Any) -> None:
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.set_cognito_events(IdentityPoolId=POOL, Events={"k" * 2000: 5})
    assert error_of(info)[2] == one_error(
        f"Value '5' at 'events.{'k' * 256}....member' failed to satisfy constraint: Member must be a string"
    )


def test_the_longest_violations_still_make_a_short_message(any_client: Any) -> None:
    events = {f"{i:02}" + "k" * 2000: ["x" * 2000] for i in range(12)}
    with raises_error("InvalidParameterException", 400) as info:
        any_client.set_cognito_events(IdentityPoolId=POOL, Events=events)
    message = error_of(info)[2]
    assert message.startswith("13 validation errors detected: Value '{00kkk")
    assert message.endswith("; and 3 more")
    assert len(message) < MESSAGE_BOUND


def test_an_unknown_route_names_its_path_cut(cognito_sync: Any) -> None:
    answer = cognito_sync.state.handle(protocol.Request("GET", "/" + "x" * 5000))
    assert answer.status == 404
    assert json.loads(answer.body) == {"message": f"No Cognito Sync operation matches GET /{'x' * 255}..."}


# -- JSON nesting -----------------------------------------------------------------------

TOO_DEEP = "The request body is nested more than 32 levels deep"


def nested(depth: int, opener: str = "[") -> bytes:
    """A body whose SyncSessionToken is ``depth - 1`` containers deep, so the body nests ``depth`` levels."""
    inner = "[" * (depth - 1) + "]" * (depth - 1) if opener == "[" else '{"a": ' * (depth - 1) + "1" + "}" * (depth - 1)
    return ('{"SyncSessionToken": ' + inner + "}").encode()


def test_a_body_nested_32_levels_is_read_and_33_is_refused() -> None:
    assert protocol.MAX_JSON_DEPTH == 32
    for opener in "[{":
        assert list(protocol.json_object(nested(32, opener))) == ["SyncSessionToken"]
        with pytest.raises(InvalidParameterError) as info:
            protocol.json_object(nested(33, opener))
        assert info.value.message == TOO_DEEP


@pytest.mark.parametrize("depth", [33, 328, 980, 100_000])
def test_any_nesting_too_deep_is_refused_by_the_protocol(depth: int) -> None:
    with pytest.raises(InvalidParameterError) as info:
        protocol.json_object(nested(depth))
    assert info.value.message == TOO_DEEP


@pytest.mark.parametrize(
    ("depth", "message"),
    [(32, "The request body must be a JSON object"), (33, TOO_DEEP), (980, TOO_DEEP), (100_000, TOO_DEEP)],
)
def test_a_body_that_is_no_object_is_refused_for_its_nesting_first(depth: int, message: str) -> None:
    """Also deeper than Python's decoder goes (its RecursionError)."""
    with pytest.raises(InvalidParameterError) as info:
        protocol.json_object(b"[" * depth + b"]" * depth)
    assert info.value.message == message


@pytest.mark.parametrize("depth", [33, 328, 980, 100_000])
def test_a_request_nested_too_deep_is_an_invalid_parameter_never_a_500(any_client: Any, depth: int) -> None:
    """328 to 980 levels were a RecursionError (a 500) in the validation message's quoting of the value."""

    def send_nested(params: dict[str, Any], **_: Any) -> None:
        params["body"] = nested(depth)

    any_client.meta.events.register("before-call.cognito-sync.UpdateRecords", send_nested)
    with raises_error("InvalidParameterException", 400, TOO_DEEP):
        any_client.update_records(**ids(), SyncSessionToken="t", RecordPatches=[])
    assert any_client.list_records(**ids())["DatasetExists"] is False


def test_a_member_nested_too_deep_through_boto3_is_refused(unvalidated_client: Any, cognito_sync: Any) -> None:
    token: Any = []
    for _ in range(40):
        token = [token]
    with raises_error("InvalidParameterException", 400, TOO_DEEP):
        unvalidated_client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[])
    assert [(c.operation, c.error) for c in cognito_sync.calls] == [("UpdateRecords", "InvalidParameterException")]


# -- integers in the query --------------------------------------------------------------

NOT_WHOLE = "Member must be a whole number"


@pytest.mark.parametrize(
    "text", ["1_0", " 1 ", "1 ", "+1", "1.0", "0x1", "1e3", "\u0661", "\uff11", "", "-", "--1", "1-"]
)  # \u0661 ARABIC-INDIC DIGIT ONE and \uff11 FULLWIDTH DIGIT ONE, which int() reads as 1
@pytest.mark.parametrize(("member", "wire_name"), [("MaxResults", "maxResults"), ("LastSyncCount", "lastSyncCount")])
def test_a_query_integer_is_ascii_digits_only(unvalidated_client: Any, text: str, member: str, wire_name: str) -> None:
    message = one_error(f"Value '{text}' at '{wire_name}' failed to satisfy constraint: {NOT_WHOLE}")
    with raises_error("InvalidParameterException", 400, message):
        unvalidated_client.list_records(**ids(), **{member: text})


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("maxResults=1_0", "1_0"),
        ("maxResults=%201%20", " 1 "),
        ("maxResults=+1", " 1"),
        ("maxResults=%2B1", "+1"),
        ("maxResults=%D9%A1", "\u0661"),  # ARABIC-INDIC DIGIT ONE, which int() reads as 1
        ("maxResults=", ""),
        ("maxResults=1.0", "1.0"),
        ("maxResults=0x1", "0x1"),
    ],
)
@pytest.mark.parametrize("path", ["/identitypools", f"/identitypools/{POOL}/identities/{IDENTITY}/datasets"])
def test_raw_query_integers_are_read_strictly(cognito_sync: Any, query: str, shown: str, path: str) -> None:
    """A raw ``+`` in a query is a space (form encoding), so ``maxResults=+1`` is " 1"."""
    answer = cognito_sync.state.handle(protocol.Request("GET", path, query=query))
    message = one_error(f"Value '{shown}' at 'maxResults' failed to satisfy constraint: {NOT_WHOLE}")
    assert (answer.status, answer.error, json.loads(answer.body)) == (400, INVALID, {"message": message})


def test_a_query_integer_of_more_digits_than_int_reads_is_refused(cognito_sync: Any) -> None:
    digits = "9" * 5000
    path = f"/identitypools/{POOL}/identities/{IDENTITY}/datasets/{DATASET}/records"
    answer = cognito_sync.state.handle(protocol.Request("GET", path, query=f"lastSyncCount={digits}"))
    message = one_error(
        f"Value '{'9' * 256}...' (5000 characters) at 'lastSyncCount' failed to satisfy constraint: {NOT_WHOLE}"
    )
    assert (answer.status, json.loads(answer.body)) == (400, {"message": message})


@pytest.mark.parametrize(("text", "count"), [("2", 2), ("002", 2), ("-0", None), ("-3", None)])
def test_ascii_digits_with_a_leading_minus_are_integers(unvalidated_client: Any, text: str, count: int | None) -> None:
    write(unvalidated_client, {"a": "1", "b": "2", "c": "3"})
    if count is None:  # read as the integer it is, then refused as below the minimum
        with raises_error("InvalidParameterException", 400):
            unvalidated_client.list_records(**ids(), MaxResults=text)
        return
    assert unvalidated_client.list_records(**ids(), MaxResults=text)["Count"] == count


# -- the wire ---------------------------------------------------------------------------


def test_error_wire_shape(unvalidated_client: Any, wire: list[dict[str, Any]]) -> None:
    with raises_error("InvalidParameterException", 400) as info:
        unvalidated_client.list_records(**ids(dataset="bad name"))

    (raw,) = wire
    assert raw["status_code"] == 400
    headers = {k.lower(): v for k, v in raw["headers"].items()}
    assert headers["x-amzn-errortype"] == "InvalidParameterException:"
    assert uuid.UUID(headers["x-amzn-requestid"])
    assert json.loads(raw["body"]) == {"message": one_error(pattern_error("bad name", "datasetName", NAME_PATTERN))}
    assert info.value.response["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        (lambda c: c.describe_dataset(**ids()), "ResourceNotFoundException", 404),
        (lambda c: write(c, [replace("a", "1", 7)]), "ResourceConflictException", 409),
        (lambda c: c.list_records(**ids(), LastSyncCount=9), "InvalidParameterException", 400),
    ],
    ids=["not found", "conflict", "invalid"],
)
def test_error_statuses_and_headers(
    unvalidated_client: Any, wire: list[dict[str, Any]], call: Any, code: str, status: int
) -> None:
    with raises_error(code, status) as info:
        call(unvalidated_client)
    raw = wire[-1]
    assert raw["status_code"] == status
    headers = {k.lower(): v for k, v in raw["headers"].items()}
    assert headers["x-amzn-errortype"] == f"{code}:"
    body = json.loads(raw["body"])
    assert list(body) == ["message"]
    assert body["message"] == error_of(info)[2]


def test_limit_exceeded_is_400_on_the_wire() -> None:
    with mock_cognito_sync(limits={"records_per_dataset": 1}):
        client = make_client()
        write(client, {"a": "1"})
        with raises_error("LimitExceededException", 400):
            write(client, {"b": "1"})


def test_success_wire_shape(unvalidated_client: Any, wire: list[dict[str, Any]]) -> None:
    with freeze_time("2024-01-02 03:04:05.678"):
        write(unvalidated_client, [replace("a", "1"), remove("b", 0)])
    unvalidated_client.list_records(**ids())

    listing = wire[-1]
    assert listing["status_code"] == 200
    headers = {k.lower(): v for k, v in listing["headers"].items()}
    assert headers["content-type"].startswith("application/json")
    assert "x-amzn-errortype" not in headers
    request_ids = [{k.lower(): v for k, v in r["headers"].items()}["x-amzn-requestid"] for r in wire]
    assert all(uuid.UUID(r) for r in request_ids)
    assert len(set(request_ids)) == len(request_ids), "each answer needs a fresh request ID"

    body = json.loads(listing["body"])
    records = {r["Key"]: r for r in body["Records"]}
    assert records["a"]["LastModifiedDate"] == 1704164645.678
    assert records["a"]["DeviceLastModifiedDate"] == 1704164645.678
    assert records["a"]["Value"] == "1"
    assert "Value" not in records["b"]  # None members are left out, not sent as null
    assert "NextToken" not in body
    assert "MergedDatasetNames" not in body
    assert body["DatasetExists"] is True


def test_missing_dataset_answer_leaves_out_absent_members(unvalidated_client: Any, wire: list[dict[str, Any]]) -> None:
    unvalidated_client.list_records(**ids())
    body = json.loads(wire[-1]["body"])
    assert body["Records"] == [] and body["Count"] == 0 and body["DatasetExists"] is False
    assert None not in body.values()
    assert "NextToken" not in body and "MergedDatasetNames" not in body


def test_timestamps_in_requests_may_be_integers(unvalidated_client: Any) -> None:
    written = write(unvalidated_client, [replace("a", "1", DeviceLastModifiedDate=1700000000)])
    assert written["Records"][0]["DeviceLastModifiedDate"].timestamp() == 1700000000


def test_client_context_header_reaches_the_operation(cognito_sync: Any, client: Any) -> None:
    token = token_for(client)
    client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("a", "1")], ClientContext="ctx-1")
    call = cognito_sync.calls[-1]
    assert call.operation == "UpdateRecords"
    assert call.params["ClientContext"] == "ctx-1"
    assert call.params["IdentityPoolId"] == POOL and call.params["DatasetName"] == DATASET
    assert call.error is None


def test_validated_input_keeps_only_the_model_members_with_values() -> None:
    """Nulls and members the model lacks are dropped; timestamps become datetimes."""
    shape: Any = protocol.service().operations["UpdateRecords"].model.input_shape
    patch = {"Op": "replace", "Key": "k", "Value": None, "SyncCount": 0, "Extra": 1, "DeviceLastModifiedDate": 1.5}
    plain = {"Op": "remove", "Key": "j", "SyncCount": 2}
    raw = {**ids(), "SyncSessionToken": "t", "RecordPatches": [patch, plain]}
    errors: list[str] = []
    params = validate(shape, raw, errors)
    assert errors == []
    moment = datetime.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=datetime.timezone.utc)
    assert params["RecordPatches"] == [
        {"Op": "replace", "Key": "k", "SyncCount": 0, "DeviceLastModifiedDate": moment},
        {"Op": "remove", "Key": "j", "SyncCount": 2},
    ]
    assert params["IdentityPoolId"] == POOL and params["SyncSessionToken"] == "t"


def test_validation_reports_a_null_required_member_and_a_bad_nested_one() -> None:
    shape: Any = protocol.service().operations["UpdateRecords"].model.input_shape
    raw = {**ids(), "SyncSessionToken": "t", "RecordPatches": [{"Op": "nope", "Key": None, "SyncCount": "x"}]}
    errors: list[str] = []
    validate(shape, raw, errors)
    assert errors == [
        "Value null at 'recordPatches.1.member.key' failed to satisfy constraint: Member must not be null",
        "Value 'nope' at 'recordPatches.1.member.op' failed to satisfy constraint: "
        "Member must satisfy enum value set: [replace, remove]",
        "Value 'x' at 'recordPatches.1.member.syncCount' failed to satisfy constraint: Member must be a whole number",
    ]
