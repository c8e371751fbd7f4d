//! The Buttplug WebSocket server: JSON text frames, one client at a time, frame size limited.
//!
//! Each accepted connection becomes one server session. A second client while one is connected
//! is refused with a close frame that says why. When a connection ends, cleanly or not, its
//! session stops scanning and every device; devices stay connected, with their indexes, for the
//! next client.
//!
//! A connection gets [`HANDSHAKE_TIMEOUT`] for its WebSocket upgrade (a half-open upgrade is
//! closed after it), and once it holds the client slot, as long again for the Buttplug
//! handshake: a connection that never sends `RequestServerInfo` cannot keep the slot from the
//! next client.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Incoming, Outgoing, Server};
use crate::core::json::encode_server_frame;
use crate::core::messages::ServerMessage;
use crate::error::{Error, TransportError};

/// Default largest accepted frame, in bytes.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// How long a connection may take for its WebSocket upgrade, and then, once it holds the
/// client slot, for the Buttplug handshake (until the server sends `ServerInfo`): 10 s. A
/// connection that takes longer is closed (after the upgrade, with a close frame that says
/// why).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running WebSocket server.
#[derive(Debug)]
pub struct WebsocketServer {
    local_addr: SocketAddr,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl WebsocketServer {
    /// Binds `addr` and starts accepting clients for `server`. `max_frame` bounds the size of a
    /// frame or message a client may send.
    pub async fn start(
        server: Server,
        addr: SocketAddr,
        max_frame: usize,
    ) -> Result<WebsocketServer, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| TransportError::Connect(format!("cannot listen on {addr}: {e}")))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        tracing::info!(%local_addr, "websocket server listening");
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let busy = Arc::new(Slot::default());
        let (c, t) = (cancel.clone(), tasks.clone());
        tasks.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = c.cancelled() => break,
                    a = listener.accept() => a,
                };
                match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        let (server, busy, c2) = (server.clone(), busy.clone(), c.clone());
                        t.spawn(async move {
                            if let Err(e) = serve(server, stream, busy, max_frame, c2).await {
                                tracing::debug!(%peer, error = %e, "websocket connection ended");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(WebsocketServer {
            local_addr,
            cancel,
            tasks,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops listening, closes the connected client (which stops its devices) and waits for the
    /// connection tasks, bounded in time.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.tasks.wait()).await;
    }
}

impl Drop for WebsocketServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The one client slot. A session whose connection has ended but which is still stopping its
/// devices is `ending`: a new client then waits for it instead of being refused, so that an
/// application that reconnects right after a dropped connection gets in.
#[derive(Default)]
struct Slot {
    busy: AtomicBool,
    ending: AtomicBool,
    /// Woken when the slot frees up or its session starts ending.
    changed: tokio::sync::Notify,
}

/// How long a new client waits for an ending session to finish.
const ENDING_WAIT: Duration = Duration::from_secs(4);

/// How long a new client waits for the session in the slot to notice that its connection
/// dropped (the new connection can be accepted before the old one's end is read).
const LIVE_GRACE: Duration = Duration::from_millis(300);

impl Slot {
    /// Takes the slot, waiting for an ending session; `false` when a live one holds it.
    async fn acquire(&self) -> bool {
        let start = tokio::time::Instant::now();
        loop {
            // registered before the state is read, so a change in between is not missed
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.busy.swap(true, Ordering::SeqCst) {
                self.ending.store(false, Ordering::SeqCst);
                return true;
            }
            let limit = if self.ending.load(Ordering::SeqCst) {
                ENDING_WAIT
            } else {
                LIVE_GRACE
            };
            let waited = start.elapsed();
            if waited >= limit {
                return false;
            }
            let _ = tokio::time::timeout(limit - waited, changed).await;
        }
    }
}

/// Frees the slot when the session is over, however `serve` ends.
struct BusyGuard(Arc<Slot>);

impl BusyGuard {
    /// The connection is gone; the session is stopping its devices.
    fn ending(&self) {
        self.0.ending.store(true, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

async fn serve(
    server: Server,
    stream: TcpStream,
    busy: Arc<Slot>,
    max_frame: usize,
    cancel: CancellationToken,
) -> Result<(), TransportError> {
    let config = WebSocketConfig {
        max_message_size: Some(max_frame),
        max_frame_size: Some(max_frame),
        ..WebSocketConfig::default()
    };
    let ws = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        tokio_tungstenite::accept_async_with_config(stream, Some(config)),
    )
    .await
    .map_err(|_| TransportError::Other("websocket handshake timed out".into()))?
    .map_err(|e| TransportError::Other(format!("websocket handshake failed: {e}")))?;
    let (mut sink, mut source) = ws.split();
    if !busy.acquire().await {
        tracing::info!("refusing a second client while one is connected");
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::Again,
                reason: "another client is already connected to this server".into(),
            })))
            .await;
        return Ok(());
    }
    let _guard = BusyGuard(busy);
    let (session, mut out) = server.connect();
    let writer = async {
        // the Buttplug handshake must be over (ServerInfo sent) before this
        let deadline = tokio::time::sleep(HANDSHAKE_TIMEOUT);
        tokio::pin!(deadline);
        let mut handshaken = false;
        loop {
            let o = tokio::select! {
                o = out.recv() => o,
                _ = &mut deadline, if !handshaken => {
                    tracing::info!("closing a client that did not handshake in time");
                    let reason = format!(
                        "no handshake (RequestServerInfo) within {} s",
                        HANDSHAKE_TIMEOUT.as_secs()
                    );
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::Policy,
                            reason: reason.into(),
                        })))
                        .await;
                    break;
                }
            };
            let Some(o) = o else {
                break;
            };
            match o {
                Outgoing::Message { message, version } => {
                    handshaken |= matches!(message, ServerMessage::ServerInfo { .. });
                    let text = encode_server_frame(std::slice::from_ref(&message), version);
                    if sink.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Outgoing::Close(reason) => {
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::Normal,
                            reason: reason.into(),
                        })))
                        .await;
                    break;
                }
            }
        }
    };
    let reader = async {
        loop {
            let frame = tokio::select! {
                _ = cancel.cancelled() => break,
                f = source.next() => f,
            };
            match frame {
                Some(Ok(Message::Text(t))) => {
                    if !session.send(Incoming::Frame(t.to_string())) {
                        break;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    // answered, so that a client sending the wrong kind of frame learns why
                    // nothing happens; the connection stays open as for any malformed frame
                    let why = "binary frames are not part of the Buttplug protocol: send each \
                               message array as a JSON text frame";
                    if !session.send(Incoming::Invalid(why.to_string())) {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::info!(error = %e, "client connection failed");
                    break;
                }
            }
        }
        session.send(Incoming::Closed);
    };
    tokio::select! {
        _ = writer => { session.send(Incoming::Closed); }
        _ = reader => {}
    }
    // Give the session a moment to finish stopping devices before the slot frees up; a client
    // connecting meanwhile waits for it (`Slot::acquire`).
    _guard.ending();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !session.is_closed() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
