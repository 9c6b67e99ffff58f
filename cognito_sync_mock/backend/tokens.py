"""Opaque, tamper-evident tokens, and the sync sessions they open.

A token is a small JSON payload (a flat list of strings and numbers) and a keyed hash
of it under the key of the mock's ``Ids`` (random, or its seed's), so a client cannot forge
one or move it to another listing, and the mock keeps no table of them. ``Sessions`` issues
and checks the SyncSessionTokens of one account and region and keeps those used up; paging
tokens are ``paging``'s.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import json
from typing import Any

from ..exceptions import InvalidParameterError
from ..ids import Ids

_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_string = json.encoder.encode_basestring_ascii

# The tokens signed lately, with their key and payload: most come back soon (a sync
# session's token in its UpdateRecords, a page's in the next page), and then need no decoding.
_recent: dict[str, tuple[bytes, list[Any]]] = {}
_RECENT_LIMIT = 4096


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: bytes, key: bytes) -> bytes:
    return _b64(hashlib.blake2b(body, key=key, digest_size=18).digest())


def _item(value: Any) -> str:
    kind = type(value)
    return _string(value) if kind is str else repr(value) if kind is int or kind is float else json.dumps(value)


def _encode(payload: list[Any]) -> bytes:
    """The payload as compact JSON (numbers as ``repr`` writes them, which JSON reads back)."""
    return ("[" + ",".join([_item(v) for v in payload]) + "]").encode()


def sign(payload: list[Any], key: bytes) -> str:
    """Seal a flat list of strings and numbers into an opaque token under ``key``."""
    body = _b64(_encode(payload))
    token = (body + b"." + _mac(body, key)).decode()
    if len(_recent) >= _RECENT_LIMIT:
        _recent.clear()
    _recent[token] = (key, payload)
    return token


def unseal(token: str, key: bytes) -> Any:
    """The payload of a token signed under ``key``, or None for anything else."""
    known = _recent.get(token)
    if known is not None and known[0] == key:
        return known[1]
    body, _, mac = token.encode("utf-8", "replace").rpartition(b".")
    if not body or not hmac.compare_digest(mac, _mac(body, key)):
        return None
    try:
        return json.loads(_unb64(body.decode()))
    except ValueError:  # bad base64 or JSON (binascii.Error and UnicodeError are ValueErrors)
        return None


SESSION_SECONDS = 300
SESSION_USED = "SyncSessionToken already used: a successful UpdateRecords ends its sync session"
_SPENT_PRUNE_SIZE = 1024  # spent tokens kept before the expired ones are dropped


class Sessions:
    """The sync sessions of one account and region: tokens issued, checked and used up.

    A token names its dataset and its expiry; a successful UpdateRecords uses it up
    (``spent``, token -> expiry), and expired ones are dropped now and then.
    """

    def __init__(self, scope: tuple[str, str], ids: Ids) -> None:
        self.scope = scope  # (account ID, region): what its tokens are bound to
        self.ids = ids  # the key they are sealed under, and their serial numbers
        self.spent: dict[str, float] = {}
        self._prune_at = _SPENT_PRUNE_SIZE

    def issue(self, pool_id: str, identity_id: str, dataset_name: str, moment: _dt.datetime) -> str:
        """A fresh token for a session on this dataset, valid for SESSION_SECONDS from ``moment``."""
        expires = moment.timestamp() + SESSION_SECONDS
        # the serial number tells apart tokens issued at the same moment for the same dataset
        payload = ["session", *self.scope, pool_id, identity_id, dataset_name, expires, self.ids.serial()]
        return sign(payload, self.ids.secret)

    def check(self, token: str, pool_id: str, identity_id: str, dataset_name: str, moment: _dt.datetime) -> float:
        """The token's expiry, if it is a live token of this dataset's sync session."""
        payload = unseal(token, self.ids.secret)
        expected = ["session", *self.scope, pool_id, identity_id, dataset_name]
        if not isinstance(payload, list) or len(payload) != 8 or payload[:6] != expected:
            raise InvalidParameterError("SyncSessionToken not valid for these inputs")
        if moment.timestamp() > payload[6]:
            raise InvalidParameterError("SyncSessionToken expired")
        if token in self.spent:
            raise InvalidParameterError(SESSION_USED)
        expires: float = payload[6]
        return expires

    def spend(self, token: str, expires: float, moment: _dt.datetime) -> None:
        """Use a checked token up; expired ones are dropped now and then, so the table stays small."""
        spent = self.spent
        if len(spent) >= self._prune_at:
            now_seconds = moment.timestamp()
            self.spent = spent = {t: expiry for t, expiry in spent.items() if expiry >= now_seconds}
            self._prune_at = max(_SPENT_PRUNE_SIZE, 2 * len(spent))
        spent[token] = expires

    def unspend(self, token: str) -> None:
        """Make a token usable again: the change that used it up was not kept."""
        self.spent.pop(token, None)
