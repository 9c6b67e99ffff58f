"""``FrozenDict``: the read-only dict a stored record answers as, with a slot for its JSON.

The domain makes one per record, once (a record never changes once written); the
protocol's serializer keeps the record's JSON text in its ``_json`` slot, so that a
listing joins cached pieces instead of writing the same record again and again.
Shared by both layers, like ``exceptions``: a leaf that imports nothing, so that neither
layer imports the other for it.
"""

from __future__ import annotations

from typing import Any


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict that remembers its JSON text, so it is written only once.

    ``_json`` holds the shape and the text once written. It has no ``__init__`` of its own,
    which keeps making one as cheap as making a dict; its maker sets ``_json = None``
    (an unset one is written too, only a little slower).
    """

    __slots__ = ("_json",)
    _json: tuple[Any, str] | None

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this dict is a read-only view of stored state")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _read_only
