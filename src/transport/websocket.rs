//! The Buttplug WebSocket server: JSON text frames, one client at a time, frame size limited.
//!
//! Each accepted connection becomes one server session. A second client while one is connected
//! is refused with a close frame that says why. When a connection ends, cleanly or not, its
//! session stops scanning and every device; devices stay connected, with their indexes, for the
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

use crate::core::json::encode_server_frame;
use crate::error::{Error, TransportError};
use crate::server::{Incoming, Outgoing, Server};

/// Default largest accepted frame, in bytes.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

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
        let busy = Arc::new(AtomicBool::new(false));
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

struct BusyGuard(Arc<AtomicBool>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

async fn serve(
    server: Server,
    stream: TcpStream,
    busy: Arc<AtomicBool>,
    max_frame: usize,
    cancel: CancellationToken,
) -> Result<(), TransportError> {
    let config = WebSocketConfig {
        max_message_size: Some(max_frame),
        max_frame_size: Some(max_frame),
        ..WebSocketConfig::default()
    };
    let ws = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::accept_async_with_config(stream, Some(config)),
    )
    .await
    .map_err(|_| TransportError::Other("websocket handshake timed out".into()))?
    .map_err(|e| TransportError::Other(format!("websocket handshake failed: {e}")))?;
    let (mut sink, mut source) = ws.split();
    if busy.swap(true, Ordering::SeqCst) {
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
        while let Some(o) = out.recv().await {
            match o {
                Outgoing::Message { message, version } => {
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
                    tracing::debug!("ignoring binary frame: not part of the protocol");
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
    // Give the session a moment to finish stopping devices before the slot frees up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !session.is_closed() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
