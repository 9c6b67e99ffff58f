"""The side channels a backend reaches out to, shared by every backend of one mock state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..backend.events import Handler
from .push import Outbox
from .streams import Streams


@dataclass
class SideChannels:
    """Sync-trigger callables, stream records, push notifications and bulk-publish holding."""

    lambdas: dict[str, Handler] = field(default_factory=dict)
    streams: Streams = field(default_factory=Streams)
    outbox: Outbox = field(default_factory=Outbox)
    hold_bulk_publishes: bool = False

    def clear(self) -> None:
        """Forget what was sent (registered lambdas stay: they are set-up, not state)."""
        self.streams.clear()
        self.outbox.clear()
