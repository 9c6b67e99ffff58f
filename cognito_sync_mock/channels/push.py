"""Push sync: the silent pushes the mock would send, kept in an outbox.

Each push also goes to a ``PushSink`` when one is plugged in (``integrations.moto``:
moto's SNS, when moto's mock is active and holds one of the pool's platform
applications), as the SNS message ``sns_message`` builds.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol, Sequence

from .. import forks


def sns_message(platform: str, payload: dict[str, Any]) -> str:
    """The SNS message (``MessageStructure: json``) of one silent push to a device of ``platform``.

    The payload rides as the notification's ``data``, where the AWS Mobile SDKs read it
    (https://docs.aws.amazon.com/cognito/latest/developerguide/push-sync.html); an APNs
    push is silent with ``content-available: 1`` and no alert. ``default`` is the payload
    itself: SNS wants that key in every JSON message.
    """
    body: dict[str, Any] = {"data": payload}
    if platform.startswith("APNS"):
        body = {"aps": {"content-available": 1}, **body}
    return json.dumps({"default": json.dumps(payload), platform: json.dumps(body)})


class PushSink(Protocol):
    """Where else pushes go: a real-looking SNS (moto's, by ``integrations.moto``)."""

    def publish(self, application_arns: Sequence[str], platform: str, token: str, message: str) -> None:
        """Publish ``message`` to the token's endpoint under the first of these applications of
        that platform that the sink holds; nothing when it holds none."""


class NoSink:
    """The sink of pushes with nothing plugged in: pushes stay in the outbox."""

    def publish(self, application_arns: Sequence[str], platform: str, token: str, message: str) -> None:
        pass


class Outbox:
    """Every push notification sent, in order: dicts with platform, token, device_id, payload."""

    def __init__(self, sink: PushSink | None = None) -> None:
        self.sink: PushSink = sink or NoSink()
        self._lock = forks.renewed(self, "_lock", threading.Lock)
        self._sent: list[dict[str, Any]] = []

    def send(
        self, platform: str, token: str, device_id: str, payload: dict[str, Any], application_arns: Sequence[str] = ()
    ) -> None:
        """Record one push and hand it to the sink, with the pool's platform applications."""
        with self._lock:
            self._sent.append({"platform": platform, "token": token, "device_id": device_id, "payload": payload})
        self.sink.publish(application_arns, platform, token, sns_message(platform, payload))

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
