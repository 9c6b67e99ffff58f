"""``CognitoSyncServer``: a State served over HTTP, with the mock's Python API, started and stopped.

It owns the State, the state database (``store.py``: every change goes through
``answer`` or ``change``, which write it before the answer) and the options of the app;
``start()`` runs the WSGI app on cheroot in a background thread (``host.py``), ``stop()``
ends it. It never installs the in-process interception.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .. import forks
from ..api import StateAPI
from ..channels.lambda_invoke import InvokeAPI
from ..channels.triggers import Handler
from ..integrations import moto
from ..protocol import Request, Response
from ..state import CALL_HISTORY, State, read_state
from .app import allowed_name, make_app
from .gateway import INSTALL_HINT
from .store import Durable, Scope, Store

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from .host import Cheroot

DEFAULT_HOST = "127.0.0.1"
MAX_BODY_BYTES = 8 * 1024 * 1024  # a Cognito Sync request is at most about 1 MB of records
MAX_MOTO_BODY_BYTES = 64 * 1024 * 1024  # other services' (S3 uploads): the CLI and SDKs send parts of 5 to 8 MiB


class CognitoSyncServer(StateAPI):
    """An HTTP server answering Cognito Sync from its own State, with the mock's Python API.

    Use it as a context manager (``with CognitoSyncServer() as server:``) or through
    ``start()`` / ``stop()``; ``url`` is where it listens (``port=0`` picks a free port).
    With ``state_file`` it keeps the state in that SQLite database (``store``): it starts from
    it (or, when the database is new, from ``state``) and writes each change to it, in one
    transaction, before answering; a change that cannot be written is answered 500 and
    applied nowhere. ``allow_hosts``: host
    names besides loopback ones that may reach the dashboard and the control endpoints.
    ``seed_ids``: a whole number that makes request IDs, device IDs, tokens and credentials
    the same in every run of the same calls (``mock_cognito_sync(seed=...)``).
    ``triggers`` maps Lambda function ARNs to Python handlers (as ``register_lambda``);
    ``lambda_endpoint`` is the Lambda Invoke API URL that runs every other SyncTrigger ARN.

    With ``with_moto`` (the default) and moto's server extra installed, every request that is
    not Cognito Sync goes to moto's own WSGI application in this process (``moto_app``), with
    bodies of up to ``max_moto_body_bytes``; the State then sees moto's backends (its
    cognito-identity pools, Kinesis streams, S3). They are moto's backends of the whole
    process: every server hosting moto, and ``mock_aws``, share them.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        state: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        state_file: str | os.PathLike[str] | None = None,
        call_history: int = CALL_HISTORY,
        allow_hosts: Iterable[str] = (),
        seed_ids: int | None = None,
        triggers: Mapping[str, Handler] | None = None,
        lambda_endpoint: str | None = None,
        with_moto: bool = True,
        max_moto_body_bytes: int = MAX_MOTO_BODY_BYTES,
    ) -> None:
        self.allow_hosts = frozenset(allowed_name(name) for name in allow_hosts)
        self.with_moto = with_moto
        self.moto_app: WSGIApplication | None = moto.server_app() if with_moto else None
        self._state = State(
            account_id, strict, limits, call_history, hosts_moto=self.moto_app is not None, seed=seed_ids
        )
        for function_arn, handler in (triggers or {}).items():
            self.register_lambda(function_arn, handler)
        if lambda_endpoint is not None:
            self._state.channels.triggers.default = InvokeAPI(lambda_endpoint, "lambda_endpoint")
        seed = read_state(state)
        if seed is not None:
            self._state.restore(seed)  # a snapshot (or its short form), as mock_cognito_sync(state=...)
        self.store = None if state_file is None else Store(state_file)
        self._durable = Durable(self._state, self.store)
        if self.store is not None:
            saved = self.store.load()
            if saved is not None:
                self._state.restore(saved)  # the database, once it holds a state, wins over the seed
            else:
                self.store.replace(self._state.backends)  # a new database starts from the seed
        self.host = host
        self.port = port
        self.max_body_bytes = max_body_bytes
        self.max_moto_body_bytes = max_moto_body_bytes
        self._http: Cheroot | None = None
        self._thread: threading.Thread | None = None
        self._lock = forks.renewed(self, "_lock", threading.Lock)

    @property
    def state(self) -> State:
        """The State every request of this server is answered from."""
        return self._state

    def _endpoint_url(self) -> str | None:
        return self.url

    @property
    def url(self) -> str:
        """The base URL the server listens on, e.g. ``http://127.0.0.1:50123``."""
        http = self._http
        if http is None:
            raise RuntimeError("the CognitoSyncServer is not running: call start() first")
        host, port = str(http.bind_addr[0]), int(http.bind_addr[1])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._http is not None

    def start(self) -> CognitoSyncServer:
        """Bind the port and answer requests in a background thread (the service model is read first)."""
        try:
            from . import host
        except ImportError as missing:
            if not (missing.name or "").startswith("cheroot"):
                raise
            raise ImportError(
                f"the server runs on cheroot, which is not installed: {INSTALL_HINT}", name=missing.name
            ) from missing
        with self._lock:
            if self._http is not None:
                raise RuntimeError("the CognitoSyncServer is already running")
            self._http, self._thread = host.listen(make_app(self), self.host, self.port, self._body_bound())
            self._state.channels.streams.base_url = self.url  # S3Url payloads are answered here
        return self

    def _body_bound(self) -> int:
        """The largest body any request may have (each kind's own limit is the app's)."""
        return max(self.max_body_bytes, self.max_moto_body_bytes if self.moto_app is not None else 0)

    def stop(self) -> None:
        """Stop listening, close every open connection and wait for the serving thread."""
        with self._lock:
            http, thread = self._http, self._thread
            self._http = self._thread = None
            self._state.channels.streams.base_url = None
        if http is None:
            return
        http.stop()
        if thread is not None:
            thread.join()

    # -- persistence -------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        """Answer one Cognito Sync request; a change is in the state database before it is answered."""
        return self._durable.answer(request)

    def change(self, scope: Scope, apply: Callable[[], Any]) -> Any:
        """Run a change of the mock's own API on ``scope`` and write it, all or nothing."""
        return self._durable.change(scope, apply)

    def save(self) -> dict[str, Any]:
        """Write the whole state to the state database now (if there is one) and return it.

        Requests save by themselves; this is for changes made through ``backend()`` directly.
        """
        with self._durable.lock:
            self._durable.replace(self._state.backends)
            return self.snapshot()

    def reset(self) -> None:
        """Empty every backend, the calls, the side channels' outboxes and faults (and save); all or nothing.

        A server hosting moto empties moto's backends too (those of the whole process).
        """
        self._durable.replace({}, super().reset)
        if self.moto_app is not None:
            moto.reset()

    def adopt_credentials(self, access_key: str | None, answer: dict[str, Any]) -> None:
        """Give moto's GetCredentialsForIdentity ``answer`` keys minted for its identity (and save it)."""

        def mint(pool_id: str, identity_id: str, region: str, account: str) -> dict[str, str]:
            scope = Scope(account, region, pool_id, (identity_id,))
            keys: dict[str, str] = self.change(
                scope, lambda: self._state.identity_credentials(pool_id, identity_id, region, account)
            )
            return keys

        moto.adopt_credentials(self._state, access_key, answer, mint)

    def restore(self, snapshot: Any) -> None:
        """Replace the whole state with a snapshot (or the short form), all or nothing (and save)."""
        backends = self._state.load(snapshot)
        self._durable.replace(backends, lambda: self._state.install(backends))

    def __enter__(self) -> CognitoSyncServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._http is not None else "stopped"
        return f"<CognitoSyncServer {where}>"
