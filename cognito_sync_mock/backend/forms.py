"""What the domain asks the engine about the form of a name or a value.

The service model says what an identity pool ID, an identity ID, a dataset name or a
record's key and value may be; the domain cannot read the model, so the engine plugs in
``Forms`` that can (``rules.FORMS``). The mock's own API and a sync trigger's output are
held to them, so that nothing enters the state that a request could not have brought.
A backend made without them (a bare ``Backend()``) asks for strings and non-empty keys.
"""

from __future__ import annotations

from typing import Literal, Protocol

from ..exceptions import InvalidValue

Kind = Literal["pool_id", "identity_id", "dataset_name", "record_key", "record_value", "text"]


class Forms(Protocol):
    """The rule of each kind of name or value."""

    def fault(self, kind: Kind, value: object) -> str | None:
        """Why ``value`` is no ``kind`` (e.g. ``Member must have length ...``), or None when it is one."""


class Strings:
    """The forms of a backend with nothing plugged in: strings, and record keys that are not empty."""

    def fault(self, kind: Kind, value: object) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if kind == "record_key" and not value:
            return "must not be empty"  # the record order puts "" before every key: none may be empty
        return None


STRINGS = Strings()


def check(forms: Forms, kind: Kind, value: object, member: str) -> None:
    """``InvalidValue`` (a ValueError) naming ``member`` when ``value`` is no ``kind``."""
    reason = forms.fault(kind, value)
    if reason is not None:
        raise InvalidValue(member, value, reason)
