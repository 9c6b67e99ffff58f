"""The mock's own API on a backend: what a test does that no AWS call does.

Make pools and identities known (strict mode admits only those), merge two identities as
Cognito Identity does, end a held bulk publish, and look at a stored dataset. ``Backend``
offers each as a method of the same name; each runs under the backend's lock. What each
is given is held to the backend's ``forms`` (the model's), so that no name enters the
state that a request could not have brought: a bad one is a ValueError naming its member.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, NamedTuple

from ..exceptions import LimitExceededError, NoSuchDataset
from . import limits
from .clock import now
from .forms import check
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
    check(backend.forms, "pool_id", pool_id, "pool_id")
    with backend.lock:
        backend._touch_pool(pool_id, now())


def register_identity(backend: Backend, pool_id: str, identity_id: str) -> None:
    """Make an identity (and its pool) known."""
    check(backend.forms, "pool_id", pool_id, "pool_id")
    check(backend.forms, "identity_id", identity_id, "identity_id")
    with backend.lock:
        backend._touch_identity(pool_id, identity_id, now())


class _Copy(NamedTuple):
    """What a merge writes to one dataset of the identity merged into."""

    source: str  # the merged dataset's own name
    name: str  # ``<source>.<identity merged from>``
    records: list[Record]


def merge_identities(backend: Backend, pool_id: str, into_identity_id: str, from_identity_id: str) -> None:
    """Merge identity B into A: each of B's datasets appears in A as ``<name>.<B>``.

    All or nothing: a merged name the model does not allow, or copies beyond A's limits,
    are a ValueError and change nothing.
    """
    check(backend.forms, "pool_id", pool_id, "pool_id")
    check(backend.forms, "identity_id", into_identity_id, "into_identity_id")
    check(backend.forms, "identity_id", from_identity_id, "from_identity_id")
    with backend.lock:
        moment = now()
        copies = _copies(backend, pool_id, into_identity_id, from_identity_id, moment)
        backend._touch_identity(pool_id, from_identity_id, moment)
        target = backend._touch_identity(pool_id, into_identity_id, moment)
        for source, name, records in copies:
            copy = backend._dataset_for_write(target, name, moment)
            copy.sync_count += 1
            copy.store(records)
            links = target.merged.setdefault(source, [])
            if name not in links:
                links.append(name)


def _copies(
    backend: Backend, pool_id: str, into_identity_id: str, from_identity_id: str, moment: _dt.datetime
) -> list[_Copy]:
    """The datasets a merge writes, each checked against the model's names and the limits."""
    source, target = backend._identity(pool_id, from_identity_id), backend._identity(pool_id, into_identity_id)
    copies = []
    for merged in source.live() if source else []:
        name = f"{merged.name}.{from_identity_id}"
        check(backend.forms, "dataset_name", name, "merged dataset name")
        existing = target.datasets.get(name) if target else None
        count = (existing.sync_count if existing else 0) + 1
        live = existing if existing is not None and existing.exists else None
        records = [
            Record(r.key, r.value, count, moment, into_identity_id, r.device_last_modified_date)
            for r in merged.records.values()
            if r.value is not None
        ]
        try:
            limits.check_size(backend.limits, live, name, records)
        except LimitExceededError as error:
            raise ValueError(f"cannot merge {from_identity_id} into {into_identity_id}: {error.message}") from None
        copies.append(_Copy(merged.name, name, records))
    datasets = (target.dataset_count if target else 0) + sum(
        1 for copy in copies if target is None or target.live_dataset(copy.name) is None
    )
    if datasets > backend.limits.datasets_per_identity:
        raise ValueError(
            f"cannot merge {from_identity_id} into {into_identity_id}: it would have {datasets} datasets, "
            f"more than the limit of {backend.limits.datasets_per_identity}"
        )
    return copies


def complete_bulk_publish(backend: Backend, pool_id: str) -> None:
    """Finish a held bulk publish: publish every dataset and mark it SUCCEEDED now."""
    check(backend.forms, "pool_id", pool_id, "pool_id")
    with backend.lock:
        backend._finish_bulk_publish(_bulk_in_progress(backend, pool_id), now())


def fail_bulk_publish(backend: Backend, pool_id: str, message: str) -> None:
    """End a held bulk publish as FAILED with ``message``; nothing is published."""
    check(backend.forms, "pool_id", pool_id, "pool_id")
    check(backend.forms, "text", message, "message")
    with backend.lock:
        bulk = _bulk_in_progress(backend, pool_id).bulk_publish
        bulk.status, bulk.failure_message = "FAILED", message


def _bulk_in_progress(backend: Backend, pool_id: str) -> Pool:
    pool = backend.pools.get(pool_id)
    if pool is None or pool.bulk_publish.status != "IN_PROGRESS":
        raise ValueError(f"identity pool {pool_id} has no bulk publish in progress")
    return pool
