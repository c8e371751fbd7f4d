"""Disposal: idempotent, safe with requests in flight, finalizers, and threads."""

from __future__ import annotations

import concurrent.futures
import gc
import threading
import time

import pytest

import haptix
from haptix import _lifecycle
from haptix.v1 import request_pb2


def pump_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "haptix-client-events")


def test_dispose_is_idempotent() -> None:
    context = haptix.Context(simulated_devices=["LVS-Hush"])
    client = haptix.Client.connect_embedded(context)
    server = haptix.Server(context)
    client.close()
    client.close()
    assert client.closed
    with pytest.raises(haptix.Closed):
        client.ping()
    with pytest.raises(haptix.Closed):
        client.start_scanning()
    server.close()
    server.close()
    context.close()
    context.close()
    assert context.closed
    with pytest.raises(haptix.Closed):
        haptix.Client.connect_embedded(context)
    with pytest.raises(haptix.Closed):
        context.shutdown()


def test_context_close_closes_its_clients(context: haptix.Context) -> None:
    client = haptix.Client.connect_embedded(context)
    other = haptix.Client.connect_embedded(context, name="second")
    context.close()
    assert client.closed and other.closed
    with pytest.raises(haptix.Closed):
        client.ping()
    client.close()


def test_shutdown_then_close(context: haptix.Context, client: haptix.Client) -> None:
    context.shutdown(timeout=5)
    with pytest.raises(haptix.Closed):  # ShutDown or Closed, both are Closed
        client.ping()
    # The event stream ends once the context is down.
    list(client.events(timeout=5))
    with pytest.raises(haptix.Closed):
        client.next_event(timeout=1)


def test_dispose_during_a_pending_request(client: haptix.Client, device: haptix.Device) -> None:
    # A battery read takes a round trip through the simulated toy; close the client under it.
    request = request_pb2.Request(
        input=request_pb2.Input(device_index=device.index, input_type=1, command=1)
    )
    futures = [client.send(request) for _ in range(5)]
    blocked: "concurrent.futures.Future[object]" = concurrent.futures.Future()

    def read_in_thread() -> None:
        try:
            blocked.set_result(device.battery())
        except BaseException as e:
            blocked.set_exception(e)

    thread = threading.Thread(target=read_in_thread)
    thread.start()
    client.close()
    for future in futures + [blocked]:
        try:
            result = future.result(timeout=10)
        except haptix.HaptixError as e:
            assert e.status != haptix.Status.OK
        else:
            assert result is not None
    thread.join(10)
    assert not thread.is_alive()
    assert pump_threads() == 0


def test_context_close_during_a_pending_request(
    context: haptix.Context, client: haptix.Client, device: haptix.Device
) -> None:
    futures = [client.send(request_pb2.Request(ping=request_pb2.Ping())) for _ in range(20)]
    context.close()
    for future in futures:
        try:
            future.result(timeout=10)
        except haptix.HaptixError:
            pass


def test_finalizers_release_dropped_objects() -> None:
    baseline = threading.active_count()
    for i in range(12):
        context = haptix.Context(simulated_devices=["LVS-Hush"])
        client = haptix.Client.connect_embedded(context, name=f"dropped {i}")
        if i % 3 == 0:
            client.start_scanning()
            client.wait_for_device(timeout=10).vibrate(0.2)
        if i % 4 == 1:
            haptix.Server(context)  # dropped right away
        # No close(): drop the last references (a device keeps only the client's core).
        del context, client
    for _ in range(3):
        gc.collect()
        assert _lifecycle.reaper.drain(timeout=30)
    assert _lifecycle.live_count() == 0
    deadline = time.monotonic() + 10
    while pump_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pump_threads() == 0
    # Library threads of freed contexts are gone too (allow the reaper and some slack).
    deadline = time.monotonic() + 10
    while threading.active_count() > baseline + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= baseline + 1


def test_client_kept_alive_without_its_context_object() -> None:
    client = haptix.Client.connect_embedded(haptix.Context(simulated_devices=["LVS-Hush"]))
    gc.collect()
    client.start_scanning()
    assert client.wait_for_device(timeout=10).name == "Lovense Hush"
    context = client.context
    client.close()
    context.close()


def test_many_contexts_in_sequence() -> None:
    for _ in range(10):
        with haptix.Context() as context:
            with haptix.Client.connect_embedded(context) as client:
                client.ping()


def test_close_from_a_handler(client: haptix.Client) -> None:
    # Handlers run on the handler thread; closing the client from one returns at once and
    # ends the pump.
    closed_on: "concurrent.futures.Future[str]" = concurrent.futures.Future()

    def close_it(event: haptix.DeviceAdded) -> None:
        client.close()
        closed_on.set_result(threading.current_thread().name)

    client.on_device_added = close_it
    client.add_simulated_device("LVS-Hush")
    client.start_scanning()
    assert closed_on.result(timeout=10) == "haptix-client-handlers"
    assert client.closed
    client._core._pump.join(10)
    assert pump_threads() == 0


def test_close_is_prompt_and_joins_the_pump(context: haptix.Context) -> None:
    # Before: the pump polled every 100 ms and close() waited for the poll to end. Now the
    # pump sleeps until woken (by the library's notifier or by close), so close() finds it
    # already gone when it returns.
    durations = []
    for _ in range(20):
        client = haptix.Client.connect_embedded(context)
        client.ping()
        pump = client._core._pump
        assert client._core._woken  # the wake-up notifier is registered
        started = time.perf_counter()
        client.close()
        durations.append(time.perf_counter() - started)
        assert not pump.is_alive()
    durations.sort()
    print(
        f"\nclient close: median {durations[10] * 1000:.2f} ms, max {durations[-1] * 1000:.2f} ms"
    )


def test_events_from_several_threads(client: haptix.Client) -> None:
    count = 12
    for i in range(count):
        client.add_simulated_device("LVS-Hush", address=f"multi-{i}")
    # drain Connected first so every reader sees only the device events
    assert isinstance(client.next_event(timeout=5), haptix.Connected)
    seen = []
    lock = threading.Lock()

    def reader() -> None:
        for event in client.events(timeout=3):
            with lock:
                seen.append(event)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for r in readers:
        r.start()
    client.start_scanning()
    for r in readers:
        r.join(30)
    added = [e.device.index for e in seen if isinstance(e, haptix.DeviceAdded)]
    # one simulated toy from the fixture context plus the twelve added here
    assert sorted(added) == list(range(count + 1))
    assert len(set(id(e) for e in seen)) == len(seen)
    assert len(client.devices) == count + 1
    client.stop_scanning()


def test_bounded_event_buffer(context: haptix.Context) -> None:
    with haptix.Client.connect_embedded(context, max_events=2) as client:
        for i in range(4):
            client.add_simulated_device("LVS-Hush", address=f"b-{i}")
        client.start_scanning()
        deadline = time.monotonic() + 10
        while len(client.devices) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        assert client.dropped_events >= 1
        events = list(client.events(timeout=0.2))
        assert len(events) <= 2
