"""Server-side validation of request values against the service model's shapes.

botocore checks only ``required`` and ``min`` on the client (and can be told not to), so
the mock checks every constraint itself and words each failure as AWS does, e.g.
``Value 'bad name' at 'datasetName' failed to satisfy constraint: Member must satisfy
regular expression pattern: [a-zA-Z0-9_.:-]+``.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Any

from botocore.model import Shape

_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def camel(name: str) -> str:
    """The lowerCamelCase form AWS uses for member names in validation messages."""
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=None)
def _pattern(pattern: str) -> re.Pattern[str]:
    # The model's patterns are Java regexes: \w and \d match ASCII only.
    return re.compile(pattern, re.ASCII | re.DOTALL)


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


def _show(value: Any) -> str:
    return "null" if value is None else f"'{_java(value)}'"


def _fail(value: Any, path: str, constraint: str) -> str:
    return f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}"


def validate(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    """Check ``value`` against ``shape``; append a message per violation to ``errors``.

    Returns the value converted to its Python form (timestamps become aware datetimes).
    """
    kind = shape.type_name
    checker = _CHECKERS.get(kind)
    if checker is None:  # a type this model does not use: accept as it is
        return value
    return checker(shape, value, path, errors)


_VALID_SHORT_STRINGS: dict[tuple[int, str], None] = {}  # (shape id, value) seen valid
_CACHE_LIMIT = 8192


def _check_string(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, str):
        errors.append(_fail(value, path, "Member must be a string"))
        return value
    key = (id(shape), value)
    if key in _VALID_SHORT_STRINGS:  # IDs and names recur on every call: check each once
        return value
    failures = len(errors)
    _check_string_constraints(shape, value, path, errors)
    if len(errors) == failures and len(value) <= 256 and len(_VALID_SHORT_STRINGS) < _CACHE_LIMIT:
        _VALID_SHORT_STRINGS[key] = None
    return value


def _check_string_constraints(shape: Shape, value: str, path: str, errors: list[str]) -> None:
    if not value.isascii() and _SURROGATE.search(value):
        # A JSON escape like "\ud800" decodes to half a character, which no UTF-8 can hold.
        errors.append(_fail(value.encode("utf-8", "backslashreplace").decode(), path, "Member must be valid Unicode text"))
        return
    _check_length(shape, value, len(value), path, errors)
    meta = shape.metadata
    enum = meta.get("enum")
    if enum is not None and value not in enum:
        errors.append(_fail(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    pattern = meta.get("pattern")
    if pattern is not None and _pattern(pattern).fullmatch(value) is None:
        errors.append(
            _fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")
        )


def _check_length(shape: Shape, value: Any, length: int, path: str, errors: list[str]) -> None:
    meta = shape.metadata
    low = meta.get("min")
    high = meta.get("max")
    if low is not None and length < low:
        errors.append(_fail(value, path, f"Member must have length greater than or equal to {low}"))
    if high is not None and length > high:
        errors.append(_fail(value, path, f"Member must have length less than or equal to {high}"))


def _check_integer(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(_fail(value, path, "Member must be a whole number"))
        return value
    low, high = _INT_RANGES[shape.type_name]
    if not low <= value <= high:
        errors.append(_fail(value, path, f"Member must be between {low} and {high}"))
    return value


def _check_boolean(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, bool):
        errors.append(_fail(value, path, "Member must be a boolean"))
    return value


def _check_timestamp(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(_fail(value, path, "Member must be a timestamp in epoch seconds"))
        return value
    try:
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        errors.append(_fail(value, path, "Member must be a timestamp in epoch seconds"))
        return value


def _check_list(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, list):
        errors.append(_fail(value, path, "Member must be a list"))
        return value
    _check_length(shape, value, len(value), path, errors)
    member = shape.member  # type: ignore[attr-defined]
    return [validate(member, item, f"{path}.{i}.member", errors) for i, item in enumerate(value, 1)]


def _check_map(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, dict):
        errors.append(_fail(value, path, "Member must be a map"))
        return value
    _check_length(shape, value, len(value), path, errors)
    key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]
    out = {}
    for key, item in value.items():
        validate(key_shape, key, f"{path}.key", errors)
        out[key] = validate(value_shape, item, f"{path}.{key}.member", errors)
    return out


def check_structure(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    """Validate a structure: required members, then each member present (unknown ones dropped)."""
    if not isinstance(value, dict):
        errors.append(_fail(value, path, "Member must be a structure"))
        return value
    out = {}
    prefix = f"{path}." if path else ""
    members = shape.members  # type: ignore[attr-defined]
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(_fail(None, prefix + camel(name), "Member must not be null"))
    for name, member in members.items():
        item = value.get(name)
        if item is not None:
            out[name] = validate(member, item, prefix + camel(name), errors)
    return out


_CHECKERS = {
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "list": _check_list,
    "map": _check_map,
    "structure": check_structure,
}


def summary(errors: list[str]) -> str:
    """AWS's one-line summary of validation failures."""
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)
