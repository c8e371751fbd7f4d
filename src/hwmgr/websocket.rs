//! WebSocket devices (`device-config.md` §5), compatible with Intiface Engine's device WebSocket
//! server: simulated or DIY toys connect to a listener, introduce themselves with a JSON hello
//! and then exchange raw bytes in binary frames.
//!
//! The listener runs from [`WebsocketCommManager::start`] until
//! [`CommManager::shutdown`], independently of scanning: a device may connect at any time and
//! is reported to the device manager as soon as its hello arrives.
//!
//! Wire behaviour:
//! - The device's first text frame must be `{"identifier": "<name>", "address": "<stable id>",
//!   "version": 0}`; a malformed hello, a binary first frame or no hello within
//!   [`WebsocketDeviceOptions::hello_timeout`] closes the socket with a policy-violation close
//!   frame whose reason says what was wrong.
//! - A write to any endpoint is sent as one binary frame carrying the bytes.
//! - Incoming frames (binary, or text taken as its UTF-8 bytes) become notifications while at
//!   least one endpoint is subscribed. They are labelled `rx` when `rx` is subscribed, else `tx`
//!   (the reference always uses `tx`, which protocols listening on `rx` never see).
//! - Reads are not supported.
//! - The server pings every [`WebsocketDeviceOptions::ping_interval`]; a device that has not
//!   answered a ping by the next one is disconnected.
//! - When nothing holds the device any more (the device manager dropped the discovered device
//!   without connecting it, e.g. because no protocol matched, or released the connected
//!   hardware), the socket is closed so the device can learn it was not taken.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::CommSpecifier;
use crate::hwmgr::{
    CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent,
};

/// The port Intiface Engine's device WebSocket server listens on by default.
pub const DEFAULT_PORT: u16 = 54817;

/// The name of this comm manager.
pub const MANAGER_NAME: &str = "websocket";

/// How long a single frame may take to go out before the device is considered gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`Hardware::write`] waits for its frame to be sent.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing handshake may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long shutdown waits for the listener and the device sockets to finish.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);
/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Queued writes per device.
const COMMAND_QUEUE: usize = 64;
/// Close reasons must fit in a control frame (125 bytes including the 2-byte code).
const MAX_CLOSE_REASON: usize = 120;

/// Tunables of the WebSocket device listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsocketDeviceOptions {
    /// Time from TCP accept until the hello must have arrived (default 5 s).
    pub hello_timeout: Duration,
    /// Gap between server pings; a ping unanswered by the next one disconnects the device
    /// (default 10 s). Zero disables pings.
    pub ping_interval: Duration,
    /// Largest incoming frame and message, in bytes (default 64 KiB); bigger ones disconnect
    /// the device.
    pub max_frame_size: usize,
}

impl Default for WebsocketDeviceOptions {
    fn default() -> Self {
        WebsocketDeviceOptions {
            hello_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(10),
            max_frame_size: 64 * 1024,
        }
    }
}

type Ws = WebSocketStream<TcpStream>;

/// The hello a device sends as its first text frame.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hello {
    identifier: String,
    address: String,
    version: u32,
}

/// Parses and validates a hello; the error is a short reason suitable for a close frame.
fn parse_hello(text: &str) -> Result<Hello, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("hello is not valid JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "hello is not a JSON object".to_string())?;
    let string_field = |key: &str| -> Result<String, String> {
        match object.get(key) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(serde_json::Value::String(_)) => Err(format!("hello field {key:?} is empty")),
            Some(_) => Err(format!("hello field {key:?} is not a string")),
            None => Err(format!("hello has no {key:?} field")),
        }
    };
    let identifier = string_field("identifier")?;
    let address = string_field("address")?;
    let version = match object.get("version") {
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| "hello field \"version\" is not a non-negative integer".to_string())?,
        None => return Err("hello has no \"version\" field".to_string()),
    };
    Ok(Hello {
        identifier,
        address,
        version,
    })
}

/// Cuts a close reason to what fits in a close frame, on a character boundary.
fn short_reason(reason: &str) -> String {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason.to_string();
    }
    let mut end = MAX_CLOSE_REASON;
    while end > 0 && !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason.get(..end).unwrap_or_default().to_string()
}

/// Sends a close frame and waits (briefly) for the peer to finish the closing handshake.
async fn close_socket(ws: &mut Ws, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: short_reason(reason).into(),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
}

/// Lets the peer's close handshake complete (our reply is flushed by further reads).
async fn drain_socket(ws: &mut Ws) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// State of one device connection shared by its task, connector and hardware.
struct DeviceState {
    name: String,
    address: String,
    specifier: CommSpecifier,
    subscribed: Mutex<HashSet<Endpoint>>,
    events: broadcast::Sender<HardwareEvent>,
    alive: AtomicBool,
    /// Cancelled by [`Hardware::disconnect`]; a child of the manager's token.
    cancel: CancellationToken,
}

impl DeviceState {
    fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    fn disconnected(&self) -> DeviceError {
        DeviceError::Disconnected(self.address.clone())
    }

    /// Delivers an incoming frame if anything is subscribed.
    fn deliver(&self, data: Vec<u8>) {
        let endpoint = {
            let subscribed = self.subscribed.lock();
            if subscribed.is_empty() {
                None
            } else if subscribed.contains(&Endpoint::Rx) {
                Some(Endpoint::Rx)
            } else {
                Some(Endpoint::Tx)
            }
        };
        match endpoint {
            Some(endpoint) => {
                let _ = self
                    .events
                    .send(HardwareEvent::Notification { endpoint, data });
            }
            None => {
                tracing::trace!(address = %self.address, len = data.len(),
                    "websocket device frame dropped: nothing subscribed");
            }
        }
    }
}

/// A write queued for the device task.
struct Command {
    data: Vec<u8>,
    reply: oneshot::Sender<Result<(), DeviceError>>,
}

/// Why the device loop ended.
enum LoopEnd {
    /// We close the socket with this code and reason.
    Close(CloseCode, String),
    /// The peer sent a close frame.
    PeerClosed,
    /// The socket failed; nothing more can be sent.
    Broken,
}

/// Runs a device after its hello: writes, incoming frames, pings, until the socket ends.
async fn run_device(
    mut ws: Ws,
    state: Arc<DeviceState>,
    mut commands: mpsc::Receiver<Command>,
    manager_cancel: CancellationToken,
    ping_interval: Duration,
) {
    let pinging = !ping_interval.is_zero();
    let period = ping_interval.max(Duration::from_millis(1));
    let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut awaiting_pong = false;
    let mut ping_seq: u64 = 0;

    let end = loop {
        tokio::select! {
            _ = state.cancel.cancelled() => {
                break if manager_cancel.is_cancelled() {
                    LoopEnd::Close(CloseCode::Away, "server shutting down".to_string())
                } else {
                    LoopEnd::Close(CloseCode::Normal, "disconnected by server".to_string())
                };
            }
            command = commands.recv() => match command {
                Some(Command { data, reply }) => {
                    match tokio::time::timeout(SEND_TIMEOUT, ws.send(Message::Binary(data))).await {
                        Ok(Ok(())) => {
                            let _ = reply.send(Ok(()));
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(address = %state.address, error = %e,
                                "websocket device write failed");
                            let _ = reply.send(Err(state.disconnected()));
                            break LoopEnd::Broken;
                        }
                        Err(_) => {
                            tracing::warn!(address = %state.address,
                                "websocket device write timed out; dropping the device");
                            let _ = reply.send(Err(state.disconnected()));
                            break LoopEnd::Broken;
                        }
                    }
                }
                None => {
                    tracing::debug!(address = %state.address,
                        "websocket device released; closing its socket");
                    break LoopEnd::Close(CloseCode::Normal, "device not taken by the server".to_string());
                }
            },
            message = ws.next() => match message {
                Some(Ok(Message::Binary(data))) => state.deliver(data),
                Some(Ok(Message::Text(text))) => state.deliver(text.into_bytes()),
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                Some(Ok(Message::Ping(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    tracing::debug!(address = %state.address, ?frame, "websocket device closed");
                    break LoopEnd::PeerClosed;
                }
                Some(Err(e)) => {
                    tracing::debug!(address = %state.address, error = %e,
                        "websocket device socket failed");
                    break LoopEnd::Broken;
                }
                None => break LoopEnd::Broken,
            },
            _ = ticker.tick(), if pinging => {
                if awaiting_pong {
                    tracing::warn!(address = %state.address,
                        "websocket device did not answer a ping; disconnecting");
                    break LoopEnd::Close(CloseCode::Policy, "ping timeout".to_string());
                }
                awaiting_pong = true;
                ping_seq = ping_seq.wrapping_add(1);
                let ping = Message::Ping(ping_seq.to_be_bytes().to_vec());
                match tokio::time::timeout(SEND_TIMEOUT, ws.send(ping)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::debug!(address = %state.address, error = %e,
                            "websocket device ping failed");
                        break LoopEnd::Broken;
                    }
                    Err(_) => {
                        tracing::warn!(address = %state.address,
                            "websocket device ping timed out; disconnecting");
                        break LoopEnd::Broken;
                    }
                }
            }
        }
    };

    // Fail queued and future writes at once, then tell listeners, then say goodbye.
    state.alive.store(false, Ordering::SeqCst);
    commands.close();
    drop(commands);
    state.subscribed.lock().clear();
    let _ = state.events.send(HardwareEvent::Disconnected);
    tracing::info!(address = %state.address, name = %state.name, "websocket device disconnected");
    match end {
        LoopEnd::Close(code, reason) => close_socket(&mut ws, code, &reason).await,
        LoopEnd::PeerClosed => drain_socket(&mut ws).await,
        LoopEnd::Broken => {}
    }
}

/// What the listener and connection tasks share.
struct ListenerContext {
    events: CommEventSender,
    options: WebsocketDeviceOptions,
    cancel: CancellationToken,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

/// Handles one TCP connection: WebSocket handshake, hello, then the device loop.
async fn handle_connection(stream: TcpStream, peer: SocketAddr, ctx: Arc<ListenerContext>) {
    let deadline = Instant::now() + ctx.options.hello_timeout;
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig {
        max_message_size: Some(ctx.options.max_frame_size),
        max_frame_size: Some(ctx.options.max_frame_size),
        ..WebSocketConfig::default()
    };
    let handshake = tokio::time::timeout_at(
        deadline,
        tokio_tungstenite::accept_async_with_config(stream, Some(config)),
    );
    let mut ws = tokio::select! {
        _ = ctx.cancel.cancelled() => return,
        result = handshake => match result {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                tracing::warn!(%peer, error = %e, "websocket device handshake failed");
                return;
            }
            Err(_) => {
                tracing::warn!(%peer, "websocket device handshake timed out");
                return;
            }
        },
    };

    let hello = loop {
        let next = tokio::time::timeout_at(deadline, ws.next());
        let message = tokio::select! {
            _ = ctx.cancel.cancelled() => {
                close_socket(&mut ws, CloseCode::Away, "server shutting down").await;
                return;
            }
            message = next => message,
        };
        let reason = match message {
            Err(_) => format!("no hello within {:?}", ctx.options.hello_timeout),
            Ok(None) => {
                tracing::debug!(%peer, "websocket device left before its hello");
                return;
            }
            Ok(Some(Err(e))) => {
                tracing::warn!(%peer, error = %e, "websocket device failed before its hello");
                return;
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => continue,
            Ok(Some(Ok(Message::Close(_)))) => {
                tracing::debug!(%peer, "websocket device closed before its hello");
                drain_socket(&mut ws).await;
                return;
            }
            Ok(Some(Ok(Message::Binary(_)))) => "the first frame must be a text hello".to_string(),
            Ok(Some(Ok(Message::Text(text)))) => match parse_hello(&text) {
                Ok(hello) => break hello,
                Err(reason) => reason,
            },
        };
        tracing::warn!(%peer, %reason, "websocket device refused: bad hello");
        close_socket(&mut ws, CloseCode::Policy, &reason).await;
        return;
    };

    tracing::info!(%peer, identifier = %hello.identifier, address = %hello.address,
        version = hello.version, "websocket device connected");
    let (events, _) = broadcast::channel(256);
    let state = Arc::new(DeviceState {
        name: hello.identifier.clone(),
        address: hello.address,
        specifier: CommSpecifier::Websocket {
            name: hello.identifier,
        },
        subscribed: Mutex::new(HashSet::new()),
        events,
        alive: AtomicBool::new(true),
        cancel: ctx.cancel.child_token(),
    });
    let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    let connector = WebsocketConnector {
        state: state.clone(),
        commands: commands_tx,
    };
    if ctx
        .events
        .send(CommEvent::DeviceFound(Box::new(connector)))
        .is_err()
    {
        tracing::warn!(%peer, "websocket device refused: no device manager is listening");
        close_socket(&mut ws, CloseCode::Away, "server is not accepting devices").await;
        return;
    }
    run_device(
        ws,
        state,
        commands_rx,
        ctx.cancel.clone(),
        ctx.options.ping_interval,
    )
    .await;
}

/// Accepts connections until cancelled.
async fn listen(listener: TcpListener, ctx: Arc<ListenerContext>) {
    loop {
        let accepted = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                tracing::debug!(%peer, "websocket device connection accepted");
                let task = tokio::spawn(handle_connection(stream, peer, ctx.clone()));
                let mut connections = ctx.connections.lock();
                connections.retain(|h| !h.is_finished());
                connections.push(task);
            }
            Err(e) => {
                tracing::warn!(error = %e, "websocket device listener accept failed");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => break,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                }
            }
        }
    }
    tracing::debug!("websocket device listener stopped");
}

/// A device that sent its hello, not yet connected by the device manager.
struct WebsocketConnector {
    state: Arc<DeviceState>,
    commands: mpsc::Sender<Command>,
}

#[async_trait]
impl HardwareConnector for WebsocketConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.state.specifier
    }

    fn address(&self) -> &str {
        &self.state.address
    }

    fn name(&self) -> &str {
        &self.state.name
    }

    async fn connect(
        &mut self,
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if !self.state.is_alive() {
            return Err(self.state.disconnected());
        }
        Ok(Arc::new(WebsocketHardware {
            state: Arc::clone(&self.state),
            commands: self.commands.clone(),
        }))
    }
}

/// A connected WebSocket device.
struct WebsocketHardware {
    state: Arc<DeviceState>,
    commands: mpsc::Sender<Command>,
}

impl WebsocketHardware {
    fn check_alive(&self) -> Result<(), DeviceError> {
        if self.state.is_alive() {
            Ok(())
        } else {
            Err(self.state.disconnected())
        }
    }
}

#[async_trait]
impl Hardware for WebsocketHardware {
    fn name(&self) -> &str {
        &self.state.name
    }

    fn address(&self) -> &str {
        &self.state.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Rx, Endpoint::Tx]
    }

    async fn write(
        &self,
        _endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.check_alive()?;
        let (reply, answer) = oneshot::channel();
        let command = Command {
            data: data.to_vec(),
            reply,
        };
        let sent = tokio::time::timeout(WRITE_TIMEOUT, async {
            self.commands
                .send(command)
                .await
                .map_err(|_| self.state.disconnected())?;
            answer.await.map_err(|_| self.state.disconnected())?
        })
        .await;
        match sent {
            Ok(result) => result,
            Err(_) => Err(DeviceError::Timeout(format!(
                "write to websocket device {}",
                self.state.address
            ))),
        }
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "websocket device {} does not support reads (endpoint {endpoint})",
            self.state.address
        )))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check_alive()?;
        self.state.subscribed.lock().insert(endpoint);
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.check_alive()?;
        self.state.subscribed.lock().remove(&endpoint);
        Ok(())
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.state.events.subscribe()
    }

    async fn disconnect(&self) {
        self.state.cancel.cancel();
    }
}

/// The WebSocket device comm manager: a listener devices connect to.
pub struct WebsocketCommManager {
    local_addr: SocketAddr,
    scan_requested: AtomicBool,
    ctx: Arc<ListenerContext>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

/// The former name of [`WebsocketCommManager`], kept for one release.
#[deprecated(note = "renamed `WebsocketCommManager`, like every other comm manager")]
pub type WebsocketDeviceManager = WebsocketCommManager;

impl std::fmt::Debug for WebsocketCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebsocketCommManager")
            .field("local_addr", &self.local_addr)
            .field("shut_down", &self.ctx.cancel.is_cancelled())
            .finish()
    }
}

impl WebsocketCommManager {
    /// Binds `addr` (port 0 picks a free port, see [`local_addr`](Self::local_addr)) and starts
    /// accepting devices with the default options. Discovered devices go to `events`.
    pub async fn start(
        addr: SocketAddr,
        events: CommEventSender,
    ) -> Result<Arc<WebsocketCommManager>, DeviceError> {
        Self::start_with_options(addr, events, WebsocketDeviceOptions::default()).await
    }

    /// Like [`start`](Self::start), with explicit options.
    pub async fn start_with_options(
        addr: SocketAddr,
        events: CommEventSender,
        options: WebsocketDeviceOptions,
    ) -> Result<Arc<WebsocketCommManager>, DeviceError> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            DeviceError::Hardware(format!(
                "cannot listen for websocket devices on {addr}: {e}"
            ))
        })?;
        let local_addr = listener.local_addr().map_err(|e| {
            DeviceError::Hardware(format!("websocket device listener has no address: {e}"))
        })?;
        tracing::info!(%local_addr, "listening for websocket devices");
        let ctx = Arc::new(ListenerContext {
            events,
            options,
            cancel: CancellationToken::new(),
            connections: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(listen(listener, ctx.clone()));
        Ok(Arc::new(WebsocketCommManager {
            local_addr,
            scan_requested: AtomicBool::new(false),
            ctx,
            listener: Mutex::new(Some(task)),
        }))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// True between `start_scanning` and `stop_scanning`. Informational only: devices are
    /// accepted whether or not a scan was requested.
    pub fn scan_requested(&self) -> bool {
        self.scan_requested.load(Ordering::SeqCst)
    }
}

impl Drop for WebsocketCommManager {
    fn drop(&mut self) {
        // Without a shutdown, still release the port and the device sockets.
        self.ctx.cancel.cancel();
    }
}

#[async_trait]
impl CommManager for WebsocketCommManager {
    fn name(&self) -> &'static str {
        MANAGER_NAME
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        self.scan_requested.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        self.scan_requested.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        // Devices connect on their own; this manager never holds a scan open.
        false
    }

    async fn shutdown(&self) {
        self.ctx.cancel.cancel();
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        let listener = self.listener.lock().take();
        if let Some(listener) = listener {
            let _ = tokio::time::timeout_at(deadline, listener).await;
        }
        let connections: Vec<JoinHandle<()>> = self.ctx.connections.lock().drain(..).collect();
        for connection in connections {
            if tokio::time::timeout_at(deadline, connection).await.is_err() {
                tracing::warn!("websocket device connection did not close in time");
                break;
            }
        }
        tracing::debug!(local_addr = %self.local_addr, "websocket device manager shut down");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::sync::mpsc::UnboundedReceiver;
    use tokio_tungstenite::MaybeTlsStream;

    type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

    const WAIT: Duration = Duration::from_secs(3);

    fn loopback() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    async fn manager(
        options: WebsocketDeviceOptions,
    ) -> (Arc<WebsocketCommManager>, UnboundedReceiver<CommEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let m = WebsocketCommManager::start_with_options(loopback(), tx, options)
            .await
            .unwrap();
        (m, rx)
    }

    async fn client(m: &WebsocketCommManager) -> Client {
        let url = format!("ws://{}", m.local_addr());
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    fn hello(identifier: &str, address: &str) -> Message {
        Message::Text(format!(
            r#"{{"identifier": "{identifier}", "address": "{address}", "version": 0}}"#
        ))
    }

    async fn found(rx: &mut UnboundedReceiver<CommEvent>) -> Box<dyn HardwareConnector> {
        match tokio::time::timeout(WAIT, rx.recv()).await {
            Ok(Some(CommEvent::DeviceFound(c))) => c,
            other => panic!("expected DeviceFound, got {other:?}"),
        }
    }

    async fn device(
        m: &WebsocketCommManager,
        rx: &mut UnboundedReceiver<CommEvent>,
        address: &str,
    ) -> (Client, Arc<dyn Hardware>) {
        let mut c = client(m).await;
        c.send(hello("LVSDevice", address)).await.unwrap();
        let hw = found(rx).await.connect(&[]).await.unwrap();
        (c, hw)
    }

    /// Next data or close message the client sees (pings are skipped).
    async fn client_next(c: &mut Client) -> Option<Message> {
        loop {
            match tokio::time::timeout(WAIT, c.next())
                .await
                .expect("client timed out")
            {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(m)) => return Some(m),
                Some(Err(_)) | None => return None,
            }
        }
    }

    async fn expect_close(c: &mut Client, code: CloseCode) -> String {
        match client_next(c).await {
            Some(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, code);
                // finish the closing handshake so the server is not kept waiting
                while client_next(c).await.is_some() {}
                frame.reason.to_string()
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    async fn next_event(events: &mut broadcast::Receiver<HardwareEvent>) -> HardwareEvent {
        tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("no hardware event")
            .expect("event channel closed")
    }

    #[test]
    fn hello_parsing() {
        let h = parse_hello(r#"{"identifier":"X","address":"a1","version":0,"extra":1}"#).unwrap();
        assert_eq!(
            h,
            Hello {
                identifier: "X".into(),
                address: "a1".into(),
                version: 0
            }
        );
        for bad in [
            "not json",
            "[1,2]",
            r#"{"identifier":1,"address":"a","version":0}"#,
            r#"{"identifier":"X","address":"","version":0}"#,
            r#"{"identifier":"X","version":0}"#,
            r#"{"identifier":"X","address":"a","version":"0"}"#,
            r#"{"identifier":"X","address":"a","version":-1}"#,
            r#"{"identifier":"X","address":"a"}"#,
        ] {
            assert!(parse_hello(bad).is_err(), "{bad} accepted");
        }
        let long = "é".repeat(200);
        let cut = short_reason(&long);
        assert!(cut.len() <= MAX_CLOSE_REASON && long.starts_with(&cut));
    }

    #[tokio::test]
    async fn found_write_and_notify() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        assert_eq!(m.name(), "websocket");
        m.start_scanning().await.unwrap();
        assert!(!m.is_scanning());
        assert!(m.scan_requested());

        let mut c = client(&m).await;
        c.send(hello("LVSDevice", "sim-0001")).await.unwrap();
        let mut connector = found(&mut rx).await;
        assert_eq!(
            connector.specifier(),
            &CommSpecifier::Websocket {
                name: "LVSDevice".into()
            }
        );
        assert_eq!(connector.address(), "sim-0001");
        assert_eq!(connector.name(), "LVSDevice");
        let hw = connector.connect(&[]).await.unwrap();
        assert_eq!(hw.name(), "LVSDevice");
        assert_eq!(hw.address(), "sim-0001");
        assert_eq!(hw.endpoints(), vec![Endpoint::Rx, Endpoint::Tx]);

        hw.write(Endpoint::Tx, b"Vibrate:5;\x00\xff", false)
            .await
            .unwrap();
        assert_eq!(
            client_next(&mut c).await,
            Some(Message::Binary(b"Vibrate:5;\x00\xff".to_vec()))
        );
        hw.write(Endpoint::Generic(3), &[1, 2], true).await.unwrap();
        assert_eq!(client_next(&mut c).await, Some(Message::Binary(vec![1, 2])));

        let mut events = hw.events();
        // nothing subscribed: dropped
        c.send(Message::Binary(b"early".to_vec())).await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(100), events.recv())
                .await
                .is_err()
        );

        hw.subscribe(Endpoint::Rx).await.unwrap();
        c.send(Message::Binary(b"Z:11:0082059AD3BD;".to_vec()))
            .await
            .unwrap();
        assert_eq!(
            next_event(&mut events).await,
            HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data: b"Z:11:0082059AD3BD;".to_vec()
            }
        );
        c.send(Message::Text("85;".into())).await.unwrap();
        assert_eq!(
            next_event(&mut events).await,
            HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data: b"85;".to_vec()
            }
        );

        hw.unsubscribe(Endpoint::Rx).await.unwrap();
        hw.subscribe(Endpoint::Tx).await.unwrap();
        c.send(Message::Binary(vec![9])).await.unwrap();
        assert_eq!(
            next_event(&mut events).await,
            HardwareEvent::Notification {
                endpoint: Endpoint::Tx,
                data: vec![9]
            }
        );

        assert!(matches!(
            hw.read(Endpoint::Rx, 0, Duration::from_millis(10)).await,
            Err(DeviceError::NotSupported(_))
        ));
        drop(c);
        m.shutdown().await;
    }

    #[tokio::test]
    async fn bad_hellos_close_the_socket() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        for bad in [
            Message::Text("not json".into()),
            Message::Text(r#"{"identifier": 5, "address": "a", "version": 0}"#.into()),
            Message::Text(r#"{"identifier": "X", "address": "a", "version": "zero"}"#.into()),
            Message::Text(r#"{"identifier": "X", "version": 0}"#.into()),
            Message::Binary(b"{}".to_vec()),
        ] {
            let mut c = client(&m).await;
            c.send(bad).await.unwrap();
            let reason = expect_close(&mut c, CloseCode::Policy).await;
            assert!(!reason.is_empty());
        }
        // garbage that is not even a WebSocket handshake
        let mut raw = TcpStream::connect(m.local_addr()).await.unwrap();
        raw.write_all(b"\x00\x01garbage\r\n\r\n").await.unwrap();
        drop(raw);
        // none of them was reported, and the listener still works
        let (c, hw) = device(&m, &mut rx, "good").await;
        assert_eq!(hw.address(), "good");
        assert!(rx.try_recv().is_err());
        drop(c);
        m.shutdown().await;
    }

    #[tokio::test]
    async fn missing_hello_times_out() {
        let options = WebsocketDeviceOptions {
            hello_timeout: Duration::from_millis(200),
            ..WebsocketDeviceOptions::default()
        };
        let (m, mut rx) = manager(options).await;
        let mut c = client(&m).await;
        let reason = expect_close(&mut c, CloseCode::Policy).await;
        assert!(reason.contains("no hello"), "{reason}");
        assert!(rx.try_recv().is_err());
        m.shutdown().await;
    }

    #[tokio::test]
    async fn client_close_disconnects() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        let (mut c, hw) = device(&m, &mut rx, "sim-2").await;
        let mut events = hw.events();
        c.close(None).await.unwrap();
        assert_eq!(next_event(&mut events).await, HardwareEvent::Disconnected);
        assert!(matches!(
            hw.write(Endpoint::Tx, b"x", false).await,
            Err(DeviceError::Disconnected(a)) if a == "sim-2"
        ));
        assert!(hw.subscribe(Endpoint::Rx).await.is_err());
        m.shutdown().await;
    }

    #[tokio::test]
    async fn peer_vanishing_mid_frame_disconnects() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        let (mut c, hw) = device(&m, &mut rx, "sim-3").await;
        let mut events = hw.events();
        hw.subscribe(Endpoint::Rx).await.unwrap();
        // a masked binary frame header announcing 200 bytes, then only 3 of them
        let partial = [0x82, 0x80 | 126, 0x00, 200, 1, 2, 3, 4, 9, 9, 9];
        if let MaybeTlsStream::Plain(tcp) = c.get_mut() {
            tcp.write_all(&partial).await.unwrap();
            tcp.flush().await.unwrap();
        } else {
            panic!("expected a plain TCP stream");
        }
        drop(c);
        assert_eq!(next_event(&mut events).await, HardwareEvent::Disconnected);
        assert!(hw.write(Endpoint::Tx, b"x", false).await.is_err());
        m.shutdown().await;
    }

    #[tokio::test]
    async fn oversized_frame_disconnects() {
        let options = WebsocketDeviceOptions {
            max_frame_size: 1024,
            ..WebsocketDeviceOptions::default()
        };
        let (m, mut rx) = manager(options).await;
        let (mut c, hw) = device(&m, &mut rx, "sim-4").await;
        let mut events = hw.events();
        hw.subscribe(Endpoint::Rx).await.unwrap();
        c.send(Message::Binary(vec![0; 512])).await.unwrap();
        assert!(matches!(
            next_event(&mut events).await,
            HardwareEvent::Notification { .. }
        ));
        let _ = c.send(Message::Binary(vec![0; 4096])).await;
        assert_eq!(next_event(&mut events).await, HardwareEvent::Disconnected);
        m.shutdown().await;
    }

    #[tokio::test]
    async fn unanswered_pings_disconnect() {
        let options = WebsocketDeviceOptions {
            ping_interval: Duration::from_millis(100),
            ..WebsocketDeviceOptions::default()
        };
        let (m, mut rx) = manager(options).await;

        // this client answers pings (tungstenite replies while reading)
        let (mut lively, lively_hw) = device(&m, &mut rx, "lively").await;
        let reader = tokio::spawn(async move {
            let mut pings = 0;
            while let Some(Ok(msg)) = lively.next().await {
                if matches!(msg, Message::Ping(_)) {
                    pings += 1;
                }
            }
            pings
        });

        // this one never reads, so never answers
        let (silent, silent_hw) = device(&m, &mut rx, "silent").await;
        let mut silent_events = silent_hw.events();
        assert_eq!(
            next_event(&mut silent_events).await,
            HardwareEvent::Disconnected
        );
        drop(silent);

        tokio::time::sleep(Duration::from_millis(350)).await;
        lively_hw.write(Endpoint::Tx, b"ok", false).await.unwrap();
        m.shutdown().await;
        let pings = tokio::time::timeout(WAIT, reader).await.unwrap().unwrap();
        assert!(pings >= 2, "only {pings} pings");
    }

    #[tokio::test]
    async fn hardware_disconnect_and_release_close_the_socket() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        let (mut c, hw) = device(&m, &mut rx, "sim-5").await;
        let mut events = hw.events();
        hw.disconnect().await;
        assert_eq!(next_event(&mut events).await, HardwareEvent::Disconnected);
        expect_close(&mut c, CloseCode::Normal).await;
        assert!(hw.write(Endpoint::Tx, b"x", false).await.is_err());

        // a device the device manager drops without connecting is closed
        let mut c = client(&m).await;
        c.send(hello("Unknown", "sim-6")).await.unwrap();
        drop(found(&mut rx).await);
        expect_close(&mut c, CloseCode::Normal).await;

        // connecting a device whose socket is gone fails
        let mut c = client(&m).await;
        c.send(hello("Gone", "sim-7")).await.unwrap();
        let mut connector = found(&mut rx).await;
        c.close(None).await.unwrap();
        while client_next(&mut c).await.is_some() {}
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(
            connector.connect(&[]).await,
            Err(DeviceError::Disconnected(_))
        ));
        m.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_closes_everything() {
        let (m, mut rx) = manager(WebsocketDeviceOptions::default()).await;
        let (mut connected, hw) = device(&m, &mut rx, "sim-8").await;
        let mut events = hw.events();
        let mut pending = client(&m).await;
        pending.send(hello("Pending", "sim-9")).await.unwrap();
        let _connector = found(&mut rx).await;
        let mut silent = client(&m).await;

        let stopping = tokio::spawn({
            let m = m.clone();
            async move { m.shutdown().await }
        });
        assert_eq!(next_event(&mut events).await, HardwareEvent::Disconnected);
        expect_close(&mut connected, CloseCode::Away).await;
        expect_close(&mut pending, CloseCode::Away).await;
        expect_close(&mut silent, CloseCode::Away).await;
        tokio::time::timeout(WAIT, stopping).await.unwrap().unwrap();
        assert!(matches!(
            hw.write(Endpoint::Tx, b"x", false).await,
            Err(DeviceError::Disconnected(_))
        ));
        // the listener is gone
        let url = format!("ws://{}", m.local_addr());
        assert!(tokio_tungstenite::connect_async(url).await.is_err());
        // a second shutdown is harmless
        m.shutdown().await;
    }
}
