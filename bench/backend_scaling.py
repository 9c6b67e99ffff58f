"""The backend alone: a delta listing and paging must cost in proportion to what they return.

No botocore here: these call ``Backend.list_records`` directly, so the figures are the
backend's own work (session and paging tokens included).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from _timing import Arm, Row, Settings, interleave, profile, us

POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
IDENTITY = "us-east-1:00000000-0000-4000-8000-0000000000b1"


def _backend() -> Any:
    from cognito_sync_mock import Backend

    return Backend("123456789012", "us-east-1")


def _fill(backend: Any, name: str, size: int) -> None:
    """``size`` records written in one update, at sync count 1."""
    token = backend.list_records(POOL, IDENTITY, name)["SyncSessionToken"]
    patches = [
        {"Op": "replace", "Key": f"k{i:04d}", "Value": f"value of record {i}", "SyncCount": 0} for i in range(size)
    ]
    backend.update_records(POOL, IDENTITY, name, token, patches)


def _change_one(backend: Any, name: str) -> None:
    token = backend.list_records(POOL, IDENTITY, name)["SyncSessionToken"]
    patch = {"Op": "replace", "Key": "k0000", "Value": "changed", "SyncCount": 1}
    backend.update_records(POOL, IDENTITY, name, token, [patch])


def delta_row(settings: Settings) -> Row:
    """ListRecords since the last sync (1 changed record), 1024-record vs 1-record dataset."""
    backend = _backend()
    for name, size in (("large", 1024), ("small", 1)):
        _fill(backend, name, size)
        _change_one(backend, name)
        answer = backend.list_records(POOL, IDENTITY, name, last_sync_count=1)
        assert answer["Count"] == 1 and answer["DatasetSyncCount"] == 2, answer

    def delta(name: str) -> Callable[[int], None]:
        list_records = backend.list_records

        def run(n: int) -> None:
            for _ in range(n):
                list_records(POOL, IDENTITY, name, last_sync_count=1)

        return run

    n = settings.scale(5000)
    results = interleave(
        [Arm("large", delta("large"), warm=20), Arm("small", delta("small"), warm=20)], n, settings.rounds()
    )
    ratio = results.ratio("large", "small")
    met = ratio <= 1.3
    return Row(
        "delta ListRecords (1 changed record), backend call: 1024-record / 1-record dataset",
        us(results["large"]),
        us(results["small"]) + " (1 record)",
        ratio,
        "<= 1.30",
        met,
        ""
        if met
        else "top costs at 1024 records (cProfile): " + profile(delta("large"), min(n, 2000), only_package=False),
    )


def paging_row(settings: Settings) -> Row:
    """Paging 10 at a time: per-record cost through 1024 records vs through 128."""
    backend = _backend()
    _fill(backend, "p1024", 1024)
    _fill(backend, "p128", 128)

    def page_through(name: str) -> int:
        token = None
        count = 0
        while True:
            answer = backend.list_records(POOL, IDENTITY, name, next_token=token, max_results=10)
            count += answer["Count"]
            token = answer["NextToken"]
            if token is None:
                return int(count)

    assert page_through("p1024") == 1024 and page_through("p128") == 128

    def per_1024_records(name: str, passes: int) -> Callable[[int], None]:
        def run(n: int) -> None:  # one unit of n is 1024 records, whichever the dataset
            for _ in range(n * passes):
                page_through(name)

        return run

    n = settings.scale(25)
    results = interleave(
        [Arm("p1024", per_1024_records("p1024", 1), warm=1), Arm("p128", per_1024_records("p128", 8), warm=1)],
        n,
        settings.rounds(),
    )
    per_record = {name: seconds / 1024 for name, seconds in results.items()}
    ratio = results.ratio("p1024", "p128")  # the same 1024 records per unit on both sides
    met = ratio <= 1.3
    return Row(
        "paging 10 at a time, per record: 1024-record / 128-record dataset",
        us(per_record["p1024"]),
        us(per_record["p128"]) + " (128 records)",
        ratio,
        "<= 1.30",
        met,
        ""
        if met
        else "top costs paging 1024 records (cProfile): "
        + profile(per_1024_records("p1024", 1), 3, only_package=False),
        f"a whole pass: {results['p1024'] * 1000:.2f} ms through 1024 records, "
        f"{results['p128'] / 8 * 1000:.2f} ms through 128",
    )


def run(settings: Settings) -> list[Row]:
    return [delta_row(settings), paging_row(settings)]


if __name__ == "__main__":
    from _timing import table

    rows = run(Settings(quick="--quick" in sys.argv))
    print(table(rows))
    for row in rows:
        print(row.figure, "->", row.bound or row.detail)
