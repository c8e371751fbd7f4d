//! `client_server_messages`: our client fed whatever a server may send.
//!
//! A stand-in server listens on a loopback port. Two clients stay connected to it for the
//! whole run, one that completed a spec v4 handshake and one that fell back to spec v3 (the
//! stand-in refuses its v4 handshake). Each input goes to one of them as text frames from the
//! server, one per line after the selector byte. The client then uses every device it was
//! told about (an output of each kind on each feature, a read of each input, a stop) and
//! finally pings: the stand-in answers requests in order, so when the ping's answer arrives
//! the client has handled every frame. Between inputs an empty device list resets what the
//! client knows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use haptix::client::{Client, ClientSettings, OutputValue};
use haptix::core::json::{decode_client_frame, encode_server_frame};
use haptix::core::messages::{ClientMessage, ServerMessage};
use haptix::core::types::{ErrorCode, OutputType, SpecVersion};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::{io_runtime, text_frames, Reader};

/// The output kinds a client may send.
const OUTPUT_KINDS: &[OutputType] = &[
    OutputType::Vibrate,
    OutputType::Rotate,
    OutputType::Oscillate,
    OutputType::Constrict,
    OutputType::Position,
    OutputType::HwPositionWithDuration,
];

/// The stand-in server: per connection, frames to push to the client.
struct StandIn {
    addr: SocketAddr,
    /// Whether the next connection refuses a v4 handshake (so the client retries with v3).
    refuse_v4: Arc<AtomicBool>,
    /// The push channel of the newest connection.
    latest: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>,
}

struct Connection {
    client: Client,
    push: mpsc::UnboundedSender<String>,
    version: SpecVersion,
}

struct World {
    runtime: Runtime,
    stand_in: StandIn,
    v4: Mutex<Option<Connection>>,
    v3: Mutex<Option<Connection>>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = io_runtime();
        let stand_in = runtime.block_on(start_stand_in());
        World {
            runtime,
            stand_in,
            v4: Mutex::new(None),
            v3: Mutex::new(None),
        }
    })
}

async fn start_stand_in() -> StandIn {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("cannot listen on loopback: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("listener has no address: {e}"),
    };
    let refuse_v4 = Arc::new(AtomicBool::new(false));
    let latest: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>> = Arc::new(Mutex::new(None));
    let (refuse, slot) = (refuse_v4.clone(), latest.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, rx) = mpsc::unbounded_channel();
            *slot.lock() = Some(tx);
            tokio::spawn(serve(stream, rx, refuse.load(Ordering::SeqCst)));
        }
    });
    StandIn {
        addr,
        refuse_v4,
        latest,
    }
}

/// One connection of the stand-in: pushes the harness's frames first, and answers every
/// request (`ServerInfo`, an empty `DeviceList`, else `Ok`).
async fn serve(
    stream: tokio::net::TcpStream,
    mut push: mpsc::UnboundedReceiver<String>,
    refuse_v4: bool,
) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let mut state = Peer {
        version: SpecVersion::V4,
        handshaken: false,
    };
    loop {
        tokio::select! {
            biased;
            frame = push.recv() => match frame {
                Some(text) => {
                    if ws.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            message = ws.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    _ => return,
                };
                let replies = answer(&text, &mut state, refuse_v4);
                if replies.is_empty() {
                    continue;
                }
                let frame = encode_server_frame(&replies, state.version);
                if ws.send(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// What the stand-in knows about one connection.
struct Peer {
    /// The version of the handshake, once there was one.
    version: SpecVersion,
    handshaken: bool,
}

/// The stand-in's replies to one client frame.
fn answer(text: &str, peer: &mut Peer, refuse_v4: bool) -> Vec<ServerMessage> {
    let Ok(items) = decode_client_frame(text, peer.handshaken.then_some(peer.version)) else {
        return Vec::new();
    };
    let mut replies = Vec::new();
    for message in items.into_iter().flatten() {
        replies.push(match message {
            ClientMessage::RequestServerInfo {
                id,
                message_version,
                ..
            } => {
                peer.version = message_version
                    .and_then(|v| SpecVersion::from_number(u64::from(v)))
                    .unwrap_or(SpecVersion::V4);
                peer.handshaken = true;
                if refuse_v4 && peer.version == SpecVersion::V4 {
                    ServerMessage::error(id, ErrorCode::Handshake, "spec v3 only")
                } else {
                    ServerMessage::ServerInfo {
                        id,
                        server_name: "stand-in".to_string(),
                        max_ping_time: 0,
                    }
                }
            }
            ClientMessage::RequestDeviceList { id } => ServerMessage::DeviceList {
                id,
                devices: Vec::new(),
            },
            other => ServerMessage::Ok { id: other.id() },
        });
    }
    replies
}

async fn connect(stand_in: &StandIn, v3: bool) -> Option<Connection> {
    stand_in.refuse_v4.store(v3, Ordering::SeqCst);
    let settings = ClientSettings {
        client_name: "fuzz".to_string(),
        request_timeout: Duration::from_secs(5),
    };
    let url = format!("ws://{}", stand_in.addr);
    let client = Client::connect_websocket_with(&url, &settings).await.ok()?;
    let push = stand_in.latest.lock().clone()?;
    let version = client.spec_version();
    Some(Connection {
        client,
        push,
        version,
    })
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let world = world();
    let mut input = Reader::new(data);
    let selector = input.byte();
    let frames = text_frames(input.rest());
    let slot = if selector & 1 == 0 {
        &world.v4
    } else {
        &world.v3
    };
    let mut guard = slot.lock();
    world.runtime.block_on(async {
        let alive = guard
            .as_ref()
            .is_some_and(|c| c.client.is_connected() && !c.push.is_closed());
        if !alive {
            if let Some(old) = guard.take() {
                let _ = old.client.disconnect().await;
            }
            *guard = connect(&world.stand_in, selector & 1 == 1).await;
        }
        if let Some(connection) = guard.as_ref() {
            exchange(connection, frames).await;
        }
    });
}

/// Sends the frames to the client, lets it use its devices, and waits until it handled all.
async fn exchange(connection: &Connection, frames: Vec<String>) {
    let client = &connection.client;
    let mut events = client.events();
    let reset = encode_server_frame(
        &[ServerMessage::DeviceList {
            id: 0,
            devices: Vec::new(),
        }],
        connection.version,
    );
    for frame in std::iter::once(reset).chain(frames) {
        if connection.push.send(frame).is_err() {
            return;
        }
    }
    if client.ping().await.is_err() {
        return;
    }
    for device in client.devices().into_iter().take(8) {
        let _ = device.info();
        for feature in device.info().features.iter().take(8) {
            for kind in OUTPUT_KINDS {
                for value in [
                    OutputValue::Level(0.5),
                    OutputValue::Level(1.0),
                    OutputValue::Steps(1),
                ] {
                    if let Ok(commands) =
                        device.output_commands(Some(feature.index), *kind, value, Some(100))
                    {
                        device.start_output(&commands, Box::new(|_| {}));
                    }
                }
            }
            for input in &feature.inputs {
                device.read_input_then(feature.index, input.kind, Box::new(|_| {}));
            }
        }
        device.stop_then(true, true, Box::new(|_| {}));
    }
    let _ = client.ping().await;
    while events.try_recv().is_ok() {}
}
