"""asyncio API: `AsyncClient` and `AsyncDevice`, the awaitable counterparts of `Client` and
`Device`. They share the client's pump thread and event stream; awaiting never blocks the loop.

    async with await AsyncClient.connect_embedded(context) as client:
        await client.start_scanning()
        device = await client.wait_for_device(timeout=5)
        await device.vibrate(0.5)
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Dict, List, Optional, Union

from ._pb import request_pb2
from .client import (
    DEFAULT_CLIENT_NAME,
    Client,
    Device,
    InputCallback,
    _add_simulated_op,
    _battery_level,
    _device_list,
    _device_predicate,
    _feature_index,
    _inject_op,
    _input_op,
    _none,
    _remove_simulated_op,
    _request,
    _take_writes_op,
)
from .context import Context
from .errors import HaptixError, Status, Timeout
from .events import Event
from .types import DeviceInfo, Feature, InputCommand, InputType, OutputType, Write


class AsyncDevice:
    """A device of an AsyncClient; every command is awaitable."""

    def __init__(self, device: Device) -> None:
        self.sync = device
        self._client = device._client

    @property
    def index(self) -> int:
        return self.sync.index

    @property
    def name(self) -> str:
        return self.sync.name

    @property
    def display_name(self) -> str:
        return self.sync.display_name

    @property
    def label(self) -> str:
        return self.sync.label

    @property
    def info(self) -> DeviceInfo:
        return self.sync.info

    @property
    def features(self) -> "tuple[Feature, ...]":
        return self.sync.features

    @property
    def connected(self) -> bool:
        return self.sync.connected

    def has_output(self, output_type: Union[OutputType, int]) -> bool:
        return self.sync.has_output(output_type)

    def has_input(self, input_type: Union[InputType, int]) -> bool:
        return self.sync.has_input(input_type)

    def __repr__(self) -> str:
        return f"<haptix.AsyncDevice {self.index}: {self.label!r}>"

    async def output(
        self,
        output_type: Union[OutputType, int],
        level: Optional[float] = None,
        *,
        steps: Optional[int] = None,
        feature: Union[int, Feature, None] = None,
        duration_ms: int = 0,
        timeout: Optional[float] = None,
    ) -> None:
        op = self.sync._output(output_type, level, steps, feature, duration_ms)
        await self._client.acall(op, timeout)

    async def vibrate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        await self._client.acall(self.sync._output(OutputType.VIBRATE, level, feature=feature))

    async def rotate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        await self._client.acall(self.sync._output(OutputType.ROTATE, level, feature=feature))

    async def oscillate(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        await self._client.acall(self.sync._output(OutputType.OSCILLATE, level, feature=feature))

    async def constrict(self, level: float, feature: Union[int, Feature, None] = None) -> None:
        await self._client.acall(self.sync._output(OutputType.CONSTRICT, level, feature=feature))

    async def position(
        self, position: float, duration_ms: int, feature: Union[int, Feature, None] = None
    ) -> None:
        await self._client.acall(
            self.sync._output(
                OutputType.HW_POSITION_WITH_DURATION,
                position,
                feature=feature,
                duration_ms=duration_ms,
            )
        )

    async def stop(self) -> None:
        await self._client.acall(self.sync._stop_op())

    async def read(
        self, input_type: Union[InputType, int], feature: Union[int, Feature, None] = None
    ) -> int:
        value: int = await self._client.acall(
            _input_op(self.index, input_type, feature, InputCommand.READ)
        )
        return value

    async def battery(self) -> float:
        request, _ = _input_op(self.index, InputType.BATTERY, None, InputCommand.READ)
        return await self._client.acall((request, _battery_level))

    async def subscribe(
        self,
        input_type: Union[InputType, int],
        feature: Union[int, Feature, None] = None,
        callback: Optional[InputCallback] = None,
    ) -> None:
        """Readings arrive as InputReading events (and to `callback`, on the client's event
        thread, when given)."""
        subscription = self.sync._prepare_subscription(input_type, feature, callback)
        try:
            await self._client.acall(
                _input_op(self.index, input_type, feature, InputCommand.SUBSCRIBE)
            )
        except BaseException:
            self.sync._drop_subscription(subscription)
            raise

    async def unsubscribe(
        self, input_type: Union[InputType, int], feature: Union[int, Feature, None] = None
    ) -> None:
        await self._client.acall(
            _input_op(self.index, input_type, feature, InputCommand.UNSUBSCRIBE)
        )
        self._client.remove_subscriptions(self.index, int(input_type), _feature_index(feature))


class AsyncClient:
    """The asyncio face of a `Client` (available as `.sync`)."""

    def __init__(self, client: Client) -> None:
        self.sync = client
        self._core = client._core

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
        return cls(client)

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
        return await cls._open(context, name, url, timeout, request_timeout, max_events)

    @property
    def server_name(self) -> str:
        return self.sync.server_name

    @property
    def connected(self) -> bool:
        return self.sync.connected

    @property
    def closed(self) -> bool:
        return self.sync.closed

    @property
    def devices(self) -> Dict[int, AsyncDevice]:
        return {index: AsyncDevice(d) for index, d in self.sync.devices.items()}

    def __repr__(self) -> str:
        return f"<haptix.AsyncClient of {self.sync!r}>"

    async def start_scanning(self) -> None:
        await self._core.acall((_request(start_scanning=request_pb2.StartScanning()), _none))

    async def stop_scanning(self) -> None:
        await self._core.acall((_request(stop_scanning=request_pb2.StopScanning()), _none))

    async def request_device_list(self) -> List[AsyncDevice]:
        infos = await self._core.acall(
            (_request(request_device_list=request_pb2.RequestDeviceList()), _device_list)
        )
        return [AsyncDevice(d) for d in self._core.update_devices(infos)]

    async def wait_for_device(
        self, timeout: Optional[float] = None, *, name: Optional[str] = None
    ) -> AsyncDevice:
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
        return AsyncDevice(device)

    async def stop_all(self) -> None:
        await self._core.acall((_request(stop_all=request_pb2.StopAll()), _none))

    async def ping(self) -> None:
        await self._core.acall((_request(ping=request_pb2.Ping()), _none))

    async def disconnect(self) -> None:
        await self._core.acall((_request(disconnect=request_pb2.Disconnect()), _none))

    async def add_simulated_device(self, identifier: str, address: str = "") -> str:
        return await self._core.acall(_add_simulated_op(identifier, address))

    async def remove_simulated_device(self, address: str) -> None:
        await self._core.acall(_remove_simulated_op(address))

    async def inject_notification(self, address: str, endpoint: str, data: bytes) -> None:
        await self._core.acall(_inject_op(address, endpoint, data))

    async def take_writes(self, address: str, *, wait: float = 0.0) -> List[Write]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            writes = await self._core.acall(_take_writes_op(address))
            if writes or loop.time() >= deadline:
                return writes
            await asyncio.sleep(0.01)

    async def next_event(self) -> Event:
        """The next event; raises Closed after the last one."""
        return await self._core.stream.aget()

    def events(self) -> AsyncIterator[Event]:
        """`async for event in client.events()`: ends after the last event."""
        return self.sync.aevents()

    async def close(self) -> None:
        """Disconnects and frees the client (in a worker thread: it joins the event thread)."""
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
