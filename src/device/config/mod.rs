//! The device configuration database (official format, major versions 4 and 5), the user
//! configuration overlay, protocol matching and device index allocation.

pub mod specifier;

pub use specifier::*;
