"""How the mock's objects show: HTML tables in notebooks, compact text in a plain repr."""

from __future__ import annotations

from typing import Any

from helpers import DATASET, IDENTITY, POOL, make_client, remove, replace, write

from cognito_sync_mock import mock_cognito_sync
from cognito_sync_mock.display import CallList, StreamRecordList, html_table, text_table


def test_a_mock_not_started_says_so() -> None:
    assert repr(mock_cognito_sync()) == "<mock_cognito_sync, not started>"


def test_the_mock_backend_dataset_and_calls_show_as_text_and_html(cognito_sync: Any) -> None:
    client = make_client()
    write(client, [replace("a", "1"), remove("b", 0)])
    assert repr(cognito_sync).splitlines() == [
        "mock_cognito_sync: 2 calls answered",
        "account       region     pools  identities  datasets  records",
        "123456789012  us-east-1  1      1           1         1",
    ]
    backend = cognito_sync.backend()
    header, row = repr(backend).splitlines()[1:]
    assert header.split("  ")[0] == "pool" and header.endswith("dataset  sync count  records  bytes  exists")
    assert row.split() == [POOL, IDENTITY, "game", "1", "1", "2", "True"]
    dataset = backend.dataset(POOL, IDENTITY, DATASET)
    lines = repr(dataset).splitlines()
    assert lines[0] == f"dataset game of {IDENTITY}: sync count 1"
    assert [line.split()[:3] for line in lines[2:]] == [["a", "1", "1"], ["b", "(deleted)", "1"]]
    assert "<caption>mock_cognito_sync: 2 calls answered</caption>" in cognito_sync._repr_html_()
    assert "<td>(deleted)</td>" in dataset._repr_html_()
    assert "<td>game</td><td>1</td><td>1</td><td>2</td><td>True</td>" in backend._repr_html_()
    calls = cognito_sync.calls
    assert isinstance(calls, CallList)
    assert [c.operation for c in calls] == ["ListRecords", "UpdateRecords"]
    assert repr(calls).splitlines()[:2] == ["calls (2)", "operation      status  error  caller     params"]
    assert "<td>ListRecords</td><td>200</td><td>—</td><td>developer</td>" in calls._repr_html_()


def test_values_are_escaped_and_long_ones_cut() -> None:
    markup = html_table("t", ["v"], [["<b>" + "x" * 100]])
    assert "&lt;b&gt;" in markup and "<b>" not in markup.replace("<b>x", "")
    assert "x" * 76 + "…" in markup
    assert text_table("t", ["a", "bb"], [[1, None]]) == "t\na  bb\n1  —"


def test_many_rows_are_counted_not_shown() -> None:
    rows = [[i] for i in range(250)]
    assert text_table("t", ["n"], rows).splitlines()[-1] == "… and 50 more"
    assert html_table("t", ["n"], rows).endswith("<p>… and 50 more</p>")


def test_stream_records_and_push_notifications_show_as_tables(cognito_sync: Any) -> None:
    client = make_client()
    arn = "arn:aws:iam::123456789012:role/cognito"
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        PushSync={"ApplicationArns": ["arn:aws:sns:us-east-1:123456789012:app/GCM/game"], "RoleArn": arn},
        CognitoStreams={"StreamName": "s", "RoleArn": arn, "StreamingStatus": "ENABLED"},
    )
    write(client, [replace("a", "1")])
    device = client.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="tok")["DeviceId"]
    client.subscribe_to_dataset(IdentityPoolId=POOL, IdentityId=IDENTITY, DatasetName=DATASET, DeviceId=device)
    write(client, [replace("a", "2", 1)])
    streams = repr(cognito_sync.stream_records("s")).splitlines()
    assert streams[0] == "stream records (2)"
    assert streams[2].split()[-2:] == ["1", "a='1'"]
    url = "http://cognito-sync-mock.invalid/_mock/stream-payloads/0f"
    by_url = StreamRecordList([{"identityId": IDENTITY, "operation": "replace", "kinesisSyncRecordsURL": url}])
    assert repr(by_url).splitlines()[2].split()[-1] == url
    pushes = repr(cognito_sync.push_notifications).splitlines()
    assert pushes[0] == "push notifications (1)"
    assert pushes[2].startswith(f"GCM       {device}  tok")
    assert cognito_sync.push_notifications[0]["token"] == "tok"
