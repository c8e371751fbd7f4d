//! The live-handle registry.
//!
//! A handle given to C is not a pointer to anything: it is a key into this registry, shaped
//! like a pointer (never NULL, 16-byte aligned, tagged with its type in the low bits). Keys are
//! never reused, so a freed handle can never alias a newer object (the counter is the
//! generation). Every call resolves its handle here first; NULL, freed, foreign or
//! wrong-typed handles are refused with a status instead of being dereferenced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

use super::boundary;
use super::status::{haptix_status, Failure};

/// Type tags in the low bits of a key.
const TAG_MASK: usize = 0xf;
/// First key value (keeps keys away from small integers a caller might pass by mistake).
const BASE: usize = 0x4000_0000;

/// An object that lives behind a C handle.
pub(crate) trait HandleKind: Send + Sync + Sized + 'static {
    /// The opaque C type the handle points to.
    type C;
    /// Tag stored in the key's low bits.
    const TAG: usize;
    /// What the handle is called in messages.
    const NAME: &'static str;
    /// Wraps the object for storage.
    fn wrap(object: Arc<Self>) -> Object;
    /// Unwraps it, `None` when the entry is of another type.
    fn unwrap(object: &Object) -> Option<&Arc<Self>>;
}

/// What the registry stores.
#[derive(Clone)]
pub(crate) enum Object {
    /// A context.
    Context(Arc<super::context::ContextInner>),
    /// A client.
    Client(Arc<super::client::ClientInner>),
    /// A server.
    Server(Arc<super::server::ServerInner>),
}

struct Entry {
    object: Object,
    poisoned: bool,
}

fn registry() -> &'static RwLock<HashMap<usize, Entry>> {
    static REGISTRY: OnceLock<RwLock<HashMap<usize, Entry>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(HashMap::new()))
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Registers `object` and returns its new handle.
pub(crate) fn insert<T: HandleKind>(object: Arc<T>) -> Result<*mut T::C, Failure> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let key = n
        .checked_mul(TAG_MASK + 1)
        .and_then(|k| k.checked_add(BASE))
        .map(|k| k | T::TAG)
        .ok_or_else(|| Failure::new(haptix_status::ErrorRuntime, "handle space exhausted"))?;
    registry().write().insert(
        key,
        Entry {
            object: T::wrap(object),
            poisoned: false,
        },
    );
    Ok(key as *mut T::C)
}

fn key_of<T: HandleKind>(handle: *const T::C) -> Result<usize, Failure> {
    if handle.is_null() {
        return Err(Failure::new(
            haptix_status::ErrorNullPointer,
            format!("the {} handle is NULL", T::NAME),
        ));
    }
    Ok(handle as usize)
}

fn invalid<T: HandleKind>() -> Failure {
    Failure::new(
        haptix_status::ErrorInvalidHandle,
        format!(
            "not a live {} handle (freed, never created, or of another type)",
            T::NAME
        ),
    )
}

/// Resolves a handle to its object.
pub(crate) fn get<T: HandleKind>(handle: *const T::C) -> Result<Arc<T>, Failure> {
    let key = key_of::<T>(handle)?;
    let map = registry().read();
    let entry = map.get(&key).ok_or_else(invalid::<T>)?;
    let object = T::unwrap(&entry.object).ok_or_else(invalid::<T>)?;
    if entry.poisoned {
        return Err(Failure::new(
            haptix_status::ErrorPoisoned,
            format!(
                "the {} handle is unusable after an internal panic; free it",
                T::NAME
            ),
        ));
    }
    boundary::touch(key);
    Ok(Arc::clone(object))
}

/// Unregisters a handle and returns its object; `None` for NULL or unknown handles.
pub(crate) fn remove<T: HandleKind>(handle: *const T::C) -> Option<Arc<T>> {
    let key = key_of::<T>(handle).ok()?;
    let mut map = registry().write();
    let is_t = map
        .get(&key)
        .is_some_and(|e| T::unwrap(&e.object).is_some());
    if !is_t {
        return None;
    }
    map.remove(&key).and_then(|e| T::unwrap(&e.object).cloned())
}

/// The object with this raw key, whatever its type (poisoned or not).
pub(crate) fn get_any(key: usize) -> Option<Object> {
    registry().read().get(&key).map(|e| e.object.clone())
}

/// Unregisters the handle with this raw key, whatever its type.
pub(crate) fn remove_key(key: usize) -> Option<Object> {
    registry().write().remove(&key).map(|e| e.object)
}

/// Marks a handle as poisoned (its internals panicked).
pub(crate) fn poison(key: usize) {
    if let Some(e) = registry().write().get_mut(&key) {
        e.poisoned = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_tagged_aligned_and_never_reused() {
        let a = NEXT.fetch_add(1, Ordering::Relaxed);
        let b = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(b > a);
        let p = std::ptr::null::<u8>();
        assert!(key_of::<crate::ffi::context::ContextInner>(p.cast()).is_err());
        assert_eq!(BASE & TAG_MASK, 0);
    }
}
