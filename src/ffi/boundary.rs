//! The boundary every export runs inside: catches panics so none unwinds into foreign code,
//! turns them into `HAPTIX_STATUS_ERROR_PANIC`, and poisons the handles the failing call was
//! using so later calls on them report `HAPTIX_STATUS_ERROR_POISONED`.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use super::handles;
use super::status::{fail, haptix_status, set_last_error, Failure};

thread_local! {
    /// Handle keys resolved by the call currently running on this thread.
    static TOUCHED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Remembers that the running call uses the handle with this key.
pub(crate) fn touch(key: usize) {
    TOUCHED.with(|t| t.borrow_mut().push(key));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// The one shape of every export that returns a status. The body gives the status to return
/// (`OK`, or an outcome the caller branches on such as `TIMEOUT` or `CLOSED`) or a
/// [`Failure`], whose message becomes the calling thread's last error and whose status is
/// returned. A panic becomes `HAPTIX_STATUS_ERROR_PANIC` with a last-error message and poisons
/// every handle the body resolved. (Exports that return nothing, the `_free` functions, use
/// [`catch_or`].)
pub(crate) fn export<F>(body: F) -> haptix_status
where
    F: FnOnce() -> Result<haptix_status, Failure>,
{
    catch_or(haptix_status::ErrorPanic, || match body() {
        Ok(status) => status,
        Err(failure) => fail(failure),
    })
}

/// Runs the body of an export that returns something else than a status (the `_free`
/// functions): `on_panic` is returned after a panic, which poisons the handles the body
/// resolved.
pub(crate) fn catch_or<T, F>(on_panic: T, body: F) -> T
where
    F: FnOnce() -> T,
{
    let mark = TOUCHED.with(|t| t.borrow().len());
    let result = catch_unwind(AssertUnwindSafe(body));
    let touched: Vec<usize> = TOUCHED.with(|t| t.borrow_mut().split_off(mark));
    match result {
        Ok(value) => value,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            for key in touched {
                handles::poison(key);
            }
            tracing::error!(%message, "panic caught at the C boundary");
            set_last_error(&format!("internal panic: {message}"));
            on_panic
        }
    }
}

/// Installs (once per process) a panic hook that forwards the message and location of any
/// panic, including those inside background tasks, to the log before the previous hook runs.
pub(crate) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = panic_message(info.payload());
            tracing::error!(%message, %location, "panic in the haptix library");
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_statuses() {
        let st = export(|| panic!("boom"));
        assert_eq!(st, haptix_status::ErrorPanic);
        let v = catch_or(7u32, || panic!("boom"));
        assert_eq!(v, 7);
        assert_eq!(export(|| Ok(haptix_status::Ok)), haptix_status::Ok);
        assert_eq!(
            export(|| Ok(haptix_status::Timeout)),
            haptix_status::Timeout
        );
    }

    #[test]
    fn a_failure_sets_the_last_error() {
        let st = export(|| {
            Err(Failure::new(
                haptix_status::ErrorInvalidArgument,
                "a reason the caller can read",
            ))
        });
        assert_eq!(st, haptix_status::ErrorInvalidArgument);
        let mut buf = [0 as std::ffi::c_char; 64];
        // SAFETY: the buffer is valid for its length.
        let st = unsafe {
            super::super::status::haptix_last_error_message(
                buf.as_mut_ptr(),
                buf.len(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(st, haptix_status::Ok);
        // SAFETY: NUL-terminated by the call above.
        let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(text.to_str().unwrap(), "a reason the caller can read");
    }
}
