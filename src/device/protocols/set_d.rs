//! Protocol set D: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "kiiroo_spot_v2.rs"]
mod kiiroo_spot_v2;
#[path = "kiiroo_v1.rs"]
mod kiiroo_v1;
#[path = "kiiroo_v2.rs"]
mod kiiroo_v2;
#[path = "kiiroo_v21.rs"]
mod kiiroo_v21;
#[path = "lioness.rs"]
mod lioness;
#[path = "lovedistance.rs"]
mod lovedistance;
#[path = "lovenuts.rs"]
mod lovenuts;
#[path = "mannuo.rs"]
mod mannuo;
#[path = "maxpro.rs"]
mod maxpro;
#[path = "monsterpub.rs"]
mod monsterpub;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        kiiroo_spot_v2::factory(),
        kiiroo_v1::factory(),
        kiiroo_v2::factory(),
        kiiroo_v2::vibrator_factory(),
        kiiroo_v21::factory(),
        kiiroo_v21::initialized_factory(),
        kiiroo_v21::v3_factory(),
        lioness::factory(),
        lovedistance::factory(),
        lovenuts::factory(),
        mannuo::factory(),
        maxpro::factory(),
        monsterpub::factory(),
    ]
}
