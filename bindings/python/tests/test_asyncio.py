"""The asyncio API over the same pump."""

from __future__ import annotations

import asyncio

import pytest
from conftest import ADDRESS

import haptix
from haptix import AsyncClient, InputType


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coroutine, 60))


def test_async_client_end_to_end(context: haptix.Context) -> None:
    async def main() -> None:
        async with await AsyncClient.connect_embedded(context, name="asyncio") as client:
            assert client.connected and client.server_name == "Haptix"
            await client.ping()
            await client.start_scanning()
            device = await client.wait_for_device(timeout=10)
            assert device.name == "Lovense Hush"
            await client.stop_scanning()
            await client.take_writes(ADDRESS)
            await device.vibrate(0.5)
            writes = await client.take_writes(ADDRESS, wait=3)
            assert writes[0].data == b"Vibrate:10;" and writes[0].endpoint == "tx"
            assert await device.battery() == pytest.approx(0.85)
            assert await device.read(InputType.BATTERY) == 85
            with pytest.raises(haptix.DeviceNotFound) as info:
                ghost = haptix.Device(device.sync._client, haptix.DeviceInfo(99, "ghost"))
                await haptix.AsyncDevice(ghost).vibrate(0.1)
            assert info.value.status == haptix.Status.ERROR_DEVICE_NOT_FOUND
            assert [w.data for w in await client.take_writes(ADDRESS, wait=3)] == [b"Battery;"] * 2
            await device.stop()
            assert (await client.take_writes(ADDRESS, wait=3))[0].data == b"Vibrate:0;"
            kinds = []
            async for event in client.events():
                kinds.append(type(event))
                if isinstance(event, haptix.DeviceAdded):
                    break
            assert kinds == [haptix.Connected, haptix.DeviceAdded]
        assert client.closed

    run(main())


def test_aevents_ends_on_disconnect(client: haptix.Client) -> None:
    async def main() -> list:
        events = []
        await asyncio.to_thread(client.disconnect)
        async for event in client.aevents():
            events.append(event)
        return events

    events = run(main())
    assert isinstance(events[0], haptix.Connected)
    assert isinstance(events[-1], haptix.Disconnected)


def test_async_readers_and_sync_client_share_the_stream(client: haptix.Client) -> None:
    list(client.events(timeout=0.2))  # Connected
    for i in range(5):
        client.add_simulated_device("LVS-Hush", address=f"a-{i}")
    seen: list = []

    async def main() -> None:
        enough = asyncio.Event()

        async def reader() -> None:
            async for event in client.aevents():
                seen.append(event)
                if sum(isinstance(e, haptix.DeviceAdded) for e in seen) >= 6:
                    enough.set()

        tasks = [asyncio.create_task(reader()) for _ in range(3)]
        await asyncio.to_thread(client.start_scanning)
        await asyncio.wait_for(enough.wait(), 15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    run(main())
    added = sorted(e.device.index for e in seen if isinstance(e, haptix.DeviceAdded))
    assert added == list(range(6))
    assert client._core.stream._waiters == set()  # cancelled readers unregistered


def test_async_connect_failure(context: haptix.Context) -> None:
    with haptix.Server(context) as server:
        url = server.url
        server.stop()

    async def main() -> None:
        with pytest.raises(haptix.HaptixError):
            await AsyncClient.connect(context, url, timeout=10)

    run(main())


def test_async_cancellation_leaves_the_client_usable(
    client: haptix.Client, device: haptix.Device
) -> None:
    aclient = AsyncClient(client)
    adevice = haptix.AsyncDevice(device)

    async def main() -> None:
        task = asyncio.create_task(adevice.battery())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass  # usual outcome; when the answer raced the cancel, wait_for returns it instead
        await aclient.ping()
        assert await adevice.battery() == pytest.approx(0.85)

    run(main())
