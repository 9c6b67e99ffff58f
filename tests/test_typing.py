"""The package's types: every way in to the mock, and a typed boto3 client (mypy-boto3-cognito-sync),
type-check under mypy --strict and run under the mock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TYPED = Path(__file__).parent / "typed"
FILES = [TYPED / "typed_usage.py", TYPED / "typed_client.py"]


def test_the_typed_files_pass_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in 2 source files")


@pytest.mark.parametrize("typed", FILES, ids=lambda path: path.name)
def test_a_typed_file_runs_under_the_mock(typed: Path) -> None:
    result = subprocess.run([sys.executable, str(typed)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
