"""The command line: ``cognito-sync-mock serve``, its options and their environment variables, what it prints."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.exceptions import EndpointConnectionError
from helpers import DATASET, IDENTITY, POOL, control, ids, make_client, raises_error, stored, write
from server_support import address

import cognito_sync_mock.server as server_package
from cognito_sync_mock import CognitoSyncServer, __version__
from cognito_sync_mock.cli import main as cli_main
from cognito_sync_mock.cli import parse as cli_parse

URL_LINE = re.compile(r"^http://127\.0\.0\.1:(\d+)$")


def _first_line(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the server printed nothing within 30 s"
    return process.stdout.readline().rstrip("\n")


def _console_script() -> str:
    script = Path(sys.executable).with_name("cognito-sync-mock")
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    return str(script)


@pytest.mark.parametrize(
    ("command", "stop_signal"),
    [
        pytest.param([sys.executable, "-m", "cognito_sync_mock"], signal.SIGTERM, id="python-m-SIGTERM"),
        pytest.param([], signal.SIGINT, id="console-script-Ctrl-C"),
    ],
)
def test_serve_prints_its_url_first_answers_and_stops_on_a_signal(
    command: list[str], stop_signal: signal.Signals, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"us-east-1": {POOL: {IDENTITY: {"saved": {"coins": "7"}}}}}))
    argv = (command or [_console_script()]) + ["serve", "--port", "0", "--seed", str(seed)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = _first_line(process)
        match = URL_LINE.match(line)
        assert match, f"first line is not the URL: {line!r}"
        client = make_client(endpoint_url=line)
        written = write(client, {"level": "3"})
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in written["Records"]] == [("level", "3", 1)]
        assert client.describe_dataset(**ids())["Dataset"]["NumRecords"] == 1
        seeded = client.list_records(**ids(dataset="saved"))["Records"]
        assert [(r["Key"], r["Value"], r["SyncCount"]) for r in seeded] == [("coins", "7", 1)]
        started = time.monotonic()
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 3.0
        assert process.stderr is not None
        assert process.stderr.read() == (
            f"cognito-sync-mock: listening on {line} (dashboard at {line}/; stop with Ctrl-C)\n"
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    with pytest.raises(EndpointConnectionError):
        client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)


def test_serve_reports_a_busy_port_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with CognitoSyncServer() as server:
        port = address(server)[1]
        assert cli_main(["serve", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"cognito-sync-mock: cannot listen on 127.0.0.1:{port}: ")


def test_serve_rejects_an_unknown_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--port", "0", "--limit", "records=5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cognito-sync-mock: unknown limit(s) ['records']; known: ")


def test_serve_refuses_a_bad_seed_and_a_state_file_it_cannot_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    assert cli_main(["serve", "--port", "0", "--seed", str(bad)]) == 2
    assert capsys.readouterr().err == "cognito-sync-mock: state: must be an object, not list\n"
    unwritable = tmp_path / "no-such-folder" / "state.db"
    assert cli_main(["serve", "--port", "0", "--state", str(unwritable)]) == 2
    folder = unwritable.parent
    assert (
        capsys.readouterr().err
        == f"cognito-sync-mock: {unwritable} cannot be made: the folder {folder} does not exist\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--port", "70000"], "a port is a number from 0 to 65535, not '70000'"),
        (["serve", "--limit", "records_per_dataset"], "expected NAME=NUMBER, not 'records_per_dataset'"),
        (["serve", "--port", "\u0668\u0660"], "a port is a number from 0 to 65535, not '\u0668\u0660'"),
        (["serve", "--limit", "records_per_dataset=\u0665"], "expected NAME=NUMBER, not 'records_per_dataset=\u0665'"),
        (["serve", "--limit", "records_per_dataset=+5"], "expected NAME=NUMBER, not 'records_per_dataset=+5'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_serve_refuses_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"cognito-sync-mock {__version__}\n"


def test_serve_binds_loopback_by_default() -> None:
    parsed = cli_parse(["serve"], {})
    assert (parsed.host, parsed.port) == ("127.0.0.1", 7734)
    assert CognitoSyncServer().host == "127.0.0.1"


# -- the environment -------------------------------------------------------------------------


def test_every_option_comes_from_its_environment_variable(tmp_path: Path) -> None:
    environ = {
        "COGNITO_SYNC_MOCK_HOST": "::1",
        "COGNITO_SYNC_MOCK_PORT": "0",
        "COGNITO_SYNC_MOCK_ACCOUNT_ID": "111122223333",
        "COGNITO_SYNC_MOCK_STRICT": "true",
        "COGNITO_SYNC_MOCK_STATE": str(tmp_path / "state.db"),
        "COGNITO_SYNC_MOCK_SEED": str(tmp_path / "seed.json"),
        "COGNITO_SYNC_MOCK_CALL_HISTORY": "50",
        "COGNITO_SYNC_MOCK_LIMIT": "records_per_dataset=1, datasets_per_identity=2",
        "COGNITO_SYNC_MOCK_ALLOW_HOST": "cognito-sync,Mock.Internal",
        "COGNITO_SYNC_MOCK_VERBOSE": "1",
    }
    args = cli_parse(["serve"], environ)
    assert (args.host, args.port, args.account_id, args.strict, args.state) == (
        "::1",
        0,
        "111122223333",
        True,
        str(tmp_path / "state.db"),
    )
    assert (args.seed, args.call_history) == (str(tmp_path / "seed.json"), 50)
    assert (args.limit, args.allow_host, args.verbose) == (
        [("records_per_dataset", 1), ("datasets_per_identity", 2)],
        ["cognito-sync", "mock.internal"],
        True,
    )


def test_the_command_line_wins_over_the_environment() -> None:
    environ = {
        "COGNITO_SYNC_MOCK_PORT": "8000",
        "COGNITO_SYNC_MOCK_STRICT": "yes",
        "COGNITO_SYNC_MOCK_VERBOSE": "on",
        "COGNITO_SYNC_MOCK_LIMIT": "records_per_dataset=1",
        "COGNITO_SYNC_MOCK_ALLOW_HOST": "from-the-environment",
    }
    environ["COGNITO_SYNC_MOCK_CALL_HISTORY"] = "5"
    argv = ["serve", "--port", "9000", "--no-strict", "--no-verbose", "--limit", "dataset_bytes=10"]
    args = cli_parse([*argv, "--call-history", "0", "--allow-host", "a", "--allow-host", "b"], environ)
    assert (args.port, args.strict, args.verbose, args.call_history) == (9000, False, False, 0)
    assert (args.limit, args.allow_host) == ([("dataset_bytes", 10)], ["a", "b"])  # not added to the variable's


def test_an_empty_variable_is_unset_and_the_defaults_hold() -> None:
    args = cli_parse(["serve"], {"COGNITO_SYNC_MOCK_PORT": "", "COGNITO_SYNC_MOCK_STRICT": ""})
    assert (args.host, args.port, args.account_id, args.strict, args.state) == ("127.0.0.1", 7734, None, False, None)
    assert (list(args.limit), list(args.allow_host), args.verbose) == ([], [], False)
    assert (args.seed, args.call_history) == (None, 10_000)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "http", "a port is a number from 0 to 65535, not 'http'"),
        ("PORT", "65536", "a port is a number from 0 to 65535, not '65536'"),
        ("STRICT", "maybe", "expected one of 1, true, yes, on, 0, false, no, off, not 'maybe'"),
        ("VERBOSE", "2", "expected one of 1, true, yes, on, 0, false, no, off, not '2'"),
        ("LIMIT", "records_per_dataset", "expected NAME=NUMBER, not 'records_per_dataset'"),
        ("CALL_HISTORY", "1_0", "expected a whole number, not '1_0'"),
        ("CALL_HISTORY", "-1", "expected a whole number, not '-1'"),
        ("ALLOW_HOST", "ok,cognito-sync:7734", "an allowed host is a host name or an address, without a port: "),
    ],
)
def test_a_bad_variable_exits_2_naming_it(
    name: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli_parse(["serve"], {f"COGNITO_SYNC_MOCK_{name}": value})
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cognito-sync-mock: COGNITO_SYNC_MOCK_{name}={value!r}: {message}"), err


def test_a_bad_variable_is_ignored_when_the_command_line_gives_the_option() -> None:
    assert cli_parse(["serve", "--port", "1"], {"COGNITO_SYNC_MOCK_PORT": "http"}).port == 1


def test_a_bad_allow_host_option_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["serve", "--allow-host", "http://x"])
    assert info.value.code == 2
    assert "an allowed host is a host name or an address, without a port: not 'http://x'" in capsys.readouterr().err


class Served:
    """``cognito-sync-mock serve`` in its own process, with an environment; its URL, then what it printed."""

    def __init__(self, argv: list[str], environ: dict[str, str]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **environ}
        command = [sys.executable, "-m", "cognito_sync_mock", "serve", *argv]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.url = _first_line(self.process)

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit status and everything printed on standard error."""
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err


def test_a_server_configured_by_its_environment_only(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    environ = {
        "COGNITO_SYNC_MOCK_PORT": "0",
        "COGNITO_SYNC_MOCK_ACCOUNT_ID": "111122223333",
        "COGNITO_SYNC_MOCK_STRICT": "1",
        "COGNITO_SYNC_MOCK_STATE": str(state),
        "COGNITO_SYNC_MOCK_LIMIT": "records_per_dataset=1",
        "COGNITO_SYNC_MOCK_ALLOW_HOST": "cognito-sync",
        "COGNITO_SYNC_MOCK_CALL_HISTORY": "2",
    }
    served = Served([], environ)
    try:
        assert URL_LINE.match(served.url)
        client = make_client(endpoint_url=served.url)
        with raises_error("ResourceNotFoundException", 404):  # strict: an identity nobody registered
            client.describe_identity_usage(IdentityPoolId=POOL, IdentityId=IDENTITY)
        host, port = served.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        body = json.dumps({"pool_id": POOL, "identity_id": IDENTITY}).encode()
        connection.request(
            "POST", "/_mock/register-identity", body, {"Content-Type": "application/json", "Host": "cognito-sync:7734"}
        )
        assert connection.getresponse().status == 200  # the allowed host name reaches the control plane
        connection.close()
        with raises_error("LimitExceededException", 400):
            write(client, {"a": "1", "b": "2"})
        write(client, {"a": "1"})
        status, calls = control(served.url, "GET", "calls")
        assert (status, [(c["operation"], c["error"]) for c in calls]) == (
            200,
            [("ListRecords", None), ("UpdateRecords", None)],  # the call history keeps the latest 2
        )
    finally:
        code, err = served.stop()
    assert code == 0
    assert err.splitlines() == [
        f"cognito-sync-mock: listening on {served.url} (dashboard at {served.url}/; stop with Ctrl-C)"
    ]
    assert list(stored(state)["accounts"]) == ["111122223333"]


# -- what it prints --------------------------------------------------------------------------


def test_verbose_logs_one_line_per_request_after_the_listening_line() -> None:
    served = Served(["--port", "0", "-v"], {})
    try:
        client = make_client(endpoint_url=served.url)
        client.list_records(**ids())
        with raises_error("ResourceNotFoundException", 404):
            client.describe_dataset(**ids())
        host, port = served.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/_mock/state")
        connection.getresponse().read()
        connection.request("POST", "/_mock/reset", b"{}")  # no Content-Type
        connection.getresponse().read()
        connection.close()
    finally:
        code, err = served.stop()
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == f"cognito-sync-mock: listening on {served.url} (dashboard at {served.url}/; stop with Ctrl-C)"
    records = f"/identitypools/{quote(POOL, safe='')}/identities/{quote(IDENTITY, safe='')}/datasets/{DATASET}"
    patterns = [
        rf"GET {re.escape(records)}/records ListRecords 200 - \d+\.\d ms",
        rf"GET {re.escape(records)} DescribeDataset 404 ResourceNotFoundException \d+\.\d ms",
        r"GET /_mock/state /_mock/state 200 - \d+\.\d ms",
        r"POST /_mock/reset - 415 UnsupportedMediaType \d+\.\d ms",
    ]
    assert len(lines) == 1 + len(patterns), lines
    for line, pattern in zip(lines[1:], patterns):
        assert re.fullmatch(pattern, line), (line, pattern)


# -- without cheroot -------------------------------------------------------------------------

INSTALL = "the server runs on cheroot, which is not installed: pip install 'cognito-sync-mock[server]'"


def test_without_cheroot_start_and_serve_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in sys.modules if name == "cheroot" or name.startswith("cheroot.")]:
        monkeypatch.setitem(sys.modules, name, None)  # an import of it fails, as when it is not installed
    monkeypatch.setitem(sys.modules, "cheroot", None)
    monkeypatch.delitem(sys.modules, "cognito_sync_mock.server.host", raising=False)
    monkeypatch.delattr(server_package, "host", raising=False)
    server = CognitoSyncServer()
    with pytest.raises(ImportError, match=f"^{re.escape(INSTALL)}$"):
        server.start()
    assert not server.running
    assert cli_main(["serve", "--port", "0"]) == 1
    assert capsys.readouterr() == ("", f"cognito-sync-mock: {INSTALL}\n")
