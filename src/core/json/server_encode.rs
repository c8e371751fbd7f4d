//! Server side, server → client: encoding [`ServerMessage`]s in the form of the client's spec
//! version (v0–v4), device objects included (v4 feature maps, v0–v3 `DeviceMessages`). A
//! message the version cannot express is written as an `Error` (code 3) instead.

use serde_json::{Map, Value};

use super::{array_text, obj, range_value, wrap, JsonObject};
use crate::core::legacy::{LegacyEntry, LegacyView};
use crate::core::messages::{DeviceFeature, DeviceInfo, MessageId, ServerMessage};
use crate::core::types::{ErrorCode, SpecVersion};

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
        ServerMessage::Error {
            id, code, message, ..
        } => error_value(*id, *code, message),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::decode_server_frame;
    use crate::core::json::test_support::{example_device, handy, hush, parse};
    use crate::core::messages::{FeatureOutput, InputReadingValue};
    use crate::core::types::OutputType;
    use serde_json::json;

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
}
