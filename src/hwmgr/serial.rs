//! The serial comm manager: devices on serial ports (USB serial adapters, stroker controllers).
//!
//! Serial devices do not advertise themselves, so the ports to try come from the configuration:
//! every serial specifier of the device database and the user configuration names a port (the
//! shipped database uses the placeholder `default`, which a user configuration replaces with a
//! real port such as `/dev/ttyUSB0` or `COM3`). While scanning, each named port that exists and
//! is not in use is offered to the device manager once a second; connecting opens it with the
//! matched protocol's line settings.
//!
//! A connected port has two endpoints: `tx` (writes) and `rx` (what the device sends). A reader
//! thread owns the blocking reads; bytes go to subscribers as notifications, or wait for
//! `read`. Writes run on the blocking pool. A read error (the device unplugged, the other end of
//! a pseudo-terminal closed) ends the device with a `Disconnected` event. The receive side is
//! the byte-stream helper shared with HID ([`super::stream`]).

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast;

use super::rescan::Rescan;
use super::stream::RxStream;
use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::{CommSpecifier, SerialSpecifier};
use crate::hwmgr::KnownDevices;

/// How long a blocking read waits before checking whether the port is closing.
const READ_POLL: Duration = Duration::from_millis(100);

/// Ports currently connected, shared between the manager and its devices.
type InUse = Arc<Mutex<HashSet<String>>>;

/// The serial comm manager.
pub struct SerialCommManager {
    config: Arc<dyn KnownDevices>,
    events: CommEventSender,
    in_use: InUse,
    scanning: Rescan,
}

impl std::fmt::Debug for SerialCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialCommManager")
            .field("in_use", &self.in_use.lock().len())
            .finish()
    }
}

impl SerialCommManager {
    /// Creates the manager; found ports go to `events`.
    pub fn new(config: Arc<dyn KnownDevices>, events: CommEventSender) -> SerialCommManager {
        SerialCommManager {
            config,
            events,
            in_use: Arc::new(Mutex::new(HashSet::new())),
            scanning: Rescan::default(),
        }
    }

    /// Offers every configured port that exists and is not connected.
    fn offer_ports(
        config: &dyn KnownDevices,
        events: &CommEventSender,
        in_use: &InUse,
        offered: &mut HashSet<String>,
    ) {
        for spec in crate::hwmgr::serial_ports(config) {
            let present = Path::new(&spec.port).exists() || cfg!(windows);
            if !present {
                offered.remove(&spec.port);
                continue;
            }
            if in_use.lock().contains(&spec.port) || !offered.insert(spec.port.clone()) {
                continue;
            }
            tracing::debug!(port = %spec.port, "serial port found");
            let _ = events.send(CommEvent::DeviceFound(Box::new(SerialConnector {
                specifier: CommSpecifier::Serial(spec.clone()),
                port: spec.port,
                in_use: Arc::clone(in_use),
            })));
        }
    }
}

#[async_trait]
impl CommManager for SerialCommManager {
    fn name(&self) -> &'static str {
        "serial"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        let (config, events, in_use) = (
            Arc::clone(&self.config),
            self.events.clone(),
            Arc::clone(&self.in_use),
        );
        self.scanning.start(
            "serial",
            "serial",
            self.events.clone(),
            Box::new(move |offered| {
                SerialCommManager::offer_ports(config.as_ref(), &events, &in_use, offered);
                Ok(())
            }),
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

/// A configured port that exists, not yet opened.
struct SerialConnector {
    specifier: CommSpecifier,
    port: String,
    in_use: InUse,
}

fn parity(letter: char) -> Result<serialport::Parity, DeviceError> {
    match letter.to_ascii_uppercase() {
        'N' => Ok(serialport::Parity::None),
        'E' => Ok(serialport::Parity::Even),
        'O' => Ok(serialport::Parity::Odd),
        other => Err(DeviceError::Hardware(format!(
            "unknown serial parity {other:?} (expected N, E or O)"
        ))),
    }
}

fn data_bits(bits: u8) -> Result<serialport::DataBits, DeviceError> {
    match bits {
        5 => Ok(serialport::DataBits::Five),
        6 => Ok(serialport::DataBits::Six),
        7 => Ok(serialport::DataBits::Seven),
        8 => Ok(serialport::DataBits::Eight),
        other => Err(DeviceError::Hardware(format!(
            "unsupported serial data bits {other} (expected 5 to 8)"
        ))),
    }
}

fn stop_bits(bits: u8) -> Result<serialport::StopBits, DeviceError> {
    match bits {
        1 => Ok(serialport::StopBits::One),
        2 => Ok(serialport::StopBits::Two),
        other => Err(DeviceError::Hardware(format!(
            "unsupported serial stop bits {other} (expected 1 or 2)"
        ))),
    }
}

/// Opens a port with the given line settings.
fn open(spec: &SerialSpecifier) -> Result<Box<dyn serialport::SerialPort>, DeviceError> {
    serialport::new(&spec.port, spec.baud_rate.max(1))
        .data_bits(data_bits(spec.data_bits)?)
        .parity(parity(spec.parity)?)
        .stop_bits(stop_bits(spec.stop_bits)?)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_POLL)
        .open()
        .map_err(|e| DeviceError::Hardware(format!("cannot open serial port {}: {e}", spec.port)))
}

#[async_trait]
impl HardwareConnector for SerialConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.port
    }

    fn name(&self) -> &str {
        &self.port
    }

    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        // the matched protocol's settings for this port (or its first serial entry)
        let fallback = match &self.specifier {
            CommSpecifier::Serial(s) => Some(s.clone()),
            _ => None,
        };
        let serials: Vec<&SerialSpecifier> = candidate
            .iter()
            .filter_map(|c| match c {
                CommSpecifier::Serial(s) => Some(s),
                _ => None,
            })
            .collect();
        let mut settings = serials
            .iter()
            .find(|s| s.port == self.port)
            .or_else(|| serials.first())
            .map(|s| (*s).clone())
            .or(fallback)
            .ok_or_else(|| DeviceError::Hardware("no serial settings for this port".into()))?;
        settings.port = self.port.clone();
        if !self.in_use.lock().insert(self.port.clone()) {
            return Err(DeviceError::Hardware(format!(
                "serial port {} is already connected",
                self.port
            )));
        }
        let opened = {
            let s = settings.clone();
            tokio::task::spawn_blocking(move || {
                let port = open(&s)?;
                let reader = port.try_clone().map_err(|e| {
                    DeviceError::Hardware(format!("cannot share serial port {}: {e}", s.port))
                })?;
                Ok::<_, DeviceError>((port, reader))
            })
            .await
            .map_err(|e| DeviceError::Hardware(format!("serial open task failed: {e}")))
            .and_then(|r| r)
        };
        let (port, reader) = match opened {
            Ok(pair) => pair,
            Err(e) => {
                self.in_use.lock().remove(&self.port);
                return Err(e);
            }
        };
        let shared = Arc::new(PortShared {
            rx: RxStream::new(&format!("serial port {}", self.port)),
            port_name: self.port.clone(),
            writer: Mutex::new(Some(port)),
            in_use: self.in_use.clone(),
        });
        let reading = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("haptix-serial".into())
            .spawn(move || reading.read_loop(reader))
            .map_err(|e| {
                shared.close();
                DeviceError::Hardware(format!("cannot start the serial reader: {e}"))
            })?;
        tracing::info!("serial device connected");
        Ok(Arc::new(SerialHardware { shared }))
    }
}

/// State shared by a connected port's hardware object and its reader thread.
struct PortShared {
    port_name: String,
    writer: Mutex<Option<Box<dyn serialport::SerialPort>>>,
    rx: RxStream,
    in_use: InUse,
}

impl PortShared {
    fn read_loop(self: Arc<Self>, mut reader: Box<dyn serialport::SerialPort>) {
        let mut buf = [0u8; 512];
        while !self.rx.is_closed() {
            match reader.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    tracing::trace!(port = %self.port_name, bytes = n, "serial data");
                    self.rx.deliver(buf.get(..n).unwrap_or_default().to_vec());
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::TimedOut
                        || e.kind() == std::io::ErrorKind::Interrupted
                        || e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    if !self.rx.is_closed() {
                        tracing::info!(error = %e, "serial device gone");
                    }
                    break;
                }
            }
        }
        self.close();
    }

    /// Marks the port closed (once): releases it and reports the disconnection.
    fn close(&self) {
        self.rx.close(|| {
            self.writer.lock().take();
            self.in_use.lock().remove(&self.port_name);
        });
    }
}

/// A connected serial device.
struct SerialHardware {
    shared: Arc<PortShared>,
}

#[async_trait]
impl Hardware for SerialHardware {
    fn name(&self) -> &str {
        &self.shared.port_name
    }

    fn address(&self) -> &str {
        &self.shared.port_name
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
            let mut writer = shared.writer.lock();
            let port = writer
                .as_mut()
                .ok_or_else(|| DeviceError::Disconnected(shared.port_name.clone()))?;
            port.write_all(&data)
                .and_then(|()| port.flush())
                .map_err(|e| {
                    DeviceError::Hardware(format!("serial write to {}: {e}", shared.port_name))
                })
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("serial write task failed: {e}")))?;
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
