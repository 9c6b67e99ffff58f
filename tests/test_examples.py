"""The README's main job, examples/quickstart.py, runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_prints_the_tour() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dataset exists before the first push: False",
        "written: [('highscore', '4200', 1)]",
        "device B: Current SyncCount for: highscore is: 1 not: 0",
        "datasets: 1 bytes stored: 13",
        "calls answered: ['ListRecords', 'ListRecords', 'UpdateRecords', 'UpdateRecords', 'DescribeIdentityUsage']",
    ]
