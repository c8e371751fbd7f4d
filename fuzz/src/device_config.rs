//! `device_config`: the device configuration loaders.
//!
//! Input: one selector byte, then the file. The selector picks the loader: the official base
//! format (v4 and v5, `DeviceConfigManager::from_json`), the compact form the library embeds
//! (`from_compact_json`), or a user configuration (`load_user_json`) laid over a small base.
//! Whatever loads is then used the way the server uses it: candidates for each specifier,
//! definitions resolved for each identifier, the features and legacy views clients are shown,
//! value conversions at the ends of each range, and both write-backs (compact form, user file),
//! which must load again and write the same text.

use haptix::core::json::legacy_device_messages;
use haptix::core::legacy::LegacyView;
use haptix::core::types::SpecVersion;
use haptix::device::config::{DeviceConfigManager, DeviceIdentifier};
use haptix::device::definition::{DeviceDefinition, FloatRule};

use crate::Reader;

/// The base a user configuration is laid over: three protocols, one with defaults and
/// configurations, one serial, one without defaults.
pub const SMALL_BASE: &str = r#"{
  "version": {"major": 5, "minor": 1},
  "protocols": {
    "lovense": {
      "communication": [{"btle": {"names": ["LVS-*"], "services": {
        "50300001-0023-4bd4-bbd5-a6920e4c5653": {"tx": "50300002-0023-4bd4-bbd5-a6920e4c5653",
                                                 "rx": "50300003-0023-4bd4-bbd5-a6920e4c5653"}}}}],
      "defaults": {"name": "Lovense Device", "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e10",
        "features": [
          {"index": 0, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e11", "output": {"vibrate": {"value": [0, 20]}}},
          {"index": 1, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e12",
           "input": {"battery": {"value": [[0, 100]], "command": ["Read"]}}}]},
      "configurations": [
        {"identifier": ["Z"], "name": "Lovense Hush", "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e13"},
        {"identifier": ["A"], "name": "Lovense Nora", "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e14",
         "features": [
           {"index": 0, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e15", "output": {"vibrate": {"value": [0, 20]}}},
           {"index": 1, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e16", "output": {"rotate": {"value": [-20, 20]}}},
           {"index": 2, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e17",
            "output": {"hw_position_with_duration": {"value": [0, 100], "duration": [0, 10000]}}}]}]
    },
    "kizuna": {
      "communication": [{"serial": {"port": "default", "baud_rate": 19200, "data_bits": 8, "parity": "N", "stop_bits": 1}}],
      "defaults": {"name": "Kizuna Smart", "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e20",
        "features": [{"index": 0, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e21", "output": {"rotate": {"value": [0, 9]}}}]}
    },
    "simulated": {
      "communication": [{"simulated": {"names": ["simulated-1vibe"]}}],
      "configurations": [{"identifier": ["simulated-1vibe"], "name": "Simulated Vibrator",
        "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e30",
        "features": [{"index": 0, "id": "9e3b6f1a-0c4d-4e8a-9b71-2f5d8c3a6e31", "output": {"vibrate": {"value": [0, 10]}}}]}]
    }
  }
}"#;

/// The small base, loaded.
pub fn small_base() -> DeviceConfigManager {
    match DeviceConfigManager::from_json(SMALL_BASE.as_bytes()) {
        Ok(m) => m,
        Err(e) => panic!("the fuzz target's own base does not load: {e}"),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Reader::new(data);
    let selector = input.byte();
    let file = input.rest();
    match selector % 3 {
        0 => {
            if let Ok(m) = DeviceConfigManager::from_json(file) {
                use_config(&m);
                compact_round_trip(&m);
            }
        }
        1 => {
            let text = String::from_utf8_lossy(file);
            if let Ok(m) = DeviceConfigManager::from_compact_json(&text) {
                use_config(&m);
                compact_round_trip(&m);
            }
        }
        _ => {
            let m = small_base();
            if m.load_user_json(file).is_ok() {
                use_config(&m);
                user_round_trip(&m);
            }
        }
    }
}

/// Does with a loaded configuration what the server does with it.
fn use_config(m: &DeviceConfigManager) {
    let _ = m.version();
    let _ = m.definition_count();
    let _ = m.serial_ports();
    let _ = m.hid_ids();
    let _ = m.simulated_devices();
    let mut address = 0u32;
    for p in m.protocols() {
        let mut specifiers = p.communication.clone();
        specifiers.extend(m.user_specifiers(&p.name));
        for s in &specifiers {
            let _ = s.bus();
            let _ = m.candidates(s, &|_| true);
        }
        let identifiers = p
            .configurations
            .iter()
            .flat_map(|d| d.identifiers.iter().cloned().map(Some))
            .chain([None, Some(String::new())]);
        for identifier in identifiers.take(64) {
            address += 1;
            let id = DeviceIdentifier {
                address: format!("fuzz-{address}"),
                protocol: p.name.clone(),
                identifier,
            };
            let _ = m.is_allowed(&id.address);
            m.reserve_index(&id.address);
            if let Some(def) = m.resolve(&id) {
                use_definition(&def);
            }
            if let Some(def) = m.user_device(&id) {
                use_definition(&def);
            }
        }
    }
}

/// What a client is shown of a definition, and the value maths at the ends of each range.
fn use_definition(def: &DeviceDefinition) {
    let _ = def.effective_gap_ms();
    let features = def.advertised_features();
    let view = LegacyView::from_features(&features);
    let _ = view.vibrators();
    let _ = view.has_battery();
    for version in [
        SpecVersion::V0,
        SpecVersion::V1,
        SpecVersion::V2,
        SpecVersion::V3,
    ] {
        let _ = legacy_device_messages(&view, version);
    }
    for feature in &def.features {
        let _ = feature.advertised();
        let _ = feature.stop_output();
        let _ = feature.has_subscribable_input();
        for output in &feature.outputs {
            let advertised = output.advertised();
            for step in [
                advertised.value.0,
                advertised.value.1,
                0,
                1,
                -1,
                i32::MIN,
                i32::MAX,
            ] {
                let _ = output.device_value(step);
            }
            for f in [0.0, 0.5, 1.0, -1.0, 1e-9] {
                for rule in [FloatRule::Value, FloatRule::Position, FloatRule::Linear] {
                    let _ = output.float_to_step(f, rule);
                }
            }
            if let Some((lo, hi)) = advertised.duration {
                for d in [lo, hi, 0, u32::MAX] {
                    let _ = output.check_duration(d);
                }
            }
        }
    }
}

/// The compact form must load again and write the same text.
fn compact_round_trip(m: &DeviceConfigManager) {
    let text = m.to_compact_json();
    let again = match DeviceConfigManager::from_compact_json(&text) {
        Ok(again) => again,
        Err(e) => panic!("compact form written by the library does not load: {e}\n{text}"),
    };
    assert_eq!(again.to_compact_json(), text, "compact form is not stable");
    assert_eq!(
        again.protocols(),
        m.protocols(),
        "compact form loses protocols"
    );
}

/// The user file written back must load over a fresh base and write the same text.
fn user_round_trip(m: &DeviceConfigManager) {
    let text = m.user_config_json();
    let fresh = small_base();
    if let Err(e) = fresh.load_user_json(text.as_bytes()) {
        panic!("user file written by the library does not load: {e}\n{text}");
    }
    assert_eq!(fresh.user_config_json(), text, "user file is not stable");
}
