"""The pytest plugin: the ``cognito_sync`` fixture comes with the install (SPEC 11)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from cognito_sync_mock import mock_cognito_sync

try:
    from activation_support import (
        IDENTITY,
        POOL,
        closed_port,
        dataset_names,
        ids,
        make_client,
        mock_is_active,
        network_guard,
        write,
    )
except ImportError:  # tests/ imported as a package
    from tests.activation_support import (  # type: ignore[no-redef]
        IDENTITY,
        POOL,
        closed_port,
        dataset_names,
        ids,
        make_client,
        mock_is_active,
        network_guard,
        write,
    )

pytest_plugins = ["pytester"]
__all__ = ["network_guard"]

# The inner test file imports nothing from cognito_sync_mock: the fixture must come from
# the package's pytest11 entry point. Its client talks to a loopback port where nothing
# listens, so a request the mock does not answer fails at once.
INNER = textwrap.dedent(
    """
    import boto3
    import pytest
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    POOL = "us-east-1:0000aaaa-0000-4000-8000-000000000001"
    IDENTITY = "us-east-1:0000aaaa-0000-4000-8000-000000000002"
    ENDPOINT = "http://127.0.0.1:{port}"


    def client():
        return boto3.client(
            "cognito-sync", region_name="us-east-1", endpoint_url=ENDPOINT,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={{"total_max_attempts": 1}}),
        )


    def test_fixture_answers(cognito_sync):
        c = client()
        listed = c.list_records(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game")
        assert listed["DatasetExists"] is False
        c.update_records(
            IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game",
            SyncSessionToken=listed["SyncSessionToken"],
            RecordPatches=[{{"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}}],
        )
        assert [(call.operation, call.error) for call in cognito_sync.calls] == [
            ("ListRecords", None), ("UpdateRecords", None)]
        stored = cognito_sync.backend().describe_dataset(
            identity_pool_id=POOL, identity_id=IDENTITY, dataset_name="game")
        assert stored["Dataset"]["NumRecords"] == 1


    def test_each_test_starts_empty(cognito_sync):
        datasets = client().list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Datasets"]
        assert datasets == []
        assert [call.operation for call in cognito_sync.calls] == ["ListDatasets"]


    def test_without_the_fixture_the_mock_is_off():
        with pytest.raises(EndpointConnectionError):
            client().list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)


    def test_a_failing_assertion_still_fails(cognito_sync):
        assert cognito_sync.calls == ["not", "these"]
    """
)


# Inner runs leave out the cache and hypothesis's plugin (slow to load, unrelated here).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@pytest.fixture
def autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entry-point plugins load (as for any user), whatever the outer environment says."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)


def test_fixture_registered_by_entry_point_in_a_fresh_process(pytester: pytest.Pytester, autoload: None) -> None:
    pytester.makepyfile(test_inner=INNER.format(port=closed_port()))
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_a_failing_assertion_still_fails*"])
    assert "fixture 'cognito_sync' not found" not in result.stdout.str()


def test_fixture_in_process_run(pytester: pytest.Pytester, autoload: None) -> None:
    pytester.makepyfile(test_inner=INNER.format(port=closed_port()))
    result = pytester.runpytest(*QUIET, "-k", "not failing")
    result.assert_outcomes(passed=3, deselected=1)


def test_fixtures_are_listed(pytester: pytest.Pytester, autoload: None) -> None:
    pytester.makepyfile(test_empty="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--fixtures", *QUIET)
    assert result.ret == 0
    result.stdout.re_match_lines([r"^cognito_sync\b(?!_)"])


def test_cognito_sync_fixture_used_directly(cognito_sync: Any, network_guard: Any) -> None:
    assert isinstance(cognito_sync, mock_cognito_sync)
    assert mock_is_active()
    client = make_client()
    write(client, "game", {"k": "v"})
    assert dataset_names(client) == ["game"]
    assert [(c.operation, c.error) for c in cognito_sync.calls] == [
        ("ListDatasets", None),  # mock_is_active's probe
        ("ListRecords", None),
        ("UpdateRecords", None),
        ("ListDatasets", None),
    ]
    dataset = cognito_sync.backend().describe_dataset(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name="game")
    assert dataset["Dataset"]["NumRecords"] == 1
    assert client.list_records(**ids())["DatasetSyncCount"] == 1


def test_server_fixture_is_listed(pytester: pytest.Pytester, autoload: None) -> None:
    """SPEC 11: the plugin provides ``cognito_sync`` and ``cognito_sync_server``."""
    pytester.makepyfile(test_empty="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--fixtures", *QUIET)
    assert result.ret == 0
    result.stdout.re_match_lines([r"^cognito_sync_server\b"])
