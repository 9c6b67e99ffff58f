"""A server that keeps its data: ``serve --state FILE`` and ``CognitoSyncServer(state_file=)``.

What is proved here: the file is written atomically (temporary file, fsync, rename, fsync of
the directory) after every successful change and before the answer; a process killed at any
moment (SIGKILL, at random and at chosen points inside a write) leaves a file that loads and
holds every write a client saw acknowledged; a clean restart answers everything the same;
bad files and bad restores are refused with the place named, and change nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import select
import signal
import subprocess
import sys
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
    GOOD_DATASET,
    IDENTITY,
    INVALID,
    OTHER_IDENTITY,
    OTHER_POOL,
    PLACE,
    POOL,
    build_rich_state,
    full_snapshot,
    ids,
    make_client,
    observe,
    raises_error,
    replace,
    write,
)

from cognito_sync_mock import CognitoSyncServer, persist
from cognito_sync_mock.backend.operations import READS
from cognito_sync_mock.cli import main as cli_main
from cognito_sync_mock.persist import StateFile
from cognito_sync_mock.snapshot import SnapshotError
from cognito_sync_mock.state import State

SERVE = [sys.executable, "-m", "cognito_sync_mock", "serve", "--port", "0", "--state"]
RECORDS = ("accounts", DEFAULT_ACCOUNT, "us-east-1", "pools", POOL, "identities", IDENTITY, "datasets")


# -- helpers -------------------------------------------------------------------------


def read(path: Path) -> Any:
    """The state file's document."""
    return json.loads(path.read_bytes())


def record_value(document: Any, dataset: str, key: str) -> str:
    """One record's value in a full (version 1) state document."""
    node = document
    for name in RECORDS:
        node = node[name]
    return str(node[dataset]["records"][key]["value"])


def leftovers(path: Path) -> list[str]:
    """Temporary files of the state file left in its directory."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + ".tmp-"))


def control(server_url: str, method: str, name: str, document: Any = None) -> tuple[int, Any]:
    """One control-endpoint request: (status, JSON answer)."""
    host, port = server_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = document if document is None or isinstance(document, bytes) else json.dumps(document).encode()
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        connection.request(method, f"/_mock/{name}", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


class Served:
    """A ``cognito-sync-mock serve --state FILE`` process and its URL."""

    def __init__(self, path: Path, command: list[str] | None = None) -> None:
        argv = (command or SERVE[:3]) + SERVE[3:] + [str(path)]
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


def seed_file(path: Path, padding_records: int = 0) -> None:
    """A short-form state file: counter ``n`` at 0, and optional 1 KB padding records (longer writes)."""
    datasets: dict[str, Any] = {"counter": {"n": "0"}}
    if padding_records:
        datasets["padding"] = {f"p{i:04d}": "x" * 1000 for i in range(padding_records)}
    path.write_text(json.dumps({"us-east-1": {POOL: {IDENTITY: datasets}}}))


# -- StateFile -----------------------------------------------------------------------


def test_a_missing_file_loads_as_none_and_a_save_round_trips(tmp_path: Path) -> None:
    state_file = StateFile(tmp_path / "state.json")
    assert state_file.load() is None
    document = {"version": 1, "accounts": {}, "text": "\ud800 é"}  # a lone surrogate is kept, escaped
    state_file.save(document)
    assert (tmp_path / "state.json").read_bytes().isascii()
    assert state_file.load() == document
    assert leftovers(tmp_path / "state.json") == []


def test_a_save_writes_a_temporary_file_fsyncs_renames_then_fsyncs_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    state_file = StateFile(path)
    steps: list[tuple[str, Any]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append(("fsync", os.fstat(fd).st_ino))
        real_fsync(fd)

    def rename(source: Any, target: Any) -> None:
        steps.append(("replace", (Path(source).name, Path(target).name)))
        assert json.loads(Path(source).read_bytes()) == {"saved": 1}  # complete before the rename
        real_replace(source, target)

    monkeypatch.setattr(persist.os, "fsync", fsync)  # type: ignore[attr-defined]  # what persist calls
    monkeypatch.setattr(persist.os, "replace", rename)  # type: ignore[attr-defined]
    state_file.save({"saved": 1})
    file_inode, directory_inode = path.stat().st_ino, tmp_path.stat().st_ino  # the temporary file became FILE
    assert steps == [
        ("fsync", file_inode),
        ("replace", (f"state.json.tmp-{os.getpid()}", "state.json")),
        ("fsync", directory_inode),
    ]


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    state_file = StateFile(path)
    state_file.save({"generation": 1})

    def no_space(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist.os, "replace", no_space)  # type: ignore[attr-defined]  # what persist calls
    with pytest.raises(OSError, match="No space left on device"):
        state_file.save({"generation": 2})
    assert read(path) == {"generation": 1}
    assert leftovers(path) == []


def test_through_a_symlink_the_file_it_points_to_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.json"
    link = tmp_path / "state.json"
    link.symlink_to(target)
    StateFile(link).save({"saved": 1})
    assert link.is_symlink()
    assert read(target) == {"saved": 1}
    assert leftovers(target) == []


def test_a_file_that_is_not_json_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 1,')
    with pytest.raises(SnapshotError) as refused:
        StateFile(path).load()
    reason = "Expecting property name enclosed in double quotes: line 1 column 15 (char 14)"
    assert str(refused.value) == f"{path}: not valid JSON: {reason}"


def test_load_removes_leftovers_of_dead_writers_only(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{}")
    program = [sys.executable, "-c", "import os; print(os.getpid())"]
    finished = subprocess.run(program, capture_output=True, text=True, check=True)
    dead = int(finished.stdout)
    alive = os.getppid()
    for pid in (dead, alive, os.getpid()):
        path.with_name(f"state.json.tmp-{pid}").write_text("{torn")
    path.with_name("state.json.tmp-other").write_text("not ours")
    path.with_name("other.json.tmp-1").write_text("not ours")
    assert StateFile(path).load() == {}
    assert leftovers(path) == [f"state.json.tmp-{alive}", "state.json.tmp-other"]
    assert (tmp_path / "other.json.tmp-1").exists()


def test_concurrent_commits_put_each_change_on_disk_before_returning_and_share_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    state_file = StateFile(path)
    writes: list[int] = []
    real_write = StateFile._write

    def counted(self: StateFile, data: bytes) -> None:
        writes.append(len(data))
        if len(writes) == 1:  # a slow first write: every thread's first change piles up behind it
            deadline = time.monotonic() + 10
            while self._changes < 8 and time.monotonic() < deadline:
                time.sleep(0.001)
        real_write(self, data)

    monkeypatch.setattr(StateFile, "_write", counted)
    lock = threading.Lock()
    counter = {"n": 0}
    late: list[tuple[int, int]] = []

    def worker() -> None:
        for _ in range(25):
            with lock:
                counter["n"] += 1
                mine = counter["n"]
            state_file.commit(lambda: {"n": counter["n"]})
            on_disk = read(path)["n"]
            if on_disk < mine:
                late.append((mine, on_disk))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert late == []
    assert read(path) == {"n": 200}
    assert 1 <= len(writes) <= 200 - 6  # group commit: 7 first changes (at least) shared one write
    assert leftovers(path) == []


# -- CognitoSyncServer(state_file=) --------------------------------------------------


def test_a_server_without_the_file_starts_empty_and_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        assert read(path) == {"version": 1, "accounts": {}}
        assert server.state_file is not None and server.state_file.path == path


def test_the_seed_is_the_start_only_while_there_is_no_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    seed = {"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "seeded"}}}}}
    with CognitoSyncServer(state=seed, state_file=path) as server:
        assert record_value(read(path), DATASET, "n") == "seeded"
        write(make_client(endpoint_url=server.url), {"n": "changed"})
    with CognitoSyncServer(state=seed, state_file=path) as server:
        listed = make_client(endpoint_url=server.url).list_records(**ids())
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("n", "changed", 2)]


def test_every_successful_change_is_in_the_file_before_the_answer(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        steps: list[Callable[[], Any]] = [
            lambda: client.list_records(**ids()),  # a sync session is counted
            lambda: write(client, {"n": "1"}),
            lambda: client.set_identity_pool_configuration(
                IdentityPoolId=POOL, CognitoStreams={"StreamName": "s", "RoleArn": "arn:aws:iam::1:role/r"}
            ),
            lambda: write(client, {"n": "gone"}, dataset="other"),
            lambda: client.delete_dataset(**ids(dataset="other")),
            lambda: control(server.url, "POST", "register-identity", {"pool_id": POOL, "identity_id": OTHER_IDENTITY}),
            lambda: control(
                server.url,
                "POST",
                "merge-identities",
                {"pool_id": POOL, "into_identity_id": OTHER_IDENTITY, "from_identity_id": IDENTITY},
            ),
        ]
        for step in steps:
            step()
            assert read(path) == server.snapshot()  # nothing else runs: the file is exactly the state
        region = read(path)["accounts"][DEFAULT_ACCOUNT]["us-east-1"]
        assert region["syncSessions"] == {POOL: 3}
        assert sorted(region["pools"][POOL]["identities"][OTHER_IDENTITY]["datasets"]) == [f"{DATASET}.{IDENTITY}"]


def test_what_writes_the_file_and_what_does_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that changed the state writes once; reads, refused requests and mock-only settings do not."""
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        writes: list[int] = []
        real_write = StateFile._write

        def counted_write(self: StateFile, data: Any) -> Any:
            writes.append(1)
            return real_write(self, data)

        monkeypatch.setattr(StateFile, "_write", counted_write)
        client = make_client(endpoint_url=server.url)
        url = server.url

        def count(action: Any) -> int:
            before = len(writes)
            action()
            return len(writes) - before

        def conflict() -> None:
            token = client.list_records(**ids())["SyncSessionToken"]
            with raises_error("ResourceConflictException", 409):
                client.update_records(**ids(), SyncSessionToken=token, RecordPatches=[replace("n", "x", 0)])

        def invalid() -> None:
            with raises_error(INVALID, 400):
                client.update_records(**ids(), SyncSessionToken="forged", RecordPatches=[replace("n", "x", 1)])

        def injected() -> None:
            with raises_error("TooManyRequestsException", 429):
                client.list_records(**ids())

        inject = {"operation": "ListRecords", "code": "TooManyRequestsException"}
        other = {"pool_id": OTHER_POOL}
        assert count(lambda: write(client, {"n": "1"})) == 2  # ListRecords (a session), UpdateRecords
        assert count(lambda: client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)) == 0
        assert count(conflict) == 1  # its ListRecords only
        assert count(invalid) == 0
        assert count(lambda: control(url, "POST", "inject-error", inject)) == 0
        assert count(injected) == 0
        assert count(lambda: control(url, "GET", "snapshot")) == 0
        assert count(lambda: control(url, "GET", "state")) == 0
        assert count(lambda: control(url, "POST", "hold-bulk-publishes", {"hold": True})) == 0
        assert count(lambda: control(url, "POST", "register-identity-pool", other)) == 1
        assert count(lambda: control(url, "POST", "register-identity", {"pool_id": POOL, "identity_id": 7})) == 0
        minted = {"pool_id": POOL, "identity_id": OTHER_IDENTITY}
        assert count(lambda: control(url, "POST", "identity-credentials", minted)) == 1  # a new identity
        assert count(lambda: control(url, "POST", "snapshot")) == 1  # asked for: always written
        assert count(lambda: control(url, "POST", "restore", {"version": 9})) == 0
        assert count(lambda: control(url, "POST", "restore", server.snapshot())) == 0  # the same state
        assert count(lambda: control(url, "POST", "restore", {"us-east-1": {}})) == 1
        assert count(lambda: control(url, "POST", "reset")) == 1
        assert read(path) == {"version": 1, "accounts": {}}


def test_the_operations_that_skip_saving_change_nothing(tmp_path: Path) -> None:
    """``READS`` are not even dumped after: each of them leaves the state exactly as it was."""
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        build_rich_state(server, client)
        before = server.save()
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
            read_operation()
        assert [call.error for call in server.calls[-len(reads) :]] == [None] * len(reads)
        assert server.snapshot() == before == read(path)


def test_post_snapshot_saves_changes_made_from_python_and_answers_them(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        server.backend().register_identity(POOL, IDENTITY)  # Python, not a request: not saved yet
        assert read(path) == {"version": 1, "accounts": {}}
        status, answer = control(server.url, "POST", "snapshot")
        assert status == 200
        assert answer == read(path) == server.snapshot()
        assert list(answer["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"][POOL]["identities"]) == [IDENTITY]
        assert control(server.url, "GET", "snapshot") == (200, answer)
        index = control(server.url, "GET", "")[1]["/_mock/snapshot"]
        assert (index["method"], index["methods"]) == ("GET", ["GET", "POST"])
        server.backend().register_identity(POOL, OTHER_IDENTITY)
        saved = server.save()
        assert saved == read(path)
        assert sorted(saved["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["pools"][POOL]["identities"]) == [
            IDENTITY,
            OTHER_IDENTITY,
        ]


def test_post_snapshot_without_a_state_file_only_answers(cognito_sync_server: CognitoSyncServer) -> None:
    assert cognito_sync_server.state_file is None
    write(make_client(endpoint_url=cognito_sync_server.url), {"n": "1"})
    status, answer = control(cognito_sync_server.url, "POST", "snapshot")
    assert (status, answer) == (200, cognito_sync_server.snapshot())
    assert record_value(answer, DATASET, "n") == "1"


def test_python_reset_and_restore_save_too(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        server.restore({"us-east-1": {POOL: {IDENTITY: {DATASET: {"n": "restored"}}}}})
        assert record_value(read(path), DATASET, "n") == "restored"
        server.reset()
        assert read(path) == {"version": 1, "accounts": {}}


def test_a_state_file_that_cannot_be_written_is_a_json_500_and_the_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        write(client, {"n": "1"})
        before = path.read_bytes()

        def full_disk(source: Any, target: Any) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(persist.os, "replace", full_disk)  # type: ignore[attr-defined]  # what persist calls
        message = f"The state changed but could not be saved to {path}: [Errno 28] No space left on device"
        with raises_error("InternalErrorException", 500, message):
            client.list_records(**ids())  # it counts a sync session: a change
        assert control(server.url, "POST", "reset") == (500, {"message": message})
        assert path.read_bytes() == before
        assert leftovers(path) == []
        monkeypatch.undo()
        assert client.list_records(**ids())["DatasetExists"] is False  # the reset did happen, in memory
        assert read(path) == server.snapshot()  # and the next change saved everything
        assert read(path)["accounts"][DEFAULT_ACCOUNT]["us-east-1"]["syncSessions"] == {POOL: 1}


def test_many_threads_each_see_their_acknowledged_write_on_disk(tmp_path: Path) -> None:
    """Six writers and a thread forcing saves (POST /_mock/snapshot): the file never lags an answer."""
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        problems: list[str] = []
        done = threading.Event()

        def worker(number: int) -> None:
            client = make_client(endpoint_url=server.url)
            dataset = f"d{number}"
            for round_ in range(1, 9):
                write(client, {"n": str(round_)}, dataset=dataset)
                on_disk = record_value(read(path), dataset, "n")
                if int(on_disk) < round_:
                    problems.append(f"{dataset}: acknowledged {round_}, file has {on_disk}")

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
        assert read(path) == server.snapshot()
        assert [record_value(read(path), f"d{n}", "n") for n in range(6)] == ["8"] * 6


def test_a_clean_restart_answers_everything_the_same(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        client = make_client(endpoint_url=server.url)
        build_rich_state(server, client)
        saved = server.snapshot()
        before = observe(client)  # reads count sync sessions: put the state back after looking
        server.restore(saved)
    with CognitoSyncServer(state_file=path) as again:
        assert again.snapshot() == saved
        assert observe(make_client(endpoint_url=again.url)) == before
    assert before["bulk"]["BulkPublishStatus"] == "SUCCEEDED"
    assert [d["DatasetName"] for d in before[IDENTITY]["datasets"]] == ["again", "game"]  # "gone" is deleted
    assert before[IDENTITY]["gone"]["DatasetExists"] is False


# -- bad input -----------------------------------------------------------------------

BAD_DATASET = {**GOOD_DATASET, "syncCount": 0}  # its record is at syncCount 1
BAD_FULL = full_snapshot(BAD_DATASET)
BAD_DOCUMENTS = [
    pytest.param(BAD_FULL, f"{PLACE}.records.k.syncCount: exceeds the dataset's syncCount 0", id="deep-place"),
    pytest.param({"version": 2, "accounts": {}}, "version: unknown version 2; this mock reads version 1", id="version"),
    pytest.param({"moon-1": {}}, "state: region 'moon-1' is not valid", id="short-form-region"),
    pytest.param(
        {"us-east-1": {POOL: {IDENTITY: {"game": {"k": 5}}}}},
        f"us-east-1.{POOL}.{IDENTITY}.game.k: must be a string value",
        id="short-form-value",
    ),
]


@pytest.mark.parametrize(("document", "message"), BAD_DOCUMENTS)
def test_serve_refuses_a_bad_state_file_naming_the_place_and_leaves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, message: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    before = path.read_bytes()
    assert cli_main(["serve", "--port", "0", "--state", str(path)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"cognito-sync-mock: {message}\n")
    assert path.read_bytes() == before


def test_serve_refuses_a_state_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"version": 1, "acc')
    finished = subprocess.run([*SERVE, str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 2
    assert finished.stdout == ""
    reason = "Unterminated string starting at: line 1 column 16 (char 15)"
    assert finished.stderr == f"cognito-sync-mock: {path}: not valid JSON: {reason}\n"
    assert path.read_bytes() == b'{"version": 1, "acc'


@pytest.mark.parametrize(("document", "message"), BAD_DOCUMENTS)
def test_restore_refuses_a_bad_document_with_a_400_and_changes_nothing(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        write(make_client(endpoint_url=server.url), {"n": "kept"})
        before_file, before_state = path.read_bytes(), server.snapshot()
        assert control(server.url, "POST", "restore", document) == (400, {"message": f"/_mock/restore: {message}"})
        assert path.read_bytes() == before_file
        assert server.snapshot() == before_state
        with pytest.raises(SnapshotError) as refused:
            server.restore(document)
        assert str(refused.value) == message
        assert path.read_bytes() == before_file


def test_restore_refuses_a_body_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with CognitoSyncServer(state_file=path) as server:
        before = path.read_bytes()
        assert control(server.url, "POST", "restore", b'{"version": 1,') == (
            400,
            {"message": "The request body is not valid JSON"},
        )
        not_an_object = (400, {"message": "The request body must be a JSON object"})
        assert control(server.url, "POST", "restore", b"[1]") == not_an_object
        assert path.read_bytes() == before


def test_a_server_refuses_a_bad_state_file_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(BAD_FULL))
    with pytest.raises(SnapshotError) as refused:
        CognitoSyncServer(state_file=path)
    assert str(refused.value) == f"{PLACE}.records.k.syncCount: exceeds the dataset's syncCount 0"
    assert read(path) == BAD_FULL


# -- real processes: clean restarts and kills ----------------------------------------


def test_serve_keeps_its_state_across_a_clean_restart(tmp_path: Path, served: list[Served]) -> None:
    path = tmp_path / "state.json"
    seed_file(path)
    first = Served(path)
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
    assert read(path) == saved

    second = Served(path)
    served.append(second)
    assert control(second.url, "GET", "snapshot") == (200, saved)
    assert observe(second.client(), identities=(IDENTITY,)) == before
    records = before[IDENTITY]["counter"]["Records"]
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in records] == [("n", "42", 3)]


@pytest.mark.parametrize("moment", ["while-writing", "before-rename"])
def test_a_kill_inside_a_write_leaves_the_previous_file(tmp_path: Path, served: list[Served], moment: str) -> None:
    """The server is stopped at a chosen point of one save (half written, or written and fsynced but not
    renamed), then SIGKILLed there: the file is the last acknowledged state and loads."""
    path = tmp_path / "state.json"
    seed_file(path, padding_records=50)
    server = Served(path, command=[sys.executable, "-c", paused_server(moment)])
    served.append(server)
    client = server.client()
    write(client, {"n": "acknowledged"}, dataset="counter")
    listed = client.list_records(**ids(dataset="counter"))
    acknowledged = path.read_bytes()  # every answer so far is in it
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
    tmp = path.with_name(f"{path.name}.tmp-{server.process.pid}")
    partial = tmp.read_bytes()
    server.kill()
    thread.join(timeout=30)
    assert len(answer) == 1 and isinstance(answer[0], Exception)  # never acknowledged
    assert path.read_bytes() == acknowledged
    assert record_value(read(path), "counter", "n") == "acknowledged"
    if moment == "while-writing":
        with pytest.raises(ValueError):
            json.loads(partial)  # the temporary file was torn, and it did not matter
    else:
        assert record_value(json.loads(partial), "counter", "n") == "FROZEN"
    assert leftovers(path) == [tmp.name]

    again = Served(path)
    served.append(again)
    assert leftovers(path) == []
    listed = again.client().list_records(**ids(dataset="counter"))
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("n", "acknowledged", 2)]


def paused_server(moment: str) -> str:
    """A ``python -c`` program: ``cognito-sync-mock serve`` whose save of "FROZEN" stops at ``moment``."""
    return f"""
import os, sys, time
from cognito_sync_mock import cli, persist
real_write, real_replace = os.write, os.replace
def pause():
    print("PAUSED", file=sys.stderr, flush=True)
    time.sleep(120)
def write(fd, data):
    if {moment!r} == "while-writing" and b'"value":"FROZEN"' in bytes(data):
        real_write(fd, bytes(data)[: len(data) // 2])
        pause()
    return real_write(fd, data)
def replace(source, target):
    if {moment!r} == "before-rename" and b'"value":"FROZEN"' in open(source, "rb").read():
        pause()
    return real_replace(source, target)
persist.os.write, persist.os.replace = write, replace
sys.exit(cli.main(sys.argv[1:]))
"""


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
    moment. After each kill the file parses and loads, and its counter is the last value the client saw
    acknowledged or the one in flight, never less; the restarted server answers that value."""
    path = tmp_path / "state.json"
    seed_file(path, padding_records=300)  # about 400 KB: each save takes a while, so kills land inside saves
    rng = random.Random(20250505)
    acknowledged = 0
    history: list[tuple[int, int, int]] = []  # (acknowledged, attempted, in the file) per round
    for _ in range(18):
        server = Served(path)
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
        document = read(path)  # parses: never torn
        State().restore(document)  # and is a valid state
        on_disk = int(record_value(document, "counter", "n"))
        history.append((counter.acknowledged, counter.attempted, on_disk))
        assert counter.acknowledged <= on_disk <= counter.attempted, history
        assert counter.acknowledged > acknowledged  # this round acknowledged writes of its own
        acknowledged = counter.acknowledged
    final = Served(path)
    served.append(final)
    listed = final.client().list_records(**ids(dataset="counter"))
    assert int(listed["Records"][0]["Value"]) == history[-1][2]
    assert leftovers(path) == []
