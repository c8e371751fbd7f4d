//! The Lovense Connect comm manager against a local HTTP server on 127.0.0.1 (a free port) that
//! answers as the Lovense Connect app documents: `GET /GetToys` lists the toys, every other
//! `GET` is a toy command, answered 200.

#![cfg(feature = "lovense-connect")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use haptix::client::{Client, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::lovense_connect::LovenseConnectCommManager;
use haptix::hwmgr::{CommEvent, CommManager};
use haptix::server::{Server, SessionOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const TOY: &str = "a1b2c3d4e5f6";

/// The fake app: its toy list (status, battery) and the commands it received.
struct App {
    address: String,
    state: Arc<Mutex<(u8, i32)>>,
    commands: mpsc::UnboundedReceiver<String>,
    task: tokio::task::JoinHandle<()>,
}

impl App {
    async fn start() -> App {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let state = Arc::new(Mutex::new((1u8, 64i32)));
        let (tx, commands) = mpsc::unbounded_channel();
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (shared, tx) = (Arc::clone(&shared), tx.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8(request).unwrap();
                    let path = text.split(' ').nth(1).unwrap_or_default().to_string();
                    assert!(text.starts_with("GET "), "{text}");
                    let (status, body) = if path == "/GetToys" {
                        let (on, battery) = *shared.lock().unwrap();
                        let body = format!(
                            r#"{{"type":"OK","code":200,"data":{{"{TOY}":{{"id":"{TOY}","name":"lush","nickName":"","status":"{on}","version":"","battery":{battery}}}}}}}"#
                        );
                        ("200 OK", body)
                    } else if path.contains("Refuse") {
                        ("500 Internal Server Error", String::new())
                    } else {
                        let _ = tx.send(path.trim_start_matches('/').to_string());
                        ("200 OK", r#"{"type":"OK","code":200}"#.to_string())
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        App {
            address,
            state,
            commands,
            task,
        }
    }

    async fn command(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.commands.recv())
            .await
            .expect("the app got no command")
            .unwrap()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn next_event<T>(
    events: &mut mpsc::UnboundedReceiver<ClientEvent>,
    what: &str,
    pick: impl Fn(ClientEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Some(e) => {
                    if let Some(t) = pick(e) {
                        return t;
                    }
                }
                None => panic!("the client's events ended"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_of_the_app_is_found_driven_read_and_removed() {
    let mut app = App::start().await;
    let server = Server::new(
        DeviceConfigManager::builtin().unwrap(),
        SessionOptions {
            server_name: "connect test".into(),
            max_ping_time: 0,
        },
    );
    let manager =
        LovenseConnectCommManager::new(&[format!("http://{}", app.address)], server.comm_sender())
            .unwrap();
    server.add_comm_manager(Arc::new(manager)).unwrap();
    let client = Client::connect_in_process(&server, "connect test")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_event(&mut events, "DeviceAdded", |e| match e {
        ClientEvent::DeviceAdded(d) => Some(d),
        _ => None,
    })
    .await;
    client.stop_scanning().await.unwrap();
    assert!(device.name().contains("Lush"), "{}", device.name());

    // a command is one GET naming the toy
    let max = device.info().features[0].outputs[0].value.1;
    device.vibrate(1.0).await.unwrap();
    assert_eq!(app.command().await, format!("Vibrate?v={max}&t={TOY}"));
    device.stop().await.unwrap();
    assert_eq!(app.command().await, format!("Vibrate?v=0&t={TOY}"));
    // the battery level is the app's
    assert_eq!(device.battery().await.unwrap(), 0.64);

    // the app reports the toy disconnected: the device is removed
    app.state.lock().unwrap().0 = 0;
    let removed = next_event(&mut events, "DeviceRemoved", |e| match e {
        ClientEvent::DeviceRemoved(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(removed, device.index());
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn hardware_errors_are_clear_and_a_silent_app_ends_the_toy() {
    let app = App::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let manager = LovenseConnectCommManager::new(std::slice::from_ref(&app.address), tx).unwrap();
    manager.start_scanning().await.unwrap();
    let mut connector = match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(CommEvent::DeviceFound(c))) => c,
        other => panic!("no toy offered: {other:?}"),
    };
    manager.stop_scanning().await.unwrap();
    assert_eq!(connector.address(), TOY);
    assert_eq!(connector.name(), "Lush");
    let hw = connector.connect(&[]).await.unwrap();
    use haptix::core::types::Endpoint;
    // refused by the app, not ASCII, wrong endpoint, notifications: errors, not hangs
    let refused = hw.write(Endpoint::Tx, b"Refuse", false).await.unwrap_err();
    assert!(refused.to_string().contains("500"), "{refused}");
    assert!(hw.write(Endpoint::Tx, &[0xff, 0xfe], false).await.is_err());
    assert!(hw.write(Endpoint::Tx, b"a b", false).await.is_err());
    assert!(hw.write(Endpoint::Rx, b"Vibrate?v=1", false).await.is_err());
    assert!(hw.subscribe(Endpoint::Rx).await.is_err());
    assert_eq!(
        hw.read(Endpoint::Rx, 1, Duration::from_secs(1))
            .await
            .unwrap(),
        [64]
    );
    // the app goes away: the toy ends with Disconnected
    let mut events = hw.events();
    drop(app);
    match tokio::time::timeout(Duration::from_secs(20), events.recv()).await {
        Ok(Ok(haptix::hwmgr::HardwareEvent::Disconnected)) => {}
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(hw.write(Endpoint::Tx, b"Vibrate?v=1", false).await.is_err());
    manager.shutdown().await;
}

#[tokio::test]
async fn without_an_app_scanning_is_clean() {
    // no address: scanning finishes at once
    let (tx, mut rx) = mpsc::unbounded_channel();
    let manager = LovenseConnectCommManager::new(&[], tx).unwrap();
    manager.start_scanning().await.unwrap();
    assert!(matches!(
        rx.recv().await,
        Some(CommEvent::ScanningFinished {
            manager: "lovense-connect"
        })
    ));
    assert!(!manager.is_scanning());
    // an address nobody answers on: no device, and stopping works
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let manager = LovenseConnectCommManager::new(&[closed], tx).unwrap();
    manager.start_scanning().await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(1500), rx.recv())
        .await
        .is_err());
    manager.stop_scanning().await.unwrap();
    assert!(!manager.is_scanning());
    // malformed addresses are refused up front
    let (tx, _rx) = mpsc::unbounded_channel();
    assert!(LovenseConnectCommManager::new(&["no-port".into()], tx).is_err());
}
