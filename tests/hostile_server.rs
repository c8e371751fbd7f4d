//! Our WebSocket client against hostile servers (issue 14, part 2).
//!
//! Each test starts a scripted server on 127.0.0.1:0 that misbehaves in one way: malformed
//! JSON, wrong or repeated Ids, unknown messages, messages before the handshake, a
//! `DeviceAdded` storm, 16 MiB frames, a byte per second, nothing at all, a server that stops
//! reading, a server that refuses the client. Against each, every request the client has
//! pending must end with an error or a timeout, the error must say why, nothing may hang
//! (every await is bounded, and the client's tasks end), and memory must stay bounded where a
//! server could make it grow.
//!
//! The hostile servers run on a runtime of their own (their own thread), so the test's runtime
//! only runs the client and its task count says whether the client left anything behind.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use haptix::client::{Client, ClientEvent, ClientSettings, Done};
use haptix::error::{Error, ProtocolError, RuntimeError, TransportError};

#[path = "support/abi.rs"]
mod abi;

/// The request timeout the tests give the client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Far above anything expected: an await still running after this has hung.
const HANG: Duration = Duration::from_secs(60);

/// Tests that measure the process's memory take this exclusively; the others share it, so no
/// other test allocates while a memory figure is taken.
static MEMORY_GATE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

// ---------------------------------------------------------------------------------------------
// The hostile server harness

/// A scripted server on its own thread and runtime. Each accepted TCP connection runs the
/// script with the connection's number (0 for the first). Dropping it stops the runtime,
/// which closes every connection the scripts still hold.
struct Hostile {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hostile {
    fn start<F, Fut>(script: F) -> Hostile
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Hostile::start_with(None, script)
    }

    /// `recv_buffer` shrinks the receive buffer of accepted connections (a server that stops
    /// reading then fills up quickly).
    fn start_with<F, Fut>(recv_buffer: Option<u32>, script: F) -> Hostile
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("hostile runtime");
            rt.block_on(async move {
                let socket = TcpSocket::new_v4().expect("socket");
                if let Some(size) = recv_buffer {
                    socket.set_recv_buffer_size(size).expect("receive buffer");
                }
                socket
                    .bind("127.0.0.1:0".parse().expect("address"))
                    .expect("bind");
                let listener = socket.listen(64).expect("listen");
                addr_tx
                    .send(listener.local_addr().expect("local address"))
                    .expect("address to the test");
                let script = Arc::new(script);
                let accept = async {
                    let mut n = 0;
                    loop {
                        if let Ok((stream, _)) = listener.accept().await {
                            let script = Arc::clone(&script);
                            tokio::spawn(async move { script(stream, n).await });
                            n += 1;
                        }
                    }
                };
                tokio::select! {
                    _ = stop_rx => {}
                    _ = accept => {}
                }
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the hostile server listens");
        Hostile {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Ws = WebSocketStream<TcpStream>;

async fn upgrade(stream: TcpStream) -> Option<Ws> {
    tokio_tungstenite::accept_async(stream).await.ok()
}

/// The next request from the client: message name, Id and body; `None` once the connection
/// ends.
async fn next_request(ws: &mut Ws) -> Option<(String, u64, Value)> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => {
                let frame: Value = serde_json::from_str(&text).ok()?;
                let (name, body) = frame.get(0)?.as_object()?.iter().next()?;
                let id = body.get("Id").and_then(Value::as_u64).unwrap_or(0);
                return Some((name.clone(), id, body.clone()));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn send_json(ws: &mut Ws, frame: Value) -> bool {
    ws.send(Message::text(frame.to_string())).await.is_ok()
}

async fn send_text(ws: &mut Ws, text: &str) -> bool {
    ws.send(Message::text(text)).await.is_ok()
}

fn server_info(id: u64, v4: bool) -> Value {
    if v4 {
        json!([{"ServerInfo": {"Id": id, "ServerName": "Hostile", "ProtocolVersionMajor": 4,
            "ProtocolVersionMinor": 0, "MaxPingTime": 0}}])
    } else {
        json!([{"ServerInfo": {"Id": id, "ServerName": "Hostile", "MessageVersion": 3,
            "MaxPingTime": 0}}])
    }
}

/// Answers the handshake and the device list (empty) as a well-behaved server of the version
/// the client asks for; `Some(true)` for spec v4.
async fn handshake(ws: &mut Ws) -> Option<bool> {
    let (name, id, body) = next_request(ws).await?;
    if name != "RequestServerInfo" {
        return None;
    }
    let v4 = body.get("ProtocolVersionMajor").is_some();
    send_json(ws, server_info(id, v4)).await;
    let (name, id, _) = next_request(ws).await?;
    if name != "RequestDeviceList" {
        return None;
    }
    let devices = if v4 { json!({}) } else { json!([]) };
    send_json(ws, json!([{"DeviceList": {"Id": id, "Devices": devices}}])).await;
    Some(v4)
}

/// Answers the v4 handshake with an `Error`, and the v3 one properly: the client ends up on
/// spec v3. `None` when the connection is not the one that got through.
async fn handshake_v3_only(ws: &mut Ws) -> Option<()> {
    let (name, id, body) = next_request(ws).await?;
    if name != "RequestServerInfo" {
        return None;
    }
    if body.get("ProtocolVersionMajor").is_some() {
        send_json(
            ws,
            json!([{"Error": {"Id": id, "ErrorCode": 1,
                "ErrorMessage": "this server speaks spec v3 only"}}]),
        )
        .await;
        return None;
    }
    send_json(ws, server_info(id, false)).await;
    let (_, id, _) = next_request(ws).await?;
    send_json(ws, json!([{"DeviceList": {"Id": id, "Devices": []}}])).await;
    Some(())
}

/// Holds a connection open (reading and dropping whatever comes) until the runtime stops.
async fn hold(ws: &mut Ws) {
    while ws.next().await.is_some() {}
    std::future::pending::<()>().await;
}

/// A v4 device of the spec's JSON form with one vibrator.
fn v4_device(index: u32) -> Value {
    json!({"DeviceIndex": index, "DeviceName": format!("Hostile toy {index}"),
        "DeviceMessageTimingGap": 0,
        "DeviceFeatures": {"0": {"FeatureIndex": 0, "FeatureDescription": "",
            "Output": {"Vibrate": {"Value": [0, 20]}}}}})
}

/// A v3 `DeviceAdded` event for a one-vibrator device.
fn v3_device_added(index: u32) -> Value {
    json!({"DeviceAdded": {"Id": 0, "DeviceIndex": index, "DeviceName": format!("Storm {index}"),
        "DeviceMessageTimingGap": 0,
        "DeviceMessages": {"ScalarCmd": [{"FeatureDescriptor": "", "ActuatorType": "Vibrate",
            "StepCount": 20}], "StopDeviceCmd": {}}}})
}

// ---------------------------------------------------------------------------------------------
// Client-side helpers

fn settings() -> ClientSettings {
    ClientSettings {
        client_name: "hostile test".to_string(),
        request_timeout: REQUEST_TIMEOUT,
    }
}

/// Awaits `f`, failing the test instead of hanging.
async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(HANG, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still running after {HANG:?}: the client hangs"),
    }
}

async fn connect(url: String) -> Result<Client, Error> {
    bounded("connect", Client::connect_websocket_with(&url, &settings())).await
}

/// Issues every kind of client-level request at once, both the awaiting form and the
/// callback form, and returns each one's outcome (all of them, or the test fails by hanging).
async fn every_request(client: &Client) -> Vec<(&'static str, Result<(), Error>)> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let callback = |name: &'static str| -> Done<()> {
        let tx = tx.clone();
        Box::new(move |result| {
            let _ = tx.send((name, result));
        })
    };
    client.ping_then(callback("ping_then"));
    client.start_scanning_then(callback("start_scanning_then"));
    client.stop_all_then(true, true, callback("stop_all_then"));
    client.request_device_list_then(Box::new({
        let tx = tx.clone();
        move |result| {
            let _ = tx.send(("request_device_list_then", result.map(|_| ())));
        }
    }));
    drop(tx);
    let (ping, start, stop, list, stop_all) = bounded("pending requests", async {
        tokio::join!(
            client.ping(),
            client.start_scanning(),
            client.stop_scanning(),
            client.request_device_list(),
            client.stop_all(),
        )
    })
    .await;
    let mut results = vec![
        ("ping", ping),
        ("start_scanning", start),
        ("stop_scanning", stop),
        ("request_device_list", list.map(|_| ())),
        ("stop_all", stop_all),
    ];
    while let Some(r) = bounded("callbacks", rx.recv()).await {
        results.push(r);
    }
    assert_eq!(results.len(), 9, "every request completes exactly once");
    results
}

fn message(e: &Error) -> String {
    e.to_string()
}

/// Waits until the test runtime runs no more than `baseline` tasks (the client's reader,
/// writer, sweeper and pinger have ended); returns the count seen last.
async fn tasks_settle(baseline: usize) -> usize {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let alive = metrics.num_alive_tasks();
        if alive <= baseline || Instant::now() > deadline {
            return alive;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The process's resident memory in KiB (Linux), `None` elsewhere.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// The tests

/// Malformed JSON, during the handshake and after it: every request ends with an error that
/// says the server sent something undecodable, and the connection survives frames it could
/// not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json() {
    let _gate = MEMORY_GATE.read().await;
    // during the handshake: nothing but garbage, every Id unreadable
    let garbage = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        while let Some(_request) = next_request(&mut ws).await {
            for text in [
                "[{\"ServerInfo\":",
                "null",
                "",
                "[]",
                "{}",
                "this is not JSON",
            ] {
                send_text(&mut ws, text).await;
            }
        }
    });
    let started = Instant::now();
    let err = connect(garbage.url())
        .await
        .expect_err("garbage is no handshake");
    println!(
        "malformed handshake: failed after {:.1} s: {err}",
        started.elapsed().as_secs_f64()
    );
    match &err {
        Error::Runtime(RuntimeError::Timeout(m)) => {
            assert!(m.contains("RequestServerInfo"), "{m}");
            assert!(m.contains("could not be decoded"), "the reason: {m}");
            assert!(m.contains("not valid json"), "the decoder's words: {m}");
        }
        other => panic!("expected a timeout naming the undecodable frames, got {other:?}"),
    }

    // after the handshake: each request answered with a different malformation
    let pings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = Hostile::start({
        let pings = Arc::clone(&pings);
        move |stream, _| {
            let pings = Arc::clone(&pings);
            async move {
                let Some(mut ws) = upgrade(stream).await else {
                    return;
                };
                if handshake(&mut ws).await.is_none() {
                    return;
                }
                while let Some((name, id, _)) = next_request(&mut ws).await {
                    match name.as_str() {
                        "Ping" if pings.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2 => {
                            send_json(&mut ws, json!([{"Ok": {"Id": id}}])).await;
                        }
                        "Ping" => {
                            send_text(&mut ws, "this is not JSON").await;
                        }
                        "StartScanning" => {
                            send_json(&mut ws, json!([{"Ok": {"Id": id, "Unexpected": true}}]))
                                .await;
                        }
                        "StopScanning" => {
                            send_json(&mut ws, json!([{"Ok": {"Id": id.to_string()}}])).await;
                        }
                        "RequestDeviceList" => {
                            send_json(
                                &mut ws,
                                json!([{"DeviceList": {"Id": id, "Devices": "lots"}}]),
                            )
                            .await;
                        }
                        _ => {
                            let ok = json!([{"Ok": {"Id": id}}]).to_string();
                            let _ = ws.send(Message::binary(ok.into_bytes())).await;
                        }
                    }
                }
            }
        }
    });
    let client = connect(server.url()).await.expect("a proper handshake");
    let results = every_request(&client).await;
    for (name, result) in &results {
        match result {
            Err(Error::Protocol(ProtocolError::Message(m))) => {
                assert!(m.contains("undecodable reply"), "{name}: {m}")
            }
            Err(Error::Runtime(RuntimeError::Timeout(_))) => {}
            other => panic!("{name}: expected an error, got {other:?}"),
        }
    }
    for (name, result) in &results {
        println!(
            "malformed replies: {name}: {}",
            message(result.as_ref().unwrap_err())
        );
    }
    // a request answered with an unreadable Id times out, and says what came instead
    let ping = results.iter().find(|(n, _)| *n == "ping").expect("ping");
    if let Err(Error::Runtime(RuntimeError::Timeout(m))) = &ping.1 {
        assert!(m.contains("could not be decoded"), "{m}");
    }
    assert!(
        client.is_connected(),
        "malformed frames do not end the connection"
    );
    bounded("a proper reply", client.ping())
        .await
        .expect("the third ping is answered properly");
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
}

/// Replies under an Id nobody waits for, the same reply twice, a stale Id, and two replies
/// swapped between requests: each request ends with a timeout naming it or an error naming
/// the reply it got, and duplicates complete nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_and_repeated_ids() {
    let _gate = MEMORY_GATE.read().await;
    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_none() {
            return;
        }
        let mut pings = 0;
        let mut last_start = 0;
        let mut pair: Vec<(String, u64)> = Vec::new();
        while let Some((name, id, _)) = next_request(&mut ws).await {
            match name.as_str() {
                "Ping" => {
                    pings += 1;
                    let answer = if pings == 1 { id + 1000 } else { id };
                    send_json(&mut ws, json!([{"Ok": {"Id": answer}}])).await;
                }
                "StartScanning" => {
                    last_start = id;
                    send_json(&mut ws, json!([{"Ok": {"Id": id}}, {"Ok": {"Id": id}}])).await;
                    send_json(&mut ws, json!([{"Ok": {"Id": id}}])).await;
                }
                "StopScanning" => {
                    send_json(&mut ws, json!([{"Ok": {"Id": last_start}}])).await;
                }
                _ => {
                    pair.push((name, id));
                    if pair.len() == 2 {
                        // each answered with the other's reply
                        for (name, _) in &pair {
                            let other = pair.iter().find(|(n, _)| n != name).expect("two").1;
                            let reply = if name == "RequestDeviceList" {
                                json!([{"DeviceList": {"Id": other, "Devices": {}}}])
                            } else {
                                json!([{"Ok": {"Id": other}}])
                            };
                            send_json(&mut ws, reply).await;
                        }
                        pair.clear();
                    }
                }
            }
        }
    });
    let client = connect(server.url()).await.expect("handshake");
    match bounded("ping", client.ping()).await {
        Err(Error::Runtime(RuntimeError::Timeout(m))) => {
            assert!(m.contains("Ping"), "the timeout names the request: {m}")
        }
        other => panic!("a reply under the wrong Id answers nothing: {other:?}"),
    }
    bounded("start", client.start_scanning())
        .await
        .expect("the first of the repeated replies completes the request");
    match bounded("stop", client.stop_scanning()).await {
        Err(Error::Runtime(RuntimeError::Timeout(m))) => {
            assert!(m.contains("Id"), "{m}")
        }
        other => panic!("a stale Id answers nothing: {other:?}"),
    }
    let (list, stop) = bounded("swapped replies", async {
        tokio::join!(client.request_device_list(), client.stop_all())
    })
    .await;
    for (name, result) in [("RequestDeviceList", list.map(|_| ())), ("StopCmd", stop)] {
        match result {
            Err(Error::Protocol(ProtocolError::Message(m))) => {
                assert!(m.contains(name), "{m}");
                println!("swapped replies: {name}: {m}");
            }
            other => panic!("{name}: expected an unexpected-reply error, got {other:?}"),
        }
    }
    bounded("ping", client.ping())
        .await
        .expect("a properly answered ping");
    assert!(client.is_connected());
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
}

/// Message types the client does not know: as the handshake reply the connection fails with
/// the unknown type named; as events they are ignored; as a reply they fail the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_messages() {
    let _gate = MEMORY_GATE.read().await;
    let hello = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        while let Some((_, id, _)) = next_request(&mut ws).await {
            send_json(
                &mut ws,
                json!([{"Telemetry": {"Id": 0, "Load": 3}},
                    {"ServerHello": {"Id": id, "ServerName": "From the future"}}]),
            )
            .await;
        }
    });
    match connect(hello.url()).await {
        Err(Error::Protocol(ProtocolError::Message(m))) => {
            assert!(m.contains("ServerHello"), "the unknown type is named: {m}");
            println!("unknown handshake reply: {m}");
        }
        other => panic!("expected a protocol error naming ServerHello, got {other:?}"),
    }

    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_none() {
            return;
        }
        let mut pings = 0;
        while let Some((name, id, _)) = next_request(&mut ws).await {
            send_json(
                &mut ws,
                json!([{"Telemetry": {"Id": 0}}, {"DeviceTemperature": {"Id": 0, "Kelvin": 300}}]),
            )
            .await;
            let reply = match name.as_str() {
                "Ping" => {
                    pings += 1;
                    if pings == 1 {
                        json!([{"Pong": {"Id": id}}])
                    } else {
                        json!([{"Ok": {"Id": id}}])
                    }
                }
                // a client message sent back as a reply
                _ => json!([{"RequestServerInfo": {"Id": id, "ClientName": "echo"}}]),
            };
            send_json(&mut ws, reply).await;
        }
    });
    let client = connect(server.url()).await.expect("handshake");
    let mut events = client.events();
    match bounded("ping", client.ping()).await {
        Err(Error::Protocol(ProtocolError::Message(m))) => assert!(m.contains("Pong"), "{m}"),
        other => panic!("expected a protocol error naming Pong, got {other:?}"),
    }
    match bounded("scan", client.start_scanning()).await {
        Err(Error::Protocol(ProtocolError::Message(m))) => {
            assert!(m.contains("RequestServerInfo"), "{m}")
        }
        other => panic!("expected a protocol error naming RequestServerInfo, got {other:?}"),
    }
    bounded("ping", client.ping())
        .await
        .expect("the connection still works");
    // unknown events produce no client event
    assert!(
        matches!(
            events.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Empty)
        ),
        "unknown events are not passed on"
    );
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
}

/// A server that talks before the client asked anything: events, replies to requests not yet
/// made, even a `ServerInfo`. The handshake still pairs with its own reply, and the device
/// list after it is the server's real one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_before_the_handshake() {
    let _gate = MEMORY_GATE.read().await;
    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        let early = json!([
            {"DeviceList": {"Id": 0, "Devices": {"5": v4_device(5)}}},
            {"ScanningFinished": {"Id": 0}},
            {"Error": {"Id": 0, "ErrorCode": 0, "ErrorMessage": "early error"}},
            {"Ok": {"Id": 999}},
            {"ServerInfo": {"Id": 0, "ServerName": "Impostor", "ProtocolVersionMajor": 4,
                "ProtocolVersionMinor": 0, "MaxPingTime": 0}},
            {"InputReading": {"Id": 0, "DeviceIndex": 42, "FeatureIndex": 0,
                "Reading": {"Battery": {"Value": 50}}}}
        ]);
        send_json(&mut ws, early.clone()).await;
        send_text(&mut ws, "early garbage").await;
        let Some((name, id, _)) = next_request(&mut ws).await else {
            return;
        };
        assert_eq!(name, "RequestServerInfo");
        send_json(&mut ws, early).await;
        send_json(&mut ws, server_info(id, true)).await;
        let Some((_, id, _)) = next_request(&mut ws).await else {
            return;
        };
        send_json(
            &mut ws,
            json!([{"DeviceList": {"Id": id, "Devices": {"0": v4_device(0)}}}]),
        )
        .await;
        while let Some((_, id, _)) = next_request(&mut ws).await {
            send_json(&mut ws, json!([{"Ok": {"Id": id}}])).await;
        }
    });
    let client = connect(server.url())
        .await
        .expect("early messages do not break the handshake");
    assert_eq!(
        client.server_name(),
        "Hostile",
        "the reply to our request counts"
    );
    let indexes: Vec<u32> = client.devices().iter().map(|d| d.index()).collect();
    assert_eq!(indexes, vec![0], "the device list is the server's reply");
    bounded("ping", client.ping()).await.expect("ping");
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
}

/// A `DeviceAdded` storm: 200,000 distinct devices announced as fast as the server can send
/// them. The client keeps a bounded device list (it ends the connection once the server
/// announces more devices than [`haptix::client::MAX_DEVICES`], saying so), keeps up with the
/// storm, and its memory stays bounded. A storm of the same device added and removed over and
/// over leaves the connection working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_added_storm() {
    let _gate = MEMORY_GATE.write().await;
    const STORM: u32 = 200_000;
    const PER_FRAME: u32 = 1_000;
    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake_v3_only(&mut ws).await.is_none() {
            hold(&mut ws).await;
            return;
        }
        for start in (0..STORM).step_by(PER_FRAME as usize) {
            let frame: Vec<Value> = (start..start + PER_FRAME).map(v3_device_added).collect();
            if !send_json(&mut ws, Value::Array(frame)).await {
                return;
            }
        }
        while let Some((_, id, _)) = next_request(&mut ws).await {
            send_json(&mut ws, json!([{"Ok": {"Id": id}}])).await;
        }
    });
    let rss_before = rss_kib();
    let started = Instant::now();
    let client = connect(server.url()).await.expect("v3 handshake");
    let mut events = client.events();
    let ping = bounded("ping during the storm", client.ping()).await;
    let mut added = 0usize;
    let disconnected = bounded("the storm ends", async {
        while let Some(event) = events.recv().await {
            match event {
                ClientEvent::DeviceAdded(_) => added += 1,
                ClientEvent::Disconnected => return true,
                _ => {}
            }
        }
        false
    })
    .await;
    let rss_after = rss_kib();
    println!(
        "DeviceAdded storm: {added} devices taken, connection ended after {:.1} s ({:?}); \
         ping: {ping:?}; RSS {rss_before:?} -> {rss_after:?} KiB",
        started.elapsed().as_secs_f64(),
        client.close_reason()
    );
    assert!(
        disconnected,
        "the client ends a connection that floods it with devices"
    );
    assert!(client.devices().len() <= haptix::client::MAX_DEVICES);
    assert!(added <= haptix::client::MAX_DEVICES);
    let reason = client.close_reason().expect("a reason");
    assert!(
        reason.contains(&haptix::client::MAX_DEVICES.to_string()),
        "the reason names the limit: {reason}"
    );
    assert!(
        ping.is_err(),
        "the ping pending when the client gave up fails"
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(
            after.saturating_sub(before) < 256 * 1024,
            "memory stays bounded: {before} -> {after} KiB"
        );
    }
    drop(client);
    drop(server);

    // the same device added and removed 50,000 times: bounded, and the connection survives
    const FLIPS: u32 = 50_000;
    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake_v3_only(&mut ws).await.is_none() {
            hold(&mut ws).await;
            return;
        }
        for _ in 0..FLIPS / PER_FRAME {
            let mut frame = Vec::new();
            for _ in 0..PER_FRAME / 2 {
                frame.push(v3_device_added(0));
                frame.push(json!({"DeviceRemoved": {"Id": 0, "DeviceIndex": 0}}));
            }
            if !send_json(&mut ws, Value::Array(frame)).await {
                return;
            }
        }
        while let Some((_, id, _)) = next_request(&mut ws).await {
            send_json(&mut ws, json!([{"Ok": {"Id": id}}])).await;
        }
    });
    let rss_before = rss_kib();
    let started = Instant::now();
    let client = connect(server.url()).await.expect("v3 handshake");
    let mut events = client.events();
    let counter = tokio::spawn(async move {
        let mut n = 0usize;
        while let Some(event) = events.recv().await {
            if matches!(
                event,
                ClientEvent::DeviceAdded(_) | ClientEvent::DeviceRemoved(_)
            ) {
                n += 1;
            }
        }
        n
    });
    let mut longest = 0;
    // the ping is answered after the storm (the server reads it then)
    bounded("ping after the storm", async {
        loop {
            longest = longest.max(client.devices().len());
            match client.ping().await {
                Ok(()) => break,
                Err(Error::Runtime(RuntimeError::Timeout(_))) => continue,
                Err(e) => panic!("the connection survives a flip storm: {e}"),
            }
        }
    })
    .await;
    let rss_after = rss_kib();
    assert!(client.is_connected());
    assert!(client.devices().len() <= 1 && longest <= 1);
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
    let events = bounded("events end", counter).await.expect("counter");
    println!(
        "add/remove storm: {events} events in {:.1} s; RSS {rss_before:?} -> {rss_after:?} KiB",
        started.elapsed().as_secs_f64()
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(
            after.saturating_sub(before) < 256 * 1024,
            "memory stays bounded: {before} -> {after} KiB"
        );
    }
}

/// 16 MiB frames: one whole frame, and one message in 1 MiB fragments adding up to 24 MiB.
/// The client refuses anything over [`haptix::client::MAX_SERVER_FRAME`] before reading it,
/// ends the connection, fails the pending request and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_mib_frames() {
    let _gate = MEMORY_GATE.write().await;
    // server side: a valid Ok padded with spaces to exactly 16 MiB (within tungstenite's own
    // default limit, so only the client's limit refuses it)
    let whole = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_none() {
            return;
        }
        while let Some((_, id, _)) = next_request(&mut ws).await {
            let head = format!("[{{\"Ok\":{{\"Id\":{id}}}}}");
            let mut text = head;
            text.push_str(&" ".repeat((16 << 20) - text.len() - 1));
            text.push(']');
            if ws.send(Message::text(text)).await.is_err() {
                return;
            }
        }
    });
    let fragmented = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_none() {
            return;
        }
        while let Some((_, id, _)) = next_request(&mut ws).await {
            let head = format!("[{{\"Ok\":{{\"Id\":{id}}}}}").into_bytes();
            let first = Frame::message(head, OpCode::Data(Data::Text), false);
            if ws.send(Message::Frame(first)).await.is_err() {
                return;
            }
            for _ in 0..24 {
                let chunk =
                    Frame::message(vec![b' '; 1 << 20], OpCode::Data(Data::Continue), false);
                if ws.send(Message::Frame(chunk)).await.is_err() {
                    return;
                }
            }
            let last = Frame::message(b"]".to_vec(), OpCode::Data(Data::Continue), true);
            if ws.send(Message::Frame(last)).await.is_err() {
                return;
            }
        }
    });
    for (case, server) in [
        ("one 16 MiB frame", &whole),
        ("24 MiB in fragments", &fragmented),
    ] {
        let rss_before = rss_kib();
        let client = connect(server.url()).await.expect("handshake");
        let mut events = client.events();
        let result = bounded("ping", client.ping()).await;
        let rss_after = rss_kib();
        println!(
            "{case}: ping {result:?}; close reason {:?}; RSS {rss_before:?} -> {rss_after:?} KiB",
            client.close_reason()
        );
        assert_eq!(
            result,
            Err(Error::Transport(TransportError::Closed)),
            "{case}: the oversized reply is refused, the request fails"
        );
        let reason = client.close_reason().expect("a reason");
        assert!(
            reason.contains(&haptix::client::MAX_SERVER_FRAME.to_string()),
            "{case}: the reason names the limit: {reason}"
        );
        assert!(!client.is_connected());
        let mut saw_disconnect = false;
        while let Ok(Some(event)) = tokio::time::timeout(HANG, events.recv()).await {
            saw_disconnect |= matches!(event, ClientEvent::Disconnected);
        }
        assert!(saw_disconnect, "{case}: the application is told");
        if let (Some(before), Some(after)) = (rss_before, rss_after) {
            assert!(
                after.saturating_sub(before) < 128 * 1024,
                "{case}: the frame is not buffered: {before} -> {after} KiB"
            );
        }
    }
}

/// A byte per second: a server that trickles its HTTP upgrade reply makes the connect fail
/// with a connect timeout; one that trickles its handshake reply makes the handshake time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_per_second() {
    let _gate = MEMORY_GATE.read().await;
    let http = Hostile::start(|mut stream, _| async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&request).to_string();
        let key = text
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        let reply = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        );
        for byte in reply.bytes() {
            if stream.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        std::future::pending::<()>().await;
    });
    let frame = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        let Some((_, id, body)) = next_request(&mut ws).await else {
            return;
        };
        let v4 = body.get("ProtocolVersionMajor").is_some();
        let payload = server_info(id, v4).to_string().into_bytes();
        assert!(payload.len() < 126, "a one-byte length");
        let mut bytes = vec![0x81, payload.len() as u8];
        bytes.extend(payload);
        let stream = ws.get_mut();
        for byte in bytes {
            if stream.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        std::future::pending::<()>().await;
    });
    let started = Instant::now();
    let (slow_http, slow_frame) = tokio::join!(connect(http.url()), async {
        let started = Instant::now();
        let r = connect(frame.url()).await;
        (r, started.elapsed())
    });
    let http_took = started.elapsed();
    println!(
        "byte per second: upgrade reply: {:?} after {:.1} s; handshake reply: {:?} after {:.1} s",
        slow_http.as_ref().err(),
        http_took.as_secs_f64(),
        slow_frame.0.as_ref().err(),
        slow_frame.1.as_secs_f64()
    );
    match slow_http {
        Err(Error::Transport(TransportError::Connect(m))) => {
            assert!(m.contains("no connection within"), "{m}")
        }
        other => panic!("a trickled upgrade is a connect timeout, got {other:?}"),
    }
    match slow_frame.0 {
        Err(Error::Runtime(RuntimeError::Timeout(m))) => {
            assert!(m.contains("RequestServerInfo"), "{m}")
        }
        other => panic!("a trickled handshake reply is a request timeout, got {other:?}"),
    }
}

/// Nothing at all: a server that accepts TCP and never answers, one that upgrades and never
/// answers, one that answers the handshake and then nothing, and one that closes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_at_all() {
    let _gate = MEMORY_GATE.read().await;
    let tcp = Hostile::start(|stream, _| async move {
        let _held = stream;
        std::future::pending::<()>().await;
    });
    let upgraded = Hostile::start(|stream, _| async move {
        if let Some(mut ws) = upgrade(stream).await {
            hold(&mut ws).await;
        }
    });
    let after_handshake = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_some() {
            hold(&mut ws).await;
        }
    });
    let closes = Hostile::start(|stream, _| async move {
        drop(stream);
    });
    let (tcp_result, upgraded_result, silent, closed) = tokio::join!(
        connect(tcp.url()),
        connect(upgraded.url()),
        async {
            let client = connect(after_handshake.url()).await.expect("handshake");
            let results = every_request(&client).await;
            (client, results)
        },
        connect(closes.url()),
    );
    match tcp_result {
        Err(Error::Transport(TransportError::Connect(m))) => {
            assert!(m.contains("no connection within"), "{m}");
            println!("silent TCP server: {m}");
        }
        other => panic!("a silent TCP server is a connect timeout, got {other:?}"),
    }
    match upgraded_result {
        Err(Error::Runtime(RuntimeError::Timeout(m))) => {
            assert!(m.contains("RequestServerInfo"), "{m}");
            println!("silent WebSocket server: {m}");
        }
        other => panic!("a silent WebSocket server is a handshake timeout, got {other:?}"),
    }
    let (client, results) = silent;
    for (name, result) in &results {
        match result {
            Err(Error::Runtime(RuntimeError::Timeout(_))) => {}
            other => panic!("{name}: expected a timeout, got {other:?}"),
        }
    }
    bounded("disconnect", client.disconnect())
        .await
        .expect("disconnect");
    match closed {
        Err(Error::Transport(TransportError::Connect(m))) => {
            println!("server closing at once: {m}")
        }
        other => panic!("a server that closes at once is a connect error, got {other:?}"),
    }
}

/// A server that stops reading while the client writes: the client's requests time out, and
/// once the client gives up none of its tasks (the writer blocked on the full socket
/// included) outlives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_reading() {
    let _gate = MEMORY_GATE.read().await;
    let server = Hostile::start_with(Some(4096), |stream, _| async move {
        // upgrade, then never read again (the connection stays open until the test ends)
        let Some(_ws) = upgrade(stream).await else {
            return;
        };
        std::future::pending::<()>().await;
    });
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    // a handshake too large for the socket buffers: the writer blocks on it
    let big = ClientSettings {
        client_name: "x".repeat(8 << 20),
        request_timeout: REQUEST_TIMEOUT,
    };
    let result = bounded(
        "connect",
        Client::connect_websocket_with(&server.url(), &big),
    )
    .await;
    match &result {
        Err(Error::Runtime(RuntimeError::Timeout(m))) => {
            assert!(m.contains("RequestServerInfo"), "{m}")
        }
        other => panic!("expected a handshake timeout, got {other:?}"),
    }
    let left = tasks_settle(baseline).await;
    assert!(
        left <= baseline,
        "the client's tasks end when it gives up: {left} alive, {baseline} before"
    );
}

/// A server that refuses the client with a close frame (as ours does when another client is
/// connected): the connect error carries the server's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_carries_the_server_reason() {
    let _gate = MEMORY_GATE.read().await;
    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        let _ = ws
            .send(Message::Close(Some(CloseFrame {
                code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Again,
                reason: "another client is already connected to this server".into(),
            })))
            .await;
        hold(&mut ws).await;
    });
    match connect(server.url()).await {
        Err(e) => {
            println!("refused: {e}");
            assert!(
                e.to_string()
                    .contains("another client is already connected"),
                "the server's reason reaches the application: {e}"
            );
        }
        Ok(_) => panic!("a refusal is no connection"),
    }
}

/// Through the C ABI: when our client ends the connection because the server broke one of its
/// limits, the `Disconnected` event carries the client's reason (naming the limit), not only
/// "the server closed the connection".
#[test]
fn the_c_abi_reports_why_the_client_ended_the_connection() {
    use haptix::ffi::proto::{self, event, request};
    use haptix::ffi::*;

    let server = Hostile::start(|stream, _| async move {
        let Some(mut ws) = upgrade(stream).await else {
            return;
        };
        if handshake(&mut ws).await.is_none() {
            return;
        }
        // every request gets a reply one byte over the client's frame limit
        while let Some((_, id, _)) = next_request(&mut ws).await {
            let mut text = format!("[{{\"Ok\":{{\"Id\":{id}}}}}");
            let size = haptix::client::MAX_SERVER_FRAME + 1;
            text.push_str(&" ".repeat(size - text.len() - 1));
            text.push(']');
            if ws.send(Message::text(text)).await.is_err() {
                return;
            }
        }
    });
    let ctx = abi::context(&abi::toys_options(&[], proto::LogLevel::Off));
    let client = abi::client_with(
        ctx,
        &proto::ClientOptions {
            client_name: "abi".into(),
            server: Some(proto::client_options::Server::WebsocketUrl(server.url())),
            ..Default::default()
        },
    );
    let id = abi::send(client, request::Kind::Ping(proto::Ping {}));
    let mut reason = None;
    let mut ping_status = None;
    loop {
        let ev = match abi::next(client, 60_000) {
            Ok(ev) => ev,
            Err(st) => {
                assert_eq!(
                    st,
                    haptix_status::Closed,
                    "the stream ends, it does not hang"
                );
                break;
            }
        };
        match ev.kind {
            Some(event::Kind::Response(r)) if ev.request_id == id => ping_status = Some(r.status),
            Some(event::Kind::Disconnected(d)) => reason = Some((d.reason, d.status)),
            _ => {}
        }
    }
    let (reason, status) = reason.expect("a Disconnected event");
    println!("C ABI: ping status {ping_status:?}; Disconnected: {reason} (status {status})");
    assert_ne!(ping_status, Some(0), "the ping cannot succeed");
    assert!(ping_status.is_some(), "the ping is answered");
    assert!(
        reason.contains(&haptix::client::MAX_SERVER_FRAME.to_string()),
        "the reason names the limit: {reason}"
    );
    assert_eq!(status, haptix_status::ErrorNotConnected.code());
    // SAFETY: live handles, freed once.
    unsafe {
        haptix_client_free(client);
        haptix_context_free(ctx);
    }
}

/// A server that names a `MaxPingTime` of 1 ms does not make our client ping in a busy loop:
/// the automatic pings come at most every `MIN_PING_PERIOD`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_millisecond_ping_time_does_not_make_a_ping_storm() {
    let (count_tx, count_rx) = std::sync::mpsc::channel::<(usize, Duration)>();
    let count_tx = std::sync::Mutex::new(count_tx);
    let server = Hostile::start(move |stream, _| {
        let count_tx = count_tx.lock().expect("the channel").clone();
        async move {
            let Some(mut ws) = upgrade(stream).await else {
                return;
            };
            let Some((name, id, _)) = next_request(&mut ws).await else {
                return;
            };
            if name != "RequestServerInfo" {
                return;
            }
            let info = json!([{"ServerInfo": {"Id": id, "ServerName": "Hostile",
                "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0, "MaxPingTime": 1}}]);
            send_json(&mut ws, info).await;
            // answer everything; count the pings of the first 500 ms after the handshake
            let start = Instant::now();
            let mut pings = 0;
            let window = Duration::from_millis(500);
            while let Ok(Some((name, id, _))) = tokio::time::timeout(
                window.saturating_sub(start.elapsed()),
                next_request(&mut ws),
            )
            .await
            {
                let reply = if name == "RequestDeviceList" {
                    json!([{"DeviceList": {"Id": id, "Devices": {}}}])
                } else {
                    json!([{"Ok": {"Id": id}}])
                };
                pings += usize::from(name == "Ping");
                if !send_json(&mut ws, reply).await {
                    return;
                }
            }
            let _ = count_tx.send((pings, start.elapsed()));
            hold(&mut ws).await;
        }
    });
    let client = connect(server.url()).await.expect("handshake");
    let (pings, window) = tokio::task::spawn_blocking(move || {
        count_rx
            .recv_timeout(HANG)
            .expect("the server counts the pings")
    })
    .await
    .expect("the counting wait");
    let most = (window.as_millis() / haptix::client::MIN_PING_PERIOD.as_millis()) as usize + 1;
    println!("MaxPingTime 1 ms: {pings} pings in {window:?} (at most {most})");
    assert!(pings >= 1, "the client pings at all");
    assert!(
        pings <= most,
        "{pings} pings in {window:?}: more than one per MIN_PING_PERIOD"
    );
    assert!(client.is_connected(), "{:?}", client.close_reason());
    let _ = bounded("disconnect", client.disconnect()).await;
}
