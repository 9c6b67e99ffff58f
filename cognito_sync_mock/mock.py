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
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar, overload

from . import forks, interception
from .api import StateAPI
from .ids import check_seed
from .state import CALL_HISTORY, State, check_options, read_state

if TYPE_CHECKING:
    from unittest import TestCase

_D = TypeVar("_D", bound=Callable[..., Any])  # what a decorator takes and gives back: a function or a class
_C = TypeVar("_C", bound=type)
_Caller = Callable[[Optional[Callable[..., Any]], type], None]  # calls a class hook as a test framework does

_lock = forks.renewed(sys.modules[__name__], "_lock", threading.RLock)
_open: list[Activation] = []  # every open activation, of any mock object, oldest first
_shared: State | None = None


class Activation:
    """One open activation, and the mock object that opened it."""

    __slots__ = ("mock",)

    def __init__(self, mock: mock_cognito_sync) -> None:
        self.mock = mock


class mock_cognito_sync(StateAPI):  # lowercase, like the decorators it sits beside
    """Mock AWS Cognito Sync for every botocore client in the process.

    Use it bare or with options as a decorator (functions, coroutine functions, classes),
    as a context manager, or through ``start()`` / ``stop()``. Options: ``account_id``
    (default: ``$MOTO_ACCOUNT_ID``, else 123456789012), ``strict``, ``limits`` (numbers by
    ``Limits`` field name), ``state`` (a starting state: a snapshot, its short form or the
    path of a JSON file), ``call_history`` (how many calls ``calls`` keeps, 10,000 by
    default) and ``seed`` (a whole number: request IDs, device IDs, tokens and credentials
    come out the same in every run of the same calls).
    """

    _seed: Mapping[str, Any] | None
    _account_id: str | None
    _strict: bool
    _limits: Mapping[str, int] | None
    _call_history: int
    _ids_seed: int | None
    _entries: list[Activation]
    _state: State | None

    @overload
    def __new__(cls, func: _D, /) -> _D: ...  # type: ignore[misc]  # bare decorator: the target, decorated

    @overload
    def __new__(
        cls,
        func: None = None,
        /,
        *,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        state: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        call_history: int = CALL_HISTORY,
        seed: int | None = None,
    ) -> mock_cognito_sync: ...

    def __new__(
        cls,
        func: Callable[..., Any] | None = None,
        /,
        *,
        account_id: str | None = None,
        strict: bool = False,
        limits: Mapping[str, int] | None = None,
        state: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        call_history: int = CALL_HISTORY,
        seed: int | None = None,
    ) -> Any:
        # Options are taken here, with no __init__, so that type checkers read this
        # signature, overloads and all: bare, @mock_cognito_sync returns what it decorates.
        self = super().__new__(cls)
        self._seed = read_state(state)
        check_options(account_id, limits, call_history)  # fail now, not at start
        self._ids_seed = check_seed(seed)
        if self._seed is not None:
            State(account_id, strict, limits, call_history).restore(self._seed)
        self._account_id, self._strict, self._limits = account_id, strict, limits
        self._call_history = call_history
        self._entries, self._state = [], None
        return self if func is None else self(func)

    # -- activation --------------------------------------------------------------------

    def start(self) -> mock_cognito_sync:
        """Activate the mock (nested in any activation already open)."""
        global _shared
        with _lock:
            if _shared is None:
                _shared = State(self._account_id, self._strict, self._limits, self._call_history, seed=self._ids_seed)
                if self._seed is not None:
                    _shared.restore(self._seed)
                interception.install(_shared)
            entry = Activation(self)
            _open.append(entry)
            self._entries.append(entry)
            self._state = _shared
        return self

    def stop(self) -> None:
        """End this object's latest activation; the last one open turns the mock off."""
        with _lock:
            if not self._entries:
                raise RuntimeError("mock_cognito_sync.stop() called without a matching start()")
            close_activation(self._entries[-1])

    def __enter__(self) -> mock_cognito_sync:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, target: _D) -> _D:
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
        return self._decorate_pytest_hooks(cls)

    def _decorate_pytest_hooks(self, cls: type) -> type:
        """Active from setup_class to teardown_class, and per test from setup_method to teardown_method.

        These are the hooks pytest calls on a plain class; each calls the hook of that name
        the class had or inherited (nose-style ``setup``/``teardown`` where pytest still
        calls those), as pytest would have. A test's set-up, body and tear-down share one
        state, which starts from what setup_class stored.
        """
        scope = _ClassScope(self)
        names = 2 if _pytest_calls_nose_names() else 1  # the names pytest tries for a per-test hook
        set_up, tear_down = (
            _hook(cls, *("setup_method", "setup")[:names]),
            _hook(cls, *("teardown_method", "teardown")[:names]),
        )

        def setup_method(test: object, method: object = None) -> None:
            scope.rewind()
            _start_with(self, lambda: _call_hook(set_up(test), method))

        def teardown_method(test: object, method: object = None) -> None:
            _stop_after(self, lambda: _call_hook(tear_down(test), method))

        hooks = scope.hooks(cls, "setup_class", "teardown_class", _call_class_hook)
        return _install(cls, {**hooks, "setup_method": setup_method, "teardown_method": teardown_method})

    def _decorate_test_case(self, cls: type[TestCase]) -> type[TestCase]:
        """Active from setUpClass to tearDownClass; each test starts from setUpClass's state."""
        scope = _ClassScope(self)
        set_up = cls.setUp

        @functools.wraps(set_up)
        def setUp(test: TestCase) -> None:  # unittest's name
            scope.rewind()
            set_up(test)

        return _install(cls, {**scope.hooks(cls, "setUpClass", "tearDownClass", _call_bound), "setUp": setUp})

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


def open_activations() -> list[Activation]:
    """Every activation open now, of any mock object, oldest first."""
    with _lock:
        return list(_open)


def close_activation(entry: Activation) -> None:
    """End one activation, whichever mock object opened it; the last one open turns the mock off."""
    global _shared
    with _lock:
        if entry not in _open:
            return
        _open.remove(entry)
        entry.mock._entries.remove(entry)
        if not _open:
            interception.uninstall()
            _shared = None


class _ClassScope:
    """A decorated class's activation, from its class set-up hook to its class tear-down hook.

    What the class set-up stored is each test's starting point: ``rewind`` puts it back.
    """

    def __init__(self, mock: mock_cognito_sync) -> None:
        self._mock = mock
        self._baseline: tuple[Any, ...] | None = None

    def hooks(self, cls: type, set_up_name: str, tear_down_name: str, call: _Caller) -> dict[str, object]:
        """The class hooks of these names: they open and close the scope around ``cls``'s own,
        which they ``call`` with the class, as the test framework would."""
        set_up, tear_down = _hook(cls, set_up_name), _hook(cls, tear_down_name)

        def open_scope(klass: type) -> None:
            def set_up_and_keep() -> None:
                call(set_up(klass), klass)
                self._baseline = self._mock.state.checkpoint()

            _start_with(self._mock, set_up_and_keep)

        def close_scope(klass: type) -> None:
            self._baseline = None
            _stop_after(self._mock, lambda: call(tear_down(klass), klass))

        return {set_up_name: classmethod(open_scope), tear_down_name: classmethod(close_scope)}

    def rewind(self) -> None:
        """Put back what the class set-up stored (nothing to do when the scope is not open)."""
        if self._baseline is not None:
            self._mock.state.rewind(self._baseline)


def _start_with(mock: mock_cognito_sync, set_up: Callable[[], object]) -> None:
    """Start ``mock`` and run ``set_up`` under it; stop again if it raises (no tear-down follows)."""
    mock.start()
    try:
        set_up()
    except BaseException:
        mock.stop()
        raise


def _stop_after(mock: mock_cognito_sync, tear_down: Callable[[], object]) -> None:
    """Run ``tear_down`` under ``mock``, then stop it, also when ``tear_down`` raises."""
    try:
        tear_down()
    finally:
        mock.stop()


def _install(cls: _C, hooks: Mapping[str, object]) -> _C:
    for name, hook in hooks.items():
        setattr(cls, name, hook)
    return cls


def _hook(cls: type, *names: str) -> Callable[[object], Callable[..., Any] | None]:
    """The first of ``names`` that ``cls`` had or inherited before decoration, bound to a
    subclass or an instance of ``cls`` when it is looked up (None when there is none)."""
    own = {name: vars(cls)[name] for name in names if name in vars(cls)}

    def lookup(obj: object) -> Callable[..., Any] | None:
        owner = obj if isinstance(obj, type) else type(obj)
        for name in names:
            if name in own:
                bound: Callable[..., Any] = own[name].__get__(None if obj is owner else obj, owner)
                return bound
            inherited: Callable[..., Any] | None = getattr(super(cls, obj), name, None)
            if inherited is not None:
                return inherited
        return None

    return lookup


def _call_hook(hook: Callable[..., Any] | None, arg: object) -> None:
    """Call a set-up or tear-down hook as pytest does: with ``arg`` if it takes an argument."""
    if hook is not None:
        if hook.__code__.co_argcount - inspect.ismethod(hook):
            hook(arg)
        else:
            hook()


def _call_class_hook(hook: Callable[..., Any] | None, klass: object) -> None:
    """Call setup_class or teardown_class as pytest does: its function, with the class if it takes it."""
    _call_hook(getattr(hook, "__func__", hook), klass)


def _call_bound(hook: Callable[..., Any] | None, _klass: object) -> None:
    """Call setUpClass or tearDownClass as unittest does: bound, with no argument."""
    if hook is not None:
        hook()


def _pytest_calls_nose_names() -> bool:
    """Whether pytest calls nose-style ``setup``/``teardown`` methods (before pytest 8, nose plugin on)."""
    return "_pytest.nose" in sys.modules
