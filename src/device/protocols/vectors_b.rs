//! Test support for the set-B protocol modules: definition builders, a recording mock hardware,
//! and a miniature runner for the v4 run of the shared conformance vectors (identification,
//! initialisation, de-duplication of repeated values and batching-window coalescing modelled
//! after the reference server).

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition, OutputSettings};
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolHandler};
use crate::device::protocols::ProtocolRegistry;
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

/// A definition with the given `(feature index, output type, lo, hi)` outputs.
pub(crate) fn def(outputs: &[(u32, OutputType, i32, i32)]) -> DeviceDefinition {
    let mut features: Vec<FeatureDefinition> = Vec::new();
    for (index, kind, lo, hi) in outputs {
        let pos = match features.iter().position(|f| f.index == *index) {
            Some(p) => p,
            None => {
                features.push(FeatureDefinition {
                    index: *index,
                    id: format!("f{index}"),
                    base_id: None,
                    description: String::new(),
                    outputs: Vec::new(),
                    inputs: Vec::new(),
                });
                features.len() - 1
            }
        };
        features[pos]
            .outputs
            .push(OutputSettings::new(*kind, (*lo, *hi)));
    }
    for f in &mut features {
        f.outputs
            .sort_by_key(|o| OutputType::ALL.iter().position(|t| *t == o.kind));
    }
    features.sort_by_key(|f| f.index);
    DeviceDefinition {
        identifiers: Vec::new(),
        name: "test".to_string(),
        id: "test".to_string(),
        base_id: None,
        protocol_variant: None,
        message_gap_ms: None,
        features,
        user: Default::default(),
    }
}

/// An output action without duration.
pub(crate) fn act(feature: u32, kind: OutputType, value: i32) -> OutputAction {
    OutputAction {
        feature,
        kind,
        value,
        duration: None,
    }
}

/// The bytes of the writes among `commands`.
pub(crate) fn bytes_of(commands: &[HwCommand]) -> Vec<Vec<u8>> {
    commands
        .iter()
        .filter_map(|c| match c {
            HwCommand::Write { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// One operation recorded by [`MockHw`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    Write(Endpoint, Vec<u8>, bool),
    Subscribe(Endpoint),
    Unsubscribe(Endpoint),
}

/// A hardware double recording operations and answering reads from a queue.
pub(crate) struct MockHw {
    name: String,
    endpoints: Vec<Endpoint>,
    pub(crate) ops: Mutex<VecDeque<Op>>,
    reads: Mutex<VecDeque<(Endpoint, Vec<u8>)>>,
    events: broadcast::Sender<HardwareEvent>,
}

impl MockHw {
    /// A device with a name and endpoints.
    pub(crate) fn new(name: &str, endpoints: &[Endpoint]) -> Arc<MockHw> {
        let (events, _) = broadcast::channel(16);
        Arc::new(MockHw {
            name: name.to_string(),
            endpoints: endpoints.to_vec(),
            ops: Mutex::new(VecDeque::new()),
            reads: Mutex::new(VecDeque::new()),
            events,
        })
    }

    /// Queues a read reply.
    pub(crate) fn queue_read(&self, endpoint: Endpoint, data: &[u8]) {
        self.reads.lock().push_back((endpoint, data.to_vec()));
    }

    fn check(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        if self.endpoints.contains(&endpoint) {
            Ok(())
        } else {
            Err(DeviceError::Hardware(format!("no endpoint {endpoint}")))
        }
    }

    fn apply(&self, command: &HwCommand) {
        let op = match command {
            HwCommand::Write {
                endpoint,
                data,
                with_response,
                ..
            } => Op::Write(*endpoint, data.clone(), *with_response),
            HwCommand::Subscribe { endpoint } => Op::Subscribe(*endpoint),
            HwCommand::Unsubscribe { endpoint } => Op::Unsubscribe(*endpoint),
        };
        self.ops.lock().push_back(op);
    }
}

#[async_trait]
impl Hardware for MockHw {
    fn name(&self) -> &str {
        &self.name
    }
    fn address(&self) -> &str {
        "mock"
    }
    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }
    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.ops
            .lock()
            .push_back(Op::Write(endpoint, data.to_vec(), with_response));
        Ok(())
    }
    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.check(endpoint)?;
        let mut reads = self.reads.lock();
        match reads.front() {
            Some((ep, _)) if *ep == endpoint => {
                Ok(reads.pop_front().map(|r| r.1).unwrap_or_default())
            }
            _ => Err(DeviceError::Timeout("no queued read".to_string())),
        }
    }
    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.ops.lock().push_back(Op::Subscribe(endpoint));
        Ok(())
    }
    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check(endpoint)?;
        self.ops.lock().push_back(Op::Unsubscribe(endpoint));
        Ok(())
    }
    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }
    async fn disconnect(&self) {}
}

const DB_FILE: &str = "device-config/buttplug-device-config-v4.json";

/// A file of the shared folder (`../shared` beside the crate); tests skip when it is absent.
fn shared_file(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative)
}

fn load(relative: &str) -> Option<Value> {
    let path = shared_file(relative);
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping: ../shared not present ({})", path.display());
        return None;
    };
    serde_json::from_str(&text).ok()
}

fn features_from_json(list: &Value) -> Vec<(u32, OutputType, i32, i32)> {
    let mut out = Vec::new();
    for f in list.as_array().into_iter().flatten() {
        let index = f["index"].as_u64().unwrap_or(0) as u32;
        if let Some(outputs) = f["output"].as_object() {
            for (k, v) in outputs {
                let kind = OutputType::from_config(k).unwrap();
                let lo = v["value"][0].as_i64().unwrap() as i32;
                let hi = v["value"][1].as_i64().unwrap() as i32;
                out.push((index, kind, lo, hi));
            }
        }
    }
    out
}

/// Resolves `(protocol, identifier)` like the server: a configuration listing the identifier
/// (user protocols first), else the protocol defaults.
fn resolve(
    db: &Value,
    user: Option<&Value>,
    protocol: &str,
    identifier: Option<&str>,
) -> DeviceDefinition {
    let base = &db["protocols"][protocol];
    let defaults = &base["defaults"];
    let mut sources: Vec<&Value> = Vec::new();
    if let Some(u) = user {
        sources.push(&u["user_configs"]["protocols"][protocol]);
    }
    sources.push(base);
    let mut chosen: Option<&Value> = None;
    if let Some(id) = identifier {
        'outer: for s in sources {
            for c in s["configurations"].as_array().into_iter().flatten() {
                if c["identifier"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|i| i.as_str() == Some(id))
                {
                    chosen = Some(c);
                    break 'outer;
                }
            }
        }
    }
    let conf = chosen.unwrap_or(defaults);
    let features = if conf["features"].is_array() {
        &conf["features"]
    } else {
        &defaults["features"]
    };
    let mut d = def(&features_from_json(features));
    d.name = conf["name"]
        .as_str()
        .or(defaults["name"].as_str())
        .unwrap_or("")
        .to_string();
    d.protocol_variant = conf["protocol_variant"]
        .as_str()
        .or(defaults["protocol_variant"].as_str())
        .map(str::to_string);
    d
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn overlaps(a: &HwCommand, b: &HwCommand) -> bool {
    match (a, b) {
        (HwCommand::Write { features: x, .. }, HwCommand::Write { features: y, .. }) => x & y != 0,
        _ => false,
    }
}

struct Runner {
    hw: Arc<MockHw>,
    handler: Arc<dyn ProtocolHandler>,
    def: DeviceDefinition,
    last: HashMap<u32, (OutputType, i32, Option<u32>)>,
}

impl Runner {
    fn dedup(&mut self, actions: Vec<OutputAction>) -> Vec<OutputAction> {
        actions
            .into_iter()
            .filter(|a| {
                let key = (a.kind, a.value, a.duration);
                if self.last.get(&a.feature) == Some(&key) {
                    false
                } else {
                    self.last.insert(a.feature, key);
                    true
                }
            })
            .collect()
    }

    fn stop_actions(&self) -> Vec<OutputAction> {
        self.def
            .features
            .iter()
            .filter_map(|f| f.stop_output().map(|k| act(f.index, k, 0)))
            .collect()
    }

    /// Encodes the batches of one batching window and records what the device would get.
    fn window(&mut self, batches: Vec<Vec<OutputAction>>) -> Result<(), String> {
        let mut pending: Vec<HwCommand> = Vec::new();
        for (i, batch) in batches.into_iter().enumerate() {
            let batch = self.dedup(batch);
            if batch.is_empty() {
                continue;
            }
            let mut sorted = batch;
            sorted.sort_by_key(|a| a.feature);
            let commands = self
                .handler
                .outputs(&sorted)
                .map_err(|e| format!("encoding {sorted:?} failed: {e}"))?;
            if i == 0 || pending.is_empty() {
                pending.extend(commands);
            } else {
                for c in commands {
                    pending.retain(|e| !overlaps(&c, e));
                    pending.push(c);
                }
            }
        }
        for c in &pending {
            self.hw.apply(c);
        }
        Ok(())
    }
}

fn message_actions(msg: &Value, runner: &Runner) -> Result<Vec<OutputAction>, String> {
    if let Some(o) = msg.get("OutputCmd") {
        let feature = o["FeatureIndex"].as_u64().ok_or("no FeatureIndex")? as u32;
        let (name, body) = o["Command"]
            .as_object()
            .and_then(|m| m.iter().next())
            .ok_or("no Command")?;
        let kind = OutputType::from_wire(name).ok_or("bad output type")?;
        Ok(vec![OutputAction {
            feature,
            kind,
            value: body["Value"].as_i64().ok_or("no Value")? as i32,
            duration: body["Duration"].as_u64().map(|d| d as u32),
        }])
    } else if msg.get("StopCmd").is_some() {
        Ok(runner.stop_actions())
    } else {
        Err(format!("message not supported by the mini-runner: {msg}"))
    }
}

fn expected_op(v: &Value) -> Result<Op, String> {
    let ep = Endpoint::from_str(v["endpoint"].as_str().ok_or("no endpoint")?)?;
    Ok(match v["op"].as_str() {
        Some("write") => Op::Write(
            ep,
            v["bytes"]
                .as_array()
                .ok_or("no bytes")?
                .iter()
                .map(|b| b.as_u64().unwrap_or(0) as u8)
                .collect(),
            v["write_with_response"].as_bool().unwrap_or(false),
        ),
        Some("subscribe") => Op::Subscribe(ep),
        _ => Op::Unsubscribe(ep),
    })
}

fn show(op: &Op) -> String {
    match op {
        Op::Write(e, d, r) => format!("write {e} [{}]{}", hex(d), if *r { " R" } else { "" }),
        Op::Subscribe(e) => format!("subscribe {e}"),
        Op::Unsubscribe(e) => format!("unsubscribe {e}"),
    }
}

/// Runs the v4 run of one vector against the registered protocol. `Ok(false)` when the shared
/// vector files are not available.
pub(crate) async fn run_vector(name: &str) -> Result<bool, String> {
    let Some(v) = load(&format!("vectors/{name}.json")) else {
        return Ok(false);
    };
    let Some(db) = load(DB_FILE) else {
        return Ok(false);
    };
    let protocol = v["protocol"].as_str().ok_or("no protocol")?;
    let device = &v["device"];
    let endpoints: Vec<Endpoint> = device["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().and_then(|s| Endpoint::from_str(s).ok()))
        .collect();
    let hw = MockHw::new(device["ble_name"].as_str().unwrap_or(""), &endpoints);
    let run = v["runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["spec_version"] == 4))
        .ok_or("no v4 run")?;
    let steps = run["steps"].as_array().ok_or("no steps")?;
    let ready = steps
        .iter()
        .position(|s| s["kind"] == "device_ready")
        .ok_or("no device_ready")?;
    for s in &steps[..ready] {
        if s["kind"] == "queue_reads" {
            for r in s["reads"].as_array().into_iter().flatten() {
                let ep = Endpoint::from_str(r["endpoint"].as_str().unwrap_or(""))?;
                let bytes: Vec<u8> = r["bytes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| b.as_u64().unwrap_or(0) as u8)
                    .collect();
                hw.queue_read(ep, &bytes);
            }
        }
    }
    let registry = ProtocolRegistry::builtin();
    let factory = registry
        .get(protocol)
        .ok_or(format!("protocol {protocol} is not registered"))?;
    let dyn_hw: Arc<dyn Hardware> = hw.clone();
    let ident = factory
        .identify(&dyn_hw)
        .await
        .map_err(|e| format!("identify: {e}"))?;
    let user = v["user_config"].get("content");
    let definition = resolve(&db, user, &ident.protocol, ident.identifier.as_deref());
    if Some(definition.name.as_str()) != device["definition_name"].as_str() {
        return Err(format!(
            "identifier {:?} resolved to {:?}, expected {}",
            ident.identifier, definition.name, device["definition_name"]
        ));
    }
    let handler = factory
        .initialize(&dyn_hw, &definition)
        .await
        .map_err(|e| format!("initialize: {e}"))?;
    let mut runner = Runner {
        hw: hw.clone(),
        handler: handler.clone(),
        def: definition,
        last: HashMap::new(),
    };
    if matches!(handler.keepalive(), KeepAlive::RepeatLastEvery(_)) {
        let stop = runner.stop_actions();
        runner.window(vec![stop])?;
    }
    for (i, s) in steps.iter().enumerate() {
        match s["kind"].as_str() {
            Some("command") => {
                let msgs = s["messages"].as_array().ok_or("no messages")?;
                let mut batches = Vec::new();
                for m in msgs {
                    batches.push(message_actions(m, &runner)?);
                }
                if s["dispatch"] == "pipelined" {
                    runner.window(batches)?;
                } else {
                    for b in batches {
                        runner.window(vec![b])?;
                    }
                }
            }
            Some("expect_hw") => {
                for e in s["ops"].as_array().into_iter().flatten() {
                    let want = expected_op(e)?;
                    let got = hw.ops.lock().pop_front();
                    if got.as_ref() != Some(&want) {
                        return Err(format!(
                            "step {i}: expected {}, got {}",
                            show(&want),
                            got.as_ref().map(show).unwrap_or_else(|| "nothing".into())
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(true)
}

/// Runs several vectors and panics with every failure.
pub(crate) fn check_vectors(names: &[&str]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for n in names {
        if let Err(e) = rt.block_on(run_vector(n)) {
            failures.push(format!("{n}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "vector failures:\n{}",
        failures.join("\n")
    );
}

/// The set-B protocol names.
pub(crate) const SET_B: &[&str] = &[
    "luvmazer",
    "magic-motion-1",
    "magic-motion-2",
    "magic-motion-3",
    "magic-motion-4",
    "meese",
    "mizzzee",
    "mizzzee-v2",
    "mizzzee-v3",
    "motorbunny",
    "mysteryvibe",
    "nexus-revo",
    "nobra",
    "omobo",
    "pink_punch",
    "sakuraneko",
    "satisfyer",
    "sensee",
    "sensee-v2",
    "serveu",
    "sexverse-lg389",
    "sexverse-v1",
    "sexverse-v2",
    "sexverse-v4",
    "sexverse-v5",
    "svakom-alex",
    "svakom-alex-v2",
    "svakom-barnard",
    "svakom-iker",
    "svakom-pulse",
    "svakom-sam2",
    "svakom-v1",
    "svakom-v2",
    "svakom-v3",
    "svakom-v5",
    "svakom-v6",
    "synchro",
    "tcode-v03",
    "tryfun",
    "tryfun-blackhole",
    "tryfun-meta2",
    "vorze-sa",
    "wetoy",
    "wevibe",
    "wevibe-8bit",
    "wevibe-chorus",
    "xibao",
    "xiuxiuda",
    "xuanhuan",
];

/// Initialises every configuration of `protocol` in a database file and drives each output at
/// its maximum (and its negative maximum when signed), then stops the device.
async fn sweep(db: &Value, protocol: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let registry = ProtocolRegistry::builtin();
    let Some(factory) = registry.get(protocol) else {
        return vec![format!("{protocol}: not registered")];
    };
    let p = &db["protocols"][protocol];
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for c in p["communication"].as_array().into_iter().flatten() {
        for s in c["btle"]["services"].as_object().into_iter().flatten() {
            for e in s.1.as_object().into_iter().flatten() {
                if let Ok(ep) = Endpoint::from_str(e.0) {
                    endpoints.push(ep);
                }
            }
        }
    }
    if endpoints.is_empty() {
        endpoints.push(Endpoint::Tx);
    }
    let mut identifiers: Vec<Option<String>> = vec![None];
    for c in p["configurations"].as_array().into_iter().flatten() {
        if let Some(id) = c["identifier"][0].as_str() {
            identifiers.push(Some(id.to_string()));
        }
    }
    for id in identifiers {
        let definition = resolve(db, None, protocol, id.as_deref());
        if definition.features.is_empty() {
            continue;
        }
        let label = format!("{protocol}/{}", definition.name);
        let hw = MockHw::new(id.as_deref().unwrap_or("device"), &endpoints);
        hw.queue_read(
            Endpoint::Tx,
            &[0x55, 0xaa, 0xf0, 0x02, 0x01, 0x0a, 0x66, 0xfa, 0x01],
        );
        let dyn_hw: Arc<dyn Hardware> = hw.clone();
        let handler = match factory.initialize(&dyn_hw, &definition).await {
            Ok(h) => h,
            Err(e) => {
                failures.push(format!("{label}: initialize: {e}"));
                continue;
            }
        };
        for f in &definition.features {
            for o in &f.outputs {
                let hi = i32::try_from(o.base_max()).unwrap_or(i32::MAX);
                let mut values = vec![hi, 0];
                if o.signed() {
                    values.push(-hi);
                }
                for v in values {
                    let a = OutputAction {
                        feature: f.index,
                        kind: o.kind,
                        value: v,
                        duration: o.kind.is_position().then_some(500),
                    };
                    match handler.outputs(&[a]) {
                        Ok(c) if !c.is_empty() => {}
                        Ok(_) => failures.push(format!("{label}: {a:?} produced nothing")),
                        Err(e) => failures.push(format!("{label}: {a:?}: {e}")),
                    }
                }
            }
        }
        let stop: Vec<OutputAction> = definition
            .features
            .iter()
            .filter_map(|f| f.stop_output().map(|k| act(f.index, k, 0)))
            .collect();
        if let Err(e) = handler.outputs(&stop) {
            failures.push(format!("{label}: stop: {e}"));
        }
    }
    failures
}

#[test]
fn every_database_configuration_encodes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for file in [DB_FILE, "device-config/buttplug-device-config-v5.json"] {
        let Some(db) = load(file) else { continue };
        for protocol in SET_B {
            failures.extend(rt.block_on(sweep(&db, protocol)));
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
