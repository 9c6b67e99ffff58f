"""The one table of per-operation facts: for each Cognito Sync operation, what it may do.

Domain policy, read where each fact is enforced: the backend (page sizes, and how strict
mode refuses a pool or identity it does not know), the engine (``state``: which
credentials may call it, whether it runs the sync trigger) and the server (whether a
request must be written to its state database). The service model documents two of these facts,
the callers in prose and ``not_found`` as the errors it lists; the domain cannot read the
model, so ``tests/test_operations.py`` holds this table to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from .paging import Page

Callers = Literal["any", "developer", "identity"]


@dataclass(frozen=True)
class Operation:
    """What one operation may do, and who may call it."""

    writes: bool
    """It may change the state (ListRecords does: it counts a sync session)."""
    callers: Callers = "any"
    """Whose credentials may call it: a developer's, a Cognito Identity's, or any (strict mode enforces it)."""
    not_found: bool = True
    """In strict mode a pool or identity it does not know is ResourceNotFoundException (else NotAuthorized)."""
    page: Page | None = None
    """A listing's page size."""
    trigger: bool = False
    """It runs the pool's SyncTrigger (for requests signed with Cognito Identity credentials)."""


OPERATIONS: Mapping[str, Operation] = {
    "BulkPublish": Operation(writes=True, callers="developer"),
    "DeleteDataset": Operation(writes=True),
    "DescribeDataset": Operation(writes=False),
    "DescribeIdentityPoolUsage": Operation(writes=False, callers="developer"),
    "DescribeIdentityUsage": Operation(writes=False),
    "GetBulkPublishDetails": Operation(writes=False, callers="developer"),
    "GetCognitoEvents": Operation(writes=False, callers="developer"),
    "GetIdentityPoolConfiguration": Operation(writes=False, callers="developer"),
    "ListDatasets": Operation(writes=False, not_found=False, page=Page(20, 64)),
    "ListIdentityPoolUsage": Operation(writes=False, callers="developer", not_found=False, page=Page(60, 60)),
    "ListRecords": Operation(writes=True, not_found=False, page=Page(1024, 1024)),
    "RegisterDevice": Operation(writes=True, callers="identity"),
    "SetCognitoEvents": Operation(writes=True, callers="developer"),
    "SetIdentityPoolConfiguration": Operation(writes=True, callers="developer"),
    "SubscribeToDataset": Operation(writes=True, callers="identity"),
    "UnsubscribeFromDataset": Operation(writes=True, callers="identity"),
    "UpdateRecords": Operation(writes=True, trigger=True),
}

READS = frozenset(name for name, operation in OPERATIONS.items() if not operation.writes)
"""The operations that never change the state."""
