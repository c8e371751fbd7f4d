//! Client side, client → server: encoding [`ClientMessage`]s for a server speaking spec
//! v0–v4. Each message keeps its own wire form; only `RequestServerInfo` changes shape with
//! the version.

use serde_json::{Map, Value};

use super::{array_text, obj, wrap, JsonObject};
use crate::core::messages::{ClientMessage, MessageId};
use crate::core::types::{OutputType, SpecVersion};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::decode_client_frame;
    use crate::core::messages::{LinearSub, OutputCommand, RotateSub, ScalarSub, VibrateSub};
    use crate::core::types::{InputCommand, InputType};
    use serde_json::json;

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
}
