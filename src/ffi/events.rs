//! Event delivery: per-handle event sinks, callback registrations and the dispatcher thread.
//!
//! Each client (and each context, for log records) has an [`EventSink`]. Events are encoded
//! protobuf `haptix.v1.Event` bytes, pushed by library tasks. A sink either queues them for
//! `*_next_event` (poll mode, with an optional wake-up notifier) or hands them to an event
//! callback. Callbacks and notifiers only ever run on the context's dispatcher thread, a plain
//! thread owned by the library (never a tokio worker), one job at a time, in push order.
//! Freeing a sink waits for a callback of that sink that is running on another thread, and
//! guarantees none starts afterwards.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::status::{haptix_status, Failure};

/// Receives one event: `user_data` as registered, and the encoded `haptix.v1.Event`.
///
/// Called on the context's dispatcher thread, never re-entrantly and never after the handle's
/// `_free` returned. `event` is borrowed until the callback returns: copy it to keep it. The
/// callback must not unwind or throw. It may call any library function, including `_free` of
/// its own handle (which takes effect when it returns) and `haptix_client_call` (which waits
/// for a response without needing this thread); only waiting for the next *event*
/// (`*_next_event` with a timeout above 0) returns `HAPTIX_STATUS_ERROR_WOULD_DEADLOCK` here.
#[allow(non_camel_case_types)]
pub type haptix_event_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const u8, len: usize)>;

/// Told that events are waiting in a handle's queue (poll mode). Called on the dispatcher
/// thread when the queue goes from empty to non-empty; drain it with `*_next_event`. Must not
/// unwind or throw.
#[allow(non_camel_case_types)]
pub type haptix_wakeup_callback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Releases registered user data. Called exactly once per registration, when it is replaced or
/// its handle is freed, after any running callback of that registration returned. Must not
/// unwind or throw.
#[allow(non_camel_case_types)]
pub type haptix_user_data_free = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// What a registration calls.
#[derive(Clone, Copy)]
pub(crate) enum Callback {
    Event(unsafe extern "C" fn(*mut c_void, *const u8, usize)),
    Wakeup(unsafe extern "C" fn(*mut c_void)),
}

/// A callback with its user data; releases the user data when the last reference goes.
pub(crate) struct Registration {
    callback: Callback,
    user_data: *mut c_void,
    free: haptix_user_data_free,
}

// SAFETY: the C contract says callbacks are called from the dispatcher thread and user data
// is released from whichever thread drops the last reference; the host accepts both by
// registering.
unsafe impl Send for Registration {}
// SAFETY: as above; the registration is never mutated after creation.
unsafe impl Sync for Registration {}

impl Registration {
    pub(crate) fn new(
        callback: Callback,
        user_data: *mut c_void,
        free: haptix_user_data_free,
    ) -> Arc<Registration> {
        Arc::new(Registration {
            callback,
            user_data,
            free,
        })
    }
}

impl Registration {
    /// What the host asked to register: `callback` with its data, or, for a NULL callback
    /// (`None`), nothing — back to polling — in which case `free` runs at once, as nothing
    /// keeps the data.
    pub(crate) fn from_host(
        callback: Option<Callback>,
        user_data: *mut c_void,
        free: haptix_user_data_free,
    ) -> Option<Arc<Registration>> {
        match callback {
            Some(callback) => Some(Registration::new(callback, user_data, free)),
            None => {
                if let Some(free) = free {
                    // SAFETY: the host passed this function for this data; nothing was
                    // registered, so it is released here, exactly once.
                    unsafe { free(user_data) };
                }
                None
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: registered by the host for exactly this user data; called once.
            unsafe { free(self.user_data) };
        }
    }
}

#[derive(Default)]
struct SinkState {
    queue: VecDeque<Box<[u8]>>,
    /// Events counted but dropped (bounded sinks only).
    dropped: u64,
    /// No event will be pushed any more.
    closed: bool,
    /// The handle was freed: drop everything, call nothing.
    freed: bool,
    callback: Option<Arc<Registration>>,
    wakeup: Option<Arc<Registration>>,
    /// Events of this sink waiting in the dispatcher. While there are any, new events follow
    /// them through the dispatcher (order), and a drained, closed queue is not yet `CLOSED`.
    /// (Wake-up jobs are not counted: events never wait behind them.)
    events_in_dispatch: usize,
    /// The dispatcher is running a callback of this sink.
    in_callback: bool,
}

/// Where one handle's events go.
pub(crate) struct EventSink {
    state: Mutex<SinkState>,
    cond: Condvar,
    dispatcher: Arc<Dispatcher>,
    /// Largest queue length, for log sinks; `None` for unbounded.
    bound: Option<usize>,
}

impl EventSink {
    pub(crate) fn new(dispatcher: Arc<Dispatcher>, bound: Option<usize>) -> Arc<EventSink> {
        Arc::new(EventSink {
            state: Mutex::new(SinkState::default()),
            cond: Condvar::new(),
            dispatcher,
            bound,
        })
    }

    /// Queues (or dispatches) one encoded event. Never blocks on the host.
    pub(crate) fn push(self: &Arc<Self>, event: Box<[u8]>) {
        let mut st = self.state.lock();
        if st.freed || st.closed {
            return;
        }
        if st.callback.is_some() || st.events_in_dispatch > 0 {
            st.events_in_dispatch += 1;
            drop(st);
            self.dispatch_event(event);
            return;
        }
        if let Some(bound) = self.bound {
            if st.queue.len() >= bound {
                st.dropped += 1;
                return;
            }
        }
        self.enqueue(st, event);
    }

    /// Puts an event in the poll queue and wakes a poller (and the notifier when the queue was
    /// empty).
    fn enqueue(self: &Arc<Self>, mut st: parking_lot::MutexGuard<'_, SinkState>, event: Box<[u8]>) {
        let was_empty = st.queue.is_empty();
        st.queue.push_back(event);
        let wake = was_empty && st.wakeup.is_some();
        drop(st);
        self.cond.notify_all();
        if wake {
            // refused once the dispatcher has stopped (context shut down): nobody can be
            // notified then, and pollers still find the event
            let _ = self.dispatcher.submit(Job::Wake(Arc::clone(self)));
        }
    }

    /// Sends an event (already counted in `events_in_dispatch`) to the dispatcher; once the
    /// dispatcher has stopped, it goes to the poll queue instead, so that it is not lost.
    fn dispatch_event(self: &Arc<Self>, event: Box<[u8]>) {
        let Err(job) = self.dispatcher.submit(Job::Event(Arc::clone(self), event)) else {
            return;
        };
        let mut st = self.state.lock();
        st.events_in_dispatch = st.events_in_dispatch.saturating_sub(1);
        if let Job::Event(_, event) = job {
            if !st.freed {
                return self.enqueue(st, event);
            }
        }
        drop(st);
        self.cond.notify_all();
    }

    /// Number of events dropped so far because a bounded queue was full; resets the count.
    pub(crate) fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.state.lock().dropped)
    }

    /// Ends the stream: no more events are accepted; waiting readers get `CLOSED` once the
    /// queue is drained.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.cond.notify_all();
    }

    /// Takes the next event, waiting up to `timeout_ms` (0 = do not wait, `u32::MAX` = no
    /// limit).
    ///
    /// `CLOSED` comes only when the stream is closed and every event was taken, including
    /// events still travelling through the dispatcher. A wait on any context's dispatcher
    /// thread (inside a callback) is refused with `ERROR_WOULD_DEADLOCK`: the events it waits
    /// for may need that very thread.
    pub(crate) fn next(&self, timeout_ms: u32) -> Result<Box<[u8]>, haptix_status> {
        if timeout_ms > 0 && on_dispatcher_thread() {
            super::status::set_last_error(
                "a blocking wait for events on a dispatcher thread (inside a callback) could \
                 deadlock; poll with a timeout of 0, or wait for a response with \
                 haptix_client_call",
            );
            return Err(haptix_status::ErrorWouldDeadlock);
        }
        let deadline = (timeout_ms != u32::MAX)
            .then(|| Instant::now() + Duration::from_millis(u64::from(timeout_ms)));
        let mut st = self.state.lock();
        loop {
            if st.callback.is_some() {
                super::status::set_last_error(
                    "events of this handle go to its event callback; remove the callback to poll",
                );
                return Err(haptix_status::ErrorInvalidArgument);
            }
            if let Some(event) = st.queue.pop_front() {
                return Ok(event);
            }
            if st.freed || (st.closed && st.events_in_dispatch == 0) {
                return Err(haptix_status::Closed);
            }
            match deadline {
                None => self.cond.wait(&mut st),
                Some(d) => {
                    if Instant::now() >= d || self.cond.wait_until(&mut st, d).timed_out() {
                        if let Some(event) = st.queue.pop_front() {
                            return Ok(event);
                        }
                        return Err(if st.freed || (st.closed && st.events_in_dispatch == 0) {
                            haptix_status::Closed
                        } else {
                            haptix_status::Timeout
                        });
                    }
                }
            }
        }
    }

    /// Sets (or, with `None`, removes) the event callback. Queued events move to the callback
    /// in order. The replaced registration is released after any running call of it.
    pub(crate) fn set_callback(self: &Arc<Self>, registration: Option<Arc<Registration>>) {
        let (old, moved) = {
            let mut st = self.state.lock();
            if st.freed {
                return;
            }
            let moved: Vec<Box<[u8]>> = if registration.is_some() {
                st.queue.drain(..).collect()
            } else {
                Vec::new()
            };
            st.events_in_dispatch += moved.len();
            let old = std::mem::replace(&mut st.callback, registration);
            (old, moved)
        };
        for event in moved {
            self.dispatch_event(event);
        }
        drop(old);
    }

    /// Sets (or removes) the wake-up notifier. When events are already waiting, it is called
    /// once right away.
    pub(crate) fn set_wakeup(self: &Arc<Self>, registration: Option<Arc<Registration>>) {
        let (old, wake) = {
            let mut st = self.state.lock();
            if st.freed {
                return;
            }
            let wake = registration.is_some() && !st.queue.is_empty();
            (std::mem::replace(&mut st.wakeup, registration), wake)
        };
        if wake {
            // refused only after shutdown, when registrations are refused too
            let _ = self.dispatcher.submit(Job::Wake(Arc::clone(self)));
        }
        drop(old);
    }

    /// The handle is being freed: drops queued events and registrations, waits for a callback
    /// of this sink running on another thread, and guarantees no callback starts afterwards.
    /// On the dispatcher thread itself (free from inside a callback) it does not wait; the
    /// running callback's registration is released when it returns.
    pub(crate) fn free(&self) {
        let on_dispatcher = self.dispatcher.is_current_thread();
        let (callback, wakeup, queue) = {
            let mut st = self.state.lock();
            st.freed = true;
            st.closed = true;
            let taken = (
                st.callback.take(),
                st.wakeup.take(),
                std::mem::take(&mut st.queue),
            );
            if !on_dispatcher {
                while st.in_callback {
                    self.cond.wait(&mut st);
                }
            }
            taken
        };
        self.cond.notify_all();
        drop(queue);
        drop(callback);
        drop(wakeup);
    }

    /// Dispatcher side: delivers one event.
    fn deliver(self: &Arc<Self>, event: Box<[u8]>) {
        let registration = {
            let mut st = self.state.lock();
            st.events_in_dispatch = st.events_in_dispatch.saturating_sub(1);
            if st.freed {
                return;
            }
            match st.callback.clone() {
                Some(r) => {
                    st.in_callback = true;
                    r
                }
                None => {
                    // the callback was removed after this event was routed here: keep order
                    // by queueing it for polling, and wake a poller as `push` would
                    self.enqueue(st, event);
                    return;
                }
            }
        };
        if let Callback::Event(f) = registration.callback {
            // SAFETY: the host registered `f` with this user data; the event bytes live until
            // the call returns, as documented.
            unsafe { f(registration.user_data, event.as_ptr(), event.len()) };
        }
        drop(registration);
        self.state.lock().in_callback = false;
        self.cond.notify_all();
    }

    /// Dispatcher side: runs the wake-up notifier.
    fn wake(&self) {
        let registration = {
            let mut st = self.state.lock();
            if st.freed || st.queue.is_empty() {
                return;
            }
            match st.wakeup.clone() {
                Some(r) => {
                    st.in_callback = true;
                    r
                }
                None => return,
            }
        };
        if let Callback::Wakeup(f) = registration.callback {
            // SAFETY: registered by the host with this user data.
            unsafe { f(registration.user_data) };
        }
        drop(registration);
        self.state.lock().in_callback = false;
        self.cond.notify_all();
    }
}

enum Job {
    Event(Arc<EventSink>, Box<[u8]>),
    Wake(Arc<EventSink>),
    Stop,
}

/// The dispatcher's queue.
#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    /// `stop` was called: no job is accepted any more (a job would hold its sink, and so the
    /// dispatcher, forever).
    stopping: bool,
}

thread_local! {
    /// Set on every dispatcher thread.
    static ON_DISPATCHER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is a dispatcher thread (of any context).
pub(crate) fn on_dispatcher_thread() -> bool {
    ON_DISPATCHER.with(std::cell::Cell::get)
}

/// One thread per context that runs every callback of the context's handles.
pub(crate) struct Dispatcher {
    jobs: Mutex<Jobs>,
    cond: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: Mutex<Option<std::thread::ThreadId>>,
}

impl Dispatcher {
    /// Starts the dispatcher thread.
    pub(crate) fn start() -> Result<Arc<Dispatcher>, Failure> {
        let dispatcher = Arc::new(Dispatcher {
            jobs: Mutex::new(Jobs::default()),
            cond: Condvar::new(),
            thread: Mutex::new(None),
            thread_id: Mutex::new(None),
        });
        let worker = Arc::clone(&dispatcher);
        let handle = std::thread::Builder::new()
            .name("haptix-dispatch".into())
            .spawn(move || worker.run())
            .map_err(|e| {
                Failure::new(
                    haptix_status::ErrorRuntime,
                    format!("cannot start the dispatcher thread: {e}"),
                )
            })?;
        *dispatcher.thread_id.lock() = Some(handle.thread().id());
        *dispatcher.thread.lock() = Some(handle);
        Ok(dispatcher)
    }

    /// Queues a job; gives it back when the dispatcher is stopping.
    fn submit(&self, job: Job) -> Result<(), Job> {
        let mut jobs = self.jobs.lock();
        if jobs.stopping {
            return Err(job);
        }
        jobs.queue.push_back(job);
        drop(jobs);
        self.cond.notify_one();
        Ok(())
    }

    /// Whether the calling thread is this dispatcher's thread.
    pub(crate) fn is_current_thread(&self) -> bool {
        *self.thread_id.lock() == Some(std::thread::current().id())
    }

    fn run(&self) {
        ON_DISPATCHER.with(|on| on.set(true));
        loop {
            let job = {
                let mut jobs = self.jobs.lock();
                loop {
                    if let Some(job) = jobs.queue.pop_front() {
                        break job;
                    }
                    self.cond.wait(&mut jobs);
                }
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match job {
                Job::Event(sink, event) => {
                    sink.deliver(event);
                    true
                }
                Job::Wake(sink) => {
                    sink.wake();
                    true
                }
                Job::Stop => false,
            }));
            match outcome {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => tracing::error!("panic while dispatching an event; continuing"),
            }
        }
    }

    /// Runs the jobs already submitted, then ends the thread and waits for it (unless called
    /// on it, in which case it ends after the current callback). Later submissions are
    /// refused (events then stay in their poll queues).
    pub(crate) fn stop(&self) {
        {
            let mut jobs = self.jobs.lock();
            if !jobs.stopping {
                jobs.stopping = true;
                jobs.queue.push_back(Job::Stop);
            }
        }
        self.cond.notify_one();
        if self.is_current_thread() {
            return;
        }
        let handle = self.thread.lock().take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ev(n: u8) -> Box<[u8]> {
        vec![n].into_boxed_slice()
    }

    #[test]
    fn polling_keeps_order_and_reports_timeout_and_closed() {
        let d = Dispatcher::start().unwrap();
        let sink = EventSink::new(Arc::clone(&d), None);
        assert_eq!(sink.next(0).unwrap_err(), haptix_status::Timeout);
        for n in 0..5 {
            sink.push(ev(n));
        }
        for n in 0..5 {
            assert_eq!(&*sink.next(0).unwrap(), &[n]);
        }
        sink.push(ev(9));
        sink.close();
        sink.push(ev(10)); // ignored after close
        assert_eq!(&*sink.next(10).unwrap(), &[9]);
        assert_eq!(sink.next(10).unwrap_err(), haptix_status::Closed);
        d.stop();
    }

    #[test]
    fn bounded_sinks_count_what_they_drop() {
        let d = Dispatcher::start().unwrap();
        let sink = EventSink::new(Arc::clone(&d), Some(2));
        for n in 0..5 {
            sink.push(ev(n));
        }
        assert_eq!(sink.take_dropped(), 3);
        assert_eq!(sink.take_dropped(), 0);
        d.stop();
    }

    static SEEN: parking_lot::Mutex<Vec<u8>> = parking_lot::Mutex::new(Vec::new());
    static RELEASED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn record(_: *mut c_void, event: *const u8, len: usize) {
        // SAFETY: the dispatcher passes a valid slice for the duration of the call.
        let bytes = unsafe { std::slice::from_raw_parts(event, len) };
        SEEN.lock().extend_from_slice(bytes);
    }

    unsafe extern "C" fn release(_: *mut c_void) {
        RELEASED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn callbacks_get_queued_and_new_events_in_order_and_release_once() {
        let d = Dispatcher::start().unwrap();
        let sink = EventSink::new(Arc::clone(&d), None);
        sink.push(ev(1));
        sink.push(ev(2));
        let reg = Registration::new(Callback::Event(record), std::ptr::null_mut(), Some(release));
        sink.set_callback(Some(reg));
        for n in 3..=50 {
            sink.push(ev(n));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while SEEN.lock().len() < 50 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(*SEEN.lock(), (1..=50).collect::<Vec<u8>>());
        assert_eq!(
            sink.next(0).unwrap_err(),
            haptix_status::ErrorInvalidArgument
        );
        sink.free();
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
        sink.push(ev(99));
        d.stop();
        assert_eq!(SEEN.lock().len(), 50);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
    }
}
