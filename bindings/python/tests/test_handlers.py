"""The event model (docs/event-model.md) as the Python binding implements it: handlers run on
their own thread (or their event loop) and may call anything, including methods that wait for
a response; one timeout, the user's, applies; fire-and-forget outputs report failures as
events; a new subscription never fires an old callback."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, Iterator, List, Tuple

import pytest
from stall_server import StallServer

import haptix
from haptix import InputType

HUSH, BOOST = "hush-1", "boost-1"


def pressure(value: int) -> bytes:
    """A KGoal Boost pressure notification: normalised `value`, raw 256."""
    return bytes([0, 1, 4, value >> 8, value & 0xFF, 1, 0])


@pytest.fixture
def toys() -> Iterator[haptix.Context]:
    devices = [haptix.SimulatedDevice("LVS-Hush", HUSH), haptix.SimulatedDevice("Boost", BOOST)]
    with haptix.Context(simulated_devices=devices) as context:
        yield context


def connect(context: haptix.Context) -> Tuple[haptix.Client, haptix.Device, haptix.Device]:
    # A short request timeout turns a deadlock (the old behaviour) into a quick failure.
    client = haptix.Client.connect_embedded(context, request_timeout=5)
    client.start_scanning()
    hush = client.wait_for_device(10, name="Lovense Hush")
    boost = client.wait_for_device(10, name="KGoal Boost")
    client.stop_scanning()
    client.take_writes(HUSH)
    return client, hush, boost


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 60))


# Item 1: a handler may call any method, including ones that wait -----------------------------


def test_input_callback_commands_another_device(toys: haptix.Context) -> None:
    # The repro: this froze the client for its request timeout and then closed it.
    client, hush, boost = connect(toys)
    with client:
        results: "queue.SimpleQueue[Any]" = queue.SimpleQueue()

        def on_pressure(reading: haptix.InputReading) -> None:
            try:
                hush.vibrate(0.5)
                results.put((threading.current_thread().name, reading.value, hush.battery()))
            except BaseException as e:  # reported to the test instead of the log
                results.put(e)

        boost.subscribe(InputType.PRESSURE, 0, callback=on_pressure)
        client.inject_notification(BOOST, "rxpressure", pressure(7))
        assert results.get(timeout=20) == ("haptix-client-handlers", 7, pytest.approx(0.85))
        assert b"Vibrate:10;" in [w.data for w in client.take_writes(HUSH, wait=3)]
        assert client.connected


def test_device_added_and_removed_handlers_call_waiting_methods(toys: haptix.Context) -> None:
    client, hush, _ = connect(toys)
    with client:
        seen: "queue.SimpleQueue[Any]" = queue.SimpleQueue()

        def added(event: haptix.DeviceAdded) -> None:
            try:
                event.device.vibrate(0.25)
                seen.put(("added", event.device.address, event.device.battery()))
            except BaseException as e:
                seen.put(e)

        def removed(event: haptix.DeviceRemoved) -> None:
            try:
                hush.vibrate(1.0)
                seen.put(("removed", event.device_index, len(client.request_device_list())))
            except BaseException as e:
                seen.put(e)

        client.on_device_added = added
        client.on_device_removed = removed
        assert client.on_device_added is added
        client.add_simulated_device("LVS-Hush", "hush-2")
        client.start_scanning()
        assert seen.get(timeout=20) == ("added", "hush-2", pytest.approx(0.85))
        assert b"Vibrate:5;" in [w.data for w in client.take_writes("hush-2", wait=3)]
        second = next(d for d in client.devices.values() if d.address == "hush-2")
        client.remove_simulated_device("hush-2")
        name, index, remaining = seen.get(timeout=20)
        assert (name, index) == ("removed", second.index)
        assert remaining == 2  # the list was fetched from inside the handler
        assert b"Vibrate:20;" in [w.data for w in client.take_writes(HUSH, wait=3)]


def test_async_input_callback_awaits_another_device(toys: haptix.Context) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with await haptix.AsyncClient.connect_embedded(toys, request_timeout=5) as client:
            await client.start_scanning()
            hush = await client.wait_for_device(10, name="Lovense Hush")
            boost = await client.wait_for_device(10, name="KGoal Boost")
            await client.take_writes(HUSH)
            done: "asyncio.Future[Any]" = loop.create_future()

            async def on_pressure(reading: haptix.InputReading) -> None:
                assert asyncio.get_running_loop() is loop  # awaited on the client's loop
                await hush.vibrate(0.5)
                done.set_result((reading.value, await hush.battery()))

            await boost.subscribe(InputType.PRESSURE, 0, callback=on_pressure)
            await client.inject_notification(BOOST, "rxpressure", pressure(9))
            assert await done == (9, pytest.approx(0.85))
            writes = await client.take_writes(HUSH, wait=3)
            assert b"Vibrate:10;" in [w.data for w in writes]

    run(main())


def test_async_device_handlers_are_awaited_with_async_devices(toys: haptix.Context) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with await haptix.AsyncClient.connect_embedded(toys, request_timeout=5) as client:
            added: "asyncio.Queue[Any]" = asyncio.Queue()
            removed: "asyncio.Future[Any]" = loop.create_future()

            async def on_added(event: haptix.DeviceAdded) -> None:
                device = event.device
                assert isinstance(device, haptix.AsyncDevice)
                if device.name == "Lovense Hush":
                    await device.vibrate(0.5)
                    assert await device.battery() == pytest.approx(0.85)
                await added.put((device.name, device.connected))

            async def on_removed(event: haptix.DeviceRemoved) -> None:
                assert isinstance(event.device, haptix.AsyncDevice)
                await client.ping()
                removed.set_result(event.device.address)

            client.on_device_added = on_added
            client.on_device_removed = on_removed
            await client.start_scanning()
            names = {(await added.get())[0], (await added.get())[0]}
            assert names == {"Lovense Hush", "KGoal Boost"}
            assert b"Vibrate:10;" in [w.data for w in await client.take_writes(HUSH, wait=3)]
            await client.remove_simulated_device(HUSH)
            assert await removed == HUSH

    run(main())


# Item 3: stop and resubscribe ---------------------------------------------------------------


def test_subscribing_twice_replaces_the_callback(toys: haptix.Context) -> None:
    client, _, boost = connect(toys)
    with client:
        first: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        second: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        boost.subscribe(InputType.PRESSURE, 0, callback=lambda r: first.put(r.value))
        boost.subscribe(InputType.PRESSURE, 0, callback=lambda r: second.put(r.value))
        client.inject_notification(BOOST, "rxpressure", pressure(1))
        client.inject_notification(BOOST, "rxpressure", pressure(2))
        assert [second.get(timeout=10), second.get(timeout=10)] == [1, 2]
        assert first.empty()  # handlers run in order: any call for reading 1 came before


@pytest.mark.parametrize("stop", ["device", "all"])
def test_stop_drops_the_callbacks(toys: haptix.Context, stop: str) -> None:
    client, _, boost = connect(toys)
    with client:
        old: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        new: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        boost.subscribe(InputType.PRESSURE, 0, callback=lambda r: old.put(r.value))
        client.inject_notification(BOOST, "rxpressure", pressure(1))
        assert old.get(timeout=10) == 1
        if stop == "device":
            boost.stop()
        else:
            client.stop_all()
        assert client._core.subscriptions() == []
        boost.subscribe(InputType.PRESSURE, 0, callback=lambda r: new.put(r.value))
        client.inject_notification(BOOST, "rxpressure", pressure(2))
        client.inject_notification(BOOST, "rxpressure", pressure(3))
        assert [new.get(timeout=10), new.get(timeout=10)] == [2, 3]
        assert old.empty()


def test_stop_outputs_only_keeps_the_sensors(toys: haptix.Context) -> None:
    client, _, boost = connect(toys)
    with client:
        got: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        boost.subscribe(InputType.PRESSURE, 0, callback=lambda r: got.put(r.value))
        boost.stop(inputs=False)
        client.stop_all(inputs=False)
        assert len(client._core.subscriptions()) == 1
        client.inject_notification(BOOST, "rxpressure", pressure(5))
        assert got.get(timeout=10) == 5


# Item 5: one timeout, fire-and-forget outputs ------------------------------------------------


def test_the_users_request_timeout_is_the_librarys() -> None:
    with haptix.Context() as context, StallServer() as server:
        with haptix.Client.connect(context, server.url, request_timeout=0.3) as client:
            assert client.request_timeout == 0.3
            with pytest.raises(haptix.Timeout) as info:
                client.ping()
            # Raised by the library (ERROR_TIMED_OUT) at the timeout the user set, not by a
            # binding-side wait while the library still holds the request for its own 10 s.
            assert info.value.status == haptix.Status.ERROR_TIMED_OUT
            assert "300 ms" in info.value.message
            assert client._core._pending == {}
            with pytest.raises(haptix.Timeout):
                client.ping(timeout=0.1)  # a shorter wait of the caller's choice
        assert server.unanswered.count("Ping") == 2


def test_async_requests_use_the_library_timeout() -> None:
    async def main() -> None:
        with haptix.Context() as context, StallServer() as server:
            client = await haptix.AsyncClient.connect(context, server.url, request_timeout=0.3)
            async with client:
                with pytest.raises(haptix.Timeout) as info:
                    await client.ping()
                assert info.value.status == haptix.Status.ERROR_TIMED_OUT

    run(main())


def test_fire_and_forget_outputs_report_errors_as_events(toys: haptix.Context) -> None:
    client, hush, _ = connect(toys)
    with client:
        errors: "queue.SimpleQueue[haptix.ErrorReport]" = queue.SimpleQueue()
        client.on_error = errors.put
        list(client.events(timeout=0.1))
        assert hush.vibrate(0.5, wait=False) is None
        hush.vibrate(1.5, wait=False)  # out of range: nobody waits, so it is an event
        report = errors.get(timeout=10)
        assert report.status == haptix.Status.ERROR_OUT_OF_RANGE
        assert report.request_id != 0 and "output" in report.message
        assert report in list(client.events(timeout=0.5))
        assert b"Vibrate:10;" in [w.data for w in client.take_writes(HUSH, wait=3)]
        assert errors.empty()


def test_fire_and_forget_from_asyncio(toys: haptix.Context) -> None:
    async def main() -> List[Any]:
        async with await haptix.AsyncClient.connect_embedded(toys) as client:
            await client.start_scanning()
            hush = await client.wait_for_device(10, name="Lovense Hush")
            await client.take_writes(HUSH)
            await hush.vibrate(0.25, wait=False)
            return await client.take_writes(HUSH, wait=3)

    assert [w.data for w in run(main())] == [b"Vibrate:5;"]


def test_feature_objects_subscribe_and_stop(toys: haptix.Context) -> None:
    client, hush, boost = connect(toys)
    with client:
        readings: "queue.SimpleQueue[haptix.InputReading]" = queue.SimpleQueue()
        every: "queue.SimpleQueue[haptix.InputReading]" = queue.SimpleQueue()
        client.on_input_reading = every.put
        normalised = boost.feature(0)
        normalised.subscribe(InputType.PRESSURE, readings.put)
        client.inject_notification(BOOST, "rxpressure", pressure(4))
        assert readings.get(timeout=10).value == 4
        assert every.get(timeout=10).value == 4
        normalised.stop()  # ends this feature's subscription, callback included
        assert client._core.subscriptions() == []
        hush.feature(0).vibrate(0.5)
        hush.feature(0).stop(inputs=False)
        assert [w.data for w in client.take_writes(HUSH, wait=3)][-1] == b"Vibrate:0;"


def test_async_feature_objects(toys: haptix.Context) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with await haptix.AsyncClient.connect_embedded(toys) as client:
            await client.start_scanning()
            hush = await client.wait_for_device(10, name="Lovense Hush")
            boost = await client.wait_for_device(10, name="KGoal Boost")
            got: "asyncio.Queue[int]" = asyncio.Queue()

            async def on_pressure(reading: haptix.InputReading) -> None:
                await got.put(reading.value)

            await boost.feature(1).subscribe(InputType.PRESSURE, on_pressure)
            await client.inject_notification(BOOST, "rxpressure", pressure(3))
            assert await got.get() == 256  # feature 1 carries the raw pressure
            await boost.feature(1).stop()
            assert client._core.subscriptions() == []
            await client.take_writes(HUSH)
            vibrator = hush.device_features[0]
            await vibrator.vibrate(1.0)
            assert [w.data for w in await client.take_writes(HUSH, wait=3)] == [b"Vibrate:20;"]
            await vibrator.stop()
            assert [w.data for w in await client.take_writes(HUSH, wait=3)] == [b"Vibrate:0;"]
            assert asyncio.get_running_loop() is loop

    run(main())
