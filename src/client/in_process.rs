//! The in-process connector: typed messages to and from a [`Server`] in the same process.
//!
//! No JSON is involved: client messages go to the session as [`Incoming::Message`] and server
//! messages come back as [`Outgoing::Message`]. Closing the transport sends [`Incoming::Closed`],
//! so the session stops scanning and every device (`protocol.md` §10.1), also when the client
//! is dropped without disconnecting.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::connector::{Connection, Inbound, Transport};
use crate::core::messages::{ClientMessage, ServerMessage};
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
pub(crate) fn connect(server: &Server, cancel: CancellationToken) -> Connection {
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
