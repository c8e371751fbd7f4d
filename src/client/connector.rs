//! Connectors: how a [`Client`](super::Client) talks to a server.
//!
//! A connector opens a connection and hands back a [`Connection`]: a [`Transport`] to send
//! client messages through, and a channel of [`Inbound`] items (decoded server messages, frames
//! that could not be decoded, and the end of the connection). The client's own connection task
//! reads that channel; it never sees JSON or WebSocket frames.
//!
//! Two connectors exist: the WebSocket connector here (JSON text frames, one array per frame),
//! and the in-process connector in `in_process.rs`, which exchanges typed messages with a
//! [`Server`](crate::server::Server) of the same process.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;

use crate::core::json::{decode_server_frame, encode_client_frame};
use crate::core::messages::{ClientMessage, MessageId, ServerMessage};
use crate::core::types::SpecVersion;
use crate::error::{Error, TransportError};

use super::MAX_SERVER_FRAME;

/// How long opening a WebSocket connection (TCP plus the HTTP upgrade) may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the writer waits for the close frame to go out when the connection is shut down.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Something that arrived from the server side of a connection.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A decoded server message.
    Message(ServerMessage),
    /// A message (or whole frame) that could not be decoded; `id` is its Id if it could be read,
    /// else 0.
    Undecodable {
        /// Id of the message, 0 when unknown.
        id: MessageId,
        /// Decoder's description.
        message: String,
    },
    /// The connection ended; no further items follow.
    Closed(String),
}

/// The sending half of a connection.
///
/// Both methods are synchronous and never block: they only queue work for the connector's
/// tasks (or the in-process session), so they may be called from `Drop`.
pub(crate) trait Transport: Send + Sync {
    /// Queues one message for the server. A transport that can answer on the calling thread
    /// (the in-process one, for output commands) returns the reply instead.
    fn send(&self, message: ClientMessage) -> Result<Option<ServerMessage>, Error>;

    /// Starts closing the connection. Idempotent. The end is reported on the inbound channel.
    fn close(&self);
}

/// An open connection, before any message was exchanged.
pub(crate) struct Connection {
    /// Where to send client messages.
    pub(crate) transport: Box<dyn Transport>,
    /// What the server sends.
    pub(crate) inbound: mpsc::UnboundedReceiver<Inbound>,
    /// Tasks the connector spawned; they all end when `cancel` is cancelled.
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

enum WsCommand {
    Text(String),
    Close,
}

struct WebsocketTransport {
    version: SpecVersion,
    tx: mpsc::UnboundedSender<WsCommand>,
}

impl Transport for WebsocketTransport {
    fn send(&self, message: ClientMessage) -> Result<Option<ServerMessage>, Error> {
        let text = encode_client_frame(std::slice::from_ref(&message), self.version);
        tracing::trace!(frame = %text, "client frame out");
        self.tx
            .send(WsCommand::Text(text))
            .map(|()| None)
            .map_err(|_| Error::from(TransportError::Closed))
    }

    fn close(&self) {
        let _ = self.tx.send(WsCommand::Close);
    }
}

/// Opens a WebSocket connection to `url` and starts its reader and writer tasks.
///
/// Server frames are decoded for `version`; client messages are encoded for it. Both tasks end
/// when the socket closes or `cancel` is cancelled (the writer then still tries to send a close
/// frame).
pub(crate) async fn connect_websocket(
    url: &str,
    version: SpecVersion,
    cancel: CancellationToken,
) -> Result<Connection, Error> {
    let config = WebSocketConfig {
        max_message_size: Some(MAX_SERVER_FRAME),
        max_frame_size: Some(MAX_SERVER_FRAME),
        ..WebSocketConfig::default()
    };
    // TCP_NODELAY: with Nagle's algorithm a request sent while an earlier one is still
    // unacknowledged waits for the server's delayed ACK (about 40 ms on Linux), so a burst of
    // commands followed by one that expects a reply took 40 ms instead of a round trip.
    let opening = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (socket, _response) = match tokio::time::timeout(CONNECT_TIMEOUT, opening).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Err(TransportError::Connect(format!("{url}: {e}")).into()),
        Err(_) => {
            return Err(TransportError::Connect(format!(
                "{url}: no connection within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))
            .into())
        }
    };
    tracing::debug!(%url, %version, "websocket connected");
    let (mut sink, mut stream) = socket.split();
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<WsCommand>();

    let writer_cancel = cancel.clone();
    let writer_inbound = inbound_tx.clone();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                cmd = cmd_rx.recv() => match cmd {
                    Some(WsCommand::Text(text)) => {
                        // A server that stops reading blocks the send once the socket buffers
                        // are full: the send must give way to the cancellation, or this task
                        // (and the socket) would outlive the client.
                        let sent = tokio::select! {
                            sent = sink.send(WsMessage::Text(text)) => sent,
                            _ = writer_cancel.cancelled() => break,
                        };
                        if let Err(e) = sent {
                            tracing::debug!(error = %e, "websocket write failed");
                            let _ = writer_inbound.send(Inbound::Closed(format!("write failed: {e}")));
                            break;
                        }
                    }
                    Some(WsCommand::Close) | None => {
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
                        break;
                    }
                },
                _ = writer_cancel.cancelled() => {
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
                    break;
                }
            }
        }
    });

    let reader = tokio::spawn(async move {
        loop {
            let frame = tokio::select! {
                _ = cancel.cancelled() => break,
                frame = stream.next() => frame,
            };
            match frame {
                None => {
                    let _ = inbound_tx.send(Inbound::Closed("connection closed".to_string()));
                    break;
                }
                Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                    let reason = format!(
                        "the server sent a message of {size} bytes or more, over the client's \
                         limit of {max_size} bytes"
                    );
                    tracing::warn!(%reason, "closing the connection");
                    let _ = inbound_tx.send(Inbound::Closed(reason));
                    break;
                }
                Some(Err(e)) => {
                    let _ = inbound_tx.send(Inbound::Closed(format!("read failed: {e}")));
                    break;
                }
                Some(Ok(WsMessage::Text(text))) => {
                    tracing::trace!(frame = %text, "server frame in");
                    for item in decode_frame(&text, version) {
                        let _ = inbound_tx.send(item);
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    let reason = frame
                        .map(|f| f.reason.to_string())
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| "closed by the server".to_string());
                    let _ = inbound_tx.send(Inbound::Closed(reason));
                    break;
                }
                Some(Ok(WsMessage::Binary(data))) => {
                    let _ = inbound_tx.send(Inbound::Undecodable {
                        id: 0,
                        message: format!(
                            "a binary frame of {} bytes (the protocol sends JSON text frames)",
                            data.len()
                        ),
                    });
                }
                // pings are answered by tungstenite
                Some(Ok(_)) => {}
            }
        }
    });

    Ok(Connection {
        transport: Box::new(WebsocketTransport {
            version,
            tx: cmd_tx,
        }),
        inbound,
        tasks: vec![writer, reader],
    })
}

/// Decodes one text frame into inbound items, in array order.
fn decode_frame(text: &str, version: SpecVersion) -> Vec<Inbound> {
    match decode_server_frame(text, version) {
        Err(e) => vec![Inbound::Undecodable {
            id: e.id,
            message: e.message,
        }],
        Ok(items) => items
            .into_iter()
            .map(|item| match item {
                Ok(message) => Inbound::Message(message),
                Err(e) => Inbound::Undecodable {
                    id: e.id,
                    message: e.message,
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_messages_per_frame() {
        let items = decode_frame(
            r#"[{"Ok":{"Id":1}},{"ScanningFinished":{"Id":0}},{"Bogus":{"Id":3}}]"#,
            SpecVersion::V4,
        );
        assert_eq!(items.len(), 3);
        assert!(matches!(
            items[0],
            Inbound::Message(ServerMessage::Ok { id: 1 })
        ));
        assert!(matches!(
            items[1],
            Inbound::Message(ServerMessage::ScanningFinished)
        ));
        assert!(matches!(items[2], Inbound::Undecodable { id: 3, .. }));
    }

    #[test]
    fn garbage_frame_is_undecodable() {
        let items = decode_frame("not json", SpecVersion::V4);
        assert!(matches!(items[..], [Inbound::Undecodable { id: 0, .. }]));
    }
}
