"""Context options, logs (polled and by callback), and the raw callback registrations."""

from __future__ import annotations

import ctypes
import queue
import threading
import time
from typing import Any, List

import pytest

import haptix
from haptix import _native
from haptix.v1 import event_pb2, options_pb2, request_pb2


def test_context_logs_can_be_polled() -> None:
    with haptix.Context(simulated_devices=["LVS-Hush"], log_level=haptix.LogLevel.DEBUG) as context:
        with haptix.Client.connect_embedded(context) as client:
            client.start_scanning()
            client.wait_for_device(timeout=10)
        records = list(context.logs(timeout=1))
    assert records
    assert all(isinstance(r, haptix.LogRecord) and r.target.startswith("haptix") for r in records)
    assert any(r.level == haptix.LogLevel.INFO for r in records)


def test_context_logs_by_callback() -> None:
    got: List[Any] = []
    with haptix.Context(simulated_devices=["LVS-Hush"], log_level=haptix.LogLevel.INFO) as context:
        context.set_log_callback(lambda r: got.append((r, threading.current_thread().ident)))
        with pytest.raises(haptix.InvalidArgument):  # records go to the callback now
            context.next_log(0.1)
        with haptix.Client.connect_embedded(context) as client:
            client.start_scanning()
            client.wait_for_device(timeout=10)
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        context.set_log_callback(None)
        context.next_log(0.05)  # polling works again
    assert got and all(isinstance(r, haptix.LogRecord) for r, _ in got)
    assert all(ident != threading.main_thread().ident for _, ident in got)


def test_log_callback_runs_off_the_library_threads_and_may_close_the_context() -> None:
    # Before, log callbacks ran on the library's dispatcher thread, where closing the context
    # (which waits for that thread) was forbidden.
    closed: "queue.SimpleQueue[str]" = queue.SimpleQueue()
    context = haptix.Context(simulated_devices=["LVS-Hush"], log_level=haptix.LogLevel.INFO)

    def on_record(record: haptix.LogRecord) -> None:
        if not context.closed:
            context.close()
            closed.put(threading.current_thread().name)

    context.set_log_callback(on_record)
    try:
        with haptix.Client.connect_embedded(context) as client:
            client.start_scanning()  # logs at INFO, if connecting did not already
    except haptix.HaptixError:
        pass  # the callback may close the context under these calls: that is the point
    assert closed.get(timeout=10) == "haptix-context-handlers"
    assert context.closed


def test_logs_off() -> None:
    with haptix.Context(log_level=haptix.LogLevel.OFF) as context:
        with haptix.Client.connect_embedded(context) as client:
            client.ping()
        assert context.next_log(0.2) is None


def test_server_name_option() -> None:
    with haptix.Context(server_name="Elsewhere") as context:
        with haptix.Client.connect_embedded(context) as client:
            assert client.server_name == "Elsewhere"


def test_raw_client_event_callback() -> None:
    """The push registrations, straight through ctypes: events arrive on the dispatcher thread
    and user_data_free runs exactly once."""
    library = _native.lib()
    context = ctypes.c_void_p()
    options = options_pb2.ContextOptions(
        simulated_devices=[options_pb2.SimulatedDevice(identifier="LVS-Hush")]
    )
    data = options.SerializeToString()
    _native.check(
        library.haptix_context_new(haptix.ABI_VERSION, data, len(data), ctypes.byref(context)),
        "context",
    )
    client = ctypes.c_void_p()
    _native.check(library.haptix_client_new(context, None, 0, ctypes.byref(client)), "client")
    kinds: List[str] = []
    freed: List[int] = []
    wakeups: List[int] = []
    connected = threading.Event()

    @_native.EventCallback
    def on_event(user_data: Any, event: Any, length: int) -> None:
        message = event_pb2.Event.FromString(ctypes.string_at(event, length))
        kinds.append(str(message.WhichOneof("kind")))
        if message.WhichOneof("kind") == "connected":
            connected.set()

    @_native.UserDataFree
    def on_free(user_data: Any) -> None:
        freed.append(user_data)

    @_native.WakeupCallback
    def on_wakeup(user_data: Any) -> None:
        wakeups.append(user_data)

    try:
        _native.check(
            library.haptix_client_set_event_callback(client, on_event, ctypes.c_void_p(7), on_free),
            "set_event_callback",
        )
        assert connected.wait(10)
        buffer = _native.Buffer()
        assert (
            library.haptix_client_next_event(client, 0, ctypes.byref(buffer))
            == haptix.Status.ERROR_INVALID_ARGUMENT
        )
        # Back to polling: the first registration's user data is released once.
        _native.check(
            library.haptix_client_set_event_callback(
                client, _native.EventCallback(), None, _native.UserDataFree()
            ),
            "clear callback",
        )
        # released once the dispatcher has finished any call of the old registration
        deadline = time.monotonic() + 10
        while not freed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert freed == [7]
        _native.check(
            library.haptix_client_set_wakeup_callback(
                client, on_wakeup, ctypes.c_void_p(9), on_free
            ),
            "set_wakeup_callback",
        )
        request = request_pb2.Request(ping=request_pb2.Ping()).SerializeToString()
        request_id = ctypes.c_uint64()
        _native.check(
            library.haptix_client_send(client, request, len(request), ctypes.byref(request_id)),
            "send",
        )
        assert request_id.value >= 2**63  # id 0 lets the library pick
        deadline = time.monotonic() + 5
        while not wakeups and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wakeups and set(wakeups) == {9}
        status = library.haptix_client_next_event(client, 5000, ctypes.byref(buffer))
        assert status == haptix.Status.OK
        event = event_pb2.Event.FromString(_native.take_buffer(buffer))
        assert event.request_id == request_id.value and event.response.status == 0
    finally:
        library.haptix_client_free(client)
        library.haptix_context_free(context)
    assert kinds[0] == "connected"
    assert freed == [7, 9]
