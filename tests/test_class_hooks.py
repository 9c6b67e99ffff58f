"""A decorated plain test class: every hook pytest calls on it runs under the mock (SPEC 12).

Each inner run is a real pytest run (pytester) of a module whose client talks to a
loopback port where nothing listens: a request the mock does not answer fails at once
with EndpointConnectionError, so an escaped request shows as a failed or erroring test.
Each hook logs the datasets it sees; the module's own ``teardown_module`` (outside the
class, so unmocked) writes the log to ``log.json`` for the outer test to read.
"""

from __future__ import annotations

import json
import sys
import textwrap
import types
from typing import Any

import pytest
from activation_support import QUIET, inner_module
from botocore.exceptions import EndpointConnectionError
from helpers import closed_port, dataset_names, make_client, write

from cognito_sync_mock import mock_cognito_sync

LOG_HOOKS = """
import json

LOG = []


def seen(hook):
    LOG.append([hook, names()])


def teardown_module():
    try:
        names()
        LOG.append(["after the class", "mocked"])
    except EndpointConnectionError:
        LOG.append(["after the class", "not mocked"])
    with open("log.json", "w") as file:
        json.dump(LOG, file)
"""


def run(pytester: pytest.Pytester, body: str, **outcomes: int) -> list[list[Any]]:
    """Run ``body`` as an inner test module (with ``seen``); check the outcomes; the log its hooks wrote."""
    pytester.makepyfile(test_inner=inner_module(LOG_HOOKS + textwrap.dedent(body)))
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(**outcomes)
    log: list[list[Any]] = json.loads((pytester.path / "log.json").read_text())
    return log


def test_every_hook_runs_under_the_mock_and_a_test_shares_one_state(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestHooks:
            @classmethod
            def setup_class(cls):
                seen("setup_class")
                write("class")

            def setup_method(self, method):
                seen("setup_method " + method.__name__)
                write(method.__name__)

            def test_one(self):
                seen("test_one")
                write("body")

            def test_two(self):
                seen("test_two")

            def teardown_method(self, method):
                seen("teardown_method " + method.__name__)

            @classmethod
            def teardown_class(cls):
                seen("teardown_class")
        """,
        passed=2,
    )
    assert log == [
        ["setup_class", []],
        ["setup_method test_one", ["class"]],
        ["test_one", ["class", "test_one"]],
        ["teardown_method test_one", ["body", "class", "test_one"]],
        ["setup_method test_two", ["class"]],  # test_one's writes are gone: back to what setup_class stored
        ["test_two", ["class", "test_two"]],
        ["teardown_method test_two", ["class", "test_two"]],
        ["teardown_class", ["class", "test_two"]],
        ["after the class", "not mocked"],
    ]


def test_a_class_without_hooks_starts_each_test_empty(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestNoHooks:
            def test_a(self):
                seen("test_a")
                write("a")
                seen("test_a")

            def test_b(self):
                seen("test_b")
        """,
        passed=2,
    )
    assert log == [["test_a", []], ["test_a", ["a"]], ["test_b", []], ["after the class", "not mocked"]]


def test_a_class_with_some_hooks_only(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestSetUpOnly:
            def setup_method(self):  # no method argument: pytest calls it without one
                write("set-up")

            def test_sees_its_set_up(self):
                seen("set-up only")


        @mock_cognito_sync
        class TestTearDownOnly:
            def test_writes(self):
                write("body")

            def teardown_method(self, method):
                seen("tear-down only")


        @mock_cognito_sync
        class TestClassSetUpOnly:
            @classmethod
            def setup_class(cls):
                write("class")

            def test_writes(self):
                write("first")

            def test_sees_the_class_state_only(self):
                seen("class set-up only")


        @mock_cognito_sync
        class TestClassTearDownOnly:
            def test_writes(self):
                write("last")

            @classmethod
            def teardown_class(cls):
                seen("class tear-down only")
        """,
        passed=5,
    )
    assert log == [
        ["set-up only", ["set-up"]],
        ["tear-down only", ["body"]],
        ["class set-up only", ["class"]],
        ["class tear-down only", ["last"]],
        ["after the class", "not mocked"],
    ]


def test_staticmethod_plain_function_and_argument_free_forms(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestStatic:
            @staticmethod
            def setup_class():
                write("static-class")

            @staticmethod
            def setup_method():
                write("static-method")

            @staticmethod
            def test_static():
                seen("static test")

            @staticmethod
            def teardown_method():
                seen("static teardown_method")

            @staticmethod
            def teardown_class():
                seen("static teardown_class")


        @mock_cognito_sync
        class TestPlainFunctions:
            def setup_class(cls):  # no @classmethod: pytest calls it with the class
                cls.where = "plain"
                write("plain-class")

            def test_plain(self):
                seen("plain " + self.where)

            def teardown_class(cls):
                seen("plain teardown_class " + cls.where)
        """,
        passed=2,
    )
    assert log == [
        ["static test", ["static-class", "static-method"]],
        ["static teardown_method", ["static-class", "static-method"]],
        ["static teardown_class", ["static-class", "static-method"]],
        ["plain plain", ["plain-class"]],
        ["plain teardown_class plain", ["plain-class"]],
        ["after the class", "not mocked"],
    ]


def test_hooks_inherited_from_a_base_class(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        class Base:
            @classmethod
            def setup_class(cls):
                write("base-class-" + cls.__name__)

            def setup_method(self, method):
                write("base-" + method.__name__)

            def teardown_method(self, method):
                seen("base teardown_method " + method.__name__)


        @mock_cognito_sync
        class TestChild(Base):
            def setup_method(self, method):
                super().setup_method(method)
                write("child")

            def test_child(self):
                seen("test_child")


        @mock_cognito_sync
        class TestDecoratedBase:
            def setup_method(self):
                write("decorated-base")

            def test_in_base(self):
                seen("test_in_base " + type(self).__name__)


        class TestUndecoratedChild(TestDecoratedBase):  # inherits the mocked hooks and tests
            pass
        """,
        passed=3,
    )
    assert log == [
        ["test_child", ["base-class-TestChild", "base-test_child", "child"]],
        ["base teardown_method test_child", ["base-class-TestChild", "base-test_child", "child"]],
        ["test_in_base TestDecoratedBase", ["decorated-base"]],
        ["test_in_base TestUndecoratedChild", ["decorated-base"]],
        ["after the class", "not mocked"],
    ]


def test_a_failing_setup_leaves_the_mock_off_or_to_the_class(pytester: pytest.Pytester) -> None:
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestBrokenClassSetUp:
            @classmethod
            def setup_class(cls):
                write("class")
                raise RuntimeError("class set-up fails")

            def test_never_runs(self):
                seen("never")


        def test_between_the_classes():
            with pytest.raises(EndpointConnectionError):
                names()


        @mock_cognito_sync
        class TestBrokenSetUp:
            @classmethod
            def setup_class(cls):
                write("class")

            def setup_method(self, method):
                write(method.__name__)
                if method.__name__ == "test_first":
                    raise RuntimeError("set-up fails")

            def test_first(self):
                seen("never")

            def test_second(self):
                seen("test_second")

            def teardown_method(self, method):
                seen("teardown_method " + method.__name__)  # pytest skips it after a failed set-up
        """,
        passed=2,
        errors=2,
    )
    assert log == [
        ["test_second", ["class", "test_second"]],
        ["teardown_method test_second", ["class", "test_second"]],
        ["after the class", "not mocked"],
    ]


def test_nose_style_names_are_hooks_exactly_where_pytest_calls_them(pytester: pytest.Pytester) -> None:
    """pytest 8 dropped nose support: there plain ``setup``/``teardown`` methods are not hooks
    any more, and the mock does not make them hooks. Before pytest 8 (nose plugin loaded)
    pytest calls them, under the mock."""
    log = run(
        pytester,
        """
        @mock_cognito_sync
        class TestNoseNames:
            def setup(self):
                seen("setup")

            def test_it(self):
                seen("test_it")

            def teardown(self):
                seen("teardown")
        """,
        passed=1,
    )
    if "_pytest.nose" in sys.modules:  # pytest 7
        assert log == [["setup", []], ["test_it", []], ["teardown", []], ["after the class", "not mocked"]]
    else:
        assert log == [["test_it", []], ["after the class", "not mocked"]]


def test_nose_style_names_run_under_the_mock_where_pytest_calls_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before pytest 8, with its nose plugin loaded, pytest calls ``setup``/``teardown`` when
    a class has no ``setup_method``/``teardown_method``. The installed pytest is newer, so
    the hooks are called here as that pytest called them."""
    monkeypatch.setitem(sys.modules, "_pytest.nose", types.ModuleType("_pytest.nose"))
    client = make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}")
    log: list[tuple[str, list[str]]] = []

    @mock_cognito_sync
    class Suite:
        def setup(self) -> None:
            write(client, {"k": "v"}, dataset="nose-setup")

        def test_it(self) -> None:
            log.append(("test_it", dataset_names(client)))

        def teardown(self) -> None:
            log.append(("teardown", dataset_names(client)))

    Suite.setup_class()  # type: ignore[attr-defined]
    test = Suite()
    test.setup_method(test.test_it)  # type: ignore[attr-defined]
    test.test_it()
    test.teardown_method(test.test_it)  # type: ignore[attr-defined]
    Suite.teardown_class()  # type: ignore[attr-defined]
    assert log == [("test_it", ["nose-setup"]), ("teardown", ["nose-setup"])]
    with pytest.raises(EndpointConnectionError):  # off again after teardown_class
        dataset_names(client)


# -- a decorated class collected by this very run ------------------------------------------

CLIENT = make_client(endpoint_url=f"http://127.0.0.1:{closed_port()}")


@pytest.fixture
def names_now() -> list[str]:
    """A fixture that calls the mock: it runs inside the test's activation."""
    return dataset_names(CLIENT)


@mock_cognito_sync
class TestCollectedHere:
    def setup_method(self) -> None:
        write(CLIENT, {"k": "v"}, dataset="from-setup")

    def test_first(self, names_now: list[str]) -> None:
        assert names_now == ["from-setup"]
        write(CLIENT, {"k": "v"}, dataset="first")
        assert dataset_names(CLIENT) == ["first", "from-setup"]

    def test_second(self, names_now: list[str]) -> None:
        assert names_now == ["from-setup"]
        assert dataset_names(CLIENT) == ["from-setup"]
