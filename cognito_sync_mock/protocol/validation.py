"""Server-side validation of request values against the service model's shapes.

botocore checks only ``required`` and ``min`` on the client (and can be told not to), so
the mock checks every constraint itself and words each failure as AWS does, e.g.
``Value 'bad name' at 'datasetName' failed to satisfy constraint: Member must satisfy
regular expression pattern: [a-zA-Z0-9_.:-]+``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Protocol

from botocore.model import Shape

from ..names import camel
from .shapes import PerShape, generated

_SURROGATE = re.compile("[\ud800-\udfff]")
_CACHE_LIMIT = 8192
_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _java(value: Any) -> str:
    """A value as AWS's Java services print it: maps as {k=v}, lists as [a, b]."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_java(k)}={_java(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_java(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


SHOWN_CHARACTERS = 256  # a longer rejected value is quoted cut, with its length
LISTED_VIOLATIONS = 10  # more violations are counted, not listed


class Errors(Protocol):
    """Where checks put their messages: a list, or ``Violations``."""

    def append(self, message: str, /) -> None: ...

    def __len__(self) -> int: ...


class Violations:
    """A request's violations: the first ``LISTED_VIOLATIONS`` kept for its message, the rest only counted.

    So 150,000 bad patches cost ten messages of memory, not 150,000.
    """

    __slots__ = ("count", "listed")

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0

    def append(self, message: str, /) -> None:
        self.count += 1
        if self.count <= LISTED_VIOLATIONS:
            self.listed.append(message)

    def __len__(self) -> int:
        return self.count


def cut(name: str) -> str:
    """A name (a map key, a path) as a message shows it: a long one cut, so the message stays short."""
    return name if len(name) <= SHOWN_CHARACTERS else f"{name[:SHOWN_CHARACTERS]}..."


def _show(value: Any) -> str:
    """A rejected value as a message quotes it: a long one cut, so a 1 MB value is no 1 MB message."""
    if value is None:
        return "null"
    text = _java(value)
    if len(text) <= SHOWN_CHARACTERS:
        return f"'{text}'"
    return f"'{text[:SHOWN_CHARACTERS]}...' ({len(text)} characters)"


# Where a value sits is written out only when it fails: a check gets its parent's place
# (None at the top, else a (parent, name) pair) and its own name, a member's wire name or
# a list item's 1-based index.


def _where(parent: Any, name: str | int) -> str:
    """The dotted path AWS names a value by, e.g. ``recordPatches.2.member.key``."""
    names: list[str] = []
    node: Any = (parent, name)
    while node is not None:
        node, part = node
        if part != "":
            names.append(f"{part}.member" if isinstance(part, int) else part)
    return ".".join(reversed(names))


def _fail(value: Any, parent: Any, name: str | int, constraint: str) -> str:
    return f"Value {_show(value)} at '{_where(parent, name)}' failed to satisfy constraint: {constraint}"


Check = Callable[[Any, Any, "str | int", Errors], Any]
_known_valid: dict[Shape, dict[str, None]] = {}  # per string shape with an enum or a pattern


def validate(shape: Shape, value: Any, errors: Errors) -> Any:
    """Check ``value`` against ``shape``; append a message per violation to ``errors``.

    Returns the value converted to its Python form (timestamps become aware datetimes).
    """
    return checker(shape)(value, None, "", errors)


def _make_checker(shape: Shape) -> Check:
    """The check of one shape, with its constraints looked up once, not on every call."""
    kind = shape.type_name
    if kind == "structure":
        return _structure_checker(shape)
    if kind == "list":
        return _list_checker(shape)
    if kind == "map":
        return _map_checker(shape)
    if kind == "string":
        return _string_checker(shape)
    if kind in _INT_RANGES:
        return _integer_checker(*_INT_RANGES[kind])
    if kind == "boolean":
        return _check_boolean
    if kind == "timestamp":
        return _check_timestamp
    return lambda value, parent, name, errors: value  # a type this model does not use


def _length_checker(shape: Shape) -> Callable[[Any, int, Any, str | int, Errors], None]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, length: int, parent: Any, name: str | int, errors: Errors) -> None:
        if low is not None and length < low:
            errors.append(_fail(value, parent, name, f"Member must have length greater than or equal to {low}"))
        if high is not None and length > high:
            errors.append(_fail(value, parent, name, f"Member must have length less than or equal to {high}"))

    return check


def _string_checker(shape: Shape) -> Check:
    check_length = _length_checker(shape)
    enum = shape.metadata.get("enum")
    pattern = shape.metadata.get("pattern")
    compiled = None if pattern is None else re.compile(pattern, re.ASCII | re.DOTALL)  # Java: ASCII \w
    # Short values seen valid are kept where that saves matching (IDs and names recur on every
    # call); a value of a shape with only lengths is checked inline by its structure (``_passes``).
    cached = enum is not None or pattern is not None
    valid: dict[str, None] = {}
    if cached:
        _known_valid[shape] = valid

    def check(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
        if type(value) is str and value in valid:
            return value
        if not isinstance(value, str):
            errors.append(_fail(value, parent, name, "Member must be a string"))
            return value
        if not value.isascii() and _SURROGATE.search(value):
            # A JSON escape like "\ud800" decodes to half a character, which no UTF-8 can hold.
            shown = value.encode("utf-8", "backslashreplace").decode()
            errors.append(_fail(shown, parent, name, "Member must be valid Unicode text"))
            return value
        failures = len(errors)
        check_length(value, len(value), parent, name, errors)
        if enum is not None and value not in enum:
            errors.append(_fail(value, parent, name, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
        if compiled is not None and compiled.fullmatch(value) is None:
            errors.append(_fail(value, parent, name, f"Member must satisfy regular expression pattern: {pattern}"))
        if cached and len(errors) == failures and len(value) <= 256 and len(valid) < _CACHE_LIMIT:
            valid[value] = None
        return value

    return check


def _integer_checker(low: int, high: int) -> Check:
    def check(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_fail(value, parent, name, "Member must be a whole number"))
        elif not low <= value <= high:
            errors.append(_fail(value, parent, name, f"Member must be between {low} and {high}"))
        return value

    return check


def _check_boolean(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
    if not isinstance(value, bool):
        errors.append(_fail(value, parent, name, "Member must be a boolean"))
    return value


def _check_timestamp(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(_fail(value, parent, name, "Member must be a timestamp in epoch seconds"))
        return value
    try:
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        errors.append(_fail(value, parent, name, "Member must be a timestamp in epoch seconds"))
        return value


def _list_checker(shape: Shape) -> Check:
    check_length = _length_checker(shape)
    member = shape.member  # type: ignore[attr-defined]

    def check(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
        if not isinstance(value, list):
            errors.append(_fail(value, parent, name, "Member must be a list"))
            return value
        check_length(value, len(value), parent, name, errors)
        item, here = checker(member), (parent, name)
        return [item(v, here, i, errors) for i, v in enumerate(value, 1)]

    return check


def _map_checker(shape: Shape) -> Check:
    check_length = _length_checker(shape)
    key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]

    def check(value: Any, parent: Any, name: str | int, errors: Errors) -> Any:
        if not isinstance(value, dict):
            errors.append(_fail(value, parent, name, "Member must be a map"))
            return value
        check_length(value, len(value), parent, name, errors)
        check_key, check_item, here = checker(key_shape), checker(value_shape), (parent, name)
        out = {}
        for key, item in value.items():
            check_key(key, here, "key", errors)
            out[key] = check_item(item, here, f"{cut(key)}.member", errors)
        return out

    return check


_UNCHANGED = ("string", "integer", "long", "boolean")  # shapes whose check returns its value as is


def _passes(value: str, cache: str, shape: Shape) -> str | None:
    """An expression true only of a ``value`` that ``shape``'s check passes unchanged, or None.

    A structure tests it inline, and calls the check only when it is false: a string of
    an enum or a pattern seen valid before (in ``cache``), an ASCII string (so no
    surrogate) of a fitting length, a whole number in range.
    """
    kind = shape.type_name
    if kind in _INT_RANGES:
        lowest, highest = _INT_RANGES[kind]
        return f"type({value}) is int and {lowest} <= {value} <= {highest}"
    if kind != "string":
        return None
    if "enum" in shape.metadata or "pattern" in shape.metadata:
        return f"type({value}) is str and {value} in {cache}"
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    tests = [f"type({value}) is str", f"{value}.isascii()"]
    if low is not None or high is not None:
        tests.append(" <= ".join(str(part) for part in (low, f"len({value})", high) if part is not None))
    return " and ".join(tests)


def _structure_checker(shape: Shape) -> Check:
    """A structure's check as straight-line code: one block per member, no loop, no lookups.

    Required members are reported first (in the model's order of them), then each
    present member's own failures in member order, as AWS lists them. The dict checked
    (fresh from the request) is kept and converted in place; it is copied only to drop
    nulls and members the model does not have.
    """
    members = list(shape.members.items())  # type: ignore[attr-defined]
    required = set(shape.required_members)
    lines = [
        "def check(value, parent, name, errors):",
        "    if not isinstance(value, dict):",
        "        errors.append(_fail(value, parent, name, 'Member must be a structure'))",
        "        return value",
        "    here, get, present = (parent, name), value.get, 0",
    ]
    lines += [f"    v{i} = get({member!r})" for i, (member, _) in enumerate(members)]
    for i, (member, _) in enumerate(members):
        if member in required:
            lines += [
                f"    if v{i} is None:",
                f"        errors.append(_fail(None, here, {camel(member)!r}, 'Member must not be null'))",
            ]
    for i, (member, member_shape) in enumerate(members):
        call = f"c{i}(v{i}, here, {camel(member)!r}, errors)"
        lines += [f"    if v{i} is not None:", "        present += 1"]
        passes = _passes(f"v{i}", f"s{i}", member_shape)
        if passes is not None:  # a value that surely passes needs no call
            lines.append(f"        if not ({passes}): {call}")
        elif member_shape.type_name in _UNCHANGED:
            lines.append(f"        {call}")
        else:
            lines.append(f"        value[{member!r}] = {call}")
    lines += [
        "    if present != len(value):",
        "        return {k: v for k, v in value.items() if k in known and v is not None}",
        "    return value",
    ]
    namespace: dict[str, Any] = {"_fail": _fail, "known": frozenset(name for name, _ in members)}
    check: Check = generated(lines, namespace, f"validate {shape.name}")
    checker.begun(shape, check)  # before its members: a shape may contain itself
    for i, (_, member_shape) in enumerate(members):
        namespace[f"c{i}"] = checker(member_shape)
        namespace[f"s{i}"] = _known_valid.get(member_shape)
    return check


checker: PerShape[Check] = PerShape(_make_checker)  # a shape's check, made once


def summary(violations: Violations) -> str:
    """AWS's one-line summary of validation failures: at most ``LISTED_VIOLATIONS`` listed, then a count."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    listed = "; ".join(violations.listed)
    more = f"; and {count - LISTED_VIOLATIONS} more" if count > LISTED_VIOLATIONS else ""
    return f"{count} validation {noun} detected: {listed}{more}"
