"""Cognito Events: the SyncTrigger's event, and what its output asks UpdateRecords to store.

The trigger sees every record of the dataset (the patched keys as ``replace`` or
``remove``, the rest as ``unmodified``) and returns the same shape; what it returns is
what UpdateRecords stores. Calling the function (a registered Python callable in place
of Lambda) is the side channel's part: ``channels.triggers``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping, NamedTuple

from ..exceptions import InvalidLambdaFunctionOutputError
from .forms import Forms
from .models import Record

READ_ONLY_FIELDS = ("version", "eventType", "region", "identityPoolId", "identityId", "datasetName")
_OPS = ("replace", "remove", "unmodified")


class Write(NamedTuple):
    """One record UpdateRecords is about to store; ``value`` None writes a tombstone."""

    key: str
    value: str | None
    device_date: _dt.datetime | None


def build_event(
    ids: Mapping[str, str],
    stored: Mapping[str, Record],
    writes: list[Write],
) -> dict[str, Any]:
    """The SyncTrigger event: ``ids`` holds region, identityPoolId, identityId, datasetName."""
    records: dict[str, dict[str, str | None]] = {
        key: {"oldValue": record.value, "newValue": record.value, "op": "unmodified"}
        for key, record in stored.items()
        if record.value is not None
    }
    for write in writes:
        old = stored.get(write.key)
        records[write.key] = {
            "oldValue": old.value if old else None,
            "newValue": write.value,
            "op": "replace" if write.value is not None else "remove",
        }
    return {"version": 2, "eventType": "SyncTrigger", **ids, "datasetRecords": records}


def _bad(reason: str) -> InvalidLambdaFunctionOutputError:
    return InvalidLambdaFunctionOutputError(f"The SyncTrigger function returned an invalid output: {reason}")


def writes_from_output(
    event: dict[str, Any],
    output: Any,
    device_dates: Mapping[str, _dt.datetime | None],
    forms: Forms,
) -> list[Write]:
    """What the trigger's output asks to store; any departure from the event's shape fails.

    Keys and values must also be of the forms a request could bring (``forms``: the model's).
    """
    if not isinstance(output, dict) or not isinstance(output.get("datasetRecords"), dict):
        raise _bad("it must be the event with its datasetRecords map")
    for name in READ_ONLY_FIELDS:
        if name in output and output[name] != event[name]:
            raise _bad(f"the read-only field {name} was changed")
    incoming = event["datasetRecords"]
    writes = []
    for key, record in output["datasetRecords"].items():
        if not isinstance(record, dict) or forms.fault("record_key", key) is not None:
            raise _bad(f"the record {key!r} is not a key with a record map")
        op, value = record.get("op"), record.get("newValue")
        if op not in _OPS or not (value is None or forms.fault("record_value", value) is None):
            raise _bad(f"the record {key!r} needs op replace, remove or unmodified and a string newValue")
        original = incoming.get(key)
        if original is not None and "oldValue" in record and record["oldValue"] != original["oldValue"]:
            raise _bad(f"the read-only field oldValue of {key!r} was changed")
        if original is None and op == "unmodified":
            raise _bad(f"the new record {key!r} needs op replace or remove")
        stored = None if op == "remove" else value
        if op == "unmodified" and original is not None and stored == original["oldValue"]:
            continue
        writes.append(Write(key, stored, device_dates.get(key)))
    return writes
