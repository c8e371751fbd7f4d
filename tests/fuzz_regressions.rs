//! Regression tests for what the cargo-fuzz targets of `fuzz/` found. Each test replays the
//! finding's input (inline) through the public entry point the target drives, and checks the
//! property the target checks.

use haptix::core::json::{decode_server_frame, encode_server_frame};
use haptix::core::messages::ServerMessage;
use haptix::core::types::SpecVersion;
use haptix::device::config::DeviceConfigManager;

/// Decodes one server message of `frame`, encodes it again and decodes that: the message must
/// come back the same (the `json_parse` target's check).
fn server_round_trip(frame: &str, version: SpecVersion) -> ServerMessage {
    let decoded = decode_server_frame(frame, version).expect("frame decodes");
    let [Ok(message)] = decoded.as_slice() else {
        panic!("one message expected: {decoded:?}");
    };
    let text = encode_server_frame(std::slice::from_ref(message), version);
    let again = decode_server_frame(&text, version).expect("re-encoded frame decodes");
    match again.as_slice() {
        [Ok(m)] => assert_eq!(m, message, "{frame} re-encoded as {text}"),
        other => panic!("{frame} re-encoded as {text} decodes as {other:?}"),
    }
    message.clone()
}

/// json_parse: a number with more digits than a double holds was read one unit in the last
/// place off (serde_json's default float parsing is not correctly rounded), so the value the
/// client kept was written back as a number that reads as another value.
#[test]
fn long_decimal_reads_as_the_nearest_double() {
    let frame = r#"[{"BatteryLevelReading":{"Id":3,"DeviceIndex":0,"BatteryLevel":0.2222222222222200000000000000000000000000000000014815841974131738522}}]"#;
    let message = server_round_trip(frame, SpecVersion::V2);
    let ServerMessage::BatteryLevelReading { battery_level, .. } = message else {
        panic!("not a battery reading: {message:?}");
    };
    // the double nearest to the decimal
    assert_eq!(battery_level, 0.22222222222222);
}

/// Loads a compact database, writes it back and loads that: it must load and write the same
/// text (the `device_config` target's check).
fn compact_round_trip(text: &str) -> DeviceConfigManager {
    let loaded = DeviceConfigManager::from_compact_json(text).expect("input loads");
    let written = loaded.to_compact_json();
    let again = DeviceConfigManager::from_compact_json(&written)
        .unwrap_or_else(|e| panic!("{text} written back as {written} does not load: {e}"));
    assert_eq!(again.to_compact_json(), written);
    assert_eq!(again.protocols(), loaded.protocols());
    again
}

/// device_config: a protocol named "" with nothing else was written as `[]` (trailing empty
/// items are left out, and the name was taken for one), which does not load.
#[test]
fn protocol_with_an_empty_name_is_written_loadably() {
    let m = compact_round_trip(r#"["haptix-devices/1",[5,1],[[""]]]"#);
    assert_eq!(m.protocols().len(), 1);
    assert_eq!(m.protocols()[0].name, "");
}
