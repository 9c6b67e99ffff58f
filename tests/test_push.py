"""Push sync: RegisterDevice, SubscribeToDataset, UnsubscribeFromDataset and the silent pushes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from helpers import (
    DATASET,
    IDENTITY,
    OTHER_IDENTITY,
    POOL,
    STREAM,
    body,
    enable_push,
    enable_streams,
    ids,
    raises_error,
    replace,
    write,
)


def register(client: Any, token: str, platform: str = "GCM", identity: str = IDENTITY) -> str:
    return str(
        client.register_device(IdentityPoolId=POOL, IdentityId=identity, Platform=platform, Token=token)["DeviceId"]
    )


def subscribe(client: Any, device: str, dataset: str = DATASET, identity: str = IDENTITY) -> Any:
    return client.subscribe_to_dataset(**ids(identity=identity, dataset=dataset), DeviceId=device)


def unsubscribe(client: Any, device: str, dataset: str = DATASET, identity: str = IDENTITY) -> Any:
    return client.unsubscribe_from_dataset(**ids(identity=identity, dataset=dataset), DeviceId=device)


def payload(sync_count: int, dataset: str = DATASET, identity: str = IDENTITY) -> Any:
    return {
        "source": "cognito-sync",
        "identityPoolId": POOL,
        "identityId": identity,
        "datasetName": dataset,
        "syncCount": sync_count,
    }


@pytest.fixture
def push_client(client: Any) -> Any:
    enable_push(client)
    return client


# -- RegisterDevice ------------------------------------------------------------------------


def test_register_device_needs_push_sync_configured(client: Any) -> None:
    message = f"Push sync is not configured for identity pool {POOL}"
    with raises_error("InvalidConfigurationException", 400, message):
        register(client, "token-1")
    enable_streams(client)  # a configured pool, but without PushSync
    with raises_error("InvalidConfigurationException", 400, message):
        register(client, "token-1")


def test_register_device_returns_a_uuid_device_id(push_client: Any) -> None:
    answer = push_client.register_device(IdentityPoolId=POOL, IdentityId=IDENTITY, Platform="APNS", Token="t")
    device = answer["DeviceId"]
    assert body(answer) == {"DeviceId": device}
    assert str(uuid.UUID(device)) == device


def test_same_identity_platform_and_token_get_the_same_device_id(push_client: Any) -> None:
    first = register(push_client, "token-1")
    assert register(push_client, "token-1") == first
    assert register(push_client, "token-2") != first
    assert register(push_client, "token-1", platform="ADM") != first
    assert register(push_client, "token-1", identity=OTHER_IDENTITY) != first
    assert len({first, register(push_client, "token-2"), register(push_client, "token-1", platform="ADM")}) == 3


@pytest.mark.parametrize("platform", ["APNS", "APNS_SANDBOX", "GCM", "ADM"])
def test_every_platform_of_the_enum_is_accepted(push_client: Any, platform: str) -> None:
    assert register(push_client, "token", platform=platform)


def test_a_platform_outside_the_enum_is_invalid(push_client: Any) -> None:
    message = (
        "1 validation error detected: Value 'WNS' at 'platform' failed to satisfy constraint: "
        "Member must satisfy enum value set: [APNS, APNS_SANDBOX, GCM, ADM]"
    )
    with raises_error("InvalidParameterException", 400, message):
        register(push_client, "token", platform="WNS")


# -- SubscribeToDataset / UnsubscribeFromDataset ---------------------------------------------


def test_subscribe_needs_push_sync_configured_before_anything_else(client: Any) -> None:
    message = f"Push sync is not configured for identity pool {POOL}"
    with raises_error("InvalidConfigurationException", 400, message):
        subscribe(client, str(uuid.uuid4()), dataset="missing")  # device and dataset unknown too
    enable_push(client)
    device = register(client, "token")
    write(client, {"a": "1"})
    assert body(subscribe(client, device)) == {}
    client.set_identity_pool_configuration(IdentityPoolId=POOL, PushSync={})  # removes push sync
    with raises_error("InvalidConfigurationException", 400, message):
        subscribe(client, device)
    with raises_error("InvalidConfigurationException", 400, message):
        register(client, "token")


def test_subscribe_needs_a_device_registered_to_that_identity(push_client: Any) -> None:
    write(push_client, {"a": "1"})
    unknown = str(uuid.uuid4())
    with raises_error(
        "ResourceNotFoundException", 404, f"Device '{unknown}' is not registered for identity '{IDENTITY}'."
    ):
        subscribe(push_client, unknown)
    others = register(push_client, "token", identity=OTHER_IDENTITY)
    with raises_error(
        "ResourceNotFoundException", 404, f"Device '{others}' is not registered for identity '{IDENTITY}'."
    ):
        subscribe(push_client, others)


def test_subscribe_needs_an_existing_dataset(push_client: Any) -> None:
    device = register(push_client, "token")
    with raises_error("ResourceNotFoundException", 404, "Dataset 'missing' not found."):
        subscribe(push_client, device, dataset="missing")
    write(push_client, {"a": "1"})
    push_client.delete_dataset(**ids())
    with raises_error("ResourceNotFoundException", 404, f"Dataset '{DATASET}' not found."):
        subscribe(push_client, device)


def test_subscribe_and_unsubscribe_answer_empty(push_client: Any) -> None:
    device = register(push_client, "token")
    write(push_client, {"a": "1"})
    assert body(subscribe(push_client, device)) == {}
    assert body(subscribe(push_client, device)) == {}  # subscribing twice is harmless
    assert body(unsubscribe(push_client, device)) == {}


def test_unsubscribe_of_a_missing_subscription_is_not_found(push_client: Any) -> None:
    device = register(push_client, "token")
    write(push_client, {"a": "1"})
    message = f"Device '{device}' is not subscribed to dataset '{DATASET}'."
    with raises_error("ResourceNotFoundException", 404, message):
        unsubscribe(push_client, device)
    subscribe(push_client, device)
    unsubscribe(push_client, device)
    with raises_error("ResourceNotFoundException", 404, message):
        unsubscribe(push_client, device)


# -- the silent pushes ---------------------------------------------------------------------------


def test_every_subscribed_device_but_the_sender_gets_a_push(cognito_sync: Any, push_client: Any) -> None:
    write(push_client, {"a": "1"})
    phone = register(push_client, "phone-token", "GCM")
    tablet = register(push_client, "tablet-token", "APNS")
    subscribe(push_client, phone)
    subscribe(push_client, tablet)

    write(push_client, [replace("a", "2", 1)], DeviceId=phone)
    assert cognito_sync.push_notifications == [
        {"platform": "APNS", "token": "tablet-token", "device_id": tablet, "payload": payload(2)}
    ]

    write(push_client, [replace("a", "3", 2)])
    later = cognito_sync.push_notifications[1:]
    assert sorted(later, key=lambda n: n["device_id"]) == sorted(
        [
            {"platform": "GCM", "token": "phone-token", "device_id": phone, "payload": payload(3)},
            {"platform": "APNS", "token": "tablet-token", "device_id": tablet, "payload": payload(3)},
        ],
        key=lambda n: n["device_id"],
    )


def test_only_subscribers_of_that_dataset_are_pushed(cognito_sync: Any, push_client: Any) -> None:
    write(push_client, {"a": "1"})
    write(push_client, {"a": "1"}, dataset="other")
    device = register(push_client, "token")
    subscribe(push_client, device, dataset="other")
    write(push_client, [replace("a", "2", 1)])
    assert cognito_sync.push_notifications == []
    write(push_client, [replace("a", "2", 1)], dataset="other")
    assert [n["payload"] for n in cognito_sync.push_notifications] == [payload(2, "other")]


def test_no_push_after_unsubscribing(cognito_sync: Any, push_client: Any) -> None:
    write(push_client, {"a": "1"})
    device = register(push_client, "token")
    subscribe(push_client, device)
    unsubscribe(push_client, device)
    write(push_client, [replace("a", "2", 1)])
    assert cognito_sync.push_notifications == []


def test_no_push_for_updates_that_fail_or_write_nothing(cognito_sync: Any, push_client: Any) -> None:
    write(push_client, {"a": "1"})
    device = register(push_client, "token")
    subscribe(push_client, device)
    with raises_error("ResourceConflictException", 409):
        write(push_client, [replace("a", "2", 0)])
    write(push_client, [])
    assert cognito_sync.push_notifications == []


def test_delete_dataset_drops_its_subscriptions(cognito_sync: Any, push_client: Any) -> None:
    write(push_client, {"a": "1"})
    device = register(push_client, "token")
    subscribe(push_client, device)
    push_client.delete_dataset(**ids())
    write(push_client, {"a": "1"})  # recreated under the same name
    assert cognito_sync.push_notifications == []
    with raises_error("ResourceNotFoundException", 404, f"Device '{device}' is not subscribed to dataset '{DATASET}'."):
        unsubscribe(push_client, device)


def test_pushes_and_streams_both_follow_a_write(cognito_sync: Any, push_client: Any) -> None:
    enable_streams(push_client)
    write(push_client, {"a": "1"})
    device = register(push_client, "token")
    subscribe(push_client, device)
    write(push_client, [replace("a", "2", 1)])
    assert [n["payload"]["syncCount"] for n in cognito_sync.push_notifications] == [2]
    assert [r["syncCount"] for r in cognito_sync.stream_records(STREAM)] == [1, 2]
