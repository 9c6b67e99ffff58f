"""AWS's service limits on what an identity stores, and the check a write must pass.

The mock's own limits (``Limits``) are the defaults AWS documents, each overridable with
``mock_cognito_sync(limits={...})``. Bounds the service model sets on single values
(a record key's length, ...) are the protocol's to check, not these.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping

from ..exceptions import LimitExceededError
from .models import Dataset, Identity, Record


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


def check_write(
    limits: Limits, identity: Identity | None, live: Dataset | None, name: str, records: list[Record]
) -> None:
    """LimitExceededException if writing ``records`` to dataset ``name`` (``live``, if it exists) breaks a limit."""
    if live is None:
        count = identity.dataset_count if identity else 0
        if count >= limits.datasets_per_identity:
            raise LimitExceededError(
                f"Cannot create dataset {name}: an identity can have at most {limits.datasets_per_identity} datasets"
            )
    check_size(limits, live, name, records)


def check_size(limits: Limits, live: Dataset | None, name: str, records: list[Record]) -> None:
    """LimitExceededException if dataset ``name`` (``live``, if it exists) with ``records`` stored is too big."""
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
            f"Dataset {name} would hold {num_records} records; the limit is {limits.records_per_dataset}"
        )
    if storage > limits.dataset_bytes:
        raise LimitExceededError(f"Dataset {name} would hold {storage} bytes; the limit is {limits.dataset_bytes}")
