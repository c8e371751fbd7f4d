//! Thin owners of the C ABI handles the soak uses, and the command tally.
//!
//! Everything goes through the exported `haptix_*` functions exactly as a binding would call
//! them; the handles are freed when their owner is dropped.

use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use haptix::ffi::proto::{self, event, request};
use haptix::ffi::*;
use prost::Message as _;

/// How long a command may take before it counts as unanswered. Far above anything expected:
/// the machine may be shared and the soak runs at the lowest priority.
pub const ANSWER_WAIT: Duration = Duration::from_secs(30);

/// The tally of commands over the whole run.
#[derive(Default)]
pub struct Tally {
    /// Requests handed to the library (plus connection attempts).
    pub sent: AtomicU64,
    /// Requests that got a response (whatever its status).
    pub answered: AtomicU64,
    /// Answered with an error status, or a connection refused.
    pub failed: AtomicU64,
    /// No response in time, or the client closed under the request.
    pub unanswered: AtomicU64,
    /// Pressure readings the toy was made to send to a subscribed client.
    pub readings_expected: AtomicU64,
    /// Those that reached the client.
    pub readings_received: AtomicU64,
    /// Client sessions opened.
    pub sessions: AtomicU64,
    /// Rounds of traffic completed.
    pub rounds: AtomicU64,
    /// Writes the simulated toys received.
    pub toy_writes: AtomicU64,
    /// The first problems, for the report.
    problems: Mutex<Vec<String>>,
}

/// How many problems the report quotes.
const PROBLEMS_KEPT: usize = 20;

impl Tally {
    /// Remembers a problem (the first few are printed at the end).
    pub fn problem(&self, what: String) {
        if let Ok(mut p) = self.problems.lock() {
            if p.len() < PROBLEMS_KEPT {
                eprintln!("soak: problem: {what}");
                p.push(what);
            }
        }
    }

    /// The problems remembered.
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The thread's last error message from the library.
pub fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    let mut len = 0;
    // SAFETY: a buffer of the given size and a writable length.
    unsafe { haptix_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    String::from_utf8_lossy(&buf[..len.min(buf.len() - 1)]).into_owned()
}

/// Copies a library buffer out and frees it.
fn take_buffer(mut buf: haptix_buffer) -> Vec<u8> {
    let bytes = if buf.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: filled by the library: `data` is valid for `len` bytes.
        unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec()
    };
    // SAFETY: a buffer the library filled, freed once.
    unsafe { haptix_buffer_free(&mut buf) };
    bytes
}

/// A context: runtime, embedded server, simulated devices.
pub struct Context {
    raw: *mut haptix_context,
}

impl Context {
    /// Creates a context with these options.
    pub fn new(options: &proto::ContextOptions) -> Result<Context, String> {
        let bytes = options.encode_to_vec();
        let mut raw = ptr::null_mut();
        // SAFETY: a valid buffer and out-pointer.
        let st = unsafe {
            haptix_context_new(HAPTIX_ABI_VERSION, bytes.as_ptr(), bytes.len(), &mut raw)
        };
        if st != haptix_status::Ok {
            return Err(format!("haptix_context_new: {st:?}: {}", last_error()));
        }
        Ok(Context { raw })
    }

    /// Takes the context's queued events (log records) without waiting.
    pub fn drain_events(&self) -> Vec<proto::Event> {
        let mut out = Vec::new();
        loop {
            let mut buf = haptix_buffer::EMPTY;
            // SAFETY: a live context and a valid out-pointer.
            let st = unsafe { haptix_context_next_event(self.raw, 0, &mut buf) };
            if st != haptix_status::Ok {
                return out;
            }
            if let Ok(ev) = proto::Event::decode(take_buffer(buf).as_slice()) {
                out.push(ev);
            }
        }
    }

    /// Shuts the context down (bounded) before it is freed.
    pub fn shutdown(&self) {
        // SAFETY: a live context.
        let st = unsafe { haptix_context_shutdown(self.raw, 5000) };
        if st != haptix_status::Ok {
            eprintln!("soak: haptix_context_shutdown: {st:?}: {}", last_error());
        }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: our handle, freed once.
        unsafe { haptix_context_free(self.raw) };
    }
}

/// A Buttplug WebSocket server on the context's devices.
pub struct Server {
    raw: *mut haptix_server,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl Server {
    /// Listens on a free loopback port.
    pub fn start(ctx: &Context) -> Result<Server, String> {
        let options = proto::ServerOptions {
            listen_address: "127.0.0.1:0".into(),
            max_message_size: 0,
        }
        .encode_to_vec();
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, a valid buffer and out-pointer.
        let st = unsafe { haptix_server_new(ctx.raw, options.as_ptr(), options.len(), &mut raw) };
        if st != haptix_status::Ok {
            return Err(format!("haptix_server_new: {st:?}: {}", last_error()));
        }
        let mut port = 0;
        // SAFETY: a live server and a valid out-pointer.
        let st = unsafe { haptix_server_port(raw, &mut port) };
        let server = Server { raw, port };
        if st != haptix_status::Ok {
            return Err(format!("haptix_server_port: {st:?}: {}", last_error()));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: our handle, freed once.
        unsafe { haptix_server_free(self.raw) };
    }
}

/// What became of one request.
#[derive(Debug)]
pub enum Answer {
    /// A response with status 0.
    Ok(proto::Response),
    /// A response with an error status (already counted as failed).
    Failed,
    /// No response (already counted as unanswered).
    Missing,
}

impl Answer {
    /// The response when the request succeeded.
    pub fn ok(self) -> Option<proto::Response> {
        match self {
            Answer::Ok(r) => Some(r),
            Answer::Failed | Answer::Missing => None,
        }
    }
}

/// A client of the context: of its embedded server, or of a WebSocket URL.
pub struct Client {
    raw: *mut haptix_client,
    /// Name given in the handshake, for messages.
    pub name: String,
}

/// A label for a request, in problem messages.
pub fn label(kind: &request::Kind) -> &'static str {
    match kind {
        request::Kind::StartScanning(_) => "StartScanning",
        request::Kind::StopScanning(_) => "StopScanning",
        request::Kind::RequestDeviceList(_) => "RequestDeviceList",
        request::Kind::Output(_) => "Output",
        request::Kind::Input(_) => "Input",
        request::Kind::StopDevice(_) => "StopDevice",
        request::Kind::StopAll(_) => "StopAll",
        request::Kind::Ping(_) => "Ping",
        request::Kind::Disconnect(_) => "Disconnect",
        request::Kind::AddSimulatedDevice(_) => "AddSimulatedDevice",
        request::Kind::RemoveSimulatedDevice(_) => "RemoveSimulatedDevice",
        request::Kind::InjectNotification(_) => "InjectNotification",
        request::Kind::TakeWrites(_) => "TakeWrites",
    }
}

impl Client {
    /// Creates a client (connecting in the background: `Connected` is its first event).
    pub fn new(ctx: &Context, name: &str, url: Option<&str>) -> Result<Client, String> {
        let options = proto::ClientOptions {
            client_name: name.to_string(),
            server: url.map(|u| proto::client_options::Server::WebsocketUrl(u.to_string())),
            request_timeout_ms: 0,
        }
        .encode_to_vec();
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, a valid buffer and out-pointer.
        let st = unsafe { haptix_client_new(ctx.raw, options.as_ptr(), options.len(), &mut raw) };
        if st != haptix_status::Ok {
            return Err(format!("haptix_client_new: {st:?}: {}", last_error()));
        }
        Ok(Client {
            raw,
            name: name.to_string(),
        })
    }

    /// Sends a request and waits for its response (`haptix_client_call`), counting it.
    pub fn call(&self, tally: &Tally, kind: request::Kind) -> Answer {
        let what = label(&kind);
        let bytes = proto::Request {
            id: 0,
            kind: Some(kind),
        }
        .encode_to_vec();
        let mut out = haptix_buffer::EMPTY;
        Tally::add(&tally.sent, 1);
        let wait = u32::try_from(ANSWER_WAIT.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: a live client, a valid buffer and out-pointer; the response is freed by
        // take_buffer.
        let st =
            unsafe { haptix_client_call(self.raw, bytes.as_ptr(), bytes.len(), wait, &mut out) };
        if st != haptix_status::Ok {
            Tally::add(&tally.unanswered, 1);
            tally.problem(format!(
                "{}: {what} not answered: {st:?}: {}",
                self.name,
                last_error()
            ));
            return Answer::Missing;
        }
        let event = match proto::Event::decode(take_buffer(out).as_slice()) {
            Ok(e) => e,
            Err(e) => {
                Tally::add(&tally.unanswered, 1);
                tally.problem(format!("{}: {what}: undecodable response: {e}", self.name));
                return Answer::Missing;
            }
        };
        match event.kind {
            Some(event::Kind::Response(r)) => classify(tally, &self.name, what, r),
            other => {
                Tally::add(&tally.unanswered, 1);
                tally.problem(format!("{}: {what}: not a response: {other:?}", self.name));
                Answer::Missing
            }
        }
    }

    /// Sends a request without waiting (`haptix_client_send`); its response arrives as an
    /// event. Counts it as sent; `None` (counted as unanswered) when the library refused it.
    pub fn send(&self, tally: &Tally, kind: request::Kind) -> Option<u64> {
        let what = label(&kind);
        let bytes = proto::Request {
            id: 0,
            kind: Some(kind),
        }
        .encode_to_vec();
        let mut id = 0;
        Tally::add(&tally.sent, 1);
        // SAFETY: a live client, a valid buffer and out-pointer.
        let st = unsafe { haptix_client_send(self.raw, bytes.as_ptr(), bytes.len(), &mut id) };
        if st != haptix_status::Ok {
            Tally::add(&tally.unanswered, 1);
            tally.problem(format!(
                "{}: {what} refused: {st:?}: {}",
                self.name,
                last_error()
            ));
            return None;
        }
        Some(id)
    }

    /// The next event, waiting up to `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Result<proto::Event, haptix_status> {
        let mut buf = haptix_buffer::EMPTY;
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: a live client and a valid out-pointer.
        let st = unsafe { haptix_client_next_event(self.raw, ms, &mut buf) };
        if st != haptix_status::Ok {
            return Err(st);
        }
        proto::Event::decode(take_buffer(buf).as_slice())
            .map_err(|_| haptix_status::ErrorInvalidProtobuf)
    }

    /// Takes events until `done` says so or `deadline` passes; true when `done` did.
    pub fn events_until(
        &self,
        deadline: Instant,
        mut each: impl FnMut(proto::Event),
        mut done: impl FnMut() -> bool,
    ) -> bool {
        while !done() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self.next_event(left.min(Duration::from_millis(500))) {
                Ok(ev) => each(ev),
                Err(haptix_status::Timeout) => {}
                Err(_) => return done(),
            }
        }
        true
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: our handle, freed once.
        unsafe { haptix_client_free(self.raw) };
    }
}

/// Counts a response as answered, and as failed when its status says so.
pub fn classify(tally: &Tally, who: &str, what: &str, r: proto::Response) -> Answer {
    Tally::add(&tally.answered, 1);
    if r.status == 0 {
        Answer::Ok(r)
    } else {
        Tally::add(&tally.failed, 1);
        tally.problem(format!(
            "{who}: {what} answered with status {}: {}",
            r.status, r.message
        ));
        Answer::Failed
    }
}
