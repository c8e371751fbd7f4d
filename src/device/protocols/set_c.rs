//! Protocol set C: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "cowgirl_cone.rs"]
mod cowgirl_cone;
#[path = "cueme.rs"]
mod cueme;
#[path = "fmachine.rs"]
mod fmachine;
#[path = "fredorch.rs"]
mod fredorch;
#[path = "fredorch_rotary.rs"]
mod fredorch_rotary;
#[path = "honeyplaybox.rs"]
mod honeyplaybox;
#[path = "htk_bm.rs"]
mod htk_bm;
#[path = "kgoal_boost.rs"]
mod kgoal_boost;
#[path = "kizuna.rs"]
mod kizuna;
#[path = "libo.rs"]
mod libo;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        cowgirl_cone::factory(),
        cueme::factory(),
        fmachine::factory(),
        fredorch::factory(),
        fredorch_rotary::factory(),
        honeyplaybox::factory(),
        htk_bm::factory(),
        kgoal_boost::factory(),
        kizuna::factory(),
        libo::elle_factory(),
        libo::karen_factory(),
        libo::shark_factory(),
        libo::vibes_factory(),
    ]
}
