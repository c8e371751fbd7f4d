"""`Client`, `Device` and `DeviceFeature`: the synchronous API over `haptix_client_*`.

Threads (docs/event-model.md is the model every binding follows; this is how Python maps it):

* **Your threads.** Every synchronous call (`device.vibrate(0.5)`, `client.ping()`, ...) waits
  for its response in `haptix_client_call`, which depends on no thread of this package, so it
  may be made from any thread, including from inside a handler.
* **The pump** (`haptix-client-events`, one per client). Woken by the library's wake-up
  notifier, it takes every event with `haptix_client_next_event`, completes the futures of
  asynchronous requests (`Client.send`, the asyncio API), updates the client's state (devices,
  scanning, connection), appends the event to the stream read by `events()` / `next_event()` /
  `aevents()`, and queues the handlers the event concerns. It never runs user code.
* **The handler thread** (`haptix-client-handlers`, one per client, started with the first
  handler). Runs input callbacks and the `on_*` handlers one at a time, in event order.
  Handlers registered through the asyncio API run on their event loop instead (awaited when
  they are coroutines), still one at a time and in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import itertools
import logging
import threading
import time
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Deque,
    Dict,
    Iterator,
    List,
    Optional,
    Set,
    Tuple,
    TypeVar,
    Union,
    cast,
)

from . import _args, _native
from ._handlers import Handler, HandlerThread
from ._lifecycle import CLIENT, NativeHandle, finalize_later, track, untrack
from ._native import Buffer, lib, take_buffer
from ._pb import event_pb2, options_pb2, request_pb2
from .context import Context, _ContextCore, _ms
from .errors import (
    Closed,
    ConnectError,
    HaptixError,
    NotSupported,
    Status,
    Timeout,
    error_for_status,
)
from .events import (
    Connected,
    DeviceAdded,
    DeviceRemoved,
    Disconnected,
    ErrorReport,
    Event,
    InputReading,
    LogRecord,
    ScanningFinished,
    UnknownEvent,
)
from .types import (
    DeviceInfo,
    Feature,
    InputCommand,
    InputType,
    LogLevel,
    OutputType,
    Write,
    to_enum,
)

if TYPE_CHECKING:
    from .v1.event_pb2 import Response

log = logging.getLogger("haptix")

T = TypeVar("T")

#: A request and the function that turns its (successful) response into a result.
Op = Tuple[request_pb2.Request, Callable[["Response"], T]]

DEFAULT_CLIENT_NAME = "Haptix Python client"
#: Largest request id the binding picks (the library picks ids at or above 2**63 for id 0).
_MAX_ID = 2**63 - 1
#: The pump re-polls this often (seconds) if a wake-up never came; waking is otherwise
#: immediate, so this bounds nothing a user waits for.
_SAFETY_POLL_S = 1.0
#: After `Disconnected`, the pump waits for the end of the stream in slices of this many ms.
_END_POLL_MS = 50

#: A callback for input readings: a plain function, or a coroutine function.
InputCallback = Callable[[InputReading], Any]
#: A handler of client events (`Client.on_device_added`, ...): takes the event.
EventHandler = Callable[[Any], Any]
#: A feature given by index, as a `Feature` of the device, or as one of its `DeviceFeature`s.
FeatureRef = Union[int, Feature, "DeviceFeature", None]

#: Output types that a level of zero turns off (`DeviceFeature.stop`); positions have no "off".
_STOPPABLE = frozenset(
    {
        OutputType.VIBRATE,
        OutputType.ROTATE,
        OutputType.OSCILLATE,
        OutputType.CONSTRICT,
        OutputType.TEMPERATURE,
        OutputType.LED,
        OutputType.SPRAY,
    }
)


def _settle(
    future: "concurrent.futures.Future[Any]", result: Any = None, error: Any = None
) -> None:
    """Completes a future unless it is already done (e.g. cancelled through asyncio)."""
    if future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except concurrent.futures.InvalidStateError:
        pass


def _wait(future: "concurrent.futures.Future[T]", timeout: Optional[float], what: str) -> T:
    done, _ = concurrent.futures.wait([future], timeout)
    if not done:
        raise Timeout(Status.TIMEOUT, f"{what}: nothing within {timeout} s")
    return future.result()


class _EventStream:
    """The client's events in order; each event goes to one reader. Bounded: when nobody reads,
    the oldest events are dropped (counted in `dropped`)."""

    def __init__(self, max_events: int) -> None:
        self._items: Deque[Event] = deque()
        self._max = max_events
        self._cv = threading.Condition(threading.Lock())
        self._ended = False
        self.dropped = 0
        self._waiters: Set[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = set()

    def push(self, event: Event) -> None:
        with self._cv:
            if self._ended:
                return
            if len(self._items) >= self._max:
                self._items.popleft()
                self.dropped += 1
            self._items.append(event)
            self._cv.notify()
            waiters = list(self._waiters)
        self._wake(waiters)

    def end(self) -> None:
        with self._cv:
            self._ended = True
            self._cv.notify_all()
            waiters = list(self._waiters)
        self._wake(waiters)

    @staticmethod
    def _wake(waiters: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]]) -> None:
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_wake_future, future)
            except RuntimeError:  # loop closed
                pass

    def get(self, timeout: Optional[float]) -> Optional[Event]:
        """The next event; None on timeout; Closed once ended and drained."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while not self._items:
                if self._ended:
                    raise Closed(Status.CLOSED, "the client is disconnected")
                if deadline is None:
                    self._cv.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._cv.wait(remaining)
            return self._items.popleft()

    async def aget(self) -> Event:
        loop = asyncio.get_running_loop()
        while True:
            with self._cv:
                if self._items:
                    return self._items.popleft()
                if self._ended:
                    raise Closed(Status.CLOSED, "the client is disconnected")
                waiter: "asyncio.Future[None]" = loop.create_future()
                entry = (loop, waiter)
                self._waiters.add(entry)
            try:
                await waiter
            finally:
                with self._cv:
                    self._waiters.discard(entry)


def _wake_future(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


class _Subscription:
    """An input subscription this client made, with the callback its readings go to."""

    __slots__ = ("device_index", "input_type", "feature_index", "handler")

    def __init__(
        self,
        device_index: int,
        input_type: int,
        feature_index: Optional[int],
        handler: Optional[Handler],
    ) -> None:
        self.device_index = device_index
        self.input_type = input_type
        self.feature_index = feature_index
        self.handler = handler

    @property
    def key(self) -> Tuple[int, int, Optional[int]]:
        return (self.device_index, self.input_type, self.feature_index)

    def matches(self, reading: InputReading) -> bool:
        return (
            reading.device_index == self.device_index
            and reading.input_type == self.input_type
            and (self.feature_index is None or reading.feature_index == self.feature_index)
        )


class _Pending:
    """A request sent with `haptix_client_send`, waiting for its response event."""

    __slots__ = ("future", "user", "what")

    def __init__(
        self, future: "Optional[concurrent.futures.Future[Response]]", user: bool, what: str
    ) -> None:
        self.future = future  # None: fire-and-forget, errors become ErrorReport events
        self.user = user  # the future was handed to user code: complete it off the pump
        self.what = what


#: Names of the client-level handlers (`Client.on_<name>`) and the events that trigger them.
HANDLER_EVENTS: Dict[str, type] = {
    "device_added": DeviceAdded,
    "device_removed": DeviceRemoved,
    "scanning_finished": ScanningFinished,
    "input_reading": InputReading,
    "error": ErrorReport,
    "disconnected": Disconnected,
}


class _ClientCore:
    """Owns the native client, its pump and its handler thread. Holds no reference to the
    public `Client`, so a client dropped without `close()` is collected (and then closed by its
    finalizer)."""

    def __init__(
        self,
        context: _ContextCore,
        options: options_pb2.ClientOptions,
        request_timeout: Optional[float],
        max_events: int,
    ) -> None:
        library = lib()
        data = options.SerializeToString()
        out = ctypes.c_void_p()
        with context.handle.use() as context_pointer:
            _native.check(
                library.haptix_client_new(
                    context_pointer, data or None, len(data), ctypes.byref(out)
                ),
                "haptix_client_new",
            )
        assert out.value is not None
        self.context = context
        self.handle = NativeHandle(out.value, library.haptix_client_free, "client")
        self.request_timeout = request_timeout
        self.stream = _EventStream(max_events)
        self.connected: "concurrent.futures.Future[Connected]" = concurrent.futures.Future()
        self.disconnected: Optional[Disconnected] = None
        self.devices: Dict[int, Device] = {}
        self.scanning = False
        self.handlers = HandlerThread()
        self.event_handlers: Dict[str, Handler] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: Dict[int, _Pending] = {}
        self._device_waiters: List[
            Tuple[Callable[["Device"], bool], "concurrent.futures.Future[Device]"]
        ] = []
        self._subscriptions: Dict[Tuple[int, int, Optional[int]], _Subscription] = {}
        self._ended = False
        self._stop = threading.Event()
        self._close_lock = threading.Lock()
        self._closed = False
        # The pump sleeps on this; the library's wake-up notifier (dispatcher thread) and
        # close() set it. The callback captures only the Event, not this object.
        self._wake = threading.Event()
        wake = self._wake
        self._wakeup_callback = _native.WakeupCallback(lambda _user_data: wake.set())
        with self.handle.use() as pointer:
            status = library.haptix_client_set_wakeup_callback(
                pointer, self._wakeup_callback, None, _native.UserDataFree()
            )
        self._woken = status == Status.OK  # without it the pump polls (a library refusing it)
        # made before the client is a child of its context, which may close it at once
        self._pump = threading.Thread(target=self._run, name="haptix-client-events", daemon=True)
        context.add_child(self)
        track(self, CLIENT)
        self._pump.start()

    # Requests -------------------------------------------------------------------------------

    def submit(
        self, request: request_pb2.Request, *, user: bool = False, wait: bool = True
    ) -> "concurrent.futures.Future[Response]":
        """Sends a request with `haptix_client_send`; the future completes with its response
        (or raises its error) when the pump takes it. `user`: the future goes to user code, so
        it is completed on the handler thread. `wait=False`: nobody waits (the returned
        future is already done); an error response becomes an `ErrorReport` event."""
        if request.id == 0:
            numbered = request_pb2.Request()
            numbered.CopyFrom(request)  # the caller's message is left as it was
            numbered.id = next(self._ids) & _MAX_ID
            request = numbered
        future: "concurrent.futures.Future[Response]" = concurrent.futures.Future()
        what = request.WhichOneof("kind") or "request"
        with self._lock:
            if self._ended:
                raise Closed(Status.CLOSED, "the client is disconnected")
            self._pending[request.id] = _Pending(future if wait else None, user, what)
        data = request.SerializeToString()
        message = ""
        try:
            with self.handle.use() as pointer:
                status = lib().haptix_client_send(pointer, data, len(data), None)
                if status != Status.OK:
                    message = _native.last_error_message()
        except BaseException:
            self._forget(request.id)
            raise
        if status != Status.OK:
            self._forget(request.id)
            raise error_for_status(status, message or "haptix_client_send failed")
        if not wait:
            future.set_result(event_pb2.Response())
        return future

    def _forget(self, request_id: int) -> None:
        with self._lock:
            self._pending.pop(request_id, None)

    def call(self, op: "Op[T]", timeout: Optional[float] = None) -> T:
        """Sends a request and waits for its response: at most `timeout` seconds when given,
        else as long as the client's request timeout (enforced by the library)."""
        request, parse = op
        timeout = _args.timeout("timeout", timeout)
        return parse(self._call_native(request, timeout))

    def _call_native(self, request: request_pb2.Request, timeout: Optional[float]) -> "Response":
        data = request.SerializeToString()
        wait_ms = _native.WAIT_FOREVER_MS if timeout is None else max(1, _ms(timeout))
        buffer = Buffer()
        raw = b""
        message = ""
        with self.handle.use() as pointer:
            status = lib().haptix_client_call(
                pointer, data, len(data), wait_ms, ctypes.byref(buffer)
            )
            if status == Status.OK:
                raw = take_buffer(buffer)
            else:
                message = _native.last_error_message()
        what = request.WhichOneof("kind") or "request"
        if status == Status.OK:
            event = event_pb2.Event()
            event.ParseFromString(raw)
            response = event.response
            if response.status != Status.OK:
                raise error_for_status(response.status, response.message)
            return response
        if status in (Status.TIMEOUT, Status.ERROR_TIMED_OUT) and not message:
            message = f"{what}: no answer within {timeout} s"
        if status == Status.CLOSED and not message:
            message = "the client is disconnected"
        raise error_for_status(status, message or f"{what} failed")

    async def acall(self, op: "Op[T]", timeout: Optional[float] = None) -> T:
        """`call` for asyncio: the pump completes the request's future, the loop never waits."""
        request, parse = op
        timeout = _args.timeout("timeout", timeout)
        future = self.submit(request)
        try:
            response = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError as e:
            if isinstance(e, HaptixError):
                raise
            raise Timeout(
                Status.TIMEOUT, f"request {request.WhichOneof('kind')}: nothing within {timeout} s"
            ) from None
        return parse(response)

    def send_nowait(self, request: request_pb2.Request) -> None:
        """Fire and forget: returns once sent; an error becomes an `ErrorReport` event."""
        self.submit(request, wait=False)

    # Devices and subscriptions ----------------------------------------------------------------

    def device_future(
        self, predicate: Callable[["Device"], bool]
    ) -> "concurrent.futures.Future[Device]":
        future: "concurrent.futures.Future[Device]" = concurrent.futures.Future()
        with self._lock:
            found = next((d for d in self.devices.values() if predicate(d)), None)
            ended = self._ended
            if found is None and not ended:
                self._device_waiters = [(p, f) for p, f in self._device_waiters if not f.done()]
                self._device_waiters.append((predicate, future))
        if found is not None:
            future.set_result(found)
        elif ended:
            future.set_exception(Closed(Status.CLOSED, "the client is disconnected"))
        return future

    def update_devices(self, infos: List[DeviceInfo]) -> List["Device"]:
        """Merges a device list from the server; returns the Device objects in that order."""
        result = []
        with self._lock:
            for info in infos:
                device = self.devices.get(info.index)
                if device is None or device.info != info:
                    device = Device(self, info)
                    self.devices[info.index] = device
                result.append(device)
        return result

    def add_subscription(self, subscription: _Subscription) -> Optional[_Subscription]:
        """Registers a subscription, replacing (and returning) one with the same key: a second
        subscribe to the same input replaces the first callback instead of adding one."""
        with self._lock:
            previous = self._subscriptions.get(subscription.key)
            self._subscriptions[subscription.key] = subscription
            return previous

    def restore_subscription(
        self, subscription: _Subscription, previous: Optional[_Subscription]
    ) -> None:
        """Undoes `add_subscription` after the subscribe request failed."""
        with self._lock:
            if self._subscriptions.get(subscription.key) is subscription:
                if previous is None:
                    del self._subscriptions[subscription.key]
                else:
                    self._subscriptions[subscription.key] = previous

    def remove_subscriptions(
        self,
        device_index: Optional[int] = None,
        input_type: Optional[int] = None,
        feature_index: Optional[int] = None,
    ) -> List[_Subscription]:
        """Forgets the subscriptions matching every argument given (None matches all)."""
        with self._lock:
            removed = [
                s
                for s in self._subscriptions.values()
                if (device_index is None or s.device_index == device_index)
                and (input_type is None or s.input_type == input_type)
                and (feature_index is None or s.feature_index in (None, feature_index))
            ]
            for s in removed:
                del self._subscriptions[s.key]
            return removed

    def subscriptions(self) -> List[_Subscription]:
        """A snapshot of the registered subscriptions."""
        with self._lock:
            return list(self._subscriptions.values())

    # The pump -------------------------------------------------------------------------------

    def _run(self) -> None:
        library = lib()
        failure: Optional[HaptixError] = None
        try:
            while not self._stop.is_set():
                self._wake.clear()
                # After Disconnected nothing wakes the pump for the end of the stream itself:
                # wait for it inside the library (the pump is not a dispatcher thread).
                wait_ms = _END_POLL_MS if self.disconnected is not None else 0
                status, data, message = self._next(library, wait_ms)
                if status == Status.OK:
                    try:
                        self._dispatch(data)
                    except Exception:
                        log.exception("haptix: error while handling an event")
                    continue
                if status == Status.CLOSED:
                    break
                if status != Status.TIMEOUT:
                    failure = error_for_status(status, message or "haptix_client_next_event failed")
                    if not isinstance(failure, Closed):
                        log.warning("haptix: client event pump stopped: %s", failure)
                    break
                if self.disconnected is None:
                    self._wake.wait(_SAFETY_POLL_S if self._woken else 0.1)
        except Closed:
            pass
        finally:
            self._finish(failure)

    def _next(self, library: Any, wait_ms: int) -> Tuple[int, bytes, str]:
        buffer = Buffer()
        data = b""
        message = ""
        with self.handle.use() as pointer:
            status = library.haptix_client_next_event(pointer, wait_ms, ctypes.byref(buffer))
            if status == Status.OK:
                data = take_buffer(buffer)
            elif status not in (Status.TIMEOUT, Status.CLOSED):
                message = _native.last_error_message()
        return status, data, message

    def _dispatch(self, data: bytes) -> None:
        message = event_pb2.Event()
        message.ParseFromString(data)
        kind = message.WhichOneof("kind")
        if kind == "response":
            self._complete(message.request_id, message.response)
            return
        event = self._convert(message, kind, data)
        self._deliver(event)

    def _complete(self, request_id: int, response: "Response") -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is None:
            log.debug("haptix: response to unknown request %d", request_id)
            return
        failed = response.status != Status.OK
        if pending.future is None:
            if failed:
                report = ErrorReport(
                    _status(response.status),
                    f"{pending.what}: {response.message}",
                    request_id,
                )
                self._deliver(report)
            return
        if failed:
            error: Optional[HaptixError] = error_for_status(response.status, response.message)
            result = None
        else:
            error, result = None, response
        if pending.user:
            future = pending.future
            self.handlers.post(lambda _: _settle(future, result, error), None)
        else:
            _settle(pending.future, result, error)

    def _deliver(self, event: Event) -> None:
        """Appends an event to the stream and queues the handlers it concerns."""
        handlers: List[Handler] = []
        with self._lock:
            if isinstance(event, InputReading):
                handlers += [
                    s.handler
                    for s in self._subscriptions.values()
                    if s.handler is not None and s.matches(event)
                ]
            for name, event_type in HANDLER_EVENTS.items():
                if isinstance(event, event_type) and name in self.event_handlers:
                    handlers.append(self.event_handlers[name])
        self.stream.push(event)
        for handler in handlers:
            self.handlers.post(_run_handler(handler), event)

    def _convert(self, message: event_pb2.Event, kind: Optional[str], data: bytes) -> Event:
        if kind == "connected":
            event: Event = Connected(message.connected.server_name, message.connected.spec_version)
            _settle(self.connected, result=event)
            return event
        if kind == "disconnected":
            d = message.disconnected
            disconnected = Disconnected(d.reason, _status(d.status))
            self.disconnected = disconnected
            if not self.connected.done():
                reason = _without_repeated_prefix(d.reason)
                if d.status == Status.OK:
                    error: HaptixError = ConnectError(
                        Status.ERROR_CONNECT, reason or "disconnected before connecting"
                    )
                else:
                    error = error_for_status(d.status, reason)
                _settle(self.connected, error=error)
            with self._lock:
                self.devices.clear()
                self._subscriptions.clear()
            self.scanning = False
            return disconnected
        if kind == "device_added":
            info = DeviceInfo._from_proto(message.device_added.device)
            device = Device(self, info)
            ready = []
            with self._lock:
                self.devices[info.index] = device
                waiters, self._device_waiters = self._device_waiters, []
                for predicate, future in waiters:
                    if future.done():
                        continue
                    if predicate(device):
                        ready.append(future)
                    else:
                        self._device_waiters.append((predicate, future))
            for future in ready:
                _settle(future, result=device)
            return DeviceAdded(device)
        if kind == "device_removed":
            index = message.device_removed.device_index
            with self._lock:
                removed = self.devices.pop(index, None)
            self.remove_subscriptions(device_index=index)
            return DeviceRemoved(index, removed)
        if kind == "scanning_finished":
            self.scanning = False
            return ScanningFinished()
        if kind == "input_reading":
            r = message.input_reading
            return InputReading(
                r.device_index, r.feature_index, to_enum(InputType, r.input_type), r.value
            )
        if kind == "error":
            return ErrorReport(_status(message.error.status), message.error.message)
        if kind == "log":
            r2 = message.log
            return LogRecord(
                to_enum(LogLevel, r2.level),
                r2.target,
                r2.message,
                r2.timestamp_ms,
                r2.dropped_before,
            )
        return UnknownEvent(kind, message.request_id, data)

    def _finish(self, failure: Optional[HaptixError]) -> None:
        """The event stream ended: nothing pending may wait for ever."""
        with self._lock:
            self._ended = True
            pending, self._pending = self._pending, {}
            waiters, self._device_waiters = self._device_waiters, []
        reason = "the client is closed" if self._stop.is_set() else "the client is disconnected"
        for entry in pending.values():
            if entry.future is not None:
                _settle(entry.future, error=failure or Closed(Status.CLOSED, reason))
        for _, waiter in waiters:
            _settle(waiter, error=Closed(Status.CLOSED, reason))
        if not self.connected.done():
            _settle(self.connected, error=failure or Closed(Status.CLOSED, reason))
        self.scanning = False
        self.stream.end()

    # Teardown -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stops the pump and frees the native client (which disconnects and stops the client's
        devices). Idempotent; callable from any thread, including a handler. Prompt: the pump
        is woken at once, and calls still waiting for a response are cancelled."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self.handle.mark_closing()
        if self.handle.active:
            # Calls are waiting inside the library: disconnecting answers them (CLOSED) now
            # instead of at their timeout, so freeing does not wait for them.
            self._send_disconnect()
        self._wake.set()
        # the context may close its children while this client is still being made (from a
        # handler on another thread), before the pump has started: nothing to join then
        if self._pump.ident is not None and self._pump is not threading.current_thread():
            self._pump.join()
        self.handle.free()
        self._finish(None)
        self.handlers.close()
        self.context.remove_child(self)
        untrack(self, CLIENT)

    def _send_disconnect(self) -> None:
        data = request_pb2.Request(disconnect=request_pb2.Disconnect()).SerializeToString()
        try:
            with self.handle.use(closing=True) as pointer:
                lib().haptix_client_send(pointer, data, len(data), None)
        except Closed:
            pass


def _without_repeated_prefix(message: str) -> str:
    """ "cannot connect: cannot connect: ws://..." -> "cannot connect: ws://..." (a library
    that wraps an error in the same words twice)."""
    head, sep, rest = message.partition(": ")
    while sep and rest.startswith(head + sep):
        rest = rest[len(head + sep) :]
    return head + sep + rest if sep else message


def _run_handler(handler: Handler) -> Callable[[Any], None]:
    return handler.run


def _status(value: int) -> Union[Status, int]:
    try:
        return Status(value)
    except ValueError:
        return value


# Request builders shared by the sync and asyncio APIs ------------------------------------------


def _none(_: "Response") -> None:
    return None


def _request(**kind: Any) -> request_pb2.Request:
    return request_pb2.Request(**kind)


def _feature_index(feature: FeatureRef) -> Optional[int]:
    """The index of a feature reference, checked for type and range (not for the device)."""
    if feature is None:
        return None
    if isinstance(feature, DeviceFeature):
        return feature.index
    if isinstance(feature, Feature):
        return feature.index
    return _args.uint32("feature", feature)


def _output_message(
    device_index: int,
    output_type: Union[OutputType, int],
    level: Optional[float],
    steps: Optional[int],
    feature_index: Optional[int],
    duration_ms: int,
) -> request_pb2.Output:
    if (level is None) == (steps is None):
        raise _args.invalid("give exactly one of level and steps")
    output = request_pb2.Output(
        device_index=_args.uint32("device_index", device_index),
        output_type=cast(Any, _args.enum_value("output_type", output_type)),
        duration_ms=_args.uint32("duration_ms", duration_ms),
    )
    if feature_index is not None:
        output.feature_index = feature_index
    if level is not None:
        output.level = _args.real("level", level)
    else:
        output.steps = _args.integer("steps", steps, _args.INT32_MIN, _args.INT32_MAX)
    return output


def _output_op(
    device_index: int,
    output_type: Union[OutputType, int],
    level: Optional[float],
    steps: Optional[int],
    feature: FeatureRef,
    duration_ms: int,
) -> "Op[None]":
    message = _output_message(
        device_index, output_type, level, steps, _feature_index(feature), duration_ms
    )
    return _request(output=message), _none


def _input_op(
    device_index: int,
    input_type: Union[InputType, int],
    feature: FeatureRef,
    command: InputCommand,
) -> "Op[Any]":
    message = request_pb2.Input(
        device_index=_args.uint32("device_index", device_index),
        input_type=cast(Any, _args.enum_value("input_type", input_type)),
        command=cast(Any, int(command)),
    )
    index = _feature_index(feature)
    if index is not None:
        message.feature_index = index
    if command == InputCommand.READ:
        return _request(input=message), _reading_value
    return _request(input=message), _none


def _stop_device_op(device_index: int, inputs: bool, outputs: bool) -> "Op[None]":
    message = request_pb2.StopDevice(device_index=_args.uint32("device_index", device_index))
    # Absent means true; only a False is spelled out (and a library that predates the fields
    # stops both, as before).
    if not _flag("inputs", inputs):
        message.inputs = False
    if not _flag("outputs", outputs):
        message.outputs = False
    return _request(stop_device=message), _none


def _stop_all_op(inputs: bool, outputs: bool) -> "Op[None]":
    message = request_pb2.StopAll()
    if not _flag("inputs", inputs):
        message.inputs = False
    if not _flag("outputs", outputs):
        message.outputs = False
    return _request(stop_all=message), _none


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _args.wrong_type(name, "True or False", value)
    return value


def _reading_value(response: "Response") -> int:
    if response.WhichOneof("result") != "reading":
        raise HaptixError(Status.ERROR_INTERNAL, "input read answered without a reading")
    return int(response.reading.value)


def _battery_level(response: "Response") -> float:
    return _reading_value(response) / 100.0


def _type_name(value: Union[OutputType, InputType, int]) -> str:
    if isinstance(value, (OutputType, InputType)):
        return value.name.lower().replace("_", " ")
    return f"type {int(value)}"


class _DeviceOps:
    """Builds a device's requests, checking arguments against the device first: a feature of
    another device, an output or input the device lacks, a string as a level... raise
    `InvalidArgument` / `NotSupported` naming the argument before anything is sent."""

    def __init__(self, client: _ClientCore, info: DeviceInfo) -> None:
        self._client = client
        self.info = info

    def _describe(self) -> str:
        return f"device {self.info.index} ({self.info.display_name or self.info.name})"

    def _own_feature(self, feature: FeatureRef) -> Optional[int]:
        if isinstance(feature, DeviceFeature):
            other = feature.device
            if other._client is not self._client or other.index != self.info.index:
                raise _args.invalid(
                    f"feature {feature.index} belongs to {other._describe()}, "
                    f"not to {self._describe()}"
                )
            return feature.index
        if isinstance(feature, Feature) and self.info.features:
            if feature not in self.info.features:
                raise _args.invalid(
                    f"feature {feature.index} ({feature.description or 'no description'}) is "
                    f"not a feature of {self._describe()}"
                )
        return _feature_index(feature)

    def _known_feature(self, index: Optional[int]) -> Optional[Feature]:
        if index is None:
            return None
        return next((f for f in self.info.features if f.index == index), None)

    def _check_output(self, output_type: Union[OutputType, int], index: Optional[int]) -> None:
        if not self.info.features or not isinstance(output_type, OutputType):
            return  # nothing known to check against: the library answers
        if index is None:
            if not any(f.output(output_type) for f in self.info.features):
                raise NotSupported(
                    Status.ERROR_NOT_SUPPORTED,
                    f"{self._describe()} has no {_type_name(output_type)} output",
                )
            return
        known = self._known_feature(index)
        if known is not None and known.output(output_type) is None:
            raise NotSupported(
                Status.ERROR_NOT_SUPPORTED,
                f"feature {index} of {self._describe()} has no {_type_name(output_type)} output",
            )

    def _check_input(self, input_type: Union[InputType, int], index: Optional[int]) -> None:
        if not self.info.features or not isinstance(input_type, InputType):
            return
        if index is None:
            if not any(f.input(input_type) for f in self.info.features):
                raise NotSupported(
                    Status.ERROR_NOT_SUPPORTED,
                    f"{self._describe()} has no {_type_name(input_type)} input",
                )
            return
        known = self._known_feature(index)
        if known is not None and known.input(input_type) is None:
            raise NotSupported(
                Status.ERROR_NOT_SUPPORTED,
                f"feature {index} of {self._describe()} has no {_type_name(input_type)} input",
            )

    def _output_op(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        steps: Optional[int] = None,
        feature: FeatureRef = None,
        duration_ms: int = 0,
    ) -> "Op[None]":
        output_type = to_enum(OutputType, _args.enum_value("output_type", output_type))
        index = self._own_feature(feature)
        message = _output_message(self.info.index, output_type, level, steps, index, duration_ms)
        self._check_output(output_type, index)
        return _request(output=message), _none

    def _input_op(
        self, input_type: Union[InputType, int], feature: FeatureRef, command: InputCommand
    ) -> "Tuple[Op[Any], Optional[int]]":
        """The request, and the feature it addresses (the first one with that input when
        `feature` is None and the device's features are known)."""
        input_type = to_enum(InputType, _args.enum_value("input_type", input_type))
        index = self._own_feature(feature)
        self._check_input(input_type, index)
        if index is None:
            first = next((f for f in self.info.features if f.input(input_type)), None)
            resolved = None if first is None else first.index
        else:
            resolved = index
        return _input_op(self.info.index, input_type, index, command), resolved

    def _stop_op(self, inputs: bool, outputs: bool) -> "Op[None]":
        return _stop_device_op(self.info.index, inputs, outputs)

    def _feature_stop_ops(self, feature: Feature) -> "List[Op[None]]":
        """Level-zero outputs that turn a feature's outputs off (positions are left alone)."""
        return [
            (
                _request(
                    output=_output_message(
                        self.info.index, output.output_type, None, 0, feature.index, 0
                    )
                ),
                _none,
            )
            for output in feature.outputs
            if output.output_type in _STOPPABLE
        ]


class Device(_DeviceOps):
    """A connected device of a client, addressed by its index.

    Levels are 0.0 to 1.0 (rotation -1.0 to 1.0, the sign giving the direction), mapped onto
    each feature's steps. Without `feature`, every feature with that output type is set.

    Every command waits until the server answered (at most `timeout` seconds when given, else
    the client's request timeout) and raises `HaptixError` subclasses on failure
    (`DeviceNotFound` once the device is gone, `NotSupported` for an output it does not have,
    `InvalidArgument` for a bad argument). Output commands take `wait=False` for a game loop:
    they return once the request is sent, and a failure arrives as an `ErrorReport` event
    (and to `Client.on_error`). Any thread may call them, including a handler.
    """

    def __init__(self, client: _ClientCore, info: DeviceInfo) -> None:
        super().__init__(client, info)
        self._async_view: Any = None

    @property
    def index(self) -> int:
        """The index the server gave this device (unique among the client's devices)."""
        return self.info.index

    @property
    def name(self) -> str:
        """The product name, e.g. "Lovense Hush"."""
        return self.info.name

    @property
    def display_name(self) -> str:
        """The user-configured name; empty when none is set."""
        return self.info.display_name

    @property
    def label(self) -> str:
        """The display name if set, else the name."""
        return self.info.display_name or self.info.name

    @property
    def address(self) -> str:
        """Where the hardware is (Bluetooth address, serial port, HID path or simulated-device
        address): tells two toys of one model apart. Empty for a remote server's devices."""
        return self.info.address

    @property
    def message_timing_gap_ms(self) -> int:
        """The smallest gap between two commands the device handles well, in ms."""
        return self.info.message_timing_gap_ms

    @property
    def features(self) -> Tuple[Feature, ...]:
        """The device's features as plain data (see `feature()` for ones that act)."""
        return self.info.features

    @property
    def connected(self) -> bool:
        """Whether the client still has this device."""
        client = self._client
        return not client.closed and client.devices.get(self.index) is self

    def feature(self, index: Union[int, Feature]) -> "DeviceFeature":
        """The feature with that index, as an object with its own outputs, inputs and stop.
        Raises FeatureNotFound when the device has no such feature."""
        wanted = index.index if isinstance(index, Feature) else _args.uint32("index", index)
        for feature in self.info.features:
            if feature.index == wanted:
                return DeviceFeature(self, feature)
        from .errors import FeatureNotFound

        raise FeatureNotFound(
            Status.ERROR_FEATURE_NOT_FOUND, f"{self._describe()} has no feature {wanted}"
        )

    @property
    def device_features(self) -> "Tuple[DeviceFeature, ...]":
        """Every feature as a `DeviceFeature`, in index order."""
        return tuple(DeviceFeature(self, f) for f in self.info.features)

    def features_with_output(self, output_type: Union[OutputType, int]) -> List[Feature]:
        """The features that have an output of this type."""
        return [f for f in self.features if f.output(output_type) is not None]

    def features_with_input(self, input_type: Union[InputType, int]) -> List[Feature]:
        """The features that have an input of this type."""
        return [f for f in self.features if f.input(input_type) is not None]

    def has_output(self, output_type: Union[OutputType, int]) -> bool:
        """Whether some feature has an output of this type."""
        return bool(self.features_with_output(output_type))

    def has_input(self, input_type: Union[InputType, int]) -> bool:
        """Whether some feature has an input of this type."""
        return bool(self.features_with_input(input_type))

    @property
    def has_battery(self) -> bool:
        """Whether the device reports its battery level (`battery()`)."""
        return self.has_input(InputType.BATTERY)

    @property
    def has_rssi(self) -> bool:
        """Whether the device reports its signal strength (`rssi()`)."""
        return self.has_input(InputType.RSSI)

    def __repr__(self) -> str:
        return f"<haptix.Device {self.index}: {self.label!r}>"

    # Outputs --------------------------------------------------------------------------------

    def _send(self, op: "Op[None]", timeout: Optional[float], wait: bool) -> None:
        if wait:
            self._client.call(op, timeout)
        else:
            self._client.send_nowait(op[0])

    def output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        *,
        steps: Optional[int] = None,
        feature: FeatureRef = None,
        duration_ms: int = 0,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Drives an output with a level (0.0-1.0) or a raw step value (`steps`)."""
        self._send(self._output_op(output_type, level, steps, feature, duration_ms), timeout, wait)

    def vibrate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Vibration strength 0.0 to 1.0 (0 stops), on every vibrator or on `feature`."""
        self._send(self._output_op(OutputType.VIBRATE, level, feature=feature), timeout, wait)

    def rotate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Rotation speed -1.0 to 1.0; the sign is the direction."""
        self._send(self._output_op(OutputType.ROTATE, level, feature=feature), timeout, wait)

    def oscillate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Oscillation (stroking) speed 0.0 to 1.0, on every oscillator or on `feature`."""
        self._send(self._output_op(OutputType.OSCILLATE, level, feature=feature), timeout, wait)

    def constrict(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Constriction (air pump) strength 0.0 to 1.0, on every constrictor or `feature`."""
        self._send(self._output_op(OutputType.CONSTRICT, level, feature=feature), timeout, wait)

    def position(
        self,
        position: float,
        duration_ms: int,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Moves to `position` (0.0-1.0) in `duration_ms` milliseconds."""
        op = self._output_op(
            OutputType.HW_POSITION_WITH_DURATION, position, feature=feature, duration_ms=duration_ms
        )
        self._send(op, timeout, wait)

    def stop(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Stops the device's outputs and ends its input subscriptions (their callbacks are
        dropped too); `inputs=False` keeps the sensors running, `outputs=False` the motors."""
        op = self._stop_op(inputs, outputs)
        if inputs:
            self._client.remove_subscriptions(device_index=self.index)
        self._client.call(op, timeout)

    # Inputs ---------------------------------------------------------------------------------

    def read(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
    ) -> int:
        """Reads an input once (battery: percent; RSSI: dBm; ...)."""
        op, _ = self._input_op(input_type, feature, InputCommand.READ)
        return cast(int, self._client.call(op, timeout))

    def battery(self, *, timeout: Optional[float] = None) -> float:
        """Battery level, 0.0 to 1.0."""
        (request, _), _ = self._input_op(InputType.BATTERY, None, InputCommand.READ)
        return self._client.call((request, _battery_level), timeout)

    def rssi(self, *, timeout: Optional[float] = None) -> int:
        """Signal strength in dBm (negative; closer to 0 is stronger)."""
        return self.read(InputType.RSSI, timeout=timeout)

    def subscribe(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        callback: Optional[InputCallback] = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Starts a subscription. Readings arrive as InputReading events, and also to
        `callback` when given, on the client's handler thread (never the thread that completes
        requests: the callback may call any method, including ones that wait). Subscribing
        again to the same input replaces the callback."""
        op, subscription, previous = self._prepare_subscription(input_type, feature, callback, None)
        try:
            self._client.call(op, timeout)
        except BaseException:
            self._client.restore_subscription(subscription, previous)
            raise

    def unsubscribe(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Ends a subscription and drops its callback."""
        op, resolved = self._input_op(input_type, feature, InputCommand.UNSUBSCRIBE)
        self._client.remove_subscriptions(self.index, int(input_type), resolved)
        self._client.call(op, timeout)

    def _prepare_subscription(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef,
        callback: Optional[InputCallback],
        loop: Optional[asyncio.AbstractEventLoop],
    ) -> "Tuple[Op[None], _Subscription, Optional[_Subscription]]":
        op, resolved = self._input_op(input_type, feature, InputCommand.SUBSCRIBE)
        handler = None if callback is None else Handler(callback, loop)
        subscription = _Subscription(self.index, int(input_type), resolved, handler)
        previous = self._client.add_subscription(subscription)
        return op, subscription, previous


class DeviceFeature:
    """One feature of a device with its own outputs, inputs and stop (from `Device.feature()`
    or `Device.device_features`). Commands behave as the `Device` ones, limited to this
    feature."""

    def __init__(self, device: Device, feature: Feature) -> None:
        self.device = device
        self.info = feature

    @property
    def index(self) -> int:
        """The feature's index on its device."""
        return self.info.index

    @property
    def description(self) -> str:
        """What the device database calls this feature (may be empty)."""
        return self.info.description

    @property
    def output_types(self) -> "Tuple[Union[OutputType, int], ...]":
        """The output types of this feature."""
        return tuple(o.output_type for o in self.info.outputs)

    @property
    def input_types(self) -> "Tuple[Union[InputType, int], ...]":
        """The input types of this feature."""
        return tuple(i.input_type for i in self.info.inputs)

    def __repr__(self) -> str:
        return f"<haptix.DeviceFeature {self.index} of {self.device!r}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DeviceFeature)
            and other.device is self.device
            and other.info == self.info
        )

    def __hash__(self) -> int:
        return hash((id(self.device), self.info.index))

    def output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        *,
        steps: Optional[int] = None,
        duration_ms: int = 0,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Drives this feature's output of that type (level 0.0-1.0, or raw `steps`)."""
        self.device.output(
            output_type,
            level,
            steps=steps,
            feature=self,
            duration_ms=duration_ms,
            timeout=timeout,
            wait=wait,
        )

    def vibrate(self, level: float, *, timeout: Optional[float] = None, wait: bool = True) -> None:
        """Vibration strength 0.0 to 1.0 of this feature."""
        self.device.vibrate(level, self, timeout=timeout, wait=wait)

    def rotate(self, level: float, *, timeout: Optional[float] = None, wait: bool = True) -> None:
        """Rotation speed -1.0 to 1.0 of this feature; the sign is the direction."""
        self.device.rotate(level, self, timeout=timeout, wait=wait)

    def oscillate(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Oscillation speed 0.0 to 1.0 of this feature."""
        self.device.oscillate(level, self, timeout=timeout, wait=wait)

    def constrict(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Constriction strength 0.0 to 1.0 of this feature."""
        self.device.constrict(level, self, timeout=timeout, wait=wait)

    def position(
        self,
        position: float,
        duration_ms: int,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Moves this feature to `position` (0.0-1.0) in `duration_ms` milliseconds."""
        self.device.position(position, duration_ms, self, timeout=timeout, wait=wait)

    def stop(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Turns this feature's outputs off (level 0; positions stay where they are) and ends
        the subscriptions this client made on it; the other features keep running."""
        core = self.device._client
        if inputs:
            for subscription in core.remove_subscriptions(
                device_index=self.device.index, feature_index=self.index
            ):
                op, _ = self.device._input_op(
                    subscription.input_type, self.index, InputCommand.UNSUBSCRIBE
                )
                core.call(op, timeout)
        if outputs:
            for op in self.device._feature_stop_ops(self.info):
                core.call(op, timeout)

    def read(self, input_type: Union[InputType, int], *, timeout: Optional[float] = None) -> int:
        """Reads this feature's input of that type once."""
        return self.device.read(input_type, self, timeout=timeout)

    def subscribe(
        self,
        input_type: Union[InputType, int],
        callback: Optional[InputCallback] = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Subscribes to this feature's input (see `Device.subscribe`)."""
        self.device.subscribe(input_type, self, callback, timeout=timeout)

    def unsubscribe(
        self, input_type: Union[InputType, int], *, timeout: Optional[float] = None
    ) -> None:
        """Ends the subscription to this feature's input."""
        self.device.unsubscribe(input_type, self, timeout=timeout)


# Client-level request builders ----------------------------------------------------------------


def _device_list(response: "Response") -> List[DeviceInfo]:
    return [DeviceInfo._from_proto(d) for d in response.device_list.devices]


def _simulated_address(response: "Response") -> str:
    return str(response.simulated_device.address)


def _writes(response: "Response") -> List[Write]:
    return [Write(w.endpoint, bytes(w.data), w.with_response) for w in response.writes.writes]


def _client_options(
    name: str, url: Optional[str], request_timeout: Optional[float]
) -> options_pb2.ClientOptions:
    options = options_pb2.ClientOptions(client_name=_args.text("name", name))
    if url is None:
        options.embedded.SetInParent()
    else:
        options.websocket_url = _args.text("url", url)
    seconds = _args.timeout("request_timeout", request_timeout)
    # One timeout applies: the library's, set to the user's (None: as long as a uint32 of ms
    # allows, about 49 days).
    options.request_timeout_ms = (
        _native.WAIT_FOREVER_MS - 1 if seconds is None else max(1, _ms(seconds))
    )
    return options


def _handler_property(name: str, doc: str) -> Any:
    def getter(self: "Client") -> Optional[EventHandler]:
        handler = self._core.event_handlers.get(name)
        return None if handler is None else handler.callback

    def setter(self: "Client", callback: Optional[EventHandler]) -> None:
        self._set_handler(name, callback, None)

    return property(getter, setter, doc=doc)


class Client:
    """A connection to a Buttplug server: the context's embedded server
    (`Client.connect_embedded`) or a remote one (`Client.connect`).

    Use it as a context manager or call `close()`; a client collected without `close()` is
    closed by a finalizer. Devices stop working once their client is closed.

    Handlers (`on_device_added`, `on_device_removed`, `on_scanning_finished`,
    `on_input_reading`, `on_error`, `on_disconnected`) are called with the event, on the
    client's handler thread, one at a time and in order; they may call any method (including
    ones that wait for a response) and may be coroutine functions (run to completion there).
    Every event also goes to the stream read by `events()` / `next_event()`.
    """

    def __init__(self, _core: _ClientCore, _context: Context) -> None:
        self._core = _core
        self._context = _context
        self._finalizer = finalize_later(self, _core.close)

    @classmethod
    def _open(
        cls,
        context: Context,
        name: str,
        url: Optional[str],
        request_timeout: Optional[float],
        max_events: int,
    ) -> "Client":
        if not isinstance(context, Context):
            raise _args.wrong_type("context", "a haptix.Context", context)
        options = _client_options(name, url, request_timeout)
        max_events = _args.integer("max_events", max_events, 1, 2**62)
        core = _ClientCore(context._core, options, request_timeout, max_events)
        return cls(core, context)

    def _await_connection(self, timeout: Optional[float]) -> None:
        try:
            _wait(self._core.connected, _args.timeout("timeout", timeout), "connecting")
        except BaseException:
            self.close()
            raise

    @classmethod
    def connect_embedded(
        cls,
        context: Context,
        *,
        name: str = DEFAULT_CLIENT_NAME,
        timeout: Optional[float] = 10.0,
        request_timeout: Optional[float] = 30.0,
        max_events: int = 10_000,
    ) -> "Client":
        """Connects to the context's embedded server and waits for the handshake (up to
        `timeout` s). `request_timeout` (s, None: no limit) bounds every request's wait for
        its answer; `max_events` bounds the unread event stream (oldest dropped first)."""
        client = cls._open(context, name, None, request_timeout, max_events)
        client._await_connection(timeout)
        return client

    @classmethod
    def connect(
        cls,
        context: Context,
        url: str,
        *,
        name: str = DEFAULT_CLIENT_NAME,
        timeout: Optional[float] = 10.0,
        request_timeout: Optional[float] = 30.0,
        max_events: int = 10_000,
    ) -> "Client":
        """Connects to a Buttplug WebSocket server such as "ws://127.0.0.1:12345" (other
        arguments as for `connect_embedded`)."""
        client = cls._open(context, name, url, request_timeout, max_events)
        client._await_connection(timeout)
        return client

    # State ----------------------------------------------------------------------------------

    @property
    def context(self) -> Context:
        """The context this client was made from."""
        return self._context

    @property
    def server_name(self) -> str:
        """The server's name from the handshake ("" before it)."""
        return self._core.connected.result().server_name if self._connected_ok() else ""

    @property
    def spec_version(self) -> int:
        """The Buttplug spec version negotiated (3 or 4; 0 before the handshake)."""
        return self._core.connected.result().spec_version if self._connected_ok() else 0

    def _connected_ok(self) -> bool:
        f = self._core.connected
        return f.done() and not f.cancelled() and f.exception() is None

    @property
    def connected(self) -> bool:
        """Whether the client is connected (handshake done, not disconnected or closed)."""
        return self._connected_ok() and self._core.disconnected is None and not self._core.closed

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._core.closed

    @property
    def scanning(self) -> bool:
        """Whether a scan this client started is running (until `stop_scanning()` or the
        `ScanningFinished` event)."""
        return self._core.scanning

    @property
    def request_timeout(self) -> Optional[float]:
        """How long a request waits for its answer, in seconds (None: no limit)."""
        return self._core.request_timeout

    @property
    def devices(self) -> Dict[int, Device]:
        """The connected devices by index (a snapshot)."""
        with self._core._lock:
            return dict(self._core.devices)

    @property
    def dropped_events(self) -> int:
        """Events dropped because nobody read them and the buffer was full."""
        return self._core.stream.dropped

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.connected else "disconnected")
        return f"<haptix.Client {state} {self.server_name!r}>"

    # Handlers -------------------------------------------------------------------------------

    def _set_handler(
        self,
        name: str,
        callback: Optional[EventHandler],
        loop: Optional[asyncio.AbstractEventLoop],
    ) -> None:
        handlers = self._core.event_handlers
        with self._core._lock:
            if callback is None:
                handlers.pop(name, None)
            else:
                handlers[name] = Handler(callback, loop)

    on_device_added = _handler_property(
        "device_added", "Called with each `DeviceAdded` event (None: no handler)."
    )
    on_device_removed = _handler_property(
        "device_removed", "Called with each `DeviceRemoved` event (None: no handler)."
    )
    on_scanning_finished = _handler_property(
        "scanning_finished", "Called with each `ScanningFinished` event (None: no handler)."
    )
    on_input_reading = _handler_property(
        "input_reading", "Called with every `InputReading` (None: no handler)."
    )
    on_error = _handler_property(
        "error",
        "Called with each `ErrorReport`, including failures of outputs sent with "
        "`wait=False` (None: no handler).",
    )
    on_disconnected = _handler_property(
        "disconnected", "Called with the `Disconnected` event (None: no handler)."
    )

    # Requests -------------------------------------------------------------------------------

    def send(self, request: request_pb2.Request) -> "concurrent.futures.Future[Response]":
        """Low level: sends any haptix.v1.Request; the future gives its Response or raises.
        Its callbacks run on the client's handler thread."""
        if not isinstance(request, request_pb2.Request):
            raise _args.wrong_type("request", "a haptix.v1.Request", request)
        return self._core.submit(request, user=True)

    def start_scanning(self, *, timeout: Optional[float] = None) -> None:
        """Starts looking for devices; each one found arrives as a `DeviceAdded` event."""
        self._core.scanning = True
        try:
            self._core.call((_request(start_scanning=request_pb2.StartScanning()), _none), timeout)
        except BaseException:
            self._core.scanning = False
            raise

    def stop_scanning(self, *, timeout: Optional[float] = None) -> None:
        """Stops looking for devices."""
        self._core.call((_request(stop_scanning=request_pb2.StopScanning()), _none), timeout)
        self._core.scanning = False

    def request_device_list(self, *, timeout: Optional[float] = None) -> List[Device]:
        """Asks the server for its device list (also refreshes `devices`)."""
        infos = self._core.call(
            (_request(request_device_list=request_pb2.RequestDeviceList()), _device_list), timeout
        )
        return self._core.update_devices(infos)

    def wait_for_device(
        self, timeout: Optional[float] = None, *, name: Optional[str] = None
    ) -> Device:
        """A connected device (with that name, if given): one already known, else the next one
        added. Raises Timeout after `timeout` seconds."""
        timeout = _args.timeout("timeout", timeout)
        future = self._core.device_future(_device_predicate(name))
        try:
            return _wait(future, timeout, "waiting for a device")
        finally:
            future.cancel()

    def stop_all(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Stops every device: outputs and input subscriptions (with their callbacks);
        `inputs=False` keeps the sensors running, `outputs=False` the motors."""
        op = _stop_all_op(inputs, outputs)
        if inputs:
            self._core.remove_subscriptions()
        self._core.call(op, timeout)

    def ping(self, *, timeout: Optional[float] = None) -> None:
        """Round trip to the server (keeps a server with a ping timeout happy)."""
        self._core.call((_request(ping=request_pb2.Ping()), _none), timeout)

    def disconnect(self, *, timeout: Optional[float] = None) -> None:
        """Closes the connection (the server stops every device); a Disconnected event follows.
        The client still needs `close()`."""
        self._core.call((_request(disconnect=request_pb2.Disconnect()), _none), timeout)

    def close(self) -> None:
        """Disconnects and frees the client, promptly. Idempotent; any thread, including a
        handler."""
        self._finalizer.detach()
        self._core.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Simulated devices (embedded server only) -----------------------------------------------

    def add_simulated_device(self, identifier: str, address: str = "") -> str:
        """Adds a virtual device (e.g. "LVS-Hush") found by the next or current scan; returns
        its address. An identifier that matches no known device raises InvalidArgument."""
        return self._core.call(_add_simulated_op(identifier, address))

    def remove_simulated_device(self, address: str) -> None:
        """Removes a virtual device (a connected one disconnects)."""
        self._core.call(_remove_simulated_op(address))

    def inject_notification(self, address: str, endpoint: str, data: bytes) -> None:
        """Makes a virtual device send `data` on `endpoint` (e.g. "rx"), as hardware would."""
        self._core.call(_inject_op(address, endpoint, data))

    def take_writes(self, address: str, *, wait: float = 0.0) -> List[Write]:
        """Returns and clears what a virtual device received. With `wait`, polls for up to that
        many seconds until something arrived (writes happen just after a command's response).

        A virtual device keeps only its latest 4,096 writes: read them at least that often
        or the oldest are gone."""
        wait = _args.real("wait", wait)
        deadline = time.monotonic() + wait
        while True:
            writes = self._core.call(_take_writes_op(address))
            if writes or time.monotonic() >= deadline:
                return writes
            time.sleep(0.01)

    # Events ---------------------------------------------------------------------------------

    def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, or None when none arrives within `timeout` seconds (None: no limit).
        Raises Closed once the client is disconnected and every event was read."""
        return self._core.stream.get(timeout)

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Events as they come (each to one reader, so several threads may share the work).
        Ends after the last event of a disconnected client, or when none arrives within
        `timeout` seconds."""
        while True:
            try:
                event = self._core.stream.get(timeout)
            except Closed:
                return
            if event is None:
                return
            yield event

    async def aevents(self) -> AsyncIterator[Event]:
        """The same event stream for asyncio: `async for event in client.aevents()` (events
        carry the synchronous `Device`; `AsyncClient.events()` gives `AsyncDevice`s)."""
        while True:
            try:
                event = await self._core.stream.aget()
            except Closed:
                return
            yield event


def _device_predicate(name: Optional[str]) -> Callable[[Device], bool]:
    if name is None:
        return lambda device: True
    name = _args.text("name", name)
    return lambda device: name in (device.name, device.display_name)


def _add_simulated_op(identifier: str, address: str) -> "Op[str]":
    from .types import SimulatedDevice

    request = _request(
        add_simulated_device=request_pb2.AddSimulatedDevice(
            device=SimulatedDevice(
                _args.text("identifier", identifier), _args.text("address", address)
            )._to_proto()
        )
    )
    return request, _simulated_address


def _remove_simulated_op(address: str) -> "Op[None]":
    return _request(
        remove_simulated_device=request_pb2.RemoveSimulatedDevice(
            address=_args.text("address", address)
        )
    ), _none


def _inject_op(address: str, endpoint: str, data: bytes) -> "Op[None]":
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _args.wrong_type("data", "bytes", data)
    return (
        _request(
            inject_notification=request_pb2.InjectNotification(
                address=_args.text("address", address),
                endpoint=_args.text("endpoint", endpoint),
                data=bytes(data),
            )
        ),
        _none,
    )


def _take_writes_op(address: str) -> "Op[List[Write]]":
    return _request(
        take_writes=request_pb2.TakeWrites(address=_args.text("address", address))
    ), _writes
