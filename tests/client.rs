//! Client integration tests: the in-process connector against the embedded server with a
//! simulated Lovense Hush, the WebSocket connector against the WebSocket server, and the
//! WebSocket connector's v3 fallback against a scripted v3 server.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::core::messages::{InputReadingValue, OutputCommand};
use haptix::core::types::{ErrorCode, InputType, OutputType, SpecVersion};
use haptix::device::config::DeviceConfigManager;
use haptix::error::{DeviceError, Error, TransportError};
use haptix::hwmgr::sim::{SimDeviceSpec, SimHardware, SimOp};
use haptix::server::websocket::WebsocketServer;
use haptix::server::{Server, SessionOptions};

const WAIT: Duration = Duration::from_secs(5);

fn server(max_ping_time: u32) -> Result<Server> {
    Ok(Server::new(
        DeviceConfigManager::builtin()?,
        SessionOptions {
            server_name: "Test Server".to_string(),
            max_ping_time,
        },
    ))
}

/// Waits for the next `DeviceAdded` event.
async fn next_device(events: &mut UnboundedReceiver<ClientEvent>) -> Result<ClientDevice> {
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(ClientEvent::DeviceAdded(device))) => return Ok(device),
            Ok(Some(_)) => continue,
            Ok(None) => bail!("event stream ended"),
            Err(_) => bail!("no DeviceAdded event"),
        }
    }
}

/// Waits until an event matching `pred` arrives.
async fn wait_event(
    events: &mut UnboundedReceiver<ClientEvent>,
    pred: impl Fn(&ClientEvent) -> bool,
) -> Result<ClientEvent> {
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(event)) if pred(&event) => return Ok(event),
            Ok(Some(_)) => continue,
            Ok(None) => bail!("event stream ended"),
            Err(_) => bail!("expected event did not arrive"),
        }
    }
}

/// Waits until the simulated device records a write of exactly `expected`, skipping others.
async fn expect_write(hw: &SimHardware, expected: &[u8]) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match hw.next_op(left).await {
            Some(SimOp::Write { data, .. }) if data == expected => return Ok(()),
            Some(op) => seen.push(op.to_string()),
            None => bail!(
                "no write {:?}; saw {seen:?}",
                String::from_utf8_lossy(expected)
            ),
        }
    }
}

/// A server with a simulated Hush, an in-process client, and the device once scanned.
async fn hush_setup(
    max_ping_time: u32,
) -> Result<(
    Server,
    Arc<SimHardware>,
    Client,
    ClientDevice,
    UnboundedReceiver<ClientEvent>,
)> {
    let server = server(max_ping_time)?;
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let client = Client::connect_in_process(&server, "client test").await?;
    let mut events = client.events();
    client.start_scanning().await?;
    let device = next_device(&mut events).await?;
    client.stop_scanning().await?;
    hw.take_ops();
    Ok((server, hw, client, device, events))
}

#[tokio::test]
async fn in_process_handshake_and_empty_list() -> Result<()> {
    let server = server(0)?;
    let client = Client::connect_in_process(&server, "client test").await?;
    assert_eq!(client.spec_version(), SpecVersion::V4);
    assert_eq!(client.server_name(), "Test Server");
    assert!(client.is_connected());
    assert!(client.devices().is_empty());
    assert!(client.request_device_list().await?.is_empty());
    client.ping().await?;
    client.disconnect().await?;
    assert!(!client.is_connected());
    // Idempotent, and later requests fail with Closed.
    client.disconnect().await?;
    assert_eq!(
        client.ping().await,
        Err(Error::Transport(TransportError::Closed))
    );
    Ok(())
}

#[tokio::test]
async fn in_process_scan_vibrate_stop_battery() -> Result<()> {
    let (_server, hw, client, device, _events) = hush_setup(0).await?;
    assert!(device.name().contains("Hush"), "name {}", device.name());
    assert_eq!(client.devices().len(), 1);
    let again = client.device(device.index()).context("device() by index")?;
    assert_eq!(again.info(), device.info());

    device.vibrate(0.5).await?;
    expect_write(&hw, b"Vibrate:10;").await?;
    device.stop().await?;
    expect_write(&hw, b"Vibrate:0;").await?;

    // Raw output command in steps.
    let feature = device
        .info()
        .features
        .iter()
        .find(|f| f.output(OutputType::Vibrate).is_some())
        .context("vibrate feature")?
        .index;
    device
        .output(
            feature,
            OutputCommand {
                kind: OutputType::Vibrate,
                value: 3,
                duration: None,
            },
        )
        .await?;
    expect_write(&hw, b"Vibrate:3;").await?;
    client.stop_all().await?;
    expect_write(&hw, b"Vibrate:0;").await?;

    let level = device.battery().await?;
    assert!((level - 0.85).abs() < 1e-9, "battery {level}");
    let battery_feature = device
        .info()
        .features
        .iter()
        .find(|f| f.input(InputType::Battery).is_some())
        .context("battery feature")?
        .index;
    assert_eq!(
        device
            .read_input(battery_feature, InputType::Battery)
            .await?,
        InputReadingValue::Battery(85)
    );
    client.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn client_side_validation() -> Result<()> {
    let (_server, _hw, client, device, _events) = hush_setup(0).await?;
    for bad in [1.5, -0.1, f64::NAN] {
        assert!(
            matches!(
                device.vibrate(bad).await,
                Err(Error::Device(DeviceError::OutOfRange(_)))
            ),
            "vibrate({bad})"
        );
    }
    assert!(matches!(
        device.rotate(0.5).await,
        Err(Error::Device(DeviceError::NotSupported(_)))
    ));
    assert!(matches!(
        device.position(0.5, 100).await,
        Err(Error::Device(DeviceError::NotSupported(_)))
    ));
    assert!(matches!(
        device
            .output(
                99,
                OutputCommand {
                    kind: OutputType::Vibrate,
                    value: 1,
                    duration: None
                }
            )
            .await,
        Err(Error::Device(DeviceError::NoFeature { feature: 99, .. }))
    ));
    client.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn disconnect_stops_devices() -> Result<()> {
    let (_server, hw, client, device, mut events) = hush_setup(0).await?;
    device.vibrate(0.5).await?;
    expect_write(&hw, b"Vibrate:10;").await?;
    client.disconnect().await?;
    expect_write(&hw, b"Vibrate:0;").await?;
    wait_event(&mut events, |e| matches!(e, ClientEvent::Disconnected)).await?;
    assert!(
        events.recv().await.is_none(),
        "no events after Disconnected"
    );
    assert_eq!(
        device.vibrate(0.5).await,
        Err(Error::Transport(TransportError::Closed))
    );
    Ok(())
}

#[tokio::test]
async fn dropping_the_client_stops_devices() -> Result<()> {
    let (_server, hw, client, device, mut events) = hush_setup(0).await?;
    device.vibrate(0.25).await?;
    expect_write(&hw, b"Vibrate:5;").await?;
    let clone = client.clone();
    drop(client);
    // A clone keeps the connection open.
    device.vibrate(0.5).await?;
    expect_write(&hw, b"Vibrate:10;").await?;
    drop(clone);
    expect_write(&hw, b"Vibrate:0;").await?;
    wait_event(&mut events, |e| matches!(e, ClientEvent::Disconnected)).await?;
    assert!(device.stop().await.is_err());
    Ok(())
}

#[tokio::test]
async fn device_removal_and_server_errors() -> Result<()> {
    let (_server, hw, client, device, mut events) = hush_setup(0).await?;
    let mut second = client.events();
    hw.disconnect_now();
    let index = device.index();
    wait_event(
        &mut events,
        |e| matches!(e, ClientEvent::DeviceRemoved(i) if *i == index),
    )
    .await?;
    wait_event(
        &mut second,
        |e| matches!(e, ClientEvent::DeviceRemoved(i) if *i == index),
    )
    .await?;
    assert!(client.devices().is_empty());
    // The stale handle reaches the server, which refuses with a device error.
    match device.vibrate(0.5).await {
        Err(Error::Server { code, .. }) => assert_eq!(code, ErrorCode::Device),
        other => bail!("expected a server error, got {other:?}"),
    }
    client.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn automatic_pings_keep_the_session_alive() -> Result<()> {
    let (_server, hw, client, device, mut events) = hush_setup(200).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(client.is_connected());
    assert!(
        events.try_recv().is_err(),
        "no ping-out error or disconnect expected"
    );
    device.vibrate(1.0).await?;
    expect_write(&hw, b"Vibrate:20;").await?;
    client.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn websocket_v4_against_the_websocket_server() -> Result<()> {
    let server = server(0)?;
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let ws = WebsocketServer::start(server.clone(), addr, 1 << 20).await?;
    let url = format!("ws://{}", ws.local_addr());

    let client = Client::connect_websocket(&url, "ws test").await?;
    assert_eq!(client.spec_version(), SpecVersion::V4);
    assert_eq!(client.server_name(), "Test Server");
    let mut events = client.events();
    client.start_scanning().await?;
    let device = next_device(&mut events).await?;
    hw.take_ops();
    device.vibrate(0.5).await?;
    expect_write(&hw, b"Vibrate:10;").await?;
    let level = device.battery().await?;
    assert!((level - 0.85).abs() < 1e-9, "battery {level}");
    device.stop().await?;
    expect_write(&hw, b"Vibrate:0;").await?;
    device.vibrate(0.05).await?;
    expect_write(&hw, b"Vibrate:1;").await?;
    client.disconnect().await?;
    expect_write(&hw, b"Vibrate:0;").await?;
    assert!(!client.is_connected());

    // The device survives for the next client, and dropping that client stops it too.
    let client = Client::connect_websocket(&url, "ws test 2").await?;
    let device = client.devices().into_iter().next().context("device kept")?;
    device.vibrate(0.5).await?;
    expect_write(&hw, b"Vibrate:10;").await?;
    drop(device);
    drop(client);
    expect_write(&hw, b"Vibrate:0;").await?;
    ws.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn websocket_connect_failure() {
    // Nothing listens on this port (bound then released).
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").ok();
        listener
            .and_then(|l| l.local_addr().ok())
            .map_or(1, |a| a.port())
    };
    let result = Client::connect_websocket(&format!("ws://127.0.0.1:{port}"), "x").await;
    assert!(
        matches!(result, Err(Error::Transport(TransportError::Connect(_)))),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scripted v3 server
// ---------------------------------------------------------------------------------------------

struct Peer {
    ws: WebSocketStream<TcpStream>,
}

impl Peer {
    async fn accept(listener: &TcpListener) -> Result<Peer> {
        let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
            .await
            .context("no connection")??;
        Ok(Peer {
            ws: tokio_tungstenite::accept_async(stream).await?,
        })
    }

    /// Receives one frame holding one message; returns (name, body).
    async fn recv(&mut self) -> Result<(String, Value)> {
        self.recv_within(WAIT).await
    }

    /// Like [`Peer::recv`], waiting up to `limit`.
    async fn recv_within(&mut self, limit: Duration) -> Result<(String, Value)> {
        loop {
            let frame = tokio::time::timeout(limit, self.ws.next())
                .await
                .context("no frame from the client")?
                .ok_or_else(|| anyhow!("client closed"))??;
            let Message::Text(text) = frame else {
                continue;
            };
            let value: Value = serde_json::from_str(&text)?;
            let [message] = value.as_array().context("frame is an array")?.as_slice() else {
                bail!("expected one message per frame: {text}");
            };
            let (name, body) = message
                .as_object()
                .and_then(|o| o.iter().next())
                .context("message object")?;
            return Ok((name.clone(), body.clone()));
        }
    }

    /// Receives a message that must be `name`; returns its body.
    async fn expect(&mut self, name: &str) -> Result<Value> {
        let (got, body) = self.recv().await?;
        if got != name {
            bail!("expected {name}, got {got} {body}");
        }
        Ok(body)
    }

    async fn send(&mut self, frame: Value) -> Result<()> {
        self.ws.send(Message::Text(frame.to_string())).await?;
        Ok(())
    }
}

fn id_of(body: &Value) -> Result<u64> {
    body["Id"].as_u64().context("Id")
}

fn v3_device() -> Value {
    json!({
        "DeviceIndex": 4,
        "DeviceName": "Scripted Combo",
        "DeviceDisplayName": "My combo",
        "DeviceMessageTimingGap": 50,
        "DeviceMessages": {
            "ScalarCmd": [
                {"FeatureDescriptor": "Shaft", "ActuatorType": "Vibrate", "StepCount": 20},
                {"FeatureDescriptor": "Head", "ActuatorType": "Rotate", "StepCount": 10}
            ],
            "RotateCmd": [{"FeatureDescriptor": "Head", "ActuatorType": "Rotate", "StepCount": 10}],
            "LinearCmd": [{"FeatureDescriptor": "Stroke", "ActuatorType": "Position", "StepCount": 100}],
            "SensorReadCmd": [{"FeatureDescriptor": "Battery", "SensorType": "Battery", "SensorRange": [[0, 100]]}],
            "StopDeviceCmd": {}
        }
    })
}

/// The scripted server's side of the conversation; runs concurrently with the client.
async fn v3_script(listener: TcpListener) -> Result<()> {
    // First attempt: a v4 handshake, refused like a v3-only server would.
    let mut peer = Peer::accept(&listener).await?;
    let body = peer.expect("RequestServerInfo").await?;
    if body["ProtocolVersionMajor"] != json!(4) {
        bail!("first handshake should be v4: {body}");
    }
    let id = id_of(&body)?;
    peer.send(json!([{"Error": {"Id": id, "ErrorCode": 3,
        "ErrorMessage": "unknown field ProtocolVersionMajor"}}]))
        .await?;

    // Second attempt: v3.
    let mut peer = Peer::accept(&listener).await?;
    let body = peer.expect("RequestServerInfo").await?;
    if body["MessageVersion"] != json!(3) || body.get("ProtocolVersionMajor").is_some() {
        bail!("second handshake should be v3: {body}");
    }
    if body["ClientName"] != json!("v3 test") {
        bail!("client name: {body}");
    }
    let id = id_of(&body)?;
    peer.send(json!([{"ServerInfo": {"Id": id, "ServerName": "Old Server",
        "MessageVersion": 3, "MaxPingTime": 0}}]))
        .await?;
    let id = id_of(&peer.expect("RequestDeviceList").await?)?;
    peer.send(json!([{"DeviceList": {"Id": id, "Devices": [v3_device()]}}]))
        .await?;

    // vibrate(0.5): ScalarCmd on the vibrator (scalar index 0).
    let body = peer.expect("ScalarCmd").await?;
    if body["DeviceIndex"] != json!(4)
        || body["Scalars"] != json!([{"Index": 0, "Scalar": 0.5, "ActuatorType": "Vibrate"}])
    {
        bail!("vibrate: {body}");
    }
    // Reply and an event in the same array.
    let new_device = json!({"DeviceIndex": 7, "DeviceName": "Late Egg",
        "DeviceMessageTimingGap": 0,
        "DeviceMessages": {"ScalarCmd": [{"FeatureDescriptor": "", "ActuatorType": "Vibrate",
            "StepCount": 5}], "StopDeviceCmd": {}}});
    peer.send(json!([
        {"Ok": {"Id": id_of(&body)?}},
        {"DeviceAdded": {"Id": 0, "DeviceIndex": 7, "DeviceName": "Late Egg",
            "DeviceMessageTimingGap": 0, "DeviceMessages": new_device["DeviceMessages"].clone()}}
    ]))
    .await?;

    // rotate(-0.5): RotateCmd on the bidirectional rotator, counter-clockwise, 5 of 10 steps.
    let body = peer.expect("RotateCmd").await?;
    let rotation = &body["Rotations"][0];
    if rotation["Index"] != json!(0) || rotation["Clockwise"] != json!(false) {
        bail!("rotate: {body}");
    }
    let speed = rotation["Speed"].as_f64().context("Speed")?;
    if (10.0 * speed).ceil() != 5.0 {
        bail!("rotate speed {speed}");
    }
    peer.send(json!([{"Ok": {"Id": id_of(&body)?}}])).await?;

    // position(0.29, 500): LinearCmd; the server truncates, so 29 steps must survive.
    let body = peer.expect("LinearCmd").await?;
    let vector = &body["Vectors"][0];
    let position = vector["Position"].as_f64().context("Position")?;
    if vector["Index"] != json!(0)
        || vector["Duration"] != json!(500)
        || (100.0 * position).trunc() != 29.0
    {
        bail!("linear: {body}");
    }
    peer.send(json!([{"Ok": {"Id": id_of(&body)?}}])).await?;

    // battery(): SensorReadCmd on sensor 0.
    let body = peer.expect("SensorReadCmd").await?;
    if body["SensorIndex"] != json!(0) || body["SensorType"] != json!("Battery") {
        bail!("battery: {body}");
    }
    peer.send(
        json!([{"SensorReading": {"Id": id_of(&body)?, "DeviceIndex": 4,
        "SensorIndex": 0, "SensorType": "Battery", "Data": [71]}}]),
    )
    .await?;

    // stop(): StopDeviceCmd; answered with an error to check error mapping.
    let body = peer.expect("StopDeviceCmd").await?;
    peer.send(json!([{"Error": {"Id": id_of(&body)?, "ErrorCode": 4,
        "ErrorMessage": "device refused"}}]))
        .await?;

    // Events: removal of the late device, then a server error event.
    peer.send(json!([{"DeviceRemoved": {"Id": 0, "DeviceIndex": 7}},
        {"Error": {"Id": 0, "ErrorCode": 0, "ErrorMessage": "something odd"}}]))
        .await?;

    // stop_all(): StopAllDevices, never answered: the connection drops instead.
    peer.expect("StopAllDevices").await?;
    drop(peer);
    Ok(())
}

#[tokio::test]
async fn websocket_falls_back_to_v3() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}", listener.local_addr()?);
    let script = tokio::spawn(v3_script(listener));

    let client = Client::connect_websocket(&url, "v3 test").await?;
    assert_eq!(client.spec_version(), SpecVersion::V3);
    assert_eq!(client.server_name(), "Old Server");
    let mut events = client.events();
    let device = client.device(4).context("device 4 from the v3 list")?;
    assert_eq!(device.name(), "Scripted Combo");
    assert_eq!(device.display_name(), Some("My combo"));

    device.vibrate(0.5).await?;
    let late = next_device(&mut events).await?;
    assert_eq!((late.index(), late.name()), (7, "Late Egg"));
    assert_eq!(client.devices().len(), 2);

    device.rotate(-0.5).await?;
    device.position(0.29, 500).await?;
    let level = device.battery().await?;
    assert!((level - 0.71).abs() < 1e-9, "battery {level}");
    match device.stop().await {
        Err(Error::Server { code, message, .. }) => {
            assert_eq!(code, ErrorCode::Device);
            assert_eq!(message, "device refused");
        }
        other => bail!("expected a server error, got {other:?}"),
    }
    wait_event(&mut events, |e| matches!(e, ClientEvent::DeviceRemoved(7))).await?;
    wait_event(
        &mut events,
        |e| matches!(e, ClientEvent::ServerError(m) if m == "something odd"),
    )
    .await?;
    assert!(client.device(7).is_none());

    // Subscriptions need spec v4.
    assert!(matches!(
        device.subscribe(3, InputType::Battery).await,
        Err(Error::Device(_))
    ));

    // The pending request completes with Closed when the server drops the connection.
    assert_eq!(
        client.stop_all().await,
        Err(Error::Transport(TransportError::Closed))
    );
    wait_event(&mut events, |e| matches!(e, ClientEvent::Disconnected)).await?;
    assert!(!client.is_connected());
    script.await??;
    client.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn websocket_v4_scripted_multi_message_frames() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}", listener.local_addr()?);
    let script = tokio::spawn(async move {
        let mut peer = Peer::accept(&listener).await?;
        let id = id_of(&peer.expect("RequestServerInfo").await?)?;
        peer.send(json!([{"ServerInfo": {"Id": id, "ServerName": "V4 Script",
            "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0, "MaxPingTime": 0}}]))
            .await?;
        let id = id_of(&peer.expect("RequestDeviceList").await?)?;
        let hush = json!({"DeviceIndex": 0, "DeviceName": "Hush", "DeviceMessageTimingGap": 0,
            "DeviceFeatures": {"0": {"FeatureIndex": 0, "FeatureDescription": "",
                "Output": {"Vibrate": {"Value": [0, 20]}}}}});
        let lush = json!({"DeviceIndex": 1, "DeviceName": "Lush", "DeviceMessageTimingGap": 0,
            "DeviceFeatures": {"0": {"FeatureIndex": 0, "FeatureDescription": "",
                "Output": {"Vibrate": {"Value": [0, 20]}}}}});
        peer.send(json!([{"DeviceList": {"Id": id, "Devices": {"0": hush.clone()}}}]))
            .await?;
        // A v4 list event adding a device and a ScanningFinished, both in one frame.
        let body = peer.expect("StartScanning").await?;
        peer.send(json!([
            {"Ok": {"Id": id_of(&body)?}},
            {"DeviceList": {"Id": 0, "Devices": {"0": hush, "1": lush.clone()}}},
            {"ScanningFinished": {"Id": 0}}
        ]))
        .await?;
        // OutputCmd for vibrate(0.5).
        let body = peer.expect("OutputCmd").await?;
        if body["DeviceIndex"] != json!(1)
            || body["FeatureIndex"] != json!(0)
            || body["Command"] != json!({"Vibrate": {"Value": 10}})
        {
            bail!("vibrate: {body}");
        }
        peer.send(json!([
            {"Ok": {"Id": id_of(&body)?}},
            {"DeviceList": {"Id": 0, "Devices": {"1": lush}}}
        ]))
        .await?;
        // A reply that cannot be decoded fails its request instead of timing out.
        let body = peer.expect("Ping").await?;
        peer.send(json!([{"Ok": {"Id": id_of(&body)?, "Bogus": 1}}]))
            .await?;
        let body = peer.expect("Ping").await?;
        peer.send(json!([{"Ok": {"Id": id_of(&body)?}}])).await?;
        // Expect a clean close.
        match tokio::time::timeout(WAIT, peer.ws.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => Ok(()),
            other => bail!("expected close, got {other:?}"),
        }
    });

    let client = Client::connect_websocket(&url, "v4 script").await?;
    assert_eq!(client.spec_version(), SpecVersion::V4);
    assert_eq!(client.devices().len(), 1);
    let mut events = client.events();
    client.start_scanning().await?;
    let lush = next_device(&mut events).await?;
    assert_eq!((lush.index(), lush.name()), (1, "Lush"));
    wait_event(&mut events, |e| matches!(e, ClientEvent::ScanningFinished)).await?;
    lush.vibrate(0.5).await?;
    wait_event(&mut events, |e| matches!(e, ClientEvent::DeviceRemoved(0))).await?;
    assert_eq!(
        client
            .devices()
            .iter()
            .map(|d| d.index())
            .collect::<Vec<_>>(),
        vec![1]
    );
    assert!(matches!(client.ping().await, Err(Error::Protocol(_))));
    client.ping().await?;
    client.disconnect().await?;
    wait_event(&mut events, |e| matches!(e, ClientEvent::Disconnected)).await?;
    script.await??;
    Ok(())
}

#[tokio::test]
async fn unanswered_request_times_out() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}", listener.local_addr()?);
    let script = tokio::spawn(async move {
        let mut peer = Peer::accept(&listener).await?;
        let id = id_of(&peer.expect("RequestServerInfo").await?)?;
        peer.send(json!([{"ServerInfo": {"Id": id, "ServerName": "Silent",
            "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0, "MaxPingTime": 0}}]))
            .await?;
        let id = id_of(&peer.expect("RequestDeviceList").await?)?;
        peer.send(json!([{"DeviceList": {"Id": id, "Devices": {}}}]))
            .await?;
        // Ignore the first Ping, answer it late (after the client gave up), then answer the
        // second one normally.
        let late = id_of(&peer.expect("Ping").await?)?;
        let next = peer.recv_within(Duration::from_secs(15)).await?;
        peer.send(json!([{"Ok": {"Id": late}}])).await?;
        peer.send(json!([{"Ok": {"Id": id_of(&next.1)?}}])).await?;
        let _ = tokio::time::timeout(WAIT, peer.ws.next()).await;
        Ok::<_, anyhow::Error>(())
    });
    let client = Client::connect_websocket(&url, "timeout test").await?;
    let started = tokio::time::Instant::now();
    match client.ping().await {
        Err(Error::Runtime(haptix::error::RuntimeError::Timeout(_))) => {}
        other => bail!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_secs(9));
    // The late reply to the abandoned Id is ignored; the connection still works.
    client.ping().await?;
    assert!(client.is_connected());
    client.disconnect().await?;
    script.await??;
    Ok(())
}
