"""`Context` (runtime, device managers, embedded server) and `Server` (a Buttplug WebSocket
server sharing the context's devices)."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import threading
import time
import weakref
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union, cast

from . import _native
from ._handlers import Handler, HandlerThread
from ._lifecycle import CONTEXT, SERVER, NativeHandle, finalize_later, track, untrack
from ._native import ABI_VERSION, Buffer, check, lib, take_buffer
from ._pb import event_pb2, options_pb2
from .errors import Closed, HaptixError, Status, error_for_status
from .events import LogRecord
from .types import CommManager, LogLevel, SimulatedDevice, to_enum

log = logging.getLogger("haptix")

#: Longest single native wait; longer waits loop so that close() never waits long.
POLL_MS = 100


def _ms(seconds: float) -> int:
    return max(0, min(int(seconds * 1000), _native.WAIT_FOREVER_MS - 1))


class _ContextCore:
    """Owns the native context. Referenced by its Context and by every client and server core,
    so the native context outlives everything created from it."""

    def __init__(self, options: bytes, shutdown_timeout: float) -> None:
        library = lib()
        out = ctypes.c_void_p()
        check(
            library.haptix_context_new(
                ABI_VERSION, options or None, len(options), ctypes.byref(out)
            ),
            "haptix_context_new",
        )
        assert out.value is not None
        self.handle = NativeHandle(out.value, library.haptix_context_free, "context")
        self.shutdown_timeout = shutdown_timeout
        self.children: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._children_lock = threading.Lock()
        # ctypes callback objects stay referenced until the native context is freed.
        self.keepalive: List[Any] = []
        # Runs the log callback (never on the library's dispatcher thread).
        self.handlers = HandlerThread("haptix-context-handlers")
        self._close_lock = threading.Lock()
        self._closed = False
        self._finalizer = finalize_later(
            self, functools.partial(_release_context, self.handle, self.keepalive)
        )
        track(self, CONTEXT)

    @property
    def closed(self) -> bool:
        return self._closed

    def add_child(self, child: Any) -> None:
        with self._children_lock:
            self.children.add(child)

    def remove_child(self, child: Any) -> None:
        with self._children_lock:
            self.children.discard(child)

    def shutdown(self, timeout: float) -> None:
        with self.handle.use() as pointer:
            check(lib().haptix_context_shutdown(pointer, _ms(timeout)), "haptix_context_shutdown")

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer.detach()
        try:
            # Stops every device output first, then closes clients and servers natively.
            self.shutdown(self.shutdown_timeout)
        except HaptixError as e:
            if not isinstance(e, Closed):
                log.warning("haptix: context shutdown: %s", e)
        with self._children_lock:
            children = list(self.children)
        for child in children:
            child.close()
        self.handle.free()
        self.keepalive.clear()
        self.handlers.close()
        untrack(self, CONTEXT)


def _release_context(handle: NativeHandle, keepalive: List[Any]) -> None:
    # haptix_context_free shuts down (bounded) when needed.
    handle.free()
    keepalive.clear()


class Context:
    """A haptix context: the runtime, the device managers and the embedded server.

    Use it as a context manager (or call `close()`): closing stops every device output, closes
    the clients and servers made from it and frees the native context. A context that is
    garbage-collected without `close()` is released once nothing made from it is still open.

    Options (all optional) are those of `haptix.v1.ContextOptions`: `simulated_devices` takes
    identifiers such as `"LVS-Hush"` or `SimulatedDevice` values.
    """

    def __init__(
        self,
        *,
        simulated_devices: Iterable[Union[str, SimulatedDevice]] = (),
        comm_managers: Iterable[Union[CommManager, int]] = (),
        device_config_json: Union[bytes, str, None] = None,
        device_config_path: Optional[str] = None,
        user_config_json: Union[bytes, str, None] = None,
        user_config_path: Optional[str] = None,
        log_level: Union[LogLevel, int, None] = None,
        server_name: Optional[str] = None,
        max_ping_time_ms: Optional[int] = None,
        worker_threads: Optional[int] = None,
        websocket_devices_address: Optional[str] = None,
        lovense_connect_addresses: Iterable[str] = (),
        lovense_dongle_port: Optional[str] = None,
        shutdown_timeout: float = 5.0,
    ) -> None:
        options = options_pb2.ContextOptions()
        for device in simulated_devices:
            if isinstance(device, str):
                device = SimulatedDevice(device)
            options.simulated_devices.append(device._to_proto())
        options.comm_managers.extend(cast(Any, int(m)) for m in comm_managers)
        if device_config_json is not None and device_config_path is not None:
            raise ValueError("give device_config_json or device_config_path, not both")
        if user_config_json is not None and user_config_path is not None:
            raise ValueError("give user_config_json or user_config_path, not both")
        if device_config_json is not None:
            options.device_config_json = _as_bytes(device_config_json)
        if device_config_path is not None:
            options.device_config_path = str(device_config_path)
        if user_config_json is not None:
            options.user_config_json = _as_bytes(user_config_json)
        if user_config_path is not None:
            options.user_config_path = str(user_config_path)
        if log_level is not None:
            options.log_level = cast(Any, int(log_level))
        if server_name is not None:
            options.server_name = server_name
        if max_ping_time_ms is not None:
            options.max_ping_time_ms = max_ping_time_ms
        if worker_threads is not None:
            options.worker_threads = worker_threads
        if websocket_devices_address is not None:
            options.websocket_devices_address = websocket_devices_address
        options.lovense_connect_addresses.extend(lovense_connect_addresses)
        if lovense_dongle_port is not None:
            options.lovense_dongle_port = lovense_dongle_port
        self._core = _ContextCore(options.SerializeToString(), shutdown_timeout)

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._core.closed

    def shutdown(self, timeout: Optional[float] = None) -> None:
        """Stops every device output, closes clients and servers and stops the runtime (blocks up
        to `timeout` seconds). The context still needs `close()` afterwards."""
        self._core.shutdown(self._core.shutdown_timeout if timeout is None else timeout)

    def close(self) -> None:
        """Shuts down and frees the context and everything made from it. Idempotent."""
        self._core.close()

    async def aclose(self) -> None:
        """`close()` for asyncio: runs in a worker thread, so the event loop keeps running
        while devices stop and clients close."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> "Context":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<haptix.Context {'closed' if self.closed else 'open'}>"

    # Logs -----------------------------------------------------------------------------------

    def next_log(self, timeout: Optional[float] = 0.0) -> Optional[LogRecord]:
        """The next log record of the context, or None when none arrives within `timeout`
        seconds (None waits without limit). Raises Closed once the context is shut down and
        its records are drained. Not available while a log callback is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        library = lib()
        while True:
            remaining = POLL_MS if deadline is None else _ms(max(0.0, deadline - time.monotonic()))
            buffer = Buffer()
            message = ""
            data = b""
            with self._core.handle.use() as pointer:
                status = library.haptix_context_next_event(
                    pointer, min(remaining, POLL_MS), ctypes.byref(buffer)
                )
                if status == Status.OK:
                    data = take_buffer(buffer)
                elif status not in (Status.TIMEOUT, Status.CLOSED):
                    message = _native.last_error_message()
            if status == Status.OK:
                record = _log_record(data)
                if record is not None:
                    return record
                continue
            if status == Status.CLOSED:
                raise Closed(status, "the context is shut down")
            if status != Status.TIMEOUT:
                raise error_for_status(status, message or "haptix_context_next_event failed")
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def logs(self, timeout: Optional[float] = None) -> Iterator[LogRecord]:
        """Log records as they come; ends when none arrives within `timeout` seconds or the
        context is shut down."""
        while True:
            try:
                record = self.next_log(timeout)
            except Closed:
                return
            if record is None:
                return
            yield record

    def set_log_callback(self, callback: Optional[Callable[[LogRecord], Any]]) -> None:
        """Delivers log records to `callback` (None goes back to `next_log`). It runs on the
        context's handler thread (`haptix-context-handlers`), one record at a time and in
        order, never on a library thread: it may call anything, including closing this
        context. A coroutine function is run to completion there."""
        library = lib()
        if callback is None:
            native_callback = _native.EventCallback()
        else:
            handler = Handler(callback)
            handlers = self._core.handlers

            def trampoline(_user_data: Optional[int], data: Any, length: int) -> None:
                # On the dispatcher thread: copy the record and hand it over, nothing more.
                try:
                    record = _log_record(ctypes.string_at(data, length))
                    if record is not None:
                        handlers.post(handler.run, record)
                except BaseException:  # nothing may unwind into the library
                    log.exception("haptix: error while queueing a log record")

            native_callback = _native.EventCallback(trampoline)
        self._core.keepalive.append(native_callback)
        with self._core.handle.use() as pointer:
            check(
                library.haptix_context_set_event_callback(
                    pointer, native_callback, None, _native.UserDataFree()
                ),
                "haptix_context_set_event_callback",
            )


def _as_bytes(value: Union[bytes, str]) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _log_record(data: bytes) -> Optional[LogRecord]:
    event = event_pb2.Event()
    event.ParseFromString(data)
    if event.WhichOneof("kind") != "log":
        return None
    record = event.log
    return LogRecord(
        level=to_enum(LogLevel, record.level),
        target=record.target,
        message=record.message,
        timestamp_ms=record.timestamp_ms,
        dropped_before=record.dropped_before,
    )


class _ServerCore:
    def __init__(self, context: _ContextCore, options: bytes) -> None:
        library = lib()
        out = ctypes.c_void_p()
        with context.handle.use() as context_pointer:
            check(
                library.haptix_server_new(
                    context_pointer, options or None, len(options), ctypes.byref(out)
                ),
                "haptix_server_new",
            )
        assert out.value is not None
        self.context = context
        self.handle = NativeHandle(out.value, library.haptix_server_free, "server")
        self._closed = False
        self._lock = threading.Lock()
        context.add_child(self)
        track(self, SERVER)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.handle.free()
        self.context.remove_child(self)
        untrack(self, SERVER)


class Server:
    """A Buttplug WebSocket server sharing the context's devices (any Buttplug client, or
    `Client.connect(context, server.url)`, can connect). `listen_address` defaults to a free
    port on 127.0.0.1."""

    def __init__(
        self,
        context: Context,
        listen_address: str = "127.0.0.1:0",
        *,
        max_message_size: int = 0,
    ) -> None:
        options = options_pb2.ServerOptions(
            listen_address=listen_address, max_message_size=max_message_size
        )
        self._core = _ServerCore(context._core, options.SerializeToString())
        self._host = listen_address.rsplit(":", 1)[0] or "127.0.0.1"
        if self._host in ("0.0.0.0", "[::]", "::"):
            self._host = "127.0.0.1"
        self._finalizer = finalize_later(self, self._core.close)
        port = ctypes.c_uint16()
        with self._core.handle.use() as pointer:
            check(lib().haptix_server_port(pointer, ctypes.byref(port)), "haptix_server_port")
        self.port: int = port.value

    @property
    def url(self) -> str:
        """`ws://HOST:PORT` of this server."""
        return f"ws://{self._host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Stops listening and disconnects its client (blocks up to `timeout` seconds)."""
        with self._core.handle.use() as pointer:
            check(lib().haptix_server_stop(pointer, _ms(timeout)), "haptix_server_stop")

    def close(self) -> None:
        """Frees the server. Idempotent."""
        self._finalizer.detach()
        self._core.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<haptix.Server {self.url}>"
