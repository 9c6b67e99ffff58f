"""The package's types: a typed boto3 client (mypy-boto3-cognito-sync) type-checks and runs under the mock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TYPED = Path(__file__).parent / "typed" / "typed_client.py"


def test_a_typed_client_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(TYPED)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in 1 source file")


def test_a_typed_client_runs_under_the_mock() -> None:
    result = subprocess.run([sys.executable, str(TYPED)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
