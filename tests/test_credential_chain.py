"""No credential look-up leaves the machine while a mock is active.

Every test here runs on a machine with no AWS credentials: no AWS_* variable, empty config
and credentials files, and botocore's two network sources of credentials pointed at local
servers that record every request, the instance metadata service (by
AWS_EC2_METADATA_SERVICE_ENDPOINT) and the container endpoint (by
AWS_CONTAINER_CREDENTIALS_FULL_URI). The container server hands out real-looking keys,
so a look-up that reached it would be seen in the keys too. Any other connection is
refused by the network guard. (aiobotocore's side is in test_async.py, with the other
aiobotocore tests.)
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest
from activation_support import CONTAINER_KEY, NOTHING_ASKED, Machine
from botocore.exceptions import NoCredentialsError
from helpers import IDENTITY, NO_RETRIES, POOL, write

from cognito_sync_mock import mock_cognito_sync

USER_KEY = "AKIAUSERCONFIGURED01"
USER_ACCOUNT = "222233334444"


def session() -> boto3.session.Session:
    """A new session: it looks for credentials afresh, in the environment of the moment."""
    return boto3.session.Session(botocore_session=botocore.session.Session())


def datasets(client: Any) -> int:
    return int(client.list_datasets(IdentityPoolId=POOL, IdentityId=IDENTITY)["Count"])


def test_without_a_mock_botocore_asks_both_servers(machine: Machine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-up works: without a mock, botocore's chain reaches the local servers."""
    credentials = session().get_credentials()
    assert credentials is not None and credentials.access_key == CONTAINER_KEY
    assert machine.requests() == {"imds": [], "container": ["GET /credentials"]}
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    assert session().get_credentials() is None  # the local metadata server holds no role
    assert machine.requests()["imds"][0] == "PUT /latest/api/token"


def test_a_client_made_under_the_mock_asks_no_server_and_is_answered(machine: Machine) -> None:
    with mock_cognito_sync() as mock:
        fresh = session()
        assert fresh.get_credentials() is None
        client = fresh.client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
        write(client, {"level": "3"})
        assert datasets(client) == 1
    assert machine.requests() == NOTHING_ASKED
    assert [(call.operation, call.error) for call in mock.calls] == [
        ("ListRecords", None),
        ("UpdateRecords", None),
        ("ListDatasets", None),
    ]
    # Nothing was kept: once the mock is off, a new session looks as botocore always does.
    assert session().get_credentials().access_key == CONTAINER_KEY  # type: ignore[union-attr]
    assert machine.requests() == {"imds": [], "container": ["GET /credentials"]}


def test_a_client_made_before_the_mock_with_no_credentials_is_answered(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as nowhere:  # a machine where botocore finds no credentials at all
        nowhere.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        nowhere.setenv("AWS_EC2_METADATA_DISABLED", "true")
        client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES)
    with pytest.raises(NoCredentialsError):
        datasets(client)
    with mock_cognito_sync() as mock:
        write(client, {"level": "3"})
        assert datasets(client) == 1
    with pytest.raises(NoCredentialsError):  # the dummy keys were lent for the mock's requests only
        datasets(client)
    assert [call.operation for call in mock.calls] == ["ListRecords", "UpdateRecords", "ListDatasets"]
    assert machine.requests() == NOTHING_ASKED


def test_other_services_get_no_dummy_keys(machine: Machine) -> None:
    """Only cognito-sync requests are signed with the mock's keys: other services are the user's."""
    with mock_cognito_sync():
        s3 = session().client("s3", region_name="us-east-1", config=NO_RETRIES)
        with pytest.raises(NoCredentialsError):
            s3.list_buckets()
    assert machine.requests() == NOTHING_ASKED


def _configure(how: str, machine: Machine, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Give botocore the user's key in one of the ways a user does; the client arguments it needs."""
    if how == "environment":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", USER_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "user-secret")
    elif how == "credentials file":
        machine.credentials_file.write_text(
            f"[default]\naws_access_key_id = {USER_KEY}\naws_secret_access_key = user-secret\n"
        )
    elif how == "config file profile":
        machine.config_file.write_text(
            f"[profile player]\naws_access_key_id = {USER_KEY}\naws_secret_access_key = user-secret\n"
        )
        monkeypatch.setenv("AWS_PROFILE", "player")
    else:
        return {"aws_access_key_id": USER_KEY, "aws_secret_access_key": "user-secret"}
    return {}


HOW = ["environment", "credentials file", "config file profile", "explicit"]


@pytest.mark.parametrize("before", [False, True], ids=["client-under-the-mock", "client-before-the-mock"])
@pytest.mark.parametrize("how", HOW)
def test_the_users_own_credentials_sign_the_requests(
    how: str, before: bool, machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments = _configure(how, machine, monkeypatch)
    mock = mock_cognito_sync()
    if before:
        client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES, **arguments)
    with mock:
        if not before:
            client = session().client("cognito-sync", region_name="us-east-1", config=NO_RETRIES, **arguments)
        mock.map_access_key(USER_KEY, USER_ACCOUNT)  # the user's key, and only it, reaches this account
        write(client, {"level": "3"})
        stored = mock.backend("us-east-1", account_id=USER_ACCOUNT).dataset(POOL, IDENTITY, "game")
        assert stored.sync_count == 1
        assert mock.backend("us-east-1").pools == {}  # nothing in the mock's own account
    assert machine.requests() == NOTHING_ASKED
