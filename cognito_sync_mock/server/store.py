"""The server's ``--state FILE``: a SQLite database in which every acknowledged change is kept.

``Store`` is the file. It keeps one row per pool, identity, dataset and record, and one per
pool's sync-session count; each row holds that level's part of the JSON snapshot (its
children apart). Loading puts the parts back together into a snapshot document, which
``snapshot.load`` reads: what is valid is decided in one place. A change writes, in one
transaction, only the rows of its ``Scope`` whose JSON differs from what was last written
(kept in memory, records apart), and a dataset's records by sync count: those above the
count last written. The journal is a write-ahead log and every commit is flushed to disk
(``synchronous=FULL``) before it returns.

``Durable`` runs the changes of a ``State`` one at a time, each with the write of what it
changed, so that an answer is sent only once its change is on disk; a change that cannot be
written is undone (the state is read back from the file) and answered 500.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, TypeVar

from .. import forks, protocol, snapshot
from ..backend import Backend
from ..backend.models import Dataset, Identity
from ..backend.operations import READS
from ..exceptions import InternalError
from ..protocol import Request, Response
from ..state import State

logger = logging.getLogger("cognito_sync_mock.server")

SCHEMA = 1
"""The layout of the tables, in the file's ``user_version`` once it holds a state (0: none yet)."""
APPLICATION_ID = 0x43534D31  # "CSM1": what marks a SQLite file as a state database of this mock
_SQLITE_HEADER = b"SQLite format 3\x00"
_LOG_BYTES = 4 * 1024 * 1024  # the write-ahead log shrinks back to this after a big transaction (a seed, a restore)
_TABLES = (
    """CREATE TABLE IF NOT EXISTS sessions (account TEXT, region TEXT, pool TEXT, count INTEGER NOT NULL,
        PRIMARY KEY (account, region, pool)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS pools (account TEXT, region TEXT, pool TEXT, body TEXT NOT NULL,
        PRIMARY KEY (account, region, pool))""",
    """CREATE TABLE IF NOT EXISTS identities (account TEXT, region TEXT, pool TEXT, identity TEXT,
        body TEXT NOT NULL, PRIMARY KEY (account, region, pool, identity))""",
    """CREATE TABLE IF NOT EXISTS datasets (account TEXT, region TEXT, pool TEXT, identity TEXT, dataset TEXT,
        body TEXT NOT NULL, PRIMARY KEY (account, region, pool, identity, dataset))""",
    """CREATE TABLE IF NOT EXISTS records (account TEXT, region TEXT, pool TEXT, identity TEXT, dataset TEXT,
        key TEXT, sync_count INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (account, region, pool, identity, dataset, key))""",
)
_LEVELS = ("pools", "identities", "datasets", "records")  # each level's table holds the key of the one above
_KEYS = ("account", "region", "pool", "identity", "dataset")

_T = TypeVar("_T")
_Statement = tuple[str, tuple[Any, ...]]
BackendMap = Mapping[tuple[str, str], Backend]


class StoreError(Exception):
    """A state database that cannot be opened, read or written; the message names the file."""


class Scope(NamedTuple):
    """What one change may have changed: a pool of a backend (None: nothing) and some of its identities."""

    account: str
    region: str
    pool: str | None
    identities: tuple[str, ...] = ()


class _Written(NamedTuple):
    """What the file holds of a dataset: its row's JSON, and the two facts its records' delta needs."""

    body: str
    sync_count: int
    exists: bool


class _Node:
    """What the file holds of a pool or an identity: its row's JSON and its children's."""

    __slots__ = ("body", "children")

    def __init__(self, body: str) -> None:
        self.body = body
        self.children: dict[str, Any] = {}  # identity ID -> _Node, or dataset name -> _Written


class _Rows:
    """The rows last written, records apart: what each change is compared with."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str, str], int] = {}
        self.pools: dict[tuple[str, str, str], _Node] = {}


def _json(fragment: Any) -> str:
    """Compact ASCII JSON: any string of the state fits in SQLite's UTF-8 text."""
    return json.dumps(fragment, separators=(",", ":"))


class Store:
    """One state database: ``load`` it at start, ``write`` each change's scope, ``replace`` it all."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = forks.renewed(self, "_lock", threading.Lock)
        self._rows = _Rows()
        self._stale = False  # the rows in memory may differ from the file's: the next write replaces all
        _refuse_other_files(self.path)
        try:
            self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            weakref.finalize(self, self.connection.close)
            header = [self.connection.execute(query).fetchone()[0] for query in _HEADER]
        except sqlite3.Error as error:  # e.g. "file is not a database": a SQLite header, then garbage
            raise StoreError(f"{self.path} cannot be opened: {error}") from None
        problem = _not_ours(self.path, *header)
        if problem is not None:
            self.connection.close()
            raise StoreError(problem)
        try:
            self._prepare()
        except sqlite3.Error as error:
            self.connection.close()
            raise StoreError(f"{self.path} cannot be written: {error}") from None

    def _prepare(self) -> None:
        """Make the tables (once) and prove that the file can be written: every start writes its header."""
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute(f"PRAGMA journal_size_limit={_LOG_BYTES}")
        self._commit_or_raise([(table, ()) for table in _TABLES] + [(f"PRAGMA application_id = {APPLICATION_ID}", ())])

    def load(self) -> dict[str, Any] | None:
        """The snapshot document the file holds, or None when it holds no state yet (a new file)."""
        with self._lock:
            try:
                document, rows = _assemble(self.connection)
            except sqlite3.Error as error:
                raise StoreError(f"{self.path} cannot be read: {error}") from None
            except ValueError as error:  # rows edited by hand
                raise StoreError(f"{self.path} holds a row that is not valid JSON: {error}") from None
            except KeyError as error:
                raise StoreError(f"{self.path} holds a row whose parent row is missing: {error}") from None
            self._rows, self._stale = rows, False
            return document

    def replace(self, backends: BackendMap) -> None:
        """Make the file hold exactly ``backends``, in one transaction."""
        with self._lock:
            self._replace(backends)

    def write(self, backends: BackendMap, scope: Scope) -> bool:
        """Write, in one transaction, what differs in ``scope`` from what the file holds; True if anything did."""
        with self._lock:
            if self._stale:
                self._replace(backends)
                return True
            statements = self._plan(backends.get((scope.account, scope.region)), scope)
            if statements:
                self._commit(statements)
            return bool(statements)

    def differs(self, backends: BackendMap, scope: Scope) -> bool:
        """Whether ``scope`` holds something that the file does not (then the file must be read again)."""
        with self._lock:
            if self._stale or self._plan(backends.get((scope.account, scope.region)), scope):
                self._stale = True  # the plan took the rows in memory ahead of the file
                return True
            return False

    def _replace(self, backends: BackendMap) -> None:
        self._rows = _Rows()
        statements: list[_Statement] = [(f"DELETE FROM {table}", ()) for table in ("sessions", *_LEVELS)]
        for (account, region), backend in backends.items():
            with backend.lock:
                for pool_id in sorted(backend.pools.keys() | backend.sync_sessions.keys()):
                    pool = backend.pools.get(pool_id)
                    identities = tuple(pool.identities) if pool else ()
                    statements += self._plan(backend, Scope(account, region, pool_id, identities))
        statements.append((f"PRAGMA user_version = {SCHEMA}", ()))
        self._commit(statements)

    def _commit(self, statements: list[_Statement]) -> None:
        """Run ``statements`` in one transaction; StoreError (nothing written) when they cannot be."""
        try:
            self._commit_or_raise(statements)
        except sqlite3.Error as error:
            self._stale = True  # the rows in memory were taken ahead: they hold what was not written
            raise StoreError(f"The state could not be saved to {self.path}: {error}; nothing was changed") from None
        self._stale = False

    def _commit_or_raise(self, statements: list[_Statement]) -> None:
        connection = self.connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            for sql, parameters in statements:
                connection.execute(sql, parameters)
            connection.execute("COMMIT")
        except sqlite3.Error:
            try:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
            except sqlite3.Error:  # the file keeps its last commit whatever happens here
                logger.debug("rollback of %s failed", self.path, exc_info=True)
            raise

    # -- what a change writes --------------------------------------------------------

    def _plan(self, backend: Backend | None, scope: Scope) -> list[_Statement]:
        """The statements that make the file hold what ``scope`` holds; the rows in memory follow them."""
        account, region, pool_id, identity_ids = scope
        if pool_id is None or backend is None:
            return []
        key = (account, region, pool_id)
        statements: list[_Statement] = []
        with backend.lock:
            count = backend.sync_sessions.get(pool_id)
            if count != self._rows.sessions.get(key):
                if count is None:
                    statements.append(_delete("sessions", key))
                    del self._rows.sessions[key]
                else:
                    statements.append(("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)", (*key, count)))
                    self._rows.sessions[key] = count
            pool = backend.pools.get(pool_id)
            node = self._rows.pools.get(key)
            if pool is None:
                if node is not None:
                    statements += [_delete(table, key) for table in _LEVELS]
                    del self._rows.pools[key]
                return statements
            if node is None:
                node = self._rows.pools[key] = _Node("")
            _put(statements, node, "pools", key, _json(snapshot.dump_pool(pool)))
            for identity_id in identity_ids:
                _plan_identity(statements, key, node, identity_id, pool.identities.get(identity_id))
        return statements


def _plan_identity(
    statements: list[_Statement], pool_key: tuple[str, ...], pool: _Node, identity_id: str, identity: Identity | None
) -> None:
    key = (*pool_key, identity_id)
    node = pool.children.get(identity_id)
    if identity is None:
        if node is not None:
            statements += [_delete(table, key) for table in _LEVELS[1:]]
            del pool.children[identity_id]
        return
    if node is None:
        node = pool.children[identity_id] = _Node("")
    _put(statements, node, "identities", key, _json(snapshot.dump_identity(identity)))
    for name in node.children.keys() - identity.datasets.keys():
        statements += [_delete(table, (*key, name)) for table in _LEVELS[2:]]
        del node.children[name]
    for name, dataset in identity.datasets.items():
        _plan_dataset(statements, (*key, name), node, dataset)


def _plan_dataset(statements: list[_Statement], key: tuple[str, ...], identity: _Node, dataset: Dataset) -> None:
    """A dataset's row and its records' delta: records change only with the sync count or a deletion."""
    body = _json(snapshot.dump_dataset(dataset))
    old: _Written | None = identity.children.get(dataset.name)
    if old is not None and old.body == body:
        return
    since = -1  # write every record
    if old is not None:
        if dataset.exists and old.exists and dataset.sync_count >= old.sync_count:
            since = old.sync_count
        else:
            statements.append(_delete("records", key))
    for record in dataset.changed_since((since + 1, ""), dataset.sync_count, len(dataset.records)):
        values = (*key, record.key, record.sync_count, _json(snapshot.dump_record(record)))
        statements.append(("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values))
    statements.append(("INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?)", (*key, body)))
    identity.children[dataset.name] = _Written(body, dataset.sync_count, dataset.exists)


def _put(statements: list[_Statement], node: _Node, table: str, key: tuple[str, ...], body: str) -> None:
    if node.body != body:
        marks = ", ".join("?" * (len(key) + 1))
        statements.append((f"INSERT OR REPLACE INTO {table} VALUES ({marks})", (*key, body)))
        node.body = body


def _delete(table: str, key: tuple[str, ...]) -> _Statement:
    """Delete the rows of ``table`` under ``key`` (account, region, pool, ...: a prefix of the columns)."""
    where = " AND ".join(f"{column} = ?" for column in _KEYS[: len(key)])
    return f"DELETE FROM {table} WHERE {where}", key


# -- reading the file ------------------------------------------------------------------


def document(connection: sqlite3.Connection) -> dict[str, Any] | None:
    """The snapshot document a state database holds (None when it holds none yet), read on ``connection``."""
    return _assemble(connection)[0]


def _assemble(connection: sqlite3.Connection) -> tuple[dict[str, Any] | None, _Rows]:
    """The document the rows make, and the rows as a write compares them, read in one transaction."""
    rows = _Rows()
    connection.execute("BEGIN")  # every table as of the same commit
    try:
        if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
            return None, rows
        return _read(connection, rows), rows
    finally:
        connection.execute("COMMIT")


def _read(connection: sqlite3.Connection, rows: _Rows) -> dict[str, Any]:
    accounts: dict[str, Any] = {}

    def region_of(account: str, region: str) -> dict[str, Any]:
        found: dict[str, Any] = accounts.setdefault(account, {}).setdefault(region, {"syncSessions": {}, "pools": {}})
        return found

    for account, region, pool_id, count in connection.execute(
        "SELECT account, region, pool, count FROM sessions ORDER BY account, region, pool"
    ):
        region_of(account, region)["syncSessions"][pool_id] = count
        rows.sessions[(account, region, pool_id)] = count
    pools: dict[tuple[str, ...], dict[str, Any]] = {}
    for account, region, pool_id, body in connection.execute(
        "SELECT account, region, pool, body FROM pools ORDER BY account, region, pool"
    ):
        rows.pools[(account, region, pool_id)] = _Node(body)
        pools[(account, region, pool_id)] = {**json.loads(body), "identities": {}}
        region_of(account, region)["pools"][pool_id] = pools[(account, region, pool_id)]
    identities: dict[tuple[str, ...], dict[str, Any]] = {}
    for account, region, pool_id, identity_id, body in connection.execute(
        "SELECT account, region, pool, identity, body FROM identities ORDER BY account, region, pool, identity"
    ):
        key = (account, region, pool_id)
        rows.pools[key].children[identity_id] = _Node(body)
        identities[(*key, identity_id)] = pools[key]["identities"][identity_id] = {**json.loads(body), "datasets": {}}
    datasets: dict[tuple[str, ...], dict[str, Any]] = {}
    for account, region, pool_id, identity_id, name, body in connection.execute(
        "SELECT account, region, pool, identity, dataset, body FROM datasets"
        " ORDER BY account, region, pool, identity, dataset"
    ):
        fragment = json.loads(body)
        node = rows.pools[(account, region, pool_id)].children[identity_id]
        node.children[name] = _Written(body, fragment["syncCount"], fragment["exists"])
        parent = identities[(account, region, pool_id, identity_id)]
        datasets[(account, region, pool_id, identity_id, name)] = parent["datasets"][name] = {**fragment, "records": {}}
    for *key, record_key, body in connection.execute(
        "SELECT account, region, pool, identity, dataset, key, body FROM records"
        " ORDER BY account, region, pool, identity, dataset, sync_count, key"
    ):
        datasets[tuple(key)]["records"][record_key] = json.loads(body)
    return {"version": snapshot.VERSION, "accounts": accounts}


_HEADER = ("PRAGMA application_id", "PRAGMA user_version", "SELECT count(*) FROM sqlite_master")


def _not_ours(path: Path, application: int, version: int, tables: int) -> str | None:
    """Why a SQLite file is not a state database this mock can read, or None."""
    if application != APPLICATION_ID and (application != 0 or tables):
        return f"{path} is a SQLite database of another program, not a cognito-sync-mock state"
    if version > SCHEMA:
        return f"{path} holds schema {version}; this cognito-sync-mock reads schema {SCHEMA}"
    return None


def _refuse_other_files(path: Path) -> None:
    """A file that is there and is not SQLite is refused, a JSON snapshot with what to do instead."""
    if not path.parent.is_dir():
        raise StoreError(f"{path} cannot be made: the folder {path.parent} does not exist")
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"{path} cannot be read: {error}") from None
    if not head or head == _SQLITE_HEADER:
        return
    try:
        json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        raise StoreError(f"{path} is not a state database (a SQLite file made by cognito-sync-mock)") from None
    raise StoreError(
        f"{path} is a JSON snapshot, not a state database: to start from it, use --seed {path} --state NEW.db"
    )


# -- changes, one at a time, each on disk before its answer ------------------------------

Mark = tuple[int, int]


class Durable:
    """A State whose changes are made one at a time, each written to its Store before it is answered.

    A request that may change the state (one not in ``READS``) runs under ``lock`` together
    with the write of its scope, so that each write holds exactly its own change (reads take
    no lock here). When the write fails, the state is read back from the file, which holds
    the last acknowledged state, and the request is answered 500: nothing was applied. Without
    a store it only answers.
    """

    def __init__(self, state: State, store: Store | None) -> None:
        self.state = state
        self.store = store
        self.lock = forks.renewed(self, "lock", threading.RLock)

    def answer(self, request: Request) -> Response:
        """Answer one Cognito Sync request; a change is in the file before it is answered."""
        store, state = self.store, self.state
        found = protocol.service().route(request.method, request.path) if store is not None else None
        if found is None or found[0].name in READS:
            return state.handle(request)
        operation, values = found
        labels = dict(zip(operation.labels, values))
        identities = (labels["IdentityId"],) if "IdentityId" in labels else ()
        scope = Scope(state.account_for(request.access_key), request.region, labels.get("IdentityPoolId"), identities)
        with self.lock:
            mark = state.channels.mark()
            response = protocol.handle(request, state)
            params = response.params or {}
            token = params.get("SyncSessionToken")
            try:
                self._settle(scope, mark, response.error is None, token if isinstance(token, str) else None)
            except StoreError as error:
                response = protocol.error_response(
                    operation.name, params, InternalError(str(error)), state.request_id()
                )
        return state.record(request, response)

    def change(self, scope: Scope, apply: Callable[[], _T]) -> _T:
        """Run ``apply`` (a change from the mock's own API) and write ``scope``, all or nothing."""
        if self.store is None:
            return apply()
        with self.lock:
            mark = self.state.channels.mark()
            try:
                result = apply()
            except Exception:
                self._settle(scope, mark, False)
                raise
            self._settle(scope, mark, True)
            return result

    def replace(self, backends: BackendMap, install: Callable[[], None] = lambda: None) -> None:
        """Make the file hold ``backends``, then ``install`` them in memory; StoreError changes neither."""
        with self.lock:
            if self.store is not None:
                self.store.replace(backends)
            install()

    def _settle(self, scope: Scope, mark: Mark, succeeded: bool, token: str | None = None) -> None:
        """Write a change that succeeded; for one that failed, make sure that nothing changed.

        StoreError when the file cannot be written, once the state is put back as the file holds it.
        """
        store = self.store
        assert store is not None
        try:
            if succeeded:
                store.write(self.state.backends, scope)
            elif store.differs(self.state.backends, scope):
                logger.error("a change that failed changed the state: it is read back from %s", store.path)
                self._read_back(scope, mark, token)
        except StoreError as error:
            logger.error("%s", error)
            self._read_back(scope, mark, token)
            raise

    def _read_back(self, scope: Scope, mark: Mark, token: str | None) -> None:
        """Put the state back as the file holds it, with the sync sessions used up so far, but ``token``'s."""
        state, store = self.state, self.store
        assert store is not None
        try:
            document = store.load()
            backends = state.load(document) if document is not None else {}
        except (StoreError, snapshot.SnapshotError) as error:
            logger.error("%s cannot be read back (%s): the state in memory keeps the change", store.path, error)
            return
        for key, backend in backends.items():
            old = state.backends.get(key)
            if old is not None:
                backend.sessions = old.sessions
        kept = backends.get((scope.account, scope.region))
        if kept is not None and token is not None:
            kept.sessions.unspend(token)
        state.install(backends)
        state.channels.rewind(mark)
