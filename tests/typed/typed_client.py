"""A typed client under the mock, checked by mypy --strict in tests/test_typing.py.

With mypy-boto3-cognito-sync installed, boto3's cognito-sync client is a typed
``CognitoSyncClient``; the mock answers it like any other client.
"""

from __future__ import annotations

import boto3
from mypy_boto3_cognito_sync import CognitoSyncClient
from mypy_boto3_cognito_sync.type_defs import ListRecordsResponseTypeDef, RecordPatchTypeDef

from cognito_sync_mock import mock_cognito_sync

POOL = "us-east-1:0000aaaa-0000-4000-8000-000000000001"
PLAYER = "us-east-1:0000aaaa-0000-4000-8000-000000000002"


def first_push(client: CognitoSyncClient) -> int:
    """Push one record; the dataset's new sync count."""
    listed: ListRecordsResponseTypeDef = client.list_records(IdentityPoolId=POOL, IdentityId=PLAYER, DatasetName="game")
    patch: RecordPatchTypeDef = {"Op": "replace", "Key": "level", "Value": "3", "SyncCount": 0}
    written = client.update_records(
        IdentityPoolId=POOL,
        IdentityId=PLAYER,
        DatasetName="game",
        SyncSessionToken=listed["SyncSessionToken"],
        RecordPatches=[patch],
    )
    return written["Records"][0]["SyncCount"]


@mock_cognito_sync
def main() -> int:
    client: CognitoSyncClient = boto3.client("cognito-sync", region_name="us-east-1")
    return first_push(client)


if __name__ == "__main__":
    assert main() == 1
