//! The Bluetooth LE comm manager, over btleplug (BlueZ on Linux, CoreBluetooth on macOS and
//! iOS, WinRT on Windows).
//!
//! While scanning, every advertisement with a name is described as a BLE specifier (name,
//! manufacturer data, advertised services) and offered once to the device manager, which matches
//! it against the database (exact names, `prefix*` names, services, manufacturer data) and
//! connects the ones it knows. Connecting discovers the GATT services and binds the protocol's
//! endpoints (`tx`, `rx`, ...) to characteristics through the matched configuration's service
//! map. Writes go with or without response as the protocol asks; subscribed characteristics
//! deliver notifications; a disconnection reported by the adapter ends the device, and the same
//! peripheral is offered again by the next scan (the device manager gives it back its index).
//!
//! Where the machine has no Bluetooth (no adapter, no system bus, no permission), scanning logs
//! "Bluetooth unavailable" with the reason and reports the scan finished for this bus; the other
//! buses keep working.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use btleplug::api::{
    Central, CentralEvent, Characteristic, Manager as _, Peripheral as _, ScanFilter, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::{uuid_key, BtleSpecifier, CommSpecifier, ManufacturerData};

/// How long connecting and service discovery may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one GATT operation may take.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The adapter, once found.
enum AdapterState {
    Unknown,
    Ready(Adapter),
}

/// The Bluetooth LE comm manager.
pub struct BtleCommManager {
    events: CommEventSender,
    adapter: tokio::sync::Mutex<AdapterState>,
    scanning: Mutex<Option<CancellationToken>>,
    /// Peripherals offered during the current scan, or connected.
    offered: Arc<Mutex<HashSet<PeripheralId>>>,
}

impl std::fmt::Debug for BtleCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BtleCommManager").finish()
    }
}

impl BtleCommManager {
    /// Creates the manager; found devices go to `events`. Nothing touches Bluetooth until the
    /// first scan.
    pub fn new(events: CommEventSender) -> BtleCommManager {
        BtleCommManager {
            events,
            adapter: tokio::sync::Mutex::new(AdapterState::Unknown),
            scanning: Mutex::new(None),
            offered: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// The first adapter, or why there is none.
    async fn adapter(&self) -> Result<Adapter, String> {
        let mut state = self.adapter.lock().await;
        if let AdapterState::Ready(a) = &*state {
            return Ok(a.clone());
        }
        let manager = tokio::time::timeout(OPERATION_TIMEOUT, Manager::new())
            .await
            .map_err(|_| "the Bluetooth service did not answer".to_string())?
            .map_err(|e| e.to_string())?;
        let adapters = manager.adapters().await.map_err(|e| e.to_string())?;
        let adapter = adapters
            .into_iter()
            .next()
            .ok_or_else(|| "no Bluetooth adapter".to_string())?;
        *state = AdapterState::Ready(adapter.clone());
        Ok(adapter)
    }
}

/// Describes a peripheral's advertisement as a specifier; `None` without a name.
async fn describe(peripheral: &Peripheral) -> Option<(String, CommSpecifier)> {
    let props = peripheral.properties().await.ok()??;
    let name = props.local_name.or(props.advertisement_name)?;
    let mut manufacturer_data: Vec<ManufacturerData> = props
        .manufacturer_data
        .into_iter()
        .map(|(company, data)| ManufacturerData {
            company,
            data: Some(data),
        })
        .collect();
    manufacturer_data.sort_by_key(|m| m.company);
    let specifier = CommSpecifier::Btle(BtleSpecifier {
        names: vec![name.clone()],
        manufacturer_data,
        advertised_services: props
            .services
            .iter()
            .map(|u| uuid_key(&u.to_string()))
            .collect(),
        services: Vec::new(),
    });
    Some((name, specifier))
}

#[async_trait]
impl CommManager for BtleCommManager {
    fn name(&self) -> &'static str {
        "btle"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        let adapter = match self.adapter().await {
            Ok(a) => a,
            Err(reason) => {
                tracing::warn!(%reason, "Bluetooth unavailable; scanning the other buses only");
                let _ = self
                    .events
                    .send(CommEvent::ScanningFinished { manager: "btle" });
                return Ok(());
            }
        };
        let events = match adapter.events().await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(reason = %e, "Bluetooth unavailable; scanning the other buses only");
                let _ = self
                    .events
                    .send(CommEvent::ScanningFinished { manager: "btle" });
                return Ok(());
            }
        };
        if let Err(e) = adapter.start_scan(ScanFilter::default()).await {
            tracing::warn!(reason = %e, "Bluetooth scan refused; scanning the other buses only");
            let _ = self
                .events
                .send(CommEvent::ScanningFinished { manager: "btle" });
            return Ok(());
        }
        tracing::info!("Bluetooth LE scan started");
        let token = CancellationToken::new();
        if let Some(old) = self.scanning.lock().replace(token.clone()) {
            old.cancel();
        }
        self.offered.lock().clear();
        let (sender, offered) = (self.events.clone(), Arc::clone(&self.offered));
        tokio::spawn(async move {
            let mut events = events;
            loop {
                let event = tokio::select! {
                    _ = token.cancelled() => break,
                    e = events.next() => e,
                };
                let id = match event {
                    Some(CentralEvent::DeviceDiscovered(id))
                    | Some(CentralEvent::DeviceUpdated(id)) => id,
                    Some(_) => continue,
                    None => break,
                };
                if offered.lock().contains(&id) {
                    continue;
                }
                let Ok(peripheral) = adapter.peripheral(&id).await else {
                    continue;
                };
                let Some((name, specifier)) = describe(&peripheral).await else {
                    continue;
                };
                offered.lock().insert(id.clone());
                tracing::debug!(%name, "Bluetooth LE device found");
                let _ = sender.send(CommEvent::DeviceFound(Box::new(BtleConnector {
                    address: id.to_string(),
                    name,
                    specifier,
                    peripheral,
                    adapter: adapter.clone(),
                    offered: Arc::clone(&offered),
                    id,
                })));
            }
        });
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        let token = self.scanning.lock().take();
        if let Some(token) = token {
            token.cancel();
            if let AdapterState::Ready(adapter) = &*self.adapter.lock().await {
                let _ = adapter.stop_scan().await;
            }
        }
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.lock().is_some()
    }

    async fn shutdown(&self) {
        let _ = self.stop_scanning().await;
    }
}

/// An advertising peripheral, not yet connected.
struct BtleConnector {
    address: String,
    name: String,
    specifier: CommSpecifier,
    peripheral: Peripheral,
    adapter: Adapter,
    offered: Arc<Mutex<HashSet<PeripheralId>>>,
    id: PeripheralId,
}

fn ble_error(what: &str, e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Hardware(format!("bluetooth {what}: {e}"))
}

#[async_trait]
impl HardwareConnector for BtleConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn name(&self) -> &str {
        &self.name
    }

    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        let peripheral = self.peripheral.clone();
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
            if !peripheral.is_connected().await.unwrap_or(false) {
                peripheral
                    .connect()
                    .await
                    .map_err(|e| ble_error("connect", e))?;
            }
            peripheral
                .discover_services()
                .await
                .map_err(|e| ble_error("service discovery", e))
        })
        .await
        .map_err(|_| DeviceError::Timeout(format!("connecting to {}", self.name)));
        if let Err(e) = connected.and_then(|r| r) {
            self.offered.lock().remove(&self.id);
            return Err(e);
        }
        // endpoint → characteristic, from the candidate protocol's service map
        let characteristics: HashMap<String, Characteristic> = peripheral
            .characteristics()
            .into_iter()
            .map(|c| (uuid_key(&c.uuid.to_string()), c))
            .collect();
        let mut endpoints: HashMap<Endpoint, Characteristic> = HashMap::new();
        for spec in candidate {
            if let CommSpecifier::Btle(b) = spec {
                for service in &b.services {
                    for (endpoint, uuid) in &service.characteristics {
                        if let Some(c) = characteristics.get(&uuid_key(uuid)) {
                            endpoints.entry(*endpoint).or_insert_with(|| c.clone());
                        }
                    }
                }
            }
        }
        if endpoints.is_empty() {
            let _ = peripheral.disconnect().await;
            self.offered.lock().remove(&self.id);
            return Err(DeviceError::Hardware(format!(
                "{} has none of the characteristics its protocol needs",
                self.name
            )));
        }
        let (events, _) = broadcast::channel(256);
        let endpoints = Arc::new(endpoints);
        let cancel = CancellationToken::new();
        spawn_forwarders(
            &self.adapter,
            &peripheral,
            &self.id,
            Arc::clone(&endpoints),
            events.clone(),
            cancel.clone(),
            Arc::clone(&self.offered),
        )
        .await?;
        tracing::info!("Bluetooth LE device connected");
        let manufacturer_data = match &self.specifier {
            CommSpecifier::Btle(b) => b.manufacturer_data.clone(),
            _ => Vec::new(),
        };
        Ok(Arc::new(BtleHardware {
            name: self.name.clone(),
            address: self.address.clone(),
            manufacturer_data,
            peripheral,
            endpoints,
            events,
            cancel,
        }))
    }
}

/// Forwards notifications and the disconnection of one peripheral as hardware events.
async fn spawn_forwarders(
    adapter: &Adapter,
    peripheral: &Peripheral,
    id: &PeripheralId,
    endpoints: Arc<HashMap<Endpoint, Characteristic>>,
    events: broadcast::Sender<HardwareEvent>,
    cancel: CancellationToken,
    offered: Arc<Mutex<HashSet<PeripheralId>>>,
) -> Result<(), DeviceError> {
    let mut notifications = peripheral
        .notifications()
        .await
        .map_err(|e| ble_error("notifications", e))?;
    let mut central = adapter
        .events()
        .await
        .map_err(|e| ble_error("adapter events", e))?;
    let (tx, c) = (events.clone(), cancel.clone());
    tokio::spawn(async move {
        loop {
            let n = tokio::select! {
                _ = c.cancelled() => break,
                n = notifications.next() => n,
            };
            let Some(n) = n else { break };
            let key = uuid_key(&n.uuid.to_string());
            let endpoint = endpoints
                .iter()
                .find(|(_, ch)| uuid_key(&ch.uuid.to_string()) == key)
                .map(|(e, _)| *e);
            if let Some(endpoint) = endpoint {
                let _ = tx.send(HardwareEvent::Notification {
                    endpoint,
                    data: n.value,
                });
            }
        }
    });
    let id = id.clone();
    tokio::spawn(async move {
        loop {
            let e = tokio::select! {
                _ = cancel.cancelled() => break,
                e = central.next() => e,
            };
            match e {
                Some(CentralEvent::DeviceDisconnected(gone)) if gone == id => {
                    tracing::info!("Bluetooth LE device disconnected");
                    offered.lock().remove(&id);
                    let _ = events.send(HardwareEvent::Disconnected);
                    cancel.cancel();
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
    });
    Ok(())
}

/// A connected Bluetooth LE device.
struct BtleHardware {
    name: String,
    address: String,
    /// What the peripheral advertised when it was found.
    manufacturer_data: Vec<ManufacturerData>,
    peripheral: Peripheral,
    endpoints: Arc<HashMap<Endpoint, Characteristic>>,
    events: broadcast::Sender<HardwareEvent>,
    cancel: CancellationToken,
}

impl BtleHardware {
    fn characteristic(&self, endpoint: Endpoint) -> Result<&Characteristic, DeviceError> {
        if self.cancel.is_cancelled() {
            return Err(DeviceError::Disconnected(self.name.clone()));
        }
        self.endpoints.get(&endpoint).ok_or_else(|| {
            DeviceError::Hardware(format!("{} has no {endpoint} endpoint", self.name))
        })
    }
}

async fn timed<T>(
    what: &str,
    op: impl std::future::Future<Output = btleplug::Result<T>>,
) -> Result<T, DeviceError> {
    tokio::time::timeout(OPERATION_TIMEOUT, op)
        .await
        .map_err(|_| DeviceError::Timeout(format!("bluetooth {what}")))?
        .map_err(|e| ble_error(what, e))
}

#[async_trait]
impl Hardware for BtleHardware {
    fn name(&self) -> &str {
        &self.name
    }

    fn manufacturer_data(&self) -> Vec<ManufacturerData> {
        self.manufacturer_data.clone()
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        let mut v: Vec<Endpoint> = self.endpoints.keys().copied().collect();
        v.sort_by_key(|e| e.name());
        v
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), DeviceError> {
        let c = self.characteristic(endpoint)?;
        let kind = if with_response {
            WriteType::WithResponse
        } else {
            WriteType::WithoutResponse
        };
        timed("write", self.peripheral.write(c, data, kind)).await
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        let c = self.characteristic(endpoint)?;
        tokio::time::timeout(timeout, self.peripheral.read(c))
            .await
            .map_err(|_| DeviceError::Timeout(format!("bluetooth read from {endpoint}")))?
            .map_err(|e| ble_error("read", e))
    }

    async fn read_rssi(&self) -> Result<i16, DeviceError> {
        if self.cancel.is_cancelled() {
            return Err(DeviceError::Disconnected(self.name.clone()));
        }
        timed("RSSI read", self.peripheral.read_rssi()).await
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        let c = self.characteristic(endpoint)?;
        timed("subscribe", self.peripheral.subscribe(c)).await
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        let c = self.characteristic(endpoint)?;
        timed("unsubscribe", self.peripheral.unsubscribe(c)).await
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    async fn disconnect(&self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(OPERATION_TIMEOUT, self.peripheral.disconnect()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_uuids_expand_with_the_base_uuid() {
        assert_eq!(uuid_key("FFE0"), "0000ffe000001000800000805f9b34fb");
        assert_eq!(
            uuid_key("0000ffe0-0000-1000-8000-00805f9b34fb"),
            "0000ffe000001000800000805f9b34fb"
        );
        assert_eq!(
            uuid_key("6e400002-b5a3-f393-e0a9-e50e24dcca9e"),
            "6e400002b5a3f393e0a9e50e24dcca9e"
        );
    }

    #[tokio::test]
    async fn without_bluetooth_scanning_reports_finished_and_succeeds() {
        // On machines with an adapter this starts a real scan; either way it must not fail.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let manager = BtleCommManager::new(tx);
        manager.start_scanning().await.unwrap();
        if !manager.is_scanning() {
            match rx.try_recv() {
                Ok(CommEvent::ScanningFinished { manager }) => assert_eq!(manager, "btle"),
                other => panic!("expected ScanningFinished, got {other:?}"),
            }
        }
        manager.stop_scanning().await.unwrap();
        assert!(!manager.is_scanning());
    }
}
