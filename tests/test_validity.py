"""One rule per kind of value: whatever a request or the mock's API may store, a snapshot holds and loads again.

Every region, account and ID form a request may bring round-trips through ``snapshot()``
and ``restore()``; the mock's own API (and the server's control endpoints, which call
it) refuses what a request could not bring, naming the member; what breaks the
rules is refused before anything changes.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from helpers import (
    APP_ARN,
    DEFAULT_ACCOUNT,
    IDENTITY,
    NO_RETRIES,
    OTHER_APP_ARN,
    OTHER_IDENTITY,
    POOL,
    POOL_ID_RULE,
    REGION_RULE,
    ROLE_ARN,
    TRIGGER_ARN,
    ids,
    make_client,
    raises_error,
    remove,
    replace,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync
from cognito_sync_mock.state import State

NAME_RULE = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"

# Each form of region a request may carry in its SigV4 credential scope: AWS's partitions
# (commercial, GovCloud, China, the European Sovereign Cloud, ISO) and the names local
# emulators use. botocore refuses names that are no host label or are all digits.
REGIONS = [
    "us-east-1",
    "eu-central-2",
    "us-gov-west-1",
    "cn-north-1",
    "eusc-de-east-1",
    "us-isob-east-1",
    "local",
    "localhost",
    "x",
    "1a",
    "a-1",
    "r" * 63,
]
# Pool and identity IDs at the edges of the model's form ([\w-]+:[0-9a-f-]+, 1-55 characters).
POOLS = ["us-east-1:0", "a:-", "_:f", "X_y-1:abc-", "p" * 53 + ":0"]
IDENTITIES = ["us-east-1:f", "Z-_9:0-a", "i" * 53 + ":e"]
DATASETS = [".", ":", "-", "A_b.c:d-e", "d" * 128]
RECORDS = {"k": "v", "é": "", "🙂": "ünïcødé 🙂", " ": "\u0000\n\t", "K" * 1024: "V" * 1000}


def answers(client: Any, pool: str, identity: str, datasets: list[str]) -> dict[str, Any]:
    """What a user reads of one identity, minus request IDs and fresh session tokens."""

    def clean(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "SyncSessionToken")}

    seen = {
        "pools": clean(client.list_identity_pool_usage()),
        "usage": clean(client.describe_identity_usage(IdentityPoolId=pool, IdentityId=identity)),
        "datasets": clean(client.list_datasets(IdentityPoolId=pool, IdentityId=identity)),
        "config": clean(client.get_identity_pool_configuration(IdentityPoolId=pool)),
        "events": clean(client.get_cognito_events(IdentityPoolId=pool)),
    }
    for name in datasets:
        seen[name] = clean(client.list_records(**ids(pool, identity, name)))
    return seen


def saved(mock: Any) -> Any:
    """``mock``'s snapshot, written out as JSON and read back."""
    return json.loads(json.dumps(mock.snapshot()))


def fill(client: Any, pool: str, identity: str) -> None:
    """Every kind of value a request stores: records of each form, configuration, events, a device."""
    client.set_identity_pool_configuration(
        IdentityPoolId=pool,
        PushSync={"ApplicationArns": [APP_ARN, OTHER_APP_ARN], "RoleArn": ROLE_ARN + "x" * 1990},
        CognitoStreams={"StreamName": "s" * 128, "RoleArn": ROLE_ARN, "StreamingStatus": "DISABLED"},
    )
    client.set_cognito_events(IdentityPoolId=pool, Events={"SyncTrigger": "any text: the model sets no form"})
    for name in DATASETS:
        write(client, RECORDS, pool=pool, identity=identity, dataset=name)
    write(client, [remove("k", 1)], pool=pool, identity=identity, dataset=".")
    device = client.register_device(IdentityPoolId=pool, IdentityId=identity, Platform="ADM", Token="")["DeviceId"]
    client.subscribe_to_dataset(**ids(pool, identity, ":"), DeviceId=device)


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_a_request_may_name_is_saved_and_loaded(region: str) -> None:
    with mock_cognito_sync() as mock:
        client = make_client(region)
        fill(client, POOL, IDENTITY)
        document = saved(mock)
        before = answers(client, POOL, IDENTITY, DATASETS)  # after it: a ListRecords counts a session
    assert list(document["accounts"][DEFAULT_ACCOUNT]) == [region]
    with mock_cognito_sync(state=document):
        assert answers(make_client(region), POOL, IDENTITY, DATASETS) == before


@pytest.mark.parametrize(("pool", "identity"), list(zip(POOLS, IDENTITIES * 2)))
def test_every_id_form_a_request_may_bring_is_saved_and_loaded(pool: str, identity: str) -> None:
    names = [*DATASETS, "game", f"game.{OTHER_IDENTITY}"]  # a merged dataset, and the one it is listed with
    with mock_cognito_sync() as mock:
        client = make_client("local")
        fill(client, pool, identity)
        write(client, {"k": "merged"}, pool=pool, identity=OTHER_IDENTITY)
        mock.backend("local").merge_identities(pool, identity, OTHER_IDENTITY)
        document = saved(mock)
        before = answers(client, pool, identity, names)
    assert before["game"]["MergedDatasetNames"] == [f"game.{OTHER_IDENTITY}"]
    with mock_cognito_sync(state=document):
        assert answers(make_client("local"), pool, identity, names) == before


def test_every_account_a_request_may_be_answered_in_is_saved_and_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "000000000001")  # the mock's own account
    readers = (IDENTITY, IDENTITY, IDENTITY, OTHER_IDENTITY)
    mapped = boto3.client(
        "cognito-sync", region_name="local", aws_access_key_id="AKIDMAPPED", aws_secret_access_key="x"
    )
    with mock_cognito_sync() as mock:
        mock.map_access_key("AKIDMAPPED", "999999999990")
        clients = [
            make_client("local"),
            mapped,
            mock.identity_client(POOL, IDENTITY, region="local", account_id="012345678901"),
            mock.identity_client(POOL, OTHER_IDENTITY, region="local", account_id=DEFAULT_ACCOUNT),
        ]
        for client in clients[:2]:
            fill(client, POOL, IDENTITY)
        write(clients[2], {"k": "minted"})
        write(clients[3], {"k": "named"}, identity=OTHER_IDENTITY)
        keys, document = dict(mock.state.identity_keys), saved(mock)
        before = [answers(client, POOL, who, [*DATASETS, "game"]) for client, who in zip(clients, readers)]
    assert sorted(document["accounts"]) == ["000000000001", "012345678901", DEFAULT_ACCOUNT, "999999999990"]
    with mock_cognito_sync(state=document) as fresh:
        fresh.map_access_key("AKIDMAPPED", "999999999990")  # mapped and minted keys are no part of the state
        fresh.state.identity_keys.update(keys)
        after = [answers(client, POOL, who, [*DATASETS, "game"]) for client, who in zip(clients, readers)]
    assert after == before


def test_a_server_answering_region_local_can_start_again_from_what_it_saved(
    cognito_sync_server: CognitoSyncServer,
) -> None:
    client = make_client("local", endpoint_url=cognito_sync_server.url)
    fill(client, POOL, IDENTITY)
    status, document = control(cognito_sync_server, "GET", "snapshot")
    assert status == 200
    before = answers(client, POOL, IDENTITY, DATASETS)
    with CognitoSyncServer(state=document) as again:
        assert answers(make_client("local", endpoint_url=again.url), POOL, IDENTITY, DATASETS) == before


# -- what a request may not name -------------------------------------------------------


@pytest.mark.parametrize("region", ["US-EAST-1", "Local", "a_b", "-a", "a-", "12", "r" * 64, ""])
def test_a_region_outside_the_rule_is_refused_and_nothing_is_stored(region: str) -> None:
    scope = f"Credential=AKIDEXAMPLE/20250101/{region}/cognito-sync/aws4_request"
    with CognitoSyncServer() as server:
        connection = http.client.HTTPConnection(*server_address(server), timeout=10)
        connection.putrequest("GET", f"/identitypools/{POOL}/identities/{IDENTITY}/datasets")
        connection.putheader("Authorization", f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0")
        connection.endheaders()
        answer = connection.getresponse()
        assert (answer.status, answer.getheader("x-amzn-ErrorType")) == (403, "NotAuthorizedException:")
        message = f"Credential should be scoped to a valid region, not {region!r}: a region {REGION_RULE}"
        assert json.loads(answer.read()) == {"message": message}
        assert server.snapshot() == {"version": 1, "accounts": {}}
        assert [(c.operation, c.error) for c in server.calls] == [("ListDatasets", "NotAuthorizedException")]


def test_a_botocore_client_of_an_upper_case_region_is_refused_not_put_in_another(cognito_sync: Any) -> None:
    client = make_client("US-EAST-1")
    message = f"Credential should be scoped to a valid region, not 'US-EAST-1': a region {REGION_RULE}"
    with raises_error("NotAuthorizedException", 403, message):
        write(client, {"k": "v"})
    assert cognito_sync.snapshot() == {"version": 1, "accounts": {}}


def server_address(server: CognitoSyncServer) -> tuple[str, int]:
    host, _, port = server.url.removeprefix("http://").rpartition(":")
    return host.strip("[]"), int(port)


def control(server: CognitoSyncServer, method: str, name: str, document: Any = None) -> tuple[int, Any]:
    """(status, JSON answer) of a control endpoint, sent as a JSON POST when there is a document."""
    connection = http.client.HTTPConnection(*server_address(server), timeout=10)
    try:
        body = None if document is None else json.dumps(document).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        connection.request(method, f"/_mock/{name}", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


# -- the mock's own API keeps to the same rules ------------------------------------------

IDENTITY_RULE = POOL_ID_RULE  # the model gives pool and identity IDs one form
TOO_LONG_ID = "us-east-1:" + "0" * 46  # 56 characters: one more than the model's 55
LENGTH_RULE = "Member must have length less than or equal to 55"
ACCESS_KEY_RULE = "must be 1 or more characters, none of them '/', ',' or white space"


def refused(call: Any) -> str:
    """The message of the ValueError ``call()`` raises."""
    with pytest.raises(ValueError) as error:
        call()
    return str(error.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.backend().register_identity_pool("x"), f"pool_id 'x' is not valid: {POOL_ID_RULE}"),
        (
            lambda m: m.backend().register_identity_pool(TOO_LONG_ID),
            f"pool_id {TOO_LONG_ID!r} is not valid: {LENGTH_RULE}",
        ),
        (lambda m: m.backend().register_identity_pool(5), "pool_id 5 is not valid: Member must be a string"),
        (
            lambda m: m.backend().register_identity(POOL, "us-east-1:G"),
            f"identity_id 'us-east-1:G' is not valid: {IDENTITY_RULE}",
        ),
        (
            lambda m: m.backend().register_identity("", IDENTITY),
            "pool_id '' is not valid: Member must have length greater than or equal to 1; " + POOL_ID_RULE,
        ),
        (
            lambda m: m.backend().merge_identities(POOL, "b", IDENTITY),
            f"into_identity_id 'b' is not valid: {IDENTITY_RULE}",
        ),
        (
            lambda m: m.backend().merge_identities(POOL, IDENTITY, "b c"),
            f"from_identity_id 'b c' is not valid: {IDENTITY_RULE}",
        ),
        (
            lambda m: m.backend().merge_identities("p", IDENTITY, OTHER_IDENTITY),
            f"pool_id 'p' is not valid: {POOL_ID_RULE}",
        ),
        (lambda m: m.complete_bulk_publish("p"), f"pool_id 'p' is not valid: {POOL_ID_RULE}"),
        (lambda m: m.fail_bulk_publish("p", "gone"), f"pool_id 'p' is not valid: {POOL_ID_RULE}"),
        (
            lambda m: m.fail_bulk_publish(POOL, "\ud800"),
            "message '\\ud800' is not valid: Member must be valid Unicode text",
        ),
        (lambda m: m.backend("Local"), f"region 'Local' is not valid: {REGION_RULE}"),
        (lambda m: m.backend("us_east_1"), f"region 'us_east_1' is not valid: {REGION_RULE}"),
        (lambda m: m.backend(account_id="12"), "account_id '12' is not valid: must be 12 digits"),
        (lambda m: m.backend(account_id="١٢٣٤٥٦٧٨٩٠١٢"), "account_id '١٢٣٤٥٦٧٨٩٠١٢' is not valid: must be 12 digits"),
        (lambda m: m.complete_bulk_publish(POOL, region="eu west"), f"region 'eu west' is not valid: {REGION_RULE}"),
        (lambda m: m.identity_credentials("x", IDENTITY), f"identity_pool_id 'x' is not valid: {POOL_ID_RULE}"),
        (lambda m: m.identity_credentials(POOL, "x"), f"identity_id 'x' is not valid: {IDENTITY_RULE}"),
        (lambda m: m.identity_credentials(POOL, IDENTITY, "Local"), f"region 'Local' is not valid: {REGION_RULE}"),
        (
            lambda m: m.identity_credentials(POOL, IDENTITY, account_id="1234567890123"),
            "account_id '1234567890123' is not valid: must be 12 digits",
        ),
        (
            lambda m: m.map_access_key("AKID", "12345678901a"),
            "account_id '12345678901a' is not valid: must be 12 digits",
        ),
        (
            lambda m: m.map_access_key("AK ID", DEFAULT_ACCOUNT),
            f"access_key_id 'AK ID' is not valid: {ACCESS_KEY_RULE}",
        ),
        (lambda m: m.map_access_key("", DEFAULT_ACCOUNT), f"access_key_id '' is not valid: {ACCESS_KEY_RULE}"),
    ],
)
def test_the_mocks_api_refuses_what_a_request_could_not_bring_naming_the_member(
    cognito_sync: Any, call: Any, message: str
) -> None:
    write(make_client(), {"k": "v"})
    before = (cognito_sync.snapshot(), dict(cognito_sync.state.account_keys), dict(cognito_sync.state.identity_keys))
    assert refused(lambda: call(cognito_sync)) == message
    assert (cognito_sync.snapshot(), cognito_sync.state.account_keys, cognito_sync.state.identity_keys) == before


def test_the_mocks_account_is_12_digits_from_the_option_or_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refused(lambda: mock_cognito_sync(account_id="1234")) == "account_id '1234' is not valid: must be 12 digits"
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "abc")
    assert refused(lambda: mock_cognito_sync()) == "MOTO_ACCOUNT_ID 'abc' is not valid: must be 12 digits"
    assert refused(lambda: CognitoSyncServer()) == "MOTO_ACCOUNT_ID 'abc' is not valid: must be 12 digits"
    with mock_cognito_sync(account_id="000000000000") as mock:  # the option wins over moto's
        assert mock.state.account_id == "000000000000"


def test_a_merge_is_refused_whole_when_a_merged_name_would_be_longer_than_the_model_allows(cognito_sync: Any) -> None:
    client = make_client()
    write(client, {"k": "v"}, identity=OTHER_IDENTITY, dataset="short")
    write(client, {"k": "v"}, identity=OTHER_IDENTITY, dataset="d" * 100)  # 100 + 1 + 46 characters merged
    before = cognito_sync.snapshot()
    name = f"{'d' * 100}.{OTHER_IDENTITY}"
    assert refused(lambda: cognito_sync.backend().merge_identities(POOL, IDENTITY, OTHER_IDENTITY)) == (
        f"merged dataset name {name[:64]!r}... (147 characters) is not valid: "
        "Member must have length less than or equal to 128"
    )
    assert cognito_sync.snapshot() == before


@pytest.mark.cognito_sync(limits={"datasets_per_identity": 2})
def test_a_merge_is_refused_whole_beyond_the_dataset_limit(cognito_sync: Any) -> None:
    client = make_client()
    write(client, {"k": "v"}, dataset="own")
    for name in ("a", "b"):
        write(client, {"k": "v"}, identity=OTHER_IDENTITY, dataset=name)
    before = cognito_sync.snapshot()
    assert refused(lambda: cognito_sync.backend().merge_identities(POOL, IDENTITY, OTHER_IDENTITY)) == (
        f"cannot merge {OTHER_IDENTITY} into {IDENTITY}: it would have 3 datasets, more than the limit of 2"
    )
    assert cognito_sync.snapshot() == before


@pytest.mark.cognito_sync(limits={"records_per_dataset": 2})
def test_a_merge_is_refused_whole_when_a_merged_copy_would_break_the_record_limit(cognito_sync: Any) -> None:
    client = make_client()
    write(client, {"a": "1", "b": "2"}, identity=OTHER_IDENTITY)
    cognito_sync.backend().merge_identities(POOL, IDENTITY, OTHER_IDENTITY)  # the copy holds a and b
    write(client, [remove("a", 1), remove("b", 1)], identity=OTHER_IDENTITY)
    write(client, {"c": "3", "d": "4"}, identity=OTHER_IDENTITY)
    before = cognito_sync.snapshot()
    assert refused(lambda: cognito_sync.backend().merge_identities(POOL, IDENTITY, OTHER_IDENTITY)) == (
        f"cannot merge {OTHER_IDENTITY} into {IDENTITY}: "
        f"Dataset game.{OTHER_IDENTITY} would hold 4 records; the limit is 2"
    )
    assert cognito_sync.snapshot() == before


def test_a_sync_trigger_may_not_store_what_a_request_could_not(cognito_sync: Any) -> None:
    cognito_sync.register_lambda(
        TRIGGER_ARN, lambda event, context: {**event, "datasetRecords": {"k": {"newValue": "\ud800", "op": "replace"}}}
    )
    client = make_client()
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
    identity = cognito_sync.identity_client(POOL, IDENTITY, config=NO_RETRIES)
    message = (
        "The SyncTrigger function returned an invalid output: "
        "the record 'k' needs op replace, remove or unmodified and a string newValue"
    )
    with raises_error("InvalidLambdaFunctionOutputException", 400, message):
        write(identity, {"k": "v"})
    cognito_sync.restore(cognito_sync.snapshot())  # what was stored loads


@pytest.mark.parametrize(
    ("name", "document", "message"),
    [
        ("register-identity-pool", {"pool_id": "x"}, f"pool_id 'x' is not valid: {POOL_ID_RULE}"),
        ("register-identity", {"pool_id": POOL, "identity_id": "x"}, f"identity_id 'x' is not valid: {IDENTITY_RULE}"),
        ("register-identity-pool", {"pool_id": POOL, "region": "Local"}, f"region 'Local' is not valid: {REGION_RULE}"),
        (
            "register-identity-pool",
            {"pool_id": POOL, "account_id": "12"},
            "account_id '12' is not valid: must be 12 digits",
        ),
        (
            "merge-identities",
            {"pool_id": POOL, "into_identity_id": IDENTITY, "from_identity_id": "x"},
            f"from_identity_id 'x' is not valid: {IDENTITY_RULE}",
        ),
        ("complete-bulk-publish", {"pool_id": "x"}, f"pool_id 'x' is not valid: {POOL_ID_RULE}"),
        ("fail-bulk-publish", {"pool_id": "x", "message": "m"}, f"pool_id 'x' is not valid: {POOL_ID_RULE}"),
        (
            "map-access-key",
            {"access_key_id": "AKID", "account_id": "12"},
            "account_id '12' is not valid: must be 12 digits",
        ),
        (
            "identity-credentials",
            {"pool_id": POOL, "identity_id": IDENTITY, "region": "a_b"},
            f"region 'a_b' is not valid: {REGION_RULE}",
        ),
        (
            "identity-credentials",
            {"pool_id": "x", "identity_id": IDENTITY},
            f"identity_pool_id 'x' is not valid: {POOL_ID_RULE}",
        ),
    ],
)
def test_the_control_endpoints_answer_400_naming_the_member(
    cognito_sync_server: CognitoSyncServer, name: str, document: dict[str, Any], message: str
) -> None:
    write(make_client(endpoint_url=cognito_sync_server.url), {"k": "v"})
    before = cognito_sync_server.snapshot()
    status, answer = control(cognito_sync_server, "POST", name, document)
    assert (status, answer) == (400, {"message": f"/_mock/{name}: {message}"})
    assert cognito_sync_server.snapshot() == before


# -- any history: what the mock stored, it loads ----------------------------------------

LIMITS = {"records_per_dataset": 3, "datasets_per_identity": 3, "dataset_bytes": 64}
PLACES = st.tuples(st.sampled_from(["local", "us-gov-west-1", "x"]), st.sampled_from(POOLS[:2]))
WHO = st.sampled_from([IDENTITY, OTHER_IDENTITY, IDENTITIES[2]])
NAMES = st.sampled_from(["g", ".", "d" * 128])
HISTORY_STEP = st.one_of(
    st.tuples(st.just("put"), PLACES, WHO, NAMES, st.sampled_from(["k", "é", "🙂"]), st.text(max_size=30)),
    st.tuples(st.just("remove"), PLACES, WHO, NAMES, st.sampled_from(["k", "é"])),
    st.tuples(st.just("delete"), PLACES, WHO, NAMES),
    st.tuples(st.just("merge"), PLACES, WHO, WHO),
    st.tuples(st.just("device"), PLACES, WHO, st.sampled_from(["GCM", "APNS"]), st.text(max_size=5)),
    st.tuples(st.just("register"), PLACES, st.sampled_from([IDENTITY, "not an ID", "x:G"])),
)


def happen(mock: Any, step: tuple[Any, ...]) -> None:
    """One step of a history; a refusal (an error answer, a ValueError) must change nothing."""
    kind, (region, pool) = step[:2]
    client, before = make_client(region), mock.snapshot()
    try:
        if kind in ("put", "remove"):
            identity, name, key = step[2:5]
            listing = client.list_records(**ids(pool, identity, name))
            counts = {r["Key"]: r["SyncCount"] for r in listing["Records"]}
            before = mock.snapshot()  # the listing counted a session: the update alone may change nothing
            patch = replace(key, step[5], counts.get(key, 0)) if kind == "put" else remove(key, counts.get(key, 0))
            token = listing["SyncSessionToken"]
            client.update_records(**ids(pool, identity, name), SyncSessionToken=token, RecordPatches=[patch])
        elif kind == "delete":
            client.delete_dataset(**ids(pool, step[2], step[3]))
        elif kind == "merge":
            mock.backend(region).merge_identities(pool, step[2], step[3])
        elif kind == "device":
            client.set_identity_pool_configuration(IdentityPoolId=pool, PushSync={"RoleArn": ROLE_ARN})
            before = mock.snapshot()
            client.register_device(IdentityPoolId=pool, IdentityId=step[2], Platform=step[3], Token=step[4])
        else:
            mock.backend(region).register_identity(pool, step[2])
    except (ClientError, ValueError):
        assert mock.snapshot() == before


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HISTORY_STEP, max_size=15))
def test_whatever_a_history_stored_loads_and_dumps_the_same(steps: list[tuple[Any, ...]]) -> None:
    with mock_cognito_sync(limits=LIMITS) as mock:
        for step in steps:
            happen(mock, step)
        document = saved(mock)
    state = State(limits=LIMITS)
    state.restore(document)
    assert state.snapshot() == document
