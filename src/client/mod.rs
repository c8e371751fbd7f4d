//! The Buttplug client: connects to a server (over a WebSocket, or in the same process through
//! the connector of [`crate::engine`], where client and server meet), performs the handshake,
//! tracks the server's devices and sends them commands.
//!
//! ```no_run
//! # async fn demo() -> Result<(), haptix::Error> {
//! use haptix::client::{Client, ClientEvent};
//!
//! let client = Client::connect_websocket("ws://127.0.0.1:12345", "My App").await?;
//! let mut events = client.events();
//! client.start_scanning().await?;
//! while let Some(event) = events.recv().await {
//!     if let ClientEvent::DeviceAdded(device) = event {
//!         device.vibrate(0.5).await?;
//!         break;
//!     }
//! }
//! client.disconnect().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! Each connection has one task reading what the server sends. Requests are numbered from 1;
//! each waits on a oneshot registered under its Id and completes exactly once: with the reply,
//! with [`Error::Server`] when the server answers `Error`, with
//! [`TransportError::Closed`] when the connection ends, or with [`RuntimeError::Timeout`]
//! after the request timeout ([`REQUEST_TIMEOUT`] unless [`ClientSettings`] sets another).
//! Messages with Id 0 (or an Id nobody waits for) are events. v4
//! device lists are diffed against the known devices to produce
//! [`ClientEvent::DeviceAdded`] / [`ClientEvent::DeviceRemoved`]; v3 `DeviceAdded` and
//! `DeviceRemoved` map directly. When the server sets `MaxPingTime`, a task sends `Ping` every
//! half interval.
//!
//! Every request also has a form that does not wait (`start_*`): it is sent to the server
//! before the call returns and its outcome goes to a callback. Requests are sent in the order
//! they are made, whatever their kind, so a stop followed by an output reaches the device in
//! that order.
//!
//! A server cannot make the client hang or grow without bound: opening a WebSocket connection
//! (TCP and the upgrade) is bounded in time, every request by its timeout (whose error names
//! the request and any server messages that could not be decoded meanwhile), a server message
//! by [`MAX_SERVER_FRAME`] and the device list by [`MAX_DEVICES`]; breaking either limit ends
//! the connection, and [`Client::close_reason`] says why a connection ended.
//!
//! The connection stays open while any clone of the [`Client`] exists. Dropping the last clone
//! closes it without waiting (the server then stops every device); [`Client::disconnect`] does
//! the same and waits for the connection's tasks to end.

pub(crate) mod connector;
mod device;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::core::messages::{
    ClientMessage, DeviceInfo, InputReadingValue, MessageId, ServerMessage,
};
use crate::core::types::SpecVersion;
use crate::error::{Error, ProtocolError, RuntimeError, TransportError};

use connector::{Connection, Inbound, Transport};
pub use device::{ClientDevice, OutputDone, OutputValue};

/// How long a request waits for its reply unless [`ClientSettings::request_timeout`] says
/// otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest message a server may send the client over a WebSocket, in bytes (4 MiB), whole
/// or in fragments. The client refuses a frame whose header announces more before reading it
/// (and a fragmented message once its fragments add up to more), and ends the connection;
/// [`Client::close_reason`] then names the size and this limit.
pub const MAX_SERVER_FRAME: usize = 4 << 20;

/// The shortest period of the client's automatic pings (10 ms). A client pings every half of
/// the `MaxPingTime` its server names, but no more often than this: a server that names a
/// `MaxPingTime` of a few milliseconds (which no network round trip could meet anyway) gets a
/// ping every 10 ms, not a busy loop of pings.
pub const MIN_PING_PERIOD: Duration = Duration::from_millis(10);

/// The most devices a client keeps track of (1024, far more than a server ever has). A server
/// that announces more, in one device list or by `DeviceAdded` events adding up, is not
/// followed: the client ends the connection and [`Client::close_reason`] names this limit, so
/// a hostile server cannot grow the client's memory without bound.
pub const MAX_DEVICES: usize = 1024;

/// How a client presents itself and how long its requests wait.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Name sent in the handshake.
    pub client_name: String,
    /// How long each request (the handshake included) waits for its reply.
    pub request_timeout: Duration,
}

impl ClientSettings {
    /// Settings with this name and the default timeout.
    pub fn named(client_name: &str) -> ClientSettings {
        ClientSettings {
            client_name: client_name.to_string(),
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// Called exactly once with the outcome of a request started without waiting. Runs on a
/// connection task, or inline when the request is refused or answered at once. It must not
/// block.
pub type Done<T> = Box<dyn FnOnce(Result<T, Error>) + Send>;

/// Waits for the outcome of a request started with a `start_*` method.
async fn outcome<T: Send + 'static>(start: impl FnOnce(Done<T>)) -> Result<T, Error> {
    let (tx, rx) = oneshot::channel();
    start(Box::new(move |result| {
        let _ = tx.send(result);
    }));
    rx.await
        .unwrap_or_else(|_| Err(TransportError::Closed.into()))
}

/// How long [`Client::disconnect`] waits for the server side to end the connection, and then
/// again for the connection's tasks to finish.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Something that happened on the server side, delivered by [`Client::events`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A device connected (or was found in a device list for the first time).
    DeviceAdded(ClientDevice),
    /// The device with this index disconnected.
    DeviceRemoved(u32),
    /// Scanning ended without the client asking (`ScanningFinished`).
    ScanningFinished,
    /// A reading from an input subscription.
    InputReading {
        /// Device index.
        device_index: u32,
        /// Feature index (for a v3 server, the synthesised feature of the sensor).
        feature_index: u32,
        /// The value.
        reading: InputReadingValue,
    },
    /// The server sent an `Error` that answers no request (for example the ping timeout).
    ServerError(String),
    /// The connection ended. No events follow.
    Disconnected,
}

/// A connection to a Buttplug server.
///
/// Cheap to clone; all clones share the connection. See the [module documentation](self).
#[derive(Clone)]
pub struct Client {
    handle: Arc<ClientHandle>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.handle.shared;
        f.debug_struct("Client")
            .field("server_name", &*shared.server_name.lock())
            .field("spec_version", &shared.version)
            .field("connected", &shared.is_connected())
            .finish()
    }
}

/// Owned by the [`Client`] clones only; dropping it closes the connection.
struct ClientHandle {
    shared: Arc<Shared>,
}

impl Drop for ClientHandle {
    fn drop(&mut self) {
        if self.shared.is_connected() {
            tracing::debug!("client dropped; closing the connection");
        }
        self.shared.transport.close();
        self.shared.connection_lost("client dropped");
    }
}

/// Called exactly once with the outcome of a request started without waiting
/// ([`ClientDevice::start_output`]); runs on a connection task, or inline when the request is
/// refused before it is sent. It must not block.
pub type Completion = Box<dyn FnOnce(Result<ServerMessage, Error>) + Send>;

/// Who waits for a reply: an async request, or a completion callback with its deadline.
enum Waiter {
    Channel(oneshot::Sender<Result<ServerMessage, Error>>),
    Callback {
        done: Completion,
        deadline: tokio::time::Instant,
        /// The request's message name, for the timeout error.
        name: &'static str,
        /// [`Undecodable::count`] when the request was sent.
        undecodable: u64,
    },
}

impl Waiter {
    fn complete(self, result: Result<ServerMessage, Error>) {
        match self {
            Waiter::Channel(tx) => {
                let _ = tx.send(result);
            }
            Waiter::Callback { done, .. } => done(result),
        }
    }
}

/// Requests waiting for their reply.
struct Pending {
    /// Set once the connection ended; no request may register after that.
    closed: bool,
    waiters: HashMap<MessageId, Waiter>,
}

/// Server messages that could not be decoded and answered no request (their Id unreadable or
/// unknown). A request that times out says whether such messages came meanwhile: the
/// likeliest reason it got no reply.
#[derive(Default)]
struct Undecodable {
    count: u64,
    last: String,
}

/// State shared by the client, its devices and its connection tasks.
pub(crate) struct Shared {
    version: SpecVersion,
    request_timeout: Duration,
    transport: Box<dyn Transport>,
    server_name: Mutex<String>,
    next_id: AtomicU32,
    pending: Mutex<Pending>,
    devices: Mutex<BTreeMap<u32, Arc<DeviceInfo>>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<ClientEvent>>>,
    connected: AtomicBool,
    undecodable: Mutex<Undecodable>,
    /// Why the connection ended, once it has (the first reason reported wins).
    close_reason: Mutex<Option<String>>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// Removes a request's waiter when the request future ends, however it ends.
struct WaiterGuard<'a> {
    shared: &'a Shared,
    id: MessageId,
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.shared.pending.lock().waiters.remove(&self.id);
    }
}

impl Shared {
    fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    fn next_id(&self) -> MessageId {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Sends a request built for a fresh Id and waits for its reply. An `Error` reply becomes
    /// [`Error::Server`].
    pub(crate) async fn request<F>(&self, build: F) -> Result<ServerMessage, Error>
    where
        F: FnOnce(MessageId) -> ClientMessage,
    {
        let id = self.next_id();
        let (tx, rx) = oneshot::channel();
        let undecodable = self.undecodable.lock().count;
        {
            let mut pending = self.pending.lock();
            if pending.closed {
                return Err(TransportError::Closed.into());
            }
            pending.waiters.insert(id, Waiter::Channel(tx));
        }
        let _guard = WaiterGuard { shared: self, id };
        let message = build(id);
        let name = message.name();
        tracing::trace!(id, message = name, "request");
        if let Some(reply) = self.transport.send(message)? {
            self.answer(reply);
        }
        match tokio::time::timeout(self.request_timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(TransportError::Closed.into()),
            Err(_) => Err(self.timeout_error(name, id, undecodable)),
        }
    }

    /// Sends a request built for a fresh Id without waiting; `done` runs exactly once with the
    /// reply (an `Error` reply becomes [`Error::Server`]), with [`TransportError::Closed`]
    /// when the connection ends first, or with [`RuntimeError::Timeout`] after the request
    /// timeout.
    pub(crate) fn request_with<F>(&self, build: F, done: Completion)
    where
        F: FnOnce(MessageId) -> ClientMessage,
    {
        let id = self.next_id();
        let message = build(id);
        let name = message.name();
        let undecodable = self.undecodable.lock().count;
        {
            let mut pending = self.pending.lock();
            if pending.closed {
                drop(pending);
                done(Err(TransportError::Closed.into()));
                return;
            }
            pending.waiters.insert(
                id,
                Waiter::Callback {
                    done,
                    deadline: tokio::time::Instant::now() + self.request_timeout,
                    name,
                    undecodable,
                },
            );
        }
        tracing::trace!(id, message = name, "request");
        match self.transport.send(message) {
            Ok(None) => {}
            Ok(Some(reply)) => {
                if let Some(unclaimed) = self.answer(reply) {
                    tracing::debug!(message = ?unclaimed, "inline reply nobody waits for");
                }
            }
            Err(e) => {
                if let Some(waiter) = self.take_waiter(id) {
                    waiter.complete(Err(e));
                }
            }
        }
    }

    /// Completes callback requests whose deadline passed.
    fn expire_callbacks(&self) {
        let now = tokio::time::Instant::now();
        let expired: Vec<(MessageId, Waiter)> = {
            let mut pending = self.pending.lock();
            let ids: Vec<MessageId> = pending
                .waiters
                .iter()
                .filter(|(_, w)| matches!(w, Waiter::Callback { deadline, .. } if *deadline <= now))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| pending.waiters.remove(&id).map(|w| (id, w)))
                .collect()
        };
        for (id, waiter) in expired {
            if let Waiter::Callback {
                name, undecodable, ..
            } = waiter
            {
                let error = self.timeout_error(name, id, undecodable);
                waiter.complete(Err(error));
            }
        }
    }

    /// The timeout of request `name` (Id `id`), sent when [`Undecodable::count`] was
    /// `undecodable`: names the request, and the messages that could not be decoded since.
    fn timeout_error(&self, name: &str, id: MessageId, undecodable: u64) -> Error {
        let mut text = format!(
            "no reply to {name} (Id {id}) within {} ms",
            self.request_timeout.as_millis()
        );
        let seen = self.undecodable.lock();
        if seen.count > undecodable {
            text.push_str(&format!(
                "; meanwhile {} server message(s) could not be decoded, the last: {}",
                seen.count - undecodable,
                seen.last
            ));
        }
        RuntimeError::Timeout(text).into()
    }

    /// Sends a request that is answered with `Ok`, without waiting; `done` gets the outcome.
    /// `name` names the request in the error for an unexpected reply.
    pub(crate) fn start_ok<F>(&self, name: &'static str, build: F, done: Done<()>)
    where
        F: FnOnce(MessageId) -> ClientMessage,
    {
        self.request_with(
            build,
            Box::new(move |reply| {
                done(match reply {
                    Ok(ServerMessage::Ok { .. }) => Ok(()),
                    Ok(other) => Err(device::unexpected_reply(name, &other)),
                    Err(e) => Err(e),
                })
            }),
        );
    }

    /// Sends a request that is answered with `Ok`.
    pub(crate) async fn request_ok<F>(&self, build: F) -> Result<(), Error>
    where
        F: FnOnce(MessageId) -> ClientMessage,
    {
        let mut name = "";
        let reply = self
            .request(|id| {
                let message = build(id);
                name = message.name();
                message
            })
            .await?;
        match reply {
            ServerMessage::Ok { .. } => Ok(()),
            other => Err(device::unexpected_reply(name, &other)),
        }
    }

    fn emit(&self, event: ClientEvent) {
        self.subscribers
            .lock()
            .retain(|tx| tx.send(event.clone()).is_ok());
    }

    /// Marks the connection as ended: fails every waiting request, tells subscribers, and
    /// cancels the connection's tasks. Runs once; later calls do nothing.
    fn connection_lost(&self, reason: &str) {
        self.close_reason
            .lock()
            .get_or_insert_with(|| reason.to_string());
        let waiters = {
            let mut pending = self.pending.lock();
            pending.closed = true;
            std::mem::take(&mut pending.waiters)
        };
        // not connected any more before any request learns that the connection closed
        let was_connected = self.connected.swap(false, Ordering::SeqCst);
        for (_, waiter) in waiters {
            waiter.complete(Err(TransportError::Closed.into()));
        }
        if was_connected {
            tracing::info!(%reason, "client connection ended");
            self.emit(ClientEvent::Disconnected);
        }
        self.subscribers.lock().clear();
        self.cancel.cancel();
    }

    /// A request of the handshake failed with `e`: when the connection ended, says why (a
    /// server refusing a client closes the connection with its reason).
    fn handshake_error(&self, e: Error) -> Error {
        if e != Error::Transport(TransportError::Closed) {
            return e;
        }
        match self.close_reason.lock().as_deref() {
            Some(reason) => ProtocolError::Handshake(format!(
                "the server closed the connection during the handshake: {reason}"
            ))
            .into(),
            None => e,
        }
    }

    fn take_waiter(&self, id: MessageId) -> Option<Waiter> {
        self.pending.lock().waiters.remove(&id)
    }

    fn client_device(self: &Arc<Self>, info: Arc<DeviceInfo>) -> ClientDevice {
        ClientDevice::new(info, Arc::clone(self))
    }

    /// Ends the connection because the server broke one of the client's limits.
    fn limit_breached(&self, reason: &str) {
        tracing::warn!(%reason, "closing the connection");
        self.transport.close();
        self.connection_lost(reason);
    }

    fn too_many_devices(&self) {
        self.limit_breached(&format!(
            "the server announced more than {MAX_DEVICES} devices, the client's limit"
        ));
    }

    /// Replaces the known device set with `devices`, emitting the differences. A list longer
    /// than [`MAX_DEVICES`] ends the connection instead; returns false then.
    fn apply_device_list(self: &Arc<Self>, devices: &[DeviceInfo]) -> bool {
        if devices.len() > MAX_DEVICES {
            self.too_many_devices();
            return false;
        }
        let (removed, added) = {
            let mut known = self.devices.lock();
            let (removed, added) = device::diff_devices(&known, devices);
            for index in &removed {
                known.remove(index);
            }
            let added: Vec<Arc<DeviceInfo>> = added
                .into_iter()
                .map(|info| {
                    let info = Arc::new(info);
                    known.insert(info.index, Arc::clone(&info));
                    info
                })
                .collect();
            (removed, added)
        };
        for index in removed {
            self.emit(ClientEvent::DeviceRemoved(index));
        }
        for info in added {
            self.emit(ClientEvent::DeviceAdded(self.client_device(info)));
        }
        true
    }

    /// Adds (or replaces) one device, emitting the difference. A device beyond
    /// [`MAX_DEVICES`] ends the connection instead.
    fn add_device(self: &Arc<Self>, device: DeviceInfo) {
        let index = device.index;
        let (replaced, info) = {
            let mut known = self.devices.lock();
            let replaced = match known.get(&index) {
                Some(old) if **old == device => return,
                Some(_) => true,
                None if known.len() >= MAX_DEVICES => {
                    drop(known);
                    self.too_many_devices();
                    return;
                }
                None => false,
            };
            let info = Arc::new(device);
            known.insert(index, Arc::clone(&info));
            (replaced, info)
        };
        if replaced {
            // same index, different device: reported as gone and back, as in a list
            self.emit(ClientEvent::DeviceRemoved(index));
        }
        self.emit(ClientEvent::DeviceAdded(self.client_device(info)));
    }

    /// Handles one item from the connection.
    fn dispatch(self: &Arc<Self>, item: Inbound) {
        let message = match item {
            Inbound::Message(message) => message,
            Inbound::Undecodable { id, message } => {
                tracing::warn!(id, error = %message, "undecodable server message");
                match (id != 0).then(|| self.take_waiter(id)).flatten() {
                    Some(waiter) => waiter.complete(Err(ProtocolError::Message(format!(
                        "undecodable reply: {message}"
                    ))
                    .into())),
                    None => {
                        let mut seen = self.undecodable.lock();
                        seen.count += 1;
                        seen.last = message;
                    }
                }
                return;
            }
            Inbound::Closed(reason) => {
                self.connection_lost(&reason);
                return;
            }
        };
        // Device lists update the known set in arrival order, whether they answer a request or
        // are events, so a reply can never overwrite a newer event.
        if let ServerMessage::DeviceList { devices, .. } = &message {
            if !self.apply_device_list(devices) {
                return;
            }
        }
        if let Some(message) = self.answer(message) {
            self.on_event(message);
        }
    }

    /// Completes the request a reply answers; gives the message back when nobody waits for
    /// it (it is then an event).
    fn answer(&self, message: ServerMessage) -> Option<ServerMessage> {
        let id = message.id();
        if id == 0 {
            return Some(message);
        }
        let Some(waiter) = self.take_waiter(id) else {
            return Some(message);
        };
        let result = match message {
            ServerMessage::Error {
                code,
                message,
                kind,
                ..
            } => Err(Error::Server {
                code,
                message,
                kind,
            }),
            other => Ok(other),
        };
        waiter.complete(result);
        None
    }

    fn on_event(self: &Arc<Self>, message: ServerMessage) {
        match message {
            ServerMessage::Error {
                message, code, id, ..
            } => {
                tracing::warn!(id, ?code, %message, "server error event");
                self.emit(ClientEvent::ServerError(message));
            }
            ServerMessage::DeviceList { .. } => {}
            ServerMessage::DeviceAdded { device } => self.add_device(device),
            ServerMessage::DeviceRemoved { device_index } => {
                let removed = self.devices.lock().remove(&device_index).is_some();
                if removed {
                    self.emit(ClientEvent::DeviceRemoved(device_index));
                }
            }
            ServerMessage::ScanningFinished => self.emit(ClientEvent::ScanningFinished),
            ServerMessage::InputReading {
                device_index,
                feature_index,
                reading,
                ..
            } => self.emit(ClientEvent::InputReading {
                device_index,
                feature_index,
                reading,
            }),
            ServerMessage::SensorReading {
                device_index,
                sensor_index,
                sensor_type,
                data,
                ..
            } => {
                let info = self.devices.lock().get(&device_index).cloned();
                let mapped = info.and_then(|info| {
                    device::legacy_reading(&info, sensor_index, &sensor_type, &data)
                });
                match mapped {
                    Some((feature_index, reading)) => self.emit(ClientEvent::InputReading {
                        device_index,
                        feature_index,
                        reading,
                    }),
                    None => tracing::debug!(
                        device_index,
                        sensor_index,
                        %sensor_type,
                        "ignoring a sensor reading that maps to no known input"
                    ),
                }
            }
            other => tracing::debug!(message = ?other, "ignoring unsolicited server message"),
        }
    }
}

/// The connection task: hands every inbound item to [`Shared::dispatch`] until the connection
/// ends or the client is shut down.
async fn run_connection(shared: Arc<Shared>, mut inbound: mpsc::UnboundedReceiver<Inbound>) {
    loop {
        let item = tokio::select! {
            _ = shared.cancel.cancelled() => break,
            item = inbound.recv() => item,
        };
        match item {
            Some(item) => {
                let closed = matches!(item, Inbound::Closed(_));
                shared.dispatch(item);
                // the item may have made the client end the connection (a breached limit)
                if closed || shared.cancel.is_cancelled() {
                    break;
                }
            }
            None => {
                shared.connection_lost("connection closed");
                break;
            }
        }
    }
}

/// The sweeper: completes callback requests that outlived the request timeout.
async fn run_sweeper(shared: Arc<Shared>) {
    // a twentieth of the timeout, so a request times out at most 5 % late
    let period =
        (shared.request_timeout / 20).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => break,
            _ = ticks.tick() => shared.expire_callbacks(),
        }
    }
}

/// The ping task: one `Ping` every half `MaxPingTime`, at most every [`MIN_PING_PERIOD`].
async fn run_pings(shared: Arc<Shared>, max_ping_time: u32) {
    let period = Duration::from_millis(u64::from(max_ping_time / 2)).max(MIN_PING_PERIOD);
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        match shared.request_ok(|id| ClientMessage::Ping { id }).await {
            Ok(()) => {}
            Err(Error::Transport(_)) => break,
            Err(e) => tracing::warn!(error = %e, "automatic ping failed"),
        }
    }
}

impl Client {
    /// Connects to a server over a WebSocket (`ws://host:port`).
    ///
    /// The handshake is tried as spec v4 first. If the server refuses it (answers `Error`,
    /// closes the connection or sends something unreadable), the client reconnects and
    /// handshakes as spec v3; commands are then converted to v3 messages.
    pub async fn connect_websocket(url: &str, client_name: &str) -> Result<Client, Error> {
        Client::connect_websocket_with(url, &ClientSettings::named(client_name)).await
    }

    /// [`Client::connect_websocket`] with explicit settings.
    pub async fn connect_websocket_with(
        url: &str,
        settings: &ClientSettings,
    ) -> Result<Client, Error> {
        match Client::connect_websocket_version(url, settings, SpecVersion::V4).await {
            Ok(client) => Ok(client),
            Err(e @ Error::Transport(TransportError::Connect(_))) => Err(e),
            Err(e) => {
                tracing::info!(error = %e, "spec v4 handshake refused; retrying as spec v3");
                Client::connect_websocket_version(url, settings, SpecVersion::V3).await
            }
        }
    }

    async fn connect_websocket_version(
        url: &str,
        settings: &ClientSettings,
        version: SpecVersion,
    ) -> Result<Client, Error> {
        let cancel = CancellationToken::new();
        let connection = connector::connect_websocket(url, version, cancel.clone()).await?;
        Client::start(connection, version, settings, cancel).await
    }

    /// Starts the connection task, performs the handshake and fetches the device list.
    pub(crate) async fn start(
        connection: Connection,
        version: SpecVersion,
        settings: &ClientSettings,
        cancel: CancellationToken,
    ) -> Result<Client, Error> {
        let Connection {
            transport,
            inbound,
            tasks,
        } = connection;
        let shared = Arc::new(Shared {
            version,
            request_timeout: settings.request_timeout,
            transport,
            server_name: Mutex::new(String::new()),
            next_id: AtomicU32::new(1),
            pending: Mutex::new(Pending {
                closed: false,
                waiters: HashMap::new(),
            }),
            devices: Mutex::new(BTreeMap::new()),
            subscribers: Mutex::new(Vec::new()),
            connected: AtomicBool::new(true),
            undecodable: Mutex::new(Undecodable::default()),
            close_reason: Mutex::new(None),
            cancel,
            tasks: Mutex::new(tasks),
        });
        let reader = tokio::spawn(run_connection(Arc::clone(&shared), inbound));
        let sweeper = tokio::spawn(run_sweeper(Arc::clone(&shared)));
        shared.tasks.lock().extend([reader, sweeper]);
        // From here on, an early return drops the handle, which closes the connection.
        let client = Client {
            handle: Arc::new(ClientHandle {
                shared: Arc::clone(&shared),
            }),
        };

        let (message_version, major, minor) = match version {
            SpecVersion::V4 => (None, Some(4), Some(0)),
            older => (Some(older.number()), None, None),
        };
        let reply = shared
            .request(|id| ClientMessage::RequestServerInfo {
                id,
                client_name: settings.client_name.clone(),
                message_version,
                protocol_version_major: major,
                protocol_version_minor: minor,
            })
            .await
            .map_err(|e| shared.handshake_error(e))?;
        let ServerMessage::ServerInfo {
            server_name,
            max_ping_time,
            ..
        } = reply
        else {
            return Err(ProtocolError::Handshake(format!(
                "expected ServerInfo in reply to RequestServerInfo, got {reply:?}"
            ))
            .into());
        };
        tracing::info!(server = %server_name, %version, max_ping_time, "client connected");
        *shared.server_name.lock() = server_name;
        if max_ping_time > 0 {
            let pinger = tokio::spawn(run_pings(Arc::clone(&shared), max_ping_time));
            shared.tasks.lock().push(pinger);
        }
        client
            .request_device_list()
            .await
            .map_err(|e| shared.handshake_error(e))?;
        Ok(client)
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// The spec version negotiated with the server.
    pub fn spec_version(&self) -> SpecVersion {
        self.shared().version
    }

    /// The server's name from the handshake.
    pub fn server_name(&self) -> String {
        self.shared().server_name.lock().clone()
    }

    /// Asks the server to start scanning for devices. New devices arrive as
    /// [`ClientEvent::DeviceAdded`].
    pub async fn start_scanning(&self) -> Result<(), Error> {
        outcome(|done| self.start_scanning_then(done)).await
    }

    /// [`Client::start_scanning`] without waiting: sent before this returns, `done` gets the
    /// outcome.
    pub fn start_scanning_then(&self, done: Done<()>) {
        self.shared().start_ok(
            "StartScanning",
            |id| ClientMessage::StartScanning { id },
            done,
        );
    }

    /// Asks the server to stop scanning.
    pub async fn stop_scanning(&self) -> Result<(), Error> {
        outcome(|done| self.stop_scanning_then(done)).await
    }

    /// [`Client::stop_scanning`] without waiting.
    pub fn stop_scanning_then(&self, done: Done<()>) {
        self.shared().start_ok(
            "StopScanning",
            |id| ClientMessage::StopScanning { id },
            done,
        );
    }

    /// Fetches the server's device list and makes it the known set (differences are emitted as
    /// events). Done automatically right after the handshake.
    pub async fn request_device_list(&self) -> Result<Vec<DeviceInfo>, Error> {
        outcome(|done| self.request_device_list_then(done)).await
    }

    /// [`Client::request_device_list`] without waiting.
    pub fn request_device_list_then(&self, done: Done<Vec<DeviceInfo>>) {
        self.shared().request_with(
            |id| ClientMessage::RequestDeviceList { id },
            Box::new(move |reply| {
                done(match reply {
                    Ok(ServerMessage::DeviceList { devices, .. }) => Ok(devices),
                    Ok(other) => Err(device::unexpected_reply("RequestDeviceList", &other)),
                    Err(e) => Err(e),
                })
            }),
        );
    }

    /// The devices currently known, ascending by index.
    pub fn devices(&self) -> Vec<ClientDevice> {
        let infos: Vec<Arc<DeviceInfo>> = self.shared().devices.lock().values().cloned().collect();
        infos
            .into_iter()
            .map(|info| self.shared().client_device(info))
            .collect()
    }

    /// The known device with this index.
    pub fn device(&self, index: u32) -> Option<ClientDevice> {
        let info = self.shared().devices.lock().get(&index).cloned();
        info.map(|info| self.shared().client_device(info))
    }

    /// A new subscription to the client's events: it receives every event from now on, ending
    /// with [`ClientEvent::Disconnected`]. After the connection ended the receiver is closed
    /// right away. Events wait in the receiver until read (a server can send many): read them
    /// as they come, and drop the receiver when it is no longer read.
    pub fn events(&self) -> mpsc::UnboundedReceiver<ClientEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.shared().is_connected() {
            self.shared().subscribers.lock().push(tx);
        }
        rx
    }

    /// Stops every device (v4 `StopCmd` without index, v3 `StopAllDevices`).
    pub async fn stop_all(&self) -> Result<(), Error> {
        outcome(|done| self.stop_all_then(true, true, done)).await
    }

    /// Stops the outputs, the input subscriptions, or both, of every device, without waiting.
    ///
    /// A spec v3 server has no input subscriptions and only stops everything
    /// (`StopAllDevices`): there, stopping only inputs does nothing.
    pub fn stop_all_then(&self, inputs: bool, outputs: bool, done: Done<()>) {
        if self.spec_version() >= SpecVersion::V4 {
            self.shared().start_ok(
                "StopCmd",
                |id| ClientMessage::StopCmd {
                    id,
                    device_index: None,
                    feature_index: None,
                    inputs,
                    outputs,
                },
                done,
            );
        } else if outputs {
            self.shared().start_ok(
                "StopAllDevices",
                |id| ClientMessage::StopAllDevices { id },
                done,
            );
        } else {
            done(Ok(()));
        }
    }

    /// Sends one `Ping`. Not needed for the watchdog, which the client serves on its own.
    pub async fn ping(&self) -> Result<(), Error> {
        outcome(|done| self.ping_then(done)).await
    }

    /// [`Client::ping`] without waiting.
    pub fn ping_then(&self, done: Done<()>) {
        self.shared()
            .start_ok("Ping", |id| ClientMessage::Ping { id }, done);
    }

    /// Closes the connection and waits (a few seconds at most) for it to end. The server stops
    /// scanning and every device. Calling it again does nothing.
    pub async fn disconnect(&self) -> Result<(), Error> {
        let shared = self.shared();
        if shared.is_connected() {
            shared.transport.close();
            // The connection task notices the end (and cancels the token) once the server side
            // has finished its disconnect work.
            let _ = tokio::time::timeout(DISCONNECT_TIMEOUT, shared.cancel.cancelled()).await;
        }
        shared.connection_lost("disconnected by the client");
        let tasks = std::mem::take(&mut *shared.tasks.lock());
        let deadline = tokio::time::Instant::now() + DISCONNECT_TIMEOUT;
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                tracing::warn!("client task did not stop in time; aborting it");
                abort.abort();
            }
        }
        Ok(())
    }

    /// True until the connection ends (disconnect, server closed it, transport failure).
    pub fn is_connected(&self) -> bool {
        self.shared().is_connected()
    }

    /// Why the connection ended, once it has: the reason in the server's close frame, the
    /// transport failure, the server's breach of a client limit ([`MAX_SERVER_FRAME`],
    /// [`MAX_DEVICES`]), or the
    /// client's own disconnect. `None` while connected. Requests pending at the end fail with
    /// [`TransportError::Closed`]; this says why.
    pub fn close_reason(&self) -> Option<String> {
        self.shared().close_reason.lock().clone()
    }
}
