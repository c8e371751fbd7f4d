//! Client side, server → client: decoding a server's frame text into [`ServerMessage`]s for
//! the negotiated spec version (v0–v4). v4 device maps are read as they are; v0–v3 device
//! objects become features through the legacy views (`core::legacy`).

use serde_json::Value;

use super::reader::{parse_frame, peek_id, split_message, Reader};
use super::{DResult, DecodeError};
use crate::core::legacy::{features_from_v3, LegacyEntry, LegacySensor, LegacyView, SCALAR_ORDER};
use crate::core::messages::{
    DeviceFeature, DeviceInfo, FeatureInput, FeatureOutput, InputReadingValue, ServerMessage,
};
use crate::core::types::{ErrorCode, InputCommand, InputType, OutputType, SpecVersion};

/// Step count assumed for legacy (v0/v1) device attributes that carry no step count.
pub const DEFAULT_LEGACY_STEP_COUNT: u32 = 100;

/// Largest `FeatureCount` accepted in v1/v2 device attributes (guards against huge allocations).
const MAX_LEGACY_FEATURES: u32 = 1024;

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
            ServerMessage::Error {
                id,
                code,
                message,
                // the wire carries no detail
                kind: None,
            }
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
    use crate::core::json::test_support::{example_device, handy, hush, parse};
    use crate::core::json::{encode_server_frame, encode_server_message};
    use crate::core::messages::MessageId;

    const PROTOCOL_V3_DEVICE_ADDED: &str = r#"[{"DeviceAdded": {"Id": 0, "DeviceIndex": 1, "DeviceName": "The Handy",
  "DeviceDisplayName": "Bedroom stroker", "DeviceMessageTimingGap": 100,
  "DeviceMessages": {
    "LinearCmd": [{"FeatureDescriptor": "", "ActuatorType": "Position", "StepCount": 100}],
    "StopDeviceCmd": {}}}}]"#;

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
}
