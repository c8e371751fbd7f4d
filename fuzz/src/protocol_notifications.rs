//! `protocol_notifications`: device protocols fed by the device, for every protocol with a
//! handshake or with inputs.
//!
//! A scripted device stands in for the hardware. It presents a name (and manufacturer data)
//! the database lists for the protocol, answers each write with the next scripted
//! notification, each read with the next scripted read reply, and after initialisation sends
//! the remaining notifications. The harness does what the server's device manager does with
//! a device: identify, look the definition up, initialise, run every input command the
//! definition allows, hand each notification to the handler, and finally disconnect.
//!
//! Input: two bytes choose the protocol, one byte the name (a wildcard name takes a suffix from
//! the next chunk), one chunk is the manufacturer data, then `[tag][length][bytes]` items: tag
//! `% 3 == 0` a reply to a write, `1` a read reply, `2` a notification after initialisation;
//! `tag / 3` chooses the endpoint among the subscribed ones (else among all).
//!
//! Protocols qualify when their definitions have inputs, or when identification or
//! initialisation talks to the device (found by running them once against a silent device).

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use haptix::core::types::Endpoint;
use haptix::device::config::{CommSpecifier, DeviceConfigManager, ManufacturerData};
use haptix::device::definition::DeviceDefinition;
use haptix::device::protocol::ProtocolFactory;
use haptix::device::protocols::ProtocolRegistry;
use haptix::error::DeviceError;
use haptix::hwmgr::{Hardware, HardwareEvent};
use parking_lot::Mutex;
use tokio::runtime::Runtime;
use tokio::sync::broadcast;

use crate::{paused_runtime, Reader};

/// What a script gives the device.
#[derive(Debug, Default, Clone)]
pub struct Script {
    /// Notifications sent in answer to writes, in order: (endpoint selector, bytes).
    pub replies: Vec<(u8, Vec<u8>)>,
    /// Read replies, in order.
    pub reads: Vec<Vec<u8>>,
    /// Notifications after initialisation: (endpoint selector, bytes).
    pub notifications: Vec<(u8, Vec<u8>)>,
}

/// A device whose side of the conversation is a script.
pub struct ScriptedDevice {
    name: String,
    address: String,
    endpoints: Vec<Endpoint>,
    manufacturer_data: Vec<ManufacturerData>,
    replies: Mutex<VecDeque<(u8, Vec<u8>)>>,
    reads: Mutex<VecDeque<Vec<u8>>>,
    subscribed: Mutex<BTreeSet<Endpoint>>,
    events: broadcast::Sender<HardwareEvent>,
    connected: AtomicBool,
    /// Set by any write, read or subscription.
    touched: AtomicBool,
}

impl ScriptedDevice {
    /// A connected device.
    pub fn new(
        name: String,
        endpoints: Vec<Endpoint>,
        manufacturer_data: Vec<ManufacturerData>,
        script: &Script,
    ) -> ScriptedDevice {
        let (events, _) = broadcast::channel(256);
        ScriptedDevice {
            name,
            address: "fuzz-device".to_string(),
            endpoints,
            manufacturer_data,
            replies: Mutex::new(script.replies.iter().cloned().collect()),
            reads: Mutex::new(script.reads.iter().cloned().collect()),
            subscribed: Mutex::new(BTreeSet::new()),
            events,
            connected: AtomicBool::new(true),
            touched: AtomicBool::new(false),
        }
    }

    /// True once the protocol wrote, read or subscribed.
    pub fn touched(&self) -> bool {
        self.touched.load(Ordering::SeqCst)
    }

    /// The endpoint a selector stands for: one of the subscribed endpoints, else any.
    pub fn endpoint(&self, selector: u8) -> Endpoint {
        let subscribed = self.subscribed.lock();
        let pick = |list: Vec<Endpoint>| -> Endpoint {
            let n = list.len().max(1);
            list.get(usize::from(selector) % n)
                .copied()
                .unwrap_or(Endpoint::Rx)
        };
        if subscribed.is_empty() {
            pick(self.endpoints.clone())
        } else {
            pick(subscribed.iter().copied().collect())
        }
    }

    /// Sends a notification, as hardware does, when the endpoint is subscribed.
    pub fn notify(&self, endpoint: Endpoint, data: Vec<u8>) {
        if self.subscribed.lock().contains(&endpoint) {
            let _ = self
                .events
                .send(HardwareEvent::Notification { endpoint, data });
        }
    }

    fn check(&self) -> Result<(), DeviceError> {
        self.touched.store(true, Ordering::SeqCst);
        if self.connected.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(DeviceError::Disconnected(self.address.clone()))
        }
    }
}

#[async_trait]
impl Hardware for ScriptedDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }

    fn manufacturer_data(&self) -> Vec<ManufacturerData> {
        self.manufacturer_data.clone()
    }

    async fn write(
        &self,
        _endpoint: Endpoint,
        _data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.check()?;
        let reply = self.replies.lock().pop_front();
        if let Some((selector, data)) = reply {
            let endpoint = self.endpoint(selector);
            self.notify(endpoint, data);
        }
        Ok(())
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.check()?;
        let reply = self.reads.lock().pop_front();
        match reply {
            Some(data) => Ok(data),
            None => {
                // a silent device: the read waits its whole timeout (no real time passes)
                tokio::time::sleep(timeout).await;
                Err(DeviceError::Timeout(format!("read from {endpoint}")))
            }
        }
    }

    async fn read_rssi(&self) -> Result<i16, DeviceError> {
        self.check()?;
        Ok(-60)
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check()?;
        self.subscribed.lock().insert(endpoint);
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check()?;
        self.subscribed.lock().remove(&endpoint);
        Ok(())
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    async fn disconnect(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            self.subscribed.lock().clear();
            let _ = self.events.send(HardwareEvent::Disconnected);
        }
    }
}

/// One protocol under test.
pub struct Target {
    /// Protocol name.
    pub protocol: String,
    /// Names a device of this protocol may present.
    pub names: Vec<String>,
    /// Endpoints such a device has.
    pub endpoints: Vec<Endpoint>,
}

struct World {
    runtime: Runtime,
    config: DeviceConfigManager,
    registry: ProtocolRegistry,
    targets: Vec<Target>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = paused_runtime();
        let config = match DeviceConfigManager::builtin() {
            Ok(c) => c,
            Err(e) => panic!("built-in database does not load: {e}"),
        };
        let registry = ProtocolRegistry::builtin();
        let candidates = all_targets(&config, &registry);
        let mut targets = Vec::new();
        for target in candidates {
            if runtime.block_on(qualifies(&config, &registry, &target)) {
                targets.push(target);
            }
        }
        if std::env::var_os("HAPTIX_FUZZ_LIST").is_some() {
            let names: Vec<&str> = targets.iter().map(|t| t.protocol.as_str()).collect();
            eprintln!(
                "protocol_notifications: {} protocols: {}",
                names.len(),
                names.join(" ")
            );
        }
        World {
            runtime,
            config,
            registry,
            targets,
        }
    })
}

/// Every protocol of the database that has an implementation, with the names and endpoints
/// its devices present.
pub fn all_targets(config: &DeviceConfigManager, registry: &ProtocolRegistry) -> Vec<Target> {
    let mut out = Vec::new();
    for p in config.protocols() {
        if !registry.contains(&p.name) {
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for spec in &p.communication {
            match spec {
                CommSpecifier::Btle(b) => {
                    names.extend(b.names.iter().cloned());
                    if endpoints.is_empty() {
                        endpoints = b
                            .services
                            .iter()
                            .flat_map(|s| s.characteristics.iter().map(|(e, _)| *e))
                            .collect();
                    }
                }
                CommSpecifier::Serial(s) => names.push(s.port.clone()),
                CommSpecifier::Hid(ids) | CommSpecifier::Usb(ids) => names.extend(
                    ids.iter()
                        .map(|p| format!("{:04x}:{:04x}", p.vendor_id, p.product_id)),
                ),
                CommSpecifier::Simulated { names: n } => names.extend(n.iter().cloned()),
                CommSpecifier::Websocket { name } => names.push(name.clone()),
                CommSpecifier::XInput
                | CommSpecifier::LovenseConnectService
                | CommSpecifier::SdlGamepad => {}
            }
        }
        // identifiers the protocol's configurations are listed under (generic identification
        // takes the device name as identifier)
        names.extend(
            p.configurations
                .iter()
                .flat_map(|d| d.identifiers.iter().cloned()),
        );
        names.sort();
        names.dedup();
        if names.is_empty() {
            names.push(p.name.clone());
        }
        if endpoints.is_empty() {
            endpoints = vec![Endpoint::Tx, Endpoint::Rx];
            if p.communication
                .iter()
                .any(|s| matches!(s, CommSpecifier::Usb(_)))
            {
                endpoints.push(Endpoint::TxVendorControl);
            }
        }
        endpoints.sort();
        endpoints.dedup();
        out.push(Target {
            protocol: p.name.clone(),
            names,
            endpoints,
        });
    }
    out
}

/// The definition the configuration gives an identified device: the configuration listed under
/// the identifier, else the protocol's defaults (what `DeviceConfigManager::resolve` derives a
/// device's definition from, without storing a per-device entry).
pub fn definition(
    config: &DeviceConfigManager,
    protocol: &str,
    identifier: Option<&str>,
) -> Option<DeviceDefinition> {
    let p = config.protocol(protocol)?;
    identifier
        .and_then(|ident| {
            p.configurations
                .iter()
                .rev()
                .find(|d| d.identifiers.iter().any(|i| i == ident))
        })
        .or(p.defaults.as_ref())
        .cloned()
}

fn has_inputs(config: &DeviceConfigManager, protocol: &str) -> bool {
    config.protocol(protocol).is_some_and(|p| {
        p.defaults
            .iter()
            .chain(p.configurations.iter())
            .any(|d| d.features.iter().any(|f| !f.inputs.is_empty()))
    })
}

/// True when the protocol has inputs or talks to the device while setting it up.
async fn qualifies(
    config: &DeviceConfigManager,
    registry: &ProtocolRegistry,
    target: &Target,
) -> bool {
    if has_inputs(config, &target.protocol) {
        return true;
    }
    for name in &target.names {
        let device = Arc::new(ScriptedDevice::new(
            name.trim_end_matches('*').to_string(),
            target.endpoints.clone(),
            Vec::new(),
            &Script::default(),
        ));
        let hardware: Arc<dyn Hardware> = device.clone();
        setup(config, registry, &target.protocol, &hardware).await;
        hardware.disconnect().await;
        if device.touched() {
            return true;
        }
    }
    false
}

/// Identification, definition lookup and initialisation, as the device manager does them.
/// Returns the definition and handler when all three succeed.
async fn setup(
    config: &DeviceConfigManager,
    registry: &ProtocolRegistry,
    protocol: &str,
    hardware: &Arc<dyn Hardware>,
) -> Option<(
    DeviceDefinition,
    Arc<dyn haptix::device::protocol::ProtocolHandler>,
)> {
    let factory: Arc<dyn ProtocolFactory> = registry.get(protocol)?;
    let identified = factory.identify(hardware).await.ok()?;
    let ident = &identified.identification;
    let factory = if ident.protocol == factory.name() {
        factory
    } else {
        registry.get(&ident.protocol)?
    };
    let definition = definition(config, &ident.protocol, ident.identifier.as_deref())?;
    let handler = identified
        .initialize(&*factory, hardware, &definition)
        .await
        .ok()?;
    Some((definition, handler))
}

/// Parses an input into (protocol index selector, name selector, name suffix, manufacturer
/// data, script).
fn parse(data: &[u8]) -> (u16, u8, String, Vec<ManufacturerData>, Script) {
    let mut input = Reader::new(data);
    let protocol = input.u16();
    let name = input.byte();
    let suffix = String::from_utf8_lossy(input.chunk()).into_owned();
    let manufacturer = input.chunk();
    let manufacturer_data = match manufacturer {
        [] => Vec::new(),
        [lo, hi, rest @ ..] => vec![ManufacturerData {
            company: u16::from(*lo) | (u16::from(*hi) << 8),
            data: Some(rest.to_vec()),
        }],
        [lo] => vec![ManufacturerData {
            company: u16::from(*lo),
            data: None,
        }],
    };
    let mut script = Script::default();
    while !input.is_empty() {
        let tag = input.byte();
        let bytes = input.chunk().to_vec();
        match tag % 3 {
            0 => script.replies.push((tag / 3, bytes)),
            1 => script.reads.push(bytes),
            _ => script.notifications.push((tag / 3, bytes)),
        }
    }
    (protocol, name, suffix, manufacturer_data, script)
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let world = world();
    if world.targets.is_empty() {
        return;
    }
    let (protocol, name, suffix, manufacturer_data, script) = parse(data);
    let Some(target) = world
        .targets
        .get(usize::from(protocol) % world.targets.len())
    else {
        return;
    };
    let base = target
        .names
        .get(usize::from(name) % target.names.len().max(1))
        .cloned()
        .unwrap_or_default();
    let name = match base.strip_suffix('*') {
        Some(prefix) => format!("{prefix}{suffix}"),
        None => base,
    };
    world
        .runtime
        .block_on(drive(world, target, name, manufacturer_data, &script));
}

async fn drive(
    world: &World,
    target: &Target,
    name: String,
    manufacturer_data: Vec<ManufacturerData>,
    script: &Script,
) {
    let device = Arc::new(ScriptedDevice::new(
        name,
        target.endpoints.clone(),
        manufacturer_data,
        script,
    ));
    let hardware: Arc<dyn Hardware> = device.clone();
    // the device manager listens from before identification on
    let mut events = hardware.events();
    if let Some((definition, handler)) =
        setup(&world.config, &world.registry, &target.protocol, &hardware).await
    {
        while events.try_recv().is_ok() {}
        for feature in &definition.features {
            for input in &feature.inputs {
                for command in &input.commands {
                    let _ = handler
                        .input(&hardware, feature, input.kind, *command)
                        .await;
                }
            }
        }
        let _ = handler.keepalive();
        for (selector, data) in &script.notifications {
            let endpoint = device.endpoint(*selector);
            // protocols that follow the device themselves read the hardware's events too
            device.notify(endpoint, data.clone());
            for (feature, reading) in handler.notification(endpoint, data) {
                let _ = (feature, reading.input_type());
            }
            // let background tasks of the protocol see it
            tokio::task::yield_now().await;
        }
        let _ = handler.periodic();
    }
    hardware.disconnect().await;
    // give tasks the protocol started the time to notice the disconnect and end
    tokio::time::sleep(Duration::from_secs(1)).await;
}
