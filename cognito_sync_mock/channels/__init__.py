"""The side channels a backend reaches out to, shared by every backend of one mock state.

Streams, push notifications and sync-trigger callables, each readable through the mock
object. The backend calls them through the few methods of ``SideChannels``: it says what
changed and to whom it goes; the channels build and send the records and the pushes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .push import Outbox
from .streams import Streams, stream_record
from .triggers import Triggers


@dataclass
class SideChannels:
    """Sync-trigger callables, stream records, push notifications and bulk-publish holding."""

    triggers: Triggers = field(default_factory=Triggers)
    streams: Streams = field(default_factory=Streams)
    outbox: Outbox = field(default_factory=Outbox)
    hold_bulk_publishes: bool = False

    def stream(
        self,
        account_id: str,
        region: str,
        stream_name: str,
        pool_id: str,
        dataset: Any,
        operation: str,
        records: list[Any] | None,
    ) -> None:
        """Publish the Cognito Streams record of one dataset change (see ``streams.stream_record``)."""
        self.streams.publish(account_id, region, stream_name, stream_record(pool_id, dataset, operation, records))

    def push(
        self,
        devices: Iterable[tuple[str, str, str]],
        pool_id: str,
        identity_id: str,
        dataset: Any,
        application_arns: Sequence[str] = (),
    ) -> None:
        """A silent push telling the dataset's new sync count to each (device ID, platform, token),
        through the pool's SNS platform applications (``application_arns``)."""
        payload = {
            "source": "cognito-sync",
            "identityPoolId": pool_id,
            "identityId": identity_id,
            "datasetName": dataset.name,
            "syncCount": dataset.sync_count,
        }
        for device_id, platform, token in devices:
            self.outbox.send(platform, token, device_id, dict(payload), application_arns)

    def clear(self) -> None:
        """Forget what was sent (registered trigger handlers stay: they are set-up, not state)."""
        self.streams.clear()
        self.outbox.clear()

    def mark(self) -> tuple[int, int]:
        """How many stream records and pushes were sent so far, for ``rewind``."""
        return self.streams.count(), self.outbox.count()

    def rewind(self, mark: tuple[int, int]) -> None:
        """Forget the stream records and pushes sent since ``mark``: the change that sent them was not kept."""
        self.streams.truncate(mark[0])
        self.outbox.truncate(mark[1])
