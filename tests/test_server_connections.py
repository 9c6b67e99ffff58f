"""Connections: many at once, idle ones, stalled ones, keep-alive, the bounds on them, and stop.

The server runs on cheroot: a listen backlog of 128, a pool of worker threads, and a
selector that holds idle connections without a thread. Several tests reproduce what the
stdlib server it replaced got wrong (stalls under a burst, a thread per idle connection,
no idle timeout).
"""

from __future__ import annotations

import functools
import http.client
import json
import resource
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Iterator

import pytest
import time_machine
from freezegun import freeze_time
from helpers import IDENTITY, POOL, run_threads, write
from server_support import address, client_for, records_path, still_answers

from cognito_sync_mock import CognitoSyncServer
from cognito_sync_mock.server import host

LIST_DATASETS = f"/identitypools/{POOL}/identities/{IDENTITY}/datasets"


@pytest.fixture
def many_files() -> Iterator[None]:
    """Room for a few thousand open sockets in this process (both ends of each connection)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.fail(f"this test opens 1,000 connections: it needs {wanted} open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def get(sock: socket.socket, path: str = LIST_DATASETS) -> http.client.HTTPResponse:
    """Send one GET on an open socket and read its answer."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response


# -- bursts ---------------------------------------------------------------------------------


def test_64_boto3_clients_making_their_first_call_at_once_are_all_answered() -> None:
    """The stdlib server (backlog 5, the model read by the first requests) made 25 of them wait over 1 s."""
    with CognitoSyncServer() as server:
        clients = [client_for(server) for _ in range(64)]
        answers: list[int] = []

        def first_call(client: Any) -> None:
            answers.append(client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Count"])

        assert run_threads([functools.partial(first_call, client) for client in clients]) == []
        assert answers == [0] * 64
        assert [c.operation for c in server.calls] == ["ListDatasets"] * 64


def test_a_hundred_raw_connections_at_once_all_get_an_answer() -> None:
    """The stdlib server left 46 of 100 without an answer for 40 s."""
    with CognitoSyncServer() as server:
        statuses: list[int] = []

        def connect_and_ask() -> None:
            with socket.create_connection(address(server), timeout=30) as sock:
                statuses.append(get(sock).status)

        assert run_threads([connect_and_ask] * 100) == []
        assert statuses == [200] * 100
        assert server._http is not None and server._http.request_queue_size == host.BACKLOG >= 128


def test_the_service_model_is_read_before_start_returns() -> None:
    """Else every one of a burst of first requests reads it again (64 at once waited about 4 s)."""
    probe = textwrap.dedent(
        """
        from cognito_sync_mock import CognitoSyncServer, protocol
        server = CognitoSyncServer()
        print(protocol.service.cache_info().currsize)
        server.start()
        print(protocol.service.cache_info().currsize)
        server.stop()
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.split()) == (0, ["0", "1"]), result.stderr


# -- idle connections and timeouts ------------------------------------------------------------


def test_a_thousand_idle_connections_take_no_thread_each(many_files: None) -> None:
    """The stdlib server made 1,002 threads for 1,000 idle connections, and the next client waited."""
    with CognitoSyncServer() as server:
        threads = threading.active_count()
        idle = [socket.create_connection(address(server), timeout=30) for _ in range(1000)]
        try:
            still_answers(server)  # accepted after the 1,000, answered while they are open
            assert threading.active_count() == threads
            with socket.create_connection(address(server), timeout=30) as late:
                assert get(late).status == 200
        finally:
            for sock in idle:
                sock.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "IDLE_SECONDS", 1)
    with CognitoSyncServer() as server:
        silent = socket.create_connection(address(server), timeout=30)
        kept = socket.create_connection(address(server), timeout=30)
        stalled = socket.create_connection(address(server), timeout=30)
        slow_body = socket.create_connection(address(server), timeout=30)
        try:
            assert get(kept).status == 200  # then idle between requests
            stalled.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
            slow_body.sendall(f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{{".encode())
            assert silent.recv(1) == b""
            assert kept.recv(1) == b""
            answer = stalled.recv(1000)
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert slow_body.recv(1000) == b""  # a body that stopped coming: closed, as the client has gone
        finally:
            for sock in (silent, kept, stalled, slow_body):
                sock.close()
        assert [c.operation for c in server.calls] == ["ListDatasets"]  # the kept connection's, no other
        still_answers(server)


FROZEN = "2024-05-01 12:00:00"
FREEZERS = [
    pytest.param(lambda: freeze_time(FROZEN), id="freezegun"),
    pytest.param(lambda: time_machine.travel(FROZEN, tick=False), id="time-machine"),
]


@pytest.mark.parametrize("freezer", FREEZERS)
def test_under_a_frozen_clock_a_new_connection_waits_for_its_request(freezer: Any) -> None:
    """Under freezegun, cheroot stamped a connection with the frozen time and expired it by the
    real one: idle past the next check (every 0.5 s), it was closed before its first request."""
    with freezer(), CognitoSyncServer() as server:
        with socket.create_connection(address(server), timeout=30) as sock:
            time.sleep(1.2)
            assert get(sock).status == 200
            time.sleep(1.2)  # idle between requests, as long again
            assert get(sock).status == 200
        assert [c.operation for c in server.calls] == ["ListDatasets", "ListDatasets"]


@pytest.mark.parametrize("freezer", FREEZERS)
def test_under_a_frozen_clock_the_idle_timeout_still_runs(freezer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "IDLE_SECONDS", 1)
    with freezer(), CognitoSyncServer() as server:
        with socket.create_connection(address(server), timeout=30) as silent:
            started = time.clock_gettime(time.CLOCK_MONOTONIC)  # time.time and time.monotonic are frozen
            assert silent.recv(1) == b""
            assert 1 <= time.clock_gettime(time.CLOCK_MONOTONIC) - started < 10
        still_answers(server)


def test_past_the_keep_alive_limit_an_answer_closes_its_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "KEEP_ALIVE_LIMIT", 2)
    with CognitoSyncServer() as server:
        idle = [socket.create_connection(address(server), timeout=30) for _ in range(2)]
        try:
            still_answers(server)  # every connection is accepted by now
            with socket.create_connection(address(server), timeout=30) as third:
                response = get(third)
                assert (response.status, response.getheader("Connection")) == (200, "close")
                assert third.recv(1) == b""
        finally:
            for sock in idle:
                sock.close()
        with socket.create_connection(address(server), timeout=30) as alone:
            response = get(alone)
            assert (response.status, response.getheader("Connection")) == (200, None)


def test_a_server_never_stopped_does_not_keep_the_process_alive() -> None:
    probe = "from cognito_sync_mock import CognitoSyncServer\nprint(CognitoSyncServer().start().url)\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("http://127.0.0.1:")


# -- what cheroot's files are replaced for ------------------------------------------------------


def test_a_100_continue_is_sent_before_the_body_arrives(cognito_sync_server: CognitoSyncServer) -> None:
    body = b'{"SyncSessionToken": "x"}'
    head = f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    with socket.create_connection(address(cognito_sync_server), timeout=10) as sock:
        sock.sendall(head.encode())
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"  # not held back with the answer
        sock.sendall(body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, response.getheader("x-amzn-ErrorType")) == (400, "InvalidParameterException:")
        assert b"SyncSessionToken" in response.read()


def test_pipelined_requests_are_all_answered(cognito_sync_server: CognitoSyncServer) -> None:
    """Requests sent in one go wait in the connection's buffer, not the socket: each is answered."""
    request = f"GET {LIST_DATASETS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    with socket.create_connection(address(cognito_sync_server), timeout=10) as sock:
        sock.sendall(request * 3)
        answers = sock.makefile("rb")  # one reader for the three answers, as they come in one stream
        for _ in range(3):
            assert answers.readline() == b"HTTP/1.1 200 OK\r\n"
            headers = dict(line.decode().rstrip().split(": ", 1) for line in iter(answers.readline, b"\r\n"))
            assert answers.read(int(headers["Content-Length"])) == b'{"Datasets":[],"Count":0}'

    assert [c.operation for c in cognito_sync_server.calls] == ["ListDatasets"] * 3


def test_an_answer_leaves_in_one_send() -> None:
    """Its header block waits for its body (cheroot sent each in its own segment, waking the client twice)."""
    here, there = socket.socketpair()
    with here, there:
        there.setblocking(False)
        writer = host._files(here, "wb")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        with pytest.raises(BlockingIOError):
            there.recv(100)  # nothing sent yet
        writer.write(b"{}")
        assert there.recv(100) == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        assert there.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"  # an interim answer never waits
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        writer.flush()  # at the end of each request
        assert there.recv(100) == b"HTTP/1.1 204 No Content\r\n\r\n"


# -- concurrency, keep-alive, stop ------------------------------------------------------------


def test_many_threads_at_once_lose_nothing(cognito_sync_server: CognitoSyncServer) -> None:
    threads_count, rounds = 8, 5
    clients = [client_for(cognito_sync_server) for _ in range(threads_count)]

    def work(index: int) -> None:
        client = clients[index]
        write(client, {f"key-{index}": str(index)}, dataset="shared")  # one dataset, a key each
        for round_ in range(rounds):  # a dataset each, written again and again
            write(client, {"round": str(round_)}, dataset=f"own-{index}")

    errors = run_threads([functools.partial(work, i) for i in range(threads_count)])
    assert errors == []
    backend = cognito_sync_server.backend()
    shared = backend.list_records(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name="shared")
    assert shared["DatasetSyncCount"] == threads_count
    assert sorted(r["SyncCount"] for r in shared["Records"]) == list(range(1, threads_count + 1))
    assert {r["Key"]: r["Value"] for r in shared["Records"]} == {f"key-{i}": str(i) for i in range(threads_count)}
    for index in range(threads_count):
        own = backend.list_records(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=f"own-{index}")
        assert (own["DatasetSyncCount"], own["Records"][0]["Value"]) == (rounds, str(rounds - 1))
    assert len(cognito_sync_server.calls) == threads_count * (2 + 2 * rounds)


def test_a_stalled_request_does_not_block_the_others(cognito_sync_server: CognitoSyncServer) -> None:
    with socket.create_connection(address(cognito_sync_server), timeout=10) as stalled:
        stalled.sendall(f"POST {records_path()} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode())
        started = time.monotonic()
        write(client_for(cognito_sync_server), {"level": "3"})
        assert time.monotonic() - started < 2.0
    still_answers(cognito_sync_server)


def test_keep_alive_reuses_one_connection(cognito_sync_server: CognitoSyncServer) -> None:
    host, port = address(cognito_sync_server)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", LIST_DATASETS)
        first = connection.getresponse()
        assert (first.status, first.getheader("Connection")) == (200, None)
        first.read()
        sock = connection.sock
        for _ in range(3):
            connection.request("GET", f"{records_path()}/records")
            answer = connection.getresponse()
            assert answer.status == 200
            answer.read()
            assert connection.sock is sock
    finally:
        connection.close()
    assert [c.operation for c in cognito_sync_server.calls] == ["ListDatasets"] + ["ListRecords"] * 3


def test_stop_closes_idle_keep_alive_connections_promptly() -> None:
    server = CognitoSyncServer().start()
    sock = socket.create_connection(address(server), timeout=10)
    try:
        response = get(sock)
        assert (response.status, response.will_close) == (200, False)
        serving = f"cognito-sync-mock-server:{address(server)[1]}"  # the thread's name says what it serves
        assert serving in [thread.name for thread in threading.enumerate()]
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
        assert sock.recv(1) == b""  # the server closed the idle connection
        assert serving not in [thread.name for thread in threading.enumerate()]
    finally:
        sock.close()


def test_options_asterisk_is_answered_as_the_dashboard_s_path(cognito_sync_server: CognitoSyncServer) -> None:
    """The asterisk form (``OPTIONS *``) asks about the server: it is the path ``/``, never a failure."""
    with socket.create_connection(address(cognito_sync_server), timeout=10) as sock:
        sock.sendall(b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, json.loads(response.read())["message"]) == (
            405,
            "OPTIONS is not allowed on the dashboard",
        )
