"""A process forked while the mock is in use never deadlocks; the child works on its own copy
of the state (SPEC 12). POSIX only, as ``os.fork`` is.

A child never returns into pytest: it ends with ``os._exit``, its status saying whether it
did what it had to. The parent waits for each child with a deadline and kills it when the
deadline passes, so a deadlock shows as a failed test, not as a hung run.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable

import pytest
from helpers import IDENTITY, POOL, closed_port, dataset_names, ids, make_client, write

from cognito_sync_mock import interception, mock_cognito_sync
from cognito_sync_mock import mock as mock_module
from cognito_sync_mock.protocol import shapes, validation
from cognito_sync_mock.server import CognitoSyncServer
from cognito_sync_mock.server.store import Store

# Python 3.12 and later warn about any fork of a process with threads; that is this file's point.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")

CHILD_SECONDS = 10.0
DEADLOCKED = -1


def fork_and_wait(child: Callable[[], bool]) -> int:
    """Run ``child`` in a forked process; its exit code (0 when it returned True), or DEADLOCKED."""
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        try:
            ok = child()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    deadline = time.monotonic() + CHILD_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return DEADLOCKED


def every_lock(mock: mock_cognito_sync, server: CognitoSyncServer, store: Store) -> list[Any]:
    """Every lock of the package, as it is reached now (a child reaches its new ones)."""
    state = mock.state
    return [
        mock_module._lock,
        interception._patch_lock,
        shapes._making,
        state.lock,
        state.backend("us-east-1").lock,
        state.channels.streams._lock,
        state.channels.outbox._lock,
        store._lock,
        server._durable.lock,
        server._lock,
        server.state.lock,
    ]


def test_every_lock_held_by_another_thread_at_the_fork_is_free_in_the_child(tmp_path: Any) -> None:
    client = make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}")
    with mock_cognito_sync() as mock, CognitoSyncServer() as server:
        store = Store(tmp_path / "state.db")
        write(client, {"k": "v"}, dataset="before-the-fork")
        held, release = threading.Event(), threading.Event()

        def hold_them_all() -> None:
            locks = every_lock(mock, server, store)
            for lock in locks:
                lock.acquire()
            held.set()
            release.wait(30)
            for lock in reversed(locks):
                lock.release()

        holder = threading.Thread(target=hold_them_all)
        holder.start()
        assert held.wait(10)

        def child() -> bool:
            locks = every_lock(mock, server, store)
            acquired = [lock.acquire(timeout=2) for lock in locks]
            for lock, got in zip(locks, acquired):
                if got:
                    lock.release()  # a call takes some of them (the state's, to record itself)
            write(client, {"k": "v"}, dataset="in-the-child")  # every step of a call, through botocore
            return all(acquired) and dataset_names(client) == ["before-the-fork", "in-the-child"]

        try:
            code = fork_and_wait(child)
        finally:
            release.set()
            holder.join(10)
        assert code == 0
        assert dataset_names(client) == ["before-the-fork"]  # the child's write stayed in the child


def test_a_child_forked_while_another_thread_makes_a_shapes_check_makes_its_own(monkeypatch: Any) -> None:
    """The first call of an operation makes its checks under a lock; a fork right then used to
    leave the child waiting for that lock forever."""
    monkeypatch.setattr(validation.checker, "made", {})  # every check is made anew, as in a fresh process
    making, release = threading.Event(), threading.Event()
    make = validation.checker._make

    def slow_make(shape: Any) -> Any:
        making.set()
        release.wait(30)
        return make(shape)

    client = make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}")
    with mock_cognito_sync():
        monkeypatch.setattr(validation.checker, "_make", slow_make)
        maker = threading.Thread(target=lambda: client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY))
        maker.start()
        assert making.wait(10)
        monkeypatch.setattr(validation.checker, "_make", make)

        def child() -> bool:
            write(client, {"k": "v"}, dataset="in-the-child")
            listed = client.list_records(**ids(dataset="in-the-child"))["Records"]
            kept = len(validation.checker.made) > 0  # its checks are kept, not left in the parent's make
            return [(r["Key"], r["Value"]) for r in listed] == [("k", "v")] and kept

        try:
            code = fork_and_wait(child)
        finally:
            release.set()
            maker.join(10)
        assert code == 0
        assert dataset_names(client) == []


def test_forking_while_threads_hammer_the_mock_never_deadlocks() -> None:
    """Threads call the mock through boto3, through its Python API and by nesting activations,
    while the main thread forks; each child makes calls of its own."""
    stop = threading.Event()
    errors: list[BaseException] = []
    endpoint = f"http://127.0.0.1:{closed_port()}"
    clients = [make_client(endpoint_url=endpoint) for _ in range(3)]

    with mock_cognito_sync() as mock:
        backend = mock.backend("us-east-1")
        backend.register_identity(POOL, IDENTITY)

        def hammer(step: Callable[[int], object]) -> Callable[[], None]:
            def loop() -> None:
                try:
                    for n in range(100_000):  # bounded, and stopped by the main thread long before
                        if stop.is_set():
                            return
                        step(n)
                except BaseException as error:  # reported by the main thread
                    errors.append(error)

            return loop

        def through_boto3(n: int) -> None:
            write(clients[0], {"n": str(n)}, dataset="hammered")

        def through_the_api(n: int) -> None:
            backend.describe_identity_usage(identity_pool_id=POOL, identity_id=IDENTITY)
            mock.stream_records()
            mock.push_notifications  # noqa: B018 - reading it takes the outbox's lock

        def nesting(n: int) -> None:
            with mock_cognito_sync():
                clients[1].list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)

        threads = [threading.Thread(target=hammer(step)) for step in (through_boto3, through_the_api, nesting)]
        for thread in threads:
            thread.start()

        def child() -> bool:
            with mock_cognito_sync():
                write(clients[2], {"k": "v"}, dataset="from-a-child")
                listed = clients[2].list_records(**ids(dataset="from-a-child"))
            return [(r["Key"], r["Value"]) for r in listed["Records"]] == [("k", "v")]

        codes = []
        try:
            for _ in range(8):
                time.sleep(0.05)  # let the threads get into the mock
                codes.append(fork_and_wait(child))
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        assert codes == [0] * 8
        assert errors == []
        assert "from-a-child" not in dataset_names(clients[0])  # no child's write reached the parent
