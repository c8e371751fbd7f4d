//! The Buttplug message model used inside Haptix.
//!
//! [`ClientMessage`] is the union of every client message of spec v0–v4, with fields already
//! validated by the JSON decoder (`core::json`). [`ServerMessage`] is what the server produces;
//! the JSON encoder formats it for the spec version of each connection. Devices are always
//! described by the v4 feature model ([`DeviceInfo`]); older views are derived from it
//! (`core::legacy`).

use super::types::{ErrorCode, ErrorKind, InputCommand, InputType, OutputType};

/// A message Id as carried on the wire.
pub type MessageId = u32;

/// One output command payload of a v4 `OutputCmd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputCommand {
    /// Output type addressed.
    pub kind: OutputType,
    /// Step value (signed for bidirectional types).
    pub value: i32,
    /// Duration in milliseconds, only for `HwPositionWithDuration`.
    pub duration: Option<u32>,
}

/// A sub-command of a legacy `VibrateCmd` (`Speeds[]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VibrateSub {
    /// Index among the device's vibrators.
    pub index: u32,
    /// Speed 0.0–1.0.
    pub speed: f64,
}

/// A sub-command of a legacy `RotateCmd` (`Rotations[]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotateSub {
    /// Index among the device's bidirectional rotators.
    pub index: u32,
    /// Speed 0.0–1.0.
    pub speed: f64,
    /// Direction.
    pub clockwise: bool,
}

/// A sub-command of a legacy `LinearCmd` (`Vectors[]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearSub {
    /// Index among the device's linear (position-with-duration) features.
    pub index: u32,
    /// Movement duration in milliseconds.
    pub duration: u32,
    /// Target position 0.0–1.0.
    pub position: f64,
}

/// A sub-command of a v3 `ScalarCmd` (`Scalars[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarSub {
    /// Index in the device's v3 `ScalarCmd` attribute list.
    pub index: u32,
    /// Value 0.0–1.0.
    pub scalar: f64,
    /// Actuator type as sent (validated against the output type names when executed).
    pub actuator: String,
}

/// Every client → server message of spec v0–v4.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// Handshake (all versions).
    RequestServerInfo {
        /// Message Id.
        id: MessageId,
        /// Client's name.
        client_name: String,
        /// v1–v3 `MessageVersion`.
        message_version: Option<u32>,
        /// v4 `ProtocolVersionMajor`.
        protocol_version_major: Option<u32>,
        /// v4 `ProtocolVersionMinor`.
        protocol_version_minor: Option<u32>,
    },
    /// Keep-alive.
    Ping {
        /// Message Id.
        id: MessageId,
    },
    /// Start scanning for devices.
    StartScanning {
        /// Message Id.
        id: MessageId,
    },
    /// Stop scanning.
    StopScanning {
        /// Message Id.
        id: MessageId,
    },
    /// Ask for the device list.
    RequestDeviceList {
        /// Message Id.
        id: MessageId,
    },
    /// v0–v1 echo test.
    Test {
        /// Message Id.
        id: MessageId,
        /// String to echo.
        test_string: String,
    },
    /// v0–v1 log request.
    RequestLog {
        /// Message Id.
        id: MessageId,
        /// Requested level name.
        log_level: String,
    },
    /// v0–v3 stop one device.
    StopDeviceCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
    },
    /// v0–v3 stop all devices.
    StopAllDevices {
        /// Message Id.
        id: MessageId,
    },
    /// v0–v1 vibrate every vibrator at one speed.
    SingleMotorVibrateCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Speed 0.0–1.0.
        speed: f64,
    },
    /// v0–v1, refused with Error 3.
    FleshlightLaunchFw12Cmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Position 0–99.
        position: u32,
        /// Speed 0–99.
        speed: u32,
    },
    /// v0–v1, refused with Error 3.
    VorzeA10CycloneCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Speed 0–99.
        speed: u32,
        /// Direction.
        clockwise: bool,
    },
    /// v0–v1 raw Lovense command, refused with Error 3.
    LovenseCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Raw command.
        command: String,
    },
    /// v0–v1 raw Kiiroo command, refused with Error 3.
    KiirooCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Raw command.
        command: String,
    },
    /// v1–v3 per-vibrator speeds.
    VibrateCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sub-commands.
        speeds: Vec<VibrateSub>,
    },
    /// v1–v3 rotation.
    RotateCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sub-commands.
        rotations: Vec<RotateSub>,
    },
    /// v1–v3 linear movement.
    LinearCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sub-commands.
        vectors: Vec<LinearSub>,
    },
    /// v2 battery read.
    BatteryLevelCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
    },
    /// v2 RSSI read (refused with Error 3, as nothing reports RSSI in legacy form).
    RssiLevelCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
    },
    /// v2–v3 raw endpoint commands (`RawWriteCmd`, `RawReadCmd`, `RawSubscribeCmd`,
    /// `RawUnsubscribeCmd`); refused with Error 3 because they bypass protocol safety.
    RawCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Which raw message it was.
        name: &'static str,
    },
    /// v3 scalar outputs.
    ScalarCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sub-commands (at least one).
        scalars: Vec<ScalarSub>,
    },
    /// v3 sensor read.
    SensorReadCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sensor index as sent.
        sensor_index: u32,
        /// Sensor type as sent.
        sensor_type: String,
    },
    /// v3 sensor subscribe (Error 4, as in the reference).
    SensorSubscribeCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sensor index.
        sensor_index: u32,
        /// Sensor type.
        sensor_type: String,
    },
    /// v3 sensor unsubscribe (Error 4, as in the reference).
    SensorUnsubscribeCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sensor index.
        sensor_index: u32,
        /// Sensor type.
        sensor_type: String,
    },
    /// v4 output on one feature.
    OutputCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Feature.
        feature_index: u32,
        /// Payload.
        command: OutputCommand,
    },
    /// v4 input command on one feature.
    InputCmd {
        /// Message Id.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Feature.
        feature_index: u32,
        /// Input type.
        input_type: InputType,
        /// Read, subscribe or unsubscribe.
        command: InputCommand,
    },
    /// v4 stop (all devices, one device, or one feature).
    StopCmd {
        /// Message Id.
        id: MessageId,
        /// Device, or all when absent.
        device_index: Option<u32>,
        /// Feature (only with a device).
        feature_index: Option<u32>,
        /// Unsubscribe inputs in the selection.
        inputs: bool,
        /// Stop outputs in the selection.
        outputs: bool,
    },
    /// v4 (prose spec) disconnect request.
    Disconnect {
        /// Message Id.
        id: MessageId,
    },
}

impl ClientMessage {
    /// The message's Id.
    pub fn id(&self) -> MessageId {
        match self {
            ClientMessage::RequestServerInfo { id, .. }
            | ClientMessage::Ping { id }
            | ClientMessage::StartScanning { id }
            | ClientMessage::StopScanning { id }
            | ClientMessage::RequestDeviceList { id }
            | ClientMessage::Test { id, .. }
            | ClientMessage::RequestLog { id, .. }
            | ClientMessage::StopDeviceCmd { id, .. }
            | ClientMessage::StopAllDevices { id }
            | ClientMessage::SingleMotorVibrateCmd { id, .. }
            | ClientMessage::FleshlightLaunchFw12Cmd { id, .. }
            | ClientMessage::VorzeA10CycloneCmd { id, .. }
            | ClientMessage::LovenseCmd { id, .. }
            | ClientMessage::KiirooCmd { id, .. }
            | ClientMessage::VibrateCmd { id, .. }
            | ClientMessage::RotateCmd { id, .. }
            | ClientMessage::LinearCmd { id, .. }
            | ClientMessage::BatteryLevelCmd { id, .. }
            | ClientMessage::RssiLevelCmd { id, .. }
            | ClientMessage::RawCmd { id, .. }
            | ClientMessage::ScalarCmd { id, .. }
            | ClientMessage::SensorReadCmd { id, .. }
            | ClientMessage::SensorSubscribeCmd { id, .. }
            | ClientMessage::SensorUnsubscribeCmd { id, .. }
            | ClientMessage::OutputCmd { id, .. }
            | ClientMessage::InputCmd { id, .. }
            | ClientMessage::StopCmd { id, .. }
            | ClientMessage::Disconnect { id } => *id,
        }
    }

    /// The wire name of the message.
    pub fn name(&self) -> &'static str {
        match self {
            ClientMessage::RequestServerInfo { .. } => "RequestServerInfo",
            ClientMessage::Ping { .. } => "Ping",
            ClientMessage::StartScanning { .. } => "StartScanning",
            ClientMessage::StopScanning { .. } => "StopScanning",
            ClientMessage::RequestDeviceList { .. } => "RequestDeviceList",
            ClientMessage::Test { .. } => "Test",
            ClientMessage::RequestLog { .. } => "RequestLog",
            ClientMessage::StopDeviceCmd { .. } => "StopDeviceCmd",
            ClientMessage::StopAllDevices { .. } => "StopAllDevices",
            ClientMessage::SingleMotorVibrateCmd { .. } => "SingleMotorVibrateCmd",
            ClientMessage::FleshlightLaunchFw12Cmd { .. } => "FleshlightLaunchFW12Cmd",
            ClientMessage::VorzeA10CycloneCmd { .. } => "VorzeA10CycloneCmd",
            ClientMessage::LovenseCmd { .. } => "LovenseCmd",
            ClientMessage::KiirooCmd { .. } => "KiirooCmd",
            ClientMessage::VibrateCmd { .. } => "VibrateCmd",
            ClientMessage::RotateCmd { .. } => "RotateCmd",
            ClientMessage::LinearCmd { .. } => "LinearCmd",
            ClientMessage::BatteryLevelCmd { .. } => "BatteryLevelCmd",
            ClientMessage::RssiLevelCmd { .. } => "RSSILevelCmd",
            ClientMessage::RawCmd { name, .. } => name,
            ClientMessage::ScalarCmd { .. } => "ScalarCmd",
            ClientMessage::SensorReadCmd { .. } => "SensorReadCmd",
            ClientMessage::SensorSubscribeCmd { .. } => "SensorSubscribeCmd",
            ClientMessage::SensorUnsubscribeCmd { .. } => "SensorUnsubscribeCmd",
            ClientMessage::OutputCmd { .. } => "OutputCmd",
            ClientMessage::InputCmd { .. } => "InputCmd",
            ClientMessage::StopCmd { .. } => "StopCmd",
            ClientMessage::Disconnect { .. } => "Disconnect",
        }
    }
}

/// An output a feature advertises to clients, already in client terms (steps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureOutput {
    /// Output type.
    pub kind: OutputType,
    /// Advertised step range `[lo, hi]`: `[0, S]` or `[-S, S]`.
    pub value: (i32, i32),
    /// Advertised duration range, for `HwPositionWithDuration` only.
    pub duration: Option<(u32, u32)>,
}

/// An input a feature advertises to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureInput {
    /// Input type.
    pub kind: InputType,
    /// One range per value a reading carries.
    pub value: Vec<(i32, i32)>,
    /// Allowed commands (`Read`, `Subscribe`); sorted, no duplicates.
    pub commands: Vec<InputCommand>,
}

/// One feature of a device, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFeature {
    /// Feature index (indexes may have gaps).
    pub index: u32,
    /// Description, `""` when none.
    pub description: String,
    /// Outputs, in [`OutputType::ALL`] order.
    pub outputs: Vec<FeatureOutput>,
    /// Inputs.
    pub inputs: Vec<FeatureInput>,
}

impl DeviceFeature {
    /// The advertised output of the given type, if present.
    pub fn output(&self, kind: OutputType) -> Option<&FeatureOutput> {
        self.outputs.iter().find(|o| o.kind == kind)
    }

    /// The advertised input of the given type, if present.
    pub fn input(&self, kind: InputType) -> Option<&FeatureInput> {
        self.inputs.iter().find(|i| i.kind == kind)
    }
}

/// A device as clients see it (the v4 `DeviceList` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Device index.
    pub index: u32,
    /// Device name from the configuration.
    pub name: String,
    /// User-given display name.
    pub display_name: Option<String>,
    /// Enforced minimum gap between writes, ms (0 = none).
    pub message_timing_gap: u32,
    /// Features with at least one output or input, ascending by index.
    pub features: Vec<DeviceFeature>,
}

impl DeviceInfo {
    /// The feature with the given index.
    pub fn feature(&self, index: u32) -> Option<&DeviceFeature> {
        self.features.iter().find(|f| f.index == index)
    }
}

/// The value of a v4 `InputReading`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputReadingValue {
    /// Battery percent 0–100.
    Battery(u8),
    /// RSSI in dBm.
    Rssi(i8),
    /// Button: 1 pressed, 0 released.
    Button(u8),
    /// Pressure in device units.
    Pressure(u32),
}

impl InputReadingValue {
    /// The input type of the reading.
    pub fn input_type(&self) -> InputType {
        match self {
            InputReadingValue::Battery(_) => InputType::Battery,
            InputReadingValue::Rssi(_) => InputType::Rssi,
            InputReadingValue::Button(_) => InputType::Button,
            InputReadingValue::Pressure(_) => InputType::Pressure,
        }
    }

    /// The reading as a signed integer.
    pub fn as_i64(&self) -> i64 {
        match *self {
            InputReadingValue::Battery(v) => i64::from(v),
            InputReadingValue::Rssi(v) => i64::from(v),
            InputReadingValue::Button(v) => i64::from(v),
            InputReadingValue::Pressure(v) => i64::from(v),
        }
    }
}

/// Every server → client message, in a version-independent form.
///
/// The JSON encoder formats each variant for the connection's spec version. Variants that only
/// exist in some versions (`DeviceAdded`, `SensorReading`, ...) are produced by the server's
/// per-connection conversion, never sent to a version that lacks them.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// Success.
    Ok {
        /// Id of the request.
        id: MessageId,
    },
    /// Failure.
    Error {
        /// Id of the request, 0 for server-initiated errors or unreadable requests.
        id: MessageId,
        /// Error class.
        code: ErrorCode,
        /// Human-readable description.
        message: String,
        /// The detailed kind, when the server is in the same process and knows it (never on
        /// the wire).
        kind: Option<ErrorKind>,
    },
    /// Handshake reply.
    ServerInfo {
        /// Id of the request.
        id: MessageId,
        /// Server name.
        server_name: String,
        /// Ping watchdog interval in ms, 0 = off.
        max_ping_time: u32,
    },
    /// Device list (reply, or with Id 0 a v4 change event).
    DeviceList {
        /// Id of the request, or 0.
        id: MessageId,
        /// Devices, ascending by index.
        devices: Vec<DeviceInfo>,
    },
    /// v0–v3 device arrival (Id 0).
    DeviceAdded {
        /// The device.
        device: DeviceInfo,
    },
    /// v0–v3 device departure (Id 0).
    DeviceRemoved {
        /// The device index.
        device_index: u32,
    },
    /// Scanning ended on its own (Id 0).
    ScanningFinished,
    /// v4 input reading.
    InputReading {
        /// Id of the read request, or 0 for subscription data.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Feature.
        feature_index: u32,
        /// Value.
        reading: InputReadingValue,
    },
    /// v2 battery reading.
    BatteryLevelReading {
        /// Id of the request.
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Level 0.0–1.0.
        battery_level: f64,
    },
    /// v3 sensor reading.
    SensorReading {
        /// Id of the request (0 for subscriptions).
        id: MessageId,
        /// Device.
        device_index: u32,
        /// Sensor index as requested.
        sensor_index: u32,
        /// Sensor type as requested.
        sensor_type: String,
        /// Values.
        data: Vec<i32>,
    },
    /// v0–v1 echo of `Test`.
    Test {
        /// Id of the request.
        id: MessageId,
        /// Echoed string.
        test_string: String,
    },
}

impl ServerMessage {
    /// The Id the message carries (0 for events).
    pub fn id(&self) -> MessageId {
        match self {
            ServerMessage::Ok { id }
            | ServerMessage::Error { id, .. }
            | ServerMessage::ServerInfo { id, .. }
            | ServerMessage::DeviceList { id, .. }
            | ServerMessage::InputReading { id, .. }
            | ServerMessage::BatteryLevelReading { id, .. }
            | ServerMessage::SensorReading { id, .. }
            | ServerMessage::Test { id, .. } => *id,
            ServerMessage::DeviceAdded { .. }
            | ServerMessage::DeviceRemoved { .. }
            | ServerMessage::ScanningFinished => 0,
        }
    }

    /// Builds an `Error` message.
    pub fn error(id: MessageId, code: ErrorCode, message: impl Into<String>) -> ServerMessage {
        ServerMessage::Error {
            id,
            code,
            message: message.into(),
            kind: None,
        }
    }

    /// Builds a device `Error` message with its detailed kind.
    pub fn device_error(
        id: MessageId,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> ServerMessage {
        ServerMessage::Error {
            id,
            code: ErrorCode::Device,
            message: message.into(),
            kind: Some(kind),
        }
    }
}
