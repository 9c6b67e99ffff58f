"""The Cognito Sync operations for one account and region.

Each operation is a method named after it; it takes the model's members as snake_case
keyword arguments (timestamps as datetimes), returns the model's output members as a
dict, and raises the errors of ``exceptions``. One lock makes every operation atomic.
What the operations lean on lives beside: ``tokens`` (sync sessions), ``paging``,
``limits``, ``sync_trigger`` (its event and output), ``existence`` (and its directory hook), the table of
``operations``; the mock's own API is ``control``'s, and what goes out to streams,
pushes and trigger functions is the side channels' (``channels``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import threading
from typing import Any, Callable, Iterable, TypeVar

from .. import forks
from ..channels import SideChannels
from ..exceptions import (
    AlreadyStreamedError,
    DuplicateRequestError,
    InvalidConfigurationError,
    InvalidParameterError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from ..ids import Ids
from . import control, existence, limits, paging, sync_trigger
from .clock import now
from .existence import NOBODY, Directory
from .forms import STRINGS, Forms
from .limits import Limits
from .models import EVENT_TYPES, Dataset, Identity, Pool, Record, streams_fault
from .operations import OPERATIONS
from .sync_trigger import Write
from .tokens import Sessions

logger = logging.getLogger("cognito_sync_mock")

NO_HANDLER = (
    "SyncTrigger %s has no handler (mock.register_lambda, or serve --trigger ARN=module:function or "
    "--lambda-endpoint URL): the trigger is skipped"
)
DEVELOPER_SKIPS_TRIGGER = (
    "SyncTrigger %s is not run: this UpdateRecords is signed with developer credentials, and AWS runs "
    "sync triggers only for Cognito Identity credentials; sign with mock.identity_credentials(...) or "
    "use mock.identity_client(...) to run it"
)
_F = TypeVar("_F", bound=Callable[..., Any])


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
        forms: Forms = STRINGS,
        ids: Ids | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.strict = strict
        self.limits = limits or Limits()
        self.channels = channels or SideChannels()
        self.directory = directory  # who else knows pools and identities (moto's cognito-identity)
        self.forms = forms  # what the model allows names and values to be (the engine's: the domain cannot read it)
        self.ids = ids or Ids()  # where device IDs and the tokens' key come from (the State's, shared)
        self.lock = forks.renewed(self, "lock", threading.RLock)
        self.pools: dict[str, Pool] = {}
        self.sync_sessions: dict[str, int] = {}  # per pool ID, from the first ListRecords on
        self._scope = (account_id, region)  # what its tokens are bound to
        self.sessions = Sessions(self._scope, self.ids)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]  # a lock cannot be copied; a copy gets a fresh one
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = forks.renewed(self, "lock", threading.RLock)

    # -- the mock's own API (``control``) ----------------------------------------------

    def dataset(self, pool_id: str, identity_id: str, dataset_name: str) -> Dataset:
        """The stored dataset (live or deleted) for a look at its records; ``NoSuchDataset`` if none."""
        return control.dataset(self, pool_id, identity_id, dataset_name)

    def register_identity_pool(self, pool_id: str) -> None:
        """Make a pool known (strict mode lets only known pools exist)."""
        control.register_identity_pool(self, pool_id)

    def register_identity(self, pool_id: str, identity_id: str) -> None:
        """Make an identity (and its pool) known."""
        control.register_identity(self, pool_id, identity_id)

    def merge_identities(self, pool_id: str, into_identity_id: str, from_identity_id: str) -> None:
        """Merge identity B into A: each of B's datasets appears in A as ``<name>.<B>``."""
        control.merge_identities(self, pool_id, into_identity_id, from_identity_id)

    def complete_bulk_publish(self, pool_id: str) -> None:
        """Finish a held bulk publish: publish every dataset and mark it SUCCEEDED now."""
        control.complete_bulk_publish(self, pool_id)

    def fail_bulk_publish(self, pool_id: str, message: str) -> None:
        """End a held bulk publish as FAILED with ``message``; nothing is published."""
        control.fail_bulk_publish(self, pool_id, message)

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
        borrowed = existence.require(self, "ListRecords", identity_pool_id, identity_id)
        limit = _page_size("ListRecords", max_results)
        last = last_sync_count or 0
        if last < 0:
            raise InvalidParameterError(f"LastSyncCount must not be negative: {last}")
        moment = now()
        if sync_session_token is not None:
            self.sessions.check(sync_session_token, identity_pool_id, identity_id, dataset_name, moment)
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
            pinned, key_count, key = paging.unseal(self.ids.secret, self._scope, next_token, listing)
            after = (key_count, key)
        page = live.changed_since(after, pinned, limit + 1) if live else []
        token = None
        if len(page) > limit:  # one more than a page: there is a next page
            del page[limit:]
            token = paging.seal(self.ids.secret, self._scope, listing, pinned, page[-1].sync_count, page[-1].key)
        records = [record.to_dict() for record in page]
        deleted = dataset.deleted_at_sync_count if dataset else None
        if borrowed:  # a sync session on an identity only the directory knows: it is known here now
            self._touch_identity(identity_pool_id, identity_id, moment)
        self.sync_sessions[identity_pool_id] = self.sync_sessions.get(identity_pool_id, 0) + 1
        return {
            "Records": records,
            "NextToken": token,
            "Count": len(records),
            "DatasetSyncCount": pinned,
            "LastModifiedBy": live.last_modified_by if live else None,
            "MergedDatasetNames": (identity.merged.get(dataset_name) or None) if identity else None,
            "DatasetExists": live is not None,
            "DatasetDeletedAfterRequestedSyncCount": deleted is not None and 0 < last <= deleted,
            "SyncSessionToken": self.sessions.issue(identity_pool_id, identity_id, dataset_name, moment),
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
        existence.require(self, "UpdateRecords", identity_pool_id, identity_id)
        moment = now()  # when the request came: the session's clock and the records' date
        expires = self.sessions.check(sync_session_token, identity_pool_id, identity_id, dataset_name, moment)
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
            self.sessions.spend(sync_session_token, expires, moment)
            return {"Records": []}  # nothing to write to a dataset that exists: nothing changes
        author = identity_id if by_identity else self.account_id
        existing = identity.datasets.get(dataset_name) if identity else None  # live or deleted
        count = (existing.sync_count if existing else 0) + 1
        records = [Record(w.key, w.value, count, moment, author, w.device_date or moment) for w in writes]
        limits.check_write(self.limits, identity, live, dataset_name, records)
        self.sessions.spend(sync_session_token, expires, moment)
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
        if arn not in self.channels.triggers:
            logger.warning(NO_HANDLER, arn)
            return writes
        ids = {"region": self.region, "identityPoolId": pool_id, "identityId": identity_id, "datasetName": dataset_name}
        event = sync_trigger.build_event(ids, stored, writes)
        output = self.channels.triggers.invoke(arn, event)
        return sync_trigger.writes_from_output(event, output, {w.key: w.device_date for w in writes}, self.forms)

    def _announce(self, identity: Identity, dataset: Dataset, written: list[Record], device_id: str | None) -> None:
        """After a write: one stream record, and a silent push to every other subscribed device."""
        self._publish(identity.pool_id, dataset, "replace", written)
        devices = identity.subscriptions.get(dataset.name)
        if devices:
            others = [(device, *identity.devices[device]) for device in sorted(devices) if device != device_id]
            applications = (self.pools[identity.pool_id].push_sync or {}).get("ApplicationArns", [])
            self.channels.push(others, identity.pool_id, identity.identity_id, dataset, applications)

    def _publish(self, pool_id: str, dataset: Dataset, operation: str, records: list[Record] | None) -> None:
        """A dataset change's stream record, when the pool streams."""
        stream_name = self.pools[pool_id].stream_name
        if stream_name is not None:
            self.channels.stream(self.account_id, self.region, stream_name, pool_id, dataset, operation, records)

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
        existence.require(self, "ListDatasets", identity_pool_id, identity_id)
        identity = self._identity(identity_pool_id, identity_id)
        datasets = identity.live() if identity else []
        listing = ["ListDatasets", identity_pool_id, identity_id]
        limit = _page_size("ListDatasets", max_results)
        page, token = paging.page(self.ids.secret, datasets, lambda d: d.name, self._scope, listing, next_token, limit)
        return {"Datasets": [d.to_dict() for d in page], "Count": len(page), "NextToken": token}

    # -- usage -------------------------------------------------------------------------

    @_locked
    def describe_identity_usage(self, identity_pool_id: str, identity_id: str) -> dict[str, Any]:
        """An identity's dataset count, storage and last change."""
        existence.require(self, "DescribeIdentityUsage", identity_pool_id, identity_id)
        return {"IdentityUsage": existence.known_identity(self, identity_pool_id, identity_id).to_usage()}

    @_locked
    def describe_identity_pool_usage(self, identity_pool_id: str) -> dict[str, Any]:
        """A pool's sync sessions, storage and last change."""
        pool = existence.known_pool(self, identity_pool_id)
        return {"IdentityPoolUsage": pool.to_usage(self.sync_sessions.get(identity_pool_id, 0))}

    @_locked
    def list_identity_pool_usage(self, next_token: str | None = None, max_results: int | None = None) -> dict[str, Any]:
        """Usage of every known pool of this account and region, a page at a time."""
        limit = _page_size("ListIdentityPoolUsage", max_results)
        pools = existence.known_pools(self)  # those only the directory knows are answered, not stored
        page, token = paging.page(
            self.ids.secret, pools, lambda p: p.pool_id, self._scope, ["ListIdentityPoolUsage"], next_token, limit
        )
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
        existence.require(self, "SetIdentityPoolConfiguration", identity_pool_id, None)
        fault = streams_fault(cognito_streams) if cognito_streams is not None else None
        if fault is not None:
            raise InvalidParameterError(fault)
        pool = self._touch_pool(identity_pool_id, now())
        if push_sync is not None:
            pool.push_sync = push_sync or None  # an empty PushSync removes the configuration
        if cognito_streams is not None:
            pool.cognito_streams = cognito_streams
        return self._configuration(identity_pool_id)

    @_locked
    def get_identity_pool_configuration(self, identity_pool_id: str) -> dict[str, Any]:
        """The pool's stored PushSync and CognitoStreams settings."""
        existence.require(self, "GetIdentityPoolConfiguration", identity_pool_id, None)
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
        existence.require(self, "SetCognitoEvents", identity_pool_id, None)
        for name in events:
            if name not in EVENT_TYPES:
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
        existence.require(self, "GetCognitoEvents", identity_pool_id, None)
        pool = self.pools.get(identity_pool_id)
        return {"Events": dict(pool.events) if pool else {}}

    # -- Cognito Streams bulk publish --------------------------------------------------

    @_locked
    def bulk_publish(self, identity_pool_id: str) -> dict[str, Any]:
        """Publish every live dataset of the pool to its stream (at once, unless held)."""
        existence.require(self, "BulkPublish", identity_pool_id, None)
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
        existence.require(self, "GetBulkPublishDetails", identity_pool_id, None)
        pool = self.pools.get(identity_pool_id)
        details = pool.bulk_publish.to_dict() if pool else {"BulkPublishStatus": "NOT_STARTED"}
        return {"IdentityPoolId": identity_pool_id, **details}

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
        existence.require(self, "RegisterDevice", identity_pool_id, identity_id)
        self._require_push_sync(identity_pool_id)
        identity = self._touch_identity(identity_pool_id, identity_id, now())
        for device_id, device in identity.devices.items():
            if device == (platform, token):
                return {"DeviceId": device_id}
        device_id = str(self.ids.uuid4())
        while device_id in identity.devices:  # a seed's sequence repeats after a reset and a restore
            device_id = str(self.ids.uuid4())
        identity.devices[device_id] = (platform, token)
        return {"DeviceId": device_id}

    @_locked
    def subscribe_to_dataset(
        self, identity_pool_id: str, identity_id: str, dataset_name: str, device_id: str
    ) -> dict[str, Any]:
        """Subscribe a registered device to silent pushes for an existing dataset."""
        existence.require(self, "SubscribeToDataset", identity_pool_id, identity_id)
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
        existence.require(self, "UnsubscribeFromDataset", identity_pool_id, identity_id)
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

    def _live_dataset(self, operation: str, pool_id: str, identity_id: str, name: str) -> Dataset:
        """The dataset, or ResourceNotFoundException when it does not exist (or was deleted)."""
        existence.require(self, operation, pool_id, identity_id)
        identity = self._identity(pool_id, identity_id)
        dataset = identity.live_dataset(name) if identity else None
        if dataset is None:
            raise ResourceNotFoundError(f"Dataset '{name}' not found.")
        return dataset

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
