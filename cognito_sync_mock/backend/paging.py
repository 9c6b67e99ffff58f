"""Listing a page at a time: a listing's page size, from its MaxResults."""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import InvalidParameterError


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
