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
                "element {}{}[{}] in {} must be an object",
                self.prefix, array, i, self.msg
            ))),
        }
    }

    /// A reader for the object stored under `key` of map field `map_name`.
    fn entry(&self, map_name: &str, key: &str, v: &'a Value) -> DResult<Reader<'a>> {
        match v.as_object() {
            Some(m) => Ok(self.child(m, format!("{}{}.{}.", self.prefix, map_name, key))),
            None => Err(self.error(format!(
                "field {}{}.{} in {} must be an object",
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
    if out.is_empty() {
        return Err(frame_error(
            "the frame's message array is empty: send at least one message",
        ));
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

/// The `DeviceMessages` value of a device for a legacy version (`devices.md` §4): a sorted
/// array of names for v0, `{FeatureCount}` attributes for v1, `{FeatureCount, StepCount}` for v2,
/// per-feature attribute arrays for v3. `SpecVersion::V4` (which has no `DeviceMessages`) gets
/// the v3 form.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::legacy::tests::example_combo;
    use serde_json::json;

    fn one(text: &str, version: Option<SpecVersion>) -> DResult<ClientMessage> {
        let mut v = decode_client_frame(text, version).expect("frame decodes");
        assert_eq!(v.len(), 1, "expected exactly one message in {text}");
        v.remove(0)
    }

    fn v4(text: &str) -> DResult<ClientMessage> {
        one(text, Some(SpecVersion::V4))
    }

    fn err(text: &str, version: Option<SpecVersion>) -> DecodeError {
        one(text, version).expect_err("message must fail")
    }

    fn assert_err(text: &str, version: Option<SpecVersion>, id: MessageId, code: ErrorCode) {
        let e = err(text, version);
        assert_eq!((e.id, e.code), (id, code), "{text}: {}", e.message);
        assert!(!e.message.ends_with('.'), "{}", e.message);
        assert!(
            e.message.starts_with(|c: char| !c.is_ascii_uppercase())
                || e.message.starts_with("RequestServerInfo")
                || e.message.contains(" is not part of spec "),
            "{}",
            e.message
        );
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("test json")
    }

    // ---------------------------------------------------------------- handshake

    #[test]
    fn handshake_forms_of_every_version() {
        let m = one(
            r#"[{"RequestServerInfo": {"Id": 1, "ClientName": "Old"}}]"#,
            None,
        )
        .expect("v0 form");
        assert_eq!(
            m,
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "Old".into(),
                message_version: None,
                protocol_version_major: None,
                protocol_version_minor: None
            }
        );
        for n in 1..=3u32 {
            let text = format!(
                r#"[{{"RequestServerInfo": {{"Id": 1, "ClientName": "Old Game", "MessageVersion": {n}}}}}]"#
            );
            match one(&text, None).expect("v1-v3 form") {
                ClientMessage::RequestServerInfo {
                    message_version,
                    protocol_version_major,
                    ..
                } => {
                    assert_eq!(message_version, Some(n));
                    assert_eq!(protocol_version_major, None);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let m = one(
            r#"[{"RequestServerInfo": {"Id": 1, "ClientName": "Toy Tester", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}]"#,
            None,
        )
        .expect("v4 form");
        assert_eq!(
            m,
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "Toy Tester".into(),
                message_version: None,
                protocol_version_major: Some(4),
                protocol_version_minor: Some(0)
            }
        );
    }

    #[test]
    fn too_new_version_still_decodes() {
        let m = one(
            r#"[{"RequestServerInfo": {"Id": 9, "ClientName": "Future", "ProtocolVersionMajor": 5, "ProtocolVersionMinor": 2}}]"#,
            None,
        )
        .expect("decodes so the server can answer code 1");
        assert!(matches!(
            m,
            ClientMessage::RequestServerInfo {
                id: 9,
                protocol_version_major: Some(5),
                protocol_version_minor: Some(2),
                ..
            }
        ));
        let m = one(
            r#"[{"RequestServerInfo": {"Id": 9, "ClientName": "Future", "MessageVersion": 7}}]"#,
            None,
        )
        .expect("decodes");
        assert!(matches!(
            m,
            ClientMessage::RequestServerInfo {
                message_version: Some(7),
                ..
            }
        ));
    }

    #[test]
    fn handshake_errors() {
        // other message before the handshake: code 1 with its Id
        assert_err(r#"[{"Ping": {"Id": 5}}]"#, None, 5, ErrorCode::Handshake);
        let e = err(r#"[{"RequestDeviceList": {"Id": 6}}]"#, None);
        assert_eq!(e.message, "RequestServerInfo expected");
        // unknown message before the handshake is also code 1
        assert_err(r#"[{"Bogus": {"Id": 7}}]"#, None, 7, ErrorCode::Handshake);
        // Id unreadable
        assert_err(r#"[{"Ping": {"Id": -1}}]"#, None, 0, ErrorCode::Handshake);
        // v4 form needs both numbers
        assert_err(
            r#"[{"RequestServerInfo": {"Id": 3, "ClientName": "x", "ProtocolVersionMajor": 4}}]"#,
            None,
            3,
            ErrorCode::Message,
        );
        // missing name
        let e = err(
            r#"[{"RequestServerInfo": {"Id": 3, "MessageVersion": 3}}]"#,
            None,
        );
        assert_eq!((e.id, e.code), (3, ErrorCode::Message));
        assert!(e.message.contains("ClientName"), "{}", e.message);
        // mixed forms: MessageVersion is not a field of the v4 form
        let e = err(
            r#"[{"RequestServerInfo": {"Id": 3, "ClientName": "x", "MessageVersion": 3, "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}]"#,
            None,
        );
        assert!(
            e.message.contains("unknown field MessageVersion"),
            "{}",
            e.message
        );
        // Id 0
        assert_err(
            r#"[{"RequestServerInfo": {"Id": 0, "ClientName": "x"}}]"#,
            None,
            0,
            ErrorCode::Message,
        );
        // negative version
        assert_err(
            r#"[{"RequestServerInfo": {"Id": 2, "ClientName": "x", "MessageVersion": -1}}]"#,
            None,
            2,
            ErrorCode::Message,
        );
    }

    #[test]
    fn request_server_info_after_handshake_decodes_in_any_form() {
        for v in [SpecVersion::V0, SpecVersion::V3, SpecVersion::V4] {
            assert!(matches!(
                one(
                    r#"[{"RequestServerInfo": {"Id": 2, "ClientName": "x", "MessageVersion": 1}}]"#,
                    Some(v)
                ),
                Ok(ClientMessage::RequestServerInfo { id: 2, .. })
            ));
        }
    }

    // ---------------------------------------------------------------- frames

    #[test]
    fn frame_level_errors() {
        for text in [
            "",
            "   ",
            "not json",
            "[{\"Ping\": {\"Id\": 1}}",
            "{\"Ping\": {\"Id\": 1}}",
            "42",
            "[{\"Ping\": {\"Id\": 1}}] {}",
            "[{\"Ping\": {\"Id\": 1}}] garbage",
        ] {
            let e = decode_client_frame(text, Some(SpecVersion::V4)).expect_err("frame must fail");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
            let e = decode_server_frame(text, SpecVersion::V4).expect_err("frame must fail");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
        }
    }

    #[test]
    fn empty_array_and_back_to_back_arrays() {
        // a frame without any message is answered with an error, not silently dropped
        for text in ["[]", " [ ] "] {
            let e = decode_client_frame(text, Some(SpecVersion::V4)).expect_err("empty frame");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
        }
        let v = decode_client_frame(
            r#"[{"Ping": {"Id": 1}}][{"StartScanning": {"Id": 2}}, {"StopScanning": {"Id": 3}}] []"#,
            Some(SpecVersion::V4),
        )
        .expect("ok");
        assert_eq!(
            v,
            vec![
                Ok(ClientMessage::Ping { id: 1 }),
                Ok(ClientMessage::StartScanning { id: 2 }),
                Ok(ClientMessage::StopScanning { id: 3 }),
            ]
        );
        let v = decode_client_frame(
            r#"[{"RequestDeviceList": {"Id": 7}}, {"StartScanning": {"Id": 8}}]"#,
            Some(SpecVersion::V2),
        )
        .expect("ok");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn messages_in_one_frame_fail_independently() {
        let v = decode_client_frame(
            r#"[{"Ping": {"Id": 1}}, {"Ping": {"Id": 0}}, 5, {"Ping": {"Id": 4, "X": 1}}, {"Ping": {"Id": 5}}]"#,
            Some(SpecVersion::V4),
        )
        .expect("ok");
        assert_eq!(v.len(), 5);
        assert_eq!(v.first(), Some(&Ok(ClientMessage::Ping { id: 1 })));
        assert!(matches!(v.get(1), Some(Err(DecodeError { id: 0, .. }))));
        assert!(matches!(v.get(2), Some(Err(DecodeError { id: 0, .. }))));
        assert!(matches!(v.get(3), Some(Err(DecodeError { id: 4, .. }))));
        assert_eq!(v.get(4), Some(&Ok(ClientMessage::Ping { id: 5 })));
    }

    // ---------------------------------------------------------------- malformed messages

    #[test]
    fn structural_errors() {
        let v4v = Some(SpecVersion::V4);
        assert_err("[5]", v4v, 0, ErrorCode::Message);
        assert_err("[[1]]", v4v, 0, ErrorCode::Message);
        assert_err("[{}]", v4v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": 5}]"#, v4v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": [1]}]"#, v4v, 0, ErrorCode::Message);
        // two keys: the Id is readable when both agree
        let e = err(r#"[{"Ping": {"Id": 4}, "StartScanning": {"Id": 4}}]"#, v4v);
        assert_eq!((e.id, e.code), (4, ErrorCode::Message));
        assert!(e.message.contains("exactly one key"), "{}", e.message);
        assert_err(
            r#"[{"Ping": {"Id": 4}, "StartScanning": {"Id": 5}}]"#,
            v4v,
            0,
            ErrorCode::Message,
        );
        assert_err(r#"[{"Bogus": {"Id": 4}}]"#, v4v, 4, ErrorCode::Message);
        let e = err(r#"[{"Bogus": {"Id": 4}}]"#, v4v);
        assert_eq!(e.message, "unknown message type Bogus");
    }

    #[test]
    fn id_rules() {
        let v = Some(SpecVersion::V4);
        assert_err(r#"[{"Ping": {"Id": 0}}]"#, v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": {"Id": -3}}]"#, v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": {"Id": 1.5}}]"#, v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": {"Id": "1"}}]"#, v, 0, ErrorCode::Message);
        assert_err(
            r#"[{"Ping": {"Id": 4294967296}}]"#,
            v,
            0,
            ErrorCode::Message,
        );
        assert_err(r#"[{"Ping": {}}]"#, v, 0, ErrorCode::Message);
        assert_eq!(
            v4(r#"[{"Ping": {"Id": 4294967295}}]"#),
            Ok(ClientMessage::Ping { id: u32::MAX })
        );
        let e = err(r#"[{"Ping": {"Id": 0}}]"#, v);
        assert_eq!(
            e.message,
            "field Id in Ping must be an integer from 1 to 4294967295"
        );
        let e = err(r#"[{"Ping": {}}]"#, v);
        assert_eq!(e.message, "missing field Id in Ping");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = err(
            r#"[{"Ping": {"Id": 3, "Extra": true}}]"#,
            Some(SpecVersion::V4),
        );
        assert_eq!((e.id, e.code), (3, ErrorCode::Message));
        assert_eq!(e.message, "unknown field Extra in Ping");
        let e = err(
            r#"[{"VibrateCmd": {"Id": 3, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5, "Foo": 1}]}}]"#,
            Some(SpecVersion::V2),
        );
        assert_eq!(e.message, "unknown field Speeds[0].Foo in VibrateCmd");
        let e = v4(r#"[{"OutputCmd": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1, "Duration": 5}}}}]"#)
            .expect_err("Duration is not part of Vibrate");
        assert_eq!(
            e.message,
            "unknown field Command.Vibrate.Duration in OutputCmd"
        );
    }

    #[test]
    fn wrong_version_messages() {
        let cases: &[(&str, SpecVersion)] = &[
            (
                r#"[{"OutputCmd": {"Id": 2, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}}}}]"#,
                SpecVersion::V3,
            ),
            (
                r#"[{"ScalarCmd": {"Id": 2, "DeviceIndex": 0, "Scalars": []}}]"#,
                SpecVersion::V4,
            ),
            (
                r#"[{"ScalarCmd": {"Id": 2, "DeviceIndex": 0, "Scalars": []}}]"#,
                SpecVersion::V2,
            ),
            (
                r#"[{"VibrateCmd": {"Id": 2, "DeviceIndex": 0, "Speeds": []}}]"#,
                SpecVersion::V0,
            ),
            (
                r#"[{"VibrateCmd": {"Id": 2, "DeviceIndex": 0, "Speeds": []}}]"#,
                SpecVersion::V4,
            ),
            (
                r#"[{"StopDeviceCmd": {"Id": 2, "DeviceIndex": 0}}]"#,
                SpecVersion::V4,
            ),
            (r#"[{"StopAllDevices": {"Id": 2}}]"#, SpecVersion::V4),
            (r#"[{"StopCmd": {"Id": 2}}]"#, SpecVersion::V3),
            (r#"[{"Disconnect": {"Id": 2}}]"#, SpecVersion::V3),
            (
                r#"[{"Test": {"Id": 2, "TestString": "a"}}]"#,
                SpecVersion::V2,
            ),
            (
                r#"[{"RequestLog": {"Id": 2, "LogLevel": "Off"}}]"#,
                SpecVersion::V2,
            ),
            (
                r#"[{"SingleMotorVibrateCmd": {"Id": 2, "DeviceIndex": 0, "Speed": 0.5}}]"#,
                SpecVersion::V2,
            ),
            (
                r#"[{"BatteryLevelCmd": {"Id": 2, "DeviceIndex": 0}}]"#,
                SpecVersion::V3,
            ),
            (
                r#"[{"RSSILevelCmd": {"Id": 2, "DeviceIndex": 0}}]"#,
                SpecVersion::V1,
            ),
            (
                r#"[{"RawReadCmd": {"Id": 2, "DeviceIndex": 0, "Endpoint": "rx", "Length": 0, "WaitForData": false}}]"#,
                SpecVersion::V4,
            ),
            (
                r#"[{"SensorReadCmd": {"Id": 2, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Battery"}}]"#,
                SpecVersion::V4,
            ),
            (
                r#"[{"InputCmd": {"Id": 2, "DeviceIndex": 0, "FeatureIndex": 0, "Type": "Battery", "Command": "Read"}}]"#,
                SpecVersion::V3,
            ),
        ];
        for (text, version) in cases {
            let e = err(text, Some(*version));
            assert_eq!((e.id, e.code), (2, ErrorCode::Message), "{text}");
            assert!(
                e.message
                    .ends_with(&format!("is not part of spec v{}", version.number())),
                "{}",
                e.message
            );
        }
        let e = err(
            r#"[{"OutputCmd": {"Id": 2, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}}}}]"#,
            Some(SpecVersion::V3),
        );
        assert_eq!(e.message, "OutputCmd is not part of spec v3");
    }

    #[test]
    fn output_cmd_forms_and_errors() {
        assert_eq!(
            v4(
                r#"[{"OutputCmd": {"Id": 21, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 7}}}}]"#
            ),
            Ok(ClientMessage::OutputCmd {
                id: 21,
                device_index: 0,
                feature_index: 0,
                command: OutputCommand {
                    kind: OutputType::Vibrate,
                    value: 7,
                    duration: None
                }
            })
        );
        assert_eq!(
            v4(
                r#"[{"OutputCmd": {"Id": 22, "DeviceIndex": 1, "FeatureIndex": 0, "Command": {"HwPositionWithDuration": {"Value": 80, "Duration": 350}}}}]"#
            ),
            Ok(ClientMessage::OutputCmd {
                id: 22,
                device_index: 1,
                feature_index: 0,
                command: OutputCommand {
                    kind: OutputType::HwPositionWithDuration,
                    value: 80,
                    duration: Some(350)
                }
            })
        );
        // negative values decode (range checks are code 4 later)
        assert!(matches!(
            v4(
                r#"[{"OutputCmd": {"Id": 1, "DeviceIndex": 0, "FeatureIndex": 1, "Command": {"Rotate": {"Value": -5}}}}]"#
            ),
            Ok(ClientMessage::OutputCmd {
                command: OutputCommand { value: -5, .. },
                ..
            })
        ));
        let bad = [
            // fractional value
            r#"{"Vibrate": {"Value": 7.5}}"#,
            r#"{"Vibrate": {"Value": 7.0}}"#,
            r#"{"Vibrate": {"Value": "7"}}"#,
            r#"{"Vibrate": {"Value": 2147483648}}"#,
            r#"{"Vibrate": {}}"#,
            r#"{"Vibrate": 7}"#,
            // lower-case key is not accepted in commands
            r#"{"vibrate": {"Value": 7}}"#,
            r#"{"Inflate": {"Value": 7}}"#,
            // exactly one key
            r#"{}"#,
            r#"{"Vibrate": {"Value": 1}, "Rotate": {"Value": 1}}"#,
            // HwPositionWithDuration needs an unsigned value and a duration
            r#"{"HwPositionWithDuration": {"Value": 10}}"#,
            r#"{"HwPositionWithDuration": {"Value": -1, "Duration": 10}}"#,
            r#"{"HwPositionWithDuration": {"Value": 10, "Duration": -10}}"#,
            r#"{"HwPositionWithDuration": {"Value": 10, "Duration": 1.5}}"#,
            r#"[]"#,
        ];
        for command in bad {
            let text = format!(
                r#"[{{"OutputCmd": {{"Id": 77, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {command}}}}}]"#
            );
            let e = v4(&text).expect_err(command);
            assert_eq!(
                (e.id, e.code),
                (77, ErrorCode::Message),
                "{command}: {}",
                e.message
            );
            assert!(e.message.contains("OutputCmd"), "{}", e.message);
        }
        let e = v4(r#"[{"OutputCmd": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 0.5}}}}]"#)
            .expect_err("fractional");
        assert_eq!(
            e.message,
            "field Command.Vibrate.Value in OutputCmd must be an integer from -2147483648 to 2147483647"
        );
        // missing fields
        let e = v4(
            r#"[{"OutputCmd": {"Id": 3, "DeviceIndex": 0, "Command": {"Vibrate": {"Value": 1}}}}]"#,
        )
        .expect_err("missing FeatureIndex");
        assert_eq!(e.message, "missing field FeatureIndex in OutputCmd");
    }

    #[test]
    fn input_and_stop_cmd() {
        assert_eq!(
            v4(
                r#"[{"InputCmd": {"Id": 30, "DeviceIndex": 0, "FeatureIndex": 1, "Type": "Battery", "Command": "Read"}}]"#
            ),
            Ok(ClientMessage::InputCmd {
                id: 30,
                device_index: 0,
                feature_index: 1,
                input_type: InputType::Battery,
                command: InputCommand::Read
            })
        );
        assert!(matches!(
            v4(
                r#"[{"InputCmd": {"Id": 30, "DeviceIndex": 0, "FeatureIndex": 1, "Type": "RSSI", "Command": "subscribe"}}]"#
            ),
            Ok(ClientMessage::InputCmd {
                input_type: InputType::Rssi,
                command: InputCommand::Subscribe,
                ..
            })
        ));
        for bad in [
            r#""Type": "Heat", "Command": "Read""#,
            r#""Type": "Battery", "Command": "Poll""#,
            r#""Type": 1, "Command": "Read""#,
            r#""Type": "Battery""#,
        ] {
            let text = format!(
                r#"[{{"InputCmd": {{"Id": 31, "DeviceIndex": 0, "FeatureIndex": 1, {bad}}}}}]"#
            );
            let e = v4(&text).expect_err(bad);
            assert_eq!((e.id, e.code), (31, ErrorCode::Message));
        }
        assert_eq!(
            v4(r#"[{"StopCmd": {"Id": 20}}]"#),
            Ok(ClientMessage::StopCmd {
                id: 20,
                device_index: None,
                feature_index: None,
                inputs: true,
                outputs: true
            })
        );
        assert_eq!(
            v4(
                r#"[{"StopCmd": {"Id": 20, "DeviceIndex": 1, "FeatureIndex": 0, "Inputs": false, "Outputs": true}}]"#
            ),
            Ok(ClientMessage::StopCmd {
                id: 20,
                device_index: Some(1),
                feature_index: Some(0),
                inputs: false,
                outputs: true
            })
        );
        assert_eq!(
            v4(r#"[{"StopCmd": {"Id": 20, "DeviceIndex": null, "Outputs": false}}]"#),
            Ok(ClientMessage::StopCmd {
                id: 20,
                device_index: None,
                feature_index: None,
                inputs: true,
                outputs: false
            })
        );
        let e = v4(r#"[{"StopCmd": {"Id": 20, "Inputs": 1}}]"#).expect_err("bool");
        assert_eq!(e.message, "field Inputs in StopCmd must be a boolean");
        assert_eq!(
            v4(r#"[{"Disconnect": {"Id": 8}}]"#),
            Ok(ClientMessage::Disconnect { id: 8 })
        );
    }

    #[test]
    fn legacy_float_bounds() {
        let v1 = Some(SpecVersion::V1);
        let v3 = Some(SpecVersion::V3);
        let bad: &[(&str, Option<SpecVersion>)] = &[
            (
                r#"{"SingleMotorVibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speed": 1.01}}"#,
                v1,
            ),
            (
                r#"{"SingleMotorVibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speed": -0.1}}"#,
                v1,
            ),
            (
                r#"{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 1.5}]}}"#,
                v3,
            ),
            (
                r#"{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": -1}]}}"#,
                v1,
            ),
            (
                r#"{"RotateCmd": {"Id": 9, "DeviceIndex": 0, "Rotations": [{"Index": 0, "Speed": 2, "Clockwise": true}]}}"#,
                v3,
            ),
            (
                r#"{"LinearCmd": {"Id": 9, "DeviceIndex": 0, "Vectors": [{"Index": 0, "Duration": 100, "Position": 1.2}]}}"#,
                v3,
            ),
            (
                r#"{"LinearCmd": {"Id": 9, "DeviceIndex": 0, "Vectors": [{"Index": 0, "Duration": 100, "Position": -0.2}]}}"#,
                v1,
            ),
            (
                r#"{"LinearCmd": {"Id": 9, "DeviceIndex": 0, "Vectors": [{"Index": 0, "Duration": -1, "Position": 0.2}]}}"#,
                v1,
            ),
            (
                r#"{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0}]}}"#,
                v1,
            ),
            (
                r#"{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [0.5]}}"#,
                v1,
            ),
            (
                r#"{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": {"Index": 0, "Speed": 0.5}}}"#,
                v1,
            ),
            (
                r#"{"RotateCmd": {"Id": 9, "DeviceIndex": 0, "Rotations": [{"Index": 0, "Speed": 0.5}]}}"#,
                v1,
            ),
            (
                r#"{"FleshlightLaunchFW12Cmd": {"Id": 9, "DeviceIndex": 0, "Position": 100, "Speed": 10}}"#,
                v1,
            ),
            (
                r#"{"VorzeA10CycloneCmd": {"Id": 9, "DeviceIndex": 0, "Speed": 101, "Clockwise": true}}"#,
                v1,
            ),
            (r#"{"RequestLog": {"Id": 9, "LogLevel": "Loud"}}"#, v1),
        ];
        for (msg, version) in bad {
            let text = format!("[{msg}]");
            assert_err(&text, *version, 9, ErrorCode::Message);
        }
        let e = err(
            r#"[{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5}, {"Index": 1, "Speed": 1.5}]}}]"#,
            v1,
        );
        assert_eq!(
            e.message,
            "field Speeds[1].Speed in VibrateCmd must be a number from 0 to 1"
        );
        // bounds are inclusive, integers are fine as floats
        assert!(one(
            r#"[{"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 1}, {"Index": 1, "Speed": 0}]}}]"#,
            v1
        )
        .is_ok());
    }

    #[test]
    fn scalar_cmd_is_not_bounded_at_decode_time() {
        let v3 = Some(SpecVersion::V3);
        assert_eq!(
            one(
                r#"[{"ScalarCmd": {"Id": 5, "DeviceIndex": 2, "Scalars": [{"Index": 1, "Scalar": 1.5, "ActuatorType": "Inflate"}]}}]"#,
                v3
            ),
            Ok(ClientMessage::ScalarCmd {
                id: 5,
                device_index: 2,
                scalars: vec![ScalarSub {
                    index: 1,
                    scalar: 1.5,
                    actuator: "Inflate".into()
                }]
            })
        );
        assert_eq!(
            one(
                r#"[{"ScalarCmd": {"Id": 5, "DeviceIndex": 2, "Scalars": []}}]"#,
                v3
            ),
            Ok(ClientMessage::ScalarCmd {
                id: 5,
                device_index: 2,
                scalars: vec![]
            })
        );
        assert_err(
            r#"[{"ScalarCmd": {"Id": 5, "DeviceIndex": 2, "Scalars": [{"Index": 1, "Scalar": "x", "ActuatorType": "Vibrate"}]}}]"#,
            v3,
            5,
            ErrorCode::Message,
        );
        assert_err(
            r#"[{"ScalarCmd": {"Id": 5, "DeviceIndex": 2, "Scalars": [{"Index": 1, "Scalar": 0.5}]}}]"#,
            v3,
            5,
            ErrorCode::Message,
        );
    }

    #[test]
    fn raw_rssi_test_and_log_messages() {
        for v in [SpecVersion::V2, SpecVersion::V3] {
            let cases = [
                (
                    r#"{"RawWriteCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "tx", "Data": [1, 255], "WriteWithResponse": false}}"#,
                    "RawWriteCmd",
                ),
                (
                    r#"{"RawReadCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "rx", "Length": 0, "WaitForData": true}}"#,
                    "RawReadCmd",
                ),
                (
                    r#"{"RawSubscribeCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "rx"}}"#,
                    "RawSubscribeCmd",
                ),
                (
                    r#"{"RawUnsubscribeCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "rx"}}"#,
                    "RawUnsubscribeCmd",
                ),
            ];
            for (msg, name) in cases {
                let m = one(&format!("[{msg}]"), Some(v)).expect(msg);
                assert_eq!(
                    m,
                    ClientMessage::RawCmd {
                        id: 3,
                        device_index: 1,
                        name
                    }
                );
                assert_eq!(m.name(), name);
            }
            assert_err(
                r#"[{"RawWriteCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "tx", "Data": [], "WriteWithResponse": false}}]"#,
                Some(v),
                3,
                ErrorCode::Message,
            );
            assert_err(
                r#"[{"RawWriteCmd": {"Id": 3, "DeviceIndex": 1, "Endpoint": "tx", "Data": [256], "WriteWithResponse": false}}]"#,
                Some(v),
                3,
                ErrorCode::Message,
            );
        }
        assert_eq!(
            one(
                r#"[{"RSSILevelCmd": {"Id": 4, "DeviceIndex": 0}}]"#,
                Some(SpecVersion::V2)
            ),
            Ok(ClientMessage::RssiLevelCmd {
                id: 4,
                device_index: 0
            })
        );
        for v in [SpecVersion::V0, SpecVersion::V1] {
            assert_eq!(
                one(r#"[{"Test": {"Id": 4, "TestString": "Error"}}]"#, Some(v)),
                Ok(ClientMessage::Test {
                    id: 4,
                    test_string: "Error".into()
                })
            );
            assert_eq!(
                one(
                    r#"[{"RequestLog": {"Id": 4, "LogLevel": "Trace"}}]"#,
                    Some(v)
                ),
                Ok(ClientMessage::RequestLog {
                    id: 4,
                    log_level: "Trace".into()
                })
            );
        }
    }

    // ---------------------------------------------------------------- client round trips

    fn all_v4_messages() -> Vec<ClientMessage> {
        vec![
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "Toy Tester".into(),
                message_version: None,
                protocol_version_major: Some(4),
                protocol_version_minor: Some(0),
            },
            ClientMessage::Ping { id: 2 },
            ClientMessage::StartScanning { id: 3 },
            ClientMessage::StopScanning { id: 4 },
            ClientMessage::RequestDeviceList { id: 5 },
            ClientMessage::OutputCmd {
                id: 6,
                device_index: 1,
                feature_index: 2,
                command: OutputCommand {
                    kind: OutputType::Rotate,
                    value: -7,
                    duration: None,
                },
            },
            ClientMessage::OutputCmd {
                id: 7,
                device_index: 1,
                feature_index: 3,
                command: OutputCommand {
                    kind: OutputType::HwPositionWithDuration,
                    value: 80,
                    duration: Some(350),
                },
            },
            ClientMessage::InputCmd {
                id: 8,
                device_index: 0,
                feature_index: 1,
                input_type: InputType::Pressure,
                command: InputCommand::Unsubscribe,
            },
            ClientMessage::StopCmd {
                id: 9,
                device_index: Some(2),
                feature_index: None,
                inputs: false,
                outputs: true,
            },
            ClientMessage::StopCmd {
                id: 10,
                device_index: None,
                feature_index: None,
                inputs: true,
                outputs: true,
            },
            ClientMessage::Disconnect { id: 11 },
        ]
    }

    fn all_v3_messages() -> Vec<ClientMessage> {
        vec![
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "Old".into(),
                message_version: Some(3),
                protocol_version_major: None,
                protocol_version_minor: None,
            },
            ClientMessage::Ping { id: 2 },
            ClientMessage::RequestDeviceList { id: 3 },
            ClientMessage::StopDeviceCmd {
                id: 4,
                device_index: 1,
            },
            ClientMessage::StopAllDevices { id: 5 },
            ClientMessage::ScalarCmd {
                id: 6,
                device_index: 2,
                scalars: vec![
                    ScalarSub {
                        index: 1,
                        scalar: 0.4,
                        actuator: "Constrict".into(),
                    },
                    ScalarSub {
                        index: 0,
                        scalar: 1.0,
                        actuator: "Vibrate".into(),
                    },
                ],
            },
            ClientMessage::VibrateCmd {
                id: 7,
                device_index: 0,
                speeds: vec![
                    VibrateSub {
                        index: 0,
                        speed: 0.25,
                    },
                    VibrateSub {
                        index: 1,
                        speed: 0.8,
                    },
                ],
            },
            ClientMessage::RotateCmd {
                id: 8,
                device_index: 0,
                rotations: vec![RotateSub {
                    index: 0,
                    speed: 0.5,
                    clockwise: false,
                }],
            },
            ClientMessage::LinearCmd {
                id: 9,
                device_index: 1,
                vectors: vec![LinearSub {
                    index: 0,
                    duration: 250,
                    position: 0.9,
                }],
            },
            ClientMessage::SensorReadCmd {
                id: 10,
                device_index: 0,
                sensor_index: 0,
                sensor_type: "Battery".into(),
            },
            ClientMessage::SensorSubscribeCmd {
                id: 11,
                device_index: 0,
                sensor_index: 1,
                sensor_type: "Pressure".into(),
            },
            ClientMessage::SensorUnsubscribeCmd {
                id: 12,
                device_index: 0,
                sensor_index: 1,
                sensor_type: "Pressure".into(),
            },
        ]
    }

    fn round_trip(msgs: &[ClientMessage], version: SpecVersion) {
        let text = encode_client_frame(msgs, version);
        let decoded = decode_client_frame(&text, Some(version)).expect("frame");
        let decoded: Vec<ClientMessage> = decoded
            .into_iter()
            .map(|r| r.expect("message decodes"))
            .collect();
        assert_eq!(decoded, msgs, "{text}");
    }

    #[test]
    fn client_round_trip_v4() {
        round_trip(&all_v4_messages(), SpecVersion::V4);
        // the handshake alone before negotiation
        let text = encode_client_frame(&all_v4_messages()[..1], SpecVersion::V4);
        assert_eq!(
            text,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Toy Tester","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#
        );
    }

    #[test]
    fn client_round_trip_v3() {
        round_trip(&all_v3_messages(), SpecVersion::V3);
    }

    #[test]
    fn client_round_trip_v0_to_v2() {
        let v2 = vec![
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "c".into(),
                message_version: Some(2),
                protocol_version_major: None,
                protocol_version_minor: None,
            },
            ClientMessage::BatteryLevelCmd {
                id: 2,
                device_index: 0,
            },
            ClientMessage::RssiLevelCmd {
                id: 3,
                device_index: 0,
            },
            ClientMessage::VibrateCmd {
                id: 4,
                device_index: 0,
                speeds: vec![],
            },
        ];
        round_trip(&v2, SpecVersion::V2);
        let v1 = vec![
            ClientMessage::RequestServerInfo {
                id: 1,
                client_name: "c".into(),
                message_version: Some(1),
                protocol_version_major: None,
                protocol_version_minor: None,
            },
            ClientMessage::SingleMotorVibrateCmd {
                id: 2,
                device_index: 0,
                speed: 0.5,
            },
            ClientMessage::FleshlightLaunchFw12Cmd {
                id: 3,
                device_index: 0,
                position: 50,
                speed: 20,
            },
            ClientMessage::VorzeA10CycloneCmd {
                id: 4,
                device_index: 0,
                speed: 30,
                clockwise: true,
            },
            ClientMessage::LovenseCmd {
                id: 5,
                device_index: 0,
                command: "Vibrate:5;".into(),
            },
            ClientMessage::KiirooCmd {
                id: 6,
                device_index: 0,
                command: "3".into(),
            },
            ClientMessage::Test {
                id: 7,
                test_string: "hi".into(),
            },
            ClientMessage::RequestLog {
                id: 8,
                log_level: "Warn".into(),
            },
        ];
        round_trip(&v1, SpecVersion::V1);
        let v0 = vec![ClientMessage::RequestServerInfo {
            id: 1,
            client_name: "c".into(),
            message_version: None,
            protocol_version_major: None,
            protocol_version_minor: None,
        }];
        round_trip(&v0, SpecVersion::V0);
    }

    #[test]
    fn request_server_info_encoding_per_version() {
        let rsi = ClientMessage::RequestServerInfo {
            id: 1,
            client_name: "c".into(),
            message_version: None,
            protocol_version_major: None,
            protocol_version_minor: None,
        };
        assert_eq!(
            encode_client_message(&rsi, SpecVersion::V0),
            json!({"RequestServerInfo": {"Id": 1, "ClientName": "c"}})
        );
        assert_eq!(
            encode_client_message(&rsi, SpecVersion::V2),
            json!({"RequestServerInfo": {"Id": 1, "ClientName": "c", "MessageVersion": 2}})
        );
        assert_eq!(
            encode_client_message(&rsi, SpecVersion::V4),
            json!({"RequestServerInfo": {"Id": 1, "ClientName": "c", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}})
        );
    }

    // ---------------------------------------------------------------- server encoding

    fn example_device() -> DeviceInfo {
        DeviceInfo {
            index: 3,
            name: "Example Combo".into(),
            display_name: None,
            message_timing_gap: 75,
            features: example_combo(),
        }
    }

    fn hush() -> DeviceInfo {
        DeviceInfo {
            index: 0,
            name: "Lovense Hush".into(),
            display_name: None,
            message_timing_gap: 100,
            features: vec![
                DeviceFeature {
                    index: 0,
                    description: String::new(),
                    outputs: vec![FeatureOutput {
                        kind: OutputType::Vibrate,
                        value: (0, 20),
                        duration: None,
                    }],
                    inputs: vec![],
                },
                DeviceFeature {
                    index: 1,
                    description: "battery Level".into(),
                    outputs: vec![],
                    inputs: vec![FeatureInput {
                        kind: InputType::Battery,
                        value: vec![(0, 100)],
                        commands: vec![InputCommand::Read],
                    }],
                },
            ],
        }
    }

    fn handy() -> DeviceInfo {
        DeviceInfo {
            index: 1,
            name: "The Handy".into(),
            display_name: Some("Bedroom stroker".into()),
            message_timing_gap: 100,
            features: vec![DeviceFeature {
                index: 0,
                description: String::new(),
                outputs: vec![FeatureOutput {
                    kind: OutputType::HwPositionWithDuration,
                    value: (0, 100),
                    duration: Some((0, 100_000)),
                }],
                inputs: vec![],
            }],
        }
    }

    const PROTOCOL_V4_DEVICE_LIST: &str = r#"[{"DeviceList": {"Id": 0, "Devices": {
  "0": {"DeviceIndex": 0, "DeviceName": "Lovense Hush", "DeviceMessageTimingGap": 100,
        "DeviceFeatures": {
          "0": {"FeatureIndex": 0, "FeatureDescription": "", "Output": {"Vibrate": {"Value": [0, 20]}}},
          "1": {"FeatureIndex": 1, "FeatureDescription": "battery Level",
                "Input": {"Battery": {"Value": [[0, 100]], "Command": ["Read"]}}}}},
  "1": {"DeviceIndex": 1, "DeviceName": "The Handy", "DeviceDisplayName": "Bedroom stroker",
        "DeviceMessageTimingGap": 100,
        "DeviceFeatures": {
          "0": {"FeatureIndex": 0, "FeatureDescription": "",
                "Output": {"HwPositionWithDuration": {"Value": [0, 100], "Duration": [0, 100000]}}}}}
}}}]"#;

    const PROTOCOL_V3_DEVICE_ADDED: &str = r#"[{"DeviceAdded": {"Id": 0, "DeviceIndex": 1, "DeviceName": "The Handy",
  "DeviceDisplayName": "Bedroom stroker", "DeviceMessageTimingGap": 100,
  "DeviceMessages": {
    "LinearCmd": [{"FeatureDescriptor": "", "ActuatorType": "Position", "StepCount": 100}],
    "StopDeviceCmd": {}}}}]"#;

    #[test]
    fn server_info_forms() {
        let info = ServerMessage::ServerInfo {
            id: 1,
            server_name: "Haptix".into(),
            max_ping_time: 0,
        };
        assert_eq!(
            parse(&encode_server_frame(
                std::slice::from_ref(&info),
                SpecVersion::V4
            )),
            parse(
                r#"[{"ServerInfo": {"Id": 1, "ServerName": "Haptix", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0, "MaxPingTime": 0}}]"#
            )
        );
        let info2 = ServerMessage::ServerInfo {
            id: 1,
            server_name: "Haptix".into(),
            max_ping_time: 1000,
        };
        assert_eq!(
            parse(&encode_server_frame(
                std::slice::from_ref(&info2),
                SpecVersion::V2
            )),
            parse(
                r#"[{"ServerInfo": {"Id": 1, "ServerName": "Haptix", "MessageVersion": 2, "MaxPingTime": 1000}}]"#
            )
        );
        assert_eq!(
            encode_server_message(&info2, SpecVersion::V3),
            json!({"ServerInfo": {"Id": 1, "ServerName": "Haptix", "MessageVersion": 3, "MaxPingTime": 1000}})
        );
        assert_eq!(
            parse(&encode_server_frame(
                std::slice::from_ref(&info),
                SpecVersion::V1
            )),
            parse(
                r#"[{"ServerInfo": {"Id": 1, "ServerName": "Haptix", "MajorVersion": 0, "MinorVersion": 0, "BuildVersion": 0, "MessageVersion": 1, "MaxPingTime": 0}}]"#
            )
        );
        assert_eq!(
            encode_server_message(&info, SpecVersion::V0),
            json!({"ServerInfo": {"Id": 1, "ServerName": "Haptix", "MajorVersion": 0, "MinorVersion": 0, "BuildVersion": 0, "MessageVersion": 0, "MaxPingTime": 0}})
        );
        // exact text, field order included
        assert_eq!(
            encode_server_frame(&[info], SpecVersion::V4),
            r#"[{"ServerInfo":{"Id":1,"ServerName":"Haptix","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}]"#
        );
        // decoded back by a client of every version
        for v in [
            SpecVersion::V0,
            SpecVersion::V1,
            SpecVersion::V2,
            SpecVersion::V3,
            SpecVersion::V4,
        ] {
            let text = encode_server_frame(std::slice::from_ref(&info2), v);
            let back = decode_server_frame(&text, v).expect("frame");
            assert_eq!(back, vec![Ok(info2.clone())], "{v}");
        }
    }

    #[test]
    fn error_ok_and_events_in_every_version() {
        let error = ServerMessage::error(12, ErrorCode::Device, "device index 9 is not connected");
        for v in [
            SpecVersion::V0,
            SpecVersion::V1,
            SpecVersion::V2,
            SpecVersion::V3,
            SpecVersion::V4,
        ] {
            assert_eq!(
                encode_server_message(&error, v),
                json!({"Error": {"Id": 12, "ErrorCode": 4, "ErrorMessage": "device index 9 is not connected"}})
            );
            assert_eq!(
                encode_server_message(&ServerMessage::Ok { id: 3 }, v),
                json!({"Ok": {"Id": 3}})
            );
            assert_eq!(
                encode_server_message(&ServerMessage::ScanningFinished, v),
                json!({"ScanningFinished": {"Id": 0}})
            );
            let frame = encode_server_frame(
                &[
                    error.clone(),
                    ServerMessage::Ok { id: 3 },
                    ServerMessage::ScanningFinished,
                ],
                v,
            );
            let back: Vec<ServerMessage> = decode_server_frame(&frame, v)
                .expect("frame")
                .into_iter()
                .map(|r| r.expect("msg"))
                .collect();
            assert_eq!(
                back,
                vec![
                    error.clone(),
                    ServerMessage::Ok { id: 3 },
                    ServerMessage::ScanningFinished
                ]
            );
        }
        let removed = ServerMessage::DeviceRemoved { device_index: 4 };
        assert_eq!(
            encode_server_message(&removed, SpecVersion::V2),
            json!({"DeviceRemoved": {"Id": 0, "DeviceIndex": 4}})
        );
        assert_eq!(
            decode_server_frame(
                r#"[{"DeviceRemoved": {"Id": 0, "DeviceIndex": 4}}]"#,
                SpecVersion::V3
            )
            .expect("frame"),
            vec![Ok(removed.clone())]
        );
        // not expressible in v4
        let e = encode_server_message(&removed, SpecVersion::V4);
        assert_eq!(e.pointer("/Error/ErrorCode"), Some(&json!(3)));
        assert_eq!(e.pointer("/Error/Id"), Some(&json!(0)));
    }

    #[test]
    fn readings_per_version() {
        let reading = ServerMessage::InputReading {
            id: 30,
            device_index: 0,
            feature_index: 1,
            reading: InputReadingValue::Battery(64),
        };
        assert_eq!(
            encode_server_message(&reading, SpecVersion::V4),
            parse(
                r#"{"InputReading": {"Id": 30, "DeviceIndex": 0, "FeatureIndex": 1, "Reading": {"Battery": {"Value": 64}}}}"#
            )
        );
        for v in [
            SpecVersion::V0,
            SpecVersion::V1,
            SpecVersion::V2,
            SpecVersion::V3,
        ] {
            let e = encode_server_message(&reading, v);
            assert_eq!(e.pointer("/Error/Id"), Some(&json!(30)), "{v}");
            assert_eq!(e.pointer("/Error/ErrorCode"), Some(&json!(3)), "{v}");
        }
        let pressure = ServerMessage::InputReading {
            id: 0,
            device_index: 2,
            feature_index: 0,
            reading: InputReadingValue::Pressure(1187),
        };
        let rssi = ServerMessage::InputReading {
            id: 0,
            device_index: 2,
            feature_index: 3,
            reading: InputReadingValue::Rssi(-70),
        };
        let button = ServerMessage::InputReading {
            id: 0,
            device_index: 2,
            feature_index: 4,
            reading: InputReadingValue::Button(1),
        };
        let all = [reading.clone(), pressure, rssi.clone(), button];
        let text = encode_server_frame(&all, SpecVersion::V4);
        assert!(text.contains(r#""Rssi":{"Value":-70}"#), "{text}");
        let back: Vec<ServerMessage> = decode_server_frame(&text, SpecVersion::V4)
            .expect("frame")
            .into_iter()
            .map(|r| r.expect("msg"))
            .collect();
        assert_eq!(back, all.to_vec());
        // RSSI spelling accepted when parsing
        assert_eq!(
            decode_server_frame(
                r#"[{"InputReading": {"Id": 0, "DeviceIndex": 2, "FeatureIndex": 3, "Reading": {"RSSI": {"Value": -70}}}}]"#,
                SpecVersion::V4
            )
            .expect("frame"),
            vec![Ok(rssi)]
        );
        let sensor = ServerMessage::SensorReading {
            id: 9,
            device_index: 0,
            sensor_index: 0,
            sensor_type: "Battery".into(),
            data: vec![71],
        };
        assert_eq!(
            encode_server_message(&sensor, SpecVersion::V3),
            parse(
                r#"{"SensorReading": {"Id": 9, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Battery", "Data": [71]}}"#
            )
        );
        assert_eq!(
            decode_server_frame(
                &encode_server_frame(std::slice::from_ref(&sensor), SpecVersion::V3),
                SpecVersion::V3
            )
            .expect("frame"),
            vec![Ok(sensor.clone())]
        );
        assert!(encode_server_message(&sensor, SpecVersion::V4)
            .get("Error")
            .is_some());
        let battery = ServerMessage::BatteryLevelReading {
            id: 4,
            device_index: 0,
            battery_level: 0.5,
        };
        assert_eq!(
            encode_server_message(&battery, SpecVersion::V2),
            json!({"BatteryLevelReading": {"Id": 4, "DeviceIndex": 0, "BatteryLevel": 0.5}})
        );
        assert_eq!(
            decode_server_frame(
                &encode_server_frame(std::slice::from_ref(&battery), SpecVersion::V2),
                SpecVersion::V2
            )
            .expect("frame"),
            vec![Ok(battery.clone())]
        );
        assert!(encode_server_message(&battery, SpecVersion::V3)
            .get("Error")
            .is_some());
        let test = ServerMessage::Test {
            id: 2,
            test_string: "x".into(),
        };
        assert_eq!(
            encode_server_message(&test, SpecVersion::V1),
            json!({"Test": {"Id": 2, "TestString": "x"}})
        );
        assert!(encode_server_message(&test, SpecVersion::V2)
            .get("Error")
            .is_some());
        // never panics on odd floats
        let nan = ServerMessage::BatteryLevelReading {
            id: 1,
            device_index: 0,
            battery_level: f64::NAN,
        };
        let _ = encode_server_frame(&[nan], SpecVersion::V2);
    }

    #[test]
    fn v4_device_list_matches_protocol_example() {
        let list = ServerMessage::DeviceList {
            id: 0,
            devices: vec![handy(), hush()],
        };
        assert_eq!(
            parse(&encode_server_frame(
                std::slice::from_ref(&list),
                SpecVersion::V4
            )),
            parse(PROTOCOL_V4_DEVICE_LIST)
        );
        let decoded = decode_server_frame(PROTOCOL_V4_DEVICE_LIST, SpecVersion::V4).expect("frame");
        assert_eq!(
            decoded,
            vec![Ok(ServerMessage::DeviceList {
                id: 0,
                devices: vec![hush(), handy()]
            })]
        );
    }

    #[test]
    fn v4_example_device_of_devices_md() {
        let expected = parse(
            r#"{"DeviceIndex": 3, "DeviceName": "Example Combo", "DeviceMessageTimingGap": 75,
 "DeviceFeatures": {
  "0": {"FeatureIndex": 0, "FeatureDescription": "Shaft", "Output": {"Vibrate": {"Value": [0, 20]}}},
  "1": {"FeatureIndex": 1, "FeatureDescription": "Head", "Output": {"Rotate": {"Value": [-20, 20]}}},
  "2": {"FeatureIndex": 2, "FeatureDescription": "Pump", "Output": {"Constrict": {"Value": [0, 3]}}},
  "3": {"FeatureIndex": 3, "FeatureDescription": "Stroke",
        "Output": {"HwPositionWithDuration": {"Value": [0, 100], "Duration": [0, 100000]}}},
  "4": {"FeatureIndex": 4, "FeatureDescription": "Battery",
        "Input": {"Battery": {"Value": [[0, 100]], "Command": ["Read"]}}}}}"#,
        );
        let list = ServerMessage::DeviceList {
            id: 2,
            devices: vec![example_device()],
        };
        let v = encode_server_message(&list, SpecVersion::V4);
        assert_eq!(v.pointer("/DeviceList/Devices/3"), Some(&expected));
        let back = decode_server_frame(
            &encode_server_frame(std::slice::from_ref(&list), SpecVersion::V4),
            SpecVersion::V4,
        )
        .expect("frame");
        assert_eq!(back, vec![Ok(list)]);
    }

    #[test]
    fn legacy_views_of_example_device() {
        let list = ServerMessage::DeviceList {
            id: 7,
            devices: vec![example_device()],
        };
        let v3 = encode_server_message(&list, SpecVersion::V3);
        assert_eq!(
            v3.pointer("/DeviceList/Devices/0"),
            Some(&parse(
                r#"{"DeviceIndex": 3, "DeviceName": "Example Combo", "DeviceMessageTimingGap": 75,
 "DeviceMessages": {
   "ScalarCmd": [
     {"FeatureDescriptor": "Shaft", "ActuatorType": "Vibrate", "StepCount": 20},
     {"FeatureDescriptor": "Head", "ActuatorType": "Rotate", "StepCount": 20},
     {"FeatureDescriptor": "Pump", "ActuatorType": "Constrict", "StepCount": 3}],
   "RotateCmd": [{"FeatureDescriptor": "Head", "ActuatorType": "Rotate", "StepCount": 20}],
   "LinearCmd": [{"FeatureDescriptor": "Stroke", "ActuatorType": "Position", "StepCount": 100}],
   "SensorReadCmd": [{"FeatureDescriptor": "Battery", "SensorType": "Battery", "SensorRange": [[0, 100]]}],
   "StopDeviceCmd": {}}}"#
            ))
        );
        let v2 = encode_server_message(&list, SpecVersion::V2);
        assert_eq!(
            v2.pointer("/DeviceList/Devices/0/DeviceMessages"),
            Some(&parse(
                r#"{"VibrateCmd": {"FeatureCount": 1, "StepCount": [20]}, "RotateCmd": {"FeatureCount": 1, "StepCount": [20]},
 "LinearCmd": {"FeatureCount": 1, "StepCount": [100]}, "BatteryLevelCmd": {}, "StopDeviceCmd": {}}"#
            ))
        );
        assert_eq!(
            v2.pointer("/DeviceList/Devices/0"),
            Some(&json!({"DeviceIndex": 3, "DeviceName": "Example Combo",
                "DeviceMessages": v2.pointer("/DeviceList/Devices/0/DeviceMessages").cloned()}))
        );
        let v1 = encode_server_message(&list, SpecVersion::V1);
        assert_eq!(
            v1.pointer("/DeviceList/Devices/0/DeviceMessages"),
            Some(&parse(
                r#"{"VibrateCmd": {"FeatureCount": 1}, "RotateCmd": {"FeatureCount": 1}, "LinearCmd": {"FeatureCount": 1},
 "StopDeviceCmd": {}, "SingleMotorVibrateCmd": {}}"#
            ))
        );
        let v0 = encode_server_message(&list, SpecVersion::V0);
        assert_eq!(
            v0.pointer("/DeviceList/Devices/0/DeviceMessages"),
            Some(&json!(["SingleMotorVibrateCmd", "StopDeviceCmd"]))
        );
        assert_eq!(v0.pointer("/DeviceList/Id"), Some(&json!(7)));
        // DeviceAdded carries Id 0 and the same device fields
        let added = ServerMessage::DeviceAdded {
            device: example_device(),
        };
        for v in [
            SpecVersion::V0,
            SpecVersion::V1,
            SpecVersion::V2,
            SpecVersion::V3,
        ] {
            let a = encode_server_message(&added, v);
            let l = encode_server_message(&list, v);
            let mut expected = json!({"Id": 0});
            if let (Some(e), Some(Value::Object(dev))) =
                (expected.as_object_mut(), l.pointer("/DeviceList/Devices/0"))
            {
                for (k, val) in dev {
                    e.insert(k.clone(), val.clone());
                }
            }
            assert_eq!(a.get("DeviceAdded"), Some(&expected), "{v}");
        }
        assert!(encode_server_message(&added, SpecVersion::V4)
            .get("Error")
            .is_some());
    }

    #[test]
    fn device_without_vibrators_in_old_versions() {
        let device = DeviceInfo {
            index: 0,
            name: "Pump".into(),
            display_name: Some("mine".into()),
            message_timing_gap: 0,
            features: vec![DeviceFeature {
                index: 0,
                description: String::new(),
                outputs: vec![FeatureOutput {
                    kind: OutputType::Constrict,
                    value: (0, 3),
                    duration: None,
                }],
                inputs: vec![],
            }],
        };
        let added = ServerMessage::DeviceAdded { device };
        assert_eq!(
            encode_server_message(&added, SpecVersion::V0),
            json!({"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "Pump", "DeviceMessages": ["StopDeviceCmd"]}})
        );
        assert_eq!(
            encode_server_message(&added, SpecVersion::V1),
            json!({"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "Pump", "DeviceMessages": {"StopDeviceCmd": {}}}})
        );
        assert_eq!(
            encode_server_message(&added, SpecVersion::V2),
            json!({"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "Pump", "DeviceMessages": {"StopDeviceCmd": {}}}})
        );
        assert_eq!(
            encode_server_message(&added, SpecVersion::V3),
            json!({"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "Pump", "DeviceDisplayName": "mine",
                "DeviceMessageTimingGap": 0,
                "DeviceMessages": {"ScalarCmd": [{"FeatureDescriptor": "", "ActuatorType": "Constrict", "StepCount": 3}], "StopDeviceCmd": {}}}})
        );
    }

    #[test]
    fn legacy_device_list_is_sorted() {
        let list = ServerMessage::DeviceList {
            id: 1,
            devices: vec![example_device(), handy(), hush()],
        };
        let v = encode_server_message(&list, SpecVersion::V3);
        let idx: Vec<u64> = v
            .pointer("/DeviceList/Devices")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.get("DeviceIndex").and_then(Value::as_u64))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(idx, vec![0, 1, 3]);
    }

    // ---------------------------------------------------------------- server frame decoding

    #[test]
    fn v3_device_added_example() {
        let added = ServerMessage::DeviceAdded { device: handy() };
        assert_eq!(
            parse(&encode_server_frame(
                std::slice::from_ref(&added),
                SpecVersion::V3
            )),
            parse(PROTOCOL_V3_DEVICE_ADDED)
        );
        let decoded =
            decode_server_frame(PROTOCOL_V3_DEVICE_ADDED, SpecVersion::V3).expect("frame");
        let expected = ServerMessage::DeviceAdded {
            device: DeviceInfo {
                index: 1,
                name: "The Handy".into(),
                display_name: Some("Bedroom stroker".into()),
                message_timing_gap: 100,
                features: vec![DeviceFeature {
                    index: 0,
                    description: String::new(),
                    outputs: vec![FeatureOutput {
                        kind: OutputType::HwPositionWithDuration,
                        value: (0, 100),
                        duration: Some((0, 100_000)),
                    }],
                    inputs: vec![],
                }],
            },
        };
        assert_eq!(decoded, vec![Ok(expected)]);
    }

    #[test]
    fn v3_device_list_round_trip_keeps_index_spaces() {
        let list = ServerMessage::DeviceList {
            id: 5,
            devices: vec![example_device(), hush()],
        };
        let text = encode_server_frame(std::slice::from_ref(&list), SpecVersion::V3);
        let decoded = decode_server_frame(&text, SpecVersion::V3).expect("frame");
        let devices = match decoded.as_slice() {
            [Ok(ServerMessage::DeviceList { id: 5, devices })] => devices.clone(),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(devices.len(), 2);
        for (original, got) in [hush(), example_device()].iter().zip(&devices) {
            assert_eq!(got.index, original.index);
            assert_eq!(got.name, original.name);
            assert_eq!(got.message_timing_gap, original.message_timing_gap);
            let a = LegacyView::from_features(&original.features);
            let b = LegacyView::from_features(&got.features);
            assert_eq!(got.features, features_from_v3(&a));
            let key = |v: &LegacyView| {
                (
                    v.scalar
                        .iter()
                        .map(|e| (e.descriptor.clone(), e.kind, e.step_count))
                        .collect::<Vec<_>>(),
                    v.rotate
                        .iter()
                        .map(|e| (e.descriptor.clone(), e.step_count))
                        .collect::<Vec<_>>(),
                    v.linear
                        .iter()
                        .map(|e| (e.descriptor.clone(), e.step_count))
                        .collect::<Vec<_>>(),
                    v.sensor_read
                        .iter()
                        .map(|s| (s.descriptor.clone(), s.kind, s.ranges.clone()))
                        .collect::<Vec<_>>(),
                )
            };
            assert_eq!(key(&a), key(&b));
            // re-encoding the decoded device for v3 gives the same JSON
            let again = ServerMessage::DeviceList {
                id: 5,
                devices: vec![got.clone()],
            };
            let one_list = ServerMessage::DeviceList {
                id: 5,
                devices: vec![original.clone()],
            };
            assert_eq!(
                encode_server_message(&again, SpecVersion::V3),
                encode_server_message(&one_list, SpecVersion::V3)
            );
        }
    }

    #[test]
    fn v2_v1_v0_device_lists_decode() {
        let list = ServerMessage::DeviceList {
            id: 5,
            devices: vec![example_device()],
        };
        // v2 keeps step counts and the battery
        let text = encode_server_frame(std::slice::from_ref(&list), SpecVersion::V2);
        let decoded = decode_server_frame(&text, SpecVersion::V2).expect("frame");
        let Some(Ok(ServerMessage::DeviceList { devices, .. })) = decoded.first() else {
            panic!("unexpected {decoded:?}");
        };
        let view = LegacyView::from_features(&devices.first().expect("one").features);
        assert_eq!(
            view.vibrators()
                .iter()
                .map(|e| e.step_count)
                .collect::<Vec<_>>(),
            vec![20]
        );
        assert_eq!(
            view.rotate.iter().map(|e| e.step_count).collect::<Vec<_>>(),
            vec![20]
        );
        assert_eq!(
            view.linear.iter().map(|e| e.step_count).collect::<Vec<_>>(),
            vec![100]
        );
        assert!(view.has_battery());
        // v2 re-encodes identically
        assert_eq!(
            encode_server_message(
                &ServerMessage::DeviceList {
                    id: 5,
                    devices: devices.clone()
                },
                SpecVersion::V2
            ),
            encode_server_message(&list, SpecVersion::V2)
        );
        // v1: counts only
        let text = encode_server_frame(std::slice::from_ref(&list), SpecVersion::V1);
        let decoded = decode_server_frame(&text, SpecVersion::V1).expect("frame");
        let Some(Ok(ServerMessage::DeviceList { devices, .. })) = decoded.first() else {
            panic!("unexpected {decoded:?}");
        };
        let view = LegacyView::from_features(&devices.first().expect("one").features);
        assert_eq!(view.vibrators().len(), 1);
        assert_eq!(view.rotate.len(), 1);
        assert_eq!(view.linear.len(), 1);
        assert_eq!(
            view.vibrators().first().map(|e| e.step_count),
            Some(DEFAULT_LEGACY_STEP_COUNT)
        );
        // v0: a vibrator if SingleMotorVibrateCmd is listed
        let text = encode_server_frame(std::slice::from_ref(&list), SpecVersion::V0);
        let decoded = decode_server_frame(&text, SpecVersion::V0).expect("frame");
        let Some(Ok(ServerMessage::DeviceList { devices, .. })) = decoded.first() else {
            panic!("unexpected {decoded:?}");
        };
        let view = LegacyView::from_features(&devices.first().expect("one").features);
        assert_eq!(view.vibrators().len(), 1);
        assert!(view.linear.is_empty());
        // absurd FeatureCount is refused
        let e = decode_server_frame(
            r#"[{"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "x", "DeviceMessages": {"VibrateCmd": {"FeatureCount": 4000000000}}}}]"#,
            SpecVersion::V1,
        )
        .expect("frame");
        assert!(matches!(
            e.first(),
            Some(Err(DecodeError {
                code: ErrorCode::Message,
                ..
            }))
        ));
    }

    #[test]
    fn server_frame_errors() {
        let cases: &[(&str, SpecVersion, MessageId)] = &[
            (
                r#"[{"Log": {"Id": 0, "LogLevel": "Info", "LogMessage": "x"}}]"#,
                SpecVersion::V1,
                0,
            ),
            (r#"[{"Bogus": {"Id": 3}}]"#, SpecVersion::V4, 3),
            (r#"[{"Ok": {"Id": 3, "Extra": 1}}]"#, SpecVersion::V4, 3),
            (
                r#"[{"Error": {"Id": 3, "ErrorCode": 9, "ErrorMessage": "x"}}]"#,
                SpecVersion::V4,
                3,
            ),
            (
                r#"[{"InputReading": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 1, "Reading": {"Battery": {"Value": 64}}}}]"#,
                SpecVersion::V3,
                3,
            ),
            (
                r#"[{"InputReading": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 1, "Reading": {"Battery": {"Value": 300}}}}]"#,
                SpecVersion::V4,
                3,
            ),
            (
                r#"[{"InputReading": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 1, "Reading": {"Depth": {"Value": 3}}}}]"#,
                SpecVersion::V4,
                3,
            ),
            (
                r#"[{"DeviceAdded": {"Id": 0, "DeviceIndex": 1, "DeviceName": "x", "DeviceMessages": {}}}]"#,
                SpecVersion::V4,
                0,
            ),
            (
                r#"[{"SensorReading": {"Id": 3, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Battery", "Data": [71]}}]"#,
                SpecVersion::V2,
                3,
            ),
            (
                r#"[{"DeviceList": {"Id": 3, "Devices": []}}]"#,
                SpecVersion::V4,
                3,
            ),
            (
                r#"[{"DeviceList": {"Id": 3, "Devices": {}}}]"#,
                SpecVersion::V3,
                3,
            ),
            (
                r#"[{"DeviceList": {"Id": 3, "Devices": {"1": {"DeviceIndex": 2, "DeviceName": "x", "DeviceMessageTimingGap": 0, "DeviceFeatures": {}}}}}]"#,
                SpecVersion::V4,
                3,
            ),
            (
                r#"[{"DeviceList": {"Id": 3, "Devices": [{"DeviceIndex": 2, "DeviceName": "x", "DeviceMessages": {"ScalarCmd": [{"FeatureDescriptor": "", "ActuatorType": "Tickle", "StepCount": 3}]}}]}}]"#,
                SpecVersion::V3,
                3,
            ),
            // v2 device objects have no DeviceMessageTimingGap
            (
                r#"[{"DeviceList": {"Id": 3, "Devices": [{"DeviceIndex": 2, "DeviceName": "x", "DeviceMessageTimingGap": 0, "DeviceMessages": {}}]}}]"#,
                SpecVersion::V2,
                3,
            ),
        ];
        for (text, version, id) in cases {
            let out = decode_server_frame(text, *version).expect("frame");
            match out.as_slice() {
                [Err(e)] => {
                    assert_eq!(
                        (e.id, e.code),
                        (*id, ErrorCode::Message),
                        "{text}: {}",
                        e.message
                    )
                }
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn v4_device_list_tolerates_unknown_types() {
        let text = r#"[{"DeviceList": {"Id": 1, "Devices": {"0": {"DeviceIndex": 0, "DeviceName": "Future", "DeviceMessageTimingGap": 0,
            "DeviceFeatures": {
              "0": {"FeatureIndex": 0, "FeatureDescription": "a", "Output": {"Tickle": {"Value": [0, 5]}, "Vibrate": {"Value": [0, 10]}}},
              "2": {"FeatureIndex": 2, "FeatureDescription": "b", "Output": {"Tickle": {"Value": [0, 5]}}},
              "3": {"FeatureIndex": 3, "FeatureDescription": "c", "Input": {"Pressure": {"Value": [[0, 2000]], "Command": ["Subscribe", "Stream"]}}}}}}}}]"#;
        let out = decode_server_frame(text, SpecVersion::V4).expect("frame");
        let Some(Ok(ServerMessage::DeviceList { devices, .. })) = out.first() else {
            panic!("unexpected {out:?}");
        };
        let d = devices.first().expect("device");
        assert_eq!(d.features.len(), 2);
        assert_eq!(
            d.feature(0).map(|f| f.outputs.clone()),
            Some(vec![FeatureOutput {
                kind: OutputType::Vibrate,
                value: (0, 10),
                duration: None
            }])
        );
        assert_eq!(
            d.feature(3)
                .and_then(|f| f.input(InputType::Pressure))
                .map(|i| i.commands.clone()),
            Some(vec![InputCommand::Subscribe])
        );
    }

    #[test]
    fn decode_error_conversions() {
        let e = DecodeError::new(4, ErrorCode::Message, "unknown field X in Ping");
        assert_eq!(e.to_string(), "unknown field X in Ping");
        assert_eq!(
            e.to_server_message(),
            ServerMessage::error(4, ErrorCode::Message, "unknown field X in Ping")
        );
        let m: ServerMessage = e.into();
        assert_eq!(m.id(), 4);
    }

    /// Rough speed check: run with `cargo test --release --lib core::json -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn output_cmd_decode_speed() {
        let text = r#"[{"OutputCmd": {"Id": 21, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 7}}}}]"#;
        let n = 200_000u32;
        let start = std::time::Instant::now();
        for _ in 0..n {
            let v = decode_client_frame(std::hint::black_box(text), Some(SpecVersion::V4));
            std::hint::black_box(v).ok();
        }
        let per = start.elapsed() / n;
        println!("OutputCmd decode: {per:?} per frame");
        let msgs = [ServerMessage::Ok { id: 21 }];
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(encode_server_frame(
                std::hint::black_box(&msgs),
                SpecVersion::V4,
            ));
        }
        println!("Ok encode: {:?} per frame", start.elapsed() / n);
    }
}
