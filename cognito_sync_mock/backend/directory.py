"""Who else knows identity pools and identities: the hook strict mode and usage consult.

Identity pools and identities belong to Cognito Identity, not to Cognito Sync. A backend
knows those it was written for or told of (``register_identity_pool`` and the like); a
``Directory`` plugged in (``integrations.moto``: moto's cognito-identity) may know more.
What a directory knows is only read: a read answers from it and stores nothing, and only
a write makes a pool or an identity known to the backend.
"""

from __future__ import annotations

from typing import Iterable, Protocol


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
