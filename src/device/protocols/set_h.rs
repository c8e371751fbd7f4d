//! Protocol set H: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "lovense_connect_service.rs"]
mod lovense_connect_service;
#[path = "nintendo_joycon.rs"]
mod nintendo_joycon;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        lovense_connect_service::factory(),
        nintendo_joycon::factory(),
    ]
}
