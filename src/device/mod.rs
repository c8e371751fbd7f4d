//! Devices: what a toy is and how it is driven, between the server (above) and the buses
//! (below).
//!
//! - [`config`]: the device database (built-in or an official file) and the user
//!   configuration; which protocols a discovered device may speak
//!   ([`config::DeviceConfigManager::candidates`]) and the definition, with its device index, of
//!   an identified one.
//! - [`definition`]: a device's features and their value maths (levels to device steps).
//! - [`protocol`]: the traits a protocol implements: [`protocol::ProtocolFactory`] identifies
//!   and initialises a connected device, [`protocol::ProtocolHandler`] turns output actions into
//!   packets, runs inputs and reads notifications.
//! - [`protocols`]: every protocol, by name (see its module documentation to add one).
//! - [`handle`]: [`handle::Device`], one per connected device: validates commands, drops
//!   repeated values, encodes through the protocol and writes with the device's message gap and
//!   keep-alive; a stop is encoded as a stop
//!   ([`protocol::ProtocolHandler::stop_outputs`]).

pub mod config;
pub mod definition;
pub mod handle;
pub mod protocol;
pub mod protocols;
