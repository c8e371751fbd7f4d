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
    pass


class InvalidArgument(ArgumentError):
    """A bad argument (status ERROR_INVALID_ARGUMENT), from the library or checked by this
    binding before sending; the message names the argument."""


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument of the wrong type (a string given as a level, ...): an `InvalidArgument`
    that is also a `TypeError`."""


class InvalidHandle(ArgumentError):
    pass


class InvalidUtf8(ArgumentError):
    pass


class InvalidProtobuf(ArgumentError):
    pass


class AbiMismatch(ArgumentError):
    """The library's ABI version is not the one this binding was written for."""


class InvalidConfig(ArgumentError):
    pass


# 200-299: runtime and lifecycle.
class LifecycleError(HaptixError):
    """Runtime and lifecycle failures (statuses 200-299)."""


class ShutDown(LifecycleError, Closed):
    """The context was shut down."""


class WouldDeadlock(LifecycleError):
    pass


class Poisoned(LifecycleError):
    pass


class RuntimeFailure(LifecycleError):
    pass


class Cancelled(LifecycleError):
    pass


class TimedOut(LifecycleError, Timeout):
    pass


class NotConnected(LifecycleError):
    pass


# 300-399: protocol.
class ProtocolError(HaptixError):
    """Buttplug protocol failures (statuses 300-399)."""


class HandshakeError(ProtocolError):
    pass


class PingTimeout(ProtocolError):
    pass


class ServerError(ProtocolError):
    pass


# 400-499: devices.
class DeviceError(HaptixError):
    """Device failures (statuses 400-499)."""


class DeviceNotFound(DeviceError, LookupError):
    pass


class FeatureNotFound(DeviceError, LookupError):
    pass


class NotSupported(DeviceError):
    pass


class OutOfRange(DeviceError, ValueError):
    pass


class DeviceDisconnected(DeviceError):
    pass


class DeviceTimeout(DeviceError, Timeout):
    pass


# 500-599: transport.
class TransportError(HaptixError, ConnectionError):
    """Connection and transport failures (statuses 500-599)."""


class ConnectError(TransportError):
    pass


# 600-699: internal.
class InternalError(HaptixError):
    """A bug in the library (statuses 600-699)."""


class Panic(InternalError):
    pass


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
