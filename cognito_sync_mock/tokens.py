"""Opaque, tamper-evident tokens: sync session tokens and paging tokens.

A token is a small JSON payload and an HMAC of it under a secret made once per process,
so a client cannot forge one or move it to another listing, and the mock keeps no table.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from typing import Any

_SECRET = secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: str) -> str:
    return _b64(hmac.digest(_SECRET, payload.encode("utf-8", "replace"), "sha256")[:18])


def sign(payload: Any) -> str:
    """Seal a JSON-serializable payload into an opaque token."""
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_mac(body)}"


def unseal(token: str) -> Any:
    """The payload of a token this process signed, or None for anything else."""
    body, _, mac = token.rpartition(".")
    if not body or not hmac.compare_digest(mac.encode("utf-8", "replace"), _mac(body).encode()):
        return None
    try:
        return json.loads(_unb64(body))
    except ValueError:  # bad base64 or JSON (binascii.Error and UnicodeError are ValueErrors)
        return None
