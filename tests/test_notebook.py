"""examples/tour.ipynb runs top to bottom in a real Jupyter kernel, and shows HTML tables.

The kernel is this interpreter (a kernel spec made for the test, so a ``python3`` kernel
installed elsewhere on the machine is never picked up), started in examples/.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOK = EXAMPLES / "tour.ipynb"
POOL = "us-east-1:7e2a1c3b-0000-4000-8000-000000000001"
PLAYER = "us-east-1:5b9d2e10-0000-4000-8000-00000000beef"


class Table:
    """One HTML table of the package's display: caption, header and rows of cell texts."""

    def __init__(self, markup: str) -> None:
        assert markup.startswith('<table class="cognito-sync-mock">'), markup[:80]
        caption = re.search(r"<caption>(.*?)</caption>", markup)
        assert caption is not None, markup[:80]
        self.caption = html.unescape(caption[1])
        rows = [
            [html.unescape(cell) for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", markup)
        ]
        self.header, self.rows = rows[0], rows[1:]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run the notebook; each code cell's source -> its result's data by MIME type."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / "cognito-sync-mock-tour"
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "tour", "language": "python"}))
    kernel = KernelManager(
        kernel_name="cognito-sync-mock-tour", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, km=kernel, timeout=60, resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    results: dict[str, dict[str, Any]] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert [o.output_type for o in cell.outputs if o.output_type == "error"] == []
        shown = [o for o in cell.outputs if o.output_type == "execute_result"]
        results[cell.source] = dict(shown[-1].data) if shown else {}
    return results


def cut(text: str) -> str:
    """A value as a table cell shows it: at most 80 characters, a longer one cut with an ellipsis."""
    return text if len(text) <= 80 else text[:79] + "…"


def html_table(outputs: dict[str, dict[str, Any]], source: str) -> Table:
    return Table(outputs[source]["text/html"])


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_mock_shows_its_accounts_and_regions(outputs: dict[str, dict[str, Any]]) -> None:
    started = next(data for source, data in outputs.items() if source.endswith("mock.start()"))
    assert Table(started["text/html"]).caption == "mock_cognito_sync: 0 calls answered"
    table = html_table(outputs, "mock")
    assert table.caption == "mock_cognito_sync: 7 calls answered"
    assert table.header == ["account", "region", "pools", "identities", "datasets", "records"]
    assert table.rows == [["123456789012", "us-east-1", "1", "1", "1", "2"]]
    assert outputs["mock"]["text/plain"].splitlines()[0] == "mock_cognito_sync: 7 calls answered"


def test_the_backend_shows_its_datasets(outputs: dict[str, dict[str, Any]]) -> None:
    table = html_table(outputs, "mock.backend()")
    assert table.caption == "backend 123456789012 us-east-1"
    assert table.header == ["pool", "identity", "dataset", "sync count", "records", "bytes", "exists"]
    assert table.rows == [[POOL, PLAYER, "game", "2", "2", "13", "True"]]


def test_a_dataset_shows_its_records(outputs: dict[str, dict[str, Any]]) -> None:
    table = html_table(outputs, 'mock.backend().dataset(POOL, PLAYER, "game")')
    assert table.caption == f"dataset game of {PLAYER}: sync count 2"
    assert table.header == ["key", "value", "sync count", "last modified", "by"]
    assert [row[:3] for row in table.rows] == [["name", "ada", "1"], ["level", "4", "2"]]
    assert table.column("by") == ["123456789012", "123456789012"]  # written with developer credentials


def test_the_calls_show_in_order(outputs: dict[str, dict[str, Any]]) -> None:
    table = html_table(outputs, "mock.calls")
    assert table.caption == "calls (7)"
    assert table.column("operation") == [
        "SetIdentityPoolConfiguration",
        "ListRecords",
        "UpdateRecords",
        "RegisterDevice",
        "SubscribeToDataset",
        "ListRecords",
        "UpdateRecords",
    ]
    assert table.column("status") == ["200"] * 7
    assert table.column("error") == ["—"] * 7
    assert table.column("caller") == ["developer"] * 7
    register = f"IdentityPoolId='{POOL}', IdentityId='{PLAYER}', Platform='GCM', Token='phone-token'"
    assert table.column("params")[3] == cut(register)


def test_stream_records_and_push_notifications_show_as_tables(outputs: dict[str, dict[str, Any]]) -> None:
    streams = html_table(outputs, 'mock.stream_records("game-saves")')
    assert streams.caption == "stream records (2)"
    assert streams.rows == [
        [PLAYER, "game", "replace", "1", "level='3', name='ada'"],
        [PLAYER, "game", "replace", "2", "level='4'"],
    ]
    pushes = html_table(outputs, "mock.push_notifications")
    assert pushes.caption == "push notifications (1)"
    assert pushes.header == ["platform", "device_id", "token", "payload"]
    [(platform, device_id, token, payload)] = pushes.rows
    assert (platform, token) == ("GCM", "phone-token")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", device_id)
    sent = {
        "source": "cognito-sync",
        "identityPoolId": POOL,
        "identityId": PLAYER,
        "datasetName": "game",
        "syncCount": 2,
    }
    assert payload == cut(str(sent))


def test_the_mock_is_stopped_at_the_end_and_keeps_its_state(outputs: dict[str, dict[str, Any]]) -> None:
    last = list(outputs)[-1]
    assert last.startswith("mock.stop()")
    assert outputs[last]["text/plain"] == "(False, 7)"
