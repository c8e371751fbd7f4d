"""Where user callbacks run: a client's handler thread, or the asyncio loop they belong to.

The client's pump (the thread that takes events from the library and completes requests) never
runs user code; it hands each callback to `HandlerThread.post`. The handler thread runs them one
at a time, in the order of the events that caused them. A callback registered through the
asyncio API carries its loop: the handler thread runs it there (awaiting it when it is a
coroutine) and waits for it before the next one, so the order holds across both kinds.

A callback may call any method of the binding, including ones that wait for a response: those
waits do not depend on the pump or on this thread (see docs/event-model.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import queue
import threading
from typing import Any, Callable, Optional, Tuple

log = logging.getLogger("haptix")

#: How often a handler waiting for its event loop checks that the loop still runs.
_LOOP_CHECK_S = 0.25


class Handler:
    """A user callback and where it runs: the handler thread (`loop` None) or an event loop.

    The callback takes one argument. It may be a plain function or a coroutine function; on
    the handler thread a coroutine is run to completion with `asyncio.run`.
    """

    __slots__ = ("callback", "loop")

    def __init__(
        self, callback: Callable[[Any], Any], loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> None:
        if not callable(callback):
            from .errors import InvalidArgument, Status

            raise InvalidArgument(
                Status.ERROR_INVALID_ARGUMENT,
                f"a callback must be callable, got {type(callback).__name__}",
            )
        self.callback = callback
        self.loop = loop

    def run(self, argument: Any) -> None:
        """Runs the callback for `argument` (on the calling thread, or on its loop and waits)."""
        if self.loop is None:
            result = self.callback(argument)
            if inspect.isawaitable(result):
                asyncio.run(_await(result))
            return
        _run_on_loop(self.loop, self.callback, argument)


async def _await(awaitable: Any) -> None:
    await awaitable


async def _invoke(callback: Callable[[Any], Any], argument: Any) -> None:
    try:
        result = callback(argument)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("haptix: error in an event handler")


def _run_on_loop(
    loop: asyncio.AbstractEventLoop, callback: Callable[[Any], Any], argument: Any
) -> None:
    coroutine = _invoke(callback, argument)
    try:
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    except RuntimeError:  # the loop is closed: nobody is there to run it
        coroutine.close()
        return
    while True:
        try:
            future.result(_LOOP_CHECK_S)
            return
        except concurrent.futures.TimeoutError:
            if loop.is_closed() or not loop.is_running():
                future.cancel()
                return
        except concurrent.futures.CancelledError:
            return


class HandlerThread:
    """One thread per client that runs its handlers in order (started with the first one)."""

    def __init__(self, name: str = "haptix-client-handlers") -> None:
        self._name = name
        self._queue: "queue.SimpleQueue[Optional[Tuple[Callable[[Any], None], Any]]]" = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The thread, once started."""
        return self._thread

    def post(self, work: Callable[[Any], None], argument: Any) -> None:
        """Queues `work(argument)`; dropped once the thread was told to end."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((work, argument))

    def close(self) -> None:
        """Ends the thread after the work already queued (does not wait for it: a handler may
        be the one closing its client)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            work, argument = item
            try:
                work(argument)
            except BaseException:  # a handler must not end the thread
                log.exception("haptix: error in an event handler")
