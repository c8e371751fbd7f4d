//! The device manager: owns the comm managers and the connected devices, turns discovered
//! hardware into devices (match → connect → identify → resolve definition → initialise →
//! register), runs the scanning state machine, and fans device events out to every session.
//!
//! It outlives client sessions: devices stay connected, with their indexes, from one client to
//! the next.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::core::messages::{DeviceInfo, InputReadingValue};
use crate::device::config::{DeviceConfigManager, DeviceIdentifier};
use crate::device::handle::Device;
use crate::device::protocols::ProtocolRegistry;
use crate::error::DeviceError;
use crate::hwmgr::{CommEvent, CommManager, HardwareConnector, HardwareEvent};

/// How long connecting, and then identification plus initialisation, of one device may each
/// take (some protocols retry their handshake for up to ten seconds).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long stopping every device may take at shutdown or disconnect.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// An event for sessions.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    /// A device was connected and registered.
    Added(DeviceInfo),
    /// A device went away.
    Removed(u32),
    /// Subscription data.
    Reading {
        /// Device.
        device_index: u32,
        /// Feature.
        feature_index: u32,
        /// Value.
        reading: InputReadingValue,
    },
    /// Scanning ended on its own.
    ScanningFinished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanState {
    Idle,
    Active,
}

struct Inner {
    config: Arc<DeviceConfigManager>,
    registry: ProtocolRegistry,
    managers: RwLock<Vec<Arc<dyn CommManager>>>,
    devices: RwLock<BTreeMap<u32, Arc<Device>>>,
    connecting: Mutex<HashSet<String>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<DeviceEvent>>>,
    scan: tokio::sync::Mutex<ScanState>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// The device manager. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct DeviceManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DeviceManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceManager")
            .field("devices", &self.inner.devices.read().len())
            .finish()
    }
}

impl DeviceManager {
    /// Creates a device manager and starts its event loop on the current tokio runtime.
    /// Comm managers are added with [`DeviceManager::add_comm_manager`]; they send their events
    /// to the sender returned by [`DeviceManager::comm_sender`].
    pub fn new(
        config: Arc<DeviceConfigManager>,
        registry: ProtocolRegistry,
    ) -> (DeviceManager, mpsc::UnboundedSender<CommEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let dm = DeviceManager {
            inner: Arc::new(Inner {
                config,
                registry,
                managers: RwLock::new(Vec::new()),
                devices: RwLock::new(BTreeMap::new()),
                connecting: Mutex::new(HashSet::new()),
                subscribers: Mutex::new(Vec::new()),
                scan: tokio::sync::Mutex::new(ScanState::Idle),
                cancel: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        };
        let me = dm.clone();
        dm.inner.tasks.spawn(async move { me.event_loop(rx).await });
        (dm, tx)
    }

    /// Adds a comm manager. Names must be unique; a duplicate is refused.
    pub fn add_comm_manager(&self, manager: Arc<dyn CommManager>) -> Result<(), DeviceError> {
        let mut managers = self.inner.managers.write();
        if managers.iter().any(|m| m.name() == manager.name()) {
            return Err(DeviceError::NotSupported(format!(
                "a comm manager named {} is already running",
                manager.name()
            )));
        }
        managers.push(Arc::clone(&manager));
        drop(managers);
        // a manager added while scanning scans too (the simulated bus appears with its first
        // device, which may be added mid-scan)
        if tokio::runtime::Handle::try_current().is_ok() {
            let me = self.clone();
            self.inner.tasks.spawn(async move {
                let state = me.inner.scan.lock().await;
                if *state == ScanState::Active && !manager.is_scanning() {
                    match guarded(manager.start_scanning()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(manager = manager.name(), error = %e, "cannot start scanning")
                        }
                        Err(why) => {
                            tracing::error!(manager = manager.name(), %why, "comm manager failed")
                        }
                    }
                }
            });
        }
        Ok(())
    }

    /// The device configuration.
    pub fn config(&self) -> &Arc<DeviceConfigManager> {
        &self.inner.config
    }

    /// The protocol registry.
    pub fn registry(&self) -> &ProtocolRegistry {
        &self.inner.registry
    }

    /// Subscribes to device events. The queue is unbounded per subscriber so that a slow session
    /// never loses its subscription. Dropped receivers are removed on the next event and on the
    /// next subscription, so that sessions that come and go while no device event happens leave
    /// nothing behind.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<DeviceEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut subscribers = self.inner.subscribers.lock();
        subscribers.retain(|s| !s.is_closed());
        subscribers.push(tx);
        rx
    }

    /// How many device-event subscriptions are live (sessions and other listeners).
    pub fn subscriber_count(&self) -> usize {
        let mut subscribers = self.inner.subscribers.lock();
        subscribers.retain(|s| !s.is_closed());
        subscribers.len()
    }

    fn broadcast(&self, event: DeviceEvent) {
        self.inner
            .subscribers
            .lock()
            .retain(|s| s.send(event.clone()).is_ok());
    }

    /// Connected devices, ascending by index.
    pub fn devices(&self) -> Vec<Arc<Device>> {
        self.inner.devices.read().values().cloned().collect()
    }

    /// The device with this index.
    pub fn device(&self, index: u32) -> Result<Arc<Device>, DeviceError> {
        self.inner
            .devices
            .read()
            .get(&index)
            .cloned()
            .ok_or(DeviceError::NotConnected(index))
    }

    /// Device infos, ascending by index.
    pub fn device_infos(&self) -> Vec<DeviceInfo> {
        self.inner
            .devices
            .read()
            .values()
            .map(|d| d.info().clone())
            .collect()
    }

    /// Starts scanning on every comm manager. A manager that fails, panics or hangs is
    /// logged and skipped; the others scan. Scanning while already scanning does nothing.
    pub async fn start_scanning(&self) -> Result<(), DeviceError> {
        let mut state = self.inner.scan.lock().await;
        let managers = self.inner.managers.read().clone();
        if *state != ScanState::Idle || managers.iter().any(|m| m.is_scanning()) {
            return Ok(());
        }
        tracing::info!("scanning started");
        *state = ScanState::Active;
        for m in managers {
            match guarded(m.start_scanning()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(manager = m.name(), error = %e, "cannot start scanning")
                }
                Err(why) => tracing::error!(manager = m.name(), %why, "comm manager failed"),
            }
        }
        Ok(())
    }

    /// Stops scanning. Scanning returns to idle at once, whatever the managers report.
    pub async fn stop_scanning(&self) -> Result<(), DeviceError> {
        let mut state = self.inner.scan.lock().await;
        let managers = self.inner.managers.read().clone();
        for m in managers {
            if m.is_scanning() {
                match guarded(m.stop_scanning()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(manager = m.name(), error = %e, "cannot stop scanning")
                    }
                    Err(why) => tracing::error!(manager = m.name(), %why, "comm manager failed"),
                }
            }
        }
        if *state != ScanState::Idle {
            tracing::info!("scanning stopped");
        }
        *state = ScanState::Idle;
        Ok(())
    }

    /// True while scanning.
    pub async fn is_scanning(&self) -> bool {
        *self.inner.scan.lock().await != ScanState::Idle
    }

    /// Stops outputs and unsubscribes inputs of every device (best effort, bounded in time).
    pub async fn stop_all(&self, inputs: bool, outputs: bool) {
        let devices = self.devices();
        let stops = devices.iter().map(|d| async move {
            if let Err(e) = d.stop(None, inputs, outputs).await {
                tracing::warn!(device = d.index(), error = %e, "stop failed");
            }
            d.flush(STOP_TIMEOUT).await;
        });
        let _ = tokio::time::timeout(STOP_TIMEOUT, futures::future::join_all(stops)).await;
    }

    /// Stops everything, disconnects every device and ends all background work.
    pub async fn shutdown(&self) {
        let _ = self.stop_scanning().await;
        self.stop_all(true, true).await;
        let devices: Vec<Arc<Device>> = {
            let mut map = self.inner.devices.write();
            std::mem::take(&mut *map).into_values().collect()
        };
        for d in devices {
            d.disconnect().await;
        }
        let managers = self.inner.managers.read().clone();
        for m in managers {
            if let Err(why) = guarded(m.shutdown()).await {
                tracing::error!(manager = m.name(), %why, "comm manager failed to shut down");
            }
        }
        self.inner.cancel.cancel();
        self.inner.tasks.close();
        let _ = tokio::time::timeout(STOP_TIMEOUT, self.inner.tasks.wait()).await;
    }

    async fn event_loop(self, mut rx: mpsc::UnboundedReceiver<CommEvent>) {
        loop {
            let event = tokio::select! {
                _ = self.inner.cancel.cancelled() => break,
                e = rx.recv() => match e { Some(e) => e, None => break },
            };
            match event {
                CommEvent::DeviceFound(connector) => self.device_found(connector),
                CommEvent::ScanningFinished { manager } => {
                    tracing::debug!(manager, "comm manager finished scanning");
                    let mut state = self.inner.scan.lock().await;
                    let still = self.inner.managers.read().iter().any(|m| m.is_scanning());
                    if *state == ScanState::Active && !still {
                        *state = ScanState::Idle;
                        drop(state);
                        self.broadcast(DeviceEvent::ScanningFinished);
                    }
                }
            }
        }
    }

    fn device_found(&self, connector: Box<dyn HardwareConnector>) {
        let address = connector.address().to_string();
        if !self.inner.config.is_allowed(&address) {
            tracing::debug!(%address, "device refused by allow/deny configuration");
            return;
        }
        {
            let devices = self.inner.devices.read();
            if devices.values().any(|d| d.hardware().address() == address) {
                return;
            }
            if !self.inner.connecting.lock().insert(address.clone()) {
                return;
            }
        }
        // Devices get their indexes in the order they were found, not in the order their
        // (concurrent) identification finishes.
        let registry = &self.inner.registry;
        if !self
            .inner
            .config
            .candidates(connector.specifier(), &|name| registry.contains(name))
            .is_empty()
        {
            self.inner.config.reserve_index(&address);
        }
        let me = self.clone();
        self.inner.tasks.spawn(async move {
            let result = tokio::select! {
                _ = me.inner.cancel.cancelled() => Err(DeviceError::Disconnected("shutting down".into())),
                r = no_panic(me.connect(connector)) => {
                    r.unwrap_or_else(|why| Err(DeviceError::Hardware(format!(
                        "connecting failed inside the library: {why}"
                    ))))
                }
            };
            me.inner.connecting.lock().remove(&address);
            if let Err(e) = result {
                tracing::warn!(%address, error = %e, "device connection failed");
            }
        });
    }

    async fn connect(&self, mut connector: Box<dyn HardwareConnector>) -> Result<(), DeviceError> {
        let registry = &self.inner.registry;
        let candidates = self
            .inner
            .config
            .candidates(connector.specifier(), &|name| registry.contains(name));
        if candidates.is_empty() {
            tracing::debug!(name = connector.name(), "no protocol matches the device");
            return Ok(());
        }
        let address = connector.address().to_string();
        // The candidates in order, as the reference: the first whose communication the device
        // really has (a Bluetooth LE device whose name several protocols claim has only one
        // protocol's characteristics) is the device's protocol.
        let mut last_error = None;
        let mut chosen = None;
        for candidate in candidates {
            let Some(factory) = registry.get(&candidate.protocol) else {
                continue;
            };
            match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(&candidate.specifiers))
                .await
            {
                Ok(Ok(hardware)) => {
                    chosen = Some((factory, hardware));
                    break;
                }
                Ok(Err(e)) => {
                    tracing::debug!(%address, protocol = %candidate.protocol, error = %e, "candidate protocol does not fit the device");
                    last_error = Some(e);
                }
                Err(_) => {
                    last_error = Some(DeviceError::Timeout(format!("connecting to {address}")));
                }
            }
        }
        let Some((factory, hardware)) = chosen else {
            return Err(last_error.unwrap_or_else(|| {
                DeviceError::NotSupported(format!("no protocol fits the device at {address}"))
            }));
        };
        // Identification and initialisation are bounded and guarded: whatever goes wrong (an
        // error, a silent device, a bug that panics), the hardware is released so the device can
        // be found again.
        let setup = tokio::time::timeout(
            CONNECT_TIMEOUT,
            no_panic(self.setup(Arc::clone(&hardware), factory, address.clone())),
        )
        .await;
        let outcome = match setup {
            Ok(Ok(result)) => result,
            Ok(Err(why)) => Err(DeviceError::Hardware(format!(
                "setting up {address} failed inside the library: {why}"
            ))),
            Err(_) => Err(DeviceError::Timeout(format!(
                "identifying and initialising {address}"
            ))),
        };
        if outcome.is_err() {
            hardware.disconnect().await;
        }
        outcome
    }

    /// Identifies and initialises connected hardware, then registers the device.
    async fn setup(
        &self,
        hardware: Arc<dyn crate::hwmgr::Hardware>,
        factory: Arc<dyn crate::device::protocol::ProtocolFactory>,
        address: String,
    ) -> Result<(), DeviceError> {
        let registry = &self.inner.registry;
        let mut hw_events = hardware.events();
        let identified = factory.identify(&hardware).await?;
        let ident = &identified.identification;
        let factory = if ident.protocol == factory.name() {
            factory
        } else {
            registry.get(&ident.protocol).ok_or_else(|| {
                DeviceError::NotSupported(format!("protocol {} is not built in", ident.protocol))
            })?
        };
        let identifier = DeviceIdentifier {
            address: address.clone(),
            protocol: ident.protocol.clone(),
            identifier: ident.identifier.clone(),
        };
        let definition = self.inner.config.resolve(&identifier).ok_or_else(|| {
            DeviceError::NotSupported(format!(
                "no device definition for protocol {} identifier {:?}",
                identifier.protocol, identifier.identifier
            ))
        })?;
        let index = definition.user.index.ok_or_else(|| {
            DeviceError::NotSupported("device definition has no index".to_string())
        })?;
        let handler = identified
            .initialize(&*factory, &hardware, &definition)
            .await?;
        // Drop notifications that belonged to identification and initialisation.
        while let Ok(ev) = hw_events.try_recv() {
            if ev == HardwareEvent::Disconnected {
                return Err(DeviceError::Disconnected(address));
            }
        }
        let device = Device::start(
            index,
            identifier,
            definition,
            hardware,
            handler,
            self.inner.cancel.child_token(),
        );
        if device.needs_stop_on_connect() {
            device.stop(None, false, true).await?;
        }
        let old = self.inner.devices.write().insert(index, device.clone());
        if let Some(old) = old {
            tracing::warn!(index, "device index reused; dropping the stale device");
            old.disconnect().await;
        }
        tracing::info!(index, "device connected");
        tracing::debug!(index, name = %device.info().name, "device details");
        self.broadcast(DeviceEvent::Added(device.info().clone()));
        let me = self.clone();
        self.inner.tasks.spawn(async move {
            me.forward_events(device, hw_events).await;
        });
        Ok(())
    }

    async fn forward_events(
        &self,
        device: Arc<Device>,
        mut events: tokio::sync::broadcast::Receiver<HardwareEvent>,
    ) {
        let index = device.index();
        loop {
            let ev = tokio::select! {
                _ = self.inner.cancel.cancelled() => return,
                ev = events.recv() => ev,
            };
            match ev {
                Ok(HardwareEvent::Notification { endpoint, data }) => {
                    for (feature_index, reading) in device.handler().notification(endpoint, &data) {
                        if device.is_subscribed(feature_index, reading.input_type()) {
                            self.broadcast(DeviceEvent::Reading {
                                device_index: index,
                                feature_index,
                                reading,
                            });
                        }
                    }
                }
                Ok(HardwareEvent::Disconnected)
                | Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(index, skipped = n, "device notifications lagged");
                }
            }
        }
        let removed = {
            let mut map = self.inner.devices.write();
            match map.get(&index) {
                Some(d) if Arc::ptr_eq(d, &device) => map.remove(&index),
                _ => None,
            }
        };
        if let Some(d) = removed {
            d.disconnect().await;
            tracing::info!(index, "device disconnected");
            self.broadcast(DeviceEvent::Removed(index));
        }
    }
}

/// How long a comm manager may take to start or stop scanning, or to shut down.
const MANAGER_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a comm manager call so that its panic or hang cannot take the device manager down.
async fn guarded<T>(call: impl std::future::Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(MANAGER_CALL_TIMEOUT, no_panic(call))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer within {} s",
                MANAGER_CALL_TIMEOUT.as_secs()
            ))
        })
}

/// Runs a future, turning a panic inside it into an error.
async fn no_panic<T>(call: impl std::future::Future<Output = T>) -> Result<T, String> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(call)
        .catch_unwind()
        .await
        .map_err(|_| "it panicked".to_string())
}
