//! The Lovense USB dongle: a Bluetooth radio in a USB stick that speaks JSON lines to the host and
//! connects one Lovense toy at a time. Two variants exist: the older one is a USB serial adapter
//! (vendor 0x1A86, product 0x7523, 115200 baud), the newer one a HID device (vendor 0x1915,
//! product 0x520A). Both carry the same messages; they differ only in framing.
//!
//! # The dongle's protocol
//!
//! Each message is one JSON object followed by `\r\n`. The host sends objects with the fields
//! `type` (`"toy"` or `"usb"`), `func`, and where needed `id` (the toy's id) and `cmd` (the
//! toy's own ASCII command, such as `Vibrate:10;`):
//!
//! * `{"type":"toy","func":"statuss"}` asks whether a toy is already connected (the dongle keeps
//!   its toy across host restarts); a connected toy answers with a `status` message;
//! * `{"type":"toy","func":"search"}` starts the search; the dongle answers `func` `search` with
//!   `result` 205 (started) and later 206 (stopped, e.g. after its own timeout);
//! * `{"type":"usb","func":"stopSearch"}` stops it (answer: `stopSearch`, `result` 200);
//! * `{"type":"toy","func":"command","id":ID,"cmd":TEXT}` sends a toy command.
//!
//! From the dongle: `{"type":"toy","func":"toyData","data":{"id":ID,"data":TEXT}}` carries a
//! toy's reply (or, while searching, announces the toy the dongle found and connects: the host
//! then stops the search and uses the toy once the dongle answers `search` 206);
//! `{"type":"toy","func":"status","data":{"id":ID,"status":S}}` reports the toy's state (202
//! connected, 403 disconnected).
//!
//! # Framing
//!
//! Serial: the lines as they are. HID: each line is cut into 63-byte pieces, each written as a
//! 65-byte output report (report id 0, the piece, zero padding); input reports carry text padded
//! with zero bytes, which are dropped before the lines are reassembled.
//!
//! # The manager
//!
//! The dongle is looked for when scanning starts (the serial one by its USB ids among the serial
//! ports, or at a port given explicitly; the HID one by its ids). Where there is none, or the
//! system gives no access, scanning logs "Lovense dongle unavailable" with the reason and
//! finishes at once, the other buses unaffected. A found toy is offered to the device manager as a
//! Bluetooth LE device named `LVS-DongleDevice` (so the `lovense` protocol's definitions match;
//! the protocol then identifies the model with `DeviceType;` through the dongle), addressed by
//! the toy's id, with endpoints `tx` (commands, wrapped as above) and `rx` (the toy's replies,
//! delivered as notifications once subscribed, or kept for `read`). Writes keep a 75 ms gap,
//! which the dongle needs. Unplugging the dongle, or the dongle reporting the toy disconnected,
//! ends the device with a `Disconnected` event.
//!
//! Threads: one reader thread per open dongle does the blocking reads; writes run on tokio's
//! blocking pool; the dongle's state machine is one tokio task.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};

use super::stream::RxStream;
use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::CommSpecifier;

/// USB vendor id of the serial dongle's adapter chip.
pub const SERIAL_DONGLE_VID: u16 = 0x1a86;
/// USB product id of the serial dongle's adapter chip.
pub const SERIAL_DONGLE_PID: u16 = 0x7523;
/// Baud rate of the serial dongle.
pub const SERIAL_DONGLE_BAUD: u32 = 115_200;
/// USB vendor id of the HID dongle.
pub const HID_DONGLE_VID: u16 = 0x1915;
/// USB product id of the HID dongle.
pub const HID_DONGLE_PID: u16 = 0x520a;
/// Bytes of a line carried by one HID report.
pub const HID_CHUNK: usize = 63;
/// Size of a written HID report, report id included.
pub const HID_REPORT_LEN: usize = 65;

/// Name under which a dongle toy is offered (a BLE name the `lovense` protocol matches).
pub const DONGLE_DEVICE_NAME: &str = "LVS-DongleDevice";

/// Gap the dongle needs between two writes.
const WRITE_GAP: Duration = Duration::from_millis(75);
/// How long the dongle may take to report an already connected toy.
const STATUS_WAIT: Duration = Duration::from_millis(250);
/// How long the dongle may take to confirm the end of a search before the toy it found is
/// offered anyway.
const STOP_WAIT: Duration = Duration::from_secs(1);
/// How long one blocking read waits before checking whether the dongle is closing.
const READ_POLL: Duration = Duration::from_millis(100);
/// Longest line kept while waiting for its end; longer garbage is dropped.
const MAX_LINE: usize = 64 * 1024;

/// Dongle result and status codes.
mod code {
    pub const SEARCH_STARTED: u16 = 205;
    pub const SEARCH_STOPPED: u16 = 206;
    pub const CONNECTED: u16 = 202;
    pub const DISCONNECTED: u16 = 403;
}

/// The host's message asking for the already connected toy.
pub fn status_query() -> String {
    r#"{"type":"toy","func":"statuss"}"#.to_string()
}

/// The host's message starting a search.
pub fn search_request() -> String {
    r#"{"type":"toy","func":"search"}"#.to_string()
}

/// The host's message stopping a search.
pub fn stop_search_request() -> String {
    r#"{"type":"usb","func":"stopSearch"}"#.to_string()
}

/// The host's message carrying the toy command `cmd` to the toy `id`.
pub fn toy_command(id: &str, cmd: &str) -> String {
    serde_json::json!({"type": "toy", "func": "command", "id": id, "cmd": cmd}).to_string()
}

/// Cuts a line (without its `\r\n`, which this adds) into HID output reports.
pub fn hid_reports(line: &str) -> Vec<[u8; HID_REPORT_LEN]> {
    let mut bytes = line.as_bytes().to_vec();
    bytes.extend_from_slice(b"\r\n");
    bytes
        .chunks(HID_CHUNK)
        .map(|chunk| {
            let mut report = [0u8; HID_REPORT_LEN];
            for (slot, b) in report.iter_mut().skip(1).zip(chunk) {
                *slot = *b;
            }
            report
        })
        .collect()
}

/// Reassembles the dongle's lines from received bytes (serial reads or HID input reports).
#[derive(Debug, Default)]
pub struct LineAssembler {
    partial: Vec<u8>,
}

impl LineAssembler {
    /// Adds received bytes (zero bytes, the HID padding, are dropped) and returns the lines
    /// completed by them, trimmed, empty ones left out.
    pub fn push(&mut self, data: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in data {
            match b {
                0 => {}
                b'\n' => {
                    let line = String::from_utf8_lossy(&self.partial).trim().to_string();
                    self.partial.clear();
                    if !line.is_empty() {
                        lines.push(line);
                    }
                }
                _ if self.partial.len() >= MAX_LINE => {
                    tracing::warn!("Lovense dongle: line too long, dropped");
                    self.partial.clear();
                }
                _ => self.partial.push(b),
            }
        }
        lines
    }
}

/// A message from the dongle (unknown fields ignored).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DongleMessage {
    /// `func`: what the message is about.
    #[serde(default)]
    pub func: String,
    /// `result`: the outcome of a host request.
    #[serde(default)]
    pub result: Option<u16>,
    /// `data`: the toy concerned.
    #[serde(default)]
    pub data: Option<DongleData>,
}

/// The `data` object of a dongle message.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DongleData {
    /// The toy's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The toy's reply text.
    #[serde(default)]
    pub data: Option<String>,
    /// The toy's status code.
    #[serde(default)]
    pub status: Option<u16>,
}

/// Which dongle a manager drives.
#[derive(Debug, Clone)]
enum Variant {
    /// The serial dongle: at the given port, or found by its USB ids.
    Serial(Option<String>),
    /// The HID dongle.
    #[cfg(feature = "lovense-dongle-hid")]
    Hid,
}

/// Writes one line (without `\r\n`) to the dongle; blocking.
type LineWriter = Box<dyn FnMut(&str) -> std::io::Result<()> + Send>;

/// What the state machine task receives.
enum Input {
    Start,
    Stop,
    Line(String),
    /// The dongle's reader ended (unplugged, or the manager closing it).
    Gone,
    /// The dongle did not confirm the end of the search for the toy it found in time.
    StopTimeout(String),
    Shutdown,
}

/// An open dongle.
struct Link {
    writer: Arc<Mutex<Option<LineWriter>>>,
    /// Tells the reader thread to stop.
    closing: Arc<std::sync::atomic::AtomicBool>,
}

impl Link {
    async fn send(&self, line: String) -> Result<(), DeviceError> {
        let writer = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || {
            let mut guard = writer.lock();
            let w = guard
                .as_mut()
                .ok_or_else(|| DeviceError::Disconnected("Lovense dongle".into()))?;
            tracing::trace!(%line, "to Lovense dongle");
            w(&line).map_err(|e| DeviceError::Hardware(format!("write to Lovense dongle: {e}")))
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("dongle write task failed: {e}")))?
    }

    fn close(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.writer.lock().take();
    }
}

/// State shared by the manager and its task.
struct Shared {
    name: &'static str,
    variant: Variant,
    events: CommEventSender,
    scanning: Mutex<bool>,
    input: Mutex<Option<mpsc::UnboundedSender<Input>>>,
}

/// A Lovense dongle comm manager (serial or HID variant).
pub struct LovenseDongleCommManager {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LovenseDongleCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LovenseDongleCommManager")
            .field("name", &self.shared.name)
            .field("variant", &self.shared.variant)
            .finish()
    }
}

impl LovenseDongleCommManager {
    /// The serial dongle, found among the serial ports by its USB ids when scanning starts.
    pub fn serial(events: CommEventSender) -> LovenseDongleCommManager {
        Self::create("lovense-dongle-serial", Variant::Serial(None), events)
    }

    /// The serial dongle at `port` (e.g. `/dev/ttyUSB0`, `COM3`), without looking at USB ids.
    pub fn serial_at(port: &str, events: CommEventSender) -> LovenseDongleCommManager {
        Self::create(
            "lovense-dongle-serial",
            Variant::Serial(Some(port.to_string())),
            events,
        )
    }

    /// The HID dongle, opened by its USB ids when scanning starts.
    #[cfg(feature = "lovense-dongle-hid")]
    pub fn hid(events: CommEventSender) -> LovenseDongleCommManager {
        Self::create("lovense-dongle-hid", Variant::Hid, events)
    }

    fn create(
        name: &'static str,
        variant: Variant,
        events: CommEventSender,
    ) -> LovenseDongleCommManager {
        LovenseDongleCommManager {
            shared: Arc::new(Shared {
                name,
                variant,
                events,
                scanning: Mutex::new(false),
                input: Mutex::new(None),
            }),
        }
    }

    fn finish_scanning(shared: &Shared) {
        let was = std::mem::replace(&mut *shared.scanning.lock(), false);
        if was {
            let _ = shared.events.send(CommEvent::ScanningFinished {
                manager: shared.name,
            });
        }
    }
}

/// Opens the dongle: its line writer, and a reader thread sending lines to `input`.
fn open(variant: &Variant, input: mpsc::UnboundedSender<Input>) -> Result<Link, String> {
    match variant {
        Variant::Serial(port) => open_serial(port.as_deref(), input),
        #[cfg(feature = "lovense-dongle-hid")]
        Variant::Hid => open_hid(input),
    }
}

fn open_serial(port: Option<&str>, input: mpsc::UnboundedSender<Input>) -> Result<Link, String> {
    let path = match port {
        Some(p) => p.to_string(),
        None => serialport::available_ports()
            .map_err(|e| format!("cannot list the serial ports: {e}"))?
            .into_iter()
            .find(|p| {
                matches!(&p.port_type, serialport::SerialPortType::UsbPort(u)
                    if u.vid == SERIAL_DONGLE_VID && u.pid == SERIAL_DONGLE_PID)
            })
            .map(|p| p.port_name)
            .ok_or_else(|| {
                format!(
                    "no serial port with USB ids {SERIAL_DONGLE_VID:04x}:{SERIAL_DONGLE_PID:04x}"
                )
            })?,
    };
    let mut port = serialport::new(&path, SERIAL_DONGLE_BAUD)
        .timeout(READ_POLL)
        .open()
        .map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut reader = port
        .try_clone()
        .map_err(|e| format!("cannot share {path}: {e}"))?;
    let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::clone(&closing);
    std::thread::Builder::new()
        .name("haptix-lovense-dongle".into())
        .spawn(move || {
            let mut lines = LineAssembler::default();
            let mut buf = [0u8; 512];
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                match std::io::Read::read(&mut reader, &mut buf) {
                    Ok(n) => {
                        for line in lines.push(buf.get(..n).unwrap_or_default()) {
                            let _ = input.send(Input::Line(line));
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                                | std::io::ErrorKind::WouldBlock
                        ) => {}
                    Err(e) => {
                        tracing::info!(error = %e, "Lovense dongle gone");
                        break;
                    }
                }
            }
            let _ = input.send(Input::Gone);
        })
        .map_err(|e| format!("cannot start the dongle reader: {e}"))?;
    let writer: LineWriter = Box::new(move |line: &str| {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        std::io::Write::write_all(&mut port, &bytes)?;
        std::io::Write::flush(&mut port)
    });
    Ok(Link {
        writer: Arc::new(Mutex::new(Some(writer))),
        closing,
    })
}

#[cfg(feature = "lovense-dongle-hid")]
fn open_hid(input: mpsc::UnboundedSender<Input>) -> Result<Link, String> {
    let api = hidapi::HidApi::new().map_err(|e| format!("no HID access: {e}"))?;
    let device = api.open(HID_DONGLE_VID, HID_DONGLE_PID).map_err(|e| {
        format!("no HID device {HID_DONGLE_VID:04x}:{HID_DONGLE_PID:04x} to open ({e})")
    })?;
    let device = Arc::new(Mutex::new(device));
    let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (reading, stop) = (Arc::clone(&device), Arc::clone(&closing));
    std::thread::Builder::new()
        .name("haptix-lovense-dongle-hid".into())
        .spawn(move || {
            let mut lines = LineAssembler::default();
            let mut buf = [0u8; HID_REPORT_LEN];
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                // short polls, so writers (same handle) are not held off
                let got = reading.lock().read_timeout(&mut buf, 10);
                match got {
                    Ok(0) => std::thread::sleep(Duration::from_millis(5)),
                    Ok(n) => {
                        for line in lines.push(buf.get(..n).unwrap_or_default()) {
                            let _ = input.send(Input::Line(line));
                        }
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "Lovense HID dongle gone");
                        break;
                    }
                }
            }
            let _ = input.send(Input::Gone);
        })
        .map_err(|e| format!("cannot start the dongle reader: {e}"))?;
    let writer: LineWriter = Box::new(move |line: &str| {
        let d = device.lock();
        for report in hid_reports(line) {
            d.write(&report).map_err(std::io::Error::other)?;
        }
        Ok(())
    });
    Ok(Link {
        writer: Arc::new(Mutex::new(Some(writer))),
        closing,
    })
}

/// The state machine: one task per manager, alive from the first scan to shutdown.
struct Machine {
    shared: Arc<Shared>,
    input: mpsc::UnboundedSender<Input>,
    link: Option<Link>,
    /// The toy currently connected through the dongle.
    toy: Option<Arc<DongleToy>>,
    /// A search was sent and not yet stopped.
    searching: bool,
    /// The toy the search found, offered once the dongle confirms the search ended.
    stopping: Option<String>,
}

impl Machine {
    async fn run(mut self, mut inputs: mpsc::UnboundedReceiver<Input>) {
        while let Some(input) = inputs.recv().await {
            match input {
                Input::Start => self.start(&mut inputs).await,
                Input::Stop => self.stop().await,
                Input::Line(line) => self.line(&line).await,
                Input::Gone => self.gone(),
                Input::StopTimeout(id) => {
                    if self.stopping.as_ref() == Some(&id) {
                        self.stopping = None;
                        tracing::debug!("Lovense dongle did not confirm the search's end");
                        self.toy_found(id).await;
                    }
                }
                Input::Shutdown => break,
            }
        }
        if let Some(link) = self.link.take() {
            if self.searching {
                let _ = link.send(stop_search_request()).await;
            }
            link.close();
        }
        if let Some(toy) = self.toy.take() {
            toy.close();
        }
    }

    async fn send(&mut self, line: String) {
        let Some(link) = &self.link else { return };
        if let Err(e) = link.send(line).await {
            tracing::warn!(error = %e, "Lovense dongle write failed");
        }
    }

    async fn start(&mut self, inputs: &mut mpsc::UnboundedReceiver<Input>) {
        if self.toy.as_ref().is_some_and(|t| t.rx.is_closed()) {
            // the client let the toy go; the dongle still holds it and reports it again
            self.toy = None;
            self.send(status_query()).await;
        }
        if self.link.is_none() {
            let (variant, input) = (self.shared.variant.clone(), self.input.clone());
            let opened = tokio::task::spawn_blocking(move || open(&variant, input))
                .await
                .unwrap_or_else(|e| Err(format!("dongle open task failed: {e}")));
            match opened {
                Ok(link) => {
                    tracing::info!(manager = self.shared.name, "Lovense dongle found");
                    self.link = Some(link);
                    // a toy the dongle kept connected answers this
                    self.send(status_query()).await;
                    let deadline = tokio::time::Instant::now() + STATUS_WAIT;
                    while self.toy.is_none() {
                        match tokio::time::timeout_at(deadline, inputs.recv()).await {
                            Ok(Some(Input::Line(line))) => self.line(&line).await,
                            Ok(Some(Input::Gone)) | Ok(None) => {
                                self.gone();
                                break;
                            }
                            Ok(Some(Input::Shutdown)) => {
                                let _ = self.input.send(Input::Shutdown);
                                break;
                            }
                            Ok(Some(Input::Stop)) => {
                                LovenseDongleCommManager::finish_scanning(&self.shared);
                                return;
                            }
                            Ok(Some(Input::Start)) | Ok(Some(Input::StopTimeout(_))) => {}
                            Err(_) => break,
                        }
                    }
                }
                Err(reason) => {
                    tracing::warn!(
                        manager = self.shared.name,
                        %reason,
                        "Lovense dongle unavailable; scanning the other buses only"
                    );
                    LovenseDongleCommManager::finish_scanning(&self.shared);
                    return;
                }
            }
        }
        if self.toy.is_some() || self.link.is_none() || self.stopping.is_some() {
            // the dongle holds one toy at a time
            LovenseDongleCommManager::finish_scanning(&self.shared);
            return;
        }
        if !self.searching {
            self.searching = true;
            self.send(search_request()).await;
        }
    }

    async fn stop(&mut self) {
        if self.searching {
            self.searching = false;
            self.send(stop_search_request()).await;
        }
        LovenseDongleCommManager::finish_scanning(&self.shared);
    }

    fn gone(&mut self) {
        if let Some(link) = self.link.take() {
            tracing::info!(manager = self.shared.name, "Lovense dongle closed");
            link.close();
        }
        if let Some(toy) = self.toy.take() {
            toy.close();
        }
        self.searching = false;
        self.stopping = None;
        LovenseDongleCommManager::finish_scanning(&self.shared);
    }

    async fn line(&mut self, line: &str) {
        let msg: DongleMessage = match serde_json::from_str(line) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(%line, error = %e, "Lovense dongle: not a message");
                return;
            }
        };
        tracing::trace!(?msg, "from Lovense dongle");
        let data = msg.data.clone().unwrap_or(DongleData {
            id: None,
            data: None,
            status: None,
        });
        match msg.func.as_str() {
            "status" => match (data.status, data.id) {
                (Some(code::CONNECTED), Some(id)) if self.toy.is_none() => {
                    self.toy_found(id).await;
                }
                (Some(code::DISCONNECTED), _) => {
                    if let Some(toy) = self.toy.take() {
                        tracing::info!(toy = %toy.id, "Lovense dongle: toy disconnected");
                        toy.close();
                    }
                }
                _ => {}
            },
            "toyData" => {
                let Some(id) = data.id else { return };
                match &self.toy {
                    Some(toy) if toy.id == id => {
                        if let Some(text) = data.data {
                            toy.rx.deliver(text.into_bytes());
                        }
                    }
                    Some(_) => {}
                    None if self.searching && self.stopping.is_none() => {
                        // the search found a toy (the dongle connects it): stop searching,
                        // and offer it once the dongle confirms, as the dongle needs
                        self.searching = false;
                        self.stopping = Some(id.clone());
                        self.send(stop_search_request()).await;
                        let input = self.input.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(STOP_WAIT).await;
                            let _ = input.send(Input::StopTimeout(id));
                        });
                    }
                    None => {}
                }
            }
            "search" => {
                if msg.result == Some(code::SEARCH_STOPPED) && self.stopping.is_some() {
                    if let Some(id) = self.stopping.take() {
                        self.toy_found(id).await;
                    }
                } else if msg.result == Some(code::SEARCH_STOPPED)
                    && self.searching
                    && self.toy.is_none()
                {
                    // the dongle gave up on its own while we still scan: search again
                    self.send(search_request()).await;
                } else if msg.result == Some(code::SEARCH_STARTED) {
                    tracing::debug!("Lovense dongle searching");
                }
            }
            other => tracing::debug!(func = other, "Lovense dongle message ignored"),
        }
    }

    async fn toy_found(&mut self, id: String) {
        let Some(link) = &self.link else { return };
        tracing::info!(toy = %id, "Lovense dongle: toy connected");
        let toy = Arc::new(DongleToy {
            rx: RxStream::new(&format!("Lovense dongle toy {id}")),
            id: id.clone(),
            writer: Arc::clone(&link.writer),
        });
        self.toy = Some(Arc::clone(&toy));
        if self.searching {
            self.searching = false;
            self.send(stop_search_request()).await;
        }
        let _ = self
            .shared
            .events
            .send(CommEvent::DeviceFound(Box::new(DongleConnector {
                specifier: CommSpecifier::ble_name(DONGLE_DEVICE_NAME),
                toy,
            })));
        LovenseDongleCommManager::finish_scanning(&self.shared);
    }
}

#[async_trait]
impl CommManager for LovenseDongleCommManager {
    fn name(&self) -> &'static str {
        self.shared.name
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        *self.shared.scanning.lock() = true;
        let mut input = self.shared.input.lock();
        let sender = input.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let machine = Machine {
                shared: Arc::clone(&self.shared),
                input: tx.clone(),
                link: None,
                toy: None,
                searching: false,
                stopping: None,
            };
            tokio::spawn(machine.run(rx));
            tx
        });
        sender
            .send(Input::Start)
            .map_err(|_| DeviceError::Hardware("the Lovense dongle task has ended".into()))
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        if let Some(input) = self.shared.input.lock().as_ref() {
            let _ = input.send(Input::Stop);
        }
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        *self.shared.scanning.lock()
    }

    async fn shutdown(&self) {
        *self.shared.scanning.lock() = false;
        if let Some(input) = self.shared.input.lock().take() {
            let _ = input.send(Input::Shutdown);
        }
    }
}

impl Drop for LovenseDongleCommManager {
    /// Ends the state machine (and so closes the dongle) when the manager goes without a
    /// shutdown.
    fn drop(&mut self) {
        if let Some(input) = self.shared.input.lock().take() {
            let _ = input.send(Input::Shutdown);
        }
    }
}

/// A toy connected through the dongle.
struct DongleToy {
    id: String,
    rx: RxStream,
    writer: Arc<Mutex<Option<LineWriter>>>,
}

impl DongleToy {
    fn close(&self) {
        self.rx.close(|| {});
    }
}

/// A toy the dongle connected, not yet handed to a protocol.
struct DongleConnector {
    specifier: CommSpecifier,
    toy: Arc<DongleToy>,
}

#[async_trait]
impl HardwareConnector for DongleConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.toy.id
    }

    fn name(&self) -> &str {
        DONGLE_DEVICE_NAME
    }

    async fn connect(
        &mut self,
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if self.toy.rx.is_closed() {
            return Err(DeviceError::Disconnected(format!(
                "Lovense dongle toy {}",
                self.toy.id
            )));
        }
        Ok(Arc::new(DongleHardware {
            toy: Arc::clone(&self.toy),
        }))
    }
}

/// A connected dongle toy.
struct DongleHardware {
    toy: Arc<DongleToy>,
}

#[async_trait]
impl Hardware for DongleHardware {
    fn name(&self) -> &str {
        DONGLE_DEVICE_NAME
    }

    fn address(&self) -> &str {
        &self.toy.id
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Tx, Endpoint::Rx]
    }

    fn default_gap(&self) -> Option<Duration> {
        Some(WRITE_GAP)
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.toy.rx.check(endpoint, Endpoint::Tx)?;
        let cmd = std::str::from_utf8(data).map_err(|_| {
            DeviceError::Hardware("a Lovense dongle toy takes ASCII commands only".into())
        })?;
        let line = toy_command(&self.toy.id, cmd);
        let writer = Arc::clone(&self.toy.writer);
        tokio::task::spawn_blocking(move || {
            let mut guard = writer.lock();
            let w = guard
                .as_mut()
                .ok_or_else(|| DeviceError::Disconnected("Lovense dongle".into()))?;
            w(&line).map_err(|e| DeviceError::Hardware(format!("write to Lovense dongle: {e}")))
        })
        .await
        .map_err(|e| DeviceError::Hardware(format!("dongle write task failed: {e}")))?
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.toy.rx.read(endpoint, length, timeout).await
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.toy.rx.subscribe(endpoint, true)
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.toy.rx.subscribe(endpoint, false)
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.toy.rx.events()
    }

    async fn disconnect(&self) {
        // the dongle keeps the toy; stop its motors' bookkeeping here only
        self.toy.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_reassembled_across_reads_and_padding() {
        let mut a = LineAssembler::default();
        assert!(a.push(b"{\"func\":\"se").is_empty());
        let lines = a.push(b"arch\"}\r\n\0\0\0{\"a\":1}\n\r\n");
        assert_eq!(lines, ["{\"func\":\"search\"}", "{\"a\":1}"]);
    }

    #[test]
    fn hid_reports_are_chunked_and_padded() {
        let line = "x".repeat(70);
        let reports = hid_reports(&line);
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0][0], 0);
        assert!(reports[0][1..64].iter().all(|b| *b == b'x'));
        assert_eq!(reports[0][64], 0);
        assert_eq!(&reports[1][1..10], b"xxxxxxx\r\n");
        assert!(reports[1][10..].iter().all(|b| *b == 0));
        let mut a = LineAssembler::default();
        let mut got = Vec::new();
        for r in &reports {
            got.extend(a.push(&r[1..]));
        }
        assert_eq!(got, [line]);
    }

    #[test]
    fn messages_are_built_and_parsed() {
        assert_eq!(
            toy_command("abc", "Vibrate:5;"),
            r#"{"type":"toy","func":"command","id":"abc","cmd":"Vibrate:5;"}"#
        );
        let m: DongleMessage = serde_json::from_str(
            r#"{"type":"toy","func":"toyData","data":{"id":"abc","data":"S:11:abc;"}}"#,
        )
        .unwrap();
        assert_eq!(m.func, "toyData");
        assert_eq!(m.data.unwrap().data.as_deref(), Some("S:11:abc;"));
    }
}
