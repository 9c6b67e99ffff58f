"""An unmodified app against the server: a web page in headless Chromium, and the AWS SDK for JavaScript v3.

The web app (tests/js/real_app/app.js) is the AWS docs' Cognito Sync code for JavaScript:
the browser builds of ``aws-sdk`` and ``amazon-cognito-js`` from npm (tests/js/package.json,
installed into the cache folder), ``AWS.CognitoIdentityCredentials`` for an identity pool
and ``AWS.CognitoSyncManager``; its one change is the ``AWS.config.endpoint`` line. Two
devices of one user, each a frame of its own origin (so each has its own localStorage),
are served by two static servers on other ports than the mock's; harness.html drives them
and writes the outcome into the page, which Chromium dumps. The test creates nothing but
the identity pool, through Cognito Identity on the server's own URL. Both run in the
default mode and in strict mode, where the credentials of one identity are refused on
another's data.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import boto3
import pytest
from helpers import NO_RETRIES, NOT_VALID, ThreadedHTTP, make_client
from install_support import require
from server_support import client_env, dump_dom

from cognito_sync_mock import CognitoSyncServer

JS = Path(__file__).parent / "js"
DATASET = "game"
RUN_TIMEOUT = 120
BUDGET = "--virtual-time-budget=20000"  # virtual ms: it runs out at once when the page idles
BUNDLES = {  # what device.html loads, from the npm packages
    "aws-sdk.min.js": "aws-sdk/dist/aws-sdk.min.js",
    "amazon-cognito.min.js": "amazon-cognito-js/dist/amazon-cognito.min.js",
}


class StaticSite(ThreadedHTTP):
    """A folder served over HTTP on a free 127.0.0.1 port: another origin than the mock's."""

    def __init__(self, folder: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(functools.partial(Quiet, directory=str(folder)))


@pytest.fixture
def sites(node_modules: Path, tmp_path: Path) -> Iterator[tuple[StaticSite, StaticSite]]:
    """Two static sites (two origins) serving the web app and the SDKs' browser builds."""
    folder = tmp_path / "site"
    folder.mkdir()
    for page in (JS / "real_app").iterdir():
        (folder / page.name).symlink_to(page)
    for name, bundle in BUNDLES.items():
        path = node_modules / bundle
        assert path.is_file(), f"{bundle} is missing from the npm install in {node_modules}"
        (folder / name).symlink_to(path)
    first, second = StaticSite(folder), StaticSite(folder)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture(params=[False, True], ids=["default", "strict"])
def server(request: pytest.FixtureRequest) -> Iterator[CognitoSyncServer]:
    """The server, answering Cognito Identity too, in default and in strict mode."""
    with CognitoSyncServer(strict=request.param) as server:
        yield server


def identity_pool(url: str) -> str:
    """A new identity pool allowing unauthenticated identities, made through Cognito Identity at ``url``."""
    client = boto3.client(
        "cognito-identity",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDREALAPP",
        aws_secret_access_key="secret",
        config=NO_RETRIES,
    )
    pool: str = client.create_identity_pool(IdentityPoolName="game", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    return pool


def page_outcome(dom: str) -> Any:
    """What harness.html wrote into #result: the JSON outcome, or the steps it got through and its error."""
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found is not None, dom[-3000:]
    text = found.group(1)
    assert text.startswith("{"), f"the web app did not finish: {text}"
    return json.loads(text)


def test_web_app_syncs_two_devices_with_a_conflict(
    server: CognitoSyncServer, sites: tuple[StaticSite, StaticSite], tmp_path: Path
) -> None:
    app, other_origin = sites
    pool = identity_pool(server.url)
    query = urlencode({"endpoint": server.url, "pool": pool, "deviceB": other_origin.url})

    outcome = page_outcome(dump_dom(f"{app.url}/harness.html?{query}", tmp_path / "profile", BUDGET))

    identity = outcome["identity"]
    assert re.fullmatch(r"us-east-1:[0-9a-f-]{36}", identity)
    assert outcome["identityB"] == identity
    assert outcome["conflictsA"] == []
    assert outcome["conflictsB"] == [{"key": "colors", "remote": "red,", "local": "blue,"}]
    synced = {"level": ["1", 1, False], "colors": ["red,blue,", 3, False], "name": ["ada", 3, False]}
    assert outcome["a"] == synced
    assert outcome["b"] == synced

    listed = make_client(endpoint_url=server.url).list_records(
        IdentityPoolId=pool, IdentityId=identity, DatasetName=DATASET
    )
    records = [(r["Key"], r["Value"], r["SyncCount"], r["LastModifiedBy"]) for r in listed["Records"]]
    assert sorted(records) == [
        ("colors", "red,blue,", 3, identity),
        ("level", "1", 1, identity),
        ("name", "ada", 3, identity),
    ]
    assert (listed["Count"], listed["DatasetSyncCount"]) == (3, 3)


def test_sdk_v3_with_credentials_from_the_identity_pool(server: CognitoSyncServer, node_modules: Path) -> None:
    pool = identity_pool(server.url)
    script = str(JS / "sdk_v3_identity_pool.js")
    result = subprocess.run(
        [require("node", "the JavaScript client tests"), script, server.url, pool],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=client_env(NODE_PATH=str(node_modules)),
    )
    assert result.returncode == 0, f"node sdk_v3_identity_pool.js failed:\n{result.stdout}\n{result.stderr}"
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    identity = outcome.pop("identityA")
    assert outcome.pop("identityB") != identity
    assert outcome.pop("updated") == [["level", "3", 1], ["name", "ada", 1]]
    assert outcome.pop("listed") == [["level", "3", 1], ["name", "ada", 1]]
    assert outcome.pop("datasetSyncCount") == 1
    if server.state.strict:  # another identity's credentials are refused on this identity's data
        assert outcome.pop("other") == {"name": "NotAuthorizedException", "status": 403, "message": NOT_VALID}
    else:
        assert outcome.pop("other") == {"read": [["level", "3"], ["name", "ada"]]}
    assert outcome == {}
    stored = make_client(endpoint_url=server.url).list_records(
        IdentityPoolId=pool, IdentityId=identity, DatasetName=DATASET
    )
    assert [(r["Key"], r["Value"], r["LastModifiedBy"]) for r in stored["Records"]] == [
        ("level", "3", identity),
        ("name", "ada", identity),
    ]
