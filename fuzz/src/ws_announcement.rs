//! `ws_device_announcement`: WebSocket devices introducing themselves.
//!
//! A server on the built-in database listens for WebSocket devices on a loopback port; a
//! user configuration lets a few protocols (Lovense, with its identification handshake, and
//! plain ones) match devices announced as `LVS-WS`, `WS-Aneros` and `WS-Kizuna`. Each input is
//! one device connection: the first chunk is the first frame (the hello, sent as text unless
//! the selector says binary), then `[tag][length][bytes]` frames (text when the tag is odd),
//! which reach the device's protocol as notifications. The device then closes, and the input
//! ends when the server has closed its side.
//!
//! Every 10 000 inputs the server is replaced, as devices announced under new addresses keep
//! their index reservations for the life of a server.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::websocket::{WebsocketCommManager, WebsocketDeviceOptions};
use haptix::server::{Server, SessionOptions};
use parking_lot::Mutex;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

use crate::{io_runtime, Reader};

/// The user configuration that lets WebSocket devices match protocols.
pub const USER_CONFIG: &str = r#"{
  "version": {"major": 4, "minor": 0},
  "user_configs": {"protocols": {
    "lovense": {"communication": [{"websocket": {"name": "LVS-WS"}}]},
    "aneros": {"communication": [{"websocket": {"name": "WS-Aneros"}}]},
    "kizuna": {"communication": [{"websocket": {"name": "WS-Kizuna"}}]}
  }}
}"#;

/// Inputs served by one server before it is replaced.
const SERVER_LIFETIME: u32 = 10_000;

/// How long the harness waits for the server to close a connection.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

struct Listener {
    server: Server,
    manager: Arc<WebsocketCommManager>,
    served: u32,
}

struct World {
    runtime: Runtime,
    listener: Mutex<Option<Listener>>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World {
        runtime: io_runtime(),
        listener: Mutex::new(None),
    })
}

/// A server that takes WebSocket devices on a free loopback port.
pub async fn start_listener() -> (Server, Arc<WebsocketCommManager>) {
    let config = match DeviceConfigManager::builtin() {
        Ok(c) => c,
        Err(e) => panic!("built-in database does not load: {e}"),
    };
    if let Err(e) = config.load_user_json(USER_CONFIG.as_bytes()) {
        panic!("the fuzz target's user configuration does not load: {e}");
    }
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "Haptix fuzz".to_string(),
            max_ping_time: 0,
        },
    );
    let options = WebsocketDeviceOptions {
        hello_timeout: Duration::from_secs(2),
        ..WebsocketDeviceOptions::default()
    };
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let manager =
        match WebsocketCommManager::start_with_options(addr, server.comm_sender(), options).await {
            Ok(m) => m,
            Err(e) => panic!("cannot listen for websocket devices: {e}"),
        };
    if let Err(e) = server.add_comm_manager(manager.clone()) {
        panic!("cannot add the websocket device manager: {e}");
    }
    (server, manager)
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let world = world();
    let mut input = Reader::new(data);
    let selector = input.byte();
    let hello = input.long_chunk().to_vec();
    let mut frames = Vec::new();
    while !input.is_empty() {
        let tag = input.byte();
        frames.push((tag & 1 == 1, input.chunk().to_vec()));
    }
    let mut slot = world.listener.lock();
    world.runtime.block_on(async {
        if slot.as_ref().is_none_or(|l| l.served >= SERVER_LIFETIME) {
            if let Some(old) = slot.take() {
                old.server.shutdown().await;
            }
            let (server, manager) = start_listener().await;
            *slot = Some(Listener {
                server,
                manager,
                served: 0,
            });
        }
        if let Some(listener) = slot.as_mut() {
            listener.served += 1;
            let addr = listener.manager.local_addr();
            device(addr, selector & 1 == 1, hello, frames).await;
        }
    });
}

/// One device connection.
pub async fn device(
    addr: SocketAddr,
    binary_hello: bool,
    hello: Vec<u8>,
    frames: Vec<(bool, Vec<u8>)>,
) {
    // without Nagle's algorithm: the frames go out at once, not after the server's delayed ACK
    let Ok((mut ws, _)) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}"), None, true).await
    else {
        return;
    };
    let first = if binary_hello {
        Message::Binary(hello)
    } else {
        Message::Text(String::from_utf8_lossy(&hello).into_owned())
    };
    let mut open = ws.send(first).await.is_ok();
    for (text, bytes) in frames {
        if !open {
            break;
        }
        let message = if text {
            Message::Text(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            Message::Binary(bytes)
        };
        open = ws.send(message).await.is_ok();
    }
    if open {
        let _ = ws.close(None).await;
    }
    // the server answers the close (or closed first); wait until its side is gone
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
