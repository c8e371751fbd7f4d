//! Every way a session can end stops every device that was moving: a clean disconnect, a dropped
//! TCP connection, a ping timeout, the WebSocket server stopping, an in-process client dropped,
//! and, through the C ABI, a client freed and a context shut down (the Python binding's client
//! collected by its GC is bindings/python/tests/test_session_end.py). Each case prints how long
//! the stop took to reach the toys after the session ended (a figure, not an assertion: the
//! machines are shared and noisy).
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use haptix::client::{Client, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::ffi::proto::{self, event, request};
use haptix::ffi::*;
use haptix::hwmgr::sim::{SimDeviceSpec, SimHardware, SimOp};
use haptix::server::websocket::WebsocketServer;
use haptix::server::{Server, SessionOptions};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[path = "support/abi.rs"]
mod abi;

/// How long a stop may take before the test calls it missing (far above any expected figure).
const STOP_WAIT: Duration = Duration::from_secs(10);

const TOYS: [(&str, &[u8], &[u8]); 2] = [
    ("LVS-Hush", b"Vibrate:7;", b"Vibrate:0;"),
    ("LVS-Lush", b"Vibrate:7;", b"Vibrate:0;"),
];

fn server(max_ping_time: u32) -> (Server, Vec<Arc<SimHardware>>) {
    let server = Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "session end".into(),
            max_ping_time,
        },
    );
    let toys = TOYS
        .iter()
        .map(|(name, _, _)| {
            server
                .add_simulated_device(SimDeviceSpec::parse(name).expect("identifier"))
                .expect("a toy of the database")
        })
        .collect();
    (server, toys)
}

/// Waits until `hw` receives `want` (a write ending in those bytes); panics after [`STOP_WAIT`].
async fn written(hw: &SimHardware, want: &[u8]) {
    let deadline = tokio::time::Instant::now() + STOP_WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match hw.next_op(left).await {
            Some(SimOp::Write { data, .. }) if data.ends_with(want) => return,
            Some(_) => {}
            None => panic!(
                "{} never received {:?}",
                hw.address(),
                String::from_utf8_lossy(want)
            ),
        }
    }
}

/// Waits for every toy's stop and prints the time since `ended`.
async fn every_toy_stopped(case: &str, toys: &[Arc<SimHardware>], ended: Instant) {
    for (hw, (_, _, stop)) in toys.iter().zip(TOYS) {
        written(hw, stop).await;
    }
    println!(
        "session end: {case}: every toy stopped {:.1} ms after the session ended",
        ended.elapsed().as_secs_f64() * 1000.0
    );
}

/// A raw WebSocket client (as any Buttplug client in another language would be) that
/// handshakes, scans, and starts both toys.
async fn raw_client_driving_toys(
    url: &str,
    toys: &[Arc<SimHardware>],
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let send = |m: Value| Message::text(Value::Array(vec![m]).to_string());
    ws.send(send(
        json!({"RequestServerInfo": {"Id": 1, "ClientName": "t",
        "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}),
    ))
    .await
    .unwrap();
    ws.send(send(json!({"StartScanning": {"Id": 2}})))
        .await
        .unwrap();
    let mut devices = 0;
    while devices < toys.len() {
        let m = tokio::time::timeout(STOP_WAIT, ws.next())
            .await
            .expect("no device in time")
            .expect("connection open")
            .expect("frame");
        let text = m.to_text().unwrap_or_default().to_string();
        if text.contains("DeviceList") {
            devices = text.matches("\"DeviceIndex\"").count();
        }
    }
    for index in 0..toys.len() {
        ws.send(send(
            json!({"OutputCmd": {"Id": 10 + index, "DeviceIndex": index,
            "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 7}}}}),
        ))
        .await
        .unwrap();
    }
    for (hw, (_, start, _)) in toys.iter().zip(TOYS) {
        written(hw, start).await;
    }
    ws
}

async fn websocket(server: &Server) -> (WebsocketServer, String) {
    let ws = WebsocketServer::start(server.clone(), "127.0.0.1:0".parse().unwrap(), 1 << 20)
        .await
        .expect("listen");
    let url = format!("ws://{}", ws.local_addr());
    (ws, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_tcp_connection_stops_every_toy() {
    let (server, toys) = server(0);
    let (ws, url) = websocket(&server).await;
    let client = raw_client_driving_toys(&url, &toys).await;
    let ended = Instant::now();
    drop(client);
    every_toy_stopped("dropped TCP connection", &toys, ended).await;
    ws.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_close_stops_every_toy() {
    let (server, toys) = server(0);
    let (ws, url) = websocket(&server).await;
    let mut client = raw_client_driving_toys(&url, &toys).await;
    let ended = Instant::now();
    client.close(None).await.unwrap();
    every_toy_stopped("clean WebSocket close", &toys, ended).await;
    ws.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_timeout_stops_every_toy() {
    let (server, toys) = server(300);
    let (ws, url) = websocket(&server).await;
    // the raw client never pings: the watchdog ends the session 300 ms after the handshake
    let client = raw_client_driving_toys(&url, &toys).await;
    let ended = Instant::now();
    every_toy_stopped(
        "ping timeout (300 ms watchdog, measured from the last command)",
        &toys,
        ended,
    )
    .await;
    drop(client);
    ws.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_stops_every_toy() {
    let (server, toys) = server(0);
    let (ws, url) = websocket(&server).await;
    let client = raw_client_driving_toys(&url, &toys).await;
    let ended = Instant::now();
    ws.shutdown().await;
    every_toy_stopped("WebSocket server stopped", &toys, ended).await;
    drop(client);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_or_dropping_a_client_stops_every_toy() {
    for drop_it in [false, true] {
        let (server, toys) = server(0);
        let client = Client::connect_in_process(&server, "session end")
            .await
            .unwrap();
        let mut events = client.events();
        client.start_scanning().await.unwrap();
        let mut devices = Vec::new();
        while devices.len() < toys.len() {
            match tokio::time::timeout(STOP_WAIT, events.recv()).await {
                Ok(Some(ClientEvent::DeviceAdded(d))) => devices.push(d),
                Ok(Some(_)) => {}
                other => panic!("no device: {other:?}"),
            }
        }
        for d in &devices {
            d.vibrate(0.35).await.unwrap();
        }
        for (hw, (_, start, _)) in toys.iter().zip(TOYS) {
            written(hw, start).await;
        }
        let ended = Instant::now();
        if drop_it {
            drop(devices);
            drop(client);
            every_toy_stopped("in-process client dropped", &toys, ended).await;
        } else {
            client.disconnect().await.unwrap();
            every_toy_stopped("in-process client disconnected", &toys, ended).await;
        }
        server.shutdown().await;
    }
}

/// A context of the C ABI with the two toys at `{prefix}-{i}`, logging at `log_level`.
fn abi_context(prefix: &str, log_level: proto::LogLevel) -> *mut haptix_context {
    let addresses: Vec<String> = (0..TOYS.len()).map(|i| format!("{prefix}-{i}")).collect();
    let toys: Vec<(&str, &str)> = TOYS
        .iter()
        .zip(&addresses)
        .map(|((name, _, _), address)| (*name, address.as_str()))
        .collect();
    abi::context(&abi::toys_options(&toys, log_level))
}

/// The last write each toy at `{prefix}-{i}` received since the previous call (TakeWrites
/// drains what it returns).
fn abi_last_writes(c: *mut haptix_client, prefix: &str) -> Vec<Option<Vec<u8>>> {
    (0..TOYS.len())
        .map(|i| {
            let r = abi::call_response(
                c,
                request::Kind::TakeWrites(proto::TakeWrites {
                    address: format!("{prefix}-{i}"),
                }),
            );
            match r.result {
                Some(proto::response::Result::Writes(w)) => w.writes.last().map(|w| w.data.clone()),
                _ => None,
            }
        })
        .collect()
}

/// Polls until every toy's latest write is `want` (each toy's last write is kept across polls,
/// so a toy that got there first is not read as "no write" on the next poll).
fn abi_wait_for_writes(c: *mut haptix_client, prefix: &str, want: fn(usize) -> &'static [u8]) {
    let deadline = Instant::now() + STOP_WAIT;
    let mut last: Vec<Option<Vec<u8>>> = vec![None; TOYS.len()];
    loop {
        for (seen, now) in last.iter_mut().zip(abi_last_writes(c, prefix)) {
            if now.is_some() {
                *seen = now;
            }
        }
        let done = last
            .iter()
            .enumerate()
            .all(|(i, w)| w.as_deref().is_some_and(|d| d.ends_with(want(i))));
        if done {
            return;
        }
        assert!(Instant::now() < deadline, "the toys never got {last:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Scans with `driver` until both toys are connected, then starts both.
fn abi_drive_toys(driver: *mut haptix_client) {
    abi::call_response(
        driver,
        request::Kind::StartScanning(proto::StartScanning {}),
    );
    // wait until both toys are connected (the driver's device list holds both)
    let deadline = Instant::now() + STOP_WAIT;
    loop {
        let r = abi::call_response(
            driver,
            request::Kind::RequestDeviceList(proto::RequestDeviceList {}),
        );
        if let Some(proto::response::Result::DeviceList(l)) = r.result {
            if l.devices.len() == TOYS.len() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the toys were not found");
        std::thread::sleep(Duration::from_millis(20));
    }
    for index in 0..TOYS.len() as u32 {
        let r = abi::call_response(
            driver,
            request::Kind::Output(proto::Output {
                device_index: index,
                feature_index: None,
                output_type: proto::OutputType::Vibrate as i32,
                value: Some(proto::output::Value::Level(0.35)),
                duration_ms: 0,
            }),
        );
        assert_eq!(r.status, 0, "{}", r.message);
    }
}

/// Through the C ABI: a client freed with both toys moving.
#[test]
fn freeing_a_client_stops_every_toy() {
    let ctx = abi_context("toy", proto::LogLevel::Warn);
    let driver = abi::client(ctx);
    let observer = abi::client(ctx);
    abi_drive_toys(driver);
    abi_wait_for_writes(observer, "toy", |i| TOYS[i].1);
    let ended = Instant::now();
    // SAFETY: live handle, freed once.
    unsafe { haptix_client_free(driver) };
    abi_wait_for_writes(observer, "toy", |i| TOYS[i].2);
    println!(
        "session end: C ABI client freed: every toy stopped {:.1} ms after the free",
        ended.elapsed().as_secs_f64() * 1000.0
    );
    // SAFETY: live handles, freed once.
    unsafe {
        haptix_client_free(observer);
        haptix_context_free(ctx);
    }
}

/// A context handle that may cross to the thread that drains its log.
struct SendContext(*mut haptix_context);

// SAFETY: the C ABI allows calls on a context from any thread; the handle is only used for
// haptix_context_next_event while it is live (it is freed after that thread is joined).
unsafe impl Send for SendContext {}

/// The simulator's trace record of a write reaching a toy: "... address=ADDR op=write tx
/// BYTES".
fn is_write_record(message: &str, address: &str, data: &[u8]) -> bool {
    message.starts_with("simulated device operation")
        && message.contains(&format!("address={address} "))
        && message.contains("op=write")
        && message.contains(&format!("{:?}", String::from_utf8_lossy(data)))
}

/// Through the C ABI: the context shut down with both toys moving and its client still open.
/// Once shut down, its clients answer nothing, so the stops are seen in the simulator's trace
/// records on the context's log, which can still be drained; the latency is their time stamp
/// (milliseconds) against the moment of the call.
#[test]
fn shutting_the_context_down_stops_every_toy() {
    const PREFIX: &str = "shutdown-toy";
    let ctx = abi_context(PREFIX, proto::LogLevel::Trace);
    // Drain the log from the start (the queue is bounded; records of other tests running in
    // this process arrive too), keeping the time of each toy's first stop.
    let log = SendContext(ctx);
    let collector = std::thread::spawn(move || {
        let log = log;
        let mut stops: Vec<Option<u64>> = vec![None; TOYS.len()];
        let mut dropped = 0;
        loop {
            // the context is live until this thread ends
            let ev = match abi::next_context_event(log.0, 100) {
                Ok(ev) => ev,
                Err(haptix_status::Timeout) => continue,
                Err(haptix_status::Closed) => return (stops, dropped),
                Err(other) => panic!("next_event: {other:?}"),
            };
            if let Some(event::Kind::Log(record)) = ev.kind {
                dropped += record.dropped_before;
                for (i, stop) in stops.iter_mut().enumerate() {
                    let address = format!("{PREFIX}-{i}");
                    if stop.is_none() && is_write_record(&record.message, &address, TOYS[i].2) {
                        *stop = Some(record.timestamp_ms);
                    }
                }
            }
        }
    });
    let driver = abi::client(ctx);
    abi_drive_toys(driver);
    abi_wait_for_writes(driver, PREFIX, |i| TOYS[i].1);
    let ended_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as u64;
    // SAFETY: live context.
    let st = unsafe { haptix_context_shutdown(ctx, 5_000) };
    assert_eq!(st, haptix_status::Ok);
    let (stops, dropped) = collector.join().expect("the log collector");
    assert!(
        stops.iter().all(Option::is_some),
        "shutting the context down did not stop every toy: {stops:?} ({dropped} log records \
         dropped)"
    );
    let latest = stops.iter().flatten().max().copied().unwrap_or(ended_ms);
    println!(
        "session end: C ABI context shut down: every toy stopped {:.1} ms after the session \
         ended (log time stamps, 1 ms resolution)",
        latest.saturating_sub(ended_ms) as f64
    );
    // SAFETY: live handles, freed once (the context frees what is left of its client).
    unsafe {
        haptix_client_free(driver);
        haptix_context_free(ctx);
    }
}
