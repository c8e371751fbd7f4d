"""asyncio API: `AsyncClient`, `AsyncDevice` and `AsyncDeviceFeature`, the awaitable
counterparts of `Client`, `Device` and `DeviceFeature`. They share the client's pump and event
stream; awaiting never blocks the loop (requests are completed by the pump, which never waits
for the loop).

    async with await AsyncClient.connect_embedded(context) as client:
        await client.start_scanning()
        device = await client.wait_for_device(timeout=5)
        await device.vibrate(0.5)

Callbacks given to this API (`AsyncDevice.subscribe(callback=...)`, `AsyncClient.on_*`) run on
the event loop the client was created on, one at a time and in event order; coroutine functions
are awaited. They may await any method of the binding.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, List, Optional, Tuple, Union

from . import _args
from ._pb import request_pb2
from .client import (
    DEFAULT_CLIENT_NAME,
    Client,
    Device,
    DeviceFeature,
    EventHandler,
    FeatureRef,
    InputCallback,
    Op,
    _add_simulated_op,
    _battery_level,
    _device_list,
    _device_predicate,
    _inject_op,
    _none,
    _remove_simulated_op,
    _request,
    _stop_all_op,
    _take_writes_op,
)
from .context import Context
from .errors import HaptixError, Status, Timeout
from .events import DeviceAdded, DeviceRemoved, Event
from .types import DeviceInfo, Feature, InputCommand, InputType, OutputType, Write

if TYPE_CHECKING:
    from .v1.event_pb2 import Response


class AsyncDevice:
    """A device of an AsyncClient; every command is awaitable (see `Device` for the meaning
    of each). `sync` is the synchronous `Device` behind it."""

    def __init__(self, device: Device, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self.sync = device
        self._client = device._client
        self._loop = loop

    @classmethod
    def _of(cls, device: Device, loop: Optional[asyncio.AbstractEventLoop]) -> "AsyncDevice":
        """The one AsyncDevice of a Device (so events and `devices` give the same object)."""
        view = device._async_view
        if view is None:
            view = cls(device, loop)
            device._async_view = view
        return view  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncDevice) and other.sync is self.sync

    def __hash__(self) -> int:
        return id(self.sync)

    @property
    def index(self) -> int:
        """The index the server gave this device."""
        return self.sync.index

    @property
    def name(self) -> str:
        """The product name."""
        return self.sync.name

    @property
    def display_name(self) -> str:
        """The user-configured name; empty when none is set."""
        return self.sync.display_name

    @property
    def label(self) -> str:
        """The display name if set, else the name."""
        return self.sync.label

    @property
    def address(self) -> str:
        """The hardware address (empty for a remote server's devices)."""
        return self.sync.address

    @property
    def message_timing_gap_ms(self) -> int:
        """The smallest gap between two commands the device handles well, in ms."""
        return self.sync.message_timing_gap_ms

    @property
    def info(self) -> DeviceInfo:
        """What the server announced about the device."""
        return self.sync.info

    @property
    def features(self) -> "tuple[Feature, ...]":
        """The device's features as plain data."""
        return self.sync.features

    @property
    def connected(self) -> bool:
        """Whether the client still has this device."""
        return self.sync.connected

    @property
    def has_battery(self) -> bool:
        """Whether the device reports its battery level."""
        return self.sync.has_battery

    @property
    def has_rssi(self) -> bool:
        """Whether the device reports its signal strength."""
        return self.sync.has_rssi

    def feature(self, index: Union[int, Feature]) -> "AsyncDeviceFeature":
        """The feature with that index, with awaitable commands."""
        return AsyncDeviceFeature(self, self.sync.feature(index))

    @property
    def device_features(self) -> "Tuple[AsyncDeviceFeature, ...]":
        """Every feature as an `AsyncDeviceFeature`."""
        return tuple(AsyncDeviceFeature(self, f) for f in self.sync.device_features)

    def features_with_output(self, output_type: Union[OutputType, int]) -> List[Feature]:
        """The features that have an output of this type."""
        return self.sync.features_with_output(output_type)

    def features_with_input(self, input_type: Union[InputType, int]) -> List[Feature]:
        """The features that have an input of this type."""
        return self.sync.features_with_input(input_type)

    def has_output(self, output_type: Union[OutputType, int]) -> bool:
        """Whether some feature has an output of this type."""
        return self.sync.has_output(output_type)

    def has_input(self, input_type: Union[InputType, int]) -> bool:
        """Whether some feature has an input of this type."""
        return self.sync.has_input(input_type)

    def __repr__(self) -> str:
        return f"<haptix.AsyncDevice {self.index}: {self.label!r}>"

    async def _send(self, op: "Op[None]", timeout: Optional[float], wait: bool) -> None:
        if wait:
            await self._client.acall(op, timeout)
        else:
            self._client.send_nowait(op[0])

    async def output(
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
        feature = _sync_feature(feature)
        op = self.sync._output_op(output_type, level, steps, feature, duration_ms)
        await self._send(op, timeout, wait)

    async def vibrate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Vibration strength 0.0 to 1.0 (0 stops)."""
        await self.output(OutputType.VIBRATE, level, feature=feature, timeout=timeout, wait=wait)

    async def rotate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Rotation speed -1.0 to 1.0; the sign is the direction."""
        await self.output(OutputType.ROTATE, level, feature=feature, timeout=timeout, wait=wait)

    async def oscillate(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Oscillation speed 0.0 to 1.0."""
        await self.output(OutputType.OSCILLATE, level, feature=feature, timeout=timeout, wait=wait)

    async def constrict(
        self,
        level: float,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Constriction strength 0.0 to 1.0."""
        await self.output(OutputType.CONSTRICT, level, feature=feature, timeout=timeout, wait=wait)

    async def position(
        self,
        position: float,
        duration_ms: int,
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Moves to `position` (0.0-1.0) in `duration_ms` milliseconds."""
        await self.output(
            OutputType.HW_POSITION_WITH_DURATION,
            position,
            feature=feature,
            duration_ms=duration_ms,
            timeout=timeout,
            wait=wait,
        )

    async def stop(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Stops outputs and ends input subscriptions (and their callbacks); see
        `Device.stop`."""
        op = self.sync._stop_op(inputs, outputs)
        if inputs:
            self._client.remove_subscriptions(device_index=self.index)
        await self._client.acall(op, timeout)

    async def read(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
    ) -> int:
        """Reads an input once (battery: percent; RSSI: dBm; ...)."""
        op, _ = self.sync._input_op(input_type, _sync_feature(feature), InputCommand.READ)
        value: int = await self._client.acall(op, timeout)
        return value

    async def battery(self, *, timeout: Optional[float] = None) -> float:
        """Battery level, 0.0 to 1.0."""
        (request, _), _ = self.sync._input_op(InputType.BATTERY, None, InputCommand.READ)
        return await self._client.acall((request, _battery_level), timeout)

    async def rssi(self, *, timeout: Optional[float] = None) -> int:
        """Signal strength in dBm."""
        return await self.read(InputType.RSSI, timeout=timeout)

    async def subscribe(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        callback: Optional[InputCallback] = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Readings arrive as InputReading events, and to `callback` when given: run on this
        client's event loop, awaited when it is a coroutine function. Subscribing again to the
        same input replaces the callback."""
        loop = self._loop or asyncio.get_running_loop()
        op, subscription, previous = self.sync._prepare_subscription(
            input_type, _sync_feature(feature), callback, loop
        )
        try:
            await self._client.acall(op, timeout)
        except BaseException:
            self._client.restore_subscription(subscription, previous)
            raise

    async def unsubscribe(
        self,
        input_type: Union[InputType, int],
        feature: FeatureRef = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Ends a subscription and drops its callback."""
        op, resolved = self.sync._input_op(
            input_type, _sync_feature(feature), InputCommand.UNSUBSCRIBE
        )
        self._client.remove_subscriptions(self.index, int(input_type), resolved)
        await self._client.acall(op, timeout)


def _sync_feature(feature: Any) -> FeatureRef:
    return feature.sync if isinstance(feature, AsyncDeviceFeature) else feature


class AsyncDeviceFeature:
    """One feature of an AsyncDevice, with awaitable commands (see `DeviceFeature`)."""

    def __init__(self, device: AsyncDevice, feature: DeviceFeature) -> None:
        self.device = device
        self.sync = feature

    @property
    def index(self) -> int:
        """The feature's index on its device."""
        return self.sync.index

    @property
    def description(self) -> str:
        """What the device database calls this feature."""
        return self.sync.description

    @property
    def info(self) -> Feature:
        """The feature as plain data."""
        return self.sync.info

    @property
    def output_types(self) -> "Tuple[Union[OutputType, int], ...]":
        """The output types of this feature."""
        return self.sync.output_types

    @property
    def input_types(self) -> "Tuple[Union[InputType, int], ...]":
        """The input types of this feature."""
        return self.sync.input_types

    def __repr__(self) -> str:
        return f"<haptix.AsyncDeviceFeature {self.index} of {self.device!r}>"

    async def output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        *,
        steps: Optional[int] = None,
        duration_ms: int = 0,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Drives this feature's output of that type."""
        await self.device.output(
            output_type,
            level,
            steps=steps,
            feature=self.sync,
            duration_ms=duration_ms,
            timeout=timeout,
            wait=wait,
        )

    async def vibrate(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Vibration strength 0.0 to 1.0 of this feature."""
        await self.output(OutputType.VIBRATE, level, timeout=timeout, wait=wait)

    async def rotate(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Rotation speed -1.0 to 1.0 of this feature."""
        await self.output(OutputType.ROTATE, level, timeout=timeout, wait=wait)

    async def oscillate(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Oscillation speed 0.0 to 1.0 of this feature."""
        await self.output(OutputType.OSCILLATE, level, timeout=timeout, wait=wait)

    async def constrict(
        self, level: float, *, timeout: Optional[float] = None, wait: bool = True
    ) -> None:
        """Constriction strength 0.0 to 1.0 of this feature."""
        await self.output(OutputType.CONSTRICT, level, timeout=timeout, wait=wait)

    async def position(
        self,
        position: float,
        duration_ms: int,
        *,
        timeout: Optional[float] = None,
        wait: bool = True,
    ) -> None:
        """Moves this feature to `position` in `duration_ms` milliseconds."""
        await self.device.position(position, duration_ms, self.sync, timeout=timeout, wait=wait)

    async def stop(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Turns this feature's outputs off and ends this client's subscriptions on it."""
        sync = self.sync
        core = sync.device._client
        if inputs:
            for subscription in core.remove_subscriptions(
                device_index=sync.device.index, feature_index=sync.index
            ):
                op, _ = sync.device._input_op(
                    subscription.input_type, sync.index, InputCommand.UNSUBSCRIBE
                )
                await core.acall(op, timeout)
        if outputs:
            for op in sync.device._feature_stop_ops(sync.info):
                await core.acall(op, timeout)

    async def read(
        self, input_type: Union[InputType, int], *, timeout: Optional[float] = None
    ) -> int:
        """Reads this feature's input of that type once."""
        return await self.device.read(input_type, self.sync, timeout=timeout)

    async def subscribe(
        self,
        input_type: Union[InputType, int],
        callback: Optional[InputCallback] = None,
        *,
        timeout: Optional[float] = None,
    ) -> None:
        """Subscribes to this feature's input (see `AsyncDevice.subscribe`)."""
        await self.device.subscribe(input_type, self.sync, callback, timeout=timeout)

    async def unsubscribe(
        self, input_type: Union[InputType, int], *, timeout: Optional[float] = None
    ) -> None:
        """Ends the subscription to this feature's input."""
        await self.device.unsubscribe(input_type, self.sync, timeout=timeout)


def _async_handler_property(name: str, doc: str) -> Any:
    def getter(self: "AsyncClient") -> Optional[EventHandler]:
        handler = self._core.event_handlers.get(name)
        if handler is None:
            return None
        callback = handler.callback
        return callback.callback if isinstance(callback, _AsyncEventHandler) else callback

    def setter(self: "AsyncClient", callback: Optional[EventHandler]) -> None:
        self.sync._set_handler(name, None if callback is None else self._wrap(callback), self._loop)

    return property(getter, setter, doc=doc)


class _AsyncEventHandler:
    """Turns the event a handler receives into its asyncio form (async devices)."""

    __slots__ = ("client", "callback")

    def __init__(self, client: "AsyncClient", callback: EventHandler) -> None:
        self.client = client
        self.callback = callback

    def __call__(self, event: Event) -> Any:
        return self.callback(self.client._to_async(event))


class AsyncClient:
    """The asyncio face of a `Client` (available as `.sync`). Create it with
    `await AsyncClient.connect_embedded(context)` or `await AsyncClient.connect(context, url)`
    on the event loop that will use it: handlers and callbacks run on that loop."""

    def __init__(self, client: Client, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self.sync = client
        self._core = client._core
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self._loop = loop

    @classmethod
    async def _open(
        cls,
        context: Context,
        name: str,
        url: Optional[str],
        timeout: Optional[float],
        request_timeout: Optional[float],
        max_events: int,
    ) -> "AsyncClient":
        timeout = _args.timeout("timeout", timeout)
        client = Client._open(context, name, url, request_timeout, max_events)
        try:
            await asyncio.wait_for(asyncio.wrap_future(client._core.connected), timeout)
        except asyncio.TimeoutError as e:
            await asyncio.to_thread(client.close)
            if isinstance(e, HaptixError):
                raise
            raise Timeout(Status.TIMEOUT, f"connecting: nothing within {timeout} s") from None
        except BaseException:
            await asyncio.to_thread(client.close)
            raise
        return cls(client, asyncio.get_running_loop())

    @classmethod
    async def connect_embedded(
        cls,
        context: Context,
        *,
        name: str = DEFAULT_CLIENT_NAME,
        timeout: Optional[float] = 10.0,
        request_timeout: Optional[float] = 30.0,
        max_events: int = 10_000,
    ) -> "AsyncClient":
        """Connects to the context's embedded server (see `Client.connect_embedded`)."""
        return await cls._open(context, name, None, timeout, request_timeout, max_events)

    @classmethod
    async def connect(
        cls,
        context: Context,
        url: str,
        *,
        name: str = DEFAULT_CLIENT_NAME,
        timeout: Optional[float] = 10.0,
        request_timeout: Optional[float] = 30.0,
        max_events: int = 10_000,
    ) -> "AsyncClient":
        """Connects to a Buttplug WebSocket server (see `Client.connect`)."""
        return await cls._open(context, name, url, timeout, request_timeout, max_events)

    def _device(self, device: Device) -> AsyncDevice:
        return AsyncDevice._of(device, self._loop)

    def _to_async(self, event: Event) -> Event:
        """The event with `AsyncDevice`s in place of `Device`s."""
        if isinstance(event, DeviceAdded) and isinstance(event.device, Device):
            return DeviceAdded(self._device(event.device))
        if isinstance(event, DeviceRemoved) and isinstance(event.device, Device):
            return DeviceRemoved(event.device_index, self._device(event.device))
        return event

    def _wrap(self, callback: EventHandler) -> EventHandler:
        return _AsyncEventHandler(self, callback)

    @property
    def context(self) -> Context:
        """The context this client was made from."""
        return self.sync.context

    @property
    def server_name(self) -> str:
        """The server's name from the handshake."""
        return self.sync.server_name

    @property
    def spec_version(self) -> int:
        """The Buttplug spec version negotiated."""
        return self.sync.spec_version

    @property
    def connected(self) -> bool:
        """Whether the client is connected."""
        return self.sync.connected

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self.sync.closed

    @property
    def scanning(self) -> bool:
        """Whether a scan this client started is running."""
        return self.sync.scanning

    @property
    def request_timeout(self) -> Optional[float]:
        """How long a request waits for its answer, in seconds (None: no limit)."""
        return self.sync.request_timeout

    @property
    def dropped_events(self) -> int:
        """Events dropped because nobody read them and the buffer was full."""
        return self.sync.dropped_events

    @property
    def devices(self) -> Dict[int, AsyncDevice]:
        """The connected devices by index (a snapshot)."""
        return {index: self._device(d) for index, d in self.sync.devices.items()}

    def __repr__(self) -> str:
        return f"<haptix.AsyncClient of {self.sync!r}>"

    on_device_added = _async_handler_property(
        "device_added", "Called (on the loop, awaited) with each `DeviceAdded` event."
    )
    on_device_removed = _async_handler_property(
        "device_removed", "Called (on the loop, awaited) with each `DeviceRemoved` event."
    )
    on_scanning_finished = _async_handler_property(
        "scanning_finished", "Called (on the loop, awaited) with each `ScanningFinished`."
    )
    on_input_reading = _async_handler_property(
        "input_reading", "Called (on the loop, awaited) with every `InputReading`."
    )
    on_error = _async_handler_property(
        "error", "Called (on the loop, awaited) with each `ErrorReport`."
    )
    on_disconnected = _async_handler_property(
        "disconnected", "Called (on the loop, awaited) with the `Disconnected` event."
    )

    async def send(self, request: request_pb2.Request) -> "Response":
        """Low level: sends any haptix.v1.Request and returns its Response (or raises)."""
        if not isinstance(request, request_pb2.Request):
            raise _args.wrong_type("request", "a haptix.v1.Request", request)
        future: "concurrent.futures.Future[Response]" = self._core.submit(request)
        return await asyncio.wrap_future(future)

    async def start_scanning(self, *, timeout: Optional[float] = None) -> None:
        """Starts looking for devices."""
        self._core.scanning = True
        try:
            await self._core.acall(
                (_request(start_scanning=request_pb2.StartScanning()), _none), timeout
            )
        except BaseException:
            self._core.scanning = False
            raise

    async def stop_scanning(self, *, timeout: Optional[float] = None) -> None:
        """Stops looking for devices."""
        await self._core.acall((_request(stop_scanning=request_pb2.StopScanning()), _none), timeout)
        self._core.scanning = False

    async def request_device_list(self, *, timeout: Optional[float] = None) -> List[AsyncDevice]:
        """Asks the server for its device list (also refreshes `devices`)."""
        infos = await self._core.acall(
            (_request(request_device_list=request_pb2.RequestDeviceList()), _device_list), timeout
        )
        return [self._device(d) for d in self._core.update_devices(infos)]

    async def wait_for_device(
        self, timeout: Optional[float] = None, *, name: Optional[str] = None
    ) -> AsyncDevice:
        """A connected device (with that name, if given): one already known, else the next one
        added. Raises Timeout after `timeout` seconds."""
        timeout = _args.timeout("timeout", timeout)
        future = self._core.device_future(_device_predicate(name))
        try:
            device = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError as e:
            if isinstance(e, HaptixError):
                raise
            raise Timeout(
                Status.TIMEOUT, f"waiting for a device: nothing within {timeout} s"
            ) from None
        finally:
            future.cancel()
        return self._device(device)

    async def stop_all(
        self, *, inputs: bool = True, outputs: bool = True, timeout: Optional[float] = None
    ) -> None:
        """Stops every device (see `Client.stop_all`)."""
        op = _stop_all_op(inputs, outputs)
        if inputs:
            self._core.remove_subscriptions()
        await self._core.acall(op, timeout)

    async def ping(self, *, timeout: Optional[float] = None) -> None:
        """Round trip to the server."""
        await self._core.acall((_request(ping=request_pb2.Ping()), _none), timeout)

    async def disconnect(self, *, timeout: Optional[float] = None) -> None:
        """Closes the connection; a Disconnected event follows. Still needs `close()`."""
        await self._core.acall((_request(disconnect=request_pb2.Disconnect()), _none), timeout)

    async def add_simulated_device(self, identifier: str, address: str = "") -> str:
        """Adds a virtual device; returns its address (see `Client.add_simulated_device`)."""
        return await self._core.acall(_add_simulated_op(identifier, address))

    async def remove_simulated_device(self, address: str) -> None:
        """Removes a virtual device."""
        await self._core.acall(_remove_simulated_op(address))

    async def inject_notification(self, address: str, endpoint: str, data: bytes) -> None:
        """Makes a virtual device send `data` on `endpoint`."""
        await self._core.acall(_inject_op(address, endpoint, data))

    async def take_writes(self, address: str, *, wait: float = 0.0) -> List[Write]:
        """Returns and clears what a virtual device received (its latest 4,096 writes); see
        `Client.take_writes`."""
        wait = _args.real("wait", wait)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            writes = await self._core.acall(_take_writes_op(address))
            if writes or loop.time() >= deadline:
                return writes
            await asyncio.sleep(0.01)

    async def next_event(self) -> Event:
        """The next event (with `AsyncDevice`s); raises Closed after the last one."""
        return self._to_async(await self._core.stream.aget())

    async def events(self) -> AsyncIterator[Event]:
        """`async for event in client.events()`: events with `AsyncDevice`s; ends after the
        last one."""
        async for event in self.sync.aevents():
            yield self._to_async(event)

    async def close(self) -> None:
        """Disconnects and frees the client (in a worker thread, so the loop keeps running)."""
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["AsyncClient", "AsyncDevice", "AsyncDeviceFeature"]
