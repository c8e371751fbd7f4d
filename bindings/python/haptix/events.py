"""Events a client (or context) delivers, as dataclasses.

Responses to requests are not events here: they complete the call that sent the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from .errors import Status, status_name
from .types import InputType, LogLevel

if TYPE_CHECKING:
    from .aio import AsyncDevice
    from .client import Device


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


@dataclass(frozen=True)
class Connected(Event):
    """The connection to the server is ready."""

    server_name: str
    spec_version: int


@dataclass(frozen=True)
class Disconnected(Event):
    """The connection ended (or could not be made); the last event of a client."""

    reason: str
    status: Union[Status, int] = Status.OK

    @property
    def requested(self) -> bool:
        """True after a requested disconnect (status 0)."""
        return self.status == Status.OK


@dataclass(frozen=True)
class DeviceAdded(Event):
    """A device connected; `device` can be driven right away (an `AsyncDevice` in the events
    of an `AsyncClient`)."""

    device: "Union[Device, AsyncDevice]"


@dataclass(frozen=True)
class DeviceRemoved(Event):
    """A device disconnected. `device` is the object it had, when the client knew it."""

    device_index: int
    device: "Optional[Union[Device, AsyncDevice]]" = None


@dataclass(frozen=True)
class ScanningFinished(Event):
    """Scanning stopped."""


@dataclass(frozen=True)
class InputReading(Event):
    """A reading from a subscribed input. Battery: percent 0-100; RSSI: dBm; button: 0/1."""

    device_index: int
    feature_index: int
    input_type: Union[InputType, int]
    value: int


@dataclass(frozen=True)
class ErrorReport(Event):
    """An error outside any request (e.g. a ping timeout), a failure inside the library, or
    the failure of a request sent without waiting (`wait=False`; `request_id` is then its
    id, else 0)."""

    status: Union[Status, int]
    message: str
    request_id: int = 0

    def __str__(self) -> str:
        return f"{self.message} ({status_name(int(self.status))})"


@dataclass(frozen=True)
class LogRecord(Event):
    """A log record of a context."""

    level: Union[LogLevel, int]
    target: str
    message: str
    timestamp_ms: int
    dropped_before: int = 0


@dataclass(frozen=True)
class UnknownEvent(Event):
    """An event kind this binding does not know (from a newer library)."""

    kind: Optional[str]
    request_id: int
    raw: bytes
