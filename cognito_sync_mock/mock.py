"""Activation: ``mock_cognito_sync`` as decorator, context manager and start/stop.

Every way in goes through ``start``/``stop``. Activations nest: the outermost one makes
a fresh State and installs the hook, inner ones share that State, and the mock is off
again only when the last activation still open stops. Each activation removes its own
entry, so stopping out of order leaves the others intact.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from . import interception
from .api import StateAPI
from .state import State, read_state

if TYPE_CHECKING:
    from unittest import TestCase

_T = TypeVar("_T")

_lock = threading.RLock()
_open: list[object] = []  # one entry per open activation, of any mock object
_shared: State | None = None


class mock_cognito_sync(StateAPI):  # noqa: N801 - lowercase, like the decorators it sits beside
    """Mock AWS Cognito Sync for every botocore client in the process.

    Use it bare or with options as a decorator (functions, coroutine functions, classes),
    as a context manager, or through ``start()`` / ``stop()``.
    """

    def __new__(cls, func: Any = None, /, **options: Any) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__(**options)  # type: ignore[misc]
        return self(func)

    def __init__(
        self,
        func: None = None,
        /,
        *,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        state: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    ) -> None:
        self._seed = read_state(state)
        State(account_id, strict, limits).restore(self._seed or {})  # fail now, not at start
        self._account_id, self._strict, self._limits = account_id, strict, limits
        self._entries: list[object] = []
        self._state: State | None = None

    # -- activation --------------------------------------------------------------------

    def start(self) -> mock_cognito_sync:
        """Activate the mock (nested in any activation already open)."""
        global _shared
        with _lock:
            if _shared is None:
                _shared = State(self._account_id, self._strict, self._limits)
                if self._seed is not None:
                    _shared.restore(self._seed)
                interception.install(_shared)
            entry = object()
            _open.append(entry)
            self._entries.append(entry)
            self._state = _shared
        return self

    def stop(self) -> None:
        """End this object's latest activation; the last one open turns the mock off."""
        global _shared
        with _lock:
            if not self._entries:
                raise RuntimeError("mock_cognito_sync.stop() called without a matching start()")
            entry = self._entries.pop()
            _open.remove(entry)
            if not _open:
                interception.uninstall()
                _shared = None

    def __enter__(self) -> mock_cognito_sync:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, target: _T) -> _T:
        """Decorate a class, a coroutine function or a plain function."""
        if isinstance(target, type):
            return self._decorate_class(target)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(target):
            return self._decorate_coroutine(target)  # type: ignore[return-value]
        if callable(target):
            return self._decorate_function(target)  # type: ignore[return-value]
        raise TypeError(f"mock_cognito_sync cannot decorate {target!r}")

    def _decorate_function(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper

    def _decorate_coroutine(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return await func(*args, **kwargs)

        return wrapper

    def _decorate_class(self, cls: type) -> type:
        unittest = sys.modules.get("unittest")  # a TestCase means unittest is imported already
        if unittest is not None and issubclass(cls, unittest.TestCase):
            return self._decorate_test_case(cls)
        for name, member in list(vars(cls).items()):
            if not name.startswith("test"):
                continue
            if isinstance(member, (staticmethod, classmethod)):
                setattr(cls, name, type(member)(self(member.__func__)))
            elif callable(member):
                setattr(cls, name, self(member))
        return cls

    def _decorate_test_case(self, cls: type[TestCase]) -> type[TestCase]:
        """Active from setUpClass to tearDownClass; each test starts from setUpClass's state."""
        mock = self
        set_up_class = _inherited(cls, "setUpClass")
        tear_down_class = _inherited(cls, "tearDownClass")
        set_up = cls.setUp
        baseline: list[Any] = []

        def setUpClass(klass: type) -> None:  # noqa: N802 - unittest's name
            mock.start()
            try:
                set_up_class(klass)
                baseline[:] = [mock.state.copy()]
            except BaseException:
                mock.stop()
                raise

        def tearDownClass(klass: type) -> None:  # noqa: N802
            try:
                tear_down_class(klass)
            finally:
                mock.stop()

        @functools.wraps(set_up)
        def setUp(test: TestCase) -> None:  # noqa: N802
            if baseline and mock._entries:
                mock.state.put_back(baseline[0])
            set_up(test)

        cls.setUpClass = classmethod(setUpClass)  # type: ignore[assignment,method-assign]
        cls.tearDownClass = classmethod(tearDownClass)  # type: ignore[assignment,method-assign]
        cls.setUp = setUp  # type: ignore[assignment,method-assign]
        return cls

    # -- the state this object's activations use -----------------------------------------

    @property
    def state(self) -> State:
        """The State this object's activations use (kept after stop, for inspection)."""
        if self._state is None:
            raise RuntimeError("this mock_cognito_sync was never started")
        return self._state

    @property
    def active(self) -> bool:
        """Whether this object has an activation open."""
        return bool(self._entries)


def _inherited(cls: type, name: str) -> Callable[[type], None]:
    """A classmethod of ``cls`` as it was before decoration, callable for any subclass."""
    own = vars(cls).get(name)

    def call(klass: type) -> None:
        if own is not None:
            own.__get__(None, klass)()
        else:
            getattr(super(cls, klass), name)()

    return call
