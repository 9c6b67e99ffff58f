"""Reproducible runs: with a seed, every value the mock makes up is the same from run to run.

``mock_cognito_sync(seed=N)``, ``CognitoSyncServer(seed_ids=N)`` and ``serve --seed-ids N``:
request IDs, device IDs, session and paging tokens, minted credentials, trigger contexts'
``aws_request_id`` and stream payload IDs. Times stay the clock's, so each run here is
frozen at one moment. Without a seed they are random; one mock's seed never reaches another.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from typing import Any, Callable, Iterator

import pytest
from freezegun import freeze_time
from helpers import (
    APP_ARN,
    IDENTITY,
    INVALID,
    MINTED_KEY,
    NO_RETRIES,
    POOL,
    ROLE_ARN,
    STREAM,
    TRIGGER_ARN,
    control,
    ids,
    make_client,
    raises_error,
    replace,
    set_trigger,
    token_for,
    utc,
    write,
)

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync
from cognito_sync_mock.api import StateAPI
from cognito_sync_mock.cli import parse as cli_parse
from cognito_sync_mock.ids import Ids
from cognito_sync_mock.state import State

T0 = utc("2024-05-01 12:00:00.123")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# the mock's own payload URL, or a presigned one of moto's S3 (a server hosting moto)
PAYLOAD_ID = re.compile(r".*/(?:_mock/stream-payloads/([0-9a-f]{32})|[^/?]+/([0-9a-f]{32})\.json\?.*)")
BIG = "é" * 520_000  # inside the dataset limit, over Kinesis's as JSON: its stream record goes by URL


# -- one run: calls that make every kind of generated value ------------------------------------


class Answers:
    """What botocore received for each call of the clients it listens to: operation, request ID, body."""

    def __init__(self, *clients: Any) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        for client in clients:
            client.meta.events.register("after-call.cognito-sync", self._keep)

    def _keep(self, http_response: Any, model: Any, **_: Any) -> None:
        self.seen.append((model.name, http_response.headers["x-amzn-RequestId"], http_response.content))

    def request_ids(self) -> list[str]:
        return [request_id for _, request_id, _ in self.seen]


def play(api: StateAPI, client: Any) -> dict[str, Any]:
    """Run the same calls against ``api``'s mock or server; every answer and generated value, raw.

    Times stay the clock's: the callers freeze it, so that session tokens (which hold their expiry) repeat too.
    """
    contexts: list[str] = []

    def trigger(event: dict[str, Any], context: Any) -> dict[str, Any]:
        contexts.append(context.aws_request_id)
        return event

    api.register_lambda(TRIGGER_ARN, trigger)
    credentials = api.identity_credentials(POOL, IDENTITY)
    identity = api.identity_client(POOL, IDENTITY, config=NO_RETRIES)
    answers = Answers(client, identity)
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )
    set_trigger(client)
    write(identity, {"level": "3"})  # a session token; the trigger runs
    write(client, {"big": BIG}, dataset="big")  # a stream payload behind a URL
    device = client.register_device(**ids(dataset=None), Platform="GCM", Token="device-token")["DeviceId"]
    page = client.list_datasets(**ids(dataset=None), MaxResults=1)  # a paging token
    token = token_for(client)
    with raises_error("ResourceNotFoundException", 404):
        client.describe_dataset(**ids(dataset="missing"))
    urls = [r["kinesisSyncRecordsURL"] for r in api.stream_records() if r["payloadType"] == "S3Url"]
    return {
        "answers": answers.seen,
        "request_ids": answers.request_ids(),
        "credentials": credentials,
        "device": device,
        "next_token": page["NextToken"],
        "session_token": token,
        "contexts": contexts,
        "payload_ids": [next(filter(None, PAYLOAD_ID.fullmatch(url).groups())) for url in urls],  # type: ignore[union-attr]
    }


def in_process(seed: int | None) -> dict[str, Any]:
    with freeze_time(T0), mock_cognito_sync(seed=seed) as mock:
        return play(mock, make_client())


def served(seed: int | None) -> dict[str, Any]:
    with (
        freeze_time(T0),
        CognitoSyncServer(seed_ids=seed) as server,
    ):  # the clock stays put the whole life of the server
        return play(server, make_client(endpoint_url=server.url))


GENERATED = ("request_ids", "credentials", "device", "next_token", "session_token", "contexts", "payload_ids")


def assert_all_differ(one: dict[str, Any], other: dict[str, Any]) -> None:
    """No generated value of one run is in the other."""
    assert not set(one["request_ids"]) & set(other["request_ids"])
    assert not set(one["credentials"].values()) & set(other["credentials"].values())
    assert not set(one["contexts"]) & set(other["contexts"])
    assert not set(one["payload_ids"]) & set(other["payload_ids"])
    for name in ("device", "next_token", "session_token"):
        assert one[name] != other[name], name


@pytest.mark.parametrize("run", [in_process, served], ids=["in-process", "server"])
def test_two_runs_with_the_same_seed_answer_the_same_bytes(run: Callable[[int | None], dict[str, Any]]) -> None:
    first, second = run(7), run(7)
    assert first == second
    assert len(first["answers"]) == 10  # every answer: request IDs in the headers and every body
    assert [operation for operation, _, _ in first["answers"]][-3:] == [
        "ListDatasets",
        "ListRecords",
        "DescribeDataset",
    ]
    assert len(set(first["request_ids"])) == 10 and all(UUID4.fullmatch(r) for r in first["request_ids"])
    assert UUID4.fullmatch(first["device"]) and all(UUID4.fullmatch(c) for c in first["contexts"])
    assert len(first["contexts"]) == 1 and len(first["payload_ids"]) == 1
    assert MINTED_KEY.fullmatch(first["credentials"]["aws_access_key_id"])
    assert (len(first["credentials"]["aws_secret_access_key"]), len(first["credentials"]["aws_session_token"])) == (
        40,
        128,
    )


def test_the_mock_and_the_server_make_the_same_values_from_one_seed() -> None:
    assert in_process(7) == served(7)


@pytest.mark.parametrize("run", [in_process, served], ids=["in-process", "server"])
def test_another_seed_or_none_makes_other_values(run: Callable[[int | None], dict[str, Any]]) -> None:
    seven, eight, unseeded, again = run(7), run(8), run(None), run(None)
    for one, other in [(seven, eight), (seven, unseeded), (eight, unseeded), (unseeded, again)]:
        assert_all_differ(one, other)


def test_a_seeded_mock_leaves_an_unseeded_server_s_values_alone() -> None:
    with CognitoSyncServer() as server:
        client = make_client(endpoint_url=server.url)
        before = Answers(client)
        client.list_datasets(**ids(dataset=None))
        seeded = in_process(7)  # in the same process, between two calls of the server
        client.list_datasets(**ids(dataset=None))
        first, second = before.request_ids()
        assert first[:24] == second[:24] and int(second[24:], 16) == int(first[24:], 16) + 1  # its own sequence
        assert not {first, second} & set(seeded["request_ids"])
    assert in_process(7) == seeded


def test_an_unseeded_state_makes_new_values_however_many_seeded_ones_exist() -> None:
    seeded = [State(seed=7) for _ in range(2)]
    unseeded = [State() for _ in range(2)]
    made = [(s.request_id(), s.ids.secret, str(s.ids.uuid4())) for s in seeded + unseeded]
    assert made[0] == made[1]
    assert len({m[i] for m in made[1:] for i in range(3)}) == 9


# -- the sequence: reset, seed again, snapshots, a test class's baseline ------------------------


def values(state: State) -> tuple[Any, ...]:
    """A few generated values, made without answering a request."""
    credentials = state.identity_credentials(POOL, IDENTITY, "us-east-1")
    return (credentials["aws_access_key_id"], state.request_id(), str(state.ids.uuid4()), state.ids.secret)


def test_a_reset_starts_a_seeded_sequence_again() -> None:
    with mock_cognito_sync(seed=3) as mock:
        first = values(mock.state)
        assert values(mock.state) != first
        mock.reset()
        assert values(mock.state) == first


def test_a_reset_leaves_an_unseeded_sequence_going() -> None:
    with mock_cognito_sync() as mock:
        first = values(mock.state)
        mock.reset()
        again = values(mock.state)
    assert (again[0], again[2]) != (first[0], first[2])
    assert again[1][:24] == first[1][:24]  # the request IDs count on
    assert again[3] == first[3]  # the tokens' key stays


def test_seed_ids_makes_the_values_a_fresh_seeded_run_makes() -> None:
    expected = values(State(seed=5))
    with mock_cognito_sync() as mock:
        values(mock.state)
        mock.seed_ids(5)
        assert mock.state.ids.seed == 5
        assert values(mock.state) == expected
        mock.seed_ids(None)
        assert mock.state.ids.seed is None
        assert values(mock.state)[0] != expected[0]


def test_seed_ids_again_does_not_reuse_a_minted_key() -> None:
    with mock_cognito_sync(seed=5) as mock:
        first = mock.identity_credentials(POOL, IDENTITY)["aws_access_key_id"]
        mock.seed_ids(5)
        second = mock.identity_credentials(POOL, "us-east-1:00000000-0000-4000-8000-0000000000b2")
        assert second["aws_access_key_id"] != first
        assert len(mock.state.identity_keys) == 2


def test_a_restore_leaves_the_sequence_where_it_is_and_device_ids_stay_unique() -> None:
    with mock_cognito_sync(seed=9) as mock:
        client = make_client()
        client.set_identity_pool_configuration(
            IdentityPoolId=POOL, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
        )
        first = client.register_device(**ids(dataset=None), Platform="GCM", Token="one")["DeviceId"]
        saved = mock.snapshot()
        mock.reset()  # the sequence starts again: the next device ID would be the first again
        mock.restore(saved)
        second = client.register_device(**ids(dataset=None), Platform="GCM", Token="two")["DeviceId"]
        devices = mock.backend().pools[POOL].identities[IDENTITY].devices
    assert second != first
    assert devices == {first: ("GCM", "one"), second: ("GCM", "two")}


def test_a_checkpoint_keeps_how_far_a_seeded_sequence_went() -> None:
    with mock_cognito_sync(seed=11) as mock:
        values(mock.state)
        saved = mock.state.checkpoint()
        after = values(mock.state)
        mock.state.rewind(saved)
        assert values(mock.state) == after
        mock.state.rewind(saved)
        assert values(mock.state) == after


CLASS_MOCK = mock_cognito_sync(seed=4)


def after_the_class_set_up() -> tuple[Any, ...]:
    """The values a test of the class below makes: the seed's, after setup_class's one answer."""
    state = State(seed=4)
    state.request_id()
    return values(state)


@CLASS_MOCK
class TestEachTestOfASeededClassStartsFromItsSetUp:
    """Each test rewinds to setup_class's state, the seed's sequence included, whatever ran before."""

    @classmethod
    def setup_class(cls) -> None:
        make_client().list_datasets(**ids(dataset=None))

    def test_one(self) -> None:
        assert values(CLASS_MOCK.state) == after_the_class_set_up()

    def test_two(self) -> None:
        assert values(CLASS_MOCK.state) == after_the_class_set_up()


# -- tokens --------------------------------------------------------------------------------


def test_a_token_of_one_unseeded_mock_opens_nothing_in_another() -> None:
    with mock_cognito_sync():
        token = token_for(make_client())
    with mock_cognito_sync():
        with raises_error(INVALID, 400, "SyncSessionToken not valid for these inputs"):
            write(make_client(), {"k": "v"}, SyncSessionToken=token)


def test_a_token_of_a_seeded_mock_opens_in_another_of_the_same_seed_only() -> None:
    with mock_cognito_sync(seed=1):
        token = token_for(make_client())
    with mock_cognito_sync(seed=1):
        written = make_client().update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k", "v")])
        assert [r["Key"] for r in written["Records"]] == ["k"]
    with mock_cognito_sync(seed=2):
        with raises_error(INVALID, 400, "SyncSessionToken not valid for these inputs"):
            make_client().update_records(**ids(), SyncSessionToken=token, RecordPatches=[])


def test_seeding_again_refuses_the_tokens_of_the_sequence_before() -> None:
    with mock_cognito_sync() as mock:
        client = make_client()
        token = token_for(client)
        mock.seed_ids(12)
        with raises_error(INVALID, 400, "SyncSessionToken not valid for these inputs"):
            client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[])


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (-1, "a seed is a whole number from 0 to 18446744073709551615, not -1"),
        (2**64, "a seed is a whole number from 0 to 18446744073709551615, not 18446744073709551616"),
        ("7", "a seed is a whole number from 0 to 18446744073709551615, not str"),
        (True, "a seed is a whole number from 0 to 18446744073709551615, not bool"),
        (7.0, "a seed is a whole number from 0 to 18446744073709551615, not float"),
    ],
)
def test_a_bad_seed_is_refused_at_once(seed: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        mock_cognito_sync(seed=seed)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        CognitoSyncServer(seed_ids=seed)
    with mock_cognito_sync(seed=1) as mock, pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        mock.seed_ids(seed)
    assert Ids(0).seed == 0 and Ids(2**64 - 1).seed == 2**64 - 1


# -- forks ---------------------------------------------------------------------------------


def in_a_child(source: Ids) -> tuple[str, str]:
    """The next request ID and UUID a forked child makes from ``source``."""
    read, written = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        os.write(written, json.dumps([source.request_id(), str(source.uuid4())]).encode())
        os._exit(0)
    os.close(written)
    with os.fdopen(read) as pipe:
        made = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return made[0], made[1]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_a_forked_child_makes_its_own_values_unless_seeded() -> None:
    unseeded, seeded = Ids(), Ids(21)
    child = in_a_child(unseeded)
    assert child[0][:24] != unseeded.request_id()[:24]
    assert child[1] != str(unseeded.uuid4())
    assert in_a_child(seeded) == (seeded.request_id(), str(seeded.uuid4()))  # the seed's sequence, as in the parent


# -- the server: --seed-ids, its variable, POST /_mock/seed, the marker -------------------------


class Serve:
    """``cognito-sync-mock serve --port 0`` in its own process, with more arguments and variables."""

    def __init__(self, *argv: str, **environ: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **environ}
        command = [sys.executable, "-m", "cognito_sync_mock", "serve", "--port", "0", *argv]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.process.stderr.read() if self.process.stderr else ""

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)


@pytest.fixture
def serve() -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(*argv: str, **environ: str) -> Serve:
        started.append(Serve(*argv, **environ))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def over_http(url: str) -> dict[str, Any]:
    """Calls over HTTP only (boto3 and the control endpoints), as a tool in another process makes them."""
    client = make_client(endpoint_url=url)
    answers = Answers(client)
    status, keys = control(url, "POST", "identity-credentials", {"pool_id": POOL, "identity_id": IDENTITY})
    assert status == 200
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
    )
    write(client, {"level": "3"})
    client.register_device(**ids(dataset=None), Platform="GCM", Token="device-token")
    token_for(client)
    return {"answers": answers.seen, "keys": keys}


def timeless(run: dict[str, Any]) -> dict[str, Any]:
    """What a run over HTTP answers whatever the server's clock: all but the bodies holding times and tokens."""
    answers = run["answers"]
    return {
        "request_ids": [(operation, request_id) for operation, request_id, _ in answers],
        "bodies": [
            body for operation, _, body in answers if operation in ("SetIdentityPoolConfiguration", "RegisterDevice")
        ],
        "keys": run["keys"],
    }


def test_two_server_processes_with_the_same_seed_ids_answer_the_same_values(serve: Callable[..., Serve]) -> None:
    """Each process has its own clock: session tokens hold their expiry, so they are left out here."""
    one = timeless(over_http(serve("--seed-ids", "7").url))
    other = timeless(over_http(serve(COGNITO_SYNC_MOCK_SEED_IDS="7").url))
    unseeded = timeless(over_http(serve().url))
    assert one == other
    assert [operation for operation, _ in one["request_ids"]] == [
        "SetIdentityPoolConfiguration",
        "ListRecords",
        "UpdateRecords",
        "RegisterDevice",
        "ListRecords",
    ]
    assert UUID4.fullmatch(json.loads(one["bodies"][1])["DeviceId"])
    assert MINTED_KEY.fullmatch(one["keys"]["AccessKeyId"])
    assert one["keys"] != unseeded["keys"] and one["bodies"][1] != unseeded["bodies"][1]
    assert not set(one["request_ids"]) & set(unseeded["request_ids"])


@freeze_time(T0)
def test_post_seed_makes_a_running_server_answer_as_a_fresh_seeded_one() -> None:
    with CognitoSyncServer(seed_ids=7) as fresh:
        expected = over_http(fresh.url)
    with CognitoSyncServer() as server:
        over_http(server.url)
        server.reset()
        assert control(server.url, "POST", "seed", {"seed": 7}) == (200, {"seed": 7})
        assert server.state.ids.seed == 7
        assert over_http(server.url) == expected
        assert control(server.url, "POST", "reset") == (200, {"reset": True})
        assert over_http(server.url) == expected  # a reset starts the seed's sequence again
        assert control(server.url, "POST", "seed", {"seed": None}) == (200, {"seed": None})
        assert server.state.ids.seed is None
        assert over_http(server.url)["keys"] != expected["keys"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "/_mock/seed: missing member 'seed'"),
        ({"seed": "7"}, "/_mock/seed: a seed is a whole number from 0 to 18446744073709551615, not str"),
        ({"seed": -1}, "/_mock/seed: a seed is a whole number from 0 to 18446744073709551615, not -1"),
        ({"seed": 1.5}, "/_mock/seed: a seed is a whole number from 0 to 18446744073709551615, not float"),
        ({"seed": True}, "/_mock/seed: a seed is a whole number from 0 to 18446744073709551615, not bool"),
    ],
)
def test_post_seed_refuses_a_bad_seed_and_changes_nothing(document: dict[str, Any], message: str) -> None:
    with CognitoSyncServer(seed_ids=3) as server:
        position = server.state.ids.position()
        assert control(server.url, "POST", "seed", document) == (400, {"message": message})
        assert server.state.ids.seed == 3
        assert server.state.ids.position()[1] == position[1]  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "expected a whole number, not 'x'"),
        ("-1", "expected a whole number, not '-1'"),
        ("18446744073709551616", "a seed is a whole number from 0 to 18446744073709551615, not 18446744073709551616"),
    ],
)
def test_a_bad_seed_ids_exits_2(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_parse(["serve"], {"COGNITO_SYNC_MOCK_SEED_IDS": value})
    assert info.value.code == 2
    assert capsys.readouterr().err == f"cognito-sync-mock: COGNITO_SYNC_MOCK_SEED_IDS={value!r}: {message}\n"
    with pytest.raises(SystemExit) as info:
        cli_parse(["serve", "--seed-ids", value], {})
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(f"argument --seed-ids: {message}\n")


def test_seed_ids_comes_from_the_command_line_or_its_variable() -> None:
    assert cli_parse(["serve"], {}).seed_ids is None
    assert cli_parse(["serve"], {"COGNITO_SYNC_MOCK_SEED_IDS": "42"}).seed_ids == 42
    assert cli_parse(["serve", "--seed-ids", "0"], {"COGNITO_SYNC_MOCK_SEED_IDS": "42"}).seed_ids == 0


@pytest.mark.cognito_sync(seed=13)
def test_the_marker_seeds_the_mock(cognito_sync: Any) -> None:
    assert cognito_sync.state.ids.seed == 13
    assert values(cognito_sync.state) == values(State(seed=13))


@pytest.mark.cognito_sync(seed=13)
def test_the_marker_seeds_the_server(cognito_sync_server: CognitoSyncServer) -> None:
    assert cognito_sync_server.state.ids.seed == 13
    assert values(cognito_sync_server.state) == values(State(seed=13))


def test_uuid4_is_a_version_4_uuid() -> None:
    made = Ids(1).uuid4()
    assert (made.version, made.variant) == (4, uuid.RFC_4122)
