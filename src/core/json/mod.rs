//! JSON encoding and decoding of Buttplug messages (spec v0–v4), with strict validation.
//!
//! Frames are JSON arrays of single-key message objects (`protocol.md` §1). Decoding goes
//! through [`serde_json::Value`] and a small field reader that tracks which keys of an object
//! were consumed, so unknown fields, missing fields and wrongly typed fields are all reported
//! with the message and field named, and with the message's Id whenever it can be read.
//!
//! One file per direction and side; each handles every spec version, v0 to v4:
//!
//! - `client_decode.rs`, server side: a client's frame text to `ClientMessage`s
//!   ([`decode_client_frame`]).
//! - `server_encode.rs`, server side: `ServerMessage`s to frame text for the client's version
//!   ([`encode_server_frame`], [`encode_server_message`], [`legacy_device_messages`]).
//! - `client_encode.rs`, client side: `ClientMessage`s to frame text for the server's version
//!   ([`encode_client_frame`], [`encode_client_message`]).
//! - `server_decode.rs`, client side: a server's frame text to `ServerMessage`s
//!   ([`decode_server_frame`]).
//! - `reader.rs`, used by both decoders: frame splitting and the strict field reader.
//!
//! The decoders check each message against the negotiated version (before the handshake the
//! server accepts only `RequestServerInfo`, in the form of any version). The server encoder
//! writes each message in the client's version and turns one that version cannot express into
//! an `Error` (code 3). The client encoder writes each message in its own wire form; only
//! `RequestServerInfo` changes shape with the version. This file holds what they share:
//! [`DecodeError`] and the small JSON builders of the two encoders.

use std::fmt;

use serde_json::{Map, Value};

use super::messages::{MessageId, ServerMessage};
use super::types::ErrorCode;

mod client_decode;
mod client_encode;
mod reader;
mod server_decode;
mod server_encode;

pub use client_decode::decode_client_frame;
pub use client_encode::{encode_client_frame, encode_client_message};
pub use server_decode::{decode_server_frame, DEFAULT_LEGACY_STEP_COUNT};
pub use server_encode::{encode_server_frame, encode_server_message, legacy_device_messages};

/// A message (or a whole frame) that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Id of the offending message if it could be read, else 0.
    pub id: MessageId,
    /// Error class to answer with (3 for malformed input, 1 for handshake violations).
    pub code: ErrorCode,
    /// Human-readable description naming the message and field.
    pub message: String,
}

impl DecodeError {
    /// Builds a decode error.
    pub fn new(id: MessageId, code: ErrorCode, message: impl Into<String>) -> DecodeError {
        DecodeError {
            id,
            code,
            message: message.into(),
        }
    }

    fn msg(id: MessageId, message: impl Into<String>) -> DecodeError {
        DecodeError::new(id, ErrorCode::Message, message)
    }

    /// The `Error` message a server answers this failure with.
    pub fn to_server_message(&self) -> ServerMessage {
        ServerMessage::error(self.id, self.code, self.message.clone())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for ServerMessage {
    fn from(e: DecodeError) -> ServerMessage {
        ServerMessage::Error {
            id: e.id,
            code: e.code,
            message: e.message,
            kind: None,
        }
    }
}

type DResult<T> = Result<T, DecodeError>;
type JsonObject = Map<String, Value>;

// Small JSON builders shared by the two encoders.

fn obj<const N: usize>(fields: [(&str, Value); N]) -> JsonObject {
    let mut m = Map::with_capacity(N);
    for (k, v) in fields {
        m.insert(k.to_string(), v);
    }
    m
}

fn wrap(name: &str, body: JsonObject) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(name.to_string(), Value::Object(body));
    Value::Object(m)
}

fn range_value<T: Into<Value>>(lo: T, hi: T) -> Value {
    Value::Array(vec![lo.into(), hi.into()])
}

fn array_text(values: Vec<Value>) -> String {
    Value::Array(values).to_string()
}

/// Helpers shared by the tests of the codec files.
#[cfg(test)]
mod test_support {
    use serde_json::Value;

    use super::{decode_client_frame, DResult, DecodeError};
    use crate::core::legacy::tests::example_combo;
    use crate::core::messages::{
        ClientMessage, DeviceFeature, DeviceInfo, FeatureInput, FeatureOutput, MessageId,
    };
    use crate::core::types::{ErrorCode, InputCommand, InputType, OutputType, SpecVersion};

    pub(super) fn one(text: &str, version: Option<SpecVersion>) -> DResult<ClientMessage> {
        let mut v = decode_client_frame(text, version).expect("frame decodes");
        assert_eq!(v.len(), 1, "expected exactly one message in {text}");
        v.remove(0)
    }

    pub(super) fn v4(text: &str) -> DResult<ClientMessage> {
        one(text, Some(SpecVersion::V4))
    }

    pub(super) fn err(text: &str, version: Option<SpecVersion>) -> DecodeError {
        one(text, version).expect_err("message must fail")
    }

    pub(super) fn assert_err(
        text: &str,
        version: Option<SpecVersion>,
        id: MessageId,
        code: ErrorCode,
    ) {
        let e = err(text, version);
        assert_eq!((e.id, e.code), (id, code), "{text}: {}", e.message);
        assert!(!e.message.ends_with('.'), "{}", e.message);
        assert!(
            e.message.starts_with(|c: char| !c.is_ascii_uppercase())
                || e.message.starts_with("RequestServerInfo")
                || e.message.contains(" is not part of spec "),
            "{}",
            e.message
        );
    }

    pub(super) fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("test json")
    }

    pub(super) fn example_device() -> DeviceInfo {
        DeviceInfo {
            index: 3,
            name: "Example Combo".into(),
            display_name: None,
            message_timing_gap: 75,
            features: example_combo(),
        }
    }

    pub(super) fn hush() -> DeviceInfo {
        DeviceInfo {
            index: 0,
            name: "Lovense Hush".into(),
            display_name: None,
            message_timing_gap: 100,
            features: vec![
                DeviceFeature {
                    index: 0,
                    description: String::new(),
                    outputs: vec![FeatureOutput {
                        kind: OutputType::Vibrate,
                        value: (0, 20),
                        duration: None,
                    }],
                    inputs: vec![],
                },
                DeviceFeature {
                    index: 1,
                    description: "battery Level".into(),
                    outputs: vec![],
                    inputs: vec![FeatureInput {
                        kind: InputType::Battery,
                        value: vec![(0, 100)],
                        commands: vec![InputCommand::Read],
                    }],
                },
            ],
        }
    }

    pub(super) fn handy() -> DeviceInfo {
        DeviceInfo {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_error_conversions() {
        let e = DecodeError::new(4, ErrorCode::Message, "unknown field X in Ping");
        assert_eq!(e.to_string(), "unknown field X in Ping");
        assert_eq!(
            e.to_server_message(),
            ServerMessage::error(4, ErrorCode::Message, "unknown field X in Ping")
        );
        let m: ServerMessage = e.into();
        assert_eq!(m.id(), 4);
    }
}
