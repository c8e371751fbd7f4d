"""The embedded server end to end: connect, scan, outputs recorded by the simulated toy, inputs."""

from __future__ import annotations

import queue

import pytest
from conftest import ADDRESS, writes_until

import haptix
from haptix import InputType, OutputType


def test_connect_embedded(client: haptix.Client) -> None:
    assert client.connected
    assert client.server_name == "Haptix"
    assert client.spec_version == 4
    client.ping()
    assert isinstance(client.next_event(timeout=5), haptix.Connected)


def test_scan_finds_the_simulated_hush(client: haptix.Client) -> None:
    client.start_scanning()
    device = client.wait_for_device(timeout=10)
    assert device.name == "Lovense Hush"
    assert device.index == 0
    assert client.devices == {0: device}
    assert device.connected
    events = list(client.events(timeout=0.5))
    added = [e for e in events if isinstance(e, haptix.DeviceAdded)]
    assert [e.device for e in added] == [device]
    assert client.request_device_list() == [device]


def test_features_are_typed(device: haptix.Device) -> None:
    vibrators = device.features_with_output(OutputType.VIBRATE)
    assert len(vibrators) == 1
    output = vibrators[0].output(OutputType.VIBRATE)
    assert output is not None and output.value == haptix.Range(0, 20) and output.duration is None
    battery = device.features_with_input(InputType.BATTERY)
    assert len(battery) == 1
    feature_input = battery[0].input(InputType.BATTERY)
    assert feature_input is not None and feature_input.readable and not feature_input.subscribable
    assert device.has_output(OutputType.VIBRATE) and not device.has_output(OutputType.ROTATE)


def test_vibrate_is_written_to_the_toy(client: haptix.Client, device: haptix.Device) -> None:
    device.vibrate(0.5)
    writes = writes_until(client, lambda w: bool(w))
    assert writes[0] == haptix.Write("tx", b"Vibrate:10;", False)
    assert str(writes[0]) == '"Vibrate:10;" on tx'


def test_output_steps_feature_and_stop(client: haptix.Client, device: haptix.Device) -> None:
    feature = device.features_with_output(OutputType.VIBRATE)[0]
    device.output(OutputType.VIBRATE, steps=7, feature=feature)
    assert writes_until(client, bool)[0].data == b"Vibrate:7;"
    device.vibrate(1.0, feature=feature.index)
    assert writes_until(client, bool)[0].data == b"Vibrate:20;"
    device.stop()
    assert writes_until(client, bool)[0].data == b"Vibrate:0;"
    device.vibrate(0.25)
    assert writes_until(client, bool)[0].data == b"Vibrate:5;"
    client.stop_all()
    assert writes_until(client, bool)[0].data == b"Vibrate:0;"


def test_battery_read(client: haptix.Client, device: haptix.Device) -> None:
    assert device.battery() == pytest.approx(0.85)
    assert device.read(InputType.BATTERY) == 85
    assert (
        device.read(InputType.BATTERY, feature=device.features_with_input(InputType.BATTERY)[0])
        == 85
    )
    assert b"Battery;" in [w.data for w in writes_until(client, bool)]


def test_subscribing_to_a_read_only_input_fails(device: haptix.Device) -> None:
    # Lovense batteries are read-only; no built-in protocol offers subscriptions.
    seen = []
    with pytest.raises(haptix.NotSupported) as info:
        device.subscribe(InputType.BATTERY, callback=seen.append)
    assert info.value.status == haptix.Status.ERROR_NOT_SUPPORTED
    assert "subscribe" in info.value.message.lower()
    assert device._client.subscriptions() == []  # the callback registration was undone


def test_inject_notification(client: haptix.Client, device: haptix.Device) -> None:
    client.inject_notification(ADDRESS, "rx", b"85;")
    client.ping()
    with pytest.raises(haptix.HaptixError):
        client.inject_notification("no-such-address", "rx", b"x")


def test_simulated_device_added_and_removed(client: haptix.Client, device: haptix.Device) -> None:
    list(client.events(timeout=0.2))  # Connected, the fixture's DeviceAdded
    assert client.add_simulated_device("LVS-Hush", address="hush-2") == "hush-2"
    client.start_scanning()
    added = next(e for e in client.events(timeout=10) if isinstance(e, haptix.DeviceAdded))
    second = added.device
    assert second.index != device.index and second.name == "Lovense Hush"
    assert client.devices == {device.index: device, second.index: second}
    client.remove_simulated_device("hush-2")
    removed = next(e for e in client.events(timeout=10) if isinstance(e, haptix.DeviceRemoved))
    assert removed.device_index == second.index
    assert removed.device is second
    assert not second.connected and device.connected
    with pytest.raises(haptix.DeviceNotFound) as info:
        second.vibrate(0.5)
    assert str(second.index) in info.value.message


def test_disconnect_ends_the_event_stream(client: haptix.Client, device: haptix.Device) -> None:
    client.disconnect()
    events = list(client.events(timeout=10))
    assert isinstance(events[-1], haptix.Disconnected)
    assert events[-1].requested
    assert not client.connected
    with pytest.raises(haptix.Closed):
        client.ping()
    with pytest.raises(haptix.Closed):
        client.next_event(timeout=1)


def test_wait_for_device_times_out(client: haptix.Client) -> None:
    with pytest.raises(haptix.Timeout) as info:
        client.wait_for_device(timeout=0.2)
    assert isinstance(info.value, TimeoutError)


def test_remote_server(context: haptix.Context) -> None:
    with haptix.Server(context) as server:
        assert server.port > 0
        with haptix.Client.connect(context, server.url, name="remote") as remote:
            assert remote.connected
            remote.start_scanning()
            device = remote.wait_for_device(timeout=10)
            assert device.name == "Lovense Hush"
            device.vibrate(0.5)
            remote.stop_scanning()
        server.stop()


def test_connect_to_nothing_raises(context: haptix.Context) -> None:
    with haptix.Server(context) as server:
        url = server.url
        server.stop()
    with pytest.raises(haptix.HaptixError) as info:
        haptix.Client.connect(context, url, timeout=10)
    assert info.value.status != haptix.Status.OK
    assert info.value.message


def test_input_readings_reach_callbacks_and_events(context: haptix.Context) -> None:
    # A simulated KGoal Boost sends pressure notifications once subscribed.
    with haptix.Client.connect_embedded(context) as client:
        client.add_simulated_device("Boost", "boost-1")
        client.start_scanning()
        boost = client.wait_for_device(10, name="KGoal Boost")
        got: "queue.SimpleQueue[haptix.InputReading]" = queue.SimpleQueue()
        boost.subscribe(InputType.PRESSURE, 0, callback=got.put)
        client.inject_notification("boost-1", "rxpressure", bytes([0, 1, 4, 0, 42, 1, 0]))
        reading = haptix.InputReading(boost.index, 0, InputType.PRESSURE, 42)
        assert got.get(timeout=10) == reading
        assert reading in list(client.events(timeout=0.5))
