"""Sync triggers in server mode: ``serve --trigger``, ``--lambda-endpoint`` and ``/_mock/triggers``.

A Python function runs through ``--trigger`` from a module in the server's current
directory; a real Lambda-style Node handler (the logic of AWS's cognito-sync-trigger
blueprint, ``tests/js/sync_trigger_blueprint.js``) runs behind a small Lambda Invoke API
in plain Node (``tests/js/lambda_invoke_runner.js``). Everything goes through boto3, as
an app's own calls would; what the Invoke API answers that no Node function can (a 429,
a timeout, text) comes from a stub in Python.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from helpers import (
    DATASET,
    IDENTITY,
    NO_RETRIES,
    POOL,
    closed_port,
    control,
    list_all,
    make_client,
    raises_error,
    replace,
    set_trigger,
    write,
)
from install_support import require
from server_support import post, request

import cognito_sync_mock.channels.lambda_invoke as lambda_invoke
from cognito_sync_mock import CognitoSyncServer
from cognito_sync_mock.cli import main as cli_main
from cognito_sync_mock.cli import parse as cli_parse

JS = Path(__file__).parent / "js"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"
BLUEPRINT, THROWS, TAMPERS = FUNCTION + "blueprint", FUNCTION + "throws", FUNCTION + "tampers"
INVALID_OUTPUT = "InvalidLambdaFunctionOutputException"
SOCKET_TIMEOUT = "LambdaSocketTimeoutException"


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    assert line.startswith("http://127.0.0.1:"), f"no URL first: {line!r}, {process.communicate()[1]}"
    return line


@pytest.fixture(scope="module")
def runner() -> Iterator[str]:
    """The URL of a Lambda Invoke API in Node running the blueprint and two failing functions."""
    node = require("node", "the Lambda Invoke API runner of the sync trigger tests")
    handlers = JS / "sync_trigger_blueprint.js"
    functions = [
        f"{name}={handlers}:{export}"
        for name, export in [("blueprint", "handler"), *[(n, n) for n in ("throws", "tampers")]]
    ]
    process = subprocess.Popen(
        [node, str(JS / "lambda_invoke_runner.js"), *functions],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield _first_line(process)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def invocations(runner_url: str) -> list[dict[str, Any]]:
    """What the runner was sent, in order: path, headers (lower-case names) and body of each invocation."""
    with urllib.request.urlopen(f"{runner_url}/invocations", timeout=10) as answer:
        sent: list[dict[str, Any]] = json.load(answer)
        return sent


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Start ``cognito-sync-mock serve --port 0 ARGS`` in ``tmp_path``; the URL it prints. Stopped after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        argv = [sys.executable, "-m", "cognito_sync_mock", "serve", "--port", "0", *args]
        environ = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        environ.pop("PYTHONPATH", None)  # only the current directory makes the trigger module importable
        process = subprocess.Popen(
            argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ
        )
        started.append(process)
        return _first_line(process)

    yield start
    for process in started:
        process.terminate()
        process.communicate(timeout=30)


def identity_client(url: str, identity: str = IDENTITY) -> Any:
    """A cognito-sync client signed with Cognito Identity credentials the server minted for the identity."""
    status, keys = control(url, "POST", "identity-credentials", {"pool_id": POOL, "identity_id": identity})
    assert status == 200
    return boto3.client(
        "cognito-sync",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        config=NO_RETRIES,
    )


def values(client: Any) -> dict[str, str | None]:
    """Key -> value of every record the dataset holds (None for a tombstone)."""
    return {record["Key"]: record.get("Value") for record in list_all(client)["Records"]}


# -- --trigger: a Python function -------------------------------------------------------

SHOUT = """
def handler(event, context):
    for record in event["datasetRecords"].values():
        if record["op"] == "replace":
            record["newValue"] = record["newValue"].upper()
    event["datasetRecords"]["handledBy"] = {"newValue": context.function_name, "op": "replace"}
    return event
"""


def test_serve_trigger_runs_a_python_function_of_the_current_directory(tmp_path: Path, serve: Any) -> None:
    (tmp_path / "shout.py").write_text(SHOUT)
    arn = FUNCTION + "shout"
    url = serve("--trigger", f"{arn}=shout:handler")
    set_trigger(make_client(endpoint_url=url), arn)
    client = identity_client(url)
    answer = write(client, {"name": "ada", "level": "3"})
    assert {r["Key"]: (r["Value"], r["SyncCount"]) for r in answer["Records"]} == {
        "name": ("ADA", 1),
        "level": ("3", 1),
        "handledBy": ("shout", 1),
    }
    assert values(client) == {"name": "ADA", "level": "3", "handledBy": "shout"}
    assert control(url, "GET", "triggers") == (
        200,
        {"triggers": [{"function_arn": arn, "handler": "shout:handler"}], "lambda_endpoint": None},
    )


def test_the_trigger_variable_takes_a_comma_separated_list() -> None:
    environ = {
        "COGNITO_SYNC_MOCK_TRIGGER": f"{BLUEPRINT}=a:f, {THROWS}=b:g",
        "COGNITO_SYNC_MOCK_LAMBDA_ENDPOINT": "http://x:1",
    }
    args = cli_parse(["serve"], environ)
    assert (args.trigger, args.lambda_endpoint) == ([f"{BLUEPRINT}=a:f", f"{THROWS}=b:g"], "http://x:1")
    given = cli_parse(["serve", "--trigger", "x=m:f", "--trigger", "y=m:g", "--lambda-endpoint", "http://y:2"], environ)
    assert (given.trigger, given.lambda_endpoint) == (["x=m:f", "y=m:g"], "http://y:2")
    defaults = cli_parse(["serve"], {})
    assert (list(defaults.trigger), defaults.lambda_endpoint) == ([], None)


MODULES = {
    "plain_value": "VALUE = 5\n",
    "broken_on_import": "raise RuntimeError('no database here')\n",
    "needs_a_package": "import no_such_package_of_the_trigger\n",
}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("shout:handler", "expected ARN=module:function"),
        (f"{BLUEPRINT}=shout", "expected ARN=module:function"),
        ("=plain_value:VALUE", "expected ARN=module:function"),
        (f"{BLUEPRINT}=:handler", "expected ARN=module:function"),
        (
            f"{BLUEPRINT}=no_such_trigger_module:handler",
            "no module named 'no_such_trigger_module' (looked in {cwd} and sys.path)",
        ),
        (f"{BLUEPRINT}=plain_value:handler", "plain_value has no attribute 'handler'"),
        (f"{BLUEPRINT}=plain_value:VALUE", "plain_value:VALUE is not callable"),
        (f"{BLUEPRINT}=broken_on_import:handler", "importing broken_on_import failed: RuntimeError: no database here"),
        (
            f"{BLUEPRINT}=needs_a_package:handler",
            "importing needs_a_package failed: No module named 'no_such_package_of_the_trigger'",
        ),
    ],
)
def test_a_bad_trigger_is_one_line_and_exit_2(
    spec: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, source in MODULES.items():
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert cli_main(["serve", "--port", "0", "--trigger", spec]) == 2
    expected = f"cognito-sync-mock: --trigger {spec!r}: {message.format(cwd=tmp_path)}\n"
    assert capsys.readouterr() == ("", expected)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:9001", "127.0.0.1:9001", "http://", "http://127.0.0.1:99999"])
def test_a_bad_lambda_endpoint_is_one_line_and_exit_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--port", "0", "--lambda-endpoint", url]) == 2
    expected = f"cognito-sync-mock: --lambda-endpoint {url!r} is not an http or https URL with a host\n"
    assert capsys.readouterr() == ("", expected)


def test_the_server_takes_triggers_and_a_lambda_endpoint_as_keywords() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return event

    server = CognitoSyncServer(triggers={BLUEPRINT: handler}, lambda_endpoint="http://127.0.0.1:9001/")
    assert server.state.channels.triggers.registrations() == {
        "triggers": [{"function_arn": BLUEPRINT, "handler": f"{__name__}:{handler.__qualname__}"}],
        "lambda_endpoint": "http://127.0.0.1:9001",
    }
    with pytest.raises(ValueError, match=r"^lambda_endpoint 'file:///x' is not an http or https URL with a host$"):
        CognitoSyncServer(lambda_endpoint="file:///x")
    with pytest.raises(ValueError, match=r"^function_arn must not be empty \(an empty SyncTrigger is no trigger\)$"):
        CognitoSyncServer(triggers={"": handler})
    with pytest.raises(TypeError, match=f"^the handler of {BLUEPRINT} must be callable, not str$"):
        server.register_lambda(BLUEPRINT, "module:function")  # type: ignore[arg-type]


# -- --lambda-endpoint: the blueprint in Node --------------------------------------------


def test_lambda_endpoint_runs_the_blueprint_in_node(runner: str, serve: Any) -> None:
    url = serve("--lambda-endpoint", runner)
    developer = make_client(endpoint_url=url)
    set_trigger(developer, BLUEPRINT)
    before = len(invocations(runner))
    write(developer, {"SampleKey2": "old"})  # developer credentials: AWS runs no trigger
    assert len(invocations(runner)) == before
    client = identity_client(url)
    answer = write(client, [replace("SampleKey1", "from the app"), replace("level", "3")])
    assert {r["Key"]: (r.get("Value"), r["SyncCount"]) for r in answer["Records"]} == {
        "SampleKey1": ("ModifyValue1", 2),
        "SampleKey2": (None, 2),
        "SampleKey3": ("ModifyValue3", 2),
        "level": ("3", 2),
        "invokedBy": ("blueprint", 2),
    }
    assert values(client) == {
        "SampleKey1": "ModifyValue1",
        "SampleKey2": None,
        "SampleKey3": "ModifyValue3",
        "level": "3",
        "invokedBy": "blueprint",
    }
    sent = invocations(runner)[before:]
    assert [(s["path"], s["headers"]["content-type"], s["headers"]["x-amz-invocation-type"]) for s in sent] == [
        ("/2015-03-31/functions/blueprint/invocations", "application/json", "RequestResponse")
    ]
    assert json.loads(sent[0]["body"]) == {
        "version": 2,
        "eventType": "SyncTrigger",
        "region": "us-east-1",
        "identityPoolId": POOL,
        "identityId": IDENTITY,
        "datasetName": DATASET,
        "datasetRecords": {
            "SampleKey2": {"oldValue": "old", "newValue": "old", "op": "unmodified"},
            "SampleKey1": {"oldValue": None, "newValue": "from the app", "op": "replace"},
            "level": {"oldValue": None, "newValue": "3", "op": "replace"},
        },
    }
    assert control(url, "GET", "triggers") == (200, {"triggers": [], "lambda_endpoint": runner})


# -- /_mock/triggers: registered at run time --------------------------------------------


def register(server: CognitoSyncServer, arn: str, url: str) -> None:
    answer = post(server, "/_mock/triggers", json.dumps({"function_arn": arn, "url": url}).encode())
    assert (answer.status, answer.json) == (200, {"registered": True})


def assert_unchanged(server: CognitoSyncServer) -> None:
    """Nothing of a failed write was stored: the dataset holds only the record written before."""
    assert values(server.identity_client(POOL, IDENTITY)) == {"kept": "1"}


@pytest.fixture
def triggered(cognito_sync_server: CognitoSyncServer) -> CognitoSyncServer:
    """A server whose dataset holds kept=1, written by a developer before any trigger was set."""
    write(make_client(endpoint_url=cognito_sync_server.url), {"kept": "1"})
    return cognito_sync_server


def identity_write(server: CognitoSyncServer, arn: str) -> dict[str, Any]:
    set_trigger(make_client(endpoint_url=server.url), arn)
    return write(server.identity_client(POOL, IDENTITY, config=NO_RETRIES), [replace("SampleKey1", "x")])


def test_a_registered_url_runs_its_arn_and_the_lambda_endpoint_every_other(runner: str) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    with CognitoSyncServer(lambda_endpoint=down) as server:
        write(make_client(endpoint_url=server.url), {"kept": "1"})
        register(server, BLUEPRINT, runner + "/")
        listed = request(server, "GET", "/_mock/triggers").json
        assert listed == {"triggers": [{"function_arn": BLUEPRINT, "url": runner}], "lambda_endpoint": down}
        written = identity_write(server, BLUEPRINT)["Records"]
        assert {r["Key"]: r["Value"] for r in written} == {
            "SampleKey1": "ModifyValue1",
            "SampleKey3": "ModifyValue3",
            "invokedBy": "blueprint",
        }
        assert post(server, "/_mock/reset").status == 200
        assert request(server, "GET", "/_mock/triggers").json == listed  # configuration, not state
        write(make_client(endpoint_url=server.url), {"kept": "1"})
        other = FUNCTION + "elsewhere"
        message = (
            f"Lambda function {other} did not respond: the Lambda Invoke API at {down} cannot be reached: "
            "[Errno 111] Connection refused"
        )
        with raises_error(SOCKET_TIMEOUT, 400, message):
            identity_write(server, other)
        assert_unchanged(server)


def test_a_function_that_throws_is_invalid_output_and_stores_nothing(triggered: CognitoSyncServer, runner: str) -> None:
    register(triggered, THROWS, runner)
    with raises_error(INVALID_OUTPUT, 400, f"Lambda function {THROWS} failed: TypeError: the dataset is locked"):
        identity_write(triggered, THROWS)
    assert_unchanged(triggered)


def test_a_function_that_changes_a_read_only_field_is_invalid_output(triggered: CognitoSyncServer, runner: str) -> None:
    register(triggered, TAMPERS, runner)
    message = "The SyncTrigger function returned an invalid output: the read-only field identityId was changed"
    with raises_error(INVALID_OUTPUT, 400, message):
        identity_write(triggered, TAMPERS)
    assert_unchanged(triggered)


def test_a_function_the_runner_does_not_have_is_invalid_output(triggered: CognitoSyncServer, runner: str) -> None:
    nobody = FUNCTION + "nobody"
    register(triggered, nobody, runner)
    message = (
        f"Lambda function {nobody} could not be invoked: the Lambda Invoke API at {runner} answered 404 "
        f"ResourceNotFoundException: Function not found: {nobody}"
    )
    with raises_error(INVALID_OUTPUT, 400, message):
        identity_write(triggered, nobody)
    assert_unchanged(triggered)


def test_a_runner_that_is_down_is_lambda_socket_timeout(triggered: CognitoSyncServer) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    register(triggered, BLUEPRINT, down)
    message = (
        f"Lambda function {BLUEPRINT} did not respond: the Lambda Invoke API at {down} cannot be reached: "
        "[Errno 111] Connection refused"
    )
    with raises_error(SOCKET_TIMEOUT, 400, message):
        identity_write(triggered, BLUEPRINT)
    assert_unchanged(triggered)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"url": "http://127.0.0.1:9001"}, "missing member 'function_arn'"),
        ({"function_arn": BLUEPRINT}, "missing member 'url'"),
        ({"function_arn": BLUEPRINT, "url": 9001}, "url must be a string"),
        (
            {"function_arn": "", "url": "http://127.0.0.1:9001"},
            "function_arn must not be empty (an empty SyncTrigger is no trigger)",
        ),
        (
            {"function_arn": BLUEPRINT, "url": "ftp://127.0.0.1:9001"},
            "url 'ftp://127.0.0.1:9001' is not an http or https URL with a host",
        ),
        (
            {"function_arn": BLUEPRINT, "url": "file:///etc/passwd"},
            "url 'file:///etc/passwd' is not an http or https URL with a host",
        ),
        (
            {"function_arn": BLUEPRINT, "url": "http://127.0.0.1:9001/?x=1"},
            "url 'http://127.0.0.1:9001/?x=1' has a query or a fragment; the Invoke API path is appended to it",
        ),
    ],
)
def test_a_bad_registration_is_400_and_registers_nothing(
    cognito_sync_server: CognitoSyncServer, document: dict[str, Any], message: str
) -> None:
    answer = post(cognito_sync_server, "/_mock/triggers", json.dumps(document).encode())
    assert answer.error == (400, "InvalidParameterException", f"/_mock/triggers: {message}")
    assert request(cognito_sync_server, "GET", "/_mock/triggers").json == {"triggers": [], "lambda_endpoint": None}


# -- what only a stub Invoke API answers -------------------------------------------------


class Stub(http.server.ThreadingHTTPServer):
    """An Invoke API on a free port that answers every invocation with ``reply``, after ``delay`` seconds."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, status: int, body: bytes, headers: dict[str, str], delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.reply, self.delay = (status, body, headers), delay

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _StubHandler(http.server.BaseHTTPRequestHandler):
    server: Stub

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.server.delay)
        status, body, headers = self.server.reply
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the mock stopped waiting (the timeout test)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[Any]:
    started: list[Stub] = []

    def start(status: int, body: bytes, headers: dict[str, str] | None = None, delay: float = 0.0) -> str:
        server = Stub(status, body, headers or {"Content-Type": "application/json"}, delay)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server.url

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


THROTTLED = json.dumps({"message": "Rate exceeded"}).encode()


@pytest.mark.parametrize(
    ("reply", "code", "status", "message"),
    [
        (
            (429, THROTTLED, {"x-amzn-ErrorType": "TooManyRequestsException"}),
            "LambdaThrottledException",
            429,
            "Lambda function {arn} was throttled: the Lambda Invoke API at {url} answered 429 TooManyRequestsException",
        ),
        (
            (200, b"Task timed out after 5.00 seconds", {}),
            INVALID_OUTPUT,
            400,
            "Lambda function {arn} returned output that is not JSON: 'Task timed out after 5.00 seconds'",
        ),
        (
            (200, b"Segmentation fault", {"X-Amz-Function-Error": "Unhandled"}),
            INVALID_OUTPUT,
            400,
            "Lambda function {arn} failed: Unhandled: 'Segmentation fault'",
        ),
        (
            (200, b"null", {}),
            INVALID_OUTPUT,
            400,
            "The SyncTrigger function returned an invalid output: it must be the event with its datasetRecords map",
        ),
        (
            (
                500,
                json.dumps({"Type": "Service", "Message": "ServiceException"}).encode(),
                {"x-amzn-ErrorType": "ServiceException"},
            ),
            INVALID_OUTPUT,
            400,
            "Lambda function {arn} could not be invoked: the Lambda Invoke API at {url} answered 500 ServiceException: "
            "ServiceException",
        ),
        (
            (200, b" " * (6 * 1024 * 1024 + 1), {}),
            INVALID_OUTPUT,
            400,
            "Lambda function {arn} returned more than 6 MB",
        ),
    ],
    ids=["throttled", "text", "function-error-in-text", "null", "service-error", "over-6-MB"],
)
def test_what_the_invoke_api_answers_is_the_documented_error(
    triggered: CognitoSyncServer,
    stub: Any,
    reply: tuple[int, bytes, dict[str, str]],
    code: str,
    status: int,
    message: str,
) -> None:
    url = stub(*reply)
    register(triggered, BLUEPRINT, url)
    with raises_error(code, status, message.format(arn=BLUEPRINT, url=url)):
        identity_write(triggered, BLUEPRINT)
    assert_unchanged(triggered)


def test_no_answer_in_time_is_lambda_socket_timeout(
    triggered: CognitoSyncServer, stub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_invoke, "TIMEOUT_SECONDS", 0.2)  # AWS's 5 seconds, shortened for the test
    url = stub(200, b"{}", delay=2.0)
    register(triggered, BLUEPRINT, url)
    message = (
        f"Lambda function {BLUEPRINT} did not respond: the Lambda Invoke API at {url} gave no answer within 0.2 seconds"
    )
    with raises_error(SOCKET_TIMEOUT, 400, message):
        identity_write(triggered, BLUEPRINT)
    assert_unchanged(triggered)


def test_the_in_process_mock_runs_a_function_behind_an_invoke_api(cognito_sync: Any, runner: str) -> None:
    cognito_sync.register_lambda_endpoint(BLUEPRINT, runner)
    set_trigger(make_client(), BLUEPRINT)
    client = cognito_sync.identity_client(POOL, IDENTITY)
    written = write(client, [replace("SampleKey1", "x")])["Records"]
    assert {r["Key"]: r["Value"] for r in written} == {
        "SampleKey1": "ModifyValue1",
        "SampleKey3": "ModifyValue3",
        "invokedBy": "blueprint",
    }
