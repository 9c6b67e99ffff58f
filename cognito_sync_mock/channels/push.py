"""Push sync: the silent pushes the mock would send, kept in an outbox."""

from __future__ import annotations

import threading
from typing import Any

from .. import forks


class Outbox:
    """Every push notification sent, in order: dicts with platform, token, device_id, payload."""

    def __init__(self) -> None:
        self._lock = forks.renewed(self, "_lock", threading.Lock)
        self._sent: list[dict[str, Any]] = []

    def send(self, platform: str, token: str, device_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._sent.append({"platform": platform, "token": token, "device_id": device_id, "payload": payload})

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()

    def count(self) -> int:
        """How many pushes were sent."""
        return len(self._sent)

    def truncate(self, count: int) -> None:
        """Forget every push after the first ``count``."""
        with self._lock:
            del self._sent[count:]
