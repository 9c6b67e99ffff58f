"""The mock state and its calls as plain JSON-ready data: ``/_mock/state``, ``/_mock/calls``, the dashboard.

One walk over ``state.backends`` (account, region) -> pools -> identities -> datasets ->
records, each backend read under its own lock so that a view is never half-written.
Dates are epoch seconds with millisecond precision, as on the wire.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .backend import Backend
from .backend.models import Dataset, Identity, Pool, Record
from .protocol.serialize import epoch
from .state import Call, State


def state_view(state: State) -> dict[str, Any]:
    """Every account, region, pool, identity, dataset and record of ``state``, as plain data."""
    with state.lock:
        backends = sorted(state.backends.items())
        calls = len(state.calls)
    accounts: dict[str, Any] = {}
    for (account_id, region), backend in backends:
        regions = accounts.setdefault(account_id, {"regions": {}})["regions"]
        regions[region] = backend_view(backend)
    return {
        "account_id": state.account_id,
        "strict": state.strict,
        "calls": calls,
        "accounts": accounts,
    }


def call_view(call: Call) -> dict[str, Any]:
    """One answered call as JSON-ready data (its time in epoch seconds, as the state's dates)."""
    return {
        "number": call.number,
        "time": epoch(call.time),
        "operation": call.operation,
        "caller": call.caller,
        "status": call.status,
        "error": call.error,
        "params": call.params,
    }


def backend_view(backend: Backend) -> dict[str, Any]:
    """One account and region: its pools, read under the backend's lock."""
    with backend.lock:
        return {
            "pools": {
                pool_id: _pool(pool, backend.sync_sessions.get(pool_id, 0))
                for pool_id, pool in sorted(backend.pools.items())
            }
        }


def _pool(pool: Pool, sync_sessions: int) -> dict[str, Any]:
    bulk = pool.bulk_publish
    return {
        "last_modified_date": _date(pool.last_modified_date),
        "sync_sessions": sync_sessions,
        "data_storage": pool.data_storage,
        "push_sync": _plain(pool.push_sync),
        "cognito_streams": _plain(pool.cognito_streams),
        "events": dict(pool.events),
        "bulk_publish": {
            "status": bulk.status,
            "start_time": _date(bulk.start_time),
            "complete_time": _date(bulk.complete_time),
            "failure_message": bulk.failure_message,
        },
        "identities": {identity_id: _identity(identity) for identity_id, identity in sorted(pool.identities.items())},
    }


def _identity(identity: Identity) -> dict[str, Any]:
    return {
        "last_modified_date": _date(identity.last_modified_date),
        "data_storage": identity.data_storage,
        "devices": {
            device_id: {"platform": platform, "token": token}
            for device_id, (platform, token) in sorted(identity.devices.items())
        },
        "datasets": {name: _dataset(dataset, identity) for name, dataset in sorted(identity.datasets.items())},
    }


def _dataset(dataset: Dataset, identity: Identity) -> dict[str, Any]:
    return {
        "exists": dataset.exists,
        "sync_count": dataset.sync_count,
        "deleted_at_sync_count": dataset.deleted_at_sync_count,
        "creation_date": _date(dataset.creation_date),
        "last_modified_date": _date(dataset.last_modified_date),
        "last_modified_by": dataset.last_modified_by,
        "num_records": dataset.num_records,
        "data_storage": dataset.data_storage,
        "merged_dataset_names": list(identity.merged.get(dataset.name, ())),
        "subscribed_devices": sorted(identity.subscriptions.get(dataset.name, ())),
        "records": {
            record.key: _record(record)
            for record in sorted(dataset.records.values(), key=lambda r: (r.sync_count, r.key))
        },
    }


def _record(record: Record) -> dict[str, Any]:
    return {
        "value": record.value,
        "sync_count": record.sync_count,
        "deleted": record.value is None,
        "last_modified_date": _date(record.last_modified_date),
        "last_modified_by": record.last_modified_by,
        "device_last_modified_date": _date(record.device_last_modified_date),
    }


def _date(moment: _dt.datetime | None) -> float | None:
    return None if moment is None else epoch(moment)


def _plain(value: Any) -> Any:
    """A copy made of dicts, lists and scalars only (dates as epoch seconds)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, _dt.datetime):
        return epoch(value)
    return value
