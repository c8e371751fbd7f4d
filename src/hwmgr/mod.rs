//! Hardware managers ("comm managers"): one per bus. They discover devices and hand the device
//! manager a [`HardwareConnector`]; once connected, a device is a [`Hardware`] object that
//! protocols drive through named endpoints.
//!
//! This layer knows nothing about protocols or the Buttplug message model; it depends only on
//! `core` types. What a bus needs to know of the device configuration is below it: the bus
//! [`specifier`]s, and [`KnownDevices`], through which the configuration (in the device layer)
//! tells the buses that look for named devices (serial ports, HID and USB ids, gamepads) what
//! to look for.

#[cfg(feature = "btle")]
pub mod btle;
#[cfg(feature = "gamepad")]
pub mod gamepad;
#[cfg(feature = "hid")]
pub mod hid;
#[cfg(feature = "lovense-connect")]
pub mod lovense_connect;
#[cfg(any(feature = "lovense-dongle-serial", feature = "lovense-dongle-hid"))]
pub mod lovense_dongle;
mod rescan;
pub mod serial;
// the simulated bus: cargo feature `sim` (default); unit tests always have it
#[cfg(any(feature = "sim", test))]
pub mod sim;
pub mod specifier;
mod stream;
#[cfg(feature = "usb")]
pub mod usb;
pub mod websocket;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{broadcast, mpsc};

use crate::core::types::Endpoint;
use crate::error::DeviceError;
use specifier::{CommSpecifier, ManufacturerData, SerialSpecifier, VidPid};

/// What the buses that look for devices the configuration names (serial ports, HID and USB
/// ids, gamepads) need to know of it. The device layer's configuration manager implements it;
/// the buses see nothing else of the configuration.
pub trait KnownDevices: Send + Sync + 'static {
    /// Every communication specifier of the configuration as it is now: the database's
    /// protocols' and the user configuration's (a user configuration loaded later is
    /// included at the next call).
    fn specifiers(&self) -> Vec<CommSpecifier>;
}

/// Serial ports the configuration names, each once (the placeholder port `default` of the
/// shipped database is left out: such toys are bound by a user configuration).
pub fn serial_ports(known: &dyn KnownDevices) -> Vec<SerialSpecifier> {
    let mut out: Vec<SerialSpecifier> = Vec::new();
    for spec in known.specifiers() {
        if let CommSpecifier::Serial(s) = spec {
            if s.port != "default" && !out.iter().any(|o| o.port == s.port) {
                out.push(s);
            }
        }
    }
    out
}

/// Vendor/product id pairs of the configuration's HID specifiers, each once.
pub fn hid_ids(known: &dyn KnownDevices) -> Vec<VidPid> {
    ids(known, |s| match s {
        CommSpecifier::Hid(ids) => Some(ids),
        _ => None,
    })
}

/// Vendor/product id pairs of the configuration's USB specifiers, each once.
pub fn usb_ids(known: &dyn KnownDevices) -> Vec<VidPid> {
    ids(known, |s| match s {
        CommSpecifier::Usb(ids) => Some(ids),
        _ => None,
    })
}

fn ids(known: &dyn KnownDevices, pick: fn(&CommSpecifier) -> Option<&Vec<VidPid>>) -> Vec<VidPid> {
    let mut out: Vec<VidPid> = Vec::new();
    for spec in known.specifiers() {
        for id in pick(&spec).into_iter().flatten() {
            if !out.contains(id) {
                out.push(*id);
            }
        }
    }
    out
}

/// Something that happened on a connected device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HardwareEvent {
    /// Data arrived on a subscribed endpoint.
    Notification {
        /// Endpoint the data came from.
        endpoint: Endpoint,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The device went away.
    Disconnected,
}

/// A connected device, addressed through named endpoints.
#[async_trait]
pub trait Hardware: Send + Sync + 'static {
    /// The name the device presented (BLE advertised name, serial port, WebSocket identifier).
    fn name(&self) -> &str;
    /// Bus address (BLE peripheral id, port name, announced address).
    fn address(&self) -> &str;
    /// Endpoints this device exposes.
    fn endpoints(&self) -> Vec<Endpoint>;
    /// The bus's default gap between writes, if the bus needs one.
    fn default_gap(&self) -> Option<Duration> {
        None
    }
    /// True when the host requires keep-alive writes (e.g. backgrounded mobile BLE).
    fn requires_keepalive(&self) -> bool {
        false
    }
    /// Writes bytes to an endpoint.
    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), DeviceError>;
    /// Reads from an endpoint (`length` 0 = whatever is available), waiting at most `timeout`.
    async fn read(
        &self,
        endpoint: Endpoint,
        length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError>;
    /// The manufacturer data the device advertised (Bluetooth LE), for protocols that tell
    /// models apart by it; empty for other buses.
    fn manufacturer_data(&self) -> Vec<ManufacturerData> {
        Vec::new()
    }
    /// The received signal strength in dBm (radio buses only).
    async fn read_rssi(&self) -> Result<i16, DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "{} has no signal strength to read",
            self.name()
        )))
    }
    /// Starts notifications from an endpoint.
    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError>;
    /// Stops notifications from an endpoint.
    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError>;
    /// A receiver of this device's events. Every call gives an independent receiver.
    fn events(&self) -> broadcast::Receiver<HardwareEvent>;
    /// Disconnects the device.
    async fn disconnect(&self);
}

/// A discovered device, not yet connected.
#[async_trait]
pub trait HardwareConnector: Send + 'static {
    /// What the device advertised, for protocol matching.
    fn specifier(&self) -> &CommSpecifier;
    /// Bus address.
    fn address(&self) -> &str;
    /// Presented name.
    fn name(&self) -> &str;
    /// Connects, binding endpoints according to the candidate protocol's specifiers. Fails
    /// when the device does not have what the candidate needs (a Bluetooth LE device without
    /// the candidate's characteristics); the device manager then tries the next candidate
    /// with the same connector, as the reference does.
    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError>;
}

/// What a comm manager tells the device manager.
pub enum CommEvent {
    /// A device was found.
    DeviceFound(Box<dyn HardwareConnector>),
    /// The manager stopped scanning on its own.
    ScanningFinished {
        /// Manager name.
        manager: &'static str,
    },
}

impl std::fmt::Debug for CommEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommEvent::DeviceFound(c) => write!(f, "DeviceFound({})", c.address()),
            CommEvent::ScanningFinished { manager } => write!(f, "ScanningFinished({manager})"),
        }
    }
}

/// Sender comm managers use to report events.
pub type CommEventSender = mpsc::UnboundedSender<CommEvent>;

/// A bus manager.
#[async_trait]
pub trait CommManager: Send + Sync + 'static {
    /// Unique name (`"simulated"`, `"websocket"`, `"btle"`, ...).
    fn name(&self) -> &'static str;
    /// Starts discovering devices.
    async fn start_scanning(&self) -> Result<(), DeviceError>;
    /// Stops discovering devices.
    async fn stop_scanning(&self) -> Result<(), DeviceError>;
    /// True while a scan is running.
    fn is_scanning(&self) -> bool;
    /// Stops background work (listeners, scan loops); called once at shutdown.
    async fn shutdown(&self) {}
}

/// The buses built only with their cargo feature, beyond serial, Bluetooth LE and HID: what the
/// C ABI's `CommManager` values and `haptix serve`'s flags select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionalBus {
    /// The Lovense USB dongle, serial variant (feature `lovense-dongle-serial`).
    LovenseDongleSerial,
    /// The Lovense USB dongle, HID variant (feature `lovense-dongle-hid`).
    LovenseDongleHid,
    /// The Lovense Connect app's local HTTP API (feature `lovense-connect`).
    LovenseConnect,
    /// Gamepads with rumble motors (feature `gamepad`).
    Gamepad,
    /// Raw USB devices (feature `usb`).
    Usb,
}

/// Settings of the optional buses that cannot be discovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusSettings {
    /// Lovense Connect app addresses (`host:port` or `http://host:port`).
    pub lovense_connect_addresses: Vec<String>,
    /// The serial Lovense dongle's port, when it is not to be found by its USB ids.
    pub lovense_dongle_port: Option<String>,
}

impl OptionalBus {
    /// The cargo feature that builds this bus.
    pub fn feature(self) -> &'static str {
        match self {
            OptionalBus::LovenseDongleSerial => "lovense-dongle-serial",
            OptionalBus::LovenseDongleHid => "lovense-dongle-hid",
            OptionalBus::LovenseConnect => "lovense-connect",
            OptionalBus::Gamepad => "gamepad",
            OptionalBus::Usb => "usb",
        }
    }

    /// True when this build has the bus.
    pub fn built_in(self) -> bool {
        match self {
            OptionalBus::LovenseDongleSerial => cfg!(feature = "lovense-dongle-serial"),
            OptionalBus::LovenseDongleHid => cfg!(feature = "lovense-dongle-hid"),
            OptionalBus::LovenseConnect => cfg!(feature = "lovense-connect"),
            OptionalBus::Gamepad => cfg!(feature = "gamepad"),
            OptionalBus::Usb => cfg!(feature = "usb"),
        }
    }

    /// Creates the bus's manager, reporting to `events`. Fails when the build lacks the bus or
    /// a setting is malformed. Nothing is opened yet: the hardware is looked for when scanning
    /// starts, and its absence is logged then.
    pub fn create(
        self,
        config: &Arc<dyn KnownDevices>,
        events: CommEventSender,
        settings: &BusSettings,
    ) -> Result<Arc<dyn CommManager>, String> {
        let _ = (config, &events, settings);
        match self {
            #[cfg(feature = "lovense-dongle-serial")]
            OptionalBus::LovenseDongleSerial => Ok(Arc::new(match &settings.lovense_dongle_port {
                Some(port) => lovense_dongle::LovenseDongleCommManager::serial_at(port, events),
                None => lovense_dongle::LovenseDongleCommManager::serial(events),
            })),
            #[cfg(feature = "lovense-dongle-hid")]
            OptionalBus::LovenseDongleHid => Ok(Arc::new(
                lovense_dongle::LovenseDongleCommManager::hid(events),
            )),
            #[cfg(feature = "lovense-connect")]
            OptionalBus::LovenseConnect => {
                Ok(Arc::new(lovense_connect::LovenseConnectCommManager::new(
                    &settings.lovense_connect_addresses,
                    events,
                )?))
            }
            #[cfg(feature = "gamepad")]
            OptionalBus::Gamepad => Ok(Arc::new(gamepad::GamepadCommManager::new(
                config.as_ref(),
                events,
            ))),
            #[cfg(feature = "usb")]
            OptionalBus::Usb => Ok(Arc::new(usb::UsbCommManager::new(
                Arc::clone(config),
                events,
            ))),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "this build has no {} bus (cargo feature {})",
                other.feature(),
                other.feature()
            )),
        }
    }
}
