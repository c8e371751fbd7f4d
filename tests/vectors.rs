//! Device-protocol conformance harness: runs every vector of `../shared/vectors` against the
//! server with simulated hardware and prints `vectors: N passed, M failed, K not implemented`.
//!
//! Skips (saying so) when `../shared` is absent. Filter with `HAPTIX_VECTORS=name1,name2`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use haptix::core::json::encode_server_message;
use haptix::core::messages::ServerMessage;
use haptix::core::types::{Endpoint, SpecVersion};
use haptix::device::config::DeviceConfigManager;
use haptix::device::protocols::ProtocolRegistry;
use haptix::hwmgr::sim::{SimBus, SimDeviceSpec, SimHardware, SimOp};
use haptix::server::{Incoming, Outgoing, Server, SessionHandle, SessionOptions};

const OP_TIMEOUT: Duration = Duration::from_secs(2);
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    p.join("vectors/index.json").exists().then_some(p)
}

struct Conn {
    handle: SessionHandle,
    rx: mpsc::UnboundedReceiver<Outgoing>,
    inbox: Vec<(ServerMessage, SpecVersion)>,
}

impl Conn {
    fn send(&self, msg: &Value) {
        let frame = Value::Array(vec![msg.clone()]).to_string();
        assert!(self.handle.send(Incoming::Frame(frame)), "session closed");
    }

    async fn wait_for<F: Fn(&ServerMessage) -> bool>(
        &mut self,
        pred: F,
        timeout: Duration,
    ) -> Result<(ServerMessage, SpecVersion), String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(pos) = self.inbox.iter().position(|(m, _)| pred(m)) {
                return Ok(self.inbox.remove(pos));
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(Outgoing::Message { message, version })) => {
                    self.inbox.push((message, version))
                }
                Ok(Some(Outgoing::Close(r))) => return Err(format!("session closed: {r}")),
                Ok(None) => return Err("session ended".into()),
                Err(_) => {
                    return Err(format!(
                        "timed out; unmatched messages: {:?}",
                        self.inbox.iter().map(|(m, _)| m).collect::<Vec<_>>()
                    ))
                }
            }
        }
    }

    async fn reply(&mut self, id: u32) -> Result<Value, String> {
        let (m, v) = self
            .wait_for(|m| m.id() == id, REPLY_TIMEOUT)
            .await
            .map_err(|e| format!("no reply to Id {id}: {e}"))?;
        Ok(encode_server_message(&m, v))
    }
}

fn msg_id(msg: &Value) -> u32 {
    msg.as_object()
        .and_then(|o| o.values().next())
        .and_then(|b| b.get("Id"))
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => (p - q).abs() < 1e-9,
            _ => x == y,
        },
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        _ => a == b,
    }
}

fn parse_op(v: &Value) -> Result<SimOp, String> {
    let endpoint: Endpoint = v["endpoint"]
        .as_str()
        .ok_or("op without endpoint")?
        .parse()?;
    match v["op"].as_str() {
        Some("write") => Ok(SimOp::Write {
            endpoint,
            data: bytes(&v["bytes"]),
            with_response: v["write_with_response"].as_bool().unwrap_or(false),
        }),
        Some("subscribe") => Ok(SimOp::Subscribe { endpoint }),
        Some("unsubscribe") => Ok(SimOp::Unsubscribe { endpoint }),
        other => Err(format!("unknown op {other:?}")),
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect()
        })
        .unwrap_or_default()
}

async fn run_vector(shared: &Path, vector: &Value, run: &Value) -> Result<(), String> {
    let db = shared.join("device-config/buttplug-device-config-v4.json");
    let config = DeviceConfigManager::from_path(&db).map_err(|e| e.to_string())?;
    if let Some(content) = vector["user_config"].get("content") {
        config
            .load_user_json(content.to_string().as_bytes())
            .map_err(|e| format!("user config: {e}"))?;
    }
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "Haptix vectors".into(),
            max_ping_time: 0,
        },
    );
    let device = &vector["device"];
    let endpoints: Vec<Endpoint> = device["endpoints"]
        .as_array()
        .ok_or("device without endpoints")?
        .iter()
        .filter_map(|e| e.as_str().and_then(|s| s.parse().ok()))
        .collect();
    let spec = SimDeviceSpec {
        bus: SimBus::Btle {
            name: device["ble_name"].as_str().unwrap_or_default().to_string(),
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
        },
        address: device["address"].as_str().map(str::to_string),
        endpoints: Some(endpoints),
        responder: None,
    };
    let hw: Arc<SimHardware> = server.simulator().add_device(spec);
    let (handle, rx) = server.connect();
    let mut conn = Conn {
        handle,
        rx,
        inbox: Vec::new(),
    };
    let result = drive(&mut conn, &hw, vector, run).await;
    conn.handle.send(Incoming::Closed);
    server.shutdown().await;
    result
}

async fn drive(
    conn: &mut Conn,
    hw: &Arc<SimHardware>,
    vector: &Value,
    run: &Value,
) -> Result<(), String> {
    let self_timed = !vector["timing"]["self_timed_writes"].is_null();
    let empty = Vec::new();
    for msg in run["handshake"].as_array().unwrap_or(&empty) {
        conn.send(msg);
        let id = msg_id(msg);
        let reply = conn.reply(id).await?;
        if reply.get("Error").is_some() {
            return Err(format!("handshake message {id} failed: {reply}"));
        }
    }
    let mut deferred: Vec<(Value, Value)> = Vec::new();
    let mut last_write: Option<SimOp> = None;
    for (n, step) in run["steps"].as_array().unwrap_or(&empty).iter().enumerate() {
        let kind = step["kind"].as_str().unwrap_or_default();
        match kind {
            "expect_hw" => {
                let mut superseded: Vec<SimOp> = step["superseded_writes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|o| parse_op(o).ok()).collect())
                    .unwrap_or_default();
                for want in step["ops"].as_array().unwrap_or(&empty) {
                    let want = parse_op(want)?;
                    loop {
                        let got = hw.next_op(OP_TIMEOUT).await.ok_or_else(|| {
                            format!("step {n}: expected {want}, device received nothing")
                        })?;
                        if got == want {
                            if matches!(got, SimOp::Write { .. }) {
                                last_write = Some(got);
                            }
                            break;
                        }
                        // superseded writes are optional, but keep their order
                        if let Some(k) = superseded.iter().position(|s| *s == got) {
                            superseded.drain(..=k);
                            continue;
                        }
                        if self_timed && last_write.as_ref() == Some(&got) {
                            continue;
                        }
                        return Err(format!("step {n}: expected {want}, device received {got}"));
                    }
                }
            }
            "notify" => {
                for nt in step["notifications"].as_array().unwrap_or(&empty) {
                    let ep: Endpoint = nt["endpoint"].as_str().unwrap_or_default().parse()?;
                    hw.notify(ep, &bytes(&nt["bytes"]));
                }
            }
            "queue_reads" => {
                for r in step["reads"].as_array().unwrap_or(&empty) {
                    let ep: Endpoint = r["endpoint"].as_str().unwrap_or_default().parse()?;
                    hw.queue_read(ep, &bytes(&r["bytes"]));
                }
            }
            "disconnect" => hw.disconnect_now(),
            "device_ready" => {
                let index = step["device_index"].as_u64().unwrap_or(0) as u32;
                let (m, _) = conn
                    .wait_for(
                        |m| match m {
                            ServerMessage::DeviceAdded { device } => device.index == index,
                            ServerMessage::DeviceList { id: 0, devices } => {
                                devices.iter().any(|d| d.index == index)
                            }
                            _ => false,
                        },
                        REPLY_TIMEOUT,
                    )
                    .await
                    .map_err(|e| format!("step {n}: device never announced: {e}"))?;
                let info = match m {
                    ServerMessage::DeviceAdded { device } => device,
                    ServerMessage::DeviceList { devices, .. } => devices
                        .into_iter()
                        .find(|d| d.index == index)
                        .ok_or("device vanished")?,
                    _ => return Err("unexpected announcement".into()),
                };
                if Some(info.name.as_str()) != step["expected_name"].as_str() {
                    return Err(format!(
                        "step {n}: device name {:?}, expected {}",
                        info.name, step["expected_name"]
                    ));
                }
                if let Some(dn) = step["expected_display_name"].as_str() {
                    if info.display_name.as_deref() != Some(dn) {
                        return Err(format!(
                            "step {n}: display name {:?}, expected {dn:?}",
                            info.display_name
                        ));
                    }
                }
            }
            "command" => {
                let messages = step["messages"].as_array().unwrap_or(&empty);
                let expected = step["expect_replies"].as_array().unwrap_or(&empty);
                let deferred_step = step["reply_deferred"].as_bool().unwrap_or(false);
                let pipelined = step["dispatch"].as_str() == Some("pipelined");
                if pipelined || deferred_step {
                    // sent back to back in one frame, as the wire format allows
                    let frame = Value::Array(messages.clone()).to_string();
                    assert!(conn.handle.send(Incoming::Frame(frame)), "session closed");
                }
                for (m, want) in messages.iter().zip(expected) {
                    if !pipelined && !deferred_step {
                        conn.send(m);
                    }
                    if deferred_step {
                        deferred.push((m.clone(), want.clone()));
                        continue;
                    }
                    let got = conn.reply(msg_id(m)).await?;
                    if !values_equal(&got, want) {
                        return Err(format!("step {n}: reply {got}, expected {want}"));
                    }
                }
            }
            "skip" => {}
            other => return Err(format!("unknown step kind {other:?}")),
        }
    }
    for (m, want) in deferred {
        let got = conn.reply(msg_id(&m)).await?;
        if !values_equal(&got, &want) {
            return Err(format!("deferred reply {got}, expected {want}"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_vectors() {
    let Some(shared) = shared() else {
        println!("skipping conformance vectors: ../shared is not present");
        return;
    };
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("vectors/index.json")).expect("index.json"),
    )
    .expect("index.json parses");
    let filter: Option<Vec<String>> = std::env::var("HAPTIX_VECTORS")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let registry = ProtocolRegistry::builtin();
    let (mut passed, mut failed, mut not_implemented) = (0, 0, 0);
    let mut failures = Vec::new();
    for entry in index["converted"].as_array().expect("converted list") {
        let file = entry["file"].as_str().expect("file");
        let name = file.trim_end_matches(".json");
        if let Some(f) = &filter {
            if !f.iter().any(|x| x == name) {
                continue;
            }
        }
        let vector: Value = serde_json::from_str(
            &std::fs::read_to_string(shared.join("vectors").join(file)).expect("vector file"),
        )
        .expect("vector parses");
        let protocol = vector["protocol"].as_str().unwrap_or_default();
        if !registry.contains(protocol) {
            not_implemented += 1;
            continue;
        }
        let mut ok = true;
        for run in vector["runs"].as_array().expect("runs") {
            let v = run["spec_version"].as_u64().unwrap_or(4);
            if let Err(e) = run_vector(&shared, &vector, run).await {
                ok = false;
                failures.push(format!("{name} (spec v{v}): {e}"));
            }
        }
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!("vectors: {passed} passed, {failed} failed, {not_implemented} not implemented");
    assert_eq!(failed, 0, "conformance failures:\n{}", failures.join("\n"));
}
