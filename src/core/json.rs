//! JSON encoding and decoding of Buttplug messages, with strict validation.
//!
//! Frames are JSON arrays of single-key message objects (`protocol.md` §1). Decoding goes
//! through [`serde_json::Value`] and a small field reader that tracks which keys of an object
//! were consumed, so unknown fields, missing fields and wrongly typed fields are all reported
//! with the message and field named, and with the message's Id whenever it can be read.
//!
//! Server side: [`decode_client_frame`] and [`encode_server_frame`]. Client side:
//! [`encode_client_frame`] and [`decode_server_frame`].

use std::fmt;

use serde_json::{Map, Value};

use super::legacy::{features_from_v3, LegacyEntry, LegacySensor, LegacyView, SCALAR_ORDER};
use super::messages::{
    ClientMessage, DeviceFeature, DeviceInfo, FeatureInput, FeatureOutput, InputReadingValue,
    LinearSub, MessageId, OutputCommand, RotateSub, ScalarSub, ServerMessage, VibrateSub,
};
use super::types::{ErrorCode, InputCommand, InputType, OutputType, SpecVersion};

/// Step count assumed for legacy (v0/v1) device attributes that carry no step count.
pub const DEFAULT_LEGACY_STEP_COUNT: u32 = 100;

/// Largest `FeatureCount` accepted in v1/v2 device attributes (guards against huge allocations).
const MAX_LEGACY_FEATURES: u32 = 1024;

/// A message (or a whole frame) that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Id of the offending message if it could be read, else 0.
    pub id: MessageId,
    /// Error class to answer with (3 for malformed input, 1 for handshake violations).
    pub code: ErrorCode,
    /// Human-readable description naming the message and field.
    pub message: String,
}

impl DecodeError {
    /// Builds a decode error.
    pub fn new(id: MessageId, code: ErrorCode, message: impl Into<String>) -> DecodeError {
        DecodeError {
            id,
            code,
            message: message.into(),
        }
    }

    fn msg(id: MessageId, message: impl Into<String>) -> DecodeError {
        DecodeError::new(id, ErrorCode::Message, message)
    }

    /// The `Error` message a server answers this failure with.
    pub fn to_server_message(&self) -> ServerMessage {
        ServerMessage::error(self.id, self.code, self.message.clone())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for ServerMessage {
    fn from(e: DecodeError) -> ServerMessage {
        ServerMessage::Error {
            id: e.id,
            code: e.code,
            message: e.message,
        }
    }
}

type DResult<T> = Result<T, DecodeError>;
type JsonObject = Map<String, Value>;

// ---------------------------------------------------------------------------------------------
// Field reader
// ---------------------------------------------------------------------------------------------

const MAX_KNOWN: usize = 16;

/// Reads fields of one JSON object, remembering which names were asked for so that
/// [`Reader::finish`] can report any field nobody asked for.
struct Reader<'a> {
    map: &'a JsonObject,
    msg: &'a str,
    prefix: String,
    id: MessageId,
    known: [&'static str; MAX_KNOWN],
    n_known: usize,
    present: usize,
}

impl<'a> Reader<'a> {
    fn new(map: &'a JsonObject, msg: &'a str, id: MessageId) -> Reader<'a> {
        Reader {
            map,
            msg,
            prefix: String::new(),
            id,
            known: [""; MAX_KNOWN],
            n_known: 0,
            present: 0,
        }
    }

    fn child(&self, map: &'a JsonObject, prefix: String) -> Reader<'a> {
        Reader {
            map,
            msg: self.msg,
            prefix,
            id: self.id,
            known: [""; MAX_KNOWN],
            n_known: 0,
            present: 0,
        }
    }

    fn error(&self, message: String) -> DecodeError {
        DecodeError::msg(self.id, message)
    }

    fn invalid(&self, name: &str, what: &str) -> DecodeError {
        self.error(format!(
            "field {}{} in {} must be {}",
            self.prefix, name, self.msg, what
        ))
    }

    fn is_known(&self, name: &str) -> bool {
        self.known.iter().take(self.n_known).any(|k| *k == name)
    }

    fn field(&mut self, name: &'static str) -> Option<&'a Value> {
        let value = self.map.get(name);
        if !self.is_known(name) {
            if let Some(slot) = self.known.get_mut(self.n_known) {
                *slot = name;
                self.n_known += 1;
                if value.is_some() {
                    self.present += 1;
                }
            }
        }
        value
    }

    /// An optional field; JSON `null` counts as absent.
    fn opt(&mut self, name: &'static str) -> Option<&'a Value> {
        self.field(name).filter(|v| !v.is_null())
    }

    fn req(&mut self, name: &'static str) -> DResult<&'a Value> {
        match self.field(name) {
            Some(v) => Ok(v),
            None => Err(self.error(format!(
                "missing field {}{} in {}",
                self.prefix, name, self.msg
            ))),
        }
    }

    fn u32_of(&self, name: &str, v: &Value) -> DResult<u32> {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.invalid(name, "an integer from 0 to 4294967295"))
    }

    fn req_u32(&mut self, name: &'static str) -> DResult<u32> {
        let v = self.req(name)?;
        self.u32_of(name, v)
    }

    fn opt_u32(&mut self, name: &'static str) -> DResult<Option<u32>> {
        match self.opt(name) {
            Some(v) => self.u32_of(name, v).map(Some),
            None => Ok(None),
        }
    }

    fn req_u32_max(&mut self, name: &'static str, max: u32) -> DResult<u32> {
        let v = self.req(name)?;
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= max)
            .ok_or_else(|| self.invalid(name, &format!("an integer from 0 to {max}")))
    }

    fn req_i32(&mut self, name: &'static str) -> DResult<i32> {
        let v = self.req(name)?;
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| self.invalid(name, "an integer from -2147483648 to 2147483647"))
    }

    /// A float bounded to 0.0–1.0 by the schema.
    fn req_unit(&mut self, name: &'static str) -> DResult<f64> {
        let v = self.req(name)?;
        v.as_f64()
            .filter(|f| (0.0..=1.0).contains(f))
            .ok_or_else(|| self.invalid(name, "a number from 0 to 1"))
    }

    fn req_f64(&mut self, name: &'static str) -> DResult<f64> {
        let v = self.req(name)?;
        v.as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| self.invalid(name, "a number"))
    }

    fn req_bool(&mut self, name: &'static str) -> DResult<bool> {
        let v = self.req(name)?;
        v.as_bool().ok_or_else(|| self.invalid(name, "a boolean"))
    }

    fn opt_bool(&mut self, name: &'static str) -> DResult<Option<bool>> {
        match self.opt(name) {
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a boolean")),
            None => Ok(None),
        }
    }

    fn req_str(&mut self, name: &'static str) -> DResult<&'a str> {
        let v = self.req(name)?;
        v.as_str().ok_or_else(|| self.invalid(name, "a string"))
    }

    fn opt_str(&mut self, name: &'static str) -> DResult<Option<&'a str>> {
        match self.opt(name) {
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a string")),
            None => Ok(None),
        }
    }

    fn req_array(&mut self, name: &'static str) -> DResult<&'a [Value]> {
        let v = self.req(name)?;
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.invalid(name, "an array"))
    }

    fn req_object(&mut self, name: &'static str) -> DResult<&'a JsonObject> {
        let v = self.req(name)?;
        v.as_object().ok_or_else(|| self.invalid(name, "an object"))
    }

    fn opt_object(&mut self, name: &'static str) -> DResult<Option<&'a JsonObject>> {
        match self.opt(name) {
            Some(v) => v
                .as_object()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "an object")),
            None => Ok(None),
        }
    }

    /// A reader for element `i` of array field `array`, which must be an object.
    fn element(&self, array: &str, i: usize, v: &'a Value) -> DResult<Reader<'a>> {
        match v.as_object() {
            Some(m) => Ok(self.child(m, format!("{}{}[{}].", self.prefix, array, i))),
            None => Err(self.error(format!(
                "{}{}[{}] in {} must be an object",
                self.prefix, array, i, self.msg
            ))),
        }
    }

    /// A reader for the object stored under `key` of map field `map_name`.
    fn entry(&self, map_name: &str, key: &str, v: &'a Value) -> DResult<Reader<'a>> {
        match v.as_object() {
            Some(m) => Ok(self.child(m, format!("{}{}.{}.", self.prefix, map_name, key))),
            None => Err(self.error(format!(
                "{}{}.{} in {} must be an object",
                self.prefix, map_name, key, self.msg
            ))),
        }
    }

    fn range_i32(&self, name: &str, v: &Value) -> DResult<(i32, i32)> {
        let pair = |x: &Value| x.as_i64().and_then(|n| i32::try_from(n).ok());
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (pair(a), pair(b)) {
                (Some(lo), Some(hi)) => Ok((lo, hi)),
                _ => Err(self.invalid(name, "a range [low, high] of integers")),
            },
            _ => Err(self.invalid(name, "a range [low, high] of integers")),
        }
    }

    fn range_u32(&self, name: &str, v: &Value) -> DResult<(u32, u32)> {
        let pair = |x: &Value| x.as_u64().and_then(|n| u32::try_from(n).ok());
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (pair(a), pair(b)) {
                (Some(lo), Some(hi)) => Ok((lo, hi)),
                _ => Err(self.invalid(name, "a range [low, high] of unsigned integers")),
            },
            _ => Err(self.invalid(name, "a range [low, high] of unsigned integers")),
        }
    }

    /// Fails if the object holds a field that was never asked for.
    fn finish(&self) -> DResult<()> {
        if self.present == self.map.len() {
            return Ok(());
        }
        match self.map.keys().find(|k| !self.is_known(k)) {
            Some(k) => Err(self.error(format!(
                "unknown field {}{} in {}",
                self.prefix, k, self.msg
            ))),
            None => Ok(()),
        }
    }
}

/// Reads an Id leniently (for error reports): any u32, else 0.
fn peek_id(body: &JsonObject) -> MessageId {
    body.get("Id")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The Id of a client message: `1..=u32::MAX`.
fn client_id(r: &mut Reader<'_>) -> DResult<MessageId> {
    let v = r.req("Id")?;
    v.as_u64()
        .filter(|n| *n >= 1)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| r.invalid("Id", "an integer from 1 to 4294967295"))
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

fn frame_error(message: impl Into<String>) -> DecodeError {
    DecodeError::msg(0, message)
}

/// Parses one frame (one or several JSON arrays back to back) into its message values.
fn parse_frame(text: &str) -> DResult<Vec<Value>> {
    let mut out: Vec<Value> = Vec::new();
    let mut arrays = 0usize;
    for item in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match item {
            Ok(Value::Array(a)) => {
                if arrays == 0 {
                    out = a;
                } else {
                    out.extend(a);
                }
                arrays += 1;
            }
            Ok(_) => return Err(frame_error("frame is not a json array")),
            Err(e) => return Err(frame_error(format!("frame is not valid json: {e}"))),
        }
    }
    if arrays == 0 {
        return Err(frame_error("frame is empty, expected a json array"));
    }
    Ok(out)
}

/// Splits a message value into its name and body object.
fn split_message(v: &Value) -> DResult<(&str, &JsonObject)> {
    let obj = v
        .as_object()
        .ok_or_else(|| DecodeError::msg(0, "message must be a json object"))?;
    let mut it = obj.iter();
    match (it.next(), it.next()) {
        (Some((name, body)), None) => match body.as_object() {
            Some(b) => Ok((name.as_str(), b)),
            None => Err(DecodeError::msg(
                0,
                format!("body of message {name} must be a json object"),
            )),
        },
        (None, _) => Err(DecodeError::msg(
            0,
            "message object is empty, expected exactly one key naming the message",
        )),
        (Some(_), Some(_)) => {
            // The Id is readable if every body agrees on it.
            let mut ids = obj
                .values()
                .map(|b| b.as_object().map(peek_id).unwrap_or(0));
            let first = ids.next().unwrap_or(0);
            let id = if ids.all(|i| i == first) { first } else { 0 };
            let names: Vec<&str> = obj.keys().map(String::as_str).collect();
            Err(DecodeError::msg(
                id,
                format!(
                    "message object must have exactly one key, found {} ({})",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client → server decoding
// ---------------------------------------------------------------------------------------------

/// Spec versions in which a client message exists (`protocol.md` §11.1).
fn client_versions(name: &str) -> Option<(SpecVersion, SpecVersion)> {
    use SpecVersion::{V0, V1, V2, V3, V4};
    let range = match name {
        "RequestServerInfo" | "Ping" | "StartScanning" | "StopScanning" | "RequestDeviceList" => {
            (V0, V4)
        }
        "Test"
        | "RequestLog"
        | "SingleMotorVibrateCmd"
        | "FleshlightLaunchFW12Cmd"
        | "VorzeA10CycloneCmd"
        | "LovenseCmd"
        | "KiirooCmd" => (V0, V1),
        "StopDeviceCmd" | "StopAllDevices" => (V0, V3),
        "VibrateCmd" | "RotateCmd" | "LinearCmd" => (V1, V3),
        "BatteryLevelCmd" | "RSSILevelCmd" => (V2, V2),
        "RawWriteCmd" | "RawReadCmd" | "RawSubscribeCmd" | "RawUnsubscribeCmd" => (V2, V3),
        "ScalarCmd" | "SensorReadCmd" | "SensorSubscribeCmd" | "SensorUnsubscribeCmd" => (V3, V3),
        "OutputCmd" | "InputCmd" | "StopCmd" | "Disconnect" => (V4, V4),
        _ => return None,
    };
    Some(range)
}

/// Decodes one text frame from a client.
///
/// `version` is `None` before the handshake: then only `RequestServerInfo` (in any of its
/// forms: v0 `{Id, ClientName}`, v1–v3 with `MessageVersion`, v4 with `ProtocolVersionMajor` and
/// `ProtocolVersionMinor`) is accepted, and any other message gives code 1
/// "RequestServerInfo expected" with its Id if readable. After the handshake every message is
/// checked against the negotiated version (a `RequestServerInfo` still decodes, so the server
/// can refuse the second handshake).
///
/// Frame-level failures (not JSON, not an array) give `Err` with Id 0 and code 3; an empty array
/// gives an empty vector. Several arrays back to back (`[..][..]`) are one stream of messages.
/// Each message then decodes independently to `Ok` or a per-message [`DecodeError`].
pub fn decode_client_frame(
    text: &str,
    version: Option<SpecVersion>,
) -> Result<Vec<Result<ClientMessage, DecodeError>>, DecodeError> {
    let values = parse_frame(text)?;
    Ok(values
        .iter()
        .map(|v| decode_client_value(v, version))
        .collect())
}

fn decode_client_value(v: &Value, version: Option<SpecVersion>) -> DResult<ClientMessage> {
    let (name, body) = split_message(v)?;
    let id = peek_id(body);
    match version {
        None => {
            if name != "RequestServerInfo" {
                return Err(DecodeError::new(
                    id,
                    ErrorCode::Handshake,
                    "RequestServerInfo expected",
                ));
            }
        }
        Some(ver) => match client_versions(name) {
            None => return Err(DecodeError::msg(id, format!("unknown message type {name}"))),
            Some((lo, hi)) => {
                if ver < lo || ver > hi {
                    return Err(DecodeError::msg(
                        id,
                        format!("{name} is not part of spec {ver}"),
                    ));
                }
            }
        },
    }
    let mut r = Reader::new(body, name, id);
    let msg = decode_client_body(name, &mut r)?;
    r.finish()?;
    Ok(msg)
}

fn decode_client_body(name: &str, r: &mut Reader<'_>) -> DResult<ClientMessage> {
    let msg = match name {
        "RequestServerInfo" => decode_request_server_info(r)?,
        "Ping" => ClientMessage::Ping { id: client_id(r)? },
        "StartScanning" => ClientMessage::StartScanning { id: client_id(r)? },
        "StopScanning" => ClientMessage::StopScanning { id: client_id(r)? },
        "RequestDeviceList" => ClientMessage::RequestDeviceList { id: client_id(r)? },
        "Disconnect" => ClientMessage::Disconnect { id: client_id(r)? },
        "StopAllDevices" => ClientMessage::StopAllDevices { id: client_id(r)? },
        "Test" => ClientMessage::Test {
            id: client_id(r)?,
            test_string: r.req_str("TestString")?.to_string(),
        },
        "RequestLog" => {
            let id = client_id(r)?;
            let level = r.req_str("LogLevel")?;
            const LEVELS: [&str; 7] = ["Off", "Fatal", "Error", "Warn", "Info", "Debug", "Trace"];
            if !LEVELS.contains(&level) {
                return Err(r.invalid(
                    "LogLevel",
                    "one of Off, Fatal, Error, Warn, Info, Debug, Trace",
                ));
            }
            ClientMessage::RequestLog {
                id,
                log_level: level.to_string(),
            }
        }
        "StopDeviceCmd" => ClientMessage::StopDeviceCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
        },
        "SingleMotorVibrateCmd" => ClientMessage::SingleMotorVibrateCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
            speed: r.req_unit("Speed")?,
        },
        "FleshlightLaunchFW12Cmd" => ClientMessage::FleshlightLaunchFw12Cmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
            position: r.req_u32_max("Position", 99)?,
            speed: r.req_u32_max("Speed", 99)?,
        },
        "VorzeA10CycloneCmd" => ClientMessage::VorzeA10CycloneCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
            speed: r.req_u32_max("Speed", 100)?,
            clockwise: r.req_bool("Clockwise")?,
        },
        "LovenseCmd" => ClientMessage::LovenseCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
            command: r.req_str("Command")?.to_string(),
        },
        "KiirooCmd" => ClientMessage::KiirooCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
            command: r.req_str("Command")?.to_string(),
        },
        "VibrateCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let arr = r.req_array("Speeds")?;
            let mut speeds = Vec::with_capacity(arr.len());
            for (i, item) in arr.iter().enumerate() {
                let mut s = r.element("Speeds", i, item)?;
                let index = s.req_u32("Index")?;
                let speed = s.req_unit("Speed")?;
                s.finish()?;
                speeds.push(VibrateSub { index, speed });
            }
            ClientMessage::VibrateCmd {
                id,
                device_index,
                speeds,
            }
        }
        "RotateCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let arr = r.req_array("Rotations")?;
            let mut rotations = Vec::with_capacity(arr.len());
            for (i, item) in arr.iter().enumerate() {
                let mut s = r.element("Rotations", i, item)?;
                let index = s.req_u32("Index")?;
                let speed = s.req_unit("Speed")?;
                let clockwise = s.req_bool("Clockwise")?;
                s.finish()?;
                rotations.push(RotateSub {
                    index,
                    speed,
                    clockwise,
                });
            }
            ClientMessage::RotateCmd {
                id,
                device_index,
                rotations,
            }
        }
        "LinearCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let arr = r.req_array("Vectors")?;
            let mut vectors = Vec::with_capacity(arr.len());
            for (i, item) in arr.iter().enumerate() {
                let mut s = r.element("Vectors", i, item)?;
                let index = s.req_u32("Index")?;
                let duration = s.req_u32("Duration")?;
                let position = s.req_unit("Position")?;
                s.finish()?;
                vectors.push(LinearSub {
                    index,
                    duration,
                    position,
                });
            }
            ClientMessage::LinearCmd {
                id,
                device_index,
                vectors,
            }
        }
        "BatteryLevelCmd" => ClientMessage::BatteryLevelCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
        },
        "RSSILevelCmd" => ClientMessage::RssiLevelCmd {
            id: client_id(r)?,
            device_index: r.req_u32("DeviceIndex")?,
        },
        "RawWriteCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            r.req_str("Endpoint")?;
            let data = r.req_array("Data")?;
            if data.is_empty() || !data.iter().all(is_byte) {
                return Err(r.invalid("Data", "a non-empty array of integers from 0 to 255"));
            }
            r.req_bool("WriteWithResponse")?;
            raw(id, device_index, "RawWriteCmd")
        }
        "RawReadCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            r.req_str("Endpoint")?;
            r.req_u32("Length")?;
            r.req_bool("WaitForData")?;
            raw(id, device_index, "RawReadCmd")
        }
        "RawSubscribeCmd" | "RawUnsubscribeCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            r.req_str("Endpoint")?;
            let name = if name == "RawSubscribeCmd" {
                "RawSubscribeCmd"
            } else {
                "RawUnsubscribeCmd"
            };
            raw(id, device_index, name)
        }
        "ScalarCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let arr = r.req_array("Scalars")?;
            let mut scalars = Vec::with_capacity(arr.len());
            for (i, item) in arr.iter().enumerate() {
                let mut s = r.element("Scalars", i, item)?;
                let index = s.req_u32("Index")?;
                let scalar = s.req_f64("Scalar")?;
                let actuator = s.req_str("ActuatorType")?.to_string();
                s.finish()?;
                scalars.push(ScalarSub {
                    index,
                    scalar,
                    actuator,
                });
            }
            ClientMessage::ScalarCmd {
                id,
                device_index,
                scalars,
            }
        }
        "SensorReadCmd" | "SensorSubscribeCmd" | "SensorUnsubscribeCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let sensor_index = r.req_u32("SensorIndex")?;
            let sensor_type = r.req_str("SensorType")?.to_string();
            match name {
                "SensorReadCmd" => ClientMessage::SensorReadCmd {
                    id,
                    device_index,
                    sensor_index,
                    sensor_type,
                },
                "SensorSubscribeCmd" => ClientMessage::SensorSubscribeCmd {
                    id,
                    device_index,
                    sensor_index,
                    sensor_type,
                },
                _ => ClientMessage::SensorUnsubscribeCmd {
                    id,
                    device_index,
                    sensor_index,
                    sensor_type,
                },
            }
        }
        "OutputCmd" => decode_output_cmd(r)?,
        "InputCmd" => {
            let id = client_id(r)?;
            let device_index = r.req_u32("DeviceIndex")?;
            let feature_index = r.req_u32("FeatureIndex")?;
            let type_name = r.req_str("Type")?;
            let input_type = InputType::from_wire(type_name).ok_or_else(|| {
                r.invalid(
                    "Type",
                    "an input type (Battery, Rssi, Pressure, Button, Depth, Position)",
                )
            })?;
            let command_name = r.req_str("Command")?;
            let command = InputCommand::from_wire(command_name)
                .ok_or_else(|| r.invalid("Command", "one of Read, Subscribe, Unsubscribe"))?;
            ClientMessage::InputCmd {
                id,
                device_index,
                feature_index,
                input_type,
                command,
            }
        }
        "StopCmd" => ClientMessage::StopCmd {
            id: client_id(r)?,
            device_index: r.opt_u32("DeviceIndex")?,
            feature_index: r.opt_u32("FeatureIndex")?,
            inputs: r.opt_bool("Inputs")?.unwrap_or(true),
            outputs: r.opt_bool("Outputs")?.unwrap_or(true),
        },
        other => {
            return Err(r.error(format!("unknown message type {other}")));
        }
    };
    Ok(msg)
}

fn is_byte(v: &Value) -> bool {
    v.as_u64().is_some_and(|n| n <= 255)
}

fn raw(id: MessageId, device_index: u32, name: &'static str) -> ClientMessage {
    ClientMessage::RawCmd {
        id,
        device_index,
        name,
    }
}

fn decode_request_server_info(r: &mut Reader<'_>) -> DResult<ClientMessage> {
    let id = client_id(r)?;
    let client_name = r.req_str("ClientName")?.to_string();
    let has_major = r.map.contains_key("ProtocolVersionMajor");
    let has_message_version = r.map.contains_key("MessageVersion");
    let (message_version, major, minor) = if has_major {
        (
            None,
            Some(r.req_u32("ProtocolVersionMajor")?),
            Some(r.req_u32("ProtocolVersionMinor")?),
        )
    } else if has_message_version {
        (Some(r.req_u32("MessageVersion")?), None, None)
    } else {
        (None, None, None)
    };
    Ok(ClientMessage::RequestServerInfo {
        id,
        client_name,
        message_version,
        protocol_version_major: major,
        protocol_version_minor: minor,
    })
}

fn decode_output_cmd(r: &mut Reader<'_>) -> DResult<ClientMessage> {
    let id = client_id(r)?;
    let device_index = r.req_u32("DeviceIndex")?;
    let feature_index = r.req_u32("FeatureIndex")?;
    let command = r.req_object("Command")?;
    let mut it = command.iter();
    let (key, payload) = match (it.next(), it.next()) {
        (Some(kv), None) => kv,
        _ => return Err(r.invalid("Command", "an object with exactly one key, the output type")),
    };
    let kind = OutputType::ALL
        .into_iter()
        .find(|t| t.wire_name() == key)
        .ok_or_else(|| {
            r.error(format!(
                "unknown output type {key} in field Command of {}",
                r.msg
            ))
        })?;
    let mut p = r.entry("Command", kind.wire_name(), payload)?;
    let (value, duration) = if kind == OutputType::HwPositionWithDuration {
        let v = p.req("Value")?;
        let value = v
            .as_u64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| p.invalid("Value", "an integer from 0 to 2147483647"))?;
        (value, Some(p.req_u32("Duration")?))
    } else {
        (p.req_i32("Value")?, None)
    };
    p.finish()?;
    Ok(ClientMessage::OutputCmd {
        id,
        device_index,
        feature_index,
        command: OutputCommand {
            kind,
            value,
            duration,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Small JSON builders
// ---------------------------------------------------------------------------------------------

fn obj<const N: usize>(fields: [(&str, Value); N]) -> JsonObject {
    let mut m = Map::with_capacity(N);
    for (k, v) in fields {
        m.insert(k.to_string(), v);
    }
    m
}

fn wrap(name: &str, body: JsonObject) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(name.to_string(), Value::Object(body));
    Value::Object(m)
}

fn range_value<T: Into<Value>>(lo: T, hi: T) -> Value {
    Value::Array(vec![lo.into(), hi.into()])
}

fn array_text(values: Vec<Value>) -> String {
    Value::Array(values).to_string()
}

// ---------------------------------------------------------------------------------------------
// Server → client encoding
// ---------------------------------------------------------------------------------------------

/// Encodes server messages for a spec version into one frame text (a JSON array).
pub fn encode_server_frame(msgs: &[ServerMessage], version: SpecVersion) -> String {
    array_text(
        msgs.iter()
            .map(|m| encode_server_message(m, version))
            .collect(),
    )
}

fn server_message_name(msg: &ServerMessage) -> &'static str {
    match msg {
        ServerMessage::Ok { .. } => "Ok",
        ServerMessage::Error { .. } => "Error",
        ServerMessage::ServerInfo { .. } => "ServerInfo",
        ServerMessage::DeviceList { .. } => "DeviceList",
        ServerMessage::DeviceAdded { .. } => "DeviceAdded",
        ServerMessage::DeviceRemoved { .. } => "DeviceRemoved",
        ServerMessage::ScanningFinished => "ScanningFinished",
        ServerMessage::InputReading { .. } => "InputReading",
        ServerMessage::BatteryLevelReading { .. } => "BatteryLevelReading",
        ServerMessage::SensorReading { .. } => "SensorReading",
        ServerMessage::Test { .. } => "Test",
    }
}

fn error_value(id: MessageId, code: ErrorCode, message: &str) -> Value {
    wrap(
        "Error",
        obj([
            ("Id", id.into()),
            ("ErrorCode", code.number().into()),
            ("ErrorMessage", message.into()),
        ]),
    )
}

fn not_expressible(msg: &ServerMessage, version: SpecVersion) -> Value {
    error_value(
        msg.id(),
        ErrorCode::Message,
        &format!(
            "{} cannot be expressed in spec {}",
            server_message_name(msg),
            version
        ),
    )
}

/// Encodes one server message for a spec version as its single-key JSON object.
///
/// A message that does not exist in `version` (for example `InputReading` for a v3 client)
/// is encoded as an `Error` with the message's Id and code 3 instead.
pub fn encode_server_message(msg: &ServerMessage, version: SpecVersion) -> Value {
    use SpecVersion::{V0, V1, V2, V3, V4};
    match msg {
        ServerMessage::Ok { id } => wrap("Ok", obj([("Id", (*id).into())])),
        ServerMessage::Error { id, code, message } => error_value(*id, *code, message),
        ServerMessage::ServerInfo {
            id,
            server_name,
            max_ping_time,
        } => {
            let body = match version {
                V0 | V1 => obj([
                    ("Id", (*id).into()),
                    ("ServerName", server_name.as_str().into()),
                    ("MajorVersion", 0u32.into()),
                    ("MinorVersion", 0u32.into()),
                    ("BuildVersion", 0u32.into()),
                    ("MessageVersion", version.number().into()),
                    ("MaxPingTime", (*max_ping_time).into()),
                ]),
                V2 | V3 => obj([
                    ("Id", (*id).into()),
                    ("ServerName", server_name.as_str().into()),
                    ("MessageVersion", version.number().into()),
                    ("MaxPingTime", (*max_ping_time).into()),
                ]),
                V4 => obj([
                    ("Id", (*id).into()),
                    ("ServerName", server_name.as_str().into()),
                    ("ProtocolVersionMajor", 4u32.into()),
                    ("ProtocolVersionMinor", 0u32.into()),
                    ("MaxPingTime", (*max_ping_time).into()),
                ]),
            };
            wrap("ServerInfo", body)
        }
        ServerMessage::DeviceList { id, devices } => {
            let mut sorted: Vec<&DeviceInfo> = devices.iter().collect();
            sorted.sort_by_key(|d| d.index);
            let devices_value = if version == V4 {
                let mut m = Map::with_capacity(sorted.len());
                for d in sorted {
                    m.insert(d.index.to_string(), Value::Object(v4_device(d)));
                }
                Value::Object(m)
            } else {
                Value::Array(
                    sorted
                        .into_iter()
                        .map(|d| Value::Object(legacy_device(d, version, None)))
                        .collect(),
                )
            };
            wrap(
                "DeviceList",
                obj([("Id", (*id).into()), ("Devices", devices_value)]),
            )
        }
        ServerMessage::DeviceAdded { device } => {
            if version == V4 {
                return not_expressible(msg, version);
            }
            wrap("DeviceAdded", legacy_device(device, version, Some(0)))
        }
        ServerMessage::DeviceRemoved { device_index } => {
            if version == V4 {
                return not_expressible(msg, version);
            }
            wrap(
                "DeviceRemoved",
                obj([("Id", 0u32.into()), ("DeviceIndex", (*device_index).into())]),
            )
        }
        ServerMessage::ScanningFinished => wrap("ScanningFinished", obj([("Id", 0u32.into())])),
        ServerMessage::InputReading {
            id,
            device_index,
            feature_index,
            reading,
        } => {
            if version != V4 {
                return not_expressible(msg, version);
            }
            let mut r = Map::with_capacity(1);
            r.insert(
                reading.input_type().wire_name().to_string(),
                Value::Object(obj([("Value", reading.as_i64().into())])),
            );
            wrap(
                "InputReading",
                obj([
                    ("Id", (*id).into()),
                    ("DeviceIndex", (*device_index).into()),
                    ("FeatureIndex", (*feature_index).into()),
                    ("Reading", Value::Object(r)),
                ]),
            )
        }
        ServerMessage::BatteryLevelReading {
            id,
            device_index,
            battery_level,
        } => {
            if version != V2 {
                return not_expressible(msg, version);
            }
            wrap(
                "BatteryLevelReading",
                obj([
                    ("Id", (*id).into()),
                    ("DeviceIndex", (*device_index).into()),
                    ("BatteryLevel", (*battery_level).into()),
                ]),
            )
        }
        ServerMessage::SensorReading {
            id,
            device_index,
            sensor_index,
            sensor_type,
            data,
        } => {
            if version != V3 {
                return not_expressible(msg, version);
            }
            wrap(
                "SensorReading",
                obj([
                    ("Id", (*id).into()),
                    ("DeviceIndex", (*device_index).into()),
                    ("SensorIndex", (*sensor_index).into()),
                    ("SensorType", sensor_type.as_str().into()),
                    (
                        "Data",
                        Value::Array(data.iter().map(|d| Value::from(*d)).collect()),
                    ),
                ]),
            )
        }
        ServerMessage::Test { id, test_string } => {
            if version > V1 {
                return not_expressible(msg, version);
            }
            wrap(
                "Test",
                obj([
                    ("Id", (*id).into()),
                    ("TestString", test_string.as_str().into()),
                ]),
            )
        }
    }
}

fn v4_device(d: &DeviceInfo) -> JsonObject {
    let mut m = Map::with_capacity(5);
    m.insert("DeviceIndex".into(), d.index.into());
    m.insert("DeviceName".into(), d.name.as_str().into());
    if let Some(display) = &d.display_name {
        m.insert("DeviceDisplayName".into(), display.as_str().into());
    }
    m.insert("DeviceMessageTimingGap".into(), d.message_timing_gap.into());
    let mut features = Map::with_capacity(d.features.len());
    for f in &d.features {
        features.insert(f.index.to_string(), Value::Object(v4_feature(f)));
    }
    m.insert("DeviceFeatures".into(), Value::Object(features));
    m
}

fn v4_feature(f: &DeviceFeature) -> JsonObject {
    let mut m = Map::with_capacity(4);
    m.insert("FeatureIndex".into(), f.index.into());
    m.insert("FeatureDescription".into(), f.description.as_str().into());
    if !f.outputs.is_empty() {
        let mut outputs = Map::with_capacity(f.outputs.len());
        for o in &f.outputs {
            let mut props = obj([("Value", range_value(o.value.0, o.value.1))]);
            if let Some((lo, hi)) = o.duration {
                props.insert("Duration".into(), range_value(lo, hi));
            }
            outputs.insert(o.kind.wire_name().to_string(), Value::Object(props));
        }
        m.insert("Output".into(), Value::Object(outputs));
    }
    if !f.inputs.is_empty() {
        let mut inputs = Map::with_capacity(f.inputs.len());
        for i in &f.inputs {
            let ranges = i
                .value
                .iter()
                .map(|(lo, hi)| range_value(*lo, *hi))
                .collect();
            let commands = i
                .commands
                .iter()
                .map(|c| Value::from(c.wire_name()))
                .collect();
            inputs.insert(
                i.kind.wire_name().to_string(),
                Value::Object(obj([
                    ("Value", Value::Array(ranges)),
                    ("Command", Value::Array(commands)),
                ])),
            );
        }
        m.insert("Input".into(), Value::Object(inputs));
    }
    m
}

/// A v0–v3 device object; with `id` set, a `DeviceAdded` body (Id first).
fn legacy_device(d: &DeviceInfo, version: SpecVersion, id: Option<MessageId>) -> JsonObject {
    let mut m = Map::with_capacity(6);
    if let Some(id) = id {
        m.insert("Id".into(), id.into());
    }
    m.insert("DeviceIndex".into(), d.index.into());
    m.insert("DeviceName".into(), d.name.as_str().into());
    if version >= SpecVersion::V3 {
        if let Some(display) = &d.display_name {
            m.insert("DeviceDisplayName".into(), display.as_str().into());
        }
        m.insert("DeviceMessageTimingGap".into(), d.message_timing_gap.into());
    }
    let view = LegacyView::from_features(&d.features);
    m.insert(
        "DeviceMessages".into(),
        legacy_device_messages(&view, version),
    );
    m
}

/// The `DeviceMessages` value of a device for a legacy version (`devices.md` §4).
pub fn legacy_device_messages(view: &LegacyView, version: SpecVersion) -> Value {
    let vibrators = view.vibrators();
    match version {
        SpecVersion::V0 => {
            let mut names = Vec::with_capacity(2);
            if !vibrators.is_empty() {
                names.push(Value::from("SingleMotorVibrateCmd"));
            }
            names.push(Value::from("StopDeviceCmd"));
            Value::Array(names)
        }
        SpecVersion::V1 | SpecVersion::V2 => {
            let with_steps = version == SpecVersion::V2;
            let attrs = |steps: Vec<u32>| -> Value {
                let mut a = obj([("FeatureCount", Value::from(steps.len()))]);
                if with_steps {
                    a.insert(
                        "StepCount".into(),
                        Value::Array(steps.into_iter().map(Value::from).collect()),
                    );
                }
                Value::Object(a)
            };
            let steps_of = |v: &[&LegacyEntry]| v.iter().map(|e| e.step_count).collect();
            let mut m = Map::with_capacity(6);
            if !vibrators.is_empty() {
                m.insert("VibrateCmd".into(), attrs(steps_of(&vibrators)));
            }
            let rotate: Vec<&LegacyEntry> = view.rotate.iter().collect();
            if !rotate.is_empty() {
                m.insert("RotateCmd".into(), attrs(steps_of(&rotate)));
            }
            let linear: Vec<&LegacyEntry> = view.linear.iter().collect();
            if !linear.is_empty() {
                m.insert("LinearCmd".into(), attrs(steps_of(&linear)));
            }
            if with_steps && view.has_battery() {
                m.insert("BatteryLevelCmd".into(), Value::Object(Map::new()));
            }
            m.insert("StopDeviceCmd".into(), Value::Object(Map::new()));
            if !with_steps && !vibrators.is_empty() {
                m.insert("SingleMotorVibrateCmd".into(), Value::Object(Map::new()));
            }
            Value::Object(m)
        }
        SpecVersion::V3 | SpecVersion::V4 => {
            let entry = |e: &LegacyEntry, actuator: &str| -> Value {
                Value::Object(obj([
                    ("FeatureDescriptor", e.descriptor.as_str().into()),
                    ("ActuatorType", actuator.into()),
                    ("StepCount", e.step_count.into()),
                ]))
            };
            let mut m = Map::with_capacity(5);
            if !view.scalar.is_empty() {
                m.insert(
                    "ScalarCmd".into(),
                    Value::Array(
                        view.scalar
                            .iter()
                            .map(|e| entry(e, e.kind.wire_name()))
                            .collect(),
                    ),
                );
            }
            if !view.rotate.is_empty() {
                m.insert(
                    "RotateCmd".into(),
                    Value::Array(view.rotate.iter().map(|e| entry(e, "Rotate")).collect()),
                );
            }
            if !view.linear.is_empty() {
                m.insert(
                    "LinearCmd".into(),
                    Value::Array(view.linear.iter().map(|e| entry(e, "Position")).collect()),
                );
            }
            if !view.sensor_read.is_empty() {
                let sensors = view
                    .sensor_read
                    .iter()
                    .map(|s| {
                        Value::Object(obj([
                            ("FeatureDescriptor", s.descriptor.as_str().into()),
                            ("SensorType", s.kind.wire_name().into()),
                            (
                                "SensorRange",
                                Value::Array(
                                    s.ranges
                                        .iter()
                                        .map(|(lo, hi)| range_value(*lo, *hi))
                                        .collect(),
                                ),
                            ),
                        ]))
                    })
                    .collect();
                m.insert("SensorReadCmd".into(), Value::Array(sensors));
            }
            m.insert("StopDeviceCmd".into(), Value::Object(Map::new()));
            Value::Object(m)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client → server encoding (client side)
// ---------------------------------------------------------------------------------------------

/// Encodes client messages for a server speaking `version` into one frame text.
///
/// Each message is written in its own wire form; only `RequestServerInfo` changes shape with
/// the version (`protocol.md` §5.2). The caller is responsible for sending only messages that
/// exist in `version`. `RawCmd` carries no endpoint or data and is written as
/// `{Id, DeviceIndex}` only.
pub fn encode_client_frame(msgs: &[ClientMessage], version: SpecVersion) -> String {
    array_text(
        msgs.iter()
            .map(|m| encode_client_message(m, version))
            .collect(),
    )
}

fn id_dev(id: MessageId, device_index: u32) -> JsonObject {
    obj([("Id", id.into()), ("DeviceIndex", device_index.into())])
}

/// Encodes one client message for a server speaking `version` as its single-key object.
pub fn encode_client_message(msg: &ClientMessage, version: SpecVersion) -> Value {
    let name = msg.name();
    let body = match msg {
        ClientMessage::RequestServerInfo {
            id,
            client_name,
            message_version,
            protocol_version_major,
            protocol_version_minor,
        } => {
            let mut m = obj([
                ("Id", (*id).into()),
                ("ClientName", client_name.as_str().into()),
            ]);
            match version {
                SpecVersion::V0 => {}
                SpecVersion::V1 | SpecVersion::V2 | SpecVersion::V3 => {
                    m.insert(
                        "MessageVersion".into(),
                        message_version.unwrap_or(version.number()).into(),
                    );
                }
                SpecVersion::V4 => {
                    m.insert(
                        "ProtocolVersionMajor".into(),
                        protocol_version_major.unwrap_or(4).into(),
                    );
                    m.insert(
                        "ProtocolVersionMinor".into(),
                        protocol_version_minor.unwrap_or(0).into(),
                    );
                }
            }
            m
        }
        ClientMessage::Ping { id }
        | ClientMessage::StartScanning { id }
        | ClientMessage::StopScanning { id }
        | ClientMessage::RequestDeviceList { id }
        | ClientMessage::StopAllDevices { id }
        | ClientMessage::Disconnect { id } => obj([("Id", (*id).into())]),
        ClientMessage::Test { id, test_string } => obj([
            ("Id", (*id).into()),
            ("TestString", test_string.as_str().into()),
        ]),
        ClientMessage::RequestLog { id, log_level } => obj([
            ("Id", (*id).into()),
            ("LogLevel", log_level.as_str().into()),
        ]),
        ClientMessage::StopDeviceCmd { id, device_index }
        | ClientMessage::BatteryLevelCmd { id, device_index }
        | ClientMessage::RssiLevelCmd { id, device_index }
        | ClientMessage::RawCmd {
            id, device_index, ..
        } => id_dev(*id, *device_index),
        ClientMessage::SingleMotorVibrateCmd {
            id,
            device_index,
            speed,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("Speed".into(), (*speed).into());
            m
        }
        ClientMessage::FleshlightLaunchFw12Cmd {
            id,
            device_index,
            position,
            speed,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("Position".into(), (*position).into());
            m.insert("Speed".into(), (*speed).into());
            m
        }
        ClientMessage::VorzeA10CycloneCmd {
            id,
            device_index,
            speed,
            clockwise,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("Speed".into(), (*speed).into());
            m.insert("Clockwise".into(), (*clockwise).into());
            m
        }
        ClientMessage::LovenseCmd {
            id,
            device_index,
            command,
        }
        | ClientMessage::KiirooCmd {
            id,
            device_index,
            command,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("Command".into(), command.as_str().into());
            m
        }
        ClientMessage::VibrateCmd {
            id,
            device_index,
            speeds,
        } => {
            let mut m = id_dev(*id, *device_index);
            let subs = speeds
                .iter()
                .map(|s| Value::Object(obj([("Index", s.index.into()), ("Speed", s.speed.into())])))
                .collect();
            m.insert("Speeds".into(), Value::Array(subs));
            m
        }
        ClientMessage::RotateCmd {
            id,
            device_index,
            rotations,
        } => {
            let mut m = id_dev(*id, *device_index);
            let subs = rotations
                .iter()
                .map(|s| {
                    Value::Object(obj([
                        ("Index", s.index.into()),
                        ("Speed", s.speed.into()),
                        ("Clockwise", s.clockwise.into()),
                    ]))
                })
                .collect();
            m.insert("Rotations".into(), Value::Array(subs));
            m
        }
        ClientMessage::LinearCmd {
            id,
            device_index,
            vectors,
        } => {
            let mut m = id_dev(*id, *device_index);
            let subs = vectors
                .iter()
                .map(|s| {
                    Value::Object(obj([
                        ("Index", s.index.into()),
                        ("Duration", s.duration.into()),
                        ("Position", s.position.into()),
                    ]))
                })
                .collect();
            m.insert("Vectors".into(), Value::Array(subs));
            m
        }
        ClientMessage::ScalarCmd {
            id,
            device_index,
            scalars,
        } => {
            let mut m = id_dev(*id, *device_index);
            let subs = scalars
                .iter()
                .map(|s| {
                    Value::Object(obj([
                        ("Index", s.index.into()),
                        ("Scalar", s.scalar.into()),
                        ("ActuatorType", s.actuator.as_str().into()),
                    ]))
                })
                .collect();
            m.insert("Scalars".into(), Value::Array(subs));
            m
        }
        ClientMessage::SensorReadCmd {
            id,
            device_index,
            sensor_index,
            sensor_type,
        }
        | ClientMessage::SensorSubscribeCmd {
            id,
            device_index,
            sensor_index,
            sensor_type,
        }
        | ClientMessage::SensorUnsubscribeCmd {
            id,
            device_index,
            sensor_index,
            sensor_type,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("SensorIndex".into(), (*sensor_index).into());
            m.insert("SensorType".into(), sensor_type.as_str().into());
            m
        }
        ClientMessage::OutputCmd {
            id,
            device_index,
            feature_index,
            command,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("FeatureIndex".into(), (*feature_index).into());
            let mut payload = obj([("Value", command.value.into())]);
            if command.kind == OutputType::HwPositionWithDuration {
                payload.insert("Duration".into(), command.duration.unwrap_or(0).into());
            }
            let mut c = Map::with_capacity(1);
            c.insert(command.kind.wire_name().to_string(), Value::Object(payload));
            m.insert("Command".into(), Value::Object(c));
            m
        }
        ClientMessage::InputCmd {
            id,
            device_index,
            feature_index,
            input_type,
            command,
        } => {
            let mut m = id_dev(*id, *device_index);
            m.insert("FeatureIndex".into(), (*feature_index).into());
            m.insert("Type".into(), input_type.wire_name().into());
            m.insert("Command".into(), command.wire_name().into());
            m
        }
        ClientMessage::StopCmd {
            id,
            device_index,
            feature_index,
            inputs,
            outputs,
        } => {
            let mut m = obj([("Id", (*id).into())]);
            if let Some(d) = device_index {
                m.insert("DeviceIndex".into(), (*d).into());
            }
            if let Some(f) = feature_index {
                m.insert("FeatureIndex".into(), (*f).into());
            }
            m.insert("Inputs".into(), (*inputs).into());
            m.insert("Outputs".into(), (*outputs).into());
            m
        }
    };
    wrap(name, body)
}

// ---------------------------------------------------------------------------------------------
// Server → client decoding (client side)
// ---------------------------------------------------------------------------------------------

fn server_versions(name: &str) -> Option<(SpecVersion, SpecVersion)> {
    use SpecVersion::{V0, V1, V2, V3, V4};
    let range = match name {
        "Ok" | "Error" | "ServerInfo" | "ScanningFinished" | "DeviceList" => (V0, V4),
        "DeviceAdded" | "DeviceRemoved" => (V0, V3),
        "Test" => (V0, V1),
        "BatteryLevelReading" => (V2, V2),
        "SensorReading" => (V3, V3),
        "InputReading" => (V4, V4),
        _ => return None,
    };
    Some(range)
}

/// Decodes a frame from a server speaking `version` (client side).
///
/// A v4 `DeviceList` map becomes [`ServerMessage::DeviceList`] as is. Legacy device lists and
/// `DeviceAdded` events become the same variants, with features synthesised from the legacy
/// attributes ([`features_from_v3`]; v0–v2 attributes are first turned into a v3-like view,
/// using [`DEFAULT_LEGACY_STEP_COUNT`] where v0/v1 give no step count). Output and input type
/// names unknown to this library are ignored inside v4 device lists (newer minor versions).
/// Messages unknown or not part of `version` give a per-message [`DecodeError`] (code 3).
pub fn decode_server_frame(
    text: &str,
    version: SpecVersion,
) -> Result<Vec<Result<ServerMessage, DecodeError>>, DecodeError> {
    let values = parse_frame(text)?;
    Ok(values
        .iter()
        .map(|v| decode_server_value(v, version))
        .collect())
}

fn decode_server_value(v: &Value, version: SpecVersion) -> DResult<ServerMessage> {
    let (name, body) = split_message(v)?;
    let id = peek_id(body);
    match server_versions(name) {
        None => return Err(DecodeError::msg(id, format!("unknown message type {name}"))),
        Some((lo, hi)) => {
            if version < lo || version > hi {
                return Err(DecodeError::msg(
                    id,
                    format!("{name} is not part of spec {version}"),
                ));
            }
        }
    }
    let mut r = Reader::new(body, name, id);
    let msg = decode_server_body(name, &mut r, version)?;
    r.finish()?;
    Ok(msg)
}

fn decode_server_body(
    name: &str,
    r: &mut Reader<'_>,
    version: SpecVersion,
) -> DResult<ServerMessage> {
    let msg = match name {
        "Ok" => ServerMessage::Ok {
            id: r.req_u32("Id")?,
        },
        "Error" => {
            let id = r.req_u32("Id")?;
            let code = r
                .req("ErrorCode")?
                .as_i64()
                .and_then(ErrorCode::from_number)
                .ok_or_else(|| r.invalid("ErrorCode", "an integer from 0 to 4"))?;
            let message = r.req_str("ErrorMessage")?.to_string();
            ServerMessage::Error { id, code, message }
        }
        "ServerInfo" => {
            let id = r.req_u32("Id")?;
            let server_name = r.req_str("ServerName")?.to_string();
            let max_ping_time = r.req_u32("MaxPingTime")?;
            match version {
                SpecVersion::V0 | SpecVersion::V1 => {
                    r.opt_u32("MajorVersion")?;
                    r.opt_u32("MinorVersion")?;
                    r.opt_u32("BuildVersion")?;
                    r.req_u32("MessageVersion")?;
                }
                SpecVersion::V2 | SpecVersion::V3 => {
                    r.req_u32("MessageVersion")?;
                }
                SpecVersion::V4 => {
                    r.req_u32("ProtocolVersionMajor")?;
                    r.req_u32("ProtocolVersionMinor")?;
                }
            }
            ServerMessage::ServerInfo {
                id,
                server_name,
                max_ping_time,
            }
        }
        "ScanningFinished" => {
            r.req_u32("Id")?;
            ServerMessage::ScanningFinished
        }
        "DeviceList" => {
            let id = r.req_u32("Id")?;
            let mut devices = if version == SpecVersion::V4 {
                let map = r.req_object("Devices")?;
                let mut devices = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let mut d = r.entry("Devices", key, value)?;
                    let device = decode_v4_device(&mut d, key)?;
                    d.finish()?;
                    devices.push(device);
                }
                devices
            } else {
                let arr = r.req_array("Devices")?;
                let mut devices = Vec::with_capacity(arr.len());
                for (i, value) in arr.iter().enumerate() {
                    let mut d = r.element("Devices", i, value)?;
                    let device = decode_legacy_device(&mut d, version)?;
                    d.finish()?;
                    devices.push(device);
                }
                devices
            };
            devices.sort_by_key(|d| d.index);
            ServerMessage::DeviceList { id, devices }
        }
        "DeviceAdded" => {
            r.req_u32("Id")?;
            ServerMessage::DeviceAdded {
                device: decode_legacy_device(r, version)?,
            }
        }
        "DeviceRemoved" => {
            r.req_u32("Id")?;
            ServerMessage::DeviceRemoved {
                device_index: r.req_u32("DeviceIndex")?,
            }
        }
        "Test" => ServerMessage::Test {
            id: r.req_u32("Id")?,
            test_string: r.req_str("TestString")?.to_string(),
        },
        "BatteryLevelReading" => ServerMessage::BatteryLevelReading {
            id: r.req_u32("Id")?,
            device_index: r.req_u32("DeviceIndex")?,
            battery_level: r.req_unit("BatteryLevel")?,
        },
        "SensorReading" => {
            let id = r.req_u32("Id")?;
            let device_index = r.req_u32("DeviceIndex")?;
            let sensor_index = r.req_u32("SensorIndex")?;
            let sensor_type = r.req_str("SensorType")?.to_string();
            let data = r
                .req_array("Data")?
                .iter()
                .map(|v| v.as_i64().and_then(|n| i32::try_from(n).ok()))
                .collect::<Option<Vec<i32>>>()
                .ok_or_else(|| r.invalid("Data", "an array of integers"))?;
            ServerMessage::SensorReading {
                id,
                device_index,
                sensor_index,
                sensor_type,
                data,
            }
        }
        "InputReading" => {
            let id = r.req_u32("Id")?;
            let device_index = r.req_u32("DeviceIndex")?;
            let feature_index = r.req_u32("FeatureIndex")?;
            let reading = r.req_object("Reading")?;
            let mut it = reading.iter();
            let (key, payload) = match (it.next(), it.next()) {
                (Some(kv), None) => kv,
                _ => {
                    return Err(
                        r.invalid("Reading", "an object with exactly one key, the input type")
                    )
                }
            };
            let kind = InputType::from_wire(key).ok_or_else(|| {
                r.error(format!(
                    "unknown input type {key} in field Reading of {name}"
                ))
            })?;
            let mut p = r.entry("Reading", kind.wire_name(), payload)?;
            let value = p.req("Value")?;
            let n = value.as_i64();
            let reading = match kind {
                InputType::Battery => n
                    .and_then(|n| u8::try_from(n).ok())
                    .map(InputReadingValue::Battery),
                InputType::Rssi => n
                    .and_then(|n| i8::try_from(n).ok())
                    .map(InputReadingValue::Rssi),
                InputType::Button => n
                    .and_then(|n| u8::try_from(n).ok())
                    .map(InputReadingValue::Button),
                InputType::Pressure => n
                    .and_then(|n| u32::try_from(n).ok())
                    .map(InputReadingValue::Pressure),
                InputType::Depth | InputType::Position => {
                    return Err(r.error(format!("input type {key} has no reading form in {name}")))
                }
            }
            .ok_or_else(|| p.invalid("Value", "an integer in the reading's range"))?;
            p.finish()?;
            ServerMessage::InputReading {
                id,
                device_index,
                feature_index,
                reading,
            }
        }
        other => return Err(r.error(format!("unknown message type {other}"))),
    };
    Ok(msg)
}

fn key_matches(key: &str, index: u32) -> bool {
    key.parse::<u32>().is_ok_and(|k| k == index)
}

fn output_rank(kind: OutputType) -> usize {
    OutputType::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(usize::MAX)
}

fn decode_v4_device(d: &mut Reader<'_>, key: &str) -> DResult<DeviceInfo> {
    let index = d.req_u32("DeviceIndex")?;
    if !key_matches(key, index) {
        return Err(d.error(format!(
            "key {key} of Devices in {} does not match its DeviceIndex {index}",
            d.msg
        )));
    }
    let name = d.req_str("DeviceName")?.to_string();
    let display_name = d.opt_str("DeviceDisplayName")?.map(str::to_string);
    let message_timing_gap = d.opt_u32("DeviceMessageTimingGap")?.unwrap_or(0);
    let map = d.req_object("DeviceFeatures")?;
    let mut features = Vec::with_capacity(map.len());
    for (fkey, value) in map {
        let mut f = d.entry("DeviceFeatures", fkey, value)?;
        let feature = decode_v4_feature(&mut f, fkey)?;
        f.finish()?;
        if !feature.outputs.is_empty() || !feature.inputs.is_empty() {
            features.push(feature);
        }
    }
    features.sort_by_key(|f| f.index);
    Ok(DeviceInfo {
        index,
        name,
        display_name,
        message_timing_gap,
        features,
    })
}

fn decode_v4_feature(f: &mut Reader<'_>, key: &str) -> DResult<DeviceFeature> {
    let index = f.req_u32("FeatureIndex")?;
    if !key_matches(key, index) {
        return Err(f.error(format!(
            "key {key} of DeviceFeatures in {} does not match its FeatureIndex {index}",
            f.msg
        )));
    }
    let description = f
        .opt_str("FeatureDescription")?
        .unwrap_or_default()
        .to_string();
    let mut outputs = Vec::new();
    if let Some(map) = f.opt_object("Output")? {
        for (tkey, value) in map {
            let Some(kind) = OutputType::from_wire(tkey) else {
                continue; // unknown output type from a newer minor version
            };
            let mut p = f.entry("Output", tkey, value)?;
            let v = p.req("Value")?;
            let range = p.range_i32("Value", v)?;
            let duration = if kind == OutputType::HwPositionWithDuration {
                match p.opt("Duration") {
                    Some(dv) => Some(p.range_u32("Duration", dv)?),
                    None => None,
                }
            } else {
                None
            };
            p.finish()?;
            outputs.push(FeatureOutput {
                kind,
                value: range,
                duration,
            });
        }
    }
    outputs.sort_by_key(|o| output_rank(o.kind));
    outputs.dedup_by_key(|o| o.kind);
    let mut inputs = Vec::new();
    if let Some(map) = f.opt_object("Input")? {
        for (tkey, value) in map {
            let Some(kind) = InputType::from_wire(tkey) else {
                continue; // unknown input type from a newer minor version
            };
            let mut p = f.entry("Input", tkey, value)?;
            let ranges_value = p.req_array("Value")?;
            let mut ranges = Vec::with_capacity(ranges_value.len());
            for rv in ranges_value {
                ranges.push(p.range_i32("Value", rv)?);
            }
            let commands_value = p.req_array("Command")?;
            let mut commands = Vec::with_capacity(commands_value.len());
            for cv in commands_value {
                let s = cv
                    .as_str()
                    .ok_or_else(|| p.invalid("Command", "an array of strings"))?;
                if let Some(c) = InputCommand::from_wire(s) {
                    commands.push(c);
                }
            }
            commands.sort();
            commands.dedup();
            p.finish()?;
            inputs.push(FeatureInput {
                kind,
                value: ranges,
                commands,
            });
        }
    }
    Ok(DeviceFeature {
        index,
        description,
        outputs,
        inputs,
    })
}

/// Reads the fields of a v0–v3 device object (`DeviceList` element or `DeviceAdded` body).
fn decode_legacy_device(d: &mut Reader<'_>, version: SpecVersion) -> DResult<DeviceInfo> {
    let index = d.req_u32("DeviceIndex")?;
    let name = d.req_str("DeviceName")?.to_string();
    let (display_name, message_timing_gap) = if version >= SpecVersion::V3 {
        (
            d.opt_str("DeviceDisplayName")?.map(str::to_string),
            d.opt_u32("DeviceMessageTimingGap")?.unwrap_or(0),
        )
    } else {
        (None, 0)
    };
    let messages = d.req("DeviceMessages")?;
    let view = match version {
        SpecVersion::V0 => legacy_view_v0(d, messages)?,
        SpecVersion::V1 | SpecVersion::V2 => legacy_view_v1_v2(d, messages, version)?,
        SpecVersion::V3 | SpecVersion::V4 => legacy_view_v3(d, messages)?,
    };
    Ok(DeviceInfo {
        index,
        name,
        display_name,
        message_timing_gap,
        features: features_from_v3(&view),
    })
}

fn legacy_entry(kind: OutputType, descriptor: &str, step_count: u32) -> LegacyEntry {
    LegacyEntry {
        feature_index: 0,
        descriptor: descriptor.to_string(),
        kind,
        step_count,
    }
}

fn battery_sensor() -> LegacySensor {
    LegacySensor {
        feature_index: 0,
        descriptor: String::new(),
        kind: InputType::Battery,
        ranges: vec![(0, 100)],
    }
}

fn legacy_view_v0(d: &Reader<'_>, messages: &Value) -> DResult<LegacyView> {
    let names = messages
        .as_array()
        .ok_or_else(|| d.invalid("DeviceMessages", "an array of message names"))?;
    let mut view = LegacyView::default();
    for n in names {
        let s = n
            .as_str()
            .ok_or_else(|| d.invalid("DeviceMessages", "an array of message names"))?;
        if s == "SingleMotorVibrateCmd" && view.scalar.is_empty() {
            view.scalar.push(legacy_entry(
                OutputType::Vibrate,
                "",
                DEFAULT_LEGACY_STEP_COUNT,
            ));
        }
    }
    Ok(view)
}

fn legacy_view_v1_v2(
    d: &Reader<'_>,
    messages: &Value,
    version: SpecVersion,
) -> DResult<LegacyView> {
    let map = messages
        .as_object()
        .ok_or_else(|| d.invalid("DeviceMessages", "an object"))?;
    let mut view = LegacyView::default();
    let read_steps = |key: &'static str| -> DResult<Vec<u32>> {
        let Some(value) = map.get(key) else {
            return Ok(Vec::new());
        };
        let mut a = d.entry("DeviceMessages", key, value)?;
        let count = a.req_u32("FeatureCount")?;
        if count > MAX_LEGACY_FEATURES {
            return Err(a.invalid(
                "FeatureCount",
                &format!("an integer from 0 to {MAX_LEGACY_FEATURES}"),
            ));
        }
        let steps = if version >= SpecVersion::V2 {
            match a.opt("StepCount") {
                Some(v) => {
                    let arr = v
                        .as_array()
                        .ok_or_else(|| a.invalid("StepCount", "an array of integers"))?;
                    let mut out = Vec::with_capacity(arr.len());
                    for s in arr {
                        out.push(a.u32_of("StepCount", s)?);
                    }
                    out
                }
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        a.finish()?;
        Ok((0..count)
            .map(|i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| steps.get(i).copied())
                    .unwrap_or(DEFAULT_LEGACY_STEP_COUNT)
            })
            .collect())
    };
    let vibrate = read_steps("VibrateCmd")?;
    let rotate = read_steps("RotateCmd")?;
    let linear = read_steps("LinearCmd")?;
    for s in vibrate {
        view.scalar.push(legacy_entry(OutputType::Vibrate, "", s));
    }
    for s in rotate {
        view.scalar.push(legacy_entry(OutputType::Rotate, "", s));
        view.rotate.push(legacy_entry(OutputType::Rotate, "", s));
    }
    for s in linear {
        view.linear
            .push(legacy_entry(OutputType::HwPositionWithDuration, "", s));
    }
    if version >= SpecVersion::V2 && map.contains_key("BatteryLevelCmd") {
        view.sensor_read.push(battery_sensor());
    }
    Ok(view)
}

/// ActuatorType names a v3 server may list in `ScalarCmd`.
fn scalar_actuator(name: &str) -> Option<OutputType> {
    if name == "Inflate" || name == "inflate" {
        return Some(OutputType::Constrict);
    }
    OutputType::from_wire(name).filter(|k| SCALAR_ORDER.contains(k))
}

fn legacy_view_v3(d: &Reader<'_>, messages: &Value) -> DResult<LegacyView> {
    let map = messages
        .as_object()
        .ok_or_else(|| d.invalid("DeviceMessages", "an object"))?;
    let mut view = LegacyView::default();
    // ScalarCmd, RotateCmd, LinearCmd
    for (key, target) in [("ScalarCmd", 0u8), ("RotateCmd", 1), ("LinearCmd", 2)] {
        let Some(value) = map.get(key) else {
            continue;
        };
        let prefix = format!("DeviceMessages.{key}");
        let arr = value
            .as_array()
            .ok_or_else(|| d.invalid(&prefix, "an array"))?;
        for (i, item) in arr.iter().enumerate() {
            let mut e = d.element(&prefix, i, item)?;
            let descriptor = e.opt_str("FeatureDescriptor")?.unwrap_or_default();
            let steps = e.req_u32("StepCount")?;
            let entry = match target {
                0 => {
                    let actuator = e.req_str("ActuatorType")?;
                    let kind = scalar_actuator(actuator)
                        .ok_or_else(|| e.invalid("ActuatorType", "a known scalar actuator type"))?;
                    legacy_entry(kind, descriptor, steps)
                }
                1 => {
                    e.opt_str("ActuatorType")?;
                    legacy_entry(OutputType::Rotate, descriptor, steps)
                }
                _ => {
                    e.opt_str("ActuatorType")?;
                    legacy_entry(OutputType::HwPositionWithDuration, descriptor, steps)
                }
            };
            e.finish()?;
            match target {
                0 => view.scalar.push(entry),
                1 => view.rotate.push(entry),
                _ => view.linear.push(entry),
            }
        }
    }
    if let Some(value) = map.get("SensorReadCmd") {
        let prefix = "DeviceMessages.SensorReadCmd";
        let arr = value
            .as_array()
            .ok_or_else(|| d.invalid(prefix, "an array"))?;
        for (i, item) in arr.iter().enumerate() {
            let mut e = d.element(prefix, i, item)?;
            let descriptor = e.opt_str("FeatureDescriptor")?.unwrap_or_default();
            let sensor_type = e.req_str("SensorType")?;
            let kind = InputType::from_wire(sensor_type)
                .ok_or_else(|| e.invalid("SensorType", "a known sensor type"))?;
            let ranges = match e.opt("SensorRange") {
                Some(rv) => {
                    let arr = rv
                        .as_array()
                        .ok_or_else(|| e.invalid("SensorRange", "an array of ranges"))?;
                    let mut ranges = Vec::with_capacity(arr.len());
                    for x in arr {
                        ranges.push(e.range_i32("SensorRange", x)?);
                    }
                    ranges
                }
                None => Vec::new(),
            };
            e.finish()?;
            view.sensor_read.push(LegacySensor {
                feature_index: 0,
                descriptor: descriptor.to_string(),
                kind,
                ranges,
            });
        }
    }
    Ok(view)
}
