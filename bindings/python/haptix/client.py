"""`Client` and `Device`: the synchronous API over `haptix_client_*`.

A client owns a pump thread that waits in `haptix_client_next_event` (100 ms at a time) and routes
each event: responses complete the `concurrent.futures.Future` of their request (an error status
becomes the request's exception); everything else updates the client's state (devices,
connection) and goes to the client's event stream, read with `events()` / `next_event()` or,
from asyncio, `aevents()`.
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

from . import _native
from ._lifecycle import CLIENT, NativeHandle, finalize_later, track, untrack
from ._native import Buffer, lib, take_buffer
from ._pb import event_pb2, options_pb2, request_pb2
from .context import POLL_MS, Context, _ContextCore
from .errors import (
    Closed,
    ConnectError,
    HaptixError,
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

InputCallback = Callable[[InputReading], None]


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
    __slots__ = ("device_index", "input_type", "feature_index", "callback")

    def __init__(
        self,
        device_index: int,
        input_type: int,
        feature_index: Optional[int],
        callback: InputCallback,
    ) -> None:
        self.device_index = device_index
        self.input_type = input_type
        self.feature_index = feature_index
        self.callback = callback

    def matches(self, reading: InputReading) -> bool:
        return (
            reading.device_index == self.device_index
            and reading.input_type == self.input_type
            and (self.feature_index is None or reading.feature_index == self.feature_index)
        )


class _ClientCore:
    """Owns the native client and the pump thread. Holds no reference to the public `Client`,
    so a client dropped without `close()` is collected (and then closed by its finalizer)."""

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
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: Dict[int, "concurrent.futures.Future[Response]"] = {}
        self._device_waiters: List[
            Tuple[Callable[["Device"], bool], "concurrent.futures.Future[Device]"]
        ] = []
        self._subscriptions: List[_Subscription] = []
        self._ended = False
        self._stop = threading.Event()
        self._close_lock = threading.Lock()
        self._closed = False
        context.add_child(self)
        track(self, CLIENT)
        self._pump = threading.Thread(target=self._run, name="haptix-client-events", daemon=True)
        self._pump.start()

    # Requests -------------------------------------------------------------------------------

    def submit(self, request: request_pb2.Request) -> "concurrent.futures.Future[Response]":
        """Sends a request; the future completes with its response (or raises its error)."""
        if request.id == 0:
            numbered = request_pb2.Request()
            numbered.CopyFrom(request)  # the caller's message is left as it was
            numbered.id = next(self._ids) & _MAX_ID
            request = numbered
        future: "concurrent.futures.Future[Response]" = concurrent.futures.Future()
        with self._lock:
            if self._ended:
                raise Closed(Status.CLOSED, "the client is disconnected")
            self._pending[request.id] = future
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
        return future

    def _forget(self, request_id: int) -> None:
        with self._lock:
            self._pending.pop(request_id, None)

    def call(self, op: "Op[T]", timeout: Optional[float] = None) -> T:
        request, parse = op
        timeout = self.request_timeout if timeout is None else timeout
        future = self.submit(request)
        response = _wait(future, timeout, f"request {request.WhichOneof('kind')}")
        return parse(response)

    async def acall(self, op: "Op[T]", timeout: Optional[float] = None) -> T:
        request, parse = op
        timeout = self.request_timeout if timeout is None else timeout
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

    # Devices --------------------------------------------------------------------------------

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

    def add_subscription(self, subscription: _Subscription) -> None:
        with self._lock:
            self._subscriptions.append(subscription)

    def remove_subscriptions(
        self, device_index: int, input_type: int, feature_index: Optional[int]
    ) -> None:
        with self._lock:
            self._subscriptions = [
                s
                for s in self._subscriptions
                if not (
                    s.device_index == device_index
                    and s.input_type == input_type
                    and (feature_index is None or s.feature_index in (None, feature_index))
                )
            ]

    # The pump -------------------------------------------------------------------------------

    def _run(self) -> None:
        library = lib()
        failure: Optional[HaptixError] = None
        try:
            while not self._stop.is_set():
                buffer = Buffer()
                data = b""
                message = ""
                try:
                    with self.handle.use() as pointer:
                        status = library.haptix_client_next_event(
                            pointer, POLL_MS, ctypes.byref(buffer)
                        )
                        if status == Status.OK:
                            data = take_buffer(buffer)
                        elif status not in (Status.TIMEOUT, Status.CLOSED):
                            message = _native.last_error_message()
                except Closed:
                    break
                if status == Status.OK:
                    try:
                        self._dispatch(data)
                    except Exception:
                        log.exception("haptix: error while handling an event")
                elif status == Status.CLOSED:
                    break
                elif status != Status.TIMEOUT:
                    failure = error_for_status(status, message or "haptix_client_next_event failed")
                    if not isinstance(failure, Closed):
                        log.warning("haptix: client event pump stopped: %s", failure)
                    break
        finally:
            self._finish(failure)

    def _dispatch(self, data: bytes) -> None:
        message = event_pb2.Event()
        message.ParseFromString(data)
        kind = message.WhichOneof("kind")
        if kind == "response":
            with self._lock:
                future = self._pending.pop(message.request_id, None)
            if future is None:
                log.debug("haptix: response to unknown request %d", message.request_id)
                return
            response = message.response
            if response.status != Status.OK:
                _settle(future, error=error_for_status(response.status, response.message))
            else:
                _settle(future, result=response)
            return
        event = self._convert(message, kind, data)
        if isinstance(event, InputReading):
            with self._lock:
                callbacks = [s.callback for s in self._subscriptions if s.matches(event)]
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    log.exception("haptix: error in input callback")
        self.stream.push(event)

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
                if d.status == Status.OK:
                    error: HaptixError = ConnectError(
                        Status.ERROR_CONNECT, d.reason or "disconnected before connecting"
                    )
                else:
                    error = error_for_status(d.status, d.reason)
                _settle(self.connected, error=error)
            with self._lock:
                self.devices.clear()
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
            # Outside the lock: done-callbacks run here and may call back into the client.
            for future in ready:
                _settle(future, result=device)
            return DeviceAdded(device)
        if kind == "device_removed":
            index = message.device_removed.device_index
            with self._lock:
                removed = self.devices.pop(index, None)
            return DeviceRemoved(index, removed)
        if kind == "scanning_finished":
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
        for future in pending.values():
            _settle(future, error=failure or Closed(Status.CLOSED, reason))
        for _, waiter in waiters:
            _settle(waiter, error=Closed(Status.CLOSED, reason))
        if not self.connected.done():
            _settle(self.connected, error=failure or Closed(Status.CLOSED, reason))
        self.stream.end()

    # Teardown -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stops the pump and frees the native client (which disconnects and stops the client's
        devices). Idempotent; callable from any thread, including an input callback."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self.handle.mark_closing()
        if self._pump is not threading.current_thread():
            self._pump.join()
        self.handle.free()
        self._finish(None)
        self.context.remove_child(self)
        untrack(self, CLIENT)


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


def _feature_index(feature: Union[int, Feature, None]) -> Optional[int]:
    if feature is None:
        return None
    if isinstance(feature, Feature):
        return feature.index
    return int(feature)


def _output_op(
    device_index: int,
    output_type: Union[OutputType, int],
    level: Optional[float],
    steps: Optional[int],
    feature: Union[int, Feature, None],
    duration_ms: int,
) -> "Op[None]":
    if (level is None) == (steps is None):
        raise ValueError("give exactly one of level and steps")
    output = request_pb2.Output(
        device_index=device_index, output_type=cast(Any, int(output_type)), duration_ms=duration_ms
    )
    index = _feature_index(feature)
    if index is not None:
        output.feature_index = index
    if level is not None:
        output.level = float(level)
    else:
        assert steps is not None
        output.steps = int(steps)
    return _request(output=output), _none


def _input_op(
    device_index: int,
    input_type: Union[InputType, int],
    feature: Union[int, Feature, None],
    command: InputCommand,
) -> "Op[Any]":
    message = request_pb2.Input(
        device_index=device_index,
        input_type=cast(Any, int(input_type)),
        command=cast(Any, int(command)),
    )
    index = _feature_index(feature)
    if index is not None:
        message.feature_index = index
    if command == InputCommand.READ:
        return _request(input=message), _reading_value
    return _request(input=message), _none


def _reading_value(response: "Response") -> int:
    if response.WhichOneof("result") != "reading":
        raise HaptixError(Status.ERROR_INTERNAL, "input read answered without a reading")
    return int(response.reading.value)


def _battery_level(response: "Response") -> float:
    return _reading_value(response) / 100.0


class Device:
    """A connected device of a client, addressed by its index.

    Levels are 0.0 to 1.0 (rotation -1.0 to 1.0, the sign giving the direction), mapped onto
    each feature's steps. Without `feature`, every feature with that output type is set.
    Methods block until the server answered and raise HaptixError subclasses on failure
    (DeviceNotFound once the device is gone, NotSupported for an output it does not have...).
    """

    def __init__(self, client: _ClientCore, info: DeviceInfo) -> None:
        self._client = client
        self.info = info

    @property
    def index(self) -> int:
        return self.info.index

    @property
    def name(self) -> str:
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
    def message_timing_gap_ms(self) -> int:
        return self.info.message_timing_gap_ms

    @property
    def features(self) -> Tuple[Feature, ...]:
        return self.info.features

    @property
    def connected(self) -> bool:
        """Whether the client still has this device."""
        client = self._client
        return not client.closed and client.devices.get(self.index) is self

    def features_with_output(self, output_type: Union[OutputType, int]) -> List[Feature]:
        return [f for f in self.features if f.output(output_type) is not None]

    def features_with_input(self, input_type: Union[InputType, int]) -> List[Feature]:
        return [f for f in self.features if f.input(input_type) is not None]

    def has_output(self, output_type: Union[OutputType, int]) -> bool:
        return bool(self.features_with_output(output_type))

    def has_input(self, input_type: Union[InputType, int]) -> bool:
        return bool(self.features_with_input(input_type))

    def __repr__(self) -> str:
        return f"<haptix.Device {self.index}: {self.label!r}>"

    # Outputs --------------------------------------------------------------------------------

    def _output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        steps: Optional[int] = None,
        feature: Union[int, Feature, None] = None,
        duration_ms: int = 0,
    ) -> "Op[None]":
        return _output_op(self.index, output_type, level, steps, feature, duration_ms)

    def output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        *,
        steps: Optional[int] = None,
        feature: Union[int, Feature, None] = None,
        duration_ms: int = 0,
        timeout: Optional[float] = None,
    ) -> None:
        """Drives an output with a level (0.0-1.0) or a raw step value."""
        self._client.call(self._output(output_type, level, steps, feature, duration_ms), timeout)

    def vibrate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        self._client.call(self._output(OutputType.VIBRATE, level, feature=feature))

    def rotate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        """Rotation speed -1.0 to 1.0; the sign is the direction."""
        self._client.call(self._output(OutputType.ROTATE, level, feature=feature))

    def oscillate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        self._client.call(self._output(OutputType.OSCILLATE, level, feature=feature))

    def constrict(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        self._client.call(self._output(OutputType.CONSTRICT, level, feature=feature))

    def position(
        self, position: float, duration_ms: int, feature: Union[int, Feature, None] = None
    ) -> None:
        """Moves to `position` (0.0-1.0) in `duration_ms` milliseconds."""
        self._client.call(
            self._output(
                OutputType.HW_POSITION_WITH_DURATION,
                position,
                feature=feature,
                duration_ms=duration_ms,
            )
        )

    def stop(self) -> None:
        """Stops every output (and subscription) of this device."""
        self._client.call(self._stop_op())

    def _stop_op(self) -> "Op[None]":
        return _request(stop_device=request_pb2.StopDevice(device_index=self.index)), _none

    # Inputs ---------------------------------------------------------------------------------

    def read(
        self, input_type: Union[InputType, int], feature: Union[int, Feature, None] = None
    ) -> int:
        """Reads an input once (battery: percent; RSSI: dBm; ...)."""
        return self._client.call(_input_op(self.index, input_type, feature, InputCommand.READ))  # type: ignore[no-any-return]

    def battery(self) -> float:
        """Battery level, 0.0 to 1.0."""
        request, _ = _input_op(self.index, InputType.BATTERY, None, InputCommand.READ)
        return self._client.call((request, _battery_level))

    def subscribe(
        self,
        input_type: Union[InputType, int],
        feature: Union[int, Feature, None] = None,
        callback: Optional[InputCallback] = None,
    ) -> None:
        """Starts a subscription. Readings arrive as InputReading events, and are also passed to
        `callback` (on the client's event thread; keep it quick) when given."""
        subscription = self._prepare_subscription(input_type, feature, callback)
        try:
            self._client.call(_input_op(self.index, input_type, feature, InputCommand.SUBSCRIBE))
        except BaseException:
            self._drop_subscription(subscription)
            raise

    def unsubscribe(
        self, input_type: Union[InputType, int], feature: Union[int, Feature, None] = None
    ) -> None:
        self._client.call(_input_op(self.index, input_type, feature, InputCommand.UNSUBSCRIBE))
        self._client.remove_subscriptions(self.index, int(input_type), _feature_index(feature))

    def _prepare_subscription(
        self,
        input_type: Union[InputType, int],
        feature: Union[int, Feature, None],
        callback: Optional[InputCallback],
    ) -> Optional[_Subscription]:
        if callback is None:
            return None
        subscription = _Subscription(self.index, int(input_type), _feature_index(feature), callback)
        self._client.add_subscription(subscription)
        return subscription

    def _drop_subscription(self, subscription: Optional[_Subscription]) -> None:
        if subscription is not None:
            with self._client._lock:
                if subscription in self._client._subscriptions:
                    self._client._subscriptions.remove(subscription)


# Client-level request builders ----------------------------------------------------------------


def _device_list(response: "Response") -> List[DeviceInfo]:
    return [DeviceInfo._from_proto(d) for d in response.device_list.devices]


def _simulated_address(response: "Response") -> str:
    return str(response.simulated_device.address)


def _writes(response: "Response") -> List[Write]:
    return [Write(w.endpoint, bytes(w.data), w.with_response) for w in response.writes.writes]


class Client:
    """A connection to a Buttplug server: the context's embedded server
    (`Client.connect_embedded`) or a remote one (`Client.connect`).

    Use it as a context manager or call `close()`; a client collected without `close()` is
    closed by a finalizer. Devices stop working once their client is closed.
    """

    def __init__(self, _core: _ClientCore, _context: Context) -> None:
        self._core = _core
        self._context = _context
        self._finalizer = finalize_later(self, _core.close)

    @staticmethod
    def _options(name: str, url: Optional[str]) -> options_pb2.ClientOptions:
        options = options_pb2.ClientOptions(client_name=name)
        if url is None:
            options.embedded.SetInParent()
        else:
            options.websocket_url = url
        return options

    @classmethod
    def _open(
        cls,
        context: Context,
        name: str,
        url: Optional[str],
        request_timeout: Optional[float],
        max_events: int,
    ) -> "Client":
        core = _ClientCore(context._core, cls._options(name, url), request_timeout, max_events)
        return cls(core, context)

    def _await_connection(self, timeout: Optional[float]) -> None:
        try:
            _wait(self._core.connected, timeout, "connecting")
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
        """Connects to the context's embedded server and waits for the handshake."""
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
        """Connects to a Buttplug WebSocket server such as "ws://127.0.0.1:12345"."""
        client = cls._open(context, name, url, request_timeout, max_events)
        client._await_connection(timeout)
        return client

    # State ----------------------------------------------------------------------------------

    @property
    def context(self) -> Context:
        return self._context

    @property
    def server_name(self) -> str:
        return self._core.connected.result().server_name if self._connected_ok() else ""

    @property
    def spec_version(self) -> int:
        return self._core.connected.result().spec_version if self._connected_ok() else 0

    def _connected_ok(self) -> bool:
        f = self._core.connected
        return f.done() and not f.cancelled() and f.exception() is None

    @property
    def connected(self) -> bool:
        return self._connected_ok() and self._core.disconnected is None and not self._core.closed

    @property
    def closed(self) -> bool:
        return self._core.closed

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

    # Requests -------------------------------------------------------------------------------

    def send(self, request: request_pb2.Request) -> "concurrent.futures.Future[Response]":
        """Low level: sends any haptix.v1.Request; the future gives its Response or raises."""
        return self._core.submit(request)

    def start_scanning(self) -> None:
        self._core.call((_request(start_scanning=request_pb2.StartScanning()), _none))

    def stop_scanning(self) -> None:
        self._core.call((_request(stop_scanning=request_pb2.StopScanning()), _none))

    def request_device_list(self) -> List[Device]:
        """Asks the server for its device list (also refreshes `devices`)."""
        infos = self._core.call(
            (_request(request_device_list=request_pb2.RequestDeviceList()), _device_list)
        )
        return self._core.update_devices(infos)

    def wait_for_device(
        self, timeout: Optional[float] = None, *, name: Optional[str] = None
    ) -> Device:
        """A connected device (with that name, if given): one already known, else the next one
        added. Raises Timeout after `timeout` seconds."""
        future = self._core.device_future(_device_predicate(name))
        try:
            return _wait(future, timeout, "waiting for a device")
        finally:
            future.cancel()

    def stop_all(self) -> None:
        """Stops every device."""
        self._core.call((_request(stop_all=request_pb2.StopAll()), _none))

    def ping(self) -> None:
        self._core.call((_request(ping=request_pb2.Ping()), _none))

    def disconnect(self) -> None:
        """Closes the connection (the server stops every device); a Disconnected event follows.
        The client still needs `close()`."""
        self._core.call((_request(disconnect=request_pb2.Disconnect()), _none))

    def close(self) -> None:
        """Disconnects and frees the client. Idempotent."""
        self._finalizer.detach()
        self._core.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Simulated devices (embedded server only) -----------------------------------------------

    def add_simulated_device(self, identifier: str, address: str = "") -> str:
        """Adds a virtual device (e.g. "LVS-Hush") found by the next or current scan; returns
        its address."""
        return self._core.call(_add_simulated_op(identifier, address))

    def remove_simulated_device(self, address: str) -> None:
        self._core.call(_remove_simulated_op(address))

    def inject_notification(self, address: str, endpoint: str, data: bytes) -> None:
        """Makes a virtual device send `data` on `endpoint` (e.g. "rx"), as hardware would."""
        self._core.call(_inject_op(address, endpoint, data))

    def take_writes(self, address: str, *, wait: float = 0.0) -> List[Write]:
        """Returns and clears what a virtual device received. With `wait`, polls for up to that
        many seconds until something arrived (writes happen just after a command's response)."""
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
        """The same event stream for asyncio: `async for event in client.aevents()`."""
        while True:
            try:
                event = await self._core.stream.aget()
            except Closed:
                return
            yield event


def _device_predicate(name: Optional[str]) -> Callable[[Device], bool]:
    if name is None:
        return lambda device: True
    return lambda device: name in (device.name, device.display_name)


def _add_simulated_op(identifier: str, address: str) -> "Op[str]":
    from .types import SimulatedDevice

    request = _request(
        add_simulated_device=request_pb2.AddSimulatedDevice(
            device=SimulatedDevice(identifier, address)._to_proto()
        )
    )
    return request, _simulated_address


def _remove_simulated_op(address: str) -> "Op[None]":
    return _request(
        remove_simulated_device=request_pb2.RemoveSimulatedDevice(address=address)
    ), _none


def _inject_op(address: str, endpoint: str, data: bytes) -> "Op[None]":
    return (
        _request(
            inject_notification=request_pb2.InjectNotification(
                address=address, endpoint=endpoint, data=bytes(data)
            )
        ),
        _none,
    )


def _take_writes_op(address: str) -> "Op[List[Write]]":
    return _request(take_writes=request_pb2.TakeWrites(address=address)), _writes
