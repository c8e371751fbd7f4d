//! Server side, client → server: decoding a client's frame text into [`ClientMessage`]s,
//! each checked against the negotiated spec version (v0–v4); before the handshake only
//! `RequestServerInfo` is accepted, in the form of any version.

use serde_json::Value;

use super::reader::{parse_frame, peek_id, split_message, Reader};
use super::{DResult, DecodeError};
use crate::core::messages::{
    ClientMessage, LinearSub, MessageId, OutputCommand, RotateSub, ScalarSub, VibrateSub,
};
use crate::core::types::{ErrorCode, InputCommand, InputType, OutputType, SpecVersion};

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

/// The Id of a client message: `1..=u32::MAX`.
fn client_id(r: &mut Reader<'_>) -> DResult<MessageId> {
    let v = r.req("Id")?;
    v.as_u64()
        .filter(|n| *n >= 1)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| r.invalid("Id", "an integer from 1 to 4294967295"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::encode_server_frame;
    use crate::core::json::test_support::{assert_err, err, one, v4};
    use crate::core::messages::ServerMessage;

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
