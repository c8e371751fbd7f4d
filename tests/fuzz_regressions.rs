//! Regression tests for what the cargo-fuzz targets of `fuzz/` found. Each test replays the
//! finding's input (inline) through the public entry point the target drives, and checks the
//! property the target checks.

use haptix::core::json::{decode_server_frame, encode_server_frame};
use haptix::core::messages::ServerMessage;
use haptix::core::types::SpecVersion;

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
