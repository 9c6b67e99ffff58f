"""The pytest plugin: the ``cognito_sync`` fixture comes with the install (SPEC 11)."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

import pytest
from activation_support import QUIET, inner_module, mock_is_active
from helpers import IDENTITY, POOL, REGION_RULE, closed_port, dataset_names, ids, make_client, write

from cognito_sync_mock import mock_cognito_sync

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
    write(client, {"k": "v"})
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


# -- the cognito_sync marker: options and a seed for both fixtures ----------------------

SEED = {"us-east-1": {POOL: {IDENTITY: {"game": {"level": "3"}}}}}
INNER_POOL = "us-east-1:0000aaaa-0000-4000-8000-000000000001"  # the IDs of the inner test file (and its seed file)
INNER_IDENTITY = "us-east-1:0000aaaa-0000-4000-8000-000000000002"

MARKED = textwrap.dedent(
    """
    import boto3
    import pytest
    from botocore.config import Config
    from botocore.exceptions import ClientError

    POOL = "{pool}"
    IDENTITY = "{identity}"
    STRANGER = "us-east-1:0000aaaa-0000-4000-8000-000000000009"
    SEED = {{"us-east-1": {{POOL: {{IDENTITY: {{"game": {{"level": "3"}}}}}}}}}}
    CLOSED = "http://127.0.0.1:{port}"


    def client(endpoint=CLOSED):
        return boto3.client(
            "cognito-sync", region_name="us-east-1", endpoint_url=endpoint,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={{"total_max_attempts": 1}}),
        )


    def records(c, identity=IDENTITY):
        listed = c.list_records(IdentityPoolId=POOL, IdentityId=identity, DatasetName="game")
        return [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]]


    @pytest.mark.cognito_sync(state=SEED)
    def test_the_mock_starts_from_the_seed(cognito_sync):
        assert records(client()) == [("level", "3", 1)]


    @pytest.mark.cognito_sync(state=SEED)
    def test_the_server_starts_from_the_seed(cognito_sync_server):
        assert records(client(cognito_sync_server.url)) == [("level", "3", 1)]


    @pytest.mark.cognito_sync(
        state="seed.json", account_id="111122223333", strict=True, limits={{"records_per_dataset": 1}}
    )
    def test_options_and_a_seed_file(cognito_sync):
        c = client()
        assert records(c) == [("level", "3", 1)]
        assert list(cognito_sync.state.backends) == [("111122223333", "us-east-1")]
        with pytest.raises(ClientError) as stranger:
            records(c, STRANGER)
        assert stranger.value.response["Error"]["Code"] == "NotAuthorizedException"
        token = c.list_records(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game")["SyncSessionToken"]
        with pytest.raises(ClientError) as limited:
            c.update_records(
                IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName="game", SyncSessionToken=token,
                RecordPatches=[{{"Op": "replace", "Key": "name", "Value": "ada", "SyncCount": 0}}],
            )
        assert limited.value.response["Error"]["Code"] == "LimitExceededException"


    @pytest.mark.cognito_sync(state=SEED)
    class TestAClassMarker:
        def test_applies_to_each_test(self, cognito_sync):
            assert records(client()) == [("level", "3", 1)]

        @pytest.mark.cognito_sync(strict=False)
        def test_the_closest_marker_wins(self, cognito_sync_server):
            assert records(client(cognito_sync_server.url)) == []


    def test_no_marker_no_seed(cognito_sync):
        assert records(client()) == []


    @pytest.mark.cognito_sync(SEED)
    def test_a_positional_argument_is_refused(cognito_sync):
        pass


    @pytest.mark.cognito_sync(state_file="state.json")
    def test_an_unknown_option_is_refused(cognito_sync_server):
        pass


    @pytest.mark.cognito_sync(state={{"Moon-1": {{}}}})
    def test_a_bad_seed_is_refused_with_its_place(cognito_sync):
        pass
    """
)


def test_the_marker_seeds_and_configures_both_fixtures(pytester: pytest.Pytester, autoload: None) -> None:
    pytester.makepyfile(test_marked=MARKED.format(port=closed_port(), pool=INNER_POOL, identity=INNER_IDENTITY))
    pytester.makefile(".json", seed=json.dumps({"us-east-1": {INNER_POOL: {INNER_IDENTITY: {"game": {"level": "3"}}}}}))
    result = pytester.runpytest_subprocess(*QUIET, "--strict-markers")
    result.assert_outcomes(passed=6, errors=3)
    errors = [
        (
            "TypeError: @pytest.mark.cognito_sync takes keyword arguments only "
            "(state, strict, account_id, limits, call_history, seed)"
        ),
        (
            "TypeError: @pytest.mark.cognito_sync got unknown option(s) ['state_file']; "
            "it takes ['state', 'strict', 'account_id', 'limits', 'call_history', 'seed']"
        ),
        f"cognito_sync_mock.snapshot.SnapshotError: state: region 'Moon-1' is not valid: {REGION_RULE}",
    ]
    result.stdout.re_match_lines([r"^E +" + re.escape(error) + "$" for error in errors])


def test_the_marker_is_registered(pytester: pytest.Pytester, autoload: None) -> None:
    result = pytester.runpytest("--markers", *QUIET)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            (
                "@pytest.mark.cognito_sync(state=None, strict=False, account_id=None, limits=None, "
                "call_history=10000, seed=None): options of the cognito_sync and cognito_sync_server fixtures; "
                "state is a snapshot, its short form or the path of a JSON file; seed a whole number that makes "
                "generated values the same in every run"
            )
        ]
    )


@pytest.mark.cognito_sync(state=SEED, strict=True)
def test_marker_on_the_cognito_sync_fixture_used_directly(cognito_sync: Any, network_guard: Any) -> None:
    assert cognito_sync.state.strict is True
    listed = make_client().list_records(**ids())
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("level", "3", 1)]


@pytest.mark.cognito_sync(call_history=2)
def test_marker_sets_the_call_history_of_the_cognito_sync_fixture(cognito_sync: Any) -> None:
    client = make_client()
    for name in ("a", "b", "c"):
        client.list_records(**ids(dataset=name))
    assert [call.params["DatasetName"] for call in cognito_sync.calls] == ["b", "c"]


@pytest.mark.cognito_sync(state=SEED, account_id="111122223333", limits={"records_per_dataset": 5})
def test_marker_on_the_server_fixture_used_directly(cognito_sync_server: Any) -> None:
    assert cognito_sync_server.state.limits.records_per_dataset == 5
    listed = make_client(endpoint_url=cognito_sync_server.url).list_records(**ids())
    assert [(r["Key"], r["Value"], r["SyncCount"]) for r in listed["Records"]] == [("level", "3", 1)]
    assert list(cognito_sync_server.state.backends) == [("111122223333", "us-east-1")]


# -- a mock left started by a test --------------------------------------------------------

LEFT_STARTED = """
    def test_leaves_it_started():
        mock = mock_cognito_sync(strict=True, account_id="111122223333", limits={"datasets_per_identity": 1})
        mock.start()
        mock.backend().register_identity_pool(IDS["IdentityPoolId"])
        mock.backend().register_identity(IDS["IdentityPoolId"], IDS["IdentityId"])
        mock_cognito_sync().start()  # nested: a second activation left open
        write("left-behind")
        assert names() == ["left-behind"]


    def test_the_next_test_sees_no_mock():
        with pytest.raises(EndpointConnectionError):
            names()


    def test_the_next_mock_is_fresh(cognito_sync):
        assert names() == []
        write("one")
        write("two")  # the left mock's limit of 1 dataset is gone
        assert names() == ["one", "two"]
        assert (cognito_sync.state.strict, cognito_sync.state.account_id) == (False, "123456789012")


    @pytest.fixture
    def started():
        mock_cognito_sync().start()  # a fixture of the test's own scope that never stops it
        yield


    def test_with_a_fixture_that_leaves_it_started(started):
        write("from-the-fixture")


    def test_after_the_fixture():
        with pytest.raises(EndpointConnectionError):
            names()
    """


def test_a_mock_left_started_is_stopped_after_its_test_with_a_warning(
    pytester: pytest.Pytester, autoload: None
) -> None:
    pytester.makepyfile(test_inner=inner_module(LEFT_STARTED))
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=5, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "test_inner.py::test_leaves_it_started",
            "  *test_inner.py:*: MockLeftStartedWarning: test_inner.py::test_leaves_it_started left "
            "mock_cognito_sync started (2 activation(s) without a stop()); stopped after the test, so that its "
            "state and options reach no later test",
            "test_inner.py::test_with_a_fixture_that_leaves_it_started",
            "  *test_inner.py:*: MockLeftStartedWarning: test_inner.py::test_with_a_fixture_that_leaves_it_started "
            "left mock_cognito_sync started (1 activation(s) without a stop()); *",
        ]
    )


def test_a_mock_left_started_fails_the_test_where_warnings_are_errors(
    pytester: pytest.Pytester, autoload: None
) -> None:
    pytester.makepyfile(test_inner=inner_module(LEFT_STARTED))
    result = pytester.runpytest(
        *QUIET,
        "-W",
        "error::cognito_sync_mock.MockLeftStartedWarning",
        "-k",
        "test_leaves_it_started or next",
    )
    result.assert_outcomes(passed=3, errors=1, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at teardown of test_leaves_it_started _*",
            "E   *MockLeftStartedWarning: test_inner.py::test_leaves_it_started left mock_cognito_sync started *",
        ]
    )
    assert "PluggyTeardownRaisedWarning" not in result.stdout.str()


WIDER_SCOPES = """
    import unittest


    @pytest.fixture(scope="session")
    def session_mock():
        with mock_cognito_sync() as mock:
            yield mock


    @pytest.fixture(scope="module")
    def module_mock(session_mock):
        with mock_cognito_sync() as mock:
            yield mock


    def test_first_in_the_module(module_mock):
        write("first")


    def test_second_in_the_module_sees_the_first(module_mock):
        assert names() == ["first"]


    @mock_cognito_sync
    class TestDecorated:
        @classmethod
        def setup_class(cls):
            write("class")

        def test_one(self):
            assert names() == ["class", "first"]

        def test_two(self):
            assert names() == ["class", "first"]


    @mock_cognito_sync
    class TestCase(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            write("unittest")

        def test_one(self):
            self.assertEqual(names(), ["class", "first", "unittest"])

        def test_two(self):
            self.assertEqual(names(), ["class", "first", "unittest"])


    def test_leaves_one_inside_the_module_mock(module_mock):
        mock_cognito_sync().start()
        write("left")


    def test_the_module_mock_is_still_on(module_mock):
        assert names() == ["class", "first", "left", "unittest"]
    """


def test_activations_of_wider_scopes_stay_open_across_tests(pytester: pytest.Pytester, autoload: None) -> None:
    pytester.makepyfile(test_inner=inner_module(WIDER_SCOPES))
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=8, warnings=1)
    result.stdout.fnmatch_lines(
        ["*MockLeftStartedWarning: test_inner.py::test_leaves_one_inside_the_module_mock left mock_cognito_sync *"]
    )
