//! `haptix_server`: a Buttplug WebSocket server hosted from the C ABI, sharing the context's
//! devices with the context's clients (the same device manager behind both doors).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use prost::Message as _;

use super::boundary;
use super::buffer;
use super::context::{check_may_block, haptix_context, ContextInner};
use super::handles::{self, HandleKind, Object};
use super::proto;
use super::status::{haptix_status, Failure};
use crate::server::websocket::{WebsocketServer, DEFAULT_MAX_FRAME};

/// Opaque server handle. Create with `haptix_server_new`, release with `haptix_server_free`.
#[allow(non_camel_case_types)]
pub struct haptix_server {
    _private: [u8; 0],
}

/// Default listen address, the one Intiface uses.
const DEFAULT_LISTEN_ADDRESS: &str = "127.0.0.1:12345";

/// How long `haptix_server_free` waits for a server that was not stopped.
const FREE_STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// The object behind a server handle.
pub(crate) struct ServerInner {
    context: Arc<ContextInner>,
    server: Mutex<Option<WebsocketServer>>,
    port: u16,
}

impl HandleKind for ServerInner {
    type C = haptix_server;
    const TAG: usize = 3;
    const NAME: &'static str = "server";
    fn wrap(object: Arc<Self>) -> Object {
        Object::Server(object)
    }
    fn unwrap(object: &Object) -> Option<&Arc<Self>> {
        match object {
            Object::Server(s) => Some(s),
            Object::Context(_) | Object::Client(_) => None,
        }
    }
}

impl ServerInner {
    /// Stops listening and closes the connected client (its devices stop). Idempotent.
    pub(crate) async fn stop_async(&self) {
        let server = self.server.lock().take();
        if let Some(s) = server {
            s.shutdown().await;
        }
    }

    fn stop(&self, timeout: Duration) -> Result<(), Failure> {
        check_may_block()?;
        if self.context.is_shut_down() {
            // the context stopped every server while shutting down
            self.server.lock().take();
            return Ok(());
        }
        let handle = self.context.handle.clone();
        let server = self.server.lock().take();
        if let Some(s) = server {
            let done = handle.spawn(async move {
                let _ = tokio::time::timeout(timeout, s.shutdown()).await;
            });
            let _ = futures::executor::block_on(done);
        }
        Ok(())
    }
}

/// Starts a Buttplug WebSocket server (the JSON wire protocol, spec v0 to v4) so that remote
/// Buttplug clients can use the context's devices. It accepts one client at a time, like
/// Intiface.
///
/// - `options`/`options_len`: a serialized `haptix.v1.ServerOptions`, borrowed for the call;
///   NULL with length 0 listens on 127.0.0.1:12345. Port 0 picks a free port; read it with
///   `haptix_server_port`.
/// - `out_server`: receives the handle on success; release it with `haptix_server_free`.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`;
/// `ERROR_INVALID_PROTOBUF`; `ERROR_INVALID_ARGUMENT` (address); `ERROR_CONNECT` (cannot
/// listen); `ERROR_WOULD_DEADLOCK` on a library runtime thread. Blocks briefly while binding.
///
/// # Safety
/// `context` must be NULL or a value from `haptix_context_new`; `options` valid for
/// `options_len` bytes; `out_server` valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_server_new(
    context: *mut haptix_context,
    options: *const u8,
    options_len: usize,
    out_server: *mut *mut haptix_server,
) -> haptix_status {
    boundary::export(|| {
        let ctx = handles::get::<ContextInner>(context)?;
        ctx.check_live()?;
        if out_server.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_server is NULL",
            ));
        }
        check_may_block()?;
        // SAFETY: the caller guarantees `options` is valid for `options_len` bytes.
        let bytes = unsafe { buffer::input(options, options_len) }?;
        let options = proto::ServerOptions::decode(bytes).map_err(|e| {
            Failure::new(
                haptix_status::ErrorInvalidProtobuf,
                format!("invalid ServerOptions: {e}"),
            )
        })?;
        let text = if options.listen_address.is_empty() {
            DEFAULT_LISTEN_ADDRESS
        } else {
            options.listen_address.as_str()
        };
        let addr: SocketAddr = text.parse().map_err(|_| {
            Failure::new(
                haptix_status::ErrorInvalidArgument,
                format!("listen_address {text:?} is not an address such as 127.0.0.1:12345"),
            )
        })?;
        let max_frame = match options.max_message_size {
            0 => DEFAULT_MAX_FRAME,
            n => usize::try_from(n).unwrap_or(DEFAULT_MAX_FRAME),
        };
        let server = (*ctx.server).clone();
        let started = ctx
            .handle
            .spawn(async move { WebsocketServer::start(server, addr, max_frame).await });
        let ws = futures::executor::block_on(started)
            .map_err(|e| {
                Failure::new(
                    haptix_status::ErrorRuntime,
                    format!("the server task failed: {e}"),
                )
            })?
            .map_err(Failure::from)?;
        let inner = Arc::new(ServerInner {
            context: Arc::clone(&ctx),
            port: ws.local_addr().port(),
            server: Mutex::new(Some(ws)),
        });
        let handle = handles::insert(inner)?;
        ctx.adopt(handle as usize);
        // SAFETY: checked non-null; writable per the caller's contract.
        unsafe { out_server.write(handle) };
        Ok(haptix_status::Ok)
    })
}

/// Writes the TCP port the server listens on (useful after asking for port 0).
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
/// blocks.
///
/// # Safety
/// `server` must be NULL or a value from `haptix_server_new`; `out_port` valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_server_port(
    server: *mut haptix_server,
    out_port: *mut u16,
) -> haptix_status {
    boundary::export(|| {
        handles::get::<ServerInner>(server).and_then(|s| {
            s.context.check_live()?;
            // SAFETY: writable per the caller's contract; NULL is refused by write_out.
            unsafe { buffer::write_out(out_port, s.port, "out_port") }
        })?;
        Ok(haptix_status::Ok)
    })
}

/// Stops the server: no new connections; the connected client is disconnected and its devices
/// stop. Blocks up to about `timeout_ms`. Stopping twice is `OK`.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN` (the
/// context's shutdown already stopped it); `ERROR_WOULD_DEADLOCK` on a library runtime thread.
///
/// # Safety
/// `server` must be NULL or a value from `haptix_server_new`.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_server_stop(
    server: *mut haptix_server,
    timeout_ms: u32,
) -> haptix_status {
    boundary::export(|| {
        handles::get::<ServerInner>(server).and_then(|s| {
            s.context.check_live()?;
            s.stop(Duration::from_millis(u64::from(timeout_ms)))
        })?;
        Ok(haptix_status::Ok)
    })
}

/// Stops the server if needed (bounded, about 2 s) and frees the handle. NULL, freed and
/// foreign values are ignored. Must not race with other calls on the same server.
///
/// # Safety
/// `server` must be NULL or a value from `haptix_server_new`.
#[no_mangle]
pub unsafe extern "C" fn haptix_server_free(server: *mut haptix_server) {
    boundary::catch_or((), || {
        if let Some(inner) = handles::remove::<ServerInner>(server) {
            inner.context.disown(server as usize);
            if let Err(f) = inner.stop(FREE_STOP_TIMEOUT) {
                tracing::warn!(error = %f.message, "server freed without stopping");
            }
        }
    })
}
