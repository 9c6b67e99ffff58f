"""Everything that knows moto, plugged into the hooks the domain and the channels offer.

A ``Moto`` is moto's backends seen through those hooks: its ``directory`` (a
``backend.existence.Directory``) knows the identity pools and identities of moto's
cognito-identity, its ``streams`` (a ``channels.streams.StreamSink``) puts stream records on
moto's Kinesis and too-large payloads in moto's S3, its ``push`` (a ``channels.push.PushSink``)
publishes silent pushes to platform endpoints of moto's SNS, and ``adopt_credentials`` gives the
answer of moto's GetCredentialsForIdentity keys of that very identity. ``IN_PROCESS`` is
live only while moto's mock is active in this process; ``HOSTED`` always, for a server that
hosts moto's own WSGI application (``server_app``) and so answers from moto's backends.
``state`` plugs one of them in, and takes moto's account (``account_id``) as the mock's default.

moto is never imported here unless the user's code already did, or a server hosts moto: a
process without moto pays nothing, and a process with moto inactive sees no effect.
"""

from __future__ import annotations

import base64
import functools
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from ..state import State

PAYLOAD_URL_SECONDS = 7 * 24 * 60 * 60  # how long a presigned stream payload URL is valid


def account_id() -> str | None:
    """The account moto's mocks use, when the user set one (``$MOTO_ACCOUNT_ID``)."""
    return os.environ.get("MOTO_ACCOUNT_ID")


def _mocking() -> bool:
    """Whether moto's mock is active in this process."""
    if "moto" not in sys.modules:
        return False
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return False
    return bool(botocore_stubber.enabled)


def _hosting() -> bool:
    """A server hosting moto answers from moto's backends at all times."""
    return True


def _regional(backends: Any, account_id: str, region: str) -> Any:
    """moto's backend of a service in an account and region, or None in a region moto does not know."""
    try:
        return backends[account_id][region]
    except KeyError:
        return None


class _Directory:
    """moto's cognito-identity as the domain's directory of pools and identities, while ``active()``."""

    def __init__(self, active: Callable[[], bool]) -> None:
        self.active = active

    def knows(self, account_id: str, region: str, pool_id: str, identity_id: str | None) -> bool:
        """Whether moto's cognito-identity holds the pool (and the identity in it)."""
        if identity_id is None:
            return pool_id in self.pools(account_id, region)
        return self.pool_of_identity(account_id, region, identity_id) == pool_id

    def pool_of_identity(self, account_id: str, region: str, identity_id: str) -> str | None:
        """The moto identity pool that holds an identity, if moto is active and holds it."""
        if not self.active():
            return None
        from moto.cognitoidentity.models import cognitoidentity_backends

        backend = _regional(cognitoidentity_backends, account_id, region)
        pools: dict[str, Any] = backend.pools_identities if backend is not None else {}
        for pool_id, entry in pools.items():
            if any(item.get("IdentityId") == identity_id for item in entry.get("Identities", [])):
                return pool_id
        return None

    def pools(self, account_id: str, region: str) -> list[str]:
        """The identity pool IDs moto's cognito-identity holds in an account and region."""
        if not self.active():
            return []
        from moto.cognitoidentity.models import cognitoidentity_backends

        backend = _regional(cognitoidentity_backends, account_id, region)
        return list(backend.identity_pools) if backend is not None else []


class _Streams:
    """moto's Kinesis and S3 as the streams' sink, while ``active()``."""

    def __init__(self, active: Callable[[], bool]) -> None:
        self.active = active

    def put_record(self, account_id: str, region: str, stream_name: str, partition_key: str, data: bytes) -> None:
        """Put a record on moto's Kinesis stream of that name, if moto holds one there."""
        if not self.active():
            return
        from moto.kinesis.models import kinesis_backends

        backend = _regional(kinesis_backends, account_id, region)
        if backend is None or stream_name not in backend.streams:
            return
        payload = base64.b64encode(data).decode()
        backend.put_record(None, stream_name, partition_key, None, payload)

    def put_payload(
        self, account_id: str, region: str, payload_id: str, body: bytes, base_url: str | None
    ) -> str | None:
        """Put a stream payload in moto's S3 and answer a presigned GET URL to it, if moto is active.

        The object is ``<payload_id>.json`` in the bucket ``cognito-sync-mock-streams-<account>-<region>``
        of that account and region, made at first use. The URL is S3's own, or under ``base_url``
        (a server hosting moto, whose S3 answers it there).
        """
        if not self.active():
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
        presigner = _presigner(region, base_url)
        url: str = presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=PAYLOAD_URL_SECONDS)
        return url


class _Push:
    """moto's SNS as the pushes' sink, while ``active()``."""

    def __init__(self, active: Callable[[], bool]) -> None:
        self.active = active

    def publish(self, application_arns: Sequence[str], platform: str, token: str, message: str) -> None:
        """Publish to the token's platform endpoint (made at first use, as CreatePlatformEndpoint
        makes it) under the first of ``application_arns`` of that platform that moto's SNS holds;
        a disabled endpoint gets nothing, as SNS delivers nothing to one."""
        if not self.active():
            return
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
    """moto's SNS backend and application of the first ARN of that platform it holds."""
    from moto.sns.models import sns_backends

    for arn in application_arns:
        region, account = arn.split(":")[3:5]
        backend = _regional(sns_backends, account, region)
        application = backend.applications.get(arn) if backend is not None else None
        if application is not None and application.platform == platform:
            return backend, application
    return None


class Moto(NamedTuple):
    """moto's backends as a State's hooks: the directory of pools and identities, the sinks of streams and pushes."""

    directory: _Directory
    streams: _Streams
    push: _Push


IN_PROCESS = Moto(_Directory(_mocking), _Streams(_mocking), _Push(_mocking))
"""moto's backends while moto's mock is active in this process (the in-process mock's)."""
HOSTED = Moto(_Directory(_hosting), _Streams(_hosting), _Push(_hosting))
"""moto's backends at all times (a server's that hosts ``server_app``)."""


@functools.lru_cache(maxsize=64)
def _presigner(region: str, endpoint_url: str | None) -> Any:
    """An S3 client of a region (and endpoint) that only signs URLs: it never sends a request."""
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    key = "cognito-sync-mock"  # dummy keys: moto does not check what signed a presigned URL
    # a server's own URL: path-style, signed as S3 signs today, so the server tells it is S3's
    config = botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4") if endpoint_url else None
    return session.create_client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=key,
        aws_secret_access_key=key,
        config=config,
    )


_Mint = Callable[[str, str, str, str], "dict[str, str]"]


def adopt_credentials(state: State, access_key: str | None, answer: dict[str, Any], mint: _Mint | None = None) -> None:
    """Swap the keys of moto's GetCredentialsForIdentity ``answer`` for keys minted for that identity.

    moto answers GetCredentialsForIdentity with the same keys for every identity; minted
    keys let the mock tell which identity signed a cognito-sync request. ``access_key``
    signed the request: it tells the account. ``mint(pool, identity, region, account)``
    makes the keys (default: ``state.identity_credentials``; a server's also saves).
    """
    identity_id = answer.get("IdentityId")
    credentials = answer.get("Credentials")
    if not isinstance(identity_id, str) or not isinstance(credentials, dict):
        return
    region = identity_id.split(":")[0]
    account = state.account_for(access_key)
    pool_id = state.moto.directory.pool_of_identity(account, region, identity_id)
    if pool_id is None:
        return
    minted = (mint or state.identity_credentials)(pool_id, identity_id, region, account)
    credentials["AccessKeyId"] = minted["aws_access_key_id"]
    credentials["SecretKey"] = minted["aws_secret_access_key"]
    credentials["SessionToken"] = minted["aws_session_token"]


# -- a server hosting moto ------------------------------------------------------------------


@functools.cache
def server_app() -> WSGIApplication | None:
    """moto_server's own WSGI application (every service, chosen from the request as moto_server
    does), or None when moto's server extra (Flask) is not installed. One for the process: moto's
    backends are the process's anyway."""
    try:
        with warnings.catch_warnings():  # moto warns before it raises the ImportError we answer
            warnings.simplefilter("ignore")
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    except ImportError:
        return None
    app: WSGIApplication = DomainDispatcherApplication(create_backend_app)
    return app


def reset() -> None:
    """Empty every moto backend of this process, as ``POST /moto-api/reset`` does."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
