//! Spec-level enumerations shared by every layer: spec versions, error codes, output and input
//! types, input commands and hardware endpoint names.

use std::fmt;
use std::str::FromStr;

/// A Buttplug message spec version (0 through 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    /// Spec version 0 (original message set).
    V0 = 0,
    /// Spec version 1 (generic VibrateCmd/RotateCmd/LinearCmd).
    V1 = 1,
    /// Spec version 2 (step counts, battery, raw commands).
    V2 = 2,
    /// Spec version 3 (ScalarCmd, sensors).
    V3 = 3,
    /// Spec version 4 (device features, OutputCmd/InputCmd).
    V4 = 4,
}

impl SpecVersion {
    /// The newest version this library speaks.
    pub const LATEST: SpecVersion = SpecVersion::V4;

    /// Converts a wire number into a version, if it is one of 0..=4.
    pub fn from_number(n: u64) -> Option<SpecVersion> {
        match n {
            0 => Some(SpecVersion::V0),
            1 => Some(SpecVersion::V1),
            2 => Some(SpecVersion::V2),
            3 => Some(SpecVersion::V3),
            4 => Some(SpecVersion::V4),
            _ => None,
        }
    }

    /// The wire number of this version.
    pub fn number(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.number())
    }
}

/// What went wrong with a device command, in more detail than [`ErrorCode::Device`]. A server
/// in the same process attaches it to its `Error` messages
/// ([`ServerMessage::Error`](crate::core::messages::ServerMessage::Error)); it is not part of
/// the Buttplug wire format, so an `Error` read from JSON carries none, and callers that need a
/// detailed status from a remote server get the generic one for the `ErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No connected device has the index.
    DeviceNotFound,
    /// The device has no feature with the index.
    FeatureNotFound,
    /// The device or feature does not support the command.
    NotSupported,
    /// A value is outside its range.
    OutOfRange,
    /// The device failed (its protocol or its hardware).
    DeviceFailed,
    /// A hardware operation timed out.
    DeviceTimeout,
    /// The device disconnected.
    DeviceDisconnected,
}

/// The error class carried in a Buttplug `Error` message (`ErrorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0: unclassified.
    Unknown = 0,
    /// 1: handshake missing, repeated, refused or version too new.
    Handshake = 1,
    /// 2: ping timeout.
    Ping = 2,
    /// 3: message parsing, validation or conversion failure.
    Message = 3,
    /// 4: device-level failure (unknown index, bad feature, value out of range, ...).
    Device = 4,
}

impl ErrorCode {
    /// The kind of error in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorCode::Unknown => "unclassified error",
            ErrorCode::Handshake => "handshake error",
            ErrorCode::Ping => "ping timeout",
            ErrorCode::Message => "invalid message",
            ErrorCode::Device => "device error",
        }
    }

    /// Converts a wire number into an error code.
    pub fn from_number(n: i64) -> Option<ErrorCode> {
        match n {
            0 => Some(ErrorCode::Unknown),
            1 => Some(ErrorCode::Handshake),
            2 => Some(ErrorCode::Ping),
            3 => Some(ErrorCode::Message),
            4 => Some(ErrorCode::Device),
            _ => None,
        }
    }

    /// The wire number of this code.
    pub fn number(self) -> u32 {
        self as u32
    }
}

/// Something a device does: the output types of spec v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputType {
    /// Vibration speed.
    Vibrate,
    /// Rotation speed; signed when the advertised range is `[-n, n]`.
    Rotate,
    /// Back-and-forth mechanism speed.
    Oscillate,
    /// Squeeze / air pump level.
    Constrict,
    /// Heating (+) or cooling (-) steps.
    Temperature,
    /// LED brightness.
    Led,
    /// Lube/liquid spray power.
    Spray,
    /// Move to a position as fast as possible.
    Position,
    /// Move to a position over a duration, timed by the device.
    HwPositionWithDuration,
}

impl OutputType {
    /// Every output type, in the order stop commands pick a feature's stop type
    /// (`devices.md` §8): the first stoppable one in this order is used.
    pub const ALL: [OutputType; 9] = [
        OutputType::Vibrate,
        OutputType::Rotate,
        OutputType::Oscillate,
        OutputType::Constrict,
        OutputType::Temperature,
        OutputType::Led,
        OutputType::Position,
        OutputType::HwPositionWithDuration,
        OutputType::Spray,
    ];

    /// The PascalCase name used on the wire (`"Vibrate"`, `"HwPositionWithDuration"`).
    pub fn wire_name(self) -> &'static str {
        match self {
            OutputType::Vibrate => "Vibrate",
            OutputType::Rotate => "Rotate",
            OutputType::Oscillate => "Oscillate",
            OutputType::Constrict => "Constrict",
            OutputType::Temperature => "Temperature",
            OutputType::Led => "Led",
            OutputType::Spray => "Spray",
            OutputType::Position => "Position",
            OutputType::HwPositionWithDuration => "HwPositionWithDuration",
        }
    }

    /// The snake_case key used in device configuration files (`"hw_position_with_duration"`).
    pub fn config_name(self) -> &'static str {
        match self {
            OutputType::Vibrate => "vibrate",
            OutputType::Rotate => "rotate",
            OutputType::Oscillate => "oscillate",
            OutputType::Constrict => "constrict",
            OutputType::Temperature => "temperature",
            OutputType::Led => "led",
            OutputType::Spray => "spray",
            OutputType::Position => "position",
            OutputType::HwPositionWithDuration => "hw_position_with_duration",
        }
    }

    /// Parses a wire name (PascalCase, or the all-lower-case alias the reference accepts).
    pub fn from_wire(s: &str) -> Option<OutputType> {
        OutputType::ALL
            .into_iter()
            .find(|t| t.wire_name() == s || t.wire_name().to_ascii_lowercase() == s)
    }

    /// Parses a configuration-file key.
    pub fn from_config(s: &str) -> Option<OutputType> {
        OutputType::ALL.into_iter().find(|t| t.config_name() == s)
    }

    /// True for the two position types, which have no stop value.
    pub fn is_position(self) -> bool {
        matches!(
            self,
            OutputType::Position | OutputType::HwPositionWithDuration
        )
    }

    /// True for the types whose device values may be negative.
    pub fn allows_negative(self) -> bool {
        matches!(self, OutputType::Rotate | OutputType::Temperature)
    }
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// Something a device reports: the input types of spec v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputType {
    /// Battery level in percent.
    Battery,
    /// Radio signal strength in dBm.
    Rssi,
    /// Pressure in device units.
    Pressure,
    /// Button state.
    Button,
    /// Insertion depth.
    Depth,
    /// Position sensor.
    Position,
}

impl InputType {
    /// Every input type.
    pub const ALL: [InputType; 6] = [
        InputType::Battery,
        InputType::Rssi,
        InputType::Pressure,
        InputType::Button,
        InputType::Depth,
        InputType::Position,
    ];

    /// PascalCase wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            InputType::Battery => "Battery",
            InputType::Rssi => "Rssi",
            InputType::Pressure => "Pressure",
            InputType::Button => "Button",
            InputType::Depth => "Depth",
            InputType::Position => "Position",
        }
    }

    /// snake_case configuration key.
    pub fn config_name(self) -> &'static str {
        match self {
            InputType::Battery => "battery",
            InputType::Rssi => "rssi",
            InputType::Pressure => "pressure",
            InputType::Button => "button",
            InputType::Depth => "depth",
            InputType::Position => "position",
        }
    }

    /// Parses a wire name; accepts lower case and the `RSSI` spelling of the prose spec.
    pub fn from_wire(s: &str) -> Option<InputType> {
        if s == "RSSI" {
            return Some(InputType::Rssi);
        }
        InputType::ALL
            .into_iter()
            .find(|t| t.wire_name() == s || t.config_name() == s)
    }

    /// Parses a configuration key.
    pub fn from_config(s: &str) -> Option<InputType> {
        InputType::ALL.into_iter().find(|t| t.config_name() == s)
    }
}

impl fmt::Display for InputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// An `InputCmd` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputCommand {
    /// Read once; answered with an `InputReading` carrying the request Id.
    Read,
    /// Start a subscription; readings arrive with Id 0.
    Subscribe,
    /// End a subscription.
    Unsubscribe,
}

impl InputCommand {
    /// PascalCase wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            InputCommand::Read => "Read",
            InputCommand::Subscribe => "Subscribe",
            InputCommand::Unsubscribe => "Unsubscribe",
        }
    }

    /// Parses a wire name (PascalCase or lower case).
    pub fn from_wire(s: &str) -> Option<InputCommand> {
        match s {
            "Read" | "read" => Some(InputCommand::Read),
            "Subscribe" | "subscribe" => Some(InputCommand::Subscribe),
            "Unsubscribe" | "unsubscribe" => Some(InputCommand::Unsubscribe),
            _ => None,
        }
    }
}

/// A named hardware endpoint (a BLE characteristic, or the single channel of a serial port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `command`
    Command,
    /// `firmware`
    Firmware,
    /// `rx`
    Rx,
    /// `rxaccel`
    RxAccel,
    /// `rxblebattery`
    RxBleBattery,
    /// `rxblemodel`
    RxBleModel,
    /// `rxpressure`
    RxPressure,
    /// `rxtouch`
    RxTouch,
    /// `tx`
    Tx,
    /// `txmode`
    TxMode,
    /// `txshock`
    TxShock,
    /// `txvibrate`
    TxVibrate,
    /// `txvendorcontrol`
    TxVendorControl,
    /// `whitelist`
    Whitelist,
    /// `generic0` .. `generic31`
    Generic(u8),
}

impl Endpoint {
    /// The lower-case configuration name of this endpoint.
    pub fn name(self) -> String {
        match self {
            Endpoint::Generic(n) => format!("generic{n}"),
            other => other.fixed_name().to_string(),
        }
    }

    fn fixed_name(self) -> &'static str {
        match self {
            Endpoint::Command => "command",
            Endpoint::Firmware => "firmware",
            Endpoint::Rx => "rx",
            Endpoint::RxAccel => "rxaccel",
            Endpoint::RxBleBattery => "rxblebattery",
            Endpoint::RxBleModel => "rxblemodel",
            Endpoint::RxPressure => "rxpressure",
            Endpoint::RxTouch => "rxtouch",
            Endpoint::Tx => "tx",
            Endpoint::TxMode => "txmode",
            Endpoint::TxShock => "txshock",
            Endpoint::TxVibrate => "txvibrate",
            Endpoint::TxVendorControl => "txvendorcontrol",
            Endpoint::Whitelist => "whitelist",
            Endpoint::Generic(_) => "generic",
        }
    }
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let e = match s {
            "command" => Endpoint::Command,
            "firmware" => Endpoint::Firmware,
            "rx" => Endpoint::Rx,
            "rxaccel" => Endpoint::RxAccel,
            "rxblebattery" => Endpoint::RxBleBattery,
            "rxblemodel" => Endpoint::RxBleModel,
            "rxpressure" => Endpoint::RxPressure,
            "rxtouch" => Endpoint::RxTouch,
            "tx" => Endpoint::Tx,
            "txmode" => Endpoint::TxMode,
            "txshock" => Endpoint::TxShock,
            "txvibrate" => Endpoint::TxVibrate,
            "txvendorcontrol" => Endpoint::TxVendorControl,
            "whitelist" => Endpoint::Whitelist,
            other => {
                let n = other
                    .strip_prefix("generic")
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|n| *n < 32)
                    .ok_or_else(|| format!("unknown endpoint name {other:?}"))?;
                Endpoint::Generic(n)
            }
        };
        Ok(e)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Generic(n) => write!(f, "generic{n}"),
            other => f.write_str(other.fixed_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_round_trip() {
        for name in [
            "tx",
            "rx",
            "rxblebattery",
            "whitelist",
            "generic0",
            "generic31",
        ] {
            let e: Endpoint = name.parse().unwrap();
            assert_eq!(e.to_string(), name);
        }
        assert!("generic32".parse::<Endpoint>().is_err());
        assert!("bogus".parse::<Endpoint>().is_err());
    }

    #[test]
    fn output_names() {
        assert_eq!(OutputType::from_wire("vibrate"), Some(OutputType::Vibrate));
        assert_eq!(
            OutputType::from_config("hw_position_with_duration"),
            Some(OutputType::HwPositionWithDuration)
        );
        assert_eq!(OutputType::from_wire("Inflate"), None);
        assert_eq!(InputType::from_wire("RSSI"), Some(InputType::Rssi));
    }
}
