//! The device configuration database (official format, major versions 4 and 5), the user
//! configuration overlay, protocol matching and device index allocation.
//!
//! - [`DeviceConfigManager`] loads the base database (the built-in compact copy, or an official
//!   JSON file), overlays user files, finds candidate protocols for discovered hardware and
//!   resolves identified devices to per-device [`DeviceDefinition`]s with their device index.
//! - [`specifier`] holds the bus specifiers and their matching rules.
//!
//! [`DeviceDefinition`]: crate::device::definition::DeviceDefinition

mod compact;
mod manager;
mod official;
pub mod specifier;
mod user;

pub use manager::{
    Candidate, DeviceConfigManager, DeviceIdentifier, ProtocolDefinition, BUILTIN_DATABASE,
};
pub use specifier::*;
pub use user::SimulatedDevice;

#[cfg(test)]
mod tests;
