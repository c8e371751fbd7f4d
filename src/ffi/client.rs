//! `haptix_client`: a Buttplug client (on the context's embedded server or a remote WebSocket
//! server) driven by protobuf requests, reporting protobuf events.
//!
//! Requests never block the caller. Every request is checked and sent to the server on the
//! calling thread, with a completion that turns the server's reply into the response, so
//! requests reach the server (and so the devices) in the order they were sent, whatever their
//! kind, and no task is spawned per request. Requests sent while the connection is still being
//! made are queued and sent in the same order once it is ready.
//!
//! A response goes to the event stream, or, for a request made with `haptix_client_call`,
//! straight to the thread waiting for it (a [`Slot`]), so that such a wait never depends on the
//! dispatcher thread or on whoever drains the stream.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
#[cfg(feature = "sim")]
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use prost::Message as _;

use super::boundary;
use super::buffer::{self, haptix_buffer};
use super::context::ContextInner;
use super::convert;
use super::events::{
    haptix_event_callback, haptix_user_data_free, haptix_wakeup_callback, Callback, EventSink,
    Registration,
};
use super::handles::{self, HandleKind, Object};
use super::proto;
use super::proto::request::Kind;
use super::proto::response::Result as Payload;
use super::status::{haptix_status, Failure};
use crate::client::{Client, ClientEvent, ClientSettings, Done, OutputValue, REQUEST_TIMEOUT};
#[cfg(feature = "sim")]
use crate::core::types::Endpoint;
use crate::core::types::InputCommand;
#[cfg(feature = "sim")]
use crate::hwmgr::sim::{SimDeviceSpec, SimOp};

/// Opaque client handle. Create with `haptix_client_new`, release with `haptix_client_free`.
#[allow(non_camel_case_types)]
pub struct haptix_client {
    _private: [u8; 0],
}

/// First id the library assigns when a request carries id 0.
const AUTO_ID_BASE: u64 = 1 << 63;

/// Default name sent in the handshake.
const DEFAULT_CLIENT_NAME: &str = "Haptix client";

enum Connection {
    /// Connecting; requests wait here in order.
    Connecting(VecDeque<(u64, Kind)>),
    Connected(Client),
    Ended,
}

/// What a finished request answers: an optional payload, or a failure.
type Outcome = Result<Option<Payload>, Failure>;

/// Where the response of a `haptix_client_call` goes: the waiting thread takes it from here.
#[derive(Default)]
struct Slot {
    response: Mutex<Option<Box<[u8]>>>,
    ready: Condvar,
}

impl Slot {
    fn fill(&self, event: Box<[u8]>) {
        *self.response.lock() = Some(event);
        self.ready.notify_all();
    }

    /// Waits up to `timeout_ms` (`u32::MAX`: no limit) for the response.
    fn wait(&self, timeout_ms: u32) -> Option<Box<[u8]>> {
        let deadline = (timeout_ms != u32::MAX)
            .then(|| Instant::now() + Duration::from_millis(u64::from(timeout_ms)));
        let mut response = self.response.lock();
        loop {
            if let Some(event) = response.take() {
                return Some(event);
            }
            match deadline {
                None => self.ready.wait(&mut response),
                Some(d) => {
                    if self.ready.wait_until(&mut response, d).timed_out() {
                        return response.take();
                    }
                }
            }
        }
    }
}

/// The object behind a client handle.
pub(crate) struct ClientInner {
    context: Arc<ContextInner>,
    sink: Arc<EventSink>,
    embedded: bool,
    connection: Mutex<Connection>,
    /// Ids of accepted requests not yet answered.
    pending: Mutex<HashSet<u64>>,
    /// Requests whose response goes to a waiting `haptix_client_call` instead of the stream.
    /// Locked after `pending` when both are held.
    direct: Mutex<HashMap<u64, Arc<Slot>>>,
    next_auto_id: AtomicU64,
    /// Devices announced to the host, so each is announced once.
    announced: Mutex<BTreeSet<u32>>,
    /// The application asked to disconnect: the end of the connection is not an error.
    disconnecting: AtomicBool,
}

impl HandleKind for ClientInner {
    type C = haptix_client;
    const TAG: usize = 2;
    const NAME: &'static str = "client";
    fn wrap(object: Arc<Self>) -> Object {
        Object::Client(object)
    }
    fn unwrap(object: &Object) -> Option<&Arc<Self>> {
        match object {
            Object::Client(c) => Some(c),
            Object::Context(_) | Object::Server(_) => None,
        }
    }
}

fn encode(request_id: u64, kind: proto::event::Kind) -> Box<[u8]> {
    proto::Event {
        request_id,
        kind: Some(kind),
    }
    .encode_to_vec()
    .into_boxed_slice()
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(haptix_status::ErrorInvalidArgument, message)
}

impl ClientInner {
    fn emit(&self, kind: proto::event::Kind) {
        self.sink.push(encode(0, kind));
    }

    /// Hands a response to the `haptix_client_call` waiting for it, or else to the stream.
    fn deliver(&self, id: u64, event: Box<[u8]>) {
        let slot = self.direct.lock().remove(&id);
        match slot {
            Some(slot) => slot.fill(event),
            None => self.sink.push(event),
        }
    }

    /// Answers request `id`, once: later answers for the same id are ignored.
    fn respond(&self, id: u64, outcome: Outcome) {
        // The pending lock is held until the event is queued, so that `finish` cannot close
        // the stream between the two (the response always precedes `Disconnected`).
        let mut pending = self.pending.lock();
        if !pending.remove(&id) {
            return;
        }
        let response = match outcome {
            Ok(result) => proto::Response {
                status: haptix_status::Ok.code(),
                message: String::new(),
                result,
            },
            Err(f) => proto::Response {
                status: f.status.code(),
                message: f.message,
                result: None,
            },
        };
        self.deliver(id, encode(id, proto::event::Kind::Response(response)));
        drop(pending);
    }

    /// Ends the connection's event stream: cancels every unanswered request, reports
    /// `Disconnected`, and closes the queue. Runs once.
    fn finish(&self, reason: &str, status: haptix_status) {
        let previous = std::mem::replace(&mut *self.connection.lock(), Connection::Ended);
        if matches!(previous, Connection::Ended) {
            return;
        }
        drop(previous);
        let mut pending = self.pending.lock();
        let mut ids: Vec<u64> = pending.drain().collect();
        ids.sort_unstable();
        for id in ids {
            let response = proto::Response {
                status: haptix_status::ErrorCancelled.code(),
                message: format!("the connection ended before the request completed: {reason}"),
                result: None,
            };
            self.deliver(id, encode(id, proto::event::Kind::Response(response)));
        }
        self.emit(proto::event::Kind::Disconnected(proto::Disconnected {
            reason: reason.to_string(),
            status: status.code(),
        }));
        self.sink.close();
        drop(pending);
    }

    /// Context shutdown: end the connection (the server stops the devices).
    pub(crate) fn close_for_shutdown(&self) {
        self.finish("the context was shut down", haptix_status::ErrorShutDown);
    }

    /// The handle was freed: drop the connection and stop delivering events.
    pub(crate) fn release(&self) {
        *self.connection.lock() = Connection::Ended;
        self.pending.lock().clear();
        let waiting: Vec<(u64, Arc<Slot>)> = self.direct.lock().drain().collect();
        for (id, slot) in waiting {
            slot.fill(encode(
                id,
                proto::event::Kind::Response(proto::Response {
                    status: haptix_status::ErrorCancelled.code(),
                    message: "the client was freed before the request completed".to_string(),
                    result: None,
                }),
            ));
        }
        self.sink.free();
    }

    fn announce(&self, device: &crate::client::ClientDevice) {
        if self.announced.lock().insert(device.index()) {
            self.emit(proto::event::Kind::DeviceAdded(proto::DeviceAdded {
                device: Some(self.device_out(device.info())),
            }));
        }
    }

    /// A device as the host sees it, with its hardware address when the server is embedded
    /// (a remote server does not tell).
    fn device_out(&self, info: &crate::core::messages::DeviceInfo) -> proto::Device {
        let address = if self.embedded {
            self.context
                .server
                .device_manager()
                .device(info.index)
                .map(|d| d.identifier().address.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        convert::device_out(info, address)
    }

    fn on_client_event(&self, event: ClientEvent) -> bool {
        match event {
            ClientEvent::DeviceAdded(device) => self.announce(&device),
            ClientEvent::DeviceRemoved(index) => {
                if self.announced.lock().remove(&index) {
                    self.emit(proto::event::Kind::DeviceRemoved(proto::DeviceRemoved {
                        device_index: index,
                    }));
                }
            }
            ClientEvent::ScanningFinished => {
                self.emit(proto::event::Kind::ScanningFinished(
                    proto::ScanningFinished {},
                ));
            }
            ClientEvent::InputReading {
                device_index,
                feature_index,
                reading,
            } => self.emit(proto::event::Kind::InputReading(convert::reading_out(
                device_index,
                feature_index,
                &reading,
            ))),
            ClientEvent::ServerError(message) => {
                self.emit(proto::event::Kind::Error(proto::ErrorReport {
                    status: haptix_status::ErrorServer.code(),
                    message,
                }));
            }
            ClientEvent::Disconnected => {
                if self.disconnecting.load(Ordering::SeqCst) {
                    self.finish("disconnected by the application", haptix_status::Ok);
                } else {
                    // the client's own reason when it ended the connection (a frame over its
                    // limit, a server that broke the protocol, a ping timeout)
                    let reason = match &*self.connection.lock() {
                        Connection::Connected(client) => client.close_reason(),
                        _ => None,
                    }
                    .unwrap_or_else(|| "the server closed the connection".to_string());
                    self.finish(&reason, haptix_status::ErrorNotConnected);
                }
                return false;
            }
        }
        true
    }

    /// Connection established: report it, announce known devices, run queued requests.
    fn connected(self: &Arc<Self>, client: Client) {
        let mut events = client.events();
        self.emit(proto::event::Kind::Connected(proto::Connected {
            server_name: client.server_name(),
            spec_version: client.spec_version().number(),
        }));
        for device in client.devices() {
            self.announce(&device);
        }
        let inner = Arc::clone(self);
        self.context.handle.spawn(async move {
            while let Some(event) = events.recv().await {
                if !inner.on_client_event(event) {
                    return;
                }
            }
            if inner.disconnecting.load(Ordering::SeqCst) {
                inner.finish("disconnected by the application", haptix_status::Ok);
            } else {
                inner.finish("the connection ended", haptix_status::ErrorNotConnected);
            }
        });
        let mut connection = self.connection.lock();
        let queued =
            match std::mem::replace(&mut *connection, Connection::Connected(client.clone())) {
                Connection::Connecting(q) => q,
                Connection::Connected(_) | Connection::Ended => {
                    // freed or shut down while connecting
                    *connection = Connection::Ended;
                    return;
                }
            };
        for (id, kind) in queued {
            self.execute(&client, id, kind);
        }
    }

    /// A completion that answers request `id` with `payload` of the result, or the failure.
    fn answer<T: 'static>(
        self: &Arc<Self>,
        id: u64,
        payload: impl FnOnce(T) -> Option<Payload> + Send + 'static,
    ) -> Done<T> {
        let inner = Arc::clone(self);
        Box::new(move |result| inner.respond(id, result.map(payload).map_err(Failure::from)))
    }

    fn device(client: &Client, index: u32) -> Result<crate::client::ClientDevice, Failure> {
        client.device(index).ok_or_else(|| {
            Failure::new(
                haptix_status::ErrorDeviceNotFound,
                format!("device index {index} is not connected"),
            )
        })
    }

    /// Runs one request on a connected client.
    fn execute(self: &Arc<Self>, client: &Client, id: u64, kind: Kind) {
        if let Err(f) = self.try_execute(client, id, kind) {
            self.respond(id, Err(f));
        }
    }

    fn try_execute(self: &Arc<Self>, client: &Client, id: u64, kind: Kind) -> Result<(), Failure> {
        match kind {
            Kind::StartScanning(_) => client.start_scanning_then(self.answer(id, |()| None)),
            Kind::StopScanning(_) => client.stop_scanning_then(self.answer(id, |()| None)),
            Kind::RequestDeviceList(_) => {
                let inner = Arc::clone(self);
                client.request_device_list_then(self.answer(id, move |devices: Vec<_>| {
                    Some(Payload::DeviceList(proto::DeviceList {
                        devices: devices.iter().map(|d| inner.device_out(d)).collect(),
                    }))
                }));
            }
            Kind::StopAll(s) => client.stop_all_then(
                s.inputs.unwrap_or(true),
                s.outputs.unwrap_or(true),
                self.answer(id, |()| None),
            ),
            Kind::Ping(_) => client.ping_then(self.answer(id, |()| None)),
            Kind::Disconnect(_) => {
                self.disconnecting.store(true, Ordering::SeqCst);
                self.respond(id, Ok(None));
                let inner = Arc::clone(self);
                let c = client.clone();
                self.context.handle.spawn(async move {
                    let _ = c.disconnect().await;
                    inner.finish("disconnected by the application", haptix_status::Ok);
                });
            }
            Kind::StopDevice(s) => Self::device(client, s.device_index)?.stop_then(
                s.inputs.unwrap_or(true),
                s.outputs.unwrap_or(true),
                self.answer(id, |()| None),
            ),
            Kind::Output(o) => {
                let device = Self::device(client, o.device_index)?;
                let kind = convert::output_type_in(o.output_type)?;
                let value = match o.value {
                    Some(proto::output::Value::Level(l)) => OutputValue::Level(l),
                    Some(proto::output::Value::Steps(s)) => OutputValue::Steps(s),
                    None => return Err(invalid("an Output request needs a level or steps")),
                };
                let commands = device
                    .output_commands(o.feature_index, kind, value, Some(o.duration_ms))
                    .map_err(Failure::from)?;
                let inner = Arc::clone(self);
                device.start_output(
                    &commands,
                    Box::new(move |r| inner.respond(id, r.map(|()| None).map_err(Failure::from))),
                );
            }
            Kind::Input(i) => {
                let device = Self::device(client, i.device_index)?;
                let input_type = convert::input_type_in(i.input_type)?;
                let command = convert::input_command_in(i.command)?;
                let feature_index = match i.feature_index {
                    Some(f) => f,
                    None => device
                        .info()
                        .features
                        .iter()
                        .find(|f| f.input(input_type).is_some())
                        .map(|f| f.index)
                        .ok_or_else(|| {
                            Failure::new(
                                haptix_status::ErrorNotSupported,
                                format!("device {} has no {input_type} input", device.index()),
                            )
                        })?,
                };
                let device_index = device.index();
                match command {
                    InputCommand::Read => device.read_input_then(
                        feature_index,
                        input_type,
                        self.answer(id, move |reading| {
                            Some(Payload::Reading(convert::reading_out(
                                device_index,
                                feature_index,
                                &reading,
                            )))
                        }),
                    ),
                    command => device.input_subscription_then(
                        feature_index,
                        input_type,
                        command,
                        self.answer(id, |()| None),
                    ),
                }
            }
            kind @ (Kind::AddSimulatedDevice(_)
            | Kind::RemoveSimulatedDevice(_)
            | Kind::InjectNotification(_)
            | Kind::TakeWrites(_)) => {
                let outcome = self.simulated(kind);
                self.respond(id, outcome);
            }
        }
        Ok(())
    }

    /// Simulated-device control, in a build without the simulator.
    #[cfg(not(feature = "sim"))]
    fn simulated(&self, _kind: Kind) -> Outcome {
        Err(Failure::new(
            haptix_status::ErrorNotSupported,
            "this build of the library has no simulated devices (cargo feature sim)",
        ))
    }

    /// Simulated-device control, answered at once.
    #[cfg(feature = "sim")]
    fn simulated(&self, kind: Kind) -> Outcome {
        if !self.embedded {
            return Err(Failure::new(
                haptix_status::ErrorNotSupported,
                "simulated devices exist only on the embedded server",
            ));
        }
        let sim = self.context.server.simulator();
        let find = |address: &str| {
            sim.device(address)
                .ok_or_else(|| invalid(format!("no simulated device has the address {address:?}")))
        };
        match kind {
            Kind::AddSimulatedDevice(add) => {
                let device = add
                    .device
                    .ok_or_else(|| invalid("AddSimulatedDevice needs a device"))?;
                let mut spec = SimDeviceSpec::parse(&device.identifier).map_err(|e| {
                    invalid(format!("simulated device {:?}: {e}", device.identifier))
                })?;
                if !device.address.is_empty() {
                    if sim.device(&device.address).is_some() {
                        return Err(invalid(format!(
                            "a simulated device with the address {:?} exists already",
                            device.address
                        )));
                    }
                    spec.address = Some(device.address.clone());
                }
                let hw = self
                    .context
                    .server
                    .add_simulated_device(spec)
                    .map_err(|e| {
                        invalid(format!("simulated device {:?}: {e}", device.identifier))
                    })?;
                Ok(Some(Payload::SimulatedDevice(proto::SimulatedDeviceInfo {
                    address: hw.address().to_string(),
                    identifier: device.identifier,
                })))
            }
            Kind::RemoveSimulatedDevice(r) => {
                if sim.remove_device(&r.address) {
                    Ok(None)
                } else {
                    Err(invalid(format!(
                        "no simulated device has the address {:?}",
                        r.address
                    )))
                }
            }
            Kind::InjectNotification(n) => {
                let hw = find(&n.address)?;
                let endpoint = Endpoint::from_str(&n.endpoint)
                    .map_err(|_| invalid(format!("{:?} is not an endpoint name", n.endpoint)))?;
                hw.notify(endpoint, &n.data);
                Ok(None)
            }
            Kind::TakeWrites(t) => {
                let hw = find(&t.address)?;
                let writes = hw
                    .take_ops()
                    .into_iter()
                    .filter_map(|op| match op {
                        SimOp::Write {
                            endpoint,
                            data,
                            with_response,
                        } => Some(proto::Write {
                            endpoint: endpoint.name(),
                            data,
                            with_response,
                        }),
                        SimOp::Subscribe { .. } | SimOp::Unsubscribe { .. } => None,
                    })
                    .collect();
                Ok(Some(Payload::Writes(proto::Writes { writes })))
            }
            other => Err(Failure::new(
                haptix_status::ErrorInternal,
                format!("not a simulated-device request: {other:?}"),
            )),
        }
    }

    /// Decodes and checks a request, and gives it its id.
    fn prepare(&self, bytes: &[u8]) -> Result<(u64, Kind), Failure> {
        let request = decode_request(bytes)?;
        let kind = request
            .kind
            .ok_or_else(|| invalid("the Request has no kind (empty or unknown request)"))?;
        validate(&kind)?;
        let id = match request.id {
            0 => self.next_auto_id.fetch_add(1, Ordering::Relaxed),
            id if id >= AUTO_ID_BASE => {
                return Err(invalid(format!(
                    "request id {id} is reserved: ids chosen by the caller must be below 2^63"
                )))
            }
            id => id,
        };
        Ok((id, kind))
    }

    /// Sends a request whose response goes to the calling thread, and waits for it.
    fn call(self: &Arc<Self>, bytes: &[u8], timeout_ms: u32) -> Result<Box<[u8]>, Failure> {
        let (id, kind) = self.prepare(bytes)?;
        let slot = Arc::new(Slot::default());
        {
            let mut direct = self.direct.lock();
            if direct.contains_key(&id) {
                return Err(invalid(format!("request id {id} is still in flight")));
            }
            direct.insert(id, Arc::clone(&slot));
        }
        if let Err(f) = self.submit(id, kind) {
            self.direct.lock().remove(&id);
            return Err(f);
        }
        slot.wait(timeout_ms).ok_or_else(|| {
            Failure::new(
                haptix_status::ErrorTimedOut,
                format!(
                    "request {id} was not answered within {timeout_ms} ms; its response will be \
                     discarded"
                ),
            )
        })
    }

    /// Accepts one decoded request.
    fn submit(self: &Arc<Self>, id: u64, kind: Kind) -> Result<(), Failure> {
        // The id is registered under the connection lock, so a concurrent `finish` either
        // refuses the request (CLOSED) or cancels it: it is answered exactly once either way.
        let client = {
            let mut connection = self.connection.lock();
            if matches!(*connection, Connection::Ended) {
                return Err(Failure::new(
                    haptix_status::Closed,
                    "the client is disconnected",
                ));
            }
            if !self.pending.lock().insert(id) {
                return Err(invalid(format!("request id {id} is still in flight")));
            }
            match &mut *connection {
                Connection::Connecting(queue) => {
                    queue.push_back((id, kind));
                    return Ok(());
                }
                Connection::Connected(client) => client.clone(),
                Connection::Ended => return Ok(()),
            }
        };
        self.execute(&client, id, kind);
        Ok(())
    }
}

/// Checks what can be checked without the connection (enum values), so that such mistakes
/// are refused by `haptix_client_send` itself.
fn validate(kind: &Kind) -> Result<(), Failure> {
    match kind {
        Kind::Output(o) => {
            convert::output_type_in(o.output_type)?;
            if o.value.is_none() {
                return Err(invalid("an Output request needs a level or steps"));
            }
        }
        Kind::Input(i) => {
            convert::input_type_in(i.input_type)?;
            convert::input_command_in(i.command)?;
        }
        Kind::AddSimulatedDevice(a) if a.device.is_none() => {
            return Err(invalid("AddSimulatedDevice needs a device"));
        }
        Kind::StartScanning(_)
        | Kind::StopScanning(_)
        | Kind::RequestDeviceList(_)
        | Kind::StopDevice(_)
        | Kind::StopAll(_)
        | Kind::Ping(_)
        | Kind::Disconnect(_)
        | Kind::AddSimulatedDevice(_)
        | Kind::RemoveSimulatedDevice(_)
        | Kind::InjectNotification(_)
        | Kind::TakeWrites(_) => {}
    }
    Ok(())
}

fn decode_request(bytes: &[u8]) -> Result<proto::Request, Failure> {
    proto::Request::decode(bytes).map_err(|e| {
        Failure::new(
            haptix_status::ErrorInvalidProtobuf,
            format!("invalid Request: {e}"),
        )
    })
}

/// Creates a client and starts connecting it, without blocking on I/O.
///
/// - `context`: the context whose runtime (and, for the embedded server, devices) it uses.
/// - `options`/`options_len`: a serialized `haptix.v1.ClientOptions`, borrowed for the call;
///   NULL with length 0 connects to the embedded server as "Haptix client".
/// - `out_client`: receives the handle on success; release it with `haptix_client_free`.
///
/// The first event is `connected` (or `disconnected` when the connection fails). Requests
/// sent before that are queued and run in order once connected.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`;
/// `ERROR_INVALID_PROTOBUF`; `ERROR_INVALID_ARGUMENT` (a URL that is not `ws://` or
/// `wss://`). Never blocks. Any thread.
///
/// # Safety
/// `context` must be NULL or a value from `haptix_context_new`; `options` valid for
/// `options_len` bytes; `out_client` valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_new(
    context: *mut super::context::haptix_context,
    options: *const u8,
    options_len: usize,
    out_client: *mut *mut haptix_client,
) -> haptix_status {
    boundary::export(|| {
        let ctx = handles::get::<ContextInner>(context)?;
        ctx.check_live()?;
        if out_client.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_client is NULL",
            ));
        }
        // SAFETY: the caller guarantees `options` is valid for `options_len` bytes.
        let bytes = unsafe { buffer::input(options, options_len) }?;
        let options = proto::ClientOptions::decode(bytes).map_err(|e| {
            Failure::new(
                haptix_status::ErrorInvalidProtobuf,
                format!("invalid ClientOptions: {e}"),
            )
        })?;
        let settings = ClientSettings {
            client_name: if options.client_name.is_empty() {
                DEFAULT_CLIENT_NAME.to_string()
            } else {
                options.client_name
            },
            request_timeout: match options.request_timeout_ms {
                0 => REQUEST_TIMEOUT,
                ms => Duration::from_millis(u64::from(ms)),
            },
        };
        let url = match options.server {
            None | Some(proto::client_options::Server::Embedded(_)) => None,
            Some(proto::client_options::Server::WebsocketUrl(url)) => {
                if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                    return Err(invalid(format!(
                        "websocket_url {url:?} must start with ws:// or wss://"
                    )));
                }
                Some(url)
            }
        };
        let inner = Arc::new(ClientInner {
            sink: EventSink::new(Arc::clone(&ctx.dispatcher), None),
            embedded: url.is_none(),
            context: Arc::clone(&ctx),
            connection: Mutex::new(Connection::Connecting(VecDeque::new())),
            pending: Mutex::new(HashSet::new()),
            direct: Mutex::new(HashMap::new()),
            next_auto_id: AtomicU64::new(AUTO_ID_BASE),
            announced: Mutex::new(BTreeSet::new()),
            disconnecting: AtomicBool::new(false),
        });
        let handle = handles::insert(Arc::clone(&inner))?;
        ctx.adopt(handle as usize);
        let task_inner = Arc::clone(&inner);
        let server = Arc::clone(&ctx.server);
        ctx.handle.spawn(async move {
            let result = match url {
                None => Client::connect_in_process_with(&server, &settings).await,
                Some(url) => Client::connect_websocket_with(&url, &settings).await,
            };
            match result {
                Ok(client) => task_inner.connected(client),
                Err(e) => {
                    let f = Failure::from(e);
                    // transport errors already say "cannot connect: ..."
                    let reason = if f.message.starts_with("cannot connect") {
                        f.message
                    } else {
                        format!("cannot connect: {}", f.message)
                    };
                    task_inner.finish(&reason, f.status);
                }
            }
        });
        // SAFETY: checked non-null above; writable per the caller's contract.
        unsafe { out_client.write(handle) };
        Ok(haptix_status::Ok)
    })
}

/// Sends a request (a serialized `haptix.v1.Request`). Never blocks.
///
/// `OK` means the request was accepted: exactly one event with `request_id` equal to the id
/// written to `out_request_id` and kind `response` follows, carrying status 0 or an error
/// code and message (device not found, out of range, cancelled...). A request id of 0 lets the
/// library choose one (at or above 2^63); ids chosen by the caller must be below 2^63 and not
/// in flight.
///
/// - `request`/`len`: borrowed for the call.
/// - `out_request_id`: optional (may be NULL); receives the id used.
///
/// Statuses: `OK`; `CLOSED` (the client is disconnected); `ERROR_NULL_POINTER`;
/// `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`; `ERROR_INVALID_PROTOBUF`;
/// `ERROR_INVALID_ARGUMENT` (no request kind, an id at or above 2^63, an id in flight).
/// Any thread, concurrently with other calls on the same client.
///
/// # Safety
/// `client` must be NULL or a value from `haptix_client_new`; `request` valid for `len`
/// bytes; `out_request_id`, when not NULL, valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_send(
    client: *mut haptix_client,
    request: *const u8,
    len: usize,
    out_request_id: *mut u64,
) -> haptix_status {
    boundary::export(|| {
        let inner = handles::get::<ClientInner>(client)?;
        inner.context.check_live()?;
        // SAFETY: the caller guarantees `request` is valid for `len` bytes.
        let bytes = unsafe { buffer::input(request, len) }?;
        let (id, kind) = inner.prepare(bytes)?;
        inner.submit(id, kind)?;
        if !out_request_id.is_null() {
            // SAFETY: non-null and writable per the caller's contract.
            unsafe { out_request_id.write(id) };
        }
        Ok(haptix_status::Ok)
    })
}

/// The client behind a handle, refused once its context is shut down.
fn live_client(client: *mut haptix_client) -> Result<Arc<ClientInner>, Failure> {
    let inner = handles::get::<ClientInner>(client)?;
    inner.context.check_live()?;
    Ok(inner)
}

/// Sends a request (a serialized `haptix.v1.Request`) and waits for its response.
///
/// The response is written to `out_response` as a serialized `haptix.v1.Event` of kind
/// `response` (its `request_id` is the request's id; its `Response.status` says whether the
/// request succeeded). It never appears in the event stream. Because the response does not
/// travel through the stream or the dispatcher thread, this may be called from any thread,
/// including inside an event callback, in poll or callback mode.
///
/// - `request`/`len`: borrowed for the call. Id 0 lets the library choose one.
/// - `timeout_ms`: how long to wait; `UINT32_MAX` waits until the request completes (which
///   the client's request timeout bounds). After a timeout the request still completes inside
///   the library and its response is discarded.
/// - `out_response`: receives the response on `OK`; release it with `haptix_buffer_free`.
///   Untouched on any other status.
///
/// Statuses: `OK`; `CLOSED` (the client is disconnected); `ERROR_TIMED_OUT`;
/// `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`; `ERROR_INVALID_PROTOBUF`;
/// `ERROR_INVALID_ARGUMENT` (as for `haptix_client_send`); `ERROR_WOULD_DEADLOCK` on one of the
/// library's runtime threads (never a thread host code runs on). Blocks up to the timeout. Any
/// thread, concurrently with other calls on the same client.
///
/// # Safety
/// `client` must be NULL or a value from `haptix_client_new`; `request` valid for `len`
/// bytes; `out_response` valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_call(
    client: *mut haptix_client,
    request: *const u8,
    len: usize,
    timeout_ms: u32,
    out_response: *mut haptix_buffer,
) -> haptix_status {
    boundary::export(|| {
        let inner = handles::get::<ClientInner>(client)?;
        inner.context.check_live()?;
        super::context::check_may_block()?;
        if out_response.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_response is NULL",
            ));
        }
        // SAFETY: the caller guarantees `request` is valid for `len` bytes.
        let bytes = unsafe { buffer::input(request, len) }?;
        let response = inner.call(bytes, timeout_ms)?;
        // SAFETY: checked non-null above; writable per the caller's contract.
        unsafe { out_response.write(haptix_buffer::from_boxed(response)) };
        Ok(haptix_status::Ok)
    })
}

/// Takes the client's next event (a serialized `haptix.v1.Event`).
///
/// - `timeout_ms`: 0 returns at once (for a game loop); `UINT32_MAX` waits without limit;
///   otherwise waits up to that many milliseconds.
/// - `out_event`: receives the event on `OK`; release it with `haptix_buffer_free`.
///   Untouched on any other status.
///
/// Statuses: `OK`; `TIMEOUT`; `CLOSED` (disconnected and every event taken, including those
/// still on their way through the dispatcher); `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`;
/// `ERROR_INVALID_ARGUMENT` while an event callback is set; `ERROR_WOULD_DEADLOCK` for a
/// waiting call (timeout above 0) on a dispatcher thread of any context, i.e. inside a
/// callback: wait for a response there with `haptix_client_call` instead. Blocks up to the
/// timeout; may be called from several threads (each event goes to one of them). Still works
/// after the context was shut down, to drain the queue.
///
/// # Safety
/// `client` must be NULL or a value from `haptix_client_new`; `out_event` valid for one
/// write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_next_event(
    client: *mut haptix_client,
    timeout_ms: u32,
    out_event: *mut haptix_buffer,
) -> haptix_status {
    boundary::export(|| {
        let inner = match handles::get::<ClientInner>(client) {
            Ok(c) => c,
            Err(f) => return Err(f),
        };
        if out_event.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_event is NULL",
            ));
        }
        match inner.sink.next(timeout_ms) {
            Ok(bytes) => {
                // SAFETY: checked non-null; writable per the caller's contract.
                unsafe { out_event.write(haptix_buffer::from_boxed(bytes)) };
                Ok(haptix_status::Ok)
            }
            Err(status) => Ok(status),
        }
    })
}

/// Delivers the client's events to `callback` on the context's dispatcher thread, in order,
/// instead of queueing them; events already queued move to the callback. NULL `callback`
/// returns to polling (and releases the previous registration).
///
/// `user_data` is passed to every call. The library owns `user_data` from this call on:
/// `user_data_free` (optional) runs exactly once, whatever the status. When the call succeeds
/// it runs when the registration is replaced or the client is freed, after any running call
/// returned; with a NULL `callback`, or when the call is refused, it runs before the call
/// returns.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN` (the
/// context was shut down: queued events can still be polled). Never blocks.
///
/// # Safety
/// `client` must be NULL or a value from `haptix_client_new`; the functions must stay valid
/// while registered.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_set_event_callback(
    client: *mut haptix_client,
    callback: haptix_event_callback,
    user_data: *mut std::ffi::c_void,
    user_data_free: haptix_user_data_free,
) -> haptix_status {
    boundary::export(|| {
        // Made first, so that a refused call releases the user data too (the library owns it
        // from the call on).
        let registration =
            Registration::from_host(callback.map(Callback::Event), user_data, user_data_free);
        let inner = match live_client(client) {
            Ok(c) => c,
            Err(f) => return Err(f),
        };
        inner.sink.set_callback(registration);
        Ok(haptix_status::Ok)
    })
}

/// Registers a notifier called on the dispatcher thread when the client's event queue goes
/// from empty to non-empty (poll mode): a game can wake its loop and then drain with
/// `haptix_client_next_event`. NULL `callback` removes it. `user_data` and `user_data_free`
/// as for `haptix_client_set_event_callback` (released exactly once, whatever the status).
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
/// blocks.
///
/// # Safety
/// As for `haptix_client_set_event_callback`.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_client_set_wakeup_callback(
    client: *mut haptix_client,
    callback: haptix_wakeup_callback,
    user_data: *mut std::ffi::c_void,
    user_data_free: haptix_user_data_free,
) -> haptix_status {
    boundary::export(|| {
        // Made first, as for `haptix_client_set_event_callback`.
        let registration =
            Registration::from_host(callback.map(Callback::Wakeup), user_data, user_data_free);
        let inner = match live_client(client) {
            Ok(c) => c,
            Err(f) => return Err(f),
        };
        inner.sink.set_wakeup(registration);
        Ok(haptix_status::Ok)
    })
}

/// Frees a client: closes its connection (the server stops the devices it drove), drops its
/// queued events and unanswered requests, waits for a callback of this client running on
/// another thread, and releases the callback user data. No callback of this client starts
/// after it returns.
///
/// NULL, freed and foreign values are ignored. Must not race with other calls on the same
/// client. May be called from inside the client's own callback (it takes effect when the
/// callback returns). Does not wait for the network.
///
/// # Safety
/// `client` must be NULL or a value from `haptix_client_new`.
#[no_mangle]
pub unsafe extern "C" fn haptix_client_free(client: *mut haptix_client) {
    boundary::catch_or((), || {
        if let Some(inner) = handles::remove::<ClientInner>(client) {
            inner.context.disown(client as usize);
            inner.release();
        }
    })
}
