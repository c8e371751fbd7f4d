//! Haptix: a Buttplug intimate-hardware protocol implementation (spec v0–v4) with an embedded
//! server, a client, device protocols and hardware managers, shipped as one native library.
//!
//! Layering (dependencies point downwards only):
//! `ffi → client / server → device / hwmgr / transport → core`; `runtime` and `logging` are
//! leaves any layer may use.

#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod client;
pub mod core;
pub mod device;
pub mod engine;
pub mod error;
#[allow(unsafe_code)]
pub mod ffi;
pub mod hwmgr;
/// JNI natives of the Java/Kotlin binding: a thin door onto [`ffi`] (feature `java`).
#[cfg(feature = "java")]
#[allow(unsafe_code)]
pub mod jni;
pub mod logging;
pub mod runtime;
pub mod server;

pub use error::{Error, Result};
