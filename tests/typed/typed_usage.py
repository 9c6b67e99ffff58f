"""Every way in to the mock, as users write it, checked by mypy --strict in tests/test_typing.py.

No ``type: ignore`` here: each form must type-check as it is written, and ``assert_type``
pins what mypy sees. Run as a script, every form also runs under the mock.
"""

from __future__ import annotations

import asyncio
import io
import sys
import unittest
from typing import Iterator

import boto3

from cognito_sync_mock import Backend, mock_cognito_sync

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


def pool_count() -> int:
    """How many identity pools the mock answers for (a call that would reach AWS without a mock)."""
    client = boto3.client("cognito-sync", region_name="us-east-1")
    return len(client.list_identity_pool_usage()["IdentityPoolUsages"])


@mock_cognito_sync
def bare(level: int) -> str:
    return f"{level}:{pool_count()}"


@mock_cognito_sync()
def with_parentheses(level: int) -> str:
    return f"{level}:{pool_count()}"


@mock_cognito_sync(strict=True, account_id="111122223333", limits={"records_per_dataset": 10})
def with_options(level: int) -> str:
    return f"{level}:{pool_count()}"


@mock_cognito_sync
async def bare_coroutine(level: int) -> str:
    return f"{level}:{pool_count()}"


@mock_cognito_sync(strict=False)
async def coroutine_with_options(level: int) -> str:
    return f"{level}:{pool_count()}"


@mock_cognito_sync
class TestPlain:
    def test_count(self) -> None:
        assert pool_count() == 0


@mock_cognito_sync(account_id="111122223333")
class TestPlainWithOptions:
    def test_count(self) -> None:
        assert pool_count() == 0


@mock_cognito_sync
class TestCaseBare(unittest.TestCase):
    def test_count(self) -> None:
        self.assertEqual(pool_count(), 0)


@mock_cognito_sync(strict=False)
class TestCaseWithOptions(unittest.TestCase):
    def test_count(self) -> None:
        self.assertEqual(pool_count(), 0)


def context_manager() -> Backend:
    with mock_cognito_sync() as mock:
        assert_type(mock, mock_cognito_sync)
        assert pool_count() == 0
        return mock.backend("us-east-1")


def start_and_stop() -> bool:
    mock = mock_cognito_sync(strict=True)
    assert_type(mock.start(), mock_cognito_sync)
    try:
        assert pool_count() == 0
    finally:
        mock.stop()
    return mock.active


def fixture() -> Iterator[mock_cognito_sync]:
    """A pytest fixture's own shape (the plugin's ``cognito_sync`` yields this type)."""
    with mock_cognito_sync() as mock:
        yield mock


def check_types() -> None:
    assert_type(bare(3), str)
    assert_type(with_parentheses(3), str)
    assert_type(with_options(3), str)
    assert_type(asyncio.run(bare_coroutine(3)), str)
    assert_type(asyncio.run(coroutine_with_options(3)), str)
    assert_type(TestPlain(), TestPlain)
    assert_type(TestPlainWithOptions(), TestPlainWithOptions)
    assert_type(TestCaseBare("test_count"), TestCaseBare)
    assert_type(TestCaseWithOptions("test_count"), TestCaseWithOptions)
    assert_type(context_manager(), Backend)
    assert_type(start_and_stop(), bool)
    assert isinstance(mock_cognito_sync(), mock_cognito_sync)


def main() -> None:
    assert bare(3) == with_parentheses(3) == with_options(3) == "3:0"
    assert asyncio.run(bare_coroutine(3)) == asyncio.run(coroutine_with_options(3)) == "3:0"
    TestPlain().test_count()  # a decorated class's tests run under the mock, hooks or not
    TestPlainWithOptions().test_count()
    cases = unittest.TestSuite(
        unittest.defaultTestLoader.loadTestsFromTestCase(case) for case in (TestCaseBare, TestCaseWithOptions)
    )
    result = unittest.TextTestRunner(io.StringIO(), verbosity=0).run(cases)
    assert result.wasSuccessful() and result.testsRun == 2
    assert context_manager().region == "us-east-1"
    assert start_and_stop() is False
    for mock in fixture():
        assert mock.active


if __name__ == "__main__":
    main()
