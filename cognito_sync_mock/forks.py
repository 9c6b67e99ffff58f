"""Fresh locks (and fresh random sources) in a forked child.

A lock that another thread holds at the moment of a fork stays held in the child, where
that thread does not exist, so the child would wait for it forever. Every lock of the
package is made through ``renewed``, which remembers where it is kept; a forked child
puts a new lock in each of those places before it runs anything else. What such a thread
leaves half-done under a lock is renewed the same way (the shape tables' make under way),
and so are unseeded request IDs, so that a child never repeats its parent's (``ids``).
"""

from __future__ import annotations

import os
import weakref
from typing import Callable, TypeVar

_L = TypeVar("_L")

# owner -> {attribute: factory}, for every owner still alive that holds a lock made by ``renewed``
_places: weakref.WeakKeyDictionary[object, dict[str, Callable[[], object]]] = weakref.WeakKeyDictionary()


def renewed(owner: object, attribute: str, factory: Callable[[], _L]) -> _L:
    """A new lock (or what a lock guards) for ``owner.<attribute>``; a process forked later puts another one there."""
    _places.setdefault(owner, {})[attribute] = factory
    return factory()


def forget(owner: object, attribute: str) -> None:
    """Renew ``owner.<attribute>`` in forked children no more: from now on a child keeps a copy."""
    _places.get(owner, {}).pop(attribute, None)


def _renew_all() -> None:
    for owner, attributes in list(_places.items()):
        for attribute, factory in attributes.items():
            setattr(owner, attribute, factory())


if hasattr(os, "register_at_fork"):  # POSIX: the only systems that fork
    os.register_at_fork(after_in_child=_renew_all)
