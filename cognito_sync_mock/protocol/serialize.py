"""JSON output from the service model's shapes, compiled once per shape.

Each shape gets a function that writes its JSON text directly, so no answer walks the
model at run time. A ``FrozenDict`` (``frozen``: what a stored record answers as) keeps the
text it was first written as: records never change once written, so a listing joins cached
pieces instead of serializing the same record again and again.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable

from botocore.model import Shape

from ..frozen import FrozenDict
from .shapes import PerShape, generated

Writer = Callable[[Any], str]
string_literal = json.encoder.encode_basestring_ascii  # a str as a JSON string, in ASCII


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MILLISECOND = _dt.timedelta(milliseconds=1)


def epoch(moment: _dt.datetime) -> float:
    """Epoch seconds with millisecond precision, as AWS's JSON timestamps.

    Truncated, in whole milliseconds, so the last moment of year 9999 stays in year 9999.
    """
    return ((moment - _EPOCH) // _MILLISECOND) / 1000


# The last timestamp written and its text, in the one slot of a list that generated writers
# read inline: the records of one answer share their moment.
_last_timestamp: list[tuple[Any, str]] = [(None, "")]


def _timestamp(value: Any) -> str:
    last = _last_timestamp[0]
    if last[0] is value:
        return last[1]
    text = repr(epoch(value))
    _last_timestamp[0] = (value, text)  # one tuple, swapped whole: safe across threads
    return text


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(int(value)) if isinstance(value, int) else json.dumps(value)


def _text(value: Any) -> str:
    return string_literal(value) if type(value) is str else json.dumps(value)


def _make_writer(shape: Shape) -> Writer:
    """The function that writes a value of ``shape`` as JSON text."""
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "list":
        item = writer(shape.member)  # type: ignore[attr-defined]
        return lambda value: "[" + ",".join([item(v) for v in value]) + "]"
    if kind == "map":
        item = writer(shape.value)  # type: ignore[attr-defined]
        return lambda value: "{" + ",".join([string_literal(k) + ":" + item(v) for k, v in value.items()]) + "}"
    if kind == "timestamp":
        return _timestamp
    if kind == "string":
        return _text
    return _scalar


def _member_text(i: int, member: Shape) -> str:
    """The expression that writes member ``i`` (held in ``v{i}``); common cases inline, without a call."""
    if member.type_name == "string":
        return f"(string_literal(v{i}) if type(v{i}) is str else w{i}(v{i}))"
    if member.type_name in ("integer", "long"):
        return f"(str(v{i}) if type(v{i}) is int else w{i}(v{i}))"
    if member.type_name == "timestamp":  # the last one's text, read from one tuple (another thread may swap it)
        return f"(t[1] if (t := last[0])[0] is v{i} else w{i}(v{i}))"
    return f"w{i}(v{i})"


def _structure_writer(shape: Shape) -> Writer:
    """A structure's writer: straight-line code, one block per member, no loop, no lookups.

    With every member present (a record, mostly) the object is one f-string; otherwise the
    present members are joined.
    """
    members = list(shape.members.items())  # type: ignore[attr-defined]
    prefixes = [string_literal(name) + ":" for name, _ in members]
    texts = [_member_text(i, member) for i, (_, member) in enumerate(members)]
    lines = ["def write_dict(value):", "    get = value.get"]
    lines += [f"    v{i} = get({name!r})" for i, (name, _) in enumerate(members)]
    if members:
        every = " and ".join(f"v{i} is not None" for i in range(len(members)))
        fields = ",".join(p.replace("{", "{{").replace("}", "}}") + "{" + t + "}" for p, t in zip(prefixes, texts))
        lines += [f"    if {every}:", f"        return f'{{{{{fields}}}}}'"]
    lines.append("    parts = []")
    for i, (prefix, text) in enumerate(zip(prefixes, texts)):
        lines += [f"    if v{i} is not None:", f"        parts.append({prefix!r} + {text})"]
    lines.append('    return "{" + ",".join(parts) + "}"')
    namespace: dict[str, Any] = {"string_literal": string_literal, "last": _last_timestamp}
    write_dict: Writer = generated(lines, namespace, f"write {shape.name}")

    def write(value: Any) -> str:
        if type(value) is not FrozenDict:
            return write_dict(value)
        cached: tuple[Shape, str] | None = getattr(value, "_json", None)
        if cached is None or cached[0] is not shape:
            cached = value._json = (shape, write_dict(value))
        return cached[1]

    writer.begun(shape, write)  # before its members: a shape may contain itself
    namespace.update((f"w{i}", writer(member)) for i, (_, member) in enumerate(members))
    return write


writer: PerShape[Writer] = PerShape(_make_writer)  # a shape's writer, made once


def to_json(shape: Shape | None, value: Any) -> bytes:
    """The JSON body of a successful answer (``{}`` for an empty output)."""
    if shape is None or value is None:
        return b"{}"
    return writer(shape)(value).encode("utf-8")
