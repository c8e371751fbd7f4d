//! `json_parse`: the Buttplug JSON codecs on their own, both directions.
//!
//! Input: one selector byte, then the frame text. The selector picks the direction (client
//! frames as the server decodes them, or server frames as the client decodes them) and the
//! spec version (for client frames also "before the handshake"). Every message that decodes
//! is encoded again for the same version and the result decoded once more; the second decode
//! must give the same message, so a codec that writes something it cannot read back (or reads
//! it back differently) is found as well as one that panics.

use haptix::core::json::{
    decode_client_frame, decode_server_frame, encode_client_frame, encode_server_frame,
    encode_server_message,
};
use haptix::core::messages::{ClientMessage, ServerMessage};
use haptix::core::types::SpecVersion;

use crate::{version_from, Reader};

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Reader::new(data);
    let selector = input.byte();
    let text = String::from_utf8_lossy(input.rest());
    if selector & 0x80 == 0 {
        // before the handshake (None) or after it, for each version
        let version = match selector % 6 {
            5 => None,
            n => Some(version_from(n)),
        };
        client_frame(&text, version);
    } else {
        server_frame(&text, version_from(selector));
    }
}

fn client_frame(text: &str, version: Option<SpecVersion>) {
    let decoded = match decode_client_frame(text, version) {
        Ok(items) => items,
        Err(e) => {
            // the server answers a frame it cannot read with this error
            let _ =
                encode_server_message(&e.to_server_message(), version.unwrap_or(SpecVersion::V4));
            return;
        }
    };
    let wire = version.unwrap_or(SpecVersion::V4);
    for item in decoded {
        match item {
            Ok(message) => client_round_trip(&message, version, wire),
            Err(e) => {
                let _ = encode_server_message(&e.to_server_message(), wire);
            }
        }
    }
}

/// Encodes a decoded client message again and checks that it reads back the same.
fn client_round_trip(message: &ClientMessage, version: Option<SpecVersion>, wire: SpecVersion) {
    let text = encode_client_frame(std::slice::from_ref(message), wire);
    let again = match decode_client_frame(&text, version) {
        Ok(items) => items,
        Err(e) => panic!("re-encoded client frame {text} does not decode: {e:?}"),
    };
    if !round_trips(message) {
        return;
    }
    match again.as_slice() {
        [Ok(m)] if m == message => {}
        other => {
            panic!("client message {message:?} encoded for {wire} as {text} decodes as {other:?}")
        }
    }
}

/// Messages whose wire form carries everything the decoded value holds: not RawCmd (written
/// without its endpoint and data) and not RequestServerInfo (written in the form of the
/// version it is encoded for, see `encode_client_frame`).
fn round_trips(message: &ClientMessage) -> bool {
    !message.name().starts_with("Raw")
        && !matches!(message, ClientMessage::RequestServerInfo { .. })
}

fn server_frame(text: &str, version: SpecVersion) {
    let Ok(decoded) = decode_server_frame(text, version) else {
        return;
    };
    for message in decoded.into_iter().flatten() {
        server_round_trip(&message, version);
    }
}

/// Encodes a decoded server message again and checks that it reads back the same.
fn server_round_trip(message: &ServerMessage, version: SpecVersion) {
    let text = encode_server_frame(std::slice::from_ref(message), version);
    let again = match decode_server_frame(&text, version) {
        Ok(items) => items,
        Err(e) => panic!("re-encoded server frame {text} does not decode: {e:?}"),
    };
    match again.as_slice() {
        [Ok(m)] if m == message => {}
        other => panic!(
            "server message {message:?} encoded for {version} as {text} decodes as {other:?}"
        ),
    }
}
