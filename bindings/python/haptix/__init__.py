"""Python binding of the haptix native library: Buttplug intimate-hardware control over its C ABI.

    import haptix

    with haptix.Context(simulated_devices=["LVS-Hush"]) as context:
        with haptix.Client.connect_embedded(context) as client:
            client.start_scanning()
            device = client.wait_for_device(timeout=5)
            device.vibrate(0.5)

The native library is found through `HAPTIX_LIBRARY`, a copy bundled in this package, or the
repository's `target/` directory (see `haptix._native`). It is loaded on first use; `load()` does
it eagerly and checks the ABI version.
"""

import pathlib as _pathlib

from . import _native
from ._native import ABI_VERSION, LibraryError, library_file_name
from .aio import AsyncClient, AsyncDevice, AsyncDeviceFeature
from .client import Client, Device, DeviceFeature
from .context import Context, Server
from .errors import (
    AbiMismatch,
    ArgumentError,
    BufferTooSmall,
    Cancelled,
    Closed,
    ConnectError,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DeviceTimeout,
    FeatureNotFound,
    HandshakeError,
    HaptixError,
    InternalError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidConfig,
    InvalidHandle,
    InvalidProtobuf,
    InvalidUtf8,
    LifecycleError,
    NotConnected,
    NotSupported,
    NullPointer,
    OutOfRange,
    Panic,
    PingTimeout,
    Poisoned,
    ProtocolError,
    RuntimeFailure,
    ServerError,
    ShutDown,
    Status,
    TimedOut,
    Timeout,
    TransportError,
    WouldDeadlock,
    error_for_status,
)
from .events import (
    Connected,
    DeviceAdded,
    DeviceRemoved,
    Disconnected,
    ErrorReport,
    Event,
    InputReading,
    LogRecord,
    ScanningFinished,
    UnknownEvent,
)
from .types import (
    CommManager,
    DeviceInfo,
    Feature,
    FeatureInput,
    FeatureOutput,
    InputCommand,
    InputType,
    LogLevel,
    OutputType,
    Range,
    SimulatedDevice,
    Write,
    describe_bytes,
)

__version__ = "0.1.0"


def load() -> _pathlib.Path:
    """Loads the native library now (checking its ABI version); returns its path."""
    return _native.library_path()


def library_version() -> str:
    """The native library's version string."""
    return _native.version()


__all__ = [
    "ABI_VERSION",
    "AbiMismatch",
    "ArgumentError",
    "AsyncClient",
    "AsyncDevice",
    "AsyncDeviceFeature",
    "BufferTooSmall",
    "Cancelled",
    "Client",
    "Closed",
    "CommManager",
    "ConnectError",
    "Connected",
    "Context",
    "Device",
    "DeviceAdded",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceFeature",
    "DeviceInfo",
    "DeviceNotFound",
    "DeviceRemoved",
    "DeviceTimeout",
    "Disconnected",
    "ErrorReport",
    "Event",
    "Feature",
    "FeatureInput",
    "FeatureNotFound",
    "FeatureOutput",
    "HandshakeError",
    "HaptixError",
    "InputCommand",
    "InputReading",
    "InputType",
    "InternalError",
    "InvalidArgument",
    "InvalidArgumentType",
    "InvalidConfig",
    "InvalidHandle",
    "InvalidProtobuf",
    "InvalidUtf8",
    "LibraryError",
    "LifecycleError",
    "LogLevel",
    "LogRecord",
    "NotConnected",
    "NotSupported",
    "NullPointer",
    "OutOfRange",
    "OutputType",
    "Panic",
    "PingTimeout",
    "Poisoned",
    "ProtocolError",
    "Range",
    "RuntimeFailure",
    "ScanningFinished",
    "Server",
    "ServerError",
    "ShutDown",
    "SimulatedDevice",
    "Status",
    "TimedOut",
    "Timeout",
    "TransportError",
    "UnknownEvent",
    "WouldDeadlock",
    "Write",
    "describe_bytes",
    "error_for_status",
    "library_file_name",
    "library_version",
    "load",
]
