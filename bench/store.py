"""The state database: what ``--state`` adds to a write, and that it does not grow with the state.

Three servers in this process, each answering the same small UpdateRecords (one record
replaced, in the same dataset every call) from a real boto3 client over HTTP: one on a
state database holding 100k records (100 identities x 10 datasets x 100 records), one on a
database holding 1k, one without ``--state``. The databases are filled from a seed (one
transaction at start), not by 100k calls. Session tokens are issued before each round, so
only UpdateRecords is timed; wall time, since the servers run in their own threads.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _timing import WALL, Arm, Row, Settings, interleave, us

POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"
WRITER = "us-east-1:00000000-0000-4000-8000-0000000000ff"
DATASET = "bench"
VALUE = "v" * 60


def seed(identities: int, datasets: int, records: int) -> dict[str, Any]:
    """A short-form seed of ``identities x datasets x records`` records of 60 characters."""
    return {
        "us-east-1": {
            POOL: {
                f"us-east-1:00000000-0000-4000-8000-{i:012d}": {
                    f"d{d}": {f"k{r:03d}": VALUE for r in range(records)} for d in range(datasets)
                }
                for i in range(identities)
            }
        }
    }


class Writer:
    """A server and a boto3 client replacing one record again and again, with tokens issued ahead."""

    def __init__(self, state: dict[str, Any], path: Path | None) -> None:
        import boto3

        from cognito_sync_mock import CognitoSyncServer

        began = time.perf_counter()
        self.server = CognitoSyncServer(state=state, state_file=path)
        self.started = time.perf_counter() - began
        self.server.start()
        self.client: Any = boto3.client(
            "cognito-sync",
            region_name="us-east-1",
            endpoint_url=self.server.url,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        self.tokens: list[str] = []
        self.sync_count = 0
        self.run(1)  # the record exists from here on

    def issue(self, n: int) -> None:
        """Session tokens for the next ``n`` calls, straight from the backend (not timed, not over HTTP)."""
        backend = self.server.backend()
        self.tokens = [backend.list_records(POOL, WRITER, DATASET)["SyncSessionToken"] for _ in range(n)]

    def run(self, n: int) -> None:
        if len(self.tokens) < n:
            self.issue(n)
        for _ in range(n):
            patch = {"Op": "replace", "Key": "k", "Value": f"value {self.sync_count}", "SyncCount": self.sync_count}
            answer = self.client.update_records(
                IdentityPoolId=POOL,
                IdentityId=WRITER,
                DatasetName=DATASET,
                SyncSessionToken=self.tokens.pop(),
                RecordPatches=[patch],
            )
            self.sync_count = answer["Records"][0]["SyncCount"]

    def stop(self) -> None:
        self.server.stop()


def rows(settings: Settings) -> list[Row]:
    n = settings.scale(60)
    warm = 5
    with tempfile.TemporaryDirectory() as folder:
        large = Writer(seed(100, 10, 100), Path(folder) / "large.db")
        small = Writer(seed(10, 10, 10), Path(folder) / "small.db")
        plain = Writer(seed(10, 10, 10), None)
        size = os.path.getsize(Path(folder) / "large.db") + os.path.getsize(Path(folder) / "large.db-wal")
        try:
            arms = [
                Arm(name, writer.run, enter=lambda w=writer: w.issue(n + warm), warm=warm)
                for name, writer in (("100k", large), ("1k", small), ("none", plain))
            ]
            results = interleave(arms, n, settings.rounds(15), clock=WALL)
        finally:
            for writer in (large, small, plain):
                writer.stop()
    detail = (
        f"seeded 100k records in {large.started:.1f} s (one transaction), database {size / 2**20:.0f} MB; "
        f"1k: {us(results['1k'])}; without --state: {us(results['none'])}"
    )
    by_size = results.ratio("100k", "1k")
    by_none = results.ratio("100k", "none")
    bound = "the write's statements or the commit grow with the state: profile Store.write"
    return [
        Row(
            "UpdateRecords via boto3 over HTTP, --state: 100k stored records / 1k",
            us(results["100k"]),
            us(results["1k"]) + " (1k)",
            by_size,
            "<= 1.50",
            by_size <= 1.5,
            "" if by_size <= 1.5 else bound,
            detail,
        ),
        Row(
            "UpdateRecords via boto3 over HTTP: --state with 100k stored records / without --state",
            us(results["100k"]),
            us(results["none"]) + " (no --state)",
            by_none,
            "<= 3.00",
            by_none <= 3.0,
            "" if by_none <= 3.0 else "the commit (WAL write and fsync) bounds it: see the disk's fsync time",
        ),
    ]


def run(settings: Settings) -> list[Row]:
    return rows(settings)


if __name__ == "__main__":
    from _timing import table

    print(table(run(Settings(quick="--quick" in sys.argv))))
