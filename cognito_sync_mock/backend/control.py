"""The mock's own API on a backend: what a test does that no AWS call does.

Make pools and identities known (strict mode admits only those), merge two identities as
Cognito Identity does, end a held bulk publish, and look at a stored dataset. ``Backend``
offers each as a method of the same name; each runs under the backend's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import NoSuchDataset
from .clock import now
from .models import Dataset, Pool, Record

if TYPE_CHECKING:
    from .backend import Backend


def dataset(backend: Backend, pool_id: str, identity_id: str, dataset_name: str) -> Dataset:
    """The stored dataset (live or deleted) for a look at its records; ``NoSuchDataset`` if none."""
    with backend.lock:
        try:
            return backend.pools[pool_id].identities[identity_id].datasets[dataset_name]
        except KeyError:
            raise NoSuchDataset(
                f"no dataset {dataset_name!r} of identity {identity_id!r} in identity pool {pool_id!r} "
                f"(account {backend.account_id}, region {backend.region})"
            ) from None


def register_identity_pool(backend: Backend, pool_id: str) -> None:
    """Make a pool known (strict mode lets only known pools exist)."""
    with backend.lock:
        backend._touch_pool(pool_id, now())


def register_identity(backend: Backend, pool_id: str, identity_id: str) -> None:
    """Make an identity (and its pool) known."""
    with backend.lock:
        backend._touch_identity(pool_id, identity_id, now())


def merge_identities(backend: Backend, pool_id: str, into_identity_id: str, from_identity_id: str) -> None:
    """Merge identity B into A: each of B's datasets appears in A as ``<name>.<B>``."""
    with backend.lock:
        moment = now()
        source = backend._touch_identity(pool_id, from_identity_id, moment)
        target = backend._touch_identity(pool_id, into_identity_id, moment)
        for merged in source.live():
            merged_name = f"{merged.name}.{from_identity_id}"
            copy = backend._dataset_for_write(target, merged_name, moment)
            copy.sync_count += 1
            copy.store(
                [
                    Record(r.key, r.value, copy.sync_count, moment, into_identity_id, r.device_last_modified_date)
                    for r in merged.records.values()
                    if r.value is not None
                ]
            )
            links = target.merged.setdefault(merged.name, [])
            if merged_name not in links:
                links.append(merged_name)


def complete_bulk_publish(backend: Backend, pool_id: str) -> None:
    """Finish a held bulk publish: publish every dataset and mark it SUCCEEDED now."""
    with backend.lock:
        backend._finish_bulk_publish(_bulk_in_progress(backend, pool_id), now())


def fail_bulk_publish(backend: Backend, pool_id: str, message: str) -> None:
    """End a held bulk publish as FAILED with ``message``; nothing is published."""
    with backend.lock:
        bulk = _bulk_in_progress(backend, pool_id).bulk_publish
        bulk.status, bulk.failure_message = "FAILED", message


def _bulk_in_progress(backend: Backend, pool_id: str) -> Pool:
    pool = backend.pools.get(pool_id)
    if pool is None or pool.bulk_publish.status != "IN_PROGRESS":
        raise ValueError(f"identity pool {pool_id} has no bulk publish in progress")
    return pool
