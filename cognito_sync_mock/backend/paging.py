"""Listing a page at a time: page sizes, and one page of a sorted listing after a NextToken.

A NextToken is sealed (``tokens``, under a key) to the account, region and listing that issued it, and
carries the position after which the next page starts, so the mock keeps no cursors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

from ..exceptions import InvalidParameterError
from . import tokens

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """A listing operation's page size: default, cap."""

    default: int
    cap: int

    def size(self, max_results: int | None) -> int:
        """The page size a request's MaxResults asks for, within the cap."""
        if max_results is None:
            return self.default
        if max_results < 1:
            raise InvalidParameterError(f"MaxResults must be at least 1, not {max_results}")
        return min(max_results, self.cap)


def seal(key: bytes, scope: Sequence[str], listing: Sequence[Any], *position: Any) -> str:
    """A NextToken sealed under ``key``, bound to a scope (account and region) and a listing, carrying a position."""
    return tokens.sign([*scope, *listing, *position], key)


def unseal(key: bytes, scope: Sequence[str], token: str, listing: Sequence[Any]) -> list[Any]:
    """The position a NextToken carries, if this mock issued it (under ``key``) for this same scope and listing."""
    payload = tokens.unseal(token, key)
    prefix = [*scope, *listing]
    if not isinstance(payload, list) or payload[: len(prefix)] != prefix:
        raise InvalidParameterError(f"The NextToken is not valid for this {listing[0]} request")
    return payload[len(prefix) :]


def page(
    key: bytes,
    items: Sequence[T],
    sort_key: Callable[[T], str],
    scope: Sequence[str],
    listing: Sequence[Any],
    next_token: str | None,
    limit: int,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``sort_key``) after the token's position, and the next token (under ``key``)."""
    start = 0
    if next_token is not None:
        (after,) = unseal(key, scope, next_token, listing)
        start = next((i for i, item in enumerate(items) if sort_key(item) > after), len(items))
    found = list(items[start : start + limit])
    more = start + limit < len(items)
    return found, seal(key, scope, listing, sort_key(found[-1])) if more else None
