"""What is made once per shape of the service model: its validator, its JSON writer.

Both are tables of functions keyed by shape, and a structure's function is generated as
straight-line Python source; this module holds those two mechanisms for both.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from botocore.model import Shape

T = TypeVar("T")


class PerShape(Generic[T]):
    """``make(shape)``, made on first use and kept, one per shape.

    A maker that builds on its members' functions puts its own in ``made`` before making
    them, so that a shape containing itself finds it instead of recursing forever.
    """

    def __init__(self, make: Callable[[Shape], T]) -> None:
        self.made: dict[Shape, T] = {}
        self._make = make

    def __call__(self, shape: Shape) -> T:
        found = self.made.get(shape)
        if found is None:
            found = self.made[shape] = self._make(shape)
        return found


def generated(lines: list[str], namespace: dict[str, Any]) -> Any:
    """The function that ``lines`` of our own source define (``def name(...):`` first),
    with ``namespace`` as its globals: the names it calls can be bound there later."""
    exec("\n".join(lines), namespace)  # noqa: S102 - built from the model's member names only
    return namespace[lines[0][len("def ") : lines[0].index("(")]]
