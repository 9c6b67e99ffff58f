"""A server that keeps its data: ``serve --state FILE`` and ``CognitoSyncServer(state_file=)``.

FILE is a SQLite database. What is proved here, reading it through a second connection as any
tool would: every acknowledged change is in it before the answer, and only what the change
touched is written (reads write nothing, ListRecords only its counter); a process killed at
any moment (SIGKILL, at random and inside a transaction) leaves a database that loads and holds
every write a client saw acknowledged; a clean restart answers everything the same; a JSON
file, another file or a read-only one is refused at start with what to do, and bad seeds and
restores are refused with the place named and change nothing. What a failed write does is
``test_transactions``'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from helpers import (
    DATASET,
    DEFAULT_ACCOUNT,
    EMPTY,
    GOOD_DATASET,
    IDENTITY,
    INVALID,
    OTHER_IDENTITY,
    OTHER_POOL,
    PLACE,
    POOL,
    REGION_RULE,
    Observer,
    build_rich_state,
    control,
    full_snapshot,
    ids,
    make_client,
    observe,
    raises_error,
    replace,
    seed,
    stored,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_sync_mock import CognitoSyncServer
from cognito_sync_mock.backend.operations import READS
from cognito_sync_mock.cli import main as cli_main
from cognito_sync_mock.server.store import APPLICATION_ID, SCHEMA, Scope, Store, StoreError
from cognito_sync_mock.snapshot import SnapshotError
from cognito_sync_mock.state import State

SERVE = [sys.executable, "-m", "cognito_sync_mock", "serve", "--port", "0"]
RECORDS = ("accounts", DEFAULT_ACCOUNT, "us-east-1", "pools", POOL, "identities", IDENTITY, "datasets")


# -- helpers -------------------------------------------------------------------------


def record_value(document: Any, dataset: str, key: str) -> str:
    """One record's value in a full (version 1) state document."""
    node = document
    for name in RECORDS:
        node = node[name]
    return str(node[dataset]["records"][key]["value"])


def rows_changed(server: CognitoSyncServer, action: Callable[[], Any]) -> int:
    """How many rows the server's database connection inserted, replaced or deleted during ``action``."""
    assert server.store is not None
    before = server.store.connection.total_changes
    action()
    return server.store.connection.total_changes - before


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` cannot be written while inside: mode 0444, and for root (whom modes do not stop) immutable."""
    mode = path.stat().st_mode
    path.chmod(0o444)
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


class Served:
    """A ``cognito-sync-mock serve --state FILE`` process and its URL."""

    def __init__(self, path: Path, seed: Path | None = None, command: list[str] | None = None) -> None:
        argv = (command or SERVE[:3]) + SERVE[3:] + ["--state", str(path)]
        if seed is not None:
            argv += ["--seed", str(seed)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        assert ready, "the server printed nothing within 30 s"
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def client(self) -> Any:
        """A boto3 client for the server: one attempt, short timeouts (a killed server fails fast)."""
        return boto3.client(
            "cognito-sync",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10),
        )

    def wait_for_stderr(self, marker: str, timeout: float = 30.0) -> None:
        """Block until the server prints ``marker`` on standard error (read raw: nothing buffered unseen)."""
        assert self.process.stderr is not None
        fd = self.process.stderr.fileno()
        seen = b""
        deadline = time.monotonic() + timeout
        while marker.encode() not in seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 4096) if ready else b""
            assert chunk, f"the server never printed {marker!r}; it printed {seen!r}"
            seen += chunk

    def kill(self) -> None:
        """SIGKILL, and reap the process."""
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def terminate(self) -> None:
        """SIGTERM: a clean stop, exit status 0."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=10) == 0

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    """Servers started by a test; any still running at the end is killed."""
    started: list[Served] = []
    yield started
    for server in started:
        server.close()


def seed_file(path: Path, padding_records: int = 0) -> Path:
    """A short-form seed: counter ``n`` at 0, and optional 1 KB padding records; its path."""
    datasets: dict[str, Any] = {"counter": {"n": "0"}}
    if padding_records:
        datasets["padding"] = {f"p{i:04d}": "x" * 1000 for i in range(padding_records)}
    path.write_text(json.dumps({"us-east-1": {POOL: {IDENTITY: datasets}}}))
    return path


# -- the database ----------------------------------------------------------------------


def test_a_new_database_holds_no_state_and_a_replace_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = Store(path)
    assert store.load() is None
    assert stored(path) is None  # made, marked as ours, holding no state yet
    with contextlib.closing(sqlite3.connect(path)) as connection:
        pragmas = [connection.execute(f"PRAGMA {name}").fetchone()[0] for name in ("application_id", "journal_mode")]
    assert pragmas == [APPLICATION_ID, "wal"]
    state = State()
    with CognitoSyncServer() as server:
        build_rich_state(server, make_client(endpoint_url=server.url))
        seed(server.backend(), {"odd": "é"}, dataset="text")
        state.restore(server.snapshot())
    store.replace(state.backends)
    assert store.load() == stored(path) == state.snapshot()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
        counts = [connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("pools", "records")]
        odd = connection.execute("SELECT body FROM records WHERE key = 'odd'").fetchone()[0]
    assert counts == [1, 8]  # a, b, c in game; k in again; odd; and game's b, c and again's k merged
    assert '"value":"\\u00e9"' in odd  # ASCII JSON


def test_a_write_deletes_the_rows_of_what_is_gone_from_memory(tmp_path: Path) -> None:
    """Nothing the API does removes a pool, an identity or a dataset, but a write keeps the file exact anyway."""
    path = tmp_path / "state.db"
    store = Store(path)
    state = State()
    backend = state.backend()
    for identity in (IDENTITY, OTHER_IDENTITY):
        for name in ("a", "b"):
            seed(backend, {"k": "v"}, identity=identity, dataset=name)
    seed(backend, {"k": "v"}, pool=OTHER_POOL)
    store.replace(state.backends)
    scope = Scope(DEFAULT_ACCOUNT, "us-east-1", POOL, (IDENTITY, OTHER_IDENTITY))
    del backend.pools[POOL].identities[IDENTITY].datasets["a"]
    del backend.pools[POOL].identities[OTHER_IDENTITY]
    assert store.write(state.backends, scope) is True
    assert stored(path) == state.snapshot()
    del backend.pools[OTHER_POOL]
    del backend.sync_sessions[OTHER_POOL]
    assert store.write(state.backends, Scope(DEFAULT_ACCOUNT, "us-east-1", OTHER_POOL)) is True
    assert stored(path) == state.snapshot()
    assert store.write(state.backends, scope) is False  # nothing left to write
    assert sorted(stored(path)["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"]) == [POOL]


def test_a_region_that_holds_nothing_is_no_state(tmp_path: Path) -> None:
    """A backend made by a call that changed nothing (an error, say) is left out of the snapshot and the file."""
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client("eu-west-1", endpoint_url=server.url)
        with raises_error(INVALID, 400):
            client.update_records(**ids(), SyncSessionToken="forged", RecordPatches=[replace("n", "x")])
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
        assert server.snapshot() == stored(path) == EMPTY


# -- CognitoSyncServer(state_file=) --------------------------------------------------


def test_a_server_without_the_file_starts_empty_and_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        assert stored(path) == EMPTY
        assert server.store is not None and server.store.path == path


def test_the_seed_is_the_start_only_while_the_database_is_new(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    seeded = {"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "seeded"}}}}}
    with CognitoSyncServer(state=seeded, state_file=path) as server:
        assert record_value(stored(path), DATASET, "n") == "seeded"
        write(make_client(endpoint_url=server.url), {"n": "changed"})
    with CognitoSyncServer(state=seeded, state_file=path) as server:
        listed = make_client(endpoint_url=server.url).list_records(**ids())
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("n", "changed", 2)]
        server.reset()
    with CognitoSyncServer(state=seeded, state_file=path) as server:  # reset: a state, which still wins
        assert server.snapshot() == EMPTY


def test_every_acknowledged_change_is_in_the_database_before_the_answer(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        steps: list[Callable[[], Any]] = [
            lambda: client.list_records(**ids()),  # a sync session is counted
            lambda: write(client, {"n": "1"}),
            lambda: write(client, [replace("n", "2", 1), replace("m", "é")]),
            lambda: client.set_identity_pool_configuration(
                IdentityPoolId=POOL, CognitoStreams={"StreamName": "s", "RoleArn": "arn:aws:iam::1:role/r"}
            ),
            lambda: write(client, {"n": "gone"}, dataset="other"),
            lambda: client.delete_dataset(**ids(dataset="other")),
            lambda: write(client, {"n": "back"}, dataset="other"),
            lambda: control(server.url, "POST", "register-identity", {"pool_id": POOL, "identity_id": OTHER_IDENTITY}),
            lambda: control(
                server.url,
                "POST",
                "merge-identities",
                {"pool_id": POOL, "into_identity_id": OTHER_IDENTITY, "from_identity_id": IDENTITY},
            ),
            lambda: control(server.url, "POST", "register-identity-pool", {"pool_id": OTHER_POOL}),
            lambda: control(
                server.url, "POST", "identity-credentials", {"pool_id": OTHER_POOL, "identity_id": IDENTITY}
            ),
        ]
        for step in steps:
            step()
            assert stored(path) == server.snapshot()  # nothing else runs: the database is exactly the state
        region = stored(path)["accounts"][DEFAULT_ACCOUNT]["us-east-1"]
        assert region["syncSessions"] == {POOL: 5}
        merged = region["pools"][POOL]["identities"][OTHER_IDENTITY]["datasets"]
        assert sorted(merged) == [f"{DATASET}.{IDENTITY}", f"other.{IDENTITY}"]
        assert record_value(stored(path), "other", "n") == "back"


def test_a_change_writes_only_the_rows_it_touched(tmp_path: Path) -> None:
    """Records by sync count: an UpdateRecords of one key in a 50-record dataset writes that record, its
    dataset, identity and pool; ListRecords writes its counter; reads and refused requests commit nothing."""
    path = tmp_path / "state.db"
    big = {"us-east-1": {POOL: {IDENTITY: {DATASET: {f"k{i:02d}": "v" for i in range(50)}, "other": {"k": "v"}}}}}
    with CognitoSyncServer(state=big, state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        url = server.url
        observer = Observer(path)

        def conflict() -> None:
            token = client.list_records(**ids())["SyncSessionToken"]
            with raises_error("ResourceConflictException", 409):
                client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("k00", "x", 0)])

        def invalid() -> None:
            with raises_error(INVALID, 400):
                client.update_records(**ids(), SyncSessionToken="forged", RecordPatches=[replace("n", "x", 1)])

        def injected() -> None:
            with raises_error("TooManyRequestsException", 429):
                client.list_records(**ids())

        inject = {"operation": "ListRecords", "code": "TooManyRequestsException"}
        assert rows_changed(server, lambda: client.list_records(**ids())) == 1  # the sync-session counter
        assert rows_changed(server, lambda: write(client, [replace("k07", "new", 1)])) == 1 + 4
        assert record_value(stored(path), DATASET, "k07") == "new"
        assert rows_changed(server, lambda: write(client, {"fresh": "1"}, dataset="third")) == 1 + 4
        assert rows_changed(server, lambda: client.delete_dataset(**ids(dataset="other"))) == 3 + 1  # and its record
        assert rows_changed(server, conflict) == 1  # its ListRecords only
        observer.committed()
        silent: list[Callable[[], Any]] = [
            lambda: client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY),
            invalid,
            lambda: control(url, "POST", "inject-error", inject),
            injected,
            lambda: control(url, "GET", "snapshot"),
            lambda: control(url, "GET", "state"),
            lambda: control(url, "POST", "hold-bulk-publishes", {"hold": True}),
            lambda: control(url, "POST", "register-identity", {"pool_id": POOL, "identity_id": 7}),
            lambda: control(url, "POST", "restore", {"version": 9}),
        ]
        for action in silent:
            assert rows_changed(server, action) == 0
            assert not observer.committed()
        assert (
            rows_changed(server, lambda: control(url, "POST", "register-identity-pool", {"pool_id": OTHER_POOL})) == 1
        )
        minted = {"pool_id": POOL, "identity_id": OTHER_IDENTITY}
        assert rows_changed(server, lambda: control(url, "POST", "identity-credentials", minted)) == 2  # pool, identity
        assert stored(path) == server.snapshot()
        every_row = 1 + 2 + 2 + 3 + 51  # sessions, pools, identities, datasets, records (other's is gone)
        assert rows_changed(server, lambda: control(url, "POST", "reset")) == every_row
        assert stored(path) == EMPTY


KEYS = st.sampled_from(["a", "b"])
WHO = st.sampled_from([IDENTITY, OTHER_IDENTITY])
STEP = st.one_of(
    st.tuples(st.just("put"), WHO, st.sampled_from(["d1", "d2"]), KEYS, st.text(max_size=3)),
    st.tuples(st.just("remove"), WHO, st.sampled_from(["d1", "d2"]), KEYS),
    st.tuples(st.just("delete"), WHO, st.sampled_from(["d1", "d2"])),
    st.tuples(st.just("merge"), WHO),
)


def play(server: CognitoSyncServer, client: Any, step: tuple[Any, ...]) -> None:
    """One step of a history, as a client (or, for a merge, the control endpoint) does it."""
    if step[0] == "merge":
        into = IDENTITY if step[1] == OTHER_IDENTITY else OTHER_IDENTITY
        merge = {"pool_id": POOL, "into_identity_id": into, "from_identity_id": step[1]}
        status, answer = control(server.url, "POST", "merge-identities", merge)
        if status == 400:  # merged again and again, a name grows past 128 characters or the datasets past 20
            too_long = "is not valid: Member must have length less than or equal to 128"
            assert answer["message"].endswith((too_long, "datasets, more than the limit of 20")), answer
        else:
            assert (status, answer) == (200, {"merged": True})
        return
    kind, identity, dataset = step[:3]
    where = ids(identity=identity, dataset=dataset)
    listed = client.list_records(**where)
    if kind == "delete":
        if listed["DatasetExists"]:
            client.delete_dataset(**where)
        return
    count = {r["Key"]: r["SyncCount"] for r in listed["Records"]}.get(step[3], 0)
    patch = replace(step[3], step[4], count) if kind == "put" else {"Op": "remove", "Key": step[3], "SyncCount": count}
    client.update_records(**where, SyncSessionToken=listed["SyncSessionToken"], RecordPatches=[patch])


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=12))
def test_after_any_history_the_database_holds_exactly_the_state(steps: list[tuple[Any, ...]]) -> None:
    """Tombstones, deletions, datasets made again, merges: the deltas always add up to the state."""
    with tempfile.TemporaryDirectory() as folder, CognitoSyncServer(state_file=Path(folder) / "state.db") as server:
        client = make_client(endpoint_url=server.url)
        for step in steps:
            play(server, client, step)
            assert stored(Path(folder) / "state.db") == server.snapshot(), step


def test_the_operations_that_skip_saving_change_nothing(tmp_path: Path) -> None:
    """``READS`` write nothing and leave the state exactly as it was."""
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        build_rich_state(server, client)
        before = server.save()
        observer = Observer(path)
        reads: dict[str, Callable[[], Any]] = {
            "DescribeDataset": lambda: client.describe_dataset(**ids()),
            "DescribeIdentityPoolUsage": lambda: client.describe_identity_pool_usage(IdentityPoolId=POOL),
            "DescribeIdentityUsage": lambda: client.describe_identity_usage(IdentityPoolId=POOL, IdentityId=IDENTITY),
            "GetBulkPublishDetails": lambda: client.get_bulk_publish_details(IdentityPoolId=POOL),
            "GetCognitoEvents": lambda: client.get_cognito_events(IdentityPoolId=POOL),
            "GetIdentityPoolConfiguration": lambda: client.get_identity_pool_configuration(IdentityPoolId=POOL),
            "ListDatasets": lambda: client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY),
            "ListIdentityPoolUsage": lambda: client.list_identity_pool_usage(),
        }
        assert sorted(reads) == sorted(READS)
        for read_operation in reads.values():
            assert rows_changed(server, read_operation) == 0
        assert [call.error for call in server.calls[-len(reads) :]] == [None] * len(reads)
        assert not observer.committed()
        assert server.snapshot() == before == stored(path)


def test_post_snapshot_saves_changes_made_from_python_and_answers_them(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        server.backend().register_identity(POOL, IDENTITY)  # Python, not a request: not saved yet
        assert stored(path) == EMPTY
        status, answer = control(server.url, "POST", "snapshot")
        assert status == 200
        assert answer == stored(path) == server.snapshot()
        assert list(answer["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"][POOL]["identities"]) == [IDENTITY]
        assert control(server.url, "GET", "snapshot") == (200, answer)
        index = control(server.url, "GET", "")[1]["/_mock/snapshot"]
        assert (index["method"], index["methods"]) == ("GET", ["GET", "POST"])
        server.backend().register_identity(POOL, OTHER_IDENTITY)
        saved = server.save()
        assert saved == stored(path)
        identities = saved["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"][POOL]["identities"]
        assert sorted(identities) == [IDENTITY, OTHER_IDENTITY]


def test_post_snapshot_without_a_state_file_only_answers(cognito_sync_server: CognitoSyncServer) -> None:
    assert cognito_sync_server.store is None
    write(make_client(endpoint_url=cognito_sync_server.url), {"n": "1"})
    status, answer = control(cognito_sync_server.url, "POST", "snapshot")
    assert (status, answer) == (200, cognito_sync_server.snapshot())
    assert record_value(answer, DATASET, "n") == "1"


def test_python_reset_and_restore_save_too(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        server.restore({"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "restored"}}}}})
        assert record_value(stored(path), DATASET, "n") == "restored"
        write(make_client(endpoint_url=server.url), {"n": "written"})  # a delta on the restored state
        assert stored(path) == server.snapshot()
        server.reset()
        assert stored(path) == EMPTY


def test_many_threads_each_see_their_acknowledged_write_on_disk(tmp_path: Path) -> None:
    """Six writers and a thread forcing whole saves (POST /_mock/snapshot): the database never lags an answer."""
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        problems: list[str] = []
        done = threading.Event()

        def worker(number: int) -> None:
            client = make_client(endpoint_url=server.url)
            dataset = f"d{number}"
            for round_ in range(1, 9):
                write(client, {"n": str(round_)}, dataset=dataset)
                on_disk = record_value(stored(path), dataset, "n")
                if int(on_disk) < round_:
                    problems.append(f"{dataset}: acknowledged {round_}, the database has {on_disk}")

        def saver() -> None:
            while not done.is_set():
                status, _ = control(server.url, "POST", "snapshot")
                if status != 200:
                    problems.append(f"POST /_mock/snapshot answered {status}")

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        forcing = threading.Thread(target=saver)
        forcing.start()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        done.set()
        forcing.join()
        assert problems == []
        assert stored(path) == server.snapshot()
        assert [record_value(stored(path), f"d{n}", "n") for n in range(6)] == ["8"] * 6


def test_a_clean_restart_answers_everything_the_same(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        build_rich_state(server, client)
        server.save()  # the merge was made from Python
        saved = server.snapshot()
        before = observe(client)  # reads count sync sessions: put the state back after looking
        server.restore(saved)
    with CognitoSyncServer(state_file=path) as again:
        assert again.snapshot() == saved
        assert observe(make_client(endpoint_url=again.url)) == before
    assert before["bulk"]["BulkPublishStatus"] == "SUCCEEDED"
    assert [d["DatasetName"] for d in before[IDENTITY]["datasets"]] == ["again", "game"]  # "gone" is deleted
    assert before[IDENTITY]["gone"]["DatasetExists"] is False


@pytest.mark.parametrize("region", ["local", "localhost", "us-gov-west-1", "cn-north-1"])
def test_a_server_answering_any_region_restarts_on_its_database(tmp_path: Path, region: str) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        written = write(make_client(region, endpoint_url=server.url), {"level": "3"})
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("level", "3", 1)]
    with CognitoSyncServer(state_file=path) as again:  # it used to refuse its own file: region 'local' is not valid
        records = make_client(region, endpoint_url=again.url).list_records(**ids())["Records"]
        assert list(again.snapshot()["accounts"][DEFAULT_ACCOUNT]) == [region]
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in records] == [("level", "3", 1)]


# -- files that are not state databases ------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [json.dumps(EMPTY), json.dumps({"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "1"}}}}})],
    ids=["snapshot", "short-form"],
)
def test_a_json_file_given_as_the_state_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    assert cli_main(["serve", "--port", "0", "--state", str(path)]) == 2
    captured = capsys.readouterr()
    advice = f"to start from it, use --seed {path} --state NEW.db"
    assert (captured.out, captured.err) == (
        "",
        f"cognito-sync-mock: {path} is a JSON snapshot, not a state database: {advice}\n",
    )
    assert path.read_text() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no -wal, no -shm: never opened


def test_other_files_are_refused_and_left_as_they_are(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01 not a database at all")
    with pytest.raises(StoreError) as refused:
        CognitoSyncServer(state_file=garbage)
    assert str(refused.value) == f"{garbage} is not a state database (a SQLite file made by cognito-sync-mock)"
    assert garbage.read_bytes() == b"\x00\x01 not a database at all"

    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(StoreError) as refused:
        Store(other)
    assert str(refused.value) == f"{other} is a SQLite database of another program, not a cognito-sync-mock state"

    torn = tmp_path / "torn.db"
    torn.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(StoreError) as refused:
        Store(torn)
    assert str(refused.value) == f"{torn} cannot be opened: file is not a database"

    newer = tmp_path / "newer.db"
    Store(newer)
    with contextlib.closing(sqlite3.connect(newer)) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA + 1}")
    with pytest.raises(StoreError) as refused:
        Store(newer)
    assert str(refused.value) == f"{newer} holds schema {SCHEMA + 1}; this cognito-sync-mock reads schema {SCHEMA}"


def test_a_read_only_database_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state={"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "1"}}}}}, state_file=path):
        pass
    before = stored(path)
    with read_only(path):
        finished = subprocess.run([*SERVE, "--state", str(path)], capture_output=True, text=True, timeout=60)
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == f"cognito-sync-mock: {path} cannot be written: attempt to write a readonly database\n"
    assert stored(path) == before


def test_a_database_edited_into_an_invalid_state_is_refused_naming_the_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path, state={"us-east-1": {POOL: {IDENTITY: {"game": {"k": "v"}}}}}):
        pass
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE datasets SET body = json_set(body, '$.syncCount', 0)")
    with pytest.raises(SnapshotError) as refused:
        CognitoSyncServer(state_file=path)
    assert str(refused.value) == f"{PLACE}.records.k.syncCount: exceeds the dataset's syncCount 0"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE records SET body = '{not json'")
    with pytest.raises(StoreError) as broken:
        CognitoSyncServer(state_file=path)
    reason = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    assert str(broken.value) == f"{path} holds a row that is not valid JSON: {reason}"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DELETE FROM identities")
    with pytest.raises(StoreError) as orphan:
        CognitoSyncServer(state_file=path)
    assert str(orphan.value) == f"{path} holds a row whose parent row is missing: {IDENTITY!r}"  # its datasets' parent


# -- bad seeds and restores ------------------------------------------------------------

BAD_DATASET = {**GOOD_DATASET, "syncCount": 0}  # its record is at syncCount 1
BAD_FULL = full_snapshot(BAD_DATASET)
BAD_DOCUMENTS = [
    pytest.param(BAD_FULL, f"{PLACE}.records.k.syncCount: exceeds the dataset's syncCount 0", id="deep-place"),
    pytest.param({"version": 2, "accounts": {}}, "version: unknown version 2; this mock reads version 1", id="version"),
    pytest.param({"Moon-1": {}}, f"state: region 'Moon-1' is not valid: {REGION_RULE}", id="short-form-region"),
    pytest.param(
        {"us-east-1": {POOL: {IDENTITY: {"game": {"k": 5}}}}},
        f"us-east-1.{POOL}.{IDENTITY}.game.k: must be a string value",
        id="short-form-value",
    ),
]


@pytest.mark.parametrize(("document", "message"), BAD_DOCUMENTS)
def test_serve_refuses_a_bad_seed_naming_the_place_and_makes_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, message: str
) -> None:
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(document))
    state = tmp_path / "state.db"
    assert cli_main(["serve", "--port", "0", "--seed", str(seed_path), "--state", str(state)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"cognito-sync-mock: {message}\n")
    assert not state.exists()


def test_serve_refuses_a_seed_that_is_not_json(tmp_path: Path) -> None:
    seed_path = tmp_path / "seed.json"
    seed_path.write_bytes(b'{"version": 1, "acc')
    finished = subprocess.run([*SERVE, "--seed", str(seed_path)], capture_output=True, text=True, timeout=60)
    assert (finished.returncode, finished.stdout) == (2, "")
    reason = "Unterminated string starting at: line 1 column 16 (char 15)"
    assert finished.stderr == f"cognito-sync-mock: {seed_path}: not valid JSON: {reason}\n"


@pytest.mark.parametrize(("document", "message"), BAD_DOCUMENTS)
def test_restore_refuses_a_bad_document_with_a_400_and_changes_nothing(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        write(make_client(endpoint_url=server.url), {"n": "kept"})
        before = server.snapshot()
        observer = Observer(path)
        assert control(server.url, "POST", "restore", document) == (400, {"message": f"/_mock/restore: {message}"})
        with pytest.raises(SnapshotError) as refused:
            server.restore(document)
        assert str(refused.value) == message
        assert not observer.committed()
        assert server.snapshot() == before == stored(path)


def test_restore_refuses_a_body_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CognitoSyncServer(state_file=path) as server:
        observer = Observer(path)
        assert control(server.url, "POST", "restore", b'{"version": 1,') == (
            400,
            {"message": "The request body is not valid JSON"},
        )
        not_an_object = (400, {"message": "The request body must be a JSON object"})
        assert control(server.url, "POST", "restore", b"[1]") == not_an_object
        assert not observer.committed()


# -- real processes: clean restarts and kills ----------------------------------------


def test_serve_keeps_its_state_across_a_clean_restart(tmp_path: Path, served: list[Served]) -> None:
    path = tmp_path / "state.db"
    seed_path = seed_file(tmp_path / "seed.json")
    first = Served(path, seed=seed_path)
    served.append(first)
    client = first.client()
    write(client, {"n": "41"}, dataset="counter")
    write(client, {"n": "42"}, dataset="counter")
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": "arn:aws:lambda:us-east-1:1:function:f"})
    status, saved = control(first.url, "POST", "snapshot")
    assert status == 200
    before = observe(client, identities=(IDENTITY,))
    assert control(first.url, "POST", "restore", saved) == (200, {"restored": True})
    first.terminate()
    assert stored(path) == saved

    second = Served(path, seed=seed_path)  # the database holds a state: the seed is not read again
    served.append(second)
    assert control(second.url, "GET", "snapshot") == (200, saved)
    assert observe(second.client(), identities=(IDENTITY,)) == before
    records = before[IDENTITY]["counter"]["Records"]
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in records] == [("n", "42", 3)]


PAUSED_SERVER = """
import sys, time
from cognito_sync_mock import cli
from cognito_sync_mock.server import store
real = store.Store._commit_or_raise
def paused(self, statements):
    if any("FROZEN" in str(value) for _, values in statements for value in values):
        self.connection.execute("BEGIN IMMEDIATE")
        for sql, values in statements:
            self.connection.execute(sql, values)
        print("PAUSED", file=sys.stderr, flush=True)
        time.sleep(120)
    return real(self, statements)
store.Store._commit_or_raise = paused
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_kill_inside_a_transaction_leaves_the_last_commit(tmp_path: Path, served: list[Served]) -> None:
    """The server is stopped inside the transaction of one write, its statements run but not committed,
    then SIGKILLed there: the database holds the last acknowledged state and the server starts on it."""
    path = tmp_path / "state.db"
    server = Served(path, seed=seed_file(tmp_path / "seed.json", 50), command=[sys.executable, "-c", PAUSED_SERVER])
    served.append(server)
    client = server.client()
    write(client, {"n": "acknowledged"}, dataset="counter")
    listed = client.list_records(**ids(dataset="counter"))
    acknowledged = stored(path)  # every answer so far is in it
    answer: list[Any] = []

    def in_flight() -> None:
        try:
            answer.append(
                client.update_records(
                    **ids(dataset="counter"),
                    SyncSessionToken=listed["SyncSessionToken"],
                    RecordPatches=[replace("n", "FROZEN", listed["Records"][0]["SyncCount"])],
                )
            )
        except (BotoCoreError, ClientError) as error:  # the server dies under this request
            answer.append(error)

    thread = threading.Thread(target=in_flight)
    thread.start()
    server.wait_for_stderr("PAUSED")
    server.kill()
    thread.join(timeout=30)
    assert len(answer) == 1 and isinstance(answer[0], Exception)  # never acknowledged
    assert stored(path) == acknowledged
    assert record_value(acknowledged, "counter", "n") == "acknowledged"

    again = Served(path)
    served.append(again)
    listed = again.client().list_records(**ids(dataset="counter"))
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("n", "acknowledged", 2)]


class Incrementer(threading.Thread):
    """A client adding 1 to the record ``counter/n`` as fast as it can, until the server dies."""

    def __init__(self, client: Any, start: int) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.acknowledged = self.attempted = start  # the last value answered 200; the last value sent
        self.first_ack = threading.Event()

    def run(self) -> None:
        try:
            while True:
                listed = self.client.list_records(**ids(dataset="counter"))
                record = listed["Records"][0]
                value = int(record["Value"]) + 1
                self.attempted = value
                self.client.update_records(
                    **ids(dataset="counter"),
                    SyncSessionToken=listed["SyncSessionToken"],
                    RecordPatches=[replace("n", str(value), record["SyncCount"])],
                )
                self.acknowledged = value
                self.first_ack.set()
        except (BotoCoreError, ClientError):  # the server was killed under a request
            return


def test_sigkill_at_random_moments_never_loses_an_acknowledged_write(tmp_path: Path, served: list[Served]) -> None:
    """Rounds of: serve --state FILE, a client incrementing a counter as fast as it can, SIGKILL at a random
    moment. After each kill the database loads as a valid state, and its counter is the last value the client
    saw acknowledged or the one in flight, never less; the restarted server answers that value."""
    path = tmp_path / "state.db"
    seed_path = seed_file(tmp_path / "seed.json", padding_records=300)
    rng = random.Random(20250505)
    acknowledged = 0
    history: list[tuple[int, int, int]] = []  # (acknowledged, attempted, in the database) per round
    for _ in range(18):
        server = Served(path, seed=seed_path)
        served.append(server)
        client = server.client()
        start = int(client.list_records(**ids(dataset="counter"))["Records"][0]["Value"])
        assert start >= acknowledged
        counter = Incrementer(client, start)
        counter.start()
        assert counter.first_ack.wait(timeout=30)
        time.sleep(rng.uniform(0.0, 0.25))
        server.kill()
        counter.join(timeout=30)
        assert not counter.is_alive()
        saved = stored(path)
        State().restore(saved)  # a valid state
        on_disk = int(record_value(saved, "counter", "n"))
        history.append((counter.acknowledged, counter.attempted, on_disk))
        assert counter.acknowledged <= on_disk <= counter.attempted, history
        assert counter.acknowledged > acknowledged  # this round acknowledged writes of its own
        acknowledged = counter.acknowledged
    final = Served(path)
    served.append(final)
    listed = final.client().list_records(**ids(dataset="counter"))
    assert int(listed["Records"][0]["Value"]) == history[-1][2]
