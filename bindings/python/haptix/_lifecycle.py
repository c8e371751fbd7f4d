"""Handle ownership: calls that may not race with `_free`, finalizers, and exit.

The C ABI allows every call from any thread except `_free`, which must not race with other calls
on the same handle. `NativeHandle` enforces that: calls run inside `use()` and `free()` waits until
none is running (the binding's own blocking calls are bounded, so the wait is short).

Finalizers (objects collected without `close()`) never free inline: the garbage collector can
run them on any thread, including one that is inside this package holding a lock. They hand the
work to a reaper thread instead. At interpreter exit everything still open is closed in order:
clients, servers, then contexts.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

from .errors import Closed

log = logging.getLogger("haptix")


class NativeHandle:
    """A native pointer plus the guard that keeps `_free` from racing other calls."""

    def __init__(self, pointer: int, free_fn: Callable[[int], None], kind: str) -> None:
        self._pointer: Optional[int] = pointer
        self._free_fn = free_fn
        self.kind = kind
        self._cv = threading.Condition(threading.Lock())
        self._active = 0
        self._closing = False

    @property
    def closed(self) -> bool:
        """Whether closing has started (new calls are refused)."""
        return self._closing

    @property
    def active(self) -> int:
        """How many calls are running on the pointer."""
        with self._cv:
            return self._active

    @contextmanager
    def use(self, closing: bool = False) -> Iterator[int]:
        """The pointer, valid until the block ends; Closed once freeing has started (with
        `closing=True`: once it is freed, for the call that unblocks the others)."""
        with self._cv:
            if (self._closing and not closing) or self._pointer is None:
                raise Closed(2, f"the {self.kind} is closed")
            self._active += 1
            pointer = self._pointer
        try:
            yield pointer
        finally:
            with self._cv:
                self._active -= 1
                if self._active == 0:
                    self._cv.notify_all()

    def mark_closing(self) -> None:
        """Refuses new calls from now on (running ones finish)."""
        with self._cv:
            self._closing = True

    def free(self) -> bool:
        """Frees the pointer once running calls have finished. Idempotent; True if it freed."""
        with self._cv:
            self._closing = True
            while self._active > 0:
                self._cv.wait()
            pointer, self._pointer = self._pointer, None
        if pointer is None:
            return False
        self._free_fn(pointer)
        return True


class _Reaper:
    """One daemon thread that runs finalizer work outside the garbage collector's context."""

    def __init__(self) -> None:
        self._queue: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def submit(self, work: Callable[[], None]) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="haptix-reaper", daemon=True)
                self._thread.start()
        self._queue.put(work)

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            try:
                work()
            except Exception:  # a finalizer must not kill the reaper
                log.exception("haptix: error while releasing a collected object")
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()

    def drain(self, timeout: Optional[float] = None) -> bool:
        """Waits until submitted work has run; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


reaper = _Reaper()


def finalize_later(owner: object, work: Callable[[], None]) -> "weakref.finalize[Any, Any]":
    """Runs `work` on the reaper thread once `owner` is collected. `work` must not reference
    `owner`. The returned finalizer is detached by an explicit close."""
    finalizer = weakref.finalize(owner, reaper.submit, work)
    finalizer.atexit = False  # exit is handled by _close_all_at_exit, in order
    return finalizer


# Objects with a close() to call at exit, by rank (clients 0, servers 1, contexts 2).
_live: "list[weakref.WeakSet[object]]" = [weakref.WeakSet(), weakref.WeakSet(), weakref.WeakSet()]
_live_lock = threading.Lock()
CLIENT, SERVER, CONTEXT = 0, 1, 2


def track(obj: object, rank: int) -> None:
    with _live_lock:
        _live[rank].add(obj)


def untrack(obj: object, rank: int) -> None:
    with _live_lock:
        _live[rank].discard(obj)


def live_count() -> int:
    """How many native objects of this package are still open (for tests and diagnostics)."""
    with _live_lock:
        return sum(len(s) for s in _live)


@atexit.register
def _close_all_at_exit() -> None:
    for rank in (CLIENT, SERVER, CONTEXT):
        with _live_lock:
            objects = list(_live[rank])
        for obj in objects:
            try:
                obj.close()  # type: ignore[attr-defined]
            except Exception:
                log.exception("haptix: error while closing at exit")
