"""What is made once per shape of the service model: its validator, its JSON writer.

Both are tables of functions keyed by shape, and a structure's function is generated as
straight-line Python source; this module holds those two mechanisms for both.
"""

from __future__ import annotations

import linecache
import sys
import threading
from typing import Any, Callable, Generic, TypeVar

from botocore.model import Shape

from .. import forks

T = TypeVar("T")

# Held while anything is made; reentrant, since makers make their members' functions.
# One lock for every table, so two tables' makers can never wait on each other.
_making = forks.renewed(sys.modules[__name__], "_making", threading.RLock)


def _none() -> None:
    return None


class PerShape(Generic[T]):
    """``make(shape)``, made on first use and kept, one per shape.

    ``made`` holds only finished functions and is read without the lock. Making happens
    under the lock, and what one outermost make builds (its members' functions with it) is
    published to ``made`` together, once every name in it is bound: no other thread can
    call a function that is still being made.

    A shape may contain itself. botocore makes a new ``Shape`` object at each reference
    to a shape, so while a make is under way a structure is also found by its name: its
    maker announces its function (``begun``) before making its members'.
    """

    def __init__(self, make: Callable[[Shape], T]) -> None:
        self.made: dict[Shape, T] = {}
        self._make = make
        # A forked child starts with no make under way: the thread that was making one is not there.
        self._unpublished: dict[Shape, T] | None = forks.renewed(self, "_unpublished", _none)  # what it made
        self._begun: dict[str, T] = forks.renewed(self, "_begun", dict)  # by name: the structures it began

    def __call__(self, shape: Shape) -> T:
        found = self.made.get(shape)
        if found is None:
            found = self._build(shape)
        return found

    def begun(self, shape: Shape, function: T) -> None:
        """While ``shape`` is being made, let its members find its function (not yet complete)."""
        self._begun[shape.name] = function

    def _build(self, shape: Shape) -> T:
        with _making:
            found = self.made.get(shape)  # another thread may have made it meanwhile
            unpublished = self._unpublished
            if found is None and unpublished is not None:  # asked by a maker, up the stack
                found = unpublished.get(shape, self._begun.get(shape.name))
                if found is not None:
                    unpublished[shape] = found
            if found is not None:
                return found
            outermost = unpublished is None
            if unpublished is None:
                unpublished = self._unpublished = {}
            try:
                found = unpublished[shape] = self._make(shape)
                if outermost:
                    self.made.update(unpublished)  # every name in all of it is bound now
            finally:
                if outermost:
                    self._unpublished = None  # after a failure too: nothing half made is kept
                    self._begun.clear()
            return found


def generated(lines: list[str], namespace: dict[str, Any], title: str) -> Any:
    """The function that ``lines`` of our own source define (``def name(...):`` first),
    with ``namespace`` as its globals: the names it calls can be bound there later.

    The source is filed under ``<cognito_sync_mock generated: {title}>`` in ``linecache``,
    so a traceback through it, ``inspect.getsource`` and debuggers show its lines.
    """
    filename = f"<cognito_sync_mock generated: {title}>"
    source = "".join(line + "\n" for line in lines)
    code = compile(source, filename, "exec")
    exec(code, namespace)  # built from the model's member names only
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return namespace[lines[0][len("def ") : lines[0].index("(")]]
