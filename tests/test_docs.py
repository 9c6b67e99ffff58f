"""Every ```python block in README.md and docs/*.md runs, so no sample goes stale.

Each block runs in-process, in a fresh namespace, with an empty temporary directory as the
working directory. A block that defines tests is then run as pytest would run them:

- functions named ``test*`` (plain or ``async def``, which run under ``asyncio.run``), and
  the ``test*`` methods of classes named ``Test*`` (between the class's ``setup_class`` /
  ``teardown_class`` and each test's ``setup_method`` / ``teardown_method``, in pytest's
  order), each called with its fixtures:
  ``cognito_sync`` gets a started ``mock_cognito_sync`` and ``cognito_sync_server`` a started
  ``CognitoSyncServer``, both with the options of the closest ``@pytest.mark.cognito_sync``
  (on the function, its class, or ``pytestmark`` of the block), as the plugin does;
- ``unittest.TestCase`` classes, through unittest.

After each block the in-process mock must be off (no activation left open, no shared state)
and no server thread may be left running.

Blocks in any other language (bash, json, text, js, ...) are not run. A sample that must not
run is written as one of those; there is no marker to skip a ```python block.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import re
import threading
import unittest
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import pytest
from _pytest.assertion.rewrite import rewrite_asserts

import cognito_sync_mock
from cognito_sync_mock import mock as mock_module
from cognito_sync_mock.pytest_plugin import MARKER, OPTIONS, server_options
from cognito_sync_mock.server import CognitoSyncServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")
PYTHON = {"python", "py", "python3"}


class Block(NamedTuple):
    page: str  # relative to the repository, e.g. docs/faq.md
    line: int  # of the opening fence, from 1
    lang: str
    source: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def fenced_blocks(path: Path) -> Iterator[Block]:
    """Every fenced code block of a Markdown page, its indentation removed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(ROOT).as_posix()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and lines[end].strip().strip(fence[0]) == ""
        ):
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end].lstrip())
            end += 1
        assert end < len(lines), f"{page}:{index + 1}: a code block that is never closed"
        yield Block(page, index + 1, opening["lang"].lower(), "\n".join(body) + "\n")
        index = end + 1


ALL_BLOCKS = [block for path in PAGES for block in fenced_blocks(path)]
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.lang in PYTHON]


def test_every_block_says_its_language_and_every_python_block_is_run() -> None:
    # 21 samples when this was written: fewer means the parser lost some, or a page lost its samples.
    assert len(PYTHON_BLOCKS) >= 21, [block.id for block in PYTHON_BLOCKS]
    # Unlabelled fences could hide Python that is never run.
    unlabelled = [block.id for block in ALL_BLOCKS if not block.lang]
    assert unlabelled == [], "label every fence (```python, ```bash, ```text, ...)"
    # No exceptions: test_sample runs every ```python block; there is no way to skip one.


# -- running a block's tests ------------------------------------------------------------


def _marker_options(*holders: Any) -> dict[str, Any]:
    """The options of the closest ``cognito_sync`` marker among ``holders`` (closest first)."""
    for holder in holders:
        marks = [mark for mark in getattr(holder, "pytestmark", None) or [] if mark.name == MARKER]
        if marks:
            mark = marks[0]
            assert not mark.args, f"@pytest.mark.{MARKER} takes keyword arguments only"
            assert set(mark.kwargs) <= set(OPTIONS), mark.kwargs
            return dict(mark.kwargs)
    return {}


def _run_test(func: Callable[..., Any], options: dict[str, Any], instance: Any = None) -> None:
    """Call one test with its fixtures, as pytest with this package's plugin would."""
    parameters = [name for name in inspect.signature(func).parameters if name != "self"]
    unknown = set(parameters) - {"cognito_sync", "cognito_sync_server"}
    assert not unknown, f"{func.__qualname__} asks for fixtures the docs test does not provide: {sorted(unknown)}"
    with contextlib.ExitStack() as fixtures:
        values: dict[str, Any] = {}
        if "cognito_sync" in parameters:
            values["cognito_sync"] = fixtures.enter_context(cognito_sync_mock.mock_cognito_sync(**options))
        if "cognito_sync_server" in parameters:
            values["cognito_sync_server"] = fixtures.enter_context(CognitoSyncServer(**server_options(options)))
        args = [] if instance is None else [instance]
        result = func(*args, **values)
        if inspect.iscoroutine(result):
            asyncio.run(result)


def _call_hook(holder: Any, name: str, arg: Any) -> None:
    """Call a class's xunit-style hook, if it has one, as pytest does: with ``arg`` if it takes one."""
    hook = getattr(holder, name, None)
    if hook is None:
        return
    if hook.__code__.co_argcount - inspect.ismethod(hook):
        hook(arg)
    else:
        hook()


def run_tests(namespace: dict[str, Any]) -> list[str]:
    """Run every test the block defined; the names of those run."""
    ran: list[str] = []
    module_marks = namespace.get("pytestmark")
    for name, value in list(namespace.items()):
        if getattr(value, "__module__", None) != namespace["__name__"]:
            continue  # imported, not defined by the block
        if isinstance(value, type) and issubclass(value, unittest.TestCase):
            result = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(value).run(result)
            problems = [text for _, text in result.errors + result.failures]
            assert not problems and result.testsRun > 0, "\n".join(problems)
            ran.append(f"{name} ({result.testsRun} unittest tests)")
        elif isinstance(value, type) and name.startswith("Test"):
            _call_hook(value, "setup_class", value)
            try:
                for method_name, method in vars(value).items():
                    if method_name.startswith("test") and callable(method):
                        instance = value()
                        _call_hook(instance, "setup_method", method)
                        try:
                            _run_test(method, _marker_options(method, value, module_marks), instance=instance)
                        finally:
                            _call_hook(instance, "teardown_method", method)
                        ran.append(f"{name}.{method_name}")
            finally:
                _call_hook(value, "teardown_class", value)
        elif inspect.isfunction(value) and name.startswith("test"):
            _run_test(value, _marker_options(value, module_marks))
            ran.append(name)
    return ran


def compile_block(block: Block) -> Any:
    """The block's code with pytest's assertion messages; tracebacks name the page's own lines."""
    filename = str(ROOT / block.page)
    tree = ast.parse(block.source, filename)
    rewrite_asserts(tree, block.source.encode())
    ast.increment_lineno(tree, block.line)  # line 1 of the block is the line after the fence
    return compile(tree, filename, "exec")


def _servers_running() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("cognito-sync-mock-server")]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.id for block in PYTHON_BLOCKS])
def test_sample(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert mock_module._open == [] and mock_module._shared is None, "the mock was on before the sample"
    servers_before = _servers_running()
    namespace: dict[str, Any] = {"__name__": "docs_sample", "__file__": str(tmp_path / "sample.py")}
    try:
        exec(compile_block(block), namespace)
        ran = run_tests(namespace)
        left_open = list(mock_module._open)
        left_servers = [s for s in _servers_running() if s not in servers_before]
    finally:
        _clean_up(namespace)
    defines_tests = re.search(r"^\s*(async\s+)?def test|^class Test", block.source, re.MULTILINE) is not None
    assert bool(ran) == defines_tests, ran
    assert left_open == [], f"{block.id} left the mock on: stop every start()"
    assert left_servers == [], f"{block.id} left a server running: {left_servers}"
    assert mock_module._shared is None


def _clean_up(namespace: dict[str, Any]) -> None:
    """Stop what a failed sample left running, so that one failure does not spread."""
    for value in namespace.values():
        if isinstance(value, cognito_sync_mock.mock_cognito_sync):
            while value.active:
                value.stop()
        elif isinstance(value, CognitoSyncServer) and value.running:
            value.stop()
