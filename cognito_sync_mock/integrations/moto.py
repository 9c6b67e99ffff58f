"""Everything that looks into moto, when moto's mock is active in this process.

moto is never imported here unless the user's code already did: a process without moto
pays nothing, and a process with moto inactive sees no effect.
"""

from __future__ import annotations

import base64
import functools
import sys
from typing import Any

PAYLOAD_URL_SECONDS = 7 * 24 * 60 * 60  # how long a presigned stream payload URL is valid


def _active() -> bool:
    if "moto" not in sys.modules:
        return False
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return False
    return bool(botocore_stubber.enabled)


def known_identity_pools(account_id: str, region: str) -> list[str]:
    """The identity pool IDs moto's cognito-identity holds in an account and region."""
    if not _active():
        return []
    from moto.cognitoidentity.models import cognitoidentity_backends

    return list(cognitoidentity_backends[account_id][region].identity_pools)


def knows(account_id: str, region: str, pool_id: str, identity_id: str | None = None) -> bool:
    """Whether moto's cognito-identity holds the pool (and the identity in it)."""
    if identity_id is None:
        return pool_id in known_identity_pools(account_id, region)
    return pool_of_identity(account_id, region, identity_id) == pool_id


def pool_of_identity(account_id: str, region: str, identity_id: str) -> str | None:
    """The moto identity pool that holds an identity, if moto is active and holds it."""
    if not _active():
        return None
    from moto.cognitoidentity.models import cognitoidentity_backends

    pools: dict[str, Any] = cognitoidentity_backends[account_id][region].pools_identities
    for pool_id, entry in pools.items():
        if any(item.get("IdentityId") == identity_id for item in entry.get("Identities", [])):
            return pool_id
    return None


def put_kinesis_record(account_id: str, region: str, stream_name: str, partition_key: str, data: bytes) -> None:
    """Put a record on moto's Kinesis stream of that name, if moto holds one there."""
    if not _active():
        return
    from moto.kinesis.models import kinesis_backends

    backend = kinesis_backends[account_id][region]
    if stream_name not in backend.streams:
        return
    payload = base64.b64encode(data).decode()
    backend.put_record(None, stream_name, partition_key, None, payload)  # type: ignore[arg-type]


def put_stream_payload(account_id: str, region: str, payload_id: str, body: bytes) -> str | None:
    """Put a stream payload in moto's S3 and answer a presigned GET URL to it, if moto is active.

    The object is ``<payload_id>.json`` in the bucket ``cognito-sync-mock-streams-<account>-<region>``
    of that account and region, made at first use.
    """
    if not _active():
        return None
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    bucket, key = f"cognito-sync-mock-streams-{account_id}-{region}", f"{payload_id}.json"
    backend = s3_backends[account_id][get_partition(region)]
    try:
        backend.get_bucket(bucket)
    except MissingBucket:
        backend.create_bucket(bucket, region)
    backend.put_object(bucket, key, body)
    params = {"Bucket": bucket, "Key": key}
    url: str = _presigner(region).generate_presigned_url("get_object", Params=params, ExpiresIn=PAYLOAD_URL_SECONDS)
    return url


@functools.cache
def _presigner(region: str) -> Any:
    """An S3 client of a region that only signs URLs: it never sends a request."""
    import botocore.session

    session = botocore.session.get_session()
    key = "cognito-sync-mock"  # dummy keys: moto does not check what signed a presigned URL
    return session.create_client("s3", region_name=region, aws_access_key_id=key, aws_secret_access_key=key)
