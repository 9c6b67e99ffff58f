"""Real clients against the server: the AWS CLI, the AWS SDKs for JavaScript v2 and v3, amazon-cognito-js.

The tests install the clients themselves, once per machine, into a cache folder
(``$COGNITO_SYNC_MOCK_TEST_CACHE``, else ``~/.cache/cognito-sync-mock-tests``): the AWS CLI
with pip into a virtual environment, the JavaScript packages of tests/js/package.json with
npm. A folder is keyed by a hash of what it holds, so a changed pin installs afresh.
Without Node.js, npm, or a reachable package registry they fail with a message saying
so: they never skip. Every client talks only to the server on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import DATASET, DEVELOPER, IDENTITY, POOL
from install_support import python_venv, require
from server_support import client_env

from cognito_sync_mock import CognitoSyncServer

JS = Path(__file__).parent / "js"
AWSCLI = "awscli==1.46.3"
RUN_TIMEOUT = 120
ID_ARGS = ("--identity-pool-id", POOL, "--identity-id", IDENTITY)
CONFLICT_MESSAGE = "Current SyncCount for: level is: 1 not: 0"


# -- installing the clients, once per machine ------------------------------------------


@pytest.fixture(scope="session")
def aws_cli() -> Path:
    """The AWS CLI, pip-installed into a virtual environment in the cache; its ``aws`` script."""
    return python_venv("awscli", [AWSCLI]) / "bin" / "aws"


def run_node(node_modules: Path, script: str, server: CognitoSyncServer) -> Any:
    """Run tests/js/<script> against the server; the JSON line it prints."""
    env = client_env(NODE_PATH=str(node_modules), AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE="1")
    result = subprocess.run(
        [require("node", "the JavaScript client tests"), str(JS / script), server.url, POOL, IDENTITY],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env,
    )
    assert result.returncode == 0, f"node {script} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def epoch(moment: Any) -> float:
    return float(round(moment.timestamp(), 3))


def test_a_missing_tool_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception) as info:
        require("node", "the JavaScript client tests")
    assert str(info.value) == (
        "node is needed for the JavaScript client tests and is not on PATH "
        "(install Node.js and npm: apt-get install nodejs npm)"
    )


# -- the AWS CLI -------------------------------------------------------------------------


def test_aws_cli(aws_cli: Path, cognito_sync_server: CognitoSyncServer) -> None:
    env = client_env()

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(aws_cli), "--endpoint-url", cognito_sync_server.url, "--output", "json", "cognito-sync", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env)

    def ok(*args: str) -> Any:
        result = aws(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    first = ok("list-records", *ID_ARGS, "--dataset-name", DATASET)
    token = first.pop("SyncSessionToken")
    assert first == {
        "Records": [],
        "Count": 0,
        "DatasetSyncCount": 0,
        "DatasetExists": False,
        "DatasetDeletedAfterRequestedSyncCount": False,
    }
    patches = [
        {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0},
        {"Op": "replace", "Key": "name", "Value": "ada", "SyncCount": 0},
    ]
    updated = ok(
        "update-records",
        *ID_ARGS,
        "--dataset-name",
        DATASET,
        "--sync-session-token",
        token,
        "--record-patches",
        json.dumps(patches),
    )
    stored = cognito_sync_server.backend().list_records(
        identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET
    )
    written = epoch(stored["Records"][0]["LastModifiedDate"])
    assert updated == {
        "Records": [
            {
                "Key": "level",
                "Value": "3",
                "SyncCount": 1,
                "LastModifiedDate": written,
                "LastModifiedBy": DEVELOPER,
                "DeviceLastModifiedDate": written,
            },
            {
                "Key": "name",
                "Value": "ada",
                "SyncCount": 1,
                "LastModifiedDate": written,
                "LastModifiedBy": DEVELOPER,
                "DeviceLastModifiedDate": written,
            },
        ]
    }
    listed = ok("list-records", *ID_ARGS, "--dataset-name", DATASET, "--last-sync-count", "0")
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [
        ("level", "3", 1),
        ("name", "ada", 1),
    ]
    assert (listed["Count"], listed["DatasetSyncCount"], listed["LastModifiedBy"]) == (2, 1, DEVELOPER)
    described = ok("describe-dataset", *ID_ARGS, "--dataset-name", DATASET)
    assert described == {
        "Dataset": {
            "IdentityId": IDENTITY,
            "DatasetName": DATASET,
            "CreationDate": written,
            "LastModifiedDate": written,
            "LastModifiedBy": DEVELOPER,
            "DataStorage": 13,
            "NumRecords": 2,
        }
    }

    stale = [{"Op": "replace", "Key": "level", "Value": "4", "SyncCount": 0}]
    conflict = aws(
        "update-records",
        *ID_ARGS,
        "--dataset-name",
        DATASET,
        "--sync-session-token",
        listed["SyncSessionToken"],  # the first token was used up by the update
        "--record-patches",
        json.dumps(stale),
    )
    assert (conflict.returncode, conflict.stdout) == (255, "")
    assert conflict.stderr.strip() == (
        f"An error occurred (ResourceConflictException) when calling the UpdateRecords operation: {CONFLICT_MESSAGE}"
    )
    missing = aws("describe-dataset", *ID_ARGS, "--dataset-name", "nope")
    assert missing.returncode == 255
    assert missing.stderr.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the DescribeDataset operation: "
        "Dataset 'nope' not found."
    )
    assert [(c.operation, c.error) for c in cognito_sync_server.calls] == [
        ("ListRecords", None),
        ("UpdateRecords", None),
        ("ListRecords", None),
        ("DescribeDataset", None),
        ("UpdateRecords", "ResourceConflictException"),
        ("DescribeDataset", "ResourceNotFoundException"),
    ]
    assert cognito_sync_server.calls[1].params["RecordPatches"] == patches


# -- the AWS SDKs for JavaScript ---------------------------------------------------------


SDK_ANSWERS = {
    "firstExists": False,
    "firstHasToken": True,
    "updated": [["level", "3", 1, True], ["name", "ada", 1, True]],
    "listed": [["level", "3", 1], ["name", "ada", 1]],
    "listedCount": 2,
    "datasetSyncCount": 1,
    "dataset": {
        "name": DATASET,
        "numRecords": 2,
        "dataStorage": 13,
        "lastModifiedBy": DEVELOPER,
        "creationDateIsDate": True,
    },
}


@pytest.mark.parametrize(
    ("script", "conflict"),
    [
        pytest.param(
            "sdk_v3.js",
            {
                "name": "ResourceConflictException",
                "isResourceConflict": True,
                "status": 409,
                "message": CONFLICT_MESSAGE,
            },
            id="v3-@aws-sdk/client-cognito-sync",
        ),
        pytest.param(
            "sdk_v2.js",
            {
                "name": "ResourceConflictException",
                "code": "ResourceConflictException",
                "status": 409,
                "message": CONFLICT_MESSAGE,
            },
            id="v2-aws-sdk",
        ),
    ],
)
def test_aws_sdk_for_javascript(
    node_modules: Path, cognito_sync_server: CognitoSyncServer, script: str, conflict: dict[str, Any]
) -> None:
    answers = run_node(node_modules, script, cognito_sync_server)
    assert answers == {**SDK_ANSWERS, "conflict": conflict}
    calls = cognito_sync_server.calls
    assert [(c.operation, c.error) for c in calls] == [
        ("ListRecords", None),
        ("UpdateRecords", None),
        ("ListRecords", None),
        ("DescribeDataset", None),
        ("UpdateRecords", "ResourceConflictException"),
    ]
    assert calls[1].params["RecordPatches"] == [
        {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0},
        {"Op": "replace", "Key": "name", "Value": "ada", "SyncCount": 0},
    ]
    assert calls[2].params["LastSyncCount"] == 0
    assert list(cognito_sync_server.state.backends) == [("123456789012", "us-east-1")]


# -- amazon-cognito-js: two devices, one conflict ------------------------------------------


def test_amazon_cognito_js_two_devices_resolve_a_conflict(
    node_modules: Path, cognito_sync_server: CognitoSyncServer
) -> None:
    answers = run_node(node_modules, "cognito_sync_manager.js", cognito_sync_server)

    assert answers["conflicts"] == [{"device": "B", "key": "coins", "local": "30", "remote": "20"}]
    stored = cognito_sync_server.backend().list_records(
        identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET
    )
    on_server = {
        r["Key"]: {"value": r.get("Value"), "syncCount": r["SyncCount"], "modified": False} for r in stored["Records"]
    }
    assert on_server == {
        "level": {"value": "1", "syncCount": 1, "modified": False},
        "coins": {"value": "50", "syncCount": 3, "modified": False},
        "name": {"value": "bob", "syncCount": 3, "modified": False},
    }
    assert answers["a"] == on_server
    assert answers["b"] == on_server
    assert answers["aValues"] == answers["bValues"] == {"level": "1", "coins": "50", "name": "bob"}
    assert (
        answers["lastSyncCounts"]
        == {"A": stored["DatasetSyncCount"], "B": stored["DatasetSyncCount"]}
        == {"A": 3, "B": 3}
    )

    updates = [c for c in cognito_sync_server.calls if c.operation == "UpdateRecords"]
    assert [c.error for c in cognito_sync_server.calls] == [None] * len(cognito_sync_server.calls)
    assert [[(p["Key"], p.get("Value"), p["SyncCount"]) for p in c.params["RecordPatches"]] for c in updates] == [
        [("level", "1", 0), ("coins", "10", 0)],  # A's first push
        [("coins", "20", 1)],  # A's change
        [("coins", "50", 2), ("name", "bob", 0)],  # B's resolution, on the server's sync count
    ]
