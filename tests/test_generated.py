"""The code generated per shape (validators, JSON writers): built once, safely, and debuggable.

The race test empties the per-shape tables, so that every thread's first calls find
nothing made, releases the threads together and checks that no answer is a failure of
the mock's own (InternalErrorException, a NameError from a half-built function). It
repeats that over fresh rounds, with a short thread switch interval, so that the race, if
there were one, would show.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import traceback
from collections.abc import Iterator
from typing import Any, Callable

import botocore
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import Shape, ShapeResolver
from helpers import POOL, ids, make_client, replace, run_threads

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync
from cognito_sync_mock.protocol.serialize import writer
from cognito_sync_mock.protocol.shapes import PerShape
from cognito_sync_mock.protocol.validation import checker, validate

THREADS = 6
ROUNDS = 25
JOIN_SECONDS = 60.0


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads switch every microsecond, so a window between two statements gets hit."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def empty_tables() -> None:
    checker.made.clear()
    writer.made.clear()


def first_calls(client: Any, index: int) -> list[tuple[str, str]]:
    """A new user's first calls: (operation, "ok" or the error code) of each."""
    identity = f"us-east-1:00000000-0000-4000-8000-{index:012d}"
    answers: list[tuple[str, str]] = []

    def call(operation: str, method: str, **kwargs: Any) -> Any:
        try:
            answer = getattr(client, method)(**kwargs)
        except ClientError as error:
            answers.append((operation, str(error.response["Error"]["Code"])))
            return None
        answers.append((operation, "ok"))
        return answer

    listed = call("ListRecords", "list_records", **ids(identity=identity))
    token = listed["SyncSessionToken"] if listed else "no-token"
    patches = [replace("score", "10"), replace("level", "3")]
    call("UpdateRecords", "update_records", **ids(identity=identity), SyncSessionToken=token, RecordPatches=patches)
    call("DescribeDataset", "describe_dataset", **ids(identity=identity, dataset="missing"))
    call("ListDatasets", "list_datasets", **ids(identity=identity, dataset=None), MaxResults=5)
    call("DescribeIdentityUsage", "describe_identity_usage", IdentityPoolId=POOL, IdentityId=identity)
    return answers


def unmodeled(client: Any, answers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The answers that are neither a success nor an error the operation's model lists."""
    model = client.meta.service_model
    bad = []
    for operation, code in answers:
        modeled = {shape.name for shape in model.operation_model(operation).error_shapes}
        if code != "ok" and (code not in modeled or code == "InternalErrorException"):
            bad.append((operation, code))
    return bad


def hammer(clients: list[Any]) -> list[tuple[str, str]]:
    """Every client makes its first calls, all released together; the unmodeled answers."""
    answers: list[list[tuple[str, str]]] = [[] for _ in clients]

    def work(index: int) -> None:
        answers[index] = first_calls(clients[index], index)

    raised = run_threads([functools.partial(work, i) for i in range(len(clients))], JOIN_SECONDS)
    assert all(len(a) == 5 for a in answers), f"a thread failed outside its calls: {raised}"
    return [bad for client, a in zip(clients, answers) for bad in unmodeled(client, a)]


def test_first_calls_from_many_threads_on_fresh_tables_never_fail_in_the_mock(fast_switching: None) -> None:
    in_process = [make_client(signature_version=botocore.UNSIGNED) for _ in range(THREADS)]
    failures: list[tuple[int, str, str, str]] = []
    for round_ in range(ROUNDS):
        with CognitoSyncServer() as server:
            url = server.url
            over_http = [make_client(endpoint_url=url, signature_version=botocore.UNSIGNED) for _ in range(THREADS)]
            empty_tables()
            failures += [(round_, "http-server", *bad) for bad in hammer(over_http)]
        with mock_cognito_sync():
            empty_tables()
            failures += [(round_, "in-process", *bad) for bad in hammer(in_process)]
    assert failures == []


# -- a shape that contains itself (none in this model does; the tables must still cope) --


def node_shape() -> Shape:
    """A tree node: its children are nodes, and so is its next sibling."""
    shapes: dict[str, Any] = {
        "Node": {
            "type": "structure",
            "required": ["Name"],
            "members": {"Name": {"shape": "Name"}, "Children": {"shape": "Nodes"}, "Next": {"shape": "Node"}},
        },
        "Nodes": {"type": "list", "member": {"shape": "Node"}},
        "Name": {"type": "string", "min": 1},
    }
    return ShapeResolver(shapes).get_shape_by_name("Node")


def test_a_shape_containing_itself_is_validated_and_written_at_every_depth() -> None:
    node = node_shape()
    value = {"Name": "a", "Children": [{"Name": "b", "Next": {"Name": ""}}], "Next": {"Next": {"Name": "d"}}}
    errors: list[str] = []
    validate(node, json.loads(json.dumps(value)), errors)
    assert errors == [
        "Value '' at 'children.1.member.next.name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value null at 'next.name' failed to satisfy constraint: Member must not be null",
    ]
    assert json.loads(writer(node)(value)) == value


def test_what_one_make_builds_is_published_only_once_all_of_it_is_complete() -> None:
    seen_while_making: list[list[str]] = []

    def make(shape: Shape) -> Callable[[], str]:
        def function() -> str:
            return shape.name

        if shape.type_name == "structure":
            table.begun(shape, function)
            for member in shape.members.values():  # type: ignore[attr-defined]
                table(member)
                seen_while_making.append([s.name for s in table.made])
        elif shape.type_name == "list":
            table(shape.member)  # type: ignore[attr-defined]
        return function

    table: PerShape[Callable[[], str]] = PerShape(make)
    node = node_shape()
    assert table(node)() == "Node"
    assert seen_while_making == [[], [], []]  # Name, Children, Next: none published yet
    assert {s.name for s in table.made} == {"Name", "Node", "Nodes"}
    assert table(node) is table(node.members["Next"])  # type: ignore[attr-defined]


# -- the generated code reads like code in tracebacks and in inspect ---------------------


def model_shape(operation: str, which: str) -> Shape:
    model = botocore.session.get_session().get_service_model("cognito-sync")
    shape: Shape = getattr(model.operation_model(operation), which)
    return shape


def test_a_traceback_through_a_generated_writer_names_the_shape_and_shows_the_line() -> None:
    record = {"Key": "k", "Value": "v", "SyncCount": 1, "LastModifiedDate": "yesterday"}  # not a datetime
    with pytest.raises(TypeError) as info:
        writer(model_shape("ListRecords", "output_shape"))({"Records": [record], "Count": 1})
    filename = "<cognito_sync_mock generated: write Record>"
    frames = [frame for frame in traceback.extract_tb(info.tb) if frame.filename == filename]
    assert len(frames) == 1
    assert frames[0].name == "write_dict"
    assert frames[0].line is not None and frames[0].line.startswith("parts.append('\"LastModifiedDate\":' + ")
    printed = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert f'File "{filename}", line {frames[0].lineno}, in write_dict\n    {frames[0].line}\n' in printed


def test_a_generated_validator_has_its_source_and_file_name() -> None:
    check = checker(model_shape("UpdateRecords", "input_shape"))
    assert inspect.getsourcefile(check) == "<cognito_sync_mock generated: validate UpdateRecordsRequest>"
    source = inspect.getsource(check)
    assert source.startswith("def check(value, parent, name, errors):\n")
    assert "get('RecordPatches')" in source
