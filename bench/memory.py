"""Memory: 100 identities x 20 datasets x 100 records of 100-byte values, in a fresh process.

The figure is the peak RSS of a process that imports the package and fills one backend,
minus that of a process that only imports the package. On Linux the peak is read from
``VmHWM`` in /proc/self/status: it is what ``ru_maxrss`` measures, except that Linux
carries the parent's high-water mark across fork+exec into ``ru_maxrss``, so a child of a
big benchmark process would report the parent's size. Elsewhere ``ru_maxrss`` is used.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time

from _timing import Row, Settings

IDENTITIES, DATASETS, RECORDS, VALUE_BYTES = 100, 20, 100, 100
TOTAL = IDENTITIES * DATASETS * RECORDS
POOL = "us-east-1:00000000-0000-4000-8000-0000000000a1"


def _fill() -> int:
    """Fill a backend through its own API; returns the number of live records."""
    from cognito_sync_mock import Backend

    backend = Backend("123456789012", "us-east-1")
    for i in range(IDENTITIES):
        identity = f"us-east-1:00000000-0000-4000-8000-{i:012d}"
        for d in range(DATASETS):
            name = f"dataset-{d:02d}"
            token = backend.list_records(POOL, identity, name)["SyncSessionToken"]
            patches = [
                # every key and value is a string of its own, as if parsed from a request
                {
                    "Op": "replace",
                    "Key": f"record-{r:03d}",
                    "Value": f"{i:03d}{d:02d}{r:03d}".ljust(VALUE_BYTES, "v"),
                    "SyncCount": 0,
                }
                for r in range(RECORDS)
            ]
            backend.update_records(POOL, identity, name, token, patches)
    pool = backend.pools[POOL]
    count = sum(ds.num_records for ident in pool.identities.values() for ds in ident.datasets.values())
    globals()["_keep"] = backend  # alive until the peak is read
    return int(count)


def _child(mode: str) -> None:
    import cognito_sync_mock  # noqa: F401 - the baseline is a process that imported the package

    records = 0
    seconds = 0.0
    if mode == "trace":
        import tracemalloc

        tracemalloc.start()
        _fill()
        top = tracemalloc.take_snapshot().statistics("lineno")[:5]
        print(
            json.dumps(
                {
                    "top": [
                        f"`{s.traceback[0].filename.rsplit('/', 2)[-1]}:{s.traceback[0].lineno}` "
                        f"{s.size / 2**20:.1f} MB in {s.count} blocks"
                        for s in top
                    ]
                }
            )
        )
        return
    if mode == "fill":
        start = time.perf_counter()
        records = _fill()
        seconds = time.perf_counter() - start
    print(json.dumps({"peak_bytes": _peak_rss(), "records": records, "seconds": seconds}))


def _peak_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def _run_child(mode: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _trace() -> list[str]:
    out = subprocess.run([sys.executable, __file__, "--child", "trace"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["top"]  # type: ignore[no-any-return]


def memory_row(settings: Settings) -> Row:
    baseline = statistics.median(_run_child("baseline")["peak_bytes"] for _ in range(3))
    fills = [_run_child("fill") for _ in range(1 if settings.quick else 2)]
    assert all(f["records"] == TOTAL for f in fills), fills
    peak = statistics.median(f["peak_bytes"] for f in fills)
    extra = peak - baseline
    met = extra <= 250 * 1024 * 1024
    return Row(
        f"memory: {IDENTITIES} identities x {DATASETS} datasets x {RECORDS} records, {VALUE_BYTES}-byte values",
        f"{extra / 2**20:.0f} MB ({extra / TOTAL:.0f} B/record)",
        f"{baseline / 2**20:.0f} MB (import only)",
        None,
        "<= 250 MB peak",
        met,
        "" if met else "largest allocations still held (tracemalloc): " + "; ".join(_trace()),
        f"filled in {statistics.median(f['seconds'] for f in fills):.1f} s",
    )


def run(settings: Settings) -> list[Row]:
    return [memory_row(settings)]


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child(sys.argv[sys.argv.index("--child") + 1])
    else:
        from _timing import table

        rows = run(Settings(quick="--quick" in sys.argv))
        print(table(rows))
        print(rows[0].detail)
