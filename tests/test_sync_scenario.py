"""Two devices synchronising one dataset the way the Android Cognito Sync client does.

Each device keeps local records (value, sync count, dirty flag) and its lastSyncCount.
A sync pulls ListRecords(LastSyncCount) through every page, merges remote changes into
clean local records, resolves conflicts (dirty local records that changed remotely) by
taking the higher number, pushes the dirty records with the session token, re-pulls and
retries on ResourceConflictException, and fast-forwards lastSyncCount when the server's
count rose by exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import ClientError
from helpers import DATASET, ids, list_all


@dataclass
class LocalRecord:
    value: str | None  # None: deleted
    sync_count: int
    dirty: bool


@dataclass
class Device:
    client: Any
    name: str
    page_size: int = 2
    records: dict[str, LocalRecord] = field(default_factory=dict)
    last_sync_count: int = 0
    conflicts: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    conflict_retries: int = 0
    fast_forwards: int = 0

    # -- the app's side ---------------------------------------------------------------

    def put(self, key: str, value: str) -> None:
        old = self.records.get(key)
        self.records[key] = LocalRecord(value, old.sync_count if old else 0, True)

    def remove(self, key: str) -> None:
        old = self.records[key]
        self.records[key] = LocalRecord(None, old.sync_count, True)

    def live(self) -> dict[str, str]:
        return {k: r.value for k, r in self.records.items() if r.value is not None}

    # -- the client library's side -----------------------------------------------------

    def pull(self) -> tuple[int, str]:
        """Every page of the changes since lastSyncCount: (dataset sync count, session token)."""
        remote: list[dict[str, Any]] = []
        response = list_all(self.client, LastSyncCount=self.last_sync_count, MaxResults=self.page_size)
        pinned = response["DatasetSyncCount"]
        remote += response["Records"]
        while "NextToken" in response:
            response = list_all(
                self.client,
                LastSyncCount=self.last_sync_count,
                MaxResults=self.page_size,
                NextToken=response["NextToken"],
            )
            assert response["DatasetSyncCount"] == pinned
            remote += response["Records"]
        assert len({r["Key"] for r in remote}) == len(remote), "a record came twice in one pass"

        for record in remote:
            key, value, count = record["Key"], record.get("Value"), record["SyncCount"]
            local = self.records.get(key)
            if local is not None and local.dirty and count > local.sync_count:
                if local.value == value:
                    self.records[key] = LocalRecord(value, count, False)
                    continue
                # A conflict: keep the higher number, based on the remote's sync count.
                self.conflicts.append((key, local.value, value))
                self.records[key] = LocalRecord(_higher(local.value, value), count, True)
            elif local is None or not local.dirty:
                self.records[key] = LocalRecord(value, count, False)
        self.last_sync_count = pinned
        return pinned, response["SyncSessionToken"]

    def sync(self, before_push: Callable[[], None] | None = None, retries: int = 3) -> None:
        server_count, token = self.pull()
        dirty = {k: r for k, r in self.records.items() if r.dirty}
        if not dirty:
            return
        if before_push is not None:
            before_push()
        patches = []
        for key, record in sorted(dirty.items()):
            patch: dict[str, Any] = {"Key": key, "SyncCount": record.sync_count}
            if record.value is None:
                patch["Op"] = "remove"
            else:
                patch.update(Op="replace", Value=record.value)
            patches.append(patch)
        try:
            result = self.client.update_records(**ids(), SyncSessionToken=token, RecordPatches=patches)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceConflictException" or retries == 0:
                raise
            self.conflict_retries += 1
            self.sync(retries=retries - 1)
            return
        assert result["Records"], "a write must answer the records it wrote"
        new_count = max(r["SyncCount"] for r in result["Records"])
        for record in result["Records"]:
            pushed = dirty[record["Key"]]
            if self.records[record["Key"]] is pushed:
                self.records[record["Key"]] = LocalRecord(record.get("Value"), record["SyncCount"], False)
        if new_count == server_count + 1:
            self.last_sync_count = new_count
            self.fast_forwards += 1


def _higher(a: str | None, b: str | None) -> str | None:
    numbers = [int(v) for v in (a, b) if v is not None]
    return str(max(numbers)) if numbers else None


def server_state(client: Any) -> tuple[int, dict[str, str], dict[str, int]]:
    listed = list_all(client)
    assert "NextToken" not in listed
    live = {r["Key"]: r["Value"] for r in listed["Records"] if "Value" in r}
    counts = {r["Key"]: r["SyncCount"] for r in listed["Records"]}
    return listed["DatasetSyncCount"], live, counts


def assert_in_step(client: Any, *devices: Device) -> None:
    count, live, counts = server_state(client)
    for device in devices:
        assert device.live() == live, device.name
        assert device.last_sync_count == count, device.name
        assert not [k for k, r in device.records.items() if r.dirty], device.name
        assert {k: r.sync_count for k, r in device.records.items()} == counts, device.name


def test_two_devices_converge_through_conflicts_deletes_and_retries(client: Any) -> None:
    phone = Device(client, "phone")
    tablet = Device(client, "tablet")

    # The phone starts the game and pushes it: the first push creates the dataset.
    phone.put("level", "1")
    phone.put("name", "alice")
    phone.put("coins", "5")
    phone.sync()
    assert phone.last_sync_count == 1 and phone.fast_forwards == 1
    assert_in_step(client, phone)

    # The tablet pulls everything (two pages of two records).
    tablet.sync()
    assert tablet.live() == {"level": "1", "name": "alice", "coins": "5"}
    assert_in_step(client, phone, tablet)

    # Both play offline: the tablet deletes a record; both change "level".
    tablet.put("level", "3")
    tablet.remove("name")
    phone.put("level", "2")
    phone.put("gems", "7")

    phone.sync()  # nothing new remotely: a clean push, fast-forward to 2
    assert phone.last_sync_count == 2 and phone.fast_forwards == 2

    tablet.sync()  # pulls level=2 (a conflict: keeps 3), then pushes level and the delete
    assert tablet.conflicts == [("level", "3", "2")]
    count, live, _ = server_state(client)
    assert count == 3
    assert live == {"level": "3", "coins": "5", "gems": "7"}

    phone.sync()  # the delete made on the tablet reaches the phone
    assert "name" not in phone.live()
    assert phone.records["name"] == LocalRecord(None, 3, False)
    assert_in_step(client, phone, tablet)

    # A race: the phone writes between the tablet's pull and push; the tablet's push gets
    # ResourceConflictException, re-pulls, resolves and pushes again.
    tablet.put("coins", "6")
    phone.put("coins", "9")
    tablet.sync(before_push=phone.sync)
    assert tablet.conflict_retries == 1
    assert ("coins", "6", "9") in tablet.conflicts
    count, live, _ = server_state(client)
    assert live["coins"] == "9"

    # The phone brings back a deleted key: it presents the tombstone's sync count.
    phone.sync()
    phone.put("name", "bob")
    phone.sync()
    tablet.sync()
    assert_in_step(client, phone, tablet)
    count, live, _ = server_state(client)
    assert live == {"level": "3", "coins": "9", "gems": "7", "name": "bob"}
    assert phone.live() == tablet.live() == live


def test_a_new_device_on_an_empty_dataset_pushes_with_the_missing_dataset_token(client: Any) -> None:
    device = Device(client, "fresh")
    device.sync()  # nothing anywhere: nothing to push, nothing created
    assert list_all(client)["DatasetExists"] is False
    device.put("a", "1")
    device.sync()
    assert device.fast_forwards == 1
    assert_in_step(client, device)
    assert client.describe_dataset(**ids())["Dataset"]["DatasetName"] == DATASET


def test_a_device_that_missed_several_writes_catches_up_by_pages(client: Any) -> None:
    writer = Device(client, "writer", page_size=3)
    reader = Device(client, "reader", page_size=2)
    for round_ in range(5):
        writer.put(f"k{round_}", str(round_))
        if round_:
            writer.put("k0", str(100 + round_))
        writer.sync()
    writer.remove("k1")
    writer.sync()

    reader.sync()
    assert reader.live() == {"k0": "104", "k2": "2", "k3": "3", "k4": "4"}
    assert reader.records["k1"].value is None
    assert_in_step(client, writer, reader)
