//! The embedded Buttplug server.
//!
//! - [`device_manager`]: one per server, shared by every session: runs the comm managers'
//!   scanning, connects and identifies what they find (trying the candidate protocols in
//!   order), gives devices their indexes and tells sessions about devices coming and going.
//! - [`session`]: one per connected client: the handshake, the spec version (v0–v4) the client
//!   speaks, routing of its messages to devices, the ping watchdog, and stopping every device
//!   when the session ends.
//! - [`websocket`]: the Buttplug WebSocket server, one client at a time.
//!
//! Every way in (the WebSocket server, the in-process connector of [`crate::engine`], and so
//! the C ABI) opens a session with [`Server::connect`].

pub mod device_manager;
pub mod session;
pub mod websocket;

use std::sync::Arc;

use crate::device::config::DeviceConfigManager;
#[cfg(feature = "sim")]
use crate::device::config::ProtocolDefinition;
use crate::device::protocols::ProtocolRegistry;
use crate::error::DeviceError;
#[cfg(feature = "sim")]
use crate::hwmgr::sim::{simulate_identifier, SimBus, SimCommManager, SimDeviceSpec, SimHardware};
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
    /// The simulated bus, added as a comm manager like the others when the first simulated
    /// device is (feature `sim`).
    #[cfg(feature = "sim")]
    sim: Arc<std::sync::OnceLock<Arc<SimCommManager>>>,
}

impl Server {
    /// Creates a server with the given device configuration and the built-in protocols and no
    /// comm manager yet (add them with [`Server::add_comm_manager`]; the composition root,
    /// [`crate::engine::Engine`], does). The user configuration's simulated devices (format 5
    /// `simulated_devices`) are added to the simulated bus when the `sim` feature is built.
    /// Must be called inside a tokio runtime.
    pub fn new(config: DeviceConfigManager, options: SessionOptions) -> Server {
        let simulated = config.simulated_devices();
        let (dm, comm) = DeviceManager::new(Arc::new(config), ProtocolRegistry::builtin());
        let server = Server {
            dm,
            comm,
            options,
            #[cfg(feature = "sim")]
            sim: Arc::default(),
        };
        #[cfg(feature = "sim")]
        for d in simulated {
            // the user configuration's virtual devices, found by scanning
            server.simulator().add_device(SimDeviceSpec {
                bus: SimBus::Simulated { name: d.identifier },
                address: Some(d.address),
                endpoints: None,
                responder: None,
            });
        }
        #[cfg(not(feature = "sim"))]
        if !simulated.is_empty() {
            tracing::warn!(
                count = simulated.len(),
                "the user configuration lists simulated devices, but this build has no simulator (cargo feature sim)"
            );
        }
        server
    }

    /// Adds another comm manager (built with [`Server::comm_sender`]).
    pub fn add_comm_manager(&self, manager: Arc<dyn CommManager>) -> Result<(), DeviceError> {
        self.dm.add_comm_manager(manager)
    }

    /// The sender comm managers report to.
    pub fn comm_sender(&self) -> CommEventSender {
        self.comm.clone()
    }

    /// The simulated bus's comm manager, added to the device manager the first time it is
    /// asked for.
    #[cfg(feature = "sim")]
    pub fn simulator(&self) -> &Arc<SimCommManager> {
        self.sim.get_or_init(|| {
            let sim = Arc::new(SimCommManager::new(self.comm.clone()));
            if let Err(e) = self.dm.add_comm_manager(sim.clone()) {
                tracing::error!(error = %e, "the simulated bus could not be added");
            }
            sim
        })
    }

    /// The simulated device at `address`, if the simulated bus has one (it is not created by
    /// asking).
    #[cfg(feature = "sim")]
    pub fn simulated_device(&self, address: &str) -> Option<Arc<SimHardware>> {
        self.sim.get().and_then(|sim| sim.device(address))
    }

    /// Adds a simulated device after checking that some protocol of the device configuration
    /// matches what it presents, so that a mistyped identifier is an error instead of a toy
    /// that is never found.
    #[cfg(feature = "sim")]
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
        Ok(self.simulator().add_device(spec))
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

/// The identifiers offered to simulate `protocol` (what `haptix devices` prints): the
/// [`simulate_identifier`] of each of its bus specifiers, kept only when a device presenting
/// it is matched by `protocol` first. Placeholders such as `serial:default` are shared by
/// several protocols, and a simulated device of that identifier becomes the first of them in
/// the database, so only that one offers it. `has_impl` says which protocols this build
/// implements, as in [`DeviceConfigManager::candidates`]. It is the rule
/// [`Server::add_simulated_device`] refuses identifiers by, seen from the protocol's side.
#[cfg(feature = "sim")]
pub fn offered_identifiers(
    config: &DeviceConfigManager,
    protocol: &ProtocolDefinition,
    has_impl: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut offered: Vec<String> = Vec::new();
    for spec in &protocol.communication {
        let Some(identifier) = simulate_identifier(spec) else {
            continue;
        };
        let first = SimDeviceSpec::parse(&identifier).ok().and_then(|sim| {
            config
                .candidates(&sim.specifier(), has_impl)
                .into_iter()
                .next()
        });
        if first.is_some_and(|c| c.protocol == protocol.name) && !offered.contains(&identifier) {
            offered.push(identifier);
        }
    }
    offered
}
