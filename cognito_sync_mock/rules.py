"""What is valid: one rule per kind of value, for everything that may enter the state.

Requests are held to the service model by the protocol. These rules hold what enters by
the other ways to the same forms: the mock's Python API (which the server's control
endpoints call) and seed and snapshot documents. So whatever the mock answered it can
save, and whatever it saved it can load. The model's kinds (IDs, names, records, device
fields) are its shapes, read once when first needed; the region and the access key are
what the protocol reads from a request's SigV4 credential scope; an account ID is 12
digits, as AWS's are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, cast

from botocore.model import Shape

from . import protocol
from .backend.forms import Kind
from .exceptions import InvalidValue
from .protocol.validation import validate

Fault = Callable[[object], "str | None"]  # why a value breaks a rule, or None when it keeps to it
_CONSTRAINT = "failed to satisfy constraint: "


@dataclass(frozen=True)
class Rule:
    """One kind of value: what messages call it, and why a value is not of it."""

    name: str
    fault: Fault

    def check(self, value: object, member: str) -> str:
        """``value``, when it is of this kind; else ``InvalidValue`` (a ValueError) naming ``member``."""
        reason = self.fault(value)
        if reason is not None:
            raise InvalidValue(member, value, reason)
        return cast(str, value)  # every rule asks for a string


def _pattern(pattern: re.Pattern[str], rule: str) -> Fault:
    def fault(value: object) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        return None if pattern.fullmatch(value) else rule

    return fault


def shape_fault(shape: Shape, value: object) -> str | None:
    """Why ``value`` breaks the model's ``shape``, in AWS's words (``Member must ...``), or None."""
    errors: list[str] = []
    validate(shape, value, errors)
    return "; ".join(error.partition(_CONSTRAINT)[2] for error in errors) or None


def _member(structure: str, member: str) -> Fault:
    """The rule of a structure's member in the service model (looked up when first used)."""
    return lambda value: shape_fault(protocol.service().member(structure, member), value)


REGION = Rule("region", _pattern(protocol.REGION, protocol.REGION_RULE))
ACCOUNT_ID = Rule("account", _pattern(re.compile("[0-9]{12}"), "must be 12 digits"))
ACCESS_KEY_ID = Rule("access key ID", _pattern(protocol.ACCESS_KEY, protocol.ACCESS_KEY_RULE))
POOL_ID = Rule("identity pool ID", _member("IdentityPoolUsage", "IdentityPoolId"))
IDENTITY_ID = Rule("identity ID", _member("IdentityUsage", "IdentityId"))
DATASET_NAME = Rule("dataset name", _member("Dataset", "DatasetName"))
RECORD_KEY = Rule("record key", _member("Record", "Key"))
RECORD_VALUE = Rule("record value", _member("Record", "Value"))
DEVICE_ID = Rule("device ID", _member("SubscribeToDatasetRequest", "DeviceId"))
PLATFORM = Rule("platform", _member("RegisterDeviceRequest", "Platform"))
PUSH_TOKEN = Rule("push token", _member("RegisterDeviceRequest", "Token"))
BULK_PUBLISH_STATUS = Rule("bulk publish status", _member("GetBulkPublishDetailsResponse", "BulkPublishStatus"))
LAMBDA_FUNCTION_ARN = Rule(
    "Lambda function ARN",
    lambda value: shape_fault(protocol.service().member("SetCognitoEventsRequest", "Events").value, value),  # type: ignore[attr-defined]
)
TEXT = Rule("text", _member("Record", "LastModifiedBy"))  # the model's String: any valid Unicode text


_KINDS: dict[Kind, Rule] = {
    "pool_id": POOL_ID,
    "identity_id": IDENTITY_ID,
    "dataset_name": DATASET_NAME,
    "record_key": RECORD_KEY,
    "record_value": RECORD_VALUE,
    "text": TEXT,
}


class _Forms:
    """These rules as the domain's ``backend.forms.Forms``."""

    def fault(self, kind: Kind, value: object) -> str | None:
        return _KINDS[kind].fault(value)


FORMS = _Forms()
"""What the engine plugs into every backend it makes."""
