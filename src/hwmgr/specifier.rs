//! Bus specifiers: how the configuration says a protocol's devices look on each bus, and how a
//! discovered device describes itself. Matching rules are `device-config.md` §4.1.

use crate::core::types::Endpoint;

/// A BLE manufacturer-data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManufacturerData {
    /// Company id.
    pub company: u16,
    /// Data bytes, if specified.
    pub data: Option<Vec<u8>>,
}

/// A BLE service with its endpoint → characteristic map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BleService {
    /// Service UUID (lower case).
    pub uuid: String,
    /// Endpoint name → characteristic UUID (lower case).
    pub characteristics: Vec<(Endpoint, String)>,
}

/// A BLE specifier (configured) or advertisement (discovered).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BtleSpecifier {
    /// Names; a configured name ending in `*` is a prefix wildcard.
    pub names: Vec<String>,
    /// Manufacturer data.
    pub manufacturer_data: Vec<ManufacturerData>,
    /// Advertised service UUIDs (lower case).
    pub advertised_services: Vec<String>,
    /// Services with endpoint maps (configured only; not used for matching).
    pub services: Vec<BleService>,
}

/// A serial specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSpecifier {
    /// Port name (`"default"` in the shipped database matches nothing real).
    pub port: String,
    /// Baud rate.
    pub baud_rate: u32,
    /// Data bits.
    pub data_bits: u8,
    /// Parity letter (`N`, `E`, `O`).
    pub parity: char,
    /// Stop bits.
    pub stop_bits: u8,
}

/// A USB/HID vendor and product id pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VidPid {
    /// Vendor id.
    pub vendor_id: u16,
    /// Product id.
    pub product_id: u16,
}

/// One bus specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommSpecifier {
    /// Bluetooth LE.
    Btle(BtleSpecifier),
    /// Serial port.
    Serial(SerialSpecifier),
    /// USB.
    Usb(Vec<VidPid>),
    /// HID.
    Hid(Vec<VidPid>),
    /// XInput gamepads.
    XInput,
    /// Lovense Connect app.
    LovenseConnectService,
    /// WebSocket device, by announced identifier.
    Websocket {
        /// Announced identifier.
        name: String,
    },
    /// Simulated device (config v5), by simulated device name; names follow the BLE name rules
    /// (exact, or a trailing `*` prefix wildcard).
    Simulated {
        /// Simulated device names.
        names: Vec<String>,
    },
    /// SDL gamepads (config v5, `sdl-gamepad`); every gamepad matches.
    SdlGamepad,
}

impl CommSpecifier {
    /// The specifier a BLE device presents when it advertises only a name.
    pub fn ble_name(name: &str) -> CommSpecifier {
        CommSpecifier::Btle(BtleSpecifier {
            names: vec![name.to_string()],
            ..BtleSpecifier::default()
        })
    }

    /// Bus kind name, for messages.
    pub fn bus(&self) -> &'static str {
        match self {
            CommSpecifier::Btle(_) => "btle",
            CommSpecifier::Serial(_) => "serial",
            CommSpecifier::Usb(_) => "usb",
            CommSpecifier::Hid(_) => "hid",
            CommSpecifier::XInput => "xinput",
            CommSpecifier::LovenseConnectService => "lovense_connect_service",
            CommSpecifier::Websocket { .. } => "websocket",
            CommSpecifier::Simulated { .. } => "simulated",
            CommSpecifier::SdlGamepad => "sdl-gamepad",
        }
    }

    /// Loose equality between a configured and a discovered specifier (`device-config.md` §4.1).
    pub fn matches(&self, other: &CommSpecifier) -> bool {
        match (self, other) {
            (CommSpecifier::Btle(a), CommSpecifier::Btle(b)) => btle_matches(a, b),
            (CommSpecifier::Serial(a), CommSpecifier::Serial(b)) => a.port == b.port,
            (CommSpecifier::Usb(a), CommSpecifier::Usb(b))
            | (CommSpecifier::Hid(a), CommSpecifier::Hid(b)) => a.iter().any(|p| b.contains(p)),
            (CommSpecifier::XInput, CommSpecifier::XInput)
            | (CommSpecifier::LovenseConnectService, CommSpecifier::LovenseConnectService)
            | (CommSpecifier::SdlGamepad, CommSpecifier::SdlGamepad) => true,
            (CommSpecifier::Simulated { names: a }, CommSpecifier::Simulated { names: b }) => {
                a.iter().any(|x| b.iter().any(|y| name_matches(x, y)))
            }
            (CommSpecifier::Websocket { name: a }, CommSpecifier::Websocket { name: b }) => a == b,
            _ => false,
        }
    }
}

fn name_matches(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let prefix = |pattern: &str, name: &str| {
        pattern
            .strip_suffix('*')
            .is_some_and(|p| name.starts_with(p))
    };
    prefix(a, b) || prefix(b, a)
}

fn contains_slice(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn manufacturer_matches(a: &ManufacturerData, b: &ManufacturerData) -> bool {
    if a.company != b.company {
        return false;
    }
    match (&a.data, &b.data) {
        (Some(x), Some(y)) => {
            if x.len() >= y.len() {
                contains_slice(x, y)
            } else {
                contains_slice(y, x)
            }
        }
        _ => true,
    }
}

fn btle_matches(a: &BtleSpecifier, b: &BtleSpecifier) -> bool {
    a.names
        .iter()
        .any(|x| b.names.iter().any(|y| name_matches(x, y)))
        || a.manufacturer_data.iter().any(|x| {
            b.manufacturer_data
                .iter()
                .any(|y| manufacturer_matches(x, y))
        })
        || a.advertised_services.iter().any(|x| {
            let x = uuid_key(x);
            b.advertised_services.iter().any(|y| uuid_key(y) == x)
        })
}

/// A UUID as a comparable key: 32 lower-case hex digits without hyphens; 16- and 32-bit short
/// forms are expanded with the Bluetooth base UUID.
pub fn uuid_key(text: &str) -> String {
    let hex: String = text
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match hex.len() {
        4 => format!("0000{hex}00001000800000805f9b34fb"),
        8 => format!("{hex}00001000800000805f9b34fb"),
        _ => hex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ble_name_rules() {
        let cfg = CommSpecifier::Btle(BtleSpecifier {
            names: vec!["LVS-*".into(), "Exact".into()],
            ..Default::default()
        });
        assert!(cfg.matches(&CommSpecifier::ble_name("LVS-Hush42")));
        assert!(cfg.matches(&CommSpecifier::ble_name("Exact")));
        assert!(!cfg.matches(&CommSpecifier::ble_name("exact")));
        assert!(!cfg.matches(&CommSpecifier::ble_name("LV")));
    }

    #[test]
    fn manufacturer_data_subsequence() {
        let cfg = CommSpecifier::Btle(BtleSpecifier {
            manufacturer_data: vec![ManufacturerData {
                company: 7,
                data: Some(vec![2, 3]),
            }],
            ..Default::default()
        });
        let dev = CommSpecifier::Btle(BtleSpecifier {
            names: vec!["x".into()],
            manufacturer_data: vec![ManufacturerData {
                company: 7,
                data: Some(vec![1, 2, 3, 4]),
            }],
            ..Default::default()
        });
        assert!(cfg.matches(&dev));
        let other = CommSpecifier::Btle(BtleSpecifier {
            manufacturer_data: vec![ManufacturerData {
                company: 7,
                data: Some(vec![3, 2]),
            }],
            ..Default::default()
        });
        assert!(!cfg.matches(&other));
    }

    #[test]
    fn simulated_and_gamepad_buses() {
        let cfg = CommSpecifier::Simulated {
            names: vec!["simulated-1vibe".into(), "sim-*".into()],
        };
        let dev = |n: &str| CommSpecifier::Simulated {
            names: vec![n.to_string()],
        };
        assert!(cfg.matches(&dev("simulated-1vibe")));
        assert!(cfg.matches(&dev("sim-x")));
        assert!(!cfg.matches(&dev("simulated-2vibe")));
        assert!(!cfg.matches(&CommSpecifier::ble_name("simulated-1vibe")));
        assert!(CommSpecifier::SdlGamepad.matches(&CommSpecifier::SdlGamepad));
        assert!(!CommSpecifier::SdlGamepad.matches(&CommSpecifier::XInput));
        assert_eq!(CommSpecifier::SdlGamepad.bus(), "sdl-gamepad");
    }

    #[test]
    fn buses_never_cross() {
        assert!(
            !CommSpecifier::Websocket { name: "a".into() }.matches(&CommSpecifier::ble_name("a"))
        );
    }
}
