//! Protocol set H: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    Vec::new()
}
