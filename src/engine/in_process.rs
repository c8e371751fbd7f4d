//! The in-process connector: a [`Client`] talking to a [`Server`] of the same process with
//! typed messages. It lives in the composition root because it is the one place that sees
//! both: the client layer knows nothing of the server, nor the server of the client.
//!
//! No JSON is involved: client messages go to the session as [`Incoming::Message`] and server
//! messages come back as [`Outgoing::Message`]. Closing the transport sends [`Incoming::Closed`],
//! so the session stops scanning and every device (`protocol.md` §10.1), also when the client
//! is dropped without disconnecting.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::connector::{Connection, Inbound, Transport};
use crate::client::{Client, ClientSettings};
use crate::core::messages::{ClientMessage, ServerMessage};
use crate::core::types::SpecVersion;
use crate::error::{Error, TransportError};
use crate::server::{Incoming, Outgoing, Server, SessionHandle};

struct InProcessTransport {
    session: SessionHandle,
}

impl Transport for InProcessTransport {
    fn send(&self, message: ClientMessage) -> Result<Option<ServerMessage>, Error> {
        if let Some(reply) = self.session.try_output_inline(&message) {
            return Ok(Some(reply));
        }
        if self.session.send(Incoming::Message(message)) {
            Ok(None)
        } else {
            Err(TransportError::Closed.into())
        }
    }

    fn close(&self) {
        let _ = self.session.send(Incoming::Closed);
    }
}

/// Opens a session on `server` and starts the task forwarding what it sends.
fn connect(server: &Server, cancel: CancellationToken) -> Connection {
    let (session, mut outgoing) = server.connect();
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let forwarder = tokio::spawn(async move {
        loop {
            let item = tokio::select! {
                _ = cancel.cancelled() => break,
                item = outgoing.recv() => item,
            };
            match item {
                Some(Outgoing::Message { message, .. }) => {
                    let _ = inbound_tx.send(Inbound::Message(message));
                }
                Some(Outgoing::Close(reason)) => {
                    let _ = inbound_tx.send(Inbound::Closed(reason));
                    break;
                }
                None => {
                    let _ = inbound_tx.send(Inbound::Closed("session ended".to_string()));
                    break;
                }
            }
        }
    });
    Connection {
        transport: Box::new(InProcessTransport { session }),
        inbound,
        tasks: vec![forwarder],
    }
}

impl Client {
    /// Connects to a server running in this process, speaking spec v4 with typed messages.
    ///
    /// When the client is disconnected or dropped, the server session ends and stops every
    /// device.
    pub async fn connect_in_process(server: &Server, client_name: &str) -> Result<Client, Error> {
        Client::connect_in_process_with(server, &ClientSettings::named(client_name)).await
    }

    /// [`Client::connect_in_process`] with explicit settings.
    pub async fn connect_in_process_with(
        server: &Server,
        settings: &ClientSettings,
    ) -> Result<Client, Error> {
        let cancel = CancellationToken::new();
        let connection = connect(server, cancel.clone());
        Client::start(connection, SpecVersion::V4, settings, cancel).await
    }
}
