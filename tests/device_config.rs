//! Integration tests of the device configuration manager against the official databases, the
//! built-in compact copy and the conformance vectors that embed a user configuration.

use std::path::{Path, PathBuf};

use haptix::core::types::{InputType, OutputType};
use haptix::device::config::{
    CommSpecifier, DeviceConfigManager, DeviceIdentifier, BUILTIN_DATABASE,
};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: ../shared not present");
        None
    }
}

fn ident(address: &str, protocol: &str, identifier: Option<&str>) -> DeviceIdentifier {
    DeviceIdentifier {
        address: address.to_string(),
        protocol: protocol.to_string(),
        identifier: identifier.map(str::to_string),
    }
}

/// Counts over every definition after inheritance: (features, outputs with a negative lower
/// bound, battery inputs, pressure inputs, hw_position_with_duration outputs, identifiers).
fn stats(m: &DeviceConfigManager) -> (usize, usize, usize, usize, usize, usize) {
    let mut s = (0, 0, 0, 0, 0, 0);
    for p in m.protocols() {
        for d in p.defaults.iter().chain(p.configurations.iter()) {
            s.5 += d.identifiers.len();
            for f in &d.features {
                s.0 += 1;
                s.1 += f.outputs.iter().filter(|o| o.base_range.0 < 0).count();
                s.2 += usize::from(f.input(InputType::Battery).is_some());
                s.3 += usize::from(f.input(InputType::Pressure).is_some());
                s.4 += usize::from(f.output(OutputType::HwPositionWithDuration).is_some());
            }
        }
    }
    s
}

fn bus_counts(m: &DeviceConfigManager) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for p in m.protocols() {
        for s in &p.communication {
            match counts.iter_mut().find(|(b, _)| *b == s.bus()) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.bus(), 1)),
            }
        }
    }
    counts.sort();
    counts
}

#[test]
fn official_v4_database_loads_completely() {
    let Some(shared) = shared() else { return };
    let m = DeviceConfigManager::from_path(
        &shared.join("device-config/buttplug-device-config-v4.json"),
    )
    .expect("v4 database loads");
    assert_eq!(m.version(), (4, 189));
    assert_eq!(m.protocols().len(), 139);
    assert_eq!(m.definition_count(), 873);
    // numbers computed independently with Python over the raw file (inheritance applied)
    assert_eq!(stats(&m), (1565, 18, 227, 2, 22, 874));
    assert_eq!(
        bus_counts(&m),
        [
            ("btle", 130),
            ("hid", 3),
            ("lovense_connect_service", 1),
            ("serial", 4),
            ("usb", 1),
            ("xinput", 1)
        ]
    );
    // file order kept
    assert_eq!(m.protocols()[0].name, "activejoy");
    // the misspelled `configuration` list of sexverse-v5 is read
    let sv5 = m.protocol("sexverse-v5").expect("sexverse-v5");
    assert_eq!(sv5.configurations.len(), 1);
    assert_eq!(
        sv5.configurations[0].features,
        sv5.defaults.as_ref().expect("defaults").features
    );
    let d = m
        .resolve(&ident("a", "sexverse-v5", Some("CB-WXW03")))
        .expect("resolves");
    assert_eq!(d.name, "Hannibal Kona");
    // spot checks
    let lovense = m.protocol("lovense").expect("lovense");
    assert_eq!(lovense.configurations.len(), 33);
    let tcode = m.resolve(&ident("COM7", "tcode-v03", None)).expect("tcode");
    assert_eq!(tcode.message_gap_ms, Some(20));
    let nora = m.resolve(&ident("n", "lovense", Some("A"))).expect("nora");
    assert_eq!(nora.name, "Lovense Nora");
    let rotate = nora
        .features
        .iter()
        .find_map(|f| f.output(OutputType::Rotate))
        .expect("rotate");
    assert_eq!(rotate.advertised().value, (-20, 20));
}

#[test]
fn official_v5_database_loads_completely() {
    let Some(shared) = shared() else { return };
    let m = DeviceConfigManager::from_path(
        &shared.join("device-config/buttplug-device-config-v5.json"),
    )
    .expect("v5 database loads");
    assert_eq!(m.version(), (5, 57));
    assert_eq!(m.protocols().len(), 149);
    assert_eq!(m.definition_count(), 955);
    assert_eq!(stats(&m), (1737, 20, 246, 2, 29, 952));
    assert_eq!(
        bus_counts(&m),
        [
            ("btle", 139),
            ("hid", 2),
            ("lovense_connect_service", 1),
            ("sdl-gamepad", 1),
            ("serial", 4),
            ("simulated", 1),
            ("usb", 1),
            ("xinput", 1)
        ]
    );
    // v5 buses match
    let sim = CommSpecifier::Simulated {
        names: vec!["simulated-2vibe".into()],
    };
    let c = m.candidates(&sim, &|_| true);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].protocol, "simulated");
    let d = m
        .resolve(&ident("sim-1", "simulated", Some("simulated-2vibe")))
        .expect("sim");
    assert_eq!(d.name, "Simulated 2-Motor Vibrator");
    assert_eq!(d.features.len(), 2);
    assert_eq!(
        m.candidates(&CommSpecifier::SdlGamepad, &|_| true)[0].protocol,
        "sdl-gamepad"
    );
}

#[test]
fn builtin_equals_generator_output_for_v5() {
    let builtin = DeviceConfigManager::builtin().expect("built-in database loads");
    assert_eq!(builtin.version(), (5, 57));
    assert_eq!(builtin.protocols().len(), 149);
    assert_eq!(builtin.definition_count(), 955);
    // compact: no whitespace between tokens
    assert!(!BUILTIN_DATABASE.contains(", ") && !BUILTIN_DATABASE.contains('\n'));
    let Some(shared) = shared() else { return };
    let official = DeviceConfigManager::from_path(
        &shared.join("device-config/buttplug-device-config-v5.json"),
    )
    .expect("v5 database loads");
    assert_eq!(
        official.to_compact_json(),
        BUILTIN_DATABASE,
        "data/builtin-devices.json is stale: run `cargo run --bin haptix-dbgen -- ../shared/device-config/buttplug-device-config-v5.json data/builtin-devices.json`"
    );
    assert_eq!(builtin.protocols(), official.protocols());
}

fn vector_user_config(shared: &Path, file: &str) -> (serde_json::Value, Vec<u8>) {
    let text = std::fs::read_to_string(shared.join("vectors").join(file)).expect("vector readable");
    let v: serde_json::Value = serde_json::from_str(&text).expect("vector is JSON");
    let content = v["user_config"]["content"].to_string().into_bytes();
    (v, content)
}

#[test]
fn vector_user_configs_load_and_apply() {
    let Some(shared) = shared() else { return };
    let v4 = shared.join("device-config/buttplug-device-config-v4.json");
    for file in [
        "lovense_ridge_user_config.json",
        "user_config_display_name.json",
    ] {
        let m = DeviceConfigManager::from_path(&v4).expect("v4 loads");
        let (vector, content) = vector_user_config(&shared, file);
        m.load_user_json(&content).expect("user config loads");
        let device = &vector["device"];
        let address = device["address"].as_str().expect("address");
        let id = ident(address, "lovense", Some("F"));
        let d = m.user_device(&id).expect("user device entry applied");
        assert_eq!(d.name, device["expected_name"].as_str().expect("name"));
        assert_eq!(d.user.display_name.as_deref(), Some("Lovense Name Test"));
        assert_eq!(d.user.index, Some(0));
        assert_eq!(d.id, "c8633234-07a4-4ad9-961d-a4d777b32be8");
        assert_eq!(m.resolve(&id), Some(d.clone()));
        let osc = d
            .feature(0)
            .and_then(|f| f.output(OutputType::Oscillate))
            .expect("oscillate");
        assert_eq!(osc.user_range, Some((0, 20)));
        assert_eq!(osc.advertised().value, (0, 20));
        assert_eq!(
            d.feature(1)
                .and_then(|f| f.input(InputType::Battery))
                .map(|i| i.value.clone()),
            Some(vec![(0, 100)])
        );
        assert_eq!(d.effective_gap_ms(), None);
        // the reserved index is not given to anyone else
        assert_eq!(
            m.resolve(&ident("other", "lovense", Some("F")))
                .and_then(|d| d.user.index),
            Some(1)
        );
        assert!(m.is_allowed(address));
        // the advertised features equal the vector's layout
        assert_features(&d, &device["features"]);
    }

    let m = DeviceConfigManager::from_path(&v4).expect("v4 loads");
    let (vector, content) = vector_user_config(&shared, "tcode_linear_and_vibrate.json");
    m.load_user_json(&content).expect("user config loads");
    let device = &vector["device"];
    let ble = CommSpecifier::ble_name(device["ble_name"].as_str().expect("ble name"));
    let c = m.candidates(&ble, &|_| true);
    assert_eq!(c.first().map(|c| c.protocol.as_str()), Some("tcode-v03"));
    assert!(matches!(
        c[0].specifiers.first(),
        Some(CommSpecifier::Btle(_))
    ));
    let id = ident(
        device["address"].as_str().expect("address"),
        "tcode-v03",
        Some("tcode-v03-linear-vibrate"),
    );
    let d = m.resolve(&id).expect("tcode device resolves");
    assert_eq!(d.name, device["expected_name"].as_str().expect("name"));
    assert_eq!(d.id, "6d3f0643-1933-4df6-85ff-5675bf1a3dd4");
    assert_eq!(
        d.base_id.as_deref(),
        Some("e4384a37-fd37-4b9e-8464-a510dd8410a7")
    );
    assert_eq!(d.user.index, Some(0));
    // user configurations do not inherit the defaults' 20 ms gap (vector: message_gap_ms null)
    assert_eq!(d.effective_gap_ms(), None);
    assert_features(&d, &device["features"]);
    // a device identified with the same identifier elsewhere derives from the user configuration
    let other = m
        .resolve(&ident(
            "COM8",
            "tcode-v03",
            Some("tcode-v03-linear-vibrate"),
        ))
        .expect("derived");
    assert_eq!(
        other.base_id.as_deref(),
        Some("e4384a37-fd37-4b9e-8464-a510dd8410a7")
    );
    assert_eq!(other.user.index, Some(1));
}

/// Compares advertised features with a vector's `device.features`.
fn assert_features(d: &haptix::device::definition::DeviceDefinition, expected: &serde_json::Value) {
    let adv = d.advertised_features();
    let list = expected.as_array().expect("features list");
    assert_eq!(adv.len(), list.len());
    for (a, e) in adv.iter().zip(list) {
        assert_eq!(u64::from(a.index), e["index"].as_u64().expect("index"));
        assert_eq!(a.description, e["description"].as_str().unwrap_or(""));
        let outs = e["outputs"].as_object().cloned().unwrap_or_default();
        assert_eq!(a.outputs.len(), outs.len());
        for o in &a.outputs {
            let eo = &outs[o.kind.wire_name()];
            assert_eq!(eo["steps"], serde_json::json!([o.value.0, o.value.1]));
            if let Some((lo, hi)) = o.duration {
                assert_eq!(eo["duration"], serde_json::json!([lo, hi]));
            }
        }
        let ins = e["inputs"].as_object().cloned().unwrap_or_default();
        assert_eq!(a.inputs.len(), ins.len());
        for i in &a.inputs {
            let ei = &ins[i.kind.wire_name()];
            let ranges: Vec<serde_json::Value> = i
                .value
                .iter()
                .map(|(lo, hi)| serde_json::json!([lo, hi]))
                .collect();
            assert_eq!(ei["range"], serde_json::Value::Array(ranges));
            let cmds: Vec<&str> = i.commands.iter().map(|c| c.wire_name()).collect();
            assert_eq!(ei["commands"], serde_json::json!(cmds));
        }
    }
}
