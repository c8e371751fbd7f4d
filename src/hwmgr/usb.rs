//! The raw USB comm manager, over nusb (pure Rust; usbfs on Linux): devices the device database
//! names by USB vendor and product id under a `usb` specifier (the Rez TranceVibrator).
//!
//! While scanning, the USB devices present are listed once a second; those whose ids a `usb`
//! specifier of the device database or the user configuration names are offered to the device
//! manager, once each (again after being unplugged and plugged back). A connected device has one
//! endpoint, `txvendorcontrol`: each write of one byte `v` becomes the vendor control request
//! the toy understands, [`vendor_control`]: an OUT transfer on the default control endpoint with
//! `bmRequestType` 0x43 (vendor, recipient "other"), `bRequest` 1, `wValue` = `v`, `wIndex` 0
//! and no data. A failed transfer (the toy unplugged) fails the write and ends the device with a
//! `Disconnected` event.
//!
//! Where the system gives no USB access (no usbfs, no permission to list or open), scanning logs
//! "USB unavailable" with the reason and finishes, the other buses unaffected. Transfers run on
//! tokio's blocking pool.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast;

use super::rescan::Rescan;
use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::{CommSpecifier, VidPid};
use crate::hwmgr::KnownDevices;

/// How long one control transfer may take.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(1);

/// A vendor control request (OUT, no data stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorControl {
    /// `bmRequestType`.
    pub request_type: u8,
    /// `bRequest`.
    pub request: u8,
    /// `wValue`.
    pub value: u16,
    /// `wIndex`.
    pub index: u16,
}

/// The control request a write of `data` on `endpoint` becomes: only `txvendorcontrol` writes
/// of exactly one byte (the speed) are valid.
pub fn vendor_control(endpoint: Endpoint, data: &[u8]) -> Result<VendorControl, DeviceError> {
    if endpoint != Endpoint::TxVendorControl {
        return Err(DeviceError::Hardware(format!(
            "a USB device has no {endpoint} endpoint (use txvendorcontrol)"
        )));
    }
    match data {
        [speed] => Ok(VendorControl {
            request_type: 0x43,
            request: 0x01,
            value: u16::from(*speed),
            index: 0,
        }),
        _ => Err(DeviceError::Hardware(format!(
            "a USB vendor control write carries one byte, not {}",
            data.len()
        ))),
    }
}

pub use crate::hwmgr::usb_ids;

/// Devices currently connected, by bus location.
type InUse = Arc<Mutex<HashSet<String>>>;

/// The raw USB comm manager.
pub struct UsbCommManager {
    config: Arc<dyn KnownDevices>,
    events: CommEventSender,
    in_use: InUse,
    scanning: Rescan,
}

impl std::fmt::Debug for UsbCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbCommManager")
            .field("in_use", &self.in_use.lock().len())
            .finish()
    }
}

impl UsbCommManager {
    /// Creates the manager; found devices go to `events`. Nothing is opened before scanning.
    pub fn new(config: Arc<dyn KnownDevices>, events: CommEventSender) -> UsbCommManager {
        UsbCommManager {
            config,
            events,
            in_use: Arc::new(Mutex::new(HashSet::new())),
            scanning: Rescan::default(),
        }
    }
}

/// One listing pass: offers configured devices not yet offered or connected.
fn offer_devices(
    wanted: &[VidPid],
    events: &CommEventSender,
    in_use: &InUse,
    offered: &mut HashSet<String>,
) -> Result<(), String> {
    let list = nusb::list_devices().map_err(|e| format!("cannot list USB devices: {e}"))?;
    let mut present = HashSet::new();
    for info in list {
        let id = VidPid {
            vendor_id: info.vendor_id(),
            product_id: info.product_id(),
        };
        if !wanted.contains(&id) {
            continue;
        }
        let address = format!("usb-{}-{}", info.bus_number(), info.device_address());
        present.insert(address.clone());
        if in_use.lock().contains(&address) || !offered.insert(address.clone()) {
            continue;
        }
        let name = info
            .product_string()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{:04x}:{:04x}", id.vendor_id, id.product_id));
        tracing::debug!(%name, %address, "USB device found");
        let _ = events.send(CommEvent::DeviceFound(Box::new(UsbConnector {
            specifier: CommSpecifier::Usb(vec![id]),
            info,
            address,
            name,
            in_use: Arc::clone(in_use),
        })));
    }
    offered.retain(|a| present.contains(a));
    Ok(())
}

#[async_trait]
impl CommManager for UsbCommManager {
    fn name(&self) -> &'static str {
        "usb"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        let wanted = usb_ids(self.config.as_ref());
        let (events, in_use) = (self.events.clone(), Arc::clone(&self.in_use));
        self.scanning.start(
            "usb",
            "USB",
            self.events.clone(),
            Box::new(move |offered| offer_devices(&wanted, &events, &in_use, offered)),
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

/// A present USB device, not yet opened.
struct UsbConnector {
    specifier: CommSpecifier,
    info: nusb::DeviceInfo,
    address: String,
    name: String,
    in_use: InUse,
}

#[async_trait]
impl HardwareConnector for UsbConnector {
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
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if !self.in_use.lock().insert(self.address.clone()) {
            return Err(DeviceError::Hardware(format!(
                "USB device {} is already connected",
                self.address
            )));
        }
        let info = self.info.clone();
        let opened = tokio::task::spawn_blocking(move || info.open())
            .await
            .map_err(|e| DeviceError::Hardware(format!("USB open task failed: {e}")))
            .and_then(|r| {
                r.map_err(|e| {
                    DeviceError::Hardware(format!("cannot open USB device {}: {e}", self.address))
                })
            });
        let device = match opened {
            Ok(d) => d,
            Err(e) => {
                self.in_use.lock().remove(&self.address);
                return Err(e);
            }
        };
        let (events, _) = broadcast::channel(16);
        Ok(Arc::new(UsbHardware {
            shared: Arc::new(UsbShared {
                device: Mutex::new(Some(device)),
                address: self.address.clone(),
                name: self.name.clone(),
                closed: AtomicBool::new(false),
                events,
                in_use: self.in_use.clone(),
            }),
        }))
    }
}

struct UsbShared {
    device: Mutex<Option<nusb::Device>>,
    address: String,
    name: String,
    closed: AtomicBool,
    events: broadcast::Sender<HardwareEvent>,
    in_use: InUse,
}

impl UsbShared {
    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.device.lock().take();
        self.in_use.lock().remove(&self.address);
        let _ = self.events.send(HardwareEvent::Disconnected);
    }
}

/// A connected raw USB device.
struct UsbHardware {
    shared: Arc<UsbShared>,
}

#[async_trait]
impl Hardware for UsbHardware {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn address(&self) -> &str {
        &self.shared.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::TxVendorControl]
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        let control = vendor_control(endpoint, data)?;
        let shared = Arc::clone(&self.shared);
        let result = tokio::task::spawn_blocking(move || {
            let guard = shared.device.lock();
            let device = guard
                .as_ref()
                .ok_or_else(|| DeviceError::Disconnected(shared.address.clone()))?;
            device
                .control_out_blocking(
                    nusb::transfer::Control {
                        control_type: nusb::transfer::ControlType::Vendor,
                        recipient: nusb::transfer::Recipient::Other,
                        request: control.request,
                        value: control.value,
                        index: control.index,
                    },
                    &[],
                    TRANSFER_TIMEOUT,
                )
                .map(|_| ())
                .map_err(|e| {
                    DeviceError::Hardware(format!("USB transfer to {}: {e}", shared.address))
                })
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("USB transfer task failed: {e}")))?;
        if matches!(result, Err(DeviceError::Hardware(_))) {
            self.shared.close();
        }
        result
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "USB device {} has no {endpoint} endpoint to read",
            self.shared.address
        )))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "USB device {} has no {endpoint} endpoint to subscribe to",
            self.shared.address
        )))
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.subscribe(endpoint).await
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.shared.events.subscribe()
    }

    async fn disconnect(&self) {
        self.shared.close();
    }
}
