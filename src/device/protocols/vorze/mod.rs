//! Vorze toys: [`sa`], the Bluetooth SA series (Cyclone SA, UFO SA, Piston, Bach, Rocket), and
//! [`cyclone_x`], the Cyclone X10 behind its USB HID dongle.

pub(crate) mod cyclone_x;
pub(crate) mod sa;
