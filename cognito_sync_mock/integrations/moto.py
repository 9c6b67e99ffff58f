"""Everything that knows moto, plugged into the hooks the domain and the channels offer.

While moto's mock is active in this process: ``DIRECTORY`` (a ``backend.existence.Directory``)
knows the identity pools and identities of moto's cognito-identity, ``STREAMS`` (a
``channels.streams.StreamSink``) puts stream records on moto's Kinesis and too-large
payloads in moto's S3, ``PUSH`` (a ``channels.push.PushSink``) publishes silent pushes
to platform endpoints of moto's SNS, and ``adopt_credentials`` gives the answer of moto's
GetCredentialsForIdentity keys of that very identity. ``state`` plugs them in, and takes
moto's account (``account_id``) as the mock's default.

moto is never imported here unless the user's code already did: a process without moto
pays nothing, and a process with moto inactive sees no effect.
"""

from __future__ import annotations

import base64
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from ..state import State

PAYLOAD_URL_SECONDS = 7 * 24 * 60 * 60  # how long a presigned stream payload URL is valid


def account_id() -> str | None:
    """The account moto's mocks use, when the user set one (``$MOTO_ACCOUNT_ID``)."""
    return os.environ.get("MOTO_ACCOUNT_ID")


def _active() -> bool:
    if "moto" not in sys.modules:
        return False
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return False
    return bool(botocore_stubber.enabled)


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


class _Directory:
    """moto's cognito-identity as the domain's directory of pools and identities."""

    def knows(self, account_id: str, region: str, pool_id: str, identity_id: str | None) -> bool:
        """Whether moto's cognito-identity holds the pool (and the identity in it)."""
        if identity_id is None:
            return pool_id in self.pools(account_id, region)
        return pool_of_identity(account_id, region, identity_id) == pool_id

    def pools(self, account_id: str, region: str) -> list[str]:
        """The identity pool IDs moto's cognito-identity holds in an account and region."""
        if not _active():
            return []
        from moto.cognitoidentity.models import cognitoidentity_backends

        return list(cognitoidentity_backends[account_id][region].identity_pools)


class _Streams:
    """moto's Kinesis and S3 as the streams' sink."""

    def put_record(self, account_id: str, region: str, stream_name: str, partition_key: str, data: bytes) -> None:
        """Put a record on moto's Kinesis stream of that name, if moto holds one there."""
        if not _active():
            return
        from moto.kinesis.models import kinesis_backends

        backend = kinesis_backends[account_id][region]
        if stream_name not in backend.streams:
            return
        payload = base64.b64encode(data).decode()
        backend.put_record(None, stream_name, partition_key, None, payload)  # type: ignore[arg-type]

    def put_payload(self, account_id: str, region: str, payload_id: str, body: bytes) -> str | None:
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


class _Push:
    """moto's SNS as the pushes' sink."""

    def publish(self, application_arns: Sequence[str], platform: str, token: str, message: str) -> None:
        """Publish to the token's platform endpoint (made at first use, as CreatePlatformEndpoint
        makes it) under the first of ``application_arns`` of that platform that moto's SNS holds;
        a disabled endpoint gets nothing, as SNS delivers nothing to one."""
        found = _platform_application(application_arns, platform)
        if found is None:
            return
        backend, application = found
        held = backend.list_endpoints_by_platform_application(application.arn)
        endpoint = next((e for e in held if e.token == token), None)
        if endpoint is None:
            endpoint = backend.create_platform_endpoint(application, "", token, {})
        if endpoint.enabled:
            backend.publish(message, arn=endpoint.arn, message_structure="json")


def _platform_application(application_arns: Sequence[str], platform: str) -> tuple[Any, Any] | None:
    """moto's SNS backend and application of the first ARN of that platform it holds, if moto is active."""
    if not _active():
        return None
    from moto.sns.models import sns_backends

    for arn in application_arns:
        region, account = arn.split(":")[3:5]
        try:
            backend = sns_backends[account][region]
        except KeyError:  # a region moto's SNS does not have holds no application
            continue
        application = backend.applications.get(arn)
        if application is not None and application.platform == platform:
            return backend, application
    return None


DIRECTORY = _Directory()
STREAMS = _Streams()
PUSH = _Push()


@functools.cache
def _presigner(region: str) -> Any:
    """An S3 client of a region that only signs URLs: it never sends a request."""
    import botocore.session

    session = botocore.session.get_session()
    key = "cognito-sync-mock"  # dummy keys: moto does not check what signed a presigned URL
    return session.create_client("s3", region_name=region, aws_access_key_id=key, aws_secret_access_key=key)


def adopt_credentials(state: State, access_key: str | None, answer: dict[str, Any]) -> None:
    """Swap the keys of moto's GetCredentialsForIdentity ``answer`` for keys minted for that identity.

    moto answers GetCredentialsForIdentity with the same keys for every identity; minted
    keys let the mock tell which identity signed a cognito-sync request. ``access_key``
    signed the request: it tells the account.
    """
    identity_id = answer.get("IdentityId")
    credentials = answer.get("Credentials")
    if not isinstance(identity_id, str) or not isinstance(credentials, dict):
        return
    region = identity_id.split(":")[0]
    account = state.account_for(access_key)
    pool_id = pool_of_identity(account, region, identity_id)
    if pool_id is None:
        return
    minted = state.identity_credentials(pool_id, identity_id, region, account)
    credentials["AccessKeyId"] = minted["aws_access_key_id"]
    credentials["SecretKey"] = minted["aws_secret_access_key"]
    credentials["SessionToken"] = minted["aws_session_token"]
