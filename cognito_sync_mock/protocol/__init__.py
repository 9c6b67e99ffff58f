"""The protocol layer: rest-json for Cognito Sync, driven by botocore's service model.

Routing, parsing and the request/response types are in ``rest_json``, validation in
``validation``, JSON output in ``serialize``, and what both make once per shape in
``shapes``. It never imports the domain (``backend``): a ``Dispatcher`` hands it answers.
"""

from .rest_json import (
    ACCESS_KEY,
    ACCESS_KEY_RULE,
    DEFAULT_REGION,
    MAX_JSON_DEPTH,
    REGION,
    REGION_RULE,
    SERVICE_NAME,
    Dispatcher,
    Operation,
    Request,
    Response,
    Service,
    error_response,
    handle,
    json_object,
    message_body,
    service,
)
from .serialize import epoch

__all__ = [
    "ACCESS_KEY",
    "ACCESS_KEY_RULE",
    "DEFAULT_REGION",
    "MAX_JSON_DEPTH",
    "REGION",
    "REGION_RULE",
    "SERVICE_NAME",
    "Dispatcher",
    "Operation",
    "Request",
    "Response",
    "Service",
    "epoch",
    "error_response",
    "handle",
    "json_object",
    "message_body",
    "service",
]
