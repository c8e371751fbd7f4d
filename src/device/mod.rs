//! Devices: the configuration database and its matching rules, resolved definitions with their
//! value maths, protocol handlers, and the per-device command path (de-duplication, batching,
//! keep-alive).

pub mod config;
pub mod definition;
pub mod handle;
pub mod protocol;
pub mod protocols;
