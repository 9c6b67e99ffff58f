"""The layers stay apart, read from the source with ``ast`` (nothing is imported to check it).

The domain (``backend/``) imports no protocol, presentation, moto or botocore; the
protocol (``protocol/``) never imports the domain; the side channels (``channels/``) know
neither; only ``integrations/moto.py`` knows moto, and only ``server/host.py`` cheroot.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cognito_sync_mock

ROOT = Path(cognito_sync_mock.__file__).parent
PACKAGE = "cognito_sync_mock"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, anywhere in it (functions too), as an absolute name."""
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # each may be a module
    return names


def modules(folder: str = "", root: Path = ROOT) -> list[Path]:
    return sorted((root / folder).rglob("*.py"))


def under(name: str, *prefixes: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def crossings(folder: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return [
        f"{module_name(path, root)} imports {name}"
        for path in modules(folder, root)
        for name in sorted(imported(path, root))
        if under(name, *forbidden) or (folder == "backend" and name.split(".")[-1] == "serialize")
    ]


def test_the_modules_are_found() -> None:
    names = {module_name(path) for path in modules()}
    assert {"cognito_sync_mock.backend.backend", "cognito_sync_mock.protocol.rest_json"} <= names
    assert "cognito_sync_mock.exceptions" in imported(ROOT / "backend" / "backend.py")


EDGE_MODULES = ("api", "cli", "display", "interception", "mock", "pytest_plugin")
EDGES = tuple(f"{PACKAGE}.{name}" for name in (*EDGE_MODULES, "rules", "server", "snapshot", "state", "views"))


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("backend", (f"{PACKAGE}.protocol", f"{PACKAGE}.integrations", "moto", "botocore", *EDGES)),
        ("protocol", (f"{PACKAGE}.backend", f"{PACKAGE}.channels", f"{PACKAGE}.integrations", "moto", *EDGES)),
        ("channels", (f"{PACKAGE}.backend", f"{PACKAGE}.protocol", f"{PACKAGE}.integrations", "moto", *EDGES)),
    ],
)
def test_a_layer_imports_nothing_above_or_beside_it(folder: str, forbidden: tuple[str, ...]) -> None:
    assert crossings(folder, forbidden) == []


def test_only_the_moto_integration_imports_moto() -> None:
    importers = [module_name(path) for path in modules() if any(under(name, "moto") for name in imported(path))]
    assert importers == [f"{PACKAGE}.integrations.moto"]


def test_only_the_server_host_imports_cheroot_and_nothing_imports_http_server() -> None:
    """HTTP belongs to the WSGI server library: the app is plain WSGI, cheroot is known in one module."""
    importers = [module_name(path) for path in modules() if any(under(name, "cheroot") for name in imported(path))]
    assert importers == [f"{PACKAGE}.server.host"]
    assert [module_name(path) for path in modules() if "http.server" in imported(path)] == []


def test_a_crossing_is_seen(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    source = "from ..protocol import serialize\nfrom . import models\n\ndef f():\n    import botocore.model\n"
    (tmp_path / "backend" / "probe.py").write_text(source, encoding="utf-8")
    found = crossings("backend", (f"{PACKAGE}.protocol", "botocore"), tmp_path)
    assert found == [
        f"{PACKAGE}.backend.probe imports botocore.model",
        f"{PACKAGE}.backend.probe imports {PACKAGE}.protocol",
        f"{PACKAGE}.backend.probe imports {PACKAGE}.protocol.serialize",
    ]
    assert f"{PACKAGE}.backend.models" in imported(tmp_path / "backend" / "probe.py", tmp_path)
