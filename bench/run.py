"""Run every benchmark, print the table and write bench/results.md.

    python bench/run.py            # the real figures (a few minutes)
    python bench/run.py --quick    # few repetitions, for CI (well under a minute)

These are not timed tests: the exit status is 0 whatever the ratios, and non-zero only
when a benchmark crashed (its row says so; the other groups still run).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import Row, Settings, table  # noqa: E402 - bench/ goes on sys.path first


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _groups(settings: Settings) -> list[tuple[str, Callable[[], list[Row]]]]:
    """The groups in the order they run: ours first, before moto is ever imported."""
    import activation
    import backend_scaling
    import client_calls
    import memory
    import server
    import store

    overhead: list[float] = []

    def calls() -> list[Row]:
        rows, list_overhead = client_calls.mock_rows(settings)
        overhead.append(list_overhead)
        return rows

    def moto() -> list[Row]:
        if not overhead:
            raise RuntimeError("the ListRecords row did not run, so our overhead is unknown")
        return [client_calls.moto_row(settings, overhead[0])]

    return [
        ("client_calls", calls),
        ("backend_scaling", lambda: backend_scaling.run(settings)),
        ("memory", lambda: memory.run(settings)),
        ("import", lambda: [activation.import_row(settings)]),
        ("activation", lambda: activation.activation_rows(settings)),
        ("moto", moto),
        ("server", lambda: server.run(settings)),
        ("store", lambda: store.run(settings)),
    ]


TIMINGS = (
    "medians of interleaved rounds, ratios paired round by round; CPU time of the process "
    "except for the servers (wall time); see docs/performance.md"
)


def _header(settings: Settings, seconds: float) -> str:
    mode = "--quick (few repetitions: indicative only)" if settings.quick else "default"
    versions = ", ".join(f"{name} {_version(name)}" for name in ("botocore", "boto3", "moto", "cognito-sync-mock"))
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
            f"- mode: {mode}, took {seconds:.0f} s",
            f"- Python {platform.python_version()} ({platform.python_implementation()}), {versions}",
            f"- machine: {platform.platform()}, {os.cpu_count()} CPUs, load average at the end {load}",
            f"- timings: {TIMINGS}",
        ]
    )


def _report(rows: list[Row], settings: Settings, seconds: float) -> str:
    out = [_header(settings, seconds), "", table(rows), ""]
    missed = [row for row in rows if row.met is False or (row.met is None and row.bound)]
    if missed:
        out += ["## What bounds the missed targets", ""]
        out += [f"- **{row.figure}**: {row.bound}" for row in missed]
        out.append("")
    details = [row for row in rows if row.detail]
    if details:
        out += ["## Details", ""]
        out += [f"- {row.figure}: {row.detail}" for row in details]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions, for CI")
    parser.add_argument("--only", default="", help="comma-separated groups to run (default: all)")
    parser.add_argument("--output", default=str(HERE / "results.md"), help="where to write the Markdown table")
    args = parser.parse_args(argv)
    settings = Settings(quick=args.quick)
    only = {name.strip() for name in args.only.split(",") if name.strip()}

    start = time.perf_counter()
    rows: list[Row] = []
    crashed = False
    for name, group in _groups(settings):
        if only and name not in only:
            continue
        began = time.perf_counter()
        print(f"[{name}] running...", file=sys.stderr, flush=True)
        try:
            new = group()
        except Exception as exc:  # a crash is reported, and the other groups still run
            crashed = True
            traceback.print_exc()
            new = [Row(f"{name}: crashed", "n/a", "n/a", None, "", None, f"{type(exc).__name__}: {exc}")]
        rows += new
        print(table(new), flush=True)
        print(f"[{name}] {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)

    seconds = time.perf_counter() - start
    report = _report(rows, settings, seconds)
    Path(args.output).write_text(report, encoding="utf-8")
    print()
    print(report)
    print(f"(written to {args.output})")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
