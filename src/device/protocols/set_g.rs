//! Protocol set G: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "simulated.rs"]
mod simulated;
#[path = "thehandy.rs"]
mod thehandy;
#[path = "thehandy_v3.rs"]
mod thehandy_v3;
#[path = "umove.rs"]
mod umove;
#[path = "utimi.rs"]
mod utimi;
#[path = "vibcrafter.rs"]
mod vibcrafter;
#[path = "vibratissimo.rs"]
mod vibratissimo;
#[path = "vorze_cyclone_x.rs"]
mod vorze_cyclone_x;
#[path = "yiciyuan.rs"]
mod yiciyuan;
#[path = "youcups.rs"]
mod youcups;
#[path = "youou.rs"]
mod youou;
#[path = "zalo.rs"]
mod zalo;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list = vec![
        simulated::factory(),
        thehandy::factory(),
        thehandy_v3::factory(),
        umove::factory(),
        utimi::factory(),
        vibratissimo::factory(),
        vorze_cyclone_x::factory(),
        yiciyuan::factory(),
        youcups::factory(),
        youou::factory(),
        zalo::factory(),
    ];
    list.extend(vibcrafter::factories());
    list
}
