//! Simulated devices: virtual toys that present the identifiers real hardware would (a BLE name
//! with manufacturer data and services, a serial port, USB/HID ids), go through the real
//! configuration and protocol code, and record every operation the server performs on them.
//!
//! Tests use the recorded operations to assert exact bytes; users use simulated toys to develop
//! without hardware. Notifications, read replies and disconnects can be injected. A simulated
//! device may carry a *responder* ([`ToyResponder`]) that answers writes, subscriptions and
//! reads the way the real toy would, so identification and initialisation handshakes work.
//!
//! A device created from an identifier ([`SimDeviceSpec::parse`], as `--simulate` and the C
//! ABI do) gets the built-in responder of its toy ([`builtin_toy`]) when the simulator knows
//! it: Lovense toys answer `DeviceType;` (with the type their name gives), `Battery;` and
//! commands; and the toys whose protocol waits for the device answer what it waits for: Ankni
//! (its address in the PnP characteristic), Fredorch (Modbus acknowledgements), Hismith and
//! Hismith Mini (their model code), Honey Play Box (the session handshake), Lelo F1s V2 and
//! Harmony (the pairing on their security characteristic), MonsterPub (model name and
//! authentication challenge), RealTouch (an input report per output report), Satisfyer (the
//! model number its name gives, `SF 10160`), Sensee v2 (its device type) and VibCrafter /
//! Vibio (the encrypted login). Where the protocol picks the model from the answer, each
//! advertised name answers as its own model. Reads that a test scripted
//! ([`SimHardware::queue_read`]) come before the toy's answers.
//!
//! Faults can be injected too ([`SimHardware::inject`] with a [`Fault`]): writes that fail or
//! never complete, reads that fail, a disconnect at a chosen operation (to break identification
//! or initialisation at each of its steps), replies turned into garbage; and
//! [`SimHardware::notify_garbage`] pushes nonsense notifications to subscribers. Without an
//! injected fault a simulated device behaves exactly as before.
//!
//! This file holds the simulated hardware (the device description, [`SimHardware`], its
//! connector and the comm manager) and the identifier a bus specifier is simulated by
//! ([`simulate_identifier`]; which of them `haptix devices` offers is
//! `server::offered_identifiers`, as it needs the device configuration); what the built-in toys
//! answer, and which names and ids stand for which toy, is in `toys.rs`.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{broadcast, Notify};

use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::{BtleSpecifier, CommSpecifier, ManufacturerData, VidPid};
use crate::hwmgr::{
    CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent,
};

mod toys;

pub use toys::{
    builtin_responder, builtin_toy, lovense_simulate_identifier, model_simulate_identifier,
    satisfyer_simulate_identifier,
};

/// One operation the server performed on a simulated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimOp {
    /// A write.
    Write {
        /// Endpoint.
        endpoint: Endpoint,
        /// Bytes.
        data: Vec<u8>,
        /// Write-with-response flag.
        with_response: bool,
    },
    /// A subscription.
    Subscribe {
        /// Endpoint.
        endpoint: Endpoint,
    },
    /// An unsubscription.
    Unsubscribe {
        /// Endpoint.
        endpoint: Endpoint,
    },
}

impl std::fmt::Display for SimOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimOp::Write { endpoint, data, .. } => {
                write!(f, "write {endpoint} {}", describe_bytes(data))
            }
            SimOp::Subscribe { endpoint } => write!(f, "subscribe {endpoint}"),
            SimOp::Unsubscribe { endpoint } => write!(f, "unsubscribe {endpoint}"),
        }
    }
}

/// Renders bytes as quoted text when printable, else as hex.
pub fn describe_bytes(data: &[u8]) -> String {
    let printable = !data.is_empty()
        && data
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\n' || *b == b'\r');
    if printable {
        format!("{:?}", String::from_utf8_lossy(data))
    } else {
        let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
        format!("[{}]", hex.join(" "))
    }
}

/// Answers writes like a real toy: returns notifications to deliver. (A closure of this
/// signature, boxed as `Arc<dyn ToyResponder>`, is a [`ToyResponder`] that answers writes only.)
pub type Responder = Arc<dyn Fn(Endpoint, &[u8]) -> Vec<(Endpoint, Vec<u8>)> + Send + Sync>;

/// How a simulated toy answers what the server does with it, the way the real toy would.
///
/// The methods run inside the simulated operation, and what they return is delivered at once.
/// Notifications reach the server only on subscribed endpoints, like real BLE. Any closure
/// `Fn(Endpoint, &[u8]) -> Vec<(Endpoint, Vec<u8>)>` is a responder that answers writes only.
pub trait ToyResponder: Send + Sync {
    /// Answers a write of `data` on `endpoint`: the notifications the toy sends back.
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)>;

    /// Answers a subscription to `endpoint`: notifications the toy sends once subscribed.
    fn subscribe(&self, _endpoint: Endpoint) -> Vec<(Endpoint, Vec<u8>)> {
        Vec::new()
    }

    /// Answers a read of `endpoint` for which no reply was queued
    /// ([`SimHardware::queue_read`]); `None` leaves the read waiting for one.
    fn read(&self, _endpoint: Endpoint) -> Option<Vec<u8>> {
        None
    }
}

impl<F> ToyResponder for F
where
    F: Fn(Endpoint, &[u8]) -> Vec<(Endpoint, Vec<u8>)> + Send + Sync,
{
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        self(endpoint, data)
    }
}

/// The bus a simulated device pretends to be on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimBus {
    /// Bluetooth LE advertisement.
    Btle {
        /// Advertised name.
        name: String,
        /// Manufacturer data.
        manufacturer_data: Vec<ManufacturerData>,
        /// Advertised services.
        advertised_services: Vec<String>,
    },
    /// A serial port.
    Serial {
        /// Port name.
        port: String,
    },
    /// A HID device.
    Hid(VidPid),
    /// A USB device.
    Usb(VidPid),
    /// A generic virtual device of the database's `simulated` protocol, by name.
    Simulated {
        /// Name as the database lists it (e.g. `simulated-1vibe`).
        name: String,
    },
}

/// Description of a simulated device.
#[derive(Clone)]
pub struct SimDeviceSpec {
    /// Bus identity.
    pub bus: SimBus,
    /// Address; generated when `None`.
    pub address: Option<String>,
    /// Endpoints; when `None`, every endpoint the matched protocol's BLE services list.
    pub endpoints: Option<Vec<Endpoint>>,
    /// How the toy answers the server ([`builtin_toy`] for the toys the simulator knows); `None`
    /// for a toy that never answers.
    pub responder: Option<Arc<dyn ToyResponder>>,
}

impl std::fmt::Debug for SimDeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDeviceSpec")
            .field("bus", &self.bus)
            .field("address", &self.address)
            .field("endpoints", &self.endpoints)
            .field("responder", &self.responder.is_some())
            .finish()
    }
}

impl SimDeviceSpec {
    /// A BLE device advertising only a name, answering like the real toy of that name when the
    /// simulator knows it ([`builtin_toy`]).
    pub fn ble(name: &str) -> SimDeviceSpec {
        let bus = SimBus::Btle {
            name: name.to_string(),
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
        };
        SimDeviceSpec {
            responder: builtin_toy(&bus),
            bus,
            address: None,
            endpoints: None,
        }
    }

    /// A BLE device with no responder (tests drive notifications themselves).
    pub fn ble_silent(name: &str) -> SimDeviceSpec {
        SimDeviceSpec {
            responder: None,
            ..SimDeviceSpec::ble(name)
        }
    }

    /// Parses a command-line identifier: `serial:PORT`, `hid:VID:PID`, `usb:VID:PID` (hex),
    /// `simulated:NAME` (a generic virtual device of the database), or a BLE name (optionally
    /// `ble:NAME`). The device answers like the real toy when the simulator knows it
    /// ([`builtin_toy`]).
    pub fn parse(text: &str) -> Result<SimDeviceSpec, String> {
        let vidpid = |rest: &str| -> Result<VidPid, String> {
            let (v, p) = rest
                .split_once(':')
                .ok_or_else(|| format!("expected VID:PID in hex, got {rest:?}"))?;
            let parse = |s: &str| {
                u16::from_str_radix(s.trim_start_matches("0x"), 16)
                    .map_err(|_| format!("{s:?} is not a 16-bit hex number"))
            };
            Ok(VidPid {
                vendor_id: parse(v)?,
                product_id: parse(p)?,
            })
        };
        let bus = if let Some(port) = text.strip_prefix("serial:") {
            SimBus::Serial {
                port: port.to_string(),
            }
        } else if let Some(rest) = text.strip_prefix("hid:") {
            SimBus::Hid(vidpid(rest)?)
        } else if let Some(rest) = text.strip_prefix("usb:") {
            SimBus::Usb(vidpid(rest)?)
        } else if let Some(name) = text.strip_prefix("simulated:") {
            if name.is_empty() {
                return Err("simulated: needs a device name".to_string());
            }
            SimBus::Simulated {
                name: name.to_string(),
            }
        } else {
            let name = text.strip_prefix("ble:").unwrap_or(text);
            if name.is_empty() {
                return Err("a simulated device needs a name".to_string());
            }
            toys::check_lovense_name(name)?;
            return Ok(SimDeviceSpec::ble(name));
        };
        Ok(SimDeviceSpec {
            responder: builtin_toy(&bus),
            bus,
            address: None,
            endpoints: None,
        })
    }

    /// What the device presents as its name: the Bluetooth name, port or `vid:pid`.
    pub fn name(&self) -> String {
        match &self.bus {
            SimBus::Btle { name, .. } => name.clone(),
            SimBus::Serial { port } => port.clone(),
            SimBus::Simulated { name } => name.clone(),
            SimBus::Hid(p) | SimBus::Usb(p) => {
                format!("{:04x}:{:04x}", p.vendor_id, p.product_id)
            }
        }
    }

    /// What the device presents to the device configuration, as real hardware would.
    pub fn specifier(&self) -> CommSpecifier {
        match &self.bus {
            SimBus::Btle {
                name,
                manufacturer_data,
                advertised_services,
            } => CommSpecifier::Btle(BtleSpecifier {
                names: vec![name.clone()],
                manufacturer_data: manufacturer_data.clone(),
                advertised_services: advertised_services.clone(),
                services: Vec::new(),
            }),
            SimBus::Serial { port } => {
                CommSpecifier::Serial(crate::hwmgr::specifier::SerialSpecifier {
                    port: port.clone(),
                    baud_rate: 0,
                    data_bits: 8,
                    parity: 'N',
                    stop_bits: 1,
                })
            }
            SimBus::Hid(p) => CommSpecifier::Hid(vec![*p]),
            SimBus::Usb(p) => CommSpecifier::Usb(vec![*p]),
            SimBus::Simulated { name } => CommSpecifier::Simulated {
                names: vec![name.clone()],
            },
        }
    }
}

/// The identifier to give `--simulate` (or `SimulatedDevice.identifier`) for a simulated
/// device that a bus specifier of the device configuration matches: a Bluetooth name (the
/// first one without a wildcard, else the fixed part of the first wildcard with one: `FM-*`
/// offers `FM-`, a name real toys extend with a model or serial), `serial:PORT`, `hid:VID:PID`,
/// `usb:VID:PID` or `simulated:NAME`. `None` for buses the simulator cannot present (gamepads,
/// Lovense Connect, WebSocket devices) and for names that are a bare `*` or hold one inside.
pub fn simulate_identifier(spec: &CommSpecifier) -> Option<String> {
    let exact = |names: &[String]| {
        names
            .iter()
            .find(|n| !n.contains('*'))
            .map(|n| n.as_str())
            .or_else(|| {
                names.iter().find_map(|n| {
                    n.strip_suffix('*')
                        .filter(|fixed| !fixed.is_empty() && !fixed.contains('*'))
                })
            })
            .map(str::to_string)
    };
    match spec {
        CommSpecifier::Btle(b) => exact(&b.names),
        CommSpecifier::Serial(s) => Some(format!("serial:{}", s.port)),
        CommSpecifier::Hid(ids) => ids
            .first()
            .map(|p| format!("hid:{:04x}:{:04x}", p.vendor_id, p.product_id)),
        CommSpecifier::Usb(ids) => ids
            .first()
            .map(|p| format!("usb:{:04x}:{:04x}", p.vendor_id, p.product_id)),
        CommSpecifier::Simulated { names } => exact(names).map(|n| format!("simulated:{n}")),
        CommSpecifier::XInput
        | CommSpecifier::LovenseConnectService
        | CommSpecifier::Websocket { .. }
        | CommSpecifier::SdlGamepad => None,
    }
}

/// What a simulated device answers for its battery level (percent) when nothing else was
/// scripted: the standard BLE battery characteristic, and Lovense's `Battery;`.
pub const SIMULATED_BATTERY_PERCENT: u8 = 85;

/// A fault a simulated device plays out ([`SimHardware::inject`]).
///
/// Counted faults (`count` operations of their kind) are used up one operation at a time, in
/// the order they were injected; a fault with a count of 0 does nothing. Faults stay armed
/// across reconnections until they are used up or [`SimHardware::clear_faults`] is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next `count` writes fail with a hardware error. They are not recorded and the
    /// responder does not see them.
    FailWrites {
        /// How many writes fail.
        count: usize,
    },
    /// The next `count` writes never complete: the write's future stays pending until it is
    /// dropped, like a radio stack that lost the request, so the caller's timeout is what ends
    /// it. They are not recorded and the responder does not see them.
    StallWrites {
        /// How many writes stall.
        count: usize,
    },
    /// The next `count` reads fail with a hardware error.
    FailReads {
        /// How many reads fail.
        count: usize,
    },
    /// The device disconnects when it is asked for operation number `index` (counted from 0
    /// since the server last connected it; reads, writes, subscriptions and unsubscriptions
    /// count, see [`SimHardware::operations_since_connect`]). That operation fails as
    /// disconnected and is not recorded.
    DisconnectAt {
        /// The operation that finds the device gone.
        index: usize,
    },
    /// The next `count` replies of the toy's responder (notifications answering a write or a
    /// subscription, answers to reads nothing was queued for) carry garbage bytes instead of
    /// the real reply.
    GarbleReplies {
        /// How many replies are garbled.
        count: usize,
    },
}

impl Fault {
    /// The same fault with one use taken away; `None` when it is used up.
    fn used_once(&self) -> Option<Fault> {
        let less = |count: usize| count.checked_sub(1).filter(|c| *c > 0);
        match self {
            Fault::FailWrites { count } => less(*count).map(|count| Fault::FailWrites { count }),
            Fault::StallWrites { count } => less(*count).map(|count| Fault::StallWrites { count }),
            Fault::FailReads { count } => less(*count).map(|count| Fault::FailReads { count }),
            Fault::GarbleReplies { count } => {
                less(*count).map(|count| Fault::GarbleReplies { count })
            }
            Fault::DisconnectAt { .. } => None,
        }
    }

    fn is_used_up(&self) -> bool {
        matches!(
            self,
            Fault::FailWrites { count: 0 }
                | Fault::StallWrites { count: 0 }
                | Fault::FailReads { count: 0 }
                | Fault::GarbleReplies { count: 0 }
        )
    }
}

/// What a write does under the injected faults.
enum WriteFault {
    Fail,
    Stall,
}

/// The injected faults of one simulated device and the counters they depend on.
struct FaultState {
    /// Armed faults, in the order they were injected.
    armed: Vec<Fault>,
    /// Operations asked of the device since it was last connected.
    operations: usize,
    /// How many times a fault played out.
    fired: usize,
    /// State of the garbage generator (xorshift64; never 0).
    garbage: u64,
}

impl FaultState {
    /// Uses one unit of the first armed fault `matches` accepts; returns that fault.
    fn take(&mut self, matches: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let at = self.armed.iter().position(matches)?;
        let fault = self.armed[at].clone();
        match fault.used_once() {
            Some(rest) => self.armed[at] = rest,
            None => {
                self.armed.remove(at);
            }
        }
        self.fired += 1;
        Some(fault)
    }

    /// Deterministic nonsense: 0 to 23 bytes of pseudo-random data.
    fn garbage(&mut self) -> Vec<u8> {
        let mut next = || {
            let mut x = self.garbage;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.garbage = x;
            x
        };
        let len = (next() % 24) as usize;
        (0..len).map(|_| (next() >> 24) as u8).collect()
    }
}

static NEXT_ADDRESS: AtomicU64 = AtomicU64::new(1);

/// A simulated device's hardware side: records operations and delivers injected events.
pub struct SimHardware {
    name: String,
    address: String,
    specifier: CommSpecifier,
    endpoints: Mutex<Option<Vec<Endpoint>>>,
    responder: Option<Arc<dyn ToyResponder>>,
    ops: Mutex<VecDeque<SimOp>>,
    ops_notify: Notify,
    log: broadcast::Sender<SimOp>,
    subscribed: Mutex<HashSet<Endpoint>>,
    reads: Mutex<VecDeque<(Endpoint, Vec<u8>)>>,
    reads_notify: Notify,
    events: broadcast::Sender<HardwareEvent>,
    connected: AtomicBool,
    offered: AtomicBool,
    write_hook: parking_lot::RwLock<Option<WriteHook>>,
    write_delay: Mutex<Option<Duration>>,
    rssi: Mutex<Option<i16>>,
    faults: Mutex<FaultState>,
}

/// Observes the writes of a simulated device ([`SimHardware::set_write_hook`]).
pub type WriteHook = Box<dyn Fn(&Endpoint, &[u8]) + Send + Sync>;

/// How many operations a simulated device keeps for [`SimHardware::take_ops`]; older ones are
/// dropped, so a long-running virtual toy does not grow without bound.
pub const MAX_RECORDED_OPS: usize = 4096;

impl std::fmt::Debug for SimHardware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHardware")
            .field("name", &self.name)
            .field("address", &self.address)
            .finish()
    }
}

impl SimHardware {
    /// Creates a simulated device from its description.
    pub fn new(spec: SimDeviceSpec) -> Arc<SimHardware> {
        let address = spec
            .address
            .clone()
            .unwrap_or_else(|| format!("sim-{:04}", NEXT_ADDRESS.fetch_add(1, Ordering::Relaxed)));
        let (events, _) = broadcast::channel(256);
        let (log, _) = broadcast::channel(1024);
        Arc::new(SimHardware {
            name: spec.name(),
            specifier: spec.specifier(),
            address,
            endpoints: Mutex::new(spec.endpoints.clone()),
            responder: spec.responder.clone(),
            ops: Mutex::new(VecDeque::new()),
            ops_notify: Notify::new(),
            log,
            subscribed: Mutex::new(HashSet::new()),
            reads: Mutex::new(VecDeque::new()),
            reads_notify: Notify::new(),
            events,
            connected: AtomicBool::new(false),
            offered: AtomicBool::new(false),
            write_hook: parking_lot::RwLock::new(None),
            write_delay: Mutex::new(None),
            rssi: Mutex::new(None),
            faults: Mutex::new(FaultState {
                armed: Vec::new(),
                operations: 0,
                fired: 0,
                garbage: 0x9e37_79b9_7f4a_7c15,
            }),
        })
    }

    /// The device's address (given in its description, or generated).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// True while the server holds the device connected.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Takes the oldest recorded operation, waiting up to `timeout` for one.
    pub async fn next_op(&self, timeout: Duration) -> Option<SimOp> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.ops_notify.notified();
            if let Some(op) = self.ops.lock().pop_front() {
                return Some(op);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.ops.lock().pop_front();
            }
        }
    }

    /// Removes and returns every recorded operation.
    pub fn take_ops(&self) -> Vec<SimOp> {
        self.ops.lock().drain(..).collect()
    }

    /// Removes and returns the recorded writes only (endpoint, bytes).
    pub fn take_writes(&self) -> Vec<(Endpoint, Vec<u8>)> {
        self.take_ops()
            .into_iter()
            .filter_map(|op| match op {
                SimOp::Write { endpoint, data, .. } => Some((endpoint, data)),
                _ => None,
            })
            .collect()
    }

    /// A live feed of operations (for printing what the toy receives).
    pub fn watch(&self) -> broadcast::Receiver<SimOp> {
        self.log.subscribe()
    }

    /// Delivers a notification; dropped unless the endpoint is subscribed (like real BLE).
    pub fn notify(&self, endpoint: Endpoint, data: &[u8]) {
        if self.subscribed.lock().contains(&endpoint) {
            let _ = self.events.send(HardwareEvent::Notification {
                endpoint,
                data: data.to_vec(),
            });
        }
    }

    /// Queues a reply for the next read.
    pub fn queue_read(&self, endpoint: Endpoint, data: &[u8]) {
        self.reads.lock().push_back((endpoint, data.to_vec()));
        self.reads_notify.notify_waiters();
    }

    /// Simulates the device going away.
    pub fn disconnect_now(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            self.subscribed.lock().clear();
            let _ = self.events.send(HardwareEvent::Disconnected);
        }
    }

    fn record(&self, op: SimOp) {
        tracing::trace!(address = %self.address, %op, "simulated device operation");
        if let SimOp::Write { endpoint, data, .. } = &op {
            if let Some(hook) = &*self.write_hook.read() {
                hook(endpoint, data);
            }
        }
        if self.log.receiver_count() > 0 {
            let _ = self.log.send(op.clone());
        }
        {
            let mut ops = self.ops.lock();
            if ops.len() >= MAX_RECORDED_OPS {
                ops.pop_front();
            }
            ops.push_back(op);
        }
        self.ops_notify.notify_waiters();
    }

    /// Sets the signal strength the device reports, in dBm (`None`: no RSSI, as on wired
    /// buses).
    pub fn set_rssi(&self, dbm: Option<i16>) {
        *self.rssi.lock() = dbm;
    }

    /// Makes every write take `delay` (or no time with `None`), like a slow radio link.
    pub fn set_write_delay(&self, delay: Option<Duration>) {
        *self.write_delay.lock() = delay;
    }

    /// Sets (or clears) a function called synchronously with every write, on the task that
    /// performs it, before the write is recorded. Meant for measurements; it must be quick.
    pub fn set_write_hook(&self, hook: Option<WriteHook>) {
        *self.write_hook.write() = hook;
    }

    /// Arms a fault (see [`Fault`] for what each one does and when it is used up).
    pub fn inject(&self, fault: Fault) {
        if fault.is_used_up() {
            return;
        }
        self.faults.lock().armed.push(fault);
    }

    /// Disarms every fault that has not played out yet and returns them (in one step, so a
    /// test can tell whether a fault was still armed at that moment).
    pub fn clear_faults(&self) -> Vec<Fault> {
        std::mem::take(&mut self.faults.lock().armed)
    }

    /// The faults still armed (a counted fault shows what is left of its count).
    pub fn armed_faults(&self) -> Vec<Fault> {
        self.faults.lock().armed.clone()
    }

    /// How many times an injected fault played out (each failed, stalled or garbled operation,
    /// and each injected disconnect, counts once).
    pub fn faults_fired(&self) -> usize {
        self.faults.lock().fired
    }

    /// Operations (reads, writes, subscriptions, unsubscriptions) the device was asked for
    /// since the server last connected it, including ones that failed.
    pub fn operations_since_connect(&self) -> usize {
        self.faults.lock().operations
    }

    /// Delivers `count` notifications of garbage (0 to 23 pseudo-random bytes each, the same
    /// sequence on every run) on `endpoint`, as a confused or corrupted toy would; dropped
    /// unless the endpoint is subscribed, like [`SimHardware::notify`]. Returns what was sent.
    pub fn notify_garbage(&self, endpoint: Endpoint, count: usize) -> Vec<Vec<u8>> {
        let payloads: Vec<Vec<u8>> = {
            let mut faults = self.faults.lock();
            (0..count).map(|_| faults.garbage()).collect()
        };
        for p in &payloads {
            self.notify(endpoint, p);
        }
        payloads
    }

    /// `reply` as the toy gives it: garbage instead while a [`Fault::GarbleReplies`] is armed.
    fn reply(&self, reply: Vec<u8>) -> Vec<u8> {
        let mut faults = self.faults.lock();
        match faults.take(|f| matches!(f, Fault::GarbleReplies { .. })) {
            Some(_) => faults.garbage(),
            None => reply,
        }
    }

    /// Counts one operation and plays out an injected disconnect that is due.
    fn operation(&self) -> Result<(), DeviceError> {
        let due = {
            let mut faults = self.faults.lock();
            let index = faults.operations;
            faults.operations += 1;
            faults
                .take(|f| matches!(f, Fault::DisconnectAt { index: i } if *i == index))
                .is_some()
        };
        if due {
            tracing::debug!(address = %self.address, "simulated device: injected disconnect");
            self.disconnect_now();
            return Err(DeviceError::Disconnected(self.address.clone()));
        }
        Ok(())
    }

    fn write_fault(&self) -> Option<WriteFault> {
        let fault = self
            .faults
            .lock()
            .take(|f| matches!(f, Fault::FailWrites { .. } | Fault::StallWrites { .. }))?;
        match fault {
            Fault::StallWrites { .. } => Some(WriteFault::Stall),
            _ => Some(WriteFault::Fail),
        }
    }

    fn check(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        if !self.is_connected() {
            return Err(DeviceError::Disconnected(self.address.clone()));
        }
        let has = self
            .endpoints
            .lock()
            .as_ref()
            .is_none_or(|e| e.contains(&endpoint));
        if has {
            Ok(())
        } else {
            Err(DeviceError::Hardware(format!(
                "simulated device {} has no endpoint {endpoint}",
                self.address
            )))
        }
    }
}

#[async_trait]
impl Hardware for SimHardware {
    fn name(&self) -> &str {
        &self.name
    }

    fn manufacturer_data(&self) -> Vec<ManufacturerData> {
        match &self.specifier {
            CommSpecifier::Btle(b) => b.manufacturer_data.clone(),
            _ => Vec::new(),
        }
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.lock().clone().unwrap_or_default()
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.operation()?;
        match self.write_fault() {
            Some(WriteFault::Fail) => {
                return Err(DeviceError::Hardware(format!(
                    "injected write failure on {endpoint} of {}",
                    self.address
                )))
            }
            Some(WriteFault::Stall) => {
                tracing::debug!(address = %self.address, %endpoint, "simulated write stalls");
                return std::future::pending().await;
            }
            None => {}
        }
        let delay = *self.write_delay.lock();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
            self.check(endpoint)?;
        }
        self.record(SimOp::Write {
            endpoint,
            data: data.to_vec(),
            with_response,
        });
        if let Some(responder) = &self.responder {
            for (ep, reply) in responder.write(endpoint, data) {
                self.notify(ep, &self.reply(reply));
            }
            // the toy may now hold an answer for a pending read
            self.reads_notify.notify_waiters();
        }
        Ok(())
    }

    async fn read_rssi(&self) -> Result<i16, DeviceError> {
        if !self.is_connected() {
            return Err(DeviceError::Disconnected(self.address.clone()));
        }
        let rssi = *self.rssi.lock();
        rssi.ok_or_else(|| {
            DeviceError::NotSupported(format!("{} reports no signal strength", self.name))
        })
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.check(endpoint)?;
        self.operation()?;
        if self
            .faults
            .lock()
            .take(|f| matches!(f, Fault::FailReads { .. }))
            .is_some()
        {
            return Err(DeviceError::Hardware(format!(
                "injected read failure on {endpoint} of {}",
                self.address
            )));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.reads_notify.notified();
            {
                let mut reads = self.reads.lock();
                if let Some((ep, _)) = reads.front() {
                    if *ep != endpoint {
                        return Err(DeviceError::Hardware(format!(
                            "simulated read on {endpoint}, but the queued reply is for {ep}"
                        )));
                    }
                    if let Some((_, data)) = reads.pop_front() {
                        return Ok(data);
                    }
                }
            }
            // nothing scripted: the toy answers, if it holds something there
            if let Some(answer) = self.responder.as_ref().and_then(|r| r.read(endpoint)) {
                return Ok(self.reply(answer));
            }
            if endpoint == Endpoint::RxBleBattery {
                // the standard battery characteristic answers like a charged toy
                return Ok(vec![SIMULATED_BATTERY_PERCENT]);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(DeviceError::Timeout(format!(
                    "read from {endpoint} on {}",
                    self.address
                )));
            }
        }
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.operation()?;
        self.subscribed.lock().insert(endpoint);
        self.record(SimOp::Subscribe { endpoint });
        if let Some(responder) = &self.responder {
            for (ep, reply) in responder.subscribe(endpoint) {
                self.notify(ep, &self.reply(reply));
            }
        }
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.operation()?;
        self.subscribed.lock().remove(&endpoint);
        self.record(SimOp::Unsubscribe { endpoint });
        Ok(())
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    async fn disconnect(&self) {
        self.disconnect_now();
    }
}

struct SimConnector {
    hardware: Arc<SimHardware>,
}

#[async_trait]
impl HardwareConnector for SimConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.hardware.specifier
    }

    fn address(&self) -> &str {
        &self.hardware.address
    }

    fn name(&self) -> &str {
        &self.hardware.name
    }

    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        {
            let mut endpoints = self.hardware.endpoints.lock();
            if endpoints.is_none() {
                let mut list: Vec<Endpoint> = candidate
                    .iter()
                    .filter_map(|s| match s {
                        CommSpecifier::Btle(b) => Some(b),
                        _ => None,
                    })
                    .take(1)
                    .flat_map(|b| b.services.iter())
                    .flat_map(|s| s.characteristics.iter().map(|(e, _)| *e))
                    .collect();
                if list.is_empty() {
                    // serial/HID/USB devices have a single bidirectional channel; raw USB
                    // devices are also driven by vendor control requests
                    list = vec![Endpoint::Tx, Endpoint::Rx];
                    if matches!(self.hardware.specifier, CommSpecifier::Usb(_)) {
                        list.push(Endpoint::TxVendorControl);
                    }
                }
                list.sort();
                list.dedup();
                *endpoints = Some(list);
            }
        }
        self.hardware.faults.lock().operations = 0;
        self.hardware.connected.store(true, Ordering::SeqCst);
        Ok(self.hardware.clone())
    }
}

/// The simulated comm manager: offers its devices while scanning.
pub struct SimCommManager {
    devices: Mutex<Vec<Arc<SimHardware>>>,
    scanning: AtomicBool,
    events: CommEventSender,
}

impl std::fmt::Debug for SimCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCommManager")
            .field("devices", &self.devices.lock().len())
            .finish()
    }
}

impl SimCommManager {
    /// Creates the manager; events go to the device manager.
    pub fn new(events: CommEventSender) -> SimCommManager {
        SimCommManager {
            devices: Mutex::new(Vec::new()),
            scanning: AtomicBool::new(false),
            events,
        }
    }

    /// Adds a simulated device; it is offered at once when scanning, else at the next scan.
    pub fn add_device(&self, spec: SimDeviceSpec) -> Arc<SimHardware> {
        let hw = SimHardware::new(spec);
        self.devices.lock().push(hw.clone());
        if self.is_scanning() {
            self.offer(&hw);
        }
        hw
    }

    /// Removes a simulated device (disconnecting it if connected).
    pub fn remove_device(&self, address: &str) -> bool {
        let mut devices = self.devices.lock();
        let before = devices.len();
        devices.retain(|d| {
            if d.address == address {
                d.disconnect_now();
                false
            } else {
                true
            }
        });
        devices.len() != before
    }

    /// The simulated device with this address.
    pub fn device(&self, address: &str) -> Option<Arc<SimHardware>> {
        self.devices
            .lock()
            .iter()
            .find(|d| d.address == address)
            .cloned()
    }

    /// All simulated devices.
    pub fn devices(&self) -> Vec<Arc<SimHardware>> {
        self.devices.lock().clone()
    }

    fn offer(&self, hw: &Arc<SimHardware>) {
        if hw.is_connected() || hw.offered.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self
            .events
            .send(CommEvent::DeviceFound(Box::new(SimConnector {
                hardware: hw.clone(),
            })));
    }
}

#[async_trait]
impl CommManager for SimCommManager {
    fn name(&self) -> &'static str {
        "simulated"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.store(true, Ordering::SeqCst);
        let devices = self.devices.lock().clone();
        for d in devices {
            // a device that disconnected may be found again
            if !d.is_connected() {
                d.offered.store(false, Ordering::SeqCst);
            }
            self.offer(&d);
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulate_identifier_of_ble_names() {
        let ble = |names: &[&str]| {
            simulate_identifier(&CommSpecifier::Btle(BtleSpecifier {
                names: names.iter().map(|n| n.to_string()).collect(),
                manufacturer_data: Vec::new(),
                advertised_services: Vec::new(),
                services: Vec::new(),
            }))
        };
        // an exact name wins over an earlier wildcard
        assert_eq!(ble(&["LVS-*", "Hush"]).as_deref(), Some("Hush"));
        // else the fixed part of the first wildcard that has one
        assert_eq!(ble(&["*", "SF *", "FM-*"]).as_deref(), Some("SF "));
        assert_eq!(ble(&["OHD_hw0_*"]).as_deref(), Some("OHD_hw0_"));
        assert_eq!(ble(&["*"]), None);
        assert_eq!(
            ble(&["A*B*"]),
            None,
            "a wildcard inside a name is not a prefix"
        );
        assert_eq!(ble(&["A*B*", "C*"]).as_deref(), Some("C"));
        assert_eq!(ble(&[]), None);
        assert_eq!(
            simulate_identifier(&CommSpecifier::Simulated {
                names: vec!["Sim*".into()]
            })
            .as_deref(),
            Some("simulated:Sim")
        );
    }

    #[tokio::test]
    async fn records_and_responds() {
        let hw = SimHardware::new(SimDeviceSpec::ble("LVS-Hush"));
        let mut conn = Box::new(SimConnector {
            hardware: hw.clone(),
        });
        let dynhw = conn.connect(&[]).await.unwrap();
        let mut events = dynhw.events();
        dynhw.subscribe(Endpoint::Rx).await.unwrap();
        dynhw
            .write(Endpoint::Tx, b"DeviceType;", false)
            .await
            .unwrap();
        match events.recv().await.unwrap() {
            HardwareEvent::Notification { endpoint, data } => {
                assert_eq!(endpoint, Endpoint::Rx);
                assert!(data.starts_with(b"Z:"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let ops = hw.take_ops();
        assert_eq!(ops.len(), 2);
        assert!(matches!(&ops[1], SimOp::Write { data, .. } if data == b"DeviceType;"));
    }

    #[tokio::test]
    async fn reads_and_missing_endpoints() {
        let mut spec = SimDeviceSpec::ble_silent("X");
        spec.endpoints = Some(vec![
            Endpoint::Tx,
            Endpoint::RxBleBattery,
            Endpoint::RxBleModel,
        ]);
        let hw = SimHardware::new(spec);
        let dynhw = SimConnector {
            hardware: hw.clone(),
        }
        .connect(&[])
        .await
        .unwrap();
        assert!(dynhw.write(Endpoint::Rx, b"x", false).await.is_err());
        hw.queue_read(Endpoint::RxBleBattery, &[42]);
        let v = dynhw
            .read(Endpoint::RxBleBattery, 1, Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(v, vec![42]);
        // without a scripted reply the battery reads as charged, other endpoints time out
        let v = dynhw
            .read(Endpoint::RxBleBattery, 1, Duration::from_millis(20))
            .await
            .unwrap();
        assert_eq!(v, vec![SIMULATED_BATTERY_PERCENT]);
        assert!(dynhw
            .read(Endpoint::RxBleModel, 1, Duration::from_millis(20))
            .await
            .is_err());
        hw.disconnect_now();
        assert!(dynhw.write(Endpoint::Tx, b"x", false).await.is_err());
    }

    /// A simulated device of `spec`, connected (also for the tests of `toys.rs`).
    pub(super) async fn connected(spec: SimDeviceSpec) -> (Arc<SimHardware>, Arc<dyn Hardware>) {
        let hw = SimHardware::new(spec);
        let dynhw = SimConnector {
            hardware: hw.clone(),
        }
        .connect(&[])
        .await
        .unwrap();
        (hw, dynhw)
    }

    #[tokio::test]
    async fn injected_write_and_read_faults_are_used_up_in_order() {
        let (hw, dynhw) = connected(SimDeviceSpec::ble_silent("X")).await;
        hw.inject(Fault::FailWrites { count: 2 });
        hw.inject(Fault::FailReads { count: 1 });
        hw.inject(Fault::StallWrites { count: 0 }); // does nothing
        assert_eq!(hw.armed_faults().len(), 2);
        for _ in 0..2 {
            let e = dynhw.write(Endpoint::Tx, b"a", false).await.unwrap_err();
            assert!(e.to_string().contains("injected write failure"), "{e}");
        }
        dynhw.write(Endpoint::Tx, b"b", false).await.unwrap();
        assert_eq!(hw.take_writes(), vec![(Endpoint::Tx, b"b".to_vec())]);
        hw.queue_read(Endpoint::Rx, &[1]);
        let timeout = Duration::from_millis(100);
        assert!(dynhw.read(Endpoint::Rx, 1, timeout).await.is_err());
        assert_eq!(dynhw.read(Endpoint::Rx, 1, timeout).await.unwrap(), vec![1]);
        assert_eq!(hw.faults_fired(), 3);
        assert!(hw.armed_faults().is_empty());
        assert_eq!(hw.operations_since_connect(), 5);
    }

    #[tokio::test]
    async fn a_stalled_write_never_completes_and_the_next_one_does() {
        let (hw, dynhw) = connected(SimDeviceSpec::ble_silent("X")).await;
        hw.inject(Fault::StallWrites { count: 1 });
        let stalled = tokio::time::timeout(
            Duration::from_millis(200),
            dynhw.write(Endpoint::Tx, b"a", false),
        )
        .await;
        assert!(stalled.is_err(), "the stalled write completed: {stalled:?}");
        dynhw.write(Endpoint::Tx, b"b", false).await.unwrap();
        assert_eq!(hw.take_writes(), vec![(Endpoint::Tx, b"b".to_vec())]);
    }

    #[tokio::test]
    async fn an_injected_disconnect_hits_the_chosen_operation_after_each_connect() {
        let spec = SimDeviceSpec::ble("LVS-Hush");
        let (hw, dynhw) = connected(spec).await;
        let mut events = dynhw.events();
        hw.inject(Fault::DisconnectAt { index: 1 });
        dynhw.subscribe(Endpoint::Rx).await.unwrap();
        let e = dynhw
            .write(Endpoint::Tx, b"DeviceType;", false)
            .await
            .unwrap_err();
        assert!(matches!(e, DeviceError::Disconnected(_)), "{e}");
        assert!(!hw.is_connected());
        assert_eq!(events.recv().await.unwrap(), HardwareEvent::Disconnected);
        assert_eq!(
            hw.take_ops(),
            vec![SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
        // the count starts again when the device is connected again; the fault is used up
        let dynhw = SimConnector {
            hardware: hw.clone(),
        }
        .connect(&[])
        .await
        .unwrap();
        assert_eq!(hw.operations_since_connect(), 0);
        dynhw.subscribe(Endpoint::Rx).await.unwrap();
        dynhw
            .write(Endpoint::Tx, b"DeviceType;", false)
            .await
            .unwrap();
        assert!(hw.is_connected());
        assert_eq!(hw.faults_fired(), 1);
        // a fault armed for later waits for its operation, and can be disarmed
        hw.inject(Fault::DisconnectAt { index: 9 });
        assert_eq!(hw.clear_faults(), vec![Fault::DisconnectAt { index: 9 }]);
        assert!(hw.armed_faults().is_empty());
    }

    /// The next notification a subscribed endpoint delivers (also for the tests of `toys.rs`).
    pub(super) async fn next_notification(
        events: &mut broadcast::Receiver<HardwareEvent>,
    ) -> Vec<u8> {
        match events.recv().await.unwrap() {
            HardwareEvent::Notification { data, .. } => data,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn garbled_replies_and_garbage_notifications() {
        let (hw, dynhw) = connected(SimDeviceSpec::ble("LVS-Hush")).await;
        let mut events = dynhw.events();
        dynhw.subscribe(Endpoint::Rx).await.unwrap();
        hw.inject(Fault::GarbleReplies { count: 1 });

        dynhw
            .write(Endpoint::Tx, b"DeviceType;", false)
            .await
            .unwrap();
        let garbled = next_notification(&mut events).await;
        assert!(!garbled.starts_with(b"Z:"), "{garbled:?}");
        dynhw
            .write(Endpoint::Tx, b"DeviceType;", false)
            .await
            .unwrap();
        assert!(next_notification(&mut events).await.starts_with(b"Z:"));
        let sent = hw.notify_garbage(Endpoint::Rx, 20);
        assert_eq!(sent.len(), 20);
        for expected in &sent {
            assert_eq!(&next_notification(&mut events).await, expected);
        }
        // not all alike, and not all empty
        assert!(sent.iter().any(|p| p.len() > 8));
        assert!(sent.windows(2).any(|w| w[0] != w[1]));
        // every device produces the same sequence (after the garbled reply, the first device's
        // garbage continues where a fresh device's second payload starts)
        let (other, _) = connected(SimDeviceSpec::ble("LVS-Hush")).await;
        let fresh = other.notify_garbage(Endpoint::Rx, 4);
        assert_eq!(fresh[0], garbled);
        assert_eq!(fresh[1..], sent[..3]);
    }

    #[test]
    fn parse_identifiers() {
        assert!(matches!(
            SimDeviceSpec::parse("serial:/dev/ttyS9").unwrap().bus,
            SimBus::Serial { .. }
        ));
        assert!(matches!(
            SimDeviceSpec::parse("hid:0x1234:abcd").unwrap().bus,
            SimBus::Hid(VidPid {
                vendor_id: 0x1234,
                product_id: 0xabcd
            })
        ));
        assert!(SimDeviceSpec::parse("hid:zz").is_err());
        assert!(SimDeviceSpec::parse("").is_err());
        // a mistyped Lovense name is refused instead of becoming another model
        let e = SimDeviceSpec::parse("LVS-Hsh").err().unwrap_or_default();
        assert!(e.contains("Hush"), "{e}");
        assert!(SimDeviceSpec::parse("LVS-Z36D").is_ok());
        assert!(SimDeviceSpec::parse("LVS-Edge2").is_ok());
    }
}
