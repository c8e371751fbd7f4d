//! The embedded Buttplug server: a device manager shared by every client session, and the
//! per-connection sessions (handshake, versions, routing, ping watchdog).
//!
//! Transports (in-process, WebSocket, C ABI) all reach devices through [`Server::connect`].

pub mod device_manager;
pub mod session;
pub mod websocket;

use std::sync::Arc;

use crate::device::config::DeviceConfigManager;
use crate::device::protocols::ProtocolRegistry;
use crate::error::DeviceError;
use crate::hwmgr::sim::{SimBus, SimCommManager, SimDeviceSpec, SimHardware};
use crate::hwmgr::{CommEventSender, CommManager};

pub use device_manager::{DeviceEvent, DeviceManager};
pub use session::{start_session, Incoming, Outgoing, SessionHandle, SessionOptions};

/// Default `ServerName`.
pub const DEFAULT_SERVER_NAME: &str = "Haptix";

/// An embedded server: one device manager plus a session factory.
#[derive(Debug, Clone)]
pub struct Server {
    dm: DeviceManager,
    comm: CommEventSender,
    options: SessionOptions,
    sim: Arc<SimCommManager>,
}

impl Server {
    /// Creates a server with the given device configuration and the built-in protocols, with a
    /// simulated comm manager attached that holds the user configuration's simulated devices.
    /// Must be called inside a tokio runtime.
    pub fn new(config: DeviceConfigManager, options: SessionOptions) -> Server {
        let simulated = config.simulated_devices();
        let (dm, comm) = DeviceManager::new(Arc::new(config), ProtocolRegistry::builtin());
        let sim = Arc::new(SimCommManager::new(comm.clone()));
        // the user configuration's virtual devices (v5 `simulated_devices`), found by scanning
        for d in simulated {
            sim.add_device(SimDeviceSpec {
                bus: SimBus::Simulated { name: d.identifier },
                address: Some(d.address),
                endpoints: None,
                responder: None,
            });
        }
        // the first manager can never clash by name
        let _ = dm.add_comm_manager(sim.clone());
        Server {
            dm,
            comm,
            options,
            sim,
        }
    }

    /// Adds another comm manager (built with [`Server::comm_sender`]).
    pub fn add_comm_manager(&self, manager: Arc<dyn CommManager>) -> Result<(), DeviceError> {
        self.dm.add_comm_manager(manager)
    }

    /// The sender comm managers report to.
    pub fn comm_sender(&self) -> CommEventSender {
        self.comm.clone()
    }

    /// The simulated comm manager.
    pub fn simulator(&self) -> &Arc<SimCommManager> {
        &self.sim
    }

    /// Adds a simulated device after checking that some protocol of the device configuration
    /// matches what it presents, so that a mistyped identifier is an error instead of a toy
    /// that is never found.
    pub fn add_simulated_device(&self, spec: SimDeviceSpec) -> Result<Arc<SimHardware>, String> {
        let registry = self.dm.registry();
        if self
            .dm
            .config()
            .candidates(&spec.specifier(), &|name| registry.contains(name))
            .is_empty()
        {
            return Err(format!(
                "no device of the device configuration presents itself as {:?} (`haptix devices` lists the \
                 identifiers that do)",
                spec.name()
            ));
        }
        Ok(self.sim.add_device(spec))
    }

    /// The device manager.
    pub fn device_manager(&self) -> &DeviceManager {
        &self.dm
    }

    /// Session options (name, ping time).
    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// Starts a new client session.
    pub fn connect(
        &self,
    ) -> (
        SessionHandle,
        tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    ) {
        start_session(self.dm.clone(), self.options.clone())
    }

    /// Stops every device and shuts the device manager down.
    pub async fn shutdown(&self) {
        self.dm.shutdown().await;
    }
}
