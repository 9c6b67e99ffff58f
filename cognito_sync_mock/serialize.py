"""JSON output from the service model's shapes, compiled once per shape.

Each shape gets a function that writes its JSON text directly, so no answer walks the
model at run time. A ``FrozenDict`` (what a stored record answers as) keeps the text it
was first written as: records never change once written, so a listing joins cached
pieces instead of serializing the same record again and again.
"""

from __future__ import annotations

import datetime as _dt
import json
from functools import cache
from typing import Any, Callable

from botocore.model import Shape

Writer = Callable[[Any], str]
_string = json.encoder.encode_basestring_ascii


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict that remembers its JSON text, so it is written only once."""

    __slots__ = ("_json",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._json: tuple[Shape, str] | None = None

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this dict is a read-only view of stored state")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _read_only


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MILLISECOND = _dt.timedelta(milliseconds=1)


def epoch(moment: _dt.datetime) -> float:
    """Epoch seconds with millisecond precision, as AWS's JSON timestamps.

    Truncated, in whole milliseconds, so the last moment of year 9999 stays in year 9999.
    """
    return ((moment - _EPOCH) // _MILLISECOND) / 1000


def _timestamp(value: Any) -> str:
    return repr(epoch(value))


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(int(value)) if isinstance(value, int) else json.dumps(value)


def _text(value: Any) -> str:
    return _string(value) if isinstance(value, str) else json.dumps(value)


@cache
def writer(shape: Shape) -> Writer:
    """The function that writes a value of ``shape`` as JSON text."""
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "list":
        item = writer(shape.member)  # type: ignore[attr-defined]
        return lambda value: "[" + ",".join(item(v) for v in value) + "]"
    if kind == "map":
        item = writer(shape.value)  # type: ignore[attr-defined]
        return lambda value: "{" + ",".join(_string(k) + ":" + item(v) for k, v in value.items()) + "}"
    if kind == "timestamp":
        return _timestamp
    if kind == "string":
        return _text
    return _scalar


def _structure_writer(shape: Shape) -> Writer:
    members = [
        (name, _string(name) + ":", member)
        for name, member in shape.members.items()  # type: ignore[attr-defined]
    ]
    compiled: list[tuple[str, str, Writer]] = []

    def write_dict(value: dict[str, Any]) -> str:
        if not compiled:  # compiled on first use: a shape may contain itself
            compiled.extend((name, prefix, writer(member)) for name, prefix, member in members)
        parts = []
        for name, prefix, write in compiled:
            item = value.get(name)
            if item is not None:
                parts.append(prefix + write(item))
        return "{" + ",".join(parts) + "}"

    def write(value: Any) -> str:
        if type(value) is not FrozenDict:
            return write_dict(value)
        cached = value._json
        if cached is None or cached[0] is not shape:
            cached = value._json = (shape, write_dict(value))
        return cached[1]

    return write


def to_json(shape: Shape | None, value: Any) -> bytes:
    """The JSON body of a successful answer (``{}`` for an empty output)."""
    if shape is None or value is None:
        return b"{}"
    return writer(shape)(value).encode("utf-8")
