//! JNI natives of the Java/Kotlin binding (`bindings/java`), behind the cargo feature `java`.
//!
//! This module is a thin door onto the C ABI: every native method of the Java class
//! `io.haptix.Native` calls the matching exported `haptix_*` function of [`crate::ffi`], so
//! handles are the same registry keys (a Java `long` holding the key; a freed, foreign or zero
//! handle gets the C ABI's status, never undefined behaviour) and statuses are the same codes.
//! A non-OK status becomes a thrown `io.haptix.HaptixException(status, message)` whose message
//! is `haptix_last_error_message` of the calling thread. Every native catches panics (they
//! become `HaptixException` with `HAPTIX_STATUS_ERROR_PANIC`), so nothing unwinds into the JVM.
//!
//! Byte arrays are copied once in each direction: a Java `byte[]` argument is copied into a
//! Rust vector for the call, and a library buffer is copied into a new Java `byte[]` and then
//! released with `haptix_buffer_free`. Java owns every array it receives.
//!
//! Threads: each native runs on the Java thread that called it and may block only where the C
//! function it wraps blocks (the `nextEvent` waits, `clientCall`, shutdown and stop) and in
//! `clientAwaitEvents`. No native thread ever attaches to the JVM: events reach Java through
//! Java-owned threads that take them with `clientNextEvent` (see `docs/event-model.md`).
//!
//! Watching a client (`clientWatch`, `clientAwaitEvents`, `clientWake`) lets the binding's pump
//! thread wait for events *without taking one*: the client's wake-up notifier
//! (`haptix_client_set_wakeup_callback`, called on the library's dispatcher thread when the
//! queue goes from empty to non-empty) sets a flag in Rust that the pump waits on. Since the
//! waiting pump holds no event, every event is taken with a non-blocking `clientNextEvent`
//! under one Java lock, so a thread waiting for a response may take it itself, in order with
//! every other event, instead of waiting for the pump to be scheduled (see
//! `bindings/java/README.md`). Watches are kept by client key (keys are never reused) and
//! dropped by `clientFree`; the notifier's own reference is released by the library.

use std::collections::HashMap;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use ::jni::objects::{GlobalRef, JByteArray, JClass, JValue};
use ::jni::sys::{
    jboolean, jbyteArray, jint, jlong, jstring, JNI_ERR, JNI_FALSE, JNI_TRUE, JNI_VERSION_1_8,
};
use ::jni::{JNIEnv, JavaVM};

use crate::ffi::{haptix_buffer, haptix_client, haptix_context, haptix_server, haptix_status};

/// The Java class holding the native methods.
const NATIVE_CLASS: &str = "io/haptix/Native";
/// The exception class thrown for every failure.
const EXCEPTION_CLASS: &str = "io/haptix/HaptixException";

/// What `JNI_OnLoad` caches: the VM and global references to the classes the natives use.
struct Cache {
    /// The VM that loaded the library (kept for future natives that need it).
    _vm: JavaVM,
    /// `io.haptix.HaptixException`.
    exception: GlobalRef,
}

static CACHE: OnceLock<Cache> = OnceLock::new();

/// Called by the JVM when `System.load` loads the library: caches the VM and global references
/// to `io.haptix.HaptixException` and `io.haptix.Native` (both must be loadable by the class
/// loader that loads the library). Returns the JNI version the natives need, or `JNI_ERR`.
///
/// # Safety
/// Called by the JVM only, with its own VM pointer.
#[no_mangle]
pub unsafe extern "system" fn JNI_OnLoad(
    vm: *mut ::jni::sys::JavaVM,
    _reserved: *mut c_void,
) -> jint {
    let loaded = catch_unwind(|| {
        // SAFETY: the JVM passes a valid VM pointer to JNI_OnLoad.
        let vm = unsafe { JavaVM::from_raw(vm) }.ok()?;
        let exception = {
            let mut env = vm.get_env().ok()?;
            let class = env.find_class(EXCEPTION_CLASS).ok()?;
            // Checks early that the natives' class is visible (a clear failure at load time).
            env.find_class(NATIVE_CLASS).ok()?;
            env.new_global_ref(class).ok()?
        };
        if CACHE.get().is_none() {
            let _ = CACHE.set(Cache { _vm: vm, exception });
        }
        Some(())
    });
    match loaded {
        Ok(Some(())) => JNI_VERSION_1_8,
        _ => JNI_ERR,
    }
}

/// Why a native failed.
enum Fail {
    /// A C ABI status other than OK, with the library's message.
    Status(i32, String),
    /// A JNI call failed (an exception may already be pending).
    Jni(::jni::errors::Error),
}

impl From<::jni::errors::Error> for Fail {
    fn from(e: ::jni::errors::Error) -> Fail {
        Fail::Jni(e)
    }
}

/// The calling thread's last error message of the library.
fn last_error_message() -> String {
    let mut len = 0usize;
    // SAFETY: a NULL buffer with capacity 0 only asks for the length; `len` is a valid write.
    let _ = unsafe { crate::ffi::haptix_last_error_message(std::ptr::null_mut(), 0, &mut len) };
    let mut buf = vec![0u8; len + 1];
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    let _ = unsafe {
        crate::ffi::haptix_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len)
    };
    buf.truncate(len.min(buf.len().saturating_sub(1)));
    String::from_utf8_lossy(&buf).into_owned()
}

/// OK, or the status with the library's message.
fn check(status: haptix_status) -> Result<(), Fail> {
    if status == haptix_status::Ok {
        Ok(())
    } else {
        Err(Fail::Status(status.code(), last_error_message()))
    }
}

/// Throws `HaptixException(status, message)`; when even that fails, a `RuntimeException`.
fn throw(env: &mut JNIEnv, status: i32, message: &str) {
    if env.exception_check().unwrap_or(false) {
        return;
    }
    let thrown = (|| -> Result<(), ::jni::errors::Error> {
        let cache = CACHE
            .get()
            .ok_or(::jni::errors::Error::NullPtr("JNI_OnLoad did not run"))?;
        let class: &JClass = cache.exception.as_obj().into();
        let text = env.new_string(message)?;
        let exception = env.new_object(
            class,
            "(ILjava/lang/String;)V",
            &[JValue::Int(status), JValue::Object(&text)],
        )?;
        env.throw(::jni::objects::JThrowable::from(exception))
    })();
    if thrown.is_err() && !env.exception_check().unwrap_or(false) {
        let _ = env.throw_new("java/lang/RuntimeException", format!("haptix: {message}"));
    }
}

/// Runs a native body: panics and failures become Java exceptions and `fallback` is returned.
fn run<'local, T>(
    env: &mut JNIEnv<'local>,
    fallback: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T, Fail>,
) -> T {
    match catch_unwind(AssertUnwindSafe(|| body(env))) {
        Ok(Ok(value)) => value,
        Ok(Err(Fail::Status(status, message))) => {
            throw(env, status, &message);
            fallback
        }
        Ok(Err(Fail::Jni(e))) => {
            throw(
                env,
                haptix_status::ErrorInternal.code(),
                &format!("JNI call failed: {e}"),
            );
            fallback
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            throw(
                env,
                haptix_status::ErrorPanic.code(),
                &format!("panic in a JNI native: {what}"),
            );
            fallback
        }
    }
}

/// Copies a Java `byte[]` (null = empty) into a vector.
fn bytes_in(env: &JNIEnv, array: &JByteArray) -> Result<Vec<u8>, Fail> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    Ok(env.convert_byte_array(array)?)
}

/// Copies a library buffer into a new Java `byte[]` and releases the buffer.
fn bytes_out(env: &mut JNIEnv, mut buffer: haptix_buffer) -> Result<jbyteArray, Fail> {
    let slice: &[u8] = if buffer.data.is_null() || buffer.len == 0 {
        &[]
    } else {
        // SAFETY: the library filled `buffer` with `len` readable bytes at `data`.
        unsafe { std::slice::from_raw_parts(buffer.data, buffer.len) }
    };
    let array = env.byte_array_from_slice(slice);
    // SAFETY: `buffer` was filled by the library and is released exactly once here.
    unsafe { crate::ffi::haptix_buffer_free(&mut buffer) };
    Ok(array?.into_raw())
}

/// A timeout from Java (negative = no limit) as the C ABI's milliseconds.
fn timeout_ms(timeout: jint) -> u32 {
    u32::try_from(timeout).unwrap_or(u32::MAX)
}

fn context_ptr(handle: jlong) -> *mut haptix_context {
    handle as usize as *mut haptix_context
}

fn client_ptr(handle: jlong) -> *mut haptix_client {
    handle as usize as *mut haptix_client
}

fn server_ptr(handle: jlong) -> *mut haptix_server {
    handle as usize as *mut haptix_server
}

/// A pointer-shaped handle as a Java `long`.
fn handle_out<T>(pointer: *mut T) -> jlong {
    pointer as usize as jlong
}

/// Takes one event with `next`: the event bytes, or null on `TIMEOUT`; other statuses throw.
fn next_event(
    env: &mut JNIEnv,
    next: impl FnOnce(&mut haptix_buffer) -> haptix_status,
) -> Result<jbyteArray, Fail> {
    let mut event = haptix_buffer::EMPTY;
    match next(&mut event) {
        haptix_status::Timeout => Ok(std::ptr::null_mut()),
        status => {
            check(status)?;
            bytes_out(env, event)
        }
    }
}

/// A flag the wake-up notifier of one client sets and its pump waits for.
#[derive(Default)]
struct Watch {
    ready: Mutex<bool>,
    cond: Condvar,
}

impl Watch {
    /// Sets the flag and wakes a waiting pump.
    fn signal(&self) {
        *self.ready.lock() = true;
        self.cond.notify_all();
    }

    /// Waits until the flag is set or `timeout` passes (`None` = no limit), then clears it.
    /// Returns whether it was set.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut ready = self.ready.lock();
        while !*ready {
            match deadline {
                None => self.cond.wait(&mut ready),
                Some(d) => {
                    if self.cond.wait_until(&mut ready, d).timed_out() {
                        break;
                    }
                }
            }
        }
        std::mem::replace(&mut *ready, false)
    }
}

/// The watches of live clients, by client key.
fn watches() -> &'static Mutex<HashMap<jlong, Arc<Watch>>> {
    static WATCHES: OnceLock<Mutex<HashMap<jlong, Arc<Watch>>>> = OnceLock::new();
    WATCHES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The client's watch, or `INVALID_HANDLE` when it has none (freed, or never watched).
fn watch_of(client: jlong) -> Result<Arc<Watch>, Fail> {
    watches().lock().get(&client).cloned().ok_or_else(|| {
        Fail::Status(
            haptix_status::ErrorInvalidHandle.code(),
            "the client is not watched (freed, or clientWatch was not called)".to_owned(),
        )
    })
}

/// The wake-up notifier: `user_data` is a reference to a [`Watch`] made by `Arc::into_raw`.
unsafe extern "C" fn watch_notify(user_data: *mut c_void) {
    // SAFETY: the library passes the user data of a live registration, released only by
    // `watch_release` after every call of this notifier returned.
    let watch = unsafe { &*(user_data as *const Watch) };
    watch.signal();
}

/// Releases the notifier's reference to its [`Watch`]; the library calls it exactly once.
unsafe extern "C" fn watch_release(user_data: *mut c_void) {
    // SAFETY: `user_data` came from `Arc::into_raw` in `clientWatch` and is released once.
    drop(unsafe { Arc::from_raw(user_data as *const Watch) });
}

/// `void clientWatch(long client)`: registers the client's wake-up notifier
/// (`haptix_client_set_wakeup_callback`) for `clientAwaitEvents`. Watching twice replaces the
/// first watch.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientWatch(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
) {
    run(&mut env, (), |_| {
        let watch = Arc::new(Watch::default());
        let user_data = Arc::into_raw(Arc::clone(&watch)) as *mut c_void;
        // SAFETY: registry key checked by the library; the notifier and the release function
        // stay valid for the life of the library; `user_data` is released exactly once by the
        // library, whatever the status.
        check(unsafe {
            crate::ffi::haptix_client_set_wakeup_callback(
                client_ptr(client),
                Some(watch_notify),
                user_data,
                Some(watch_release),
            )
        })?;
        if let Some(old) = watches().lock().insert(client, watch) {
            old.signal();
        }
        Ok(())
    })
}

/// `boolean clientAwaitEvents(long client, int timeoutMs)`: waits until the client's queue went
/// from empty to non-empty (or `clientWake`) since the last wait, up to the timeout (negative =
/// no limit). Takes no event. Returns whether it was woken; `INVALID_HANDLE` when the client
/// is not watched (freed).
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientAwaitEvents(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
    timeout: jint,
) -> jboolean {
    run(&mut env, JNI_FALSE, |_| {
        let watch = watch_of(client)?;
        let timeout = u64::try_from(timeout).ok().map(Duration::from_millis);
        Ok(if watch.wait(timeout) {
            JNI_TRUE
        } else {
            JNI_FALSE
        })
    })
}

/// `void clientWake(long client)`: ends a `clientAwaitEvents` wait of the client (or the next
/// one) at once; nothing when the client is not watched.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientWake(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
) {
    run(&mut env, (), |_| {
        if let Some(watch) = watches().lock().get(&client) {
            watch.signal();
        }
        Ok(())
    })
}

/// `int abiVersion()`: `haptix_abi_version`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_abiVersion(mut env: JNIEnv, _class: JClass) -> jint {
    run(&mut env, 0, |_| {
        Ok(jint::try_from(crate::ffi::haptix_abi_version()).unwrap_or(jint::MAX))
    })
}

/// `String version()`: `haptix_version`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_version(mut env: JNIEnv, _class: JClass) -> jstring {
    run(&mut env, std::ptr::null_mut(), |env| {
        Ok(env.new_string(env!("CARGO_PKG_VERSION"))?.into_raw())
    })
}

/// `long contextNew(int abiVersion, byte[] options)`: `haptix_context_new`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_contextNew(
    mut env: JNIEnv,
    _class: JClass,
    abi_version: jint,
    options: JByteArray,
) -> jlong {
    run(&mut env, 0, |env| {
        let options = bytes_in(env, &options)?;
        let mut context = std::ptr::null_mut();
        let abi = u32::try_from(abi_version).unwrap_or(u32::MAX);
        // SAFETY: `options` is valid for its length; `context` is a valid out-pointer.
        check(unsafe {
            crate::ffi::haptix_context_new(abi, options.as_ptr(), options.len(), &mut context)
        })?;
        Ok(handle_out(context))
    })
}

/// `void contextShutdown(long context, int timeoutMs)`: `haptix_context_shutdown`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_contextShutdown(
    mut env: JNIEnv,
    _class: JClass,
    context: jlong,
    timeout: jint,
) {
    run(&mut env, (), |_| {
        // SAFETY: the handle is a registry key; invalid values are refused by the library.
        check(unsafe {
            crate::ffi::haptix_context_shutdown(context_ptr(context), timeout_ms(timeout))
        })
    })
}

/// `void contextFree(long context)`: `haptix_context_free`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_contextFree(
    mut env: JNIEnv,
    _class: JClass,
    context: jlong,
) {
    run(&mut env, (), |_| {
        // SAFETY: invalid handles are ignored by the library.
        unsafe { crate::ffi::haptix_context_free(context_ptr(context)) };
        Ok(())
    })
}

/// `byte[] contextNextEvent(long context, int timeoutMs)`: `haptix_context_next_event`; null
/// on timeout.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_contextNextEvent(
    mut env: JNIEnv,
    _class: JClass,
    context: jlong,
    timeout: jint,
) -> jbyteArray {
    run(&mut env, std::ptr::null_mut(), |env| {
        next_event(env, |out| {
            // SAFETY: registry key checked by the library; `out` is a valid out-pointer.
            unsafe {
                crate::ffi::haptix_context_next_event(
                    context_ptr(context),
                    timeout_ms(timeout),
                    out,
                )
            }
        })
    })
}

/// `long clientNew(long context, byte[] options)`: `haptix_client_new`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientNew(
    mut env: JNIEnv,
    _class: JClass,
    context: jlong,
    options: JByteArray,
) -> jlong {
    run(&mut env, 0, |env| {
        let options = bytes_in(env, &options)?;
        let mut client = std::ptr::null_mut();
        // SAFETY: `options` is valid for its length; `client` is a valid out-pointer.
        check(unsafe {
            crate::ffi::haptix_client_new(
                context_ptr(context),
                options.as_ptr(),
                options.len(),
                &mut client,
            )
        })?;
        Ok(handle_out(client))
    })
}

/// `long clientSend(long client, byte[] request)`: `haptix_client_send`; returns the request id.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientSend(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
    request: JByteArray,
) -> jlong {
    run(&mut env, 0, |env| {
        let request = bytes_in(env, &request)?;
        let mut id = 0u64;
        // SAFETY: `request` is valid for its length; `id` is a valid out-pointer.
        check(unsafe {
            crate::ffi::haptix_client_send(
                client_ptr(client),
                request.as_ptr(),
                request.len(),
                &mut id,
            )
        })?;
        // Ids the library picks are at or above 2^63: Java sees them as negative longs.
        Ok(id as jlong)
    })
}

/// `byte[] clientCall(long client, byte[] request, int timeoutMs)`: `haptix_client_call`;
/// returns the serialized response event.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientCall(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
    request: JByteArray,
    timeout: jint,
) -> jbyteArray {
    run(&mut env, std::ptr::null_mut(), |env| {
        let request = bytes_in(env, &request)?;
        let mut response = haptix_buffer::EMPTY;
        // SAFETY: `request` is valid for its length; `response` is a valid out-pointer.
        check(unsafe {
            crate::ffi::haptix_client_call(
                client_ptr(client),
                request.as_ptr(),
                request.len(),
                timeout_ms(timeout),
                &mut response,
            )
        })?;
        bytes_out(env, response)
    })
}

/// `byte[] clientNextEvent(long client, int timeoutMs)`: `haptix_client_next_event`; null on
/// timeout.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientNextEvent(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
    timeout: jint,
) -> jbyteArray {
    run(&mut env, std::ptr::null_mut(), |env| {
        next_event(env, |out| {
            // SAFETY: registry key checked by the library; `out` is a valid out-pointer.
            unsafe {
                crate::ffi::haptix_client_next_event(client_ptr(client), timeout_ms(timeout), out)
            }
        })
    })
}

/// `void clientFree(long client)`: drops the client's watch (waking its pump), then
/// `haptix_client_free`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_clientFree(
    mut env: JNIEnv,
    _class: JClass,
    client: jlong,
) {
    run(&mut env, (), |_| {
        // A pump still waiting gets woken, and its next wait fails with INVALID_HANDLE.
        if let Some(watch) = watches().lock().remove(&client) {
            watch.signal();
        }
        // SAFETY: invalid handles are ignored by the library.
        unsafe { crate::ffi::haptix_client_free(client_ptr(client)) };
        Ok(())
    })
}

/// `long serverNew(long context, byte[] options)`: `haptix_server_new`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_serverNew(
    mut env: JNIEnv,
    _class: JClass,
    context: jlong,
    options: JByteArray,
) -> jlong {
    run(&mut env, 0, |env| {
        let options = bytes_in(env, &options)?;
        let mut server = std::ptr::null_mut();
        // SAFETY: `options` is valid for its length; `server` is a valid out-pointer.
        check(unsafe {
            crate::ffi::haptix_server_new(
                context_ptr(context),
                options.as_ptr(),
                options.len(),
                &mut server,
            )
        })?;
        Ok(handle_out(server))
    })
}

/// `int serverPort(long server)`: `haptix_server_port`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_serverPort(
    mut env: JNIEnv,
    _class: JClass,
    server: jlong,
) -> jint {
    run(&mut env, 0, |_| {
        let mut port = 0u16;
        // SAFETY: registry key checked by the library; `port` is a valid out-pointer.
        check(unsafe { crate::ffi::haptix_server_port(server_ptr(server), &mut port) })?;
        Ok(jint::from(port))
    })
}

/// `void serverStop(long server, int timeoutMs)`: `haptix_server_stop`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_serverStop(
    mut env: JNIEnv,
    _class: JClass,
    server: jlong,
    timeout: jint,
) {
    run(&mut env, (), |_| {
        // SAFETY: registry key checked by the library.
        check(unsafe { crate::ffi::haptix_server_stop(server_ptr(server), timeout_ms(timeout)) })
    })
}

/// `void serverFree(long server)`: `haptix_server_free`.
#[no_mangle]
pub extern "system" fn Java_io_haptix_Native_serverFree(
    mut env: JNIEnv,
    _class: JClass,
    server: jlong,
) {
    run(&mut env, (), |_| {
        // SAFETY: invalid handles are ignored by the library.
        unsafe { crate::ffi::haptix_server_free(server_ptr(server)) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_wait_ends_on_a_signal_given_before_or_during_it_and_clears_it() {
        let watch = Arc::new(Watch::default());
        // A signal given before the wait is not lost, and is consumed by it.
        watch.signal();
        assert!(watch.wait(Some(Duration::from_secs(5))));
        assert!(!watch.wait(Some(Duration::from_millis(10))));
        // A signal from another thread ends a wait without limit.
        let signaller = {
            let watch = Arc::clone(&watch);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                watch.signal();
            })
        };
        assert!(watch.wait(None));
        signaller.join().unwrap();
    }

    #[test]
    fn the_notifier_signals_and_the_release_drops_its_reference() {
        let watch = Arc::new(Watch::default());
        let user_data = Arc::into_raw(Arc::clone(&watch)) as *mut c_void;
        assert_eq!(Arc::strong_count(&watch), 2);
        // SAFETY: `user_data` is a live reference made by `Arc::into_raw`, released once below.
        unsafe { watch_notify(user_data) };
        assert!(watch.wait(Some(Duration::ZERO)));
        // SAFETY: as above; this is its one release.
        unsafe { watch_release(user_data) };
        assert_eq!(Arc::strong_count(&watch), 1);
    }

    #[test]
    fn an_unwatched_client_is_an_invalid_handle() {
        match watch_of(0x1234_5670) {
            Err(Fail::Status(status, message)) => {
                assert_eq!(status, haptix_status::ErrorInvalidHandle.code());
                assert!(message.contains("not watched"), "{message}");
            }
            _ => panic!("an unwatched key must be refused"),
        }
    }
}
