"""The Cognito Sync domain for one account and region.

Each operation is a method named after it; it takes the model's members as snake_case
keyword arguments (timestamps as datetimes), returns the model's output members as a
dict, and raises the errors of ``exceptions``. One lock makes every operation atomic.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import logging
import threading
import uuid
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Mapping, TypeVar

from .. import forks
from ..channels import SideChannels
from ..channels.streams import stream_record
from ..exceptions import (
    AlreadyStreamedError,
    DuplicateRequestError,
    InvalidConfigurationError,
    InvalidParameterError,
    LimitExceededError,
    NoSuchDataset,
    NotAuthorizedError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from . import events, tokens
from .clock import now
from .directory import NOBODY, Directory
from .events import Write
from .models import Dataset, Identity, Pool, Record
from .operations import OPERATIONS

logger = logging.getLogger("cognito_sync_mock")

SESSION_SECONDS = 300
_SPENT_PRUNE_SIZE = 1024  # spent tokens kept before the expired ones are dropped
SESSION_USED = "SyncSessionToken already used: a successful UpdateRecords ends its sync session"
DEVELOPER_SKIPS_TRIGGER = (
    "SyncTrigger %s is not run: this UpdateRecords is signed with developer credentials, and AWS runs "
    "sync triggers only for Cognito Identity credentials; sign with mock.identity_credentials(...) or "
    "use mock.identity_client(...) to run it"
)
_session_ids = itertools.count(1)  # tells apart tokens issued at the same moment for the same dataset
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Limits:
    """AWS's default service limits; ``mock_cognito_sync(limits={...})`` overrides any."""

    datasets_per_identity: int = 20
    records_per_dataset: int = 1024
    dataset_bytes: int = 1024 * 1024
    bulk_publish_interval_seconds: int = 24 * 60 * 60

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, int] | None) -> Limits:
        """Defaults with ``overrides`` applied; an unknown name is a ValueError."""
        names = {f.name for f in fields(cls)}
        unknown = set(overrides or {}) - names
        if unknown:
            raise ValueError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(names)}")
        return cls(**dict(overrides or {}))


def _locked(method: _F) -> _F:
    @functools.wraps(method)
    def wrapper(self: Backend, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Backend:
    """Everything Cognito Sync holds for one (account, region).

    How it shows in a notebook or a ``repr`` is presentation's: ``display`` gives it its table.
    """

    def __init__(
        self,
        account_id: str,
        region: str,
        strict: bool = False,
        limits: Limits | None = None,
        channels: SideChannels | None = None,
        directory: Directory = NOBODY,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.strict = strict
        self.limits = limits or Limits()
        self.channels = channels or SideChannels()
        self.directory = directory  # who else knows pools and identities (moto's cognito-identity)
        self.lock = forks.renewed(self, "lock", threading.RLock)
        self.pools: dict[str, Pool] = {}
        self.sync_sessions: dict[str, int] = {}  # per pool ID, from the first ListRecords on
        self.spent_sessions: dict[str, float] = {}  # token -> expiry: used up by a successful UpdateRecords
        self._prune_spent_at = _SPENT_PRUNE_SIZE

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]  # a lock cannot be copied; a copy gets a fresh one
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = forks.renewed(self, "lock", threading.RLock)

    def dataset(self, pool_id: str, identity_id: str, dataset_name: str) -> Dataset:
        """The stored dataset (live or deleted) for a look at its records; ``NoSuchDataset`` if none."""
        with self.lock:
            try:
                return self.pools[pool_id].identities[identity_id].datasets[dataset_name]
            except KeyError:
                raise NoSuchDataset(
                    f"no dataset {dataset_name!r} of identity {identity_id!r} in identity pool {pool_id!r} "
                    f"(account {self.account_id}, region {self.region})"
                ) from None

    # -- the mock's own API ------------------------------------------------------------

    @_locked
    def register_identity_pool(self, pool_id: str) -> None:
        """Make a pool known (strict mode lets only known pools exist)."""
        self._touch_pool(pool_id, now())

    @_locked
    def register_identity(self, pool_id: str, identity_id: str) -> None:
        """Make an identity (and its pool) known."""
        self._touch_identity(pool_id, identity_id, now())

    @_locked
    def merge_identities(self, pool_id: str, into_identity_id: str, from_identity_id: str) -> None:
        """Merge identity B into A: each of B's datasets appears in A as ``<name>.<B>``."""
        moment = now()
        source = self._touch_identity(pool_id, from_identity_id, moment)
        target = self._touch_identity(pool_id, into_identity_id, moment)
        for dataset in source.live():
            merged_name = f"{dataset.name}.{from_identity_id}"
            copy = self._dataset_for_write(target, merged_name, moment)
            copy.sync_count += 1
            copy.store(
                [
                    Record(r.key, r.value, copy.sync_count, moment, into_identity_id, r.device_last_modified_date)
                    for r in dataset.records.values()
                    if r.value is not None
                ]
            )
            links = target.merged.setdefault(dataset.name, [])
            if merged_name not in links:
                links.append(merged_name)

    # -- records -----------------------------------------------------------------------

    @_locked
    def list_records(
        self,
        identity_pool_id: str,
        identity_id: str,
        dataset_name: str,
        last_sync_count: int | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        sync_session_token: str | None = None,
    ) -> dict[str, Any]:
        """Records changed after LastSyncCount, a page at a time, with a fresh session token."""
        borrowed = self._require("ListRecords", identity_pool_id, identity_id)
        limit = _page_size("ListRecords", max_results)
        last = last_sync_count or 0
        if last < 0:
            raise InvalidParameterError(f"LastSyncCount must not be negative: {last}")
        moment = now()
        if sync_session_token is not None:
            self._check_session(sync_session_token, identity_pool_id, identity_id, dataset_name, moment)
        identity = self._identity(identity_pool_id, identity_id)
        dataset = identity.datasets.get(dataset_name) if identity else None  # live or deleted
        live = dataset if dataset is not None and dataset.exists else None
        # A deleted dataset reports count 0, but LastSyncCount is checked against the count
        # it was deleted at: a device that synced before the deletion learns of it.
        if last > (dataset.sync_count if dataset else 0):
            raise InvalidParameterError(f"No such SyncCount: {last} exists for this Dataset")
        listing = ["ListRecords", identity_pool_id, identity_id, dataset_name]
        if next_token is None:
            pinned, after = (live.sync_count if live else 0), (last + 1, "")  # no key is empty: sorts first
        else:
            pinned, key_count, key = self._unseal_page(next_token, listing)
            after = (key_count, key)
        page = live.changed_since(after, pinned, limit + 1) if live else []
        token = None
        if len(page) > limit:  # one more than a page: there is a next page
            del page[limit:]
            token = self._seal_page(listing, pinned, page[-1].sync_count, page[-1].key)
        records = [record.to_dict() for record in page]
        deleted_at = dataset.deleted_at if dataset else None
        if borrowed:  # a sync session on an identity only the directory knows: it is known here now
            self._touch_identity(identity_pool_id, identity_id, moment)
        return {
            "Records": records,
            "NextToken": token,
            "Count": len(records),
            "DatasetSyncCount": pinned,
            "LastModifiedBy": live.last_modified_by if live else None,
            "MergedDatasetNames": (identity.merged.get(dataset_name) or None) if identity else None,
            "DatasetExists": live is not None,
            "DatasetDeletedAfterRequestedSyncCount": deleted_at is not None and 0 < last <= deleted_at,
            "SyncSessionToken": self._issue_session(identity_pool_id, identity_id, dataset_name, moment),
        }

    @_locked
    def update_records(
        self,
        identity_pool_id: str,
        identity_id: str,
        dataset_name: str,
        sync_session_token: str,
        record_patches: list[dict[str, Any]] | None = None,
        device_id: str | None = None,
        client_context: str | None = None,
        by_identity: bool = True,
    ) -> dict[str, Any]:
        """Apply record patches all or nothing: conflicts, trigger and limits first, then +1 sync count.

        ``by_identity`` says whether the request was signed with Cognito Identity
        credentials: only such a write runs the sync trigger and is signed by the
        identity; a developer's write is signed by the account. Success uses the token up.
        """
        self._require("UpdateRecords", identity_pool_id, identity_id)
        moment = now()  # when the request came: the session's clock and the records' date
        expires = self._check_session(sync_session_token, identity_pool_id, identity_id, dataset_name, moment)
        patches = record_patches or []
        _check_patches(patches)
        identity = self._identity(identity_pool_id, identity_id)
        live = identity.live_dataset(dataset_name) if identity else None
        stored = live.records if live else {}
        writes = []
        for patch in patches:
            key = patch["Key"]
            record = stored.get(key)
            current = record.sync_count if record else 0
            if patch["SyncCount"] != current:
                raise ResourceConflictError(f"Current SyncCount for: {key} is: {current} not: {patch['SyncCount']}")
            value = patch.get("Value") if patch["Op"] == "replace" else None
            writes.append(Write(key, value, patch.get("DeviceLastModifiedDate")))
        writes = self._sync_trigger(identity_pool_id, identity_id, dataset_name, stored, writes, by_identity)
        if not writes and live is not None:
            self._spend_session(sync_session_token, expires, moment)
            return {"Records": []}  # nothing to write to a dataset that exists: nothing changes
        author = identity_id if by_identity else self.account_id
        existing = identity.datasets.get(dataset_name) if identity else None  # live or deleted
        count = (existing.sync_count if existing else 0) + 1
        records = [Record(w.key, w.value, count, moment, author, w.device_date or moment) for w in writes]
        self._check_limits(identity, live, dataset_name, records)
        self._spend_session(sync_session_token, expires, moment)
        identity = self._touch_identity(identity_pool_id, identity_id, moment)
        dataset = self._dataset_for_write(identity, dataset_name, moment)
        dataset.last_modified_by = author  # it was written, or made (or remade) here
        if records:
            dataset.sync_count = count
            dataset.last_modified_date = moment
            dataset.store(records)
            self._announce(identity, dataset, records, device_id)
        return {"Records": [record.to_dict() for record in records]}

    def _sync_trigger(
        self,
        pool_id: str,
        identity_id: str,
        dataset_name: str,
        stored: dict[str, Record],
        writes: list[Write],
        by_identity: bool,
    ) -> list[Write]:
        """Run the pool's SyncTrigger, if it has one with a registered handler, on an identity's writes."""
        pool = self.pools.get(pool_id)
        arn = pool.events.get("SyncTrigger") if pool else None
        if arn is None or not writes:  # an empty patch list changes nothing, so nothing runs
            return writes
        if not by_identity:
            logger.warning(DEVELOPER_SKIPS_TRIGGER, arn)
            return writes
        handler = self.channels.lambdas.get(arn)
        if handler is None:
            logger.warning("SyncTrigger %s has no handler (mock.register_lambda): the trigger is skipped", arn)
            return writes
        ids = {"region": self.region, "identityPoolId": pool_id, "identityId": identity_id, "datasetName": dataset_name}
        return events.run(handler, arn, events.build_event(ids, stored, writes), writes)

    def _announce(self, identity: Identity, dataset: Dataset, written: list[Record], device_id: str | None) -> None:
        """After a write: one stream record, and a silent push to every other subscribed device."""
        self._publish(identity.pool_id, dataset, "replace", written)
        devices = identity.subscriptions.get(dataset.name)
        if not devices:
            return
        payload = {
            "source": "cognito-sync",
            "identityPoolId": identity.pool_id,
            "identityId": identity.identity_id,
            "datasetName": dataset.name,
            "syncCount": dataset.sync_count,
        }
        for device in sorted(devices):
            if device != device_id:
                platform, token = identity.devices[device]
                self.channels.outbox.send(platform, token, device, dict(payload))

    def _publish(self, pool_id: str, dataset: Dataset, operation: str, records: list[Record] | None) -> None:
        pool = self.pools[pool_id]
        if pool.stream_name is not None:
            record = stream_record(pool_id, dataset, operation, records)
            self.channels.streams.publish(self.account_id, self.region, pool.stream_name, record)

    def _check_limits(
        self,
        identity: Identity | None,
        live: Dataset | None,
        dataset_name: str,
        records: list[Record],
    ) -> None:
        limits = self.limits
        if live is None:
            count = identity.dataset_count if identity else 0
            if count >= limits.datasets_per_identity:
                raise LimitExceededError(
                    f"Cannot create dataset {dataset_name}: an identity can have at most "
                    f"{limits.datasets_per_identity} datasets"
                )
        num_records = live.num_records if live else 0
        storage = live.data_storage if live else 0
        stored = live.records if live else {}
        for record in records:
            old = stored.get(record.key)
            if old is not None:
                storage -= old.size
                num_records -= old.value is not None
            storage += record.size
            num_records += record.value is not None
        if num_records > limits.records_per_dataset:
            raise LimitExceededError(
                f"Dataset {dataset_name} would hold {num_records} records; the limit is {limits.records_per_dataset}"
            )
        if storage > limits.dataset_bytes:
            raise LimitExceededError(
                f"Dataset {dataset_name} would hold {storage} bytes; the limit is {limits.dataset_bytes}"
            )

    # -- datasets ----------------------------------------------------------------------

    @_locked
    def describe_dataset(self, identity_pool_id: str, identity_id: str, dataset_name: str) -> dict[str, Any]:
        """The dataset's metadata; ResourceNotFoundException when it does not exist."""
        return {"Dataset": self._live_dataset("DescribeDataset", identity_pool_id, identity_id, dataset_name).to_dict()}

    @_locked
    def delete_dataset(self, identity_pool_id: str, identity_id: str, dataset_name: str) -> dict[str, Any]:
        """Delete a dataset with its records, subscriptions and merge links; answers it as it was."""
        dataset = self._live_dataset("DeleteDataset", identity_pool_id, identity_id, dataset_name)
        before = dataset.to_dict()
        moment = now()
        dataset.delete()
        dataset.last_modified_date = moment
        identity = self._touch_identity(identity_pool_id, identity_id, moment)
        identity.subscriptions.pop(dataset_name, None)
        self._publish(identity_pool_id, dataset, "remove", None)  # no kinesisSyncRecords member
        identity.merged.pop(dataset_name, None)
        for names in identity.merged.values():
            if dataset_name in names:
                names.remove(dataset_name)
        return {"Dataset": before}

    @_locked
    def list_datasets(
        self,
        identity_pool_id: str,
        identity_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> dict[str, Any]:
        """The identity's live datasets by name, a page at a time."""
        self._require("ListDatasets", identity_pool_id, identity_id)
        identity = self._identity(identity_pool_id, identity_id)
        datasets = identity.live() if identity else []
        page, token = self._page(
            datasets,
            lambda d: d.name,
            ["ListDatasets", identity_pool_id, identity_id],
            next_token,
            _page_size("ListDatasets", max_results),
        )
        return {"Datasets": [d.to_dict() for d in page], "Count": len(page), "NextToken": token}

    # -- usage -------------------------------------------------------------------------

    @_locked
    def describe_identity_usage(self, identity_pool_id: str, identity_id: str) -> dict[str, Any]:
        """An identity's dataset count, storage and last change."""
        self._require("DescribeIdentityUsage", identity_pool_id, identity_id)
        identity = self._identity(identity_pool_id, identity_id)
        if identity is None and self._elsewhere(identity_pool_id, identity_id):
            identity = Identity(identity_pool_id, identity_id, now())  # answered, not stored: a read
        if identity is None:
            raise ResourceNotFoundError(f"Identity '{identity_id}' not found.")
        return {"IdentityUsage": identity.to_usage()}

    @_locked
    def describe_identity_pool_usage(self, identity_pool_id: str) -> dict[str, Any]:
        """A pool's sync sessions, storage and last change."""
        pool = self._known_pool(identity_pool_id)
        return {"IdentityPoolUsage": pool.to_usage(self.sync_sessions.get(identity_pool_id, 0))}

    @_locked
    def list_identity_pool_usage(self, next_token: str | None = None, max_results: int | None = None) -> dict[str, Any]:
        """Usage of every known pool of this account and region, a page at a time."""
        limit = _page_size("ListIdentityPoolUsage", max_results)
        known = dict(self.pools)
        moment = now()
        for pool_id in self.directory.pools(self.account_id, self.region):
            if pool_id not in known:
                known[pool_id] = Pool(pool_id, moment)  # answered, not stored: a read
        pools = sorted(known.values(), key=lambda p: p.pool_id)
        page, token = self._page(pools, lambda p: p.pool_id, ["ListIdentityPoolUsage"], next_token, limit)
        return {
            "IdentityPoolUsages": [p.to_usage(self.sync_sessions.get(p.pool_id, 0)) for p in page],
            "MaxResults": limit,
            "Count": len(page),
            "NextToken": token,
        }

    # -- pool configuration and Cognito events -----------------------------------------

    @_locked
    def set_identity_pool_configuration(
        self,
        identity_pool_id: str,
        push_sync: dict[str, Any] | None = None,
        cognito_streams: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Replace the given PushSync / CognitoStreams settings; answers the whole configuration."""
        self._require("SetIdentityPoolConfiguration", identity_pool_id, None)
        if (
            cognito_streams
            and cognito_streams.get("StreamingStatus") == "ENABLED"
            and not cognito_streams.get("StreamName")
        ):
            raise InvalidParameterError("CognitoStreams needs a StreamName when StreamingStatus is ENABLED")
        pool = self._touch_pool(identity_pool_id, now())
        if push_sync is not None:
            pool.push_sync = push_sync or None  # an empty PushSync removes the configuration
        if cognito_streams is not None:
            pool.cognito_streams = cognito_streams
        return self._configuration(identity_pool_id)

    @_locked
    def get_identity_pool_configuration(self, identity_pool_id: str) -> dict[str, Any]:
        """The pool's stored PushSync and CognitoStreams settings."""
        self._require("GetIdentityPoolConfiguration", identity_pool_id, None)
        return self._configuration(identity_pool_id)

    def _configuration(self, pool_id: str) -> dict[str, Any]:
        pool = self.pools.get(pool_id)
        return {
            "IdentityPoolId": pool_id,
            "PushSync": pool.push_sync if pool else None,
            "CognitoStreams": pool.cognito_streams if pool else None,
        }

    @_locked
    def set_cognito_events(self, identity_pool_id: str, events: dict[str, str]) -> dict[str, Any]:
        """Set or (with an empty value) remove the pool's SyncTrigger."""
        self._require("SetCognitoEvents", identity_pool_id, None)
        for name in events:
            if name != "SyncTrigger":
                raise InvalidParameterError(f"Unknown Cognito event type: {name}; the only event type is SyncTrigger")
        pool = self._touch_pool(identity_pool_id, now())
        for name, arn in events.items():
            if arn:
                pool.events[name] = arn
            else:
                pool.events.pop(name, None)
        return {}

    @_locked
    def get_cognito_events(self, identity_pool_id: str) -> dict[str, Any]:
        """The pool's Cognito events map."""
        self._require("GetCognitoEvents", identity_pool_id, None)
        pool = self.pools.get(identity_pool_id)
        return {"Events": dict(pool.events) if pool else {}}

    # -- Cognito Streams bulk publish --------------------------------------------------

    @_locked
    def bulk_publish(self, identity_pool_id: str) -> dict[str, Any]:
        """Publish every live dataset of the pool to its stream (at once, unless held)."""
        self._require("BulkPublish", identity_pool_id, None)
        pool = self.pools.get(identity_pool_id)
        if pool is None or pool.stream_name is None:
            raise InvalidParameterError(f"Cognito Streams is not enabled for identity pool {identity_pool_id}")
        bulk = pool.bulk_publish
        if bulk.status == "IN_PROGRESS":
            raise DuplicateRequestError(f"A bulk publish of identity pool {identity_pool_id} is already in progress")
        moment = now()
        interval = self.limits.bulk_publish_interval_seconds
        if (
            bulk.status == "SUCCEEDED"
            and bulk.complete_time
            and (moment - bulk.complete_time).total_seconds() < interval
        ):
            raise AlreadyStreamedError(
                f"Identity pool {identity_pool_id} was bulk published less than {interval} seconds ago"
            )
        bulk.status, bulk.start_time, bulk.complete_time, bulk.failure_message = "IN_PROGRESS", moment, None, None
        if not self.channels.hold_bulk_publishes:
            self._finish_bulk_publish(pool, moment)
        return {"IdentityPoolId": identity_pool_id}

    @_locked
    def get_bulk_publish_details(self, identity_pool_id: str) -> dict[str, Any]:
        """The status and times of the pool's latest bulk publish."""
        self._require("GetBulkPublishDetails", identity_pool_id, None)
        pool = self.pools.get(identity_pool_id)
        details = pool.bulk_publish.to_dict() if pool else {"BulkPublishStatus": "NOT_STARTED"}
        return {"IdentityPoolId": identity_pool_id, **details}

    @_locked
    def complete_bulk_publish(self, pool_id: str) -> None:
        """Finish a held bulk publish: publish every dataset and mark it SUCCEEDED now."""
        self._finish_bulk_publish(self._bulk_in_progress(pool_id), now())

    @_locked
    def fail_bulk_publish(self, pool_id: str, message: str) -> None:
        """End a held bulk publish as FAILED with ``message``; nothing is published."""
        bulk = self._bulk_in_progress(pool_id).bulk_publish
        bulk.status, bulk.failure_message = "FAILED", message

    def _bulk_in_progress(self, pool_id: str) -> Pool:
        pool = self.pools.get(pool_id)
        if pool is None or pool.bulk_publish.status != "IN_PROGRESS":
            raise ValueError(f"identity pool {pool_id} has no bulk publish in progress")
        return pool

    def _finish_bulk_publish(self, pool: Pool, moment: _dt.datetime) -> None:
        for identity in pool.identities.values():
            for dataset in identity.live():
                records = sorted(dataset.records.values(), key=lambda r: (r.sync_count, r.key))
                self._publish(pool.pool_id, dataset, "replace", records)
        pool.bulk_publish.status, pool.bulk_publish.complete_time = "SUCCEEDED", moment

    # -- push sync ---------------------------------------------------------------------

    @_locked
    def register_device(self, identity_pool_id: str, identity_id: str, platform: str, token: str) -> dict[str, Any]:
        """Register a device for push sync; the same platform and token get the same ID."""
        self._require("RegisterDevice", identity_pool_id, identity_id)
        self._require_push_sync(identity_pool_id)
        identity = self._touch_identity(identity_pool_id, identity_id, now())
        for device_id, device in identity.devices.items():
            if device == (platform, token):
                return {"DeviceId": device_id}
        device_id = str(uuid.uuid4())
        identity.devices[device_id] = (platform, token)
        return {"DeviceId": device_id}

    @_locked
    def subscribe_to_dataset(
        self, identity_pool_id: str, identity_id: str, dataset_name: str, device_id: str
    ) -> dict[str, Any]:
        """Subscribe a registered device to silent pushes for an existing dataset."""
        self._require("SubscribeToDataset", identity_pool_id, identity_id)
        self._require_push_sync(identity_pool_id)
        identity = self._identity(identity_pool_id, identity_id)
        if identity is None or device_id not in identity.devices:
            raise ResourceNotFoundError(f"Device '{device_id}' is not registered for identity '{identity_id}'.")
        self._live_dataset("SubscribeToDataset", identity_pool_id, identity_id, dataset_name)
        identity.subscriptions.setdefault(dataset_name, set()).add(device_id)
        return {}

    @_locked
    def unsubscribe_from_dataset(
        self, identity_pool_id: str, identity_id: str, dataset_name: str, device_id: str
    ) -> dict[str, Any]:
        """End a device's subscription to a dataset."""
        self._require("UnsubscribeFromDataset", identity_pool_id, identity_id)
        identity = self._identity(identity_pool_id, identity_id)
        devices = identity.subscriptions.get(dataset_name, set()) if identity else set()
        if device_id not in devices:
            raise ResourceNotFoundError(f"Device '{device_id}' is not subscribed to dataset '{dataset_name}'.")
        devices.discard(device_id)
        return {}

    def _require_push_sync(self, pool_id: str) -> None:
        pool = self.pools.get(pool_id)
        if pool is None or not pool.push_sync:
            raise InvalidConfigurationError(f"Push sync is not configured for identity pool {pool_id}")

    # -- helpers -----------------------------------------------------------------------

    def _identity(self, pool_id: str, identity_id: str) -> Identity | None:
        pool = self.pools.get(pool_id)
        return pool.identities.get(identity_id) if pool else None

    def _known_pool(self, pool_id: str) -> Pool:
        """The pool (a fresh one, not stored, when only the directory knows it), or ResourceNotFoundException."""
        pool = self.pools.get(pool_id)
        if pool is None and self._elsewhere(pool_id, None):
            pool = Pool(pool_id, now())
        if pool is None:
            raise ResourceNotFoundError(f"IdentityPool '{pool_id}' not found.")
        return pool

    def _live_dataset(self, operation: str, pool_id: str, identity_id: str, name: str) -> Dataset:
        """The dataset, or ResourceNotFoundException when it does not exist (or was deleted)."""
        self._require(operation, pool_id, identity_id)
        identity = self._identity(pool_id, identity_id)
        dataset = identity.live_dataset(name) if identity else None
        if dataset is None:
            raise ResourceNotFoundError(f"Dataset '{name}' not found.")
        return dataset

    def _require(self, operation: str, pool_id: str, identity_id: str | None) -> bool:
        """In strict mode, only known pools and identities exist: known here, or to the directory.

        Anything else is ResourceNotFoundException where the operation models it (its
        ``not_found`` in the table of operations), else NotAuthorizedException. True when
        only the directory knows them: a write that succeeds then makes them known here
        (a read stores nothing).
        """
        if not self.strict or self._here(pool_id, identity_id):
            return False
        if self._elsewhere(pool_id, identity_id):
            return True
        subject = f"Identity '{identity_id}'" if identity_id and pool_id in self.pools else f"IdentityPool '{pool_id}'"
        if OPERATIONS[operation].not_found:
            raise ResourceNotFoundError(f"{subject} not found.")
        raise NotAuthorizedError(f"{subject} is not known to this account and region.")

    def _here(self, pool_id: str, identity_id: str | None) -> bool:
        """Whether this backend knows the pool (and the identity)."""
        pool = self.pools.get(pool_id)
        return pool is not None and (identity_id is None or identity_id in pool.identities)

    def _elsewhere(self, pool_id: str, identity_id: str | None) -> bool:
        """Whether the directory knows the pool (and the identity in it)."""
        return self.directory.knows(self.account_id, self.region, pool_id, identity_id)

    def _touch_pool(self, pool_id: str, moment: _dt.datetime) -> Pool:
        pool = self.pools.get(pool_id)
        if pool is None:
            pool = self.pools[pool_id] = Pool(pool_id, moment)
        pool.last_modified_date = moment
        return pool

    def _touch_identity(self, pool_id: str, identity_id: str, moment: _dt.datetime) -> Identity:
        """Make a pool and an identity known (a write touched them) and date the change."""
        pool = self._touch_pool(pool_id, moment)
        identity = pool.identities.get(identity_id)
        if identity is None:
            identity = pool.identities[identity_id] = Identity(pool_id, identity_id, moment)
        identity.last_modified_date = moment
        return identity

    def _dataset_for_write(self, identity: Identity, name: str, moment: _dt.datetime) -> Dataset:
        dataset = identity.datasets.get(name)
        if dataset is None:
            dataset = identity.datasets[name] = Dataset(identity.identity_id, name, moment)
        elif not dataset.exists:
            dataset.recreate(moment)
        return dataset

    def _issue_session(self, pool_id: str, identity_id: str, dataset_name: str, moment: _dt.datetime) -> str:
        self.sync_sessions[pool_id] = self.sync_sessions.get(pool_id, 0) + 1
        expires = moment.timestamp() + SESSION_SECONDS
        return tokens.sign(
            ["session", self.account_id, self.region, pool_id, identity_id, dataset_name, expires, next(_session_ids)]
        )

    def _check_session(
        self, token: str, pool_id: str, identity_id: str, dataset_name: str, moment: _dt.datetime
    ) -> float:
        """The token's expiry, if it is a live token of this dataset's sync session."""
        payload = tokens.unseal(token)
        expected = ["session", self.account_id, self.region, pool_id, identity_id, dataset_name]
        if not isinstance(payload, list) or len(payload) != 8 or payload[:6] != expected:
            raise InvalidParameterError("SyncSessionToken not valid for these inputs")
        if moment.timestamp() > payload[6]:
            raise InvalidParameterError("SyncSessionToken expired")
        if token in self.spent_sessions:
            raise InvalidParameterError(SESSION_USED)
        expires: float = payload[6]
        return expires

    def _spend_session(self, token: str, expires: float, moment: _dt.datetime) -> None:
        """Use a checked token up; expired ones are dropped now and then, so the table stays small."""
        spent = self.spent_sessions
        if len(spent) >= self._prune_spent_at:
            now_seconds = moment.timestamp()
            self.spent_sessions = spent = {t: expiry for t, expiry in spent.items() if expiry >= now_seconds}
            self._prune_spent_at = max(_SPENT_PRUNE_SIZE, 2 * len(spent))
        spent[token] = expires

    def _seal_page(self, listing: list[Any], *position: Any) -> str:
        """A NextToken bound to this account, region and listing, carrying a position."""
        return tokens.sign([self.account_id, self.region, *listing, *position])

    def _unseal_page(self, token: str, listing: list[Any]) -> list[Any]:
        """The position a NextToken carries, if this mock issued it for this same listing."""
        payload = tokens.unseal(token)
        prefix = [self.account_id, self.region, *listing]
        if not isinstance(payload, list) or payload[: len(prefix)] != prefix:
            raise InvalidParameterError(f"The NextToken is not valid for this {listing[0]} request")
        return payload[len(prefix) :]

    def _page(
        self,
        items: list[Any],
        key: Callable[[Any], str],
        listing: list[Any],
        next_token: str | None,
        limit: int,
    ) -> tuple[list[Any], str | None]:
        """One page of ``items`` (sorted by ``key``) after the token's position."""
        start = 0
        if next_token is not None:
            (after,) = self._unseal_page(next_token, listing)
            start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
        page = items[start : start + limit]
        more = start + limit < len(items)
        token = self._seal_page(listing, key(page[-1])) if more else None
        return page, token


def _page_size(operation: str, max_results: int | None) -> int:
    """A listing's page size (from the table of operations) for the request's MaxResults."""
    page = OPERATIONS[operation].page
    if page is None:
        raise TypeError(f"{operation} is not a listing")
    return page.size(max_results)


def _check_patches(patches: Iterable[dict[str, Any]]) -> None:
    """A key patched twice, or a replace without a value, is not a valid request."""
    seen: set[str] = set()
    for patch in patches:
        key = patch["Key"]
        if key in seen:
            raise InvalidParameterError(f"Duplicate record key in RecordPatches: {key}")
        seen.add(key)
        if patch["Op"] == "replace" and patch.get("Value") is None:
            raise InvalidParameterError(f"A replace patch needs a Value: {key}")
