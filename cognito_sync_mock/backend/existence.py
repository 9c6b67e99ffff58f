"""Which identity pools and identities exist, and strict mode's rule about the others.

Identity pools and identities belong to Cognito Identity, not to Cognito Sync. A backend
knows those it was written for or told of (``register_identity_pool`` and the like); a
``Directory`` plugged in (``integrations.moto``: moto's cognito-identity) may know more.
What a directory knows is only read: a read answers from it and stores nothing, and only
a write makes a pool or an identity known to the backend. In strict mode nothing else
exists; how an operation refuses the rest is its ``not_found`` in the table of operations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol

from ..exceptions import NotAuthorizedError, ResourceNotFoundError
from .clock import now
from .models import Identity, Pool
from .operations import OPERATIONS

if TYPE_CHECKING:
    from .backend import Backend


class Directory(Protocol):
    """The identity pools and identities of an account and region that exist elsewhere."""

    def knows(self, account_id: str, region: str, pool_id: str, identity_id: str | None) -> bool:
        """Whether the pool (and, when given, the identity in it) exists."""

    def pools(self, account_id: str, region: str) -> Iterable[str]:
        """The IDs of the pools that exist."""


class Nobody:
    """The directory of a backend with nothing plugged in: it knows no pool."""

    def knows(self, account_id: str, region: str, pool_id: str, identity_id: str | None) -> bool:
        return False

    def pools(self, account_id: str, region: str) -> Iterable[str]:
        return ()


NOBODY = Nobody()


def require(backend: Backend, operation: str, pool_id: str, identity_id: str | None) -> bool:
    """In strict mode, refuse a pool (and identity) that neither the backend nor its directory knows.

    The refusal is ResourceNotFoundException where the operation models it, else
    NotAuthorizedException. True when only the directory knows them: a write that
    succeeds then makes them known to the backend (a read stores nothing).
    """
    if not backend.strict or _here(backend, pool_id, identity_id):
        return False
    if elsewhere(backend, pool_id, identity_id):
        return True
    subject = f"Identity '{identity_id}'" if identity_id and pool_id in backend.pools else f"IdentityPool '{pool_id}'"
    if OPERATIONS[operation].not_found:
        raise ResourceNotFoundError(f"{subject} not found.")
    raise NotAuthorizedError(f"{subject} is not known to this account and region.")


def elsewhere(backend: Backend, pool_id: str, identity_id: str | None) -> bool:
    """Whether the backend's directory knows the pool (and the identity in it)."""
    return backend.directory.knows(backend.account_id, backend.region, pool_id, identity_id)


def known_pool(backend: Backend, pool_id: str) -> Pool:
    """The pool (a fresh one, not stored, when only the directory knows it), or ResourceNotFoundException."""
    pool = backend.pools.get(pool_id)
    if pool is None and elsewhere(backend, pool_id, None):
        pool = Pool(pool_id, now())
    if pool is None:
        raise ResourceNotFoundError(f"IdentityPool '{pool_id}' not found.")
    return pool


def known_identity(backend: Backend, pool_id: str, identity_id: str) -> Identity:
    """The identity (a fresh one, not stored, when only the directory knows it), or ResourceNotFoundException."""
    pool = backend.pools.get(pool_id)
    identity = pool.identities.get(identity_id) if pool else None
    if identity is None and elsewhere(backend, pool_id, identity_id):
        identity = Identity(pool_id, identity_id, now())
    if identity is None:
        raise ResourceNotFoundError(f"Identity '{identity_id}' not found.")
    return identity


def known_pools(backend: Backend) -> list[Pool]:
    """Every pool the backend or its directory knows (those only the directory knows fresh, not stored), by ID."""
    pools = dict(backend.pools)
    moment = now()
    for pool_id in backend.directory.pools(backend.account_id, backend.region):
        if pool_id not in pools:
            pools[pool_id] = Pool(pool_id, moment)
    return sorted(pools.values(), key=lambda p: p.pool_id)


def _here(backend: Backend, pool_id: str, identity_id: str | None) -> bool:
    pool = backend.pools.get(pool_id)
    return pool is not None and (identity_id is None or identity_id in pool.identities)
