"""The public surface: asyncio parity, argument errors, per-feature objects, device addresses,
the package namespace and docstrings."""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import types
from typing import Any, Iterator, List

import pytest
from conftest import ADDRESS, writes_until
from stall_server import StallServer

import haptix
from haptix import InputType, OutputType


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 60))


def public(cls: type) -> set:
    return {name for name in dir(cls) if not name.startswith("_")}


# Item 2: asyncio ------------------------------------------------------------------------------


def test_async_classes_offer_what_the_sync_ones_have() -> None:
    # `sync` is the way back; `aevents` is the sync client's asyncio reader of its stream.
    assert public(haptix.Device) - public(haptix.AsyncDevice) == set()
    assert public(haptix.DeviceFeature) - public(haptix.AsyncDeviceFeature) == set()
    assert public(haptix.Client) - public(haptix.AsyncClient) == {"aevents"}


def test_async_events_carry_async_devices(context: haptix.Context) -> None:
    async def main() -> None:
        async with await haptix.AsyncClient.connect_embedded(context) as client:
            await client.start_scanning()
            device = await client.wait_for_device(timeout=10)
            assert client.spec_version == 4 and client.scanning is not None
            assert device.message_timing_gap_ms >= 0
            assert device.features_with_output(OutputType.VIBRATE)
            async for event in client.events():
                if isinstance(event, haptix.DeviceAdded):
                    assert isinstance(event.device, haptix.AsyncDevice)
                    assert event.device is device  # one AsyncDevice per device
                    await event.device.vibrate(0.5)  # awaitable, does not block the loop
                    break
            assert (await client.take_writes(ADDRESS, wait=3))[-1].data == b"Vibrate:10;"
            assert client.devices == {device.index: device}

    run(main())


def test_closing_a_context_from_asyncio_does_not_block_the_loop() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        context = haptix.Context(simulated_devices=["LVS-Hush"])
        released = threading.Event()
        close = context._core.close

        def slow_close() -> None:
            # Runs only once the loop ran the callback below: a close that blocked the loop
            # would wait here in vain.
            assert released.wait(20), "the loop was blocked while the context closed"
            close()

        context._core.close = slow_close  # type: ignore[method-assign]
        async with context:
            client = await haptix.AsyncClient.connect_embedded(context)
            loop.call_soon(released.set)
        assert context.closed and client.closed

    run(main())


# Item 6 (Python side): addresses, refused identifiers -----------------------------------------


def test_device_exposes_its_address(client: haptix.Client, device: haptix.Device) -> None:
    assert device.address == ADDRESS
    client.add_simulated_device("LVS-Hush", "hush-b")
    client.start_scanning()
    second = None
    for event in client.events(timeout=10):
        if isinstance(event, haptix.DeviceAdded) and event.device is not device:
            second = event.device
            break
    assert second is not None
    assert second.name == device.name and second.address == "hush-b"


def test_unknown_simulated_identifier_is_refused(client: haptix.Client) -> None:
    with pytest.raises(haptix.InvalidArgument) as info:
        client.add_simulated_device("No-Such-Toy-At-All")
    assert "No-Such-Toy-At-All" in info.value.message
    with pytest.raises(haptix.InvalidArgument) as info:
        haptix.Context(simulated_devices=["LVS-Hsh"])
    assert "LVS-Hsh" in info.value.message


# Item 7: arguments are checked by the binding --------------------------------------------------


@pytest.mark.parametrize(
    "call, argument, kind",
    [
        (lambda d: d.vibrate(0.5, feature=-1), "feature", haptix.InvalidArgument),
        (lambda d: d.position(0.5, -10), "duration_ms", haptix.InvalidArgument),
        (lambda d: d.vibrate("0.5"), "level", haptix.InvalidArgumentType),
        (lambda d: d.vibrate(None), "level", haptix.InvalidArgument),
        (lambda d: d.vibrate(True), "level", haptix.InvalidArgumentType),
        (lambda d: d.vibrate(float("nan")), "level", haptix.InvalidArgument),
        (lambda d: d.output(OutputType.VIBRATE, steps=2.5), "steps", haptix.InvalidArgumentType),
        (lambda d: d.output(OutputType.VIBRATE, steps=2**40), "steps", haptix.InvalidArgument),
        (lambda d: d.read(-3), "input_type", haptix.InvalidArgument),
        (lambda d: d.stop(inputs="no"), "inputs", haptix.InvalidArgumentType),
        (lambda d: d.vibrate(0.5, timeout=-1), "timeout", haptix.InvalidArgument),
        (lambda d: d._client.call((None, None), "soon"), "timeout", haptix.InvalidArgumentType),
    ],
)
def test_bad_arguments_raise_the_bindings_errors(
    device: haptix.Device, call: Any, argument: str, kind: type
) -> None:
    with pytest.raises(kind) as info:
        call(device)
    assert argument in info.value.message
    assert info.value.status == haptix.Status.ERROR_INVALID_ARGUMENT
    assert isinstance(info.value, ValueError)


def test_a_feature_of_another_device_is_refused(client: haptix.Client) -> None:
    client.add_simulated_device("Boost", "boost-x")
    client.start_scanning()
    boost = client.wait_for_device(10, name="KGoal Boost")
    hush = client.wait_for_device(10, name="Lovense Hush")
    with pytest.raises(haptix.InvalidArgument, match="not a feature of device"):
        hush.vibrate(0.5, feature=boost.features[0])
    with pytest.raises(haptix.InvalidArgument, match="belongs to device"):
        hush.vibrate(0.5, feature=boost.feature(0))
    with pytest.raises(haptix.NotSupported) as info:
        boost.vibrate(0.5)
    assert info.value.message == f"device {boost.index} (KGoal Boost) has no vibrate output"
    with pytest.raises(haptix.NotSupported, match="feature 1 of device .* has no vibrate output"):
        hush.vibrate(0.5, feature=1)


def test_connect_error_does_not_repeat_itself(context: haptix.Context) -> None:
    with haptix.Server(context) as server:
        url = server.url
        server.stop()
    with pytest.raises(haptix.ConnectError) as info:
        haptix.Client.connect(context, url, timeout=10)
    assert info.value.message.count("cannot connect") == 1, info.value.message


def test_a_remote_servers_error_reads_as_a_sentence() -> None:
    # Was "server error Device: the toy is out of reach" (the Rust enum's name for the code).
    refuse = {"Ping": (4, "the toy is out of reach")}
    with haptix.Context() as context, StallServer(refuse=refuse) as server:
        with haptix.Client.connect(context, server.url, request_timeout=5) as client:
            with pytest.raises(haptix.DeviceError) as info:
                client.ping()
    assert info.value.status == haptix.Status.ERROR_DEVICE
    assert info.value.message == (
        "the server refused the request (device error): the toy is out of reach"
    )


def test_wrong_types_for_client_arguments(context: haptix.Context) -> None:
    with pytest.raises(haptix.InvalidArgumentType, match="name"):
        haptix.Client.connect_embedded(context, name=3)  # type: ignore[arg-type]
    with pytest.raises(haptix.InvalidArgument, match="request_timeout"):
        haptix.Client.connect_embedded(context, request_timeout=0)
    with pytest.raises(haptix.InvalidArgumentType, match="context"):
        haptix.Client.connect_embedded("ctx")  # type: ignore[arg-type]


# Item 9: what users of the official client would miss ---------------------------------------


def test_per_feature_objects(client: haptix.Client, device: haptix.Device) -> None:
    vibrator = device.feature(0)
    assert vibrator == device.device_features[0] and vibrator.device is device
    assert vibrator.output_types == (OutputType.VIBRATE,)
    vibrator.vibrate(0.5)
    assert writes_until(client, bool)[0].data == b"Vibrate:10;"
    vibrator.stop()
    assert writes_until(client, bool)[0].data == b"Vibrate:0;"
    battery = device.feature(1)
    assert battery.input_types == (InputType.BATTERY,)
    assert battery.read(InputType.BATTERY) == 85
    with pytest.raises(haptix.FeatureNotFound):
        device.feature(9)


def test_battery_rssi_and_scanning(client: haptix.Client, device: haptix.Device) -> None:
    assert device.has_battery and not device.has_rssi
    with pytest.raises(haptix.NotSupported, match="rssi"):
        device.rssi()
    assert not client.scanning
    client.start_scanning()
    assert client.scanning
    client.stop_scanning()
    assert not client.scanning


def test_scanning_finished_handler(context: haptix.Context) -> None:
    # The simulated bus scans until stopped, so feed the pump's routing the event a bus that
    # finishes on its own produces.
    from haptix.v1 import event_pb2

    finished: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
    with haptix.Client.connect_embedded(context) as client:
        client.on_scanning_finished = lambda event: finished.put(
            (event, threading.current_thread().name, client.scanning)
        )
        client.start_scanning()
        assert client.scanning
        event = event_pb2.Event(scanning_finished=event_pb2.ScanningFinished())
        client._core._dispatch(event.SerializeToString())
        assert finished.get(timeout=10) == (
            haptix.ScanningFinished(),
            "haptix-client-handlers",
            False,
        )
        client.on_scanning_finished = None
        assert client.on_scanning_finished is None


# Item 8: namespace and docstrings --------------------------------------------------------------


def test_package_namespace_has_only_the_public_api() -> None:
    names = {
        name
        for name, value in vars(haptix).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert names - set(haptix.__all__) == set()  # no `Path`, no `annotations`
    assert "Path" not in dir(haptix) and "annotations" not in dir(haptix)


def _public_members() -> Iterator[tuple]:
    for name in haptix.__all__:
        value = getattr(haptix, name)
        yield name, value
        if inspect.isclass(value) and value.__module__.startswith("haptix"):
            for member_name, member in vars(value).items():
                if member_name.startswith("_"):
                    continue
                if inspect.isfunction(member) or isinstance(member, property):
                    yield f"{name}.{member_name}", member
                elif isinstance(member, (classmethod, staticmethod)):
                    yield f"{name}.{member_name}", member.__func__


def test_every_public_item_has_a_docstring() -> None:
    undocumented: List[str] = []
    for name, value in _public_members():
        if isinstance(value, (int, str, tuple, frozenset)):
            continue
        if inspect.isclass(value) and issubclass(value, haptix.HaptixError):
            doc = value.__doc__
        else:
            doc = inspect.getdoc(value) if not isinstance(value, property) else value.__doc__
        if not doc:
            undocumented.append(name)
    assert undocumented == []


def test_simulated_devices_get_their_indexes_in_a_fixed_order() -> None:
    toys = [
        haptix.SimulatedDevice(name, address)
        for name, address in [("LVS-Hush", "h"), ("Boost", "b"), ("LVS-Lush", "l")]
    ]
    orders = []
    for _ in range(3):
        with haptix.Context(simulated_devices=toys) as context:
            with haptix.Client.connect_embedded(context) as client:
                client.start_scanning()
                for _ in client.events(timeout=10):
                    if len(client.devices) == len(toys):
                        break
                orders.append({d.address: d.index for d in client.devices.values()})
    assert orders == [{"h": 0, "b": 1, "l": 2}] * 3


def test_simulated_kgoal_boost_answers_battery_reads(client: haptix.Client) -> None:
    client.add_simulated_device("Boost", "boost-battery")
    client.start_scanning()
    boost = client.wait_for_device(10, name="KGoal Boost")
    assert boost.has_battery
    assert 0.0 <= boost.battery(timeout=10) <= 1.0
