//! Vorze toys: [`sa`], the Bluetooth SA series (Cyclone SA, UFO SA, Piston, Bach, Rocket), and
//! [`cyclone_x`], the Cyclone X10 behind its USB HID dongle.

pub(crate) mod cyclone_x;
pub(crate) mod sa;

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = Vec::new();
    list.extend(cyclone_x::factories());
    list.extend(sa::factories());
    list
}
