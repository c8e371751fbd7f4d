//! The strict reader shared by both decoders: splitting a frame into its message values, and
//! reading the fields of one JSON object so that a missing, wrongly typed or unknown field is
//! an error naming the message and the field (with the message's Id when it can be read).

use serde_json::Value;

use super::{DResult, DecodeError, JsonObject};
use crate::core::messages::MessageId;

const MAX_KNOWN: usize = 16;

/// Reads fields of one JSON object, remembering which names were asked for so that
/// [`Reader::finish`] can report any field nobody asked for.
pub(super) struct Reader<'a> {
    pub(super) map: &'a JsonObject,
    pub(super) msg: &'a str,
    prefix: String,
    id: MessageId,
    known: [&'static str; MAX_KNOWN],
    n_known: usize,
    present: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(map: &'a JsonObject, msg: &'a str, id: MessageId) -> Reader<'a> {
        Reader {
            map,
            msg,
            prefix: String::new(),
            id,
            known: [""; MAX_KNOWN],
            n_known: 0,
            present: 0,
        }
    }

    fn child(&self, map: &'a JsonObject, prefix: String) -> Reader<'a> {
        Reader {
            map,
            msg: self.msg,
            prefix,
            id: self.id,
            known: [""; MAX_KNOWN],
            n_known: 0,
            present: 0,
        }
    }

    pub(super) fn error(&self, message: String) -> DecodeError {
        DecodeError::msg(self.id, message)
    }

    pub(super) fn invalid(&self, name: &str, what: &str) -> DecodeError {
        self.error(format!(
            "field {}{} in {} must be {}",
            self.prefix, name, self.msg, what
        ))
    }

    fn is_known(&self, name: &str) -> bool {
        self.known.iter().take(self.n_known).any(|k| *k == name)
    }

    fn field(&mut self, name: &'static str) -> Option<&'a Value> {
        let value = self.map.get(name);
        if !self.is_known(name) {
            if let Some(slot) = self.known.get_mut(self.n_known) {
                *slot = name;
                self.n_known += 1;
                if value.is_some() {
                    self.present += 1;
                }
            }
        }
        value
    }

    /// An optional field; JSON `null` counts as absent.
    pub(super) fn opt(&mut self, name: &'static str) -> Option<&'a Value> {
        self.field(name).filter(|v| !v.is_null())
    }

    pub(super) fn req(&mut self, name: &'static str) -> DResult<&'a Value> {
        match self.field(name) {
            Some(v) => Ok(v),
            None => Err(self.error(format!(
                "missing field {}{} in {}",
                self.prefix, name, self.msg
            ))),
        }
    }

    pub(super) fn u32_of(&self, name: &str, v: &Value) -> DResult<u32> {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.invalid(name, "an integer from 0 to 4294967295"))
    }

    pub(super) fn req_u32(&mut self, name: &'static str) -> DResult<u32> {
        let v = self.req(name)?;
        self.u32_of(name, v)
    }

    pub(super) fn opt_u32(&mut self, name: &'static str) -> DResult<Option<u32>> {
        match self.opt(name) {
            Some(v) => self.u32_of(name, v).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn req_u32_max(&mut self, name: &'static str, max: u32) -> DResult<u32> {
        let v = self.req(name)?;
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= max)
            .ok_or_else(|| self.invalid(name, &format!("an integer from 0 to {max}")))
    }

    pub(super) fn req_i32(&mut self, name: &'static str) -> DResult<i32> {
        let v = self.req(name)?;
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| self.invalid(name, "an integer from -2147483648 to 2147483647"))
    }

    /// A float bounded to 0.0–1.0 by the schema.
    pub(super) fn req_unit(&mut self, name: &'static str) -> DResult<f64> {
        let v = self.req(name)?;
        v.as_f64()
            .filter(|f| (0.0..=1.0).contains(f))
            .ok_or_else(|| self.invalid(name, "a number from 0 to 1"))
    }

    pub(super) fn req_f64(&mut self, name: &'static str) -> DResult<f64> {
        let v = self.req(name)?;
        v.as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| self.invalid(name, "a number"))
    }

    pub(super) fn req_bool(&mut self, name: &'static str) -> DResult<bool> {
        let v = self.req(name)?;
        v.as_bool().ok_or_else(|| self.invalid(name, "a boolean"))
    }

    pub(super) fn opt_bool(&mut self, name: &'static str) -> DResult<Option<bool>> {
        match self.opt(name) {
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a boolean")),
            None => Ok(None),
        }
    }

    pub(super) fn req_str(&mut self, name: &'static str) -> DResult<&'a str> {
        let v = self.req(name)?;
        v.as_str().ok_or_else(|| self.invalid(name, "a string"))
    }

    pub(super) fn opt_str(&mut self, name: &'static str) -> DResult<Option<&'a str>> {
        match self.opt(name) {
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "a string")),
            None => Ok(None),
        }
    }

    pub(super) fn req_array(&mut self, name: &'static str) -> DResult<&'a [Value]> {
        let v = self.req(name)?;
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.invalid(name, "an array"))
    }

    pub(super) fn req_object(&mut self, name: &'static str) -> DResult<&'a JsonObject> {
        let v = self.req(name)?;
        v.as_object().ok_or_else(|| self.invalid(name, "an object"))
    }

    pub(super) fn opt_object(&mut self, name: &'static str) -> DResult<Option<&'a JsonObject>> {
        match self.opt(name) {
            Some(v) => v
                .as_object()
                .map(Some)
                .ok_or_else(|| self.invalid(name, "an object")),
            None => Ok(None),
        }
    }

    /// A reader for element `i` of array field `array`, which must be an object.
    pub(super) fn element(&self, array: &str, i: usize, v: &'a Value) -> DResult<Reader<'a>> {
        match v.as_object() {
            Some(m) => Ok(self.child(m, format!("{}{}[{}].", self.prefix, array, i))),
            None => Err(self.error(format!(
                "element {}{}[{}] in {} must be an object",
                self.prefix, array, i, self.msg
            ))),
        }
    }

    /// A reader for the object stored under `key` of map field `map_name`.
    pub(super) fn entry(&self, map_name: &str, key: &str, v: &'a Value) -> DResult<Reader<'a>> {
        match v.as_object() {
            Some(m) => Ok(self.child(m, format!("{}{}.{}.", self.prefix, map_name, key))),
            None => Err(self.error(format!(
                "field {}{}.{} in {} must be an object",
                self.prefix, map_name, key, self.msg
            ))),
        }
    }

    pub(super) fn range_i32(&self, name: &str, v: &Value) -> DResult<(i32, i32)> {
        let pair = |x: &Value| x.as_i64().and_then(|n| i32::try_from(n).ok());
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (pair(a), pair(b)) {
                (Some(lo), Some(hi)) => Ok((lo, hi)),
                _ => Err(self.invalid(name, "a range [low, high] of integers")),
            },
            _ => Err(self.invalid(name, "a range [low, high] of integers")),
        }
    }

    pub(super) fn range_u32(&self, name: &str, v: &Value) -> DResult<(u32, u32)> {
        let pair = |x: &Value| x.as_u64().and_then(|n| u32::try_from(n).ok());
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (pair(a), pair(b)) {
                (Some(lo), Some(hi)) => Ok((lo, hi)),
                _ => Err(self.invalid(name, "a range [low, high] of unsigned integers")),
            },
            _ => Err(self.invalid(name, "a range [low, high] of unsigned integers")),
        }
    }

    /// Fails if the object holds a field that was never asked for.
    pub(super) fn finish(&self) -> DResult<()> {
        if self.present == self.map.len() {
            return Ok(());
        }
        match self.map.keys().find(|k| !self.is_known(k)) {
            Some(k) => Err(self.error(format!(
                "unknown field {}{} in {}",
                self.prefix, k, self.msg
            ))),
            None => Ok(()),
        }
    }
}

/// Reads an Id leniently (for error reports): any u32, else 0.
pub(super) fn peek_id(body: &JsonObject) -> MessageId {
    body.get("Id")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

fn frame_error(message: impl Into<String>) -> DecodeError {
    DecodeError::msg(0, message)
}

/// Parses one frame (one or several JSON arrays back to back) into its message values.
pub(super) fn parse_frame(text: &str) -> DResult<Vec<Value>> {
    let mut out: Vec<Value> = Vec::new();
    let mut arrays = 0usize;
    for item in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match item {
            Ok(Value::Array(a)) => {
                if arrays == 0 {
                    out = a;
                } else {
                    out.extend(a);
                }
                arrays += 1;
            }
            Ok(_) => return Err(frame_error("frame is not a json array")),
            Err(e) => return Err(frame_error(format!("frame is not valid json: {e}"))),
        }
    }
    if arrays == 0 {
        return Err(frame_error("frame is empty, expected a json array"));
    }
    if out.is_empty() {
        return Err(frame_error(
            "the frame's message array is empty: send at least one message",
        ));
    }
    Ok(out)
}

/// Splits a message value into its name and body object.
pub(super) fn split_message(v: &Value) -> DResult<(&str, &JsonObject)> {
    let obj = v
        .as_object()
        .ok_or_else(|| DecodeError::msg(0, "message must be a json object"))?;
    let mut it = obj.iter();
    match (it.next(), it.next()) {
        (Some((name, body)), None) => match body.as_object() {
            Some(b) => Ok((name.as_str(), b)),
            None => Err(DecodeError::msg(
                0,
                format!("body of message {name} must be a json object"),
            )),
        },
        (None, _) => Err(DecodeError::msg(
            0,
            "message object is empty, expected exactly one key naming the message",
        )),
        (Some(_), Some(_)) => {
            // The Id is readable if every body agrees on it.
            let mut ids = obj
                .values()
                .map(|b| b.as_object().map(peek_id).unwrap_or(0));
            let first = ids.next().unwrap_or(0);
            let id = if ids.all(|i| i == first) { first } else { 0 };
            let names: Vec<&str> = obj.keys().map(String::as_str).collect();
            Err(DecodeError::msg(
                id,
                format!(
                    "message object must have exactly one key, found {} ({})",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::json::test_support::{assert_err, err, v4};
    use crate::core::json::{decode_client_frame, decode_server_frame, DecodeError};
    use crate::core::messages::ClientMessage;
    use crate::core::types::{ErrorCode, SpecVersion};

    #[test]
    fn frame_level_errors() {
        for text in [
            "",
            "   ",
            "not json",
            "[{\"Ping\": {\"Id\": 1}}",
            "{\"Ping\": {\"Id\": 1}}",
            "42",
            "[{\"Ping\": {\"Id\": 1}}] {}",
            "[{\"Ping\": {\"Id\": 1}}] garbage",
        ] {
            let e = decode_client_frame(text, Some(SpecVersion::V4)).expect_err("frame must fail");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
            let e = decode_server_frame(text, SpecVersion::V4).expect_err("frame must fail");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
        }
    }

    #[test]
    fn empty_array_and_back_to_back_arrays() {
        // a frame without any message is answered with an error, not silently dropped
        for text in ["[]", " [ ] "] {
            let e = decode_client_frame(text, Some(SpecVersion::V4)).expect_err("empty frame");
            assert_eq!((e.id, e.code), (0, ErrorCode::Message), "{text:?}");
        }
        let v = decode_client_frame(
            r#"[{"Ping": {"Id": 1}}][{"StartScanning": {"Id": 2}}, {"StopScanning": {"Id": 3}}] []"#,
            Some(SpecVersion::V4),
        )
        .expect("ok");
        assert_eq!(
            v,
            vec![
                Ok(ClientMessage::Ping { id: 1 }),
                Ok(ClientMessage::StartScanning { id: 2 }),
                Ok(ClientMessage::StopScanning { id: 3 }),
            ]
        );
        let v = decode_client_frame(
            r#"[{"RequestDeviceList": {"Id": 7}}, {"StartScanning": {"Id": 8}}]"#,
            Some(SpecVersion::V2),
        )
        .expect("ok");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn messages_in_one_frame_fail_independently() {
        let v = decode_client_frame(
            r#"[{"Ping": {"Id": 1}}, {"Ping": {"Id": 0}}, 5, {"Ping": {"Id": 4, "X": 1}}, {"Ping": {"Id": 5}}]"#,
            Some(SpecVersion::V4),
        )
        .expect("ok");
        assert_eq!(v.len(), 5);
        assert_eq!(v.first(), Some(&Ok(ClientMessage::Ping { id: 1 })));
        assert!(matches!(v.get(1), Some(Err(DecodeError { id: 0, .. }))));
        assert!(matches!(v.get(2), Some(Err(DecodeError { id: 0, .. }))));
        assert!(matches!(v.get(3), Some(Err(DecodeError { id: 4, .. }))));
        assert_eq!(v.get(4), Some(&Ok(ClientMessage::Ping { id: 5 })));
    }

    #[test]
    fn structural_errors() {
        let v4v = Some(SpecVersion::V4);
        assert_err("[5]", v4v, 0, ErrorCode::Message);
        assert_err("[[1]]", v4v, 0, ErrorCode::Message);
        assert_err("[{}]", v4v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": 5}]"#, v4v, 0, ErrorCode::Message);
        assert_err(r#"[{"Ping": [1]}]"#, v4v, 0, ErrorCode::Message);
        // two keys: the Id is readable when both agree
        let e = err(r#"[{"Ping": {"Id": 4}, "StartScanning": {"Id": 4}}]"#, v4v);
        assert_eq!((e.id, e.code), (4, ErrorCode::Message));
        assert!(e.message.contains("exactly one key"), "{}", e.message);
        assert_err(
            r#"[{"Ping": {"Id": 4}, "StartScanning": {"Id": 5}}]"#,
            v4v,
            0,
            ErrorCode::Message,
        );
        assert_err(r#"[{"Bogus": {"Id": 4}}]"#, v4v, 4, ErrorCode::Message);
        let e = err(r#"[{"Bogus": {"Id": 4}}]"#, v4v);
        assert_eq!(e.message, "unknown message type Bogus");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = err(
            r#"[{"Ping": {"Id": 3, "Extra": true}}]"#,
            Some(SpecVersion::V4),
        );
        assert_eq!((e.id, e.code), (3, ErrorCode::Message));
        assert_eq!(e.message, "unknown field Extra in Ping");
        let e = err(
            r#"[{"VibrateCmd": {"Id": 3, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5, "Foo": 1}]}}]"#,
            Some(SpecVersion::V2),
        );
        assert_eq!(e.message, "unknown field Speeds[0].Foo in VibrateCmd");
        let e = v4(r#"[{"OutputCmd": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1, "Duration": 5}}}}]"#)
            .expect_err("Duration is not part of Vibrate");
        assert_eq!(
            e.message,
            "unknown field Command.Vibrate.Duration in OutputCmd"
        );
    }
}
