"""A two-minute tour: save a game on one device, read it on another, see a conflict."""

import boto3

from cognito_sync_mock import mock_cognito_sync

POOL = "us-east-1:7e2a1c3b-0000-4000-8000-000000000001"
PLAYER = "us-east-1:5b9d2e10-0000-4000-8000-00000000beef"

with mock_cognito_sync() as mock:
    client = boto3.client(
        "cognito-sync", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )

    # Devices A and B both pull (nothing yet); each gets a sync session token of its own.
    pulled_a = client.list_records(IdentityPoolId=POOL, IdentityId=PLAYER, DatasetName="game")
    pulled_b = client.list_records(IdentityPoolId=POOL, IdentityId=PLAYER, DatasetName="game")
    print("dataset exists before the first push:", pulled_a["DatasetExists"])

    # Device A pushes its high score.
    pushed = client.update_records(
        IdentityPoolId=POOL,
        IdentityId=PLAYER,
        DatasetName="game",
        SyncSessionToken=pulled_a["SyncSessionToken"],
        RecordPatches=[{"Op": "replace", "Key": "highscore", "Value": "4200", "SyncCount": 0}],
    )
    print("written:", [(r["Key"], r["Value"], r["SyncCount"]) for r in pushed["Records"]])

    # Device B still believes the key is new: the server refuses with a conflict.
    try:
        client.update_records(
            IdentityPoolId=POOL,
            IdentityId=PLAYER,
            DatasetName="game",
            SyncSessionToken=pulled_b["SyncSessionToken"],
            RecordPatches=[{"Op": "replace", "Key": "highscore", "Value": "3900", "SyncCount": 0}],
        )
    except client.exceptions.ResourceConflictException as conflict:
        print("device B:", conflict.response["Error"]["Message"])

    usage = client.describe_identity_usage(IdentityPoolId=POOL, IdentityId=PLAYER)["IdentityUsage"]
    print("datasets:", usage["DatasetCount"], "bytes stored:", usage["DataStorage"])
    print("calls answered:", [call.operation for call in mock.calls])
