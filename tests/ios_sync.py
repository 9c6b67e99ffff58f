"""The Cognito Sync client of the AWS Mobile SDK for iOS, transcribed to Python for tests.

This follows the ``AWSCognito`` framework of aws-sdk-ios (``AWSCognitoService.m``,
``AWSCognitoDataset.m``, ``AWSCognitoConflict.m``, ``AWSCognitoRecord.m`` and, for the
local database, ``Internal/AWSCognitoSQLiteManager.m``), so that the SDK's own
integration tests (``AWSCognitoTests/AWSCognitoClientTest.m``) can run against the mock
through a boto3 ``cognito-sync`` client. Every class and method names what it transcribes.

What the iOS client does, in short:

- Local records carry a *dirty count* (``0``: in step with the server; each local write adds
  one; a local delete sets it to ``-1``), the ``SyncCount`` last seen for them, and who
  changed them when. Each dataset keeps its *last sync count* (``-1``: cleared locally,
  to be deleted on the server at the next sync).
- ``synchronize`` lets one sync run and one wait (a third gets "already pending"). A sync
  pulls ``ListRecords(LastSyncCount)``, writes remote changes over clean local records,
  hands dirty ones that changed remotely to the conflict handler, then pushes every dirty
  record with the session token of that listing. A ``ResourceConflictException`` starts the
  sync again (five attempts in all). After a push the last sync count moves to the highest
  count written, but only when no record came back more than one above the count of the
  pull (otherwise someone else wrote in between, and the next pull must fetch it).
- A dataset that does not exist on the server, or was deleted after the count the device
  asked for, goes to the dataset-deleted handler: ``False`` drops the local data, anything
  else (or no handler) keeps it and pushes it all again from sync count 0.
- Merged datasets (``<name>.<other identity>``) are reported to the dataset-merged
  handler, from the local database before a sync and from ``MergedDatasetNames``.

Where the Objective-C differs from what it plainly means, this file says which it follows:

- The pull's test "a local sync count is set and the dataset does not exist" compares an
  ``NSNumber`` pointer with 0, i.e. with nil, which always passes once a count was loaded,
  so in effect the dataset-deleted handler is asked whenever ``DatasetExists`` is false.
  That is followed here (Android's client compares the value instead).
- The orderings ``currentSyncCount < lastSyncCount`` (pull) and ``currentSyncCount >
  maxPatchSyncCount`` (conflict on push) also compare ``NSNumber`` pointers; their meaning
  is the numbers' order, which is what this file does.
- Notifications and handlers are delivered on a background queue in iOS; here they are
  called in line, so a test need not wait for them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as _dt
import enum
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from botocore.exceptions import BotoCoreError, ClientError

# -- constants (AWSCognitoConstants.m, AWSCognitoService.m) -------------------------------

UNKNOWN_IDENTITY = "UnknownId"
LOCAL_DEVICE = "LOCAL"  # the device ID of an app whose device never registered for push
NOT_SYNCED_DELETED_RECORD_DIRTY = -1
MAX_SYNC_RETRIES = 5
MAX_DATASET_SIZE = 1024 * 1024
MIN_KEY_SIZE = 1
MAX_KEY_SIZE = 128
MAX_RECORD_VALUE_SIZE = MAX_DATASET_SIZE - 1
MAX_NUM_RECORDS = 1024
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

DID_START_SYNCHRONIZE = "com.amazon.cognito.AWSCognitoDidStartSynchronizeNotification"
DID_END_SYNCHRONIZE = "com.amazon.cognito.AWSCognitoDidEndSynchronizeNotification"
DID_CHANGE_LOCAL_VALUE_FROM_REMOTE = "com.amazon.cognito.AWSCognitoDidChangeLocalValueFromRemoteNotification"
DID_CHANGE_REMOTE_VALUE = "com.amazon.cognito.AWSCognitoDidChangeRemoteValueNotification"
DID_FAIL_TO_SYNCHRONIZE = "com.amazon.cognito.AWSCognitoDidFailToSynchronizeNotification"


class CognitoErrorCode(enum.IntEnum):
    """``AWSCognitoErrorType``: the codes of the errors the client makes itself."""

    UNKNOWN = 0
    REMOTE_DATA_STORAGE_FAILED = -1000
    INVALID_DATA_VALUE = -1001
    USER_DATA_SIZE_LIMIT_EXCEEDED = -1002
    LOCAL_DATA_STORAGE_FAILED = -2000
    ILLEGAL_ARGUMENT = -3000
    AUTHENTICATION_FAILED = -4000
    TASK_CANCELED = -5000
    CONFLICT_RETRIES_EXHAUSTED = -6000
    WIFI_NOT_AVAILABLE = -7000
    DEVICE_NOT_REGISTERED = -8000
    SYNC_ALREADY_PENDING = -9000
    TIMED_OUT_WAITING_FOR_IN_FLIGHT_SYNC = -10000


class CognitoError(Exception):
    """An ``NSError`` of ``AWSCognitoErrorDomain``."""

    def __init__(self, code: CognitoErrorCode, message: str = "") -> None:
        super().__init__(f"{code.name}{': ' + message if message else ''}")
        self.code = code


@dataclass
class Task:
    """What an ``AWSTask`` of the client ends with: ``error`` is None on success.

    The error is a :class:`CognitoError` or the service's ``botocore`` ``ClientError``.
    """

    error: Optional[Exception] = None


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _millis(date: Optional[_dt.datetime]) -> _dt.datetime:
    """A date as SQLite keeps it in the iOS client: whole milliseconds since the epoch."""
    if date is None:
        return EPOCH
    return EPOCH + _dt.timedelta(milliseconds=int((date - EPOCH) / _dt.timedelta(milliseconds=1)))


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


# -- records, conflicts (AWSCognitoRecord.m, AWSCognitoConflict.m) ------------------------


@dataclass
class LocalRecord:
    """``AWSCognitoRecord``: a record as the device holds it.

    ``value`` None is a deleted record (``AWSCognitoRecordValueTypeDeleted``).
    """

    key: str
    value: Optional[str]
    sync_count: int = 0
    dirty_count: int = 0
    last_modified: _dt.datetime = EPOCH
    last_modified_by: str = ""

    @property
    def is_dirty(self) -> bool:
        """``-[AWSCognitoRecord isDirty]``: changed locally since the last sync."""
        return self.dirty_count != 0

    @property
    def is_deleted(self) -> bool:
        """``-[AWSCognitoRecord isDeleted]``."""
        return self.value is None

    def copy(self) -> LocalRecord:
        """``-[AWSCognitoRecord copy]``."""
        return dataclasses.replace(self)


@dataclass
class ResolvedConflict:
    """``AWSCognitoResolvedConflict``: the record a conflict handler chose."""

    conflict: Conflict
    resolved_record: LocalRecord


@dataclass
class Conflict:
    """``AWSCognitoConflict``: a dirty local record that also changed on the server."""

    local_record: LocalRecord
    remote_record: LocalRecord

    def resolve_with_local_record(self) -> ResolvedConflict:
        """``-resolveWithLocalRecord``: keep the local record (still dirty) at the remote sync count."""
        record = self.local_record.copy()
        record.sync_count = self.remote_record.sync_count
        return ResolvedConflict(self, record)

    def resolve_with_remote_record(self) -> ResolvedConflict:
        """``-resolveWithRemoteRecord``: take the server's record (clean)."""
        return ResolvedConflict(self, self.remote_record.copy())

    def resolve_with_value(self, value: str) -> ResolvedConflict:
        """``-resolveWithValue:``: the local record at the remote sync count, with a new value."""
        resolved = self.resolve_with_local_record()
        resolved.resolved_record.value = value
        return resolved


ConflictHandler = Callable[[str, Conflict], Optional[ResolvedConflict]]
DatasetDeletedHandler = Callable[[str], bool]
DatasetMergedHandler = Callable[[str, list[str]], None]


def default_conflict_handler(dataset_name: str, conflict: Conflict) -> Optional[ResolvedConflict]:
    """``+[AWSCognito defaultConflictHandler]``: last writer wins.

    The local record wins only when it was changed strictly later than the remote one
    (the SDK also lets it win when there is no remote record, which a sync never hands over).
    """
    if conflict.local_record.last_modified > conflict.remote_record.last_modified:
        return conflict.resolve_with_local_record()
    return conflict.resolve_with_remote_record()


# -- the local database (AWSCognitoSQLiteManager.m) ---------------------------------------


@dataclass
class DatasetMetadata:
    """``AWSCognitoDatasetMetadata``: a row of the local metadata table."""

    name: str
    last_sync_count: int = 0
    creation_date: _dt.datetime = EPOCH
    last_modified_date: _dt.datetime = EPOCH
    last_modified_by: str = ""
    data_storage: int = 0
    num_records: int = 0

    @property
    def is_deleted(self) -> bool:
        """``-[AWSCognitoDatasetMetadata isDeleted]``: cleared locally, not yet deleted remotely."""
        return self.last_sync_count == -1


class LocalDatabase:
    """The SQLite file of one device: rows of every identity, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.records: dict[tuple[str, str], dict[str, LocalRecord]] = {}
        self.metadata: dict[tuple[str, str], DatasetMetadata] = {}


def _like(pattern: str) -> re.Pattern[str]:
    """SQLite's ``LIKE`` (``%``, ``_``, ASCII case folded) as a regular expression."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.ASCII | re.DOTALL)


class LocalStore:
    """``AWSCognitoSQLiteManager``: one identity's view of a device's local database.

    Several stores may share one :class:`LocalDatabase`, as the iOS tests do when they open
    a second manager with another device ID or identity ID on the same SQLite file.
    """

    def __init__(
        self, identity_id: Optional[str], device_id: Optional[str], database: Optional[LocalDatabase] = None
    ) -> None:
        """``-initWithIdentityId:deviceId:``."""
        self.identity_id = identity_id or UNKNOWN_IDENTITY
        self.device_id = device_id
        self.database = database if database is not None else LocalDatabase()

    @contextlib.contextmanager
    def _transaction(self, dataset_name: str) -> Iterator[dict[str, LocalRecord]]:
        """``BEGIN EXCLUSIVE TRANSACTION`` on one dataset's rows: restored if the body raises."""
        with self.database.lock:
            rows = self._rows(dataset_name)
            saved = {key: record.copy() for key, record in rows.items()}
            try:
                yield rows
            except _Rollback:
                rows.clear()
                rows.update(saved)

    def _rows(self, dataset_name: str) -> dict[str, LocalRecord]:
        return self.database.records.setdefault((self.identity_id, dataset_name), {})

    def _modifier(self, modified_by: Optional[str] = None) -> str:
        return modified_by if modified_by is not None else (self.device_id or "")

    def initialize_dataset_tables(self, dataset_name: str) -> None:
        """``-initializeDatasetTables:``: a metadata row for the dataset, unless it has one."""
        with self.database.lock:
            now = _millis(_now())
            self.database.metadata.setdefault(
                (self.identity_id, dataset_name),
                DatasetMetadata(
                    dataset_name, creation_date=now, last_modified_date=now, last_modified_by=self._modifier()
                ),
            )

    def get_datasets(self) -> list[DatasetMetadata]:
        """``-getDatasets:``: the metadata of every dataset of this identity."""
        with self.database.lock:
            return [
                dataclasses.replace(metadata)
                for (identity, _), metadata in self.database.metadata.items()
                if identity == self.identity_id
            ]

    def load_dataset_metadata(self, dataset_name: str) -> Optional[DatasetMetadata]:
        """``-loadDatasetMetadata:error:``: the dataset's metadata row, if any."""
        with self.database.lock:
            metadata = self.database.metadata.get((self.identity_id, dataset_name))
            return dataclasses.replace(metadata) if metadata is not None else None

    def put_dataset_metadata(self, datasets: list[dict[str, Any]]) -> None:
        """``-putDatasetMetadata:error:``: rows for datasets listed by the service (existing rows stay)."""
        with self.database.lock:
            for dataset in datasets:
                modified = _millis(dataset.get("LastModifiedDate"))
                self.database.metadata.setdefault(
                    (self.identity_id, dataset["DatasetName"]),
                    DatasetMetadata(
                        dataset["DatasetName"],
                        creation_date=modified,  # the SDK stores the modification date here too
                        last_modified_date=modified,
                        last_modified_by=str(dataset.get("LastModifiedBy", "")),
                        data_storage=int(dataset.get("DataStorage", 0)),
                        num_records=int(dataset.get("NumRecords", 0)),
                    ),
                )

    def get_record(self, key: str, dataset_name: str) -> Optional[LocalRecord]:
        """``-getRecordById:datasetName:error:``: a copy of the stored record, or None."""
        with self.database.lock:
            record = self._rows(dataset_name).get(key)
            return record.copy() if record is not None else None

    def records_updated_after_last_sync(self, dataset_name: str) -> dict[str, LocalRecord]:
        """``-recordsUpdatedAfterLastSync:error:``: the dirty records (dirty count not 0), by key."""
        with self.database.lock:
            return {key: r.copy() for key, r in self._rows(dataset_name).items() if r.dirty_count != 0}

    def all_records(self, dataset_name: str) -> list[LocalRecord]:
        """``-allRecords:``: every record of the dataset, deleted ones included."""
        with self.database.lock:
            return [record.copy() for record in self._rows(dataset_name).values()]

    def put_record(self, record: LocalRecord, dataset_name: str) -> bool:
        """``-putRecord:datasetName:error:``: a local write.

        Stores the record's value and sync count, changed now by this device, with the
        stored dirty count plus one (1 for a new record; so writing over a local delete,
        at -1, leaves it at 0, as the SDK's SQL does). Sets ``record.last_modified``.
        """
        with self.database.lock:
            now = _now()
            rows = self._rows(dataset_name)
            old = rows.get(record.key)
            rows[record.key] = LocalRecord(
                record.key,
                record.value,
                sync_count=record.sync_count,
                dirty_count=old.dirty_count + 1 if old is not None else 1,
                last_modified=_millis(now),
                last_modified_by=self._modifier(),
            )
            record.last_modified = now
            return True

    def _conditionally_put(
        self, rows: dict[str, LocalRecord], record: LocalRecord, current: Optional[LocalRecord]
    ) -> bool:
        """``-conditionallyPutRecord:datasetName:withCurrentState:error:``.

        With a current state: overwrite the stored record only if it is still exactly that
        state (value, sync count, dirty count, date, author). Without: insert, only if the key
        is new. The record is stored with its own dirty count (0 for a server record).
        """
        stored = rows.get(record.key)
        if current is not None:
            if stored is None or not _same_row(stored, current):
                return False  # "local value changed"
        elif stored is not None:
            return False
        rows[record.key] = dataclasses.replace(record, last_modified=_millis(record.last_modified))
        return True

    def update_with_remote_changes(
        self, dataset_name: str, non_conflicts: list[RecordTuple], resolved_conflicts: list[ResolvedConflict]
    ) -> bool:
        """``-updateWithRemoteChanges:nonConflicts:resolvedConflicts:error:``.

        In one transaction: each remote record over its local state (all or nothing), then
        each resolved conflict over the local record it was resolved against (skipped,
        silently, where that record has changed meanwhile).
        """
        with self._transaction(dataset_name) as rows:
            for pair in non_conflicts:
                if not self._conditionally_put(rows, pair.remote_record, pair.local_record):
                    raise _Rollback
            for resolved in resolved_conflicts:  # conditionallyPutResolvedRecords
                stored = rows.get(resolved.resolved_record.key)
                if stored is not None and _same_row(stored, resolved.conflict.local_record):
                    rows[stored.key] = dataclasses.replace(
                        resolved.resolved_record, last_modified=_millis(resolved.resolved_record.last_modified)
                    )
            return True
        return False

    def update_local_record_metadata(self, dataset_name: str, records: list[RecordTuple]) -> bool:
        """``-updateLocalRecordMetadata:records:error:``: store what a push wrote.

        Each record the server answered goes over the local state that was pushed. Where
        the local record changed during the push, only its sync count takes the server's
        (it stays dirty, for the next sync). In one transaction.
        """
        with self._transaction(dataset_name) as rows:
            for pair in records:
                if self._conditionally_put(rows, pair.remote_record, pair.local_record):
                    continue
                existing = rows.get(pair.local_record.key) if pair.local_record is not None else None
                if existing is not None:
                    bumped = existing.copy()
                    bumped.sync_count = pair.remote_record.sync_count
                    if self._conditionally_put(rows, bumped, existing.copy()):
                        continue
                raise _Rollback
            return True
        return False

    def flag_record_as_deleted(self, key: str, dataset_name: str) -> bool:
        """``-flagRecordAsDeletedById:datasetName:error:``: a local delete of a stored record.

        The record stays, deleted, with dirty count -1, changed now by this device. A key
        that is not stored is left alone (and this still succeeds).
        """
        with self.database.lock:
            rows = self._rows(dataset_name)
            if key in rows:
                rows[key] = dataclasses.replace(
                    rows[key],
                    value=None,
                    dirty_count=NOT_SYNCED_DELETED_RECORD_DIRTY,
                    last_modified=_millis(_now()),
                    last_modified_by=self._modifier(),
                )
            return True

    def num_records(self, dataset_name: str) -> int:
        """``-numRecords:``: the stored records, deleted ones included."""
        with self.database.lock:
            return len(self._rows(dataset_name))

    def last_sync_count(self, dataset_name: str) -> int:
        """``-lastSyncCount:``: the dataset's last sync count (0 without a metadata row)."""
        with self.database.lock:
            metadata = self.database.metadata.get((self.identity_id, dataset_name))
            return metadata.last_sync_count if metadata is not None else 0

    def update_last_sync_count(
        self, dataset_name: str, sync_count: int, last_modified_by: Optional[str] = None
    ) -> None:
        """``-updateLastSyncCount:syncCount:lastModifiedBy:``.

        An ``INSERT OR REPLACE`` of the metadata row with the count and the author (this
        device when none is given): the row's other columns go back to their defaults.
        """
        with self.database.lock:
            self.database.metadata[(self.identity_id, dataset_name)] = DatasetMetadata(
                dataset_name, last_sync_count=sync_count, last_modified_by=self._modifier(last_modified_by)
            )

    def reparent_datasets(self, old_id: Optional[str], new_id: str) -> bool:
        """``-reparentDatasets:withNewId:error:``: hand another identity's local datasets to ``new_id``.

        Each dataset of this store's identity found under ``old_id`` moves to ``new_id`` as
        ``<name>.<old_id>`` (under its own name when ``old_id`` is None: the unknown identity).
        """
        datasets = self.get_datasets()
        appender = "" if old_id is None else f".{old_id}"
        old = old_id if old_id is not None else UNKNOWN_IDENTITY
        with self.database.lock:
            for dataset in datasets:
                new_name = dataset.name + appender
                metadata = self.database.metadata.pop((old, dataset.name), None)
                if metadata is not None:
                    self.database.metadata[(new_id, new_name)] = dataclasses.replace(metadata, name=new_name)
                rows = self.database.records.pop((old, dataset.name), None)
                if rows is not None:
                    self.database.records[(new_id, new_name)] = rows
        return True

    def get_merge_datasets(self, dataset_name: str) -> Optional[list[str]]:
        """``-getMergeDatasets:error:``: names of local datasets ``LIKE '<name>.%'``, or None when none."""
        pattern = _like(f"{dataset_name}.%")
        with self.database.lock:
            names = [
                name
                for (identity, name) in self.database.metadata
                if identity == self.identity_id and pattern.fullmatch(name)
            ]
        return names or None

    def reset_sync_count(self, dataset_name: str) -> bool:
        """``-resetSyncCount:error:``: last sync count 0, every record at sync count 0 and dirty (1)."""
        with self.database.lock:
            metadata = self.database.metadata.get((self.identity_id, dataset_name))
            if metadata is not None:
                metadata.last_sync_count = 0
            for record in self._rows(dataset_name).values():
                record.sync_count = 0
                record.dirty_count = 1
            return True

    def delete_metadata(self, dataset_name: str) -> bool:
        """``-deleteMetadata:error:``: drop the dataset's metadata row."""
        with self.database.lock:
            self.database.metadata.pop((self.identity_id, dataset_name), None)
            return True

    def delete_dataset(self, dataset_name: str) -> bool:
        """``-deleteDataset:error:``: drop the records; the metadata row becomes last sync count -1."""
        with self.database.lock:
            self.database.records.pop((self.identity_id, dataset_name), None)
            self.update_last_sync_count(dataset_name, -1)
            return True

    def delete_all_data(self) -> None:
        """``-deleteAllData``: drop every row of this identity; the store's identity becomes unknown."""
        with self.database.lock:
            for table in (self.database.records, self.database.metadata):
                for owner in [k for k in table if k[0] == self.identity_id]:
                    del table[owner]
            self.identity_id = UNKNOWN_IDENTITY


class _Rollback(Exception):
    """Ends a :meth:`LocalStore._transaction` with its rows as they were."""


def _same_row(stored: LocalRecord, state: LocalRecord) -> bool:
    """The ``WHERE`` of a conditional put: the stored row is exactly ``state``."""
    return (
        stored.value == state.value
        and stored.sync_count == state.sync_count
        and stored.dirty_count == state.dirty_count
        and stored.last_modified == _millis(state.last_modified)
        and stored.last_modified_by == state.last_modified_by
    )


@dataclass
class RecordTuple:
    """``AWSCognitoRecordTuple``: a server record and the local state it goes over (None: new)."""

    local_record: Optional[LocalRecord]
    remote_record: LocalRecord


# -- notifications and reachability --------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """An ``NSNotification`` the client posts: its name, the dataset, and ``userInfo``."""

    name: str
    sender: Dataset
    user_info: dict[str, Any]


Observer = Callable[[Notification], None]


class NotificationCenter:
    """The part of ``NSNotificationCenter`` the client uses: observers by notification name."""

    def __init__(self) -> None:
        self._observers: list[tuple[str, Observer]] = []
        self._lock = threading.Lock()

    def add_observer(self, name: str, observer: Observer) -> None:
        """``-addObserver:selector:name:object:`` (any sender)."""
        with self._lock:
            self._observers.append((name, observer))

    def remove_observers(self) -> None:
        """``-removeObserver:``: forget every observer."""
        with self._lock:
            self._observers.clear()

    def post(self, notification: Notification) -> None:
        """``-postNotificationName:object:userInfo:``, delivered in line."""
        with self._lock:
            observers = [observer for name, observer in self._observers if name == notification.name]
        for observer in observers:
            observer(notification)


class Reachability:
    """``AWSKSReachability`` of the service's host: in process it is always reachable unless told."""

    def __init__(self, reachable: bool = True, wwan_only: bool = False) -> None:
        self.reachable = reachable
        self.wwan_only = wwan_only
        self._waiting: list[tuple[bool, Callable[[], None]]] = []
        self._lock = threading.Lock()

    def when_reachable(self, allow_wwan: bool, callback: Callable[[], None]) -> None:
        """``+[AWSKSReachableOperation operationWithReachability:allowWWAN:onReachabilityAchieved:]``."""
        with self._lock:
            if self._achieved(allow_wwan):
                run = True
            else:
                self._waiting.append((allow_wwan, callback))
                run = False
        if run:
            callback()

    def change(self, reachable: bool, wwan_only: bool = False) -> None:
        """The network changed: run the callbacks whose condition now holds."""
        with self._lock:
            self.reachable, self.wwan_only = reachable, wwan_only
            ready = [cb for allow, cb in self._waiting if self._achieved(allow)]
            self._waiting = [(allow, cb) for allow, cb in self._waiting if not self._achieved(allow)]
        for callback in ready:
            callback()

    def _achieved(self, allow_wwan: bool) -> bool:
        return self.reachable and (allow_wwan or not self.wwan_only)


# -- the client (AWSCognitoService.m) -------------------------------------------------------


class Cognito:
    """``AWSCognito``: the client of one device and one identity.

    ``client`` is a boto3 ``cognito-sync`` client (or anything with its methods); the iOS
    client takes the pool and identity from its Cognito credentials provider.
    """

    def __init__(
        self,
        client: Any,
        identity_pool_id: str,
        identity_id: str,
        *,
        device_id: Optional[str] = None,
        database: Optional[LocalDatabase] = None,
    ) -> None:
        """``-initWithConfiguration:``: default handlers, five sync attempts, the local store."""
        self.client = client
        self.identity_pool_id = identity_pool_id
        self.identity_id = identity_id
        self.device_id = device_id if device_id is not None else LOCAL_DEVICE
        self.push_device_id: Optional[str] = None  # +cognitoDeviceId: set once registered for push
        self.synchronize_retries = MAX_SYNC_RETRIES
        self.synchronize_on_wifi_only = False
        self.conflict_handler: Optional[ConflictHandler] = default_conflict_handler
        self.dataset_deleted_handler: Optional[DatasetDeletedHandler] = None
        self.dataset_merged_handler: Optional[DatasetMergedHandler] = None
        self.store = LocalStore(identity_id, self.device_id, database)
        self.notifications = NotificationCenter()
        self.reachability = Reachability()

    @property
    def database(self) -> LocalDatabase:
        """The device's local database (the SQLite file)."""
        return self.store.database

    def open_or_create_dataset(self, dataset_name: str) -> Dataset:
        """``-openOrCreateDataset:``: a dataset object with the client's handlers and settings."""
        dataset = Dataset(dataset_name, self)
        dataset.conflict_handler = self.conflict_handler
        dataset.dataset_deleted_handler = self.dataset_deleted_handler
        dataset.dataset_merged_handler = self.dataset_merged_handler
        dataset.synchronize_retries = self.synchronize_retries
        dataset.synchronize_on_wifi_only = self.synchronize_on_wifi_only
        return dataset

    def wipe(self) -> None:
        """``-wipe``: drop every local row of the identity."""
        self.store.delete_all_data()

    def refresh_dataset_metadata(self) -> list[dict[str, Any]]:
        """``-refreshDatasetMetadata``: ListDatasets, remembered locally; returns the listed datasets.

        Raises the service's error, as the iOS task fails with it.
        """
        response = self.client.list_datasets(IdentityPoolId=self.identity_pool_id, IdentityId=self.identity_id)
        datasets: list[dict[str, Any]] = response.get("Datasets", [])
        self.store.put_dataset_metadata(datasets)
        return datasets

    def list_datasets(self) -> list[DatasetMetadata]:
        """``-listDatasets``: the datasets known locally."""
        return self.store.get_datasets()


# -- a dataset (AWSCognitoDataset.m) --------------------------------------------------------


class Dataset(DatasetMetadata):
    """``AWSCognitoDataset``: local reads and writes, and ``synchronize``.

    Its metadata attributes (``last_sync_count`` and the rest) are loaded when it is opened
    and then kept in memory, as the iOS object's properties are; open the dataset again to
    read what the local database holds.
    """

    __hash__ = object.__hash__  # an object with a life of its own, not a value

    def __eq__(self, other: object) -> bool:
        return self is other

    def __init__(self, dataset_name: str, cognito: Cognito) -> None:
        """``-initWithDatasetName:sqliteManager:cognitoService:``."""
        cognito.store.initialize_dataset_tables(dataset_name)
        loaded = cognito.store.load_dataset_metadata(dataset_name) or DatasetMetadata(dataset_name)
        super().__init__(**{f.name: getattr(loaded, f.name) for f in dataclasses.fields(DatasetMetadata)})
        self.cognito = cognito
        self.store = cognito.store
        self.conflict_handler: Optional[ConflictHandler] = None
        self.dataset_deleted_handler: Optional[DatasetDeletedHandler] = None
        self.dataset_merged_handler: Optional[DatasetMergedHandler] = None
        self.synchronize_retries = MAX_SYNC_RETRIES
        self.synchronize_on_wifi_only = False
        self._sync_session_token: Optional[str] = None
        self._current_sync_count = 0
        self._pushed: dict[str, LocalRecord] = {}
        self._synchronize_queue = threading.Semaphore(2)  # one sync in flight and one waiting
        self._serializer = threading.Semaphore(1)

    # -- local reads and writes -------------------------------------------------------

    def get(self, key: str) -> Optional[str]:
        """``-stringForKey:``: the value, None when absent or deleted."""
        record = self.store.get_record(key, self.name)
        return record.value if record is not None and not record.is_deleted else None

    def put(self, key: str, value: str) -> None:
        """``-setString:forKey:``: a local write (dirty), unless a size or count limit refuses it.

        The checks are the SDK's, as it makes them (the record-count check only refuses
        replacing a key of a full dataset, and the value is held to the dataset size).
        """
        record = self.record(key)
        if record is None:
            record = LocalRecord(key, value)
        else:
            record.value = value
        if self.size_for_record(record) > MAX_DATASET_SIZE:
            return
        if not MIN_KEY_SIZE <= _size(key) <= MAX_KEY_SIZE:
            return
        if _size(value) > MAX_DATASET_SIZE:
            return
        if self.store.num_records(self.name) == MAX_NUM_RECORDS and self.record(key) is not None:
            return
        if self.store.put_record(record, self.name):  # -putRecord:error:
            self.last_modified_date = record.last_modified

    def record(self, key: str) -> Optional[LocalRecord]:
        """``-recordForKey:``: the local record (deleted ones too), or None."""
        return self.store.get_record(key, self.name)

    def all_records(self) -> list[LocalRecord]:
        """``-getAllRecords``: every local record, deleted ones included."""
        return self.store.all_records(self.name)

    def get_all(self) -> dict[str, str]:
        """``-getAll``: key to value of the records that are not deleted."""
        return {r.key: r.value for r in self.all_records() if r.value is not None}

    def remove(self, key: str) -> None:
        """``-removeObjectForKey:``: a local delete (the record stays, deleted and dirty)."""
        if self.store.flag_record_as_deleted(key, self.name):
            self.last_modified_date = _now()

    def clear(self) -> None:
        """``-clear``: drop the local records; the next sync deletes the dataset on the server."""
        if self.store.delete_dataset(self.name):
            self.last_sync_count = -1
            self.last_modified_date = _now()

    def size(self) -> int:
        """``-size``: bytes of keys and values of the local records (deleted ones: the key)."""
        return sum(self.size_for_record(record) for record in self.all_records())

    def size_for_key(self, key: str) -> int:
        """``-sizeForKey:``."""
        return self.size_for_record(self.record(key))

    def size_for_record(self, record: Optional[LocalRecord]) -> int:
        """``-sizeForRecord:``: UTF-8 bytes of the key, plus the value's unless deleted."""
        if record is None:
            return 0
        return _size(record.key) + (0 if record.is_deleted else _size(record.value))

    # -- synchronize ------------------------------------------------------------------

    def synchronize(self) -> Task:
        """``-synchronize``: one sync, run to its end; the outcome as a :class:`Task`.

        One sync runs at a time; one more may wait for it (up to 300 s); a third call while
        both places are taken fails at once with ``SYNC_ALREADY_PENDING``.
        """
        if self.synchronize_on_wifi_only and self.cognito.reachability.wwan_only:
            error = CognitoError(CognitoErrorCode.WIFI_NOT_AVAILABLE)
            self._post_did_fail(error)
            return Task(error)
        self._post(DID_START_SYNCHRONIZE)
        try:
            self._check_for_local_merged_datasets()
            if not self._synchronize_queue.acquire(blocking=False):
                error = CognitoError(CognitoErrorCode.SYNC_ALREADY_PENDING)
                self._post_did_fail(error)
                return Task(error)
            try:
                if not self._serializer.acquire(timeout=300):
                    return Task(CognitoError(CognitoErrorCode.TIMED_OUT_WAITING_FOR_IN_FLIGHT_SYNC))
                try:
                    self._sync_session_token = None
                    self._synchronize_internal(self.synchronize_retries)
                    return Task()
                except (CognitoError, ClientError, BotoCoreError) as error:
                    return Task(error)
                finally:
                    self._serializer.release()
            finally:
                self._synchronize_queue.release()
        finally:
            self._post(DID_END_SYNCHRONIZE)

    def synchronize_in_background(self) -> concurrent.futures.Future[Task]:
        """``-synchronize`` without waiting: the sync runs on a thread of its own.

        iOS's ``synchronize`` always returns at once with a task; tests that start a sync
        and go on without waiting for it use this.
        """
        future: concurrent.futures.Future[Task] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(self.synchronize())
            except BaseException as error:  # an assertion in a handler, say: hand it to the waiter
                future.set_exception(error)

        threading.Thread(target=run, name=f"synchronize {self.name}", daemon=True).start()
        return future

    def synchronize_on_connectivity(self) -> concurrent.futures.Future[Task]:
        """``-synchronizeOnConnectivity``: synchronize now if the service is reachable, else once it is."""
        reachability = self.cognito.reachability
        future: concurrent.futures.Future[Task] = concurrent.futures.Future()
        if not reachability.reachable or (reachability.wwan_only and self.synchronize_on_wifi_only):
            reachability.when_reachable(
                not self.synchronize_on_wifi_only, lambda: future.set_result(self.synchronize())
            )
        else:
            future.set_result(self.synchronize())
        return future

    def _synchronize_internal(self, remaining_attempts: int) -> None:
        """``-synchronizeInternal:``: delete the dataset remotely if it was cleared, else pull then push."""
        if remaining_attempts == 0:
            error = CognitoError(CognitoErrorCode.CONFLICT_RETRIES_EXHAUSTED)
            self._post_did_fail(error)
            raise error
        self._current_sync_count = self.store.last_sync_count(self.name)
        if self._current_sync_count == -1:
            try:
                self.cognito.client.delete_dataset(**self._path())
            except ClientError as error:
                if _error_code(error) != "ResourceNotFoundException":
                    raise
            self.store.delete_metadata(self.name)
            return
        self._sync_pull(remaining_attempts)
        self._sync_push(remaining_attempts)

    def _sync_pull(self, remaining_attempts: int) -> None:
        """``-syncPull:``: list what changed since the last sync and bring it into the local records."""
        request: dict[str, Any] = {**self._path(), "LastSyncCount": self._current_sync_count}
        if self._sync_session_token is not None:
            request["SyncSessionToken"] = self._sync_session_token
        self.last_sync_count = self._current_sync_count
        try:
            response: dict[str, Any] = self.cognito.client.list_records(**request)
        except ClientError as error:
            # A last sync count above the server's: step back one and list again.
            if (
                _error_code(error) == "InvalidParameterException"
                and self._current_sync_count > 0
                and _error_message(error).startswith("No such SyncCount:")
            ):
                self._current_sync_count -= 1
                self._sync_pull(remaining_attempts - 1)
                return
            raise
        self._sync_session_token = response.get("SyncSessionToken")
        exists = bool(response.get("DatasetExists", False))
        deleted_after = bool(response.get("DatasetDeletedAfterRequestedSyncCount", False))

        # Deleted on the server (or deleted and recreated since our count). The SDK's
        # "we have a local sync count" check always holds (see the module's docstring).
        if not exists or deleted_after:
            handler = self.dataset_deleted_handler
            if handler is not None and not handler(self.name):
                self.store.delete_dataset(self.name)
                if not exists:
                    self.store.delete_metadata(self.name)
                    return  # nothing left to push
            self.store.reset_sync_count(self.name)
            self.last_sync_count = 0
            self._current_sync_count = 0

        merged = response.get("MergedDatasetNames") or []
        if merged and self.dataset_merged_handler is not None:
            self.dataset_merged_handler(self.name, list(merged))

        records: Optional[list[dict[str, Any]]] = response.get("Records")
        if records is None:
            return
        self.last_sync_count = int(response.get("DatasetSyncCount", 0))
        conflicts: list[Conflict] = []
        non_conflicts: list[RecordTuple] = []
        changed: list[str] = []
        for remote in records:
            changed.append(remote["Key"])
            existing = self.store.get_record(remote["Key"], self.name)
            incoming = _from_service(remote)
            same_value = existing is not None and existing.value is not None and existing.value == incoming.value
            if existing is None or not existing.is_dirty or same_value:
                non_conflicts.append(RecordTuple(existing, incoming))
            else:
                conflicts.append(Conflict(existing, incoming))

        resolved_conflicts: list[ResolvedConflict] = []
        if conflicts:
            if self.conflict_handler is None:
                self.conflict_handler = default_conflict_handler
            for conflict in conflicts:
                resolved = self.conflict_handler(self.name, conflict)
                if resolved is None:  # no resolution: the sync stops here
                    failure = CognitoError(CognitoErrorCode.TASK_CANCELED)
                    self._post_did_fail(failure)
                    raise failure
                resolved_conflicts.append(resolved)

        if non_conflicts or resolved_conflicts:
            if self.store.update_with_remote_changes(self.name, non_conflicts, resolved_conflicts):
                self.last_modified_date = _now()
                self._post(DID_CHANGE_LOCAL_VALUE_FROM_REMOTE, keys=changed)
            else:
                failure = CognitoError(CognitoErrorCode.LOCAL_DATA_STORAGE_FAILED, "local value changed")
                self._post_did_fail(failure)
                raise failure

        if self._current_sync_count < self.last_sync_count:
            self.store.update_last_sync_count(self.name, self.last_sync_count, response.get("LastModifiedBy"))

    def _sync_push(self, remaining_attempts: int) -> None:
        """``-syncPush:``: UpdateRecords with every dirty record, then store what the server wrote.

        On ``ResourceConflictException`` the whole sync starts again (one attempt fewer),
        first lowering the last sync count to the highest pushed sync count when it was
        above it, so that the next pull fetches the records the server has newer.
        """
        self._pushed = self.store.records_updated_after_last_sync(self.name)
        patches: list[dict[str, Any]] = []
        max_patch_sync_count = 0
        for record in self._pushed.values():
            patch: dict[str, Any] = {
                "Key": record.key,
                "SyncCount": record.sync_count,
                "Op": "remove" if record.is_deleted else "replace",
            }
            if record.value is not None:
                patch["Value"] = record.value
            patches.append(patch)
            max_patch_sync_count = max(max_patch_sync_count, record.sync_count)
        if not patches:
            return
        if self.size() > MAX_DATASET_SIZE:
            failure = CognitoError(CognitoErrorCode.USER_DATA_SIZE_LIMIT_EXCEEDED)
            self._post_did_fail(failure)
            raise failure

        request: dict[str, Any] = {**self._path(), "RecordPatches": patches}
        if self._sync_session_token is not None:
            request["SyncSessionToken"] = self._sync_session_token
        if self.cognito.push_device_id is not None:
            request["DeviceId"] = self.cognito.push_device_id
        try:
            response: dict[str, Any] = self.cognito.client.update_records(**request)
        except ClientError as error:
            if _error_code(error) != "ResourceConflictException":
                raise
            if self.last_sync_count > max_patch_sync_count:  # a dirty record with a stale count
                self.store.update_last_sync_count(self.name, max_patch_sync_count)
            self._synchronize_internal(remaining_attempts - 1)
            return

        current_sync_count = self.last_sync_count
        records: Optional[list[dict[str, Any]]] = response.get("Records")
        if records is None:
            return
        ok_to_fast_forward = True
        max_sync_count = 0
        written: list[RecordTuple] = []
        names: list[str] = []
        for remote in records:
            names.append(remote["Key"])
            stored = _from_service(remote)
            if stored.sync_count > current_sync_count + 1:
                ok_to_fast_forward = False  # someone else wrote between our pull and push
            max_sync_count = max(max_sync_count, stored.sync_count)
            existing = self._pushed.get(stored.key)
            if existing is None:  # a record we did not push (a sync trigger wrote it)
                existing = self.store.get_record(stored.key, self.name)
            written.append(RecordTuple(existing, stored))
        if not self.store.update_local_record_metadata(self.name, written):
            failure = CognitoError(CognitoErrorCode.LOCAL_DATA_STORAGE_FAILED, "local value changed")
            self._post_did_fail(failure)
            raise failure
        self._post(DID_CHANGE_REMOTE_VALUE, keys=names)
        if ok_to_fast_forward:
            self.store.update_last_sync_count(self.name, max_sync_count)

    def _check_for_local_merged_datasets(self) -> None:
        """``-checkForLocalMergedDatasets``: tell the merged handler of local ``<name>.<id>`` datasets."""
        if self.dataset_merged_handler is not None:
            merged = self.store.get_merge_datasets(self.name)
            if merged is not None:
                self.dataset_merged_handler(self.name, merged)

    # -- helpers ----------------------------------------------------------------------

    def _path(self) -> dict[str, str]:
        return {
            "IdentityPoolId": self.cognito.identity_pool_id,
            "IdentityId": self.cognito.identity_id,
            "DatasetName": self.name,
        }

    def _post(self, name: str, **user_info: Any) -> None:
        """``-postDid...Notification``: the notification, with the dataset's name in ``userInfo``."""
        self.cognito.notifications.post(Notification(name, self, {"dataset": self.name, **user_info}))

    def _post_did_fail(self, error: Exception) -> None:
        """``-postDidFailToSynchronizeNotification:``."""
        self._post(DID_FAIL_TO_SYNCHRONIZE, error=error)


def _size(text: Optional[str]) -> int:
    """``-sizeForString:``: UTF-8 bytes (0 for None)."""
    return len(text.encode("utf-8")) if text is not None else 0


def _from_service(record: dict[str, Any]) -> LocalRecord:
    """A ``Record`` of ListRecords or UpdateRecords as a clean local record."""
    return LocalRecord(
        record["Key"],
        record.get("Value"),
        sync_count=int(record.get("SyncCount", 0)),
        dirty_count=0,
        last_modified=record.get("LastModifiedDate") or EPOCH,
        last_modified_by=record.get("LastModifiedBy") or "Unknown",
    )


__all__ = [
    "DID_CHANGE_LOCAL_VALUE_FROM_REMOTE",
    "DID_CHANGE_REMOTE_VALUE",
    "DID_END_SYNCHRONIZE",
    "DID_FAIL_TO_SYNCHRONIZE",
    "DID_START_SYNCHRONIZE",
    "Cognito",
    "CognitoError",
    "CognitoErrorCode",
    "Conflict",
    "Dataset",
    "DatasetMetadata",
    "LocalDatabase",
    "LocalRecord",
    "LocalStore",
    "Notification",
    "Reachability",
    "ResolvedConflict",
    "Task",
    "default_conflict_handler",
]
