"""Plain data: enums of the haptix.v1 schema, device features, simulated-device writes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional, Tuple, Type, TypeVar, Union

from ._pb import device_pb2, options_pb2


class OutputType(enum.IntEnum):
    """What an output feature does (`haptix.v1.OutputType`)."""

    UNSPECIFIED = 0
    VIBRATE = 1
    ROTATE = 2
    OSCILLATE = 3
    CONSTRICT = 4
    TEMPERATURE = 5
    LED = 6
    SPRAY = 7
    POSITION = 8
    HW_POSITION_WITH_DURATION = 9


class InputType(enum.IntEnum):
    """What an input feature measures (`haptix.v1.InputType`)."""

    UNSPECIFIED = 0
    BATTERY = 1
    RSSI = 2
    PRESSURE = 3
    BUTTON = 4
    DEPTH = 5
    POSITION = 6


class InputCommand(enum.IntEnum):
    """What can be done with an input (`haptix.v1.InputCommand`)."""

    UNSPECIFIED = 0
    READ = 1
    SUBSCRIBE = 2
    UNSUBSCRIBE = 3


class LogLevel(enum.IntEnum):
    """How much a context logs (`haptix.v1.LogLevel`)."""

    UNSPECIFIED = 0
    OFF = 1
    ERROR = 2
    WARN = 3
    INFO = 4
    DEBUG = 5
    TRACE = 6


class CommManager(enum.IntEnum):
    """Hardware buses a context can watch (`haptix.v1.CommManager`)."""

    UNSPECIFIED = 0
    SIMULATED = 1
    WEBSOCKET_DEVICES = 2
    BLUETOOTH_LE = 3
    SERIAL = 4
    HID = 5
    LOVENSE_DONGLE_SERIAL = 6
    LOVENSE_DONGLE_HID = 7
    LOVENSE_CONNECT = 8
    GAMEPAD = 9
    USB = 10


E = TypeVar("E", bound=enum.IntEnum)


def to_enum(cls: Type[E], value: int) -> Union[E, int]:
    """The enum member for `value`, or the plain int when this binding does not know it."""
    try:
        return cls(value)
    except ValueError:
        return int(value)


@dataclass(frozen=True)
class Range:
    """An inclusive integer range."""

    min: int
    max: int

    @classmethod
    def _from_proto(cls, msg: Any) -> "Range":
        return cls(msg.min, msg.max)


@dataclass(frozen=True)
class FeatureOutput:
    """One output of a feature: its type and step range (and allowed durations in ms for
    HW_POSITION_WITH_DURATION)."""

    output_type: Union[OutputType, int]
    value: Range
    duration: Optional[Range] = None

    @property
    def steps(self) -> int:
        """Number of steps above zero (the top of the range)."""
        return self.value.max


@dataclass(frozen=True)
class FeatureInput:
    """One input of a feature: its type, value ranges and the commands it accepts."""

    input_type: Union[InputType, int]
    value: Tuple[Range, ...] = ()
    commands: Tuple[Union[InputCommand, int], ...] = ()

    @property
    def readable(self) -> bool:
        """Whether the input can be read once (`Device.read`)."""
        return InputCommand.READ in self.commands

    @property
    def subscribable(self) -> bool:
        """Whether the input can be subscribed to (`Device.subscribe`)."""
        return InputCommand.SUBSCRIBE in self.commands


@dataclass(frozen=True)
class Feature:
    """One feature of a device, addressed by its index."""

    index: int
    description: str = ""
    outputs: Tuple[FeatureOutput, ...] = ()
    inputs: Tuple[FeatureInput, ...] = ()

    def output(self, output_type: Union[OutputType, int]) -> Optional[FeatureOutput]:
        """This feature's output of that type, if any."""
        return next((o for o in self.outputs if o.output_type == output_type), None)

    def input(self, input_type: Union[InputType, int]) -> Optional[FeatureInput]:
        """This feature's input of that type, if any."""
        return next((i for i in self.inputs if i.input_type == input_type), None)

    @classmethod
    def _from_proto(cls, msg: Any) -> "Feature":
        outputs = tuple(
            FeatureOutput(
                output_type=to_enum(OutputType, o.output_type),
                value=Range._from_proto(o.value),
                duration=Range._from_proto(o.duration) if o.HasField("duration") else None,
            )
            for o in msg.outputs
        )
        inputs = tuple(
            FeatureInput(
                input_type=to_enum(InputType, i.input_type),
                value=tuple(Range._from_proto(r) for r in i.value),
                commands=tuple(to_enum(InputCommand, c) for c in i.commands),
            )
            for i in msg.inputs
        )
        return cls(index=msg.index, description=msg.description, outputs=outputs, inputs=inputs)


@dataclass(frozen=True)
class DeviceInfo:
    """What the server announced about a device (the data behind a `Device`)."""

    index: int
    name: str
    display_name: str = ""
    message_timing_gap_ms: int = 0
    features: Tuple[Feature, ...] = field(default=())
    #: Hardware address (embedded server only; empty for a remote server's devices).
    address: str = ""

    @classmethod
    def _from_proto(cls, msg: "device_pb2.Device") -> "DeviceInfo":
        return cls(
            index=msg.index,
            name=msg.name,
            display_name=msg.display_name,
            message_timing_gap_ms=msg.message_timing_gap_ms,
            features=tuple(Feature._from_proto(f) for f in msg.features),
            address=getattr(msg, "address", ""),
        )


class Write(NamedTuple):
    """One write a simulated device received."""

    endpoint: str
    data: bytes
    with_response: bool = False

    def __str__(self) -> str:
        return f"{describe_bytes(self.data)} on {self.endpoint}"


@dataclass(frozen=True)
class SimulatedDevice:
    """A virtual device for `Context(simulated_devices=...)`: a BLE name such as "LVS-Hush",
    "serial:PORT", "hid:VID:PID" or "usb:VID:PID"; the address is generated when empty."""

    identifier: str
    address: str = ""

    def _to_proto(self) -> "options_pb2.SimulatedDevice":
        return options_pb2.SimulatedDevice(identifier=self.identifier, address=self.address)


def describe_bytes(data: bytes) -> str:
    """`"Vibrate:10;"` for printable ASCII, `[01 ff]` otherwise."""
    if data and all(32 <= b < 127 or b in (10, 13) for b in data):
        text = data.decode("ascii")
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
            text = text.replace(raw, escaped)
        return '"' + text + '"'
    return "[" + " ".join(f"{b:02x}" for b in data) + "]"
