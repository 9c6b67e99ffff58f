"""The user's handle on a mock state, shared by the in-process mock and the server."""

from __future__ import annotations

from typing import Any

from . import rules
from .backend import Backend
from .channels.lambda_invoke import InvokeAPI
from .channels.triggers import Handler
from .display import CallList, PushList, StreamRecordList, html_table, text_table
from .state import Call, State


class StateAPI:
    """Reading, seeding and steering a State; subclasses say where ``state`` comes from."""

    @property
    def state(self) -> State:
        """The State this object reads and steers (each subclass says where it comes from)."""
        raise NotImplementedError

    _COLUMNS = ("account", "region", "pools", "identities", "datasets", "records")

    def _rows(self) -> list[list[Any]]:
        rows = []
        for (account, region), backend in sorted(self.state.backends.items()):
            with backend.lock:
                identities = [i for p in backend.pools.values() for i in p.identities.values()]
                datasets = [d for i in identities for d in i.datasets.values() if d.exists]
                rows.append(
                    [
                        account,
                        region,
                        len(backend.pools),
                        len(identities),
                        len(datasets),
                        sum(d.num_records for d in datasets),
                    ]
                )
        return rows

    def _title(self) -> str:
        return f"{type(self).__name__}: {len(self.state.calls)} calls answered"

    def _repr_html_(self) -> str:
        return html_table(self._title(), self._COLUMNS, self._rows())

    def __repr__(self) -> str:
        if getattr(self, "_state", None) is None:
            return f"<{type(self).__name__}, not started>"
        return text_table(self._title(), self._COLUMNS, self._rows())

    def backend(self, region: str = "us-east-1", account_id: str | None = None) -> Backend:
        """The live backend of an account (default: the mock's) and a region."""
        return self.state.backend(region, account_id)

    @property
    def calls(self) -> list[Call]:
        """The operations answered, in order: each with ``operation``, ``params``, ``error``.

        The last ``call_history`` of them (10,000 by default): older calls are dropped.
        """
        with self.state.lock:
            return CallList(self.state.calls)

    def reset(self) -> None:
        """Empty every backend, the calls, the side channels' outboxes and injected faults.

        A seeded mock's generated values start again from its seed, as in a fresh run.
        """
        self.state.reset()

    def seed_ids(self, seed: int | None) -> None:
        """Make request IDs, device IDs, tokens and credentials the sequence of ``seed`` from now on.

        ``None`` makes them random again. Tokens issued under another seed (or none) are refused.
        ``ValueError`` for a seed that is not a whole number from 0 to 2**64 - 1.
        """
        self.state.seed_ids(seed)

    # -- side channels -------------------------------------------------------------------

    def register_lambda(self, function_arn: str, handler: Handler) -> None:
        """Run ``handler(event, context)`` wherever a SyncTrigger names ``function_arn``.

        ``ValueError`` for an ARN that is not a string or is empty, ``TypeError`` for a handler
        that is not callable.
        """
        rules.LAMBDA_FUNCTION_ARN.check(function_arn, "function_arn")
        if not function_arn:
            raise ValueError("function_arn must not be empty (an empty SyncTrigger is no trigger)")
        if not callable(handler):
            raise TypeError(f"the handler of {function_arn} must be callable, not {type(handler).__name__}")
        self.state.channels.triggers.register(function_arn, handler)

    def register_lambda_endpoint(self, function_arn: str, url: str) -> None:
        """Run the function ``function_arn`` names through the Lambda Invoke API at ``url``.

        As ``sam local start-lambda`` or the Lambda runtime interface emulator offer it; this
        replaces any handler registered for the ARN. ``ValueError`` for a URL that is not
        http or https (or for a bad ARN).
        """
        self.register_lambda(function_arn, InvokeAPI(url))

    def stream_records(
        self, stream_name: str | None = None, region: str = "us-east-1", account_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The Cognito Streams records published (to one stream, or to any), in order."""
        records = self.state.channels.streams.records(stream_name, region, account_id or self.state.account_id)
        return StreamRecordList(records)

    def stream_payload(self, url: str) -> list[dict[str, Any]]:
        """The full records behind an ``S3Url`` stream record's ``kinesisSyncRecordsURL``.

        Any URL this mock made since the last ``reset()``, moto's presigned ones included (read
        from the mock's memory); ``KeyError`` for another URL, ``TypeError`` for a non-str.
        """
        return self.state.channels.streams.payload(url)

    @property
    def push_notifications(self) -> list[dict[str, Any]]:
        """Every silent push sent: dicts with platform, token, device_id and payload."""
        return PushList(self.state.channels.outbox.sent())

    @property
    def hold_bulk_publishes(self) -> bool:
        """When True, BulkPublish stays IN_PROGRESS until completed or failed by the mock's API."""
        return self.state.channels.hold_bulk_publishes

    @hold_bulk_publishes.setter
    def hold_bulk_publishes(self, hold: bool) -> None:
        self.state.channels.hold_bulk_publishes = hold

    def complete_bulk_publish(self, pool_id: str, region: str = "us-east-1", account_id: str | None = None) -> None:
        """Complete a held bulk publish: every dataset is published and it SUCCEEDED."""
        self.backend(region, account_id).complete_bulk_publish(pool_id)

    def fail_bulk_publish(
        self, pool_id: str, message: str, region: str = "us-east-1", account_id: str | None = None
    ) -> None:
        """End a held bulk publish as FAILED with ``message``."""
        self.backend(region, account_id).fail_bulk_publish(pool_id, message)

    def inject_error(self, operation: str, code: str, message: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` fail with ``code`` (a modeled error).

        botocore retries 429 and 500 answers, and each retry uses up one injected error.
        ``ValueError`` for ``times`` outside 1 to 1,000, for more than 1,000 errors pending
        for one operation in all, or for a message of more than 4,096 characters.
        """
        self.state.inject_error(operation, code, message, times)

    # -- credentials and accounts --------------------------------------------------------

    def identity_credentials(
        self, identity_pool_id: str, identity_id: str, region: str = "us-east-1", account_id: str | None = None
    ) -> dict[str, str]:
        """Cognito Identity credentials for an identity, as keyword arguments for ``boto3.client``.

        Requests signed with them are identity requests for that identity (strict mode
        enforces what such requests may do); the identity becomes known.
        """
        return self.state.identity_credentials(identity_pool_id, identity_id, region, account_id)

    def identity_client(
        self,
        identity_pool_id: str,
        identity_id: str,
        region: str = "us-east-1",
        account_id: str | None = None,
        **client_options: Any,
    ) -> Any:
        """A boto3 ``cognito-sync`` client signed as that identity (see ``identity_credentials``).

        Its calls are identity requests, so they run the pool's sync trigger as on AWS.
        ``client_options`` go to ``boto3.client`` (``config``, ...).
        """
        import boto3

        credentials = self.identity_credentials(identity_pool_id, identity_id, region, account_id)
        options = {"endpoint_url": self._endpoint_url(), **credentials, **client_options}
        return boto3.client("cognito-sync", region_name=region, **options)

    def _endpoint_url(self) -> str | None:
        """Where the clients this object makes send their requests (None: botocore's own, mocked)."""
        return None

    def map_access_key(self, access_key_id: str, account_id: str) -> None:
        """Put requests signed with a developer access key in another account (of 12 digits)."""
        self.state.map_access_key(access_key_id, account_id)

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a plain JSON-serializable dict with a ``version`` field."""
        return self.state.snapshot()

    def restore(self, snapshot: Any) -> None:
        """Replace the whole state with a snapshot (or the short form); a bad one changes nothing."""
        self.state.restore(snapshot)
