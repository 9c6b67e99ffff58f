"""Every value the mock makes up, from one source per State: ``Ids``.

Request IDs, device IDs, the key that seals tokens, minted credentials, trigger request
IDs, stream payload IDs. Unseeded, they come from the operating system's randomness, so
tokens and credentials cannot be guessed and no two processes repeat each other; seeded,
from ``random.Random(seed)``, so the same calls in the same order make the same values in
every run. Times are not made here: they stay the clock's.
"""

from __future__ import annotations

import base64
import itertools
import random
import uuid
from typing import Any, Iterator

from . import forks

MAX_SEED = 2**64 - 1
_SYSTEM = random.SystemRandom()  # no state of its own: os.urandom at every draw, in any process
_COUNTER_MASK = 0xFFFFFFFFFFFF


def check_seed(seed: Any) -> int | None:
    """A seed as ``Ids`` takes it: None, or a whole number from 0 to 2**64 - 1; ValueError if not."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"a seed is a whole number from 0 to {MAX_SEED}, not {type(seed).__name__}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"a seed is a whole number from 0 to {MAX_SEED}, not {seed}")
    return seed


class Ids:
    """The generated values of one State: a sequence of ``seed``'s, or the OS's when it is None.

    ``restart`` begins a seed's sequence again (``reset`` does); ``position`` and ``resume``
    save and put back how far it went (a test class's baseline). A forked child of an
    unseeded source makes values of its own; a seeded one goes on with its parent's sequence.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Begin the sequence of ``seed`` (None: the OS's randomness); the token key changes with it."""
        self.seed = check_seed(seed)
        if self.seed is None:
            self._random: random.Random = _SYSTEM
            self._prefix = forks.renewed(self, "_prefix", _system_prefix)
            self._counter = forks.renewed(self, "_counter", _system_counter)
        else:
            self._random = random.Random(self.seed)
            forks.forget(self, "_prefix")
            forks.forget(self, "_counter")
            self._prefix, self._counter = _prefix(self._random), _counter(self._random)
        self.secret = self.bytes(32)
        self._serials = itertools.count(1)

    def restart(self) -> None:
        """Begin a seeded sequence again from its seed; an unseeded source has none to repeat."""
        if self.seed is not None:
            self.reseed(self.seed)

    def position(self) -> tuple[Any, ...] | None:
        """How far a seeded sequence went, for ``resume`` (None when unseeded)."""
        if self.seed is None:
            return None
        count, serial = next(self._counter), next(self._serials)  # read by taking: put them back
        self._counter, self._serials = itertools.count(count), itertools.count(serial)
        return (self.seed, self._random.getstate(), self._prefix, count, self.secret, serial)

    def resume(self, position: tuple[Any, ...] | None) -> None:
        """Go on from a ``position`` (None: nothing to do); the seed is the position's."""
        if position is None:
            return
        seed, state, prefix, count, secret, serial = position
        self.reseed(seed)
        self._random.setstate(state)
        self._prefix, self._counter, self.secret = prefix, itertools.count(count), secret
        self._serials = itertools.count(serial)

    def request_id(self) -> str:
        """A fresh ``x-amzn-RequestId``: a version 4 UUID whose last 12 digits count up."""
        return f"{self._prefix}{next(self._counter) & _COUNTER_MASK:012x}"

    def serial(self) -> int:
        """The next of 1, 2, 3...: tells apart values made at the same moment from the same inputs."""
        return next(self._serials)

    def bytes(self, size: int) -> bytes:
        """``size`` random bytes."""
        return self._random.randbytes(size)

    def uuid4(self) -> uuid.UUID:
        """A random version 4 UUID."""
        return uuid.UUID(bytes=self.bytes(16), version=4)

    def text(self, size: int) -> str:
        """``size`` random bytes as URL-safe base64 without padding (as ``secrets.token_urlsafe``)."""
        return base64.urlsafe_b64encode(self.bytes(size)).rstrip(b"=").decode("ascii")

    def choices(self, alphabet: str, length: int) -> str:
        """``length`` characters drawn from ``alphabet``."""
        return "".join(self._random.choices(alphabet, k=length))


def _prefix(source: random.Random) -> str:
    """The first 20 digits of a version 4 UUID, with its dashes, from 10 random bytes."""
    h = source.randbytes(10).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"


def _counter(source: random.Random) -> Iterator[int]:
    return itertools.count(int.from_bytes(source.randbytes(5), "big"))


def _system_prefix() -> str:
    return _prefix(_SYSTEM)


def _system_counter() -> Iterator[int]:
    return _counter(_SYSTEM)
