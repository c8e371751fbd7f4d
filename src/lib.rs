//! Haptix: a Buttplug intimate-hardware protocol implementation (spec v0–v4) with an embedded
//! server, a client, device protocols and hardware managers, shipped as one native library.
//!
//! # Start here
//!
//! From Rust, a program starts an [`Engine`] (the device database, the embedded server, the
//! buses and any simulated toys), connects a [`Client`] to its server and drives the devices
//! the client is told about:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use haptix::{Bus, Client, ClientEvent, Engine, EngineOptions};
//!
//! let engine = Engine::start(EngineOptions {
//!     buses: vec![Bus::BluetoothLe],
//!     ..Default::default()
//! })
//! .await?;
//! let client = Client::connect_in_process(engine.server(), "my game").await?;
//! let mut events = client.events();
//! client.start_scanning().await?;
//! while let Some(event) = events.recv().await {
//!     if let ClientEvent::DeviceAdded(toy) = event {
//!         toy.vibrate(0.5).await?;
//!         break;
//!     }
//! }
//! client.disconnect().await?;
//! engine.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Other languages use the C ABI ([`ffi`], `include/haptix.h`) or a binding built on it; any
//! Buttplug client can connect to [`server::websocket::WebsocketServer`].
//!
//! # Layers
//!
//! Dependencies point one way (checked by `tests/layers.rs`; see ARCHITECTURE.md):
//! [`ffi`] / `jni` / the CLI → [`engine`] → [`client`], [`server`] → [`device`] →
//! [`hwmgr`] → [`core`], with [`error`], [`runtime`], [`logging`] and `cipher` below
//! everything. The modules stay public because the integration tests and the fuzz targets
//! drive each layer through its own API; the names above are the ones an application needs.

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

pub(crate) mod cipher;
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

pub use client::{Client, ClientDevice, ClientEvent, ClientSettings};
pub use engine::{Bus, Engine, EngineError, EngineOptions};
pub use error::{Error, Result};
pub use server::Server;
