//! The composition root: the one place that assembles a running system and takes it down.
//!
//! An [`Engine`] is the device database (built-in, or an official file, plus an optional user
//! configuration), the embedded [`Server`] with its device manager, the simulated devices and
//! the comm managers of the buses asked for. The C ABI's context (`haptix_context_new`), the
//! `haptix` command-line tool and, through the C ABI and the JNI door, every binding build their
//! system with [`Engine::start`] and end it with [`Engine::shutdown`], so configuration loading,
//! bus assembly and the shutdown order exist once.
//!
//! ```no_run
//! # async fn run() -> Result<(), haptix::engine::EngineError> {
//! use haptix::engine::{Engine, EngineOptions};
//! use haptix::hwmgr::sim::SimDeviceSpec;
//!
//! let mut options = EngineOptions::default();
//! options.simulated.push(SimDeviceSpec::parse("LVS-Hush").map_err(|e| {
//!     haptix::engine::EngineError::Simulated { identifier: "LVS-Hush".into(), message: e }
//! })?);
//! let engine = Engine::start(options).await?;
//! // ... connect clients to engine.server() ...
//! engine.shutdown().await;
//! # Ok(()) }
//! ```

mod in_process;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::device::config::DeviceConfigManager;
use crate::error::{ConfigError, DeviceError};
use crate::hwmgr::serial::SerialCommManager;
#[cfg(feature = "sim")]
use crate::hwmgr::sim::{SimDeviceSpec, SimHardware};
use crate::hwmgr::websocket::WebsocketCommManager;
use crate::hwmgr::{BusSettings, CommManager, KnownDevices, OptionalBus};
use crate::server::{Server, SessionOptions, DEFAULT_SERVER_NAME};

/// How long the first step of a shutdown waits for every output to be stopped before the rest
/// of the system is taken down.
pub const STOP_OUTPUTS_LIMIT: Duration = Duration::from_millis(500);

/// Where the device database comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DeviceConfigSource {
    /// The database built into the library.
    #[default]
    Builtin,
    /// An official device configuration file's text (format 4 or 5).
    Json(Vec<u8>),
    /// The path of an official device configuration file.
    Path(PathBuf),
}

/// Where a user device configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserConfigSource {
    /// The text of a user configuration.
    Json(Vec<u8>),
    /// The path of a user configuration file.
    Path(PathBuf),
}

/// A bus whose comm manager the engine adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// Serial ports the configurations name.
    Serial,
    /// Bluetooth LE (cargo feature `btle`).
    BluetoothLe,
    /// HID devices the configurations name (cargo feature `hid`).
    Hid,
    /// Devices that connect to a WebSocket listener at this address.
    WebsocketDevices(SocketAddr),
    /// One of the optional buses (each behind its cargo feature).
    Optional(OptionalBus),
}

impl Bus {
    /// The bus's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Bus::Serial => "serial",
            Bus::BluetoothLe => "Bluetooth LE",
            Bus::Hid => "HID",
            Bus::WebsocketDevices(_) => "WebSocket devices",
            Bus::Optional(OptionalBus::LovenseDongleSerial) => "Lovense dongle (serial)",
            Bus::Optional(OptionalBus::LovenseDongleHid) => "Lovense dongle (HID)",
            Bus::Optional(OptionalBus::LovenseConnect) => "Lovense Connect",
            Bus::Optional(OptionalBus::Gamepad) => "gamepad",
            Bus::Optional(OptionalBus::Usb) => "USB",
        }
    }

    /// The cargo feature that builds this bus, if it has one.
    pub fn feature(self) -> Option<&'static str> {
        match self {
            Bus::Serial | Bus::WebsocketDevices(_) => None,
            Bus::BluetoothLe => Some("btle"),
            Bus::Hid => Some("hid"),
            Bus::Optional(bus) => Some(bus.feature()),
        }
    }

    /// True when this build of the library has the bus.
    pub fn built_in(self) -> bool {
        match self {
            Bus::Serial | Bus::WebsocketDevices(_) => true,
            Bus::BluetoothLe => cfg!(feature = "btle"),
            Bus::Hid => cfg!(feature = "hid"),
            Bus::Optional(bus) => bus.built_in(),
        }
    }
}

/// Everything an engine is built from. The default is the built-in database, the default
/// server name, no ping watchdog, no simulated device and no bus.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The device database.
    pub device_config: DeviceConfigSource,
    /// A user configuration applied on top of the database.
    pub user_config: Option<UserConfigSource>,
    /// `ServerName` reported to clients; empty means [`DEFAULT_SERVER_NAME`].
    pub server_name: String,
    /// Ping watchdog in ms (0 = off).
    pub max_ping_time: u32,
    /// Simulated devices, found by the next scan in this order (cargo feature `sim`).
    #[cfg(feature = "sim")]
    pub simulated: Vec<SimDeviceSpec>,
    /// Buses to add, in this order (a bus named twice is added once).
    pub buses: Vec<Bus>,
    /// Settings of the buses that cannot be discovered.
    pub bus_settings: BusSettings,
}

/// Why an engine could not be started. Each variant says which part of the options was at
/// fault, so callers (the C ABI, the CLI) report it without reading the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The device or user configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A simulated device is malformed or matches no device of the database.
    #[error("simulated device {identifier:?}: {message}")]
    Simulated {
        /// The identifier given.
        identifier: String,
        /// What is wrong with it.
        message: String,
    },
    /// A bus this build of the library does not have.
    #[error("the {bus} comm manager is not available in this build (cargo feature {feature})")]
    BusNotBuilt {
        /// The bus.
        bus: &'static str,
        /// The cargo feature that builds it.
        feature: &'static str,
    },
    /// A bus's settings are missing or invalid.
    #[error("{bus}: {message}")]
    BusSettings {
        /// The bus.
        bus: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A listener (the WebSocket device server) could not be opened.
    #[error("{bus}: {message}")]
    Listen {
        /// The bus.
        bus: &'static str,
        /// The operating system's message.
        message: String,
    },
    /// A comm manager could not be added.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// A running system: device database, embedded server, simulated devices and buses.
///
/// Cheap to share behind an `Arc`; every method takes `&self`. Must be started inside a tokio
/// runtime, which must outlive it.
#[derive(Debug)]
pub struct Engine {
    server: Server,
    #[cfg(feature = "sim")]
    simulated: Vec<Arc<SimHardware>>,
    device_websocket: Option<SocketAddr>,
}

impl Engine {
    /// Loads the configuration, starts the server and adds the simulated devices and buses.
    /// Nothing is left running when it fails.
    pub async fn start(options: EngineOptions) -> Result<Engine, EngineError> {
        let config = load_config(&options.device_config, options.user_config.as_ref())?;
        for bus in &options.buses {
            if !bus.built_in() {
                return Err(EngineError::BusNotBuilt {
                    bus: bus.name(),
                    feature: bus.feature().unwrap_or("none"),
                });
            }
        }
        let server = Server::new(
            config,
            SessionOptions {
                server_name: if options.server_name.is_empty() {
                    DEFAULT_SERVER_NAME.to_string()
                } else {
                    options.server_name.clone()
                },
                max_ping_time: options.max_ping_time,
            },
        );
        let engine = Engine {
            server,
            #[cfg(feature = "sim")]
            simulated: Vec::new(),
            device_websocket: None,
        };
        match engine.assemble(options).await {
            Ok(engine) => Ok(engine),
            Err((engine, e)) => {
                engine.server.shutdown().await;
                Err(e)
            }
        }
    }

    async fn assemble(mut self, options: EngineOptions) -> Result<Engine, (Engine, EngineError)> {
        #[cfg(feature = "sim")]
        for spec in options.simulated {
            let identifier = spec.name();
            match self.server.add_simulated_device(spec) {
                Ok(hw) => self.simulated.push(hw),
                Err(message) => {
                    return Err((
                        self,
                        EngineError::Simulated {
                            identifier,
                            message,
                        },
                    ))
                }
            }
        }
        let mut added: Vec<Bus> = Vec::new();
        for bus in options.buses {
            if added.contains(&bus) {
                continue;
            }
            added.push(bus);
            if let Err(e) = self.add_bus(bus, &options.bus_settings).await {
                return Err((self, e));
            }
        }
        Ok(self)
    }

    async fn add_bus(&mut self, bus: Bus, settings: &BusSettings) -> Result<(), EngineError> {
        let events = self.server.comm_sender();
        let config: Arc<dyn KnownDevices> = self.server.device_manager().config().clone();
        let manager: Arc<dyn CommManager> = match bus {
            Bus::Serial => Arc::new(SerialCommManager::new(config, events)),
            #[cfg(feature = "btle")]
            Bus::BluetoothLe => Arc::new(crate::hwmgr::btle::BtleCommManager::new(events)),
            #[cfg(feature = "hid")]
            Bus::Hid => Arc::new(crate::hwmgr::hid::HidCommManager::new(config, events)),
            Bus::WebsocketDevices(addr) => {
                let manager = WebsocketCommManager::start(addr, events)
                    .await
                    .map_err(|e| EngineError::Listen {
                        bus: bus.name(),
                        message: e.to_string(),
                    })?;
                self.device_websocket = Some(manager.local_addr());
                manager
            }
            Bus::Optional(optional) => {
                optional
                    .create(&config, events, settings)
                    .map_err(|message| EngineError::BusSettings {
                        bus: bus.name(),
                        message,
                    })?
            }
            #[allow(unreachable_patterns)]
            other => {
                // refused by `start` already: only reached in builds without the feature
                return Err(EngineError::BusNotBuilt {
                    bus: other.name(),
                    feature: other.feature().unwrap_or("none"),
                });
            }
        };
        self.server.add_comm_manager(manager)?;
        Ok(())
    }

    /// The embedded server: clients connect to it in process, and WebSocket listeners serve it.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The simulated devices of the options, in their order.
    #[cfg(feature = "sim")]
    pub fn simulated_devices(&self) -> &[Arc<SimHardware>] {
        &self.simulated
    }

    /// Where the WebSocket device listener listens, when that bus was asked for.
    pub fn device_websocket_addr(&self) -> Option<SocketAddr> {
        self.device_websocket
    }

    /// The first step of a shutdown, also useful alone: stops every output of every device,
    /// waiting at most `limit`.
    pub async fn stop_outputs(&self, limit: Duration) {
        let _ =
            tokio::time::timeout(limit, self.server.device_manager().stop_all(false, true)).await;
    }

    /// Takes the system down in order: every output stopped first (within
    /// [`STOP_OUTPUTS_LIMIT`]), then scanning ended, devices disconnected and every comm
    /// manager shut down. Front ends (client handles, WebSocket listeners) are closed by their
    /// owners before this. Idempotent.
    pub async fn shutdown(&self) {
        self.stop_outputs(STOP_OUTPUTS_LIMIT).await;
        self.finish_shutdown().await;
    }

    /// The rest of [`Engine::shutdown`] for a caller that already stopped the outputs itself
    /// (with [`Engine::stop_outputs`], before closing its front ends): ends scanning,
    /// disconnects the devices and shuts every comm manager down, without stopping every
    /// output a second time. Idempotent.
    pub async fn finish_shutdown(&self) {
        self.server.shutdown().await;
    }
}

/// Loads the device database and applies the user configuration.
fn load_config(
    source: &DeviceConfigSource,
    user: Option<&UserConfigSource>,
) -> Result<DeviceConfigManager, ConfigError> {
    let config = match source {
        DeviceConfigSource::Builtin => DeviceConfigManager::builtin(),
        DeviceConfigSource::Json(bytes) => DeviceConfigManager::from_json(bytes),
        DeviceConfigSource::Path(path) => DeviceConfigManager::from_path(path),
    }?;
    match user {
        None => {}
        Some(UserConfigSource::Json(bytes)) => config.load_user_json(bytes)?,
        Some(UserConfigSource::Path(path)) => config.load_user_path(path)?,
    }
    Ok(config)
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_with_simulated_devices_and_shuts_down() {
        let engine = Engine::start(EngineOptions {
            simulated: vec![SimDeviceSpec::parse("LVS-Hush").unwrap()],
            buses: vec![Bus::WebsocketDevices("127.0.0.1:0".parse().unwrap())],
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(engine.simulated_devices().len(), 1);
        assert!(engine
            .device_websocket_addr()
            .is_some_and(|a| a.port() != 0));
        assert_eq!(engine.server().options().server_name, DEFAULT_SERVER_NAME);
        engine.shutdown().await;
        engine.shutdown().await;
    }

    #[tokio::test]
    async fn each_failure_names_its_part() {
        let e = Engine::start(EngineOptions {
            device_config: DeviceConfigSource::Json(b"{".to_vec()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(matches!(e, EngineError::Config(_)), "{e}");
        let e = Engine::start(EngineOptions {
            user_config: Some(UserConfigSource::Path("/nonexistent/user.json".into())),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(
            matches!(e, EngineError::Config(ConfigError::Io { .. })),
            "{e}"
        );
        let mut spec = SimDeviceSpec::parse("LVS-Hush").unwrap();
        spec.bus = crate::hwmgr::sim::SimBus::Btle {
            name: "no such toy".into(),
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
        };
        let e = Engine::start(EngineOptions {
            simulated: vec![spec],
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(matches!(e, EngineError::Simulated { .. }), "{e}");
        // a port already taken
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = Engine::start(EngineOptions {
            buses: vec![Bus::WebsocketDevices(taken.local_addr().unwrap())],
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(matches!(e, EngineError::Listen { .. }), "{e}");
        let e = Engine::start(EngineOptions {
            buses: vec![Bus::Optional(OptionalBus::LovenseConnect)],
            bus_settings: BusSettings {
                lovense_connect_addresses: vec!["ftp://[nowhere".into()],
                lovense_dongle_port: None,
            },
            ..Default::default()
        })
        .await
        .unwrap_err();
        if OptionalBus::LovenseConnect.built_in() {
            // a malformed address
            assert!(matches!(e, EngineError::BusSettings { .. }), "{e}");
        } else {
            assert!(matches!(e, EngineError::BusNotBuilt { .. }), "{e}");
        }
    }
}
