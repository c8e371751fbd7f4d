//! The device configuration database (official format, major versions 4 and 5), the user
//! configuration overlay, protocol matching and device index allocation.
//!
//! - [`DeviceConfigManager`] loads the base database (the built-in compact copy, or an official
//!   JSON file), overlays user files, finds candidate protocols for discovered hardware and
//!   resolves identified devices to per-device [`DeviceDefinition`]s with their device index.
//! - [`specifier`] (which lives with the buses, in `hwmgr`, and is re-exported here) holds the
//!   bus specifiers and their matching rules; [`DeviceConfigManager`] tells the buses which
//!   devices to look for through [`KnownDevices`](crate::hwmgr::KnownDevices).
//!
//! [`DeviceDefinition`]: crate::device::definition::DeviceDefinition

mod compact;
mod manager;
mod official;
mod user;

pub use crate::hwmgr::specifier::{self, *};
pub use manager::{
    Candidate, DeviceConfigManager, DeviceIdentifier, ProtocolDefinition, BUILTIN_DATABASE,
};
pub use user::SimulatedDevice;

/// Fixtures shared by the tests of the configuration files: a small base database with
/// inheritance, a misspelled configuration list and a protocol without defaults, and builders
/// of user files.
#[cfg(test)]
mod test_support {
    use serde_json::{json, Value};

    use super::{DeviceConfigManager, DeviceIdentifier};

    pub(super) const U: [&str; 12] = [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
        "00000000-0000-4000-8000-000000000004",
        "00000000-0000-4000-8000-000000000005",
        "00000000-0000-4000-8000-000000000006",
        "00000000-0000-4000-8000-000000000007",
        "00000000-0000-4000-8000-000000000008",
        "00000000-0000-4000-8000-000000000009",
        "00000000-0000-4000-8000-00000000000a",
        "00000000-0000-4000-8000-00000000000b",
        "00000000-0000-4000-8000-00000000000c",
    ];

    const SVC: &str = "0000aa00-0000-1000-8000-00805f9b34fb";
    const CHR: &str = "0000aa01-0000-1000-8000-00805f9b34fb";

    pub(super) fn base_doc() -> Value {
        json!({
            "version": {"major": 4, "minor": 7},
            "protocols": {
                "acme": {
                    "communication": [{"btle": {"names": ["ACME-*", "Shared"], "services": {SVC: {"tx": CHR}}}}],
                    "defaults": {
                        "name": "Acme Device", "id": U[0], "protocol_variant": "gen1", "message_gap_ms": 30,
                        "features": [
                            {"index": 1, "id": U[2], "input": {"battery": {"value": [[0, 100]], "command": ["Read", "Read"]}}},
                            {"index": 0, "id": U[1], "description": "Head",
                             "output": {"rotate": {"value": [-20, 20]}, "vibrate": {"value": [0, 20]}}}
                        ]
                    },
                    "configurations": [
                        {"identifier": ["A1", "A1b"], "name": "Acme One", "id": U[3]},
                        {"identifier": ["A2"], "name": "Acme Two", "id": U[4], "protocol_variant": "gen2",
                         "features": [{"index": 0, "id": U[5], "output": {
                            "hw_position_with_duration": {"value": [0, 100], "duration": [0, 5000]},
                            "position": {"value": [0, 100]}}}]},
                        {"identifier": ["A1"], "name": "Acme One Later", "id": U[6]}
                    ]
                },
                "other": {
                    "communication": [{"btle": {"names": ["Shared", "Other"], "services": {SVC: {"tx": CHR}}}},
                                      {"serial": {"port": "default", "baud_rate": 115200, "data_bits": 8, "parity": "N", "stop_bits": 1}}],
                    "defaults": {"name": "Other Device", "id": U[7],
                        "features": [{"index": 0, "id": U[8], "output": {"vibrate": {"value": [0, 10]}}}]},
                    "configuration": [{"identifier": ["O1"], "name": "Other One", "id": U[9]}]
                },
                "lonely": {
                    "communication": [{"btle": {"names": ["Lonely"], "services": {SVC: {"tx": CHR}}}}],
                    "configurations": [{"identifier": ["L"], "name": "Lonely L", "id": U[10], "features": []}]
                }
            }
        })
    }

    pub(super) fn manager() -> DeviceConfigManager {
        DeviceConfigManager::from_json(base_doc().to_string().as_bytes()).unwrap()
    }

    pub(super) fn ident(
        address: &str,
        protocol: &str,
        identifier: Option<&str>,
    ) -> DeviceIdentifier {
        DeviceIdentifier {
            address: address.to_string(),
            protocol: protocol.to_string(),
            identifier: identifier.map(str::to_string),
        }
    }

    pub(super) fn user_doc(devices: Value) -> Vec<u8> {
        json!({"version": {"major": 4, "minor": 0}, "user_configs": {"devices": devices}})
            .to_string()
            .into_bytes()
    }

    pub(super) fn device_entry(
        address: &str,
        protocol: &str,
        identifier: Option<&str>,
        base_id: &str,
        features: Value,
        uc: Value,
    ) -> Value {
        json!({
            "identifier": {"address": address, "protocol": protocol, "identifier": identifier},
            "config": {"id": "11111111-2222-4333-8444-555555555555", "base_id": base_id,
                       "features": features, "user_config": uc}
        })
    }

    /// User features for the acme defaults (two base features) with the given output overrides
    /// for feature 0.
    pub(super) fn acme_features(output: Value) -> Value {
        json!([
            {"id": "aaaaaaaa-0000-4000-8000-000000000001", "base_id": U[1], "output": output},
            {"id": "aaaaaaaa-0000-4000-8000-000000000002", "base_id": U[2]}
        ])
    }

    pub(super) fn plain_uc(index: u32) -> Value {
        json!({"allow": false, "deny": false, "index": index})
    }
}
