"""Helpers for the pool-administration and side-channel tests.

(configuration, Cognito events and the sync trigger, streams, bulk publish, push sync,
fault injection). The IDs, the ``client`` fixture and the record helpers come from
conftest.py; what is here is specific to the side channels.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from conftest import POOL

APP_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/my-game"
OTHER_APP_ARN = "arn:aws:sns:eu-west-1:123456789012:app/APNS_SANDBOX/my.game-2"
ROLE_ARN = "arn:aws:iam::123456789012:role/CognitoSyncRole"
TRIGGER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sync-trigger"
STREAM = "sync-stream"

APP_ARN_PATTERN = r"arn:aws:sns:[-0-9a-z]+:\d+:app/[A-Z_]+/[a-zA-Z0-9_.-]+"
ROLE_ARN_PATTERN = r"arn:aws:iam::\d+:role/.*"


def body(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def enable_push(client: Any, pool: str = POOL) -> None:
    client.set_identity_pool_configuration(
        IdentityPoolId=pool, PushSync={"ApplicationArns": [APP_ARN], "RoleArn": ROLE_ARN}
    )


def enable_streams(client: Any, pool: str = POOL, stream: str = STREAM) -> None:
    client.set_identity_pool_configuration(
        IdentityPoolId=pool,
        CognitoStreams={"StreamName": stream, "RoleArn": ROLE_ARN, "StreamingStatus": "ENABLED"},
    )


def set_trigger(client: Any, arn: str = TRIGGER_ARN, pool: str = POOL) -> None:
    client.set_cognito_events(IdentityPoolId=pool, Events={"SyncTrigger": arn})


def ms(moment: _dt.datetime) -> int:
    """Epoch milliseconds, as Cognito Streams dates."""
    return round(moment.timestamp() * 1000)


def utc(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text).replace(tzinfo=_dt.timezone.utc)
