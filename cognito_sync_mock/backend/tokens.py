"""Opaque, tamper-evident tokens: sync session tokens and paging tokens.

A token is a small JSON payload (a flat list of strings and numbers) and a keyed hash
of it under a secret made once per process, so a client cannot forge one or move it to
another listing, and the mock keeps no table of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

_SECRET = secrets.token_bytes(32)
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_string = json.encoder.encode_basestring_ascii

# The tokens signed lately, with their payloads: most come back soon (a sync session's
# token in its UpdateRecords, a page's in the next page), and then need no decoding.
_recent: dict[str, list[Any]] = {}
_RECENT_LIMIT = 4096


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: bytes) -> bytes:
    return _b64(hashlib.blake2b(body, key=_SECRET, digest_size=18).digest())


def _item(value: Any) -> str:
    kind = type(value)
    return _string(value) if kind is str else repr(value) if kind is int or kind is float else json.dumps(value)


def _encode(payload: list[Any]) -> bytes:
    """The payload as compact JSON (numbers as ``repr`` writes them, which JSON reads back)."""
    return ("[" + ",".join([_item(v) for v in payload]) + "]").encode()


def sign(payload: list[Any]) -> str:
    """Seal a flat list of strings and numbers into an opaque token."""
    body = _b64(_encode(payload))
    token = (body + b"." + _mac(body)).decode()
    if len(_recent) >= _RECENT_LIMIT:
        _recent.clear()
    _recent[token] = payload
    return token


def unseal(token: str) -> Any:
    """The payload of a token this process signed, or None for anything else."""
    known = _recent.get(token)
    if known is not None:
        return known
    body, _, mac = token.encode("utf-8", "replace").rpartition(b".")
    if not body or not hmac.compare_digest(mac, _mac(body)):
        return None
    try:
        return json.loads(_unb64(body.decode()))
    except ValueError:  # bad base64 or JSON (binascii.Error and UnicodeError are ValueErrors)
        return None
