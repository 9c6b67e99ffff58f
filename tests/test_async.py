"""Async clients: aiobotocore and aioboto3 are answered in-process like botocore clients.

Coroutines run with ``asyncio.run`` inside plain tests (no pytest-asyncio). Every
behaviour reaches them: records, conflicts, validation, paging, datasets, errors by class,
strict mode with identity credentials, the side channels, and clients made before the mock
or from an aiobotocore imported only after the mock started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, cast

import pytest
from activation_support import NOTHING_ASKED, Machine
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError
from helpers import (
    APP_ARN,
    DATASET,
    DEVELOPER,
    IDENTITY,
    NO_RETRIES,
    NOT_VALID,
    OTHER_IDENTITY,
    POOL,
    ROLE_ARN,
    STREAM,
    TRIGGER_ARN,
    ids,
    replace,
    write_async,
)
from install_support import python_venv

from cognito_sync_mock import mock_cognito_sync

DUMMY = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
_session = get_session()


@contextlib.asynccontextmanager
async def aio_client(
    region: str = "us-east-1", credentials: dict[str, str] | None = None, **config: Any
) -> AsyncIterator[Any]:
    """An aiobotocore cognito-sync client, one attempt per call."""
    async with _session.create_client(
        "cognito-sync",
        region_name=region,
        config=Config(retries={"total_max_attempts": 1}, **config),
        **(credentials or DUMMY),
    ) as client:
        yield client


def run(coroutine: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(coroutine())  # type: ignore[arg-type]


async def expect_error(call: Awaitable[Any], code: str, status: int, message: str | None = None) -> ClientError:
    with pytest.raises(ClientError) as info:
        await call
    error = info.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    if message is not None:
        assert error["Error"]["Message"] == message
    return info.value


def triples(records: list[dict[str, Any]]) -> list[tuple[str, str | None, int]]:
    return [(r["Key"], r.get("Value"), r["SyncCount"]) for r in records]


# -- a whole sync -----------------------------------------------------------------------------


def test_a_whole_two_device_sync_from_aiobotocore() -> None:
    async def scenario(mock: mock_cognito_sync) -> None:
        async with aio_client() as phone, aio_client() as tablet:
            # The phone's first sync: nothing on the server yet, then its records go up.
            first = await phone.list_records(**ids())
            assert (first["DatasetExists"], first["Records"], first["DatasetSyncCount"]) == (False, [], 0)
            up = await phone.update_records(
                **ids(),
                SyncSessionToken=first["SyncSessionToken"],
                RecordPatches=[replace("level", "1"), replace("coins", "10")],
            )
            assert triples(up["Records"]) == [("level", "1", 1), ("coins", "10", 1)]
            assert up["ResponseMetadata"]["HTTPStatusCode"] == 200
            before = await phone.list_records(**ids(), LastSyncCount=1)  # a session opened before the tablet's

            # The tablet pulls everything, then changes the level.
            pulled = await tablet.list_records(**ids())
            assert (pulled["DatasetSyncCount"], pulled["Count"], pulled["LastModifiedBy"]) == (1, 2, DEVELOPER)
            assert triples(pulled["Records"]) == [("coins", "10", 1), ("level", "1", 1)]
            changed = await tablet.update_records(
                **ids(), SyncSessionToken=pulled["SyncSessionToken"], RecordPatches=[replace("level", "2", 1)]
            )
            assert triples(changed["Records"]) == [("level", "2", 2)]

            # The phone pushes a stale change: a conflict, caught by its class.
            with pytest.raises(phone.exceptions.ResourceConflictException) as conflict:
                await phone.update_records(
                    **ids(), SyncSessionToken=before["SyncSessionToken"], RecordPatches=[replace("level", "5", 1)]
                )
            error = conflict.value.response
            assert error["Error"] == {
                "Code": "ResourceConflictException",
                "Message": "Current SyncCount for: level is: 2 not: 1",
            }
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 409

            # It pulls the delta, resolves, and pushes again (a remove included).
            delta = await phone.list_records(**ids(), LastSyncCount=1)
            assert (triples(delta["Records"]), delta["DatasetSyncCount"]) == ([("level", "2", 2)], 2)
            resolved = await phone.update_records(
                **ids(),
                SyncSessionToken=delta["SyncSessionToken"],
                RecordPatches=[replace("level", "5", 2), {"Op": "remove", "Key": "coins", "SyncCount": 1}],
            )
            assert triples(resolved["Records"]) == [("level", "5", 3), ("coins", None, 3)]

            # The tablet's next delta holds both, the tombstone included.
            later = await tablet.list_records(**ids(), LastSyncCount=2)
            assert triples(later["Records"]) == [("coins", None, 3), ("level", "5", 3)]
            assert later["DatasetSyncCount"] == 3

    with mock_cognito_sync() as mock:
        asyncio.run(scenario(mock))
        assert [(c.operation, c.error) for c in mock.calls] == [
            ("ListRecords", None),
            ("UpdateRecords", None),
            ("ListRecords", None),
            ("ListRecords", None),
            ("UpdateRecords", None),
            ("UpdateRecords", "ResourceConflictException"),
            ("ListRecords", None),
            ("UpdateRecords", None),
            ("ListRecords", None),
        ]
        stored = mock.backend().describe_dataset(identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET)
        assert stored["Dataset"]["NumRecords"] == 1


def test_validation_errors_reach_aiobotocore() -> None:
    @mock_cognito_sync
    async def scenario() -> None:
        async with aio_client() as client, aio_client(parameter_validation=False) as unvalidated:
            with pytest.raises(client.exceptions.InvalidParameterException) as info:
                await client.describe_dataset(**ids(dataset="bad name"))
            assert info.value.response["Error"]["Message"] == (
                "1 validation error detected: Value 'bad name' at 'datasetName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"
            )
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            await expect_error(
                unvalidated.list_records(**ids(), MaxResults=0),
                "InvalidParameterException",
                400,
                "MaxResults must be at least 1, not 0",
            )
            await expect_error(
                client.list_records(**ids(), LastSyncCount=4),
                "InvalidParameterException",
                400,
                "No such SyncCount: 4 exists for this Dataset",
            )
            await expect_error(
                client.update_records(**ids(), SyncSessionToken="garbage", RecordPatches=[replace("a", "1")]),
                "InvalidParameterException",
                400,
                "SyncSessionToken not valid for these inputs",
            )

    asyncio.run(scenario())


def test_paging_with_next_token_from_aiobotocore() -> None:
    @mock_cognito_sync
    async def scenario() -> list[list[tuple[str, str | None, int]]]:
        async with aio_client() as client:
            await write_async(client, {"a": "1", "b": "2", "c": "3"})
            await write_async(client, [replace("d", "4"), replace("e", "5")], last_sync_count=1)
            pages, token = [], None
            while True:
                extra: dict[str, Any] = {"NextToken": token} if token else {}
                page = await client.list_records(**ids(), MaxResults=2, **extra)
                assert (page["Count"], page["DatasetSyncCount"]) == (len(page["Records"]), 2)
                pages.append(triples(page["Records"]))
                token = page.get("NextToken")
                if token is None:
                    break
            datasets = await client.list_datasets(**ids(dataset=None), MaxResults=1)
            assert ([d["DatasetName"] for d in datasets["Datasets"]], "NextToken" in datasets) == ([DATASET], False)
            return pages

    assert asyncio.run(scenario()) == [
        [("a", "1", 1), ("b", "2", 1)],
        [("c", "3", 1), ("d", "4", 2)],
        [("e", "5", 2)],
    ]


def test_describe_and_delete_dataset_from_aiobotocore() -> None:
    @mock_cognito_sync
    async def scenario() -> None:
        async with aio_client() as client:
            await write_async(client, [replace("name", "Ada"), replace("level", "3")])
            described = (await client.describe_dataset(**ids()))["Dataset"]
            got = (described["DatasetName"], described["NumRecords"], described["DataStorage"], described["IdentityId"])
            assert got == (DATASET, 2, len("nameAda") + len("level3"), IDENTITY)
            deleted = (await client.delete_dataset(**ids()))["Dataset"]
            assert (deleted["DatasetName"], deleted["NumRecords"]) == (DATASET, 2)
            with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
                await client.describe_dataset(**ids())
            assert info.value.response["Error"]["Message"] == f"Dataset '{DATASET}' not found."
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
            await expect_error(client.delete_dataset(**ids()), "ResourceNotFoundException", 404)
            gone = await client.list_records(**ids(), LastSyncCount=1)
            assert (gone["DatasetExists"], gone["DatasetDeletedAfterRequestedSyncCount"], gone["Records"]) == (
                False,
                True,
                [],
            )

    asyncio.run(scenario())


def test_every_operation_from_aiobotocore() -> None:
    with mock_cognito_sync() as mock:
        handler_saw: list[str] = []

        def trigger(event: dict[str, Any], context: Any) -> dict[str, Any]:
            handler_saw.append(event["datasetName"])
            return event

        mock.register_lambda(TRIGGER_ARN, trigger)

        async def scenario() -> None:
            # Identity credentials: only an identity's UpdateRecords runs the sync trigger.
            async with aio_client(credentials=mock.identity_credentials(POOL, IDENTITY)) as c:
                configuration = await c.set_identity_pool_configuration(
                    IdentityPoolId=POOL,
                    PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN},
                    CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
                )
                assert configuration["CognitoStreams"]["StreamingStatus"] == "ENABLED"
                got = await c.get_identity_pool_configuration(IdentityPoolId=POOL)
                assert got["PushSync"] == {"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
                await c.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": TRIGGER_ARN})
                assert (await c.get_cognito_events(IdentityPoolId=POOL))["Events"] == {"SyncTrigger": TRIGGER_ARN}
                await write_async(c, [replace("a", "1")])
                device = (await c.register_device(**ids(dataset=None), Platform="GCM", Token="phone"))["DeviceId"]
                assert str(uuid.UUID(device)) == device
                await c.subscribe_to_dataset(**ids(), DeviceId=device)
                await write_async(c, [replace("a", "2", 1)], last_sync_count=1)
                await c.unsubscribe_from_dataset(**ids(), DeviceId=device)
                await expect_error(
                    c.unsubscribe_from_dataset(**ids(), DeviceId=device), "ResourceNotFoundException", 404
                )
                assert (await c.bulk_publish(IdentityPoolId=POOL))["IdentityPoolId"] == POOL
                details = await c.get_bulk_publish_details(IdentityPoolId=POOL)
                assert details["BulkPublishStatus"] == "SUCCEEDED"
                await expect_error(c.bulk_publish(IdentityPoolId=POOL), "AlreadyStreamedException", 400)
                usage = (await c.describe_identity_usage(**ids(dataset=None)))["IdentityUsage"]
                assert (usage["DatasetCount"], usage["DataStorage"]) == (1, 2)
                pool = (await c.describe_identity_pool_usage(IdentityPoolId=POOL))["IdentityPoolUsage"]
                assert (pool["IdentityPoolId"], pool["DataStorage"], pool["SyncSessionsCount"]) == (POOL, 2, 2)
                listed = await c.list_identity_pool_usage()
                assert [u["IdentityPoolId"] for u in listed["IdentityPoolUsages"]] == [POOL]
                assert [d["DatasetName"] for d in (await c.list_datasets(**ids(dataset=None)))["Datasets"]] == [DATASET]
                assert (await c.describe_dataset(**ids()))["Dataset"]["NumRecords"] == 1
                assert (await c.delete_dataset(**ids()))["Dataset"]["DatasetName"] == DATASET

        asyncio.run(scenario())
        assert handler_saw == [DATASET, DATASET]
        assert [n["payload"]["syncCount"] for n in mock.push_notifications] == [2]
        # Two writes, one bulk publish, one delete.
        assert [(r["operation"], r["syncCount"]) for r in mock.stream_records(STREAM)] == [
            ("replace", 1),
            ("replace", 2),
            ("replace", 2),
            ("remove", 2),
        ]
        assert len({c.operation for c in mock.calls}) == 17


def test_injected_throttling_reaches_aiobotocore_by_class() -> None:
    with mock_cognito_sync() as mock:
        mock.inject_error("ListDatasets", "TooManyRequestsException", "slow down")

        async def scenario() -> int:
            async with aio_client() as client:
                with pytest.raises(client.exceptions.TooManyRequestsException) as info:
                    await client.list_datasets(**ids(dataset=None))
                assert info.value.response["Error"]["Message"] == "slow down"
                assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
                return int((await client.list_datasets(**ids(dataset=None)))["Count"])

        assert asyncio.run(scenario()) == 0
        assert [(c.operation, c.error) for c in mock.calls] == [
            ("ListDatasets", "TooManyRequestsException"),
            ("ListDatasets", None),
        ]


# -- strict mode and identity credentials ------------------------------------------------------


def test_identity_credentials_from_aiobotocore_in_strict_mode() -> None:
    mock = mock_cognito_sync(strict=True)

    @mock
    async def scenario() -> None:
        mine = mock.identity_credentials(POOL, IDENTITY)
        mock.identity_credentials(POOL, OTHER_IDENTITY)
        async with aio_client(credentials=mine) as own, aio_client() as developer:
            assert (await write_async(own, [replace("a", "1")]))["Records"][0]["LastModifiedBy"] == IDENTITY
            with pytest.raises(own.exceptions.NotAuthorizedException) as info:
                await own.list_records(**ids(identity=OTHER_IDENTITY))
            assert info.value.response["Error"]["Message"] == NOT_VALID
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
            await expect_error(own.get_cognito_events(IdentityPoolId=POOL), "NotAuthorizedException", 403, NOT_VALID)
            await expect_error(
                developer.register_device(**ids(dataset=None), Platform="GCM", Token="t"),
                "NotAuthorizedException",
                403,
                NOT_VALID,
            )
            assert (await developer.get_cognito_events(IdentityPoolId=POOL))["Events"] == {}

    asyncio.run(scenario())


# -- clients made at other times, and other ways -------------------------------------------------


def test_a_client_created_before_the_mock_started() -> None:
    async def scenario() -> tuple[list[str], bool]:
        async with aio_client("eu-west-1") as early:
            mock = mock_cognito_sync()
            with mock:
                written = await write_async(early, [replace("k", "v")])
                assert triples(written["Records"]) == [("k", "v", 1)]
                stored = mock.backend("eu-west-1").describe_dataset(
                    identity_pool_id=POOL, identity_id=IDENTITY, dataset_name=DATASET
                )
                assert stored["Dataset"]["NumRecords"] == 1
            # A second activation answers the same client again, from a fresh state.
            with mock_cognito_sync() as again:
                listed = await early.list_records(**ids())
                return [c.operation for c in mock.calls + again.calls], listed["DatasetExists"]

    assert asyncio.run(scenario()) == (["ListRecords", "UpdateRecords", "ListRecords"], False)


AIOBOTO3 = "aioboto3==15.5.0"  # pins an older aiobotocore (and botocore): kept out of the dev extra
AIOBOTO3_SCRIPT = """
import asyncio, json, aioboto3
from botocore.config import Config
from cognito_sync_mock import mock_cognito_sync

IDS = dict(IdentityPoolId=%(pool)r, IdentityId=%(identity)r, DatasetName="game")

@mock_cognito_sync
async def scenario():
    session = aioboto3.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    async with session.client("cognito-sync", config=Config(retries={"total_max_attempts": 1})) as client:
        token = (await client.list_records(**IDS))["SyncSessionToken"]
        patch = {"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}
        written = await client.update_records(**IDS, SyncSessionToken=token, RecordPatches=[patch])
        token = (await client.list_records(**IDS))["SyncSessionToken"]
        try:
            await client.update_records(**IDS, SyncSessionToken=token, RecordPatches=[patch])
            conflict = None
        except client.exceptions.ResourceConflictException as error:
            conflict = error.response["Error"]["Message"]
        listed = await client.list_records(**IDS)
        return {
            "written": [[r["Key"], r["Value"], r["SyncCount"]] for r in written["Records"]],
            "conflict": conflict,
            "sync_count": listed["DatasetSyncCount"],
        }

print(json.dumps(asyncio.run(scenario())))
"""


def test_aioboto3_client_in_its_own_environment() -> None:
    """aioboto3 pins an older aiobotocore, so it runs in a cached venv of its own, on this checkout."""
    venv = python_venv("aioboto3", [AIOBOTO3])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    script = AIOBOTO3_SCRIPT % {"pool": POOL, "identity": IDENTITY}
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == {
        "written": [["k", "v", 1]],
        "conflict": "Current SyncCount for: k is: 1 not: 0",
        "sync_count": 1,
    }


def test_an_aiobotocore_client_under_moto_is_answered_by_this_mock() -> None:
    from moto import mock_aws

    async def scenario() -> bool:
        async with aio_client() as client:
            listed = await client.list_records(**ids())
            return bool(listed["DatasetExists"])

    for outer, inner in ((mock_aws(), mock_cognito_sync()), (mock_cognito_sync(), mock_aws())):
        with outer, inner:
            ours = cast(mock_cognito_sync, outer if isinstance(outer, mock_cognito_sync) else inner)
            assert asyncio.run(scenario()) is False
            assert [c.operation for c in ours.calls] == ["ListRecords"]


def test_a_decorated_coroutine_run_twice_starts_afresh() -> None:
    @mock_cognito_sync
    async def scenario() -> list[tuple[str, str | None, int]]:
        async with aio_client() as client:
            return triples((await write_async(client, [replace("k", "v")]))["Records"])

    assert asyncio.run(scenario()) == [("k", "v", 1)]
    assert asyncio.run(scenario()) == [("k", "v", 1)]


LAZY_IMPORT = textwrap.dedent(
    """
    import asyncio, json, socket, sys

    def refuse(*args, **kwargs):
        raise OSError("network refused in this test")

    socket.getaddrinfo = refuse
    socket.socket.connect = refuse

    from cognito_sync_mock import mock_cognito_sync

    mock = mock_cognito_sync()
    mock.start()
    assert "aiobotocore" not in sys.modules, "imported too early"

    from aiobotocore.session import get_session
    from botocore.config import Config

    pool = "eu-west-1:0000aaaa-0000-4000-8000-000000000001"
    identity = "eu-west-1:0000aaaa-0000-4000-8000-000000000002"
    names = dict(IdentityPoolId=pool, IdentityId=identity, DatasetName="game")

    async def main():
        async with get_session().create_client(
            "cognito-sync", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}),
        ) as client:
            listed = await client.list_records(**names)
            patch = {"Op": "replace", "Key": "k", "Value": "v", "SyncCount": 0}
            written = await client.update_records(
                **names, SyncSessionToken=listed["SyncSessionToken"], RecordPatches=[patch])
            again = await client.list_records(**names)
            try:
                await client.update_records(**names, SyncSessionToken=again["SyncSessionToken"], RecordPatches=[patch])
                conflict = None
            except client.exceptions.ResourceConflictException as error:
                conflict = error.response["Error"]["Message"]
            return {
                "exists": listed["DatasetExists"],
                "written": [[r["Key"], r["Value"], r["SyncCount"]] for r in written["Records"]],
                "conflict": conflict,
            }

    out = asyncio.run(main())
    out["calls"] = [[c.operation, c.error] for c in mock.calls]
    out["stored"] = mock.backend("eu-west-1").describe_dataset(
        identity_pool_id=pool, identity_id=identity, dataset_name="game")["Dataset"]["NumRecords"]
    mock.stop()
    print(json.dumps(out))
    """
)


def test_aiobotocore_imported_only_after_the_mock_started_is_answered() -> None:
    done = subprocess.run([sys.executable, "-c", LAZY_IMPORT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "exists": False,
        "written": [["k", "v", 1]],
        "conflict": "Current SyncCount for: k is: 1 not: 0",
        "calls": [
            ["ListRecords", None],
            ["UpdateRecords", None],
            ["ListRecords", None],
            ["UpdateRecords", "ResourceConflictException"],
        ],
        "stored": 1,
    }


def test_an_aiobotocore_client_without_credentials_gets_dummy_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """As for botocore clients: no keys anywhere is no NoCredentialsError while the mock is on."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    async def scenario() -> int:
        async with get_session().create_client("cognito-sync", region_name="us-east-1") as client:
            return int((await client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY))["Count"])

    with mock_cognito_sync() as mock:
        assert asyncio.run(scenario()) == 0
    assert [call.operation for call in mock.calls] == ["ListDatasets"]


# -- aiobotocore and the credential chain: no look-up leaves the machine --------------------------

FIRST_ASYNC_CLIENT = textwrap.dedent(
    """
    import asyncio, json, socket, sys

    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"network refused in this test: {address!r}")
        return real_connect(sock, address)

    socket.socket.connect = loopback_only

    from cognito_sync_mock import mock_cognito_sync

    with mock_cognito_sync() as mock:
        assert "aiobotocore" not in sys.modules, "imported too early"
        from aiobotocore.session import get_session
        from botocore.config import Config

        async def main():
            session = get_session()
            credentials = await session.get_credentials()
            async with session.create_client(
                "cognito-sync", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
            ) as client:
                listed = await client.list_datasets(IdentityPoolId=sys.argv[1], IdentityId=sys.argv[2])
            return {"credentials": credentials, "count": listed["Count"]}

        out = asyncio.run(main())
    out["calls"] = [[c.operation, c.error] for c in mock.calls]
    print(json.dumps(out))
    """
)


def test_the_first_aiobotocore_client_under_the_mock_asks_no_server(machine: Machine) -> None:
    """aiobotocore imported only after the mock started, in a process of its own, no keys anywhere."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ASYNC_CLIENT, POOL, IDENTITY], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "credentials": None,
        "count": 0,
        "calls": [["ListDatasets", None]],
    }
    assert machine.requests() == NOTHING_ASKED


def test_an_aiobotocore_client_made_before_the_mock_with_no_credentials_is_answered(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> list[str]:
        outcomes = []
        with monkeypatch.context() as nowhere:
            nowhere.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            nowhere.setenv("AWS_EC2_METADATA_DISABLED", "true")
            made = get_session().create_client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
            client = await made.__aenter__()
        try:
            for mocked in (False, True, False):
                try:
                    with mock_cognito_sync() if mocked else contextlib.nullcontext():
                        listed = await client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)
                    outcomes.append(f"answered, {listed['Count']} datasets")
                except NoCredentialsError:
                    outcomes.append("NoCredentialsError")
        finally:
            await made.__aexit__(None, None, None)
        return outcomes

    assert asyncio.run(scenario()) == ["NoCredentialsError", "answered, 0 datasets", "NoCredentialsError"]
    assert machine.requests() == NOTHING_ASKED
