"""AWS's own integration tests of the iOS Cognito Sync client, run against the mock.

A transcription of ``AWSCognitoTests/AWSCognitoClientTest.m`` of aws-sdk-ios: one test per
test of that file, under the same name in snake_case, with each of its assertions. The
client is the Python transcription of the iOS SDK in ``ios_sync.py``, talking to the mock
through a boto3 ``cognito-sync`` client.

How the original is carried over:

- The iOS class shares one identity and one local database across its tests (its
  ``+setUp`` and ``+tearDown``); here each test has a fresh mock and a fresh device, so a
  test's clean-up at the end (``clear`` then ``synchronize``) is kept but matters less.
- The "second device" of the iOS tests is the service client itself (``forceUpdate``
  writes a record through ListRecords and UpdateRecords) or a second local-database
  manager on the same SQLite file (``fakeLocalDirty``, the merge test); both are kept.
- Method swizzling becomes ``monkeypatch`` on the same method, undone where the original
  swaps it back.
- ``XCTAssert*`` inside handlers and notification observers become ``assert``s there: they
  fail the test as soon as they are false (XCTest records them and carries on).
- Waiting: iOS syncs and notifications are asynchronous; here ``synchronize`` returns when
  the sync has ended and observers are called in line, so the original's run-loop waits are
  not needed. Where the original starts a sync without waiting for it, the test does too
  (on a thread), and joins it only at the end, so that no call outlives the mock.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as _dt
from typing import Any, Callable, Iterator, Optional

import pytest
from botocore.exceptions import ClientError
from helpers import IDENTITY, POOL, ids, make_client
from ios_sync import (
    DID_CHANGE_LOCAL_VALUE_FROM_REMOTE,
    DID_CHANGE_REMOTE_VALUE,
    DID_END_SYNCHRONIZE,
    DID_FAIL_TO_SYNCHRONIZE,
    DID_START_SYNCHRONIZE,
    Cognito,
    CognitoError,
    CognitoErrorCode,
    Conflict,
    LocalRecord,
    LocalStore,
    Notification,
    ResolvedConflict,
)

LAMBDA = "Lambda"
NOTIFICATION_DATASET = "notifications"
NOTIFICATION_KEY = "notificationKey"
CONCURRENT_DATASET = "concurrent"
CONCURRENT_KEY = "concurrentKey"
TIMEOUT = 5.0  # the original's waitForExpectationsWithTimeout:5.0


@pytest.fixture
def cognito(cognito_sync: Any) -> Iterator[Cognito]:
    """``+setUp``: the app's default Cognito client for the test identity; ``+tearDown``: wipe."""
    client = Cognito(make_client(), POOL, IDENTITY)
    yield client
    client.wipe()


@pytest.fixture
def service(cognito: Cognito) -> Any:
    """``[AWSCognitoSync defaultCognitoSync]``: the low-level client the tests write through."""
    return cognito.client


def force_update(service: Any, dataset_name: str, key: str) -> None:
    """``-forceUpdate:withKey:``: another device writes ``key = "forced"`` at the dataset's sync count."""
    try:
        listed = service.list_records(**ids(dataset=dataset_name))
        patch = {"Key": key, "SyncCount": listed["DatasetSyncCount"], "Value": "forced", "Op": "replace"}
        service.update_records(
            **ids(dataset=dataset_name), RecordPatches=[patch], SyncSessionToken=listed["SyncSessionToken"]
        )
    except ClientError as error:
        pytest.fail(f"Could not write update: {error}")


def fake_local_dirty(cognito: Cognito, dataset_name: str, key: str) -> None:
    """``-fakeLocalDirty:withKey:``: another manager of the same database puts the record back
    one sync count lower (which also makes it dirty)."""
    manager = LocalStore(cognito.identity_id, "tester", cognito.database)
    record = manager.get_record(key, dataset_name)
    assert record is not None
    record.sync_count -= 1
    manager.put_record(record, dataset_name)


def delete_dataset(service: Any, dataset_name: str) -> None:
    """``[[client deleteDataset:deleteDataset] waitUntilFinished]``: its outcome is not looked at."""
    with contextlib.suppress(ClientError):
        service.delete_dataset(**ids(dataset=dataset_name))


def dirty(record: Optional[LocalRecord]) -> bool:
    """``record.dirty`` as Objective-C reads it: NO for a nil record."""
    return record is not None and record.is_dirty


def is_already_pending(error: Optional[Exception]) -> bool:
    return isinstance(error, CognitoError) and error.code == CognitoErrorCode.SYNC_ALREADY_PENDING


# testSynchronizeAlreadyInProgress
def test_synchronize_already_in_progress(cognito: Cognito) -> None:
    dataset = cognito.open_or_create_dataset("simultaneous")
    dataset.put("wifi", "on")
    tasks = [dataset.synchronize_in_background() for _ in range(3)]
    _, not_done = concurrent.futures.wait(tasks, timeout=TIMEOUT)
    assert not not_done, "Timeout Error"
    errors = 0
    for future in tasks:
        task = future.result()
        if task.error is not None:
            assert is_already_pending(task.error), (
                f"Expected error code to be AWSCognitoErrorSyncAlreadyPending was: {task.error!r}"
            )
            errors += 1
        else:
            for record in dataset.all_records():
                # ensure there are no dirty records after sync.
                assert not record.is_dirty, f"Dirty record after sync: {record.key}"
                assert record.sync_count == 1, "Records should have only been updated once"
    assert errors < 2, "Only max of one sync should have errored out"


# testSynchronize
def test_synchronize(cognito: Cognito) -> None:
    now = _dt.datetime.now(_dt.timezone.utc)
    dataset = cognito.open_or_create_dataset("mydataset")
    dataset.put("wifi", "on")
    assert now <= dataset.last_modified_date, f"Dataset Date: {dataset.last_modified_date}, Should be >= {now}"
    task = dataset.synchronize()
    assert task.error is None, task.error
    for record in dataset.all_records():
        # ensure there are no dirty records after sync.
        assert not record.is_dirty, f"Dirty record after sync: {record.key}"
    # check the sync count to make sure it incremented (go all the way back to the DB)
    dataset = cognito.open_or_create_dataset("mydataset")
    assert dataset.last_sync_count == 1, "sync count should have incremented"


# testSynchronizeOnConnectivity
def test_synchronize_on_connectivity(cognito: Cognito) -> None:
    dataset = cognito.open_or_create_dataset("testSyncOnConnect")
    dataset.put("wifi", "on")
    try:
        task = dataset.synchronize_on_connectivity().result(timeout=TIMEOUT)
    except concurrent.futures.TimeoutError:
        pytest.fail("Timeout Error")
    assert task.error is None, task.error
    for record in dataset.all_records():
        # ensure there are no dirty records after sync.
        assert not record.is_dirty, f"Dirty record after sync: {record.key}"
    # check the sync count to make sure it incremented (go all the way back to the DB)
    dataset = cognito.open_or_create_dataset("testSyncOnConnect")
    assert dataset.last_sync_count == 1, "sync count should have incremented"


# testGet
def test_get(cognito: Cognito) -> None:
    dataset = cognito.open_or_create_dataset("testget")
    dataset.put("wifi", "on")
    records = dataset.all_records()
    assert len(records) == 1, "should be one record"
    if records:
        record = records[0]
        assert record.key == "wifi", "Unexpected record id"
        assert record.value == "on", "Unexpected value"
    records_as_dictionary = dataset.get_all()
    assert len(records_as_dictionary) == 1, "should be one record"
    assert records_as_dictionary.get("wifi") == "on", "Could not find key in dictionary"
    dataset.clear()


# testRemove
def test_remove(cognito: Cognito) -> None:
    dataset = cognito.open_or_create_dataset("testremove")
    # add a value and sync
    dataset.put("wifi", "on")
    dataset.synchronize()
    # now remove it
    dataset.remove("wifi")

    # list the records, record should still show up
    records = dataset.all_records()
    assert len(records) == 1, "should be one record"
    if records:
        record = records[0]
        assert record.key == "wifi", "Unexpected record id"
        assert record.is_dirty, "Record should be dirty"

    # dictionary should be empty
    assert len(dataset.get_all()) == 0, "should be no records in the dictionary"
    dataset.synchronize()

    # list the records again, should be empty (the original's comment; it asserts one record)
    records = dataset.all_records()
    assert len(records) == 1, "should be one record"

    # dictionary should still be empty
    assert len(dataset.get_all()) == 0, "should be no records in the dictionary"
    dataset.clear()
    dataset.synchronize()


# testClear
def test_clear(cognito: Cognito) -> None:
    dataset = cognito.open_or_create_dataset("todelete")
    dataset.put("wifi", "on")
    first = dataset.synchronize_in_background()  # the original does not wait for this one
    dataset.clear()
    dataset.synchronize()
    for record in dataset.all_records():
        pytest.fail(f"Record exists after deletion: {record.key}")
    first.result(timeout=TIMEOUT)


# testListDatasets
def test_list_datasets(cognito: Cognito) -> None:
    old_count = len(cognito.list_datasets())

    # add a new dataset
    dataset = cognito.open_or_create_dataset("newlocal")
    dataset.put("wifi", "on")
    new_count = len(cognito.list_datasets())
    assert old_count + 1 == new_count, "number of datasets should have increased"


# testRefreshDatasetMetadata
def test_refresh_dataset_metadata(cognito: Cognito) -> None:
    try:
        count = len(cognito.refresh_dataset_metadata())
    except ClientError as error:
        pytest.fail(f"Error in listDatasets [{error}]")

    # add a new dataset
    dataset = cognito.open_or_create_dataset("newremote")
    dataset.put("wifi", "on")
    dataset.synchronize()

    try:
        datasets = cognito.refresh_dataset_metadata()
    except ClientError as error:
        pytest.fail(f"Error in listDatasets [{error}]")
    assert count + 1 == len(datasets), "number of datasets should have increased"


# testSyncWithNoData
def test_sync_with_no_data(cognito: Cognito) -> None:
    # create a dataset
    dataset = cognito.open_or_create_dataset("noData")
    task = dataset.synchronize()
    assert task.error is None, task.error


# testSyncWithOldDirtyLocal
def test_sync_with_old_dirty_local(cognito: Cognito, service: Any) -> None:
    dataset_name = "conflicts"
    key_name = "conflicting"

    # create a dataset
    dataset = cognito.open_or_create_dataset(dataset_name)
    dataset.put(key_name, "old")

    # call a sync
    dataset.synchronize()

    # Modify the remote
    force_update(service, dataset_name, key_name)
    dataset.put(key_name, "test")

    # this should succeed
    task = dataset.synchronize()
    assert task.error is None, f"Error in synchronize [{task.error}]"

    record = dataset.record(key_name)
    assert not dirty(record), "Record is dirty"

    # forcefully change the sync count of a local record to an older count
    fake_local_dirty(cognito, dataset_name, key_name)

    # this should succeed
    task = dataset.synchronize()
    assert task.error is None, f"Error in synchronize [{task.error}]"

    record = dataset.record(key_name)
    assert not dirty(record), "Record is dirty"

    # delete the dataset
    dataset.clear()
    dataset.synchronize()


# testSyncWithConcurrentModification
def test_sync_with_concurrent_modification(cognito: Cognito, monkeypatch: pytest.MonkeyPatch) -> None:
    # create a dataset
    dataset = cognito.open_or_create_dataset(CONCURRENT_DATASET)
    dataset.put(CONCURRENT_KEY, "old")

    # call a sync
    dataset.synchronize()

    # modify the record again
    dataset.put(CONCURRENT_KEY, "new")

    # switch out this method to wrap it and modify the record after getting the list
    original = LocalStore.records_updated_after_last_sync

    def swizzled(self: LocalStore, dataset_name: str) -> dict[str, LocalRecord]:
        return_value = original(self, dataset_name)
        # modify a value
        cognito.open_or_create_dataset(CONCURRENT_DATASET).put(CONCURRENT_KEY, "forced")
        return return_value

    monkeypatch.setattr(LocalStore, "records_updated_after_last_sync", swizzled)

    # this should succeed
    task = dataset.synchronize()
    assert task.error is None, f"Error in synchronize [{task.error}]"

    # Check the record, should still be dirty
    record = dataset.record(CONCURRENT_KEY)
    assert dirty(record), "Record is not dirty"
    assert record is not None and record.value == "forced", "Record doesn't have latest value"

    # switch back the implementations
    monkeypatch.undo()

    # this should succeed
    task = dataset.synchronize()
    assert task.error is None, f"Error in synchronize [{task.error}]"

    # Check the record, should now be clean
    record = dataset.record(CONCURRENT_KEY)
    assert not dirty(record), "Record is dirty"

    # delete the dataset
    dataset.clear()
    dataset.synchronize()


# testSyncWithLambdaModification
def test_sync_with_lambda_modification(cognito: Cognito, service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # create a dataset
    dataset = cognito.open_or_create_dataset("testLambda")
    dataset.put("key", "value")

    # switch out updateRecords to wrap it and add a record to its answer
    original: Callable[..., Any] = service.update_records
    swizzled_last_modified: list[_dt.datetime] = []  # the original's global _swizzledLastModified

    def swizzled_update_records(**request: Any) -> Any:
        response = original(**request)
        now = _dt.datetime.now(_dt.timezone.utc)
        swizzled_last_modified.append(now)
        # add an additional record to the response
        response["Records"] = [
            *response["Records"],
            {
                "Key": LAMBDA,
                "Value": LAMBDA,
                "SyncCount": 1,
                "LastModifiedBy": LAMBDA,
                "LastModifiedDate": now,
                "DeviceLastModifiedDate": now,
            },
        ]
        return response

    monkeypatch.setattr(service, "update_records", swizzled_update_records)

    # call a sync
    dataset.synchronize()

    # switch back method implementation
    monkeypatch.undo()

    record = dataset.record(LAMBDA)
    assert record is not None and record.value == LAMBDA
    assert abs((swizzled_last_modified[-1] - record.last_modified).total_seconds()) <= 0.001
    assert record.last_modified_by == LAMBDA

    assert dataset.record("key") is not None


# testSyncNotifications
def test_sync_notifications(cognito: Cognito, service: Any) -> None:
    received = {"start": False, "end": False, "remote_change": False, "local_change": False, "failed": False}

    def check_keys(notification: Notification) -> None:
        dataset_name = notification.user_info.get("dataset")
        keys = notification.user_info.get("keys")
        assert dataset_name is not None, "Notification should have dataset"
        assert keys is not None, "Notification should a have a list of keys"
        assert len(keys) == 1, "Should have only been a single modified key"
        assert dataset_name == NOTIFICATION_DATASET, (
            f"'{dataset_name}' doesn't match expected '{NOTIFICATION_DATASET}' for datasetname"
        )
        if keys:
            assert keys[0] == NOTIFICATION_KEY, f"'{keys[0]}' doesn't match expected '{NOTIFICATION_KEY}' for key"

    def check_dataset(notification: Notification) -> None:
        dataset_name = notification.user_info.get("dataset")
        assert dataset_name is not None, "Notification should have dataset"
        assert dataset_name == NOTIFICATION_DATASET, (
            f"'{dataset_name}' doesn't match expected '{NOTIFICATION_DATASET}' for datasetname"
        )

    def sync_start(notification: Notification) -> None:
        check_dataset(notification)
        received["start"] = True

    def sync_end(notification: Notification) -> None:
        check_dataset(notification)
        received["end"] = True

    def sync_remote_changed(notification: Notification) -> None:
        check_keys(notification)
        received["remote_change"] = True

    def sync_local_changed(notification: Notification) -> None:
        check_keys(notification)
        received["local_change"] = True

    def sync_failed(notification: Notification) -> None:
        dataset_name = notification.user_info.get("dataset")
        assert dataset_name == NOTIFICATION_DATASET, (
            f"'{dataset_name}' doesn't match expected '{NOTIFICATION_DATASET}' for datasetname"
        )
        received["failed"] = True

    center = cognito.notifications
    center.add_observer(DID_START_SYNCHRONIZE, sync_start)
    center.add_observer(DID_END_SYNCHRONIZE, sync_end)
    center.add_observer(DID_CHANGE_REMOTE_VALUE, sync_remote_changed)
    center.add_observer(DID_CHANGE_LOCAL_VALUE_FROM_REMOTE, sync_local_changed)
    center.add_observer(DID_FAIL_TO_SYNCHRONIZE, sync_failed)

    # create a dataset
    dataset = cognito.open_or_create_dataset(NOTIFICATION_DATASET)
    dataset.put(NOTIFICATION_KEY, "old")

    # call a sync
    dataset.synchronize()

    assert received["start"], "Did not get start notification"
    assert received["end"], "Did not get end notification"
    assert received["remote_change"], "Did not get remote changed notification"

    force_update(service, NOTIFICATION_DATASET, NOTIFICATION_KEY)

    dataset.synchronize()

    assert received["local_change"], "Did not get local changed notification"

    # reset the value
    dataset.put(NOTIFICATION_KEY, "old")
    dataset.synchronize()

    # set a conflict handler to force a sync failure
    def no_resolution(dataset_name: str, conflict: Conflict) -> Optional[ResolvedConflict]:
        return None

    dataset.conflict_handler = no_resolution

    # create a conflict
    dataset.put(NOTIFICATION_KEY, "new")
    force_update(service, NOTIFICATION_DATASET, NOTIFICATION_KEY)

    # this should fail
    dataset.synchronize()

    assert received["failed"], "Did not get sync failed notification"

    center.remove_observers()

    # delete the dataset
    dataset.clear()
    dataset.synchronize()


# testConflictHandler
def test_conflict_handler(cognito: Cognito, service: Any) -> None:
    handler_called = False
    my_dataset = "testconflict"
    key = "conflict"

    # create a dataset
    dataset = cognito.open_or_create_dataset(my_dataset)
    dataset.put(key, "old")

    dataset.synchronize()

    # create a conflict
    force_update(service, my_dataset, key)
    dataset.put(key, "new")

    # set a conflict handler
    def checking_handler(dataset_name: str, conflict: Conflict) -> Optional[ResolvedConflict]:
        nonlocal handler_called
        assert dataset_name == my_dataset, "Dataset doesn't match"
        assert conflict.remote_record.key == conflict.local_record.key, "Key's for conflict don't match"
        assert conflict.remote_record.key == key, "Conflicting record doesn't match key"
        handler_called = True
        return None

    dataset.conflict_handler = checking_handler

    dataset.synchronize()

    assert handler_called, "Conflict handler wasn't called"
    record = dataset.record(key)
    assert dirty(record), "Record is not dirty"

    # set a different handler
    def local_wins(dataset_name: str, conflict: Conflict) -> Optional[ResolvedConflict]:
        return conflict.resolve_with_local_record()

    dataset.conflict_handler = local_wins
    dataset.synchronize()

    # our local change should be persisted
    record = dataset.record(key)
    assert not dirty(record), "Record is dirty"
    assert record is not None and record.value == "new"

    dataset.clear()
    dataset.synchronize()


# testDatasetDeletedHandler
def test_dataset_deleted_handler(cognito: Cognito, service: Any) -> None:
    my_dataset_name = "testdelete"

    # create a dataset with data and sync it
    dataset = cognito.open_or_create_dataset(my_dataset_name)
    dataset.put("bar", "foo")
    dataset.synchronize()

    # delete the dataset with the low level client
    delete_dataset(service, my_dataset_name)

    handler_called = False

    # set our handler to return YES so the dataset will be recreated
    def recreate(dataset_name: str) -> bool:
        nonlocal handler_called
        assert my_dataset_name == dataset_name, "dataset names do not match"
        handler_called = True
        return True

    dataset.dataset_deleted_handler = recreate

    # sync again
    dataset.synchronize()

    # make sure the handler was called
    assert handler_called, "handler was not called"

    # check to see our data is still there
    assert dataset.get("bar") == "foo"

    handler_called = False

    # set the handler to return NO so it will be deleted
    def drop(dataset_name: str) -> bool:
        nonlocal handler_called
        assert my_dataset_name == dataset_name, "dataset names do not match"
        handler_called = True
        return False

    dataset.dataset_deleted_handler = drop

    # delete it again
    delete_dataset(service, my_dataset_name)

    # sync again
    dataset.synchronize()

    # make sure the handler was called
    assert handler_called, "handler was not called"

    # check to see that our data is no longer there
    assert dataset.get("bar") is None, "value was not deleted"


# testBrokenSyncCount
def test_broken_sync_count(cognito: Cognito) -> None:
    my_dataset_name = "recoverFromBadSyncCount"
    # create a dataset with data and sync it
    dataset = cognito.open_or_create_dataset(my_dataset_name)
    dataset.put("bar", "foo")
    dataset.synchronize()

    identity_id = cognito.identity_id
    dataset.put("new", "foo")
    manager = LocalStore(identity_id, None, cognito.database)
    # break the sync count
    manager.update_last_sync_count(my_dataset_name, 2, identity_id)

    # see if we can recover
    task = dataset.synchronize()
    assert task.error is None, f"Synchronize failed: {task.error}"


# testDatasetDeletedHandlerOnResurrect
def test_dataset_deleted_handler_on_resurrect(cognito: Cognito, service: Any) -> None:
    my_dataset_name = "testresurrection"

    # create a dataset with data and sync it
    dataset = cognito.open_or_create_dataset(my_dataset_name)
    dataset.put("bar", "foo")
    dataset.synchronize()

    # delete the dataset with the low level client
    delete_dataset(service, my_dataset_name)

    force_update(service, my_dataset_name, "baz")

    # sync again
    dataset.synchronize()

    # check to see our data is still there
    assert dataset.get("bar") == "foo"
    assert dataset.get("baz") == "forced"

    handler_called = False

    # set the handler to return NO so it will be deleted
    def drop(dataset_name: str) -> bool:
        nonlocal handler_called
        assert my_dataset_name == dataset_name, "dataset names do not match"
        handler_called = True
        return False

    dataset.dataset_deleted_handler = drop

    # set a value that will be deleted
    dataset.put("deleteme", "deleteme")

    # delete and resurrect it again
    delete_dataset(service, my_dataset_name)
    force_update(service, my_dataset_name, "baz")

    # sync again
    dataset.synchronize()

    # make sure the handler was called
    assert handler_called, "handler was not called"

    # check to see that our data is no longer there
    assert dataset.get("deleteme") is None, "value was not deleted"
    assert dataset.get("baz") == "forced"


# testDatasetMergedHandlerLocal
def test_dataset_merged_handler_local(cognito: Cognito) -> None:
    # (the original first waits for the credentials provider's identity ID: ours is given)
    my_dataset_name = "testmerge"

    # Create a sqlitemanager with a different ID
    manager = LocalStore("otherid", "tester", cognito.database)
    manager.initialize_dataset_tables(my_dataset_name)

    # Create a dataset in different ID
    manager.put_record(LocalRecord("wifi", "on"), my_dataset_name)

    # Reparent the dataset
    manager.reparent_datasets("otherid", cognito.identity_id)

    # Open the same dataset name in our ID
    dataset = cognito.open_or_create_dataset(my_dataset_name)

    handler_called = False
    merged_dataset_name: Optional[str] = None

    # Register merge handler
    def merged(dataset_name: str, datasets: list[str]) -> None:
        nonlocal handler_called, merged_dataset_name
        handler_called = True
        assert dataset_name == my_dataset_name, "dataset name doesn't match"
        assert len(datasets) == 1, "There should only be one merged dataset"
        merged_dataset_name = datasets[0]

    dataset.dataset_merged_handler = merged

    # Sync the dataset
    dataset.synchronize()

    # Check handler (should have run)
    assert handler_called, "Handler never ran"
    assert merged_dataset_name is not None, "should have gotten a dataset name"

    # Clear the merged dataset
    merged_dataset = cognito.open_or_create_dataset(merged_dataset_name)
    merged_dataset.clear()
    merged_dataset.synchronize()

    # reset the handler (shouldn't run this time)
    def must_not_run(dataset_name: str, datasets: list[str]) -> None:
        pytest.fail("Handler shouldn't have run")

    dataset.dataset_merged_handler = must_not_run

    # Sync the dataset
    dataset.synchronize()

    # Clean up
    dataset.clear()
    dataset.synchronize()


# testDatasetMergedHandlerRemote
def test_dataset_merged_handler_remote(cognito: Cognito) -> None:
    # The original is empty: "TODO: can we test the mergedatasets from the service?"
    pass
