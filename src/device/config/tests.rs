//! Unit tests of the configuration manager: loading, inheritance, user overlay, candidates,
//! index allocation, allow/deny, write-back and robustness.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::core::types::{InputCommand, InputType, OutputType};
use crate::error::ConfigError;

const U: [&str; 12] = [
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

fn base_doc() -> Value {
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

fn manager() -> DeviceConfigManager {
    DeviceConfigManager::from_json(base_doc().to_string().as_bytes()).unwrap()
}

fn ident(address: &str, protocol: &str, identifier: Option<&str>) -> DeviceIdentifier {
    DeviceIdentifier {
        address: address.to_string(),
        protocol: protocol.to_string(),
        identifier: identifier.map(str::to_string),
    }
}

fn user_doc(devices: Value) -> Vec<u8> {
    json!({"version": {"major": 4, "minor": 0}, "user_configs": {"devices": devices}})
        .to_string()
        .into_bytes()
}

fn device_entry(
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
fn acme_features(output: Value) -> Value {
    json!([
        {"id": "aaaaaaaa-0000-4000-8000-000000000001", "base_id": U[1], "output": output},
        {"id": "aaaaaaaa-0000-4000-8000-000000000002", "base_id": U[2]}
    ])
}

fn plain_uc(index: u32) -> Value {
    json!({"allow": false, "deny": false, "index": index})
}

#[test]
fn loads_base_with_inheritance_and_order() {
    let m = manager();
    assert_eq!(m.version(), (4, 7));
    let names: Vec<&str> = m.protocols().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["acme", "other", "lonely"]);
    // acme: defaults + 3, other: defaults + 1 (misspelled list), lonely: 1
    assert_eq!(m.definition_count(), 7);

    let acme = m.protocol("acme").unwrap();
    let defaults = acme.defaults.as_ref().unwrap();
    assert!(defaults.identifiers.is_empty());
    // features sorted by index; outputs in OutputType::ALL order; commands deduplicated
    assert_eq!(defaults.features[0].index, 0);
    assert_eq!(defaults.features[0].description, "Head");
    let kinds: Vec<OutputType> = defaults.features[0]
        .outputs
        .iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(kinds, [OutputType::Vibrate, OutputType::Rotate]);
    assert_eq!(
        defaults.features[0]
            .output(OutputType::Rotate)
            .unwrap()
            .base_range,
        (-20, 20)
    );
    let battery = defaults.features[1].input(InputType::Battery).unwrap();
    assert_eq!(battery.commands, [InputCommand::Read]);
    assert_eq!(battery.value, [(0, 100)]);

    // configuration without features/variant/gap inherits them as a whole
    let one = &acme.configurations[0];
    assert_eq!(one.identifiers, ["A1", "A1b"]);
    assert_eq!(one.name, "Acme One");
    assert_eq!(one.features, defaults.features);
    assert_eq!(one.protocol_variant.as_deref(), Some("gen1"));
    assert_eq!(one.message_gap_ms, Some(30));
    // configuration with its own features replaces the list; its variant wins; gap inherited
    let two = &acme.configurations[1];
    assert_eq!(two.features.len(), 1);
    let kinds: Vec<OutputType> = two.features[0].outputs.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [OutputType::Position, OutputType::HwPositionWithDuration]
    );
    assert_eq!(
        two.features[0]
            .output(OutputType::HwPositionWithDuration)
            .unwrap()
            .base_duration,
        Some((0, 5000))
    );
    assert_eq!(two.protocol_variant.as_deref(), Some("gen2"));
    assert_eq!(two.message_gap_ms, Some(30));
    // misspelled `configuration` accepted deliberately
    let other = m.protocol("other").unwrap();
    assert_eq!(other.configurations.len(), 1);
    assert_eq!(
        other.configurations[0].features,
        other.defaults.as_ref().unwrap().features
    );
    assert_eq!(other.communication.len(), 2);
    // explicit empty feature list stays empty; no defaults
    let lonely = m.protocol("lonely").unwrap();
    assert!(lonely.defaults.is_none());
    assert!(lonely.configurations[0].features.is_empty());
}

#[test]
fn compact_form_round_trips() {
    let m = manager();
    let compact = m.to_compact_json();
    assert!(
        !compact.contains(' ') || compact.contains("Acme "),
        "no whitespace padding"
    );
    let back = DeviceConfigManager::from_compact_json(&compact).unwrap();
    assert_eq!(back.version(), m.version());
    assert_eq!(back.protocols(), m.protocols());
    assert_eq!(back.to_compact_json(), compact);
}

#[test]
fn major_versions_other_than_4_and_5_are_rejected() {
    for major in [0u32, 3, 6, 99] {
        let mut doc = base_doc();
        doc["version"]["major"] = json!(major);
        let err = DeviceConfigManager::from_json(doc.to_string().as_bytes()).unwrap_err();
        assert_eq!(err, ConfigError::Version(major));
        let m = manager();
        let user = json!({"version": {"major": major, "minor": 0}}).to_string();
        assert_eq!(
            m.load_user_json(user.as_bytes()).unwrap_err(),
            ConfigError::Version(major)
        );
    }
    let mut doc = base_doc();
    doc["version"]["major"] = json!(5);
    assert_eq!(
        DeviceConfigManager::from_json(doc.to_string().as_bytes())
            .unwrap()
            .version(),
        (5, 7)
    );
    let m = manager();
    m.load_user_json(br#"{"version": {"major": 5, "minor": 3}}"#)
        .unwrap();
    assert!(matches!(
        DeviceConfigManager::from_json(br#"{"protocols": {}}"#),
        Err(ConfigError::Invalid(_))
    ));
}

#[test]
fn errors_name_protocol_and_field() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| {
                d["protocols"]["acme"]["defaults"]["features"][1]["output"] =
                    json!({"wiggle": {"value": [0, 1]}})
            }),
            "unknown output type `wiggle`",
        ),
        (
            Box::new(|d| {
                d["protocols"]["acme"]["defaults"]["features"][0]["input"] =
                    json!({"smell": {"value": [[0, 1]], "command": ["Read"]}})
            }),
            "unknown input type `smell`",
        ),
        (
            Box::new(|d| d["protocols"]["acme"]["configurations"][0]["id"] = json!("not-a-uuid")),
            "configurations[0].id",
        ),
        (
            Box::new(|d| {
                d["protocols"]["acme"]["defaults"]["features"][1]["output"]["vibrate"]["value"] =
                    json!([5, 3])
            }),
            "empty range [5, 3]",
        ),
        (
            Box::new(|d| {
                d["protocols"]["acme"]["defaults"]["features"][0]["input"]["battery"]["command"] =
                    json!(["Sniff"])
            }),
            "unknown input command `Sniff`",
        ),
        (
            Box::new(|d| {
                d["protocols"]["other"]["communication"][0] = json!({"carrier-pigeon": {}})
            }),
            "unknown bus kind `carrier-pigeon`",
        ),
        (
            Box::new(|d| d["protocols"]["acme"]["configurations"][1]["colour"] = json!("red")),
            "unknown field `colour`",
        ),
        (
            Box::new(|d| d["protocols"]["acme"]["configurations"][1]["identifier"] = json!([])),
            "must not be empty",
        ),
        (
            Box::new(|d| d["protocols"]["acme"]["defaults"]["features"][0]["index"] = json!(0)),
            "duplicate feature index 0",
        ),
        (
            Box::new(|d| {
                d["protocols"]["acme"]["defaults"]["features"][1]["output"]["vibrate"]["duration"] =
                    json!([0, 5])
            }),
            "unknown field `duration`",
        ),
    ];
    for (edit, needle) in cases {
        let mut doc = base_doc();
        edit(&mut doc);
        let err = DeviceConfigManager::from_json(doc.to_string().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
        assert!(
            err.contains("protocol `"),
            "{err:?} should name the protocol"
        );
    }
    // a negative lower bound is kept as given; a positive one too (only the sign matters)
    let mut doc = base_doc();
    doc["protocols"]["acme"]["defaults"]["features"][1]["output"] =
        json!({"vibrate": {"value": [3, 9]}});
    let m = DeviceConfigManager::from_json(doc.to_string().as_bytes()).unwrap();
    let f = m
        .protocol("acme")
        .unwrap()
        .defaults
        .as_ref()
        .unwrap()
        .feature(0)
        .unwrap();
    assert_eq!(f.output(OutputType::Vibrate).unwrap().base_range, (3, 9));
}

#[test]
fn resolve_lookup_order_and_derivation() {
    let m = manager();
    // configuration by identifier; duplicate identifiers: the later entry wins
    let d = m.resolve(&ident("addr-1", "acme", Some("A1"))).unwrap();
    assert_eq!(d.name, "Acme One Later");
    assert_eq!(d.base_id.as_deref(), Some(U[6]));
    assert_ne!(d.id, U[6]);
    assert_eq!(d.identifiers, ["A1"]);
    assert_eq!(d.user.index, Some(0));
    assert_eq!(d.protocol_variant.as_deref(), Some("gen1"));
    assert_eq!(d.message_gap_ms, Some(30));
    assert_eq!(d.features.len(), 2);
    for (f, base) in d.features.iter().zip(
        &m.protocol("acme")
            .unwrap()
            .defaults
            .as_ref()
            .unwrap()
            .features,
    ) {
        assert_eq!(f.base_id.as_deref(), Some(base.id.as_str()));
        assert_ne!(f.id, base.id);
        assert_eq!(f.outputs, base.outputs);
        assert_eq!(f.inputs, base.inputs);
        assert!(official::is_uuid(&f.id));
    }
    // second identifier of the same configuration
    assert_eq!(
        m.resolve(&ident("addr-2", "acme", Some("A1b")))
            .unwrap()
            .name,
        "Acme One"
    );
    // unknown identifier and no identifier fall back to defaults
    assert_eq!(
        m.resolve(&ident("addr-3", "acme", Some("zzz")))
            .unwrap()
            .name,
        "Acme Device"
    );
    assert_eq!(
        m.resolve(&ident("addr-4", "acme", None)).unwrap().name,
        "Acme Device"
    );
    // misspelled list is a lookup key too
    assert_eq!(
        m.resolve(&ident("addr-5", "other", Some("O1")))
            .unwrap()
            .name,
        "Other One"
    );
    // no defaults and no match, unknown protocol: nothing
    assert!(m.resolve(&ident("addr-6", "lonely", Some("x"))).is_none());
    assert!(m.resolve(&ident("addr-7", "nope", None)).is_none());
    // identifiers are compared exactly
    assert_eq!(
        m.resolve(&ident("addr-8", "acme", Some("a1")))
            .unwrap()
            .name,
        "Acme Device"
    );
    // resolving the same triple again returns the stored definition
    let again = m.resolve(&ident("addr-1", "acme", Some("A1"))).unwrap();
    assert_eq!(again, d);
    assert_eq!(m.user_device(&ident("addr-1", "acme", Some("A1"))), Some(d));
}

#[test]
fn index_allocation_reserves_fills_gaps_and_never_reuses() {
    let m = manager();
    let doc = user_doc(json!([
        device_entry(
            "res-0",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            plain_uc(0)
        ),
        device_entry(
            "res-2",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            plain_uc(2)
        ),
        device_entry(
            "res-5",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            plain_uc(5)
        ),
    ]));
    m.load_user_json(&doc).unwrap();
    // reserved index for the exact triple
    assert_eq!(
        m.resolve(&ident("res-2", "acme", None)).unwrap().user.index,
        Some(2)
    );
    // a different identifier is a different triple
    let other_triple = m.resolve(&ident("res-2", "acme", Some("A2"))).unwrap();
    assert_eq!(other_triple.user.index, Some(1));
    // gaps are filled, reserved indexes skipped
    let next: Vec<Option<u32>> = ["n1", "n2", "n3", "n4"]
        .iter()
        .map(|a| m.resolve(&ident(a, "acme", None)).unwrap().user.index)
        .collect();
    assert_eq!(next, [Some(3), Some(4), Some(6), Some(7)]);
    // stable for the same triple
    assert_eq!(
        m.resolve(&ident("n2", "acme", None)).unwrap().user.index,
        Some(4)
    );
    // a new device never gets an index given earlier, even if a user file reuses triples
    m.load_user_json(&user_doc(json!([device_entry(
        "n1",
        "acme",
        None,
        U[0],
        acme_features(Value::Null),
        plain_uc(9)
    )])))
    .unwrap();
    assert_eq!(
        m.resolve(&ident("n1", "acme", None)).unwrap().user.index,
        Some(9)
    );
    assert_eq!(
        m.resolve(&ident("n5", "acme", None)).unwrap().user.index,
        Some(8)
    );
    assert_eq!(
        m.resolve(&ident("n6", "acme", None)).unwrap().user.index,
        Some(10)
    );
}

#[test]
fn index_allocation_is_atomic_across_threads() {
    let m = Arc::new(manager());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        m.resolve(&ident(&format!("t{t}-{i}"), "acme", Some("A2")))
                            .unwrap()
                            .user
                            .index
                            .unwrap()
                    })
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut all: Vec<u32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..200).collect::<Vec<u32>>());
}

#[test]
fn allow_and_deny_modes() {
    let m = manager();
    assert!(m.is_allowed("anything"));
    let uc =
        |allow: bool, deny: bool, index: u32| json!({"allow": allow, "deny": deny, "index": index});
    m.load_user_json(&user_doc(json!([
        device_entry(
            "bad",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            uc(false, true, 0)
        ),
        device_entry(
            "neutral",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            uc(false, false, 1)
        ),
    ])))
    .unwrap();
    // deny only: that address refused, everything else accepted
    assert!(!m.is_allowed("bad"));
    assert!(m.is_allowed("neutral"));
    assert!(m.is_allowed("stranger"));
    // one allow anywhere switches to allow-list mode
    m.load_user_json(&user_doc(json!([
        device_entry(
            "good",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            uc(true, false, 2)
        ),
        device_entry(
            "both",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            uc(true, true, 3)
        ),
    ])))
    .unwrap();
    assert!(m.is_allowed("good"));
    assert!(!m.is_allowed("neutral"));
    assert!(!m.is_allowed("stranger"));
    assert!(!m.is_allowed("bad"));
    // deny wins over allow on the same address
    assert!(!m.is_allowed("both"));
    // devices seen in this process are neither allowed nor denied
    m.resolve(&ident("seen", "acme", None)).unwrap();
    assert!(!m.is_allowed("seen"));
}

#[test]
fn user_ranges_disabled_and_reverse_are_applied() {
    let m = manager();
    let doc = user_doc(json!([
        device_entry(
            "d1",
            "acme",
            None,
            U[0],
            acme_features(
                json!({"vibrate": {"value": [5, 15], "disabled": true}, "rotate": {"value": [0, 10], "reverse": true}})
            ),
            json!({"allow": false, "deny": false, "index": 4, "display_name": "Mine"})
        ),
        // position outputs of a configuration (user entry based on a configuration id)
        device_entry(
            "d2",
            "acme",
            Some("A2"),
            U[4],
            json!([{"id": "bbbbbbbb-0000-4000-8000-000000000001", "base_id": U[5],
                    "output": {"hw_position_with_duration": {"value": [10, 90], "duration": [100, 4000], "reverse": true}}}]),
            json!({"allow": false, "deny": false, "index": 5, "message_gap_ms": 12})
        ),
    ]));
    m.load_user_json(&doc).unwrap();
    let d1 = m.resolve(&ident("d1", "acme", None)).unwrap();
    assert_eq!(d1.id, "11111111-2222-4333-8444-555555555555");
    assert_eq!(d1.base_id.as_deref(), Some(U[0]));
    assert_eq!(d1.name, "Acme Device");
    assert_eq!(d1.user.display_name.as_deref(), Some("Mine"));
    assert_eq!(d1.user.index, Some(4));
    // the base gap is kept when the user sets none
    assert_eq!(d1.effective_gap_ms(), Some(30));
    let f0 = d1.feature(0).unwrap();
    assert_eq!(f0.base_id.as_deref(), Some(U[1]));
    assert_eq!(f0.description, "Head");
    let vib = f0.output(OutputType::Vibrate).unwrap();
    assert_eq!(vib.user_range, Some((5, 15)));
    assert!(vib.disabled);
    assert!(!vib.reverse);
    let rot = f0.output(OutputType::Rotate).unwrap();
    assert_eq!(rot.user_range, Some((0, 10)));
    assert_eq!(rot.base_range, (-20, 20));
    // reverse only applies to position types
    assert!(!rot.reverse);
    assert!(!rot.disabled);
    // disabled output hidden from clients
    assert_eq!(f0.advertised().unwrap().outputs.len(), 1);
    // inputs come from the base
    assert_eq!(d1.feature(1).unwrap().inputs.len(), 1);

    let d2 = m.resolve(&ident("d2", "acme", Some("A2"))).unwrap();
    assert_eq!(d2.name, "Acme Two");
    assert_eq!(d2.effective_gap_ms(), Some(12));
    assert_eq!(d2.message_gap_ms, Some(30));
    let hw = d2
        .feature(0)
        .unwrap()
        .output(OutputType::HwPositionWithDuration)
        .unwrap();
    assert_eq!(hw.user_range, Some((10, 90)));
    assert_eq!(hw.user_duration, Some((100, 4000)));
    assert!(hw.reverse);
    let pos = d2.feature(0).unwrap().output(OutputType::Position).unwrap();
    assert_eq!(pos.user_range, None);
    assert!(!pos.reverse);
}

#[test]
fn invalid_user_entries_are_dropped_not_fatal() {
    let m = manager();
    let entries = json!([
        // user range beyond the base maximum
        device_entry(
            "e1",
            "acme",
            None,
            U[0],
            acme_features(json!({"vibrate": {"value": [0, 21]}})),
            plain_uc(0)
        ),
        // output type not in the base feature
        device_entry(
            "e2",
            "acme",
            None,
            U[0],
            acme_features(json!({"oscillate": {"value": [0, 1]}})),
            plain_uc(1)
        ),
        // feature count mismatch
        device_entry(
            "e3",
            "acme",
            None,
            U[0],
            json!([{"id": U[11], "base_id": U[1]}]),
            plain_uc(2)
        ),
        // unknown base definition
        device_entry(
            "e4",
            "acme",
            None,
            U[11],
            acme_features(Value::Null),
            plain_uc(3)
        ),
        // negative user range
        device_entry(
            "e5",
            "acme",
            None,
            U[0],
            acme_features(json!({"vibrate": {"value": [-1, 5]}})),
            plain_uc(4)
        ),
        // missing index
        device_entry(
            "e6",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            json!({"allow": false, "deny": false})
        ),
        // base feature ids that do not match
        device_entry(
            "e7",
            "acme",
            None,
            U[0],
            json!([{"id": U[11], "base_id": U[1]}, {"id": U[10], "base_id": U[1]}]),
            plain_uc(6)
        ),
        // not an object
        "garbage",
        // valid
        device_entry(
            "ok",
            "acme",
            None,
            U[0],
            acme_features(Value::Null),
            plain_uc(7)
        ),
    ]);
    m.load_user_json(&user_doc(entries)).unwrap();
    for a in ["e1", "e2", "e3", "e4", "e5", "e6", "e7"] {
        assert!(
            m.user_device(&ident(a, "acme", None)).is_none(),
            "{a} should be dropped"
        );
    }
    assert_eq!(
        m.user_device(&ident("ok", "acme", None))
            .unwrap()
            .user
            .index,
        Some(7)
    );
    // dropped entries reserve nothing: a new device gets 0
    assert_eq!(
        m.resolve(&ident("fresh", "acme", None)).unwrap().user.index,
        Some(0)
    );
    // invalid JSON and wrongly shaped containers fail the file
    assert!(m.load_user_json(b"{not json").is_err());
    assert!(m
        .load_user_json(
            br#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": {}}}"#
        )
        .is_err());
    assert!(m.load_user_json(br#"{"user_configs": {}}"#).is_err());
    // a version-only file changes nothing
    m.load_user_json(br#"{"version": {"major": 4, "minor": 0}}"#)
        .unwrap();
}

#[test]
fn user_protocols_add_specifiers_and_configurations() {
    let m = manager();
    let doc = json!({
        "version": {"major": 4, "minor": 1},
        "user_configs": {"protocols": {
            "other": {
                "communication": [{"serial": {"port": "COM7", "baud_rate": 9600, "data_bits": 8, "parity": "N", "stop_bits": 1}},
                                  {"websocket": {"name": "OtherWs"}}, {"bogus": {}}],
                "configurations": [{"identifier": ["O1"], "name": "Other One (mine)", "id": U[11],
                                    "features": [{"index": 0, "id": U[10], "output": {"vibrate": {"value": [0, 3]}}}]}]
            },
            "acme": {"devices": {"configurations": [{"identifier": ["NEW"], "name": "Acme New", "id": U[9]}]}},
            "unknown-protocol": {"communication": [{"websocket": {"name": "x"}}]}
        }}
    });
    m.load_user_json(doc.to_string().as_bytes()).unwrap();
    assert_eq!(m.user_specifiers("other").len(), 2);
    assert!(m.user_specifiers("unknown-protocol").is_empty());
    let c = m.candidates(
        &CommSpecifier::Websocket {
            name: "OtherWs".into(),
        },
        &|_| true,
    );
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].protocol, "other");
    // user specifiers first, then base
    assert_eq!(c[0].specifiers.len(), 4);
    assert!(matches!(c[0].specifiers[0], CommSpecifier::Serial(_)));
    assert!(matches!(c[0].specifiers[2], CommSpecifier::Btle(_)));
    // user configuration wins over the base one with the same key; no inheritance
    let d = m.resolve(&ident("x", "other", Some("O1"))).unwrap();
    assert_eq!(d.name, "Other One (mine)");
    assert_eq!(d.base_id.as_deref(), Some(U[11]));
    assert_eq!(
        d.features[0]
            .output(OutputType::Vibrate)
            .unwrap()
            .base_range,
        (0, 3)
    );
    // the schema's placement is tolerated; user configurations have no defaults to inherit
    let n = m.resolve(&ident("y", "acme", Some("NEW"))).unwrap();
    assert_eq!(n.name, "Acme New");
    assert!(n.features.is_empty());
    assert_eq!(n.protocol_variant, None);
}

#[test]
fn candidate_ordering() {
    let m = manager();
    let shared = CommSpecifier::ble_name("Shared");
    let all = |_: &str| true;
    // base order is file order
    let c: Vec<String> = m
        .candidates(&shared, &all)
        .into_iter()
        .map(|c| c.protocol)
        .collect();
    assert_eq!(c, ["acme", "other"]);
    // implementation filter
    let c: Vec<String> = m
        .candidates(&shared, &|p: &str| p != "acme")
        .into_iter()
        .map(|c| c.protocol)
        .collect();
    assert_eq!(c, ["other"]);
    // wildcard
    let c = m.candidates(&CommSpecifier::ble_name("ACME-42"), &all);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].specifiers, m.protocol("acme").unwrap().communication);
    // user specifiers come first and a protocol appears once
    m.add_user_specifier("other", CommSpecifier::ble_name("Shared"));
    m.add_user_specifier("lonely", CommSpecifier::ble_name("Shared"));
    m.add_user_specifier("other", CommSpecifier::ble_name("Shared"));
    let c = m.candidates(&shared, &all);
    let names: Vec<&str> = c.iter().map(|c| c.protocol.as_str()).collect();
    assert_eq!(names, ["other", "lonely", "acme"]);
    assert_eq!(c[0].specifiers.len(), 3);
    assert_eq!(c[0].specifiers[0], CommSpecifier::ble_name("Shared"));
    // deterministic
    for _ in 0..5 {
        let again: Vec<String> = m
            .candidates(&shared, &all)
            .into_iter()
            .map(|c| c.protocol)
            .collect();
        assert_eq!(again, names);
    }
    // serial placeholder matches no real port until the user adds one
    let port = |p: &str| {
        CommSpecifier::Serial(SerialSpecifier {
            port: p.into(),
            baud_rate: 0,
            data_bits: 8,
            parity: 'N',
            stop_bits: 1,
        })
    };
    assert!(m.candidates(&port("COM3"), &all).is_empty());
    m.add_user_specifier("other", port("COM3"));
    assert_eq!(m.candidates(&port("COM3"), &all)[0].protocol, "other");
}

#[test]
fn user_config_written_back_loads_to_the_same_state() {
    let m = manager();
    m.add_user_specifier(
        "acme",
        CommSpecifier::Websocket {
            name: "AcmeWs".into(),
        },
    );
    m.load_user_json(
        json!({"version": {"major": 5, "minor": 0}, "user_configs": {
            "protocols": {"acme": {"configurations": [{"identifier": ["U1"], "name": "Acme User", "id": U[9],
                "features": [{"index": 0, "id": U[10], "output": {"vibrate": {"value": [0, 7]}}}]}]}},
            "devices": [device_entry("d1", "acme", None, U[0],
                acme_features(json!({"vibrate": {"value": [2, 12], "disabled": true}})),
                json!({"allow": true, "deny": false, "index": 3, "display_name": "Named", "message_gap_ms": 9}))],
            "simulated_devices": [{"identifier": "simulated-1vibe", "address": "sim-1"}]
        }})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let derived = m.resolve(&ident("d2", "acme", Some("U1"))).unwrap();
    let auto = m.resolve(&ident("d3", "other", None)).unwrap();
    let text = m.user_config_json();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], json!({"major": 4, "minor": 0}));

    let fresh = manager();
    fresh.load_user_json(text.as_bytes()).unwrap();
    assert_eq!(fresh.user_specifiers("acme"), m.user_specifiers("acme"));
    assert_eq!(fresh.simulated_devices(), m.simulated_devices());
    for id in [
        ident("d1", "acme", None),
        ident("d2", "acme", Some("U1")),
        ident("d3", "other", None),
    ] {
        assert_eq!(fresh.user_device(&id), m.user_device(&id), "{id:?}");
    }
    assert_eq!(
        fresh.resolve(&ident("d2", "acme", Some("U1"))).unwrap(),
        derived
    );
    assert_eq!(fresh.resolve(&ident("d3", "other", None)).unwrap(), auto);
    // indexes persist: a new device gets the next free one
    assert_eq!(
        fresh
            .resolve(&ident("d4", "other", None))
            .unwrap()
            .user
            .index,
        Some(2)
    );
    assert!(fresh.user_config_json().len() > text.len());
}

#[test]
fn malformed_input_never_panics() {
    let valid = base_doc().to_string();
    let user = json!({"version": {"major": 4, "minor": 0}, "user_configs": {
        "protocols": {"acme": {"communication": [{"btle": {"names": ["x"], "services": {}}}]}},
        "devices": [device_entry("d1", "acme", None, U[0], acme_features(json!({"vibrate": {"value": [1, 2]}})), plain_uc(1))]}})
    .to_string();
    let m = manager();
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\xff\xfe".to_vec(),
        b"{\"version\": 4}".to_vec(),
        b"{\"version\": {\"major\": -1}}".to_vec(),
        b"{\"version\": {\"major\": 4.5}}".to_vec(),
        b"{\"version\": {\"major\": 99999999999999}}".to_vec(),
        b"{\"version\": {\"major\": 4}, \"protocols\": []}".to_vec(),
        b"{\"version\": {\"major\": 4}, \"protocols\": {\"p\": {\"communication\": [{}]}}}"
            .to_vec(),
    ];
    for text in [&valid, &user] {
        let bytes = text.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            inputs.push(bytes[..cut].to_vec());
        }
        // replace every token-ish position with values of other types
        for (i, _) in text.match_indices([':', ',', '[']) {
            for replacement in ["null", "-1", "\"x\"", "{}", "[]", "1e99", "true", "[[5,1]]"] {
                let mut s = text[..=i].to_string();
                s.push_str(replacement);
                let rest = &text[i + 1..];
                let skip = rest.find([',', '}', ']']).unwrap_or(rest.len());
                s.push_str(&rest[skip..]);
                inputs.push(s.into_bytes());
            }
        }
    }
    for input in &inputs {
        let _ = DeviceConfigManager::from_json(input);
        let _ = m.load_user_json(input);
        if let Ok(s) = std::str::from_utf8(input) {
            let _ = DeviceConfigManager::from_compact_json(s);
        }
    }
    let compact = m.to_compact_json();
    for cut in (0..compact.len()).step_by(5) {
        assert!(DeviceConfigManager::from_compact_json(&compact[..cut]).is_err());
    }
    // the manager still works afterwards
    assert!(m.resolve(&ident("after", "acme", None)).is_some());
    let _ = m.user_config_json();
}
