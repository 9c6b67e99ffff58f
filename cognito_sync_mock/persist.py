"""A state file that a crash can never tear: the server's ``--state FILE``.

Each save writes the whole document to ``FILE.tmp-<pid>`` beside FILE, flushes it to disk
(``fsync``), renames it over FILE (``os.replace``, atomic on POSIX and Windows) and then
flushes the directory, so that the rename itself is on disk. A process killed at any
moment (SIGKILL, power loss after the fsync) leaves FILE either as it was or as it
became, never half written; at worst a ``FILE.tmp-<pid>`` is left behind, which the next
``load`` removes.

Saves are serialized, and ``commit`` lets concurrent callers share one write: a caller
whose change is already in a save that began after it made its change does not write
again (group commit), so many threads cost fewer writes than requests. ``commit`` also
skips the write when the document is byte for byte the one last written (a read, a
refused request): only a real change costs a write and its fsyncs.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable

from . import forks
from .snapshot import SnapshotError

_LEFTOVER = re.compile(r"\.tmp-(\d+)")


class StateFile:
    """One JSON state file: ``load`` it at start, ``save`` or ``commit`` after each change."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)  # as given: what messages name
        self.target = Path(os.path.realpath(path))  # through a symlink, the file it points to is replaced
        self._save_lock = forks.renewed(self, "_save_lock", threading.Lock)  # one save at a time
        self._count_lock = forks.renewed(self, "_count_lock", threading.Lock)
        self._changes = 0  # changes announced to ``commit``
        self._saved = 0  # changes known to be in the file
        self._last: bytes | None = None  # what this object last wrote (the file holds it)

    @property
    def temporary(self) -> Path:
        """Where this process writes before the rename: ``FILE.tmp-<pid>`` in FILE's directory."""
        return self.target.with_name(f"{self.target.name}.tmp-{os.getpid()}")

    def load(self) -> Any | None:
        """The document in the file (None when there is none), after removing dead writers' leftovers."""
        self.remove_leftovers()
        try:
            data = self.target.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise SnapshotError(f"{self.path}: not valid JSON: {error}") from None

    def save(self, document: Any) -> None:
        """Write ``document`` as the whole file, atomically and durably (temporary file, fsync, rename).

        For a state that may change meanwhile use ``save_now(dump)``: it dumps under the lock,
        so an older document can never be written after a newer one.
        """
        data = _encode(document)
        with self._save_lock:
            self._write(data)

    def save_now(self, dump: Callable[[], Any]) -> Any:
        """Write ``dump()`` now, even if the file already holds it; return the document written."""
        with self._save_lock:
            with self._count_lock:
                covered = self._changes
            document = dump()
            self._write(_encode(document))
            self._saved = max(self._saved, covered)
            return document

    def commit(self, dump: Callable[[], Any]) -> bool:
        """After a possible change, make the file hold ``dump()``; True when that took a write.

        Call it once the change is complete; when it returns, the change is on disk. No write
        when a save begun since the change already holds it, or when nothing differs.
        """
        with self._count_lock:
            self._changes += 1
            change = self._changes
        with self._save_lock:
            if self._saved >= change:
                return False  # a save that started after this change was made has written it
            with self._count_lock:
                covered = self._changes  # every change counted so far is complete, so dump() holds it
            data = _encode(dump())
            wrote = data != self._last
            if wrote:
                self._write(data)
            self._saved = covered
            return wrote

    def remove_leftovers(self) -> list[Path]:
        """Remove ``FILE.tmp-<pid>`` files whose writer is this process or no longer runs."""
        removed: list[Path] = []
        prefix = self.target.name
        try:
            names = os.listdir(self.target.parent)
        except FileNotFoundError:
            return removed
        for name in names:
            match = _LEFTOVER.fullmatch(name[len(prefix) :]) if name.startswith(prefix) else None
            if match is None:
                continue
            pid = int(match.group(1))
            if pid != os.getpid() and _running(pid):
                continue  # another live process may be writing it
            leftover = self.target.with_name(name)
            try:
                leftover.unlink()
            except FileNotFoundError:
                continue
            removed.append(leftover)
        return removed

    def _write(self, data: bytes) -> None:
        temporary = self.temporary
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.target)
        except BaseException:
            try:
                temporary.unlink()
            except OSError:
                pass
            raise
        self._last = data  # renamed: the file holds it (even if the directory fsync below fails)
        _sync_directory(self.target.parent)

    def __repr__(self) -> str:
        return f"<StateFile {self.path}>"


def _encode(document: Any) -> bytes:
    """Compact ASCII JSON (a lone surrogate in a value is kept, escaped)."""
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def _sync_directory(directory: Path) -> None:
    """Flush a directory entry change (the rename) to disk, where the platform allows it."""
    if os.name != "posix":  # Windows cannot open a directory; its rename is flushed with the file
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _running(pid: int) -> bool:
    """Whether a process with this ID exists (a leftover of a live writer must stay)."""
    if os.name != "posix":  # on Windows os.kill(pid, 0) would end the process: keep the leftover
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
