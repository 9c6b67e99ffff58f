"""Shared helpers for the benchmarks: interleaved timing, medians, rows, profiles.

Every target is a ratio measured in one run: two arms (e.g. the mock and botocore's own
floor) are timed in alternating rounds, so that drift of a noisy machine lands on both,
and each arm's figure is the median of its rounds.

Single-threaded figures are CPU time of this process (``time.process_time``): on a loaded
machine, time spent waiting for a CPU is not work and would only add noise. Figures that
involve other threads or processes (the servers) use wall time.
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

PACKAGE_DIR = os.path.join("cognito_sync_mock", "")


@dataclass
class Settings:
    """How hard to work: ``quick`` for CI (< 60 s in all), default for real figures."""

    quick: bool = False

    def rounds(self, default: int = 15) -> int:
        """Rounds of a comparison: a sixth of the default in quick mode, at least 5."""
        return max(5, default // 6) if self.quick else default

    def scale(self, n: int) -> int:
        """Calls per round: a fifth of the default in quick mode, at least 1."""
        return max(1, n // 5) if self.quick else n


@dataclass
class Arm:
    """One side of a comparison.

    ``run(n)`` makes ``n`` calls and is the only thing timed; ``enter``/``exit`` run
    around each round (start or stop a mock, seed state) and ``warm`` calls are made
    after ``enter`` and before the clock starts.
    """

    name: str
    run: Callable[[int], Any]
    enter: Callable[[], Any] = lambda: None
    exit: Callable[[], Any] = lambda: None
    warm: int = 3
    calls: int | None = None  # calls per round for this arm, if not the common n


CPU = time.process_time
WALL = time.perf_counter


def timed(run: Callable[[int], Any], n: int, clock: Callable[[], float] = CPU) -> float:
    """Seconds per call of ``run(n)``, with the garbage collector off while timing."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        run(n)
        elapsed = clock() - start
    finally:
        if was_enabled:
            gc.enable()
    return elapsed / n


class Results(dict[str, float]):
    """Median seconds per call of each arm, with every round's sample kept.

    ``ratio`` and ``diff`` pair the arms round by round (each pair was timed back to back)
    and take the median of those, which a slow spell during one round cannot move much.
    """

    def __init__(self, samples: dict[str, list[float]]) -> None:
        super().__init__({name: statistics.median(values) for name, values in samples.items()})
        self.samples = samples

    def ratio(self, a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(self.samples[a], self.samples[b]))

    def diff(self, a: str, b: str) -> float:
        return statistics.median(x - y for x, y in zip(self.samples[a], self.samples[b]))


def interleave(arms: Sequence[Arm], n: int, rounds: int, clock: Callable[[], float] = CPU) -> Results:
    """Seconds per call of each arm, over ``rounds`` rounds of ``n`` calls (see Results).

    The arms take turns, and the order flips each round so neither always goes first.
    """
    samples: dict[str, list[float]] = {arm.name: [] for arm in arms}
    for index in range(rounds):
        order = list(arms) if index % 2 == 0 else list(reversed(arms))
        for arm in order:
            arm.enter()
            try:
                if arm.warm:
                    arm.run(arm.warm)
                samples[arm.name].append(timed(arm.run, arm.calls or n, clock))
            finally:
                arm.exit()
    return Results(samples)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# -- rows of the results table -------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    figure: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None  # None: nothing to judge (e.g. a figure that could not be taken)
    bound: str = ""  # for a missed target: what bounds it
    detail: str = ""  # extra figures worth keeping (not in the table)

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "no", None: "n/a"}[self.met]
        return [self.figure, self.value, self.baseline, ratio, self.target, met]


HEADERS = ["figure", "value", "baseline", "ratio", "target", "met"]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (also readable as plain text)."""
    cells = [HEADERS] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    out = [line(HEADERS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(values) for values in cells[1:]]
    return "\n".join(out)


# -- profiles ------------------------------------------------------------------------------


def profile(run: Callable[[int], Any], n: int, limit: int = 5, only_package: bool = True) -> str:
    """cProfile ``run(n)``; the top entries by own time, as µs per call of ``run``.

    With ``only_package`` only functions in cognito_sync_mock's files are listed (the
    mock's own costs); the profiler's overhead inflates every figure alike.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    run(n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if only_package and PACKAGE_DIR not in filename:
            continue
        short = filename.split(PACKAGE_DIR, 1)[-1] if PACKAGE_DIR in filename else os.path.basename(filename)
        entries.append((tottime, cumtime, calls, f"{short}:{line}({function})"))
    entries.sort(reverse=True)
    lines = [
        f"{where}: own {tot / n * 1e6:.1f} µs/call, cumulative {cum / n * 1e6:.1f} µs/call, {calls / n:g} calls/call"
        for tot, cum, calls, where in entries[:limit]
    ]
    return "; ".join(lines) if lines else "(no entries)"
