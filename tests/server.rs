//! Server behaviour over JSON frames, as a remote client sees it: handshake and version
//! conversion for v0–v4, errors for bad frames, ping timeout and disconnect safety, stop
//! selection, and the WebSocket server's one-client rule.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use haptix::core::json::encode_server_message;
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::{SimDeviceSpec, SimHardware};
use haptix::server::websocket::WebsocketServer;
use haptix::server::{Incoming, Outgoing, Server, SessionHandle, SessionOptions};

const WAIT: Duration = Duration::from_secs(5);

fn server(max_ping_time: u32) -> Server {
    Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "Test Server".into(),
            max_ping_time,
        },
    )
}

struct Peer {
    handle: SessionHandle,
    rx: mpsc::UnboundedReceiver<Outgoing>,
    closed: Option<String>,
}

impl Peer {
    fn new(server: &Server) -> Peer {
        let (handle, rx) = server.connect();
        Peer {
            handle,
            rx,
            closed: None,
        }
    }

    fn send_raw(&self, text: &str) {
        assert!(self.handle.send(Incoming::Frame(text.to_string())));
    }

    fn send(&self, msg: Value) {
        self.send_raw(&Value::Array(vec![msg]).to_string());
    }

    /// Next message as the client would see it on the wire.
    async fn next(&mut self) -> Value {
        loop {
            match tokio::time::timeout(WAIT, self.rx.recv()).await {
                Ok(Some(Outgoing::Message { message, version })) => {
                    return encode_server_message(&message, version)
                }
                Ok(Some(Outgoing::Close(r))) => self.closed = Some(r),
                Ok(None) => panic!("session ended"),
                Err(_) => panic!("no message from the server"),
            }
        }
    }

    /// Next message that is not a device event.
    async fn reply(&mut self) -> Value {
        loop {
            let m = self.next().await;
            let event = m.get("DeviceList").is_some_and(|d| d["Id"] == 0)
                || m.get("DeviceAdded").is_some()
                || m.get("ScanningFinished").is_some();
            if !event {
                return m;
            }
        }
    }

    async fn device_event(&mut self) -> Value {
        loop {
            let m = self.next().await;
            if m.get("DeviceAdded").is_some()
                || m.get("DeviceList")
                    .is_some_and(|d| d["Id"] == 0 && d["Devices"] != json!({}))
            {
                return m;
            }
        }
    }
}

fn handshake_msg(version: u32) -> Value {
    match version {
        0 => json!({"RequestServerInfo": {"Id": 1, "ClientName": "t"}}),
        4 => json!({"RequestServerInfo": {"Id": 1, "ClientName": "t",
                     "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}),
        v => json!({"RequestServerInfo": {"Id": 1, "ClientName": "t", "MessageVersion": v}}),
    }
}

async fn connect_with_toy(version: u32, max_ping: u32) -> (Server, Peer, Arc<SimHardware>, Value) {
    let server = server(max_ping);
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let mut peer = Peer::new(&server);
    peer.send(handshake_msg(version));
    peer.reply().await;
    peer.send(json!({"StartScanning": {"Id": 2}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 2}}));
    let added = peer.device_event().await;
    hw.take_ops();
    (server, peer, hw, added)
}

async fn writes_until(hw: &SimHardware, want: &[u8]) -> Vec<Vec<u8>> {
    let mut seen = Vec::new();
    while let Some(op) = hw.next_op(WAIT).await {
        if let haptix::hwmgr::sim::SimOp::Write { data, .. } = op {
            let done = data == want;
            seen.push(data);
            if done {
                return seen;
            }
        }
    }
    panic!(
        "device never received {:?}; got {:?}",
        String::from_utf8_lossy(want),
        seen.iter()
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_info_per_version() {
    let server = server(0);
    let expected = [
        json!({"ServerInfo": {"Id": 1, "ServerName": "Test Server", "MajorVersion": 0,
               "MinorVersion": 0, "BuildVersion": 0, "MessageVersion": 0, "MaxPingTime": 0}}),
        json!({"ServerInfo": {"Id": 1, "ServerName": "Test Server", "MajorVersion": 0,
               "MinorVersion": 0, "BuildVersion": 0, "MessageVersion": 1, "MaxPingTime": 0}}),
        json!({"ServerInfo": {"Id": 1, "ServerName": "Test Server", "MessageVersion": 2,
               "MaxPingTime": 0}}),
        json!({"ServerInfo": {"Id": 1, "ServerName": "Test Server", "MessageVersion": 3,
               "MaxPingTime": 0}}),
        json!({"ServerInfo": {"Id": 1, "ServerName": "Test Server", "ProtocolVersionMajor": 4,
               "ProtocolVersionMinor": 0, "MaxPingTime": 0}}),
    ];
    for (v, want) in expected.iter().enumerate() {
        let mut peer = Peer::new(&server);
        peer.send(handshake_msg(v as u32));
        assert_eq!(&peer.reply().await, want, "spec v{v}");
        // a second handshake is refused, the session stays usable
        peer.send(handshake_msg(v as u32));
        assert_eq!(peer.reply().await["Error"]["ErrorCode"], 1);
        peer.send(json!({"Ping": {"Id": 5}}));
        assert_eq!(peer.reply().await, json!({"Ok": {"Id": 5}}));
        peer.handle.send(Incoming::Closed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_new_version_is_refused_and_closed() {
    let server = server(0);
    let mut peer = Peer::new(&server);
    peer.send(
        json!({"RequestServerInfo": {"Id": 3, "ClientName": "future",
        "ProtocolVersionMajor": 9, "ProtocolVersionMinor": 0}}),
    );
    let r = peer.reply().await;
    assert_eq!(r["Error"]["Id"], 3);
    assert_eq!(r["Error"]["ErrorCode"], 1);
    tokio::time::timeout(WAIT, async {
        while peer.closed.is_none() {
            match peer.rx.recv().await {
                Some(Outgoing::Close(reason)) => peer.closed = Some(reason),
                Some(_) => {}
                None => break,
            }
        }
    })
    .await
    .expect("session closes");
    assert!(peer.closed.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_errors_and_the_session_survives() {
    let server = server(0);
    let mut peer = Peer::new(&server);
    // before the handshake
    peer.send(json!({"Ping": {"Id": 7}}));
    let r = peer.reply().await;
    assert_eq!(
        (r["Error"]["Id"].clone(), r["Error"]["ErrorCode"].clone()),
        (json!(7), json!(1))
    );
    peer.send(handshake_msg(4));
    peer.reply().await;
    let cases: Vec<(&str, u64, u64)> = vec![
        ("this is not json", 0, 3),
        ("{\"Ping\": {\"Id\": 1}}", 0, 3),
        ("[{\"NoSuchMessage\": {\"Id\": 11}}]", 11, 3),
        ("[{\"Ping\": {\"Id\": 12, \"Extra\": true}}]", 12, 3),
        ("[{\"Ping\": {\"Id\": 0}}]", 0, 3),
        ("[{\"VibrateCmd\": {\"Id\": 13, \"DeviceIndex\": 0, \"Speeds\": []}}]", 13, 3),
        ("[{\"OutputCmd\": {\"Id\": 14, \"DeviceIndex\": 0, \"FeatureIndex\": 0, \"Command\": {\"Vibrate\": {\"Value\": 0.5}}}}]", 14, 3),
        ("[{\"OutputCmd\": {\"Id\": 15, \"DeviceIndex\": 9, \"FeatureIndex\": 0, \"Command\": {\"Vibrate\": {\"Value\": 5}}}}]", 15, 4),
        ("[{\"StopCmd\": {\"Id\": 16, \"DeviceIndex\": 9}}]", 16, 4),
        ("[{\"Ping\": {\"Id\": 17}", 0, 3),
        ("[]", 0, 3),
    ];
    for (frame, id, code) in cases {
        peer.send_raw(frame);
        let r = peer.reply().await;
        assert_eq!(r["Error"]["Id"], id, "frame {frame}: {r}");
        assert_eq!(r["Error"]["ErrorCode"], code, "frame {frame}: {r}");
    }
    // two messages in one frame are handled independently, in order
    peer.send_raw(
        "[{\"Ping\": {\"Id\": 20}}, {\"Bogus\": {\"Id\": 21}}, {\"Ping\": {\"Id\": 22}}]",
    );
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 20}}));
    assert_eq!(peer.reply().await["Error"]["Id"], 21);
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 22}}));
    peer.send(json!({"Ping": {"Id": 30}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 30}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_views_per_version() {
    for v in 0..=4u32 {
        let (_server, mut peer, _hw, added) = connect_with_toy(v, 0).await;
        if v == 4 {
            let dev = &added["DeviceList"]["Devices"]["0"];
            assert_eq!(dev["DeviceName"], "Lovense Hush");
            assert_eq!(
                dev["DeviceFeatures"]["0"]["Output"]["Vibrate"]["Value"],
                json!([0, 20])
            );
        } else {
            let dev = &added["DeviceAdded"];
            assert_eq!(dev["DeviceName"], "Lovense Hush", "v{v}");
            let msgs = &dev["DeviceMessages"];
            match v {
                0 => assert_eq!(msgs, &json!(["SingleMotorVibrateCmd", "StopDeviceCmd"])),
                1 => assert_eq!(msgs["VibrateCmd"], json!({"FeatureCount": 1})),
                2 => assert_eq!(
                    msgs["VibrateCmd"],
                    json!({"FeatureCount": 1, "StepCount": [20]})
                ),
                _ => assert_eq!(msgs["ScalarCmd"][0]["ActuatorType"], "Vibrate"),
            }
        }
        peer.send(json!({"RequestDeviceList": {"Id": 9}}));
        let list = peer.reply().await;
        if v == 4 {
            assert!(list["DeviceList"]["Devices"].is_object());
        } else {
            assert_eq!(list["DeviceList"]["Devices"][0]["DeviceIndex"], 0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_commands_reach_the_device() {
    let (_s, mut peer, hw, _) = connect_with_toy(1, 0).await;
    peer.send(
        json!({"VibrateCmd": {"Id": 4, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5}]}}),
    );
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 4}}));
    writes_until(&hw, b"Vibrate:10;").await;
    // the reference crashes on Index == count; we answer an error
    peer.send(
        json!({"VibrateCmd": {"Id": 5, "DeviceIndex": 0, "Speeds": [{"Index": 1, "Speed": 0.5}]}}),
    );
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(json!({"FleshlightLaunchFW12Cmd": {"Id": 6, "DeviceIndex": 0, "Position": 10, "Speed": 10}}));
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 3);
    peer.send(json!({"StopDeviceCmd": {"Id": 7, "DeviceIndex": 0}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 7}}));
    writes_until(&hw, b"Vibrate:0;").await;

    let (_s, mut peer, hw, _) = connect_with_toy(3, 0).await;
    peer.send(json!({"ScalarCmd": {"Id": 4, "DeviceIndex": 0, "Scalars": [{"Index": 0, "Scalar": 1.5, "ActuatorType": "Vibrate"}]}}));
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(json!({"ScalarCmd": {"Id": 5, "DeviceIndex": 0, "Scalars": [{"Index": 0, "Scalar": 0.25, "ActuatorType": "Vibrate"}]}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 5}}));
    writes_until(&hw, b"Vibrate:5;").await;
    peer.send(json!({"SensorReadCmd": {"Id": 6, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Battery"}}));
    let r = peer.reply().await;
    assert_eq!(r["SensorReading"]["Data"], json!([85]), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_output_range_checks() {
    let (_s, mut peer, hw, _) = connect_with_toy(4, 0).await;
    let out = |id: u32, value: i64| {
        json!({"OutputCmd": {"Id": id, "DeviceIndex": 0, "FeatureIndex": 0,
                              "Command": {"Vibrate": {"Value": value}}}})
    };
    peer.send(out(4, 21));
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(out(5, -1));
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(
        json!({"OutputCmd": {"Id": 6, "DeviceIndex": 0, "FeatureIndex": 0,
                                   "Command": {"Rotate": {"Value": 3}}}}),
    );
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(
        json!({"OutputCmd": {"Id": 7, "DeviceIndex": 0, "FeatureIndex": 42,
                                   "Command": {"Vibrate": {"Value": 3}}}}),
    );
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
    peer.send(out(8, 20));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 8}}));
    writes_until(&hw, b"Vibrate:20;").await;
    peer.send(
        json!({"InputCmd": {"Id": 9, "DeviceIndex": 0, "FeatureIndex": 1,
                                  "Type": "Battery", "Command": "Read"}}),
    );
    let r = peer.reply().await;
    assert_eq!(r["InputReading"]["Reading"]["Battery"]["Value"], 85, "{r}");
    peer.send(
        json!({"InputCmd": {"Id": 10, "DeviceIndex": 0, "FeatureIndex": 1,
                                  "Type": "Battery", "Command": "Subscribe"}}),
    );
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_device_stops_only_that_device() {
    let server = server(0);
    let a = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let b = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Edge"));
    let mut peer = Peer::new(&server);
    peer.send(handshake_msg(4));
    peer.reply().await;
    peer.send(json!({"StartScanning": {"Id": 2}}));
    peer.reply().await;
    tokio::time::timeout(WAIT, async {
        while server.device_manager().devices().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both devices connect");
    let index_of = |hw: &SimHardware| {
        server
            .device_manager()
            .devices()
            .iter()
            .find(|d| d.hardware().address() == haptix::hwmgr::Hardware::address(hw))
            .map(|d| d.index())
            .expect("device registered")
    };
    let (ia, ib) = (index_of(&a), index_of(&b));
    a.take_ops();
    b.take_ops();
    for (id, idx) in [(3, ia), (4, ib)] {
        peer.send(
            json!({"OutputCmd": {"Id": id, "DeviceIndex": idx, "FeatureIndex": 0,
                                       "Command": {"Vibrate": {"Value": 10}}}}),
        );
        assert_eq!(peer.reply().await, json!({"Ok": {"Id": id}}));
    }
    writes_until(&a, b"Vibrate:10;").await;
    writes_until(&b, b"Vibrate1:10;").await;
    peer.send(json!({"StopCmd": {"Id": 5, "DeviceIndex": ia}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 5}}));
    writes_until(&a, b"Vibrate:0;").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        b.take_writes().is_empty(),
        "the other device must keep running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_timeout_stops_devices_and_ends_the_session() {
    let (_s, mut peer, hw, _) = connect_with_toy(4, 300).await;
    peer.send(json!({"Ping": {"Id": 3}}));
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 3}}));
    peer.send(
        json!({"OutputCmd": {"Id": 4, "DeviceIndex": 0, "FeatureIndex": 0,
                                   "Command": {"Vibrate": {"Value": 10}}}}),
    );
    assert_eq!(peer.reply().await, json!({"Ok": {"Id": 4}}));
    writes_until(&hw, b"Vibrate:10;").await;
    // no more pings: the watchdog fires
    let r = peer.reply().await;
    assert_eq!(
        r,
        json!({"Error": {"Id": 0, "ErrorCode": 2, "ErrorMessage": r["Error"]["ErrorMessage"]}})
    );
    writes_until(&hw, b"Vibrate:0;").await;
    tokio::time::timeout(WAIT, async {
        while let Some(o) = peer.rx.recv().await {
            if matches!(o, Outgoing::Close(_)) {
                return;
            }
        }
    })
    .await
    .expect("the transport is told to close");
    // the device stays connected for the next client
    assert_eq!(_s.device_manager().devices().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_stops_devices_and_keeps_indexes() {
    let (server, peer, hw, _) = connect_with_toy(4, 0).await;
    peer.send(
        json!({"OutputCmd": {"Id": 4, "DeviceIndex": 0, "FeatureIndex": 0,
                                   "Command": {"Vibrate": {"Value": 12}}}}),
    );
    writes_until(&hw, b"Vibrate:12;").await;
    peer.handle.send(Incoming::Closed);
    writes_until(&hw, b"Vibrate:0;").await;
    // next client finds the same device at the same index
    let mut next = Peer::new(&server);
    next.send(handshake_msg(4));
    next.reply().await;
    next.send(json!({"RequestDeviceList": {"Id": 2}}));
    let list = next.reply().await;
    assert_eq!(
        list["DeviceList"]["Devices"]["0"]["DeviceName"],
        "Lovense Hush"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_disconnect_is_announced() {
    let (_s, mut peer, hw, _) = connect_with_toy(3, 0).await;
    hw.disconnect_now();
    let m = peer.next().await;
    assert_eq!(m, json!({"DeviceRemoved": {"Id": 0, "DeviceIndex": 0}}));
    peer.send(json!({"StopDeviceCmd": {"Id": 8, "DeviceIndex": 0}}));
    assert_eq!(peer.reply().await["Error"]["ErrorCode"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_server_serves_one_client_at_a_time() {
    let server = server(0);
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let ws = WebsocketServer::start(server.clone(), "127.0.0.1:0".parse().unwrap(), 4096)
        .await
        .expect("listen");
    let url = format!("ws://{}", ws.local_addr());
    let (mut first, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    let send = |m: Value| Message::text(Value::Array(vec![m]).to_string());
    first.send(send(handshake_msg(4))).await.unwrap();
    let info = first.next().await.unwrap().unwrap();
    assert!(info.to_text().unwrap().contains("ServerInfo"));

    let (mut second, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    match second.next().await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert!(frame.reason.contains("another client"), "{}", frame.reason)
        }
        other => panic!("second client should be refused, got {other:?}"),
    }

    first
        .send(send(json!({"StartScanning": {"Id": 2}})))
        .await
        .unwrap();
    let mut vibrating = false;
    while let Some(Ok(m)) = first.next().await {
        let t = m.to_text().unwrap_or_default().to_string();
        if t.contains("\"DeviceList\"") && t.contains("Lovense Hush") && !vibrating {
            first
                .send(send(
                    json!({"OutputCmd": {"Id": 3, "DeviceIndex": 0, "FeatureIndex": 0,
                    "Command": {"Vibrate": {"Value": 7}}}}),
                ))
                .await
                .unwrap();
            vibrating = true;
        }
        if t.contains("{\"Ok\":{\"Id\":3}}") {
            break;
        }
    }
    writes_until(&hw, b"Vibrate:7;").await;
    // an oversized frame ends the connection; the device is stopped
    let _ = first.send(Message::text("x".repeat(10_000))).await;
    writes_until(&hw, b"Vibrate:0;").await;
    // an unclean disconnect frees the slot for the next client
    drop(first);
    let mut ok = false;
    for _ in 0..50 {
        let (mut third, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connect");
        third.send(send(handshake_msg(3))).await.unwrap();
        if let Some(Ok(m)) = third.next().await {
            if m.to_text().unwrap_or_default().contains("ServerInfo") {
                ok = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "a new client can connect after the first one left");
    ws.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_devices_of_the_user_configuration_are_found() {
    let config = haptix::device::config::DeviceConfigManager::builtin().unwrap();
    config
        .load_user_json(
            br#"{"version": {"major": 5, "minor": 0},
                "user_configs": {"simulated_devices": [
                    {"identifier": "simulated-2vibe", "address": "virtual-1"}]}}"#,
        )
        .unwrap();
    let server = haptix::server::Server::new(
        config,
        haptix::server::SessionOptions {
            server_name: "virtual".into(),
            max_ping_time: 0,
        },
    );
    assert!(server.simulator().device("virtual-1").is_some());
    let client = haptix::client::Client::connect_in_process(&server, "virtual")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let Some(haptix::client::ClientEvent::DeviceAdded(d)) = events.recv().await {
                return d;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(device.info().features.len(), 2, "{:?}", device.info());
    device.vibrate(0.5).await.unwrap();
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// A binary frame is answered with an Error (the connection stays usable); a client whose TCP
/// connection dropped can reconnect at once, every time; sessions leave no device-event
/// subscription behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_binary_frames_and_immediate_reconnects() {
    let server = server(0);
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let ws = WebsocketServer::start(server.clone(), "127.0.0.1:0".parse().unwrap(), 1 << 20)
        .await
        .expect("listen");
    let url = format!("ws://{}", ws.local_addr());
    let send = |m: Value| Message::text(Value::Array(vec![m]).to_string());
    let baseline = server.device_manager().subscriber_count();

    let (mut client, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    client.send(send(handshake_msg(4))).await.unwrap();
    assert!(client
        .next()
        .await
        .unwrap()
        .unwrap()
        .to_text()
        .unwrap()
        .contains("ServerInfo"));
    client.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let reply: Value = serde_json::from_str(
        within(client.next())
            .await
            .unwrap()
            .unwrap()
            .to_text()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(reply[0]["Error"]["Id"], 0, "{reply}");
    assert_eq!(reply[0]["Error"]["ErrorCode"], 3, "{reply}");
    assert!(
        reply[0]["Error"]["ErrorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("binary"),
        "{reply}"
    );
    client.send(send(json!({"Ping": {"Id": 2}}))).await.unwrap();
    assert_eq!(
        within(client.next())
            .await
            .unwrap()
            .unwrap()
            .to_text()
            .unwrap(),
        "[{\"Ok\":{\"Id\":2}}]"
    );
    client
        .send(send(json!({"StartScanning": {"Id": 3}})))
        .await
        .unwrap();
    while server.device_manager().devices().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(client);

    // dropped connections (no close handshake), each followed at once by a new client that
    // starts the toy: every one is accepted on its first attempt, and the old session's stop
    // never lands after the new client's command
    for round in 0..20 {
        let (mut c, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connect");
        c.send(send(handshake_msg(4))).await.unwrap();
        let first = within(c.next()).await;
        let text = match &first {
            Some(Ok(Message::Text(t))) => t.to_string(),
            other => panic!("round {round}: reconnect refused: {other:?}"),
        };
        assert!(text.contains("ServerInfo"), "round {round}: {text}");
        c.send(send(
            json!({"OutputCmd": {"Id": 4, "DeviceIndex": 0, "FeatureIndex": 0,
            "Command": {"Vibrate": {"Value": 7}}}}),
        ))
        .await
        .unwrap();
        loop {
            let m = within(c.next()).await.unwrap().unwrap();
            if m.to_text()
                .unwrap_or_default()
                .contains("{\"Ok\":{\"Id\":4}}")
            {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let last = hw.take_writes().pop().map(|(_, data)| data);
        assert_eq!(last.as_deref(), Some(&b"Vibrate:7;"[..]), "round {round}");
        drop(c); // drops the TCP connection without a close frame
    }
    // every session is gone: no subscription is left behind
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.device_manager().subscriber_count() > baseline
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.device_manager().subscriber_count(), baseline);
    ws.shutdown().await;
    server.shutdown().await;
}

/// Awaits `f`, failing the test instead of hanging when the server never answers.
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("no answer from the server within 10 s")
}
