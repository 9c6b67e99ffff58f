"""The table of per-operation facts agrees with the service model wherever the model says.

The domain owns the table and cannot read the model: here the model is read, and each
fact it states (the operations, which credentials its documentation says may call them,
which of them list ResourceNotFoundException, which take MaxResults) must be the table's.
"""

from __future__ import annotations

import re

import pytest

from cognito_sync_mock import Backend, protocol
from cognito_sync_mock.backend.operations import OPERATIONS, READS
from cognito_sync_mock.names import snake

MODEL = protocol.service().model
NAMES = sorted(MODEL.operation_names)


def documented_callers(name: str) -> str:
    """Whose credentials the model's documentation of the operation says may call it."""
    text = re.sub(r"<[^>]+>", " ", MODEL.operation_model(name).documentation)
    if re.search(r"can only be called with developer credentials", text):
        return "developer"
    if re.search(r"can only be called with temporary (user )?credentials provided by Cognito Identity", text):
        return "identity"
    assert re.search(r"can be called with temporary user credentials .* or with developer credentials", text), name
    return "any"


def test_the_table_has_the_operations_of_the_model_and_the_backend_a_method_each() -> None:
    assert sorted(OPERATIONS) == NAMES
    assert all(callable(getattr(Backend, snake(name), None)) for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_callers_are_those_the_model_documents(name: str) -> None:
    assert OPERATIONS[name].callers == documented_callers(name)


@pytest.mark.parametrize("name", NAMES)
def test_not_found_is_where_the_model_lists_it(name: str) -> None:
    errors = {shape.name for shape in MODEL.operation_model(name).error_shapes}
    assert OPERATIONS[name].not_found == ("ResourceNotFoundException" in errors)


@pytest.mark.parametrize("name", NAMES)
def test_the_listings_are_the_operations_that_take_max_results(name: str) -> None:
    shape = MODEL.operation_model(name).input_shape
    assert (OPERATIONS[name].page is not None) == ("MaxResults" in (shape.members if shape else {}))


def test_only_update_records_runs_the_trigger_and_reads_are_no_writes() -> None:
    assert [name for name in NAMES if OPERATIONS[name].trigger] == ["UpdateRecords"]
    assert "ListRecords" not in READS  # it counts a sync session
    assert READS == {name for name in NAMES if not OPERATIONS[name].writes}
