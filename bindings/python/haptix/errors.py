"""Status codes of the C ABI and the exceptions they become.

Every failure carries the numeric status and the library's message. Statuses are grouped by
hundreds (argument/handle, runtime/lifecycle, protocol, device, transport, internal); a code this
binding does not know still maps to its group's class, or to :class:`HaptixError`.
"""

from __future__ import annotations

import enum
from typing import Dict, Type, Union


class Status(enum.IntEnum):
    """`haptix_status` values (without the `HAPTIX_STATUS_` prefix)."""

    OK = 0
    TIMEOUT = 1
    CLOSED = 2
    BUFFER_TOO_SMALL = 3
    ERROR_NULL_POINTER = 100
    ERROR_INVALID_ARGUMENT = 101
    ERROR_INVALID_HANDLE = 102
    ERROR_INVALID_UTF8 = 103
    ERROR_INVALID_PROTOBUF = 104
    ERROR_ABI_MISMATCH = 105
    ERROR_INVALID_CONFIG = 106
    ERROR_SHUT_DOWN = 200
    ERROR_WOULD_DEADLOCK = 201
    ERROR_POISONED = 202
    ERROR_RUNTIME = 203
    ERROR_CANCELLED = 204
    ERROR_TIMED_OUT = 205
    ERROR_NOT_CONNECTED = 206
    ERROR_PROTOCOL = 300
    ERROR_HANDSHAKE = 301
    ERROR_PING = 302
    ERROR_SERVER = 303
    ERROR_DEVICE_NOT_FOUND = 400
    ERROR_FEATURE_NOT_FOUND = 401
    ERROR_NOT_SUPPORTED = 402
    ERROR_OUT_OF_RANGE = 403
    ERROR_DEVICE = 404
    ERROR_DEVICE_DISCONNECTED = 405
    ERROR_DEVICE_TIMEOUT = 406
    ERROR_CONNECT = 500
    ERROR_TRANSPORT = 501
    ERROR_PANIC = 600
    ERROR_INTERNAL = 601


def status_name(status: int) -> str:
    """`"ERROR_DEVICE_NOT_FOUND"` for 400; `"STATUS_999"` for a code this binding does not know."""
    try:
        return Status(status).name
    except ValueError:
        return f"STATUS_{status}"


class HaptixError(Exception):
    """A call failed. `status` is the `haptix_status` code, `message` the library's detail."""

    def __init__(self, status: int, message: str = "") -> None:
        self.status: Union[Status, int] = _as_status(status)
        self.message = message
        super().__init__(status, message)

    @property
    def status_name(self) -> str:
        """The status's name, e.g. "ERROR_DEVICE_NOT_FOUND"."""
        return status_name(int(self.status))

    def __str__(self) -> str:
        if self.message:
            return f"{self.message} ({self.status_name})"
        return self.status_name


def _as_status(status: int) -> Union[Status, int]:
    try:
        return Status(status)
    except ValueError:
        return int(status)


# Non-error outcomes raised where a call needed a result.
class Timeout(HaptixError, TimeoutError):
    """Nothing arrived in time (status TIMEOUT, ERROR_TIMED_OUT or a binding-side wait)."""


class Closed(HaptixError):
    """The client, server or context is closed or disconnected (status CLOSED)."""


class BufferTooSmall(HaptixError):
    """Status BUFFER_TOO_SMALL."""


# 100-199: arguments and handles.
class ArgumentError(HaptixError, ValueError):
    """A bad argument, handle or encoded message (statuses 100-199)."""


class NullPointer(ArgumentError):
    """A required pointer was NULL (ERROR_NULL_POINTER); a binding bug when it happens here."""


class InvalidArgument(ArgumentError):
    """A bad argument (status ERROR_INVALID_ARGUMENT), from the library or checked by this
    binding before sending; the message names the argument."""


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument of the wrong type (a string given as a level, ...): an `InvalidArgument`
    that is also a `TypeError`."""


class InvalidHandle(ArgumentError):
    """A handle that is freed or not from this library (ERROR_INVALID_HANDLE)."""


class InvalidUtf8(ArgumentError):
    """A string that is not UTF-8 (ERROR_INVALID_UTF8)."""


class InvalidProtobuf(ArgumentError):
    """Bytes that are not the expected protobuf message (ERROR_INVALID_PROTOBUF)."""


class AbiMismatch(ArgumentError):
    """The library's ABI version is not the one this binding was written for."""


class InvalidConfig(ArgumentError):
    """A device or user configuration the library cannot use (ERROR_INVALID_CONFIG)."""


# 200-299: runtime and lifecycle.
class LifecycleError(HaptixError):
    """Runtime and lifecycle failures (statuses 200-299)."""


class ShutDown(LifecycleError, Closed):
    """The context was shut down."""


class WouldDeadlock(LifecycleError):
    """A wait that could never end, refused (ERROR_WOULD_DEADLOCK): waiting for the next event on
    a library dispatcher thread."""


class Poisoned(LifecycleError):
    """The library hit a poisoned lock after a panic (ERROR_POISONED)."""


class RuntimeFailure(LifecycleError):
    """The library's runtime could not start or run (ERROR_RUNTIME)."""


class Cancelled(LifecycleError):
    """The request was cancelled before an answer came (ERROR_CANCELLED): its client was freed,
    disconnected or shut down."""


class TimedOut(LifecycleError, Timeout):
    """No answer within the request timeout (ERROR_TIMED_OUT): the client's `request_timeout`, or
    the `timeout` of the call."""


class NotConnected(LifecycleError):
    """The client is not connected (ERROR_NOT_CONNECTED)."""


# 300-399: protocol.
class ProtocolError(HaptixError):
    """Buttplug protocol failures (statuses 300-399)."""


class HandshakeError(ProtocolError):
    """The Buttplug handshake failed (ERROR_HANDSHAKE)."""


class PingTimeout(ProtocolError):
    """The server closed the connection for a missed ping (ERROR_PING)."""


class ServerError(ProtocolError):
    """The server answered with an error of its own (ERROR_SERVER)."""


# 400-499: devices.
class DeviceError(HaptixError):
    """Device failures (statuses 400-499)."""


class DeviceNotFound(DeviceError, LookupError):
    """No connected device has that index (ERROR_DEVICE_NOT_FOUND); it may have disconnected."""


class FeatureNotFound(DeviceError, LookupError):
    """The device has no feature with that index (ERROR_FEATURE_NOT_FOUND)."""


class NotSupported(DeviceError):
    """The device or feature has no such output, input or command (ERROR_NOT_SUPPORTED)."""


class OutOfRange(DeviceError, ValueError):
    """A level or step value outside the feature's range (ERROR_OUT_OF_RANGE)."""


class DeviceDisconnected(DeviceError):
    """The device disconnected during the request (ERROR_DEVICE_DISCONNECTED)."""


class DeviceTimeout(DeviceError, Timeout):
    """The device did not answer in time (ERROR_DEVICE_TIMEOUT)."""


# 500-599: transport.
class TransportError(HaptixError, ConnectionError):
    """Connection and transport failures (statuses 500-599)."""


class ConnectError(TransportError):
    """The connection to the server could not be made (ERROR_CONNECT)."""


# 600-699: internal.
class InternalError(HaptixError):
    """A bug in the library (statuses 600-699)."""


class Panic(InternalError):
    """A panic inside the library, caught at the C ABI (ERROR_PANIC)."""


_BY_STATUS: Dict[int, Type[HaptixError]] = {
    Status.TIMEOUT: Timeout,
    Status.CLOSED: Closed,
    Status.BUFFER_TOO_SMALL: BufferTooSmall,
    Status.ERROR_NULL_POINTER: NullPointer,
    Status.ERROR_INVALID_ARGUMENT: InvalidArgument,
    Status.ERROR_INVALID_HANDLE: InvalidHandle,
    Status.ERROR_INVALID_UTF8: InvalidUtf8,
    Status.ERROR_INVALID_PROTOBUF: InvalidProtobuf,
    Status.ERROR_ABI_MISMATCH: AbiMismatch,
    Status.ERROR_INVALID_CONFIG: InvalidConfig,
    Status.ERROR_SHUT_DOWN: ShutDown,
    Status.ERROR_WOULD_DEADLOCK: WouldDeadlock,
    Status.ERROR_POISONED: Poisoned,
    Status.ERROR_RUNTIME: RuntimeFailure,
    Status.ERROR_CANCELLED: Cancelled,
    Status.ERROR_TIMED_OUT: TimedOut,
    Status.ERROR_NOT_CONNECTED: NotConnected,
    Status.ERROR_PROTOCOL: ProtocolError,
    Status.ERROR_HANDSHAKE: HandshakeError,
    Status.ERROR_PING: PingTimeout,
    Status.ERROR_SERVER: ServerError,
    Status.ERROR_DEVICE_NOT_FOUND: DeviceNotFound,
    Status.ERROR_FEATURE_NOT_FOUND: FeatureNotFound,
    Status.ERROR_NOT_SUPPORTED: NotSupported,
    Status.ERROR_OUT_OF_RANGE: OutOfRange,
    Status.ERROR_DEVICE: DeviceError,
    Status.ERROR_DEVICE_DISCONNECTED: DeviceDisconnected,
    Status.ERROR_DEVICE_TIMEOUT: DeviceTimeout,
    Status.ERROR_CONNECT: ConnectError,
    Status.ERROR_TRANSPORT: TransportError,
    Status.ERROR_PANIC: Panic,
    Status.ERROR_INTERNAL: InternalError,
}

_BY_GROUP: Dict[int, Type[HaptixError]] = {
    1: ArgumentError,
    2: LifecycleError,
    3: ProtocolError,
    4: DeviceError,
    5: TransportError,
    6: InternalError,
}


def error_for_status(status: int, message: str = "") -> HaptixError:
    """The exception for a non-OK status: its own class, else its group's, else HaptixError."""
    cls = _BY_STATUS.get(status) or _BY_GROUP.get(status // 100) or HaptixError
    return cls(status, message)
