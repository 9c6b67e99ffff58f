"""Entering and leaving the mock, against moto's ``mock_aws``, and the cost of importing it."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from _timing import Arm, Row, Settings, interleave, profile, us


def _ours(n: int) -> None:
    from cognito_sync_mock import mock_cognito_sync

    for _ in range(n):
        with mock_cognito_sync():
            pass


def activation_rows(settings: Settings) -> list[Row]:
    """``with mock_cognito_sync(): pass`` per enter+exit, alone and against moto's mock_aws."""
    n = settings.scale(5000)
    rounds = settings.rounds(9)
    arms = [Arm("ours", _ours, warm=10)]
    moto_error = ""
    try:
        from moto import mock_aws

        def moto(calls: int) -> None:
            for _ in range(calls):
                with mock_aws():
                    pass

        arms.append(Arm("moto", moto, warm=2, calls=settings.scale(40)))
    except ImportError as exc:  # pragma: no cover - moto is a dev dependency
        moto_error = f"moto not importable: {exc}"
    results = interleave(arms, n, rounds)
    ours = results["ours"]
    met = ours <= 50e-6
    rows = [
        Row(
            "`with mock_cognito_sync(): pass`, per enter+exit",
            us(ours),
            "",
            None,
            "<= 50 µs",
            met,
            "" if met else "top costs (cProfile): " + profile(_ours, min(n, 2000)),
        )
    ]
    figure = "moto `with mock_aws(): pass` / ours"
    if "moto" in results:
        ratio = results.ratio("moto", "ours")
        rows.append(
            Row(
                figure,
                us(ours),
                us(results["moto"]) + " (moto)",
                ratio,
                ">= 30x",
                ratio >= 30,
                "" if ratio >= 30 else "top costs (cProfile): " + profile(_ours, min(n, 2000)),
            )
        )
    else:
        rows.append(Row(figure, us(ours), "n/a", None, ">= 30x", None, moto_error))
    return rows


# -- import time --------------------------------------------------------------------------

_PROBE = """
import json, time
w0, c0 = time.perf_counter(), time.process_time()
import botocore.session
w1, c1 = time.perf_counter(), time.process_time()
import cognito_sync_mock
w2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"botocore": c1 - c0, "package": c2 - c1, "botocore_wall": w1 - w0, "package_wall": w2 - w1}))
"""


def _env(cache: str) -> dict[str, str]:
    """Fresh processes that read (and write) compiled bytecode, kept apart in ``cache``.

    Users import from compiled bytecode; with PYTHONDONTWRITEBYTECODE set (as on some
    CI machines) every run would compile the package's sources, which is not what an
    import costs. PYTHONPYCACHEPREFIX keeps the .pyc files out of the source tree.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _probe(env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _importtime_top(env: dict[str, str], limit: int = 5) -> str:
    """What the package's import adds after botocore (python -X importtime, wall, one run).

    The package's own modules by own time (their bodies), and the modules from outside
    the package that it pulls in, by cumulative time.
    """
    code = "import botocore.session; import cognito_sync_mock"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], check=True, capture_output=True, text=True, env=env
    )
    entries = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p for p in line[len("import time:") :].split("|")]
        if not parts[0].strip().isdigit():
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        entries.append((int(parts[0]), int(parts[1]), name.strip(), depth))
    # importtime prints a module after its imports: everything after botocore.session's line
    # (which is at depth 0) was imported for the package.
    index = next((i for i, e in enumerate(entries) if e[2] == "botocore.session" and e[3] == 0), -1)
    after = entries[index + 1 :]
    if not after:
        return "(no import lines)"
    total = next((cum for own, cum, name, depth in after if name == "cognito_sync_mock"), None)
    ours = sorted((e for e in after if e[2].startswith("cognito_sync_mock")), reverse=True)[:limit]

    # outside modules imported directly by a package module (importtime prints a module's
    # imports before it, one level deeper)
    def parent(i: int) -> str:
        depth = after[i][3]
        return next((e[2] for e in after[i + 1 :] if e[3] < depth), "")

    outside = sorted(
        (
            e
            for i, e in enumerate(after)
            if not e[2].startswith("cognito_sync_mock") and parent(i).startswith("cognito_sync_mock")
        ),
        key=lambda e: e[1],
        reverse=True,
    )[:limit]
    return (
        (f"{total / 1000:.1f} ms in all; " if total else "")
        + "the package's modules by own time: "
        + "; ".join(f"`{name}` {own / 1000:.1f} ms" for own, _cum, name, _d in ours)
        + ". Outside modules it imports, by cumulative time: "
        + "; ".join(f"`{name}` {cum / 1000:.1f} ms" for _own, cum, name, _d in outside)
    )


def import_row(settings: Settings) -> Row:
    """``import cognito_sync_mock`` on top of ``import botocore.session``, in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = _env(cache)
        _probe(env)  # compiles and caches the bytecode
        runs = [_probe(env) for _ in range(5 if settings.quick else 11)]
        extra = statistics.median(r["package"] for r in runs)
        met = extra <= 0.030
        bound = "" if met else "what it adds (python -X importtime, wall): " + _importtime_top(env)
    botocore_alone = statistics.median(r["botocore"] for r in runs)
    wall = statistics.median(r["package_wall"] for r in runs)
    # The same with nothing compiled ahead (no bytecode written or read): for the record.
    with tempfile.TemporaryDirectory(prefix="bench-nocache-") as empty:
        cold_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
        cold = statistics.median(_probe(cold_env)["package"] for _ in range(3))
    return Row(
        "`import cognito_sync_mock` after `import botocore.session`",
        f"{extra * 1000:.1f} ms",
        f"{botocore_alone * 1000:.1f} ms (botocore.session)",
        extra / botocore_alone,
        "<= 30 ms extra",
        met,
        bound,
        f"CPU time, median of {len(runs)} fresh processes importing compiled bytecode; "
        f"wall time {wall * 1000:.1f} ms; compiling from source every time (no bytecode cache): "
        f"{cold * 1000:.1f} ms CPU",
    )


def run(settings: Settings) -> list[Row]:
    return [*activation_rows(settings), import_row(settings)]


if __name__ == "__main__":
    from _timing import table

    rows = run(Settings(quick="--quick" in sys.argv))
    print(table(rows))
    for row in rows:
        if row.bound:
            print(row.figure, "->", row.bound)
