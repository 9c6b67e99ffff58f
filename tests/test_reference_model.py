"""A reference model of SPEC sections 3-7, checked against the mock by a stateful test.

Hypothesis drives random sequences of UpdateRecords (fresh, stale and future sync counts,
replaces, removes, re-adds, duplicate keys, tokens of other datasets, identities and
regions, expired tokens), paged ListRecords (full and delta, with writes and deletions
between the pages of a pass), DeleteDataset and recreation, the dataset and usage reads,
and the clock, across two identities and two regions. Every answer is compared with a
small model written here from the SPEC alone: nothing of the package is imported to
compute an expectation (only ``mock_cognito_sync`` to run it, and boto3 to talk to it).

The limits are lowered (2 datasets per identity, 3 records per dataset, 40 bytes per
dataset) so that short runs reach them. Time is frozen with time-machine and moved by the
``advance_clock`` rule, so every date in every answer is predicted exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

import time_machine
from botocore.exceptions import ClientError
from helpers import DEVELOPER, IDENTITY, OTHER_IDENTITY, POOL, SESSION_USED, conflict, make_client, utf8
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule

from cognito_sync_mock import mock_cognito_sync

REGIONS = ("us-east-1", "eu-west-1")
IDENTITIES = (IDENTITY, OTHER_IDENTITY)
NAMES = ("a", "b", "c")
KEYS = ("k1", "k2", "k3", "k4")
VALUES = ("", "x", "\u00e9", "\u20ac\u20ac", "\U0001f600", "xyz", "a-value-of-twenty-one")
DATASET_LIMIT, RECORD_LIMIT, BYTE_LIMIT = 2, 3, 40
LIMITS = {"datasets_per_identity": DATASET_LIMIT, "records_per_dataset": RECORD_LIMIT, "dataset_bytes": BYTE_LIMIT}
SESSION_SECONDS = 300
START = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
CLIENTS = {region: make_client(region) for region in REGIONS}  # made once: making a client is slow

Where = tuple[str, str, str]  # (region, identity, dataset name)
# Biased toward one region, identity and dataset, so that short runs build up state there.
WHERE = st.tuples(
    st.sampled_from([REGIONS[0], REGIONS[0], REGIONS[0], REGIONS[1]]),
    st.sampled_from([IDENTITIES[0], IDENTITIES[0], IDENTITIES[1]]),
    st.sampled_from(["a", "a", "a", "b", "c"]),
)


# -- the model ---------------------------------------------------------------------------


@dataclass
class RecordModel:
    value: str | None  # None: a tombstone
    sync_count: int
    modified: dt.datetime


@dataclass
class DatasetModel:
    """What SPEC 3-6 say a dataset is. ``known`` is False until the dataset is first created."""

    known: bool = False
    exists: bool = False
    sync_count: int = 0
    deleted_at: int | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    records: dict[str, RecordModel] = field(default_factory=dict)

    def live(self) -> dict[str, str]:
        return {k: r.value for k, r in self.records.items() if r.value is not None}

    def storage(self) -> int:
        return sum(utf8(k) + utf8(v) for k, v in self.live().items())


@dataclass(frozen=True)
class Token:
    where: Where
    text: str
    expires: dt.datetime


@dataclass
class Pass:
    """A paged ListRecords pass in progress."""

    where: Where
    last: int
    page_size: int
    pinned: int
    after: tuple[int, str]
    next_token: str


@dataclass(frozen=True)
class Patch:
    key: str
    op: str
    value: str
    count: str  # how the SyncCount is chosen: fresh, stale, ahead, zero


PATCH = st.builds(
    Patch,
    st.sampled_from(KEYS),
    st.sampled_from(["replace", "replace", "remove"]),
    st.sampled_from(VALUES),
    st.sampled_from(["fresh", "fresh", "fresh", "fresh", "fresh", "stale", "ahead", "zero"]),
)
# Mostly one patch per key; one time in five, whatever keys come (two patches of one key are refused).
PATCHES = st.integers(0, 4).flatmap(
    lambda i: (
        st.lists(PATCH, min_size=2, max_size=3) if i == 0 else st.lists(PATCH, max_size=3, unique_by=lambda p: p.key)
    )
)


class Refused(Exception):
    """The model's prediction of an error answer."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code, message)
        self.code, self.message = code, message


# -- the machine -------------------------------------------------------------------------


class CognitoSyncModel(RuleBasedStateMachine):
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.travel = time_machine.travel(START, tick=False)
        self.clock = self.travel.start()
        self.mock = mock_cognito_sync(limits=LIMITS)
        self.mock.start()
        self.now = START
        self.datasets: dict[Where, DatasetModel] = {}
        self.sessions: Counter[str] = Counter()  # region -> sync sessions of POOL there
        self.identity_modified: dict[tuple[str, str], dt.datetime] = {}  # known identities
        self.pool_modified: dict[str, dt.datetime] = {}  # region -> when POOL was last touched
        self.open_pass: Pass | None = None
        self.spent: set[str] = set()  # session tokens a successful UpdateRecords used up

    def teardown(self) -> None:
        self.mock.stop()
        self.travel.stop()

    # -- helpers -------------------------------------------------------------------------

    def dataset(self, where: Where) -> DatasetModel:
        return self.datasets.setdefault(where, DatasetModel())

    def live_names(self, region: str, identity: str) -> list[str]:
        return sorted(n for (r, i, n), d in self.datasets.items() if (r, i) == (region, identity) and d.exists)

    def touch(self, region: str, identity: str) -> None:
        self.identity_modified[(region, identity)] = self.now
        self.pool_modified[region] = self.now

    def call(self, region: str, operation: str, **params: Any) -> tuple[dict[str, Any] | None, Refused | None]:
        """Make a call; its answer, or the error it got."""
        try:
            return getattr(CLIENTS[region], operation)(**params), None
        except ClientError as error:
            return None, Refused(error.response["Error"]["Code"], error.response["Error"]["Message"])

    @staticmethod
    def same_error(got: Refused | None, expected: Refused) -> None:
        assert got is not None, f"expected {expected.code}, got a success"
        assert got.code == expected.code, (got.code, got.message, expected.code, expected.message)
        if expected.message is not None:
            assert got.message == expected.message

    def dataset_view(self, where: Where) -> dict[str, Any]:
        _, identity, name = where
        d = self.datasets[where]
        return {
            "IdentityId": identity,
            "DatasetName": name,
            "CreationDate": d.created,
            "LastModifiedDate": d.modified,
            "LastModifiedBy": DEVELOPER,
            "DataStorage": d.storage(),
            "NumRecords": len(d.live()),
        }

    # -- ListRecords -----------------------------------------------------------------------

    def expected_page(
        self, where: Where, last: int, page_size: int, pinned: int, after: tuple[int, str]
    ) -> tuple[list[tuple[str, str | None, int]], bool]:
        """The records of a page, and whether more remain (SPEC 4: ordered by SyncCount, then key)."""
        d = self.dataset(where)
        if not d.exists:
            return [], False
        rest = sorted(
            (r.sync_count, k) for k, r in d.records.items() if after < (r.sync_count, k) and r.sync_count <= pinned
        )
        page = [(k, d.records[k].value, c) for c, k in rest[:page_size]]
        return page, len(rest) > page_size

    def check_page(
        self, answer: dict[str, Any], where: Where, last: int, page_size: int, pinned: int, after: tuple[int, str]
    ) -> None:
        region, _, _ = where
        d = self.dataset(where)
        expected, more = self.expected_page(where, last, page_size, pinned, after)
        got = [(r["Key"], r.get("Value"), r["SyncCount"]) for r in answer["Records"]]
        assert got == expected
        for record in answer["Records"]:
            modified = d.records[record["Key"]].modified
            assert (record["LastModifiedDate"], record["DeviceLastModifiedDate"], record["LastModifiedBy"]) == (
                modified,
                modified,
                DEVELOPER,
            )
        assert answer["Count"] == len(expected)
        assert ("NextToken" in answer) is more
        assert answer["DatasetSyncCount"] == pinned
        assert answer["DatasetExists"] is d.exists
        assert answer["DatasetDeletedAfterRequestedSyncCount"] is (
            d.deleted_at is not None and 0 < last <= d.deleted_at
        )
        assert answer.get("LastModifiedBy") == (DEVELOPER if d.exists else None)
        assert "MergedDatasetNames" not in answer
        self.sessions[region] += 1

    def list_page(
        self, where: Where, last: int, page_size: int, next_token: str | None
    ) -> tuple[dict[str, Any] | None, Refused | None]:
        region, identity, name = where
        params: dict[str, Any] = {
            "IdentityPoolId": POOL,
            "IdentityId": identity,
            "DatasetName": name,
            "LastSyncCount": last,
            "MaxResults": page_size,
        }
        if next_token is not None:
            params["NextToken"] = next_token
        return self.call(region, "list_records", **params)

    def last_sync_count(self, where: Where, choice: str, n: int) -> int:
        """A LastSyncCount: 0, the current count, one below it, the count of the last deletion, or too high."""
        d = self.dataset(where)
        return {
            "zero": 0,
            "current": d.sync_count,
            "within": 1 + n % d.sync_count if d.sync_count else 0,
            "deleted": d.sync_count if d.deleted_at is None else d.deleted_at,
            "beyond": d.sync_count + 1 + n,
        }[choice]

    @rule(
        target=tokens,
        where=WHERE,
        choice=st.sampled_from(["zero", "current", "within", "deleted", "beyond"]),
        n=st.integers(0, 6),
        page_size=st.integers(1, 4),
    )
    def list_records(self, where: Where, choice: str, n: int, page_size: int) -> Any:
        """A whole pass, page after page, with nothing written in between."""
        last = self.last_sync_count(where, choice, n)
        answer, error = self.list_page(where, last, page_size, None)
        if last > self.dataset(where).sync_count:
            self.same_error(
                error, Refused("InvalidParameterException", f"No such SyncCount: {last} exists for this Dataset")
            )
            return self.tokens_of(where, None)
        assert answer is not None, error
        d = self.dataset(where)
        pinned, after = (d.sync_count if d.exists else 0), (last + 1, "")  # a deleted dataset lists count 0
        while True:
            self.check_page(answer, where, last, page_size, pinned, after)
            if answer["Records"]:
                after = (answer["Records"][-1]["SyncCount"], answer["Records"][-1]["Key"])
            token = answer["SyncSessionToken"]
            if "NextToken" not in answer:
                break
            answer, error = self.list_page(where, last, page_size, answer["NextToken"])
            assert answer is not None, error
        return self.tokens_of(where, token)

    def tokens_of(self, where: Where, text: str | None) -> Token:
        if text is None:  # a refused ListRecords issues nothing: hand out a token that never was
            return Token(where, "not-a-token", self.now)
        return Token(where, text, self.now + dt.timedelta(seconds=SESSION_SECONDS))

    @rule(where=WHERE, delta=st.booleans(), page_size=st.integers(1, 2))
    def paging_step(self, where: Where, delta: bool, page_size: int) -> None:
        """One page of a pass that other rules interleave with: the next page if a pass is open, else a first one.

        Later pages stay pinned to the first page's sync count whatever happened since (SPEC 4).
        """
        p = self.open_pass
        if p is None:
            d = self.dataset(where)
            last = d.sync_count // 2 if delta else 0
            p = Pass(where, last, page_size, d.sync_count if d.exists else 0, (last + 1, ""), "")
        answer, error = self.list_page(p.where, p.last, p.page_size, p.next_token or None)
        assert answer is not None, error
        self.check_page(answer, p.where, p.last, p.page_size, p.pinned, p.after)
        if "NextToken" in answer:
            tail = answer["Records"][-1]
            self.open_pass = Pass(
                p.where, p.last, p.page_size, p.pinned, (tail["SyncCount"], tail["Key"]), answer["NextToken"]
            )
        else:
            self.open_pass = None

    # -- UpdateRecords ---------------------------------------------------------------------

    def predict_update(self, where: Where, token: Token, patches: list[dict[str, Any]]) -> None:
        """Raise the Refused the SPEC predicts, or return when the update must succeed."""
        region, identity, name = where
        if token.where != where or token.text == "not-a-token":
            raise Refused("InvalidParameterException", "SyncSessionToken not valid for these inputs")
        if self.now > token.expires:
            raise Refused("InvalidParameterException", "SyncSessionToken expired")
        if token.text in self.spent:
            raise Refused("InvalidParameterException", SESSION_USED)
        keys = [p["Key"] for p in patches]
        if len(set(keys)) != len(keys):
            raise Refused("InvalidParameterException")
        d = self.dataset(where)
        stored = d.records if d.exists else {}
        for p in patches:
            current = stored[p["Key"]].sync_count if p["Key"] in stored else 0
            if p["SyncCount"] != current:
                raise Refused("ResourceConflictException", conflict(p["Key"], current, p["SyncCount"]))
        if not patches and d.exists:
            return
        if not d.exists and len(self.live_names(region, identity)) >= DATASET_LIMIT:
            raise Refused(
                "LimitExceededException",
                f"Cannot create dataset {name}: an identity can have at most {DATASET_LIMIT} datasets",
            )
        after = dict(d.live() if d.exists else {})
        for p in patches:
            if p["Op"] == "replace":
                after[p["Key"]] = p["Value"]
            else:
                after.pop(p["Key"], None)
        if len(after) > RECORD_LIMIT:
            raise Refused(
                "LimitExceededException", f"Dataset {name} would hold {len(after)} records; the limit is {RECORD_LIMIT}"
            )
        storage = sum(utf8(k) + utf8(v) for k, v in after.items())
        if storage > BYTE_LIMIT:
            raise Refused(
                "LimitExceededException", f"Dataset {name} would hold {storage} bytes; the limit is {BYTE_LIMIT}"
            )

    def sync_count_for(self, where: Where, patch: Patch) -> int:
        d = self.dataset(where)
        current = d.records[patch.key].sync_count if d.exists and patch.key in d.records else 0
        return {"fresh": current, "stale": current - 1 if current else current + 2, "ahead": current + 1, "zero": 0}[
            patch.count
        ]

    @rule(where=WHERE, delta=st.booleans(), patches=PATCHES)
    def sync(self, where: Where, delta: bool, patches: list[Patch]) -> None:
        """What a client does: ListRecords (full or delta), then UpdateRecords with that token."""
        token = cast(Token, self.list_records(where, "current" if delta else "zero", 0, 4))  # a rule: typed loosely
        self.update(token, where, patches)

    @rule(
        token=tokens,
        own=st.sampled_from([True, True, False]),
        where=WHERE,
        patches=PATCHES,
    )
    def update_with_an_older_token(self, token: Token, own: bool, where: Where, patches: list[Patch]) -> None:
        """UpdateRecords with a token issued earlier: maybe for another dataset, identity or region, maybe expired."""
        self.update(token, token.where if own else where, patches)

    def update(self, token: Token, where: Where, patches: list[Patch]) -> None:
        region, identity, name = where
        wire = []
        for p in patches:
            patch: dict[str, Any] = {"Op": p.op, "Key": p.key, "SyncCount": self.sync_count_for(where, p)}
            if p.op == "replace":
                patch["Value"] = p.value
            wire.append(patch)
        answer, error = self.call(
            region,
            "update_records",
            IdentityPoolId=POOL,
            IdentityId=identity,
            DatasetName=name,
            SyncSessionToken=token.text,
            RecordPatches=wire,
        )
        try:
            self.predict_update(where, token, wire)
        except Refused as refused:
            self.same_error(error, refused)
            return
        assert answer is not None, (error.code, error.message) if error else None
        self.spent.add(token.text)
        d = self.dataset(where)
        if not wire and d.exists:
            assert answer["Records"] == []
            return
        if not d.exists:  # created, or recreated: the sync count goes on (SPEC 4)
            d.known = d.exists = True
            d.created = d.modified = self.now
        self.touch(region, identity)
        if wire:
            d.sync_count += 1
            d.modified = self.now
            for sent in wire:
                d.records[sent["Key"]] = RecordModel(sent.get("Value"), d.sync_count, self.now)
        expected = [(p["Key"], p.get("Value"), d.sync_count, self.now, DEVELOPER, self.now) for p in wire]
        got = [
            (
                r["Key"],
                r.get("Value"),
                r["SyncCount"],
                r["LastModifiedDate"],
                r["LastModifiedBy"],
                r["DeviceLastModifiedDate"],
            )
            for r in answer["Records"]
        ]
        assert got == expected

    # -- datasets --------------------------------------------------------------------------

    @rule(where=WHERE, existing=st.integers(0, 3), pick=st.integers(0, 11))
    def delete_dataset(self, where: Where, existing: int, pick: int) -> None:
        """DeleteDataset, mostly of a dataset that exists, sometimes of any."""
        live = sorted(w for w, d in self.datasets.items() if d.exists)
        if existing and live:
            where = live[pick % len(live)]
        region, identity, name = where
        answer, error = self.call(region, "delete_dataset", IdentityPoolId=POOL, IdentityId=identity, DatasetName=name)
        d = self.dataset(where)
        if not d.exists:
            self.same_error(error, Refused("ResourceNotFoundException", f"Dataset '{name}' not found."))
            return
        assert answer is not None, error
        assert answer["Dataset"] == self.dataset_view(where)
        d.exists, d.deleted_at, d.records, d.modified = False, d.sync_count, {}, self.now
        self.touch(region, identity)

    @rule(
        kind=st.sampled_from(["dataset", "datasets", "identity", "pool", "pools"]),
        where=WHERE,
        page_size=st.integers(1, 3),
    )
    def read_back(self, kind: str, where: Where, page_size: int) -> None:
        """One of the dataset and usage reads (one rule, so that writes are drawn as often as reads)."""
        region, identity, _ = where
        if kind == "dataset":
            self.describe_dataset(where)
        elif kind == "datasets":
            self.list_datasets(region, identity, page_size)
        elif kind == "identity":
            self.describe_identity_usage(region, identity)
        elif kind == "pool":
            self.describe_identity_pool_usage(region)
        else:
            self.list_identity_pool_usage(region)

    def describe_dataset(self, where: Where) -> None:
        region, identity, name = where
        answer, error = self.call(
            region, "describe_dataset", IdentityPoolId=POOL, IdentityId=identity, DatasetName=name
        )
        if not self.dataset(where).exists:
            self.same_error(error, Refused("ResourceNotFoundException", f"Dataset '{name}' not found."))
            return
        assert answer is not None, error
        assert answer["Dataset"] == self.dataset_view(where)

    def list_datasets(self, region: str, identity: str, page_size: int) -> None:
        seen: list[dict[str, Any]] = []
        params: dict[str, Any] = {"IdentityPoolId": POOL, "IdentityId": identity, "MaxResults": page_size}
        while True:
            answer, error = self.call(region, "list_datasets", **params)
            assert answer is not None, error
            assert answer["Count"] == len(answer["Datasets"]) <= page_size
            seen.extend(answer["Datasets"])
            if "NextToken" not in answer:
                break
            params["NextToken"] = answer["NextToken"]
        assert seen == [self.dataset_view((region, identity, n)) for n in self.live_names(region, identity)]

    # -- usage -----------------------------------------------------------------------------

    def identity_storage(self, region: str, identity: str) -> int:
        return sum(self.datasets[(region, identity, n)].storage() for n in self.live_names(region, identity))

    def describe_identity_usage(self, region: str, identity: str) -> None:
        answer, error = self.call(region, "describe_identity_usage", IdentityPoolId=POOL, IdentityId=identity)
        if (region, identity) not in self.identity_modified:  # reads never make an identity known
            self.same_error(error, Refused("ResourceNotFoundException"))
            return
        assert answer is not None, error
        assert answer["IdentityUsage"] == {
            "IdentityId": identity,
            "IdentityPoolId": POOL,
            "LastModifiedDate": self.identity_modified[(region, identity)],
            "DatasetCount": len(self.live_names(region, identity)),
            "DataStorage": self.identity_storage(region, identity),
        }

    def pool_usage(self, region: str) -> dict[str, Any]:
        return {
            "IdentityPoolId": POOL,
            "SyncSessionsCount": self.sessions[region],
            "DataStorage": sum(self.identity_storage(region, i) for i in IDENTITIES),
            "LastModifiedDate": self.pool_modified[region],
        }

    def describe_identity_pool_usage(self, region: str) -> None:
        answer, error = self.call(region, "describe_identity_pool_usage", IdentityPoolId=POOL)
        if region not in self.pool_modified:
            self.same_error(error, Refused("ResourceNotFoundException"))
            return
        assert answer is not None, error
        assert answer["IdentityPoolUsage"] == self.pool_usage(region)

    def list_identity_pool_usage(self, region: str) -> None:
        answer, error = self.call(region, "list_identity_pool_usage")
        assert answer is not None, error
        expected = [self.pool_usage(region)] if region in self.pool_modified else []
        assert (answer["IdentityPoolUsages"], answer["Count"]) == (expected, len(expected))

    # -- time ------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1, 59, 150, 299, 300, 301, 3600]))
    def advance_clock(self, seconds: int) -> None:
        self.clock.shift(dt.timedelta(seconds=seconds))
        self.now += dt.timedelta(seconds=seconds)


CognitoSyncModel.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestReferenceModel = CognitoSyncModel.TestCase
