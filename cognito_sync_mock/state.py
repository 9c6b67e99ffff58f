"""What one activation of the mock (and every activation nested in it) shares.

The backends of each (account, region), the record of answered calls, and the
dispatcher that takes a parsed request to the right backend method: the engine that
glues the protocol to the domain, and plugs ``integrations.moto`` into the domain's and
the channels' hooks.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import string
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

from . import forks, protocol, rules, snapshot
from .backend import Backend, Limits
from .backend.operations import OPERATIONS, READS
from .channels import SideChannels
from .channels.push import Outbox
from .channels.streams import Streams
from .channels.triggers import Triggers
from .exceptions import NotAuthorizedError, error_for_code
from .ids import Ids
from .integrations import moto
from .names import snake
from .protocol import Request, Response

DEFAULT_ACCOUNT_ID = "123456789012"
_KEY_ALPHABET = string.ascii_uppercase + string.digits
NOT_VALID_CREDENTIALS = "These credentials are not valid for accessing this resource"
MAX_INJECTED_ERRORS = 1000  # per inject_error call, and pending for one operation in all
MAX_INJECTED_MESSAGE = 4096  # characters of an injected error's message
CALL_HISTORY = 10_000  # calls kept by default; older ones are dropped


class IdentityKey(NamedTuple):
    """Whom an access key minted by ``identity_credentials`` stands for."""

    account_id: str
    region: str
    identity_pool_id: str
    identity_id: str


class Call(NamedTuple):
    """One operation the mock answered: what was asked, how it was answered, who signed it and when."""

    operation: str
    params: dict[str, Any]
    error: str | None  # the error code, None when it succeeded
    status: int  # the HTTP status of the answer
    caller: str  # "identity" (keys minted for an identity), "developer" (any other keys) or "unsigned"
    time: _dt.datetime  # when it was answered, in UTC (freezegun and time-machine move it, as the mock's dates)
    number: int  # 1 for the first call the State answered, and so on; a reset does not restart the count


@dataclass
class Fault:
    """Errors injected by one ``inject_error`` call: code, message and how many calls they still fail."""

    code: str
    message: str
    remaining: int


class State:
    """Backends keyed by (account, region), the last ``call_history`` calls answered, and the options.

    ``ids`` makes every value the state makes up (random, or the sequence of ``seed``).
    ``hosts_moto``: a server hosting moto's WSGI application in this process, whose State sees
    moto's backends at all times (else only while moto's mock is active).
    """

    def __init__(
        self,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        call_history: int = CALL_HISTORY,
        hosts_moto: bool = False,
        seed: int | None = None,
    ) -> None:
        self.account_id, self.limits = check_options(account_id, limits, call_history)
        self.strict = strict
        self.moto = moto.HOSTED if hosts_moto else moto.IN_PROCESS  # moto's backends, and when they count
        self.ids = Ids(seed)
        self.lock = forks.renewed(self, "lock", threading.Lock)
        self.backends: dict[tuple[str, str], Backend] = {}
        self.calls: deque[Call] = deque(maxlen=call_history)  # read and written under the lock
        self.answered = 0  # the number of the last call answered: the numbers only grow
        self.channels = SideChannels(
            triggers=Triggers(self.ids),
            streams=Streams(self.moto.streams, self.ids),
            outbox=Outbox(self.moto.push),
        )
        self.faults: dict[str, deque[Fault]] = {}
        self.identity_keys: dict[str, IdentityKey] = {}
        self.account_keys: dict[str, str] = {}

    def backend(self, region: str = protocol.DEFAULT_REGION, account_id: str | None = None) -> Backend:
        """The live backend of an account and region, made on first use."""
        key = (account_id or self.account_id, region)
        backend = self.backends.get(key)
        if backend is None:
            rules.ACCOUNT_ID.check(key[0], "account_id")  # a request's are valid: this is for the mock's API
            rules.REGION.check(region, "region")
            with self.lock:
                backend = self.backends.get(key)
                if backend is None:
                    backend = self.backends[key] = self.new_backend(*key)
        return backend

    def new_backend(self, account_id: str, region: str) -> Backend:
        """An empty backend of this state's options, side channels and directory (not kept)."""
        return Backend(
            account_id, region, self.strict, self.limits, self.channels, self.moto.directory, rules.FORMS, self.ids
        )

    def reset(self) -> None:
        """Forget every backend, call, stream record, push notification and injected fault.

        A seeded state's generated values start again from the seed, as in a fresh run.
        """
        with self.lock:
            self.backends = {}
            self.calls = deque(maxlen=self.calls.maxlen)
            self.faults = {}
            self.identity_keys = {}
            self.account_keys = {}
            self.ids.restart()
        self.channels.clear()

    def checkpoint(self) -> tuple[Any, ...]:
        """A deep copy of everything a test may change, for ``rewind`` (a test class's baseline).

        It holds how far a seeded sequence of generated values went, too.
        """
        with self.lock:
            parts = (self.backends, self.calls, self.faults, self.identity_keys, self.account_keys)
            return (*copy.deepcopy(parts, self._shared()), self.ids.position())

    def rewind(self, saved: tuple[Any, ...]) -> None:
        """Replace what ``checkpoint`` saved with a fresh copy of it."""
        parts = copy.deepcopy(saved[:-1], self._shared())
        with self.lock:
            self.backends, self.calls, self.faults, self.identity_keys, self.account_keys = parts
            self.ids.resume(saved[-1])

    def _shared(self) -> dict[int, Any]:
        """What the backends' copies share with the live ones (a deep copy's memo)."""
        return {id(self.channels): self.channels, id(self.ids): self.ids}

    def seed_ids(self, seed: int | None) -> None:
        """Make the generated values the sequence of ``seed`` from now on (None: random again).

        Tokens issued before no longer open anything, as after a restart.
        """
        with self.lock:
            self.ids.reseed(seed)

    def request_id(self) -> str:
        """A fresh ``x-amzn-RequestId`` (the protocol's dispatcher makes them)."""
        return self.ids.request_id()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a JSON-serializable dict (see ``snapshot.dump``)."""
        return snapshot.dump(dict(self.backends))

    def restore(self, document: Any) -> None:
        """Replace every backend with those of a snapshot (or the short form); all or nothing."""
        self.install(self.load(document))

    def load(self, document: Any) -> dict[tuple[str, str], Backend]:
        """New backends of this state's options from a snapshot (or the short form); nothing is replaced."""
        return snapshot.load(document, self.account_id, self.new_backend)

    def install(self, backends: dict[tuple[str, str], Backend]) -> None:
        """Put ``backends`` in place of every backend."""
        with self.lock:
            self.backends = backends

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request and record the call."""
        return self.record(request, protocol.handle(request, self))

    def record(self, request: Request, response: Response) -> Response:
        """Add an answered call to ``calls`` (the oldest one kept drops out when the history is full)."""
        if response.operation is None:
            return response
        operation, params, error = response.operation, response.params or {}, response.error
        caller, moment = self.caller(request.access_key), _dt.datetime.now(_dt.timezone.utc)  # freezegun moves it
        with self.lock:
            self.answered += 1
            self.calls.append(Call(operation, params, error, response.status, caller, moment, self.answered))
        return response

    def caller(self, access_key: str | None) -> str:
        """Who signed a request: ``identity`` (keys minted for an identity), ``developer`` or ``unsigned``."""
        if access_key is None:
            return "unsigned"
        return "identity" if access_key in self.identity_keys else "developer"

    def authorize(self, operation: str, labels: dict[str, str], request: Request) -> None:
        """In strict mode, enforce which credentials may call what (the table of operations), before anything else."""
        if not self.strict:
            return
        caller = self.identity_keys.get(request.access_key or "")
        callers = OPERATIONS[operation].callers
        if caller is None:
            allowed = callers != "identity"
        else:
            allowed = (
                callers != "developer"
                and labels.get("IdentityPoolId") == caller.identity_pool_id
                and labels.get("IdentityId") == caller.identity_id
                and request.region == caller.region
            )
        if not allowed:
            raise NotAuthorizedError(NOT_VALID_CREDENTIALS)

    def dispatch(self, operation: str, params: dict[str, Any], request: Request) -> dict[str, Any]:
        """Run a validated operation on the backend of the request's account and region."""
        self._injected_fault(operation)
        key = (self.account_for(request.access_key), request.region)
        backend = self.backends.get(key)
        if backend is None:  # a read of a region never written answers from an empty backend, not kept
            backend = self.new_backend(*key) if operation in READS else self.backend(key[1], key[0])
        kwargs = {snake(name): value for name, value in params.items()}
        if OPERATIONS[operation].trigger:  # whether it runs depends on who signed
            kwargs["by_identity"] = (request.access_key or "") in self.identity_keys
        result: dict[str, Any] = getattr(backend, snake(operation))(**kwargs)
        return result

    def account_for(self, access_key: str | None) -> str:
        """The account a request's access key belongs to (the mock's own by default)."""
        caller = self.identity_keys.get(access_key or "")
        if caller is not None:
            return caller.account_id
        return self.account_keys.get(access_key or "", self.account_id)

    def identity_credentials(
        self, identity_pool_id: str, identity_id: str, region: str, account_id: str | None = None
    ) -> dict[str, str]:
        """Mint Cognito Identity credentials for an identity, and make the identity known."""
        account = account_id or self.account_id
        rules.POOL_ID.check(identity_pool_id, "identity_pool_id")
        rules.IDENTITY_ID.check(identity_id, "identity_id")
        self.backend(region, account).register_identity(identity_pool_id, identity_id)
        ids = self.ids
        with self.lock:
            access_key = "ASIA" + ids.choices(_KEY_ALPHABET, 16)
            while access_key in self.identity_keys:  # a seed's sequence repeats when seeded again
                access_key = "ASIA" + ids.choices(_KEY_ALPHABET, 16)
            self.identity_keys[access_key] = IdentityKey(account, region, identity_pool_id, identity_id)
            secret_key, session_token = ids.text(30), ids.text(96)
        return {
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "aws_session_token": session_token,
        }

    def map_access_key(self, access_key_id: str, account_id: str) -> None:
        """Put requests signed with a developer access key in another account."""
        rules.ACCESS_KEY_ID.check(access_key_id, "access_key_id")
        rules.ACCOUNT_ID.check(account_id, "account_id")
        with self.lock:
            self.account_keys[access_key_id] = account_id

    def inject_error(self, operation: str, code: str, message: str | None, times: int) -> None:
        """Make the next ``times`` calls of ``operation`` fail with ``code``, which it must model.

        ``times`` is at most ``MAX_INJECTED_ERRORS``, and so are the errors pending for one
        operation in all: an injection costs one entry, whatever its ``times``.
        """
        model = protocol.service().operations.get(operation)
        if model is None:
            raise ValueError(f"Cognito Sync has no operation {operation!r}")
        if code not in model.errors:
            raise ValueError(f"{operation} does not model {code!r}; it models {sorted(model.errors)}")
        if isinstance(times, bool) or not isinstance(times, int):
            raise ValueError(f"times must be a whole number, not {type(times).__name__}")
        if not 1 <= times <= MAX_INJECTED_ERRORS:
            raise ValueError(f"times must be between 1 and {MAX_INJECTED_ERRORS}, not {times}")
        if message is not None and len(message) > MAX_INJECTED_MESSAGE:
            raise ValueError(f"message must be at most {MAX_INJECTED_MESSAGE} characters, not {len(message)}")
        fault = Fault(code, message or f"Injected {code} for {operation}", times)
        with self.lock:
            faults = self.faults.setdefault(operation, deque())
            pending = sum(f.remaining for f in faults)
            if pending + times > MAX_INJECTED_ERRORS:
                raise ValueError(
                    f"{operation} has {pending} injected errors pending; {times} more would pass "
                    f"the limit of {MAX_INJECTED_ERRORS}"
                )
            faults.append(fault)

    def _injected_fault(self, operation: str) -> None:
        if not self.faults.get(operation):
            return
        with self.lock:
            faults = self.faults.get(operation)
            if not faults:
                return
            fault = faults[0]
            fault.remaining -= 1
            if not fault.remaining:
                faults.popleft()
        raise error_for_code(fault.code, fault.message)


def check_options(account_id: str | None, limits: Mapping[str, int] | None, call_history: int) -> tuple[str, Limits]:
    """The account and limits a State of these options has; a ValueError for a bad option."""
    if isinstance(call_history, bool) or not isinstance(call_history, int) or call_history < 0:
        raise ValueError(f"call_history must be a whole number of calls, 0 or more, not {call_history!r}")
    return default_account(account_id), Limits.from_mapping(limits)


def default_account(account_id: str | None) -> str:
    """The mock's account: the option given, else ``$MOTO_ACCOUNT_ID``, else 123456789012; 12 digits."""
    if account_id:
        return rules.ACCOUNT_ID.check(account_id, "account_id")
    from_moto = moto.account_id()
    if from_moto:
        return rules.ACCOUNT_ID.check(from_moto, "MOTO_ACCOUNT_ID")
    return DEFAULT_ACCOUNT_ID


def read_state(state: Mapping[str, Any] | str | os.PathLike[str] | None) -> Mapping[str, Any] | None:
    """A seed given as a dict, or as the path of a JSON file (read now, so errors show at once)."""
    if state is None or isinstance(state, Mapping):
        return state
    with open(state, encoding="utf-8") as file:
        try:
            document: Mapping[str, Any] = json.load(file)
        except ValueError as error:
            raise snapshot.SnapshotError(f"{state}: not valid JSON: {error}") from None
    return document
