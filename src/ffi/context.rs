//! `haptix_context`: owns the tokio runtime, the embedded server with its device manager and
//! comm managers, the dispatcher thread and the log sink. Clients and servers are created from
//! a context and die with it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prost::Message as _;

use super::boundary;
use super::buffer::{self, haptix_buffer};
use super::events::{
    haptix_event_callback, haptix_user_data_free, Callback, Dispatcher, EventSink, Registration,
};
use super::handles::{self, HandleKind, Object};
use super::proto;
use super::status::{haptix_status, Failure};
use super::HAPTIX_ABI_VERSION;
use crate::engine::{
    Bus, DeviceConfigSource, Engine, EngineError, EngineOptions, UserConfigSource,
    STOP_OUTPUTS_LIMIT,
};
#[cfg(feature = "sim")]
use crate::hwmgr::sim::SimDeviceSpec;
use crate::hwmgr::{BusSettings, OptionalBus};
use crate::server::Server;

/// Opaque context handle. Create with `haptix_context_new`, release with
/// `haptix_context_free`.
#[allow(non_camel_case_types)]
pub struct haptix_context {
    _private: [u8; 0],
}

/// How long `haptix_context_free` waits for a shutdown that was not done explicitly.
const FREE_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest number of log records waiting in a context's queue.
const LOG_QUEUE_BOUND: usize = 1024;

/// Default address of the WebSocket device manager.
const DEFAULT_WEBSOCKET_DEVICES_ADDRESS: &str = "127.0.0.1:54817";

static NEXT_CONTEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The object behind a context handle.
pub(crate) struct ContextInner {
    pub(crate) id: u64,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    pub(crate) handle: tokio::runtime::Handle,
    /// The assembled system (database, server, buses).
    engine: Engine,
    /// The engine's server.
    pub(crate) server: Arc<Server>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    log: Arc<EventSink>,
    /// Keys of the clients and servers created from this context.
    children: Mutex<Vec<usize>>,
    shut_down: AtomicBool,
}

impl HandleKind for ContextInner {
    type C = haptix_context;
    const TAG: usize = 1;
    const NAME: &'static str = "context";
    fn wrap(object: Arc<Self>) -> Object {
        Object::Context(object)
    }
    fn unwrap(object: &Object) -> Option<&Arc<Self>> {
        match object {
            Object::Context(c) => Some(c),
            Object::Client(_) | Object::Server(_) => None,
        }
    }
}

/// Refuses to block when called on one of the library's runtime threads.
pub(crate) fn check_may_block() -> Result<(), Failure> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::new(
            haptix_status::ErrorWouldDeadlock,
            "this call blocks and cannot run on a runtime thread",
        ));
    }
    Ok(())
}

fn decode_options(bytes: &[u8]) -> Result<proto::ContextOptions, Failure> {
    proto::ContextOptions::decode(bytes).map_err(|e| {
        Failure::new(
            haptix_status::ErrorInvalidProtobuf,
            format!("invalid ContextOptions: {e}"),
        )
    })
}

/// The engine's configuration sources from the options.
fn config_sources(
    options: &proto::ContextOptions,
) -> (DeviceConfigSource, Option<UserConfigSource>) {
    use proto::context_options::{DeviceConfig, UserConfig};
    let device = match &options.device_config {
        None => DeviceConfigSource::Builtin,
        Some(DeviceConfig::DeviceConfigJson(bytes)) => DeviceConfigSource::Json(bytes.clone()),
        Some(DeviceConfig::DeviceConfigPath(path)) => DeviceConfigSource::Path(path.into()),
    };
    let user = options.user_config.as_ref().map(|u| match u {
        UserConfig::UserConfigJson(bytes) => UserConfigSource::Json(bytes.clone()),
        UserConfig::UserConfigPath(path) => UserConfigSource::Path(path.into()),
    });
    (device, user)
}

/// The status and message of an engine that did not start.
fn engine_failure(e: EngineError) -> Failure {
    let status = match &e {
        EngineError::Config(c) => return Failure::from(crate::Error::from(c.clone())),
        EngineError::Device(d) => return Failure::from(crate::Error::from(d.clone())),
        EngineError::Simulated { .. } | EngineError::BusSettings { .. } => {
            haptix_status::ErrorInvalidArgument
        }
        EngineError::BusNotBuilt { .. } => haptix_status::ErrorNotSupported,
        EngineError::Listen { .. } => haptix_status::ErrorConnect,
    };
    Failure::new(status, e.to_string())
}

impl ContextInner {
    fn create(options: proto::ContextOptions) -> Result<Arc<ContextInner>, Failure> {
        let level = super::log::level_from_proto(options.log_level)?;
        let mut buses = Vec::new();
        for &m in &options.comm_managers {
            let manager = proto::CommManager::try_from(m).map_err(|_| {
                Failure::new(
                    haptix_status::ErrorInvalidArgument,
                    format!("{m} is not a valid CommManager"),
                )
            })?;
            buses.push(match manager {
                proto::CommManager::Unspecified => {
                    return Err(Failure::new(
                        haptix_status::ErrorInvalidArgument,
                        "COMM_MANAGER_UNSPECIFIED is not a comm manager",
                    ))
                }
                // simulated devices are always there
                proto::CommManager::Simulated => continue,
                proto::CommManager::WebsocketDevices => {
                    let text = if options.websocket_devices_address.is_empty() {
                        DEFAULT_WEBSOCKET_DEVICES_ADDRESS
                    } else {
                        options.websocket_devices_address.as_str()
                    };
                    let addr: SocketAddr = text.parse().map_err(|_| {
                        Failure::new(
                            haptix_status::ErrorInvalidArgument,
                            format!("websocket_devices_address {text:?} is not an address such as 127.0.0.1:54817"),
                        )
                    })?;
                    Bus::WebsocketDevices(addr)
                }
                proto::CommManager::Serial => Bus::Serial,
                proto::CommManager::BluetoothLe => Bus::BluetoothLe,
                proto::CommManager::Hid => Bus::Hid,
                proto::CommManager::LovenseDongleSerial => {
                    Bus::Optional(OptionalBus::LovenseDongleSerial)
                }
                proto::CommManager::LovenseDongleHid => Bus::Optional(OptionalBus::LovenseDongleHid),
                proto::CommManager::LovenseConnect => Bus::Optional(OptionalBus::LovenseConnect),
                proto::CommManager::Gamepad => Bus::Optional(OptionalBus::Gamepad),
                proto::CommManager::Usb => Bus::Optional(OptionalBus::Usb),
            });
        }
        #[cfg(not(feature = "sim"))]
        if !options.simulated_devices.is_empty() {
            return Err(Failure::new(
                haptix_status::ErrorNotSupported,
                "this build of the library has no simulated devices (cargo feature sim)",
            ));
        }
        #[cfg(feature = "sim")]
        let simulated = {
            let mut simulated = Vec::with_capacity(options.simulated_devices.len());
            for d in &options.simulated_devices {
                let mut spec = SimDeviceSpec::parse(&d.identifier).map_err(|e| {
                    Failure::new(
                        haptix_status::ErrorInvalidArgument,
                        format!("simulated device {:?}: {e}", d.identifier),
                    )
                })?;
                if !d.address.is_empty() {
                    spec.address = Some(d.address.clone());
                }
                simulated.push(spec);
            }
            simulated
        };
        let (device_config, user_config) = config_sources(&options);
        let engine_options = EngineOptions {
            device_config,
            user_config,
            server_name: options.server_name.clone(),
            max_ping_time: options.max_ping_time_ms,
            #[cfg(feature = "sim")]
            simulated,
            buses,
            bus_settings: BusSettings {
                lovense_connect_addresses: options
                    .lovense_connect_addresses
                    .iter()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect(),
                lovense_dongle_port: (!options.lovense_dongle_port.is_empty())
                    .then(|| options.lovense_dongle_port.clone()),
            },
        };
        let workers = match options.worker_threads {
            0 => 2,
            n => usize::try_from(n).unwrap_or(2).min(64),
        };
        let runtime = crate::runtime::build(workers).map_err(|e| {
            Failure::new(
                haptix_status::ErrorRuntime,
                format!("cannot start the runtime: {e}"),
            )
        })?;
        let handle = runtime.handle().clone();
        let engine = runtime
            .block_on(Engine::start(engine_options))
            .map_err(engine_failure)?;
        let server = Arc::new(engine.server().clone());
        let dispatcher = Dispatcher::start()?;
        let log = EventSink::new(Arc::clone(&dispatcher), Some(LOG_QUEUE_BOUND));
        let id = NEXT_CONTEXT_ID.fetch_add(1, Ordering::Relaxed);
        super::log::attach(id, level, Arc::clone(&log));
        tracing::info!(context = id, "context created");
        Ok(Arc::new(ContextInner {
            id,
            runtime: Mutex::new(Some(runtime)),
            handle,
            engine,
            server,
            dispatcher,
            log,
            children: Mutex::new(Vec::new()),
            shut_down: AtomicBool::new(false),
        }))
    }

    /// Fails with `ERROR_SHUT_DOWN` once the context is shut down.
    pub(crate) fn check_live(&self) -> Result<(), Failure> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(Failure::new(
                haptix_status::ErrorShutDown,
                "the context has been shut down",
            ));
        }
        Ok(())
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Records a client or server created from this context.
    pub(crate) fn adopt(&self, key: usize) {
        self.children.lock().push(key);
    }

    /// Forgets a child that was freed.
    pub(crate) fn disown(&self, key: usize) {
        self.children.lock().retain(|k| *k != key);
    }

    /// Stops every device output, closes clients and servers, ends the dispatcher and the
    /// runtime, all within `timeout`. Idempotent.
    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<(), Failure> {
        check_may_block()?;
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        tracing::info!(context = self.id, "context shutting down");
        let children: Vec<usize> = self.children.lock().clone();
        let runtime = self.runtime.lock().take();
        if let Some(rt) = &runtime {
            // outputs first, before anything else is torn down
            rt.block_on(
                self.engine
                    .stop_outputs(remaining(deadline).min(STOP_OUTPUTS_LIMIT)),
            );
        }
        for key in &children {
            match handles::get_any(*key) {
                Some(Object::Client(c)) => c.close_for_shutdown(),
                Some(Object::Server(s)) => {
                    if let Some(rt) = &runtime {
                        let _ = rt.block_on(async {
                            tokio::time::timeout(remaining(deadline), s.stop_async()).await
                        });
                    }
                }
                Some(Object::Context(_)) | None => {}
            }
        }
        if let Some(rt) = &runtime {
            let _ = rt.block_on(async {
                // the outputs were stopped first, above
                tokio::time::timeout(remaining(deadline), self.engine.finish_shutdown()).await
            });
        }
        super::log::detach(self.id);
        self.log.close();
        self.dispatcher.stop();
        if let Some(rt) = runtime {
            rt.shutdown_timeout(remaining(deadline));
        }
        tracing::info!(context = self.id, "context shut down");
        Ok(())
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        // Only when the context could not be shut down (freed on a runtime thread): end the
        // runtime without blocking.
        if let Some(runtime) = self.runtime.get_mut().take() {
            runtime.shutdown_background();
        }
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Creates a context: a runtime, an embedded server with its device database and comm
/// managers, and a dispatcher thread for callbacks.
///
/// - `abi_version`: the ABI version the caller was built against; pass `HAPTIX_ABI_VERSION`.
/// - `options`/`options_len`: a serialized `haptix.v1.ContextOptions`, borrowed for the call.
///   NULL with length 0 means all defaults (built-in device database, simulated devices only).
/// - `out_context`: receives the new handle on success; release it with
///   `haptix_context_free`.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_ABI_MISMATCH`; `ERROR_INVALID_PROTOBUF`;
/// `ERROR_INVALID_ARGUMENT` (bad enum value, bad simulated device or address);
/// `ERROR_INVALID_CONFIG` (device or user configuration); `ERROR_NOT_SUPPORTED` (a comm
/// manager this build lacks); `ERROR_CONNECT` (the WebSocket device listener cannot bind);
/// `ERROR_RUNTIME`; `ERROR_WOULD_DEADLOCK` when called on a library thread.
///
/// Blocks briefly (loading the database, starting threads). Any thread. Several contexts may
/// exist at once, and a new one may be created after others were freed.
///
/// # Safety
/// `options` must be valid for `options_len` bytes; `out_context` valid for one write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_context_new(
    abi_version: u32,
    options: *const u8,
    options_len: usize,
    out_context: *mut *mut haptix_context,
) -> haptix_status {
    boundary::export(|| {
        boundary::install_panic_hook();
        if out_context.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_context is NULL",
            ));
        }
        if abi_version != HAPTIX_ABI_VERSION {
            return Err(Failure::new(
                haptix_status::ErrorAbiMismatch,
                format!(
                    "the caller was built for ABI version {abi_version}, this library \
                     implements ABI version {HAPTIX_ABI_VERSION}"
                ),
            ));
        }
        check_may_block()?;
        // SAFETY: the caller guarantees `options` is valid for `options_len` bytes.
        let bytes = unsafe { buffer::input(options, options_len) }?;
        let options = decode_options(bytes)?;
        let inner = ContextInner::create(options)?;
        let handle = handles::insert(inner)?;
        // SAFETY: checked non-null above; the caller guarantees it is writable.
        unsafe { buffer::write_out(out_context, handle, "out_context") }?;
        Ok(haptix_status::Ok)
    })
}

/// Shuts a context down: stops every device output first, then closes its clients (each gets
/// its final events) and servers, ends the dispatcher thread and the runtime.
///
/// Blocks for at most about `timeout_ms` milliseconds. Afterwards calls on the context and on
/// its clients and servers return `ERROR_SHUT_DOWN` (event queues can still be drained); the
/// handles must still be freed. Calling it again returns `OK` at once.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_WOULD_DEADLOCK` when
/// called on a library runtime thread. May be called from a callback (it then does not wait
/// for the dispatcher thread it runs on).
///
/// # Safety
/// `context` must be NULL or a value returned by `haptix_context_new` (a freed or foreign
/// value is detected and refused).
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_context_shutdown(
    context: *mut haptix_context,
    timeout_ms: u32,
) -> haptix_status {
    boundary::export(|| {
        handles::get::<ContextInner>(context)
            .and_then(|c| c.shutdown(Duration::from_millis(u64::from(timeout_ms))))?;
        Ok(haptix_status::Ok)
    })
}

/// Frees a context, shutting it down first when that was not done (bounded, about 2 s), and
/// frees the clients and servers created from it (their handles become invalid).
///
/// NULL, freed and foreign values are ignored. Must not race with other calls on the same
/// context. Blocks while shutting down; from a library runtime thread it cannot shut down and
/// only releases the handle.
///
/// # Safety
/// `context` must be NULL or a value returned by `haptix_context_new`.
#[no_mangle]
pub unsafe extern "C" fn haptix_context_free(context: *mut haptix_context) {
    boundary::catch_or((), || {
        let Some(inner) = handles::remove::<ContextInner>(context) else {
            return;
        };
        if let Err(f) = inner.shutdown(FREE_SHUTDOWN_TIMEOUT) {
            tracing::warn!(error = %f.message, "context freed without a clean shutdown");
        }
        let children: Vec<usize> = std::mem::take(&mut *inner.children.lock());
        for key in children {
            match handles::remove_key(key) {
                Some(Object::Client(c)) => c.release(),
                Some(Object::Server(_)) | Some(Object::Context(_)) | None => {}
            }
        }
        inner.log.free();
    })
}

/// Takes the next context event (log records) from the context's queue.
///
/// - `timeout_ms`: 0 returns at once; `UINT32_MAX` waits without limit; otherwise waits up to
///   that many milliseconds.
/// - `out_event`: receives a serialized `haptix.v1.Event` on `OK`; release it with
///   `haptix_buffer_free`. Untouched on any other status.
///
/// Statuses: `OK`; `TIMEOUT`; `CLOSED` (shut down and drained); `ERROR_NULL_POINTER`;
/// `ERROR_INVALID_HANDLE`; `ERROR_INVALID_ARGUMENT` while an event callback is set;
/// `ERROR_WOULD_DEADLOCK` for a waiting call (timeout above 0) on a dispatcher thread of any
/// context (inside a callback). Blocks up to the timeout.
///
/// # Safety
/// `context` must be NULL or a value from `haptix_context_new`; `out_event` valid for one
/// write.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_context_next_event(
    context: *mut haptix_context,
    timeout_ms: u32,
    out_event: *mut haptix_buffer,
) -> haptix_status {
    boundary::export(|| {
        let inner = match handles::get::<ContextInner>(context) {
            Ok(c) => c,
            Err(f) => return Err(f),
        };
        if out_event.is_null() {
            return Err(Failure::new(
                haptix_status::ErrorNullPointer,
                "out_event is NULL",
            ));
        }
        match inner.log.next(timeout_ms) {
            Ok(bytes) => {
                // SAFETY: checked non-null; the caller guarantees it is writable.
                unsafe { out_event.write(haptix_buffer::from_boxed(bytes)) };
                Ok(haptix_status::Ok)
            }
            Err(status) => Ok(status),
        }
    })
}

/// Delivers the context's events (log records) to `callback` on the dispatcher thread instead
/// of the queue. NULL `callback` returns to polling. `user_data` is passed to every call. The
/// library owns `user_data` from this call on: `user_data_free` (optional) runs exactly once,
/// whatever the status: when this registration is replaced or the context is freed, or, for a
/// NULL `callback` or a refused call, before the call returns.
///
/// Statuses: `OK`; `ERROR_NULL_POINTER`; `ERROR_INVALID_HANDLE`; `ERROR_SHUT_DOWN`. Never
/// blocks.
///
/// # Safety
/// `context` must be NULL or a value from `haptix_context_new`; `callback` and
/// `user_data_free` must be valid functions for as long as they are registered.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn haptix_context_set_event_callback(
    context: *mut haptix_context,
    callback: haptix_event_callback,
    user_data: *mut std::ffi::c_void,
    user_data_free: haptix_user_data_free,
) -> haptix_status {
    boundary::export(|| {
        // Made first, so that a refused call releases the user data too.
        let registration =
            Registration::from_host(callback.map(Callback::Event), user_data, user_data_free);
        let inner = match handles::get::<ContextInner>(context).and_then(|c| {
            c.check_live()?;
            Ok(c)
        }) {
            Ok(c) => c,
            Err(f) => return Err(f),
        };
        inner.log.set_callback(registration);
        Ok(haptix_status::Ok)
    })
}
