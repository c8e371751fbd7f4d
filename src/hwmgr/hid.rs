//! The HID comm manager, over hidapi (the pure-Rust hidraw backend on Linux).
//!
//! While scanning, the HID devices present are listed once a second; those whose vendor and
//! product ids the device database or the user configuration names are offered to the device
//! manager, once each. A connected device has a `tx` endpoint (output reports, written as
//! given, the first byte being the report id) and an `rx` endpoint (input reports: read, or
//! delivered as notifications once subscribed). A reader thread polls input reports; an error
//! (the device unplugged) ends the device with a `Disconnected` event.
//!
//! Where the system gives no HID access (no hidraw, no permission), scanning logs "HID
//! unavailable" with the reason and the other buses keep working.

use std::collections::HashSet;
use std::ffi::CString;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hidapi::{HidApi, HidDevice};
use parking_lot::Mutex;
use tokio::sync::broadcast;

use super::rescan::Rescan;
use super::stream::RxStream;
use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::{CommSpecifier, VidPid};
use crate::hwmgr::KnownDevices;

/// How long one input-report poll waits (writers wait at most this long for the device).
const READ_POLL_MS: i32 = 10;

/// Device paths currently connected.
type InUse = Arc<Mutex<HashSet<String>>>;

/// The HID comm manager.
pub struct HidCommManager {
    config: Arc<dyn KnownDevices>,
    events: CommEventSender,
    api: Arc<Mutex<Option<HidApi>>>,
    in_use: InUse,
    scanning: Rescan,
}

impl std::fmt::Debug for HidCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HidCommManager")
            .field("in_use", &self.in_use.lock().len())
            .finish()
    }
}

impl HidCommManager {
    /// Creates the manager; found devices go to `events`. The system's HID layer is opened at
    /// the first scan.
    pub fn new(config: Arc<dyn KnownDevices>, events: CommEventSender) -> HidCommManager {
        HidCommManager {
            config,
            events,
            api: Arc::new(Mutex::new(None)),
            in_use: Arc::new(Mutex::new(HashSet::new())),
            scanning: Rescan::default(),
        }
    }
}

/// One listing pass: offers configured devices not yet offered or connected.
fn offer_devices(
    api: &Arc<Mutex<Option<HidApi>>>,
    wanted: &[VidPid],
    events: &CommEventSender,
    in_use: &InUse,
    offered: &mut HashSet<String>,
) -> Result<(), String> {
    let mut guard = api.lock();
    if guard.is_none() {
        *guard = Some(HidApi::new().map_err(|e| e.to_string())?);
    }
    let Some(hid) = guard.as_mut() else {
        return Err("the HID layer could not be opened".into());
    };
    hid.refresh_devices().map_err(|e| e.to_string())?;
    let mut present = HashSet::new();
    for info in hid.device_list() {
        let id = VidPid {
            vendor_id: info.vendor_id(),
            product_id: info.product_id(),
        };
        if !wanted.contains(&id) {
            continue;
        }
        let path = info.path().to_string_lossy().into_owned();
        present.insert(path.clone());
        if in_use.lock().contains(&path) || !offered.insert(path.clone()) {
            continue;
        }
        let name = info
            .product_string()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{:04x}:{:04x}", id.vendor_id, id.product_id));
        tracing::debug!(%name, "HID device found");
        let _ = events.send(CommEvent::DeviceFound(Box::new(HidConnector {
            specifier: CommSpecifier::Hid(vec![id]),
            path,
            name,
            in_use: Arc::clone(in_use),
            api: Arc::clone(api),
        })));
    }
    // a device unplugged and plugged again is offered again
    offered.retain(|p| present.contains(p));
    Ok(())
}

#[async_trait]
impl CommManager for HidCommManager {
    fn name(&self) -> &'static str {
        "hid"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        let wanted = crate::hwmgr::hid_ids(self.config.as_ref());
        let (api, events, in_use) = (
            Arc::clone(&self.api),
            self.events.clone(),
            Arc::clone(&self.in_use),
        );
        self.scanning.start(
            "hid",
            "HID",
            self.events.clone(),
            Box::new(move |offered| offer_devices(&api, &wanted, &events, &in_use, offered)),
        );
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.stop();
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.is_scanning()
    }

    async fn shutdown(&self) {
        let _ = self.stop_scanning().await;
    }
}

/// A present HID device, not yet opened.
struct HidConnector {
    specifier: CommSpecifier,
    path: String,
    name: String,
    in_use: InUse,
    api: Arc<Mutex<Option<HidApi>>>,
}

#[async_trait]
impl HardwareConnector for HidConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.path
    }

    fn name(&self) -> &str {
        &self.name
    }

    async fn connect(
        &mut self,
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if !self.in_use.lock().insert(self.path.clone()) {
            return Err(DeviceError::Hardware(format!(
                "HID device {} is already connected",
                self.name
            )));
        }
        let path = self.path.clone();
        let api = Arc::clone(&self.api);
        let opened = tokio::task::spawn_blocking(move || {
            let guard = api.lock();
            let api = guard
                .as_ref()
                .ok_or_else(|| DeviceError::Hardware("HID unavailable".into()))?;
            let c_path = CString::new(path.clone())
                .map_err(|_| DeviceError::Hardware(format!("bad HID path {path:?}")))?;
            api.open_path(&c_path)
                .map_err(|e| DeviceError::Hardware(format!("cannot open HID device: {e}")))
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("HID open task failed: {e}")))
        .and_then(|r| r);
        let device = match opened {
            Ok(d) => d,
            Err(e) => {
                self.in_use.lock().remove(&self.path);
                return Err(e);
            }
        };
        let shared = Arc::new(HidShared {
            rx: RxStream::new(&format!("HID device {}", self.name)),
            name: self.name.clone(),
            path: self.path.clone(),
            device: Mutex::new(Some(device)),
            in_use: self.in_use.clone(),
        });
        let reading = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("haptix-hid".into())
            .spawn(move || reading.read_loop())
            .map_err(|e| {
                shared.close();
                DeviceError::Hardware(format!("cannot start the HID reader: {e}"))
            })?;
        tracing::info!("HID device connected");
        Ok(Arc::new(HidHardware { shared }))
    }
}

/// State shared by a connected device's hardware object and its reader thread.
struct HidShared {
    name: String,
    path: String,
    device: Mutex<Option<HidDevice>>,
    rx: RxStream,
    in_use: InUse,
}

impl HidShared {
    fn read_loop(self: Arc<Self>) {
        let mut buf = [0u8; 256];
        while !self.rx.is_closed() {
            let read = {
                let guard = self.device.lock();
                match guard.as_ref() {
                    Some(d) => d.read_timeout(&mut buf, READ_POLL_MS),
                    None => break,
                }
            };
            match read {
                Ok(0) => std::thread::yield_now(),
                Ok(n) => self.rx.deliver(buf.get(..n).unwrap_or_default().to_vec()),
                Err(e) => {
                    if !self.rx.is_closed() {
                        tracing::info!(error = %e, "HID device gone");
                    }
                    break;
                }
            }
        }
        self.close();
    }

    /// Marks the device closed (once): releases it and reports the disconnection.
    fn close(&self) {
        self.rx.close(|| {
            self.device.lock().take();
            self.in_use.lock().remove(&self.path);
        });
    }
}

/// A connected HID device.
struct HidHardware {
    shared: Arc<HidShared>,
}

#[async_trait]
impl Hardware for HidHardware {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn address(&self) -> &str {
        &self.shared.path
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Tx, Endpoint::Rx]
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.shared.rx.check(endpoint, Endpoint::Tx)?;
        let shared = Arc::clone(&self.shared);
        let data = data.to_vec();
        let result = tokio::task::spawn_blocking(move || {
            let guard = shared.device.lock();
            let device = guard
                .as_ref()
                .ok_or_else(|| DeviceError::Disconnected(shared.name.clone()))?;
            device
                .write(&data)
                .map(|_| ())
                .map_err(|e| DeviceError::Hardware(format!("HID write: {e}")))
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("HID write task failed: {e}")))?;
        if result.is_err() {
            self.shared.close();
        }
        result
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.shared.rx.read(endpoint, length, timeout).await
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.shared.rx.subscribe(endpoint, true)
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.shared.rx.subscribe(endpoint, false)
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.shared.rx.events()
    }

    async fn disconnect(&self) {
        self.shared.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scanning_without_hid_devices_is_clean() {
        // Lists the machine's HID devices; with no access it reports unavailability instead.
        let config = Arc::new(crate::device::config::DeviceConfigManager::builtin().unwrap());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let manager = HidCommManager::new(config, tx);
        manager.start_scanning().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        manager.stop_scanning().await.unwrap();
        assert!(!manager.is_scanning());
        // whatever the machine has, nothing but found devices or a finished scan is reported
        while let Ok(event) = rx.try_recv() {
            match event {
                CommEvent::DeviceFound(_) => {}
                CommEvent::ScanningFinished { manager } => assert_eq!(manager, "hid"),
            }
        }
    }
}
