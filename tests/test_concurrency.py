"""Concurrency: no lost updates, and consistent usage figures under mixed traffic.

Every test runs twice: through boto3 answered in-process (``mock_cognito_sync``) and
through boto3 pointed at the HTTP server (``CognitoSyncServer``). Clients are made before
any thread starts (making a client is not thread-safe; using one is). They are unsigned:
SigV4 signing is the costliest part of a call under eight threads and proves nothing about
the mock's own locking, and an unsigned request still lands in us-east-1 (host name, or
the default for the server).

Threads never assert: they record what they saw, and the test checks it after joining
them with a timeout (a thread still alive then is a deadlock).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import botocore
import pytest
from botocore.exceptions import ClientError
from helpers import IDENTITY, OTHER_IDENTITY, POOL, REGION, ids, make_client, remove, replace, run_threads, utf8

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync

THREADS = 8
INCREMENTS = 200
JOIN_SECONDS = 150.0
COUNTER = "counter"
CALL_HISTORY = 1_000_000


@dataclass
class Target:
    """Where the clients send their requests, and the handle on the answering state."""

    api: Any  # mock_cognito_sync or CognitoSyncServer: both have .calls and .backend()
    url: str | None

    def client(self) -> Any:
        return make_client(endpoint_url=self.url, signature_version=botocore.UNSIGNED)


@pytest.fixture(params=["in-process", "http-server"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The tests count every call they made: the call history keeps all of them (more than the default)."""
    if request.param == "in-process":
        with mock_cognito_sync(call_history=CALL_HISTORY) as mock:
            yield Target(mock, None)
    else:
        with CognitoSyncServer() as server:
            server.state.calls = deque(maxlen=CALL_HISTORY)  # the server takes no call_history option yet
            yield Target(server, server.url)


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def backoff(rnd: random.Random, streak: int) -> None:
    """Exponential back-off with jitter after a conflict, as a real sync client does."""
    time.sleep(rnd.uniform(0, min(0.05, 0.002 * 2**streak)))


def full_listing(client: Any, identity: str, dataset: str, last_sync_count: int = 0) -> dict[str, Any]:
    """Every page of a ListRecords pass, merged (records in page order)."""
    args: dict[str, Any] = {**ids(identity=identity, dataset=dataset), "LastSyncCount": last_sync_count}
    page = client.list_records(**args)
    records = list(page["Records"])
    while "NextToken" in page:
        page = client.list_records(**args, NextToken=page["NextToken"])
        records.extend(page["Records"])
    return {**page, "Records": records}


# -- 1. a counter incremented from eight threads ---------------------------------------


def test_eight_threads_incrementing_one_counter_lose_no_update(target: Target) -> None:
    clients = [target.client() for _ in range(THREADS)]
    successes = [0] * THREADS
    conflicts = [0] * THREADS
    written: list[tuple[int, str]] = []  # (SyncCount, Value) of every successful update
    written_lock = threading.Lock()

    def incrementer(index: int) -> Callable[[], None]:
        def work() -> None:
            client, rnd, streak = clients[index], random.Random(index), 0
            while successes[index] < INCREMENTS:
                listed = client.list_records(**ids(dataset=COUNTER))
                record = next((r for r in listed["Records"] if r["Key"] == "n"), None)
                value = int(record["Value"]) if record else 0
                count = record["SyncCount"] if record else 0
                try:
                    answer = client.update_records(
                        **ids(dataset=COUNTER),
                        SyncSessionToken=listed["SyncSessionToken"],
                        RecordPatches=[replace("n", str(value + 1), count)],
                    )
                except ClientError as error:
                    if code_of(error) != "ResourceConflictException":
                        raise
                    conflicts[index] += 1
                    streak += 1
                    backoff(rnd, streak)
                    continue
                streak = 0
                successes[index] += 1
                with written_lock:
                    written.extend((r["SyncCount"], r["Value"]) for r in answer["Records"])

        return work

    raised = run_threads([incrementer(i) for i in range(THREADS)], JOIN_SECONDS)
    assert raised == []

    total = THREADS * INCREMENTS
    assert successes == [INCREMENTS] * THREADS
    # Every successful update wrote the value one above what it read, at the next sync count.
    assert sorted(written) == [(n, str(n)) for n in range(1, total + 1)]

    check = clients[0]
    final = check.list_records(**ids(dataset=COUNTER))
    assert final["DatasetSyncCount"] == total
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in final["Records"]] == [("n", str(total), total)]
    dataset = check.describe_dataset(**ids(dataset=COUNTER))["Dataset"]
    assert (dataset["NumRecords"], dataset["DataStorage"]) == (1, utf8("n") + utf8(str(total)))

    calls = target.api.calls
    updates = Counter(c.error for c in calls if c.operation == "UpdateRecords")
    assert updates == Counter({None: total, "ResourceConflictException": sum(conflicts)})
    lists = [c for c in calls if c.operation == "ListRecords"]
    assert [c.error for c in lists] == [None] * (total + sum(conflicts) + 1)
    assert {c.error for c in calls} <= {None, "ResourceConflictException"}
    usage = check.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert usage["SyncSessionsCount"] == len(lists)
    assert usage["DataStorage"] == utf8("n") + utf8(str(total))


# -- 2. mixed traffic -------------------------------------------------------------------

WRITERS = 4
WRITES_PER_WRITER = 100
READERS = 2
PASSES_PER_READER = 60
DELETE_CYCLES = 20
KEYS = ("k0", "k1", "k2", "k3", "k4")
TARGETS = [(identity, name) for identity in (IDENTITY, OTHER_IDENTITY) for name in ("alpha", "beta", "gamma")]
DELETED = (IDENTITY, "gamma")  # the dataset one thread keeps deleting and recreating


@dataclass
class Journal:
    """What the threads saw, kept under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    writes: dict[tuple[str, str], list[tuple[str, str | None, int]]] = field(default_factory=dict)
    updates: Counter[tuple[str, str]] = field(default_factory=Counter)  # successful non-empty UpdateRecords
    pass_problems: list[str] = field(default_factory=list)
    passes: int = 0
    deletes: int = 0

    def wrote(self, where: tuple[str, str], answer: dict[str, Any]) -> None:
        with self.lock:
            self.updates[where] += 1
            self.writes.setdefault(where, []).extend(
                (r["Key"], r.get("Value"), r["SyncCount"]) for r in answer["Records"]
            )


def write_once(
    client: Any, where: tuple[str, str], patches_for: Callable[[dict[str, int]], list[dict[str, Any]]], journal: Journal
) -> bool:
    """One read-modify-write on a dataset; False on a conflict."""
    identity, name = where
    listed = full_listing(client, identity, name)
    counts = {r["Key"]: r["SyncCount"] for r in listed["Records"]}
    try:
        answer = client.update_records(
            **ids(identity=identity, dataset=name),
            SyncSessionToken=listed["SyncSessionToken"],
            RecordPatches=patches_for(counts),
        )
    except ClientError as error:
        if code_of(error) != "ResourceConflictException":
            raise
        return False
    journal.wrote(where, answer)
    return True


def writer(client: Any, index: int, journal: Journal) -> Callable[[], None]:
    def work() -> None:
        rnd, done, streak = random.Random(100 + index), 0, 0
        while done < WRITES_PER_WRITER:
            where = TARGETS[rnd.randrange(len(TARGETS))]
            keys = rnd.sample(KEYS, rnd.randint(1, 2))

            def patches(counts: dict[str, int], keys: list[str] = keys, done: int = done) -> list[dict[str, Any]]:
                out = []
                for key in keys:
                    if rnd.random() < 0.2:
                        out.append(remove(key, counts.get(key, 0)))
                    else:
                        out.append(replace(key, f"w{index}-{done}-{'é' * rnd.randint(0, 3)}", counts.get(key, 0)))
                return out

            if write_once(client, where, patches, journal):
                done, streak = done + 1, 0
            else:
                streak += 1
                backoff(rnd, streak)

    return work


def deleter(client: Any, journal: Journal) -> Callable[[], None]:
    def work() -> None:
        rnd, identity, name = random.Random(7), *DELETED
        for _ in range(DELETE_CYCLES):
            try:
                client.delete_dataset(**ids(identity=identity, dataset=name))
                with journal.lock:
                    journal.deletes += 1
            except ClientError as error:
                if code_of(error) != "ResourceNotFoundException":  # not recreated yet by anyone
                    raise
            time.sleep(rnd.uniform(0, 0.01))
            streak = 0
            while not write_once(
                client, DELETED, lambda counts: [replace("seed", "again", counts.get("seed", 0))], journal
            ):
                streak += 1
                backoff(rnd, streak)

    return work


def reader(client: Any, index: int, journal: Journal) -> Callable[[], None]:
    def work() -> None:
        rnd = random.Random(200 + index)
        seen: dict[tuple[str, str], int] = {}
        for _ in range(PASSES_PER_READER):
            where = TARGETS[rnd.randrange(len(TARGETS))]
            last = rnd.choice([0, seen.get(where, 0)])
            problems, pinned = check_pass(client, where, last, rnd.randint(1, 3))
            with journal.lock:
                journal.pass_problems.extend(problems)
                journal.passes += 1
            seen[where] = pinned

    return work


def check_pass(client: Any, where: tuple[str, str], last: int, page_size: int) -> tuple[list[str], int]:
    """One paged ListRecords pass; the problems found and the pass's pinned sync count."""
    identity, name = where
    args = {**ids(identity=identity, dataset=name), "LastSyncCount": last, "MaxResults": page_size}
    problems: list[str] = []
    page = client.list_records(**args)
    pinned = page["DatasetSyncCount"]
    records: list[dict[str, Any]] = []
    while True:
        if page["DatasetSyncCount"] != pinned:
            problems.append(f"{where}: page DatasetSyncCount {page['DatasetSyncCount']} != first page's {pinned}")
        if page["Count"] != len(page["Records"]) or len(page["Records"]) > page_size:
            problems.append(f"{where}: page Count {page['Count']} for {len(page['Records'])} records")
        records.extend(page["Records"])
        if "NextToken" not in page:
            break
        page = client.list_records(**args, NextToken=page["NextToken"])
    keys = [r["Key"] for r in records]
    if len(keys) != len(set(keys)):
        problems.append(f"{where}: a record came twice in one pass: {keys}")
    order = [(r["SyncCount"], r["Key"]) for r in records]
    if order != sorted(order):
        problems.append(f"{where}: records out of (SyncCount, Key) order: {order}")
    if any(not last < count <= pinned for count, _ in order):
        problems.append(f"{where}: a SyncCount outside ({last}, {pinned}]: {order}")
    return problems, pinned


def last_deletion(client: Any, where: tuple[str, str], sync_count: int) -> int:
    """The sync count of the dataset's last deletion, found through DatasetDeletedAfterRequestedSyncCount.

    The flag is true exactly for 0 < LastSyncCount <= that count, so a bisection finds it.
    """
    identity, name = where
    low, high = 0, sync_count  # the flag is true at low (or low is 0), false above high

    def deleted_after(n: int) -> bool:
        listed = client.list_records(**ids(identity=identity, dataset=name), LastSyncCount=n, MaxResults=1)
        return bool(listed["DatasetDeletedAfterRequestedSyncCount"])

    if sync_count and deleted_after(sync_count):
        return sync_count
    while low + 1 < high:
        middle = (low + high) // 2
        if deleted_after(middle):
            low = middle
        else:
            high = middle
    return low


def test_mixed_traffic_keeps_every_figure_consistent(target: Target) -> None:
    journal = Journal()
    writer_clients = [target.client() for _ in range(WRITERS)]
    reader_clients = [target.client() for _ in range(READERS)]
    deleter_client = target.client()
    check = target.client()

    workers = [writer(c, i, journal) for i, c in enumerate(writer_clients)]
    workers += [reader(c, i, journal) for i, c in enumerate(reader_clients)]
    workers.append(deleter(deleter_client, journal))
    raised = run_threads(workers, JOIN_SECONDS)
    assert raised == []
    assert journal.pass_problems == []
    assert journal.passes == READERS * PASSES_PER_READER
    assert journal.deletes >= DELETE_CYCLES - 1  # only the first may find it not yet created

    assert set(journal.updates) == set(TARGETS)  # 400 seeded random picks among 6 reach every one
    storage_by_identity: Counter[str] = Counter()
    datasets_by_identity: dict[str, list[str]] = {}
    for where in TARGETS:
        identity, name = where
        listed = full_listing(check, identity, name)
        assert listed["DatasetExists"] is True
        # The sync count rose by exactly one per successful non-empty UpdateRecords, deletions or not.
        assert listed["DatasetSyncCount"] == journal.updates[where]
        deleted_at = last_deletion(check, where, listed["DatasetSyncCount"]) if where == DELETED else 0
        if where == DELETED:
            assert deleted_at > 0
        expected: dict[str, tuple[str, str | None, int]] = {}
        for key, value, count in journal.writes[where]:
            if count > deleted_at and (key not in expected or expected[key][2] < count):
                expected[key] = (key, value, count)
        got = sorted((r["Key"], r.get("Value"), r["SyncCount"]) for r in listed["Records"])
        assert got == sorted(expected.values())

        live = [r for r in listed["Records"] if "Value" in r]
        storage = sum(utf8(r["Key"]) + utf8(r["Value"]) for r in live)
        described = check.describe_dataset(**ids(identity=identity, dataset=name))["Dataset"]
        assert (described["NumRecords"], described["DataStorage"]) == (len(live), storage)
        storage_by_identity[identity] += storage
        datasets_by_identity.setdefault(identity, []).append(name)

    for identity, names in datasets_by_identity.items():
        listed_sets = check.list_datasets(IdentityPoolId=POOL, IdentityId=identity)["Datasets"]
        assert [d["DatasetName"] for d in listed_sets] == sorted(names)
        usage = check.describe_identity_usage(IdentityPoolId=POOL, IdentityId=identity)["IdentityUsage"]
        assert (usage["DatasetCount"], usage["DataStorage"]) == (len(names), storage_by_identity[identity])
        assert sum(d["DataStorage"] for d in listed_sets) == storage_by_identity[identity]

    calls = target.api.calls
    assert {c.error for c in calls} <= {None, "ResourceConflictException", "ResourceNotFoundException"}
    not_found = [c.operation for c in calls if c.error == "ResourceNotFoundException"]
    assert not_found == ["DeleteDataset"] * (DELETE_CYCLES - journal.deletes)  # the first, before anyone wrote
    sessions = sum(1 for c in calls if c.operation == "ListRecords" and c.error is None)
    pool_usage = check.describe_identity_pool_usage(IdentityPoolId=POOL)["IdentityPoolUsage"]
    assert pool_usage["SyncSessionsCount"] == sessions
    assert pool_usage["DataStorage"] == sum(storage_by_identity.values())
    pools = check.list_identity_pool_usage()["IdentityPoolUsages"]
    assert [(p["IdentityPoolId"], p["DataStorage"], p["SyncSessionsCount"]) for p in pools] == [
        (POOL, pool_usage["DataStorage"], sessions)
    ]
    backend = target.api.backend(REGION)
    assert backend.describe_identity_pool_usage(identity_pool_id=POOL)["IdentityPoolUsage"]["DataStorage"] == sum(
        storage_by_identity.values()
    )
