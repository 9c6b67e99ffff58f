"""Cognito Streams: one stream record per writing UpdateRecords and per DeleteDataset."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
import pytest
import requests
from freezegun import freeze_time
from helpers import (
    DATASET,
    IDENTITY,
    OTHER_IDENTITY,
    OTHER_POOL,
    POOL,
    ROLE_ARN,
    STREAM,
    enable_streams,
    ids,
    make_client,
    ms,
    raises_error,
    read_kinesis,
    remove,
    replace,
    utc,
    write,
)
from moto import mock_aws

from cognito_sync_mock import CognitoSyncServer, mock_cognito_sync

T0 = utc("2024-05-01 12:00:00.123")
T1 = utc("2024-05-01 12:05:00.456")


def test_no_stream_records_without_streaming(cognito_sync: Any, client: Any) -> None:
    write(client, {"a": "1"})
    client.delete_dataset(**ids())
    assert cognito_sync.stream_records() == []


def test_no_stream_records_when_streaming_is_disabled(cognito_sync: Any, client: Any) -> None:
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "DISABLED"},
    )
    write(client, {"a": "1"})
    assert cognito_sync.stream_records() == []


def test_update_records_publishes_one_record_with_every_written_record(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    device_date = utc("2024-04-30 08:00:00")  # whole seconds: older botocore drops the fraction
    with freeze_time(T0):
        write(client, {"a": "1"})
    with freeze_time(T1):
        write(client, [replace("a", "2", 1, DeviceLastModifiedDate=device_date), replace("b", "x", 0), remove("c", 0)])
    records = cognito_sync.stream_records(STREAM)
    assert records == [
        {
            "identityPoolId": POOL,
            "identityId": IDENTITY,
            "datasetName": DATASET,
            "operation": "replace",
            "payloadType": "Inline",
            "syncCount": 1,
            "lastModifiedDate": ms(T0),
            "kinesisSyncRecords": [
                {
                    "key": "a",
                    "value": "1",
                    "syncCount": 1,
                    "lastModifiedDate": ms(T0),
                    "deviceLastModifiedDate": ms(T0),
                    "op": "replace",
                }
            ],
        },
        {
            "identityPoolId": POOL,
            "identityId": IDENTITY,
            "datasetName": DATASET,
            "operation": "replace",
            "payloadType": "Inline",
            "syncCount": 2,
            "lastModifiedDate": ms(T1),
            "kinesisSyncRecords": [
                {
                    "key": "a",
                    "value": "2",
                    "syncCount": 2,
                    "lastModifiedDate": ms(T1),
                    "deviceLastModifiedDate": ms(device_date),
                    "op": "replace",
                },
                {
                    "key": "b",
                    "value": "x",
                    "syncCount": 2,
                    "lastModifiedDate": ms(T1),
                    "deviceLastModifiedDate": ms(T1),
                    "op": "replace",
                },
                {
                    "key": "c",
                    "value": None,
                    "syncCount": 2,
                    "lastModifiedDate": ms(T1),
                    "deviceLastModifiedDate": ms(T1),
                    "op": "remove",
                },
            ],
        },
    ]
    assert json.loads(json.dumps(records)) == records  # JSON-ready


def test_delete_dataset_publishes_a_remove_without_a_records_member(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    with freeze_time(T0):
        write(client, {"a": "1"})
        write(client, [replace("a", "2", 1)])
    with freeze_time(T1):
        client.delete_dataset(**ids())
    last = cognito_sync.stream_records()[-1]
    assert len(cognito_sync.stream_records()) == 3
    assert last == {
        "identityPoolId": POOL,
        "identityId": IDENTITY,
        "datasetName": DATASET,
        "operation": "remove",
        "payloadType": "Inline",
        "syncCount": 2,
        "lastModifiedDate": ms(T1),
    }


def test_stream_records_come_in_order(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    write(client, {"k": "1"}, dataset="one")
    write(client, {"k": "1"}, dataset="two")
    write(client, [replace("k", "2", 1)], dataset="one")
    write(client, {"k": "1"}, identity=OTHER_IDENTITY, dataset="one")
    client.delete_dataset(**ids(dataset="two"))
    summary = [
        (r["identityId"], r["datasetName"], r["operation"], r["syncCount"]) for r in cognito_sync.stream_records()
    ]
    assert summary == [
        (IDENTITY, "one", "replace", 1),
        (IDENTITY, "two", "replace", 1),
        (IDENTITY, "one", "replace", 2),
        (OTHER_IDENTITY, "one", "replace", 1),
        (IDENTITY, "two", "remove", 1),
    ]


def test_stream_records_are_filtered_by_stream_region_and_account(cognito_sync: Any, client: Any) -> None:
    enable_streams(client, POOL, "first")
    enable_streams(client, OTHER_POOL, "second")
    write(client, {"k": "1"}, pool=POOL)
    write(client, {"k": "2"}, pool=OTHER_POOL)
    west = make_client("us-west-2")
    enable_streams(west, POOL, "first")
    write(west, {"k": "3"}, pool=POOL)

    assert [r["identityPoolId"] for r in cognito_sync.stream_records("first")] == [POOL]
    assert [r["identityPoolId"] for r in cognito_sync.stream_records("second")] == [OTHER_POOL]
    assert [r["identityPoolId"] for r in cognito_sync.stream_records()] == [POOL, OTHER_POOL]
    assert cognito_sync.stream_records("third") == []
    west_records = cognito_sync.stream_records("first", region="us-west-2")
    assert [r["kinesisSyncRecords"][0]["value"] for r in west_records] == ["3"]
    assert cognito_sync.stream_records(account_id="123456789012") == cognito_sync.stream_records()
    assert cognito_sync.stream_records(account_id="000000000000") == []


def test_updates_that_write_nothing_or_fail_publish_nothing(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    write(client, [])  # creates the dataset, writes no record
    with raises_error("ResourceConflictException", 409):
        write(client, [replace("a", "1", 5)])
    assert cognito_sync.stream_records() == []


def test_disabling_streaming_stops_publishing(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    write(client, {"a": "1"})
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL,
        CognitoStreams={"StreamName": STREAM, "RoleArn": ROLE_ARN, "StreamingStatus": "DISABLED"},
    )
    write(client, [replace("a", "2", 1)])
    assert [r["syncCount"] for r in cognito_sync.stream_records()] == [1]


def test_streamed_records_follow_a_sync_trigger_output(cognito_sync: Any, client: Any, identity_client: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:t"

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["datasetRecords"]["extra"] = {"newValue": "e", "op": "replace"}
        return event

    cognito_sync.register_lambda(arn, handler)
    client.set_cognito_events(IdentityPoolId=POOL, Events={"SyncTrigger": arn})
    enable_streams(client)
    write(identity_client, {"a": "1"})
    (record,) = cognito_sync.stream_records()
    assert [(r["key"], r["value"]) for r in record["kinesisSyncRecords"]] == [("a", "1"), ("extra", "e")]


def moto_stream(name: str, region: str = "us-east-1") -> Any:
    """A Kinesis client of moto's (under ``mock_aws``), with a stream of one shard made in its region."""
    kinesis = boto3.client("kinesis", region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis


def test_records_reach_moto_kinesis_with_the_identity_as_partition_key() -> None:
    with mock_aws():
        kinesis = moto_stream(STREAM)
        with mock_cognito_sync() as mock:
            client = make_client()
            enable_streams(client)
            write(client, {"a": "1"})
            write(client, {"b": "2"}, identity=OTHER_IDENTITY)
            client.delete_dataset(**ids())
            published = mock.stream_records(STREAM)
            got = read_kinesis(kinesis, STREAM)
    assert len(published) == 3
    assert [json.loads(r["Data"]) for r in got] == published
    assert [r["PartitionKey"] for r in got] == [IDENTITY, OTHER_IDENTITY, IDENTITY]


def test_moto_kinesis_without_that_stream_gets_nothing_and_the_write_succeeds() -> None:
    with mock_aws():
        kinesis = moto_stream("another-stream")
        west = moto_stream(STREAM, "us-west-2")
        with mock_cognito_sync() as mock:
            client = make_client()
            enable_streams(client)
            answer = write(client, {"a": "1"})
            assert answer["Records"][0]["SyncCount"] == 1
            assert len(mock.stream_records(STREAM)) == 1
            assert read_kinesis(kinesis, "another-stream") == []
            assert read_kinesis(west, STREAM) == []


def test_stream_dates_are_epoch_milliseconds(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    with freeze_time(T0):
        write(client, {"a": "1"})
    (record,) = cognito_sync.stream_records()
    assert record["lastModifiedDate"] == 1714564800123
    assert isinstance(record["lastModifiedDate"], int)


def test_stream_records_default_to_the_mocks_account() -> None:
    with mock_cognito_sync(account_id="111122223333") as mock:
        client = make_client()
        enable_streams(client)
        write(client, {"a": "1"})
        assert len(mock.stream_records()) == 1
        assert mock.stream_records(account_id="111122223333") == mock.stream_records()
        assert mock.stream_records(account_id="123456789012") == []


def test_reset_forgets_stream_records_and_push_notifications(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    client.set_identity_pool_configuration(
        IdentityPoolId=POOL, PushSync={"ApplicationArns": ["arn:aws:sns:us-east-1:1:app/GCM/a"]}
    )
    write(client, {"a": "1"})
    device = client.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="GCM", Token="t")["DeviceId"]
    client.subscribe_to_dataset(**ids(), DeviceId=device)
    write(client, [replace("a", "2", 1)])
    assert len(cognito_sync.stream_records()) == 2
    assert len(cognito_sync.push_notifications) == 1
    cognito_sync.reset()
    assert cognito_sync.stream_records() == []
    assert cognito_sync.push_notifications == []
    assert cognito_sync.calls == []


# -- records too large for Kinesis: payloadType S3Url ---------------------------------------

KINESIS_LIMIT = 1_048_576  # PutRecord: data blob + partition key, in bytes
PAYLOAD_URL = re.compile(r"http://cognito-sync-mock\.invalid/_mock/stream-payloads/[0-9a-f]{32}")
S3URL_MEMBERS = [
    "identityPoolId",
    "identityId",
    "datasetName",
    "operation",
    "payloadType",
    "syncCount",
    "lastModifiedDate",
    "kinesisSyncRecordsURL",
]


def inline_record(values: dict[str, str], when: dt.datetime, sync_count: int = 1) -> dict[str, Any]:
    """The Inline stream record of a first write of ``values`` to the default dataset."""
    return {
        "identityPoolId": POOL,
        "identityId": IDENTITY,
        "datasetName": DATASET,
        "operation": "replace",
        "payloadType": "Inline",
        "syncCount": sync_count,
        "lastModifiedDate": ms(when),
        "kinesisSyncRecords": [
            {
                "key": key,
                "value": value,
                "syncCount": sync_count,
                "lastModifiedDate": ms(when),
                "deviceLastModifiedDate": ms(when),
                "op": "replace",
            }
            for key, value in values.items()
        ],
    }


def kinesis_size(record: dict[str, Any]) -> int:
    """What Kinesis counts: the record's JSON plus its partition key (the identity ID)."""
    return len(json.dumps(record).encode()) + len(record["identityId"].encode())


def value_at_the_limit() -> str:
    """An ASCII value whose stream record, with its partition key, is exactly Kinesis's limit."""
    return "v" * (KINESIS_LIMIT - kinesis_size(inline_record({"big": ""}, T0)))


def assert_s3url(record: dict[str, Any], sync_count: int = 1) -> str:
    """The record is the S3Url form of a write to the default dataset at T0; its URL."""
    assert list(record) == S3URL_MEMBERS
    url = record["kinesisSyncRecordsURL"]
    assert record == {
        "identityPoolId": POOL,
        "identityId": IDENTITY,
        "datasetName": DATASET,
        "operation": "replace",
        "payloadType": "S3Url",
        "syncCount": sync_count,
        "lastModifiedDate": ms(T0),
        "kinesisSyncRecordsURL": url,
    }
    return str(url)


def test_a_record_of_exactly_the_kinesis_limit_stays_inline(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    value = value_at_the_limit()
    with freeze_time(T0):
        write(client, {"big": value})
    (record,) = cognito_sync.stream_records()
    assert record == inline_record({"big": value}, T0)
    assert kinesis_size(record) == KINESIS_LIMIT


def test_a_record_one_byte_over_the_kinesis_limit_is_published_by_url(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    value = value_at_the_limit() + "v"
    with freeze_time(T0):
        write(client, {"big": value})
    (record,) = cognito_sync.stream_records()
    url = assert_s3url(record)
    assert PAYLOAD_URL.fullmatch(url)
    assert cognito_sync.stream_payload(url) == inline_record({"big": value}, T0)["kinesisSyncRecords"]


def test_json_escapes_count_and_every_written_record_goes_behind_the_url(cognito_sync: Any, client: Any) -> None:
    """About 1,040,000 bytes of UTF-8 (inside the dataset limit) are three times that as JSON."""
    enable_streams(client)
    accented = "é" * 520_000
    with freeze_time(T0):
        write(client, {"accented": accented, "small": "1"})
        write(client, {"next": "2"})
    big, small = cognito_sync.stream_records()
    url = assert_s3url(big)
    assert (
        cognito_sync.stream_payload(url)
        == inline_record({"accented": accented, "small": "1"}, T0)["kinesisSyncRecords"]
    )
    assert small["payloadType"] == "Inline"
    assert [r["key"] for r in small["kinesisSyncRecords"]] == ["next"]
    assert "kinesisSyncRecordsURL" not in small


def test_a_bulk_publish_of_a_large_dataset_is_published_by_url(cognito_sync: Any, client: Any) -> None:
    with freeze_time(T0):
        write(client, {"accented": "é" * 520_000})
    enable_streams(client)
    client.bulk_publish(IdentityPoolId=POOL)
    (record,) = cognito_sync.stream_records()
    url = assert_s3url(record)
    assert cognito_sync.stream_payload(url) == inline_record({"accented": "é" * 520_000}, T0)["kinesisSyncRecords"]


def test_stream_payload_refuses_urls_it_did_not_make_and_forgets_on_reset(cognito_sync: Any, client: Any) -> None:
    enable_streams(client)
    write(client, {"big": value_at_the_limit() + "v"})
    url = cognito_sync.stream_records()[0]["kinesisSyncRecordsURL"]
    assert len(cognito_sync.stream_payload(url)) == 1
    for other in (url + "0", url.replace("http://", "https://"), "", "https://example.com/records.json"):
        with pytest.raises(KeyError, match="no stream payload at"):
            cognito_sync.stream_payload(other)
    with pytest.raises(TypeError, match="a kinesisSyncRecordsURL is a str, not bytes"):
        cognito_sync.stream_payload(url.encode())
    cognito_sync.reset()
    with pytest.raises(KeyError, match="no stream payload at"):
        cognito_sync.stream_payload(url)


def test_under_moto_the_records_go_to_moto_s3_behind_a_presigned_url() -> None:
    value = value_at_the_limit() + "v"
    with mock_aws():
        kinesis = moto_stream(STREAM)
        with mock_cognito_sync() as mock:
            client = make_client()
            enable_streams(client)
            with freeze_time(T0):
                write(client, {"big": value})
                write(client, {"small": "1"}, dataset="other")
            big, small = mock.stream_records(STREAM)
            got = read_kinesis(kinesis, STREAM)
            url = assert_s3url(big)
            expected = inline_record({"big": value}, T0)["kinesisSyncRecords"]
            assert mock.stream_payload(url) == expected

            parts = urllib.parse.urlsplit(url)
            bucket, key = str(parts.hostname).split(".")[0], parts.path.lstrip("/")
            assert bucket == "cognito-sync-mock-streams-123456789012-us-east-1"
            assert re.fullmatch(r"[0-9a-f]{32}\.json", key)
            assert any("Signature" in name for name in urllib.parse.parse_qs(parts.query))  # presigned
            s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
            assert json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) == expected
            assert requests.get(url, timeout=5).json() == expected  # moto answers the presigned URL itself
    assert [json.loads(r["Data"]) for r in got] == [big, small]
    assert [r["PartitionKey"] for r in got] == [IDENTITY, IDENTITY]
    assert all(len(r["Data"]) + len(r["PartitionKey"]) <= KINESIS_LIMIT for r in got)
    assert small["payloadType"] == "Inline"


def test_under_moto_each_payload_is_its_own_object_in_one_bucket_per_region() -> None:
    accented = "é" * 520_000
    with mock_aws():
        with mock_cognito_sync() as mock:
            for region, dataset in (("us-east-1", "one"), ("us-east-1", "two"), ("eu-west-1", "one")):
                regional = make_client(region)
                enable_streams(regional)
                write(regional, {"big": accented}, dataset=dataset)
            east, west = mock.stream_records(region="us-east-1"), mock.stream_records(region="eu-west-1")
            urls = [r["kinesisSyncRecordsURL"] for r in east + west]
            s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
            buckets = {
                b["Name"]: len(s3.list_objects_v2(Bucket=b["Name"])["Contents"]) for b in s3.list_buckets()["Buckets"]
            }
            assert buckets == {
                "cognito-sync-mock-streams-123456789012-us-east-1": 2,
                "cognito-sync-mock-streams-123456789012-eu-west-1": 1,
            }
            assert len(set(urls)) == 3
            assert all(mock.stream_payload(url)[0]["value"] == accented for url in urls)


def http_get(url: str) -> tuple[int, str, Any]:
    """Status, Content-Type and JSON body of a plain GET (error answers too)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], json.load(answer)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], json.load(error)


def test_a_server_without_moto_answers_its_payload_urls_over_http() -> None:
    """Its own URLs under /_mock/stream-payloads/ (a server hosting moto puts payloads in moto's S3)."""
    with CognitoSyncServer(with_moto=False) as cognito_sync_server:
        client = make_client(endpoint_url=cognito_sync_server.url)
        enable_streams(client)
        value = value_at_the_limit() + "v"
        with freeze_time(T0):
            write(client, {"big": value})
        (record,) = cognito_sync_server.stream_records()
        url = assert_s3url(record)
        assert re.fullmatch(re.escape(cognito_sync_server.url) + r"/_mock/stream-payloads/[0-9a-f]{32}", url)
        expected = inline_record({"big": value}, T0)["kinesisSyncRecords"]
        assert http_get(url) == (200, "application/json", expected)
        assert cognito_sync_server.stream_payload(url) == expected
        assert http_get(f"{cognito_sync_server.url}/_mock/stream-records")[2] == [record]

        unknown = f"{cognito_sync_server.url}/_mock/stream-payloads/{'0' * 32}"
        status, _, answer = http_get(unknown)
        assert (status, answer) == (
            404,
            {"message": f"No stream payload {'0' * 32!r}: unknown to this server, or forgotten by a reset"},
        )
        assert http_get(f"{cognito_sync_server.url}/_mock/stream-payloads/")[0] == 404
        assert http_get(f"{cognito_sync_server.url}/_mock/reset/{'0' * 32}")[0] == 404  # other endpoints take no item
        index = http_get(f"{cognito_sync_server.url}/_mock/")[2]
        assert index["/_mock/stream-payloads/{id}"]["method"] == "GET"
        cognito_sync_server.reset()
        assert http_get(url)[0] == 404


def test_under_moto_a_payload_of_another_account_is_in_that_accounts_bucket() -> None:
    with mock_aws():
        with mock_cognito_sync(account_id="111122223333") as mock:
            client = make_client()
            enable_streams(client)
            write(client, {"big": "é" * 520_000})
            url = mock.stream_records(account_id="111122223333")[0]["kinesisSyncRecordsURL"]
            assert (
                urllib.parse.urlsplit(url).hostname
                == "cognito-sync-mock-streams-111122223333-us-east-1.s3.amazonaws.com"
            )
            assert requests.get(url, timeout=5).json()[0]["value"] == "é" * 520_000
            s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
            assert s3.list_buckets()["Buckets"] == []  # not in moto's default account
