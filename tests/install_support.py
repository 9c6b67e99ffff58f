"""Installing real clients for the tests, once per machine, into a cache folder.

``$COGNITO_SYNC_MOCK_TEST_CACHE``, else ``~/.cache/cognito-sync-mock-tests``. A folder is
keyed by a hash of what it holds, so a changed pin installs afresh. Without the tool or
a reachable package registry a test fails with a message saying so: it never skips.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

INSTALL_TIMEOUT = 900


def cache_root() -> Path:
    """Where installed clients are kept between runs."""
    configured = os.environ.get("COGNITO_SYNC_MOCK_TEST_CACHE")
    if configured:
        root = Path(configured)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cognito-sync-mock-tests"
    root.mkdir(parents=True, exist_ok=True)
    return root


def require(tool: str, what: str) -> str:
    """The path of ``tool``; the test fails, saying what is missing, when it is not on PATH."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is needed for {what} and is not on PATH (install Node.js and npm: apt-get install nodejs npm)"
        )
    return path


@contextlib.contextmanager
def installing(name: str, key: str) -> Iterator[tuple[Path, bool]]:
    """The cache folder for ``name`` at ``key`` (locked), and whether it still needs installing.

    A folder counts as installed only once its ``.installed`` marker is written, so an
    install cut short is redone from scratch on the next run.
    """
    root = cache_root()
    folder = root / f"{name}-{key}"
    with open(root / f".{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = folder / ".installed"
        if marker.exists():
            yield folder, False
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        yield folder, True
        marker.write_text("ok\n")


def _run_install(argv: list[str], cwd: Path, what: str, folder: Path) -> None:
    try:
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"{what} took more than {INSTALL_TIMEOUT} s: is the package registry reachable?")
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        output = (result.stdout + result.stderr)[-4000:]
        pytest.fail(f"{what} failed (exit {result.returncode}); is the package registry reachable?\n{output}")


def python_venv(name: str, packages: list[str]) -> Path:
    """A virtual environment in the cache with ``packages`` pip-installed; its folder."""
    key = hashlib.sha256(f"{sorted(packages)} {sys.version_info[:2]}".encode()).hexdigest()[:16]
    with installing(name, key) as (folder, needed):
        if needed:
            _run_install([sys.executable, "-m", "venv", str(folder)], folder, "making a virtual environment", folder)
            pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            _run_install([*pip, *packages], folder, "pip install " + " ".join(packages), folder)
    return folder


def npm_packages(manifest: Path) -> Path:
    """The dependencies of the npm ``manifest`` (a package.json) installed into the cache; its node_modules."""
    require("node", "the JavaScript client tests")
    npm = require("npm", "installing the JavaScript clients")
    text = manifest.read_bytes()
    with installing("node", hashlib.sha256(text).hexdigest()[:16]) as (folder, needed):
        if needed:
            (folder / "package.json").write_bytes(text)
            argv = [npm, "install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error"]
            _run_install(argv, folder, "npm install of " + ", ".join(json.loads(text)["dependencies"]), folder)
    return folder / "node_modules"
