//! The protocol model: spec enumerations, the Buttplug message set of v0–v4, JSON encoding and
//! decoding with validation, and the legacy (v0–v3) device views. No I/O, no tokio, no unsafe.

pub mod json;
pub mod legacy;
pub mod messages;
pub mod types;
